//! Prefetching returns exactly what the obvious per-parent loop returns, order
//! included, for every relation kind, on random data, on every backend.

#[path = "shapes/cards.rs"]
mod cards;
mod common;

mod sqlite {
    type Conn = diesel::SqliteConnection;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::sqlite()
    }
    include!("equivalence/property.rs");
}

#[cfg(feature = "postgres")]
mod postgres {
    type Conn = diesel::PgConnection;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::postgres()
    }
    include!("equivalence/property.rs");
}

#[cfg(feature = "mysql")]
mod mysql {
    type Conn = diesel::MysqlConnection;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::mysql()
    }
    include!("equivalence/property.rs");
}
