//! Aggregates per parent without loading the children: how many children of
//! a relation each parent has, and whether it has any, in one
//! statement (`SELECT fk, COUNT(*) .. WHERE fk IN (..) GROUP BY fk`, per chunk
//! of keys off PostgreSQL), with the same key handling as the loaders.
//!
//! ```ignore
//! let authors = authors.prefetch_count(AuthorBooks, conn)?;
//! assert_eq!(authors[0].count(AuthorBooks), 3);
//! ```

use std::borrow::Cow;
use std::marker::PhantomData;
use std::sync::Arc;

use diesel::backend::Backend;
use diesel::dsl::{count_star, CountStar, EqAny, GroupBy, IntoBoxed, Select, SqlTypeOf};
use diesel::expression::AsExpression;
use diesel::query_builder::QueryFragment;
use diesel::query_dsl::methods::{BoxedDsl, FilterDsl, GroupByDsl, SelectDsl};
use diesel::query_dsl::LoadQuery;
use diesel::sql_types::is_nullable::{IsNullable, NotNull};
use diesel::sql_types::SingleValue;
use diesel::sql_types::SqlType;
use diesel::{Connection, Expression, ExpressionMethods, RunQueryDsl};

use crate::batch::{chunks_for, KeyBatching};
use crate::children::Children;
use crate::error::Result;
use crate::model::{KeyField, Node, Nodes, NullabilityOf, PrimaryKey};
use crate::prefetch::{find_owner_keys, fold_rows_by, Fold, Rows};
use crate::query::{run_all, KeyOf, LoadByKeys};
use crate::refine::RefineFilter;
use crate::relation::Relation;
use crate::spec::{KeyValue, RelationName};
use crate::with::{Get, With};

/// The key of the number of children of relation `R` (has-many, one-to-one or many-to-many) each parent
/// has: `authors.prefetch_count(AuthorBooks, conn)?` loads it,
/// `author.count(AuthorBooks)` reads it (an `i64`, 0 for a parent without
/// children). Its name in `Debug` and JSON is `<relation>_count`
/// (`books_count`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Count<R>(pub R);

/// The key of whether each parent has a child in relation `R` (has-many, one-to-one or many-to-many):
/// `authors.prefetch_exists(AuthorBooks, conn)?` loads it,
/// `author.exists(AuthorBooks)` reads it. Its name in `Debug` and JSON is
/// `has_<relation>` (`has_books`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exists<R>(pub R);

impl<R: Children> KeyValue for Count<R> {
    type Value = i64;
}

impl<R: Children> KeyValue for Exists<R> {
    type Value = bool;
}

impl<R: Relation> RelationName for Count<R> {
    const NAME: &'static str = "count";
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("{}_count", R::NAME))
    }
}

impl<R: Relation> RelationName for Exists<R> {
    const NAME: &'static str = "exists";
    fn name() -> Cow<'static, str> {
        Cow::Owned(format!("has_{}", R::NAME))
    }
}

/// The Rust type a key column of nullability `Self` is read into: the key
/// for a `NOT NULL` column, `Option` of it for a nullable one.
#[doc(hidden)]
pub trait KeyColumnField<K>: Sized {
    /// `K` or `Option<K>`.
    type Field: KeyField<Self, Key = K>;
}

impl<K> KeyColumnField<K> for NotNull {
    type Field = K;
}

impl<K> KeyColumnField<K> for IsNullable {
    type Field = Option<K>;
}

/// A key column read as a value: the Rust type its rows hold (`K` or
/// `Option<K>`, from the column's nullability), and the key in it.
#[doc(hidden)]
pub trait KeyColumn<K> {
    /// `K` or `Option<K>`.
    type Field;
    /// The key a row holds; `None` for NULL.
    fn key(field: &Self::Field) -> Option<&K>;
}

impl<Col, K> KeyColumn<K> for Col
where
    Col: Expression,
    SqlTypeOf<Col>: SqlType,
    NullabilityOf<Col>: KeyColumnField<K>,
{
    type Field = <NullabilityOf<Col> as KeyColumnField<K>>::Field;
    #[inline]
    fn key(field: &Self::Field) -> Option<&K> {
        field.key()
    }
}

/// A row of a count statement: the foreign key as its column holds it, and
/// the number of children with that key.
pub type CountRow<R> = (
    <<R as Children>::Column as KeyColumn<KeyOf<<R as Relation>::Owner>>>::Field,
    i64,
);

type Grouped<R> = GroupBy<<R as Children>::From, <R as Children>::Column>;
type Counted<R> = Select<Grouped<R>, (<R as Children>::Column, CountStar)>;

