//! Django's `prefetch_related` for [Diesel](https://diesel.rs), checked by the
//! compiler.
//!
//! Annotate the foreign keys of your Diesel models, and
//! [`#[derive(Relations)]`](derive@Relations) gives you typed loaders:
//! `authors.prefetch_books(conn)?` runs **one** more statement
//! (`WHERE author_id IN (...)`) and hands every author its own books. A
//! misspelled relation, or reading one you did not load, is a compile error.
//!
//! ```toml
//! [dependencies]
//! diesel = { version = "2.3", features = ["sqlite"] }
//! # Not on crates.io yet: a git or path dependency on the repository.
//! diesel-relations = { path = "../diesel-relations", features = ["sqlite"] }
//! ```
//!
//! No backend is on by default: enable `sqlite` (your application's
//! `libsqlite3-sys`), `sqlite-bundled`, `postgres` or `mysql`, and `async`
//! for diesel-async.
//!
//! # A walkthrough
//!
//! The models live in their own modules and name their tables through
//! `crate::schema`, as `diesel print-schema` applications do. The only
//! additions to ordinary Diesel models are `#[derive(Relations)]` and
//! `#[foreign_key(...)]` on each foreign-key field.
//!
//! ```
//! mod schema {
//!     diesel::table! { authors (id) { id -> Integer, name -> Text, } }
//!     diesel::table! { books (id) { id -> Integer, author_id -> Integer, title -> Text, year -> Integer, } }
//!     diesel::table! { reviews (id) { id -> Integer, book_id -> Integer, stars -> Integer, } }
//!     diesel::allow_tables_to_appear_in_same_query!(authors, books, reviews);
//! }
//!
//! mod models {
//!     use diesel::prelude::*;
//!     use diesel_relations::Relations;
//!
//!     #[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
//!     #[diesel(table_name = crate::schema::authors)]
//!     pub struct Author {
//!         pub id: i32,
//!         pub name: String,
//!     }
//!
//!     #[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
//!     #[diesel(table_name = crate::schema::books)]
//!     pub struct Book {
//!         pub id: i32,
//!         // `author.books()` on the parent, `book.author()` on the child.
//!         #[foreign_key(references = Author, related_name = "books")]
//!         pub author_id: i32,
//!         pub title: String,
//!         pub year: i32,
//!     }
//!
//!     #[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
//!     #[diesel(table_name = crate::schema::reviews)]
//!     pub struct Review {
//!         pub id: i32,
//!         #[foreign_key(references = Book, related_name = "reviews")]
//!         pub book_id: i32,
//!         pub stars: i32,
//!     }
//! }
//!
//! use diesel::prelude::*;
//! use diesel_relations::prelude::*;
//! use diesel_relations::{assert_num_queries, With};
//! use models::*; // the models and their generated loaders
//! use schema::*;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let conn = &mut SqliteConnection::establish(":memory:")?;
//! # diesel::connection::SimpleConnection::batch_execute(conn, "
//! #     CREATE TABLE authors (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
//! #     CREATE TABLE books (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL,
//! #                         title TEXT NOT NULL, year INTEGER NOT NULL);
//! #     CREATE TABLE reviews (id INTEGER PRIMARY KEY NOT NULL, book_id INTEGER NOT NULL, stars INTEGER NOT NULL);
//! #     INSERT INTO authors VALUES (1, 'Ursula K. Le Guin'), (2, 'Octavia E. Butler');
//! #     INSERT INTO books VALUES (1, 1, 'A Wizard of Earthsea', 1968), (2, 1, 'The Dispossessed', 1974),
//! #                              (3, 2, 'Kindred', 1979), (4, 1, 'The Left Hand of Darkness', 1969);
//! #     INSERT INTO reviews VALUES (1, 2, 5), (2, 2, 4), (3, 3, 5);
//! # ")?;
//!
//! // Has-many: the authors, then one statement for all their books.
//! let authors: Vec<Author> = authors::table.order(authors::id).load(conn)?;
//! let authors = authors.prefetch_books(conn)?;
//! assert_eq!(authors[0].name, "Ursula K. Le Guin"); // the model, through Deref
//! assert_eq!(authors[0].books().len(), 3); // its books, by primary key
//!
//! // Refined and nested (Django's `Prefetch("books", queryset=...)` and
//! // "books__reviews"): each author's two newest books, each with its
//! // reviews: two statements (books, reviews), however many authors and books.
//! let authors: Vec<Author> = authors::table.order(authors::id).load(conn)?;
//! let authors = assert_num_queries(conn, 2, |conn| {
//!     authors.prefetch_books_with(conn, |books| {
//!         books
//!             .order(books::year.desc())
//!             .limit_per_parent(2)
//!             .then(|books, conn| books.prefetch_reviews(conn))
//!     })
//! })?;
//! let newest = &authors[0].books()[0];
//! assert_eq!(newest.title, "The Dispossessed");
//! assert_eq!(newest.reviews().len(), 2);
//!
//! // The result is a named type: `With<Model, Relation, Value>` layers.
//! let octavia: &With<Author, AuthorBooks, Vec<With<Book, BookReviews>>> = &authors[1];
//! assert_eq!(octavia.books()[0].title, "Kindred");
//!
//! // Counts without loading the children (Django's `annotate(Count(..))`):
//! // one statement, `GROUP BY author_id`.
//! let authors: Vec<Author> = authors::table.order(authors::id).load(conn)?;
//! let authors = authors.prefetch_count(AuthorBooks, conn)?;
//! assert_eq!(authors[0].count(AuthorBooks), 3);
//! // Column aggregates, several in one statement (`MIN(year), AVG(year)`).
//! let years = (Min(books::year), Avg(books::year));
//! let authors = authors.prefetch_aggregate(AuthorBooks, years, conn)?;
//! assert_eq!(authors[0].aggregate(AuthorBooks, years), &(Some(1968), Some(5911.0 / 3.0)));
//!
//! // Belongs-to on books you already have: one statement for their authors.
//! let books: Vec<Book> = books::table.order(books::id).load(conn)?;
//! let books = books.prefetch_author(conn)?;
//! assert_eq!(books[2].author().name, "Octavia E. Butler");
//! // The same statement, each author one `Arc` shared by its books.
//! let books: Vec<Book> = books::table.order(books::id).load(conn)?;
//! let books = books.prefetch_shared(BookAuthor, conn)?;
//! assert!(std::sync::Arc::ptr_eq(books[0].author(), books[1].author()));
//!
//! // Or in the same statement as the books: a join (Django's `select_related`).
//! let books = select_related(BookAuthor).load_with(conn, |q| q.filter(books::year.lt(1970)))?;
//! assert_eq!(books.len(), 2);
//! assert!(books.iter().all(|b| b.author().id == 1));
//! # Ok(())
//! # }
//! ```
//!
//! # Declared shapes
//!
//! A handler that returns "authors with their books, each with its reviews"
//! is best written as the struct it returns. [`#[derive(Shape)]`](derive@Shape)
//! loads exactly that: one statement for the authors, then one per relation
//! in the tree, the same statements as the chain of loaders above. Each field
//! is a relation by its name, holding the model or another shape of it; a
//! misspelled relation or a field of the wrong kind (`Option` for a has-many)
//! is a compile error at the field. The struct is yours: derive `Serialize`,
//! `Clone` or async-graphql's `SimpleObject` on it as usual. With the `async`
//! feature, `load_async`, `from_models_async` and `from_model_async` do the same
//! on diesel-async. A forward field marked `#[shape(join)]` can be loaded in
//! the models' own statement instead: `BookCard::load_joined(conn, |q| q...)`
//! (Django's `select_related`; the [`guide`] shows it).
//!
//! ```
//! # mod schema {
//! #     diesel::table! { authors (id) { id -> Integer, name -> Text, } }
//! #     diesel::table! { books (id) { id -> Integer, author_id -> Integer, title -> Text, } }
//! #     diesel::table! { reviews (id) { id -> Integer, book_id -> Integer, stars -> Integer, } }
//! #     diesel::allow_tables_to_appear_in_same_query!(authors, books, reviews);
//! # }
//! # mod models {
//! #     use diesel::prelude::*;
//! #     use diesel_relations::Relations;
//! #     #[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
//! #     #[diesel(table_name = crate::schema::authors)]
//! #     pub struct Author { pub id: i32, pub name: String }
//! #     #[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
//! #     #[diesel(table_name = crate::schema::books)]
//! #     pub struct Book {
//! #         pub id: i32,
//! #         #[foreign_key(references = Author, related_name = "books")]
//! #         pub author_id: i32,
//! #         pub title: String,
//! #     }
//! #     #[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
//! #     #[diesel(table_name = crate::schema::reviews)]
//! #     pub struct Review {
//! #         pub id: i32,
//! #         #[foreign_key(references = Book, related_name = "reviews")]
//! #         pub book_id: i32,
//! #         pub stars: i32,
//! #     }
//! # }
//! // The models of the walkthrough above, in `models`.
//! mod views {
//!     use diesel::prelude::*;
//!     use diesel_relations::{Mode, Prefetch, Shape};
//!     use crate::models::*; // the models and their relation keys
//!
//!     #[derive(Shape, Debug)]
//!     #[shape(model = Author, backend = diesel::sqlite::Sqlite)]
//!     pub struct AuthorPage {
//!         pub author: Author,                  // the model
//!         pub books: Vec<BookWithReviews>,     // relation `books`, each book shaped
//!         // The same relation again, refined (Django's `to_attr`).
//!         #[shape(relation = "books", with = latest)]
//!         pub latest: Vec<Book>,
//!     }
//!
//!     // A refinement, as `prefetch_books_with` takes it, for the shape's backend.
//!     fn latest<M: Mode<Backend = diesel::sqlite::Sqlite>>(
//!         books: Prefetch<AuthorBooks, M>,
//!     ) -> Prefetch<AuthorBooks, M> {
//!         books.order(crate::schema::books::id.desc()).limit_per_parent(1)
//!     }
//!
//!     #[derive(Shape, Debug)]
//!     #[shape(model = Book)]
//!     pub struct BookWithReviews {
//!         pub book: Book,
//!         pub reviews: Vec<Review>,            // relation `reviews`
//!     }
//! }
//!
//! use diesel::prelude::*;
//! use diesel_relations::assert_num_queries;
//! use schema::*;
//! use views::AuthorPage;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let conn = &mut SqliteConnection::establish(":memory:")?;
//! # diesel::connection::SimpleConnection::batch_execute(conn, "
//! #     CREATE TABLE authors (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
//! #     CREATE TABLE books (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL, title TEXT NOT NULL);
//! #     CREATE TABLE reviews (id INTEGER PRIMARY KEY NOT NULL, book_id INTEGER NOT NULL, stars INTEGER NOT NULL);
//! #     INSERT INTO authors VALUES (1, 'Ursula K. Le Guin'), (2, 'Octavia E. Butler');
//! #     INSERT INTO books VALUES (1, 1, 'A Wizard of Earthsea'), (2, 1, 'The Dispossessed'), (3, 2, 'Kindred');
//! #     INSERT INTO reviews VALUES (1, 2, 5), (2, 2, 4), (3, 3, 5);
//! # ")?;
//! // Authors, books, reviews, latest books: four statements for any number
//! // of authors.
//! let pages: Vec<AuthorPage> = assert_num_queries(conn, 4, |conn| {
//!     AuthorPage::load(authors::table.order(authors::id), conn)
//! })?;
//! assert_eq!(pages[0].author.name, "Ursula K. Le Guin");
//! assert_eq!(pages[0].books[1].book.title, "The Dispossessed");
//! assert_eq!(pages[0].books[1].reviews.len(), 2);
//! assert_eq!(pages[0].latest[0].title, "The Dispossessed");
//!
//! // Onto models you already have (Django's `prefetch_related_objects`).
//! let octavia = authors::table.find(2).first(conn)?;
//! let page = AuthorPage::from_model(octavia, conn)?;
//! assert_eq!(page.books[0].reviews[0].stars, 5);
//! # Ok(())
//! # }
//! ```
//!
//! What the derive generates for `Book.author_id`, and every attribute it
//! reads, is on [`Relations`](derive@Relations); the shape attributes are on
//! [`Shape`](derive@Shape). [`Prefetch`] is the builder
//! handed to `prefetch_<relation>_with` (filter, order, per-parent limits,
//! nested loads, a second copy under another name), [`PrefetchThrough`] its
//! many-to-many twin. [`QueryCount`] and [`assert_num_queries`] count
//! statements in tests, as Django's `assertNumQueries` does.
//!
//! # The rules
//!
//! - **Statements**: one per relation (per chunk of keys on SQLite and MySQL,
//!   which limit binds; two for an unrefined many-to-many load on SQLite and
//!   PostgreSQL: the links, then the distinct targets), whatever the number
//!   of parents; none for an empty list.
//! - **Errors**: a database error is an [`Err`](Error) naming the relation,
//!   never a panic and never a half-loaded result.
//! - **Order**: each parent gets its children by the child's primary key
//!   unless you `.order(..)`; parents keep the order you gave them.
//! - **Text keys** are matched as the database compares them (a
//!   case-insensitive collation included).
//!
//! The README's "Semantics" section states each rule in full, and
//! [`guide`] follows Django's `prefetch_related` documentation step by step.
//!
//! # Async
//!
//! With the `async` feature every loader has an `_async` twin for
//! [diesel-async](https://docs.rs/diesel-async):
//! `authors.prefetch_books_async(&mut conn).await?`, with the same statements.
//!
//! # By key, and GraphQL
//!
//! A DataLoader asks for a relation by parent keys, not models. [`keyed`]
//! loads any relation that way — the same statements, chunking and
//! collation handling — and returns each key's value in a map:
//!
//! ```
//! # mod schema {
//! #     diesel::table! { authors (id) { id -> Integer, name -> Text, } }
//! #     diesel::table! { books (id) { id -> Integer, author_id -> Integer, title -> Text, } }
//! #     diesel::allow_tables_to_appear_in_same_query!(authors, books);
//! # }
//! # mod models {
//! #     use diesel::prelude::*;
//! #     use diesel_relations::Relations;
//! #     #[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
//! #     #[diesel(table_name = crate::schema::authors)]
//! #     pub struct Author { pub id: i32, pub name: String }
//! #     #[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
//! #     #[diesel(table_name = crate::schema::books)]
//! #     pub struct Book {
//! #         pub id: i32,
//! #         #[foreign_key(references = Author, related_name = "books")]
//! #         pub author_id: i32,
//! #         pub title: String,
//! #     }
//! # }
//! # use diesel::prelude::*;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let conn = &mut SqliteConnection::establish(":memory:")?;
//! # diesel::connection::SimpleConnection::batch_execute(conn, "
//! #     CREATE TABLE authors (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
//! #     CREATE TABLE books (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL, title TEXT NOT NULL);
//! #     INSERT INTO authors VALUES (1, 'Ursula K. Le Guin'), (2, 'Octavia E. Butler');
//! #     INSERT INTO books VALUES (1, 1, 'A Wizard of Earthsea'), (2, 1, 'The Dispossessed'), (3, 2, 'Kindred');
//! # ")?;
//! use diesel_relations::{assert_num_queries, keyed};
//! use models::{AuthorBooks, BookAuthor};
//! use schema::books;
//!
//! // Has-many: every key maps to its children (none for key 3).
//! let books = assert_num_queries(conn, 1, |conn| keyed::has_many(AuthorBooks, vec![1, 2, 3], conn))?;
//! assert_eq!(books[&1].len(), 2);
//! assert!(books[&3].is_empty());
//!
//! // Refined as `prefetch_books_with` is: here each author's latest book.
//! let latest = keyed::has_many_with(AuthorBooks, vec![1, 2], conn, |b| {
//!     b.order(books::id.desc()).limit_per_parent(1)
//! })?;
//! assert_eq!(latest[&1][0].title, "The Dispossessed");
//!
//! // Belongs-to: by foreign-key value; a value with no parent is absent.
//! let authors = keyed::belongs_to(BookAuthor, vec![1, 2], conn)?;
//! assert_eq!(authors[&2].name, "Octavia E. Butler");
//! # Ok(())
//! # }
//! ```
//!
//! With the `async-graphql` feature, [`graphql::RelationLoader`] is an
//! async-graphql `Loader` for any relation over a diesel-async deadpool
//! pool: a resolver is
//! `ctx.data::<DataLoader<RelationLoader<AuthorBooks, Pool<C>>>>()?.load_for(&self.author).await?`,
//! one statement per relation and GraphQL level. `load_for` takes the
//! relation's own model, so asking for another model's relation does not
//! compile; [`graphql::RefinedLoader`] refines each load with the field's
//! arguments. `examples/graphql/` is a whole server (axum, GraphiQL).
//!
//! # Crates
//!
//! `diesel-relations` re-exports the runtime (`relations-runtime`) and the
//! derive (`relations-derive`), as `sqlx` does its parts. The traits the
//! generated code fills in, which you rarely name, are listed in
//! [`plumbing`]. If you rename this dependency or re-export it, tell the
//! derive where it is with `#[relations(crate = "path::to::it")]`.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "async-graphql")]
#[doc(inline)]
pub use relations_runtime::graphql;
#[doc(inline)]
pub use relations_runtime::keyed;
#[cfg(feature = "async")]
#[doc(inline)]
pub use relations_runtime::AggregateAsyncExt;
#[cfg(feature = "async")]
#[doc(inline)]
pub use relations_runtime::ColumnAggregateAsyncExt;
#[cfg(feature = "async")]
#[doc(inline)]
pub use relations_runtime::SharedParentAsyncExt;
#[doc(inline)]
pub use relations_runtime::{
    alias, assert_num_queries, prelude, select_related, Error, ErrorKind, LoadShape, Loaded,
    LoadedExt, Mode, Prefetch, PrefetchThrough, QueryCount, Relations, Result, Shape, With,
};
#[cfg(feature = "async")]
#[doc(inline)]
pub use relations_runtime::{assert_num_queries_async, asynchronous};
#[doc(inline)]
pub use relations_runtime::{
    Aggregate, AggregateExt, AggregateFilter, Avg, ColumnAggregateExt, Count, CountFilter, CountOf,
    Exists, JoinRefinement, Max, Min, ReadAggregateExt, ReadColumnAggregateExt, SharedParentExt,
    Sum,
};

