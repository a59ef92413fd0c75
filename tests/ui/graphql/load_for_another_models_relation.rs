// A loader of `AuthorBooks` takes an `&Author`: handing it a `&Book` (whose
// key is an `i32` too) does not compile.
use async_graphql::dataloader::DataLoader;
use diesel::prelude::*;
use diesel_async::pooled_connection::deadpool::Pool;
type Sqlite = diesel_async::sync_connection_wrapper::SyncConnectionWrapper<diesel::SqliteConnection>;
use diesel_relations::graphql::{LoadFor, RelationLoader};
use diesel_relations::Relations;

diesel::table! { authors (id) { id -> Integer, name -> Text, } }
diesel::table! { books (id) { id -> Integer, author_id -> Integer, title -> Text, } }
diesel::allow_tables_to_appear_in_same_query!(authors, books);

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = authors)]
struct Author {
    id: i32,
    name: String,
}

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = books)]
struct Book {
    id: i32,
    #[foreign_key(references = Author, related_name = "books")]
    author_id: i32,
    title: String,
}

async fn books_of(loader: &DataLoader<RelationLoader<AuthorBooks, Pool<Sqlite>>>, book: &Book) {
    let _ = loader.load_for(book).await;
}

fn main() {}
