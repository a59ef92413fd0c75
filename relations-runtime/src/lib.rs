//! Django's `prefetch_related` for Diesel, checked by the compiler.
//!
//! `#[derive(Relations)]` on Diesel models turns `#[foreign_key(...)]` fields into
//! typed relation loaders; this crate holds the derive (re-exported as
//! [`Relations`]) and the runtime that does the loading:
//!
//! - has-many: `authors.prefetch_books(conn)?` → `Vec<With<Author, AuthorBooks>>`,
//!   read with `author.books()` ([`prefetch_has_many`]);
//! - belongs-to: `books.prefetch_author(conn)?`, read with `book.author()`
//!   ([`prefetch_belongs_to`]);
//! - joins: [`select_related`]`(BookAuthor).load(conn)?`;
//! - filtered, ordered, nested, renamed and top-N loading with a [`Prefetch`]
//!   builder: `authors.prefetch_books_with(conn, |p| p.filter(..).limit_per_parent(3))?`;
//! - one-to-one ([`prefetch_has_one`]) and many-to-many through a join model
//!   ([`prefetch_many_to_many`]);
//! - statement counting for tests: [`QueryCount`], [`assert_num_queries`];
//! - with the `async` feature, every loader on diesel-async: `prefetch_books_async`,
//!   `select_related(..).load_async`, ... (module `asynchronous`), built from the
//!   same statements as the blocking loaders.
//!
//! Keys are chunked below each backend's bind limit ([`keys_per_statement`]);
//! PostgreSQL gets one array parameter. With the `serde` feature a loaded tree
//! serializes as the model's fields plus one field per relation.
//!
//! See the repository README for the attribute reference and the semantics.
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod aggregate;
mod async_methods;
#[cfg(feature = "async")]
pub mod asynchronous;
mod batch;
mod children;
mod column_aggregate;
mod count;
mod error;
#[cfg(feature = "async-graphql")]
pub mod graphql;
mod join;
pub mod keyed;
mod loaders;
mod mode;
mod model;
mod prefetch;
mod query;
mod refine;
mod relation;
mod shape;
mod spec;
mod through;
mod top_n;
mod two_step;
mod with;

pub use aggregate::{
    prefetch_count_with, prefetch_exists_with, AggregateExt, AggregateField, AggregateKey,
    BuildCounts, Count, CountFilter, CountQuery, CountRow, Exists, LoadAggregateField, LoadCounts,
    ReadAggregateExt,
};
#[cfg(feature = "async")]
pub use aggregate::{AggregateAsyncExt, LoadAggregateFieldAsync, LoadCountsAsync};
#[cfg(feature = "async")]
pub use asynchronous::Async;
#[cfg(feature = "async")]
pub use asynchronous::{PrefetchSharedAsync, SharedParentAsyncExt};
pub use batch::{keys_per_statement, ChildOrder, KeyBatching};
pub use column_aggregate::{
    prefetch_aggregate_with, Aggregate, AggregateFilter, AggregateRow, AggregateValue, Avg,
    BuildAggregate, ColumnAggregate, ColumnAggregateExt, ColumnAggregateField, CountOf,
    LoadAggregate, LoadColumnAggregateField, Max, Min, ReadColumnAggregateExt, Sum, SumValue,
    ValueOf, WideInt,
};
#[cfg(feature = "async")]
pub use column_aggregate::{
    ColumnAggregateAsyncExt, LoadAggregateAsync, LoadColumnAggregateFieldAsync,
};
#[cfg(feature = "async")]
pub use count::assert_num_queries_async;
pub use count::{assert_num_queries, QueryCount};
pub use error::{Error, ErrorKind, Result};
pub use join::{
    select_related, BuildJoin, JoinBelongsTo, JoinOnKey, JoinQuery, JoinRefinement, SelectRelated,
};
pub use loaders::{PrefetchBelongsTo, PrefetchHasMany, PrefetchManyToMany};
pub use mode::Mode;
pub use model::{Loaded, Model, Node, Nodes, PrimaryKey, Rooted};
pub use prefetch::{
    prefetch_belongs_to, prefetch_belongs_to_shared, prefetch_has_many, prefetch_has_many_with,
    prefetch_has_one, prefetch_has_one_with, prefetch_many_to_many, prefetch_many_to_many_with,
    PrefetchShared, SharedBelongsTo, SharedParentExt,
};
pub use query::{
    BuildByKeys, BuildChildren, BuildManyToMany, BuildParents, ChildQuery, ChildSpec,
    ChildStatements, JoinManyToMany, KeyOf, LinkRow, LoadBelongsTo, LoadByKeys, LoadHasMany,
    LoadManyToMany, ManyToManyQuery, ModelQuery, ParentOf, SelectModel, Statements, ThroughSpec,
    TopNQuery,
};
pub use relation::{
    BelongsTo, ForeignKeyField, HasMany, ManyToMany, Relation, SharedOf, SharedParent,
};
pub use relations_derive::{Relations, Shape};
pub use shape::{
    kind, BuilderOf, FromTree, IntoField, JoinField, JoinOf, LoadField, LoadFieldWith, LoadShape,
    ReshapeOf, Shape, ShapeOf,
};
#[cfg(feature = "async")]
pub use shape::{JoinFieldAsync, JoinOfAsync, LoadFieldAsync, LoadFieldWithAsync, LoadShapeAsync};
pub use spec::{refinement, KeyValue, LoadedExt, Prefetch, Refinement, RelationName};
pub use through::PrefetchThrough;
pub use with::{Get, Here, Is, LoadedValue, There, With};

/// Everything a user of the generated loaders needs in scope:
/// `use diesel_relations::prelude::*;`
pub mod prelude {
    #[cfg(feature = "async")]
    pub use crate::aggregate::AggregateAsyncExt;
    pub use crate::aggregate::{AggregateExt, Count, Exists, ReadAggregateExt};
    #[cfg(feature = "async")]
    pub use crate::asynchronous::SharedParentAsyncExt;
    #[cfg(feature = "async")]
    pub use crate::column_aggregate::ColumnAggregateAsyncExt;
    pub use crate::column_aggregate::{
        Avg, ColumnAggregateExt, CountOf, Max, Min, ReadColumnAggregateExt, Sum,
    };
    pub use crate::join::select_related;
    pub use crate::prefetch::SharedParentExt;
    pub use crate::spec::{LoadedExt, Prefetch};
    pub use crate::through::PrefetchThrough;
    pub use crate::with::With;
    pub use crate::Relations;
    pub use crate::Shape; // the trait and its derive
}

/// Paths used by the code `#[derive(Relations)]` generates. Not public API.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "async")]
    pub use crate::aggregate::load_aggregate_field_async;
    pub use crate::aggregate::{
        check_aggregate, load_aggregate_field, CountKind, ExistsKind, KeyColumn,
    };
    pub use crate::batch::override_max_keys_per_statement;
    pub use crate::column_aggregate::check_column_aggregate;
    pub use crate::model::{
        key_of_column, ByDatabase, ByPrimaryKey, KeyField, Nullability, NullabilityOf,
    };
    pub use crate::query::PrimaryKeyColumns;
    pub use crate::shape::{check_field, check_join, one_shape_for_one_model};
    pub use crate::two_step::{override_many_to_many_plan, ManyToManyPlan};
    pub use ::core;
    pub use ::diesel;
    #[cfg(feature = "async")]
    pub use ::diesel_async;
}