/// The runtime's other public items, for the generated code, for writing
/// code generic over relations, and for reading error messages: the types
/// the builders hand to your closures ([`Refinement`], [`SelectRelated`]), the
/// relation
/// traits the derive fills in ([`HasMany`],
/// [`BelongsTo`], ...), the loaders generic over a
/// relation ([`PrefetchHasMany`], ...), and the
/// statement builders. The names are also available at the crate root.
pub mod plumbing {
    #[doc(inline)]
    #[cfg(feature = "async")]
    #[doc(inline)]
    pub use relations_runtime::Async;
    #[doc(inline)]
    pub use relations_runtime::{
        keys_per_statement, refinement, Get, KeyValue, LoadedValue, Refinement, SelectRelated,
    };
    #[doc(inline)]
    pub use relations_runtime::{
        kind, BuilderOf, FromTree, LoadField, LoadFieldWith, ReshapeOf, ShapeOf,
    };
    #[doc(inline)]
    pub use relations_runtime::{
        prefetch_aggregate_with, prefetch_count_with, prefetch_exists_with, AggregateField,
        AggregateKey, AggregateRow, AggregateValue, BuildAggregate, BuildCounts, ColumnAggregate,
        CountQuery, CountRow, JoinField, JoinOf, LoadAggregate, LoadAggregateField, LoadCounts,
        SumValue, ValueOf, WideInt,
    };
    #[doc(inline)]
    pub use relations_runtime::{
        prefetch_belongs_to, prefetch_belongs_to_shared, prefetch_has_many, prefetch_has_many_with,
        prefetch_has_one, prefetch_has_one_with, prefetch_many_to_many, prefetch_many_to_many_with,
        BelongsTo, BuildByKeys, BuildChildren, BuildJoin, BuildManyToMany, BuildParents,
        ChildOrder, ChildQuery, ChildSpec, ChildStatements, ForeignKeyField, HasMany, Here, Is,
        JoinBelongsTo, JoinManyToMany, JoinOnKey, JoinQuery, KeyBatching, KeyOf, LinkRow,
        LoadBelongsTo, LoadByKeys, LoadHasMany, LoadManyToMany, ManyToMany, ManyToManyQuery, Model,
        ModelQuery, Node, Nodes, ParentOf, PrefetchBelongsTo, PrefetchHasMany, PrefetchManyToMany,
        PrefetchShared, PrimaryKey, Relation, RelationName, Rooted, SelectModel, SharedBelongsTo,
        SharedOf, SharedParent, Statements, There, ThroughSpec, TopNQuery,
    };
    #[doc(inline)]
    #[cfg(feature = "async")]
    pub use relations_runtime::{
        JoinFieldAsync, JoinOfAsync, LoadAggregateAsync, LoadAggregateFieldAsync, LoadCountsAsync,
        PrefetchSharedAsync,
    };
}

// Every name of the runtime at the root too, where the generated code finds
// them (`diesel_relations::HasMany`); documented in `plumbing` instead.
#[doc(hidden)]
pub use relations_runtime::*;

#[doc = include_str!("../docs/guide.md")]
pub mod guide {}

// The README's quick start is compiled and run as a doctest, so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}
