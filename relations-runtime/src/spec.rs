//! [`Prefetch`]: how one has-many relation is loaded — filtered, ordered,
//! nested, under another name (Django's `Prefetch(queryset=..., to_attr=...)`).

use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;

use diesel::backend::Backend;
use diesel::query_builder::QueryFragment;

use diesel::query_dsl::methods::{FilterDsl, OrFilterDsl, OrderDsl, ThenOrderDsl};
use diesel::Connection;

use crate::error::Result;
use crate::mode::{Mode, ThenStep};
use crate::query::{ChildQuery, ChildSpec, ModelQuery, SelectModel};
use crate::refine::{ChildTable, RefineFilter, RefineOrder};
use crate::relation::HasMany;
use crate::top_n::OrderTerm;

/// The user's refinement of the child query (`.filter(..)`, `.order(..)`,
/// `.query(..)`), boxed.
type Refine<R, DB> =
    Box<dyn Fn(ModelQuery<<R as HasMany>::Child, DB>) -> ModelQuery<<R as HasMany>::Child, DB>>;

/// A nested step of a blocking load: the children in, what each parent holds out.
type NestedStep<C, Child, U> = Box<dyn FnOnce(Vec<Child>, &mut C) -> Result<Vec<U>>>;

/// A [`Refine`] with its type erased, so that [`Prefetch`] can hold one
/// without the bounds that naming the child query takes
/// (`R::Child: SelectModel<DB>`). With those bounds on the struct, every
/// generated `prefetch_*_with` signature had to prove them for its two
/// `Prefetch<..>` types: a large part of the derive's compile time. The type
/// is recovered where the query is built, where the bounds hold; it is always
/// `Refine<R, DB>`, fixed by the struct's own parameters.
struct ErasedRefine(Box<dyn Any>);

impl ErasedRefine {
    fn new<R, DB>(refine: Refine<R, DB>) -> Self
    where
        R: HasMany,
        DB: Backend,
        R::Child: SelectModel<DB>,
    {
        ErasedRefine(Box::new(refine))
    }

    fn get<R, DB>(&self) -> &Refine<R, DB>
    where
        R: HasMany,
        DB: Backend,
        R::Child: SelectModel<DB>,
    {
        match self.0.downcast_ref() {
            Some(refine) => refine,
            // `Parts<R, DB>` only ever stores a `Refine<R, DB>`.
            None => unreachable!("a refinement of another query type"),
        }
    }

    fn into_inner<R, DB>(self) -> Refine<R, DB>
    where
        R: HasMany,
        DB: Backend,
        R::Child: SelectModel<DB>,
    {
        match self.0.downcast() {
            Ok(refine) => *refine,
            Err(_) => unreachable!("a refinement of another query type"),
        }
    }
}

/// How to load has-many relation `R` in mode `M` (a blocking connection, or
/// `Async<C>` for a diesel-async connection `C`): handed to the closure of a
/// generated `prefetch_<relation>_with` method, which returns it refined.
///
/// ```ignore
/// let authors = authors.prefetch_books_with(conn, |books| {
///     books
///         .filter(books::published.eq(true))       // Prefetch(queryset=...filter(...))
///         .order(books::year.desc())               // ...order_by(...)
///         .then(|b, conn| b.prefetch_review_set(conn)) // "books__reviews"
///         .named(PublishedBooks)                   // to_attr="published_books"
/// })?;
/// ```
///
/// - `T` is what each parent holds per child: the child itself, or what
///   [`then`](Self::then) made of it.
/// - `K` is the key the result is stored under: `R` unless renamed with
///   [`named`](Self::named).
#[must_use = "return the refined `Prefetch` from the closure"]
pub struct Prefetch<R, M, T = <R as HasMany>::Child, K = R>
where
    R: HasMany,
    M: Mode,
{
    parts: Parts<R, M::Backend>,
    then: ThenStep<M, R::Child, T>,
    key: PhantomData<fn() -> K>,
}

