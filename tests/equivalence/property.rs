// Included once per backend by tests/equivalence.rs, which provides `Conn` and
// `connect()`.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use diesel_relations::prelude::*;

use crate::common::models::schema::*;
use crate::common::models::*;

// Dataset, dataset(), insert_all(): shared with the async equivalence suite.
include!("dataset.rs");
// AuthorHighlights: a shape with refined fields.
include!("../shapes/refined.rs");

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
            p.filter(books::title.like("%a%")).order(books::title.desc()).then_order_by(books::id).named(FilteredBooks)
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
        .unwrap()
        // A refinement with `or_filter`: every statement (every chunk of keys)
        // must keep the key filter around the whole predicate.
        .prefetch_books_with(conn, |p| {
            p.query(|q| q.filter(books::title.like("%a%")).or_filter(books::title.like("%e%"))).named(EitherTitle)
        })
        .unwrap()
        // The same predicate with top-N, and a filtered one-to-one.
        .prefetch_books_with(conn, |p| {
            p.query(|q| q.filter(books::title.like("%a%")).or_filter(books::title.like("%e%")))
                .order(books::title)
                .limit_per_parent(2)
                .named(EitherTitleTop)
        })
        .unwrap()
        .prefetch_profile_with(conn, |p| {
            p.query(|q| q.filter(profiles::bio.like("%1%")).or_filter(profiles::bio.like("%3%"))).named(EitherBio)
        })
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
            // Ties in title broken by key, as the loader asks: without it two
            // books with one title may come back in either order.
            .order((books::title.desc(), books::id))
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
        let either = books::title.like("%a%").or(books::title.like("%e%"));
        let naive: Vec<Book> =
            books::table.filter(books::author_id.eq(author.id)).filter(either).order(books::id).load(conn).unwrap();
        prop_assert_eq!(got.loaded(EitherTitle), &naive);
        let naive: Vec<Book> = books::table
            .filter(books::author_id.eq(author.id))
            .filter(either)
            .order((books::title, books::id))
            .limit(2)
            .load(conn)
            .unwrap();
        prop_assert_eq!(got.loaded(EitherTitleTop), &naive);
        let naive: Option<Profile> = profiles::table
            .filter(profiles::author_id.eq(author.id))
            .filter(profiles::bio.like("%1%").or(profiles::bio.like("%3%")))
            .first(conn)
            .optional()
            .unwrap();
        prop_assert_eq!(got.loaded(EitherBio), &naive);
    }

    // Aggregates per parent (a count, a nullable key's existence, a filtered
    // count): a naive `COUNT(*)` per parent, however the keys are chunked.
    let counted = input
        .clone()
        .prefetch_count(AuthorBooks, conn)
        .unwrap()
        .prefetch_exists(AuthorEditedBooks, conn)
        .unwrap()
        .prefetch_count_with(AuthorFavorites, conn, |f| f.filter(favorites::book_id.gt(2)))
        .unwrap();
    for (author, got) in input.iter().zip(&counted) {
        let naive: i64 = books::table.filter(books::author_id.eq(author.id)).count().get_result(conn).unwrap();
        prop_assert_eq!(got.count(AuthorBooks), naive);
        let naive: i64 = books::table.filter(books::editor_id.eq(author.id)).count().get_result(conn).unwrap();
        prop_assert_eq!(got.exists(AuthorEditedBooks), naive > 0);
        let naive: i64 = favorites::table
            .filter(favorites::author_id.eq(author.id))
            .filter(favorites::book_id.gt(2))
            .count()
            .get_result(conn)
            .unwrap();
        prop_assert_eq!(got.count(AuthorFavorites), naive);
    }
    // Column aggregates: `MAX`, `SUM`, a filtered `MIN` of text.
    let aggregated = input
        .clone()
        .prefetch_aggregate(AuthorBooks, diesel_relations::Max(books::id), conn)
        .unwrap()
        .prefetch_aggregate(AuthorBooks, diesel_relations::Sum(books::id), conn)
        .unwrap()
        .prefetch_aggregate_with(AuthorBooks, diesel_relations::Min(books::title), conn, |f| {
            f.filter(books::title.like("%a%"))
        })
        .unwrap();
    for (author, got) in input.iter().zip(&aggregated) {
        let mine = books::table.filter(books::author_id.eq(author.id));
        let naive: Option<i32> = mine.select(diesel::dsl::max(books::id)).first(conn).unwrap();
        prop_assert_eq!(got.aggregate(AuthorBooks, diesel_relations::Max(books::id)), &naive);
        let naive: Option<i64> = mine.select(diesel::dsl::sum(books::id)).first(conn).unwrap();
        prop_assert_eq!(got.aggregate(AuthorBooks, diesel_relations::Sum(books::id)), &naive);
        let naive: Option<String> =
            mine.filter(books::title.like("%a%")).select(diesel::dsl::min(books::title)).first(conn).unwrap();
        prop_assert_eq!(got.aggregate(AuthorBooks, diesel_relations::Min(books::title)), &naive);
    }
    // Several aggregates in one statement, filtered: `COUNT`, `AVG` and
    // `SUM` of a nullable column (NULLs skipped) against the loaded values.
    use diesel_relations::{Avg, CountOf, Max, Sum};
    let together = (CountOf(books::editor_id), Avg(books::editor_id), Sum(books::editor_id), Avg(books::id));
    let aggregated = input
        .clone()
        .prefetch_aggregate_with(AuthorBooks, together, conn, |f| f.filter(books::title.like("%e%")))
        .unwrap();
    for (author, got) in input.iter().zip(&aggregated) {
        let rows: Vec<(i32, Option<i32>)> = books::table
            .filter(books::author_id.eq(author.id))
            .filter(books::title.like("%e%"))
            .select((books::id, books::editor_id))
            .load(conn)
            .unwrap();
        let editors: Vec<i64> = rows.iter().filter_map(|r| r.1.map(i64::from)).collect();
        let mean = |v: &[i64]| (!v.is_empty()).then(|| v.iter().sum::<i64>() as f64 / v.len() as f64);
        let ids: Vec<i64> = rows.iter().map(|r| i64::from(r.0)).collect();
        let naive = (
            editors.len() as i64,
            mean(&editors),
            (!editors.is_empty()).then(|| editors.iter().sum::<i64>()),
            mean(&ids),
        );
        prop_assert_eq!(got.aggregate(AuthorBooks, together), &naive);
    }
    // Many-to-many aggregates, filtered on the target's table: the author's
    // favorite books through the join, per author.
    let favorite = (CountOf(books::id), Max(books::title));
    let aggregated = input
        .clone()
        .prefetch_count(AuthorFavoriteBooks, conn)
        .unwrap()
        .prefetch_aggregate_with(AuthorFavoriteBooks, favorite, conn, |f| f.filter(books::title.like("%e%")))
        .unwrap();
    for (author, got) in input.iter().zip(&aggregated) {
        let mine = || {
            favorites::table
                .inner_join(books::table.on(books::id.eq(favorites::book_id)))
                .filter(favorites::author_id.eq(author.id))
        };
        let naive: i64 = mine().count().get_result(conn).unwrap();
        prop_assert_eq!(got.count(AuthorFavoriteBooks), naive);
        let kept = || mine().filter(books::title.like("%e%"));
        let naive: (i64, Option<String>) = (
            kept().count().get_result(conn).unwrap(),
            kept().select(diesel::dsl::max(books::title)).first(conn).unwrap(),
        );
        prop_assert_eq!(got.aggregate(AuthorFavoriteBooks, favorite), &naive);
    }

    // A declared shape (every relation kind, nested) onto the same parents:
    // the same trees as the naive loop, however the keys are chunked.
    let cards = crate::cards::AuthorCard::from_models(input.clone(), conn).unwrap();
    prop_assert_eq!(cards.len(), input.len());
    for (author, card) in input.iter().zip(&cards) {
        prop_assert_eq!(&card.author, author);
        let naive: Vec<Book> = books::table.filter(books::author_id.eq(author.id)).order(books::id).load(conn).unwrap();
        prop_assert_eq!(card.books.len(), naive.len());
        for (shaped, naive_book) in card.books.iter().zip(&naive) {
            prop_assert_eq!(&shaped.book, naive_book);
            let naive: Vec<Review> =
                reviews::table.filter(reviews::book_id.eq(naive_book.id)).order(reviews::id).load(conn).unwrap();
            prop_assert_eq!(&shaped.review_set, &naive);
            let naive: Vec<Tag> = book_tags::table
                .inner_join(tags::table.on(tags::id.eq(book_tags::tag_id)))
                .filter(book_tags::book_id.eq(naive_book.id))
                .order(book_tags::id)
                .select(Tag::as_select())
                .load(conn)
                .unwrap();
            prop_assert_eq!(&shaped.tags, &naive);
        }
        let naive: Option<Profile> = profiles::table.filter(profiles::author_id.eq(author.id)).first(conn).optional().unwrap();
        prop_assert_eq!(&card.profile, &naive);
        let naive: Vec<Book> = books::table.filter(books::editor_id.eq(author.id)).order(books::id).load(conn).unwrap();
        prop_assert_eq!(&card.edited_books, &naive);
        let naive: Vec<Book> = favorites::table
            .inner_join(books::table.on(books::id.eq(favorites::book_id)))
            .filter(favorites::author_id.eq(author.id))
            .order(favorites::book_id)
            .select(Book::as_select())
            .load(conn)
            .unwrap();
        prop_assert_eq!(&card.favorite_books, &naive);
    }
    // Refined fields (top-N, filters on has-many, one-to-one and
    // many-to-many), chunked or not: the naive queries' rows.
    let cards = AuthorHighlights::from_models(input.clone(), conn).unwrap();
    for (author, card) in input.iter().zip(&cards) {
        let naive: Vec<Book> = books::table
            .filter(books::author_id.eq(author.id))
            .order((books::title.desc(), books::id))
            .limit(2)
            .load(conn)
            .unwrap();
        prop_assert_eq!(card.newest.iter().map(|b| b.book.clone()).collect::<Vec<_>>(), naive);
        let naive: Vec<Book> = books::table
            .filter(books::author_id.eq(author.id))
            .filter(books::title.like("%e%"))
            .order(books::id)
            .load(conn)
            .unwrap();
        prop_assert_eq!(&card.with_an_e, &naive);
        let naive: Option<Profile> = profiles::table
            .filter(profiles::author_id.eq(author.id))
            .filter(profiles::bio.like("%a%").or(profiles::bio.like("%1%")))
            .first(conn)
            .optional()
            .unwrap();
        prop_assert_eq!(&card.profile, &naive);
        let naive: Vec<Book> = favorites::table
            .inner_join(books::table.on(books::id.eq(favorites::book_id)))
            .filter(favorites::author_id.eq(author.id))
            .filter(books::title.like("%i%"))
            .order(favorites::book_id)
            .select(Book::as_select())
            .load(conn)
            .unwrap();
        prop_assert_eq!(&card.favorites, &naive);
    }
    // Forward relations shaped again, onto every book.
    let all_books: Vec<Book> = books::table.order(books::id).load(conn).unwrap();
    let cards = crate::cards::BookCard::from_models(all_books.clone(), conn).unwrap();
    prop_assert_eq!(cards.len(), all_books.len());
    for (book, card) in all_books.iter().zip(&cards) {
        prop_assert_eq!(&card.book, book);
        let author: Author = authors::table.find(book.author_id).first(conn).unwrap();
        prop_assert_eq!(&card.author.author, &author);
        let naive: Vec<Book> = books::table.filter(books::author_id.eq(author.id)).order(books::id).load(conn).unwrap();
        prop_assert_eq!(&card.author.written, &naive);
        let naive: Vec<Book> = books::table.filter(books::editor_id.eq(author.id)).order(books::id).load(conn).unwrap();
        prop_assert_eq!(&card.author.edited, &naive);
        let editor: Option<Author> = book.editor_id.map(|id| authors::table.find(id).first(conn).unwrap());
        prop_assert_eq!(&card.editor, &editor);
    }
    // A joined field (`load_joined`): the join's rows, shaped, equal the
    // same shape prefetched onto every book, whose author is the naive one.
    let joined = crate::cards::JoinedBookCard::load_joined(conn, |q| q.order(books::id)).unwrap();
    let prefetched = crate::cards::JoinedBookCard::from_models(all_books.clone(), conn).unwrap();
    prop_assert_eq!(&joined, &prefetched);
    for (card, book) in joined.iter().zip(&cards) {
        prop_assert_eq!(&card.author.author, &book.author.author);
        prop_assert_eq!(&card.author.written, &book.author.written);
    }

    // Belongs-to (required and nullable), the join, many-to-many.
    let books: Vec<Book> = books::table.order(books::id).load(conn).unwrap();
    let loaded = books
        .clone()
        .prefetch_author(conn)
        .unwrap()
        .prefetch_editor(conn)
        .unwrap()
        .prefetch_tags_with(conn, |t| t.filter(book_tags::weight.ge(3).or(tags::name.like("%a%"))))
        .unwrap();
    let joined = select_related(BookEditor).load_with(conn, |q| q.order(books::id)).unwrap();
    prop_assert_eq!(joined.len(), books.len());
    // The same parents shared (one `Arc` per key).
    let shared = books.clone().prefetch_shared(BookAuthor, conn).unwrap().prefetch_shared(BookEditor, conn).unwrap();
    prop_assert_eq!(shared.len(), books.len());
    for (((book, got), joined), shared) in books.iter().zip(&loaded).zip(&joined).zip(&shared) {
        let author: Author = authors::table.find(book.author_id).first(conn).unwrap();
        prop_assert_eq!(got.author(), &author);
        prop_assert_eq!(&**shared.author(), &author);
        let editor: Option<Author> = book.editor_id.map(|id| authors::table.find(id).first(conn).unwrap());
        prop_assert_eq!(got.editor(), &editor);
        prop_assert_eq!(shared.editor().as_deref(), editor.as_ref());
        prop_assert_eq!(&**joined, book);
        prop_assert_eq!(joined.editor(), &editor);
        let naive: Vec<Tag> = book_tags::table
            .inner_join(tags::table.on(tags::id.eq(book_tags::tag_id)))
            .filter(book_tags::book_id.eq(book.id))
            .filter(book_tags::weight.ge(3).or(tags::name.like("%a%")))
            .order(book_tags::id)
            .select(Tag::as_select())
            .load(conn)
            .unwrap();
        prop_assert_eq!(got.tags(), &naive);
    }

    // The key-based loaders (what the GraphQL DataLoaders run): each key gets
    // the naive rows — plain, top-N, one-to-one, counted, many-to-many — and
    // each foreign-key value its parent, however the keys are chunked; a key
    // with no parent row gets nothing.
    use diesel_relations::keyed;
    let missing = (i32::MIN..).find(|k| data.authors.iter().all(|a| a.id != *k)).unwrap();
    let keys: Vec<i32> = input.iter().map(|a| a.id).chain([missing]).collect();
    let plain = keyed::has_many(AuthorBooks, keys.clone(), conn).unwrap();
    let top = keyed::has_many_with(AuthorBooks, keys.clone(), conn, |p| p.order(books::title.desc()).limit_per_parent(2))
        .unwrap();
    let profile = keyed::has_one(AuthorProfile, keys.clone(), conn).unwrap();
    let count = keyed::count(AuthorBooks, keys.clone(), conn).unwrap();
    let favorite = keyed::many_to_many(AuthorFavoriteBooks, keys.clone(), conn).unwrap();
    for key in &keys {
        let naive: Vec<Book> = books::table.filter(books::author_id.eq(key)).order(books::id).load(conn).unwrap();
        prop_assert_eq!(&plain[key], &naive);
        prop_assert_eq!(count[key], naive.len() as i64);
        let naive: Vec<Book> = books::table
            .filter(books::author_id.eq(key))
            .order((books::title.desc(), books::id))
            .limit(2)
            .load(conn)
            .unwrap();
        prop_assert_eq!(&top[key], &naive);
        let naive: Option<Profile> = profiles::table.filter(profiles::author_id.eq(key)).first(conn).optional().unwrap();
        prop_assert_eq!(&profile[key], &naive);
        let naive: Vec<Book> = favorites::table
            .inner_join(books::table.on(books::id.eq(favorites::book_id)))
            .filter(favorites::author_id.eq(key))
            .order(favorites::book_id)
            .select(Book::as_select())
            .load(conn)
            .unwrap();
        prop_assert_eq!(&favorite[key], &naive);
    }
    let author_keys: Vec<i32> = books.iter().map(|b| b.author_id).chain([missing]).collect();
    let parents = keyed::belongs_to(BookAuthor, author_keys, conn).unwrap();
    for book in &books {
        let author: Author = authors::table.find(book.author_id).first(conn).unwrap();
        prop_assert_eq!(&parents[&book.author_id], &author);
    }
    prop_assert!(!parents.contains_key(&missing));
    Ok(())
}

