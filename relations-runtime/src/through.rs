//! [`PrefetchThrough`]: how one many-to-many relation is loaded — filtered on
//! the join model's or the target's columns, ordered by either.

use crate::refine::{LinkTables, RefineFilter, RefineOrder};

use crate::mode::Mode;
use crate::query::{BuildManyToMany, ManyToManyQuery, ThroughSpec};

type Refine<R, M> = Box<dyn Fn(ManyToManyQuery<R, M>) -> ManyToManyQuery<R, M>>;

/// How to load many-to-many relation `R` in mode `M` (a blocking connection,
/// or `Async<C>` for a diesel-async connection `C`): handed to the closure of
/// a generated `prefetch_<relation>_with` method, which returns it refined.
///
/// ```ignore
/// let books = books.prefetch_tags_with(conn, |tags| {
///     tags.filter(book_tags::weight.ge(8)) // a column of the join model
///         .order(tags::name)               // or of the target
/// })?;
/// ```
///
/// Without [`order`](Self::order) each parent gets its targets in the order
/// the links were made (the join model's primary key); that order is put
/// together after loading, so the database sorts nothing.
#[must_use = "return the refined `PrefetchThrough` from the closure"]
pub struct PrefetchThrough<R, M>
where
    R: BuildManyToMany<M::Backend>,
    M: Mode,
{
    refine: Refine<R, M>,
    refined: bool,
    ordered: bool,
}

impl<R, M> PrefetchThrough<R, M>
where
    R: BuildManyToMany<M::Backend>,
    M: Mode,
{
    /// Every link, in link order.
    pub fn new() -> Self {
        PrefetchThrough {
            refine: Box::new(|q| q),
            refined: false,
            ordered: false,
        }
    }

    pub(crate) fn spec(&self) -> ThroughSpec<'_, R, M::Backend> {
        ThroughSpec {
            refine: &*self.refine,
            refined: self.refined,
            ordered: self.ordered,
        }
    }
}

impl<R, M> Default for PrefetchThrough<R, M>
where
    R: BuildManyToMany<M::Backend>,
    M: Mode,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<R, M> PrefetchThrough<R, M>
where
    R: BuildManyToMany<M::Backend>,
    M: Mode,
    ManyToManyQuery<R, M>: 'static,
{
    /// Keep only the links matching `predicate`, a Diesel expression on the
    /// join model's or the target's columns. Several filters are joined with
    /// `AND`.
    pub fn filter<P>(self, predicate: P) -> Self
    where
        P: RefineFilter<ManyToManyQuery<R, M>, LinkTables<R>> + Clone + 'static,
    {
        self.refine(false, move |q| predicate.clone().filter_query(q))
    }

    /// Give each parent its targets ordered by `order` (a column of the join
    /// model or of the target) instead of in link order; ties are broken by
    /// link order. Done in SQL.
    pub fn order<O>(self, order: O) -> Self
    where
        O: RefineOrder<ManyToManyQuery<R, M>, LinkTables<R>> + Clone + 'static,
    {
        self.refine(true, move |q| order.clone().order_query(q))
    }

    /// Add an ordering after the one given with [`order`](Self::order).
    /// Without one, the targets are in link order, which is unique: nothing
    /// to add, so this does nothing.
    pub fn then_order_by<O>(self, order: O) -> Self
    where
        O: RefineOrder<ManyToManyQuery<R, M>, LinkTables<R>> + Clone + 'static,
    {
        if !self.ordered {
            return self;
        }
        self.refine(true, move |q| order.clone().then_order_query(q))
    }

    fn refine(
        self,
        orders: bool,
        step: impl Fn(ManyToManyQuery<R, M>) -> ManyToManyQuery<R, M> + 'static,
    ) -> Self {
        let before = self.refine;
        PrefetchThrough {
            refine: Box::new(move |q| step(before(q))),
            refined: true,
            ordered: self.ordered || orders,
        }
    }
}
