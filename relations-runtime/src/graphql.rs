//! async-graphql DataLoaders for every relation (feature `async-graphql`).
//!
//! A [`RelationLoader`] loads one relation by key with the statements of the
//! `prefetch_*` loaders, on a connection it takes from a diesel-async pool:
//! the resolvers of one GraphQL level ask it for their own parent's children,
//! and async-graphql's [`DataLoader`](https://docs.rs/async-graphql/7/async_graphql/dataloader/struct.DataLoader.html) batches them into one call (one
//! statement per chunk of keys), however many parents the level has.
//!
//! ```ignore
//! use async_graphql::dataloader::DataLoader;
//! use diesel_relations::graphql::{LoadFor, RelationLoader};
//!
//! type BooksLoader = DataLoader<RelationLoader<AuthorBooks, Pool<AsyncPgConnection>>>;
//!
//! let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
//!     .data(DataLoader::new(RelationLoader::new(AuthorBooks, pool.clone()), tokio::spawn))
//!     .finish();
//!
//! #[Object]
//! impl AuthorObject {
//!     async fn books(&self, ctx: &Context<'_>) -> Result<Vec<BookObject>> {
//!         let books = ctx.data::<BooksLoader>()?.load_for(&self.0).await?;
//!         Ok(books.into_iter().map(BookObject).collect())
//!     }
//! }
//! ```
//!
//! - Typed: [`LoadFor::load_for`] takes the relation's owner model (`&Author`
//!   for `AuthorBooks`), so asking a loader for another model's relation does
//!   not compile. `load_one(key)` works too, with the owner's key (the
//!   foreign-key value for a belongs-to relation).
//! - Values: `Vec<Child>` for has-many and many-to-many, `Option<Child>` for
//!   one-to-one, the parent (or `Option` of it for a nullable foreign key)
//!   for belongs-to — what the `prefetch_*` loaders hand each owner.
//! - Errors: a failed load is `Arc<`[`Error`]`>`, whose message names the
//!   relation; `?` in a resolver makes it a GraphQL error.
//! - Counts: a [`CountLoader`] loads the number of children per key (a
//!   `bookCount` field) with one `GROUP BY` statement, without the children.
//! - Arguments: a [`RefinedLoader`] takes the field's arguments with each key
//!   and refines the statement with them (filter, order, top-N per parent):
//!   one statement per distinct argument value in a batch.

use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;
use std::hash::Hash;
use std::marker::PhantomData;
use std::ops::DerefMut;
use std::sync::Arc;

use async_graphql::dataloader::{CacheFactory, DataLoader, Loader};
use diesel_async::AsyncConnection;

use crate::aggregate::{Count, CountFilter, CountRow, KeyColumn, LoadCountsAsync};
use crate::asynchronous::{Async, LoadBelongsToAsync, LoadHasManyAsync, LoadManyToManyAsync};
use crate::error::{Error, Result};
use crate::keyed::on_async::{belongs_to_by, count_by_async, has_many_by, many_to_many_by};
use crate::keyed::{self, ByKey, OwnerKey};
use crate::model::PrimaryKey;
use crate::query::{BuildManyToMany, KeyOf, ParentOf};
use crate::relation::{BelongsTo, Relation};
use crate::shape::kind;
use crate::spec::Prefetch;
use crate::through::PrefetchThrough;
use crate::two_step::BuildLinks;

/// Where a loader takes its connections: a diesel-async deadpool pool
/// (`diesel_async::pooled_connection::deadpool::Pool<C>`), or your own.
pub trait ConnectionPool: Send + Sync + 'static {
    /// The connection type.
    type Connection: AsyncConnection + Send + 'static;
    /// A connection checked out of the pool.
    type Guard: DerefMut<Target = Self::Connection> + Send;
    /// Check a connection out; the error's message on failure.
    fn connection(&self) -> impl Future<Output = Result<Self::Guard, String>> + Send;
}

impl<M> ConnectionPool for deadpool::managed::Pool<M>
where
    M: deadpool::managed::Manager + 'static,
    M::Type: AsyncConnection + Send + 'static,
    M::Error: Display,
{
    type Connection = M::Type;
    type Guard = deadpool::managed::Object<M>;
    async fn connection(&self) -> Result<Self::Guard, String> {
        self.get().await.map_err(|e| e.to_string())
    }
}

