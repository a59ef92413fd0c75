//! `MAX`, `MIN` and `SUM` of a child column per parent, without loading the
//! children: `SELECT fk, MAX(col) .. WHERE fk IN (..) GROUP BY fk`, per chunk
//! of keys off PostgreSQL, with the keys handled as the loaders and counts
//! handle them.
//!
//! The aggregate expressions are this module's own (`Max(books::year)`):
//! Diesel's `max`/`sum` result types are projections that a generic impl
//! cannot name.

use std::marker::PhantomData;
use std::sync::Arc;

use diesel::backend::Backend;
use diesel::dsl::{EqAny, GroupBy, Select, SqlTypeOf};
use diesel::expression::is_aggregate::Yes;
use diesel::expression::{AppearsOnTable, AsExpression, SelectableExpression, ValidGrouping};
use diesel::internal::table_macro::{BoxedSelectStatement, FromClause};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::query_dsl::methods::{BoxedDsl, FilterDsl, GroupByDsl, SelectDsl};
use diesel::query_dsl::LoadQuery;
use diesel::sql_types::{
    BigInt, Bool, Double, Float, Foldable, Integer, IntoNullable, Nullable, SingleValue, SmallInt,
    Text,
};
use diesel::{Connection, Expression, ExpressionMethods, QueryResult, RunQueryDsl};

use crate::aggregate::{counted_with, row_key_of, KeyColumn};
use crate::batch::{chunks_for, KeyBatching};
use crate::error::Result;
use crate::model::{Model, Node, Nodes};
use crate::prefetch::{find_owner_keys, group_rows, Rows};
use crate::query::{run_all, KeyOf, LoadByKeys};
use crate::refine::{ChildTable, RefineFilter};
use crate::relation::{HasMany, Relation};
use crate::spec::RelationName;
use crate::with::{Get, With};

macro_rules! aggregate_expression {
    ($(#[$doc:meta])* $name:ident, $sql:literal, $sql_type:ty, $combine:expr, $($bound:tt)*) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name<Col>(pub Col);

        impl<Col: Expression> Expression for $name<Col>
        where
            SqlTypeOf<Col>: SingleValue,
            $($bound)*
            $sql_type: SingleValue,
        {
            type SqlType = $sql_type;
        }

        impl<Col: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for $name<Col> {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
                out.push_sql(concat!($sql, "("));
                self.0.walk_ast(out.reborrow())?;
                out.push_sql(")");
                Ok(())
            }
        }

        impl<Col> QueryId for $name<Col> {
            type QueryId = ();
            const HAS_STATIC_QUERY_ID: bool = false;
        }

        impl<Col, GB> ValidGrouping<GB> for $name<Col> {
            type IsAggregate = Yes;
        }

        impl<Col: AppearsOnTable<QS>, QS> AppearsOnTable<QS> for $name<Col> where Self: Expression {}

        impl<Col: SelectableExpression<QS>, QS> SelectableExpression<QS> for $name<Col> where
            Self: AppearsOnTable<QS>
        {
        }

        impl<Col: diesel::Column> ColumnAggregate for $name<Col>
        where
            Self: Expression,
        {
            type Column = Col;
            const FUNCTION: &'static str = $sql;
            fn combine<T: PartialOrd + std::ops::Add<Output = T>>(values: Vec<Option<T>>) -> Option<T> {
                let combine: fn(T, T) -> T = $combine;
                values.into_iter().flatten().reduce(combine)
            }
        }
    };
}

aggregate_expression!(
    /// `MAX(col)`: the largest value of a child column per parent (`None`
    /// where the parent has no child, or only NULLs).
    Max, "MAX", <SqlTypeOf<Col> as IntoNullable>::Nullable,
    |a, b| if b > a { b } else { a },
    SqlTypeOf<Col>: IntoNullable,
);
aggregate_expression!(
    /// `MIN(col)`: the smallest value of a child column per parent.
    Min, "MIN", <SqlTypeOf<Col> as IntoNullable>::Nullable,
    |a, b| if b < a { b } else { a },
    SqlTypeOf<Col>: IntoNullable,
);
aggregate_expression!(
    /// `SUM(col)`: the sum of a child column per parent, of SQL's sum type
    /// (`BIGINT` for an `INTEGER` column); `None` where there is no child.
    Sum, "SUM", <SqlTypeOf<Col> as Foldable>::Sum,
    |a, b| a + b,
    SqlTypeOf<Col>: Foldable,
);

