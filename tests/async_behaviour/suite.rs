// The async behavioural suite, included once per backend by
// tests/async_behaviour.rs, which provides `Conn` (blocking), `AsyncConn` and
// `connect()`.

use std::fmt::Debug;

use diesel::prelude::*;
use diesel_async::AsyncConnection;
use diesel_relations::prelude::*;
use diesel_relations::{assert_num_queries_async, ErrorKind, QueryCount};

use crate::common::models::schema::*;
use crate::common::models::*;
use crate::common::TestConn;

include!("../behaviour/seed.rs");
include!("../shapes/refined.rs");

/// The behavioural suite's data, a blocking connection to it and an async
/// one to the same database.
struct Fixture {
    conn: AsyncConn,
    rt: tokio::runtime::Runtime,
    db: TestConn<Conn>,
}

fn fixture() -> Option<Fixture> {
    let mut db = connect()?;
    seed(&mut db);
    seed_profiles(&mut db);
    seed_tags(&mut db);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let conn = rt.block_on(AsyncConn::establish(db.url())).expect("async connection to the test database");
    Some(Fixture { conn, rt, db })
}

impl Fixture {
    /// Run `blocking` on the blocking connection and `nonblocking` on the
    /// async one: both must give the same value (compared in full, through
    /// `Debug`) with the same number of statements. Returns that number.
    #[track_caller]
    fn same<T: Debug>(
        &mut self,
        blocking: impl FnOnce(&mut Conn) -> T,
        nonblocking: impl AsyncFnOnce(&mut AsyncConn) -> T,
    ) -> usize {
        let count = QueryCount::install(&mut *self.db);
        let expected = blocking(&mut self.db);
        let blocking_statements = count.get();
        let count = QueryCount::install_async(&mut self.conn);
        let got = self.rt.block_on(nonblocking(&mut self.conn));
        assert_eq!(format!("{got:#?}"), format!("{expected:#?}"), "async and blocking loaders disagree");
        assert_eq!(
            count.get(),
            blocking_statements,
            "async ran {:#?}, blocking ran {blocking_statements} statement(s)",
            count.statements()
        );
        blocking_statements
    }

    fn authors(&mut self) -> Vec<Author> {
        authors::table.order(authors::id).select(Author::as_select()).load(&mut *self.db).unwrap()
    }

    fn books(&mut self) -> Vec<Book> {
        books::table.order(books::id).select(Book::as_select()).load(&mut *self.db).unwrap()
    }
}

diesel_relations::alias! {
    PublishedLater;
}


/// The statements an unrefined many-to-many load runs on this backend (with
/// keys in one chunk): the join (1), or the links and then the targets (2).
fn m2m() -> usize {
    use diesel_relations::__private::ManyToManyPlan;
    use diesel_relations::plumbing::KeyBatching;
    match <<Conn as diesel::Connection>::Backend as KeyBatching>::MANY_TO_MANY_PLAN {
        ManyToManyPlan::Join => 1,
        ManyToManyPlan::TwoStep => 2,
        // The suite loads a handful of parents, below `join_below`: the join.
        ManyToManyPlan::Adaptive { .. } => 1,
    }
}

#[test]
fn reverse_prefetch_matches_blocking() {
    let Some(mut fx) = fixture() else { return };
    let (a, b) = (fx.authors(), fx.authors());
    let n = fx.same(
        |c| a.prefetch_books(c).unwrap().prefetch_edited_books(c).unwrap(),
        async move |c| b.prefetch_books_async(c).await.unwrap().prefetch_edited_books_async(c).await.unwrap(),
    );
    assert_eq!(n, 2);
}

#[test]
fn forward_prefetch_required_and_nullable_matches_blocking() {
    let Some(mut fx) = fixture() else { return };
    let (a, b) = (fx.books(), fx.books());
    let n = fx.same(
        |c| a.prefetch_author(c).unwrap().prefetch_editor(c).unwrap(),
        async move |c| b.prefetch_author_async(c).await.unwrap().prefetch_editor_async(c).await.unwrap(),
    );
    assert_eq!(n, 2);
}

