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
    // `BookAuthor` is a relation of `Book`, not of `Author`.
    #[shape(key = BookAuthor)]
    pub written: Vec<Book>,
}

fn main() {}
