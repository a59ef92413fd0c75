// `Person` is stored in `people`, not in `persons` (Diesel's default: the
// struct's snake case plus `s`), and the struct does not say so.
use diesel::prelude::*;
use diesel_relations::Relations;

diesel::table! { people (id) { id -> Integer, name -> Text, } }

#[derive(Queryable, Relations)]
pub struct Person {
    pub id: i32,
    pub name: String,
}

fn main() {}
