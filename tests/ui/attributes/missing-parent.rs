use diesel::prelude::*;
use diesel_relations::Relations;

diesel::table! { books (id) { id -> Integer, author_id -> Integer, } }

#[derive(Queryable, Selectable, Relations)]
#[diesel(table_name = books)]
pub struct Book {
    pub id: i32,
    // Neither `references = ...` nor `#[diesel(belongs_to(...))]` names the parent.
    #[foreign_key(related_name = "books")]
    pub author_id: i32,
}

fn main() {}