/// An aggregate of one child column: [`Max`], [`Min`] or [`Sum`].
pub trait ColumnAggregate: Expression {
    /// The aggregated column.
    type Column: diesel::Column;
    /// `MAX`, `MIN`, `SUM`: part of the value's name in `Debug` and JSON.
    const FUNCTION: &'static str;
    /// One value from the values of several rows of one parent (a key the
    /// database groups apart but matches to one parent).
    #[doc(hidden)]
    fn combine<T: PartialOrd + std::ops::Add<Output = T>>(values: Vec<Option<T>>) -> Option<T>;
}

/// The Rust value of an aggregate of SQL type `Self`: `Option` of the
/// column's Rust type (`Option<i32>` for `MAX` of an `INTEGER`, `Option<i64>`
/// for its `SUM`).
#[diagnostic::on_unimplemented(
    message = "no Rust type is known for an aggregate of SQL type `{Self}`",
    label = "aggregates give `SMALLINT`, `INTEGER`, `BIGINT`, `REAL`, `DOUBLE`, `TEXT` or `BOOLEAN` values here",
    note = "`SUM` of a `BIGINT` column and `AVG` give `NUMERIC`, which needs a decimal type; not supported yet"
)]
pub trait AggregateValue {
    /// `Option<i32>`, `Option<i64>`, ...
    type Rust: Clone + PartialOrd + Send + 'static;
    /// The value's inner type.
    #[doc(hidden)]
    type Inner: PartialOrd + std::ops::Add<Output = Self::Inner>;
    #[doc(hidden)]
    fn into_option(self_: Self::Rust) -> Option<Self::Inner>;
    #[doc(hidden)]
    fn from_option(value: Option<Self::Inner>) -> Self::Rust;
}

macro_rules! aggregate_values {
    ($($sql:ty => $rust:ty,)*) => {$(
        impl AggregateValue for Nullable<$sql> {
            type Rust = Option<$rust>;
            type Inner = $rust;
            fn into_option(value: Option<$rust>) -> Option<$rust> {
                value
            }
            fn from_option(value: Option<$rust>) -> Option<$rust> {
                value
            }
        }
    )*};
}

aggregate_values! {
    SmallInt => i16,
    Integer => i32,
    BigInt => i64,
    Float => f32,
    Double => f64,
}

/// Text and booleans have a `MAX` and `MIN`, but no sum.
impl AggregateValue for Nullable<Text> {
    type Rust = Option<String>;
    type Inner = Concat;
    fn into_option(value: Option<String>) -> Option<Concat> {
        value.map(Concat)
    }
    fn from_option(value: Option<Concat>) -> Option<String> {
        value.map(|c| c.0)
    }
}

impl AggregateValue for Nullable<Bool> {
    type Rust = Option<bool>;
    type Inner = Or;
    fn into_option(value: Option<bool>) -> Option<Or> {
        value.map(Or)
    }
    fn from_option(value: Option<Or>) -> Option<bool> {
        value.map(|o| o.0)
    }
}

/// A text value that can be combined (only ever by `MAX`/`MIN`).
#[doc(hidden)]
#[derive(PartialEq, PartialOrd)]
pub struct Concat(String);

impl std::ops::Add for Concat {
    type Output = Concat;
    fn add(mut self, other: Concat) -> Concat {
        self.0.push_str(&other.0);
        self
    }
}

/// A boolean value that can be combined (only ever by `MAX`/`MIN`).
#[doc(hidden)]
#[derive(PartialEq, PartialOrd)]
pub struct Or(bool);

