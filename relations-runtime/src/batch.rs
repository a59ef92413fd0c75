//! How many keys one statement may carry, per backend.
//!
//! PostgreSQL binds the whole key list as one array (`= ANY($1)`), so it has no
//! limit. SQLite and MySQL render `IN (?, ?, ...)`, one bind per key, and refuse
//! a statement above their variable limit; keys are split into chunks below it.

use std::cell::Cell;

use diesel::query_builder::QueryFragment;

/// A Diesel backend that relations can load for.
///
/// Implemented for each backend whose feature is enabled on `relations-runtime`.
#[diagnostic::on_unimplemented(
    message = "relations cannot load over backend `{Self}`",
    label = "backend not enabled in relations-runtime",
    note = "enable the matching feature of relations-runtime: `sqlite`, `postgres` or `mysql`"
)]
pub trait KeyBatching: diesel::backend::Backend {
    /// How many bind parameters one statement may carry, where keys are
    /// bound one per parameter; `None` when the backend takes the whole key
    /// list as one bind (PostgreSQL).
    fn bind_limit() -> Option<usize>;

    /// How many keys one statement of an unrefined load binds: 90 % of
    /// [`bind_limit`](Self::bind_limit). A refined load leaves room for its
    /// refinement's own binds, counted in its statement.
    fn max_keys_per_statement() -> Option<usize> {
        Self::bind_limit().map(keys_share)
    }

    /// The SQL of `fragment` as this backend writes it, without its binds.
    #[doc(hidden)]
    fn sql_of(fragment: &dyn QueryFragment<Self>) -> String;

    /// How many bind parameters `statement` carries (`?` placeholders in its
    /// SQL; an overcount, never an undercount, where the text holds a `?`
    /// that is not a parameter). Only asked of backends with a
    /// [`bind_limit`](Self::bind_limit), which bind with `?`.
    #[doc(hidden)]
    fn binds_in(statement: &dyn QueryFragment<Self>) -> usize {
        Self::sql_of(statement)
            .bytes()
            .filter(|&b| b == b'?')
            .count()
    }

    /// How an unrefined has-many load gives each parent its children in
    /// primary-key order (measured in BENCHMARKS.md).
    fn child_order() -> ChildOrder {
        ChildOrder::OrderByKey
    }

    /// Whether `limit_per_parent` / `offset_per_parent` run as a
    /// `ROW_NUMBER()` window in SQL (`true`, PostgreSQL), or as the plain
    /// child query in the window's order with each parent's rows outside the
    /// window dropped while they are read (`false`, SQLite and MariaDB). Both
    /// read every child of the parents in the database and give the same rows
    /// in the same order, and neither holds more than the kept rows in memory.
    /// The window saves sending the dropped rows; SQLite's and MariaDB's
    /// windows cost more than that at 10 and at 100 children per parent,
    /// PostgreSQL's do not (measured in BENCHMARKS.md).
    fn top_n_by_window() -> bool {
        true
    }
}

/// How the children of a has-many load are put in primary-key order within
/// each parent, when the load is not refined (`.filter`, `.order`, `.query`
/// keep `ORDER BY` the primary key, and the user's order replaces it). Every
/// choice gives the same rows in the same order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildOrder {
    /// `ORDER BY` the child's primary key (MariaDB: ordering by the foreign
    /// key first made it choose a slower plan).
    OrderByKey,
    /// `ORDER BY (foreign key, primary key)`, which SQLite reads from the
    /// foreign-key index without sorting.
    OrderByForeignKeyThenKey,
    /// No `ORDER BY`; the rows are sorted by primary key in memory, where
    /// the child's key type is known to be ordered (otherwise as
    /// `OrderByKey`). PostgreSQL: ordering by the key makes it walk the
    /// primary-key index over the whole table instead of scanning it.
    InMemory,
}

/// The share of the bind limit an unrefined statement's keys use: 90 %.
fn keys_share(limit: usize) -> usize {
    (limit - limit / 10).max(1)
}

/// The SQL of `fragment` as backend `DB` writes it. Diesel writes no literal
/// of its own, so a `?` in it is a bind parameter (SQLite, MySQL) or in text
/// the user wrote (`sql(..)`).
fn sql_of<DB>(fragment: &dyn QueryFragment<DB>) -> String
where
    DB: diesel::backend::Backend + Default,
    DB::QueryBuilder: Default,
{
    let mut text = diesel::debug_query::<DB, _>(&fragment).to_string();
    // `debug_query` writes the SQL, then ` -- binds: [..]`. Cut at the last
    // such marker: a bind value holding the marker text moves the cut into
    // the binds, which can only add `?`s to count.
    if let Some(at) = text.rfind(" -- binds: ") {
        text.truncate(at);
    }
    text
}

#[cfg(feature = "postgres")]
impl KeyBatching for diesel::pg::Pg {
    fn bind_limit() -> Option<usize> {
        None
    }
    fn sql_of(fragment: &dyn QueryFragment<Self>) -> String {
        sql_of(fragment)
    }
    fn child_order() -> ChildOrder {
        ChildOrder::InMemory
    }
}

/// MySQL and MariaDB allow 65,535 placeholders in a prepared statement.
#[cfg(feature = "mysql")]
impl KeyBatching for diesel::mysql::Mysql {
    fn bind_limit() -> Option<usize> {
        Some(65_535)
    }
    fn sql_of(fragment: &dyn QueryFragment<Self>) -> String {
        sql_of(fragment)
    }
    fn top_n_by_window() -> bool {
        false
    }
}