#[test]
fn shared_forward_prefetch_matches_blocking() {
    let Some(mut fx) = fixture() else { return };
    let (a, b) = (fx.books(), fx.books());
    let n = fx.same(
        |c| a.prefetch_shared(BookAuthor, c).unwrap().prefetch_shared(BookEditor, c).unwrap(),
        async move |c| {
            let books = b.prefetch_shared_async(BookAuthor, c).await.unwrap();
            books.prefetch_shared_async(BookEditor, c).await.unwrap()
        },
    );
    assert_eq!(n, 2);
    // One `Arc` per author, shared by the author's books.
    let books = fx.books();
    let shared = fx.rt.block_on(books.prefetch_shared_async(BookAuthor, &mut fx.conn)).unwrap();
    let ursula = shared.iter().filter(|b| b.author().name == "Ursula").collect::<Vec<_>>();
    assert!(ursula.len() > 1 && ursula.iter().all(|b| std::sync::Arc::ptr_eq(b.author(), ursula[0].author())));
}

#[test]
fn joins_inner_and_left_with_refinement_match_blocking() {
    let Some(mut fx) = fixture() else { return };
    let n = fx.same(
        |c| select_related(BookAuthor).load_with(c, |q| q.order(books::id)).unwrap(),
        async |c| select_related(BookAuthor).load_with_async(c, |q| q.order(books::id)).await.unwrap(),
    );
    assert_eq!(n, 1);
    let n = fx.same(
        |c| {
            select_related(BookEditor)
                .load_with(c, |q| q.filter(books::title.like("%e%")).order(books::title.desc()))
                .unwrap()
        },
        async |c| {
            select_related(BookEditor)
                .load_with_async(c, |q| q.filter(books::title.like("%e%")).order(books::title.desc()))
                .await
                .unwrap()
        },
    );
    assert_eq!(n, 1);
    // The plain join: rows in the database's order, so compare them sorted.
    let mut blocking: Vec<(i32, String)> =
        select_related(BookAuthor).load(&mut *fx.db).unwrap().iter().map(|b| (b.id, b.author().name.clone())).collect();
    let mut nonblocking: Vec<(i32, String)> = fx
        .rt
        .block_on(select_related(BookAuthor).load_async(&mut fx.conn))
        .unwrap()
        .iter()
        .map(|b| (b.id, b.author().name.clone()))
        .collect();
    blocking.sort();
    nonblocking.sort();
    assert_eq!(nonblocking, blocking);
}

#[test]
fn one_to_one_matches_blocking() {
    let Some(mut fx) = fixture() else { return };
    let (a, b) = (fx.authors(), fx.authors());
    let n = fx.same(
        |c| {
            a.prefetch_profile(c)
                .unwrap()
                .prefetch_profile_with(c, |p| p.filter(profiles::bio.like("K%")).named(PublishedLater))
                .unwrap()
        },
        async move |c| {
            b.prefetch_profile_async(c)
                .await
                .unwrap()
                .prefetch_profile_with_async(c, |p| p.filter(profiles::bio.like("K%")).named(PublishedLater))
                .await
                .unwrap()
        },
    );
    assert_eq!(n, 2);
}

#[test]
fn many_to_many_plain_refined_and_composite_match_blocking() {
    let Some(mut fx) = fixture() else { return };
    let (a, b) = (fx.books(), fx.books());
    let n = fx.same(
        |c| {
            a.prefetch_tags(c)
                .unwrap()
                .prefetch_tags_with(c, |q| q.filter(book_tags::weight.gt(6)).order(tags::name))
                .unwrap()
        },
        async move |c| {
            b.prefetch_tags_async(c)
                .await
                .unwrap()
                .prefetch_tags_with_async(c, |q| q.filter(book_tags::weight.gt(6)).order(tags::name))
                .await
                .unwrap()
        },
    );
    assert_eq!(n, m2m() + 1);
    // Through the composite-key join model, from the other side.
    let (a, b) = (fx.authors(), fx.authors());
    let n = fx.same(
        |c| a.prefetch_favorite_books(c).unwrap(),
        async move |c| b.prefetch_favorite_books_async(c).await.unwrap(),
    );
    assert_eq!(n, m2m());
}