impl std::ops::Add for Or {
    type Output = Or;
    fn add(self, other: Or) -> Or {
        Or(self.0 || other.0)
    }
}

/// The Rust value of aggregate `A`.
pub type ValueOf<A> = <SqlTypeOf<A> as AggregateValue>::Rust;

/// The key of aggregate `A` (`Max(books::year)`) of the children of
/// has-many relation `R`: `authors.prefetch_aggregate(AuthorBooks,
/// Max(books::year), conn)?` loads it, `author.aggregate(AuthorBooks,
/// Max(books::year))` reads it. Its name in `Debug` and JSON is
/// `<relation>_<function>_<column>` (`books_max_year`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Aggregate<R, A>(pub R, pub A);

impl<R: Relation, A: ColumnAggregate> RelationName for Aggregate<R, A> {
    const NAME: &'static str = "aggregate";
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Owned(format!(
            "{}_{}_{}",
            R::NAME,
            A::FUNCTION.to_ascii_lowercase(),
            <A::Column as diesel::Column>::NAME
        ))
    }
}

type Grouped<R> = GroupBy<ChildTable<R>, <R as HasMany>::Column>;
type Aggregated<R, A> = Select<Grouped<R>, (<R as HasMany>::Column, A)>;
type BoxedAggregate<R, A, DB> = BoxedSelectStatement<
    'static,
    (SqlTypeOf<<R as HasMany>::Column>, SqlTypeOf<A>),
    FromClause<ChildTable<R>>,
    DB,
    <R as HasMany>::Column,
>;
type Refine<Q> = Arc<dyn Fn(Q) -> Q + Send + Sync>;

/// A row of an aggregate statement: the foreign key, and the aggregate.
pub type AggregateRow<R, A> = (
    <<R as HasMany>::Column as KeyColumn<KeyOf<<R as HasMany>::Parent>>>::Field,
    ValueOf<A>,
);

/// The aggregate statements of has-many relation `Self` and aggregate `A`
/// over backend `DB`. Blanket-implemented.
#[diagnostic::on_unimplemented(
    message = "`{A}` cannot be aggregated over the children of `{Self}` on backend `{DB}`",
    label = "its statement does not type-check for this backend",
    note = "aggregate a column of the child's table (`Max(books::year)` for `AuthorBooks`)"
)]
pub trait BuildAggregate<DB: Backend, A>: HasMany + Sized {
    /// The boxed statement (an associated type, for `Send` futures).
    type Query;
    /// One statement per chunk of `keys`.
    #[doc(hidden)]
    fn aggregate_statements(
        keys: Vec<KeyOf<Self::Parent>>,
        aggregate: A,
        refine: Option<&Refine<Self::Query>>,
    ) -> Vec<Self::Query>;
}

impl<R, A, DB> BuildAggregate<DB, A> for R
where
    R: HasMany,
    A: ColumnAggregate + Clone,
    DB: KeyBatching,
    ChildTable<R>: GroupByDsl<R::Column>,
    Grouped<R>: SelectDsl<(R::Column, A)>,
    Aggregated<R, A>: BoxedDsl<'static, DB, Output = BoxedAggregate<R, A, DB>>,
    SqlTypeOf<R::Column>: SingleValue,
    KeyOf<R::Parent>: AsExpression<SqlTypeOf<R::Column>>,
    BoxedAggregate<R, A, DB>: FilterDsl<EqAny<R::Column, Vec<KeyOf<R::Parent>>>, Output = BoxedAggregate<R, A, DB>>
        + QueryFragment<DB>,
{
    type Query = BoxedAggregate<R, A, DB>;

    fn aggregate_statements(
        keys: Vec<KeyOf<R::Parent>>,
        aggregate: A,
        refine: Option<&Refine<Self::Query>>,
    ) -> Vec<Self::Query> {
        let statement = |chunk: Vec<KeyOf<R::Parent>>| {
            let column = R::Column::default();
            let query = <R::Child as Model>::Table::default()
                .group_by(column)
                .select((column, aggregate.clone()))
                .internal_into_boxed();
            let query = match refine {
                Some(refine) => refine(query),
                None => query,
            };
            query.filter(column.eq_any(chunk))
        };
        chunks_for::<DB, _, _>(keys, refine.is_some(), statement)
            .into_iter()
            .map(statement)
            .collect()
    }
}