/// The statement that counts the children of relation `R` (has-many, one-to-one or many-to-many) per
/// foreign key over backend `DB`, boxed: `SELECT fk, COUNT(*) FROM child ..
/// GROUP BY fk`.
pub type CountQuery<R, DB> = <R as BuildCounts<DB>>::Query;

/// [`CountQuery`] spelled out.
type BoxedCount<R, DB> = IntoBoxed<'static, Counted<R>, DB>;

type Refine<R, DB> = Arc<dyn Fn(CountQuery<R, DB>) -> CountQuery<R, DB> + Send + Sync>;

/// Which children a count or existence counts, as `prefetch_count_with`
/// receives and returns it: every child, or those matching the filters.
#[must_use = "return the filtered count from the closure"]
pub struct CountFilter<R: BuildCounts<DB>, DB: Backend, K = Count<R>> {
    refine: Option<Refine<R, DB>>,
    key: PhantomData<fn() -> K>,
}

impl<R: BuildCounts<DB>, DB: Backend, K> CountFilter<R, DB, K> {
    /// Every child.
    pub fn all() -> Self {
        CountFilter {
            refine: None,
            key: PhantomData,
        }
    }

    /// Load the aggregate under key `key` instead of `Count<R>` /
    /// `Exists<R>`, so the same relation can be counted twice (all books,
    /// and the unpublished ones). Declare the key with its value type,
    /// `alias! { pub UnpublishedBooks: i64; }`, and read it with
    /// `author.loaded(UnpublishedBooks)`.
    pub fn named<K2>(self, key: K2) -> CountFilter<R, DB, K2> {
        let _ = key;
        CountFilter {
            refine: self.refine,
            key: PhantomData,
        }
    }
}

impl<R: BuildCounts<DB>, DB: Backend + 'static, K> CountFilter<R, DB, K> {
    /// Count only the children matching `predicate`, a Diesel expression on
    /// the child's table. Several filters are joined with `AND`. As for
    /// [`Prefetch::filter`](crate::Prefetch::filter), the predicate owns its
    /// values (`books::title.eq(name.clone())`).
    pub fn filter<P>(self, predicate: P) -> Self
    where
        P: RefineFilter<CountQuery<R, DB>, R::Tables> + Clone + Send + Sync + 'static,
    {
        let before = self.refine;
        let refine: Refine<R, DB> = Arc::new(move |q| {
            let q = match &before {
                Some(before) => before(q),
                None => q,
            };
            predicate.clone().filter_query(q)
        });
        CountFilter {
            refine: Some(refine),
            key: PhantomData,
        }
    }
}

/// The count statements of relation `Self` (has-many, one-to-one or many-to-many) over backend `DB`.
/// Blanket-implemented for every relation with children whose tables Diesel can
/// query on `DB`.
#[diagnostic::on_unimplemented(
    message = "the children of relation `{Self}` cannot be counted on backend `{DB}`",
    label = "its count statement does not type-check for this backend",
    note = "counts are of has-many, one-to-one and many-to-many relations; check that the child's table is in the schema and that the matching feature of relations-runtime is enabled"
)]
pub trait BuildCounts<DB: Backend>: Children + Sized {
    /// The boxed count statement. An associated type, so that futures holding
    /// it are shown `Send` without the `'static` of the boxed statement.
    type Query;
    /// One statement per chunk of `keys` (one in all on PostgreSQL).
    #[doc(hidden)]
    fn count_statements<K>(
        keys: Vec<KeyOf<Self::Owner>>,
        filter: &CountFilter<Self, DB, K>,
    ) -> Vec<CountQuery<Self, DB>>;
}

impl<R, DB> BuildCounts<DB> for R
where
    R: Children,
    DB: KeyBatching,
    R::From: GroupByDsl<R::Column>,
    Grouped<R>: SelectDsl<(R::Column, CountStar)>,
    Counted<R>: BoxedDsl<'static, DB>,
    SqlTypeOf<R::Column>: SingleValue,
    KeyOf<R::Owner>: AsExpression<SqlTypeOf<R::Column>>,
    BoxedCount<R, DB>: FilterDsl<EqAny<R::Column, Vec<KeyOf<R::Owner>>>, Output = BoxedCount<R, DB>>
        + QueryFragment<DB>,
{
    type Query = BoxedCount<R, DB>;

    fn count_statements<K>(
        keys: Vec<KeyOf<R::Owner>>,
        filter: &CountFilter<R, DB, K>,
    ) -> Vec<BoxedCount<R, DB>> {
        // The key filter around the whole refinement, as for the loaders.
        let statement = |chunk: Vec<KeyOf<R::Owner>>| {
            let column = R::Column::default();
            let query = R::from()
                .group_by(column)
                .select((column, count_star()))
                .internal_into_boxed();
            let query = match &filter.refine {
                Some(refine) => refine(query),
                None => query,
            };
            query.filter(column.eq_any(chunk))
        };
        chunks_for::<DB, _, _>(keys, filter.refine.is_some(), statement)
            .into_iter()
            .map(statement)
            .collect()
    }
}

