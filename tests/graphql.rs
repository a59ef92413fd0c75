//! The GraphQL example's API (examples/graphql/api.rs) against its naive
//! twin, on SQLite, PostgreSQL and MariaDB: the same JSON for queries of
//! several shapes, with one load per relation and level however many parents
//! a level has (statements counted on the pool's one connection).
//!
//! A DataLoader batches what its resolvers ask within its delay; the tests
//! give it 200 ms (the resolvers of a level take a few), so that the counts
//! are those of one batch per level.

#[path = "../examples/graphql/models.rs"]
mod models;
#[path = "../examples/graphql/schema.rs"]
mod schema;

mod common;

use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, SimpleAsyncConnection};
use diesel_relations::QueryCount;

mod sqlite {
    pub type Conn =
        diesel_async::sync_connection_wrapper::SyncConnectionWrapper<diesel::SqliteConnection>;
    include!("../examples/graphql/api.rs");
}

#[cfg(feature = "postgres")]
mod postgres {
    pub type Conn = diesel_async::AsyncPgConnection;
    include!("../examples/graphql/api.rs");
}

#[cfg(feature = "mysql")]
mod mysql {
    pub type Conn = diesel_async::AsyncMysqlConnection;
    include!("../examples/graphql/api.rs");
}

/// How long each DataLoader collects a level's keys: long enough that every
/// resolver of a level has asked, even on a loaded machine.
const DELAY: std::time::Duration = std::time::Duration::from_millis(200);

/// Authors in the database; the queries ask for 50 of them or 1.
const AUTHORS: i32 = 60;

