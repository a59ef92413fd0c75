//! A million parents in one prefetch, on every backend: no "too many SQL
//! variables", the same tree as per-parent loading, and a known statement count
//! (1 + k on PostgreSQL, 1 + k × chunks on SQLite and MySQL).

mod common;

mod sqlite {
    type Conn = diesel::SqliteConnection;
    type Db = diesel::sqlite::Sqlite;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::sqlite()
    }
    const SEED: &str = "
        INSERT INTO authors (id, name)
            WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 1000000)
            SELECT n, 'author ' || n FROM s;
        INSERT INTO books (id, author_id, editor_id, title)
            WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 150000)
            SELECT n, ((n - 1) % 100000) * 10 + 10, NULL, 'book ' || n FROM s;
    ";
    include!("large_keys/suite.rs");
}

#[cfg(feature = "postgres")]
mod postgres {
    type Conn = diesel::PgConnection;
    type Db = diesel::pg::Pg;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::postgres()
    }
    const SEED: &str = "
        INSERT INTO authors (id, name) SELECT n, 'author ' || n FROM generate_series(1, 1000000) n;
        INSERT INTO books (id, author_id, editor_id, title)
            SELECT n, ((n - 1) % 100000) * 10 + 10, NULL, 'book ' || n FROM generate_series(1, 150000) n;
    ";
    include!("large_keys/suite.rs");
}

#[cfg(feature = "mysql")]
mod mysql {
    type Conn = diesel::MysqlConnection;
    type Db = diesel::mysql::Mysql;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::mysql()
    }
    // MariaDB's sequence engine; MySQL would use a recursive CTE.
    const SEED: &str = "
        INSERT INTO authors (id, name) SELECT seq, CONCAT('author ', seq) FROM seq_1_to_1000000;
        INSERT INTO books (id, author_id, editor_id, title)
            SELECT seq, ((seq - 1) % 100000) * 10 + 10, NULL, CONCAT('book ', seq) FROM seq_1_to_150000;
    ";
    include!("large_keys/suite.rs");
}
