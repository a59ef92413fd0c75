//! `select_related`: a belongs-to relation loaded in the same statement as its
//! children, with a join (Django's `select_related`).

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::dsl::{AsSelect, IntoBoxed, Select};
use diesel::expression::AsExpression;
use diesel::internal::table_macro::{FromClause, Inner, Join, JoinOn, LeftOuter, SelectStatement};
use diesel::query_dsl::methods::{
    BoxedDsl, FilterDsl, LimitDsl, OffsetDsl, OrFilterDsl, OrderDsl, SelectDsl, ThenOrderDsl,
};
use diesel::query_dsl::{InternalJoinDsl, LoadQuery};
use diesel::query_source::{QuerySource, TableNotEqual};
use diesel::sql_types::SqlType;
use diesel::{dsl, Connection, Expression, ExpressionMethods, NullableExpressionMethods};
use diesel::{Selectable, SelectableHelper, Table};

use crate::error::{Error, Result};
use crate::model::Model;
use crate::query::{ParentOf, PrimaryKeyColumns};
use crate::relation::{BelongsTo, HasMany, Relation};
use crate::with::With;

/// A belongs-to relation that can be joined: the derive implements it for
/// every forward relation key, with an inner join for a `NOT NULL` foreign key
/// and a left join for a nullable one. It says only how the two tables join;
/// [`BuildJoin`] builds the statement, once for all relations.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be joined: `select_related` takes a forward (belongs-to) relation",
    label = "not a forward relation that can be joined",
    note = "a has-many relation would repeat each parent once per child in a join, and a self-referential foreign key cannot be joined without an alias: load those with their `prefetch_*` method (one extra query)"
)]
pub trait JoinBelongsTo: BelongsTo {
    /// Diesel's join kind: `Inner` for a `NOT NULL` foreign key, `LeftOuter`
    /// for a nullable one. It also decides the `ON` clause ([`JoinOnKey`]).
    type Kind;
}

/// The `ON` clause of a join of kind `Self` from foreign-key column `Fk` to
/// the parent's primary-key column `Pk`: `fk = pk` for an inner join, and for
/// a left join (a nullable foreign key) `fk = pk` with `pk` made nullable.
pub trait JoinOnKey<Fk, Pk>: Default {
    /// `fk = pk`.
    type On;
    /// `fk = pk`.
    fn on(fk: Fk, pk: Pk) -> Self::On;
}

impl<Fk, Pk> JoinOnKey<Fk, Pk> for Inner
where
    Fk: ExpressionMethods,
    Fk::SqlType: SqlType,
    Pk: AsExpression<Fk::SqlType>,
{
    type On = dsl::Eq<Fk, Pk>;

    #[inline]
    fn on(fk: Fk, pk: Pk) -> Self::On {
        fk.eq(pk)
    }
}

impl<Fk, Pk> JoinOnKey<Fk, Pk> for LeftOuter
where
    Fk: ExpressionMethods,
    Fk::SqlType: SqlType,
    Pk: NullableExpressionMethods,
    dsl::Nullable<Pk>: AsExpression<Fk::SqlType>,
{
    type On = dsl::Eq<Fk, dsl::Nullable<Pk>>;

    #[inline]
    fn on(fk: Fk, pk: Pk) -> Self::On {
        fk.eq(pk.nullable())
    }
}

/// `FROM left <kind> JOIN right ON on`: Diesel's statement for a join.
pub(crate) type Joined<Left, Right, Kind, OnClause> =
    SelectStatement<FromClause<JoinOn<Join<Left, Right, Kind>, OnClause>>>;

/// The join of two tables on `on`; shared by joins and many-to-many loads.
#[inline]
pub(crate) fn join<Left, Right, Kind, OnClause>(on: OnClause) -> Joined<Left, Right, Kind, OnClause>
where
    Left: Table
        + Default
        + InternalJoinDsl<Right, Kind, OnClause, Output = Joined<Left, Right, Kind, OnClause>>,
    Right: Table + Default,
    Kind: Default,
    JoinOn<Join<Left, Right, Kind>, OnClause>: QuerySource,
{
    Left::default().join(Right::default(), Kind::default(), on)
}

