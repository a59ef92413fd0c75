//! The bounds of a refinement's `filter` and `order`: one trait each, so that
//! an expression on the wrong table is reported with a message of ours that
//! names the table to use, rather than as Diesel's `AppearsInFromClause`
//! mismatch several impls deep.

use diesel::query_dsl::methods::{FilterDsl, OrderDsl, ThenOrderDsl};

use crate::model::Model;
use crate::relation::{HasMany, ManyToMany};

/// The table the children of has-many relation `R` are loaded from.
pub(crate) type ChildTable<R> = <<R as HasMany>::Child as Model>::Table;

/// The tables a many-to-many relation's statement reads: the join table and
/// the target's.
pub(crate) type LinkTables<R> = (
    <<R as ManyToMany>::Through as Model>::Table,
    <<R as ManyToMany>::Target as Model>::Table,
);

/// A predicate that filters query `Q`, which reads `Tables`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "this filter does not apply to the rows loaded from `{Tables}`",
    label = "a filter of the loaded or counted rows is a boolean expression on the columns of `{Tables}`",
    note = "name the loaded table's columns (`books::title.eq(..)`, not `authors::name.eq(..)`); to choose the parents, filter the parents' query before the prefetch"
)]
pub trait RefineFilter<Q, Tables> {
    /// `q.filter(self)`.
    fn filter_query(self, q: Q) -> Q;
}

// Reported as `RefineFilter`, with its message, rather than as the Diesel
// bound that fails inside.
#[diagnostic::do_not_recommend]
impl<P, Q, Tables> RefineFilter<Q, Tables> for P
where
    Q: FilterDsl<P, Output = Q>,
{
    #[inline]
    fn filter_query(self, q: Q) -> Q {
        q.filter(self)
    }
}

/// An ordering of query `Q`, which reads `Tables`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "this ordering does not apply to the rows loaded from `{Tables}`",
    label = "an ordering of the loaded rows names columns of `{Tables}`",
    note = "order by the loaded table's columns (`books::title.desc()`, not `authors::name`)"
)]
pub trait RefineOrder<Q, Tables> {
    /// `q.order(self)`.
    fn order_query(self, q: Q) -> Q;
    /// `q.then_order_by(self)`.
    fn then_order_query(self, q: Q) -> Q;
}

#[diagnostic::do_not_recommend]
impl<O, Q, Tables> RefineOrder<Q, Tables> for O
where
    O: diesel::Expression,
    Q: OrderDsl<O, Output = Q> + ThenOrderDsl<O, Output = Q>,
{
    #[inline]
    fn order_query(self, q: Q) -> Q {
        q.order(self)
    }
    #[inline]
    fn then_order_query(self, q: Q) -> Q {
        q.then_order_by(self)
    }
}
