//! The loaders on diesel-async (feature `async`): the same statements, built by
//! the same code as the blocking loaders ([`BuildChildren`], [`BuildParents`],
//! [`BuildManyToMany`]), run with `.await`.
//!
//! The derive gives every relation an async twin of each blocking method,
//! named with an `_async` suffix:
//!
//! ```ignore
//! let mut conn = pool.get().await?;               // deadpool or bb8
//! let authors = authors::table.select(Author::as_select()).load(&mut conn).await?;
//! let authors = authors
//!     .prefetch_books_with_async(&mut conn, |books| {
//!         books
//!             .filter(books::published.eq(true))
//!             .then(async |books, conn| books.prefetch_reviews_async(conn).await)
//!     })
//!     .await?;
//! let joined = select_related(BookAuthor).load_async(&mut conn).await?;
//! ```
//!
//! Connections: `AsyncPgConnection`, `AsyncMysqlConnection`,
//! `SyncConnectionWrapper<SqliteConnection>`, and any pooled connection that
//! derefs to one. Statement counts are those of the blocking loaders, and
//! [`QueryCount::install_async`](crate::QueryCount::install_async) counts them.
//! Until a loader's future completes, nothing is handed out: a database error
//! is an `Err` and the nodes are dropped with the future.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use diesel::QueryResult;
use diesel_async::methods::LoadQuery;
use diesel_async::{AsyncConnection, RunQueryDsl};
use futures_util::TryStreamExt;

use crate::error::{Error, Result};
use crate::join::{BuildJoin, JoinBelongsTo, JoinQuery, SelectRelated};
use crate::mode::{Mode, ThenStep};
use crate::model::{KeyOrder, Model, Node, Nodes, PrimaryKey};
use crate::prefetch::{
    at_most_one, no_rows, parent_slots, shared, Groups, Parents, Rows, SharedBelongsTo, Slots,
    Window,
};
use crate::query::{
    link_order, link_parent, BuildByKeys, BuildChildren, BuildManyToMany, BuildParents,
    ChildStatements, KeyOf, LinkRow, ManyToManyQuery, ModelQuery, ParentOf, SelectModel,
    Statements, TopNQuery,
};
use crate::relation::{BelongsTo, HasMany, Relation, SharedOf, SharedParent};
use crate::spec::Prefetch;
use crate::through::PrefetchThrough;
use crate::top_n::Cut;
use crate::two_step::{assemble, target_keys, targets_by_parents, two_step, BuildLinks, Link};
use crate::with::With;

/// The mode of diesel-async connection `C`: a [`Prefetch`] for an async
/// loader is a `Prefetch<R, Async<C>>`.
pub struct Async<C>(PhantomData<fn() -> C>);

/// A boxed future that may move between threads: what a nested async step
/// returns.
pub type BoxFuture<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;

/// A nested async step, boxed.
type AsyncThen<C, Child, T> =
    Box<dyn for<'c> FnOnce(Vec<Child>, &'c mut C) -> BoxFuture<'c, Result<Vec<T>>> + Send>;

impl<C: AsyncConnection> Mode for Async<C> {
    type Backend = C::Backend;
    type Then<Child, T> = AsyncThen<C, Child, T>;
}

impl<C: AsyncConnection, Child, T> ThenStep<Async<C>, Child, T> {
    /// Run the chain on an async connection.
    async fn run_async(self, children: Vec<Child>, conn: &mut C) -> Result<Vec<T>> {
        match self {
            ThenStep::Map(map) => Ok(map(children)),
            ThenStep::Run(then) => then(children, conn).await,
        }
    }
}

/// An async closure whose future can move between threads, as
/// [`Prefetch::then`] takes for an async loader (diesel-async's
/// `transaction` takes its callback the same way).
pub trait AsyncStep<A, B, R>:
    AsyncFnOnce(A, B) -> R + FnOnce(A, B) -> <Self as AsyncStep<A, B, R>>::Fut
{
    /// The future of the closure.
    type Fut: Future<Output = R>;
}

impl<F, A, B, Fut, R> AsyncStep<A, B, R> for F
where
    F: AsyncFnOnce(A, B) -> R + FnOnce(A, B) -> Fut,
    Fut: Future<Output = R>,
{
    type Fut = Fut;
}

