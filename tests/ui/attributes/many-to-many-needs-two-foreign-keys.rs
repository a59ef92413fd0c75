use diesel::prelude::*;
use diesel_relations::prelude::*;

diesel::table! { authors (id) { id -> Integer, name -> Text, } }
diesel::table! { books (id) { id -> Integer, author_id -> Integer, editor_id -> Nullable<Integer>, title -> Text, } }
diesel::allow_tables_to_appear_in_same_query!(authors, books);

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
    pub name: String,
}

diesel::table! { tags (id) { id -> Integer, } }
diesel::table! { book_tags (id) { id -> Integer, book_id -> Integer, tag_id -> Integer, author_id -> Integer, } }

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = tags)]
pub struct Tag {
    pub id: i32,
}

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = books)]
pub struct Book {
    pub id: i32,
    #[foreign_key(references = Author, related_name = "books")]
    pub author_id: i32,
    #[foreign_key(references = Author, related_name = "edited_books")]
    pub editor_id: Option<i32>,
    pub title: String,
}

// A join model links exactly two models; this one has three foreign keys.
#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = book_tags)]
pub struct BookTag {
    pub id: i32,
    #[foreign_key(references = Book, many_to_many = "tags")]
    pub book_id: i32,
    #[foreign_key(references = Tag)]
    pub tag_id: i32,
    #[foreign_key(references = Author, related_name = "book_tags")]
    pub author_id: i32,
}

fn main() {}
