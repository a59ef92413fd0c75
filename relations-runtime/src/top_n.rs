//! Top-N per parent: `ROW_NUMBER() OVER (PARTITION BY fk ORDER BY ...)` around
//! the filtered child query, or (SQLite, MariaDB: see
//! `KeyBatching::top_n_by_window`) the same rows cut from the child query in
//! the window's order while they are read. Never a global `LIMIT` (Rails #15854), and never every child held in
//! memory: only the rows kept are.

use std::sync::Arc;

use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

use crate::prefetch::FastMap;
use crate::query::KeyOf;
use crate::relation::HasMany;

/// One term of an `ORDER BY`, kept as SQL so it can be written into the
/// window clause as well as the outer query.
pub(crate) type OrderTerm<DB> = Arc<dyn QueryFragment<DB> + Send + Sync>;

/// ```sql
/// SELECT <selection> FROM (
///     SELECT t.*, ROW_NUMBER() OVER (PARTITION BY <fk> ORDER BY <order>) AS __relations_rn
///     FROM (<inner>) AS t
/// ) AS t WHERE __relations_rn > <offset> AND __relations_rn <= <offset + limit>
/// ORDER BY <order>
/// ```
/// where `t` is the child table's own name, so the selection and the order
/// terms, which name `t`'s columns, read the derived tables unchanged.
pub struct TopN<Inner, Table, Fk, Selection, DB: Backend> {
    pub(crate) inner: Inner,
    pub(crate) table: Table,
    pub(crate) partition_by: Fk,
    pub(crate) selection: Selection,
    pub(crate) order: Vec<OrderTerm<DB>>,
    /// Rows skipped per parent.
    pub(crate) offset: u32,
    /// Rows kept per parent after the offset; `None` for all.
    pub(crate) limit: Option<u32>,
}

impl<Inner, Table, Fk, Selection, DB> TopN<Inner, Table, Fk, Selection, DB>
where
    DB: Backend,
{
    fn walk_order<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()> {
        for (i, term) in self.order.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            term.walk_ast(out.reborrow())?;
        }
        Ok(())
    }
}

impl<Inner, Table, Fk, Selection, DB> QueryFragment<DB> for TopN<Inner, Table, Fk, Selection, DB>
where
    DB: Backend,
    Inner: QueryFragment<DB>,
    Table: QueryFragment<DB>,
    Fk: QueryFragment<DB>,
    Selection: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        // Each statement has its own keys (and often its own key count).
        out.unsafe_to_cache_prepared();
        out.push_sql("SELECT ");
        self.selection.walk_ast(out.reborrow())?;
        out.push_sql(" FROM (SELECT ");
        self.table.walk_ast(out.reborrow())?;
        out.push_sql(".*, ROW_NUMBER() OVER (PARTITION BY ");
        self.partition_by.walk_ast(out.reborrow())?;
        out.push_sql(" ORDER BY ");
        self.walk_order(&mut out)?;
        out.push_sql(") AS __relations_rn FROM (");
        self.inner.walk_ast(out.reborrow())?;
        out.push_sql(") AS ");
        self.table.walk_ast(out.reborrow())?;
        out.push_sql(") AS ");
        self.table.walk_ast(out.reborrow())?;
        // Integers this crate owns, not user input: written as literals so
        // they do not take bind parameters from the keys.
        out.push_sql(" WHERE __relations_rn > ");
        out.push_sql(&self.offset.to_string());
        if let Some(limit) = self.limit {
            out.push_sql(" AND __relations_rn <= ");
            out.push_sql(&(u64::from(self.offset) + u64::from(limit)).to_string());
        }
        out.push_sql(" ORDER BY ");
        self.walk_order(&mut out)?;
        Ok(())
    }
}

impl<Inner, Table, Fk, Selection, DB: Backend> QueryId for TopN<Inner, Table, Fk, Selection, DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Inner, Table, Fk, Selection, DB> Query for TopN<Inner, Table, Fk, Selection, DB>
where
    DB: Backend,
    Selection: diesel::Expression,
{
    type SqlType = Selection::SqlType;
}

impl<Inner, Table, Fk, Selection, DB: Backend, Conn> RunQueryDsl<Conn>
    for TopN<Inner, Table, Fk, Selection, DB>
{
}

/// Whether every term of a window's `order` is a plain column that
/// `selection` selects, so the window, which reads the child query as a
/// derived table, can see it. A term that is not (another column, an
/// expression, a column written differently) makes the loader cut rows in
/// memory instead: the same rows, from the plain child query.
pub(crate) fn orders_by_selected<DB: crate::batch::KeyBatching>(
    order: &[OrderTerm<DB>],
    selection: &dyn QueryFragment<DB>,
) -> bool {
    let selection = DB::sql_of(selection);
    let selected: Vec<&str> = selection.split(", ").collect();
    order.iter().all(|term| {
        let sql = DB::sql_of(&**term);
        let mut column = sql.as_str();
        for suffix in [" NULLS FIRST", " NULLS LAST", " DESC", " ASC"] {
            column = column.strip_suffix(suffix).unwrap_or(column);
        }
        is_plain_column(column) && selected.contains(&column)
    })
}