/// Counting the children of relation `Self` (has-many, one-to-one or many-to-many) over blocking
/// connection `C`. Blanket-implemented.
#[diagnostic::on_unimplemented(
    message = "the children of relation `{Self}` cannot be counted over connection `{C}`",
    label = "its count statement does not type-check for this connection",
    note = "on a diesel-async connection, call the `_async` twin and await it: `.prefetch_count(..)` becomes `.prefetch_count_async(..).await` (feature `async`)",
    note = "counts are of has-many, one-to-one and many-to-many relations; check that the child's table is in the schema and that the matching feature of relations-runtime is enabled"
)]
pub trait LoadCounts<C: Connection>:
    BuildCounts<C::Backend> + Children<Owner: LoadByKeys<C>>
{
    /// The rows of the count statements of `keys`, in statement order.
    #[doc(hidden)]
    fn load_counts<K>(
        keys: Vec<KeyOf<Self::Owner>>,
        conn: &mut C,
        filter: &CountFilter<Self, C::Backend, K>,
    ) -> diesel::QueryResult<Vec<CountRow<Self>>>
    where
        Self::Column: KeyColumn<KeyOf<Self::Owner>>;
}

// Reported as `LoadCounts`, with its message, rather than as the Diesel
// bound that fails inside.
#[diagnostic::do_not_recommend]
impl<R, C> LoadCounts<C> for R
where
    C: Connection,
    R: BuildCounts<C::Backend>,
    R::Owner: LoadByKeys<C>,
    R::Column: KeyColumn<KeyOf<R::Owner>>,
    CountQuery<R, C::Backend>: LoadQuery<'static, C, CountRow<R>>,
{
    fn load_counts<K>(
        keys: Vec<KeyOf<R::Owner>>,
        conn: &mut C,
        filter: &CountFilter<R, C::Backend, K>,
    ) -> diesel::QueryResult<Vec<CountRow<R>>> {
        run_all(R::count_statements(keys, filter), |q| q.load(conn))
    }
}

/// The key of a count row: the foreign key it groups.
pub(crate) fn row_key<R>(row: &CountRow<R>) -> Option<&KeyOf<R::Owner>>
where
    R: Children,
    R::Column: KeyColumn<KeyOf<R::Owner>>,
{
    <R::Column as KeyColumn<KeyOf<R::Owner>>>::key(&row.0)
}

/// The fold of counts: the counts of a node's rows added up.
type CountFold<Finish> = Fold<fn(i64) -> i64, fn(&mut i64, i64), Finish>;

/// The count of each node: the sum of its rows' counts (one row, or one per
/// spelling of its key the database groups apart), as `value` gives it.
pub(crate) fn counted<V>(value: impl Fn(i64) -> V) -> CountFold<impl Fn(Option<i64>) -> V> {
    Fold {
        first: |n| n,
        add: |total, n| *total += n,
        finish: move |total: Option<i64>| value(total.unwrap_or(0)),
    }
}

/// Count the children of relation `R` (has-many, one-to-one or many-to-many) of each of `nodes`, among
/// those `filter` keeps: one statement per chunk of keys, none for no keys.
fn count_nodes<R, N, C, K, V>(
    nodes: Vec<N>,
    conn: &mut C,
    filter: CountFilter<R, C::Backend, K>,
    value: impl Fn(i64) -> V,
) -> Result<Vec<With<N, K, V>>>
where
    R: LoadCounts<C>,
    N: Node<Model = R::Owner>,
    C: Connection,
    R::Column: KeyColumn<KeyOf<R::Owner>>,
{
    count_by(nodes, |n: &N| n.model().primary_key(), conn, filter, value)
}

/// [`count_nodes`] for elements that are not models: `key` gives each
/// element's owner key (the element is the key itself for `keyed::count`).
pub(crate) fn count_by<R, E, C, K, V>(
    elements: Vec<E>,
    key: impl Fn(&E) -> Option<&KeyOf<R::Owner>>,
    conn: &mut C,
    filter: CountFilter<R, C::Backend, K>,
    value: impl Fn(i64) -> V,
) -> Result<Vec<With<E, K, V>>>
where
    R: LoadCounts<C>,
    C: Connection,
    R::Column: KeyColumn<KeyOf<R::Owner>>,
{
    fold_rows_by(
        elements,
        key,
        conn,
        R::NAME,
        |keys, conn| R::load_counts(keys, conn, &filter).map(Rows::all),
        row_key::<R>,
        find_owner_keys::<R::Owner, C>,
        |(_, n)| n,
        counted(value),
    )
}

