//! Loading by keys: each relation for a list of parent keys instead of parent
//! models, as a DataLoader asks for it (`books` of authors `[1, 7, 9]`).
//!
//! The same statements, chunking, collation handling and grouping as the
//! `prefetch_*` loaders; only what is handed out differs: a map from each
//! key to what the relation holds for it.

// The signatures spell out `ByKey<KeyOf<R::Parent>, Vec<R::Child>>`: what
// each function returns, readable in the docs.
#![allow(clippy::type_complexity)]

use std::collections::HashMap;
use std::hash::Hash;

use diesel::Connection;

use crate::aggregate::{count_by, CountFilter, KeyColumn, LoadCounts};
use crate::error::{Error, Result};
use crate::model::PrimaryKey;
use crate::prefetch::{built_by, parents_by_slot, targets_by, Slots};
use crate::query::{KeyOf, LoadBelongsTo, LoadHasMany, LoadManyToMany, ParentOf};
use crate::relation::{BelongsTo, HasMany, ManyToMany};
use crate::spec::Prefetch;
use crate::through::PrefetchThrough;
use crate::with::With;

/// Each key of a key-based load with what the relation holds for it.
pub type ByKey<K, V> = HashMap<K, V>;

/// The element is its own key.
#[inline]
pub(crate) fn itself<K>(key: &K) -> Option<&K> {
    Some(key)
}

pub(crate) fn into_map<E: Eq + Hash, K, V>(grouped: Vec<With<E, K, V>>) -> ByKey<E, V> {
    grouped.into_iter().map(With::into_parts).collect()
}

/// Has-many relation `R` for parent keys: every key maps to its children
/// (an empty `Vec` for a key with none, or with no parent row), in the order
/// of [`prefetch_has_many`](crate::prefetch_has_many).
///
/// ```ignore
/// use diesel_relations::keyed;
///
/// let books = keyed::has_many(AuthorBooks, vec![1, 2, 99], conn)?;
/// assert_eq!(books[&1].len(), 2);
/// assert!(books[&99].is_empty());
/// ```
pub fn has_many<R, C>(
    relation: R,
    keys: Vec<KeyOf<R::Parent>>,
    conn: &mut C,
) -> Result<ByKey<KeyOf<R::Parent>, Vec<R::Child>>>
where
    R: LoadHasMany<C>,
    R::Child: Clone,
    C: Connection,
{
    has_many_with(relation, keys, conn, |p| p)
}

/// [`has_many`] as `build` describes it: filtered, ordered, top-N per key,
/// nested (see [`Prefetch`]).
pub fn has_many_with<R, C, T, K>(
    _relation: R,
    keys: Vec<KeyOf<R::Parent>>,
    conn: &mut C,
    build: impl FnOnce(Prefetch<R, C>) -> Prefetch<R, C, T, K>,
) -> Result<ByKey<KeyOf<R::Parent>, Vec<T>>>
where
    R: LoadHasMany<C>,
    T: Clone,
    C: Connection,
{
    Ok(into_map(built_by(keys, itself, conn, build)?))
}

/// One-to-one relation `R` for parent keys: every key maps to its child or
/// `None`; two children for one key is
/// [`ErrorKind::NotUnique`](crate::ErrorKind::NotUnique).
pub fn has_one<R, C>(
    relation: R,
    keys: Vec<KeyOf<R::Parent>>,
    conn: &mut C,
) -> Result<ByKey<KeyOf<R::Parent>, Option<R::Child>>>
where
    R: LoadHasMany<C>,
    R::Child: Clone,
    C: Connection,
{
    has_one_with(relation, keys, conn, |p| p)
}

/// [`has_one`] as `build` describes it (see [`Prefetch`]).
pub fn has_one_with<R, C, T, K>(
    relation: R,
    keys: Vec<KeyOf<R::Parent>>,
    conn: &mut C,
    build: impl FnOnce(Prefetch<R, C>) -> Prefetch<R, C, T, K>,
) -> Result<ByKey<KeyOf<R::Parent>, Option<T>>>
where
    R: LoadHasMany<C>,
    T: Clone,
    C: Connection,
{
    at_most_one::<R, T>(has_many_with(relation, keys, conn, build)?)
}

pub(crate) fn at_most_one<R: HasMany, T>(
    many: ByKey<KeyOf<R::Parent>, Vec<T>>,
) -> Result<ByKey<KeyOf<R::Parent>, Option<T>>> {
    if let Some((key, children)) = many.iter().find(|(_, children)| children.len() > 1) {
        return Err(Error::not_unique(R::NAME, key, children.len()));
    }
    Ok(many
        .into_iter()
        .map(|(key, children)| (key, children.into_iter().next()))
        .collect())
}