#[cfg(feature = "sqlite")]
impl KeyBatching for diesel::sqlite::Sqlite {
    fn bind_limit() -> Option<usize> {
        Some(sqlite::variable_limit())
    }
    fn sql_of(fragment: &dyn QueryFragment<Self>) -> String {
        sql_of(fragment)
    }
    fn child_order() -> ChildOrder {
        ChildOrder::OrderByForeignKeyThenKey
    }
    fn top_n_by_window() -> bool {
        false
    }
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use std::sync::OnceLock;

    /// The variable limit of the SQLite library linked into this program
    /// (`sqlite3_limit(db, SQLITE_LIMIT_VARIABLE_NUMBER, -1)`), read once from a
    /// private in-memory database. Diesel opens its connections with the
    /// library's default limits, so this is the limit they run under.
    pub(super) fn variable_limit() -> usize {
        static LIMIT: OnceLock<usize> = OnceLock::new();
        *LIMIT.get_or_init(read_limit)
    }

    /// SQLite's limit before 3.32, the lowest any SQLite applies by default.
    const OLD_DEFAULT: usize = 999;

    fn read_limit() -> usize {
        use libsqlite3_sys as ffi;
        let mut db: *mut ffi::sqlite3 = std::ptr::null_mut();
        // SAFETY: a private connection, opened and closed here; `db` is only
        // used between a successful open and the close.
        unsafe {
            let rc = ffi::sqlite3_open_v2(
                c":memory:".as_ptr(),
                &mut db,
                ffi::SQLITE_OPEN_READWRITE | ffi::SQLITE_OPEN_CREATE,
                std::ptr::null(),
            );
            let limit = if rc == ffi::SQLITE_OK {
                ffi::sqlite3_limit(db, ffi::SQLITE_LIMIT_VARIABLE_NUMBER, -1)
            } else {
                -1
            };
            ffi::sqlite3_close(db);
            usize::try_from(limit)
                .ok()
                .filter(|&n| n > 0)
                .unwrap_or(OLD_DEFAULT)
        }
    }
}

thread_local! {
    static OVERRIDE: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Force a chunk size on this thread until the guard drops, so tests can
/// exercise chunking with a handful of rows.
#[doc(hidden)]
pub fn override_max_keys_per_statement(max: usize) -> OverrideGuard {
    let previous = OVERRIDE.with(|o| o.replace(Some(max.max(1))));
    OverrideGuard { previous }
}

#[doc(hidden)]
pub struct OverrideGuard {
    previous: Option<usize>,
}

impl Drop for OverrideGuard {
    fn drop(&mut self) {
        OVERRIDE.with(|o| o.set(self.previous));
    }
}

/// How many keys one unrefined prefetch statement carries on backend `DB`:
/// `None` when all keys go in one statement (PostgreSQL). A prefetch over `n`
/// distinct keys runs `n.div_ceil(max)` statements. A refined one
/// (`prefetch_*_with`) carries fewer where its refinement binds values of its
/// own: the keys get what those leave of [`KeyBatching::bind_limit`].
///
/// ```
/// use diesel::sqlite::Sqlite;
/// // 90 % of the bundled SQLite's 32,766 variables.
/// assert_eq!(relations_runtime::keys_per_statement::<Sqlite>(), Some(29_490));
/// ```
pub fn keys_per_statement<DB: KeyBatching>() -> Option<usize> {
    max_keys::<DB>()
}

/// The chunk size to use for backend `DB` on this thread.
pub(crate) fn max_keys<DB: KeyBatching>() -> Option<usize> {
    OVERRIDE
        .with(|o| o.get())
        .or_else(DB::max_keys_per_statement)
}

/// `keys` in chunks of at most the backend's limit (one chunk when there is
/// no limit or the keys fit), in order.
pub(crate) fn chunks<DB, K>(keys: Vec<K>) -> Vec<Vec<K>>
where
    DB: KeyBatching,
{
    split(keys, max_keys::<DB>())
}

/// `keys` in chunks for the statements `statement` builds from a chunk: a
/// `refined` statement (one the user's refinement may have added binds to)
/// is built once for the first key, and the binds it carries besides that
/// key are taken off the backend's limit before the keys are split.
pub(crate) fn chunks_for<DB, K, S>(
    keys: Vec<K>,
    refined: bool,
    statement: impl FnOnce(Vec<K>) -> S,
) -> Vec<Vec<K>>
where
    DB: KeyBatching,
    K: Clone,
    S: QueryFragment<DB>,
{
    let mut max = max_keys::<DB>();
    let forced = OVERRIDE.with(|o| o.get()).is_some();
    if let (true, false, Some(limit), Some(first)) =
        (refined, forced, DB::bind_limit(), keys.first())
    {
        let others = DB::binds_in(&statement(vec![first.clone()])).saturating_sub(1);
        let room = limit.saturating_sub(others).max(1);
        max = Some(max.map_or(room, |max| max.min(room)));
    }
    split(keys, max)
}

fn split<K>(keys: Vec<K>, max: Option<usize>) -> Vec<Vec<K>> {
    match max {
        Some(max) if keys.len() > max => {
            let mut chunks = Vec::with_capacity(keys.len().div_ceil(max));
            let mut keys = keys.into_iter();
            loop {
                let chunk: Vec<K> = keys.by_ref().take(max).collect();
                if chunk.is_empty() {
                    break;
                }
                chunks.push(chunk);
            }
            chunks
        }
        _ => vec![keys],
    }
}