/// The query side of a [`Prefetch`]: what `Then` and the key do not change.
/// It depends on the backend only, so blocking and async loading share it.
pub(crate) struct Parts<R, DB>
where
    R: HasMany,
    DB: Backend,
{
    /// `None`: the query as it is. Otherwise a `Refine<R, DB>`.
    refine: Option<ErasedRefine>,
    relation: PhantomData<fn() -> R>,
    /// The `.order()` / `.then_order_by()` terms, kept as SQL for the window
    /// of `limit_per_parent`.
    order: Vec<OrderTerm<DB>>,
    limit_per_parent: Option<u32>,
    offset_per_parent: u32,
}

impl<R, DB> Parts<R, DB>
where
    R: HasMany,
    DB: Backend,
    R::Child: SelectModel<DB>,
{
    pub(crate) fn spec(&self) -> ChildSpec<'_, R, DB> {
        ChildSpec {
            refine: self.refine.as_ref().map(|refine| &**refine.get::<R, DB>()),
            order: &self.order,
            limit_per_parent: self.limit_per_parent,
            offset_per_parent: self.offset_per_parent,
        }
    }
}

impl<R, M> Prefetch<R, M>
where
    R: HasMany,
    M: Mode,
    R::Child: SelectModel<M::Backend>,
{
    /// Load every child, as it is.
    pub fn new() -> Self {
        Prefetch {
            parts: Parts {
                refine: None,
                relation: PhantomData,
                order: Vec::new(),
                limit_per_parent: None,
                offset_per_parent: 0,
            },
            then: ThenStep::identity(),
            key: PhantomData,
        }
    }
}

impl<R, M> Default for Prefetch<R, M>
where
    R: HasMany,
    M: Mode,
    R::Child: SelectModel<M::Backend>,
{
    fn default() -> Self {
        Self::new()
    }
}

