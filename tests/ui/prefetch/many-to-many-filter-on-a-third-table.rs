use diesel::prelude::*;
use diesel_relations::prelude::*;

diesel::table! { authors (id) { id -> Integer, name -> Text, } }
diesel::table! { books (id) { id -> Integer, title -> Text, } }
diesel::table! { tags (id) { id -> Integer, name -> Text, } }
diesel::table! { book_tags (id) { id -> Integer, book_id -> Integer, tag_id -> Integer, } }
diesel::allow_tables_to_appear_in_same_query!(authors, books, tags, book_tags);

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = books)]
pub struct Book {
    pub id: i32,
    pub title: String,
}

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = tags)]
pub struct Tag {
    pub id: i32,
    pub name: String,
}

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = book_tags)]
pub struct BookTag {
    pub id: i32,
    #[foreign_key(references = Book, many_to_many = "tags")]
    pub book_id: i32,
    #[foreign_key(references = Tag)]
    pub tag_id: i32,
}

fn load(conn: &mut SqliteConnection, books: Vec<Book>) {
    // The query joins `book_tags` to `tags`: `authors` is in neither.
    let _ = books.prefetch_tags_with(conn, |p| p.filter(authors::name.eq("Ursula")));
}

fn main() {}
