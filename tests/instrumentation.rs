//! Counting statements composes with what the connection reports to: a
//! query logger installed as Diesel's default instrumentation keeps logging
//! under `assert_num_queries`, a logger set by hand is kept with
//! `QueryCount::install_around`, and nested counts both count. Its own test
//! binary: the default instrumentation is process-wide.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::prelude::*;
use diesel_relations::{assert_num_queries, QueryCount};

use common::models::schema::*;
use common::models::*;

static DEFAULT_LOGGED: AtomicUsize = AtomicUsize::new(0);

struct DefaultLogger;

impl Instrumentation for DefaultLogger {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            DEFAULT_LOGGED.fetch_add(1, Ordering::SeqCst);
        }
    }
}

struct Logger(Arc<AtomicUsize>);

impl Instrumentation for Logger {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn seed(conn: &mut SqliteConnection) {
    diesel::insert_into(authors::table)
        .values(&vec![
            Author {
                id: 1,
                name: "Ursula".into(),
            },
            Author {
                id: 2,
                name: "Octavia".into(),
            },
        ])
        .execute(conn)
        .unwrap();
}

#[test]
fn counting_keeps_the_default_logger_and_nests() {
    diesel::connection::set_default_instrumentation(|| Some(Box::new(DefaultLogger))).unwrap();
    let mut conn = common::sqlite().unwrap();
    let conn = &mut *conn;
    seed(conn);
    let before = DEFAULT_LOGGED.load(Ordering::SeqCst);
    let outer = assert_num_queries(conn, 3, |conn| {
        let authors: Vec<Author> = authors::table.load(conn).unwrap();
        // The inner count sees its own statements; the outer one sees them too.
        assert_num_queries(conn, 2, |conn| {
            let _ = authors.clone().prefetch_books(conn).unwrap();
            let _ = authors::table.count().get_result::<i64>(conn).unwrap();
        });
        authors.len()
    });
    assert_eq!(outer, 2);
    assert_eq!(
        DEFAULT_LOGGED.load(Ordering::SeqCst) - before,
        3,
        "the default logger saw every statement"
    );
}

#[test]
fn install_around_keeps_a_logger_set_by_hand() {
    let mut conn = common::sqlite().unwrap();
    let conn = &mut *conn;
    let logged = Arc::new(AtomicUsize::new(0));
    let count = QueryCount::install_around(conn, Logger(logged.clone()));
    seed(conn);
    assert!(count.get() > 0);
    assert_eq!(
        logged.load(Ordering::SeqCst),
        count.get(),
        "the logger saw the seeding"
    );
    count.reset();
    let before = logged.load(Ordering::SeqCst);
    let _ = assert_num_queries(conn, 1, |conn| authors::table.load::<Author>(conn).unwrap());
    assert_eq!(
        count.get(),
        1,
        "the outer count saw the nested one's statement"
    );
    assert_eq!(
        logged.load(Ordering::SeqCst) - before,
        1,
        "the logger saw it too"
    );
}