impl<R, M, T, K> Prefetch<R, M, T, K>
where
    R: HasMany,
    M: Mode,
    R::Child: SelectModel<M::Backend>,
{
    /// Keep only the children matching `predicate`, a Diesel expression on the
    /// child's table (naming another table's column does not compile).
    /// Several filters are joined with `AND`.
    ///
    /// The predicate is kept to build each statement (one per chunk of
    /// keys), so it owns its values (`'static`): write
    /// `books::title.eq(name.clone())`, not `books::title.eq(&name)`, which
    /// fails with "borrowed value does not live long enough".
    pub fn filter<P>(self, predicate: P) -> Self
    where
        P: RefineFilter<ChildQuery<R, M>, ChildTable<R>> + Clone + 'static,
    {
        self.query(move |q| Refinement(predicate.clone().filter_query(q.0)))
    }

    /// Order each parent's children by `order` instead of by primary key.
    pub fn order<O>(mut self, order: O) -> Self
    where
        O: RefineOrder<ChildQuery<R, M>, ChildTable<R>>,
        O: diesel::Expression + QueryFragment<M::Backend> + Clone + Send + Sync + 'static,
    {
        self.parts.order = vec![Arc::new(order.clone())];
        self.query(move |q| Refinement(order.clone().order_query(q.0)))
    }

    /// Add an ordering after the one given with [`order`](Self::order), to
    /// break its ties. Without an `order`, children come by primary key,
    /// which has no ties: nothing to add.
    pub fn then_order_by<O>(mut self, order: O) -> Self
    where
        O: RefineOrder<ChildQuery<R, M>, ChildTable<R>>,
        O: diesel::Expression + QueryFragment<M::Backend> + Clone + Send + Sync + 'static,
    {
        // After the default order (the primary key, unique) another term
        // changes nothing; the window of `limit_per_parent` agrees.
        if !self.parts.order.is_empty() {
            self.parts.order.push(Arc::new(order.clone()));
        }
        self.query(move |q| Refinement(order.clone().then_order_query(q.0)))
    }

    /// Only the first `n` children of each parent, in the order given with
    /// [`order`](Self::order) (primary key by default; ties broken by primary
    /// key): Django's sliced `Prefetch`, "the 3 newest books of each author".
    ///
    /// Done in SQL with `ROW_NUMBER() OVER (PARTITION BY <foreign key> ...)`
    /// around the filtered child query — never a `LIMIT` on the whole query.
    /// On SQLite and MariaDB the child query runs in the window's order
    /// instead, and each parent's rows past `n` are dropped while they are
    /// read: their windows cost more than reading those rows (see
    /// [`KeyBatching::top_n_by_window`](crate::KeyBatching::top_n_by_window)).
    /// The same rows either way, and only the kept ones are held in memory. Orders set
    /// through [`query`](Self::query) are not seen by the window; use `order`.
    pub fn limit_per_parent(mut self, n: u32) -> Self {
        self.parts.limit_per_parent = Some(n);
        self
    }

    /// Skip the first `n` children of each parent (in the same order as
    /// [`limit_per_parent`](Self::limit_per_parent)): page 2 of every
    /// parent's children is `.offset_per_parent(10).limit_per_parent(10)`.
    /// Done in the same window.
    pub fn offset_per_parent(mut self, n: u32) -> Self {
        self.parts.offset_per_parent = n;
        self
    }

    /// Refine the child query with Diesel's query methods that say which
    /// rows a parent gets and in what order: `filter`, `or_filter`, `order`,
    /// `then_order_by` on a [`Refinement`]. The key filter is put around the
    /// whole refinement in every statement (`WHERE (<yours>) AND fk IN
    /// (<keys>)`), so the children are the same however the keys are split.
    ///
    /// `limit`, `offset` and `distinct` do not compile here: they would act on
    /// each statement rather than on each parent. Use
    /// [`limit_per_parent`](Self::limit_per_parent) and
    /// [`offset_per_parent`](Self::offset_per_parent).
    pub fn query(
        mut self,
        refine: impl Fn(Refinement<ChildQuery<R, M>>) -> Refinement<ChildQuery<R, M>> + 'static,
    ) -> Self {
        let refine: Refine<R, M::Backend> = match self.parts.refine.take() {
            None => Box::new(move |q| refine(Refinement(q)).0),
            Some(before) => {
                let before = before.into_inner::<R, M::Backend>();
                Box::new(move |q| refine(Refinement(before(q))).0)
            }
        };
        self.parts.refine = Some(ErasedRefine::new::<R, M::Backend>(refine));
        self
    }

    /// Store the result under another key (Django's `to_attr`), so the same
    /// relation can be loaded twice with different filters and both read
    /// back. Declare the key with [`alias!`](crate::alias) and read it with
    /// [`.loaded(key)`](crate::LoadedExt::loaded).
    pub fn named<K2>(self, _key: K2) -> Prefetch<R, M, T, K2> {
        Prefetch {
            parts: self.parts,
            then: self.then,
            key: PhantomData,
        }
    }
}

impl<R, C, T, K> Prefetch<R, C, T, K>
where
    R: HasMany,
    C: Connection + 'static,
    R::Child: SelectModel<C::Backend>,
{
    /// Nested prefetch: turn the loaded children (all parents' children, in
    /// one list) into what each parent holds, typically by prefetching a
    /// relation of theirs: `.then(|books, conn| books.prefetch_reviews(conn))`.
    /// One more statement per nested relation, whatever the number of parents.
    ///
    /// `then` must return one value per child, in order — every `prefetch_*`
    /// method does.
    pub fn then<U>(
        self,
        then: impl FnOnce(Vec<T>, &mut C) -> Result<Vec<U>> + 'static,
    ) -> Prefetch<R, C, U, K>
    where
        T: 'static,
    {
        self.map_then(|before| {
            let chained: NestedStep<C, R::Child, U> = Box::new(move |children, conn| {
                let children = before.run(children, conn)?;
                then(children, conn)
            });
            ThenStep::Run(chained)
        })
    }
}