/// Many-to-many relation `R` for parent keys: every key maps to its targets,
/// in link order (see [`prefetch_many_to_many`](crate::prefetch_many_to_many)).
pub fn many_to_many<R, C>(
    relation: R,
    keys: Vec<KeyOf<R::Parent>>,
    conn: &mut C,
) -> Result<ByKey<KeyOf<R::Parent>, Vec<R::Target>>>
where
    R: LoadManyToMany<C>,
    R::Target: Clone,
    C: Connection,
{
    many_to_many_with(relation, keys, conn, |through| through)
}

/// [`many_to_many`] as `build` describes it (see [`PrefetchThrough`]).
pub fn many_to_many_with<R, C>(
    _relation: R,
    keys: Vec<KeyOf<R::Parent>>,
    conn: &mut C,
    build: impl FnOnce(PrefetchThrough<R, C>) -> PrefetchThrough<R, C>,
) -> Result<ByKey<KeyOf<R::Parent>, Vec<R::Target>>>
where
    R: LoadManyToMany<C>,
    R::Target: Clone,
    C: Connection,
{
    Ok(into_map(targets_by::<R, _, C>(keys, itself, conn, build)?))
}

/// Belongs-to relation `R` for foreign-key values (the parents' keys): each
/// key with a parent row maps to it; a key with none is absent from the map
/// (a DataLoader's `load_one` answers `None` for it).
pub fn belongs_to<R, C>(
    _relation: R,
    keys: Vec<KeyOf<ParentOf<R>>>,
    conn: &mut C,
) -> Result<ByKey<KeyOf<ParentOf<R>>, ParentOf<R>>>
where
    R: LoadBelongsTo<C>,
    ParentOf<R>: Clone,
    C: Connection,
{
    let slots = Slots::new(&keys, itself);
    let by_slot = parents_by_slot::<R, C>(&slots, conn)?;
    Ok(parents_by_key::<R>(&slots, by_slot))
}

/// The number of children of relation `R` (has-many, one-to-one or
/// many-to-many) for each key, as [`prefetch_count`](crate::AggregateExt::prefetch_count)
/// counts them: one `GROUP BY` statement per chunk of keys; every key maps to
/// its count (0 for a key with none).
pub fn count<R, C>(
    relation: R,
    keys: Vec<KeyOf<R::Owner>>,
    conn: &mut C,
) -> Result<ByKey<KeyOf<R::Owner>, i64>>
where
    R: LoadCounts<C>,
    C: Connection,
    R::Column: KeyColumn<KeyOf<R::Owner>>,
{
    count_with(relation, keys, conn, |all| all)
}

/// [`count`] of the children `filter` keeps (see [`CountFilter`]).
pub fn count_with<R, C, K>(
    _relation: R,
    keys: Vec<KeyOf<R::Owner>>,
    conn: &mut C,
    filter: impl FnOnce(CountFilter<R, C::Backend>) -> CountFilter<R, C::Backend, K>,
) -> Result<ByKey<KeyOf<R::Owner>, i64>>
where
    R: LoadCounts<C>,
    C: Connection,
    R::Column: KeyColumn<KeyOf<R::Owner>>,
{
    let counted = count_by(keys, itself, conn, filter(CountFilter::all()), |n| n)?;
    Ok(into_map(counted))
}

/// The parents found, by the key they were asked for.
pub(crate) fn parents_by_key<R: BelongsTo>(
    slots: &Slots<'_, KeyOf<ParentOf<R>>>,
    mut by_slot: Vec<Option<ParentOf<R>>>,
) -> ByKey<KeyOf<ParentOf<R>>, ParentOf<R>> {
    slots
        .index
        .iter()
        .filter_map(|(key, &slot)| Some(((*key).clone(), by_slot[slot as usize].take()?)))
        .collect()
}

/// The key a DataLoader asks with for `owner`'s relation `Self`: the owner's
/// primary key for has-many, one-to-one and many-to-many relations, its
/// foreign key for a belongs-to one (`None` when NULL).
pub trait OwnerKey: crate::relation::Relation {
    /// The key type.
    type Key: Eq + Hash + Clone;
    /// `owner`'s key for this relation.
    fn owner_key(owner: &Self::Owner) -> Option<&Self::Key>;
}

/// Which key relations of one [`kind`](crate::kind) are asked with.
#[doc(hidden)]
pub trait OwnerKeyKind<R: crate::relation::Relation> {
    type Key: Eq + Hash + Clone;
    fn owner_key(owner: &R::Owner) -> Option<&Self::Key>;
}

