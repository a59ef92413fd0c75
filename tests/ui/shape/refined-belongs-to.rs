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

fn anything<B>(builder: B) -> B {
    builder
}

// A belongs-to relation loads one parent per child: nothing to refine.
#[derive(Shape)]
#[shape(model = Book, backend = diesel::sqlite::Sqlite)]
pub struct BookCard {
    pub book: Book,
    #[shape(with = anything)]
    pub author: Author,
}

fn load(conn: &mut diesel::SqliteConnection) {
    let _ = BookCard::load(books::table, conn);
}

fn main() {}