#[test]
fn filtered_ordered_and_named_match_blocking() {
    let Some(mut fx) = fixture() else { return };
    let (a, b) = (fx.authors(), fx.authors());
    let n = fx.same(
        |c| {
            a.prefetch_books_with(c, |p| p.filter(books::title.like("%The%")).order(books::title.desc()))
                .unwrap()
                .prefetch_books_with(c, |p| p.order(books::id.desc()).named(PublishedLater))
                .unwrap()
        },
        async move |c| {
            b.prefetch_books_with_async(c, |p| p.filter(books::title.like("%The%")).order(books::title.desc()))
                .await
                .unwrap()
                .prefetch_books_with_async(c, |p| p.order(books::id.desc()).named(PublishedLater))
                .await
                .unwrap()
        },
    );
    assert_eq!(n, 2);
}

#[test]
fn nested_prefetch_two_levels_and_many_to_many_level_match_blocking() {
    let Some(mut fx) = fixture() else { return };
    let (a, b) = (fx.authors(), fx.authors());
    let n = fx.same(
        |c| {
            a.prefetch_books_with(c, |p| {
                p.then(|books, c| books.prefetch_review_set(c)?.prefetch_tags(c))
            })
            .unwrap()
        },
        async move |c| {
            b.prefetch_books_with_async(c, |p| {
                p.then(async |books, c| books.prefetch_review_set_async(c).await?.prefetch_tags_async(c).await)
            })
            .await
            .unwrap()
        },
    );
    assert_eq!(n, 2 + m2m());
    // Two `.then` steps in a row, and a forward relation inside.
    let (a, b) = (fx.authors(), fx.authors());
    let n = fx.same(
        |c| {
            a.prefetch_books_with(c, |p| {
                p.then(|books, c| books.prefetch_review_set(c)).then(|books, c| books.prefetch_editor(c))
            })
            .unwrap()
        },
        async move |c| {
            b.prefetch_books_with_async(c, |p| {
                p.then(async |books, c| books.prefetch_review_set_async(c).await)
                    .then(async |books, c| books.prefetch_editor_async(c).await)
            })
            .await
            .unwrap()
        },
    );
    assert_eq!(n, 3);
}

#[test]
fn top_n_and_pages_per_parent_match_blocking() {
    let Some(mut fx) = fixture() else { return };
    let (a, b) = (fx.authors(), fx.authors());
    let n = fx.same(
        |c| {
            a.prefetch_books_with(c, |p| p.order(books::title.desc()).limit_per_parent(2))
                .unwrap()
                .prefetch_books_with(c, |p| {
                    p.order(books::title).offset_per_parent(1).limit_per_parent(1).named(PublishedLater)
                })
                .unwrap()
        },
        async move |c| {
            b.prefetch_books_with_async(c, |p| p.order(books::title.desc()).limit_per_parent(2))
                .await
                .unwrap()
                .prefetch_books_with_async(c, |p| {
                    p.order(books::title).offset_per_parent(1).limit_per_parent(1).named(PublishedLater)
                })
                .await
                .unwrap()
        },
    );
    assert_eq!(n, 2);
}

