//! When the database fails, a loader returns `Err` naming the relation: never a
//! panic, never a partly loaded result reported as success.

mod common;

use common::models::schema::*;
use common::models::*;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_relations::ErrorKind;

fn seed<C>(conn: &mut C)
where
    C: Connection,
    C::Backend: diesel::backend::Backend,
{
    conn.batch_execute(
        "INSERT INTO authors (id, name) VALUES (1, 'a'), (2, 'b');
         INSERT INTO books (id, author_id, editor_id, title) VALUES (1, 1, NULL, 'x'), (2, 2, 1, 'y');",
    )
    .unwrap();
}

/// Asserts a database error for relation `relation`.
fn assert_database_error(result: diesel_relations::Result<impl std::fmt::Debug>, relation: &str) {
    let err = result.expect_err("the loader must fail");
    assert_eq!(err.relation(), relation, "{err}");
    assert!(matches!(err.kind(), ErrorKind::Database(_)), "{err:?}");
    assert!(
        err.to_string().contains(&format!("relation `{relation}`")),
        "{err}"
    );
}

macro_rules! error_path_tests {
    ($backend:ident, $connect:expr) => {
        mod $backend {
            use super::*;

            #[test]
            fn a_missing_column_is_an_err() {
                let Some(mut conn) = $connect else { return };
                let conn = &mut *conn;
                seed(conn);
                let authors: Vec<Author> = authors::table.load(conn).unwrap();
                conn.batch_execute("ALTER TABLE books DROP COLUMN title").unwrap();
                assert_database_error(authors.prefetch_books(conn), "books");
            }

            #[test]
            fn a_value_that_does_not_decode_is_an_err() {
                let Some(mut conn) = $connect else { return };
                let conn = &mut *conn;
                seed(conn);
                // The table now allows a NULL title, which `Book.title: String`
                // cannot hold: the row fails to decode.
                conn.batch_execute(
                    "CREATE TABLE books_loose (id INTEGER PRIMARY KEY, author_id INTEGER, editor_id INTEGER, title TEXT);
                     INSERT INTO books_loose VALUES (1, 1, NULL, NULL);",
                )
                .unwrap();
                conn.batch_execute("DROP TABLE books").unwrap();
                conn.batch_execute("ALTER TABLE books_loose RENAME TO books").unwrap();
                let authors: Vec<Author> = authors::table.load(conn).unwrap();
                let err = authors.prefetch_books(conn).expect_err("a NULL title cannot decode into String");
                assert_eq!(err.relation(), "books");
                assert!(matches!(err.kind(), ErrorKind::Database(_)), "{err:?}");
            }

            #[test]
            fn a_failing_nested_level_fails_the_whole_load() {
                let Some(mut conn) = $connect else { return };
                let conn = &mut *conn;
                seed(conn);
                let authors: Vec<Author> = authors::table.load(conn).unwrap();
                conn.batch_execute("DROP TABLE reviews").unwrap();
                let result = authors.prefetch_books_with(conn, |b| b.then(|books, conn| books.prefetch_review_set(conn)));
                assert_database_error(result, "review_set");
            }
        }
    };
}

error_path_tests!(sqlite, common::sqlite());
#[cfg(feature = "postgres")]
error_path_tests!(postgres, common::postgres());
#[cfg(feature = "mysql")]
error_path_tests!(mysql, common::mysql());

/// SQLite: another connection holds the write lock and ours may not wait.
#[test]
fn sqlite_a_locked_database_is_an_err() {
    let dir = std::env::temp_dir().join(common::unique_name("relations_locked"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("db.sqlite");
    let url = path.to_str().unwrap();
    let mut conn = SqliteConnection::establish(url).unwrap();
    conn.batch_execute(&common::schema(common::Backend::Sqlite))
        .unwrap();
    seed(&mut conn);
    let authors: Vec<Author> = authors::table.load(&mut conn).unwrap();
    let mut other = SqliteConnection::establish(url).unwrap();
    other.batch_execute("BEGIN EXCLUSIVE").unwrap();
    conn.batch_execute("PRAGMA busy_timeout = 0").unwrap();
    assert_database_error(authors.prefetch_books(&mut conn), "books");
    other.batch_execute("ROLLBACK").unwrap();
    drop((conn, other));
    let _ = std::fs::remove_dir_all(dir);
}

/// PostgreSQL: the server ends the session between the parent and the child
/// query.
#[cfg(feature = "postgres")]
#[test]
fn postgres_a_server_that_goes_away_is_an_err() {
    let Some(mut conn) = common::postgres() else {
        return;
    };
    let conn = &mut *conn;
    seed(conn);
    let authors: Vec<Author> = authors::table.load(conn).unwrap();
    let _ = conn.batch_execute("SELECT pg_terminate_backend(pg_backend_pid())");
    assert_database_error(authors.prefetch_books(conn), "books");
}

/// PostgreSQL: the child table is locked by another session and our statement
/// times out.
#[cfg(feature = "postgres")]
#[test]
fn postgres_a_statement_timeout_is_an_err() {
    let Some(mut conn) = common::postgres() else {
        return;
    };
    let conn = &mut *conn;
    seed(conn);
    let authors: Vec<Author> = authors::table.load(conn).unwrap();
    let schema: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
        "current_schema()",
    ))
    .get_result(conn)
    .unwrap();
    let mut other = PgConnection::establish(&std::env::var("POSTGRES_URL").unwrap()).unwrap();
    other
        .batch_execute(&format!(
            "BEGIN; LOCK TABLE {schema}.books IN ACCESS EXCLUSIVE MODE;"
        ))
        .unwrap();
    conn.batch_execute("SET statement_timeout = '200ms'")
        .unwrap();
    assert_database_error(authors.prefetch_books(conn), "books");
    other.batch_execute("ROLLBACK").unwrap();
}

/// MySQL: the server ends the session between the parent and the child query.
#[cfg(feature = "mysql")]
#[test]
fn mysql_a_server_that_goes_away_is_an_err() {
    let Some(mut conn) = common::mysql() else {
        return;
    };
    let conn = &mut *conn;
    seed(conn);
    let authors: Vec<Author> = authors::table.load(conn).unwrap();
    let id: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "CONNECTION_ID()",
    ))
    .get_result(conn)
    .unwrap();
    let mut other = MysqlConnection::establish(&std::env::var("MYSQL_URL").unwrap()).unwrap();
    other.batch_execute(&format!("KILL {id}")).unwrap();
    assert_database_error(authors.prefetch_books(conn), "books");
}

/// MySQL: the child table is locked by another session and our statement
/// gives up waiting.
#[cfg(feature = "mysql")]
#[test]
fn mysql_a_lock_wait_timeout_is_an_err() {
    let Some(mut conn) = common::mysql() else {
        return;
    };
    let conn = &mut *conn;
    seed(conn);
    let authors: Vec<Author> = authors::table.load(conn).unwrap();
    let db: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("DATABASE()"))
        .get_result(conn)
        .unwrap();
    let mut other = MysqlConnection::establish(&std::env::var("MYSQL_URL").unwrap()).unwrap();
    other
        .batch_execute(&format!("LOCK TABLES {db}.books WRITE"))
        .unwrap();
    conn.batch_execute("SET SESSION lock_wait_timeout = 1")
        .unwrap();
    assert_database_error(authors.prefetch_books(conn), "books");
    other.batch_execute("UNLOCK TABLES").unwrap();
}
