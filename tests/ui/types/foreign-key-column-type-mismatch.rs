use diesel::prelude::*;
use diesel_relations::Relations;

diesel::table! { authors (id) { id -> Integer, } }
diesel::table! { books (id) { id -> Integer, author_id -> Text, } }
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
    // The field holds Author's key (`i32`), but the column is `Text`.
    #[foreign_key(references = Author, related_name = "books")]
    pub author_id: i32,
}

fn main() {}