#[test]
fn chunked_loading_runs_the_same_statements() {
    let Some(mut fx) = fixture() else { return };
    // Two keys per statement: 4 authors → 2 statements for each level.
    let _chunks = diesel_relations::__private::override_max_keys_per_statement(2);
    let (a, b) = (fx.authors(), fx.authors());
    let n = fx.same(
        |c| {
            a.prefetch_books_with(c, |p| p.order(books::title).limit_per_parent(2).then(|bs, c| bs.prefetch_tags(c)))
                .unwrap()
                .prefetch_profile(c)
                .unwrap()
        },
        async move |c| {
            b.prefetch_books_with_async(c, |p| {
                p.order(books::title).limit_per_parent(2).then(async |bs, c| bs.prefetch_tags_async(c).await)
            })
            .await
            .unwrap()
            .prefetch_profile_async(c)
            .await
            .unwrap()
        },
    );
    // books: 4 authors in chunks of 2; tags: 4 distinct books in chunks of 2
    // (links, and where the backend takes two steps, the tags in chunks of 2);
    // profiles: 2.
    assert_eq!(n, 4 + 2 * m2m());
}

#[test]
fn one_parent_an_optional_parent_and_an_empty_list() {
    let Some(mut fx) = fixture() else { return };
    let (a, b) = (fx.authors().remove(0), fx.authors().remove(0));
    assert_eq!(fx.same(|c| a.prefetch_books(c).unwrap(), async move |c| b.prefetch_books_async(c).await.unwrap()), 1);
    let (a, b) = (fx.books().pop(), fx.books().pop());
    assert_eq!(fx.same(|c| a.prefetch_author(c).unwrap(), async move |c| b.prefetch_author_async(c).await.unwrap()), 1);
    let n = fx.same(
        |c| Vec::<Author>::new().prefetch_books(c).unwrap(),
        async |c| Vec::<Author>::new().prefetch_books_async(c).await.unwrap(),
    );
    assert_eq!(n, 0, "no parents, no statement");
}

#[test]
fn text_keys_match_blocking() {
    let Some(mut fx) = fixture() else { return };
    for sql in [
        "INSERT INTO countries (code, name) VALUES ('fr', 'France'), ('jp', 'Japan')",
        "INSERT INTO cities (id, country_code, name) VALUES (1, 'fr', 'Lyon'), (2, NULL, 'Atlantis'), (3, 'jp', 'Kyoto')",
    ] {
        diesel::sql_query(sql).execute(&mut *fx.db).unwrap();
    }
    let countries: Vec<Country> = countries::table.order(countries::code).load(&mut *fx.db).unwrap();
    let cities: Vec<City> = cities::table.order(cities::id).load(&mut *fx.db).unwrap();
    let (a, b) = (countries.clone(), countries.clone());
    assert_eq!(fx.same(|c| a.prefetch_cities(c).unwrap(), async move |c| b.prefetch_cities_async(c).await.unwrap()), 1);
    let (a, b) = (cities.clone(), cities);
    assert_eq!(fx.same(|c| a.prefetch_country(c).unwrap(), async move |c| b.prefetch_country_async(c).await.unwrap()), 1);

    // Keys equal to their parent's only under the (case-insensitive) collation.
    diesel::sql_query("INSERT INTO cities (id, country_code, name) VALUES (4, 'FR', 'Paris'), (5, 'Jp', 'Osaka')")
        .execute(&mut *fx.db)
        .unwrap();
    let cities: Vec<City> = cities::table.order(cities::id).load(&mut *fx.db).unwrap();
    let (a, b) = (countries.clone(), countries.clone());
    assert_eq!(fx.same(|c| a.prefetch_cities(c).unwrap(), async move |c| b.prefetch_cities_async(c).await.unwrap()), 1 + 2);
    let (a, b) = (countries.clone(), countries);
    fx.same(
        |c| a.prefetch_cities_with(c, |p| p.order(cities::name.desc()).limit_per_parent(1)).unwrap(),
        async move |c| b.prefetch_cities_with_async(c, |p| p.order(cities::name.desc()).limit_per_parent(1)).await.unwrap(),
    );
    let (a, b) = (cities.clone(), cities);
    assert_eq!(fx.same(|c| a.prefetch_country(c).unwrap(), async move |c| b.prefetch_country_async(c).await.unwrap()), 1 + 2);
}

