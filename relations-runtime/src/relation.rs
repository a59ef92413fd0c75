//! The relation traits the derive fills in, one impl per relation key.

use std::sync::Arc;

use diesel::dsl::SqlTypeOf;
use diesel::expression::AsExpression;
use diesel::sql_types::SingleValue;
use diesel::Expression;

use crate::model::{Model, PrimaryKey};

/// A named relation that can be loaded onto a model.
///
/// Each `#[foreign_key]` field makes two relation keys: the reverse one on the
/// parent (`AuthorBooks`, read as `author.books()`) and the forward one on the
/// child (`BookAuthor`, read as `book.author()`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a relation key, so it does not say what it holds",
    label = "a relation key (`AuthorBooks`), or an `alias!` key declared with its type",
    note = "declare an alias key with the type it holds, `alias! {{ pub {Self}: Vec<Book>; }}`, or write the value type: `With<_, {Self}, Vec<Book>>`"
)]
pub trait Relation: 'static {
    /// The model the relation is read from.
    type Owner: Model;
    /// What loading the relation yields per owner, when nothing else is asked:
    /// `Vec<Book>` for has-many, `Author` or `Option<Author>` for belongs-to.
    type Value;
    /// Which loader the relation takes: one of the markers in [`kind`](crate::kind).
    /// A declared [`Shape`](crate::Shape) loads each of its fields by it.
    type RelationKind;
    /// The relation's name as the user wrote it (`"books"`, `"author"`).
    const NAME: &'static str;
}

/// The reverse side of a foreign key: a parent has many children
/// (`Author` has many `Book` through `books.author_id`).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a has-many relation",
    label = "expected a relation from a parent to its children",
    note = "has-many relations are declared on the child's foreign-key field, `#[foreign_key(related_name = \"books\")]`, and named after the parent and that name (`AuthorBooks`); a forward relation (`BookAuthor`) is loaded from the children: `books.prefetch_author(conn)`, or `keyed::belongs_to(BookAuthor, keys, conn)` by key"
)]
pub trait HasMany: Relation<Owner = Self::Parent> {
    /// The model the foreign key points at.
    type Parent: PrimaryKey;
    /// The model that holds the foreign key.
    type Child: Model;
    /// The foreign-key column (`books::author_id`). The children of a chunk
    /// of parent keys are found with `Column::default().eq_any(keys)`.
    type Column: diesel::Column<Table = <Self::Child as Model>::Table>
        + Default
        + Copy
        + Send
        + 'static;
    /// The foreign-key value of a child; `None` for a NULL foreign key.
    fn foreign_key(child: &Self::Child) -> Option<&<Self::Parent as PrimaryKey>::Key>;
}

/// The forward side of a foreign key: a child belongs to one parent
/// (`Book` belongs to `Author` through `books.author_id`).
///
/// [`Relation::Value`] is the parent for a `NOT NULL` foreign key and
/// `Option<Parent>` for a nullable one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a forward (belongs-to) relation",
    label = "expected a relation from a child to its parent",
    note = "forward relations are generated from the child's foreign-key field and named after the child and the relation (`Book.author_id` gives `BookAuthor`); a has-many relation (`AuthorBooks`) is loaded from the parents: `authors.prefetch_books(conn)`, or `keyed::has_many(AuthorBooks, keys, conn)` by key"
)]
pub trait BelongsTo: Relation<Owner = <Self::Reverse as HasMany>::Child> {
    /// The reverse relation of the same foreign key.
    type Reverse: HasMany;
    /// `Value` from the parent found for a child's key (`None` when no parent
    /// row has that key, or the key is NULL).
    fn value(parent: Option<<Self::Reverse as HasMany>::Parent>) -> Option<Self::Value>;
}

/// The value of a belongs-to relation loaded with its parents shared
/// ([`prefetch_shared`](crate::SharedParentExt::prefetch_shared)):
/// `Arc<Parent>` for a `NOT NULL` foreign key, `Option<Arc<Parent>>` for a
/// nullable one. Implemented for the two values a [`BelongsTo`] relation has
/// (`Parent`, `Option<Parent>`).
pub trait SharedParent<P> {
    /// `Arc<P>` or `Option<Arc<P>>`.
    type Shared: Clone;
    /// The value from the parent found for a child's key (`None` when no
    /// parent row has that key, or the key is NULL).
    #[doc(hidden)]
    fn share(parent: Option<Arc<P>>) -> Option<Self::Shared>;
}

impl<P> SharedParent<P> for P {
    type Shared = Arc<P>;
    #[inline]
    fn share(parent: Option<Arc<P>>) -> Option<Arc<P>> {
        parent
    }
}

impl<P> SharedParent<P> for Option<P> {
    type Shared = Option<Arc<P>>;
    #[inline]
    fn share(parent: Option<Arc<P>>) -> Option<Option<Arc<P>>> {
        Some(parent)
    }
}

/// The value of belongs-to relation `R` with its parents shared:
/// `Arc<Author>` for `BookAuthor`.
pub type SharedOf<R> = <<R as Relation>::Value as SharedParent<
    <<R as BelongsTo>::Reverse as HasMany>::Parent,
>>::Shared;

/// A foreign-key field: the key type itself, or `Option` of it for a nullable
/// column.
#[diagnostic::on_unimplemented(
    message = "a foreign key of type `{Self}` cannot hold the parent's primary key of type `{K}`",
    label = "expected `{K}` or `Option<{K}>` here, the type of the parent's primary key",
    note = "the field type must match the primary key of the model named in `references = ...` / `belongs_to(...)`"
)]
pub trait ForeignKeyField<K> {
    /// The key, or `None` when the column is NULL.
    fn as_key(&self) -> Option<&K>;

    /// [`as_key`](Self::as_key), for a field of column `Col`: what the
    /// derive's [`HasMany::foreign_key`] returns. Its bound is the check that
    /// the column can be compared with keys of type `K` (the children of a
    /// chunk of parents are found with `Col.eq_any(keys)`), made where the
    /// derive calls it: at the user's field.
    #[doc(hidden)]
    #[inline]
    fn key_of_column<Col>(&self) -> Option<&K>
    where
        Col: Expression,
        SqlTypeOf<Col>: SingleValue,
        K: AsExpression<SqlTypeOf<Col>>,
    {
        self.as_key()
    }
}

impl<K> ForeignKeyField<K> for K {
    #[inline]
    fn as_key(&self) -> Option<&K> {
        Some(self)
    }
}

impl<K> ForeignKeyField<K> for Option<K> {
    #[inline]
    fn as_key(&self) -> Option<&K> {
        self.as_ref()
    }
}

/// A many-to-many relation through a join model (`Book` has many `Tag`s
/// through `book_tags`), declared with `many_to_many = "tags"` on the join
/// model's foreign key to `Book`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a many-to-many relation",
    label = "expected a relation declared with `many_to_many = \"...\"`"
)]
pub trait ManyToMany: Relation<Owner = Self::Parent> {
    /// The model the relation is read from (`Book`).
    type Parent: PrimaryKey;
    /// The model at the other end (`Tag`).
    type Target: Model;
    /// The join model (`BookTag`).
    type Through: Model;
    /// `book_tags.book_id IN (keys)`.
    type KeyFilter;
    /// The filter on the join table's column to the parent, for one chunk of keys.
    fn key_filter(keys: Vec<<Self::Parent as PrimaryKey>::Key>) -> Self::KeyFilter;
}
