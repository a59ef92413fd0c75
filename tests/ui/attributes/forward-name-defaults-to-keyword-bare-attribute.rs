// A bare `#[foreign_key]` on `type_id` (parent from `belongs_to`): the help
// shows the whole attribute to write.
use diesel::prelude::*;
use diesel_relations::Relations;

diesel::table! { types (id) { id -> Integer, } }
diesel::table! { items (id) { id -> Integer, type_id -> Integer, } }

#[derive(Queryable, Selectable, Relations)]
#[diesel(table_name = types)]
pub struct Type {
    pub id: i32,
}

#[derive(Queryable, Selectable, Relations)]
#[diesel(table_name = items, belongs_to(Type))]
pub struct Item {
    pub id: i32,
    #[foreign_key]
    pub type_id: i32,
}

fn main() {}
