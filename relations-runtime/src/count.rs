//! Counting statements, for tests in the spirit of Django's `assertNumQueries`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::Connection;

/// Counts the statements a connection starts, from [`install`](Self::install) on.
///
/// Installing replaces the connection's instrumentation (Diesel keeps one per
/// connection), so use it on test connections.
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

struct Counter(Arc<Inner>);

impl Instrumentation for Counter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            self.0.count.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut statements) = self.0.statements.lock() {
                statements.push(query.to_string());
            }
        }
    }
}

impl QueryCount {
    /// Start counting the statements `conn` runs.
    pub fn install<C: Connection>(conn: &mut C) -> Self {
        let count = QueryCount::default();
        conn.set_instrumentation(Counter(count.inner.clone()));
        count
    }

    /// Start counting the statements diesel-async connection `conn` runs
    /// (feature `async`).
    #[cfg(feature = "async")]
    pub fn install_async<C: diesel_async::AsyncConnection>(conn: &mut C) -> Self {
        let count = QueryCount::default();
        conn.set_instrumentation(Counter(count.inner.clone()));
        count
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
