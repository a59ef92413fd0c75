use diesel::prelude::*;
use diesel_relations::prelude::*;

diesel::table! { books (id) { id -> Integer, title -> Text, } }
diesel::table! { tags (id) { id -> Integer, name -> Text, } }
diesel::table! { book_tags (book_id, tag_id) { book_id -> Integer, tag_id -> Integer, } }
diesel::allow_tables_to_appear_in_same_query!(books, tags, book_tags);

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

// The table's key is (book_id, tag_id), but the struct has no `id` field and
// does not say which fields are its key: the links' order is unknown.
#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = book_tags)]
pub struct BookTag {
    #[foreign_key(references = Book, many_to_many = "tags")]
    pub book_id: i32,
    #[foreign_key(references = Tag)]
    pub tag_id: i32,
}

fn main() {}