/// A relation loaded by key over connection `C`: blanket-implemented for
/// every relation of the derive whose loader runs on `C`.
#[diagnostic::on_unimplemented(
    message = "relation `{Self}` cannot be loaded by key over async connection `{C}`",
    label = "its async loader does not apply to this connection",
    note = "check that the models are `Clone + Send + Sync` and `Selectable` for this backend, and that the backend's feature is enabled"
)]
pub trait KeyedRelation<C: AsyncConnection>: OwnerKey<Key: Send + Sync + 'static> {
    /// What one key loads: `Vec<Book>`, `Option<Profile>`, `Author`.
    type Loaded: Clone + Send + Sync + 'static;
    /// What an owner gets ([`LoadFor::load_for`]): the `Loaded` of its key,
    /// or for belongs-to the relation's value (`Author` or `Option<Author>`).
    type Output;
    /// What a [`RefinedLoader`] refines: [`Prefetch`] for has-many and
    /// one-to-one, [`PrefetchThrough`] for many-to-many, [`Unrefined`] for
    /// belongs-to.
    type Builder;
    /// Load `keys`, refined by `refine`.
    #[doc(hidden)]
    fn load_keyed(
        keys: Vec<Self::Key>,
        conn: &mut C,
        refine: impl FnOnce(Self::Builder) -> Self::Builder + Send,
    ) -> impl Future<Output = Result<ByKey<Self::Key, Self::Loaded>>> + Send;
    /// The owner's value from what its key loaded.
    #[doc(hidden)]
    fn value(key: Option<&Self::Key>, loaded: Option<Self::Loaded>) -> Result<Self::Output>;
}

/// A belongs-to relation is loaded by the parent's key alone: there is
/// nothing to refine.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unrefined;

/// How relations of one [`kind`] load by key.
#[doc(hidden)]
pub trait KeyedKind<R: OwnerKey, C: AsyncConnection> {
    type Loaded: Clone + Send + Sync + 'static;
    type Output;
    type Builder;
    fn load_keyed(
        keys: Vec<R::Key>,
        conn: &mut C,
        refine: impl FnOnce(Self::Builder) -> Self::Builder + Send,
    ) -> impl Future<Output = Result<ByKey<R::Key, Self::Loaded>>> + Send;
    fn value(key: Option<&R::Key>, loaded: Option<Self::Loaded>) -> Result<Self::Output>;
}

impl<R, C> KeyedRelation<C> for R
where
    C: AsyncConnection,
    R: OwnerKey<Key: Send + Sync + 'static>,
    R::RelationKind: KeyedKind<R, C>,
{
    type Loaded = <R::RelationKind as KeyedKind<R, C>>::Loaded;
    type Output = <R::RelationKind as KeyedKind<R, C>>::Output;
    type Builder = <R::RelationKind as KeyedKind<R, C>>::Builder;
    fn load_keyed(
        keys: Vec<R::Key>,
        conn: &mut C,
        refine: impl FnOnce(Self::Builder) -> Self::Builder + Send,
    ) -> impl Future<Output = Result<ByKey<R::Key, Self::Loaded>>> + Send {
        <R::RelationKind as KeyedKind<R, C>>::load_keyed(keys, conn, refine)
    }
    fn value(key: Option<&R::Key>, loaded: Option<Self::Loaded>) -> Result<Self::Output> {
        <R::RelationKind as KeyedKind<R, C>>::value(key, loaded)
    }
}

impl<R, C> KeyedKind<R, C> for kind::HasMany
where
    C: AsyncConnection + Send,
    R: LoadHasManyAsync<C> + OwnerKey<Key = KeyOf<R::Parent>>,
    R::Parent: Send,
    KeyOf<R::Parent>: Send + Sync,
    R::Child: Send + Sync + 'static,
{
    type Loaded = Vec<R::Child>;
    type Output = Vec<R::Child>;
    type Builder = Prefetch<R, Async<C>>;
    fn load_keyed(
        keys: Vec<R::Key>,
        conn: &mut C,
        refine: impl FnOnce(Self::Builder) -> Self::Builder + Send,
    ) -> impl Future<Output = Result<ByKey<R::Key, Self::Loaded>>> + Send {
        has_many_by(keys, conn, refine)
    }
    fn value(_: Option<&R::Key>, loaded: Option<Self::Loaded>) -> Result<Self::Output> {
        Ok(loaded.unwrap_or_default())
    }
}

impl<R, C> KeyedKind<R, C> for kind::HasOne
where
    C: AsyncConnection + Send,
    R: LoadHasManyAsync<C> + OwnerKey<Key = KeyOf<R::Parent>>,
    R::Parent: Send,
    KeyOf<R::Parent>: Send + Sync,
    R::Child: Send + Sync + 'static,
{
    type Loaded = Option<R::Child>;
    type Output = Option<R::Child>;
    type Builder = Prefetch<R, Async<C>>;
    async fn load_keyed(
        keys: Vec<R::Key>,
        conn: &mut C,
        refine: impl FnOnce(Self::Builder) -> Self::Builder + Send,
    ) -> Result<ByKey<R::Key, Self::Loaded>> {
        keyed::at_most_one::<R, _>(has_many_by(keys, conn, refine).await?)
    }
    fn value(_: Option<&R::Key>, loaded: Option<Self::Loaded>) -> Result<Self::Output> {
        Ok(loaded.flatten())
    }
}

