//! Declared result shapes: a struct that says which relations to load, filled
//! in one statement for the models plus one per relation in the tree.
//!
//! `#[derive(Shape)]` implements [`Shape`] and [`LoadShape`] for the struct;
//! this module is the generic part. Each relation field is loaded with the
//! relation's own loader (the same statements as `prefetch_*`), and a field of
//! a nested shape is filled by loading that shape onto all the children at
//! once ([`Reshape`]), so a nested relation costs one statement whatever the
//! number of parents.

use std::any::Any;

use diesel::query_dsl::methods::LoadQuery;
use diesel::{Connection, RunQueryDsl};

use crate::error::{Error, Result};
use crate::join::{BuildJoin, JoinBelongsTo, JoinQuery, JoinRefinement, SelectRelated};
use crate::mode::Mode;
use crate::model::{Model, Node};
use crate::prefetch::{
    prefetch_belongs_to, prefetch_has_many, prefetch_has_many_with, prefetch_has_one,
    prefetch_has_one_with, prefetch_many_to_many, prefetch_many_to_many_with,
};
use crate::query::BuildManyToMany;
use crate::query::{LoadBelongsTo, LoadHasMany, LoadManyToMany, ParentOf};
use crate::relation::{HasMany, Relation};
use crate::spec::Prefetch;
use crate::through::PrefetchThrough;
use crate::with::With;

/// Which loader a relation takes, the [`Relation::RelationKind`] the derive sets.
pub mod kind {
    /// A has-many relation (`Author` → `Vec<Book>`).
    pub enum HasMany {}
    /// A one-to-one relation (`Author` → `Option<Profile>`).
    pub enum HasOne {}
    /// A belongs-to relation (`Book` → `Author`, or `Option<Author>` for a
    /// nullable foreign key).
    pub enum BelongsTo {}
    /// A many-to-many relation through a join model (`Book` → `Vec<Tag>`).
    pub enum ManyToMany {}
}

/// A declared result shape: a struct holding a model and some of its
/// relations, or the model itself (a model is the shape with no relations).
///
/// Implemented by `#[derive(Shape)]`, and for every model.
pub trait Shape: Sized + 'static {
    /// The model the shape is built on.
    type Model: Model;
}

impl<M: Model> Shape for M {
    type Model = M;
}

/// `Self` is model `M`, or a shape of it: what a relation field holds.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is neither the model `{M}` nor a shape of it",
    label = "this field holds `{M}`s",
    note = "write `{M}`, or a struct with `#[derive(Shape)]` and `#[shape(model = {M})]`"
)]
pub trait ShapeOf<M>: Shape<Model = M> {}

impl<M: Model> ShapeOf<M> for M {}

/// A field type that can hold `V`, what a relation of kind `Kind` loads per
/// owner: `Vec<_>` for has-many and many-to-many, `Option<_>` for one-to-one
/// and a nullable belongs-to, the parent for a belongs-to; in each, the model
/// or a shape of it.
#[diagnostic::on_unimplemented(
    message = "a field of type `{Self}` cannot hold this relation, which loads `{V}`",
    label = "expected `{V}`, or the same with a shape in place of the model",
    note = "has-many and many-to-many relations fill a `Vec<_>`, one-to-one and nullable belongs-to an `Option<_>`, belongs-to the parent itself"
)]
pub trait ReshapeOf<Kind, V> {}

impl<M, T: ShapeOf<M>> ReshapeOf<kind::HasMany, Vec<M>> for Vec<T> {}
impl<M, T: ShapeOf<M>> ReshapeOf<kind::ManyToMany, Vec<M>> for Vec<T> {}
impl<M, T: ShapeOf<M>> ReshapeOf<kind::HasOne, Option<M>> for Option<T> {}
impl<M, T: ShapeOf<M>> ReshapeOf<kind::BelongsTo, Option<M>> for Option<T> {}
impl<M: Model, T: ShapeOf<M>> ReshapeOf<kind::BelongsTo, M> for T {}

/// The check `#[derive(Shape)]` makes at each relation field: `K` is a
/// relation of the shape's model `M` and the field's type `F` can hold what
/// it loads.
#[doc(hidden)]
#[inline]
pub fn check_field<K, M, F>()
where
    K: Relation<Owner = M>,
    F: ReshapeOf<K::RelationKind, K::Value>,
{
}

/// A shape built from what the chain of named loaders returns: the model in
/// `With` layers, one per relation field in the order the fields are declared
/// (`With<With<Author, AuthorBooks, _>, AuthorProfile, _>` for `books`, then
/// `profile`), each loaded value converted in turn. `#[derive(Shape)]`
/// implements it, and `From` with it; every model converts from itself.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be built from `{W}`",
    label = "not the `With` layers of this shape's relation fields",
    note = "a shape converts from its model wrapped in one `With` layer per relation field, in the order the fields are declared"
)]
pub trait FromTree<W>: Sized {
    /// Take the loaded tree apart into the shape.
    fn from_tree(tree: W) -> Self;
}

