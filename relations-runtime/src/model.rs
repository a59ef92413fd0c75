//! What the derive says about each model: its table, its primary key, and how a
//! model, a loaded model and a collection of them relate.

use std::fmt;
use std::hash::Hash;

use diesel::dsl::SqlTypeOf;
use diesel::expression::AsExpression;
use diesel::sql_types::SingleValue;
use diesel::Expression;

use crate::with::With;

/// A Diesel model that derives [`Relations`](crate::Relations).
///
/// Implemented by the derive; you do not implement it by hand.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a model known to relations",
    label = "add `#[derive(Relations)]` to `{Self}`",
    note = "every model that takes part in a relation, parent or child, derives `Relations`"
)]
pub trait Model: Sized + 'static {
    /// The Diesel table the model is loaded from (`books::table`).
    type Table: diesel::Table + Default + Copy + Send + 'static;
    /// How loaded rows of this model are put in primary-key order without
    /// asking the database ([`ByPrimaryKey`] or [`ByDatabase`]), chosen by the
    /// derive from the key's type.
    #[doc(hidden)]
    type KeyOrder: KeyOrder<Self>;
}

/// Puts rows of model `M` in primary-key order in memory, where a backend
/// would rather not sort them ([`ChildOrder::InMemory`](crate::ChildOrder)).
#[doc(hidden)]
pub trait KeyOrder<M> {
    /// Whether [`sort`](Self::sort) orders rows; if not, the database does.
    const IN_MEMORY: bool;
    /// Sort `rows` by primary key (stable, and linear on rows that already
    /// are); a no-op where [`IN_MEMORY`](Self::IN_MEMORY) is `false`.
    fn sort(rows: &mut [M]);
}

/// The model's one-column key is of a type known to be ordered (an integer,
/// `String`, `Uuid`): rows are sorted by it in memory.
#[doc(hidden)]
pub struct ByPrimaryKey;

impl<M> KeyOrder<M> for ByPrimaryKey
where
    M: PrimaryKey,
    M::Key: Ord,
{
    const IN_MEMORY: bool = true;
    fn sort(rows: &mut [M]) {
        // The check first: a stable sort allocates a scratch buffer of half
        // the rows even when they are in order, as they usually come back.
        if !rows.is_sorted_by(|a, b| a.primary_key() <= b.primary_key()) {
            rows.sort_by(|a, b| a.primary_key().cmp(&b.primary_key()));
        }
    }
}

/// A composite key, or a key type the derive cannot tell is ordered: the
/// database orders the rows (`ORDER BY` the primary key).
#[doc(hidden)]
pub struct ByDatabase;

impl<M> KeyOrder<M> for ByDatabase {
    const IN_MEMORY: bool = false;
    fn sort(_rows: &mut [M]) {}
}

/// A model whose primary key is one column, so children can point at it.
///
/// Implemented by the derive for every model with a single-column primary key
/// (`id`, or the one column named in `#[diesel(primary_key(...))]`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the parent of a relation",
    label = "a parent must derive `Relations` and have a one-column primary key",
    note = "derive `Relations` on `{Self}`; its primary key is the field `id`, or the one field named in `#[diesel(primary_key(...))]`"
)]
pub trait PrimaryKey: Model {
    /// The type of the key (`i32`, `i64`, `String`, ...): the field's type,
    /// or the type inside its `Option` where the column is nullable (as
    /// `diesel print-schema` writes SQLite's `INTEGER PRIMARY KEY`).
    type Key: Eq + Hash + Clone + fmt::Debug + Send + 'static;
    /// The primary-key column (`authors::id`). The parents of a chunk of
    /// keys are found with `Column::default().eq_any(keys)` (`pk IN (keys)`,
    /// `= ANY(keys)` on PostgreSQL).
    type Column: Default;
    /// The primary-key value of this row; `None` where a nullable key
    /// column holds NULL (such a row is nobody's parent).
    fn primary_key(&self) -> Option<&Self::Key>;
}

/// Whether a column can hold NULL, from its SQL type:
/// [`is_nullable::NotNull`](diesel::sql_types::is_nullable::NotNull) or
/// [`is_nullable::IsNullable`](diesel::sql_types::is_nullable::IsNullable).
pub type NullabilityOf<Col> = <SqlTypeOf<Col> as diesel::sql_types::SqlType>::IsNull;