impl<R, C> KeyedKind<R, C> for kind::ManyToMany
where
    C: AsyncConnection + Send,
    R: LoadManyToManyAsync<C> + OwnerKey<Key = KeyOf<R::Parent>>,
    R::Parent: Send,
    KeyOf<R::Parent>: Send + Sync,
    R::LinkKey: Send,
    <R as BuildManyToMany<C::Backend>>::Query: Send,
    <R as BuildLinks<C::Backend>>::Query: Send,
    R::Target: Send + Sync + 'static,
{
    type Loaded = Vec<R::Target>;
    type Output = Vec<R::Target>;
    type Builder = PrefetchThrough<R, Async<C>>;
    fn load_keyed(
        keys: Vec<R::Key>,
        conn: &mut C,
        refine: impl FnOnce(Self::Builder) -> Self::Builder + Send,
    ) -> impl Future<Output = Result<ByKey<R::Key, Self::Loaded>>> + Send {
        many_to_many_by(keys, conn, refine)
    }
    fn value(_: Option<&R::Key>, loaded: Option<Self::Loaded>) -> Result<Self::Output> {
        Ok(loaded.unwrap_or_default())
    }
}

impl<R, C> KeyedKind<R, C> for kind::BelongsTo
where
    C: AsyncConnection + Send,
    R: LoadBelongsToAsync<C> + OwnerKey<Key = KeyOf<ParentOf<R>>>,
    KeyOf<ParentOf<R>>: Send + Sync,
    ParentOf<R>: Send + Sync + 'static,
{
    type Loaded = ParentOf<R>;
    type Output = <R as Relation>::Value;
    type Builder = Unrefined;
    fn load_keyed(
        keys: Vec<R::Key>,
        conn: &mut C,
        _: impl FnOnce(Self::Builder) -> Self::Builder + Send,
    ) -> impl Future<Output = Result<ByKey<R::Key, Self::Loaded>>> + Send {
        belongs_to_by::<R, C>(keys, conn)
    }
    fn value(key: Option<&R::Key>, loaded: Option<Self::Loaded>) -> Result<Self::Output> {
        let missing = loaded.is_none();
        match <R as BelongsTo>::value(loaded) {
            Some(value) => Ok(value),
            None if missing => match key {
                Some(key) => Err(Error::missing_parent(R::NAME, key)),
                None => Err(Error::missing_parent(R::NAME, &"NULL")),
            },
            None => Err(Error::missing_parent(R::NAME, &"NULL")),
        }
    }
}

/// An async-graphql [`Loader`](https://docs.rs/async-graphql/7/async_graphql/dataloader/trait.Loader.html) for relation `R`, on connections from pool
/// `P`: wrap it in a [`DataLoader`](https://docs.rs/async-graphql/7/async_graphql/dataloader/struct.DataLoader.html), put that in the schema's data, and ask
/// it with [`LoadFor::load_for`] (or `load_one(key)`).
pub struct RelationLoader<R, P> {
    pool: P,
    relation: PhantomData<fn() -> R>,
}

impl<R, P> RelationLoader<R, P> {
    /// A loader for relation `R` (the relation key: `AuthorBooks`) on `pool`.
    pub fn new(_relation: R, pool: P) -> Self {
        RelationLoader {
            pool,
            relation: PhantomData,
        }
    }

    /// The pool the loader takes its connections from.
    pub fn pool(&self) -> &P {
        &self.pool
    }
}

impl<R, P> Loader<R::Key> for RelationLoader<R, P>
where
    P: ConnectionPool,
    R: KeyedRelation<P::Connection>,
{
    type Value = R::Loaded;
    type Error = Arc<Error>;

    async fn load(&self, keys: &[R::Key]) -> Result<HashMap<R::Key, R::Loaded>, Arc<Error>> {
        let keys = keys.to_vec();
        let mut conn = connection::<R, P>(&self.pool).await?;
        R::load_keyed(keys, &mut conn, |builder| builder)
            .await
            .map_err(Arc::new)
    }
}

async fn connection<R: Relation, P: ConnectionPool>(pool: &P) -> Result<P::Guard, Arc<Error>> {
    pool.connection()
        .await
        .map_err(|e| Arc::new(Error::pool(R::NAME, &e)))
}