impl<R, M, T, K> Prefetch<R, M, T, K>
where
    R: HasMany,
    M: Mode,
{
    #[allow(clippy::type_complexity)]
    pub(crate) fn into_parts(self) -> (Parts<R, M::Backend>, ThenStep<M, R::Child, T>) {
        (self.parts, self.then)
    }

    /// Chain another nested step after the current ones.
    pub(crate) fn map_then<U>(
        self,
        chain: impl FnOnce(ThenStep<M, R::Child, T>) -> ThenStep<M, R::Child, U>,
    ) -> Prefetch<R, M, U, K> {
        Prefetch {
            parts: self.parts,
            then: chain(self.then),
            key: PhantomData,
        }
    }
}

/// The child query as [`Prefetch::query`] hands it to its closure: Diesel's
/// methods that choose rows and order them, and nothing whose meaning is
/// global to a statement.
///
/// A prefetch runs one statement per chunk of parent keys (SQLite and MySQL
/// split large key lists), so a `LIMIT`, `OFFSET` or `DISTINCT` would apply
/// per chunk, giving different rows with different numbers of parents. They
/// are compile errors here that name the per-parent builder methods.
#[must_use = "return the refined query from the closure"]
pub struct Refinement<Q>(Q);

impl<Q> Refinement<Q> {
    /// `WHERE .. AND predicate`: Diesel's `filter`.
    pub fn filter<P>(self, predicate: P) -> Self
    where
        Q: FilterDsl<P, Output = Q>,
    {
        Refinement(self.0.filter(predicate))
    }

    /// `WHERE .. OR predicate`: Diesel's `or_filter`. Still only among the
    /// children of the parents being loaded.
    pub fn or_filter<P>(self, predicate: P) -> Self
    where
        Q: OrFilterDsl<P, Output = Q>,
    {
        Refinement(self.0.or_filter(predicate))
    }

    /// `ORDER BY order`, replacing the primary-key order.
    pub fn order<O>(self, order: O) -> Self
    where
        O: diesel::Expression,
        Q: OrderDsl<O, Output = Q>,
    {
        Refinement(self.0.order(order))
    }

    /// The same as [`order`](Self::order).
    pub fn order_by<O>(self, order: O) -> Self
    where
        O: diesel::Expression,
        Q: OrderDsl<O, Output = Q>,
    {
        self.order(order)
    }

    /// Add an ordering after the current one.
    pub fn then_order_by<O>(self, order: O) -> Self
    where
        O: diesel::Expression,
        Q: ThenOrderDsl<O, Output = Q>,
    {
        Refinement(self.0.then_order_by(order))
    }

    /// Does not compile: see [`Prefetch::limit_per_parent`].
    pub fn limit<N>(self, _limit: N) -> Self
    where
        N: refinement::LimitIsPerParent,
    {
        self
    }

    /// Does not compile: see [`Prefetch::offset_per_parent`].
    pub fn offset<N>(self, _offset: N) -> Self
    where
        N: refinement::OffsetIsPerParent,
    {
        self
    }

    /// Does not compile: `DISTINCT` would act on each statement.
    pub fn distinct(self) -> Self
    where
        Q: refinement::NoDistinct,
    {
        self
    }
}

/// The traits that turn `limit`, `offset` and `distinct` in a
/// [`Refinement`] into compile errors. Implemented for nothing.
pub mod refinement {
    /// Not implemented: `limit` in a prefetch refinement.
    #[diagnostic::on_unimplemented(
        message = "`.limit()` in a prefetch refinement would limit each statement (each chunk of parent keys), not each parent",
        label = "not allowed in `Prefetch::query`",
        note = "use `.limit_per_parent(n)` on the `Prefetch` builder: the first `n` children of every parent, in its `.order(..)`"
    )]
    pub trait LimitIsPerParent {}

    /// Not implemented: `offset` in a prefetch refinement.
    #[diagnostic::on_unimplemented(
        message = "`.offset()` in a prefetch refinement would skip rows of each statement (each chunk of parent keys), not of each parent",
        label = "not allowed in `Prefetch::query`",
        note = "use `.offset_per_parent(n)` on the `Prefetch` builder: every parent's children after its first `n`"
    )]
    pub trait OffsetIsPerParent {}

    /// Not implemented: `distinct` in a prefetch refinement.
    #[diagnostic::on_unimplemented(
        message = "`.distinct()` in a prefetch refinement is not supported",
        label = "not allowed in `Prefetch::query`",
        note = "each child row is loaded once already; to drop children, `.filter(..)` them"
    )]
    pub trait NoDistinct {}
}