impl<R> OwnerKey for R
where
    R: crate::relation::Relation,
    R::RelationKind: OwnerKeyKind<R>,
{
    type Key = <R::RelationKind as OwnerKeyKind<R>>::Key;
    #[inline]
    fn owner_key(owner: &R::Owner) -> Option<&Self::Key> {
        <R::RelationKind as OwnerKeyKind<R>>::owner_key(owner)
    }
}

macro_rules! own_primary_key {
    ($($kind:ident: $bound:ident),*) => {$(
        impl<R: $bound> OwnerKeyKind<R> for crate::shape::kind::$kind {
            type Key = KeyOf<R::Parent>;
            #[inline]
            fn owner_key(owner: &R::Parent) -> Option<&Self::Key> {
                owner.primary_key()
            }
        }
    )*};
}
own_primary_key!(HasMany: HasMany, HasOne: HasMany, ManyToMany: ManyToMany);

impl<R: BelongsTo> OwnerKeyKind<R> for crate::shape::kind::BelongsTo {
    type Key = KeyOf<ParentOf<R>>;
    #[inline]
    fn owner_key(owner: &R::Owner) -> Option<&Self::Key> {
        <R::Reverse as HasMany>::foreign_key(owner)
    }
}

#[cfg(feature = "async")]
pub use self::on_async::*;

#[cfg(feature = "async")]
pub(crate) mod on_async {
    use diesel_async::AsyncConnection;

    use super::{at_most_one, into_map, itself, parents_by_key, ByKey};
    use crate::aggregate::nonblocking::count_by;
    use crate::aggregate::{CountFilter, KeyColumn, LoadCountsAsync};
    use crate::asynchronous::{
        built_by, parents_by_slot, targets_by, Async, LoadBelongsToAsync, LoadHasManyAsync,
        LoadManyToManyAsync,
    };
    use crate::error::Result;
    use crate::prefetch::Slots;
    use crate::query::{KeyOf, ParentOf};
    use crate::spec::Prefetch;
    use crate::through::PrefetchThrough;

    /// [`has_many`](super::has_many) on a diesel-async connection.
    pub async fn has_many_async<R, C>(
        relation: R,
        keys: Vec<KeyOf<R::Parent>>,
        conn: &mut C,
    ) -> Result<ByKey<KeyOf<R::Parent>, Vec<R::Child>>>
    where
        R: LoadHasManyAsync<C>,
        C: AsyncConnection,
    {
        has_many_with_async(relation, keys, conn, |p| p).await
    }

    /// [`has_many_with`](super::has_many_with) on a diesel-async connection.
    pub async fn has_many_with_async<R, C, T, K>(
        _relation: R,
        keys: Vec<KeyOf<R::Parent>>,
        conn: &mut C,
        build: impl FnOnce(Prefetch<R, Async<C>>) -> Prefetch<R, Async<C>, T, K>,
    ) -> Result<ByKey<KeyOf<R::Parent>, Vec<T>>>
    where
        R: LoadHasManyAsync<C>,
        T: Clone,
        C: AsyncConnection,
    {
        has_many_by(keys, conn, build).await
    }

    pub(crate) async fn has_many_by<R, C, T, K>(
        keys: Vec<KeyOf<R::Parent>>,
        conn: &mut C,
        build: impl FnOnce(Prefetch<R, Async<C>>) -> Prefetch<R, Async<C>, T, K>,
    ) -> Result<ByKey<KeyOf<R::Parent>, Vec<T>>>
    where
        R: LoadHasManyAsync<C>,
        T: Clone,
        C: AsyncConnection,
    {
        Ok(into_map(built_by(keys, itself, conn, build).await?))
    }

    /// [`has_one`](super::has_one) on a diesel-async connection.
    pub async fn has_one_async<R, C>(
        relation: R,
        keys: Vec<KeyOf<R::Parent>>,
        conn: &mut C,
    ) -> Result<ByKey<KeyOf<R::Parent>, Option<R::Child>>>
    where
        R: LoadHasManyAsync<C>,
        C: AsyncConnection,
    {
        has_one_with_async(relation, keys, conn, |p| p).await
    }

    /// [`has_one_with`](super::has_one_with) on a diesel-async connection.
    pub async fn has_one_with_async<R, C, T, K>(
        _relation: R,
        keys: Vec<KeyOf<R::Parent>>,
        conn: &mut C,
        build: impl FnOnce(Prefetch<R, Async<C>>) -> Prefetch<R, Async<C>, T, K>,
    ) -> Result<ByKey<KeyOf<R::Parent>, Option<T>>>
    where
        R: LoadHasManyAsync<C>,
        T: Clone,
        C: AsyncConnection,
    {
        at_most_one::<R, T>(has_many_by(keys, conn, build).await?)
    }