/// The child of forward relation `R`: its `Owner`, in the form the compiler
/// normalizes it to.
type ChildOf<R> = <<R as BelongsTo>::Reverse as HasMany>::Child;
type ChildTable<R> = <ChildOf<R> as Model>::Table;
type ParentTable<R> = <ParentOf<R> as Model>::Table;
type JoinSelection<R, DB> = (
    AsSelect<ChildOf<R>, DB>,
    AsSelect<<R as Relation>::Value, DB>,
);
type FkColumn<R> = <<R as BelongsTo>::Reverse as HasMany>::Column;
type PkColumn<R> = PrimaryKeyColumns<ParentOf<R>>;
type OnClause<R> = <<R as JoinBelongsTo>::Kind as JoinOnKey<FkColumn<R>, PkColumn<R>>>::On;
type JoinStatement<R> =
    Joined<ChildTable<R>, ParentTable<R>, <R as JoinBelongsTo>::Kind, OnClause<R>>;

/// The join of forward relation `Self` over backend `DB`:
/// `SELECT <child>, <parent> FROM child INNER|LEFT JOIN parent ON fk = pk`,
/// boxed, so `.filter()`/`.order()` on it may name either table's columns.
/// Blanket-implemented for every [`JoinBelongsTo`] whose tables Diesel can
/// join, so it is type-checked only where a join is loaded.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be joined over backend `{DB}`",
    label = "its join query does not type-check for this backend",
    note = "both tables must be listed in `diesel::allow_tables_to_appear_in_same_query!` (diesel print-schema writes it)"
)]
pub trait BuildJoin<DB: Backend>: JoinBelongsTo {
    /// The boxed join.
    type Query;
    /// The join.
    fn join_query() -> Self::Query;
}

impl<R, DB> BuildJoin<DB> for R
where
    DB: Backend,
    R: JoinBelongsTo,
    // What `allow_tables_to_appear_in_same_query!` implements; first, so that
    // a missing one is reported with Diesel's hint to add it.
    ChildTable<R>: TableNotEqual<ParentTable<R>>,
    ParentTable<R>: TableNotEqual<ChildTable<R>>,
    ChildOf<R>: Selectable<DB>,
    R::Value: Selectable<DB>,
    JoinSelection<R, DB>: Expression,
    R::Kind: JoinOnKey<FkColumn<R>, PkColumn<R>>,
    PkColumn<R>: Default,
    ChildTable<R>: InternalJoinDsl<ParentTable<R>, R::Kind, OnClause<R>, Output = JoinStatement<R>>,
    JoinOn<Join<ChildTable<R>, ParentTable<R>, R::Kind>, OnClause<R>>: QuerySource,
    JoinStatement<R>: SelectDsl<JoinSelection<R, DB>>,
    Select<JoinStatement<R>, JoinSelection<R, DB>>: BoxedDsl<'static, DB>,
{
    type Query = IntoBoxed<'static, Select<JoinStatement<R>, JoinSelection<R, DB>>, DB>;

    #[inline]
    fn join_query() -> Self::Query {
        let on = R::Kind::on(FkColumn::<R>::default(), PkColumn::<R>::default());
        let join = join::<ChildTable<R>, ParentTable<R>, R::Kind, OnClause<R>>(on);
        let select = join.select((
            <ChildOf<R> as SelectableHelper<DB>>::as_select(),
            <R::Value as SelectableHelper<DB>>::as_select(),
        ));
        select.internal_into_boxed()
    }
}

/// The boxed join query of forward relation `R` over backend `DB`.
pub type JoinQuery<R, DB> = <R as BuildJoin<DB>>::Query;

/// Loads each child together with its parent in one statement, with a join
/// (Django's `select_related`): `select_related(BookAuthor).load(conn)` gives
/// `Vec<With<Book, BookAuthor>>`.
///
/// Only forward relations can be joined: loading a join of a has-many relation
/// is a compile error (load it with its `prefetch_*` method). Both tables must
/// be listed in `diesel::allow_tables_to_appear_in_same_query!`, as
/// `diesel print-schema` writes them.
pub fn select_related<R: JoinBelongsTo>(_relation: R) -> SelectRelated<R> {
    SelectRelated {
        relation: PhantomData,
    }
}

/// A join of relation `R`, made by [`select_related`].
#[must_use = "a query does nothing until it is loaded"]
pub struct SelectRelated<R> {
    relation: PhantomData<fn() -> R>,
}

impl<R> SelectRelated<R> {
    /// [`select_related`] without a value of the key.
    pub(crate) fn new() -> Self {
        SelectRelated {
            relation: PhantomData,
        }
    }
}

