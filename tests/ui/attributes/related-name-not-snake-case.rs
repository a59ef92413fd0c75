// A relation name becomes method names (`prefetch_posts`, `posts()`): it must be
// snake case, and the error says which name to write.
use diesel::prelude::*;
use diesel_relations::Relations;

diesel::table! { authors (id) { id -> Integer, } }
diesel::table! { posts (id) { id -> Integer, author_id -> Integer, } }

#[derive(Queryable, Selectable, Relations)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
}

#[derive(Queryable, Selectable, Relations)]
#[diesel(table_name = posts)]
pub struct Post {
    pub id: i32,
    #[foreign_key(references = Author, related_name = "Posts")]
    pub author_id: i32,
}

fn main() {}
