//! Top-N per parent in SQL: `ROW_NUMBER() OVER (PARTITION BY fk ORDER BY ...)`
//! around the filtered child query. Never a global `LIMIT` (Rails #15854) and
//! never all rows sliced in memory.

use std::sync::Arc;

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

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