impl<R: JoinBelongsTo> SelectRelated<R> {
    /// Run the join: one statement.
    pub fn load<C>(self, conn: &mut C) -> Result<Vec<With<<R as Relation>::Owner, R>>>
    where
        C: Connection,
        R: BuildJoin<C::Backend>,
        JoinQuery<R, C::Backend>:
            LoadQuery<'static, C, (<R as Relation>::Owner, <R as Relation>::Value)>,
    {
        self.load_with(conn, |q| q)
    }

    /// Run the join after refining it with Diesel's query DSL: filter or order
    /// on either table's columns, limit, offset.
    ///
    /// ```ignore
    /// select_related(BookAuthor)
    ///     .load_with(conn, |q| q.filter(authors::name.eq("Ursula")).order(books::title))?
    /// ```
    pub fn load_with<C, Q>(
        self,
        conn: &mut C,
        refine: impl FnOnce(JoinQuery<R, C::Backend>) -> Q,
    ) -> Result<Vec<With<<R as Relation>::Owner, R>>>
    where
        C: Connection,
        R: BuildJoin<C::Backend>,
        Q: LoadQuery<'static, C, (<R as Relation>::Owner, <R as Relation>::Value)>,
    {
        let rows: Vec<(<R as Relation>::Owner, <R as Relation>::Value)> = refine(R::join_query())
            .load(conn)
            .map_err(|e| Error::database(<R as Relation>::NAME, e))?;
        Ok(rows
            .into_iter()
            .map(|(child, parent)| With::new(child, parent))
            .collect())
    }
}

/// The join of forward relation `R` over backend `DB`, as the refinement
/// closure of a shape's `load_joined` receives and returns it: Diesel's
/// `filter`, `or_filter`, `order`, `then_order_by`, `limit` and `offset`, on
/// either table's columns.
///
/// A wrapper rather than the boxed query itself: its type has no lifetime,
/// so a future that holds the closure can be shown `Send` (rustc cannot see
/// through a closure over `BoxedSelectStatement<'static, ..>` there).
#[must_use = "return the refined join from the closure"]
pub struct JoinRefinement<R: BuildJoin<DB>, DB: Backend>(JoinQuery<R, DB>);

impl<R: BuildJoin<DB>, DB: Backend> JoinRefinement<R, DB> {
    /// The whole join, unrefined.
    pub fn all() -> Self {
        JoinRefinement(R::join_query())
    }

    /// The refined query.
    pub(crate) fn into_query(self) -> JoinQuery<R, DB> {
        self.0
    }

    /// `WHERE .. AND predicate`: Diesel's `filter`.
    pub fn filter<P>(self, predicate: P) -> Self
    where
        JoinQuery<R, DB>: FilterDsl<P, Output = JoinQuery<R, DB>>,
    {
        JoinRefinement(self.0.filter(predicate))
    }

    /// `WHERE .. OR predicate`: Diesel's `or_filter`.
    pub fn or_filter<P>(self, predicate: P) -> Self
    where
        JoinQuery<R, DB>: OrFilterDsl<P, Output = JoinQuery<R, DB>>,
    {
        JoinRefinement(self.0.or_filter(predicate))
    }

    /// `ORDER BY order`: Diesel's `order`.
    pub fn order<O>(self, order: O) -> Self
    where
        O: Expression,
        JoinQuery<R, DB>: OrderDsl<O, Output = JoinQuery<R, DB>>,
    {
        JoinRefinement(self.0.order(order))
    }

    /// Add an ordering after the current one: Diesel's `then_order_by`.
    pub fn then_order_by<O>(self, order: O) -> Self
    where
        O: Expression,
        JoinQuery<R, DB>: ThenOrderDsl<O, Output = JoinQuery<R, DB>>,
    {
        JoinRefinement(self.0.then_order_by(order))
    }

    /// `LIMIT limit`: Diesel's `limit`.
    pub fn limit(self, limit: i64) -> Self
    where
        JoinQuery<R, DB>: LimitDsl<Output = JoinQuery<R, DB>>,
    {
        JoinRefinement(self.0.limit(limit))
    }

    /// `OFFSET offset`: Diesel's `offset`.
    pub fn offset(self, offset: i64) -> Self
    where
        JoinQuery<R, DB>: OffsetDsl<Output = JoinQuery<R, DB>>,
    {
        JoinRefinement(self.0.offset(offset))
    }
}