impl<M: Model> FromTree<M> for M {
    #[inline]
    fn from_tree(tree: M) -> M {
        tree
    }
}

/// A loaded value converted into a field: `Vec<T>` from `Vec<X>`, `Option<T>`
/// from `Option<X>`, `T` from a node `X`, where `T: FromTree<X>`.
#[doc(hidden)]
pub trait IntoField<F> {
    /// The field's value.
    fn into_field(self) -> F;
}

impl<X, T: FromTree<X>> IntoField<Vec<T>> for Vec<X> {
    fn into_field(self) -> Vec<T> {
        self.into_iter().map(T::from_tree).collect()
    }
}

impl<X, T: FromTree<X>> IntoField<Option<T>> for Option<X> {
    fn into_field(self) -> Option<T> {
        self.map(T::from_tree)
    }
}

impl<X: Node, T: FromTree<X>> IntoField<T> for X {
    fn into_field(self) -> T {
        T::from_tree(self)
    }
}

/// Loading shape `Self` over connection `C`: implemented by
/// `#[derive(Shape)]`, and for every model (nothing to load).
pub trait LoadShape<C>: Shape {
    /// Load the shape onto models you already have (Django's
    /// `prefetch_related_objects`): one statement per relation in the shape's
    /// tree, whatever the number of models. The result is in the models'
    /// order.
    fn from_models(models: Vec<Self::Model>, conn: &mut C) -> Result<Vec<Self>>;

    /// [`from_models`](Self::from_models) for one model.
    fn from_model(model: Self::Model, conn: &mut C) -> Result<Self> {
        Self::from_models(vec![model], conn)?
            .pop()
            .ok_or_else(one_shape_for_one_model)
    }

    /// Run `query`, which loads the shape's models (`authors::table.order(..)
    /// .limit(20)`, with `.select(Author::as_select())` where the model's fields
    /// are not the table's columns in order), and load the shape onto them: one
    /// statement for the models, then one per relation in the shape.
    fn load<'q, Q>(query: Q, conn: &mut C) -> Result<Vec<Self>>
    where
        C: Connection,
        Q: RunQueryDsl<C> + LoadQuery<'q, C, Self::Model>,
    {
        let models = query.load(conn)?;
        Self::from_models(models, conn)
    }
}

impl<M: Model, C> LoadShape<C> for M {
    #[inline]
    fn from_models(models: Vec<M>, _conn: &mut C) -> Result<Vec<M>> {
        Ok(models)
    }
}

/// A field of type `Self` filled with relation `K` over connection `C`: the
/// bound `#[derive(Shape)]` puts on each relation field.
#[diagnostic::on_unimplemented(
    message = "the field of type `{Self}` cannot be loaded with relation `{K}` over connection `{C}`",
    label = "the relation's loader does not apply to this field and connection",
    note = "the relation's models must be `Selectable` for the connection's backend and `Clone`, and the field must hold what the relation loads"
)]
pub trait LoadField<K: Relation, C>: Sized {
    /// Load the field onto `nodes`, one value per node, in order.
    fn load_field<N: Node<Model = K::Owner> + 'static>(
        nodes: Vec<N>,
        conn: &mut C,
    ) -> Result<Vec<With<N, K, Self>>>;
}

impl<F, K, C> LoadField<K, C> for F
where
    K: Relation,
    K::RelationKind: LoadKind<K, F, C>,
{
    #[inline]
    fn load_field<N: Node<Model = K::Owner> + 'static>(
        nodes: Vec<N>,
        conn: &mut C,
    ) -> Result<Vec<With<N, K, F>>> {
        <K::RelationKind as LoadKind<K, F, C>>::load(nodes, conn)
    }
}

/// How relations of one [`kind`] fill a field of type `F`.
#[doc(hidden)]
pub trait LoadKind<K: Relation, F, C> {
    /// Load relation `K` onto `nodes` into fields of type `F`.
    fn load<N: Node<Model = K::Owner> + 'static>(
        nodes: Vec<N>,
        conn: &mut C,
    ) -> Result<Vec<With<N, K, F>>>;
}

impl<K, F, C> LoadKind<K, F, C> for kind::HasMany
where
    K: LoadHasMany<C>,
    K::Child: Clone,
    C: Connection,
    F: Reshape<Vec<K::Child>, C> + 'static,
{
    fn load<N: Node<Model = K::Owner> + 'static>(
        nodes: Vec<N>,
        conn: &mut C,
    ) -> Result<Vec<With<N, K, F>>> {
        let loaded = prefetch_has_many::<K, Vec<N>, C>(nodes, conn)?;
        reshape(loaded, conn)
    }
}

impl<K, F, C> LoadKind<K, F, C> for kind::HasOne
where
    K: LoadHasMany<C>,
    K::Child: Clone,
    C: Connection,
    F: Reshape<Option<K::Child>, C> + 'static,
{
    fn load<N: Node<Model = K::Owner> + 'static>(
        nodes: Vec<N>,
        conn: &mut C,
    ) -> Result<Vec<With<N, K, F>>> {
        let loaded = prefetch_has_one::<K, Vec<N>, C>(nodes, conn)?;
        reshape(loaded, conn)
    }
}