/// Load the number of children of relation `R` (has-many, one-to-one or many-to-many) of each node:
/// [`AggregateExt::prefetch_count_with`].
pub fn prefetch_count_with<R, S, C, K>(
    nodes: S,
    conn: &mut C,
    filter: impl FnOnce(CountFilter<R, C::Backend>) -> CountFilter<R, C::Backend, K>,
) -> Result<S::Wrapped<K, i64>>
where
    R: LoadCounts<C>,
    S: Nodes,
    S::Node: Node<Model = R::Owner>,
    C: Connection,
    R::Column: KeyColumn<KeyOf<R::Owner>>,
{
    let counts = count_nodes(nodes.into_nodes(), conn, filter(CountFilter::all()), |n| n)?;
    Ok(S::from_wrapped(counts))
}

/// Load whether each node has a child in relation `R` (has-many, one-to-one or many-to-many):
/// [`AggregateExt::prefetch_exists_with`].
pub fn prefetch_exists_with<R, S, C, K>(
    nodes: S,
    conn: &mut C,
    filter: impl FnOnce(CountFilter<R, C::Backend, Exists<R>>) -> CountFilter<R, C::Backend, K>,
) -> Result<S::Wrapped<K, bool>>
where
    R: LoadCounts<C>,
    S: Nodes,
    S::Node: Node<Model = R::Owner>,
    C: Connection,
    R::Column: KeyColumn<KeyOf<R::Owner>>,
{
    let exists = count_nodes(nodes.into_nodes(), conn, filter(CountFilter::all()), |n| {
        n > 0
    })?;
    Ok(S::from_wrapped(exists))
}

/// `Self` is a relation of model `M` with children: the check an aggregate makes of
/// the relation it is given.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a has-many or many-to-many relation of `{M}`",
    label = "not a relation of `{M}` with children to aggregate",
    note = "aggregates are of the has-many, one-to-one and many-to-many relations of the parents they are called on: `authors.prefetch_count(AuthorBooks, conn)`"
)]
pub trait ChildrenOf<M> {}

#[diagnostic::do_not_recommend]
impl<R, M> ChildrenOf<M> for R where R: Children<Owner = M> {}

/// Aggregates per parent, as methods of what the loaders are called on (a
/// `Vec` of models, one model, an `Option`, with or without loaded
/// relations). The relation is named by its key, as in
/// [`select_related`](crate::select_related): a key of another model's
/// relation does not compile.
pub trait AggregateExt: Nodes {
    /// Load how many children of relation `relation` (has-many, one-to-one or many-to-many) each parent
    /// has, in one statement (`SELECT fk, COUNT(*) .. GROUP BY fk`, per chunk
    /// of keys off PostgreSQL); read it with [`count`](ReadAggregateExt::count). A parent
    /// without children counts 0.
    fn prefetch_count<R, C>(self, relation: R, conn: &mut C) -> Result<Self::Wrapped<Count<R>, i64>>
    where
        R: ChildrenOf<<Self::Node as Node>::Model>,
        R: LoadCounts<C>,
        Self::Node: Node<Model = R::Owner>,
        C: Connection,
        R::Column: KeyColumn<KeyOf<R::Owner>>,
    {
        let _ = relation;
        prefetch_count_with(self, conn, |f| f)
    }

    /// [`prefetch_count`](Self::prefetch_count) of the children `filter`
    /// keeps: `|f| f.filter(books::published.eq(true))`, on the child's
    /// table's columns (another table's column does not compile).
    fn prefetch_count_with<R, C, K>(
        self,
        relation: R,
        conn: &mut C,
        filter: impl FnOnce(CountFilter<R, C::Backend>) -> CountFilter<R, C::Backend, K>,
    ) -> Result<Self::Wrapped<K, i64>>
    where
        R: ChildrenOf<<Self::Node as Node>::Model>,
        R: LoadCounts<C>,
        Self::Node: Node<Model = R::Owner>,
        C: Connection,
        R::Column: KeyColumn<KeyOf<R::Owner>>,
    {
        let _ = relation;
        prefetch_count_with(self, conn, filter)
    }

