//! How many keys one statement may carry, per backend.
//!
//! PostgreSQL binds the whole key list as one array (`= ANY($1)`), so it has no
//! limit. SQLite and MySQL render `IN (?, ?, ...)`, one bind per key, and refuse
//! a statement above their variable limit; keys are split into chunks below it.

use std::cell::Cell;
use std::fmt;

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

    /// How many keys one statement of an unrefined load binds: the whole
    /// [`bind_limit`](Self::bind_limit), as a hand-written chunked load
    /// would. A refined load leaves room for its refinement's own binds,
    /// counted in its statement.
    fn max_keys_per_statement() -> Option<usize> {
        Self::bind_limit().map(|limit| limit.max(1))
    }

    /// The most bytes the bind parameters of one statement may take, where
    /// the server refuses larger packets and closes the connection (MySQL's
    /// `max_allowed_packet`); `None` where statements are limited by bind
    /// count only. Keys are split by size as well as by count.
    fn max_statement_bytes() -> Option<usize> {
        None
    }

    /// How an unrefined many-to-many load reads its targets on this backend:
    /// the two-step plan (the links, then the distinct targets by key) on
    /// SQLite and PostgreSQL, its adaptive variant on MariaDB (BENCHMARKS.md,
    /// issue 21).
    #[doc(hidden)]
    const MANY_TO_MANY_PLAN: crate::two_step::ManyToManyPlan =
        crate::two_step::ManyToManyPlan::TwoStep;

    /// `fragment` as Diesel's `debug_query` writes it: the SQL, then
    /// ` -- binds: [..]` with each bind's `Debug` form.
    #[doc(hidden)]
    fn debug_text(fragment: &dyn QueryFragment<Self>) -> String;

    /// The SQL of `fragment` as this backend writes it, without its binds.
    #[doc(hidden)]
    fn sql_of(fragment: &dyn QueryFragment<Self>) -> String {
        let mut text = Self::debug_text(fragment);
        // Cut at the last ` -- binds: ` marker: a bind value holding the
        // marker text moves the cut into the binds, which can only add `?`s
        // to count.
        if let Some(at) = text.rfind(" -- binds: ") {
            text.truncate(at);
        }
        text
    }

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

/// `fragment` as Diesel's `debug_query` writes it for backend `DB`. Diesel
/// writes no literal of its own, so a `?` in the SQL is a bind parameter
/// (SQLite, MySQL) or in text the user wrote (`sql(..)`).
#[cfg(any(feature = "sqlite", feature = "postgres", feature = "mysql"))]
fn debug_text<DB>(fragment: &dyn QueryFragment<DB>) -> String
where
    DB: diesel::backend::Backend + Default,
    DB::QueryBuilder: Default,
{
    diesel::debug_query::<DB, _>(&fragment).to_string()
}