/// Refines relation `R`'s statement with a resolver's arguments `A`.
pub type Refine<R, P, A> =
    dyn Fn(
            <R as KeyedRelation<<P as ConnectionPool>::Connection>>::Builder,
            &A,
        ) -> <R as KeyedRelation<<P as ConnectionPool>::Connection>>::Builder
        + Send
        + Sync;

/// A [`RelationLoader`] whose keys carry the field's arguments `A` (any
/// `Clone + Eq + Hash` type: a struct of the GraphQL arguments), and which
/// refines each load with them: `books(first: 2)` and `books(year: 1999)` in
/// one query are two statements, one per distinct argument value, however
/// many authors ask.
///
/// ```ignore
/// #[derive(Clone, PartialEq, Eq, Hash)]
/// struct BookArgs { first: Option<u32> } // `limit_per_parent` takes a u32
///
/// type Books = DataLoader<RefinedLoader<AuthorBooks, Db, BookArgs>>;
///
/// let loader = RefinedLoader::new(AuthorBooks, pool.clone(), |b, args: &BookArgs| {
///     match args.first {
///         Some(n) => b.order(books::year.desc()).limit_per_parent(n),
///         None => b,
///     }
/// });
/// let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
///     .data(DataLoader::new(loader, tokio::spawn))
///     .finish();
///
/// // in `impl AuthorNode` (`AuthorNode(Author)`):
/// async fn books(&self, ctx: &Context<'_>, first: Option<u32>) -> Result<Vec<BookNode>> {
///     let books = ctx.data::<Books>()?.load_with(&self.0, BookArgs { first }).await?;
///     Ok(books.into_iter().map(BookNode).collect())
/// }
/// ```
pub struct RefinedLoader<R, P, A>
where
    P: ConnectionPool,
    R: KeyedRelation<P::Connection>,
{
    pool: P,
    refine: Box<Refine<R, P, A>>,
}

impl<R, P, A> RefinedLoader<R, P, A>
where
    P: ConnectionPool,
    R: KeyedRelation<P::Connection>,
{
    /// A loader for relation `R` on `pool`, refined by `refine` with each
    /// key's arguments.
    pub fn new(
        _relation: R,
        pool: P,
        refine: impl Fn(R::Builder, &A) -> R::Builder + Send + Sync + 'static,
    ) -> Self {
        RefinedLoader {
            pool,
            refine: Box::new(refine),
        }
    }
}

impl<R, P, A> Loader<(R::Key, A)> for RefinedLoader<R, P, A>
where
    P: ConnectionPool,
    R: KeyedRelation<P::Connection>,
    A: Clone + Eq + Hash + Send + Sync + 'static,
{
    type Value = R::Loaded;
    type Error = Arc<Error>;

    async fn load(
        &self,
        keys: &[(R::Key, A)],
    ) -> Result<HashMap<(R::Key, A), R::Loaded>, Arc<Error>> {
        // One load per distinct argument value, in the order first asked.
        let mut by_args: Vec<(A, Vec<R::Key>)> = Vec::new();
        let mut index: HashMap<&A, usize> = HashMap::new();
        for (key, args) in keys {
            let i = *index.entry(args).or_insert_with(|| {
                by_args.push((args.clone(), Vec::new()));
                by_args.len() - 1
            });
            by_args[i].1.push(key.clone());
        }
        drop(index);
        let mut conn = connection::<R, P>(&self.pool).await?;
        let mut loaded = HashMap::with_capacity(keys.len());
        for (args, keys) in by_args {
            let refine = &self.refine;
            let found = R::load_keyed(keys, &mut conn, |builder| refine(builder, &args))
                .await
                .map_err(Arc::new)?;
            loaded.extend(
                found
                    .into_iter()
                    .map(|(key, value)| ((key, args.clone()), value)),
            );
        }
        Ok(loaded)
    }
}

/// An async-graphql [`Loader`](https://docs.rs/async-graphql/7/async_graphql/dataloader/trait.Loader.html) of the number of children of relation `R`
/// (has-many, one-to-one or many-to-many) per owner key: a `bookCount`
/// field without loading the books, one `GROUP BY` statement per batch.
/// Every key maps to its count (0 for none).
pub struct CountLoader<R, P> {
    pool: P,
    relation: PhantomData<fn() -> R>,
}

impl<R, P> CountLoader<R, P> {
    /// A loader of relation `R`'s counts (the relation key: `AuthorBooks`)
    /// on `pool`.
    pub fn new(_relation: R, pool: P) -> Self {
        CountLoader {
            pool,
            relation: PhantomData,
        }
    }
}

