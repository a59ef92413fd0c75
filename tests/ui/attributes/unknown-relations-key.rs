use diesel::prelude::*;
use diesel_relations::Relations;

diesel::table! { authors (id) { id -> Integer, } }

#[derive(Queryable, Selectable, Relations)]
#[diesel(table_name = authors)]
#[relations(krate = "diesel_relations")]
pub struct Author {
    pub id: i32,
}

fn main() {}