#[cfg(feature = "postgres")]
impl KeyBatching for diesel::pg::Pg {
    fn bind_limit() -> Option<usize> {
        None
    }
    fn debug_text(fragment: &dyn QueryFragment<Self>) -> String {
        debug_text(fragment)
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
    fn max_statement_bytes() -> Option<usize> {
        Some(MYSQL_STATEMENT_BYTES)
    }
    /// MariaDB turns an `IN` list of 1,000 values or more into a derived
    /// table it joins by scanning (`in_predicate_conversion_threshold`).
    /// Below that many parents the join reads the parents' links by index
    /// and wins; from there, two steps, reading many targets through the
    /// parents' keys rather than by a long `IN` list of their own
    /// (BENCHMARKS.md).
    const MANY_TO_MANY_PLAN: crate::two_step::ManyToManyPlan =
        crate::two_step::ManyToManyPlan::Adaptive { join_below: 1_000 };
    fn debug_text(fragment: &dyn QueryFragment<Self>) -> String {
        debug_text(fragment)
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
    fn debug_text(fragment: &dyn QueryFragment<Self>) -> String {
        debug_text(fragment)
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
/// exercise chunking with a handful of rows. The grouping of streamed rows
/// then also decides after the first run whether the rows come clustered
/// (see `Grouper`), so that its fallback runs on a handful of rows too.
#[doc(hidden)]
pub fn override_max_keys_per_statement(max: usize) -> OverrideGuard {
    let previous = OVERRIDE.with(|o| o.replace(Some(max.max(1))));
    OverrideGuard { previous }
}

/// Whether [`override_max_keys_per_statement`] is in force on this thread.
pub(crate) fn forced_small_batches() -> bool {
    OVERRIDE.with(|o| o.get()).is_some()
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
/// # #[cfg(feature = "sqlite")] {
/// use diesel::sqlite::Sqlite;
/// // The bundled SQLite's 32,766 variables.
/// assert_eq!(relations_runtime::keys_per_statement::<Sqlite>(), Some(32_766));
/// # }
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
    K: fmt::Debug,
{
    by_size::<DB, K>(split(keys, max_keys::<DB>()), 0)
}

/// `keys` in chunks for the statements `statement` builds from a chunk: a
/// `refined` statement (one the user's refinement may have added binds to)
/// is built once for the first key, and the binds it carries besides that
/// key are taken off the backend's limit before the keys are split; so is
/// its size, where the backend limits the size of a statement. An unrefined
/// statement binds only its keys; it is counted the same way, as a guard,
/// when its keys take more than half the limit (a small load is not built
/// twice).
pub(crate) fn chunks_for<DB, K, S>(
    keys: Vec<K>,
    refined: bool,
    statement: impl FnOnce(Vec<K>) -> S,
) -> Vec<Vec<K>>
where
    DB: KeyBatching,
    K: Clone + fmt::Debug,
    S: QueryFragment<DB>,
{
    let mut max = max_keys::<DB>();
    let mut fixed_bytes = 0;
    let forced = OVERRIDE.with(|o| o.get()).is_some();
    if let (false, Some(limit), Some(first)) = (forced, DB::bind_limit(), keys.first()) {
        if !refined && keys.len() <= limit / 2 {
            return by_size::<DB, K>(split(keys, max), 0);
        }
        let one = statement(vec![first.clone()]);
        let others = DB::binds_in(&one).saturating_sub(1);
        let room = limit.saturating_sub(others).max(1);
        max = Some(max.map_or(room, |max| max.min(room)));
        if refined && DB::max_statement_bytes().is_some() {
            // The statement's text and binds, as `debug_query` writes them
            // (no shorter than what is sent): the refinement's share.
            fixed_bytes = DB::debug_text(&one).len();
        }
    }
    by_size::<DB, K>(split(keys, max), fixed_bytes)
}

/// The bytes of a statement's bind parameters that no statement exceeds on a
/// backend that refuses large packets: 90 % of 1 MiB, the smallest
/// `max_allowed_packet` any MySQL or MariaDB release since 5.5 has by
/// default (MariaDB's is 16 MiB, MySQL 8's 64 MiB). Not read from the
/// server: that would cost a statement per load, and the async loaders build
/// their statements before their first `.await`.
#[cfg(feature = "mysql")]
const MYSQL_STATEMENT_BYTES: usize = (1 << 20) / 10 * 9;

/// Split each chunk further where its keys, plus `fixed` bytes, would take
/// more than [`KeyBatching::max_statement_bytes`]. A chunk keeps at least one
/// key. Keys of a type that owns no heap data (integers, UUIDs, dates) are
/// priced by their size without looking at them.
fn by_size<DB, K>(chunks: Vec<Vec<K>>, fixed: usize) -> Vec<Vec<K>>
where
    DB: KeyBatching,
    K: fmt::Debug,
{
    let Some(budget) = DB::max_statement_bytes() else {
        return chunks;
    };
    let budget = budget.saturating_sub(fixed).max(1);
    if !std::mem::needs_drop::<K>() {
        let per_key = bind_bytes_of_plain::<K>();
        let max = (budget / per_key).max(1);
        if chunks.iter().all(|chunk| chunk.len() <= max) {
            return chunks;
        }
        return chunks
            .into_iter()
            .flat_map(|chunk| split(chunk, Some(max)))
            .collect();
    }
    let mut out = Vec::with_capacity(chunks.len());
    for chunk in chunks {
        let sizes: Vec<usize> = chunk.iter().map(bind_bytes).collect();
        if sizes.iter().sum::<usize>() <= budget {
            out.push(chunk);
            continue;
        }
        let mut current = Vec::new();
        let mut bytes = 0;
        for (key, size) in chunk.into_iter().zip(sizes) {
            if !current.is_empty() && bytes + size > budget {
                out.push(std::mem::take(&mut current));
                bytes = 0;
            }
            bytes += size;
            current.push(key);
        }
        if !current.is_empty() {
            out.push(current);
        }
    }
    out
}

/// What a bind parameter costs besides its value in MySQL's binary protocol:
/// its type (2 bytes), its bit of the null bitmap and, for a value of
/// variable length, a length prefix (up to 9 bytes); rounded up.
const BIND_OVERHEAD: usize = 12;

/// The bytes of a key of a type that owns no heap data: at most its size,
/// plus its type and its bit of the null bitmap (no length prefix).
fn bind_bytes_of_plain<K>() -> usize {
    std::mem::size_of::<K>().max(1) + 3
}

/// The bytes of `key` as a bind parameter, from above: its `Debug` form is at
/// least as long as its value (a string's adds quotes and escapes).
fn bind_bytes<K: fmt::Debug>(key: &K) -> usize {
    struct Count(usize);
    impl fmt::Write for Count {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0 += s.len();
            Ok(())
        }
    }
    let mut count = Count(0);
    let _ = fmt::write(&mut count, format_args!("{key:?}"));
    count.0.max(8) + BIND_OVERHEAD
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

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::{chunks_for, KeyBatching};
    use diesel::prelude::*;
    use diesel::sqlite::Sqlite;

    diesel::table! {
        items (id) {
            id -> Integer,
            kind -> Integer,
        }
    }

    fn lengths(chunks: &[Vec<i32>]) -> Vec<usize> {
        chunks.iter().map(Vec::len).collect()
    }

    /// An unrefined statement's keys take the whole bind limit, as a
    /// hand-written chunked load's do; a statement with binds of its own
    /// (refined or not) leaves them room in every chunk; keys stay in order.
    #[test]
    fn keys_fill_the_bind_limit_less_the_statements_own_binds() {
        let limit = Sqlite::bind_limit().expect("SQLite binds one parameter per key");
        let keys: Vec<i32> = (0..i32::try_from(2 * limit + 1).unwrap()).collect();

        let plain = |k: Vec<i32>| items::table.filter(items::id.eq_any(k));
        let chunks = chunks_for::<Sqlite, _, _>(keys.clone(), false, plain);
        assert_eq!(lengths(&chunks), [limit, limit, 1]);
        assert_eq!(chunks.concat(), keys);

        let own: Vec<i32> = (0..10).collect();
        let with_own = |k: Vec<i32>| plain(k).filter(items::kind.ne_all(own.clone()));
        for refined in [false, true] {
            let chunks = chunks_for::<Sqlite, _, _>(keys.clone(), refined, with_own);
            assert_eq!(chunks[0].len(), limit - 10, "refined: {refined}");
            assert!(chunks.iter().all(|c| c.len() + 10 <= limit));
            assert_eq!(chunks.concat(), keys);
        }

        // A load of fewer keys than half the limit is one statement, built
        // once (not counted beforehand).
        let few: Vec<i32> = (0..100).collect();
        let built = std::cell::Cell::new(0);
        let counted = |k: Vec<i32>| {
            built.set(built.get() + 1);
            plain(k)
        };
        assert_eq!(
            lengths(&chunks_for::<Sqlite, _, _>(few, false, counted)),
            [100]
        );
        assert_eq!(built.get(), 0);
    }
}