/// Declare relation keys of your own, for loading a relation a second time
/// under another name ([`Prefetch::named`], Django's `to_attr`).
///
/// Give the key the type it will hold (`: Vec<Book>`) and it can be named in
/// a signature like a relation key: `With<Author, PublishedBooks>` is an
/// author with its published books. Without one, name the value yourself:
/// `With<Author, PublishedBooks, Vec<Book>>`.
///
/// ```ignore
/// diesel_relations::alias! {
///     /// Only the published books.
///     pub PublishedBooks: Vec<Book>;
/// }
/// let authors: Vec<With<With<Author, AuthorBooks>, PublishedBooks>> = authors
///     .prefetch_books(conn)?
///     .prefetch_books_with(conn, |b| b.filter(books::published.eq(true)).named(PublishedBooks))?;
/// let all: &Vec<Book> = authors[0].books();
/// let published: &Vec<Book> = authors[0].loaded(PublishedBooks);
/// ```
#[macro_export]
macro_rules! alias {
    ($($(#[$attr:meta])* $vis:vis $name:ident $(: $value:ty)?;)+) => {
        $(
            $(#[$attr])*
            #[derive(Clone, Copy, Debug, Default)]
            $vis struct $name;

            impl $crate::RelationName for $name {
                const NAME: &'static str = stringify!($name);
            }

            $(
                impl $crate::KeyValue for $name {
                    type Value = $value;
                }
            )?
        )+
    };
}

/// What a key holds when `With<Model, Key>` leaves the value type out: the
/// relation's value (`Vec<Book>` for `AuthorBooks`), or the type an
/// [`alias!`](crate::alias) key was declared with.
#[diagnostic::on_unimplemented(
    message = "`{Self}` does not say what it holds: write the value type, `With<_, {Self}, Vec<..>>`",
    label = "a key declared with `alias!` and no type",
    note = "or declare the key with its type: `alias! {{ pub {Self}: Vec<Book>; }}`"
)]
pub trait KeyValue {
    /// The value.
    type Value;
}

impl<R: crate::relation::Relation> KeyValue for R {
    type Value = <R as crate::relation::Relation>::Value;
}

/// A name for a loaded value, used by `Debug` and serialization. Implemented
/// by every relation key and by keys declared with [`alias!`](crate::alias).
pub trait RelationName {
    /// The name (`"books"`, `"PublishedBooks"`).
    const NAME: &'static str;
    /// The name `Debug` and serialization write: [`NAME`](Self::NAME), or
    /// one made from another key's (`books_count` for `Count<AuthorBooks>`).
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed(Self::NAME)
    }
}

impl<R: crate::relation::Relation> RelationName for R {
    const NAME: &'static str = <R as crate::relation::Relation>::NAME;
}

/// `.loaded(key)`: read a loaded relation by its key, whatever its name
/// (generated key or [`alias!`](crate::alias)).
pub trait LoadedExt {
    /// The value loaded under `key`. Does not compile when nothing was
    /// loaded under that key.
    fn loaded<K, I>(&self, _key: K) -> &<Self as crate::with::Get<K, I>>::Value
    where
        Self: crate::with::Get<K, I>,
    {
        self.get()
    }

    /// The value loaded under `key`, mutably: the generated accessors
    /// (`books()`) read, this one writes
    /// (`author.loaded_mut(AuthorBooks).retain(|b| b.year > 2000)`).
    fn loaded_mut<K, I>(&mut self, _key: K) -> &mut <Self as crate::with::Get<K, I>>::Value
    where
        Self: crate::with::Get<K, I>,
    {
        self.get_mut()
    }
}

impl<T: ?Sized> LoadedExt for T {}
