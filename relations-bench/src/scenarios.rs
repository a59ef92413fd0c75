//! The scenarios, each with its implementations: `relations` (the generated
//! loaders), `diesel` (what a Diesel user writes by hand today), `nplus1` (the
//! loop, where it applies) and `floor` (the statements `relations` runs,
//! decoded into the same structs, with no grouping). With features `async`
//! and `postgres`, src/asynchronous.rs adds `relations_async` to PostgreSQL's
//! scenarios, with the parent queries and tallies defined here.
//!
//! The code is the same for every backend, but each backend has its own
//! connection type and Diesel bounds; `backend!` writes one module per backend
//! instead of a generic function with Diesel's bounds spelled out.
//!
//! To add a scenario: write its implementations next to the others in
//! `backend!` (each one `measure(conn, load, tally)`), add a `Scenario` to
//! `scenarios()`, and remove its entry from [`PLANNED`].

use diesel::dsl::{AsSelect, Limit, Order, Select};

use crate::schema::{authors, books, Author, Book};

/// Scenarios of issue 5 that need a library feature that does not exist yet.
/// They are listed, never run: there is no `relations` implementation to
/// compare, and nothing is printed for them but this note.
pub const PLANNED: &[(&str, &str)] = &[];

/// The scenarios each backend runs, in order.
pub const SCENARIOS: &[&str] = &[
    "reverse_fk_all",
    "filtered_ordered",
    "nested_2_levels",
    "many_to_many",
    "many_to_many_reverse",
    "forward_join",
    "forward_prefetch",
    "top3_per_author",
    "count_per_author",
    "max_per_author",
    "stats_per_author",
    "prefetch_1000",
    "n_plus_one_1000",
];

/// How many authors `prefetch_1000` and `n_plus_one_1000` load.
const FIRST_N: i64 = 1_000;

/// The parent queries, shared by the blocking and the async implementations
/// (so both run the same statements).
pub type AllAuthors<Db> = Select<authors::table, AsSelect<Author, Db>>;
pub type FirstAuthors<Db> = Select<Limit<Order<authors::table, authors::id>>, AsSelect<Author, Db>>;
pub type AllBooks<Db> = Select<books::table, AsSelect<Book, Db>>;

/// The position in `parents` of each child's parent, found as a careful
/// Diesel user finds it, without a hash: the parent of the previous child,
/// else the next parent (children come clustered in parent order), else a
/// binary search over the parents' ids. A child of no parent is `NotFound`.
/// The hand-written `floor_owned` and `floor_shared` lines build their
/// results with it.
pub(crate) fn parent_slots<P, C>(
    parents: &[P],
    id: impl Fn(&P) -> i32,
    children: &[C],
    parent_id: impl Fn(&C) -> i32,
) -> diesel::QueryResult<Vec<usize>> {
    let mut index: Vec<(i32, usize)> = parents.iter().map(&id).zip(0..).collect();
    index.sort_unstable();
    let find = |key: i32, last: Option<usize>| -> Option<usize> {
        if let Some(next) = last.map(|s| s + 1).filter(|&s| s < parents.len()) {
            if id(&parents[next]) == key {
                return Some(next);
            }
        }
        let at = index.binary_search_by_key(&key, |&(k, _)| k).ok()?;
        Some(index[at].1)
    };
    let mut slots = Vec::with_capacity(children.len());
    let mut last: Option<(i32, usize)> = None;
    for child in children {
        let key = parent_id(child);
        let slot = match last {
            Some((k, slot)) if k == key => slot,
            _ => find(key, last.map(|(_, s)| s)).ok_or(diesel::result::Error::NotFound)?,
        };
        last = Some((key, slot));
        slots.push(slot);
    }
    Ok(slots)
}

/// `children` grouped under `parents` by hand, as a careful Diesel user
/// writes it for the `floor_owned` lines of the has-many scenarios: one
/// group per parent (in `parents`' order), each sized exactly before it is
/// filled, the children in the order they came, or sorted by `order` (what
/// the library guarantees where the backend sends them unordered). Parents
/// are found by [`parent_slots`].
pub(crate) fn group_by_hand<P, C>(
    parents: &[P],
    id: impl Fn(&P) -> i32,
    children: Vec<C>,
    parent_id: impl Fn(&C) -> i32,
    order: Option<fn(&C) -> i32>,
) -> diesel::QueryResult<Vec<Vec<C>>> {
    let slots = parent_slots(parents, id, &children, parent_id)?;
    let mut counts = vec![0usize; parents.len()];
    slots.iter().for_each(|&slot| counts[slot] += 1);
    let mut groups: Vec<Vec<C>> = counts.into_iter().map(Vec::with_capacity).collect();
    for (child, slot) in children.into_iter().zip(slots) {
        groups[slot].push(child);
    }
    if let Some(order) = order {
        groups
            .iter_mut()
            .for_each(|g| g.sort_unstable_by_key(order));
    }
    Ok(groups)
}