diesel_relations::alias! {
    FilteredBooks;
    TopBooks;
    PageTwo;
    BooksWithReviews;
    EitherTitle;
    EitherTitleTop;
    EitherBio;
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
    // Forced small batches also make the streamed grouping decide after one
    // run, so rows a refinement orders across parents take its flat fallback.
    let _chunks = diesel_relations::__private::override_max_keys_per_statement(7);
    let mut runner = TestRunner::new(config(cases() / 4));
    let result = runner.run(&dataset(), |data| check(&mut conn.borrow_mut(), &data));
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The same checks with unrefined many-to-many loads forced onto the join
/// plan (the default is a two-step plan; refined loads always join), so
/// every plan is held to the naive loop on random data.
#[test]
fn prefetch_matches_naive_loading_with_the_join_plan() {
    use diesel_relations::__private::{override_many_to_many_plan, ManyToManyPlan};
    let Some(conn) = connect() else { return };
    let conn = std::cell::RefCell::new(conn);
    let _plan = override_many_to_many_plan(ManyToManyPlan::Join);
    let mut runner = TestRunner::new(config(cases() / 4));
    let result = runner.run(&dataset(), |data| check(&mut conn.borrow_mut(), &data));
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The same checks under the adaptive plan's two steps (MariaDB's default
/// from 1,000 parents on) with keys in chunks of 7, on every backend: books to tags read the few tags by key,
/// authors to favorite books mostly read the books through the authors'
/// keys, and a book linked from two chunks comes back twice.
#[test]
fn prefetch_matches_naive_loading_with_the_adaptive_plan_when_chunked() {
    use diesel_relations::__private::{override_many_to_many_plan, ManyToManyPlan};
    let Some(conn) = connect() else { return };
    let conn = std::cell::RefCell::new(conn);
    let _plan = override_many_to_many_plan(ManyToManyPlan::Adaptive { join_below: 0 });
    let _chunks = diesel_relations::__private::override_max_keys_per_statement(7);
    let mut runner = TestRunner::new(config(cases() / 4));
    let result = runner.run(&dataset(), |data| check(&mut conn.borrow_mut(), &data));
    if let Err(e) = result {
        panic!("{e}");
    }
}
