//! A GraphQL server (axum + async-graphql) whose resolvers load every
//! relation through diesel-relations' DataLoaders: authors → books →
//! reviews, books → tags (many-to-many), books → author (belongs-to),
//! authors → profile (one-to-one) and each author's book count. A query
//! for 50 authors with all of it runs 1 + 4 statements, where resolvers with
//! a query each (`api.rs`, module `naive`) run hundreds.
//!
//! SQLite by default (a temporary file, through diesel-async's
//! `SyncConnectionWrapper`), PostgreSQL when `POSTGRES_URL` is set:
//!
//! ```text
//! cargo run --example graphql --features graphql
//! POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test cargo run --example graphql --features graphql,postgres
//! cargo run --example graphql --features graphql -- --serve     # GraphiQL on http://127.0.0.1:PORT/
//! cargo run --release --example graphql --features graphql -- --bench
//! ```
//!
//! Without a flag it seeds the database, serves on 127.0.0.1 (`PORT`, else
//! any free port), posts two queries to itself, checks the answers against
//! the naive resolvers', prints them with their statement counts and exits.
//! `--bench` compares requests per second and statements per request of the
//! 50-author query with the naive resolvers.

mod models;
mod schema;

use std::time::{Duration, Instant};

use async_graphql::http::GraphiQLSource;
use async_graphql::{EmptyMutation, EmptySubscription, ObjectType, Schema};
use async_graphql_axum::GraphQL;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use diesel::SqliteConnection;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use diesel_relations::QueryCount;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The API on SQLite.
mod sqlite {
    pub type Conn =
        diesel_async::sync_connection_wrapper::SyncConnectionWrapper<diesel::SqliteConnection>;
    include!("api.rs");
}

/// The same API on PostgreSQL.
#[cfg(feature = "postgres")]
mod postgres {
    pub type Conn = diesel_async::AsyncPgConnection;
    include!("api.rs");
}

/// 50 authors with their books, each book's author, reviews and tags.
const AUTHORS_QUERY: &str = "{ authors(ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50]) \
     { id name books { id title year author { id name } reviews { id stars } tags { id name } } } }";

/// One relation under two aliases with different arguments, with a count
/// and a one-to-one relation.
const ALIASES_QUERY: &str =
    "{ author(id: 7) { name bookCount profile { bio } recent: books(first: 2) { title } \
     since: books(since: 1990) { title year } } }";

type Sqlite = SyncConnectionWrapper<SqliteConnection>;

/// A pool of one connection on `$url`, with the statements it runs counted:
/// every resolver's statements go through it. (Recycled without a test
/// query, so that only the API's statements are counted.)
macro_rules! counted_pool {
    ($conn:ty, $url:expr) => {{
        let mut config = ManagerConfig::default();
        config.recycling_method = RecyclingMethod::Fast;
        let manager = AsyncDieselConnectionManager::<$conn>::new_with_config($url, config);
        let pool = Pool::builder(manager).max_size(1).build()?;
        let mut conn = pool.get().await?;
        let count = QueryCount::install_async(&mut *conn);
        drop(conn);
        (pool, count)
    }};
}

/// Run the example on the API of module `$api` with pool `$pool`.
macro_rules! run {
    ($api:ident, $pool:expr, $count:expr, $name:expr) => {
        run(
            $api::schema($pool.clone(), loader_delay()),
            $api::naive::schema($pool),
            $count,
            $name,
        )
        .await
    };
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let authors = 50;
    if let Ok(url) = std::env::var("POSTGRES_URL") {
        #[cfg(feature = "postgres")]
        {
            // A schema of its own, named in the pool's URL so that every
            // pooled connection reads it.
            let mut conn = diesel_async::AsyncPgConnection::establish(&url).await?;
            conn.batch_execute(
                "DROP SCHEMA IF EXISTS relations_graphql CASCADE; CREATE SCHEMA relations_graphql; \
                 SET search_path TO relations_graphql;",
            )
            .await?;
            seed(&mut conn, authors).await?;
            let separator = if url.contains('?') { '&' } else { '?' };
            let url = format!("{url}{separator}options=-c%20search_path%3Drelations_graphql");
            let (pool, count) = counted_pool!(diesel_async::AsyncPgConnection, url);
            return run!(postgres, pool, count, "PostgreSQL");
        }
        #[cfg(not(feature = "postgres"))]
        {
            let _ = url;
            return Err("POSTGRES_URL is set: run with `--features graphql,postgres`".into());
        }
    }
    let file =
        std::env::temp_dir().join(format!("relations_graphql_{}.sqlite", std::process::id()));
    let _ = std::fs::remove_file(&file);
    let path = file
        .to_str()
        .ok_or("temporary directory is not UTF-8")?
        .to_string();
    seed(&mut Sqlite::establish(&path).await?, authors).await?;
    let (pool, count) = counted_pool!(Sqlite, path.clone());
    let result = run!(sqlite, pool, count, &format!("SQLite ({path})"));
    let _ = std::fs::remove_file(file);
    result
}