macro_rules! backend {
    (
        conn = $conn:ty,
        db = $db:ty,
        diesel_max_keys = $diesel_max_keys:expr,
        version_sql = $version_sql:expr $(,)?
    ) => {
        use std::collections::HashSet;

        use diesel::dsl::sql;
        use diesel::prelude::*;
        use diesel::sql_types::Text;
        use diesel_relations::prelude::*;

        use crate::data::{self, Sizes};
        use crate::runner::{measure, Impl, Loaded, Run, Scenario, Timed};
        use crate::schema::*;

        use super::FIRST_N;

        pub type Conn = $conn;
        type Db = $db;

        /// Keys per statement in the hand-written Diesel: the backend's own
        /// bind limit (`None`: PostgreSQL binds the keys as one array).
        const DIESEL_MAX_KEYS: Option<usize> = $diesel_max_keys;

        /// The database's version string.
        pub fn version(conn: &mut Conn) -> QueryResult<String> {
            diesel::select(sql::<Text>($version_sql)).get_result(conn)
        }

        /// Rows per table, in `TABLES` order.
        pub fn counts(conn: &mut Conn) -> QueryResult<[i64; 5]> {
            Ok([
                authors::table.count().get_result(conn)?,
                books::table.count().get_result(conn)?,
                reviews::table.count().get_result(conn)?,
                tags::table.count().get_result(conn)?,
                book_tags::table.count().get_result(conn)?,
            ])
        }

        /// Fill the (empty) tables with the dataset: multi-row INSERTs, each
        /// below the backend's bind limit, in one transaction.
        pub fn fill(conn: &mut Conn, sizes: &Sizes, seed: u64) -> QueryResult<()> {
            let binds = diesel_relations::keys_per_statement::<Db>().unwrap_or(65_535) as u64;
            let per = |columns: u64| (binds / columns).clamp(1, 10_000);
            conn.transaction(|conn| {
                for ids in data::batches(u64::from(sizes.authors), per(2)) {
                    diesel::insert_into(authors::table)
                        .values(&data::authors(seed, ids))
                        .execute(conn)?;
                }
                for ids in data::batches(sizes.books(), per(5)) {
                    diesel::insert_into(books::table)
                        .values(&data::books(seed, sizes, ids))
                        .execute(conn)?;
                }
                for ids in data::batches(sizes.reviews(), per(4)) {
                    diesel::insert_into(reviews::table)
                        .values(&data::reviews(seed, sizes, ids))
                        .execute(conn)?;
                }
                for chunk in data::tags(sizes).chunks(per(2) as usize) {
                    diesel::insert_into(tags::table)
                        .values(chunk)
                        .execute(conn)?;
                }
                let books_per_insert = per(3) / u64::from(sizes.tags_per_book.max(1));
                for books in data::batches(sizes.books(), books_per_insert) {
                    diesel::insert_into(book_tags::table)
                        .values(&data::book_tags(seed, sizes, books))
                        .execute(conn)?;
                }
                Ok(())
            })
        }

        pub(crate) fn all_authors_query() -> super::AllAuthors<Db> {
            authors::table.select(Author::as_select())
        }

        pub(crate) fn first_authors_query() -> super::FirstAuthors<Db> {
            authors::table
                .order(authors::id)
                .limit(FIRST_N)
                .select(Author::as_select())
        }

        pub(crate) fn all_books_query() -> super::AllBooks<Db> {
            books::table.select(Book::as_select())
        }

        fn all_authors(conn: &mut Conn) -> QueryResult<Vec<Author>> {
            all_authors_query().load(conn)
        }

        fn first_authors(conn: &mut Conn) -> QueryResult<Vec<Author>> {
            first_authors_query().load(conn)
        }

        fn all_books(conn: &mut Conn) -> QueryResult<Vec<Book>> {
            all_books_query().load(conn)
        }

        /// The floor's chunking: exactly the library's (same chunk size, same
        /// key order), so the floor runs the same statements.
        fn in_chunks<T>(
            keys: Vec<i32>,
            mut load: impl FnMut(Vec<i32>) -> QueryResult<Vec<T>>,
        ) -> QueryResult<Vec<T>> {
            match diesel_relations::keys_per_statement::<Db>() {
                Some(max) if keys.len() > max => {
                    let mut rows = Vec::new();
                    for chunk in keys.chunks(max) {
                        rows.extend(load(chunk.to_vec())?);
                    }
                    Ok(rows)
                }
                _ => load(keys),
            }
        }

        /// The library's default child order on this backend: `(fk, pk)`
        /// where that reads from the index without a sort, none where the
        /// library sorts in memory (the floor does not group, so it does not
        /// sort either), else `pk`.
        fn library_order(
            q: books::BoxedQuery<
                'static,
                Db,
                diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<Book, Db>>,
            >,
        ) -> books::BoxedQuery<'static, Db, diesel::dsl::SqlTypeOf<diesel::dsl::AsSelect<Book, Db>>>
        {
            match <Db as diesel_relations::KeyBatching>::child_order() {
                diesel_relations::ChildOrder::OrderByForeignKeyThenKey => {
                    q.order((books::author_id, books::id))
                }
                diesel_relations::ChildOrder::InMemory => q,
                diesel_relations::ChildOrder::OrderByKey => q.order(books::id),
            }
        }

        /// The hand-written baseline's chunking: `load` once per slice of at
        /// most the backend's bind limit (once in all on PostgreSQL), as a
        /// Diesel user writes to avoid "too many SQL variables".
        fn diesel_chunks<P, T>(
            parents: &[P],
            mut load: impl FnMut(&[P]) -> QueryResult<Vec<T>>,
        ) -> QueryResult<Vec<T>> {
            match DIESEL_MAX_KEYS {
                Some(max) if parents.len() > max => {
                    let mut rows = Vec::new();
                    for chunk in parents.chunks(max) {
                        rows.extend(load(chunk)?);
                    }
                    Ok(rows)
                }
                _ => load(parents),
            }
        }

        // ---- has-many: authors with their books ----

        fn has_many_relations(
            conn: &mut Conn,
            parents: fn(&mut Conn) -> QueryResult<Vec<Author>>,
        ) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| Ok(parents(conn)?.prefetch_books(conn)?),
                tally_with_books,
            )
        }

        /// `belonging_to` + `grouped_by` + `zip`, chunked by hand where the
        /// backend limits binds.
        fn has_many_diesel(
            conn: &mut Conn,
            parents: fn(&mut Conn) -> QueryResult<Vec<Author>>,
        ) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let authors = parents(conn)?;
                    let books: Vec<Book> = diesel_chunks(&authors, |chunk| {
                        Book::belonging_to(chunk)
                            .select(Book::as_select())
                            .load::<Book>(conn)
                    })?;
                    let groups = books.grouped_by(&authors);
                    Ok(authors
                        .into_iter()
                        .zip(groups)
                        .collect::<Vec<(Author, Vec<Book>)>>())
                },
                tally_pairs,
            )
        }

        /// `reverse_fk_all` as a declared shape (`AuthorWithBooks`).
        fn has_many_shape(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| Ok(AuthorWithBooks::load(all_authors_query(), conn)?),
                |out: &Vec<AuthorWithBooks>| {
                    let mut l = Loaded::new();
                    for a in out {
                        l.rows(1 + a.books.len());
                        for b in &a.books {
                            l.pair(a.author.id, b.id);
                        }
                    }
                    l
                },
            )
        }

        /// Authors with their books, as relations returns them.
        pub(crate) fn tally_with_books(out: &Vec<With<Author, AuthorBooks>>) -> Loaded {
            let mut l = Loaded::new();
            for a in out {
                l.rows(1 + a.books().len());
                for b in a.books() {
                    l.pair(a.id, b.id);
                }
            }
            l
        }

        // `&Vec`: the tally callback of `measure` over a `Vec` output.
        #[allow(clippy::ptr_arg)]
        fn tally_pairs(out: &Vec<(Author, Vec<Book>)>) -> Loaded {
            tally_pairs_by(out, |a| a.id)
        }

        /// Parents with their books as `(parent, books)` pairs.
        fn tally_pairs_by<P>(out: &[(P, Vec<Book>)], id: impl Fn(&P) -> i32) -> Loaded {
            let mut l = Loaded::new();
            for (p, books) in out {
                l.rows(1 + books.len());
                for b in books {
                    l.pair(id(p), b.id);
                }
            }
            l
        }

        /// The library's two statements (same `WHERE author_id IN (...)
        /// ORDER BY books.id`, boxed like the library's), no grouping.
        fn has_many_floor(
            conn: &mut Conn,
            parents: fn(&mut Conn) -> QueryResult<Vec<Author>>,
        ) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let authors = parents(conn)?;
                    let books = floor_books_of(conn, &authors)?;
                    Ok((authors, books))
                },
                |(authors, books)| {
                    let mut l = Loaded::new();
                    l.rows(authors.len() + books.len());
                    for b in books {
                        l.pair(b.author_id, b.id);
                    }
                    l
                },
            )
        }

        /// The floor's statements, then the result the library returns
        /// (each author with its books) grouped by hand
        /// ([`super::group_by_hand`]). Against this line, `relations` is the
        /// library's grouping; against the plain floor, the grouping plus the
        /// one list per author the result is.
        fn has_many_floor_owned(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let authors = all_authors(conn)?;
                    let books = floor_books_of(conn, &authors)?;
                    let groups = super::group_by_hand(
                        &authors,
                        |a| a.id,
                        books,
                        |b| b.author_id,
                        sorted_in_memory(|b: &Book| b.id),
                    )?;
                    Ok(authors
                        .into_iter()
                        .zip(groups)
                        .collect::<Vec<(Author, Vec<Book>)>>())
                },
                tally_pairs,
            )
        }

        /// The floor's books of `authors`: the library's statements.
        fn floor_books_of(conn: &mut Conn, authors: &[Author]) -> QueryResult<Vec<Book>> {
            // Primary keys: already distinct, in the library's key order.
            let keys: Vec<i32> = authors.iter().map(|a| a.id).collect();
            in_chunks(keys, |chunk| {
                let q = books::table
                    .select(Book::as_select())
                    .into_boxed()
                    .filter(books::author_id.eq_any(chunk));
                library_order(q).load::<Book>(conn)
            })
        }

        /// `key` where the library sorts each parent's children in memory
        /// (an unrefined load on [`ChildOrder::InMemory`]): a hand-written
        /// result in the same order sorts them too.
        fn sorted_in_memory<C>(key: fn(&C) -> i32) -> Option<fn(&C) -> i32> {
            (<Db as diesel_relations::KeyBatching>::child_order()
                == diesel_relations::ChildOrder::InMemory)
                .then_some(key)
        }

        /// The N+1 loop: one statement per author.
        fn has_many_nplus1(
            conn: &mut Conn,
            parents: fn(&mut Conn) -> QueryResult<Vec<Author>>,
        ) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let authors = parents(conn)?;
                    let mut out = Vec::with_capacity(authors.len());
                    for author in authors {
                        let books = Book::belonging_to(&author)
                            .select(Book::as_select())
                            .load::<Book>(conn)?;
                        out.push((author, books));
                    }
                    Ok(out)
                },
                tally_pairs,
            )
        }

        // ---- filtered and ordered: published books, newest first ----

        fn filtered_relations(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    Ok(all_authors(conn)?.prefetch_books_with(conn, |p| {
                        p.filter(books::published.eq(true))
                            .order((books::year.desc(), books::id))
                    })?)
                },
                tally_with_books,
            )
        }

        fn filtered_diesel(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let authors = all_authors(conn)?;
                    let books: Vec<Book> = Book::belonging_to(&authors)
                        .filter(books::published.eq(true))
                        .order((books::year.desc(), books::id))
                        .select(Book::as_select())
                        .load(conn)?;
                    let groups = books.grouped_by(&authors);
                    Ok(authors
                        .into_iter()
                        .zip(groups)
                        .collect::<Vec<(Author, Vec<Book>)>>())
                },
                tally_pairs,
            )
        }

        fn filtered_floor(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let authors = all_authors(conn)?;
                    let keys: Vec<i32> = authors.iter().map(|a| a.id).collect();
                    let books = in_chunks(keys, |chunk| {
                        books::table
                            .select(Book::as_select())
                            .into_boxed()
                            .filter(books::author_id.eq_any(chunk))
                            .filter(books::published.eq(true))
                            .order((books::year.desc(), books::id))
                            .load::<Book>(conn)
                    })?;
                    Ok((authors, books))
                },
                |(authors, books)| {
                    let mut l = Loaded::new();
                    l.rows(authors.len() + books.len());
                    for b in books {
                        l.pair(b.author_id, b.id);
                    }
                    l
                },
            )
        }

        // ---- nested: authors → books → reviews ----

        fn nested_relations(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    Ok(all_authors(conn)?.prefetch_books_with(conn, |b| {
                        b.then(|books, conn| books.prefetch_reviews(conn))
                    })?)
                },
                tally_nested,
            )
        }

        /// `nested_2_levels` as a declared shape (`AuthorWithReviewedBooks`).
        fn nested_shape(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| Ok(AuthorWithReviewedBooks::load(all_authors_query(), conn)?),
                |out: &Vec<AuthorWithReviewedBooks>| {
                    let mut l = Loaded::new();
                    for a in out {
                        l.rows(1);
                        for b in &a.books {
                            l.rows(1 + b.reviews.len());
                            l.pair(a.author.id, b.book.id);
                            for r in &b.reviews {
                                l.pair(b.book.id, r.id);
                            }
                        }
                    }
                    l
                },
            )
        }

        /// Authors, their books, and the books' reviews, as relations returns them.
        pub(crate) fn tally_nested(
            out: &Vec<With<Author, AuthorBooks, Vec<With<Book, BookReviews>>>>,
        ) -> Loaded {
            let mut l = Loaded::new();
            for a in out {
                l.rows(1);
                for b in a.books() {
                    l.rows(1 + b.reviews().len());
                    l.pair(a.id, b.id);
                    for r in b.reviews() {
                        l.pair(b.id, r.id);
                    }
                }
            }
            l
        }

        type Nested = Vec<(Author, Vec<(Book, Vec<Review>)>)>;

        fn nested_diesel(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let authors = all_authors(conn)?;
                    // Past 32,766 authors (SQLite) or 65,535 (MySQL) the keys
                    // exceed the bind limit: a Diesel user chunks by hand
                    // ("too many SQL variables"), at every level.
                    let books: Vec<Book> = diesel_chunks(&authors, |chunk| {
                        Book::belonging_to(chunk)
                            .select(Book::as_select())
                            .load::<Book>(conn)
                    })?;
                    // 100,000 books exceed SQLite's and MySQL's bind limits too.
                    let reviews: Vec<Review> = diesel_chunks(&books, |chunk| {
                        Review::belonging_to(chunk)
                            .select(Review::as_select())
                            .load::<Review>(conn)
                    })?;
                    let reviews = reviews.grouped_by(&books);
                    let books: Vec<(Book, Vec<Review>)> = books.into_iter().zip(reviews).collect();
                    // `grouped_by` needs the parents; group (book, reviews) pairs by author by hand.
                    let mut by_author: std::collections::HashMap<i32, Vec<(Book, Vec<Review>)>> =
                        std::collections::HashMap::new();
                    for pair in books {
                        by_author.entry(pair.0.author_id).or_default().push(pair);
                    }
                    Ok(authors
                        .into_iter()
                        .map(|a| {
                            let books = by_author.remove(&a.id).unwrap_or_default();
                            (a, books)
                        })
                        .collect::<Nested>())
                },
                tally_nested_pairs,
            )
        }

        /// Authors, their books and the books' reviews as nested pairs.
        // `&Vec`: the tally callback of `measure` over a `Vec` output.
        #[allow(clippy::ptr_arg)]
        fn tally_nested_pairs(out: &Nested) -> Loaded {
            let mut l = Loaded::new();
            for (a, books) in out {
                l.rows(1);
                for (b, reviews) in books {
                    l.rows(1 + reviews.len());
                    l.pair(a.id, b.id);
                    for r in reviews {
                        l.pair(b.id, r.id);
                    }
                }
            }
            l
        }

        fn nested_floor(conn: &mut Conn) -> QueryResult<Timed> {
            measure(conn, floor_nested_rows, |(authors, books, reviews)| {
                let mut l = Loaded::new();
                l.rows(authors.len() + books.len() + reviews.len());
                for b in books {
                    l.pair(b.author_id, b.id);
                }
                for r in reviews {
                    l.pair(r.book_id, r.id);
                }
                l
            })
        }

        /// The floor's statements, then the result the library returns
        /// (authors, each with its books, each with its reviews) grouped by
        /// hand ([`super::group_by_hand`]), one level after the other.
        fn nested_floor_owned(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let (authors, books, reviews) = floor_nested_rows(conn)?;
                    let reviews = super::group_by_hand(
                        &books,
                        |b| b.id,
                        reviews,
                        |r| r.book_id,
                        sorted_in_memory(|r: &Review| r.id),
                    )?;
                    let books: Vec<(Book, Vec<Review>)> = books.into_iter().zip(reviews).collect();
                    let books = super::group_by_hand(
                        &authors,
                        |a| a.id,
                        books,
                        |(b, _)| b.author_id,
                        sorted_in_memory(|(b, _): &(Book, Vec<Review>)| b.id),
                    )?;
                    Ok(authors.into_iter().zip(books).collect::<Nested>())
                },
                tally_nested_pairs,
            )
        }

        /// The floor's three statements' rows: authors, their books, the
        /// books' reviews, as the library sends them.
        #[allow(clippy::type_complexity)]
        fn floor_nested_rows(
            conn: &mut Conn,
        ) -> QueryResult<(Vec<Author>, Vec<Book>, Vec<Review>)> {
            let authors = all_authors(conn)?;
            let books = floor_books_of(conn, &authors)?;
            let keys: Vec<i32> = books.iter().map(|b| b.id).collect();
            let reviews = in_chunks(keys, |chunk| {
                let q = reviews::table
                    .select(Review::as_select())
                    .into_boxed()
                    .filter(reviews::book_id.eq_any(chunk));
                match <Db as diesel_relations::KeyBatching>::child_order() {
                    diesel_relations::ChildOrder::OrderByForeignKeyThenKey => q
                        .order((reviews::book_id, reviews::id))
                        .load::<Review>(conn),
                    diesel_relations::ChildOrder::InMemory => q.load::<Review>(conn),
                    diesel_relations::ChildOrder::OrderByKey => {
                        q.order(reviews::id).load::<Review>(conn)
                    }
                }
            })?;
            Ok((authors, books, reviews))
        }

        // ---- many-to-many: books with their tags ----

        fn m2m_relations(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| Ok(all_books(conn)?.prefetch_tags(conn)?),
                tally_with_tags,
            )
        }

        /// `run` with unrefined many-to-many loads forced onto `plan`: each
        /// plan of the loader side by side with the backend's default.
        fn on_plan(
            plan: diesel_relations::__private::ManyToManyPlan,
            run: fn(&mut Conn) -> QueryResult<Timed>,
            conn: &mut Conn,
        ) -> QueryResult<Timed> {
            let _plan = diesel_relations::__private::override_many_to_many_plan(plan);
            run(conn)
        }

        use diesel_relations::__private::ManyToManyPlan as Plan;

        fn m2m_relations_join(conn: &mut Conn) -> QueryResult<Timed> {
            on_plan(Plan::Join, m2m_relations, conn)
        }

        fn m2m_relations_by_key(conn: &mut Conn) -> QueryResult<Timed> {
            on_plan(Plan::TwoStep, m2m_relations, conn)
        }

        fn m2m_relations_adaptive(conn: &mut Conn) -> QueryResult<Timed> {
            on_plan(Plan::Adaptive { join_below: 1_000 }, m2m_relations, conn)
        }

        /// The other direction: each tag with its books. Every book is a
        /// distinct target, the case least favourable to the two-step plan.
        fn m2m_reverse_relations(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let tags: Vec<Tag> = tags::table.select(Tag::as_select()).load(conn)?;
                    Ok(tags.prefetch_books(conn)?)
                },
                tally_tags_with_books,
            )
        }

        /// Tags with their books, hand-written with Diesel's associations:
        /// the join of the links and the books, grouped by tag.
        fn m2m_reverse_diesel(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let tags: Vec<Tag> = tags::table.select(Tag::as_select()).load(conn)?;
                    let links: Vec<(BookTag, Book)> = diesel_chunks(&tags, |chunk| {
                        BookTag::belonging_to(chunk)
                            .inner_join(books::table)
                            .select((BookTag::as_select(), Book::as_select()))
                            .load::<(BookTag, Book)>(conn)
                    })?;
                    let groups = links.grouped_by(&tags);
                    Ok(tags
                        .into_iter()
                        .zip(groups)
                        .map(|(t, links)| (t, links.into_iter().map(|(_, b)| b).collect()))
                        .collect::<Vec<(Tag, Vec<Book>)>>())
                },
                |out| tally_pairs_by(out, |t| t.id),
            )
        }

        /// The second step of the two-step strategy by hand, shared by both
        /// directions: the distinct target keys of `links` (parent key, link
        /// key, target key), their targets loaded once, and each parent's
        /// targets in link order.
        fn two_steps_by_hand<P, T: Clone>(
            parents: Vec<P>,
            mut links: Vec<(i32, i32, i32)>,
            load_targets: impl FnOnce(Vec<i32>) -> QueryResult<Vec<T>>,
            parent_id: impl Fn(&P) -> i32,
            target_id: impl Fn(&T) -> i32,
        ) -> QueryResult<Vec<(P, Vec<T>)>> {
            let mut ids: Vec<i32> = links.iter().map(|l| l.2).collect();
            ids.sort_unstable();
            ids.dedup();
            let targets: std::collections::HashMap<i32, T> = load_targets(ids)?
                .into_iter()
                .map(|t| (target_id(&t), t))
                .collect();
            links.sort_unstable_by_key(|l| l.1);
            let mut per_parent: std::collections::HashMap<i32, Vec<T>> =
                std::collections::HashMap::with_capacity(parents.len());
            for (parent, _, target) in links {
                if let Some(target) = targets.get(&target) {
                    per_parent.entry(parent).or_default().push(target.clone());
                }
            }
            Ok(parents
                .into_iter()
                .map(|p| {
                    let targets = per_parent.remove(&parent_id(&p)).unwrap_or_default();
                    (p, targets)
                })
                .collect())
        }

        /// Tags with their books, SeaORM's two-step strategy written with
        /// Diesel: the links by tag, then the distinct books by key.
        fn m2m_reverse_two_step(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let tags: Vec<Tag> = tags::table.select(Tag::as_select()).load(conn)?;
                    let keys: Vec<i32> = tags.iter().map(|t| t.id).collect();
                    let links: Vec<(i32, i32, i32)> = in_chunks(keys, |chunk| {
                        book_tags::table
                            .filter(book_tags::tag_id.eq_any(chunk))
                            .select((book_tags::tag_id, book_tags::id, book_tags::book_id))
                            .load(conn)
                    })?;
                    two_steps_by_hand(
                        tags,
                        links,
                        |ids| {
                            in_chunks(ids, |chunk| {
                                books::table
                                    .filter(books::id.eq_any(chunk))
                                    .select(Book::as_select())
                                    .load(conn)
                            })
                        },
                        |t| t.id,
                        |b| b.id,
                    )
                },
                |out| tally_pairs_by(out, |t| t.id),
            )
        }

        /// Tags with their books, as relations returns them.
        pub(crate) fn tally_tags_with_books(out: &Vec<With<Tag, TagBooks>>) -> Loaded {
            let mut l = Loaded::new();
            for t in out {
                l.rows(1 + t.books().len());
                for b in t.books() {
                    l.pair(t.id, b.id);
                }
            }
            l
        }

        fn m2m_reverse_relations_join(conn: &mut Conn) -> QueryResult<Timed> {
            on_plan(Plan::Join, m2m_reverse_relations, conn)
        }

        fn m2m_reverse_relations_by_key(conn: &mut Conn) -> QueryResult<Timed> {
            on_plan(Plan::TwoStep, m2m_reverse_relations, conn)
        }

        fn m2m_reverse_relations_adaptive(conn: &mut Conn) -> QueryResult<Timed> {
            on_plan(
                Plan::Adaptive { join_below: 1_000 },
                m2m_reverse_relations,
                conn,
            )
        }

        /// Books with their tags, as relations returns them.
        pub(crate) fn tally_with_tags(out: &Vec<With<Book, BookTags>>) -> Loaded {
            let mut l = Loaded::new();
            for b in out {
                l.rows(1 + b.tags().len());
                for t in b.tags() {
                    l.pair(b.id, t.id);
                }
            }
            l
        }

        fn m2m_diesel(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let books = all_books(conn)?;
                    let links: Vec<(BookTag, Tag)> = diesel_chunks(&books, |chunk| {
                        BookTag::belonging_to(chunk)
                            .inner_join(tags::table)
                            .select((BookTag::as_select(), Tag::as_select()))
                            .load::<(BookTag, Tag)>(conn)
                    })?;
                    let groups = links.grouped_by(&books);
                    Ok(books
                        .into_iter()
                        .zip(groups)
                        .map(|(b, links)| (b, links.into_iter().map(|(_, t)| t).collect()))
                        .collect::<Vec<(Book, Vec<Tag>)>>())
                },
                |out| {
                    let mut l = Loaded::new();
                    for (b, tags) in out {
                        l.rows(1 + tags.len());
                        for t in tags {
                            l.pair(b.id, t.id);
                        }
                    }
                    l
                },
            )
        }

        /// SeaORM's two-step strategy (its `load_many` before the join),
        /// written with Diesel: the links by parent key, then the distinct
        /// targets by key, no join; each book's tags in link order.
        fn m2m_two_step(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let books = all_books(conn)?;
                    let keys: Vec<i32> = books.iter().map(|b| b.id).collect();
                    let links: Vec<(i32, i32, i32)> = in_chunks(keys, |chunk| {
                        book_tags::table
                            .filter(book_tags::book_id.eq_any(chunk))
                            .select((book_tags::book_id, book_tags::id, book_tags::tag_id))
                            .load(conn)
                    })?;
                    two_steps_by_hand(
                        books,
                        links,
                        |ids| {
                            in_chunks(ids, |chunk| {
                                tags::table
                                    .filter(tags::id.eq_any(chunk))
                                    .select(Tag::as_select())
                                    .load(conn)
                            })
                        },
                        |b| b.id,
                        |t| t.id,
                    )
                },
                |out| {
                    let mut l = Loaded::new();
                    for (b, tags) in out {
                        l.rows(1 + tags.len());
                        for t in tags {
                            l.pair(b.id, t.id);
                        }
                    }
                    l
                },
            )
        }

        fn m2m_floor(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let books = all_books(conn)?;
                    let keys: Vec<i32> = books.iter().map(|b| b.id).collect();
                    let rows = in_chunks(keys, |chunk| {
                        // The library's statement: the link's key is selected
                        // for the link order, which is put together in memory.
                        book_tags::table
                            .inner_join(tags::table.on(book_tags::tag_id.eq(tags::id)))
                            .select((book_tags::book_id, book_tags::id, Tag::as_select()))
                            .into_boxed()
                            .filter(book_tags::book_id.eq_any(chunk))
                            .load::<(i32, i32, Tag)>(conn)
                    })?;
                    Ok((books, rows))
                },
                |(books, rows)| {
                    let mut l = Loaded::new();
                    l.rows(books.len() + rows.len());
                    for (b, _, t) in rows {
                        l.pair(*b, t.id);
                    }
                    l
                },
            )
        }

        // ---- top 3 per author (newest) ----

        fn top3_relations(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    Ok(all_authors(conn)?.prefetch_books_with(conn, |p| {
                        p.order(books::year.desc()).limit_per_parent(3)
                    })?)
                },
                tally_with_books,
            )
        }

        /// Without a window function in the generated API, a Diesel user loads
        /// every book in order and keeps three per author.
        fn top3_diesel(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let authors = all_authors(conn)?;
                    let books: Vec<Book> = Book::belonging_to(&authors)
                        .order((books::year.desc(), books::id))
                        .select(Book::as_select())
                        .load(conn)?;
                    let groups = books.grouped_by(&authors);
                    Ok(authors
                        .into_iter()
                        .zip(groups)
                        .map(|(a, mut b)| {
                            b.truncate(3);
                            (a, b)
                        })
                        .collect::<Vec<(Author, Vec<Book>)>>())
                },
                tally_pairs,
            )
        }

        // ---- belongs-to: books with their author ----

        pub(crate) fn tally_with_author(out: &Vec<With<Book, BookAuthor>>) -> Loaded {
            let mut l = Loaded::new();
            l.rows(out.len());
            for b in out {
                l.pair(b.author().id, b.id);
            }
            l
        }

        fn tally_book_author(out: &Vec<(Book, Author)>) -> Loaded {
            let mut l = Loaded::new();
            l.rows(out.len());
            for (b, a) in out {
                l.pair(a.id, b.id);
            }
            l
        }

        // ---- aggregates: each author's number of books ----

        /// Each author with the number of its books, as every implementation
        /// returns it.
        pub(crate) fn tally_counts(counts: impl Iterator<Item = (i32, i64)>) -> Loaded {
            let mut l = Loaded::new();
            for (author, n) in counts {
                l.rows(1);
                l.pair(author, n as i32);
            }
            l
        }

        pub(crate) fn tally_counted(
            out: &[With<Author, diesel_relations::Count<AuthorBooks>, i64>],
        ) -> Loaded {
            tally_counts(out.iter().map(|a| (a.id, a.count(AuthorBooks))))
        }

        fn count_relations(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| Ok(all_authors(conn)?.prefetch_count(AuthorBooks, conn)?),
                |out| tally_counted(out),
            )
        }

        /// What a Diesel user writes: `GROUP BY author_id` over the authors'
        /// keys, then zip the counts back by key (0 where there is no row).
        fn count_diesel(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let authors = all_authors(conn)?;
                    let rows: Vec<(i32, i64)> = diesel_chunks(&authors, |chunk| {
                        let ids: Vec<i32> = chunk.iter().map(|a| a.id).collect();
                        books::table
                            .filter(books::author_id.eq_any(ids))
                            .group_by(books::author_id)
                            .select((books::author_id, diesel::dsl::count_star()))
                            .load(conn)
                    })?;
                    let counts: std::collections::HashMap<i32, i64> = rows.into_iter().collect();
                    Ok(authors
                        .into_iter()
                        .map(|a| {
                            let n = counts.get(&a.id).copied().unwrap_or(0);
                            (a, n)
                        })
                        .collect::<Vec<(Author, i64)>>())
                },
                |out| tally_counts(out.iter().map(|(a, n)| (a.id, *n))),
            )
        }

        /// Load every book and take the length of each author's list.
        fn count_children_len(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let authors = all_authors(conn)?.prefetch_books(conn)?;
                    Ok(authors
                        .into_iter()
                        .map(|a| {
                            let n = a.books().len() as i64;
                            (With::into_parts(a).0, n)
                        })
                        .collect::<Vec<(Author, i64)>>())
                },
                |out| tally_counts(out.iter().map(|(a, n)| (a.id, *n))),
            )
        }

        // ---- column aggregates: each author's newest year ----

        pub(crate) fn tally_years(years: impl Iterator<Item = (i32, Option<i32>)>) -> Loaded {
            let mut l = Loaded::new();
            for (author, year) in years {
                l.rows(1);
                l.pair(author, year.unwrap_or(-1));
            }
            l
        }

        pub(crate) fn tally_max_year(
            out: &[With<
                Author,
                diesel_relations::Aggregate<AuthorBooks, diesel_relations::Max<books::year>>,
                Option<i32>,
            >],
        ) -> Loaded {
            tally_years(out.iter().map(|a| {
                (
                    a.id,
                    *a.aggregate(AuthorBooks, diesel_relations::Max(books::year)),
                )
            }))
        }

        fn max_relations(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    Ok(all_authors(conn)?.prefetch_aggregate(
                        AuthorBooks,
                        diesel_relations::Max(books::year),
                        conn,
                    )?)
                },
                |out| tally_max_year(out),
            )
        }

        /// What a Diesel user writes: `MAX(year) .. GROUP BY author_id` over
        /// the authors' keys, then a `HashMap` zip (`None` where no row).
        fn max_diesel(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let authors = all_authors(conn)?;
                    let rows: Vec<(i32, Option<i32>)> = diesel_chunks(&authors, |chunk| {
                        let ids: Vec<i32> = chunk.iter().map(|a| a.id).collect();
                        books::table
                            .filter(books::author_id.eq_any(ids))
                            .group_by(books::author_id)
                            .select((books::author_id, diesel::dsl::max(books::year)))
                            .load(conn)
                    })?;
                    let years: std::collections::HashMap<i32, Option<i32>> =
                        rows.into_iter().collect();
                    Ok(authors
                        .into_iter()
                        .map(|a| {
                            let year = years.get(&a.id).copied().flatten();
                            (a, year)
                        })
                        .collect::<Vec<(Author, Option<i32>)>>())
                },
                |out| tally_years(out.iter().map(|(a, y)| (a.id, *y))),
            )
        }

        /// Load every book and take each author's newest year in memory.
        fn max_children(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let authors = all_authors(conn)?.prefetch_books(conn)?;
                    Ok(authors
                        .into_iter()
                        .map(|a| {
                            let year = a.books().iter().map(|b| b.year).max();
                            (With::into_parts(a).0, year)
                        })
                        .collect::<Vec<(Author, Option<i32>)>>())
                },
                |out| tally_years(out.iter().map(|(a, y)| (a.id, *y))),
            )
        }

        /// Each author's books' count, first and last year and mean year.
        pub(crate) type Stats = (i64, Option<i32>, Option<i32>, Option<f64>);

        /// The stats of `stats_per_author`, asked as one tuple.
        pub(crate) const STATS: (
            diesel_relations::CountOf<books::id>,
            diesel_relations::Min<books::year>,
            diesel_relations::Max<books::year>,
            diesel_relations::Avg<books::year>,
        ) = (
            diesel_relations::CountOf(books::id),
            diesel_relations::Min(books::year),
            diesel_relations::Max(books::year),
            diesel_relations::Avg(books::year),
        );

        pub(crate) fn tally_stats(stats: impl Iterator<Item = (i32, Stats)>) -> Loaded {
            let mut l = Loaded::new();
            for (author, (count, first, last, mean)) in stats {
                l.rows(1);
                l.pair(author, count as i32);
                l.pair(author, first.unwrap_or(-1));
                l.pair(author, last.unwrap_or(-1));
                l.pair(author, mean.map_or(-1, |m| (m * 1000.0) as i32));
            }
            l
        }

        /// The four aggregates in one statement.
        fn stats_relations(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| Ok(all_authors(conn)?.prefetch_aggregate(AuthorBooks, STATS, conn)?),
                |out| tally_stats(out.iter().map(|a| (a.id, *a.aggregate(AuthorBooks, STATS)))),
            )
        }

        /// The same four aggregates, one statement each.
        fn stats_relations_separate(conn: &mut Conn) -> QueryResult<Timed> {
            use diesel_relations::{Avg, CountOf, Max, Min};
            measure(
                conn,
                |conn| {
                    Ok(all_authors(conn)?
                        .prefetch_aggregate(AuthorBooks, CountOf(books::id), conn)?
                        .prefetch_aggregate(AuthorBooks, Min(books::year), conn)?
                        .prefetch_aggregate(AuthorBooks, Max(books::year), conn)?
                        .prefetch_aggregate(AuthorBooks, Avg(books::year), conn)?)
                },
                |out| {
                    tally_stats(out.iter().map(|a| {
                        let stats = (
                            *a.aggregate(AuthorBooks, CountOf(books::id)),
                            *a.aggregate(AuthorBooks, Min(books::year)),
                            *a.aggregate(AuthorBooks, Max(books::year)),
                            *a.aggregate(AuthorBooks, Avg(books::year)),
                        );
                        (a.id, stats)
                    }))
                },
            )
        }

        /// What a Diesel user writes: one `GROUP BY author_id` with
        /// `COUNT`, `MIN`, `MAX` and `SUM` (Diesel's `avg` is a `NUMERIC`),
        /// the mean from the sum, and a `HashMap` zip.
        fn stats_diesel(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let authors = all_authors(conn)?;
                    type Row = (i32, i64, Option<i32>, Option<i32>, Option<i64>);
                    let rows: Vec<Row> = diesel_chunks(&authors, |chunk| {
                        let ids: Vec<i32> = chunk.iter().map(|a| a.id).collect();
                        books::table
                            .filter(books::author_id.eq_any(ids))
                            .group_by(books::author_id)
                            .select((
                                books::author_id,
                                diesel::dsl::count(books::id),
                                diesel::dsl::min(books::year),
                                diesel::dsl::max(books::year),
                                diesel::dsl::sum(books::year),
                            ))
                            .load(conn)
                    })?;
                    let stats: std::collections::HashMap<i32, Stats> = rows
                        .into_iter()
                        .map(|(id, n, first, last, sum)| {
                            let mean = sum.map(|s| s as f64 / n as f64);
                            (id, (n, first, last, mean))
                        })
                        .collect();
                    Ok(authors
                        .into_iter()
                        .map(|a| {
                            let s = stats.get(&a.id).copied().unwrap_or((0, None, None, None));
                            (a, s)
                        })
                        .collect::<Vec<(Author, Stats)>>())
                },
                |out| tally_stats(out.iter().map(|(a, s)| (a.id, *s))),
            )
        }

        /// Load every book and compute the four in memory.
        fn stats_children(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let authors = all_authors(conn)?.prefetch_books(conn)?;
                    Ok(authors
                        .into_iter()
                        .map(|a| {
                            let years = a.books().iter().map(|b| b.year);
                            let n = a.books().len() as i64;
                            let sum: i64 = years.clone().map(i64::from).sum();
                            let mean = (n > 0).then(|| sum as f64 / n as f64);
                            let stats = (n, years.clone().min(), years.max(), mean);
                            (With::into_parts(a).0, stats)
                        })
                        .collect::<Vec<(Author, Stats)>>())
                },
                |out| tally_stats(out.iter().map(|(a, s)| (a.id, *s))),
            )
        }

        /// A join decodes a book and an author per row.
        pub(crate) fn join_rows(mut l: Loaded) -> Loaded {
            l.rows *= 2;
            l
        }

        fn join_relations(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| Ok(select_related(BookAuthor).load(conn)?),
                |out| join_rows(tally_with_author(out)),
            )
        }

        /// `forward_join` as a declared shape with a joined field (`BookWithAuthor`).
        fn join_shape(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| Ok(BookWithAuthor::load_joined(conn, |q| q)?),
                |out: &Vec<BookWithAuthor>| {
                    let mut l = Loaded::new();
                    l.rows(out.len());
                    for b in out {
                        l.pair(b.author.id, b.book.id);
                    }
                    join_rows(l)
                },
            )
        }

        fn join_diesel(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    books::table
                        .inner_join(authors::table)
                        .select((Book::as_select(), Author::as_select()))
                        .load::<(Book, Author)>(conn)
                },
                |out| join_rows(tally_book_author(out)),
            )
        }

        /// The library's join statement (`ON books.author_id = authors.id`,
        /// boxed), decoded into the same tuples, not wrapped.
        fn join_floor(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    books::table
                        .inner_join(authors::table.on(books::author_id.eq(authors::id)))
                        .select((Book::as_select(), Author::as_select()))
                        .into_boxed()
                        .load::<(Book, Author)>(conn)
                },
                |out| join_rows(tally_book_author(out)),
            )
        }

        /// Books plus their distinct authors (parents are loaded once each).
        fn forward_rows(out_len: usize, authors: impl Iterator<Item = i32>) -> usize {
            out_len + authors.collect::<HashSet<i32>>().len()
        }

        fn prefetch_author_relations(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| Ok(all_books(conn)?.prefetch_author(conn)?),
                tally_prefetched_author,
            )
        }

        /// Books with their author, prefetched: the books and their distinct authors.
        pub(crate) fn tally_prefetched_author(out: &Vec<With<Book, BookAuthor>>) -> Loaded {
            let mut l = tally_with_author(out);
            l.rows = forward_rows(out.len(), out.iter().map(|b| b.author().id)) as u64;
            l
        }

        /// The same load with each author shared by its books:
        /// `prefetch_shared(BookAuthor, conn)`, an `Arc<Author>` per book.
        fn prefetch_author_shared(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| Ok(all_books(conn)?.prefetch_shared(BookAuthor, conn)?),
                |out| {
                    let mut l = Loaded::new();
                    for b in out {
                        l.pair(b.author().id, b.id);
                    }
                    l.rows(forward_rows(out.len(), out.iter().map(|b| b.author().id)));
                    l
                },
            )
        }

        /// The library's answer without pairs: the books as loaded, and each
        /// of their authors by key (`keyed::belongs_to(BookAuthor, ids,
        /// conn)`, the same statements as `prefetch_author`): what the plain
        /// floor holds (the books, their authors), plus the lookup by key.
        fn prefetch_author_keyed(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let books = all_books(conn)?;
                    let ids: Vec<i32> = books.iter().map(|b| b.author_id).collect();
                    let authors = diesel_relations::keyed::belongs_to(BookAuthor, ids, conn)?;
                    Ok((books, authors))
                },
                |(books, authors)| {
                    let mut l = Loaded::new();
                    l.rows(books.len() + authors.len());
                    for b in books {
                        // A book whose author the map lacks pairs with no
                        // author: the tally then differs from the floor's.
                        l.pair(authors.get(&b.author_id).map_or(0, |a| a.id), b.id);
                    }
                    l
                },
            )
        }

        /// Load the books, their distinct author ids, the authors `WHERE id
        /// IN/= ANY (...)`, and pair them through a `HashMap`.
        fn prefetch_author_diesel(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let books = all_books(conn)?;
                    let mut ids: Vec<i32> = books.iter().map(|b| b.author_id).collect();
                    ids.sort_unstable();
                    ids.dedup();
                    let authors: Vec<Author> = diesel_chunks(&ids, |chunk| {
                        authors::table
                            .filter(authors::id.eq_any(chunk))
                            .select(Author::as_select())
                            .load::<Author>(conn)
                    })?;
                    let by_id: std::collections::HashMap<i32, Author> =
                        authors.into_iter().map(|a| (a.id, a)).collect();
                    books
                        .into_iter()
                        .map(|b| match by_id.get(&b.author_id) {
                            Some(a) => Ok((b, a.clone())),
                            None => Err(diesel::result::Error::NotFound),
                        })
                        .collect::<QueryResult<Vec<(Book, Author)>>>()
                },
                |out| {
                    let mut l = tally_book_author(out);
                    l.rows = forward_rows(out.len(), out.iter().map(|(_, a)| a.id)) as u64;
                    l
                },
            )
        }

        /// The books, then their distinct authors by the library's statements
        /// (the parent query boxed, keys distinct, the library's chunks).
        fn floor_books_and_authors(conn: &mut Conn) -> QueryResult<(Vec<Book>, Vec<Author>)> {
            let books = all_books(conn)?;
            let mut keys: Vec<i32> = books.iter().map(|b| b.author_id).collect();
            keys.sort_unstable();
            keys.dedup();
            let authors = in_chunks(keys, |chunk| {
                authors::table
                    .select(Author::as_select())
                    .into_boxed()
                    .filter(authors::id.eq_any(chunk))
                    .load::<Author>(conn)
            })?;
            Ok((books, authors))
        }

        /// The library's two statements (the parent query boxed, keys
        /// distinct), the two `Vec`s kept apart.
        fn prefetch_author_floor(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| floor_books_and_authors(conn),
                |(books, authors)| {
                    let mut l = Loaded::new();
                    l.rows(books.len() + authors.len());
                    for b in books {
                        l.pair(b.author_id, b.id);
                    }
                    l
                },
            )
        }

        /// The floor's statements, then what the result type holds: each
        /// book paired with an owned copy of its author (the last book of an
        /// author takes the original, as the library does), found without a
        /// hash ([`super::parent_slots`]). What is left of `relations /
        /// floor` against this line is the library's grouping; the rest is
        /// the result type.
        fn prefetch_author_floor_owned(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let (books, authors) = floor_books_and_authors(conn)?;
                    let slot_of_book =
                        super::parent_slots(&authors, |a| a.id, &books, |b| b.author_id)?;
                    let mut uses = vec![0u32; authors.len()];
                    slot_of_book.iter().for_each(|&slot| uses[slot] += 1);
                    let mut authors: Vec<Option<Author>> = authors.into_iter().map(Some).collect();
                    Ok(books
                        .into_iter()
                        .zip(slot_of_book)
                        .map(|(b, slot)| {
                            uses[slot] -= 1;
                            let author = if uses[slot] == 0 {
                                authors[slot].take()
                            } else {
                                authors[slot].clone()
                            };
                            (b, author.expect("an author per use"))
                        })
                        .collect::<Vec<(Book, Author)>>())
                },
                |out| {
                    let mut l = tally_book_author(out);
                    l.rows = forward_rows(out.len(), out.iter().map(|(_, a)| a.id)) as u64;
                    l
                },
            )
        }

        /// The floor's statements, then what `prefetch_shared` gives: each
        /// book paired with an `Arc` of its author, one per author, found
        /// without a hash ([`super::parent_slots`]), written by hand. Against
        /// this line, `relations_shared` is the library's grouping; against
        /// the plain floor, the grouping plus the list of pairs the result
        /// is.
        fn prefetch_author_floor_shared(conn: &mut Conn) -> QueryResult<Timed> {
            measure(
                conn,
                |conn| {
                    let (books, authors) = floor_books_and_authors(conn)?;
                    let slot_of_book =
                        super::parent_slots(&authors, |a| a.id, &books, |b| b.author_id)?;
                    let authors: Vec<std::sync::Arc<Author>> =
                        authors.into_iter().map(std::sync::Arc::new).collect();
                    Ok(books
                        .into_iter()
                        .zip(slot_of_book)
                        .map(|(b, slot)| (b, std::sync::Arc::clone(&authors[slot])))
                        .collect::<Vec<_>>())
                },
                |out| {
                    let mut l = Loaded::new();
                    for (b, a) in out {
                        l.pair(a.id, b.id);
                    }
                    l.rows(forward_rows(out.len(), out.iter().map(|(_, a)| a.id)));
                    l
                },
            )
        }

        /// The scenarios of [`super::SCENARIOS`], in that order, with their
        /// implementations on the blocking connection (`S`: the side
        /// connection, which they do not use).
        pub fn scenarios<S>() -> Vec<Scenario<Conn, S>> {
            fn imp<S>(
                name: &'static str,
                run: fn(&mut Conn) -> QueryResult<Timed>,
            ) -> Impl<Conn, S> {
                Impl {
                    name,
                    run: Run::Blocking(run),
                }
            }
            vec![
                Scenario {
                    name: "reverse_fk_all",
                    impls: vec![
                        imp("relations", |c| has_many_relations(c, all_authors)),
                        imp("relations_shape", has_many_shape),
                        imp("diesel", |c| has_many_diesel(c, all_authors)),
                        imp("floor", |c| has_many_floor(c, all_authors)),
                        imp("floor_owned", has_many_floor_owned),
                    ],
                },
                Scenario {
                    name: "filtered_ordered",
                    impls: vec![
                        imp("relations", filtered_relations),
                        imp("diesel", filtered_diesel),
                        imp("floor", filtered_floor),
                    ],
                },
                Scenario {
                    name: "nested_2_levels",
                    impls: vec![
                        imp("relations", nested_relations),
                        imp("relations_shape", nested_shape),
                        imp("diesel", nested_diesel),
                        imp("floor", nested_floor),
                        imp("floor_owned", nested_floor_owned),
                    ],
                },
                Scenario {
                    name: "many_to_many",
                    impls: vec![
                        imp("relations", m2m_relations),
                        imp("relations_join", m2m_relations_join),
                        imp("relations_by_key", m2m_relations_by_key),
                        imp("relations_adaptive", m2m_relations_adaptive),
                        imp("diesel", m2m_diesel),
                        imp("two_step", m2m_two_step),
                        imp("floor", m2m_floor),
                    ],
                },
                Scenario {
                    name: "many_to_many_reverse",
                    impls: vec![
                        imp("relations", m2m_reverse_relations),
                        imp("relations_join", m2m_reverse_relations_join),
                        imp("relations_by_key", m2m_reverse_relations_by_key),
                        imp("relations_adaptive", m2m_reverse_relations_adaptive),
                        imp("diesel", m2m_reverse_diesel),
                        imp("two_step", m2m_reverse_two_step),
                    ],
                },
                Scenario {
                    name: "forward_join",
                    impls: vec![
                        imp("relations", join_relations),
                        imp("relations_shape", join_shape),
                        imp("diesel", join_diesel),
                        imp("floor", join_floor),
                    ],
                },
                Scenario {
                    name: "forward_prefetch",
                    impls: vec![
                        imp("relations", prefetch_author_relations),
                        imp("relations_shared", prefetch_author_shared),
                        imp("relations_keyed", prefetch_author_keyed),
                        imp("diesel", prefetch_author_diesel),
                        imp("floor", prefetch_author_floor),
                        imp("floor_owned", prefetch_author_floor_owned),
                        imp("floor_shared", prefetch_author_floor_shared),
                    ],
                },
                Scenario {
                    name: "top3_per_author",
                    impls: vec![imp("relations", top3_relations), imp("diesel", top3_diesel)],
                },
                Scenario {
                    name: "count_per_author",
                    impls: vec![
                        imp("relations", count_relations),
                        imp("diesel", count_diesel),
                        imp("children_len", count_children_len),
                    ],
                },
                Scenario {
                    name: "max_per_author",
                    impls: vec![
                        imp("relations", max_relations),
                        imp("diesel", max_diesel),
                        imp("children_max", max_children),
                    ],
                },
                Scenario {
                    name: "stats_per_author",
                    impls: vec![
                        imp("relations", stats_relations),
                        imp("relations_separate", stats_relations_separate),
                        imp("diesel", stats_diesel),
                        imp("children", stats_children),
                    ],
                },
                Scenario {
                    name: "prefetch_1000",
                    impls: vec![
                        imp("relations", |c| has_many_relations(c, first_authors)),
                        imp("diesel", |c| has_many_diesel(c, first_authors)),
                        imp("floor", |c| has_many_floor(c, first_authors)),
                    ],
                },
                Scenario {
                    name: "n_plus_one_1000",
                    impls: vec![
                        imp("relations", |c| has_many_relations(c, first_authors)),
                        imp("nplus1", |c| has_many_nplus1(c, first_authors)),
                    ],
                },
            ]
        }
    };
}

#[cfg(feature = "sqlite")]
pub mod sqlite {
    backend! {
        conn = diesel::SqliteConnection,
        db = diesel::sqlite::Sqlite,
        // SQLITE_MAX_VARIABLE_NUMBER of the bundled SQLite (3.32+).
        diesel_max_keys = Some(32_766),
        version_sql = "sqlite_version()",
    }
}

#[cfg(feature = "postgres")]
pub mod postgres {
    backend! {
        conn = diesel::PgConnection,
        db = diesel::pg::Pg,
        diesel_max_keys = None,
        version_sql = "version()",
    }
}

#[cfg(feature = "mysql")]
pub mod mysql {
    backend! {
        conn = diesel::MysqlConnection,
        db = diesel::mysql::Mysql,
        // Placeholders in one MySQL/MariaDB prepared statement.
        diesel_max_keys = Some(65_535),
        version_sql = "version()",
    }
}