/// A key field of a column of nullability `N`: the key it holds. `T` for a
/// `NOT NULL` column, `Option<T>` (however it is spelled, a type alias
/// included) for a nullable one. Decided by the column's SQL type, so the
/// derive never reads the field's spelling.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "the key field of type `{Self}` does not fit its column",
    label = "a nullable column needs an `Option` field, a `NOT NULL` column a plain one",
    note = "the field's type must match the column's SQL type in `diesel::table!`"
)]
pub trait KeyField<N> {
    /// The key.
    type Key;
    /// The key of this row; `None` for NULL.
    fn key(&self) -> Option<&Self::Key>;
}

impl<T> KeyField<diesel::sql_types::is_nullable::NotNull> for T {
    type Key = T;
    #[inline]
    fn key(&self) -> Option<&T> {
        Some(self)
    }
}

impl<T> KeyField<diesel::sql_types::is_nullable::IsNullable> for Option<T> {
    type Key = T;
    #[inline]
    fn key(&self) -> Option<&T> {
        self.as_ref()
    }
}

/// How a foreign key's nullability, from its column's SQL type, shapes its
/// forward relation: the parent for a `NOT NULL` key, `Option` of it for a
/// nullable one, and the join `select_related` makes.
#[doc(hidden)]
pub trait Nullability {
    /// What each child holds of parent `P`.
    type Value<P>;
    /// Diesel's join kind: `Inner` or `LeftOuter`.
    type Join;
    /// The value from the parent found for a child (`None`: none found).
    fn value<P>(parent: Option<P>) -> Option<Self::Value<P>>;
}

impl Nullability for diesel::sql_types::is_nullable::NotNull {
    type Value<P> = P;
    type Join = diesel::internal::table_macro::Inner;
    #[inline]
    fn value<P>(parent: Option<P>) -> Option<P> {
        parent
    }
}

impl Nullability for diesel::sql_types::is_nullable::IsNullable {
    type Value<P> = Option<P>;
    type Join = diesel::internal::table_macro::LeftOuter;
    #[inline]
    fn value<P>(parent: Option<P>) -> Option<Option<P>> {
        Some(parent)
    }
}

/// `key`, the primary-key field of a row whose key column is `Col`: what the
/// derive's [`PrimaryKey::primary_key`] returns. Its bound is the check that
/// the column can be compared with keys of type `K` (`Col.eq_any(keys)`
/// finds the parents), made where the derive calls it: at the key's field.
#[doc(hidden)]
#[inline]
pub fn key_of_column<Col, F>(field: &F) -> Option<&<F as KeyField<NullabilityOf<Col>>>::Key>
where
    Col: Expression,
    SqlTypeOf<Col>: SingleValue + diesel::sql_types::SqlType,
    F: KeyField<NullabilityOf<Col>>,
    <F as KeyField<NullabilityOf<Col>>>::Key: AsExpression<SqlTypeOf<Col>>,
{
    field.key()
}

/// A model, or a model wrapped in [`With`] layers of loaded relations.
///
/// Loaders and accessors accept any `Node` whose [`Model`](Node::Model) is the
/// right type, so relations can be prefetched one after another.
pub trait Node {
    /// The model at the bottom of the `With` layers.
    type Model: Model;
    /// The model at the bottom of the `With` layers.
    fn model(&self) -> &Self::Model;
}

impl<M: Model> Node for M {
    type Model = M;
    #[inline]
    fn model(&self) -> &M {
        self
    }
}

impl<P: Node, K, V> Node for With<P, K, V> {
    type Model = P::Model;
    #[inline]
    fn model(&self) -> &P::Model {
        With::inner(self).model()
    }
}

/// What a loader can be called on: one node, a `Vec` of nodes, or an `Option`
/// of one. The result has the same shape, each node wrapped in a [`With`].
///
/// This is how `authors.prefetch_books(conn)` works on a `Vec<Author>` you
/// loaded yourself (Django's `prefetch_related_objects`), on a single `Author`,
/// and on `Option<Author>` from `.optional()`.
#[diagnostic::on_unimplemented(
    message = "relations are loaded onto models taken by value, not onto `{Self}`",
    label = "a loader takes a `Vec`, one model or an `Option` by value, and returns it with the relation loaded",
    note = "pass the `Vec` itself (`authors.prefetch_books(conn)?` gives it back wrapped), or clone what is borrowed (`authors.to_vec()`)"
)]
pub trait Nodes: Sized {
    /// The element type.
    type Node: Node;
    /// `Self` with each node wrapped in `With<Self::Node, K, V>`.
    type Wrapped<K, V>;
    /// The nodes, in order.
    fn into_nodes(self) -> Vec<Self::Node>;
    /// Put wrapped nodes back into the shape of `Self`.
    ///
    /// `nodes` has exactly as many elements as [`into_nodes`](Nodes::into_nodes) returned.
    fn from_wrapped<K, V>(nodes: Vec<With<Self::Node, K, V>>) -> Self::Wrapped<K, V>;
}

