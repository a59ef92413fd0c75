use diesel::prelude::*;
use diesel_relations::Relations;

diesel::table! { authors (id) { id -> Integer, } }
diesel::table! { books (id) { id -> Integer, author_id -> BigInt, } }
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
    // Author's key is `i32`.
    #[foreign_key(references = Author, related_name = "books")]
    pub author_id: i64,
}

fn main() {}