impl<K, F, C> LoadKind<K, F, C> for kind::ManyToMany
where
    K: LoadManyToMany<C>,
    K::Target: Clone,
    C: Connection,
    F: Reshape<Vec<K::Target>, C> + 'static,
{
    fn load<N: Node<Model = K::Owner> + 'static>(
        nodes: Vec<N>,
        conn: &mut C,
    ) -> Result<Vec<With<N, K, F>>> {
        let loaded = prefetch_many_to_many::<K, Vec<N>, C>(nodes, conn)?;
        reshape(loaded, conn)
    }
}

impl<K, F, C> LoadKind<K, F, C> for kind::BelongsTo
where
    K: LoadBelongsTo<C>,
    ParentOf<K>: Clone,
    C: Connection,
    F: Reshape<K::Value, C> + 'static,
{
    fn load<N: Node<Model = K::Owner> + 'static>(
        nodes: Vec<N>,
        conn: &mut C,
    ) -> Result<Vec<With<N, K, F>>> {
        let loaded = prefetch_belongs_to::<K, Vec<N>, C>(nodes, conn)?;
        reshape(loaded, conn)
    }
}

/// A field of type `Self` filled by joining forward relation `K` into the
/// statement that loads the shape's models: a `#[shape(join)]` field, loaded
/// by the generated `load_joined` (Django's `select_related` in a shape).
#[diagnostic::on_unimplemented(
    message = "the field of type `{Self}` cannot be joined with relation `{K}` over connection `{C}`",
    label = "a joined field holds the parent of a belongs-to relation (or a shape of it)",
    note = "the field must hold what the relation loads: the parent, or an `Option` of it for a nullable foreign key"
)]
pub trait JoinField<K: Relation, C>: Sized {
    /// What the refinement closure takes and returns:
    /// [`JoinRefinement<K, Backend>`](JoinRefinement).
    type Join;
    /// The whole join.
    fn join() -> Self::Join;
    /// Run `join`, the join of `K` refined, and fill the field of each row
    /// (a nested shape is loaded onto all the joined parents at once).
    fn load_joined(conn: &mut C, join: Self::Join) -> Result<Vec<With<K::Owner, K, Self>>>;
}

/// The join a shape's `load_joined` closure refines: [`JoinRefinement`] of
/// the joined field's relation over the connection's backend.
pub type JoinOf<F, K, C> = <F as JoinField<K, C>>::Join;

// A failing bound is reported as `JoinField`, with its message: the field's
// own check (`check_join`) has said what is wrong at the field.
#[diagnostic::do_not_recommend]
impl<F, K, C> JoinField<K, C> for F
where
    C: Connection,
    K: BuildJoin<C::Backend>,
    JoinQuery<K, C::Backend>: LoadQuery<'static, C, (K::Owner, K::Value)>,
    F: Reshape<K::Value, C> + 'static,
{
    type Join = JoinRefinement<K, C::Backend>;

    fn join() -> Self::Join {
        JoinRefinement::all()
    }

    fn load_joined(
        conn: &mut C,
        join: JoinRefinement<K, C::Backend>,
    ) -> Result<Vec<With<K::Owner, K, F>>> {
        let query = join.into_query();
        let rows = SelectRelated::<K>::new().load_with(conn, |_| query)?;
        reshape(rows, conn)
    }
}

/// The check `#[derive(Shape)]` makes at a `#[shape(join)]` field: `K` is a
/// forward relation, the only kind a join loads.
#[doc(hidden)]
#[inline]
pub fn check_join<K: JoinableField>() {}

/// `Self` is a forward relation, so a shape's field of it can be joined.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "the field of relation `{Self}` cannot be joined: only a forward (belongs-to) relation can",
    label = "not a forward relation",
    note = "remove `#[shape(join)]`: the field is then loaded by prefetch (one more statement); a join would repeat each parent once per child"
)]
pub trait JoinableField {}

#[diagnostic::do_not_recommend]
impl<K: JoinBelongsTo> JoinableField for K {}

/// The builder a refinement function of relation `K` takes on mode `M`:
/// [`Prefetch`] for has-many and one-to-one, [`PrefetchThrough`] for
/// many-to-many. What `#[derive(Shape)]` names the builder of a refined field by.
pub type BuilderOf<K, M> = <<K as Relation>::RelationKind as KindBuilder<K, M>>::Builder;

/// The builder of relations of one [`kind`] ([`BuilderOf`]).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "relation `{K}` takes no refinement",
    label = "only has-many, one-to-one and many-to-many relations take `with = ...`",
    note = "a belongs-to relation loads one parent per child: there is nothing to filter, order or limit"
)]
pub trait KindBuilder<K, M> {
    /// `Prefetch<K, M>` or `PrefetchThrough<K, M>`.
    type Builder;
}

