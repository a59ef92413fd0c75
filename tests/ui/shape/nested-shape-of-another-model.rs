use diesel::prelude::*;
use diesel_relations::{Relations, Shape};

diesel::table! { authors (id) { id -> Integer, } }
diesel::table! { books (id) { id -> Integer, author_id -> Integer, } }

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

#[derive(Shape)]
#[shape(model = Author)]
pub struct AuthorCard {
    pub author: Author,
    // A shape of `Author` where the relation holds `Book`s.
    pub books: Vec<OtherCard>,
}

#[derive(Shape)]
#[shape(model = Author)]
pub struct OtherCard {
    pub author: Author,
}

fn main() {}
