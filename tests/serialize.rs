//! With the `serde` feature, a loaded tree serializes as the model's fields
//! plus one field per loaded relation, at every depth.
#![cfg(feature = "serde")]

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_relations::prelude::*;
use serde::Serialize;
use serde_json::json;

diesel::table! { authors (id) { id -> Integer, name -> Text, } }
diesel::table! { books (id) { id -> Integer, author_id -> Integer, editor_id -> Nullable<Integer>, title -> Text, } }
diesel::allow_tables_to_appear_in_same_query!(authors, books);

#[derive(Queryable, Selectable, Relations, Serialize, Debug, Clone)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
    pub name: String,
}

#[derive(Queryable, Selectable, Relations, Serialize, Debug, Clone)]
#[diesel(table_name = books)]
pub struct Book {
    pub id: i32,
    #[foreign_key(references = Author, related_name = "books")]
    pub author_id: i32,
    #[foreign_key(references = Author, related_name = "edited_books")]
    pub editor_id: Option<i32>,
    pub title: String,
}

diesel_relations::alias! {
    pub FirstBook;
}

#[test]
fn loaded_trees_serialize_as_objects_with_one_field_per_relation() {
    let conn = &mut SqliteConnection::establish(":memory:").unwrap();
    conn.batch_execute(
        "CREATE TABLE authors (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE books (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL, editor_id INTEGER, title TEXT NOT NULL);
         INSERT INTO authors VALUES (1, 'Ursula'), (2, 'Octavia');
         INSERT INTO books VALUES (1, 1, 2, 'Earthsea'), (2, 1, NULL, 'Anarres'), (3, 2, NULL, 'Kindred');",
    )
    .unwrap();
    let authors = authors::table
        .order(authors::id)
        .load::<Author>(conn)
        .unwrap()
        .prefetch_books_with(conn, |b| b.then(|books, conn| books.prefetch_editor(conn)))
        .unwrap()
        .prefetch_books_with(conn, |b| b.limit_per_parent(1).named(FirstBook))
        .unwrap();
    assert_eq!(
        serde_json::to_value(&authors).unwrap(),
        json!([
            {
                "id": 1,
                "name": "Ursula",
                "books": [
                    {"id": 1, "author_id": 1, "editor_id": 2, "title": "Earthsea",
                     "editor": {"id": 2, "name": "Octavia"}},
                    {"id": 2, "author_id": 1, "editor_id": null, "title": "Anarres", "editor": null}
                ],
                "FirstBook": [{"id": 1, "author_id": 1, "editor_id": 2, "title": "Earthsea"}]
            },
            {
                "id": 2,
                "name": "Octavia",
                "books": [
                    {"id": 3, "author_id": 2, "editor_id": null, "title": "Kindred", "editor": null}
                ],
                "FirstBook": [{"id": 3, "author_id": 2, "editor_id": null, "title": "Kindred"}]
            }
        ])
    );
}

/// Shared parents (`Arc<Author>`) serialize as owned ones do.
#[test]
fn shared_parents_serialize_as_owned_ones() {
    let conn = &mut SqliteConnection::establish(":memory:").unwrap();
    conn.batch_execute(
        "CREATE TABLE authors (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE books (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL, editor_id INTEGER, title TEXT NOT NULL);
         INSERT INTO authors VALUES (1, 'Ursula'), (2, 'Octavia');
         INSERT INTO books VALUES (1, 1, 2, 'Earthsea'), (2, 1, NULL, 'Anarres');",
    )
    .unwrap();
    let books = books::table.order(books::id).load::<Book>(conn).unwrap();
    let owned = books
        .clone()
        .prefetch_author(conn)
        .unwrap()
        .prefetch_editor(conn)
        .unwrap();
    let shared = books
        .prefetch_shared(BookAuthor, conn)
        .unwrap()
        .prefetch_shared(BookEditor, conn)
        .unwrap();
    let json = serde_json::to_value(&shared).unwrap();
    assert_eq!(json, serde_json::to_value(&owned).unwrap());
    assert_eq!(json[1]["author"], json!({"id": 1, "name": "Ursula"}));
    assert_eq!(json[1]["editor"], json!(null));
}

#[test]
fn aggregates_serialize_as_fields_named_after_their_relation() {
    let conn = &mut SqliteConnection::establish(":memory:").unwrap();
    conn.batch_execute(
        "CREATE TABLE authors (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
         CREATE TABLE books (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL, editor_id INTEGER, title TEXT NOT NULL);
         INSERT INTO authors VALUES (1, 'Ursula'), (2, 'Octavia');
         INSERT INTO books VALUES (1, 1, 2, 'Earthsea'), (2, 1, NULL, 'Anarres');",
    )
    .unwrap();
    let authors = authors::table
        .order(authors::id)
        .load::<Author>(conn)
        .unwrap()
        .prefetch_count(AuthorBooks, conn)
        .unwrap()
        .prefetch_exists(AuthorEditedBooks, conn)
        .unwrap()
        .prefetch_aggregate(AuthorBooks, diesel_relations::Max(books::title), conn)
        .unwrap()
        .prefetch_aggregate(
            AuthorBooks,
            (
                diesel_relations::CountOf(books::editor_id),
                diesel_relations::Avg(books::id),
            ),
            conn,
        )
        .unwrap();
    assert_eq!(
        serde_json::to_value(&authors).unwrap(),
        json!([
            {"id": 1, "name": "Ursula", "books_count": 2, "has_edited_books": false, "books_max_title": "Earthsea",
             "books_count_editor_id_avg_id": [1, 1.5]},
            {"id": 2, "name": "Octavia", "books_count": 0, "has_edited_books": true, "books_max_title": null,
             "books_count_editor_id_avg_id": [0, null]}
        ])
    );
}