fn boxed_step<C, Child, T, F>(step: F) -> AsyncThen<C, Child, T>
where
    F: for<'c> FnOnce(Vec<Child>, &'c mut C) -> BoxFuture<'c, Result<Vec<T>>> + Send + 'static,
{
    Box::new(step)
}

impl<R, C, T, K> Prefetch<R, Async<C>, T, K>
where
    R: HasMany,
    C: AsyncConnection + 'static,
    R::Child: SelectModel<C::Backend> + Send + 'static,
    T: Send + 'static,
{
    /// Nested prefetch on an async connection: turn the loaded children (all
    /// parents' children, in one list) into what each parent holds:
    /// `.then(async |books, conn| books.prefetch_reviews_async(conn).await)`.
    /// One more statement per nested relation, whatever the number of parents.
    ///
    /// `then` must return one value per child, in order — every
    /// `prefetch_*_async` method does.
    pub fn then<U, F>(self, then: F) -> Prefetch<R, Async<C>, U, K>
    where
        for<'c> F: AsyncStep<Vec<T>, &'c mut C, Result<Vec<U>>, Fut: Send> + Send + 'static,
        U: 'static,
    {
        self.map_then(|before| {
            ThenStep::Run(boxed_step(move |children, conn| {
                Box::pin(async move {
                    let children = before.run_async(children, conn).await?;
                    then(children, conn).await
                })
            }))
        })
    }
}

/// Run each statement on `conn` and concatenate the rows, in statement order.
pub(crate) async fn run_all<Q, C, T>(statements: Vec<Q>, conn: &mut C) -> QueryResult<Vec<T>>
where
    C: AsyncConnection,
    Q: LoadQuery<'static, C, T> + 'static,
    T: Send,
{
    let mut rows = Vec::new();
    for statement in statements {
        let mut chunk: Vec<T> = statement.load(conn).await?;
        if rows.is_empty() {
            rows = chunk;
        } else {
            rows.append(&mut chunk);
        }
    }
    Ok(rows)
}

/// Loading the children of has-many relation `Self` over diesel-async
/// connection `C`: runs the statements of [`BuildChildren`].
///
/// Blanket-implemented for every [`HasMany`] relation whose tables and columns
/// Diesel can query on `C`.
#[diagnostic::on_unimplemented(
    message = "relation `{Self}` cannot be loaded over async connection `{C}`",
    label = "the child query of `{Self}` does not type-check for this connection",
    note = "check that the child model is `Clone` and `Selectable` for this backend (`#[diesel(check_for_backend(...))]` shows why not), that its table is in the schema, and that the matching feature of relations-runtime is enabled"
)]
pub trait LoadHasManyAsync<C: AsyncConnection>:
    BuildChildren<C::Backend> + HasMany<Parent: LoadByKeysAsync<C>, Child: Clone>
{
    /// Run `statements`: the children, in statement order. `again` is the
    /// same load's keys and statements once more, for a top-N cut whose rows
    /// must be read again uncut (a row matched its parent only under the
    /// database's collation).
    #[doc(hidden)]
    fn load_children_async(
        statements: ChildStatements<Self, C::Backend>,
        again: Option<Again<Self, C::Backend>>,
        conn: &mut C,
    ) -> impl Future<Output = QueryResult<Rows<Self::Child>>> + Send;
}

