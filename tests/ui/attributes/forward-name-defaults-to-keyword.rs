// The field `type_id` would give the belongs-to relation the name `type`, a
// keyword: the derive asks for a `forward_name`.
use diesel::prelude::*;
use diesel_relations::Relations;

diesel::table! { kinds (id) { id -> Integer, } }
diesel::table! { items (id) { id -> Integer, type_id -> Integer, } }

#[derive(Queryable, Selectable, Relations)]
#[diesel(table_name = kinds)]
pub struct Kind {
    pub id: i32,
}

#[derive(Queryable, Selectable, Relations)]
#[diesel(table_name = items)]
pub struct Item {
    pub id: i32,
    #[foreign_key(references = Kind, related_name = "items")]
    pub type_id: i32,
}

fn main() {}
