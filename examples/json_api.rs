//! What a web API returns: authors with their profile, their three newest
//! books and each book's tags, loaded in four statements and serialized to
//! JSON with the `serde` feature.
//!
//! Run it with `cargo run --example json_api --features serde`.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_relations::prelude::*;
use diesel_relations::QueryCount;
use serde::Serialize;

mod schema {
    diesel::table! { authors (id) { id -> Integer, name -> Text, } }
    diesel::table! { profiles (id) { id -> Integer, author_id -> Integer, bio -> Text, } }
    diesel::table! { books (id) { id -> Integer, author_id -> Integer, title -> Text, year -> Integer, } }
    diesel::table! { tags (id) { id -> Integer, name -> Text, } }
    diesel::table! { book_tags (id) { id -> Integer, book_id -> Integer, tag_id -> Integer, } }
    diesel::allow_tables_to_appear_in_same_query!(authors, profiles, books, tags, book_tags);
}
use schema::*;

#[derive(Queryable, Selectable, Relations, Serialize, Debug, Clone)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
    pub name: String,
}

#[derive(Queryable, Selectable, Relations, Serialize, Debug, Clone)]
#[diesel(table_name = profiles)]
pub struct Profile {
    #[serde(skip)]
    pub id: i32,
    #[serde(skip)]
    #[foreign_key(references = Author, one_to_one)]
    pub author_id: i32,
    pub bio: String,
}

#[derive(Queryable, Selectable, Relations, Serialize, Debug, Clone)]
#[diesel(table_name = books)]
pub struct Book {
    pub id: i32,
    #[serde(skip)]
    #[foreign_key(references = Author, related_name = "books")]
    pub author_id: i32,
    pub title: String,
    pub year: i32,
}

#[derive(Queryable, Selectable, Relations, Serialize, Debug, Clone)]
#[diesel(table_name = tags)]
pub struct Tag {
    #[serde(skip)]
    pub id: i32,
    pub name: String,
}

#[derive(Queryable, Selectable, Relations, Debug, Clone)]
#[diesel(table_name = book_tags)]
pub struct BookTag {
    pub id: i32,
    #[foreign_key(references = Book, related_name = "book_tags", many_to_many = "tags")]
    pub book_id: i32,
    #[foreign_key(references = Tag, related_name = "book_tags", many_to_many = "books")]
    pub tag_id: i32,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let conn = &mut SqliteConnection::establish(":memory:")?;
    conn.batch_execute(
        "
        CREATE TABLE authors (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
        CREATE TABLE profiles (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL UNIQUE, bio TEXT NOT NULL);
        CREATE TABLE books (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL, title TEXT NOT NULL, year INTEGER NOT NULL);
        CREATE TABLE tags (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
        CREATE TABLE book_tags (id INTEGER PRIMARY KEY NOT NULL, book_id INTEGER NOT NULL, tag_id INTEGER NOT NULL);
        INSERT INTO authors VALUES (1, 'Ursula K. Le Guin'), (2, 'Ted Chiang');
        INSERT INTO profiles VALUES (1, 1, 'Earthsea and Anarres.');
        INSERT INTO books VALUES (1, 1, 'A Wizard of Earthsea', 1968), (2, 1, 'The Left Hand of Darkness', 1969),
                                 (3, 1, 'The Dispossessed', 1974), (4, 1, 'The Lathe of Heaven', 1971),
                                 (5, 2, 'Exhalation', 2019);
        INSERT INTO tags VALUES (1, 'fantasy'), (2, 'sf'), (3, 'classic');
        INSERT INTO book_tags VALUES (1, 1, 1), (2, 1, 3), (3, 2, 2), (4, 3, 2), (5, 5, 2);
        ",
    )?;
    let count = QueryCount::install(conn);

    let authors = authors::table
        .order(authors::id)
        .load::<Author>(conn)?
        .prefetch_profile(conn)?
        .prefetch_books_with(conn, |books| {
            books
                .order(books::year.desc())
                .limit_per_parent(3)
                .then(|books, conn| books.prefetch_tags(conn))
        })?;

    println!("{}", serde_json::to_string_pretty(&authors)?);
    eprintln!("{} statements", count.get());
    Ok(())
}
