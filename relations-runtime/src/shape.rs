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
use crate::model::{Model, Node};
use crate::prefetch::{
    prefetch_belongs_to, prefetch_has_many, prefetch_has_one, prefetch_many_to_many,
};
use crate::query::{LoadBelongsTo, LoadHasMany, LoadManyToMany, ParentOf};
use crate::relation::Relation;
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
            .ok_or_else(|| Error::nested_length("", 1, 0))
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
    // A field of the model itself (`books: Vec<Book>`): nothing to do, and
    // nothing is moved.
    let rows: Box<dyn Any> = Box::new(rows);
    let rows = match rows.downcast::<Vec<With<N, K, F>>>() {
        Ok(same) => return Ok(*same),
        Err(rows) => *rows
            .downcast::<Vec<With<N, K, V>>>()
            .expect("the box holds the rows it was given"),
    };
    let (nodes, values): (Vec<N>, Vec<V>) = rows.into_iter().map(With::into_parts).unzip();
    let fields = F::reshape(K::NAME, values, conn)?;
    Ok(nodes
        .into_iter()
        .zip(fields)
        .map(|(n, f)| With::new(n, f))
        .collect())
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
        let mut shapes = shaped::<T, C>(relation, models, conn)?.into_iter();
        Ok(counts
            .into_iter()
            .map(|n| shapes.by_ref().take(n).collect())
            .collect())
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
        let mut shapes = shaped::<T, C>(relation, models, conn)?.into_iter();
        Ok(present
            .into_iter()
            .map(|some| if some { shapes.next() } else { None })
            .collect())
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
