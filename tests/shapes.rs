//! Declared shapes on every backend: a shape equals the chain of named
//! loaders it stands for, statement for statement.

#[path = "shapes/cards.rs"]
mod cards;
mod common;

mod sqlite {
    type Conn = diesel::SqliteConnection;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::sqlite()
    }
    include!("shapes/suite.rs");
}

#[cfg(feature = "postgres")]
mod postgres {
    type Conn = diesel::PgConnection;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::postgres()
    }
    include!("shapes/suite.rs");
}

#[cfg(feature = "mysql")]
mod mysql {
    type Conn = diesel::MysqlConnection;
    fn connect() -> Option<crate::common::TestConn<Conn>> {
        crate::common::mysql()
    }
    include!("shapes/suite.rs");
}
