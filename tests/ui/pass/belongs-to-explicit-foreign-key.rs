// `belongs_to(Parent, foreign_key = field)` names a field that is not `<parent>_id`.
use diesel::prelude::*;
use diesel_relations::prelude::*;

diesel::table! { users (id) { id -> BigInt, } }
diesel::table! { posts (id) { id -> BigInt, writer -> BigInt, } }

#[derive(Queryable, Selectable, Identifiable, Relations, Clone)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
}

#[derive(Queryable, Selectable, Identifiable, Associations, Relations, Clone)]
#[diesel(table_name = posts)]
#[diesel(belongs_to(User, foreign_key = writer))]
pub struct Post {
    pub id: i64,
    #[foreign_key(related_name = "posts", forward_name = "author")]
    pub writer: i64,
}

fn load(conn: &mut SqliteConnection, users: Vec<User>, posts: Vec<Post>) -> QueryResult<()> {
    let users = users.prefetch_posts(conn)?;
    let _: &Vec<Post> = users[0].posts();
    let posts: Vec<With<Post, PostAuthor>> = posts.prefetch_author(conn)?;
    let _: &User = posts[0].author();
    Ok(())
}

fn main() {}
