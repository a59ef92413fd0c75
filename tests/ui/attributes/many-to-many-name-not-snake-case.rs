// A many-to-many relation's name must be snake case too.
use diesel::prelude::*;
use diesel_relations::Relations;

diesel::table! { books (id) { id -> Integer, } }
diesel::table! { tags (id) { id -> Integer, } }
diesel::table! { book_tags (id) { id -> Integer, book_id -> Integer, tag_id -> Integer, } }

#[derive(Queryable, Selectable, Relations)]
#[diesel(table_name = books)]
pub struct Book {
    pub id: i32,
}

#[derive(Queryable, Selectable, Relations)]
#[diesel(table_name = tags)]
pub struct Tag {
    pub id: i32,
}

#[derive(Queryable, Selectable, Relations)]
#[diesel(table_name = book_tags)]
pub struct BookTag {
    pub id: i32,
    #[foreign_key(references = Book, related_name = "book_links", many_to_many = "Tags")]
    pub book_id: i32,
    #[foreign_key(references = Tag, related_name = "tag_links")]
    pub tag_id: i32,
}

fn main() {}
