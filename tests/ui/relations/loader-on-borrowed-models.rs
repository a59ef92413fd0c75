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

// Loaders take the models by value and hand them back with the relation
// loaded; a borrowed `Vec` or slice cannot be wrapped.
fn load_borrowed_vec(conn: &mut SqliteConnection, authors: &Vec<Author>) {
    let _ = authors.prefetch_books(conn);
}

fn load_slice(conn: &mut SqliteConnection, authors: &[Author]) {
    let _ = authors.prefetch_books(conn);
}

fn main() {}