impl<R, C> LoadHasManyAsync<C> for R
where
    C: AsyncConnection,
    R: BuildChildren<C::Backend>,
    R::Parent: LoadByKeysAsync<C>,
    // Cloned where one row belongs to several parents (keys equal only under
    // the database's collation).
    R::Child: Clone + Send,
    ModelQuery<R::Child, C::Backend>: LoadQuery<'static, C, R::Child> + Send + 'static,
    TopNQuery<R, C::Backend>: LoadQuery<'static, C, R::Child> + Send + 'static,
{
    // Written out so the trait's `+ Send` on the future is checked here.
    #[allow(clippy::manual_async_fn)]
    fn load_children_async(
        statements: ChildStatements<R, C::Backend>,
        again: Option<Again<R, C::Backend>>,
        conn: &mut C,
    ) -> impl Future<Output = QueryResult<Rows<R::Child>>> + Send {
        async move {
            match statements {
                Statements::Plain(statements) => run_all(statements, conn).await.map(Rows::all),
                Statements::Unordered(statements) => {
                    let mut rows = run_all(statements, conn).await?;
                    <<R::Child as Model>::KeyOrder as KeyOrder<R::Child>>::sort(&mut rows);
                    Ok(Rows::all(rows))
                }
                Statements::TopN(statements) => run_all(statements, conn).await.map(Rows::all),
                Statements::Cut {
                    statements,
                    offset,
                    limit,
                } => {
                    let (keys, again) = match again {
                        Some((keys, again)) => (keys, Some(again)),
                        None => (Vec::new(), None),
                    };
                    // Row by row, so that only the kept rows are held.
                    let mut cut = Cut::<R>::new(offset, limit, &keys);
                    for statement in statements {
                        let rows = statement.load_stream::<R::Child>(conn).await?;
                        let mut rows = std::pin::pin!(rows);
                        while let Some(child) = rows.try_next().await? {
                            cut.push(child);
                        }
                    }
                    if let Some(rows) = cut.into_rows() {
                        return Ok(Rows::all(rows));
                    }
                    // A row matched its parent only under the collation:
                    // read the rows again, uncut, and cut them once matched.
                    let rows = match again {
                        Some(
                            Statements::Cut { statements, .. }
                            | Statements::Plain(statements)
                            | Statements::Unordered(statements),
                        ) => run_all(statements, conn).await?,
                        Some(Statements::TopN(statements)) => run_all(statements, conn).await?,
                        None => Vec::new(),
                    };
                    Ok(Rows {
                        rows,
                        window: Some(Window { offset, limit }),
                    })
                }
            }
        }
    }
}

/// A load's keys and its statements once more, for a top-N cut that must
/// read its rows again.
type Again<R, DB> = (Vec<KeyOf<<R as HasMany>::Parent>>, ChildStatements<R, DB>);

/// Finding rows of model `Self` by primary key over diesel-async connection
/// `C`: runs the statements of [`BuildByKeys`].
pub trait LoadByKeysAsync<C: AsyncConnection>: BuildByKeys<C::Backend> {
    /// Run `statements`: the rows, in no particular order.
    fn load_by_keys_async(
        statements: Vec<ModelQuery<Self, C::Backend>>,
        conn: &mut C,
    ) -> impl Future<Output = QueryResult<Vec<Self>>> + Send;
}

impl<P, C> LoadByKeysAsync<C> for P
where
    C: AsyncConnection,
    P: BuildByKeys<C::Backend> + Send,
    ModelQuery<P, C::Backend>: LoadQuery<'static, C, P> + Send + 'static,
{
    fn load_by_keys_async(
        statements: Vec<ModelQuery<P, C::Backend>>,
        conn: &mut C,
    ) -> impl Future<Output = QueryResult<Vec<P>>> + Send {
        run_all(statements, conn)
    }
}

/// [`find_each`](crate::prefetch) on a diesel-async connection: the `P` row
/// the database finds for each of `keys`, one statement each.
async fn find_each<P, C>(keys: Vec<KeyOf<P>>, conn: &mut C) -> QueryResult<Vec<(KeyOf<P>, P)>>
where
    P: LoadByKeysAsync<C>,
    C: AsyncConnection,
{
    let mut found = Vec::new();
    for key in keys {
        let statements = P::by_keys(vec![key.clone()]);
        if let Some(row) = P::load_by_keys_async(statements, conn)
            .await?
            .into_iter()
            .next()
        {
            found.push((key, row));
        }
    }
    Ok(found)
}

/// [`find_owner_keys`](crate::prefetch) on a diesel-async connection: the
/// slot key the database matches each stray key to.
pub(crate) async fn find_owner_keys<P, C>(
    strays: Vec<KeyOf<P>>,
    slots: &Slots<'_, KeyOf<P>>,
    conn: &mut C,
) -> QueryResult<Vec<(KeyOf<P>, KeyOf<P>)>>
where
    P: LoadByKeysAsync<C>,
    C: AsyncConnection,
{
    let found = parent_keys::<P, C>(strays, conn).await?;
    match slots.respelled(&found) {
        None => Ok(found),
        Some(slot_keys) => {
            let stored = parent_keys::<P, C>(slot_keys, conn).await?;
            Ok(slots.respell(found, stored))
        }
    }
}

