//! The `#[derive(Relations)]` macro of `diesel-relations`. Use it through
//! `diesel_relations::Relations`; this crate has no other public API.
//!
//! Pipeline: `parse` (syntax, darling) → `validate` (semantic checks, every
//! error accumulated) → `expand` (model → tokens that fill in the runtime's
//! traits).

mod expand;
mod model;
mod parse;
mod shape;
mod validate;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Generates typed relation loaders from `#[foreign_key(...)]` fields.
///
/// `#[derive(Relations)]` goes on every model that takes part in a relation, parent
/// or child, next to Diesel's derives (`Queryable`, `Selectable`; `Identifiable` and
/// `Associations` are optional). It reads Diesel's own attributes and does not
/// replace them:
///
/// | Diesel attribute | used for | default |
/// |---|---|---|
/// | `#[diesel(table_name = books)]` | the table | Diesel's rule: snake case of the struct + `s` |
/// | `#[diesel(primary_key(code))]` | the key children point at | the field `id` |
/// | `#[diesel(belongs_to(Author[, foreign_key = author_id]))]` | the parent of a `#[foreign_key]` field | — |
/// | `#[diesel(column_name = c)]` or `column_name = "type"` on a field | the foreign-key column | the field name |
///
/// On a foreign-key field, `#[foreign_key(...)]` (or a bare `#[foreign_key]`):
///
/// | key | meaning | default |
/// |---|---|---|
/// | `references = Author` (or `Self`) | the parent model | the `belongs_to(...)` whose foreign key is this field |
/// | `related_name = "books"` | name of the has-many relation on the parent | Django's: `<child>_set` (`book_set`) |
/// | `forward_name = "author"` | name of the belongs-to relation on the child | the field name without `_id` |
/// | `one_to_one` | the key is unique: the parent gets `Option<Child>` | off; with it the default name is `<child>` (`profile`) |
/// | `many_to_many = "tags"` | on a join model with two foreign keys: this key's parent gets a relation to the other key's parent | — |
///
/// The field is the parent key's type, or `Option` of it for a nullable column.
/// Nullability is read from the types, not from their spelling: a foreign key
/// written through an alias (`type MaybeId = Option<i32>`) on a nullable column
/// gives `Option<Author>` and a left join, and a parent whose key column is
/// nullable in the schema (`diesel print-schema` writes SQLite's `INTEGER PRIMARY
/// KEY` as `Nullable<Integer>`, so the field is `id: Option<i32>`) has `i32` keys.
/// Relation names are snake case and not Rust keywords: `related_name = "Posts"`
/// or a field `type_id` (default name `type`) is a compile error that says what to
/// write (`"posts"`, `forward_name = "type_"`); raw identifiers (`r#type`) work.
///
/// On the struct, `#[relations(crate = "path")]` names where `diesel_relations`
/// is when the dependency is renamed or re-exported (serde's `#[serde(crate = "...")]`).
///
/// # What it generates
///
/// For `Book.author_id` → `Author` with `related_name = "books"`:
///
/// | item | what it is |
/// |---|---|
/// | `AuthorBooks` | the has-many relation key: `With<Author, AuthorBooks>` is an author with books |
/// | `AuthorBooksExt` | `prefetch_books(conn)` on `Author`, `Vec<Author>`, `Option<Author>` (and already-wrapped ones); `.books()` to read them |
/// | `BookAuthor` | the belongs-to relation key; `select_related(BookAuthor)` joins it |
/// | `BookAuthorExt` | `prefetch_author(conn)` on books; `.author()` to read it (`Author`, or `Option<Author>` for a nullable key) |
///
/// Every has-many (and one-to-one) relation also gets `prefetch_books_with(conn, |p| ...)`
/// (a `diesel_relations::Prefetch` builder), and with the `async`
/// feature every method has an `_async` twin. Generated code only fills in traits of the
/// runtime; it is the same for every backend.
///
/// # Example
///
/// ```ignore
/// #[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
/// #[diesel(table_name = crate::schema::books)]
/// pub struct Book {
///     pub id: i32,
///     #[foreign_key(references = Author, related_name = "books")]
///     pub author_id: i32,
///     pub title: String,
/// }
/// ```
///
/// The walkthrough on the `diesel_relations` crate page runs this end to end.
#[proc_macro_derive(Relations, attributes(foreign_key, relations))]
pub fn derive_relations(input: TokenStream) -> TokenStream {
    derive_relations_inner(input.into()).into()
}

