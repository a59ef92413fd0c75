//! The validated model: everything expansion needs, each part with the span
//! of the user's token it came from.

use syn::{Ident, Path, Type};

/// A struct deriving `Relations`.
pub struct Model {
    pub ident: Ident,
    pub vis: syn::Visibility,
    /// `books` in `books::table`, as the user wrote (or Diesel infers) it.
    pub table: Path,
    /// The primary key, when it is one column.
    pub primary_key: Option<KeyField>,
    pub foreign_keys: Vec<ForeignKey>,
    pub many_to_many: Vec<ManyToMany>,
    /// `#[relations(crate = "...")]`: the path of `diesel_relations`.
    pub krate: Option<Path>,
}

/// A many-to-many relation through this (join) model.
pub struct ManyToMany {
    /// `tags`, spanned at the user's `many_to_many = "tags"`.
    pub name: Ident,
    /// `BookTags`.
    pub key: Ident,
    /// The model that gets the relation (`Book`).
    pub parent: Path,
    /// The model at the other end (`Tag`).
    pub target: Path,
    /// This model's column to `parent` (`book_id`).
    pub source_column: Ident,
    /// This model's column to `target` (`tag_id`).
    pub target_column: Ident,
    /// The Rust type of this model's primary key (`i32`, or a tuple for a
    /// composite key): the links are ordered by it.
    pub link_key: Type,
}

/// A field and the column it maps to.
pub struct KeyField {
    pub field: Ident,
    pub ty: Type,
    pub column: Ident,
}

/// One `#[foreign_key]` field: a has-many relation on the parent and a
/// belongs-to relation on this model.
pub struct ForeignKey {
    pub key: KeyField,
    /// `Option<_>` field: nullable column, left join, `Option<Parent>` value.
    pub nullable: bool,
    /// `one_to_one`: the reverse relation is `Option<Child>`.
    pub one_to_one: bool,
    pub parent: Path,
    /// Name of the has-many relation on the parent (`books`), spanned at the
    /// user's `related_name` (or at the field when defaulted).
    pub related_name: Ident,
    /// Name of the belongs-to relation on this model (`author`).
    pub forward_name: Ident,
    /// `AuthorBooks`.
    pub reverse_key: Ident,
    /// `BookAuthor`.
    pub forward_key: Ident,
}