/// Each of `keys` with the key of the `P` row the database finds for it.
async fn parent_keys<P, C>(
    keys: Vec<KeyOf<P>>,
    conn: &mut C,
) -> QueryResult<Vec<(KeyOf<P>, KeyOf<P>)>>
where
    P: LoadByKeysAsync<C>,
    C: AsyncConnection,
{
    Ok(find_each::<P, C>(keys, conn)
        .await?
        .into_iter()
        .filter_map(|(key, row)| {
            let stored = row.primary_key()?.clone();
            Some((key, stored))
        })
        .collect())
}

/// Loading the parents of belongs-to relation `Self` over diesel-async
/// connection `C`: runs the statements of [`BuildParents`].
#[diagnostic::on_unimplemented(
    message = "relation `{Self}` cannot be loaded over async connection `{C}`",
    label = "the parent query of `{Self}` does not type-check for this connection",
    note = "check that the parent model is `Selectable` for this backend, that its table is in the schema, and that the matching feature of relations-runtime is enabled"
)]
pub trait LoadBelongsToAsync<C: AsyncConnection>:
    BuildParents<C::Backend> + BelongsTo<Reverse: HasMany<Parent: LoadByKeysAsync<C> + Clone>>
{
    /// Run `statements`: the parents, in no particular order.
    fn load_parents_async(
        statements: Vec<ModelQuery<ParentOf<Self>, C::Backend>>,
        conn: &mut C,
    ) -> impl Future<Output = QueryResult<Vec<ParentOf<Self>>>> + Send;
}

impl<R, C> LoadBelongsToAsync<C> for R
where
    C: AsyncConnection,
    R: BuildParents<C::Backend>,
    ParentOf<R>: LoadByKeysAsync<C> + Clone,
{
    fn load_parents_async(
        statements: Vec<ModelQuery<ParentOf<R>, C::Backend>>,
        conn: &mut C,
    ) -> impl Future<Output = QueryResult<Vec<ParentOf<R>>>> + Send {
        ParentOf::<R>::load_by_keys_async(statements, conn)
    }
}

/// Loading many-to-many relation `Self` over diesel-async connection `C`:
/// runs the statements of [`BuildManyToMany`].
#[diagnostic::on_unimplemented(
    message = "the many-to-many relation `{Self}` cannot be loaded over async connection `{C}`",
    label = "its join query does not type-check for this connection",
    note = "both tables must be listed in `diesel::allow_tables_to_appear_in_same_query!`, and the matching feature of relations-runtime must be enabled"
)]
pub trait LoadManyToManyAsync<C: AsyncConnection>:
    BuildManyToMany<C::Backend>
    + BuildLinks<C::Backend>
    + crate::relation::ManyToMany<Parent: LoadByKeysAsync<C>, Target: Clone>
{
    /// Run `statements`: the links, in statement order, then in link order
    /// unless `ordered` (the statements ordered them).
    fn load_targets_async(
        statements: Vec<ManyToManyQuery<Self, Async<C>>>,
        ordered: bool,
        conn: &mut C,
    ) -> impl Future<Output = QueryResult<Vec<LinkRow<Self>>>> + Send;

    /// Whether a load (`refined` or not) of `parents` parent keys takes the
    /// two-step plan.
    #[doc(hidden)]
    fn two_step(refined: bool, parents: usize) -> bool;

    /// The two-step plan: run the link statements, then load the distinct
    /// targets by key; the links with their targets, in link order. `None`
    /// where a target key found no target by equality: the join decides.
    #[doc(hidden)]
    fn load_two_step_async(
        links: Vec<<Self as BuildLinks<C::Backend>>::Query>,
        keys: Vec<KeyOf<Self::Parent>>,
        conn: &mut C,
    ) -> impl Future<Output = QueryResult<Option<Vec<LinkRow<Self>>>>> + Send;
}