impl<R, P> Loader<KeyOf<R::Owner>> for CountLoader<R, P>
where
    P: ConnectionPool,
    R: LoadCountsAsync<P::Connection>,
    R::Column: KeyColumn<KeyOf<R::Owner>>,
    R::Owner: Send,
    KeyOf<R::Owner>: Send + Sync + 'static,
    CountRow<R>: Send,
{
    type Value = i64;
    type Error = Arc<Error>;

    async fn load(
        &self,
        keys: &[KeyOf<R::Owner>],
    ) -> Result<HashMap<KeyOf<R::Owner>, i64>, Arc<Error>> {
        let keys = keys.to_vec();
        let mut conn = connection::<R, P>(&self.pool).await?;
        count_by_async::<R, P::Connection, Count<R>>(keys, &mut conn, CountFilter::all())
            .await
            .map_err(Arc::new)
    }
}

impl<R, P, Cache> LoadFor for DataLoader<CountLoader<R, P>, Cache>
where
    P: ConnectionPool,
    R: LoadCountsAsync<P::Connection>,
    R::Column: KeyColumn<KeyOf<R::Owner>>,
    R::Owner: Send,
    KeyOf<R::Owner>: Send + Sync + 'static,
    CountRow<R>: Send,
    Cache: CacheFactory,
{
    type Owner = R::Owner;
    type Value = i64;
    fn load_for(&self, owner: &R::Owner) -> impl Future<Output = Result<i64, Arc<Error>>> + Send {
        let key = owner.primary_key().cloned();
        async move {
            Ok(match key {
                Some(key) => self.load_one(key).await?.unwrap_or(0),
                None => 0,
            })
        }
    }
}

/// Typed loading through a [`DataLoader`](https://docs.rs/async-graphql/7/async_graphql/dataloader/struct.DataLoader.html) of a [`RelationLoader`]: by the
/// owner model itself, so the relation of another model does not compile.
pub trait LoadFor {
    /// The model the relation is read from (`Author` for `AuthorBooks`).
    type Owner;
    /// What the owner gets: `Vec<Book>`, `Option<Profile>`, `Author`.
    type Value;
    /// `owner`'s relation, batched with every other `load_for` of this
    /// loader that runs at the same time.
    fn load_for(
        &self,
        owner: &Self::Owner,
    ) -> impl Future<Output = Result<Self::Value, Arc<Error>>> + Send;
}

impl<R, P, Cache> LoadFor for DataLoader<RelationLoader<R, P>, Cache>
where
    P: ConnectionPool,
    R: KeyedRelation<P::Connection>,
    Cache: CacheFactory,
{
    type Owner = R::Owner;
    type Value = R::Output;
    fn load_for(
        &self,
        owner: &R::Owner,
    ) -> impl Future<Output = Result<R::Output, Arc<Error>>> + Send {
        let key = R::owner_key(owner).cloned();
        async move {
            let loaded = match &key {
                Some(key) => self.load_one(key.clone()).await?,
                None => None,
            };
            R::value(key.as_ref(), loaded).map_err(Arc::new)
        }
    }
}

/// Typed loading through a [`DataLoader`](https://docs.rs/async-graphql/7/async_graphql/dataloader/struct.DataLoader.html) of a [`RefinedLoader`]: by the
/// owner model and the field's arguments.
pub trait LoadWith {
    /// The model the relation is read from.
    type Owner;
    /// The arguments each load is refined with.
    type Args;
    /// What the owner gets.
    type Value;
    /// `owner`'s relation refined with `args`, batched with every other
    /// `load_with` of this loader that runs at the same time.
    fn load_with(
        &self,
        owner: &Self::Owner,
        args: Self::Args,
    ) -> impl Future<Output = Result<Self::Value, Arc<Error>>> + Send;
}

impl<R, P, A, Cache> LoadWith for DataLoader<RefinedLoader<R, P, A>, Cache>
where
    P: ConnectionPool,
    R: KeyedRelation<P::Connection>,
    A: Clone + Eq + Hash + Send + Sync + 'static,
    Cache: CacheFactory,
{
    type Owner = R::Owner;
    type Args = A;
    type Value = R::Output;
    fn load_with(
        &self,
        owner: &R::Owner,
        args: A,
    ) -> impl Future<Output = Result<R::Output, Arc<Error>>> + Send {
        let key = R::owner_key(owner).cloned();
        async move {
            let loaded = match &key {
                Some(key) => self.load_one((key.clone(), args)).await?,
                None => None,
            };
            R::value(key.as_ref(), loaded).map_err(Arc::new)
        }
    }
}