    /// Load whether each parent has a child in relation `relation` (has-many, one-to-one or many-to-many)
    /// (the count statement; true where it is not 0); read it with
    /// [`exists`](ReadAggregateExt::exists).
    fn prefetch_exists<R, C>(
        self,
        relation: R,
        conn: &mut C,
    ) -> Result<Self::Wrapped<Exists<R>, bool>>
    where
        R: ChildrenOf<<Self::Node as Node>::Model>,
        R: LoadCounts<C>,
        Self::Node: Node<Model = R::Owner>,
        C: Connection,
        R::Column: KeyColumn<KeyOf<R::Owner>>,
    {
        let _ = relation;
        prefetch_exists_with(self, conn, |f| f)
    }

    /// [`prefetch_exists`](Self::prefetch_exists) of the children `filter` keeps.
    fn prefetch_exists_with<R, C, K>(
        self,
        relation: R,
        conn: &mut C,
        filter: impl FnOnce(CountFilter<R, C::Backend, Exists<R>>) -> CountFilter<R, C::Backend, K>,
    ) -> Result<Self::Wrapped<K, bool>>
    where
        R: ChildrenOf<<Self::Node as Node>::Model>,
        R: LoadCounts<C>,
        Self::Node: Node<Model = R::Owner>,
        C: Connection,
        R::Column: KeyColumn<KeyOf<R::Owner>>,
    {
        let _ = relation;
        prefetch_exists_with(self, conn, filter)
    }
}

impl<S: Nodes> AggregateExt for S {}

/// The count of relation `R` was loaded on `Self` (at layer `I`): what
/// [`ReadAggregateExt::count`] reads.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "this count was not loaded on `{Self}`",
    label = "no `prefetch_count` of this relation here",
    note = "load it first: `let authors = authors.prefetch_count(AuthorBooks, conn)?;` (one statement); reading an aggregate that was not loaded is a compile error, never a lazy query"
)]
pub trait CountLoaded<R, I> {
    /// The count.
    fn loaded_count(&self) -> i64;
}

#[diagnostic::do_not_recommend]
impl<T, R, I> CountLoaded<R, I> for T
where
    T: Get<Count<R>, I, Value = i64>,
{
    #[inline]
    fn loaded_count(&self) -> i64 {
        *self.get()
    }
}

/// Whether relation `R` has a child was loaded on `Self` (at layer `I`):
/// what [`ReadAggregateExt::exists`] reads.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "this existence was not loaded on `{Self}`",
    label = "no `prefetch_exists` of this relation here",
    note = "load it first: `let authors = authors.prefetch_exists(AuthorBooks, conn)?;` (one statement); reading an aggregate that was not loaded is a compile error, never a lazy query"
)]
pub trait ExistsLoaded<R, I> {
    /// Whether there is a child.
    fn loaded_exists(&self) -> bool;
}

#[diagnostic::do_not_recommend]
impl<T, R, I> ExistsLoaded<R, I> for T
where
    T: Get<Exists<R>, I, Value = bool>,
{
    #[inline]
    fn loaded_exists(&self) -> bool {
        *self.get()
    }
}

/// Reading the aggregates loaded by [`AggregateExt`], on a loaded model.
pub trait ReadAggregateExt {
    /// The number of children of `relation` loaded by `prefetch_count`. Not
    /// loaded here: a compile error.
    fn count<R, I>(&self, relation: R) -> i64
    where
        Self: CountLoaded<R, I>,
    {
        let _ = relation;
        self.loaded_count()
    }

    /// Whether the parent has a child in `relation`, loaded by
    /// `prefetch_exists`. Not loaded here: a compile error.
    fn exists<R, I>(&self, relation: R) -> bool
    where
        Self: ExistsLoaded<R, I>,
    {
        let _ = relation;
        self.loaded_exists()
    }
}

impl<P, K, V> ReadAggregateExt for With<P, K, V> {}

#[cfg(feature = "async")]
pub use nonblocking::{
    load_aggregate_field_async, AggregateAsyncExt, LoadAggregateFieldAsync, LoadCountsAsync,
};

/// Aggregates on diesel-async: the same statements, awaited.
#[cfg(feature = "async")]
pub(crate) mod nonblocking {
    use std::future::Future;

    use diesel_async::methods::LoadQuery;
    use diesel_async::AsyncConnection;

    use super::{
        counted, row_key, BuildCounts, Count, CountFilter, CountQuery, CountRow, Exists, KeyColumn,
    };
    use crate::asynchronous::{find_owner_keys, run_all, LoadByKeysAsync};
    use crate::children::Children;
    use crate::error::{Error, Result};
    use crate::model::PrimaryKey;
    use crate::model::{Node, Nodes};
    use crate::prefetch::{Groups, Rows, Slots};
    use crate::query::KeyOf;
    use crate::with::With;

