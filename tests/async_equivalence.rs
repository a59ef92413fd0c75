//! On random data, every async loader (feature `async`) returns exactly the
//! tree the blocking loader returns — which tests/equivalence.rs proves equal to
//! the obvious per-parent loop — on every backend, chunked and not.
#![cfg(feature = "async")]

mod common;

mod sqlite {
    type Conn = diesel::SqliteConnection;
    type AsyncConn =
        diesel_async::sync_connection_wrapper::SyncConnectionWrapper<diesel::SqliteConnection>;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::sqlite_file()
    }
    include!("async_equivalence/property.rs");
}

#[cfg(feature = "postgres")]
mod postgres {
    type Conn = diesel::PgConnection;
    type AsyncConn = diesel_async::AsyncPgConnection;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::postgres()
    }
    include!("async_equivalence/property.rs");
}

#[cfg(feature = "mysql")]
mod mysql {
    type Conn = diesel::MysqlConnection;
    type AsyncConn = diesel_async::AsyncMysqlConnection;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::mysql()
    }
    include!("async_equivalence/property.rs");
}