/// Create the tables and insert `authors` authors' data.
async fn seed(
    conn: &mut impl SimpleAsyncConnection,
    authors: i32,
) -> Result<(), Box<dyn std::error::Error>> {
    for statement in models::CREATE
        .iter()
        .map(|s| s.to_string())
        .chain(models::seed(authors))
    {
        conn.batch_execute(&statement).await?;
    }
    Ok(())
}

/// How long a DataLoader collects a level's keys: `LOADER_DELAY_MS`, else
/// async-graphql's default of 1 ms.
fn loader_delay() -> Duration {
    let ms = std::env::var("LOADER_DELAY_MS")
        .ok()
        .and_then(|ms| ms.parse().ok());
    Duration::from_millis(ms.unwrap_or(1))
}

type AppSchema<Q> = Schema<Q, EmptyMutation, EmptySubscription>;

async fn run<Q, N>(
    schema: AppSchema<Q>,
    naive: AppSchema<N>,
    count: QueryCount,
    name: &str,
) -> Result<(), Box<dyn std::error::Error>>
where
    Q: ObjectType + 'static,
    N: ObjectType + 'static,
{
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") {
        return bench(&schema, &naive, &count, name).await;
    }
    let app = Router::new().route(
        "/",
        get(|| async { Html(GraphiQLSource::build().endpoint("/").finish()) })
            .post_service(GraphQL::new(schema.clone())),
    );
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    eprintln!("GraphiQL on http://{addr}/ ({name})");
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    if args.iter().any(|a| a == "--serve") {
        server.await??;
        return Ok(());
    }
    for query in [AUTHORS_QUERY, ALIASES_QUERY] {
        count.reset();
        let answer = post(addr, query).await?;
        let statements = count.get();
        if std::env::var("SHOW").is_ok() {
            for s in count.statements() {
                eprintln!("  {}", &s[..s.len().min(150)]);
            }
        }
        count.reset();
        let expected = naive.execute(query).await;
        if !expected.errors.is_empty() {
            return Err(format!("naive resolvers: {:?}", expected.errors).into());
        }
        let expected = serde_json::to_value(&expected.data)?;
        if answer["data"] != expected {
            return Err(format!(
                "the loaders' answer differs from the naive resolvers' for {query}"
            )
            .into());
        }
        eprintln!(
            "{query}\n  {statements} statements with loaders, {} with a query per resolver; same JSON",
            count.get()
        );
        println!("{}", serde_json::to_string_pretty(&answer)?);
    }
    server.abort();
    Ok(())
}

/// `POST /` with a GraphQL query, with nothing but tokio: the JSON answer.
async fn post(
    addr: std::net::SocketAddr,
    query: &str,
) -> Result<Value, Box<dyn std::error::Error>> {
    let body = serde_json::json!({ "query": query }).to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    if !head.starts_with("HTTP/1.1 200") {
        return Err(format!("POST /: {head}\n{body}").into());
    }
    let answer: Value = serde_json::from_str(body)?;
    if answer.get("errors").is_some() {
        return Err(format!("POST /: {answer}").into());
    }
    Ok(answer)
}

/// Requests per second and statements per request of the 50-author query,
/// loaders against naive resolvers, in one run, executed in process (no
/// HTTP) one request at a time on the pool's one connection.
async fn bench<Q, N>(
    schema: &AppSchema<Q>,
    naive: &AppSchema<N>,
    count: &QueryCount,
    name: &str,
) -> Result<(), Box<dyn std::error::Error>>
where
    Q: ObjectType + 'static,
    N: ObjectType + 'static,
{
    let window = Duration::from_secs(
        std::env::var("BENCH_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3),
    );
    println!(
        "50-author query on {name}, {} s per implementation, one request at a time",
        window.as_secs()
    );
    println!("| implementation | requests/s | statements/request | ms/request |");
    println!("|---|---:|---:|---:|");
    let mut rates = Vec::new();
    for implementation in ["loaders", "naive"] {
        let started = Instant::now();
        let mut requests = 0u32;
        count.reset();
        while started.elapsed() < window {
            let response = match implementation {
                "loaders" => schema.execute(AUTHORS_QUERY).await,
                _ => naive.execute(AUTHORS_QUERY).await,
            };
            if !response.errors.is_empty() {
                return Err(format!("{implementation}: {:?}", response.errors).into());
            }
            requests += 1;
        }
        let seconds = started.elapsed().as_secs_f64();
        let rate = f64::from(requests) / seconds;
        rates.push(rate);
        println!(
            "| {implementation} | {rate:.1} | {:.0} | {:.2} |",
            count.get() as f64 / f64::from(requests),
            1000.0 * seconds / f64::from(requests)
        );
    }
    println!("loaders/naive throughput: {:.1}x", rates[0] / rates[1]);
    Ok(())
}
