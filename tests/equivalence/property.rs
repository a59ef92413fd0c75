// Included once per backend by tests/equivalence.rs, which provides `Conn` and
// `connect()`.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use relations_runtime::prelude::*;

use crate::common::models::schema::*;
use crate::common::models::*;

/// Everything one case puts in the database, and which parents it asks about.
#[derive(Debug, Clone)]
struct Dataset {
    authors: Vec<Author>,
    books: Vec<Book>,
    reviews: Vec<Review>,
    profiles: Vec<Profile>,
    tags: Vec<Tag>,
    links: Vec<BookTag>,
    /// Indexes into `authors`, with repeats: the input of the prefetch.
    input: Vec<usize>,
}

fn text() -> impl Strategy<Value = String> {
    // Quotes, SQL comment and statement characters, unicode; no NUL (PostgreSQL
    // text cannot hold it).
    proptest::string::string_regex("[a-zA-Z0-9 '\";%_-]{0,6}|[αβγ日本🦀é]{0,3}|-- ;'\"").unwrap()
}

fn key() -> impl Strategy<Value = i32> {
    prop_oneof![
        3 => -1_000..1_000i32,
        1 => Just(i32::MIN + 1),
        1 => Just(i32::MAX),
        1 => any::<i32>(),
    ]
}

fn dataset() -> impl Strategy<Value = Dataset> {
    (
        proptest::collection::btree_set(key(), 0..200),
        proptest::collection::vec(text(), 200),
    )
        .prop_flat_map(|(ids, names)| {
            let authors: Vec<Author> = ids
                .into_iter()
                .zip(names)
                .map(|(id, name)| Author { id, name })
                .collect();
            let n = authors.len();
            // Books point at existing authors only (a dangling key is its own
            // test); up to 20 per author on average, some authors none.
            let book = (0..n.max(1), proptest::option::of(0..n.max(1)), text());
            let books = if n == 0 {
                Just(Vec::new()).boxed()
            } else {
                proptest::collection::vec(book, 0..(n * 10).min(2_000) + 1)
                    .prop_map({
                        let authors = authors.clone();
                        move |rows| {
                            rows.into_iter()
                                .enumerate()
                                .map(|(i, (a, e, title))| Book {
                                    // Keys not in insertion order.
                                    id: (i as i32 * 7919) % 1_000_003 - 500_000,
                                    author_id: authors[a].id,
                                    editor_id: e.map(|e| authors[e].id),
                                    title,
                                })
                                .collect()
                        }
                    })
                    .boxed()
            };
            let input = proptest::collection::vec(0..n.max(1), 0..(n + 10).min(220));
            (Just(authors), books, input, any::<u64>())
        })
        .prop_map(|(authors, books, input, seed)| {
            let input = if authors.is_empty() { Vec::new() } else { input };
            // Reviews, profiles, tags and links, derived from a seed so that
            // shrinking works on the parts above.
            let mut rng = seed;
            let mut next = move |m: usize| {
                rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((rng >> 33) as usize) % m.max(1)
            };
            let reviews: Vec<Review> = if books.is_empty() {
                Vec::new()
            } else {
                (0..next(books.len() * 2))
                    .map(|i| Review { id: i as i32, book_id: books[next(books.len())].id, stars: next(6) as i32 })
                    .collect()
            };
            let profiles: Vec<Profile> = authors
                .iter()
                .enumerate()
                .filter(|_| next(2) == 0)
                .map(|(i, a)| Profile { id: i as i32, author_id: a.id, bio: format!("bio {i}") })
                .collect();
            let tags: Vec<Tag> = (0..next(8)).map(|i| Tag { id: 100 - i as i32, name: format!("t{}", next(3)) }).collect();
            let links: Vec<BookTag> = if books.is_empty() || tags.is_empty() {
                Vec::new()
            } else {
                (0..next(books.len() * 2))
                    .map(|i| BookTag {
                        id: 5_000 - i as i32,
                        book_id: books[next(books.len())].id,
                        tag_id: tags[next(tags.len())].id,
                        weight: next(10) as i32,
                    })
                    .collect()
            };
            Dataset { authors, books, reviews, profiles, tags, links, input }
        })
}

fn insert_all(conn: &mut Conn, data: &Dataset) -> QueryResult<()> {
    conn.batch_execute(
        "DELETE FROM book_tags; DELETE FROM tags; DELETE FROM profiles; DELETE FROM reviews; \
         DELETE FROM books; DELETE FROM authors;",
    )?;
    for chunk in data.authors.chunks(500) {
        diesel::insert_into(authors::table).values(chunk).execute(conn)?;
    }
    for chunk in data.books.chunks(500) {
        diesel::insert_into(books::table).values(chunk).execute(conn)?;
    }
    for chunk in data.reviews.chunks(500) {
        diesel::insert_into(reviews::table).values(chunk).execute(conn)?;
    }
    for chunk in data.profiles.chunks(500) {
        diesel::insert_into(profiles::table).values(chunk).execute(conn)?;
    }
    for chunk in data.tags.chunks(500) {
        diesel::insert_into(tags::table).values(chunk).execute(conn)?;
    }
    for chunk in data.links.chunks(500) {
        diesel::insert_into(book_tags::table).values(chunk).execute(conn)?;
    }
    Ok(())
}