    /// [`LoadCounts`](super::LoadCounts) over diesel-async connection `C`.
    #[diagnostic::on_unimplemented(
        message = "the children of relation `{Self}` cannot be counted over async connection `{C}`",
        label = "its count statement does not type-check for this connection",
        note = "counts are of has-many, one-to-one and many-to-many relations; check that the child's table is in the schema and that the matching feature of relations-runtime is enabled"
    )]
    pub trait LoadCountsAsync<C: AsyncConnection>:
        BuildCounts<C::Backend> + Children<Owner: LoadByKeysAsync<C>>
    {
        /// Run the count statements, in order. The future is declared `Send`,
        /// and checked here: a caller's future that holds it can be shown
        /// `Send` without looking through the boxed statements' lifetime.
        #[doc(hidden)]
        fn load_counts_async(
            statements: Vec<CountQuery<Self, C::Backend>>,
            conn: &mut C,
        ) -> impl Future<Output = diesel::QueryResult<Vec<CountRow<Self>>>> + Send
        where
            Self::Column: KeyColumn<KeyOf<Self::Owner>>;
    }

    #[diagnostic::do_not_recommend]
    impl<R, C> LoadCountsAsync<C> for R
    where
        C: AsyncConnection,
        R: BuildCounts<C::Backend>,
        R::Owner: LoadByKeysAsync<C>,
        R::Column: KeyColumn<KeyOf<R::Owner>>,
        CountQuery<R, C::Backend>: LoadQuery<'static, C, CountRow<R>> + Send + 'static,
        CountRow<R>: Send,
    {
        #[allow(clippy::manual_async_fn)]
        fn load_counts_async(
            statements: Vec<CountQuery<R, C::Backend>>,
            conn: &mut C,
        ) -> impl Future<Output = diesel::QueryResult<Vec<CountRow<R>>>> + Send {
            async move { run_all(statements, conn).await }
        }
    }

    /// `count_nodes` on a diesel-async connection. The statements are built
    /// before the first `.await`.
    async fn count_nodes<R, N, C, K, V>(
        nodes: Vec<N>,
        conn: &mut C,
        filter: CountFilter<R, C::Backend, K>,
        value: impl Fn(i64) -> V,
    ) -> Result<Vec<With<N, K, V>>>
    where
        R: LoadCountsAsync<C>,
        R::Column: KeyColumn<KeyOf<R::Owner>>,
        N: Node<Model = R::Owner>,
        C: AsyncConnection,
    {
        count_by(nodes, |n: &N| n.model().primary_key(), conn, filter, value).await
    }

    /// `count_by` on a diesel-async connection.
    pub(crate) async fn count_by<R, E, C, K, V>(
        nodes: Vec<E>,
        key: impl Fn(&E) -> Option<&KeyOf<R::Owner>>,
        conn: &mut C,
        filter: CountFilter<R, C::Backend, K>,
        value: impl Fn(i64) -> V,
    ) -> Result<Vec<With<E, K, V>>>
    where
        R: LoadCountsAsync<C>,
        R::Column: KeyColumn<KeyOf<R::Owner>>,
        C: AsyncConnection,
    {
        let slots = Slots::new(&nodes, key);
        if slots.uses.is_empty() {
            return Ok(counted(value).nothing(nodes));
        }
        let statements = R::count_statements(slots.keys(), &filter);
        drop(filter);
        let rows: Vec<CountRow<R>> = R::load_counts_async(statements, conn)
            .await
            .map_err(|e| Error::database(R::NAME, e))?;
        let (slot_of_row, strays) = slots.of_rows(&rows, row_key::<R>);
        // No stray keys, no statement.
        let found = find_owner_keys::<R::Owner, C>(strays, &slots, conn)
            .await
            .map_err(|e| Error::database(R::NAME, e))?;
        let (rows, groups) = Groups::new(slots, Rows::all(rows), slot_of_row, row_key::<R>, &found);
        let counts = rows.into_iter().map(|(_, n)| n);
        Ok(groups.fold_out(nodes, counts, counted(value)))
    }

    /// [`AggregateExt`](super::AggregateExt) on a diesel-async connection:
    /// the same statements, awaited.
    pub trait AggregateAsyncExt: Nodes {
        /// [`prefetch_count`](super::AggregateExt::prefetch_count), awaited.
        fn prefetch_count_async<R, C>(
            self,
            relation: R,
            conn: &mut C,
        ) -> impl Future<Output = Result<Self::Wrapped<Count<R>, i64>>>
        where
            R: super::ChildrenOf<<Self::Node as Node>::Model>,
            R: LoadCountsAsync<C>,
            R::Column: KeyColumn<KeyOf<R::Owner>>,
            Self::Node: Node<Model = R::Owner>,
            C: AsyncConnection,
        {
            self.prefetch_count_with_async(relation, conn, |f| f)
        }

        /// [`prefetch_count_with`](super::AggregateExt::prefetch_count_with), awaited.
        fn prefetch_count_with_async<R, C, K>(
            self,
            relation: R,
            conn: &mut C,
            filter: impl FnOnce(CountFilter<R, C::Backend>) -> CountFilter<R, C::Backend, K>,
        ) -> impl Future<Output = Result<Self::Wrapped<K, i64>>>
        where
            R: super::ChildrenOf<<Self::Node as Node>::Model>,
            R: LoadCountsAsync<C>,
            R::Column: KeyColumn<KeyOf<R::Owner>>,
            Self::Node: Node<Model = R::Owner>,
            C: AsyncConnection,
        {
            let _ = relation;
            // The closure runs here: the future holds what it built.
            let filter = filter(CountFilter::all());
            async move {
                let counts = count_nodes(self.into_nodes(), conn, filter, |n| n).await?;
                Ok(Self::from_wrapped(counts))
            }
        }

        /// [`prefetch_exists`](super::AggregateExt::prefetch_exists), awaited.
        fn prefetch_exists_async<R, C>(
            self,
            relation: R,
            conn: &mut C,
        ) -> impl Future<Output = Result<Self::Wrapped<Exists<R>, bool>>>
        where
            R: super::ChildrenOf<<Self::Node as Node>::Model>,
            R: LoadCountsAsync<C>,
            R::Column: KeyColumn<KeyOf<R::Owner>>,
            Self::Node: Node<Model = R::Owner>,
            C: AsyncConnection,
        {
            self.prefetch_exists_with_async(relation, conn, |f| f)
        }

        /// [`prefetch_exists_with`](super::AggregateExt::prefetch_exists_with), awaited.
        fn prefetch_exists_with_async<R, C, K>(
            self,
            relation: R,
            conn: &mut C,
            filter: impl FnOnce(CountFilter<R, C::Backend, Exists<R>>) -> CountFilter<R, C::Backend, K>,
        ) -> impl Future<Output = Result<Self::Wrapped<K, bool>>>
        where
            R: super::ChildrenOf<<Self::Node as Node>::Model>,
            R: LoadCountsAsync<C>,
            R::Column: KeyColumn<KeyOf<R::Owner>>,
            Self::Node: Node<Model = R::Owner>,
            C: AsyncConnection,
        {
            let _ = relation;
            let filter = filter(CountFilter::all());
            async move {
                let exists = count_nodes(self.into_nodes(), conn, filter, |n| n > 0).await?;
                Ok(Self::from_wrapped(exists))
            }
        }
    }

    impl<S: Nodes> AggregateAsyncExt for S {}

    /// [`LoadAggregateField`](super::LoadAggregateField) over diesel-async
    /// connection `C`.
    #[diagnostic::on_unimplemented(
        message = "the field of type `{Self}` cannot be loaded with an aggregate of `{K}` over async connection `{C}`",
        label = "the relation's children cannot be counted on this connection",
        note = "counts are of has-many, one-to-one and many-to-many relations"
    )]
    pub trait LoadAggregateFieldAsync<K: Children, Kind, C>:
        super::AggregateField<K, Kind>
    {
        /// Load the field onto `nodes`, one value per node, in order.
        fn load_aggregate_async<N: Node<Model = K::Owner> + Send>(
            nodes: Vec<N>,
            conn: &mut C,
        ) -> impl Future<Output = Result<Vec<With<N, Self::Key, Self>>>>;
    }

    #[diagnostic::do_not_recommend]
    impl<F, K, Kind, C> LoadAggregateFieldAsync<K, Kind, C> for F
    where
        K: LoadCountsAsync<C>,
        K::Column: KeyColumn<KeyOf<K::Owner>>,
        F: super::AggregateField<K, Kind>,
        C: AsyncConnection,
    {
        fn load_aggregate_async<N: Node<Model = K::Owner> + Send>(
            nodes: Vec<N>,
            conn: &mut C,
        ) -> impl Future<Output = Result<Vec<With<N, F::Key, F>>>> {
            load_aggregate_field_async::<K, Kind, F, N, C>(nodes, conn)
        }
    }

    /// [`load_aggregate_field`](super::load_aggregate_field), awaited.
    #[doc(hidden)]
    pub async fn load_aggregate_field_async<K, Kind, F, N, C>(
        nodes: Vec<N>,
        conn: &mut C,
    ) -> Result<Vec<With<N, F::Key, F>>>
    where
        K: LoadCountsAsync<C>,
        K::Column: KeyColumn<KeyOf<K::Owner>>,
        F: super::AggregateField<K, Kind>,
        N: Node<Model = K::Owner>,
        C: AsyncConnection,
    {
        count_nodes::<K, N, C, _, F>(nodes, conn, CountFilter::all(), F::from_count).await
    }
}

