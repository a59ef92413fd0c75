//! Shared by the integration tests: the test models, their schema on each
//! backend, and isolated connections (a fresh in-memory database on SQLite, a
//! schema per test on PostgreSQL, a database per test on MySQL/MariaDB).
#![allow(dead_code)]

pub mod models;

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::SimpleConnection;
use diesel::Connection;

/// A connection to an isolated test database, dropped again when the test ends.
pub struct TestConn<C: Connection> {
    conn: C,
    cleanup: Option<String>,
    /// A URL that opens the same isolated database (for the async suites);
    /// `None` for an in-memory SQLite database.
    url: Option<String>,
    /// A database file to delete afterwards.
    file: Option<std::path::PathBuf>,
}

impl<C: Connection> TestConn<C> {
    /// A URL that opens this connection's database again, with its schema.
    pub fn url(&self) -> &str {
        self.url
            .as_deref()
            .expect("this test database has no URL (in-memory SQLite)")
    }
}

impl<C: Connection> Deref for TestConn<C> {
    type Target = C;
    fn deref(&self) -> &C {
        &self.conn
    }
}

impl<C: Connection> DerefMut for TestConn<C> {
    fn deref_mut(&mut self) -> &mut C {
        &mut self.conn
    }
}

impl<C: Connection> Drop for TestConn<C> {
    fn drop(&mut self) {
        if let Some(sql) = self.cleanup.take() {
            let _ = self.conn.batch_execute(&sql);
        }
        if let Some(file) = self.file.take() {
            let _ = std::fs::remove_file(file);
        }
    }
}

/// A name no other test in this run (or a concurrent run) uses.
pub fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{n}_{nanos}", std::process::id())
}

/// The URL of a server-backed suite, from `var`. Without one the suite is
/// skipped with a printed reason, except under `CI=true`, where a missing
/// server is a failure.
pub fn server_url(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{var} is not set, and CI=true: the server-backed suite must run in CI");
            }
            eprintln!("skipped: set {var} to run this test against a real server");
            None
        }
    }
}