/// Which children an aggregate reads, as `prefetch_aggregate_with` receives
/// and returns it.
#[must_use = "return the filtered aggregate from the closure"]
pub struct AggregateFilter<R: BuildAggregate<DB, A>, DB: Backend, A, K = Aggregate<R, A>> {
    refine: Option<Refine<R::Query>>,
    key: PhantomData<fn() -> K>,
}

impl<R: BuildAggregate<DB, A>, DB: Backend, A, K> AggregateFilter<R, DB, A, K> {
    /// Every child.
    pub fn all() -> Self {
        AggregateFilter {
            refine: None,
            key: PhantomData,
        }
    }

    /// Load the aggregate under key `key` (an `alias!` declared with the
    /// value type), so the same aggregate can be loaded twice with two filters.
    pub fn named<K2>(self, key: K2) -> AggregateFilter<R, DB, A, K2> {
        let _ = key;
        AggregateFilter {
            refine: self.refine,
            key: PhantomData,
        }
    }
}

impl<R, DB, A, K> AggregateFilter<R, DB, A, K>
where
    R: BuildAggregate<DB, A>,
    R::Query: 'static,
    DB: Backend + 'static,
{
    /// Aggregate only the children matching `predicate`, a Diesel expression
    /// on the child's table. Several filters are joined with `AND`.
    pub fn filter<P>(self, predicate: P) -> Self
    where
        P: RefineFilter<R::Query, ChildTable<R>> + Clone + Send + Sync + 'static,
    {
        let before = self.refine;
        let refine: Refine<R::Query> = Arc::new(move |q| {
            let q = match &before {
                Some(before) => before(q),
                None => q,
            };
            predicate.clone().filter_query(q)
        });
        AggregateFilter {
            refine: Some(refine),
            key: PhantomData,
        }
    }
}

/// Aggregating a column of the children of has-many relation `Self` over
/// blocking connection `C`. Blanket-implemented.
#[diagnostic::on_unimplemented(
    message = "`{A}` cannot be aggregated over the children of `{Self}` on connection `{C}`",
    label = "its statement does not type-check for this connection",
    note = "aggregate a column of the child's table (`Max(books::year)` for `AuthorBooks`) of a type with a known Rust value"
)]
pub trait LoadAggregate<C: Connection, A>:
    BuildAggregate<C::Backend, A> + HasMany<Parent: LoadByKeys<C>>
{
    /// The rows of the aggregate statements, in statement order.
    #[doc(hidden)]
    fn load_aggregate_rows(
        statements: Vec<Self::Query>,
        conn: &mut C,
    ) -> QueryResult<Vec<AggregateRow<Self, A>>>
    where
        Self::Column: KeyColumn<KeyOf<Self::Parent>>,
        A: Expression,
        SqlTypeOf<A>: AggregateValue;
}

#[diagnostic::do_not_recommend]
impl<R, A, C> LoadAggregate<C, A> for R
where
    C: Connection,
    R: BuildAggregate<C::Backend, A>,
    R::Parent: LoadByKeys<C>,
    R::Column: KeyColumn<KeyOf<R::Parent>>,
    A: Expression,
    SqlTypeOf<A>: AggregateValue,
    R::Query: LoadQuery<'static, C, AggregateRow<R, A>>,
{
    fn load_aggregate_rows(
        statements: Vec<R::Query>,
        conn: &mut C,
    ) -> QueryResult<Vec<AggregateRow<R, A>>> {
        run_all(statements, |q| q.load(conn))
    }
}

