// The dependency re-exported under another path (as a facade crate or a
// renamed dependency does): `#[relations(crate = "...")]` tells the derive.
use diesel::prelude::*;

mod facade {
    pub use diesel_relations as relations;
}

use facade::relations::prelude::*;

diesel::table! { authors (id) { id -> Integer, name -> Text, } }
diesel::table! { books (id) { id -> Integer, author_id -> Integer, title -> Text, } }
diesel::allow_tables_to_appear_in_same_query!(authors, books);

#[derive(Queryable, Selectable, facade::relations::Relations, Clone)]
#[diesel(table_name = authors)]
#[relations(crate = "crate::facade::relations")]
pub struct Author {
    pub id: i32,
    pub name: String,
}

#[derive(Queryable, Selectable, facade::relations::Relations, Clone)]
#[diesel(table_name = books)]
#[relations(crate = "crate::facade::relations")]
pub struct Book {
    pub id: i32,
    #[foreign_key(references = Author, related_name = "books")]
    pub author_id: i32,
    pub title: String,
}

fn load(conn: &mut SqliteConnection, authors: Vec<Author>) -> QueryResult<()> {
    let authors = authors.prefetch_books(conn)?;
    let _: &Vec<Book> = authors[0].books();
    let _ = select_related(BookAuthor).load(conn)?;
    Ok(())
}

fn main() {}