/// The derive on `proc_macro2` tokens, for tests and fuzzing.
///
/// Never panics: input that is not a struct, or misused attributes, come back
/// as `compile_error!` tokens.
fn derive_relations_inner(input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    let (model, errors) = validate::validate(&input);
    // On errors, still emit what was understood, so the user sees the real
    // mistake and not a cascade of "cannot find" errors about missing items.
    let items = model.as_ref().map(expand::expand).unwrap_or_default();
    let errors = errors.map(|e| e.write_errors()).unwrap_or_default();
    quote::quote! {
        #errors
        #items
    }
}

/// Declares a result shape: a struct holding a model and the relations to load
/// with it, each field a relation by its name.
///
/// ```ignore
/// #[derive(Shape)]
/// #[shape(model = Author)]
/// pub struct AuthorCard {
///     pub author: Author,                    // the model (or mark it `#[shape(model)]`)
///     pub books: Vec<BookWithReviews>,       // relation `books`, each book shaped again
///     pub profile: Option<Profile>,          // one-to-one
/// }
///
/// let cards = AuthorCard::load(authors::table.order(authors::id), conn)?;
/// ```
///
/// | field attribute | meaning |
/// |---|---|
/// | `#[shape(model)]` | this field holds the model (needed only when its type is not spelled as in `model = ...`) |
/// | `#[shape(relation = "books")]` | the field is named otherwise than its relation |
/// | `#[shape(key = path::AuthorBooks)]` | the relation's key, when it is not in scope as `<Model><Relation>` next to the model's path |
/// | `#[shape(with = newest_three)]` | refine the relation with `fn newest_three<M: Mode<Backend = Pg>>(p: Prefetch<AuthorBooks, M>) -> Prefetch<AuthorBooks, M>` (`PrefetchThrough` for many-to-many); the same relation may fill several fields |
/// | `#[shape(join)]` | a forward relation loaded in the models' own statement by `load_joined` (one per shape) |
/// | `#[shape(count = "books")]` | an `i64` field: how many children the relation has, counted in one `GROUP BY` statement without loading them |
/// | `#[shape(exists = "books")]` | a `bool` field: whether the relation has a child |
///
/// On the struct, `#[shape(backend = diesel::pg::Pg)]` names the backend the
/// refinement functions are written for (required with `with = ...`), and
/// `#[relations(crate = "path")]` works as on `Relations`.
///
/// It generates `load(query, conn)`, `from_models(models, conn)` and
/// `from_model(model, conn)` on the struct, and with the `async` feature of
/// `diesel-relations` their `_async` twins for diesel-async. With a
/// `#[shape(join)]` field it also generates `load_joined(conn, |q| q...)`
/// (and `load_joined_async`): one statement joins the models to that field's
/// parents, refined by the closure on either table's columns
/// (`diesel_relations::JoinRefinement`), and the other fields are prefetched
/// onto the rows. `load` and `from_models` prefetch a joined field like any
/// other.
///
/// The walkthrough on the `diesel_relations` crate page runs shapes end to end.
#[proc_macro_derive(Shape, attributes(shape, relations))]
pub fn derive_shape(input: TokenStream) -> TokenStream {
    match syn::parse::<syn::DeriveInput>(input) {
        Ok(input) => shape::derive(&input).into(),
        Err(e) => e.to_compile_error().into(),
    }
}
