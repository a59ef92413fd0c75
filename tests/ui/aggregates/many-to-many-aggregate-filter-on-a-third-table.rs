use diesel::prelude::*;
use diesel_relations::prelude::*;

diesel::table! { authors (id) { id -> Integer, name -> Text, } }
diesel::table! { books (id) { id -> Integer, title -> Text, } }
diesel::table! { favorites (author_id, book_id) { author_id -> Integer, book_id -> Integer, } }
diesel::allow_tables_to_appear_in_same_query!(authors, books, favorites);

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
    pub name: String,
}

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = books)]
pub struct Book {
    pub id: i32,
    pub title: String,
}

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = favorites, primary_key(author_id, book_id))]
pub struct Favorite {
    #[foreign_key(references = Author, related_name = "favorites", many_to_many = "favorite_books")]
    pub author_id: i32,
    #[foreign_key(references = Book, related_name = "fans")]
    pub book_id: i32,
}

// A many-to-many aggregate reads the join table and the target's table: its
// filter names their columns, not the parents'.
fn newest(conn: &mut SqliteConnection, authors: Vec<Author>) {
    let _ = authors.prefetch_aggregate_with(AuthorFavoriteBooks, Max(books::title), conn, |f| {
        f.filter(authors::name.eq("Ursula"))
    });
}

fn main() {}
