// Included once per backend by tests/async_equivalence.rs, which provides
// `Conn` (blocking), `AsyncConn` and `connect()`.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_async::AsyncConnection;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use diesel_relations::prelude::*;
use diesel_relations::QueryCount;

use crate::common::models::schema::*;
use crate::common::models::*;

include!("../equivalence/dataset.rs");

diesel_relations::alias! {
    FilteredBooks;
    TopBooks;
    PageTwo;
    BooksWithReviews;
    EitherTitleTop;
}

/// Every loader kind, blocking: has-many (required and nullable), filtered
/// and ordered, top-N, a page per parent, nested two levels with a
/// many-to-many level, one-to-one; then belongs-to (required and nullable),
/// many-to-many and the join. Returns the trees, printed in full.
fn blocking(conn: &mut Conn, input: Vec<Author>) -> String {
    let authors = input
        .prefetch_books(conn)
        .unwrap()
        .prefetch_edited_books(conn)
        .unwrap()
        .prefetch_books_with(conn, |p| p.filter(books::title.like("%a%")).order(books::title.desc()).then_order_by(books::id).named(FilteredBooks))
        .unwrap()
        .prefetch_books_with(conn, |p| p.order(books::title.desc()).limit_per_parent(2).named(TopBooks))
        .unwrap()
        .prefetch_books_with(conn, |p| p.order(books::title.desc()).offset_per_parent(1).limit_per_parent(2).named(PageTwo))
        .unwrap()
        .prefetch_books_with(conn, |p| {
            p.named(BooksWithReviews).then(|books, conn| books.prefetch_review_set(conn)?.prefetch_tags(conn))
        })
        .unwrap()
        .prefetch_profile(conn)
        .unwrap()
        .prefetch_books_with(conn, |p| {
            p.query(|q| q.filter(books::title.like("%a%")).or_filter(books::title.like("%e%")))
                .order(books::title)
                .limit_per_parent(2)
                .named(EitherTitleTop)
        })
        .unwrap();
    let books: Vec<Book> = books::table.order(books::id).load(conn).unwrap();
    let books = books
        .prefetch_author(conn)
        .unwrap()
        .prefetch_editor(conn)
        .unwrap()
        .prefetch_tags_with(conn, |t| t.filter(book_tags::weight.ge(3).or(tags::name.like("%a%"))))
        .unwrap();
    let joined = select_related(BookEditor).load_with(conn, |q| q.order(books::id)).unwrap();
    format!("{authors:#?}\n{books:#?}\n{joined:#?}")
}

/// The same, with the async loaders.
async fn nonblocking(conn: &mut AsyncConn, input: Vec<Author>, books: Vec<Book>) -> String {
    let authors = input
        .prefetch_books_async(conn)
        .await
        .unwrap()
        .prefetch_edited_books_async(conn)
        .await
        .unwrap()
        .prefetch_books_with_async(conn, |p| {
            p.filter(books::title.like("%a%")).order(books::title.desc()).then_order_by(books::id).named(FilteredBooks)
        })
        .await
        .unwrap()
        .prefetch_books_with_async(conn, |p| p.order(books::title.desc()).limit_per_parent(2).named(TopBooks))
        .await
        .unwrap()
        .prefetch_books_with_async(conn, |p| {
            p.order(books::title.desc()).offset_per_parent(1).limit_per_parent(2).named(PageTwo)
        })
        .await
        .unwrap()
        .prefetch_books_with_async(conn, |p| {
            p.named(BooksWithReviews)
                .then(async |books, conn| books.prefetch_review_set_async(conn).await?.prefetch_tags_async(conn).await)
        })
        .await
        .unwrap()
        .prefetch_profile_async(conn)
        .await
        .unwrap()
        .prefetch_books_with_async(conn, |p| {
            p.query(|q| q.filter(books::title.like("%a%")).or_filter(books::title.like("%e%")))
                .order(books::title)
                .limit_per_parent(2)
                .named(EitherTitleTop)
        })
        .await
        .unwrap();
    let books = books
        .prefetch_author_async(conn)
        .await
        .unwrap()
        .prefetch_editor_async(conn)
        .await
        .unwrap()
        .prefetch_tags_with_async(conn, |t| t.filter(book_tags::weight.ge(3).or(tags::name.like("%a%"))))
        .await
        .unwrap();
    let joined = select_related(BookEditor).load_with_async(conn, |q| q.order(books::id)).await.unwrap();
    format!("{authors:#?}\n{books:#?}\n{joined:#?}")
}

struct Connections {
    db: crate::common::TestConn<Conn>,
    conn: AsyncConn,
    rt: tokio::runtime::Runtime,
}

fn check(c: &mut Connections, data: &Dataset) -> Result<(), TestCaseError> {
    insert_all(&mut c.db, data).map_err(|e| TestCaseError::fail(format!("seed: {e}")))?;
    let input: Vec<Author> = data.input.iter().map(|&i| data.authors[i].clone()).collect();
    let count = QueryCount::install(&mut *c.db);
    let expected = blocking(&mut c.db, input.clone());
    // The blocking side loaded the books itself: one statement more.
    let blocking_statements = count.get() - 1;
    let books: Vec<Book> = books::table.order(books::id).load(&mut *c.db).unwrap();
    let count = QueryCount::install_async(&mut c.conn);
    let got = c.rt.block_on(nonblocking(&mut c.conn, input, books));
    prop_assert_eq!(got, expected);
    prop_assert_eq!(count.get(), blocking_statements);
    Ok(())
}

fn connections() -> Option<std::cell::RefCell<Connections>> {
    let db = connect()?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let conn = rt.block_on(AsyncConn::establish(db.url())).expect("async connection to the test database");
    Some(std::cell::RefCell::new(Connections { db, conn, rt }))
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::SourceParallel("proptest-regressions"),
        )),
        ..Config::default()
    }
}

/// Fewer cases than the blocking suite by default: this one compares with
/// the blocking loaders, which that suite compares with the naive loop.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64)
}

#[test]
fn async_loaders_match_blocking_loaders_on_random_data() {
    let Some(c) = connections() else { return };
    let mut runner = TestRunner::new(config(cases()));
    if let Err(e) = runner.run(&dataset(), |data| check(&mut c.borrow_mut(), &data)) {
        panic!("{e}");
    }
}

#[test]
fn async_loaders_match_blocking_loaders_when_chunked() {
    let Some(c) = connections() else { return };
    // Chunks of 7 keys on this thread: the async statements are built on it
    // too (current-thread runtime), so both sides chunk alike.
    let _chunks = diesel_relations::__private::override_max_keys_per_statement(7);
    let mut runner = TestRunner::new(config(cases() / 4));
    if let Err(e) = runner.run(&dataset(), |data| check(&mut c.borrow_mut(), &data)) {
        panic!("{e}");
    }
}
