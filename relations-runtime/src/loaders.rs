//! The loaders the generated `prefetch_*` methods call, as traits of the
//! collection they load onto.
//!
//! A generated method has one bound, `Self: PrefetchHasMany<AuthorBooks, C>`,
//! and one call. Everything else the load needs (the connection, the backend's
//! statements, the parent model) is a condition of the blanket impl here,
//! checked where the method is called, not in every derive: that keeps the
//! generated code thin and cheap to compile (see BENCHMARKS.md, compile time).

use diesel::Connection;

use crate::error::Result;
use crate::mode::Mode;
use crate::model::{Node, Nodes};
use crate::prefetch::{
    prefetch_belongs_to, prefetch_has_many, prefetch_has_many_with, prefetch_has_one,
    prefetch_has_one_with, prefetch_many_to_many, prefetch_many_to_many_with,
};
use crate::query::{LoadBelongsTo, LoadHasMany, LoadManyToMany};
use crate::relation::{BelongsTo, HasMany, ManyToMany};
use crate::spec::Prefetch;
use crate::through::PrefetchThrough;

/// Has-many relation `R` loaded onto parents `Self` over blocking connection
/// `C`: [`prefetch_has_many`] and its variants as methods. Blanket-implemented
/// for every collection of `R`'s parents.
pub trait PrefetchHasMany<R: HasMany, C>: Nodes {
    /// [`prefetch_has_many`].
    fn prefetch_has_many(self, conn: &mut C) -> Result<Self::Wrapped<R, Vec<R::Child>>>;
    /// [`prefetch_has_many_with`].
    fn prefetch_has_many_with<T: Clone, K>(
        self,
        conn: &mut C,
        build: impl FnOnce(Prefetch<R, C>) -> Prefetch<R, C, T, K>,
    ) -> Result<Self::Wrapped<K, Vec<T>>>
    where
        C: Mode;
    /// [`prefetch_has_one`].
    fn prefetch_has_one(self, conn: &mut C) -> Result<Self::Wrapped<R, Option<R::Child>>>;
    /// [`prefetch_has_one_with`].
    fn prefetch_has_one_with<T: Clone, K>(
        self,
        conn: &mut C,
        build: impl FnOnce(Prefetch<R, C>) -> Prefetch<R, C, T, K>,
    ) -> Result<Self::Wrapped<K, Option<T>>>
    where
        C: Mode;
}

impl<R, S, C> PrefetchHasMany<R, C> for S
where
    R: LoadHasMany<C>,
    // The children are cloned where one row belongs to several parents
    // (keys equal only under the database's collation).
    R::Child: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Parent>,
    C: Connection,
{
    #[inline]
    fn prefetch_has_many(self, conn: &mut C) -> Result<S::Wrapped<R, Vec<R::Child>>> {
        prefetch_has_many(self, conn)
    }

    #[inline]
    fn prefetch_has_many_with<T: Clone, K>(
        self,
        conn: &mut C,
        build: impl FnOnce(Prefetch<R, C>) -> Prefetch<R, C, T, K>,
    ) -> Result<S::Wrapped<K, Vec<T>>>
    where
        C: Mode,
    {
        prefetch_has_many_with(self, conn, build)
    }

    #[inline]
    fn prefetch_has_one(self, conn: &mut C) -> Result<S::Wrapped<R, Option<R::Child>>> {
        prefetch_has_one(self, conn)
    }

    #[inline]
    fn prefetch_has_one_with<T: Clone, K>(
        self,
        conn: &mut C,
        build: impl FnOnce(Prefetch<R, C>) -> Prefetch<R, C, T, K>,
    ) -> Result<S::Wrapped<K, Option<T>>>
    where
        C: Mode,
    {
        prefetch_has_one_with(self, conn, build)
    }
}

/// Belongs-to relation `R` loaded onto children `Self` over blocking connection
/// `C`: [`prefetch_belongs_to`] as a method. Blanket-implemented.
pub trait PrefetchBelongsTo<R: BelongsTo, C>: Nodes {
    /// [`prefetch_belongs_to`].
    fn prefetch_belongs_to(self, conn: &mut C) -> Result<Self::Wrapped<R, R::Value>>;
}

impl<R, S, C> PrefetchBelongsTo<R, C> for S
where
    R: LoadBelongsTo<C>,
    <R::Reverse as HasMany>::Parent: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Owner>,
    C: Connection,
{
    #[inline]
    fn prefetch_belongs_to(self, conn: &mut C) -> Result<S::Wrapped<R, R::Value>> {
        prefetch_belongs_to(self, conn)
    }
}

/// Many-to-many relation `R` loaded onto parents `Self` over blocking
/// connection `C`: [`prefetch_many_to_many`] and its refined variant as
/// methods. Blanket-implemented.
pub trait PrefetchManyToMany<R: ManyToMany, C>: Nodes {
    /// [`prefetch_many_to_many`].
    fn prefetch_many_to_many(self, conn: &mut C) -> Result<Self::Wrapped<R, Vec<R::Target>>>;
    /// [`prefetch_many_to_many_with`].
    fn prefetch_many_to_many_with(
        self,
        conn: &mut C,
        build: impl FnOnce(PrefetchThrough<R, C>) -> PrefetchThrough<R, C>,
    ) -> Result<Self::Wrapped<R, Vec<R::Target>>>
    where
        C: Connection,
        R: LoadManyToMany<C>;
}

impl<R, S, C> PrefetchManyToMany<R, C> for S
where
    R: LoadManyToMany<C>,
    R::Target: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Parent>,
    C: Connection,
{
    #[inline]
    fn prefetch_many_to_many(self, conn: &mut C) -> Result<S::Wrapped<R, Vec<R::Target>>> {
        prefetch_many_to_many(self, conn)
    }

    #[inline]
    fn prefetch_many_to_many_with(
        self,
        conn: &mut C,
        build: impl FnOnce(PrefetchThrough<R, C>) -> PrefetchThrough<R, C>,
    ) -> Result<S::Wrapped<R, Vec<R::Target>>>
    where
        C: Connection,
        R: LoadManyToMany<C>,
    {
        prefetch_many_to_many_with(self, conn, build)
    }
}
