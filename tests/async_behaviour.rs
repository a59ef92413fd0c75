//! The async loaders (feature `async`, diesel-async) on every backend.
//!
//! For every loader kind the async form must give the same tree, with the same
//! number of statements, as the blocking form on the same data — and
//! tests/behaviour.rs pins the blocking form to expected values. Then what only
//! async code has: transactions, pooled connections, futures moved to other
//! threads. SQLite runs through diesel-async's `SyncConnectionWrapper`;
//! PostgreSQL and MySQL/MariaDB run when their feature is enabled and
//! `POSTGRES_URL` / `MYSQL_URL` point at a server.
#![cfg(feature = "async")]

#[path = "shapes/cards.rs"]
mod cards;
mod common;

mod sqlite {
    type Conn = diesel::SqliteConnection;
    type AsyncConn =
        diesel_async::sync_connection_wrapper::SyncConnectionWrapper<diesel::SqliteConnection>;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::sqlite_file()
    }
    include!("async_behaviour/suite.rs");
}

#[cfg(feature = "postgres")]
mod postgres {
    type Conn = diesel::PgConnection;
    type AsyncConn = diesel_async::AsyncPgConnection;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::postgres()
    }
    include!("async_behaviour/suite.rs");
}

#[cfg(feature = "mysql")]
mod mysql {
    type Conn = diesel::MysqlConnection;
    type AsyncConn = diesel_async::AsyncMysqlConnection;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::mysql()
    }
    include!("async_behaviour/suite.rs");
}