/// Load aggregate `aggregate` of the children of has-many relation `R` of
/// each node: [`ColumnAggregateExt::prefetch_aggregate_with`].
pub fn prefetch_aggregate_with<R, A, S, C, K>(
    nodes: S,
    aggregate: A,
    conn: &mut C,
    filter: impl FnOnce(AggregateFilter<R, C::Backend, A>) -> AggregateFilter<R, C::Backend, A, K>,
) -> Result<S::Wrapped<K, ValueOf<A>>>
where
    R: LoadAggregate<C, A>,
    R::Column: KeyColumn<KeyOf<R::Parent>>,
    A: ColumnAggregate,
    SqlTypeOf<A>: AggregateValue,
    S: Nodes,
    S::Node: Node<Model = R::Parent>,
    C: Connection,
{
    let filter = filter(AggregateFilter::all());
    let nodes = nodes.into_nodes();
    let grouped = group_rows(
        nodes,
        conn,
        R::NAME,
        |keys, conn| {
            let statements = R::aggregate_statements(keys, aggregate, filter.refine.as_ref());
            R::load_aggregate_rows(statements, conn).map(Rows::all)
        },
        row_key_of::<R, ValueOf<A>>,
        find_owner_keys::<R::Parent, C>,
        |rows, _| Ok(rows.into_iter().map(|(_, value)| value).collect()),
    )?;
    Ok(S::from_wrapped(counted_with(grouped, combined::<A>)))
}

/// One parent's value from the values of its rows (one row, or one per
/// spelling of its key the database groups apart).
fn combined<A>(values: Vec<ValueOf<A>>) -> ValueOf<A>
where
    A: ColumnAggregate,
    SqlTypeOf<A>: AggregateValue,
{
    let inner = values
        .into_iter()
        .map(<SqlTypeOf<A> as AggregateValue>::into_option)
        .collect();
    <SqlTypeOf<A> as AggregateValue>::from_option(A::combine(inner))
}

/// Column aggregates per parent, as methods of what the loaders are called on.
pub trait ColumnAggregateExt: Nodes {
    /// Load `aggregate` (`Max(books::year)`, `Min(..)`, `Sum(books::pages)`)
    /// of the children of has-many relation `relation` of each parent, in
    /// one statement (`SELECT fk, MAX(year) .. GROUP BY fk`, per chunk of
    /// keys off PostgreSQL); read it with
    /// [`aggregate`](ReadColumnAggregateExt::aggregate). `None` for a parent
    /// without children.
    fn prefetch_aggregate<R, A, C>(
        self,
        relation: R,
        aggregate: A,
        conn: &mut C,
    ) -> Result<Self::Wrapped<Aggregate<R, A>, ValueOf<A>>>
    where
        R: crate::aggregate::ChildrenOf<<Self::Node as Node>::Model>,
        R: LoadAggregate<C, A>,
        R::Column: KeyColumn<KeyOf<R::Parent>>,
        A: ColumnAggregate,
        SqlTypeOf<A>: AggregateValue,
        Self::Node: Node<Model = R::Parent>,
        C: Connection,
    {
        let _ = relation;
        prefetch_aggregate_with(self, aggregate, conn, |f| f)
    }

    /// [`prefetch_aggregate`](Self::prefetch_aggregate) of the children
    /// `filter` keeps (`|f| f.filter(books::published.eq(true))`), under its
    /// own key with `.named(..)`.
    fn prefetch_aggregate_with<R, A, C, K>(
        self,
        relation: R,
        aggregate: A,
        conn: &mut C,
        filter: impl FnOnce(AggregateFilter<R, C::Backend, A>) -> AggregateFilter<R, C::Backend, A, K>,
    ) -> Result<Self::Wrapped<K, ValueOf<A>>>
    where
        R: crate::aggregate::ChildrenOf<<Self::Node as Node>::Model>,
        R: LoadAggregate<C, A>,
        R::Column: KeyColumn<KeyOf<R::Parent>>,
        A: ColumnAggregate,
        SqlTypeOf<A>: AggregateValue,
        Self::Node: Node<Model = R::Parent>,
        C: Connection,
    {
        let _ = relation;
        prefetch_aggregate_with(self, aggregate, conn, filter)
    }
}

impl<S: Nodes> ColumnAggregateExt for S {}