impl<R, C> LoadManyToManyAsync<C> for R
where
    C: AsyncConnection,
    C::Backend: crate::batch::KeyBatching,
    R: BuildManyToMany<C::Backend> + BuildLinks<C::Backend>,
    R::Parent: LoadByKeysAsync<C>,
    R::Target: LoadByKeysAsync<C> + Clone + Send,
    R::TargetColumn: crate::aggregate::KeyColumn<KeyOf<R::Target>>,
    R::LinkKey: Ord,
    LinkRow<R>: Send,
    Link<R>: Send,
    ManyToManyQuery<R, Async<C>>: LoadQuery<'static, C, LinkRow<R>> + Send + 'static,
    <R as BuildLinks<C::Backend>>::Query: LoadQuery<'static, C, Link<R>> + Send + 'static,
{
    async fn load_targets_async(
        statements: Vec<ManyToManyQuery<R, Async<C>>>,
        ordered: bool,
        conn: &mut C,
    ) -> QueryResult<Vec<LinkRow<R>>> {
        let mut rows = run_all(statements, conn).await?;
        link_order::<R>(&mut rows, ordered);
        Ok(rows)
    }

    fn two_step(refined: bool, parents: usize) -> bool {
        two_step::<C::Backend>(refined, parents)
    }

    async fn load_two_step_async(
        links: Vec<<R as BuildLinks<C::Backend>>::Query>,
        keys: Vec<KeyOf<R::Parent>>,
        conn: &mut C,
    ) -> QueryResult<Option<Vec<LinkRow<R>>>> {
        let links: Vec<Link<R>> = run_all(links, conn).await?;
        let target_keys = target_keys::<R>(&links);
        let statements = if targets_by_parents::<C::Backend>(target_keys.len(), keys.len()) {
            R::linked_targets(keys)
        } else {
            R::Target::by_keys(target_keys)
        };
        let targets = R::Target::load_by_keys_async(statements, conn).await?;
        // `None` where a target key found no target by equality: the join
        // decides.
        Ok(assemble::<R>(links, targets))
    }
}

/// [`prefetch_has_many`](crate::prefetch_has_many) on a diesel-async
/// connection: what the generated `prefetch_<relation>_async` methods call.
pub async fn prefetch_has_many<R, S, C>(
    nodes: S,
    conn: &mut C,
) -> Result<S::Wrapped<R, Vec<R::Child>>>
where
    R: LoadHasManyAsync<C>,
    R::Child: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Parent>,
    C: AsyncConnection,
{
    prefetch_has_many_with(nodes, conn, |p| p).await
}

/// [`prefetch_has_many_with`](crate::prefetch_has_many_with) on a diesel-async
/// connection: what the generated `prefetch_<relation>_with_async` methods call.
pub async fn prefetch_has_many_with<R, S, C, T, K>(
    nodes: S,
    conn: &mut C,
    build: impl FnOnce(Prefetch<R, Async<C>>) -> Prefetch<R, Async<C>, T, K>,
) -> Result<S::Wrapped<K, Vec<T>>>
where
    R: LoadHasManyAsync<C>,
    T: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Parent>,
    C: AsyncConnection,
{
    Ok(S::from_wrapped(
        built(nodes.into_nodes(), conn, build).await?,
    ))
}

/// [`prefetch_has_one`](crate::prefetch_has_one) on a diesel-async connection.
pub async fn prefetch_has_one<R, S, C>(
    nodes: S,
    conn: &mut C,
) -> Result<S::Wrapped<R, Option<R::Child>>>
where
    R: LoadHasManyAsync<C>,
    R::Child: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Parent>,
    C: AsyncConnection,
{
    prefetch_has_one_with(nodes, conn, |p| p).await
}

/// [`prefetch_has_one_with`](crate::prefetch_has_one_with) on a diesel-async
/// connection.
pub async fn prefetch_has_one_with<R, S, C, T, K>(
    nodes: S,
    conn: &mut C,
    build: impl FnOnce(Prefetch<R, Async<C>>) -> Prefetch<R, Async<C>, T, K>,
) -> Result<S::Wrapped<K, Option<T>>>
where
    R: LoadHasManyAsync<C>,
    T: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Parent>,
    C: AsyncConnection,
{
    let grouped = built(nodes.into_nodes(), conn, build).await?;
    Ok(S::from_wrapped(at_most_one::<R, _, _, _>(grouped)?))
}

