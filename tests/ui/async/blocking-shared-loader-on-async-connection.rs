use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_relations::prelude::*;

diesel::table! { authors (id) { id -> Integer, name -> Text, } }
diesel::table! { books (id) { id -> Integer, author_id -> Integer, title -> Text, } }
diesel::table! { tags (id) { id -> Integer, name -> Text, } }
diesel::table! { book_tags (book_id, tag_id) { book_id -> Integer, tag_id -> Integer, } }
diesel::allow_tables_to_appear_in_same_query!(authors, books, tags, book_tags);

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
    pub name: String,
}

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = books)]
pub struct Book {
    pub id: i32,
    #[foreign_key(references = Author, related_name = "books")]
    pub author_id: i32,
    pub title: String,
}

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = tags)]
pub struct Tag {
    pub id: i32,
    pub name: String,
}

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = book_tags, primary_key(book_id, tag_id))]
pub struct BookTag {
    #[foreign_key(references = Book, many_to_many = "tags")]
    pub book_id: i32,
    #[foreign_key(references = Tag)]
    pub tag_id: i32,
}

type AsyncSqlite = SyncConnectionWrapper<SqliteConnection>;

// `prefetch_shared` is the blocking loader; on diesel-async it is
// `prefetch_shared_async`.
fn shared(conn: &mut AsyncSqlite, books: Vec<Book>) {
    let _ = books.prefetch_shared(BookAuthor, conn);
}

fn main() {}