impl<K: HasMany, M: Mode> KindBuilder<K, M> for kind::HasMany {
    type Builder = Prefetch<K, M>;
}

impl<K: HasMany, M: Mode> KindBuilder<K, M> for kind::HasOne {
    type Builder = Prefetch<K, M>;
}

impl<K: BuildManyToMany<M::Backend>, M: Mode> KindBuilder<K, M> for kind::ManyToMany {
    type Builder = PrefetchThrough<K, M>;
}

/// A field of type `Self` filled with relation `K` refined by a builder
/// function (`#[shape(with = recent_three)]`): the bound `#[derive(Shape)]` puts
/// on each refined field. `Builder` is [`Prefetch`] for has-many and one-to-one,
/// [`PrefetchThrough`] for many-to-many.
#[diagnostic::on_unimplemented(
    message = "the field of type `{Self}` cannot be loaded with relation `{K}` refined, over connection `{C}`",
    label = "only has-many, one-to-one and many-to-many relations take `with = ...`",
    note = "a belongs-to relation loads one parent per child: there is nothing to filter, order or limit"
)]
pub trait LoadFieldWith<K: Relation, C>: Sized {
    /// What the refinement function takes and returns.
    type Builder;
    /// Load the field onto `nodes`, refined by `refine`, one value per node.
    fn load_field_with<N: Node<Model = K::Owner> + 'static>(
        nodes: Vec<N>,
        conn: &mut C,
        refine: impl FnOnce(Self::Builder) -> Self::Builder,
    ) -> Result<Vec<With<N, K, Self>>>;
}

impl<F, K, C> LoadFieldWith<K, C> for F
where
    K: Relation,
    K::RelationKind: LoadKindWith<K, F, C>,
{
    type Builder = <K::RelationKind as LoadKindWith<K, F, C>>::Builder;
    #[inline]
    fn load_field_with<N: Node<Model = K::Owner> + 'static>(
        nodes: Vec<N>,
        conn: &mut C,
        refine: impl FnOnce(Self::Builder) -> Self::Builder,
    ) -> Result<Vec<With<N, K, F>>> {
        <K::RelationKind as LoadKindWith<K, F, C>>::load_with(nodes, conn, refine)
    }
}

/// How relations of one [`kind`] fill a refined field of type `F`.
#[doc(hidden)]
pub trait LoadKindWith<K: Relation, F, C> {
    /// The builder the refinement function takes.
    type Builder;
    /// Load relation `K` onto `nodes`, refined, into fields of type `F`.
    fn load_with<N: Node<Model = K::Owner> + 'static>(
        nodes: Vec<N>,
        conn: &mut C,
        refine: impl FnOnce(Self::Builder) -> Self::Builder,
    ) -> Result<Vec<With<N, K, F>>>;
}

impl<K, F, C> LoadKindWith<K, F, C> for kind::HasMany
where
    K: LoadHasMany<C>,
    K::Child: Clone,
    C: Connection,
    F: Reshape<Vec<K::Child>, C> + 'static,
{
    type Builder = Prefetch<K, C>;
    fn load_with<N: Node<Model = K::Owner> + 'static>(
        nodes: Vec<N>,
        conn: &mut C,
        refine: impl FnOnce(Prefetch<K, C>) -> Prefetch<K, C>,
    ) -> Result<Vec<With<N, K, F>>> {
        let loaded = prefetch_has_many_with::<K, Vec<N>, C, K::Child, K>(nodes, conn, refine)?;
        reshape(loaded, conn)
    }
}

impl<K, F, C> LoadKindWith<K, F, C> for kind::HasOne
where
    K: LoadHasMany<C>,
    K::Child: Clone,
    C: Connection,
    F: Reshape<Option<K::Child>, C> + 'static,
{
    type Builder = Prefetch<K, C>;
    fn load_with<N: Node<Model = K::Owner> + 'static>(
        nodes: Vec<N>,
        conn: &mut C,
        refine: impl FnOnce(Prefetch<K, C>) -> Prefetch<K, C>,
    ) -> Result<Vec<With<N, K, F>>> {
        let loaded = prefetch_has_one_with::<K, Vec<N>, C, K::Child, K>(nodes, conn, refine)?;
        reshape(loaded, conn)
    }
}

impl<K, F, C> LoadKindWith<K, F, C> for kind::ManyToMany
where
    K: LoadManyToMany<C>,
    K::Target: Clone,
    C: Connection,
    F: Reshape<Vec<K::Target>, C> + 'static,
{
    type Builder = PrefetchThrough<K, C>;
    fn load_with<N: Node<Model = K::Owner> + 'static>(
        nodes: Vec<N>,
        conn: &mut C,
        refine: impl FnOnce(PrefetchThrough<K, C>) -> PrefetchThrough<K, C>,
    ) -> Result<Vec<With<N, K, F>>> {
        let loaded = prefetch_many_to_many_with::<K, Vec<N>, C>(nodes, conn, refine)?;
        reshape(loaded, conn)
    }
}

