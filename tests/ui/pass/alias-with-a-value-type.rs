// An alias key declared with the type it holds can be named in a signature
// without it, like a relation key.
use diesel::prelude::*;
use diesel_relations::prelude::*;

diesel::table! { authors (id) { id -> Integer, name -> Text, } }
diesel::table! { books (id) { id -> Integer, author_id -> Integer, title -> Text, } }
diesel::allow_tables_to_appear_in_same_query!(authors, books);

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
    pub name: String,
}

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = books)]
pub struct Book {
    pub id: i32,
    #[foreign_key(references = Author, related_name = "books")]
    pub author_id: i32,
    pub title: String,
}

diesel_relations::alias! {
    /// Books with "Earthsea" in the title.
    pub EarthseaBooks: Vec<Book>;
    /// Declared without a type: named with one.
    pub Untyped;
}

fn load(
    conn: &mut SqliteConnection,
    authors: Vec<Author>,
) -> diesel_relations::Result<Vec<With<With<Author, AuthorBooks>, EarthseaBooks>>> {
    authors
        .prefetch_books(conn)?
        .prefetch_books_with(conn, |p| p.filter(books::title.like("%Earthsea%")).named(EarthseaBooks))
}

fn untyped(
    conn: &mut SqliteConnection,
    authors: Vec<Author>,
) -> diesel_relations::Result<Vec<With<Author, Untyped, Vec<Book>>>> {
    authors.prefetch_books_with(conn, |p| p.named(Untyped))
}

fn main() {}
