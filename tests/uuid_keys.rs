//! Native `UUID` keys, on the backend that has the type (PostgreSQL). SQLite
//! and MySQL store UUIDs as text, which the behavioural suite covers.
#![cfg(feature = "postgres")]

mod common;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_relations::assert_num_queries;
use diesel_relations::prelude::*;
use uuid::Uuid;

diesel::table! { accounts (id) { id -> Uuid, email -> Text, } }
diesel::table! { sessions (id) { id -> Uuid, account_id -> Nullable<Uuid>, } }
diesel::allow_tables_to_appear_in_same_query!(accounts, sessions);

#[derive(Queryable, Selectable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = accounts)]
pub struct Account {
    pub id: Uuid,
    pub email: String,
}

#[derive(Queryable, Selectable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: Uuid,
    #[foreign_key(references = Account, related_name = "sessions")]
    pub account_id: Option<Uuid>,
}

#[test]
fn uuid_keys_on_postgres() {
    let Some(mut conn) = common::postgres() else {
        return;
    };
    let conn = &mut *conn;
    conn.batch_execute(
        "CREATE TABLE accounts (id UUID PRIMARY KEY, email TEXT NOT NULL);
         CREATE TABLE sessions (id UUID PRIMARY KEY, account_id UUID REFERENCES accounts(id));",
    )
    .unwrap();
    let uuid = |n: u128| Uuid::from_u128(n);
    let accounts = vec![
        Account {
            id: uuid(0xA1),
            email: "a@example.com".into(),
        },
        Account {
            id: uuid(0xB2),
            email: "b@example.com".into(),
        },
    ];
    diesel::insert_into(accounts::table)
        .values(&accounts)
        .execute(conn)
        .unwrap();
    let sessions = vec![
        Session {
            id: uuid(1),
            account_id: Some(uuid(0xB2)),
        },
        Session {
            id: uuid(2),
            account_id: Some(uuid(0xA1)),
        },
        Session {
            id: uuid(3),
            account_id: None,
        },
        Session {
            id: uuid(4),
            account_id: Some(uuid(0xB2)),
        },
    ];
    diesel::insert_into(sessions::table)
        .values(&sessions)
        .execute(conn)
        .unwrap();

    let loaded = assert_num_queries(conn, 1, |conn| {
        accounts.clone().prefetch_sessions(conn).unwrap()
    });
    let ids: Vec<Vec<Uuid>> = loaded
        .iter()
        .map(|a| a.sessions().iter().map(|s| s.id).collect())
        .collect();
    assert_eq!(ids, vec![vec![uuid(2)], vec![uuid(1), uuid(4)]]);

    let with_account = sessions.prefetch_account(conn).unwrap();
    let emails: Vec<Option<&str>> = with_account
        .iter()
        .map(|s| s.account().as_ref().map(|a| a.email.as_str()))
        .collect();
    assert_eq!(
        emails,
        vec![
            Some("b@example.com"),
            Some("a@example.com"),
            None,
            Some("b@example.com")
        ]
    );

    let joined = select_related(SessionAccount)
        .load_with(conn, |q| q.order(sessions::id))
        .unwrap();
    assert_eq!(joined.len(), 4);
    assert!(joined[2].account().is_none());
}
