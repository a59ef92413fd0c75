//! The reference dataset of issue 5: its DDL (exactly the issue's, on every
//! backend), Diesel's view of it, and the models.

use diesel::prelude::*;
use diesel_relations::Relations;

/// The reference schema, verbatim, so other ORMs can be benchmarked on the
/// same SQLite file. The same text runs on PostgreSQL and MariaDB.
pub const DDL: &str = "
CREATE TABLE authors (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
CREATE TABLE books (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL REFERENCES authors(id),
                    title TEXT NOT NULL, published BOOLEAN NOT NULL, year INTEGER NOT NULL);
CREATE TABLE reviews (id INTEGER PRIMARY KEY NOT NULL, book_id INTEGER NOT NULL REFERENCES books(id),
                      stars INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE tags (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
CREATE TABLE book_tags (id INTEGER PRIMARY KEY NOT NULL, book_id INTEGER NOT NULL REFERENCES books(id),
                        tag_id INTEGER NOT NULL REFERENCES tags(id), UNIQUE (book_id, tag_id));
CREATE INDEX books_author_id ON books(author_id);
CREATE INDEX reviews_book_id ON reviews(book_id);
CREATE INDEX book_tags_tag_id ON book_tags(tag_id);
";

/// The five tables, in the order they are filled.
pub const TABLES: [&str; 5] = ["authors", "books", "reviews", "tags", "book_tags"];

diesel::table! { authors (id) { id -> Integer, name -> Text, } }
diesel::table! {
    books (id) {
        id -> Integer,
        author_id -> Integer,
        title -> Text,
        published -> Bool,
        year -> Integer,
    }
}
diesel::table! { reviews (id) { id -> Integer, book_id -> Integer, stars -> Integer, body -> Text, } }
diesel::table! { tags (id) { id -> Integer, name -> Text, } }
diesel::table! { book_tags (id) { id -> Integer, book_id -> Integer, tag_id -> Integer, } }

diesel::joinable!(books -> authors (author_id));
diesel::joinable!(reviews -> books (book_id));
diesel::joinable!(book_tags -> books (book_id));
diesel::joinable!(book_tags -> tags (tag_id));
diesel::allow_tables_to_appear_in_same_query!(authors, books, reviews, tags, book_tags);

#[derive(Queryable, Selectable, Identifiable, Insertable, Relations, Debug, Clone)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
    pub name: String,
}

#[derive(
    Queryable, Selectable, Identifiable, Insertable, Associations, Relations, Debug, Clone,
)]
#[diesel(table_name = books, belongs_to(Author))]
pub struct Book {
    pub id: i32,
    #[foreign_key(related_name = "books")]
    pub author_id: i32,
    pub title: String,
    pub published: bool,
    pub year: i32,
}

#[derive(
    Queryable, Selectable, Identifiable, Insertable, Associations, Relations, Debug, Clone,
)]
#[diesel(table_name = reviews, belongs_to(Book))]
pub struct Review {
    pub id: i32,
    #[foreign_key(related_name = "reviews")]
    pub book_id: i32,
    pub stars: i32,
    pub body: String,
}

#[derive(Queryable, Selectable, Identifiable, Insertable, Relations, Debug, Clone)]
#[diesel(table_name = tags)]
pub struct Tag {
    pub id: i32,
    pub name: String,
}

#[derive(
    Queryable, Selectable, Identifiable, Insertable, Associations, Relations, Debug, Clone,
)]
#[diesel(table_name = book_tags, belongs_to(Book), belongs_to(Tag))]
pub struct BookTag {
    pub id: i32,
    #[foreign_key(related_name = "book_tags", many_to_many = "tags")]
    pub book_id: i32,
    #[foreign_key(related_name = "book_tags", many_to_many = "books")]
    pub tag_id: i32,
}

/// `reverse_fk_all` as a declared shape: each author with its books.
#[derive(diesel_relations::Shape, Debug)]
#[shape(model = Author)]
pub struct AuthorWithBooks {
    pub author: Author,
    pub books: Vec<Book>,
}

/// `forward_join` as a declared shape: each book with its author, joined.
#[derive(diesel_relations::Shape, Debug)]
#[shape(model = Book)]
pub struct BookWithAuthor {
    pub book: Book,
    #[shape(join)]
    pub author: Author,
}

/// `nested_2_levels` as a declared shape: authors, books, reviews.
#[derive(diesel_relations::Shape, Debug)]
#[shape(model = Author)]
pub struct AuthorWithReviewedBooks {
    pub author: Author,
    pub books: Vec<BookWithReviews>,
}

#[derive(diesel_relations::Shape, Debug)]
#[shape(model = Book)]
pub struct BookWithReviews {
    pub book: Book,
    pub reviews: Vec<Review>,
}
