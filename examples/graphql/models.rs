// The Diesel models: ordinary Diesel models plus `#[derive(Relations)]` and
// `#[foreign_key(...)]`. The GraphQL layer (api.rs) wraps them.

use diesel::prelude::*;
use diesel_relations::Relations;

#[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
#[diesel(table_name = crate::schema::authors)]
pub struct Author {
    pub id: i32,
    pub name: String,
}

#[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
#[diesel(table_name = crate::schema::profiles)]
pub struct Profile {
    pub id: i32,
    #[foreign_key(references = Author, one_to_one)]
    pub author_id: i32,
    pub bio: String,
}

#[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
#[diesel(table_name = crate::schema::books)]
pub struct Book {
    pub id: i32,
    #[foreign_key(references = Author, related_name = "books")]
    pub author_id: i32,
    pub title: String,
    pub year: i32,
}

#[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
#[diesel(table_name = crate::schema::reviews)]
pub struct Review {
    pub id: i32,
    #[foreign_key(references = Book, related_name = "reviews")]
    pub book_id: i32,
    pub stars: i32,
}

#[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
#[diesel(table_name = crate::schema::tags)]
pub struct Tag {
    pub id: i32,
    pub name: String,
}

#[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
#[diesel(table_name = crate::schema::book_tags)]
pub struct BookTag {
    pub id: i32,
    #[foreign_key(references = Book, related_name = "book_tags", many_to_many = "tags")]
    pub book_id: i32,
    #[foreign_key(references = Tag, related_name = "book_tags", many_to_many = "books")]
    pub tag_id: i32,
}

/// The tables, portable across SQLite, PostgreSQL and MariaDB.
pub const CREATE: &[&str] = &[
    "CREATE TABLE authors (id INTEGER PRIMARY KEY NOT NULL, name VARCHAR(100) NOT NULL)",
    "CREATE TABLE profiles (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL UNIQUE, bio VARCHAR(100) NOT NULL)",
    "CREATE TABLE books (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL, title VARCHAR(100) NOT NULL, year INTEGER NOT NULL)",
    "CREATE INDEX books_author_id ON books (author_id)",
    "CREATE TABLE reviews (id INTEGER PRIMARY KEY NOT NULL, book_id INTEGER NOT NULL, stars INTEGER NOT NULL)",
    "CREATE INDEX reviews_book_id ON reviews (book_id)",
    "CREATE TABLE tags (id INTEGER PRIMARY KEY NOT NULL, name VARCHAR(100) NOT NULL)",
    "CREATE TABLE book_tags (id INTEGER PRIMARY KEY NOT NULL, book_id INTEGER NOT NULL, tag_id INTEGER NOT NULL)",
    "CREATE INDEX book_tags_book_id ON book_tags (book_id)",
];

/// `authors` authors (two in three with a profile) with 1 to 4 books each,
/// up to 3 reviews per book and 0 to 2 of 8 tags per book: the rows to
/// insert, as SQL.
pub fn seed(authors: i32) -> Vec<String> {
    let mut rows = vec![String::new(); 6];
    let mut book = 0;
    let mut review = 0;
    let mut link = 0;
    for a in 1..=authors {
        rows[0].push_str(&format!("({a}, 'Author {a}'),"));
        if a % 3 != 0 {
            rows[5].push_str(&format!("({a}, {a}, 'Bio of author {a}'),"));
        }
        for _ in 0..1 + a % 4 {
            book += 1;
            rows[1].push_str(&format!(
                "({book}, {a}, 'Book {book}', {}),",
                1950 + book % 70
            ));
            for s in 0..book % 4 {
                review += 1;
                rows[2].push_str(&format!("({review}, {book}, {}),", 1 + (book + s) % 5));
            }
            for t in 0..book % 3 {
                link += 1;
                rows[4].push_str(&format!("({link}, {book}, {}),", 1 + (book * 3 + t) % 8));
            }
        }
    }
    for t in 1..=8 {
        rows[3].push_str(&format!("({t}, 'tag {t}'),"));
    }
    [
        "authors",
        "books",
        "reviews",
        "tags",
        "book_tags",
        "profiles",
    ]
    .iter()
    .zip(rows)
    .filter(|(_, values)| !values.is_empty())
    .map(|(table, values)| {
        format!(
            "INSERT INTO {table} VALUES {}",
            values.trim_end_matches(',')
        )
    })
    .collect()
}