/// The aggregate `A` of relation `R` was loaded on `Self` (at layer `I`).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "this aggregate was not loaded on `{Self}`",
    label = "no `prefetch_aggregate` of this relation and aggregate here",
    note = "load it first: `let authors = authors.prefetch_aggregate(AuthorBooks, Max(books::year), conn)?;` (one statement)"
)]
pub trait AggregateLoaded<R, A, I> {
    /// The value.
    type Value;
    /// The value.
    fn loaded_aggregate(&self) -> &Self::Value;
}

#[diagnostic::do_not_recommend]
impl<T, R, A, I> AggregateLoaded<R, A, I> for T
where
    T: Get<Aggregate<R, A>, I>,
{
    type Value = T::Value;
    fn loaded_aggregate(&self) -> &T::Value {
        self.get()
    }
}

/// Reading the column aggregates loaded by [`ColumnAggregateExt`].
pub trait ReadColumnAggregateExt {
    /// The value of `aggregate` of `relation`'s children, loaded by
    /// `prefetch_aggregate` (`&Option<i32>` for `Max(books::year)`).
    fn aggregate<R, A, I>(
        &self,
        relation: R,
        aggregate: A,
    ) -> &<Self as AggregateLoaded<R, A, I>>::Value
    where
        Self: AggregateLoaded<R, A, I>,
    {
        let _ = (relation, aggregate);
        self.loaded_aggregate()
    }
}

impl<P, K, V> ReadColumnAggregateExt for With<P, K, V> {}

#[cfg(feature = "async")]
pub use nonblocking::{ColumnAggregateAsyncExt, LoadAggregateAsync};

/// Column aggregates on diesel-async: the same statements, awaited.
#[cfg(feature = "async")]
mod nonblocking {
    use std::future::Future;

    use diesel::dsl::SqlTypeOf;
    use diesel::QueryResult;
    use diesel_async::methods::LoadQuery;
    use diesel_async::AsyncConnection;

    use super::{
        Aggregate, AggregateFilter, AggregateRow, AggregateValue, BuildAggregate, ColumnAggregate,
        ValueOf,
    };
    use crate::aggregate::{counted_with, row_key_of, ChildrenOf, KeyColumn};
    use crate::asynchronous::{find_owner_keys, run_all, LoadByKeysAsync};
    use crate::error::{Error, Result};
    use crate::model::{Node, Nodes};
    use crate::prefetch::{no_rows, owner_slots, Groups, Rows};
    use crate::query::KeyOf;
    use crate::relation::HasMany;

