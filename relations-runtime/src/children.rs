//! Where the children an aggregate reads come from: the child's table for a
//! has-many (or one-to-one) relation, the join table joined with the
//! target's table for a many-to-many relation; grouped by the column that
//! holds the parent's key.

use diesel::internal::table_macro::{Inner, Join, JoinOn};
use diesel::query_dsl::InternalJoinDsl;
use diesel::query_source::QuerySource;
use diesel::Table;

use crate::join::{join, JoinOnKey};
use crate::model::{Model, PrimaryKey};
use crate::query::{
    JoinManyToMany, ManyToManyJoin, ManyToManyOn, PrimaryKeyColumns, TargetTable, ThroughTable,
};
use crate::refine::{ChildTable, LinkTables};
use crate::relation::{HasMany, Relation};
use crate::shape::kind;

/// The children of relation `Self`, as an aggregate reads them.
/// Blanket-implemented for has-many, one-to-one and many-to-many relations.
#[doc(hidden)]
pub trait Children: Relation<Owner: PrimaryKey> {
    /// `books`, or `favorites INNER JOIN books ON ..`.
    type From;
    /// The tables a filter of the children may name (for messages).
    type Tables;
    /// The column holding the parent's key: `books.author_id`,
    /// `favorites.author_id`.
    type Column: diesel::Column + Default + Copy + Send + 'static;
    /// The `FROM` of the aggregate statement.
    fn from() -> Self::From;
}

impl<R> Children for R
where
    R: Relation<Owner: PrimaryKey>,
    R::RelationKind: ChildrenKind<R>,
{
    type From = <R::RelationKind as ChildrenKind<R>>::From;
    type Tables = <R::RelationKind as ChildrenKind<R>>::Tables;
    type Column = <R::RelationKind as ChildrenKind<R>>::Column;
    #[inline]
    fn from() -> Self::From {
        <R::RelationKind as ChildrenKind<R>>::from()
    }
}

/// [`Children`] per kind of relation.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{R}` has no children to count or aggregate",
    label = "expected a has-many, one-to-one or many-to-many relation; `{R}` is a `{Self}` relation",
    note = "a forward relation (`BookAuthor`) has one parent per child, loaded with `books.prefetch_author(conn)` or `keyed::belongs_to(BookAuthor, keys, conn)`; counts and aggregates take the parent's relation to its children (`AuthorBooks`): `authors.prefetch_count(AuthorBooks, conn)`, `keyed::count(AuthorBooks, keys, conn)`"
)]
pub trait ChildrenKind<R> {
    type From;
    type Tables;
    type Column: diesel::Column + Default + Copy + Send + 'static;
    fn from() -> Self::From;
}

macro_rules! has_many_children {
    ($($kind:ident)*) => {$(
        impl<R: HasMany> ChildrenKind<R> for kind::$kind
        where
            ChildTable<R>: Default,
        {
            type From = ChildTable<R>;
            type Tables = ChildTable<R>;
            type Column = R::Column;
            #[inline]
            fn from() -> ChildTable<R> {
                <R::Child as Model>::Table::default()
            }
        }
    )*};
}

has_many_children!(HasMany HasOne);

impl<R> ChildrenKind<R> for kind::ManyToMany
where
    R: JoinManyToMany,
    R::Source: diesel::Column + Copy + Send + 'static,
    Inner: JoinOnKey<R::TargetColumn, PrimaryKeyColumns<R::Target>>,
    PrimaryKeyColumns<R::Target>: Default,
    ThroughTable<R>: Table
        + Default
        + InternalJoinDsl<TargetTable<R>, Inner, ManyToManyOn<R>, Output = ManyToManyJoin<R>>,
    TargetTable<R>: Table + Default,
    JoinOn<Join<ThroughTable<R>, TargetTable<R>, Inner>, ManyToManyOn<R>>: QuerySource,
{
    type From = ManyToManyJoin<R>;
    type Tables = LinkTables<R>;
    type Column = R::Source;
    #[inline]
    fn from() -> ManyToManyJoin<R> {
        let on = Inner::on(
            R::TargetColumn::default(),
            PrimaryKeyColumns::<R::Target>::default(),
        );
        join::<ThroughTable<R>, TargetTable<R>, Inner, ManyToManyOn<R>>(on)
    }
}
