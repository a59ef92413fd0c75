use diesel::prelude::*;
use diesel_relations::keyed;
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

// How many books each author has, by key: `keyed::count` counts the children
// of a has-many (or one-to-one, many-to-many) relation, not a forward one.
fn book_counts(conn: &mut SqliteConnection, ids: Vec<i32>) {
    let _ = keyed::count(BookAuthor, ids, conn);
}

fn main() {}
