// Included once per backend by tests/large_keys.rs, which provides `Conn`,
// `Db`, `connect()` and `SEED`.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_relations::QueryCount;

use crate::common::models::schema::*;
use crate::common::models::*;

const PARENTS: usize = 1_000_000;

fn statements_for(keys: usize) -> usize {
    match diesel_relations::keys_per_statement::<Db>() {
        None => 1,
        Some(max) => keys.div_ceil(max),
    }
}

#[test]
fn a_million_parents_in_one_prefetch() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    conn.batch_execute(SEED).unwrap();

    let authors: Vec<Author> = authors::table.order(authors::id).load(conn).unwrap();
    assert_eq!(authors.len(), PARENTS);

    let count = QueryCount::install(conn);
    let authors = authors.prefetch_books(conn).expect("no bind-parameter limit error");
    assert_eq!(count.get(), statements_for(PARENTS), "{:?}", diesel_relations::keys_per_statement::<Db>());

    // Every 10th author has books: the first 50,000 of them two, the rest one,
    // in book-key order.
    let mut books = 0;
    for author in &authors {
        let ids: Vec<i32> = author.books().iter().map(|b| b.id).collect();
        let expected: Vec<i32> = if author.id % 10 != 0 {
            vec![]
        } else {
            let first = author.id / 10;
            if first <= 50_000 { vec![first, first + 100_000] } else { vec![first] }
        };
        assert_eq!(ids, expected, "author {}", author.id);
        assert!(author.books().iter().all(|b| b.author_id == author.id));
        books += ids.len();
    }
    assert_eq!(books, 150_000);

    // The other way: 150,000 books, 100,000 distinct authors.
    let books: Vec<Book> = books::table.order(books::id).load(conn).unwrap();
    count.reset();
    let books = books.prefetch_author(conn).unwrap();
    assert_eq!(count.get(), statements_for(100_000));
    assert!(books.iter().all(|b| b.author().id == b.author_id));
}

/// A refinement that carries binds of its own (here 7,000, in `NOT IN`): the
/// keys of each statement are what is left of the bind limit, counted in the
/// statement, so no chunk exceeds it ("too many SQL variables" on SQLite,
/// "too many placeholders" on MySQL before the count), and the children are
/// the same as without chunking.
#[test]
fn a_refinement_with_many_binds_leaves_room_in_every_chunk() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    const AUTHORS: i32 = 70_000;
    const EXCLUDED: i32 = 7_000;
    let authors: Vec<Author> = (1..=AUTHORS).map(|id| Author { id, name: format!("a{id}") }).collect();
    let books: Vec<Book> = (1..=AUTHORS)
        .map(|id| Book { id, author_id: id, editor_id: None, title: format!("b{id}") })
        .collect();
    for chunk in authors.chunks(5_000) {
        diesel::insert_into(authors::table).values(chunk).execute(conn).unwrap();
    }
    for chunk in books.chunks(5_000) {
        diesel::insert_into(books::table).values(chunk).execute(conn).unwrap();
    }

    // Books 1..=7000 are left out by the refinement's 7,000 binds.
    let excluded: Vec<i32> = (1..=EXCLUDED).collect();
    let count = QueryCount::install(conn);
    let loaded = authors
        .prefetch_books_with(conn, |p| {
            let excluded = excluded.clone();
            p.query(move |q| q.filter(books::id.ne_all(excluded.clone())))
        })
        .expect("every statement within the bind limit");
    let statements = count.get();
    let expected = match <Db as diesel_relations::KeyBatching>::bind_limit() {
        None => 1,
        Some(limit) => {
            let per_statement = (limit - EXCLUDED as usize).min(diesel_relations::keys_per_statement::<Db>().unwrap());
            (AUTHORS as usize).div_ceil(per_statement)
        }
    };
    assert_eq!(statements, expected);
    for author in &loaded {
        let ids: Vec<i32> = author.books().iter().map(|b| b.id).collect();
        let want = if author.id <= EXCLUDED { vec![] } else { vec![author.id] };
        assert_eq!(ids, want, "author {}", author.id);
    }
}

/// Keys of hostile size: 6,000 parents with 3,000-byte text keys (18 MB of
/// keys, above MariaDB's default `max_allowed_packet` of 16 MiB). Statements
/// are split by size as well as by count, so none is refused, the connection
/// stays open, and every parent gets its children.
#[test]
fn large_text_keys_are_split_by_statement_size() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    const PARENTS: usize = 6_000;
    let key_type = match std::any::type_name::<Db>() {
        // InnoDB indexes at most 3,072 bytes: one byte per character.
        name if name.contains("Mysql") => "VARCHAR(3000) CHARACTER SET latin1",
        _ => "TEXT",
    };
    conn.batch_execute(&format!(
        "CREATE TABLE wide_parents (code {key_type} PRIMARY KEY NOT NULL);
         CREATE TABLE wide_children (id INTEGER PRIMARY KEY NOT NULL, parent_code {key_type} NOT NULL);"
    ))
    .unwrap();
    let key = |i: usize| format!("{i:05}{}", "k".repeat(2_995));
    let parents: Vec<WideParent> = (0..PARENTS).map(|i| WideParent { code: key(i) }).collect();
    let children: Vec<WideChild> =
        (0..PARENTS).map(|i| WideChild { id: i as i32, parent_code: key((i * 7) % PARENTS) }).collect();
    for chunk in parents.chunks(100) {
        diesel::insert_into(wide_parents::table).values(chunk).execute(conn).unwrap();
    }
    for chunk in children.chunks(100) {
        diesel::insert_into(wide_children::table).values(chunk).execute(conn).unwrap();
    }

    let loaded = parents.clone().prefetch_wide_children(conn).expect("no statement above the packet limit");
    for (i, parent) in loaded.iter().enumerate() {
        let ids: Vec<i32> = parent.wide_children().iter().map(|c| c.id).collect();
        let want: Vec<i32> = (0..PARENTS).filter(|c| (c * 7) % PARENTS == i).map(|c| c as i32).collect();
        assert_eq!(ids, want, "parent {i}");
    }
    let loaded = children.clone().prefetch_parent(conn).expect("no statement above the packet limit");
    assert!(loaded.iter().all(|c| c.parent().code == c.parent_code));
    // The connection is still usable.
    let n: i64 = wide_parents::table.count().get_result(conn).unwrap();
    assert_eq!(n, PARENTS as i64);
}