impl<N: Node> Nodes for N {
    type Node = N;
    type Wrapped<K, V> = With<N, K, V>;
    fn into_nodes(self) -> Vec<N> {
        vec![self]
    }
    fn from_wrapped<K, V>(nodes: Vec<With<N, K, V>>) -> With<N, K, V> {
        nodes.into_iter().next().expect("one node in, one node out")
    }
}

impl<N: Node> Nodes for Vec<N> {
    type Node = N;
    type Wrapped<K, V> = Vec<With<N, K, V>>;
    fn into_nodes(self) -> Vec<N> {
        self
    }
    fn from_wrapped<K, V>(nodes: Vec<With<N, K, V>>) -> Vec<With<N, K, V>> {
        nodes
    }
}

impl<N: Node> Nodes for Option<N> {
    type Node = N;
    type Wrapped<K, V> = Option<With<N, K, V>>;
    fn into_nodes(self) -> Vec<N> {
        self.into_iter().collect()
    }
    fn from_wrapped<K, V>(nodes: Vec<With<N, K, V>>) -> Option<With<N, K, V>> {
        nodes.into_iter().next()
    }
}

/// What a loader called on `S` returns: `S` in the same shape with each node
/// wrapped in `With<_, K, V>` (`Vec<Author>` gives
/// `Result<Vec<With<Author, AuthorBooks, Vec<Book>>>>`), or the error.
pub type Loaded<S, K, V> = crate::Result<<S as Nodes>::Wrapped<K, V>>;

/// Implemented for every type a relation's methods may be called on when that
/// relation starts at model `M`: `M`, `With<.., ..>` over `M`, and `Vec`/`Option`
/// of those. The generated extension traits are implemented for `T: Rooted<M>`,
/// so two relations with the same name on different parents never clash.
///
/// A borrowed `Vec` or slice of such nodes is `Rooted` too, although no loader
/// accepts it: the method is then found, and its bound ([`Nodes`], through
/// `TakenByValue`) says that loaders take the models by value, where Rust
/// would otherwise only say that the method's trait bounds were not satisfied.
pub trait Rooted<M> {}

impl<T: Nodes> Rooted<<T::Node as Node>::Model> for T {}
impl<N: Node> Rooted<N::Model> for &Vec<N> {}
impl<N: Node> Rooted<N::Model> for &[N] {}

/// Never implemented: the bound that makes a loader called on borrowed models
/// (`&Vec<Author>`, `&[Author]`) fail with a message that says what to pass.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "relations are loaded onto models taken by value, not onto `{Self}`",
    label = "a loader takes a `Vec`, one model or an `Option` by value, and returns it with the relation loaded",
    note = "pass the `Vec` itself (`authors.prefetch_books(conn)?` gives it back wrapped), or clone what is borrowed (`authors.to_vec()`)"
)]
pub trait TakenByValue {}

/// Fails at `TakenByValue`; exists for that message only.
#[diagnostic::do_not_recommend]
impl<N: Node> Nodes for &Vec<N>
where
    Self: TakenByValue,
{
    type Node = N;
    type Wrapped<K, V> = Vec<With<N, K, V>>;
    fn into_nodes(self) -> Vec<N> {
        unreachable!("`TakenByValue` has no implementations")
    }
    fn from_wrapped<K, V>(nodes: Vec<With<N, K, V>>) -> Vec<With<N, K, V>> {
        nodes
    }
}

/// Fails at `TakenByValue`; exists for that message only.
#[diagnostic::do_not_recommend]
impl<N: Node> Nodes for &[N]
where
    Self: TakenByValue,
{
    type Node = N;
    type Wrapped<K, V> = Vec<With<N, K, V>>;
    fn into_nodes(self) -> Vec<N> {
        unreachable!("`TakenByValue` has no implementations")
    }
    fn from_wrapped<K, V>(nodes: Vec<With<N, K, V>>) -> Vec<With<N, K, V>> {
        nodes
    }
}