/// Replace each loaded value `V` of `rows` by the field value `F`: the values'
/// models are taken out of all rows, the field's shape is loaded onto them in
/// one go, and they are put back in the same places.
fn reshape<N, K, V, F, C>(rows: Vec<With<N, K, V>>, conn: &mut C) -> Result<Vec<With<N, K, F>>>
where
    N: 'static,
    K: Relation,
    V: 'static,
    F: Reshape<V, C> + 'static,
{
    let rows = match same_rows::<N, K, V, F>(rows) {
        Ok(same) => return Ok(same),
        Err(rows) => rows,
    };
    let (nodes, values): (Vec<N>, Vec<V>) = rows.into_iter().map(With::into_parts).unzip();
    let fields = F::reshape(K::NAME, values, conn)?;
    Ok(nodes
        .into_iter()
        .zip(fields)
        .map(|(n, f)| With::new(n, f))
        .collect())
}

/// Nodes with one loaded relation each.
type Rows<N, K, V> = Vec<With<N, K, V>>;

/// The error for a shape that gave no value for the one model it was given.
#[doc(hidden)]
pub fn one_shape_for_one_model() -> Error {
    Error::nested_length("", 1, 0)
}

/// `rows` as they are, when the field is the loaded value itself
/// (`books: Vec<Book>`): nothing to reshape, and nothing is moved.
fn same_rows<N: 'static, K: 'static, V: 'static, F: 'static>(
    rows: Rows<N, K, V>,
) -> std::result::Result<Rows<N, K, F>, Rows<N, K, V>> {
    let rows: Box<dyn Any> = Box::new(rows);
    match rows.downcast::<Vec<With<N, K, F>>>() {
        Ok(same) => Ok(*same),
        Err(rows) => Err(*rows
            .downcast::<Vec<With<N, K, V>>>()
            .expect("the box holds the rows it was given")),
    }
}

/// `shapes` cut into consecutive runs of `counts`.
fn split_many<T>(counts: Vec<usize>, shapes: Vec<T>) -> Vec<Vec<T>> {
    let mut shapes = shapes.into_iter();
    counts
        .into_iter()
        .map(|n| shapes.by_ref().take(n).collect())
        .collect()
}

/// `shapes` put back where `present` is `true`.
fn split_optional<T>(present: Vec<bool>, shapes: Vec<T>) -> Vec<Option<T>> {
    let mut shapes = shapes.into_iter();
    present
        .into_iter()
        .map(|some| if some { shapes.next() } else { None })
        .collect()
}

/// A field value made from loaded value `V`: `Vec<T>` from `Vec<M>`,
/// `Option<T>` from `Option<M>`, `T` from `M`, where `T` is `M` or a shape of
/// it loaded over `C`.
#[doc(hidden)]
pub trait Reshape<V, C>: Sized {
    /// One field value per loaded value, in order; the shapes of all values
    /// are loaded together.
    fn reshape(relation: &'static str, values: Vec<V>, conn: &mut C) -> Result<Vec<Self>>;
}

impl<M, T, C> Reshape<Vec<M>, C> for Vec<T>
where
    T: LoadShape<C, Model = M>,
{
    fn reshape(relation: &'static str, values: Vec<Vec<M>>, conn: &mut C) -> Result<Vec<Vec<T>>> {
        let counts: Vec<usize> = values.iter().map(Vec::len).collect();
        let models: Vec<M> = values.into_iter().flatten().collect();
        Ok(split_many(counts, shaped::<T, C>(relation, models, conn)?))
    }
}

impl<M, T, C> Reshape<Option<M>, C> for Option<T>
where
    T: LoadShape<C, Model = M>,
{
    fn reshape(
        relation: &'static str,
        values: Vec<Option<M>>,
        conn: &mut C,
    ) -> Result<Vec<Option<T>>> {
        let present: Vec<bool> = values.iter().map(Option::is_some).collect();
        let models: Vec<M> = values.into_iter().flatten().collect();
        Ok(split_optional(
            present,
            shaped::<T, C>(relation, models, conn)?,
        ))
    }
}

impl<M, T, C> Reshape<M, C> for T
where
    M: Model,
    T: LoadShape<C, Model = M>,
{
    fn reshape(relation: &'static str, values: Vec<M>, conn: &mut C) -> Result<Vec<T>> {
        shaped::<T, C>(relation, values, conn)
    }
}

/// `T::from_models`, checked to give one shape per model.
fn shaped<T: LoadShape<C>, C>(
    relation: &'static str,
    models: Vec<T::Model>,
    conn: &mut C,
) -> Result<Vec<T>> {
    let expected = models.len();
    let shapes = T::from_models(models, conn)?;
    if shapes.len() == expected {
        Ok(shapes)
    } else {
        Err(Error::nested_length(relation, expected, shapes.len()))
    }
}

#[cfg(feature = "async")]
pub use nonblocking::{
    JoinFieldAsync, JoinOfAsync, LoadFieldAsync, LoadFieldWithAsync, LoadShapeAsync,
};

/// Shapes on diesel-async: the same statements through the `_async` loaders.
#[cfg(feature = "async")]
mod nonblocking {
    use std::future::Future;

