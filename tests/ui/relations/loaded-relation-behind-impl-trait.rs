use diesel::prelude::*;
use diesel_relations::Relations;

diesel::table! { authors (id) { id -> Integer, name -> Text, } }
diesel::table! { books (id) { id -> Integer, author_id -> Integer, editor_id -> Nullable<Integer>, } }

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
    #[foreign_key(references = Author, related_name = "edited_books")]
    pub editor_id: Option<i32>,
}

// The loaded relation is hidden behind `impl Trait`: the extension trait only
// says which relations *can* be loaded, not that `books` was.
fn load(conn: &mut SqliteConnection, authors: Vec<Author>) -> Vec<impl AuthorBooksExt> {
    authors.prefetch_books(conn).unwrap()
}

fn read(conn: &mut SqliteConnection, authors: Vec<Author>) {
    let authors = load(conn, authors);
    let _ = authors[0].books();
}

fn main() {}
