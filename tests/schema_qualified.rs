//! Tables in a named PostgreSQL schema, as `diesel print-schema --schema`
//! writes them (`diesel::table! { library.books ... }`): every loader works.
//! Top-N runs as the cut there (the window's derived tables are aliased with
//! the table's name, which cannot carry a schema: with the window this was a
//! syntax error).
#![cfg(feature = "postgres")]

mod common;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_relations::prelude::*;
use diesel_relations::QueryCount;

diesel::table! { relations_qualified.q_authors (id) { id -> Integer, name -> Text, } }
diesel::table! { relations_qualified.q_books (id) { id -> Integer, author_id -> Integer, title -> Text, } }
diesel::allow_tables_to_appear_in_same_query!(q_authors, q_books);

#[derive(Queryable, Selectable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = q_authors)]
pub struct Author {
    pub id: i32,
    pub name: String,
}

#[derive(Queryable, Selectable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = q_books)]
pub struct Book {
    pub id: i32,
    #[foreign_key(references = Author, related_name = "books")]
    pub author_id: i32,
    pub title: String,
}

#[test]
fn loaders_on_schema_qualified_tables() {
    let Some(mut conn) = common::postgres() else {
        return;
    };
    let conn = &mut *conn;
    // The schema name is fixed by `table!`: made afresh by this test only.
    conn.batch_execute(
        "DROP SCHEMA IF EXISTS relations_qualified CASCADE;
         CREATE SCHEMA relations_qualified;
         CREATE TABLE relations_qualified.q_authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
         CREATE TABLE relations_qualified.q_books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL, title TEXT NOT NULL);
         INSERT INTO relations_qualified.q_authors VALUES (1, 'Ursula'), (2, 'Octavia');
         INSERT INTO relations_qualified.q_books VALUES (1, 1, 'b'), (2, 1, 'c'), (3, 2, 'a'), (4, 1, 'a');",
    )
    .unwrap();
    let authors: Vec<Author> = q_authors::table.order(q_authors::id).load(conn).unwrap();

    let loaded = authors.clone().prefetch_books(conn).unwrap();
    let ids: Vec<Vec<i32>> = loaded
        .iter()
        .map(|a| a.books().iter().map(|b| b.id).collect())
        .collect();
    assert_eq!(ids, vec![vec![1, 2, 4], vec![3]]);

    let count = QueryCount::install(conn);
    let top = authors
        .prefetch_books_with(conn, |p| p.order(q_books::title).limit_per_parent(2))
        .unwrap();
    let ids: Vec<Vec<i32>> = top
        .iter()
        .map(|a| a.books().iter().map(|b| b.id).collect())
        .collect();
    assert_eq!(ids, vec![vec![4, 1], vec![3]]);
    let statements = count.statements();
    assert_eq!(statements.len(), 1);
    assert!(
        !statements[0].contains("ROW_NUMBER()"),
        "the cut, not the window: {}",
        statements[0]
    );

    let books: Vec<Book> = q_books::table.order(q_books::id).load(conn).unwrap();
    let books = books.prefetch_author(conn).unwrap();
    assert_eq!(books[2].author().name, "Octavia");
    let joined = select_related(BookAuthor)
        .load_with(conn, |q| q.order(q_books::id))
        .unwrap();
    assert_eq!(joined[0].author().name, "Ursula");

    conn.batch_execute("DROP SCHEMA relations_qualified CASCADE;")
        .unwrap();
}
