//! An axum service on diesel-async: `GET /authors` returns every author with
//! their profile, their books and each book's tags — four statements however
//! many authors there are — and `GET /authors/{id}` one author the same way.
//! The handlers return a declared shape (`Json<Vec<AuthorCard>>`): the
//! response's type is a struct you can name. Connections come from a deadpool
//! pool.
//!
//! PostgreSQL when `POSTGRES_URL` is set (and the `postgres` feature is on),
//! SQLite otherwise (a temporary file, through diesel-async's
//! `SyncConnectionWrapper`):
//!
//! ```text
//! cargo run --example axum_api --features axum
//! POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo run --example axum_api --features axum,postgres
//! ```
//!
//! It seeds the database, serves on 127.0.0.1 (`PORT`, else any free port),
//! requests `/authors` and `/authors/1` from itself, prints the answers and
//! exits; with `--serve` it keeps serving.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use diesel::prelude::*;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::AsyncDieselConnectionManager;
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use diesel_relations::prelude::*;
use diesel_relations::{QueryCount, Shape};
use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod schema {
    diesel::table! { authors (id) { id -> Integer, name -> Text, } }
    diesel::table! { profiles (id) { id -> Integer, author_id -> Integer, bio -> Text, } }
    diesel::table! { books (id) { id -> Integer, author_id -> Integer, title -> Text, year -> Integer, } }
    diesel::table! { tags (id) { id -> Integer, name -> Text, } }
    diesel::table! { book_tags (id) { id -> Integer, book_id -> Integer, tag_id -> Integer, } }
    diesel::allow_tables_to_appear_in_same_query!(authors, profiles, books, tags, book_tags);
}
use schema::*;

#[derive(Queryable, Selectable, Relations, Serialize, Debug, Clone)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
    pub name: String,
}

#[derive(Queryable, Selectable, Relations, Serialize, Debug, Clone)]
#[diesel(table_name = profiles)]
pub struct Profile {
    #[serde(skip)]
    pub id: i32,
    #[serde(skip)]
    #[foreign_key(references = Author, one_to_one)]
    pub author_id: i32,
    pub bio: String,
}

#[derive(Queryable, Selectable, Relations, Serialize, Debug, Clone)]
#[diesel(table_name = books)]
pub struct Book {
    pub id: i32,
    #[serde(skip)]
    #[foreign_key(references = Author, related_name = "books")]
    pub author_id: i32,
    pub title: String,
    pub year: i32,
}

#[derive(Queryable, Selectable, Relations, Serialize, Debug, Clone)]
#[diesel(table_name = tags)]
pub struct Tag {
    #[serde(skip)]
    pub id: i32,
    pub name: String,
}

#[derive(Queryable, Selectable, Relations, Debug, Clone)]
#[diesel(table_name = book_tags)]
pub struct BookTag {
    pub id: i32,
    #[foreign_key(references = Book, related_name = "book_tags", many_to_many = "tags")]
    pub book_id: i32,
    #[foreign_key(references = Tag, related_name = "book_tags", many_to_many = "books")]
    pub tag_id: i32,
}

/// What `GET /authors` returns for each author: the author's fields, the
/// profile, and the books with their tags.
#[derive(Shape, Serialize, Debug)]
#[shape(model = Author)]
pub struct AuthorCard {
    #[serde(flatten)]
    pub author: Author,
    pub profile: Option<Profile>,
    pub books: Vec<BookWithTags>,
}

#[derive(Shape, Serialize, Debug)]
#[shape(model = Book)]
pub struct BookWithTags {
    #[serde(flatten)]
    pub book: Book,
    pub tags: Vec<Tag>,
}

