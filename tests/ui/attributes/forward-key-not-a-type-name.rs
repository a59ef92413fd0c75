use diesel::prelude::*;
use diesel_relations::Relations;

diesel::table! { authors (id) { id -> Integer, } }
diesel::table! { books (id) { id -> Integer, author_id -> Integer, } }
diesel::allow_tables_to_appear_in_same_query!(authors, books);

#[derive(Queryable, Selectable, Relations)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
}

#[derive(Queryable, Selectable, Relations)]
#[diesel(table_name = books)]
pub struct Book {
    pub id: i32,
    #[foreign_key(references = Author, forward_key = "book_writer")]
    pub author_id: i32,
}

fn main() {}