/// The children of `nodes` as the `Prefetch` built by `build` describes them.
/// The statements are built before the first `.await`, so the builder's
/// closures need not be `Send`; only the nested steps are held across it.
async fn built<R, N, C, T, K>(
    nodes: Vec<N>,
    conn: &mut C,
    build: impl FnOnce(Prefetch<R, Async<C>>) -> Prefetch<R, Async<C>, T, K>,
) -> Result<Vec<With<N, K, Vec<T>>>>
where
    R: LoadHasManyAsync<C>,
    T: Clone,
    N: Node<Model = R::Parent>,
    C: AsyncConnection,
{
    built_by(nodes, |n: &N| n.model().primary_key(), conn, build).await
}

/// [`built`] for elements that are not models: `key` gives each one's
/// parent key (the element is the key itself for the key-based loaders).
pub(crate) async fn built_by<R, E, C, T, K>(
    nodes: Vec<E>,
    key: impl Fn(&E) -> Option<&KeyOf<R::Parent>>,
    conn: &mut C,
    build: impl FnOnce(Prefetch<R, Async<C>>) -> Prefetch<R, Async<C>, T, K>,
) -> Result<Vec<With<E, K, Vec<T>>>>
where
    R: LoadHasManyAsync<C>,
    T: Clone,
    C: AsyncConnection,
{
    let slots = Slots::new(&nodes, key);
    if slots.uses.is_empty() {
        return Ok(no_rows(nodes));
    }
    let (statements, again, then) = {
        let (parts, then) = build(Prefetch::new()).into_parts();
        let spec = parts.spec();
        let statements = R::statements(slots.keys(), &spec);
        // A cut that meets a row matched only under the collation reads
        // the rows again: built here, before the first `.await`.
        let again = matches!(statements, Statements::Cut { .. })
            .then(|| (slots.keys(), R::statements(slots.keys(), &spec)));
        (statements, again, then)
    };
    let rows = R::load_children_async(statements, again, conn)
        .await
        .map_err(|e| Error::database(R::NAME, e))?;
    let (slot_of_row, strays) = slots.of_rows(&rows.rows, R::foreign_key);
    // No stray keys, no statement.
    let found = find_owner_keys::<R::Parent, C>(strays, &slots, conn)
        .await
        .map_err(|e| Error::database(R::NAME, e))?;
    let (rows, groups) = Groups::new(slots, rows, slot_of_row, R::foreign_key, &found);
    let values = then.run_async(rows, conn).await?;
    groups.hand_out(nodes, R::NAME, values)
}

/// [`prefetch_many_to_many`](crate::prefetch_many_to_many) on a diesel-async
/// connection.
pub async fn prefetch_many_to_many<R, S, C>(
    nodes: S,
    conn: &mut C,
) -> Result<S::Wrapped<R, Vec<R::Target>>>
where
    R: LoadManyToManyAsync<C>,
    R::Target: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Parent>,
    C: AsyncConnection,
{
    prefetch_many_to_many_with(nodes, conn, |through| through).await
}

/// [`prefetch_many_to_many_with`](crate::prefetch_many_to_many_with) on a
/// diesel-async connection. The statements are built before the first
/// `.await`, so the builder's closures need not be `Send`.
pub async fn prefetch_many_to_many_with<R, S, C>(
    nodes: S,
    conn: &mut C,
    build: impl FnOnce(PrefetchThrough<R, Async<C>>) -> PrefetchThrough<R, Async<C>>,
) -> Result<S::Wrapped<R, Vec<R::Target>>>
where
    R: LoadManyToManyAsync<C>,
    R::Target: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Parent>,
    C: AsyncConnection,
{
    Ok(S::from_wrapped(
        targets_by(
            nodes.into_nodes(),
            |n: &S::Node| n.model().primary_key(),
            conn,
            build,
        )
        .await?,
    ))
}