/// What a `#[shape(count = "..")]` field counts: [`Count`].
#[doc(hidden)]
pub enum CountKind {}

/// What a `#[shape(exists = "..")]` field holds: [`Exists`].
#[doc(hidden)]
pub enum ExistsKind {}

/// A field of a declared shape filled with an aggregate of relation
/// `K`: an `i64` for `#[shape(count = "..")]`, a `bool` for
/// `#[shape(exists = "..")]`. The bound `#[derive(Shape)]` puts on such a field.
#[diagnostic::on_unimplemented(
    message = "a field of type `{Self}` cannot hold this aggregate of `{K}`",
    label = "a `count` field is an `i64`, an `exists` field a `bool`",
    note = "`#[shape(count = \"books\")] pub book_count: i64`, `#[shape(exists = \"books\")] pub has_books: bool`"
)]
pub trait AggregateField<K, Kind>: Sized {
    /// The key of the aggregate's `With` layer: `Count<K>` or `Exists<K>`.
    type Key;
    /// Turn a count into the field's value.
    fn from_count(count: i64) -> Self;
}

impl<K> AggregateField<K, CountKind> for i64 {
    type Key = Count<K>;
    #[inline]
    fn from_count(count: i64) -> i64 {
        count
    }
}

impl<K> AggregateField<K, ExistsKind> for bool {
    type Key = Exists<K>;
    #[inline]
    fn from_count(count: i64) -> bool {
        count > 0
    }
}