/// The statements that create the test schema.
pub fn schema(backend: Backend) -> String {
    // Text keys compare case-insensitively on every backend, as they do
    // under MariaDB's default collation (utf8mb4_general_ci, which the
    // VARCHAR takes from the database): SQLite's NOCASE, and on PostgreSQL a
    // nondeterministic ICU collation (`'Zed' = 'zed'`). Every text-key test
    // runs under them.
    let (collation, text_key) = match backend {
        // MySQL cannot index TEXT without a length.
        Backend::Mysql => ("", "VARCHAR(64)"),
        Backend::Sqlite => ("", "TEXT COLLATE NOCASE"),
        Backend::Postgres => (
            "CREATE COLLATION relations_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);",
            "TEXT COLLATE relations_ci",
        ),
    };
    format!(
        "
        {collation}
        CREATE TABLE authors (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
        CREATE TABLE books (
            id INTEGER PRIMARY KEY NOT NULL,
            author_id INTEGER NOT NULL,
            editor_id INTEGER,
            title TEXT NOT NULL
        );
        CREATE INDEX books_author_id ON books(author_id);
        CREATE TABLE reviews (id INTEGER PRIMARY KEY NOT NULL, book_id INTEGER NOT NULL, stars INTEGER NOT NULL);
        CREATE TABLE countries (code {text_key} PRIMARY KEY NOT NULL, name TEXT NOT NULL);
        CREATE TABLE cities (id BIGINT PRIMARY KEY NOT NULL, country_code {text_key}, name TEXT NOT NULL);
        CREATE TABLE galaxies (id BIGINT PRIMARY KEY NOT NULL, name TEXT NOT NULL);
        CREATE TABLE stars (id BIGINT PRIMARY KEY NOT NULL, galaxy_id BIGINT NOT NULL, name TEXT NOT NULL);
        CREATE TABLE profiles (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL, bio TEXT NOT NULL);
        CREATE TABLE tags (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
        CREATE TABLE book_tags (
            id INTEGER PRIMARY KEY NOT NULL,
            book_id INTEGER NOT NULL,
            tag_id INTEGER NOT NULL,
            weight INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX book_tags_book_tag ON book_tags(book_id, tag_id);
        CREATE TABLE favorites (
            author_id INTEGER NOT NULL,
            book_id INTEGER NOT NULL,
            PRIMARY KEY (author_id, book_id)
        );
        CREATE TABLE categories (id INTEGER PRIMARY KEY NOT NULL, parent_id INTEGER, name TEXT NOT NULL);
        CREATE TABLE sensors (id SMALLINT PRIMARY KEY NOT NULL, label TEXT NOT NULL);
        CREATE TABLE country_tags (
            country_code {text_key} NOT NULL,
            tag_id INTEGER NOT NULL,
            PRIMARY KEY (country_code, tag_id)
        );
        CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        CREATE TABLE pets (id INTEGER PRIMARY KEY NOT NULL, owner_id INTEGER, name TEXT NOT NULL);
        CREATE TABLE readings (id INTEGER PRIMARY KEY NOT NULL, sensor_id SMALLINT NOT NULL, value INTEGER NOT NULL);
        "
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    Mysql,
}

pub fn sqlite() -> Option<TestConn<diesel::SqliteConnection>> {
    let mut conn = diesel::SqliteConnection::establish(":memory:").expect("in-memory SQLite");
    conn.batch_execute(&schema(Backend::Sqlite))
        .expect("schema");
    Some(TestConn {
        conn,
        cleanup: None,
        url: None,
        file: None,
    })
}

/// SQLite in a temporary file, so that a second connection (the async suites)
/// sees the same database.
pub fn sqlite_file() -> Option<TestConn<diesel::SqliteConnection>> {
    let file = std::env::temp_dir().join(format!("{}.sqlite", unique_name("relations_test")));
    let url = file
        .to_str()
        .expect("a UTF-8 temporary directory")
        .to_string();
    let mut conn = diesel::SqliteConnection::establish(&url).expect("SQLite file");
    conn.batch_execute(&schema(Backend::Sqlite))
        .expect("schema");
    Some(TestConn {
        conn,
        cleanup: None,
        url: Some(url),
        file: Some(file),
    })
}

#[cfg(feature = "postgres")]
pub fn postgres() -> Option<TestConn<diesel::PgConnection>> {
    let url = server_url("POSTGRES_URL")?;
    let mut conn = diesel::PgConnection::establish(&url)
        .unwrap_or_else(|e| panic!("POSTGRES_URL={url} is set but the server is unreachable: {e}"));
    let schema_name = unique_name("relations_test");
    conn.batch_execute(&format!(
        "CREATE SCHEMA {schema_name}; SET search_path TO {schema_name};"
    ))
    .expect("create test schema");
    conn.batch_execute(&schema(Backend::Postgres))
        .expect("schema");
    // libpq and tokio-postgres both read `options` from the URL.
    let separator = if url.contains('?') { '&' } else { '?' };
    Some(TestConn {
        conn,
        cleanup: Some(format!("DROP SCHEMA {schema_name} CASCADE;")),
        url: Some(format!(
            "{url}{separator}options=-c%20search_path%3D{schema_name}"
        )),
        file: None,
    })
}

#[cfg(feature = "mysql")]
pub fn mysql() -> Option<TestConn<diesel::MysqlConnection>> {
    let url = server_url("MYSQL_URL")?;
    let mut conn = diesel::MysqlConnection::establish(&url)
        .unwrap_or_else(|e| panic!("MYSQL_URL={url} is set but the server is unreachable: {e}"));
    let db = unique_name("relations_test");
    conn.batch_execute(&format!("CREATE DATABASE {db}; USE {db};"))
        .expect("create test database");
    conn.batch_execute(&schema(Backend::Mysql)).expect("schema");
    Some(TestConn {
        conn,
        cleanup: Some(format!("DROP DATABASE {db};")),
        url: Some(with_database(&url, &db)),
        file: None,
    })
}

/// `url` (`mysql://user@host:port[/database][?params]`) naming `database` instead.
#[cfg(feature = "mysql")]
fn with_database(url: &str, database: &str) -> String {
    let (url, params) = match url.split_once('?') {
        Some((url, params)) => (url, format!("?{params}")),
        None => (url, String::new()),
    };
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let server = match url[authority_start..].find('/') {
        Some(i) => &url[..authority_start + i],
        None => url,
    };
    format!("{server}/{database}{params}")
}
