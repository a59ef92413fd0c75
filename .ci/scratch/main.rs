// The scratch application's models live in their own modules, with
// `crate::schema` paths, as `diesel print-schema` apps have them.
use diesel::prelude::*;


mod schema {
    diesel::table! { authors (id) { id -> Integer, name -> Text, } }
    diesel::table! { books (id) { id -> Integer, author_id -> Integer, title -> Text, } }
    diesel::allow_tables_to_appear_in_same_query!(authors, books);
}

mod models {
    pub mod author {
        use diesel::prelude::*;
        use diesel_relations::Relations;

        #[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
        #[diesel(table_name = crate::schema::authors)]
        pub struct Author {
            pub id: i32,
            pub name: String,
        }
    }
    pub mod book {
        use diesel::prelude::*;
        use diesel_relations::Relations;

        #[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
        #[diesel(table_name = crate::schema::books)]
        pub struct Book {
            pub id: i32,
            #[foreign_key(references = super::author::Author, related_name = "books")]
            pub author_id: i32,
            pub title: String,
        }
    }
    pub use author::*;
    pub use book::*;
}

use models::*;
use schema::*;

fn main() {
    let conn = &mut SqliteConnection::establish(":memory:").unwrap();
    diesel::sql_query("CREATE TABLE authors (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL)").execute(conn).unwrap();
    diesel::sql_query("CREATE TABLE books (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL, title TEXT NOT NULL)")
        .execute(conn)
        .unwrap();
    diesel::sql_query("INSERT INTO authors VALUES (1, 'Ursula'), (2, 'Octavia')").execute(conn).unwrap();
    diesel::sql_query("INSERT INTO books VALUES (1, 1, 'Earthsea'), (2, 2, 'Kindred'), (3, 1, 'The Dispossessed')")
        .execute(conn)
        .unwrap();
    let authors = authors::table.order(authors::id).load::<Author>(conn).unwrap().prefetch_books(conn).unwrap();
    assert_eq!(authors[0].books().len(), 2);
    assert_eq!(authors[1].books()[0].title, "Kindred");
    let books = books::table.order(books::id).load::<Book>(conn).unwrap().prefetch_author(conn).unwrap();
    assert_eq!(books[1].author().name, "Octavia");
    let version = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("sqlite_version()")).get_result::<String>(conn).unwrap();
    println!("prefetch ran on SQLite {version}");
}