const SEED: &str = "
    CREATE TABLE authors (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
    CREATE TABLE profiles (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL UNIQUE, bio TEXT NOT NULL);
    CREATE TABLE books (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL, title TEXT NOT NULL, year INTEGER NOT NULL);
    CREATE INDEX books_author_id ON books (author_id);
    CREATE TABLE tags (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
    CREATE TABLE book_tags (id INTEGER PRIMARY KEY NOT NULL, book_id INTEGER NOT NULL, tag_id INTEGER NOT NULL);
    INSERT INTO authors VALUES (1, 'Ursula K. Le Guin'), (2, 'Ted Chiang'), (3, 'Octavia E. Butler');
    INSERT INTO profiles VALUES (1, 1, 'Earthsea and Anarres.'), (2, 3, 'Kindred.');
    INSERT INTO books VALUES (1, 1, 'A Wizard of Earthsea', 1968), (2, 1, 'The Left Hand of Darkness', 1969),
                             (3, 1, 'The Dispossessed', 1974), (4, 1, 'The Lathe of Heaven', 1971),
                             (5, 2, 'Exhalation', 2019), (6, 3, 'Kindred', 1979);
    INSERT INTO tags VALUES (1, 'fantasy'), (2, 'sf'), (3, 'classic');
    INSERT INTO book_tags VALUES (1, 1, 1), (2, 1, 3), (3, 2, 2), (4, 3, 2), (5, 5, 2), (6, 6, 3);
";

type Sqlite = SyncConnectionWrapper<SqliteConnection>;

/// The pool of whichever database the example runs on.
#[derive(Clone)]
enum Db {
    Sqlite(Pool<Sqlite>),
    #[cfg(feature = "postgres")]
    Postgres(Pool<diesel_async::AsyncPgConnection>),
}

/// Authors (all of them, or the one with `id`) as `AuthorCard`s: one
/// statement for the authors, one per relation in the shape. The same code for
/// every connection type, so it is a macro here; an application on one
/// database writes it as a plain `async fn`.
macro_rules! author_cards {
    ($pool:expr, $id:expr) => {{
        let mut conn = $pool.get().await.map_err(ApiError::pool)?;
        let conn = &mut *conn;
        let count = QueryCount::install_async(conn);
        let mut query = authors::table
            .order(authors::id)
            .select(Author::as_select())
            .into_boxed();
        if let Some(id) = $id {
            query = query.filter(authors::id.eq(id));
        }
        // Loaded first, then shaped: a boxed query (it has a lifetime) given
        // to `load_async` makes the handler's future "not general enough"
        // for axum, a limit of rustc's check that futures are `Send`.
        let authors: Vec<Author> = diesel_async::RunQueryDsl::load(query, conn).await?;
        let cards = AuthorCard::from_models_async(authors, conn).await?;
        eprintln!("{} author(s) in {} statements", cards.len(), count.get());
        cards
    }};
}

async fn list_authors(State(db): State<Db>) -> Result<Json<Vec<AuthorCard>>, ApiError> {
    Ok(Json(match db {
        Db::Sqlite(pool) => author_cards!(pool, None::<i32>),
        #[cfg(feature = "postgres")]
        Db::Postgres(pool) => author_cards!(pool, None::<i32>),
    }))
}

async fn one_author(
    State(db): State<Db>,
    Path(id): Path<i32>,
) -> Result<Json<AuthorCard>, ApiError> {
    let mut found = match db {
        Db::Sqlite(pool) => author_cards!(pool, Some(id)),
        #[cfg(feature = "postgres")]
        Db::Postgres(pool) => author_cards!(pool, Some(id)),
    };
    found
        .pop()
        .map(Json)
        .ok_or_else(|| ApiError(StatusCode::NOT_FOUND, format!("no author {id}")))
}

/// A failure, answered as a status and a message (a database error is a
/// 500, never a partial tree).
struct ApiError(StatusCode, String);

impl ApiError {
    fn pool(e: impl std::fmt::Display) -> Self {
        ApiError(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("no connection: {e}"),
        )
    }
}

impl From<diesel_relations::Error> for ApiError {
    fn from(e: diesel_relations::Error) -> Self {
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

/// A fresh database with the example's data, and a pool on it.
/// Also the name of the database, and the file to delete afterwards (SQLite).
async fn database() -> Result<(Db, String, Option<std::path::PathBuf>), Box<dyn std::error::Error>>
{
    if let Ok(url) = std::env::var("POSTGRES_URL") {
        #[cfg(feature = "postgres")]
        {
            // A schema of its own, named in the pool's URL so that every
            // pooled connection reads it.
            let mut conn = diesel_async::AsyncPgConnection::establish(&url).await?;
            conn.batch_execute(
                "DROP SCHEMA IF EXISTS relations_example CASCADE; CREATE SCHEMA relations_example; \
                 SET search_path TO relations_example;",
            )
            .await?;
            conn.batch_execute(SEED).await?;
            let separator = if url.contains('?') { '&' } else { '?' };
            let url = format!("{url}{separator}options=-c%20search_path%3Drelations_example");
            let pool = Pool::builder(AsyncDieselConnectionManager::new(url)).build()?;
            return Ok((Db::Postgres(pool), "PostgreSQL".into(), None));
        }
        #[cfg(not(feature = "postgres"))]
        {
            let _ = url;
            return Err("POSTGRES_URL is set: run with `--features axum,postgres`".into());
        }
    }
    let file = std::env::temp_dir().join(format!(
        "relations_axum_example_{}.sqlite",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&file);
    let path = file
        .to_str()
        .ok_or("temporary directory is not UTF-8")?
        .to_string();
    let mut conn = Sqlite::establish(&path).await?;
    conn.batch_execute(SEED).await?;
    let pool = Pool::builder(AsyncDieselConnectionManager::new(path.clone())).build()?;
    Ok((Db::Sqlite(pool), format!("SQLite ({path})"), Some(file)))
}

/// `GET path` from the server at `addr`, with nothing but tokio: the body.
async fn get_body(addr: std::net::SocketAddr, path: &str) -> std::io::Result<String> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    if !head.starts_with("HTTP/1.1 200") {
        return Err(std::io::Error::other(format!("GET {path}: {head}\n{body}")));
    }
    Ok(body.to_string())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (db, name, file) = database().await?;
    let app = Router::new()
        .route("/authors", get(list_authors))
        .route("/authors/{id}", get(one_author))
        .with_state(db);
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    eprintln!("serving authors from {name} on http://{addr}/authors");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    if std::env::args().any(|a| a == "--serve") {
        server.await??;
        return Ok(());
    }
    for path in ["/authors", "/authors/1"] {
        let body = get_body(addr, path).await?;
        let json: Value = serde_json::from_str(&body)?;
        println!("GET {path}\n{}", serde_json::to_string_pretty(&json)?);
    }
    server.abort();
    if let Some(file) = file {
        let _ = std::fs::remove_file(file);
    }
    Ok(())
}
