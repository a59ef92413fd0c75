use diesel::prelude::*;
use diesel_relations::prelude::*;

diesel::table! { authors (id) { id -> Integer, } }
diesel::table! { books (id) { id -> Integer, author_id -> Integer, } }
// Missing: diesel::allow_tables_to_appear_in_same_query!(authors, books);

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
}

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = books)]
pub struct Book {
    pub id: i32,
    #[foreign_key(references = Author, related_name = "books")]
    pub author_id: i32,
}

fn load(conn: &mut SqliteConnection) {
    // Prefetching needs no join and compiles; the join itself cannot.
    let books: Vec<Book> = Vec::new();
    let _ = books.prefetch_author(conn);
    let _ = select_related(BookAuthor).load(conn);
}

fn main() {}
