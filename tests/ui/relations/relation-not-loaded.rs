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

fn load(conn: &mut SqliteConnection, authors: Vec<Author>) {
    let authors = authors.prefetch_books(conn).unwrap();
    // Only `books` was prefetched: reading `edited_books` must not compile
    // (no lazy query, no run-time error).
    let _ = authors[0].edited_books();
}

fn main() {}
