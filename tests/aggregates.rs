//! Aggregates per parent (`prefetch_count`, `prefetch_exists`) on every
//! backend: each equals a naive per-parent `SELECT COUNT(*)`, in one
//! statement per chunk of keys.

// The shared seed functions are not all used by this suite.
#![allow(dead_code)]

mod common;

mod sqlite {
    type Conn = diesel::SqliteConnection;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::sqlite()
    }
    include!("aggregates/suite.rs");
}

#[cfg(feature = "postgres")]
mod postgres {
    type Conn = diesel::PgConnection;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::postgres()
    }
    include!("aggregates/suite.rs");
}

#[cfg(feature = "mysql")]
mod mysql {
    type Conn = diesel::MysqlConnection;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::mysql()
    }
    include!("aggregates/suite.rs");
}