    use diesel_async::methods::LoadQuery;
    use diesel_async::AsyncConnection;

    use super::{kind, same_rows, split_many, split_optional, Shape};
    use crate::asynchronous::{
        prefetch_belongs_to, prefetch_has_many, prefetch_has_many_with, prefetch_has_one,
        prefetch_has_one_with, prefetch_many_to_many, prefetch_many_to_many_with, Async,
        LoadBelongsToAsync, LoadHasManyAsync, LoadManyToManyAsync,
    };
    use crate::error::{Error, Result};
    use crate::join::{BuildJoin, JoinQuery, JoinRefinement, SelectRelated};
    use crate::model::{Model, Node};
    use crate::query::ParentOf;
    use crate::relation::Relation;
    use crate::spec::Prefetch;
    use crate::through::PrefetchThrough;
    use crate::with::With;

    /// [`LoadShape`](super::LoadShape) over diesel-async connection `C`.
    ///
    /// The futures are `Send` wherever the models and the connection are:
    /// that is checked where they are awaited (an axum handler, `tokio::spawn`).
    pub trait LoadShapeAsync<C>: Shape {
        /// [`LoadShape::from_models`](super::LoadShape::from_models), awaited.
        fn from_models_async(
            models: Vec<Self::Model>,
            conn: &mut C,
        ) -> impl Future<Output = Result<Vec<Self>>>;
    }

    impl<M: Model, C> LoadShapeAsync<C> for M {
        #[allow(clippy::manual_async_fn)]
        fn from_models_async(
            models: Vec<M>,
            _conn: &mut C,
        ) -> impl Future<Output = Result<Vec<M>>> {
            async move { Ok(models) }
        }
    }