/// The `With` key of an aggregate field of type `F` counting `K`.
pub type AggregateKey<F, K, Kind> = <F as AggregateField<K, Kind>>::Key;

/// Load an aggregate field onto `nodes`: what the code `#[derive(Shape)]`
/// generates for a `count` or `exists` field calls.
#[doc(hidden)]
pub fn load_aggregate_field<K, Kind, F, N, C>(
    nodes: Vec<N>,
    conn: &mut C,
) -> Result<Vec<With<N, F::Key, F>>>
where
    K: LoadCounts<C>,
    K::Column: KeyColumn<KeyOf<K::Owner>>,
    F: AggregateField<K, Kind>,
    N: Node<Model = K::Owner>,
    C: Connection,
{
    count_nodes::<K, N, C, _, F>(nodes, conn, CountFilter::all(), F::from_count)
}

/// Loading an aggregate field of type `Self` (`i64` or `bool`) counting
/// relation `K` (has-many, one-to-one or many-to-many) over blocking connection `C`: the bound
/// `#[derive(Shape)]` puts on a `count` or `exists` field.
#[diagnostic::on_unimplemented(
    message = "the field of type `{Self}` cannot be loaded with an aggregate of `{K}` over connection `{C}`",
    label = "the relation's children cannot be counted on this connection",
    note = "on a diesel-async connection, load the shape with its `_async` methods; counts are of has-many, one-to-one and many-to-many relations"
)]
pub trait LoadAggregateField<K: Children, Kind, C>: AggregateField<K, Kind> {
    /// Load the field onto `nodes`, one value per node, in order.
    fn load_aggregate<N: Node<Model = K::Owner>>(
        nodes: Vec<N>,
        conn: &mut C,
    ) -> Result<Vec<With<N, Self::Key, Self>>>;
}

#[diagnostic::do_not_recommend]
impl<F, K, Kind, C> LoadAggregateField<K, Kind, C> for F
where
    K: LoadCounts<C>,
    K::Column: KeyColumn<KeyOf<K::Owner>>,
    F: AggregateField<K, Kind>,
    C: Connection,
{
    #[inline]
    fn load_aggregate<N: Node<Model = K::Owner>>(
        nodes: Vec<N>,
        conn: &mut C,
    ) -> Result<Vec<With<N, F::Key, F>>> {
        load_aggregate_field::<K, Kind, F, N, C>(nodes, conn)
    }
}

/// The check `#[derive(Shape)]` makes at an aggregate field: `K` is a
/// relation with children of the shape's model `M`, and the field's type `F`
/// holds the aggregate.
#[doc(hidden)]
#[inline]
pub fn check_aggregate<K, M, F, Kind>()
where
    K: ChildrenOf<M>,
    F: AggregateField<K, Kind>,
{
}