/// The targets of many-to-many relation `R` for `nodes`, each found by its
/// parent key with `key`.
#[allow(clippy::type_complexity)]
pub(crate) async fn targets_by<R, E, C>(
    nodes: Vec<E>,
    key: impl Fn(&E) -> Option<&KeyOf<R::Parent>>,
    conn: &mut C,
    build: impl FnOnce(PrefetchThrough<R, Async<C>>) -> PrefetchThrough<R, Async<C>>,
) -> Result<Vec<With<E, R, Vec<R::Target>>>>
where
    R: LoadManyToManyAsync<C>,
    R::Target: Clone,
    C: AsyncConnection,
{
    let slots = Slots::new(&nodes, key);
    if slots.uses.is_empty() {
        return Ok(no_rows(nodes));
    }
    // The statements are built here, before the first await: the join's
    // (the plan, or the fallback of the two-step plan), and the links'.
    let keys = slots.keys();
    let (statements, ordered, links) = {
        let through = build(PrefetchThrough::new());
        let spec = through.spec();
        let links = R::two_step(spec.refined, keys.len()).then(|| R::link_statements(keys.clone()));
        (R::statements(keys.clone(), &spec), spec.ordered, links)
    };
    let two_step = match links {
        Some(links) => R::load_two_step_async(links, keys, conn).await,
        None => Ok(None),
    };
    let rows = match two_step {
        Ok(Some(rows)) => Ok(rows),
        Ok(None) => R::load_targets_async(statements, ordered, conn).await,
        Err(e) => Err(e),
    }
    .map_err(|e| Error::database(R::NAME, e))?;
    let (slot_of_row, strays) = slots.of_rows(&rows, link_parent::<R>);
    // No stray keys, no statement.
    let found = find_owner_keys::<R::Parent, C>(strays, &slots, conn)
        .await
        .map_err(|e| Error::database(R::NAME, e))?;
    let (rows, groups) = Groups::new(
        slots,
        Rows::all(rows),
        slot_of_row,
        link_parent::<R>,
        &found,
    );
    let targets = rows.into_iter().map(|(_, _, target)| target).collect();
    groups.hand_out(nodes, R::NAME, targets)
}

/// [`prefetch_belongs_to`](crate::prefetch_belongs_to) on a diesel-async
/// connection.
pub async fn prefetch_belongs_to<R, S, C>(nodes: S, conn: &mut C) -> Result<S::Wrapped<R, R::Value>>
where
    R: LoadBelongsToAsync<C>,
    ParentOf<R>: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Owner>,
    C: AsyncConnection,
{
    let nodes = nodes.into_nodes();
    let slots = parent_slots::<R, _>(&nodes);
    let by_slot = parents_by_slot::<R, C>(&slots, conn).await?;
    let parents = Parents::<R>::new(slots, by_slot)?;
    Ok(S::from_wrapped(parents.hand_out(nodes)?))
}

/// [`prefetch_belongs_to_shared`](crate::prefetch_belongs_to_shared) on a
/// diesel-async connection.
pub async fn prefetch_belongs_to_shared<R, S, C>(
    nodes: S,
    conn: &mut C,
) -> Result<S::Wrapped<R, SharedOf<R>>>
where
    R: LoadBelongsToAsync<C>,
    R::Value: SharedParent<ParentOf<R>>,
    ParentOf<R>: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Owner>,
    C: AsyncConnection,
{
    let nodes = nodes.into_nodes();
    let slots = parent_slots::<R, _>(&nodes);
    let by_slot = parents_by_slot::<R, C>(&slots, conn).await?;
    let parents = Parents::<R, _>::new(slots, shared(by_slot))?;
    let shared = parents.hand_out_as(nodes, <R::Value as SharedParent<ParentOf<R>>>::share)?;
    Ok(S::from_wrapped(shared))
}

/// [`SharedParentExt`](crate::SharedParentExt) on a diesel-async connection.
pub trait SharedParentAsyncExt: Nodes {
    /// [`prefetch_shared`](crate::SharedParentExt::prefetch_shared), awaited.
    fn prefetch_shared_async<R, C>(
        self,
        relation: R,
        conn: &mut C,
    ) -> impl Future<Output = Result<Self::Wrapped<R, <Self as PrefetchSharedAsync<R, C>>::Shared>>>
    where
        Self: PrefetchSharedAsync<R, C>,
    {
        let _ = relation;
        self.prefetch_belongs_to_shared_async(conn)
    }
}

