//! Counting statements, for tests in the spirit of Django's `assertNumQueries`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use diesel::connection::{get_default_instrumentation, Instrumentation, InstrumentationEvent};
use diesel::Connection;

/// Counts the statements a connection starts, from [`install`](Self::install) on.
///
/// Counting composes with what the connection already reports to: installed
/// while another count runs (a nested [`assert_num_queries`]), both count;
/// installed over Diesel's default instrumentation
/// (`diesel::connection::set_default_instrumentation`, the usual home of a
/// query logger), a fresh instance of it keeps receiving every event. An
/// instrumentation set on the connection by hand with `set_instrumentation`
/// cannot be taken back from Diesel: pass it to
/// [`install_around`](Self::install_around) to keep it.
///
/// ```
/// # use diesel::prelude::*;
/// # use relations_runtime::QueryCount;
/// let mut conn = SqliteConnection::establish(":memory:").unwrap();
/// let count = QueryCount::install(&mut conn);
/// diesel::sql_query("SELECT 1").execute(&mut conn).unwrap();
/// assert_eq!(count.get(), 1);
/// ```
#[derive(Clone, Debug, Default)]
pub struct QueryCount {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    count: AtomicUsize,
    statements: Mutex<Vec<String>>,
}

/// The connection's instrumentation while counts run: every count, and what
/// was there before, which gets every event too.
struct Counter {
    counts: Vec<Arc<Inner>>,
    around: Option<Box<dyn Instrumentation>>,
}

impl Instrumentation for Counter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = &event {
            let sql = query.to_string();
            for count in &self.counts {
                count.count.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut statements) = count.statements.lock() {
                    statements.push(sql.clone());
                }
            }
        }
        if let Some(around) = &mut self.around {
            around.on_connection_event(event);
        }
    }
}

impl QueryCount {
    /// Start counting the statements `conn` runs.
    pub fn install<C: Connection>(conn: &mut C) -> Self {
        let count = QueryCount::default();
        match conn.instrumentation().downcast_mut::<Counter>() {
            Some(counter) => count.join(counter),
            None => conn.set_instrumentation(count.counter(get_default_instrumentation())),
        }
        count
    }

    /// Start counting the statements `conn` runs, passing every event on to
    /// `instrumentation` (a logger set by hand, which `install` cannot keep).
    pub fn install_around<C: Connection>(
        conn: &mut C,
        instrumentation: impl Instrumentation,
    ) -> Self {
        let count = QueryCount::default();
        conn.set_instrumentation(count.counter(Some(Box::new(instrumentation))));
        count
    }

    /// Start counting the statements diesel-async connection `conn` runs
    /// (feature `async`).
    #[cfg(feature = "async")]
    pub fn install_async<C: diesel_async::AsyncConnection>(conn: &mut C) -> Self {
        let count = QueryCount::default();
        match conn.instrumentation().downcast_mut::<Counter>() {
            Some(counter) => count.join(counter),
            None => conn.set_instrumentation(count.counter(get_default_instrumentation())),
        }
        count
    }

    fn counter(&self, around: Option<Box<dyn Instrumentation>>) -> Counter {
        Counter {
            counts: vec![self.inner.clone()],
            around,
        }
    }

    /// Count in the counter already installed, dropping the counts nobody
    /// holds any more.
    fn join(&self, counter: &mut Counter) {
        counter.counts.retain(|c| Arc::strong_count(c) > 1);
        counter.counts.push(self.inner.clone());
    }

    /// Statements started since install (or the last [`reset`](Self::reset)).
    pub fn get(&self) -> usize {
        self.inner.count.load(Ordering::Relaxed)
    }

    /// The SQL of those statements, in order.
    pub fn statements(&self) -> Vec<String> {
        self.inner
            .statements
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// Start again from zero.
    pub fn reset(&self) {
        self.inner.count.store(0, Ordering::Relaxed);
        if let Ok(mut statements) = self.inner.statements.lock() {
            statements.clear();
        }
    }
}

/// Run `f` and assert it ran exactly `expected` statements on `conn`;
/// on a mismatch the panic lists the statements. Returns what `f` returned.
///
/// Like [`QueryCount::install`], it replaces the connection's
/// instrumentation (Diesel keeps one per connection): a logger you had set
/// with `set_instrumentation` does not run afterwards; set it again.
///
/// ```
/// # use diesel::prelude::*;
/// # use relations_runtime::assert_num_queries;
/// let mut conn = SqliteConnection::establish(":memory:").unwrap();
/// assert_num_queries(&mut conn, 0, |_conn| { /* nothing */ });
/// ```
#[track_caller]
pub fn assert_num_queries<C: Connection, T>(
    conn: &mut C,
    expected: usize,
    f: impl FnOnce(&mut C) -> T,
) -> T {
    let count = QueryCount::install(conn);
    let result = f(conn);
    count.assert_ran(expected);
    result
}

/// [`assert_num_queries`] on a diesel-async connection (feature `async`):
/// `assert_num_queries_async(conn, 2, async |conn| authors.prefetch_books_async(conn).await).await`.
#[cfg(feature = "async")]
pub async fn assert_num_queries_async<C, T>(
    conn: &mut C,
    expected: usize,
    f: impl AsyncFnOnce(&mut C) -> T,
) -> T
where
    C: diesel_async::AsyncConnection,
{
    let count = QueryCount::install_async(conn);
    let result = f(conn).await;
    count.assert_ran(expected);
    result
}

impl QueryCount {
    #[track_caller]
    fn assert_ran(&self, expected: usize) {
        let ran = self.get();
        if ran != expected {
            let statements = self.statements();
            panic!(
                "expected {expected} statement(s), {ran} ran:\n{}",
                statements
                    .iter()
                    .enumerate()
                    .map(|(i, s)| format!("  {}. {s}", i + 1))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}
