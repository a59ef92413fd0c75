// A raw-identifier field (`r#type`) with no `forward_name`: the relation would be
// named `type`. The derive used to panic here.
use diesel::prelude::*;
use diesel_relations::Relations;

diesel::table! { kinds (id) { id -> Integer, } }
diesel::table! { items (id) { id -> Integer, r#type -> Integer, } }

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
    pub r#type: i32,
}

fn main() {}