/// The key-based loaders (`keyed::*_async`, what the GraphQL DataLoaders
/// run) give what the blocking ones give, with as many statements: every
/// relation kind and counts, with keys the database has, keys it has only
/// under another spelling ('FR' for 'fr'), and keys it does not have.
#[test]
fn keyed_loaders_match_blocking() {
    use diesel_relations::keyed;
    use std::collections::BTreeMap;
    let Some(mut fx) = fixture() else { return };
    for sql in [
        "INSERT INTO countries (code, name) VALUES ('fr', 'France'), ('jp', 'Japan')",
        "INSERT INTO cities (id, country_code, name) VALUES (1, 'fr', 'Lyon'), (2, NULL, 'Atlantis'), (3, 'jp', 'Kyoto'), (4, 'FR', 'Paris')",
    ] {
        diesel::sql_query(sql).execute(&mut *fx.db).unwrap();
    }
    fn sorted<K: Ord, V>(map: std::collections::HashMap<K, V>) -> BTreeMap<K, V> {
        map.into_iter().collect()
    }
    let codes = || vec!["FR".to_string(), "jp".to_string(), "nope".to_string()];
    let n = fx.same(
        |c| sorted(keyed::has_many(CountryCities, codes(), c).unwrap()),
        async |c| sorted(keyed::has_many_async(CountryCities, codes(), c).await.unwrap()),
    );
    assert!(n >= 1);
    fx.same(
        |c| sorted(keyed::count(CountryCities, codes(), c).unwrap()),
        async |c| sorted(keyed::count_async(CountryCities, codes(), c).await.unwrap()),
    );
    fx.same(
        |c| sorted(keyed::belongs_to(CityCountry, codes(), c).unwrap()),
        async |c| sorted(keyed::belongs_to_async(CityCountry, codes(), c).await.unwrap()),
    );
    let ids = || vec![1, 2, 3, 99];
    assert_eq!(
        fx.same(
            |c| sorted(keyed::has_one(AuthorProfile, ids(), c).unwrap()),
            async |c| sorted(keyed::has_one_async(AuthorProfile, ids(), c).await.unwrap()),
        ),
        1
    );
    fx.same(
        |c| sorted(keyed::many_to_many(BookTags, ids(), c).unwrap()),
        async |c| sorted(keyed::many_to_many_async(BookTags, ids(), c).await.unwrap()),
    );
    assert_eq!(
        fx.same(
            |c| sorted(keyed::has_many_with(AuthorBooks, ids(), c, |p| p.order(books::id.desc()).limit_per_parent(1)).unwrap()),
            async |c| {
                sorted(keyed::has_many_with_async(AuthorBooks, ids(), c, |p| p.order(books::id.desc()).limit_per_parent(1)).await.unwrap())
            },
        ),
        1
    );
    // Each key gets what `prefetch_*` hands the model with that key.
    let got = fx.rt.block_on(keyed::has_many_async(CountryCities, codes(), &mut fx.conn)).unwrap();
    let ids_of = |cities: &Vec<City>| cities.iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(ids_of(&got["FR"]), vec![1, 4]);
    assert_eq!(ids_of(&got["jp"]), vec![3]);
    assert!(got["nope"].is_empty());
}

#[test]
fn a_database_error_is_an_err_naming_the_relation() {
    let Some(mut fx) = fixture() else { return };
    let authors = fx.authors();
    diesel::sql_query("DROP TABLE reviews").execute(&mut *fx.db).unwrap();
    let err = fx
        .rt
        .block_on(authors.prefetch_books_with_async(&mut fx.conn, |p| {
            p.then(async |books, c| books.prefetch_review_set_async(c).await)
        }))
        .unwrap_err();
    assert_eq!(err.relation(), "review_set");
    assert!(matches!(err.kind(), ErrorKind::Database(_)), "{err}");
}

