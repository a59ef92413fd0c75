use diesel::prelude::*;
use diesel_relations::prelude::*;

diesel::table! { authors (id) { id -> Integer, } }
diesel::table! { books (id) { id -> Integer, author_id -> Integer, } }
diesel::table! { reviews (id) { id -> Integer, book_id -> Integer, } }
diesel::table! { votes (id) { id -> Integer, review_id -> Integer, } }

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

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = reviews)]
pub struct Review {
    pub id: i32,
    #[foreign_key(references = Book, related_name = "reviews")]
    pub book_id: i32,
}

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = votes)]
pub struct Vote {
    pub id: i32,
    #[foreign_key(references = Review, related_name = "votes")]
    pub review_id: i32,
}

fn load(conn: &mut SqliteConnection, authors: Vec<Author>) {
    // authors → books → reviews → votes, with the third level misspelled.
    let _ = authors.prefetch_books_with(conn, |books| {
        books.then(|books, conn| {
            books.prefetch_reviews_with(conn, |reviews| {
                reviews.then(|reviews, conn| reviews.prefetch_vote(conn))
            })
        })
    });
}

fn main() {}