    /// [`LoadField`](super::LoadField) over diesel-async connection `C`.
    #[diagnostic::on_unimplemented(
        message = "the field of type `{Self}` cannot be loaded with relation `{K}` over async connection `{C}`",
        label = "the relation's async loader does not apply to this field and connection",
        note = "the relation's models must be `Selectable` for the connection's backend, `Clone` and `Send`, and the field must hold what the relation loads"
    )]
    pub trait LoadFieldAsync<K: Relation, C>: Sized {
        /// Load the field onto `nodes`, one value per node, in order.
        fn load_field_async<N: Node<Model = K::Owner> + Send + 'static>(
            nodes: Vec<N>,
            conn: &mut C,
        ) -> impl Future<Output = Result<Vec<With<N, K, Self>>>>;
    }

    impl<F, K, C> LoadFieldAsync<K, C> for F
    where
        K: Relation,
        K::RelationKind: LoadKindAsync<K, F, C>,
    {
        #[inline]
        fn load_field_async<N: Node<Model = K::Owner> + Send + 'static>(
            nodes: Vec<N>,
            conn: &mut C,
        ) -> impl Future<Output = Result<Vec<With<N, K, F>>>> {
            <K::RelationKind as LoadKindAsync<K, F, C>>::load_async(nodes, conn)
        }
    }

    /// How relations of one [`kind`] fill a field of type `F`, awaited.
    #[doc(hidden)]
    pub trait LoadKindAsync<K: Relation, F, C> {
        /// Load relation `K` onto `nodes` into fields of type `F`.
        fn load_async<N: Node<Model = K::Owner> + Send + 'static>(
            nodes: Vec<N>,
            conn: &mut C,
        ) -> impl Future<Output = Result<Vec<With<N, K, F>>>>;
    }

    /// One `LoadKindAsync` impl: `$load` gives `Vec<With<N, K, $value>>`,
    /// reshaped into `F`.
    macro_rules! load_kind_async {
        ($kind:ty, $load:ident, $value:ty, $($bounds:tt)*) => {
            impl<K, F, C> LoadKindAsync<K, F, C> for $kind
            where
                C: AsyncConnection,
                F: ReshapeAsync<$value, C> + 'static,
                $($bounds)*
            {
                #[allow(clippy::manual_async_fn)]
                fn load_async<N: Node<Model = K::Owner> + Send + 'static>(
                    nodes: Vec<N>,
                    conn: &mut C,
                ) -> impl Future<Output = Result<Vec<With<N, K, F>>>> {
                    async move {
                        let loaded = $load::<K, Vec<N>, C>(nodes, conn).await?;
                        reshape_async(loaded, conn).await
                    }
                }
            }
        };
    }

    load_kind_async!(kind::HasMany, prefetch_has_many, Vec<K::Child>,
        K: LoadHasManyAsync<C>, K::Child: Clone,);
    load_kind_async!(kind::HasOne, prefetch_has_one, Option<K::Child>,
        K: LoadHasManyAsync<C>, K::Child: Clone,);
    load_kind_async!(kind::ManyToMany, prefetch_many_to_many, Vec<K::Target>,
        K: LoadManyToManyAsync<C>, K::Target: Clone,);
    load_kind_async!(kind::BelongsTo, prefetch_belongs_to, K::Value,
        K: LoadBelongsToAsync<C>, ParentOf<K>: Clone,);

    /// [`LoadFieldWith`](super::LoadFieldWith) over diesel-async connection `C`.
    #[diagnostic::on_unimplemented(
        message = "the field of type `{Self}` cannot be loaded with relation `{K}` refined, over async connection `{C}`",
        label = "only has-many, one-to-one and many-to-many relations take `with = ...`",
        note = "a belongs-to relation loads one parent per child: there is nothing to filter, order or limit"
    )]
    pub trait LoadFieldWithAsync<K: Relation, C>: Sized {
        /// What the refinement function takes and returns.
        type Builder;
        /// Load the field onto `nodes`, refined by `refine`, one value per node.
        fn load_field_with_async<N: Node<Model = K::Owner> + Send + 'static>(
            nodes: Vec<N>,
            conn: &mut C,
            refine: impl FnOnce(Self::Builder) -> Self::Builder + Send,
        ) -> impl Future<Output = Result<Vec<With<N, K, Self>>>>;
    }

    impl<F, K, C> LoadFieldWithAsync<K, C> for F
    where
        K: Relation,
        K::RelationKind: LoadKindWithAsync<K, F, C>,
    {
        type Builder = <K::RelationKind as LoadKindWithAsync<K, F, C>>::Builder;
        #[inline]
        fn load_field_with_async<N: Node<Model = K::Owner> + Send + 'static>(
            nodes: Vec<N>,
            conn: &mut C,
            refine: impl FnOnce(Self::Builder) -> Self::Builder + Send,
        ) -> impl Future<Output = Result<Vec<With<N, K, F>>>> {
            <K::RelationKind as LoadKindWithAsync<K, F, C>>::load_with_async(nodes, conn, refine)
        }
    }

    /// How relations of one [`kind`] fill a refined field of type `F`, awaited.
    #[doc(hidden)]
    pub trait LoadKindWithAsync<K: Relation, F, C> {
        /// The builder the refinement function takes.
        type Builder;
        /// Load relation `K` onto `nodes`, refined, into fields of type `F`.
        fn load_with_async<N: Node<Model = K::Owner> + Send + 'static>(
            nodes: Vec<N>,
            conn: &mut C,
            refine: impl FnOnce(Self::Builder) -> Self::Builder + Send,
        ) -> impl Future<Output = Result<Vec<With<N, K, F>>>>;
    }

    /// One `LoadKindWithAsync` impl: `$load` with the refinement gives
    /// `Vec<With<N, K, $value>>`, reshaped into `F`.
    macro_rules! load_kind_with_async {
        ($kind:ty, $builder:ty, $load:ident::<$($args:ty),*>, $value:ty, $($bounds:tt)*) => {
            impl<K, F, C> LoadKindWithAsync<K, F, C> for $kind
            where
                C: AsyncConnection,
                F: ReshapeAsync<$value, C> + 'static,
                $($bounds)*
            {
                type Builder = $builder;
                #[allow(clippy::manual_async_fn)]
                fn load_with_async<N: Node<Model = K::Owner> + Send + 'static>(
                    nodes: Vec<N>,
                    conn: &mut C,
                    refine: impl FnOnce($builder) -> $builder + Send,
                ) -> impl Future<Output = Result<Vec<With<N, K, F>>>> {
                    async move {
                        let loaded = $load::<$($args),*>(nodes, conn, refine).await?;
                        reshape_async(loaded, conn).await
                    }
                }
            }
        };
    }

    load_kind_with_async!(kind::HasMany, Prefetch<K, Async<C>>,
        prefetch_has_many_with::<K, Vec<N>, C, K::Child, K>, Vec<K::Child>,
        K: LoadHasManyAsync<C>, K::Child: Clone,);
    load_kind_with_async!(kind::HasOne, Prefetch<K, Async<C>>,
        prefetch_has_one_with::<K, Vec<N>, C, K::Child, K>, Option<K::Child>,
        K: LoadHasManyAsync<C>, K::Child: Clone,);
    load_kind_with_async!(kind::ManyToMany, PrefetchThrough<K, Async<C>>,
        prefetch_many_to_many_with::<K, Vec<N>, C>, Vec<K::Target>,
        K: LoadManyToManyAsync<C>, K::Target: Clone,);

    /// [`JoinField`](super::JoinField) over diesel-async connection `C`.
    #[diagnostic::on_unimplemented(
        message = "the field of type `{Self}` cannot be joined with relation `{K}` over async connection `{C}`",
        label = "a joined field holds the parent of a belongs-to relation (or a shape of it)",
        note = "the field must hold what the relation loads: the parent, or an `Option` of it for a nullable foreign key"
    )]
    pub trait JoinFieldAsync<K: Relation, C>: Sized {
        /// [`JoinRefinement<K, Backend>`](JoinRefinement).
        type Join;
        /// The whole join.
        fn join() -> Self::Join;
        /// Run `join`, the join of `K` refined, and fill the field of each row.
        fn load_joined_async(
            conn: &mut C,
            join: Self::Join,
        ) -> impl Future<Output = Result<Vec<With<K::Owner, K, Self>>>>;
    }

    /// [`JoinOf`](super::JoinOf) on a diesel-async connection.
    pub type JoinOfAsync<F, K, C> = <F as JoinFieldAsync<K, C>>::Join;

    #[diagnostic::do_not_recommend]
    impl<F, K, C> JoinFieldAsync<K, C> for F
    where
        C: AsyncConnection,
        K: BuildJoin<C::Backend>,
        JoinQuery<K, C::Backend>: LoadQuery<'static, C, (K::Owner, K::Value)> + 'static,
        (K::Owner, K::Value): Send,
        F: ReshapeAsync<K::Value, C> + 'static,
    {
        type Join = JoinRefinement<K, C::Backend>;

        fn join() -> Self::Join {
            JoinRefinement::all()
        }

        #[allow(clippy::manual_async_fn)]
        fn load_joined_async(
            conn: &mut C,
            join: JoinRefinement<K, C::Backend>,
        ) -> impl Future<Output = Result<Vec<With<K::Owner, K, F>>>> {
            let query = join.into_query();
            async move {
                let rows = SelectRelated::<K>::new()
                    .load_with_async(conn, |_| query)
                    .await?;
                reshape_async(rows, conn).await
            }
        }
    }

    /// [`reshape`](super::reshape), awaited.
    async fn reshape_async<N, K, V, F, C>(
        rows: Vec<With<N, K, V>>,
        conn: &mut C,
    ) -> Result<Vec<With<N, K, F>>>
    where
        N: 'static,
        K: Relation,
        V: 'static,
        F: ReshapeAsync<V, C> + 'static,
    {
        let rows = match same_rows::<N, K, V, F>(rows) {
            Ok(same) => return Ok(same),
            Err(rows) => rows,
        };
        let (nodes, values): (Vec<N>, Vec<V>) = rows.into_iter().map(With::into_parts).unzip();
        let fields = F::reshape_async(K::NAME, values, conn).await?;
        Ok(nodes
            .into_iter()
            .zip(fields)
            .map(|(n, f)| With::new(n, f))
            .collect())
    }

    /// [`Reshape`](super::Reshape), awaited.
    #[doc(hidden)]
    pub trait ReshapeAsync<V, C>: Sized {
        /// One field value per loaded value, in order.
        fn reshape_async(
            relation: &'static str,
            values: Vec<V>,
            conn: &mut C,
        ) -> impl Future<Output = Result<Vec<Self>>>;
    }

    impl<M, T, C> ReshapeAsync<Vec<M>, C> for Vec<T>
    where
        T: LoadShapeAsync<C, Model = M>,
    {
        #[allow(clippy::manual_async_fn)]
        fn reshape_async(
            relation: &'static str,
            values: Vec<Vec<M>>,
            conn: &mut C,
        ) -> impl Future<Output = Result<Vec<Vec<T>>>> {
            async move {
                let counts: Vec<usize> = values.iter().map(Vec::len).collect();
                let models: Vec<M> = values.into_iter().flatten().collect();
                let shapes = shaped_async::<T, C>(relation, models, conn).await?;
                Ok(split_many(counts, shapes))
            }
        }
    }

    impl<M, T, C> ReshapeAsync<Option<M>, C> for Option<T>
    where
        T: LoadShapeAsync<C, Model = M>,
    {
        #[allow(clippy::manual_async_fn)]
        fn reshape_async(
            relation: &'static str,
            values: Vec<Option<M>>,
            conn: &mut C,
        ) -> impl Future<Output = Result<Vec<Option<T>>>> {
            async move {
                let present: Vec<bool> = values.iter().map(Option::is_some).collect();
                let models: Vec<M> = values.into_iter().flatten().collect();
                let shapes = shaped_async::<T, C>(relation, models, conn).await?;
                Ok(split_optional(present, shapes))
            }
        }
    }

    impl<M, T, C> ReshapeAsync<M, C> for T
    where
        M: Model,
        T: LoadShapeAsync<C, Model = M>,
    {
        fn reshape_async(
            relation: &'static str,
            values: Vec<M>,
            conn: &mut C,
        ) -> impl Future<Output = Result<Vec<T>>> {
            shaped_async::<T, C>(relation, values, conn)
        }
    }

    async fn shaped_async<T: LoadShapeAsync<C>, C>(
        relation: &'static str,
        models: Vec<T::Model>,
        conn: &mut C,
    ) -> Result<Vec<T>> {
        let expected = models.len();
        let shapes = T::from_models_async(models, conn).await?;
        if shapes.len() == expected {
            Ok(shapes)
        } else {
            Err(Error::nested_length(relation, expected, shapes.len()))
        }
    }
}