#[test]
fn a_dangling_key_and_a_duplicate_one_to_one_are_errors() {
    let Some(mut fx) = fixture() else { return };
    diesel::sql_query("INSERT INTO books (id, author_id, editor_id, title) VALUES (50, 77, NULL, 'Orphan')")
        .execute(&mut *fx.db)
        .unwrap();
    diesel::sql_query("INSERT INTO profiles (id, author_id, bio) VALUES (3, 2, 'second')").execute(&mut *fx.db).unwrap();
    let books = fx.books();
    let err = fx.rt.block_on(books.clone().prefetch_author_async(&mut fx.conn)).unwrap_err();
    assert_eq!(err.relation(), "author");
    assert!(matches!(err.kind(), ErrorKind::MissingParent { key } if key == "77"), "{err}");
    let err = fx.rt.block_on(books.prefetch_shared_async(BookAuthor, &mut fx.conn)).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MissingParent { key } if key == "77"), "{err}");
    let authors = fx.authors();
    let err = fx.rt.block_on(authors.prefetch_profile_async(&mut fx.conn)).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::NotUnique { key, rows: 2 } if key == "2"), "{err}");
}

#[test]
fn inside_a_transaction_loaders_see_its_uncommitted_rows() {
    let Some(mut fx) = fixture() else { return };
    let authors = fx.authors();
    let seen = fx.rt.block_on(async {
        let mut seen = Vec::new();
        let result: Result<(), diesel::result::Error> = fx
            .conn
            .transaction(async |conn| {
                diesel_async::RunQueryDsl::execute(
                    diesel::sql_query("INSERT INTO books (id, author_id, editor_id, title) VALUES (100, 3, NULL, 'Use of Weapons')"),
                    conn,
                )
                .await?;
                let loaded = authors.clone().prefetch_books_async(conn).await?;
                seen = loaded[2].books().iter().map(|b| b.id).collect();
                Err(diesel::result::Error::RollbackTransaction)
            })
            .await;
        assert!(matches!(result, Err(diesel::result::Error::RollbackTransaction)));
        seen
    });
    assert_eq!(seen, vec![100], "the loader ran inside the transaction");
    let after = fx.rt.block_on(authors.prefetch_books_async(&mut fx.conn)).unwrap();
    assert!(after[2].books().is_empty(), "rolled back");
}

#[test]
fn pooled_connections_load_like_plain_ones() {
    use diesel_async::pooled_connection::deadpool::Pool;
    use diesel_async::pooled_connection::AsyncDieselConnectionManager;
    let Some(mut fx) = fixture() else { return };
    let authors = fx.authors();
    let expected = format!("{:#?}", authors.clone().prefetch_books(&mut *fx.db).unwrap());
    let pool = Pool::builder(AsyncDieselConnectionManager::<AsyncConn>::new(fx.db.url())).max_size(2).build().unwrap();
    fx.rt.block_on(async {
        let mut pooled = pool.get().await.unwrap();
        let count = QueryCount::install_async(&mut pooled);
        let got = authors.prefetch_books_async(&mut pooled).await.unwrap();
        assert_eq!(format!("{got:#?}"), expected);
        assert_eq!(count.get(), 1);
    });
}

#[test]
fn loader_futures_move_to_other_threads() {
    let Some(mut fx) = fixture() else { return };
    let authors = fx.authors();
    let expected = format!(
        "{:#?}",
        authors.clone().prefetch_books_with(&mut *fx.db, |p| p.then(|b, c| b.prefetch_review_set(c))).unwrap()
    );
    let url = fx.db.url().to_string();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let got = rt.block_on(async move {
        // `tokio::spawn` requires a `Send + 'static` future.
        tokio::spawn(async move {
            let mut conn = AsyncConn::establish(&url).await.unwrap();
            let loaded = authors
                .prefetch_books_with_async(&mut conn, |p| p.then(async |b, c| b.prefetch_review_set_async(c).await))
                .await
                .unwrap();
            format!("{loaded:#?}")
        })
        .await
        .unwrap()
    });
    assert_eq!(got, expected);
}

