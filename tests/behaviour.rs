//! The behavioural suite on every backend: the same tests, included once per
//! backend. SQLite always runs; PostgreSQL and MySQL/MariaDB run when their
//! feature is enabled and `POSTGRES_URL` / `MYSQL_URL` point at a server.

mod common;

mod sqlite {
    type Conn = diesel::SqliteConnection;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::sqlite()
    }
    include!("behaviour/suite.rs");
}

#[cfg(feature = "postgres")]
mod postgres {
    type Conn = diesel::PgConnection;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::postgres()
    }
    include!("behaviour/suite.rs");
}

#[cfg(feature = "mysql")]
mod mysql {
    type Conn = diesel::MysqlConnection;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::mysql()
    }
    include!("behaviour/suite.rs");
}