    /// [`many_to_many`](super::many_to_many) on a diesel-async connection.
    pub async fn many_to_many_async<R, C>(
        relation: R,
        keys: Vec<KeyOf<R::Parent>>,
        conn: &mut C,
    ) -> Result<ByKey<KeyOf<R::Parent>, Vec<R::Target>>>
    where
        R: LoadManyToManyAsync<C>,
        C: AsyncConnection,
    {
        many_to_many_with_async(relation, keys, conn, |through| through).await
    }

    /// [`many_to_many_with`](super::many_to_many_with) on a diesel-async
    /// connection.
    pub async fn many_to_many_with_async<R, C>(
        _relation: R,
        keys: Vec<KeyOf<R::Parent>>,
        conn: &mut C,
        build: impl FnOnce(PrefetchThrough<R, Async<C>>) -> PrefetchThrough<R, Async<C>>,
    ) -> Result<ByKey<KeyOf<R::Parent>, Vec<R::Target>>>
    where
        R: LoadManyToManyAsync<C>,
        C: AsyncConnection,
    {
        many_to_many_by(keys, conn, build).await
    }

    pub(crate) async fn many_to_many_by<R, C>(
        keys: Vec<KeyOf<R::Parent>>,
        conn: &mut C,
        build: impl FnOnce(PrefetchThrough<R, Async<C>>) -> PrefetchThrough<R, Async<C>>,
    ) -> Result<ByKey<KeyOf<R::Parent>, Vec<R::Target>>>
    where
        R: LoadManyToManyAsync<C>,
        C: AsyncConnection,
    {
        Ok(into_map(targets_by(keys, itself, conn, build).await?))
    }

    /// [`count`](super::count) on a diesel-async connection.
    pub async fn count_async<R, C>(
        relation: R,
        keys: Vec<KeyOf<R::Owner>>,
        conn: &mut C,
    ) -> Result<ByKey<KeyOf<R::Owner>, i64>>
    where
        R: LoadCountsAsync<C>,
        R::Column: KeyColumn<KeyOf<R::Owner>>,
        C: AsyncConnection,
    {
        count_with_async(relation, keys, conn, |all| all).await
    }

    /// [`count_with`](super::count_with) on a diesel-async connection.
    pub async fn count_with_async<R, C, K>(
        _relation: R,
        keys: Vec<KeyOf<R::Owner>>,
        conn: &mut C,
        filter: impl FnOnce(CountFilter<R, C::Backend>) -> CountFilter<R, C::Backend, K>,
    ) -> Result<ByKey<KeyOf<R::Owner>, i64>>
    where
        R: LoadCountsAsync<C>,
        R::Column: KeyColumn<KeyOf<R::Owner>>,
        C: AsyncConnection,
    {
        count_by_async(keys, conn, filter(CountFilter::all())).await
    }

    pub(crate) async fn count_by_async<R, C, K>(
        keys: Vec<KeyOf<R::Owner>>,
        conn: &mut C,
        filter: CountFilter<R, C::Backend, K>,
    ) -> Result<ByKey<KeyOf<R::Owner>, i64>>
    where
        R: LoadCountsAsync<C>,
        R::Column: KeyColumn<KeyOf<R::Owner>>,
        C: AsyncConnection,
    {
        Ok(into_map(count_by(keys, itself, conn, filter, |n| n).await?))
    }

    /// [`belongs_to`](super::belongs_to) on a diesel-async connection.
    pub async fn belongs_to_async<R, C>(
        _relation: R,
        keys: Vec<KeyOf<ParentOf<R>>>,
        conn: &mut C,
    ) -> Result<ByKey<KeyOf<ParentOf<R>>, ParentOf<R>>>
    where
        R: LoadBelongsToAsync<C>,
        C: AsyncConnection,
    {
        belongs_to_by::<R, C>(keys, conn).await
    }

    pub(crate) async fn belongs_to_by<R, C>(
        keys: Vec<KeyOf<ParentOf<R>>>,
        conn: &mut C,
    ) -> Result<ByKey<KeyOf<ParentOf<R>>, ParentOf<R>>>
    where
        R: LoadBelongsToAsync<C>,
        C: AsyncConnection,
    {
        let slots = Slots::new(&keys, itself);
        let by_slot = parents_by_slot::<R, C>(&slots, conn).await?;
        Ok(parents_by_key::<R>(&slots, by_slot))
    }
}