/// [`PrefetchShared`](crate::PrefetchShared) over diesel-async connection
/// `C`. Blanket-implemented.
#[diagnostic::on_unimplemented(
    message = "cannot load the parents of `{Self}` through relation `{R}` on an async connection",
    label = "`prefetch_shared_async` takes a forward relation of these children",
    note = "`books.prefetch_shared_async(BookAuthor, conn)` for the relation `author` of `Book`; a has-many relation is loaded with its own loader (`authors.prefetch_books_async(conn)`)"
)]
pub trait PrefetchSharedAsync<R, C>: Nodes {
    /// `Arc<Parent>`, or `Option<Arc<Parent>>` for a nullable key.
    type Shared;
    /// [`prefetch_belongs_to_shared`], awaited.
    fn prefetch_belongs_to_shared_async(
        self,
        conn: &mut C,
    ) -> impl Future<Output = Result<Self::Wrapped<R, Self::Shared>>>;
}

impl<R, S, C> PrefetchSharedAsync<R, C> for S
where
    S: Nodes,
    R: SharedBelongsTo<<S::Node as Node>::Model>,
    R: LoadBelongsToAsync<C>,
    R::Value: SharedParent<ParentOf<R>>,
    ParentOf<R>: Clone,
    S::Node: Node<Model = R::Owner>,
    C: AsyncConnection,
{
    type Shared = SharedOf<R>;
    fn prefetch_belongs_to_shared_async(
        self,
        conn: &mut C,
    ) -> impl Future<Output = Result<S::Wrapped<R, SharedOf<R>>>> {
        prefetch_belongs_to_shared(self, conn)
    }
}

impl<S: Nodes> SharedParentAsyncExt for S {}

/// The parents of belongs-to relation `R` for the keys of `slots`, by slot:
/// `None` where not even the database's comparison finds one.
pub(crate) async fn parents_by_slot<R, C>(
    slots: &Slots<'_, KeyOf<ParentOf<R>>>,
    conn: &mut C,
) -> Result<Vec<Option<ParentOf<R>>>>
where
    R: LoadBelongsToAsync<C>,
    ParentOf<R>: Clone,
    C: AsyncConnection,
{
    let loaded = if slots.uses.is_empty() {
        Vec::new()
    } else {
        R::load_parents_async(R::statements(slots.keys()), conn)
            .await
            .map_err(|e| Error::database(R::NAME, e))?
    };
    let mut by_slot = Parents::<R>::by_slot(slots, loaded);
    let unmatched = Parents::<R>::unmatched(slots, &by_slot);
    if !unmatched.is_empty() {
        let found = find_each::<ParentOf<R>, C>(unmatched, conn)
            .await
            .map_err(|e| Error::database(R::NAME, e))?;
        Parents::<R>::place(slots, &mut by_slot, found);
    }
    Ok(by_slot)
}

impl<R: JoinBelongsTo> SelectRelated<R> {
    /// [`load`](Self::load) on a diesel-async connection: one statement.
    pub async fn load_async<C>(self, conn: &mut C) -> Result<Vec<With<<R as Relation>::Owner, R>>>
    where
        C: AsyncConnection,
        R: BuildJoin<C::Backend>,
        JoinQuery<R, C::Backend>:
            LoadQuery<'static, C, (<R as Relation>::Owner, <R as Relation>::Value)> + 'static,
        (<R as Relation>::Owner, <R as Relation>::Value): Send,
    {
        self.load_with_async(conn, |q| q).await
    }

    /// [`load_with`](Self::load_with) on a diesel-async connection: the join
    /// refined with Diesel's query DSL, then run.
    pub async fn load_with_async<C, Q>(
        self,
        conn: &mut C,
        refine: impl FnOnce(JoinQuery<R, C::Backend>) -> Q,
    ) -> Result<Vec<With<<R as Relation>::Owner, R>>>
    where
        C: AsyncConnection,
        R: BuildJoin<C::Backend>,
        Q: LoadQuery<'static, C, (<R as Relation>::Owner, <R as Relation>::Value)> + 'static,
        (<R as Relation>::Owner, <R as Relation>::Value): Send,
    {
        let query = refine(R::join_query());
        let rows: Vec<(<R as Relation>::Owner, <R as Relation>::Value)> = query
            .load(conn)
            .await
            .map_err(|e| Error::database(<R as Relation>::NAME, e))?;
        Ok(rows
            .into_iter()
            .map(|(child, parent)| With::new(child, parent))
            .collect())
    }
}
