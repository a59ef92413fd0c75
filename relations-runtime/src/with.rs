//! [`With`]: a loaded model together with one loaded relation, and [`Get`]:
//! reading a relation out of any number of `With` layers.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use crate::spec::RelationName;

/// A model (or an already wrapped model) together with one loaded relation.
///
/// `With<Author, AuthorBooks>` is an author whose books were prefetched;
/// prefetching a second relation wraps again:
/// `With<With<Author, AuthorBooks>, AuthorProfile>`. The relation key `K` says
/// which relation was loaded and `V` is what was loaded (`Vec<Book>` by
/// default, or e.g. `Vec<With<Book, BookReviews>>` for a nested prefetch).
///
/// `With` dereferences to the wrapped value, so `author.name` and methods of
/// `Author` work unchanged; relations are read with the generated accessors
/// (`author.books()`), which only compile when the relation was loaded.
pub struct With<P, K, V = <K as crate::spec::KeyValue>::Value> {
    parent: P,
    value: V,
    key: PhantomData<fn() -> K>,
}

/// `With` dereferences to the model, so its own helpers are associated
/// functions (`With::inner(&author)`), like `Rc::strong_count`: a method would
/// shadow a relation or model method of the same name.
impl<P, K, V> With<P, K, V> {
    /// Wrap `inner` with a loaded relation value.
    #[inline]
    pub fn new(inner: P, value: V) -> Self {
        With {
            parent: inner,
            value,
            key: PhantomData,
        }
    }

    /// The wrapped model (or inner `With`).
    #[inline]
    pub fn inner(this: &Self) -> &P {
        &this.parent
    }

    /// The loaded value of relation `K`.
    #[inline]
    pub fn value(this: &Self) -> &V {
        &this.value
    }

    /// The loaded value of relation `K`, mutably.
    #[inline]
    pub fn value_mut(this: &mut Self) -> &mut V {
        &mut this.value
    }

    /// Split into the wrapped model and the loaded value.
    #[inline]
    pub fn into_parts(this: Self) -> (P, V) {
        (this.parent, this.value)
    }

    /// Drop the loaded value, keep the wrapped model.
    #[inline]
    pub fn into_inner(this: Self) -> P {
        this.parent
    }
}

impl<P, K, V> Deref for With<P, K, V> {
    type Target = P;
    #[inline]
    fn deref(&self) -> &P {
        &self.parent
    }
}

impl<P, K, V> DerefMut for With<P, K, V> {
    #[inline]
    fn deref_mut(&mut self) -> &mut P {
        &mut self.parent
    }
}

impl<P: Clone, K, V: Clone> Clone for With<P, K, V> {
    fn clone(&self) -> Self {
        With::new(self.parent.clone(), self.value.clone())
    }
}

impl<P: PartialEq, K, V: PartialEq> PartialEq for With<P, K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.parent == other.parent && self.value == other.value
    }
}

impl<P: Eq, K, V: Eq> Eq for With<P, K, V> {}

impl<P: fmt::Debug, K: RelationName, V: fmt::Debug> fmt::Debug for With<P, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("With")
            .field("inner", &self.parent)
            .field(&K::name(), &self.value)
            .finish()
    }
}

/// `Self` is the same type as `K`.
#[diagnostic::on_unimplemented(
    message = "relation `{Self}` was not loaded here (the outermost relation is `{K}`)",
    label = "`{Self}` is not prefetched on this value",
    note = "prefetch it first, e.g. `.prefetch_<relation>_with(conn, |p| p.named({Self}))`; reading a relation that was not loaded is a compile error, never a lazy query"
)]
pub trait Is<K> {}

impl<K> Is<K> for K {}

/// Index of a relation in a chain of `With` layers: the outermost layer.
///
/// You never name this type; the compiler infers it.
pub enum Here {}

/// Index of a relation in a chain of `With` layers: somewhere inside.
///
/// You never name this type; the compiler infers it.
pub struct There<I>(PhantomData<I>);

/// Read relation `K` from any depth of `With` layers.
///
/// `I` is inferred ([`Here`] or [`There`]); it lets the compiler find the layer
/// without overlapping impls. If `K` was never loaded there is no impl, and the
/// generated accessor does not compile.
#[diagnostic::on_unimplemented(
    message = "relation `{K}` was not loaded on `{Self}`",
    label = "`{K}` is not prefetched here",
    note = "prefetch it first, e.g. `let parents = parents.prefetch_<relation>(conn)?;`, or use `select_related` for a forward relation; reading a relation that was not loaded is a compile error, never a lazy query",
    note = "an `impl Trait` type (`-> Vec<impl AuthorBooksExt>`) hides what was loaded: return the loaded type (`Vec<With<Author, AuthorBooks>>`) or a struct with `#[derive(Shape)]`"
)]
pub trait Get<K, I> {
    /// What was loaded for `K`.
    type Value;
    /// What was loaded for `K`.
    fn get(&self) -> &Self::Value;
    /// What was loaded for `K`, mutably.
    fn get_mut(&mut self) -> &mut Self::Value;
}

/// What was loaded for key `K` on `S` (found at layer `I`): the value a
/// generated accessor such as `books()` returns a reference to.
pub type LoadedValue<S, K, I> = <S as Get<K, I>>::Value;

/// `Q` is the key asked for, `K` the key of this layer. Matching any `Q` and
/// checking `Q: Is<K>` afterwards (instead of writing `Get<K, Here>`) lets the
/// compiler take the key from the caller first, so asking for a key that was
/// never loaded is reported as such, not as a type mismatch.
impl<P, K, V, Q: Is<K>> Get<Q, Here> for With<P, K, V> {
    type Value = V;
    #[inline]
    fn get(&self) -> &V {
        &self.value
    }
    #[inline]
    fn get_mut(&mut self) -> &mut V {
        &mut self.value
    }
}

impl<P, K, K2, V, I> Get<K, There<I>> for With<P, K2, V>
where
    P: Get<K, I>,
{
    type Value = P::Value;
    #[inline]
    fn get(&self) -> &P::Value {
        self.parent.get()
    }
    #[inline]
    fn get_mut(&mut self) -> &mut P::Value {
        self.parent.get_mut()
    }
}

/// With the `serde` feature: a loaded model serializes as the model's own
/// fields plus one field per loaded relation, named after the relation
/// (`{"id": 1, "name": "Ursula", "books": [...]}`) — the shape a web API
/// returns. Layers nest: every loaded relation is a field of the same object.
#[cfg(feature = "serde")]
impl<P, K, V> serde::Serialize for With<P, K, V>
where
    P: serde::Serialize,
    K: RelationName,
    V: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// The relation as a one-entry map, so `flatten` can merge it.
        struct Entry<'a, V> {
            name: &'a str,
            value: &'a V,
        }
        impl<V: serde::Serialize> serde::Serialize for Entry<'_, V> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(self.name, self.value)?;
                map.end()
            }
        }
        #[derive(serde::Serialize)]
        struct Flat<'a, P, E> {
            #[serde(flatten)]
            model: &'a P,
            #[serde(flatten)]
            relation: E,
        }
        let name = K::name();
        Flat {
            model: &self.parent,
            relation: Entry {
                name: &name,
                value: &self.value,
            },
        }
        .serialize(serializer)
    }
}