fn ids(n: i32) -> String {
    (1..=n)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every relation, every level, and a count.
fn full(authors: i32) -> String {
    format!(
        "{{ authors(ids: [{}]) {{ id name bookCount profile {{ bio }} books {{ id title year \
         author {{ id name }} reviews {{ id stars }} tags {{ id name }} }} }} }}",
        ids(authors)
    )
}

/// One relation under two aliases with different arguments, each with a
/// relation below it.
fn aliases(authors: i32) -> String {
    format!(
        "{{ authors(ids: [{}]) {{ name recent: books(first: 2) {{ title reviews {{ stars }} }} \
         since: books(since: 1990) {{ year tags {{ name }} }} }} }}",
        ids(authors)
    )
}

/// A pool of one connection whose statements are counted.
macro_rules! counted_pool {
    ($conn:ty, $url:expr) => {{
        let mut config = ManagerConfig::default();
        config.recycling_method = RecyclingMethod::Fast;
        let manager = AsyncDieselConnectionManager::<$conn>::new_with_config($url, config);
        let pool = Pool::builder(manager).max_size(1).build().unwrap();
        let mut conn = pool.get().await.unwrap();
        let count = QueryCount::install_async(&mut *conn);
        drop(conn);
        (pool, count)
    }};
}

async fn seed(conn: &mut impl SimpleAsyncConnection) {
    for statement in models::CREATE
        .iter()
        .map(|s| s.to_string())
        .chain(models::seed(AUTHORS))
    {
        conn.batch_execute(&statement).await.unwrap();
    }
}

/// Run `query` on both schemas: the loaders' JSON, which must equal the
/// naive resolvers', and the loaders' statement count.
macro_rules! both {
    ($api:ident, $pool:expr, $count:expr, $query:expr) => {{
        let query: &str = &$query;
        $count.reset();
        let answer = $api::schema($pool.clone(), DELAY).execute(query).await;
        let statements = $count.get();
        assert!(answer.errors.is_empty(), "{query}: {:?}", answer.errors);
        let naive = $api::naive::schema($pool.clone()).execute(query).await;
        assert!(naive.errors.is_empty(), "{query}: {:?}", naive.errors);
        let (answer, naive) = (
            serde_json::to_value(&answer.data).unwrap(),
            serde_json::to_value(&naive.data).unwrap(),
        );
        assert_eq!(answer, naive, "{query}");
        (answer, statements)
    }};
}

/// The checks, for the API of module `$api` on pool `$pool`. `$m2m` is how
/// many statements a many-to-many load takes on the backend (its plan).
macro_rules! check_api {
    ($api:ident, $pool:expr, $count:expr, m2m = $m2m:expr) => {{
        let (pool, count) = ($pool, $count);
        // Levels: authors; their book counts, profiles and books; each
        // book's author, reviews and tags.
        let per_tree = 1 + 3 + 1 + 1 + $m2m;
        let (one, one_count) = both!($api, pool, count, full(1));
        assert_eq!(one["authors"].as_array().unwrap().len(), 1);
        assert_eq!(one_count, per_tree, "one author: {:#?}", count.statements());
        let (fifty, fifty_count) = both!($api, pool, count, full(50));
        let authors = fifty["authors"].as_array().unwrap();
        assert_eq!(authors.len(), 50);
        let books: usize = authors
            .iter()
            .map(|a| a["books"].as_array().unwrap().len())
            .sum();
        assert!(books > 100, "{books} books");
        assert!(authors
            .iter()
            .flat_map(|a| a["books"].as_array().unwrap())
            .any(|b| !b["tags"].as_array().unwrap().is_empty()));
        assert!(authors
            .iter()
            .flat_map(|a| a["books"].as_array().unwrap())
            .any(|b| !b["reviews"].as_array().unwrap().is_empty()));
        // Independent of the number of parents.
        assert_eq!(
            fifty_count,
            per_tree,
            "50 authors: {:#?}",
            count.statements()
        );

        // Two aliases of one relation with different arguments: one load
        // each, the levels below them one load each.
        let (aliased, aliased_count) = both!($api, pool, count, aliases(50));
        assert_eq!(aliased_count, 1 + 2 + 1 + $m2m, "{:#?}", count.statements());
        let first = &aliased["authors"][3];
        assert!(first["recent"].as_array().unwrap().len() <= 2);
        assert_ne!(first["recent"], first["since"]);

        // A relation that fails is a GraphQL error naming it, and the
        // pool's connection still works afterwards.
        {
            let mut conn = pool.get().await.unwrap();
            conn.batch_execute("DROP TABLE reviews").await.unwrap();
        }
        let failed = $api::schema(pool.clone(), DELAY)
            .execute(full(3).as_str())
            .await;
        assert!(!failed.errors.is_empty());
        let message = &failed.errors[0].message;
        assert!(
            message.contains("loading relation `reviews` failed"),
            "{message}"
        );
        let after = $api::schema(pool.clone(), DELAY)
            .execute("{ author(id: 2) { name books { title tags { name } } } }")
            .await;
        assert!(after.errors.is_empty(), "{:?}", after.errors);
    }};
}

#[tokio::test]
async fn graphql_on_sqlite_matches_naive_resolvers_with_one_load_per_level() {
    let file = std::env::temp_dir().join(common::unique_name("relations_graphql") + ".sqlite");
    let path = file.to_str().unwrap().to_string();
    seed(&mut sqlite::Conn::establish(&path).await.unwrap()).await;
    let (pool, count) = counted_pool!(sqlite::Conn, path);
    // SQLite: many-to-many in two steps (links, then targets).
    check_api!(sqlite, pool, count, m2m = 2);
    let _ = std::fs::remove_file(file);
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn graphql_on_postgres_matches_naive_resolvers_with_one_load_per_level() {
    let Some(url) = common::server_url("POSTGRES_URL") else {
        return;
    };
    let name = common::unique_name("relations_graphql");
    let mut conn = diesel_async::AsyncPgConnection::establish(&url)
        .await
        .unwrap();
    conn.batch_execute(&format!("CREATE SCHEMA {name}; SET search_path TO {name};"))
        .await
        .unwrap();
    seed(&mut conn).await;
    let separator = if url.contains('?') { '&' } else { '?' };
    let schema_url = format!("{url}{separator}options=-c%20search_path%3D{name}");
    let (pool, count) = counted_pool!(postgres::Conn, schema_url);
    check_api!(postgres, pool, count, m2m = 2);

    conn.batch_execute(&format!("DROP SCHEMA {name} CASCADE"))
        .await
        .unwrap();
}

#[cfg(feature = "mysql")]
#[tokio::test]
async fn graphql_on_mariadb_matches_naive_resolvers_with_one_load_per_level() {
    let Some(url) = common::server_url("MYSQL_URL") else {
        return;
    };
    let name = common::unique_name("relations_graphql");
    let mut conn = diesel_async::AsyncMysqlConnection::establish(&url)
        .await
        .unwrap();
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let db_url = match url.split_once('?') {
        Some((base, params)) => format!("{}/{name}?{params}", server_of(base)),
        None => format!("{}/{name}", server_of(&url)),
    };
    seed(
        &mut diesel_async::AsyncMysqlConnection::establish(&db_url)
            .await
            .unwrap(),
    )
    .await;
    let (pool, count) = counted_pool!(mysql::Conn, db_url);
    // MariaDB: many-to-many as one join below 1,000 parents.
    check_api!(mysql, pool, count, m2m = 1);

    conn.batch_execute(&format!("DROP DATABASE {name}"))
        .await
        .unwrap();
}

/// `mysql://user@host:port` of a URL that may name a database.
#[cfg(feature = "mysql")]
fn server_of(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    match url[start..].find('/') {
        Some(i) => &url[..start + i],
        None => url,
    }
}

/// Asking a loader for the relation of another model does not compile.
#[test]
fn graphql_loaders_are_typed() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/graphql/*.rs");
}