    /// [`LoadAggregate`](super::LoadAggregate) over diesel-async connection `C`.
    #[diagnostic::on_unimplemented(
        message = "`{A}` cannot be aggregated over the children of `{Self}` on async connection `{C}`",
        label = "its statement does not type-check for this connection",
        note = "aggregate a column of the child's table (`Max(books::year)` for `AuthorBooks`) of a type with a known Rust value"
    )]
    pub trait LoadAggregateAsync<C: AsyncConnection, A>:
        BuildAggregate<C::Backend, A> + HasMany<Parent: LoadByKeysAsync<C>>
    {
        /// Run the statements, in order; the future is declared `Send`.
        #[doc(hidden)]
        fn load_aggregate_rows_async(
            statements: Vec<Self::Query>,
            conn: &mut C,
        ) -> impl Future<Output = QueryResult<Vec<AggregateRow<Self, A>>>> + Send
        where
            Self::Column: KeyColumn<KeyOf<Self::Parent>>,
            A: diesel::Expression,
            SqlTypeOf<A>: AggregateValue;
    }

    #[diagnostic::do_not_recommend]
    impl<R, A, C> LoadAggregateAsync<C, A> for R
    where
        C: AsyncConnection,
        R: BuildAggregate<C::Backend, A>,
        R::Parent: LoadByKeysAsync<C>,
        R::Column: KeyColumn<KeyOf<R::Parent>>,
        A: diesel::Expression,
        SqlTypeOf<A>: AggregateValue,
        R::Query: LoadQuery<'static, C, AggregateRow<R, A>> + Send + 'static,
        AggregateRow<R, A>: Send,
    {
        #[allow(clippy::manual_async_fn)]
        fn load_aggregate_rows_async(
            statements: Vec<R::Query>,
            conn: &mut C,
        ) -> impl Future<Output = QueryResult<Vec<AggregateRow<R, A>>>> + Send {
            async move { run_all(statements, conn).await }
        }
    }

    /// [`ColumnAggregateExt`](super::ColumnAggregateExt) on a diesel-async
    /// connection.
    pub trait ColumnAggregateAsyncExt: Nodes {
        /// [`prefetch_aggregate`](super::ColumnAggregateExt::prefetch_aggregate), awaited.
        fn prefetch_aggregate_async<R, A, C>(
            self,
            relation: R,
            aggregate: A,
            conn: &mut C,
        ) -> impl Future<Output = Result<Self::Wrapped<Aggregate<R, A>, ValueOf<A>>>>
        where
            R: ChildrenOf<<Self::Node as Node>::Model>,
            R: LoadAggregateAsync<C, A>,
            R::Column: KeyColumn<KeyOf<R::Parent>>,
            A: ColumnAggregate,
            SqlTypeOf<A>: AggregateValue,
            Self::Node: Node<Model = R::Parent>,
            C: AsyncConnection,
        {
            self.prefetch_aggregate_with_async(relation, aggregate, conn, |f| f)
        }

        /// [`prefetch_aggregate_with`](super::ColumnAggregateExt::prefetch_aggregate_with), awaited.
        fn prefetch_aggregate_with_async<R, A, C, K>(
            self,
            relation: R,
            aggregate: A,
            conn: &mut C,
            filter: impl FnOnce(
                AggregateFilter<R, C::Backend, A>,
            ) -> AggregateFilter<R, C::Backend, A, K>,
        ) -> impl Future<Output = Result<Self::Wrapped<K, ValueOf<A>>>>
        where
            R: ChildrenOf<<Self::Node as Node>::Model>,
            R: LoadAggregateAsync<C, A>,
            R::Column: KeyColumn<KeyOf<R::Parent>>,
            A: ColumnAggregate,
            SqlTypeOf<A>: AggregateValue,
            Self::Node: Node<Model = R::Parent>,
            C: AsyncConnection,
        {
            let _ = relation;
            // The statements are built here, before the future: it holds them,
            // not the closure.
            let nodes = self.into_nodes();
            let slots_keys = owner_slots(&nodes).keys();
            let filter = filter(AggregateFilter::all());
            let statements = R::aggregate_statements(slots_keys, aggregate, filter.refine.as_ref());
            drop(filter);
            async move {
                let slots = owner_slots(&nodes);
                if slots.uses.is_empty() {
                    let empty: Vec<_> = no_rows::<_, K, ValueOf<A>>(nodes);
                    return Ok(Self::from_wrapped(counted_with(empty, |_| {
                        <SqlTypeOf<A> as AggregateValue>::from_option(None)
                    })));
                }
                let rows = R::load_aggregate_rows_async(statements, conn)
                    .await
                    .map_err(|e| Error::database(R::NAME, e))?;
                let (slot_of_row, strays) = slots.of_rows(&rows, row_key_of::<R, ValueOf<A>>);
                let found = find_owner_keys::<R::Parent, C>(strays, conn)
                    .await
                    .map_err(|e| Error::database(R::NAME, e))?;
                let (rows, groups) = Groups::new(
                    slots,
                    Rows::all(rows),
                    slot_of_row,
                    row_key_of::<R, ValueOf<A>>,
                    &found,
                );
                let values: Vec<ValueOf<A>> = rows.into_iter().map(|(_, v)| v).collect();
                let grouped = groups.hand_out(nodes, R::NAME, values)?;
                Ok(Self::from_wrapped(counted_with(
                    grouped,
                    super::combined::<A>,
                )))
            }
        }
    }

    impl<S: Nodes> ColumnAggregateAsyncExt for S {}
}