/// `"table"."column"` (PostgreSQL's quoting), and nothing else. A column of
/// a table in a named schema (`"library"."books"."title"`, as `diesel
/// print-schema --schema` writes it) is not: the window's derived tables
/// take the table's name as their alias, which cannot carry a schema, so
/// such a table runs as the cut.
fn is_plain_column(sql: &str) -> bool {
    let parts: Vec<&str> = sql.split('.').collect();
    parts.len() == 2
        && parts.iter().all(|p| {
            p.len() >= 2
                && p.starts_with('"')
                && p.ends_with('"')
                && !p[1..p.len() - 1].contains('"')
        })
}

/// The order of a top-N window as an `ORDER BY` for the plain child query:
/// the terms given to `Prefetch::order`, then the primary key.
///
/// Each term was checked against the child table when it was given (its
/// `OrderDsl` bound), so it may be put on that table's query here.
pub struct OrderTerms<DB: Backend>(pub(crate) Vec<OrderTerm<DB>>);

impl<DB: Backend> Expression for OrderTerms<DB> {
    type SqlType = diesel::expression::expression_types::NotSelectable;
}

impl<DB: Backend, QS> AppearsOnTable<QS> for OrderTerms<DB> {}

impl<DB: Backend> QueryFragment<DB> for OrderTerms<DB> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        for (i, term) in self.0.iter().enumerate() {
            if i > 0 {
                out.push_sql(", ");
            }
            term.walk_ast(out.reborrow())?;
        }
        Ok(())
    }
}

impl<DB: Backend> QueryId for OrderTerms<DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

/// Keeps, of the rows of a child query in the window's order, each parent's
/// rows `offset..offset + limit`: the window of `limit_per_parent`, applied
/// while the rows are read.
pub(crate) struct Cut<R: HasMany> {
    /// Rows seen so far per parent key; every key asked for starts at 0.
    seen: FastMap<KeyOf<R::Parent>, u32>,
    offset: u32,
    end: Option<u64>,
    rows: Vec<R::Child>,
    /// A row came back whose key is none of the keys asked for.
    stray: bool,
}

impl<R: HasMany> Cut<R> {
    pub(crate) fn new(offset: u32, limit: Option<u32>, keys: &[KeyOf<R::Parent>]) -> Self {
        Cut {
            seen: keys.iter().map(|k| (k.clone(), 0)).collect(),
            offset,
            end: limit.map(|l| u64::from(offset) + u64::from(l)),
            rows: Vec::new(),
            stray: false,
        }
    }

    /// The next row; kept if it is inside its parent's window.
    pub(crate) fn push(&mut self, child: R::Child) {
        let Some(key) = R::foreign_key(&child) else {
            return;
        };
        let Some(seen) = self.seen.get_mut(key) else {
            // Returned for a key equal to its own only under the database's
            // collation: its parent, and so its rank, is not known here.
            self.stray = true;
            return;
        };
        *seen += 1;
        let rank = *seen;
        if rank > self.offset && self.end.is_none_or(|end| u64::from(rank) <= end) {
            self.rows.push(child);
        }
    }

    /// The kept rows; `None` when a row's parent could not be told, and the
    /// window must be applied once the database has matched it.
    pub(crate) fn into_rows(self) -> Option<Vec<R::Child>> {
        (!self.stray).then_some(self.rows)
    }
}

#[cfg(all(test, feature = "postgres"))]
mod tests {
    use std::sync::Arc;

    use diesel::pg::Pg;
    use diesel::prelude::*;

    use super::{orders_by_selected, OrderTerm};

    diesel::table! { books (id) { id -> Integer, author_id -> Integer, title -> Text, rank -> Integer, } }
    diesel::table! { library.shelved (id) { id -> Integer, title -> Text, rank -> Integer, } }

    #[derive(Queryable, Selectable)]
    #[diesel(table_name = shelved)]
    #[allow(dead_code)]
    struct Shelved {
        id: i32,
        title: String,
    }

    #[derive(Queryable, Selectable)]
    #[diesel(table_name = books)]
    #[allow(dead_code)]
    struct Book {
        id: i32,
        author_id: i32,
        title: String,
    }

    fn term<T: diesel::query_builder::QueryFragment<Pg> + Send + Sync + 'static>(
        t: T,
    ) -> OrderTerm<Pg> {
        Arc::new(t)
    }

    #[test]
    fn the_window_is_kept_for_selected_columns_only() {
        let selection = Book::as_select();
        let selected = |order: Vec<OrderTerm<Pg>>| orders_by_selected::<Pg>(&order, &selection);
        // The model's own columns, in either direction: the window.
        assert!(selected(vec![term(books::title.desc()), term(books::id)]));
        assert!(selected(vec![term(books::title.asc()), term(books::id)]));
        assert!(selected(vec![
            term(books::title.desc().nulls_last()),
            term(books::id)
        ]));
        // A column the model does not select, or an expression: the cut.
        assert!(!selected(vec![term(books::rank.desc()), term(books::id)]));
        assert!(!selected(vec![
            term(books::title.concat("x")),
            term(books::id)
        ]));
        assert!(!selected(vec![
            term((books::id + 1).desc()),
            term(books::id)
        ]));
    }

    /// A table in a named schema (`diesel print-schema --schema`) runs as
    /// the cut: the window's alias cannot carry the schema.
    #[test]
    fn a_schema_qualified_table_runs_as_the_cut() {
        let selection = Shelved::as_select();
        let selected = |order: Vec<OrderTerm<Pg>>| orders_by_selected::<Pg>(&order, &selection);
        assert!(!selected(vec![
            term(shelved::title.desc()),
            term(shelved::id)
        ]));
    }
}
