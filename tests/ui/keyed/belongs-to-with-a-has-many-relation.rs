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

// The authors of these books, by key: `keyed::belongs_to` takes the forward
// relation (`BookAuthor`), not the has-many one.
fn authors_of(conn: &mut SqliteConnection, books: &[Book]) {
    let ids: Vec<i32> = books.iter().map(|b| b.author_id).collect();
    let _ = keyed::belongs_to(AuthorBooks, ids, conn);
}

fn main() {}
