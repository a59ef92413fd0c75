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

fn first_two<M: diesel_relations::Mode<Backend = diesel::sqlite::Sqlite>>(
    p: diesel_relations::Prefetch<AuthorBooks, M>,
) -> diesel_relations::Prefetch<AuthorBooks, M> {
    p.limit_per_parent(2)
}

// `first_two` is written for SQLite; the shape does not say so.
#[derive(Shape)]
#[shape(model = Author)]
pub struct AuthorCard {
    pub author: Author,
    #[shape(with = first_two)]
    pub books: Vec<Book>,
}

fn main() {}
