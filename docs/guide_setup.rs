// The schema, models and data behind the guide's examples (docs/guide.md).
// Each example includes this file in a hidden line, so that it compiles and
// runs as a doctest on an in-memory SQLite database.

mod schema {
    diesel::table! { authors (id) { id -> Integer, name -> Text, } }
    diesel::table! {
        books (id) {
            id -> Integer,
            author_id -> Integer,
            editor_id -> Nullable<Integer>,
            title -> Text,
            year -> Integer,
            published -> Bool,
        }
    }
    diesel::table! { reviews (id) { id -> Integer, book_id -> Integer, stars -> Integer, } }
    diesel::table! { profiles (id) { id -> Integer, author_id -> Integer, bio -> Text, } }
    diesel::table! { tags (id) { id -> Integer, name -> Text, } }
    diesel::table! {
        book_tags (id) { id -> Integer, book_id -> Integer, tag_id -> Integer, weight -> Integer, }
    }
    diesel::allow_tables_to_appear_in_same_query!(authors, books, reviews, profiles, tags, book_tags);
}

mod models {
    use diesel::prelude::*;
    use diesel_relations::Relations;
    use serde::Serialize;

    #[derive(Queryable, Selectable, Identifiable, Relations, Serialize, Debug, Clone)]
    #[diesel(table_name = crate::schema::authors)]
    pub struct Author {
        pub id: i32,
        pub name: String,
    }

    #[derive(Queryable, Selectable, Identifiable, Associations, Relations, Serialize, Debug, Clone)]
    #[diesel(table_name = crate::schema::books, belongs_to(Author))]
    pub struct Book {
        pub id: i32,
        #[foreign_key(related_name = "books")]
        pub author_id: i32,
        #[foreign_key(references = Author, related_name = "edited_books")]
        pub editor_id: Option<i32>,
        pub title: String,
        pub year: i32,
        pub published: bool,
    }

    #[derive(Queryable, Selectable, Identifiable, Relations, Serialize, Debug, Clone)]
    #[diesel(table_name = crate::schema::reviews)]
    pub struct Review {
        pub id: i32,
        #[foreign_key(references = Book)] // reverse name: Django's default, `review_set`
        pub book_id: i32,
        pub stars: i32,
    }

    #[derive(Queryable, Selectable, Identifiable, Relations, Serialize, Debug, Clone)]
    #[diesel(table_name = crate::schema::profiles)]
    pub struct Profile {
        pub id: i32,
        #[foreign_key(references = Author, one_to_one)]
        pub author_id: i32,
        pub bio: String,
    }

    #[derive(Queryable, Selectable, Identifiable, Relations, Serialize, Debug, Clone)]
    #[diesel(table_name = crate::schema::tags)]
    pub struct Tag {
        pub id: i32,
        pub name: String,
    }

    #[derive(Queryable, Selectable, Identifiable, Relations, Serialize, Debug, Clone)]
    #[diesel(table_name = crate::schema::book_tags)]
    pub struct BookTag {
        pub id: i32,
        #[foreign_key(references = Book, related_name = "book_tags", many_to_many = "tags")]
        pub book_id: i32,
        #[foreign_key(references = Tag, related_name = "book_tags", many_to_many = "books")]
        pub tag_id: i32,
        pub weight: i32,
    }
}

#[allow(unused_imports)]
use diesel::prelude::*;
#[allow(unused_imports)]
use diesel_relations::prelude::*;
#[allow(unused_imports)]
use models::*;
#[allow(unused_imports)]
use schema::*;

/// An in-memory database with three authors (the third without books),
/// six books, their reviews, two profiles and three tags.
#[allow(dead_code)]
fn setup() -> SqliteConnection {
    use diesel::connection::SimpleConnection;
    let mut conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
    conn.batch_execute(
        "
        CREATE TABLE authors (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
        CREATE TABLE books (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL,
                            editor_id INTEGER, title TEXT NOT NULL, year INTEGER NOT NULL,
                            published BOOLEAN NOT NULL);
        CREATE TABLE reviews (id INTEGER PRIMARY KEY NOT NULL, book_id INTEGER NOT NULL,
                              stars INTEGER NOT NULL);
        CREATE TABLE profiles (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL UNIQUE,
                               bio TEXT NOT NULL);
        CREATE TABLE tags (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
        CREATE TABLE book_tags (id INTEGER PRIMARY KEY NOT NULL, book_id INTEGER NOT NULL,
                                tag_id INTEGER NOT NULL, weight INTEGER NOT NULL);
        INSERT INTO authors VALUES (1, 'Ursula K. Le Guin'), (2, 'Octavia E. Butler'),
                                   (3, 'Nobody Yet');
        INSERT INTO books VALUES
            (1, 1, NULL, 'A Wizard of Earthsea', 1968, 1),
            (2, 1, 2, 'The Dispossessed', 1974, 1),
            (3, 1, NULL, 'The Left Hand of Darkness', 1969, 1),
            (4, 1, 2, 'The Word for World Is Forest', 1972, 1),
            (5, 1, NULL, 'Unpublished Drafts', 2020, 0),
            (6, 2, 1, 'Kindred', 1979, 1);
        INSERT INTO reviews VALUES (1, 2, 5), (2, 2, 4), (3, 6, 5), (4, 1, 3);
        INSERT INTO profiles VALUES (1, 1, 'Earthsea and Hain'), (2, 2, 'Kindred and Xenogenesis');
        INSERT INTO tags VALUES (1, 'fantasy'), (2, 'science fiction'), (3, 'classic');
        INSERT INTO book_tags VALUES (1, 1, 1, 9), (2, 1, 3, 7), (3, 2, 2, 10), (4, 6, 2, 8), (5, 6, 3, 9);
        ",
    )
    .expect("the guide's data");
    conn
}