/// The naive loop, one query per parent, and the prefetch, on the same data.
fn check(conn: &mut Conn, data: &Dataset) -> Result<(), TestCaseError> {
    insert_all(conn, data).map_err(|e| TestCaseError::fail(format!("seed: {e}")))?;
    let input: Vec<Author> = data.input.iter().map(|&i| data.authors[i].clone()).collect();

    // Has-many, nullable has-many, filtered and ordered, top-N, nested, one-to-one.
    let loaded = input
        .clone()
        .prefetch_books(conn)
        .unwrap()
        .prefetch_edited_books(conn)
        .unwrap()
        .prefetch_books_with(conn, |p| {
            p.filter(books::title.like("%a%")).order(books::title.desc()).named(FilteredBooks)
        })
        .unwrap()
        .prefetch_books_with(conn, |p| p.order(books::title.desc()).limit_per_parent(2).named(TopBooks))
        .unwrap()
        .prefetch_books_with(conn, |p| {
            p.order(books::title.desc()).offset_per_parent(1).limit_per_parent(2).named(PageTwo)
        })
        .unwrap()
        .prefetch_books_with(conn, |p| {
            p.named(BooksWithReviews).then(|books, conn| books.prefetch_review_set(conn))
        })
        .unwrap()
        .prefetch_profile(conn)
        .unwrap();
    prop_assert_eq!(loaded.len(), input.len());
    for (author, got) in input.iter().zip(&loaded) {
        prop_assert_eq!(&got.name, &author.name);
        let naive: Vec<Book> = books::table.filter(books::author_id.eq(author.id)).order(books::id).load(conn).unwrap();
        prop_assert_eq!(got.books(), &naive);
        let naive: Vec<Book> = books::table.filter(books::editor_id.eq(author.id)).order(books::id).load(conn).unwrap();
        prop_assert_eq!(got.edited_books(), &naive);
        let naive: Vec<Book> = books::table
            .filter(books::author_id.eq(author.id))
            .filter(books::title.like("%a%"))
            .order(books::title.desc())
            .load(conn)
            .unwrap();
        prop_assert_eq!(got.loaded(FilteredBooks), &naive);
        let naive: Vec<Book> = books::table
            .filter(books::author_id.eq(author.id))
            .order((books::title.desc(), books::id))
            .limit(2)
            .load(conn)
            .unwrap();
        prop_assert_eq!(got.loaded(TopBooks), &naive);
        let naive: Vec<Book> = books::table
            .filter(books::author_id.eq(author.id))
            .order((books::title.desc(), books::id))
            .offset(1)
            .limit(2)
            .load(conn)
            .unwrap();
        prop_assert_eq!(got.loaded(PageTwo), &naive);
        let with_reviews = got.loaded(BooksWithReviews);
        let naive: Vec<Book> = books::table.filter(books::author_id.eq(author.id)).order(books::id).load(conn).unwrap();
        prop_assert_eq!(with_reviews.len(), naive.len());
        for (book, naive_book) in with_reviews.iter().zip(&naive) {
            prop_assert_eq!(&**book, naive_book);
            let naive: Vec<Review> = reviews::table.filter(reviews::book_id.eq(book.id)).order(reviews::id).load(conn).unwrap();
            prop_assert_eq!(book.review_set(), &naive);
        }
        let naive: Option<Profile> = profiles::table.filter(profiles::author_id.eq(author.id)).first(conn).optional().unwrap();
        prop_assert_eq!(got.profile(), &naive);
    }

    // Belongs-to (required and nullable), the join, many-to-many.
    let books: Vec<Book> = books::table.order(books::id).load(conn).unwrap();
    let loaded = books.clone().prefetch_author(conn).unwrap().prefetch_editor(conn).unwrap().prefetch_tags(conn).unwrap();
    let joined = select_related(BookEditor).load_with(conn, |q| q.order(books::id)).unwrap();
    prop_assert_eq!(joined.len(), books.len());
    for ((book, got), joined) in books.iter().zip(&loaded).zip(&joined) {
        let author: Author = authors::table.find(book.author_id).first(conn).unwrap();
        prop_assert_eq!(got.author(), &author);
        let editor: Option<Author> = match book.editor_id {
            Some(id) => Some(authors::table.find(id).first(conn).unwrap()),
            None => None,
        };
        prop_assert_eq!(got.editor(), &editor);
        prop_assert_eq!(&**joined, book);
        prop_assert_eq!(joined.editor(), &editor);
        let naive: Vec<Tag> = book_tags::table
            .inner_join(tags::table.on(tags::id.eq(book_tags::tag_id)))
            .filter(book_tags::book_id.eq(book.id))
            .order(book_tags::id)
            .select(Tag::as_select())
            .load(conn)
            .unwrap();
        prop_assert_eq!(got.tags(), &naive);
    }
    Ok(())
}

relations_runtime::alias! {
    FilteredBooks;
    TopBooks;
    PageTwo;
    BooksWithReviews;
}

/// Shrunk failures are saved next to this file (proptest-regressions/) and
/// run first on every later run: commit them as regression cases.
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

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(256)
}

#[test]
fn prefetch_matches_naive_loading_on_random_data() {
    let Some(conn) = connect() else { return };
    // The runner takes a `Fn`: the connection is borrowed through a RefCell.
    let conn = std::cell::RefCell::new(conn);
    let mut runner = TestRunner::new(config(cases()));
    let result = runner.run(&dataset(), |data| check(&mut conn.borrow_mut(), &data));
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn prefetch_matches_naive_loading_when_chunked() {
    let Some(conn) = connect() else { return };
    let conn = std::cell::RefCell::new(conn);
    // Chunks of 7 keys: every case with more parents spans several statements.
    let _chunks = relations_runtime::__private::override_max_keys_per_statement(7);
    let mut runner = TestRunner::new(config(cases() / 4));
    let result = runner.run(&dataset(), |data| check(&mut conn.borrow_mut(), &data));
    if let Err(e) = result {
        panic!("{e}");
    }
}
