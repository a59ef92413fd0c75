use diesel::prelude::*;
use diesel_relations::{Relations, Shape};

diesel::table! { authors (id) { id -> Integer, } }
diesel::table! { books (id) { id -> Integer, author_id -> Integer, editor_id -> Integer, } }
diesel::allow_tables_to_appear_in_same_query!(authors, books);

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
    #[foreign_key(references = Author, related_name = "edited_books")]
    pub editor_id: i32,
}

// An `aggregate` field says which aggregate of the children it holds.
#[derive(Shape)]
#[shape(model = Author)]
pub struct AuthorCard {
    pub author: Author,
    #[shape(aggregate = "books")]
    pub newest: Option<i32>,
}

fn main() {}