#[test]
fn assert_num_queries_async_counts_and_reports() {
    let Some(mut fx) = fixture() else { return };
    let authors = fx.authors();
    let loaded = fx.rt.block_on(assert_num_queries_async(&mut fx.conn, 2, async |c| {
        authors.clone().prefetch_books_async(c).await.unwrap().prefetch_profile_async(c).await.unwrap()
    }));
    assert_eq!(loaded.len(), 4);
    // A wrong count panics, listing the statements that ran.
    let Fixture { conn, rt, .. } = &mut fx;
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        rt.block_on(assert_num_queries_async(conn, 1, async |c| {
            authors.prefetch_books_async(c).await.unwrap().prefetch_profile_async(c).await.unwrap()
        }))
    }))
    .unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.starts_with("expected 1 statement(s), 2 ran:"), "{message}");
    assert!(message.contains("profiles"), "{message}");
}

#[test]
fn shapes_match_blocking() {
    let Some(mut fx) = fixture() else { return };
    // Every kind of relation, nested: the same cards and statements.
    let n = fx.same(
        |c| crate::cards::AuthorCard::load(authors::table.order(authors::id), c).unwrap(),
        async |c| crate::cards::AuthorCard::load_async(authors::table.order(authors::id), c).await.unwrap(),
    );
    assert_eq!(n, 5 + 2 * m2m());
    // Forward relations shaped again, onto models already loaded.
    let (a, b) = (fx.books(), fx.books());
    let n = fx.same(
        |c| crate::cards::BookCard::from_models(a, c).unwrap(),
        async move |c| crate::cards::BookCard::from_models_async(b, c).await.unwrap(),
    );
    assert_eq!(n, 4);
    let (a, b) = (fx.authors().remove(1), fx.authors().remove(1));
    fx.same(
        |c| crate::cards::AuthorWithBooks::from_model(a, c).unwrap(),
        async move |c| crate::cards::AuthorWithBooks::from_model_async(b, c).await.unwrap(),
    );
    // Aggregate fields, also nested: the same values and statements (8).
    let n = fx.same(
        |c| crate::cards::AuthorSummary::load(authors::table.order(authors::id), c).unwrap(),
        async |c| crate::cards::AuthorSummary::load_async(authors::table.order(authors::id), c).await.unwrap(),
    );
    assert_eq!(n, 8);
    // A joined field: the books with their authors in one statement.
    let n = fx.same(
        |c| crate::cards::JoinedBookCard::load_joined(c, |q| q.order(books::id)).unwrap(),
        async |c| {
            crate::cards::JoinedBookCard::load_joined_async(c, |q| q.order(books::id))
                .await
                .unwrap()
        },
    );
    assert_eq!(n, 5);
}

#[test]
fn shape_futures_move_to_other_threads() {
    let Some(mut fx) = fixture() else { return };
    let expected = format!(
        "{:#?}",
        crate::cards::AuthorCard::load(authors::table.order(authors::id), &mut *fx.db).unwrap()
    );
    let url = fx.db.url().to_string();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let got = rt.block_on(async move {
        // `tokio::spawn` requires a `Send + 'static` future.
        tokio::spawn(async move {
            let mut conn = AsyncConn::establish(&url).await.unwrap();
            let cards = crate::cards::AuthorCard::load_async(authors::table.order(authors::id), &mut conn)
                .await
                .unwrap();
            // A joined shape's future is `Send` too.
            let joined = crate::cards::JoinedBookCard::load_joined_async(&mut conn, |q| q.order(books::id))
                .await
                .unwrap();
            assert_eq!(joined.len(), 5);
            format!("{cards:#?}")
        })
        .await
        .unwrap()
    });
    assert_eq!(got, expected);
}

#[test]
fn refined_shapes_match_blocking() {
    let Some(mut fx) = fixture() else { return };
    let n = fx.same(
        |c| AuthorHighlights::load(authors::table.order(authors::id), c).unwrap(),
        async |c| AuthorHighlights::load_async(authors::table.order(authors::id), c).await.unwrap(),
    );
    assert_eq!(n, 7 + m2m());
}

#[test]
fn counts_match_blocking() {
    let Some(mut fx) = fixture() else { return };
    let (a, b) = (fx.authors(), fx.authors());
    let n = fx.same(
        |c| a.prefetch_count(AuthorBooks, c).unwrap().prefetch_exists(AuthorEditedBooks, c).unwrap(),
        async move |c| {
            b.prefetch_count_async(AuthorBooks, c)
                .await
                .unwrap()
                .prefetch_exists_async(AuthorEditedBooks, c)
                .await
                .unwrap()
        },
    );
    assert_eq!(n, 2);
    let (a, b) = (fx.books(), fx.books());
    let n = fx.same(
        |c| a.prefetch_count_with(BookReviewSet, c, |f| f.filter(reviews::stars.ge(5))).unwrap(),
        async move |c| {
            b.prefetch_count_with_async(BookReviewSet, c, |f| f.filter(reviews::stars.ge(5)))
                .await
                .unwrap()
        },
    );
    assert_eq!(n, 1);
    // Column aggregates, filtered too.
    let (a, b) = (fx.authors(), fx.authors());
    let n = fx.same(
        |c| {
            a.prefetch_aggregate(AuthorBooks, (diesel_relations::Max(books::id), diesel_relations::Avg(books::id)), c)
                .unwrap()
                .prefetch_aggregate_with(AuthorBooks, diesel_relations::Min(books::title), c, |f| {
                    f.filter(books::title.like("%e%"))
                })
                .unwrap()
        },
        async move |c| {
            b.prefetch_aggregate_async(AuthorBooks, (diesel_relations::Max(books::id), diesel_relations::Avg(books::id)), c)
                .await
                .unwrap()
                .prefetch_aggregate_with_async(AuthorBooks, diesel_relations::Min(books::title), c, |f| {
                    f.filter(books::title.like("%e%"))
                })
                .await
                .unwrap()
        },
    );
    assert_eq!(n, 2);
    // Many-to-many: a count, and column aggregates filtered on the target.
    let (a, b) = (fx.authors(), fx.authors());
    let n = fx.same(
        |c| {
            a.prefetch_count(AuthorFavoriteBooks, c)
                .unwrap()
                .prefetch_aggregate_with(AuthorFavoriteBooks, diesel_relations::Max(books::title), c, |f| {
                    f.filter(books::title.like("%e%"))
                })
                .unwrap()
        },
        async move |c| {
            b.prefetch_count_async(AuthorFavoriteBooks, c)
                .await
                .unwrap()
                .prefetch_aggregate_with_async(AuthorFavoriteBooks, diesel_relations::Max(books::title), c, |f| {
                    f.filter(books::title.like("%e%"))
                })
                .await
                .unwrap()
        },
    );
    assert_eq!(n, 2);
    // The future of a filtered count runs under `tokio::spawn`.
    let url = fx.db.url().to_string();
    let authors = fx.authors();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let counts = rt.block_on(async move {
        tokio::spawn(async move {
            let mut conn = AsyncConn::establish(&url).await.unwrap();
            let name = String::from("The %");
            let counted = authors
                .prefetch_count_with_async(AuthorBooks, &mut conn, |f| f.filter(books::title.like(name)))
                .await
                .unwrap();
            let newest = counted
                .prefetch_aggregate_async(AuthorBooks, (diesel_relations::Max(books::id), diesel_relations::CountOf(books::id)), &mut conn)
                .await
                .unwrap();
            assert_eq!(newest.len(), 4);
            newest.iter().map(|a| a.count(AuthorBooks)).collect::<Vec<i64>>()
        })
        .await
        .unwrap()
    });
    assert_eq!(counts.len(), 4);
}
