// The behavioural suite, written once and included into one module per backend
// (see tests/behaviour.rs). The including module provides `connect()`.

use diesel::prelude::*;
use diesel_relations::prelude::*;
use diesel_relations::{assert_num_queries, keyed, ErrorKind, QueryCount};
use diesel_relations::__private::{override_many_to_many_plan, ManyToManyPlan};

use crate::common::models::schema::*;
use crate::common::models::*;

// seed(), seed_profiles(), seed_tags(): shared with the async suite.
include!("seed.rs");

fn all_authors(conn: &mut Conn) -> Vec<Author> {
    authors::table.order(authors::id).select(Author::as_select()).load(conn).unwrap()
}

fn titles(books: &[Book]) -> Vec<(i32, &str)> {
    books.iter().map(|b| (b.id, b.title.as_str())).collect()
}

#[test]
fn reverse_prefetch_gives_each_parent_its_children_in_child_key_order() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let authors = all_authors(conn).prefetch_books(conn).unwrap();
    let got: Vec<(&str, Vec<i32>)> = authors
        .iter()
        .map(|a| (a.name.as_str(), a.books().iter().map(|b| b.id).collect()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("Ursula", vec![1, 2, 5]),
            ("Octavia", vec![3]),
            ("Iain", vec![]),
            ("Ted", vec![9]),
        ]
    );
    assert_eq!(
        titles(authors[0].books()),
        vec![
            (1, "The Left Hand of Darkness"),
            (2, "A Wizard of Earthsea"),
            (5, "The Dispossessed")
        ]
    );
}

#[test]
fn prefetch_costs_one_statement_per_relation() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let authors = assert_num_queries(conn, 1 + 2, |conn| {
        all_authors(conn)
            .prefetch_books(conn)
            .unwrap()
            .prefetch_edited_books(conn)
            .unwrap()
    });
    assert_eq!(authors[0].books().len(), 3);
    assert_eq!(titles(authors[1].edited_books()), vec![(5, "The Dispossessed")]);
}

#[test]
fn empty_parent_list_runs_no_query() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    let loaded = assert_num_queries(conn, 0, |conn| {
        Vec::<Author>::new()
            .prefetch_books(conn)
            .unwrap()
            .prefetch_edited_books(conn)
            .unwrap()
    });
    assert!(loaded.is_empty());
    let books = assert_num_queries(conn, 0, |conn| Vec::<Book>::new().prefetch_author(conn).unwrap());
    assert!(books.is_empty());
}

#[test]
fn duplicate_parents_each_get_their_children() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let ursula = Author { id: 1, name: "Ursula".into() };
    let octavia = Author { id: 2, name: "Octavia".into() };
    let authors = vec![ursula.clone(), octavia, ursula];
    let authors = authors.prefetch_books(conn).unwrap();
    let ids: Vec<Vec<i32>> = authors.iter().map(|a| a.books().iter().map(|b| b.id).collect()).collect();
    assert_eq!(ids, vec![vec![1, 2, 5], vec![3], vec![1, 2, 5]]);
}

#[test]
fn keys_are_deduplicated_before_querying() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let a = |id| Author { id, name: String::new() };
    let count = QueryCount::install(conn);
    vec![a(2), a(1), a(2), a(1), a(2)].prefetch_books(conn).unwrap();
    let statements = count.statements();
    assert_eq!(statements.len(), 1, "{statements:?}");
    // Each distinct key once, in first-seen order.
    assert!(statements[0].contains("[2, 1]"), "{}", statements[0]);
}

#[test]
fn null_foreign_keys_belong_to_no_parent_and_are_never_sent() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let authors = all_authors(conn).prefetch_edited_books(conn).unwrap();
    let edited: Vec<Vec<i32>> = authors.iter().map(|a| a.edited_books().iter().map(|b| b.id).collect()).collect();
    // Books 2 and 9 have no editor and appear nowhere.
    assert_eq!(edited, vec![vec![3], vec![5], vec![], vec![1]]);

    // Forward: only NULL keys, so nothing to ask the database.
    let unedited: Vec<Book> = books::table.filter(books::editor_id.is_null()).order(books::id).load(conn).unwrap();
    let unedited = assert_num_queries(conn, 0, |conn| unedited.prefetch_editor(conn).unwrap());
    assert_eq!(unedited.len(), 2);
    assert!(unedited.iter().all(|b| b.editor().is_none()));
}

#[test]
fn forward_prefetch_loads_each_distinct_parent_once() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let books: Vec<Book> = books::table.order(books::id).load(conn).unwrap();
    let count = QueryCount::install(conn);
    let books = books.prefetch_author(conn).unwrap().prefetch_editor(conn).unwrap();
    assert_eq!(count.get(), 2);
    let got: Vec<(i32, &str, Option<&str>)> = books
        .iter()
        .map(|b| (b.id, b.author().name.as_str(), b.editor().as_ref().map(|e| e.name.as_str())))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "Ursula", Some("Ted")),
            (2, "Ursula", None),
            (3, "Octavia", Some("Ursula")),
            (5, "Ursula", Some("Octavia")),
            (9, "Ted", None),
        ]
    );
    // Three books by Ursula, one distinct key for her in the statement.
    assert!(count.statements()[0].contains("[1, 2, 4]"), "{}", count.statements()[0]);
}

/// `prefetch_shared` loads what `prefetch_<relation>` loads, in the same
/// statements, with one `Arc` per distinct key: the three books of one
/// author hold one author between them. A nullable key gives
/// `Option<Arc<..>>`; a dangling key is the same error; chunking changes
/// nothing.
#[test]
fn shared_forward_prefetch_gives_each_parent_once_as_an_arc() {
    use std::sync::Arc;
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let books: Vec<Book> = books::table.order(books::id).load(conn).unwrap();
    let owned = books.clone().prefetch_author(conn).unwrap().prefetch_editor(conn).unwrap();
    let shared = assert_num_queries(conn, 2, |conn| {
        books.clone().prefetch_shared(BookAuthor, conn).unwrap().prefetch_shared(BookEditor, conn).unwrap()
    });
    assert_eq!(shared.len(), owned.len());
    for (s, o) in shared.iter().zip(&owned) {
        assert_eq!(s.id, o.id);
        let author: &Arc<Author> = s.author();
        assert_eq!(**author, *o.author());
        let editor: &Option<Arc<Author>> = s.editor();
        assert_eq!(editor.as_deref(), o.editor().as_ref());
    }
    // Books 1, 2 and 5 are Ursula's: one author, three handles.
    let ursula = |i: usize| shared[i].author().clone();
    assert!(Arc::ptr_eq(&ursula(0), &ursula(1)) && Arc::ptr_eq(&ursula(0), &ursula(3)));
    assert_eq!(Arc::strong_count(shared[0].author()), 3);
    assert_eq!(shared[0].author().name, "Ursula");

    let chunked = {
        let _one_key_per_statement = diesel_relations::__private::override_max_keys_per_statement(1);
        // Three distinct authors among the books: three statements.
        assert_num_queries(conn, 3, |conn| books.clone().prefetch_shared(BookAuthor, conn).unwrap())
    };
    let names = |b: &[With<Book, BookAuthor, Arc<Author>>]| b.iter().map(|b| b.author().name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&chunked), names(&books.clone().prefetch_shared(BookAuthor, conn).unwrap()));

    let orphan = Book { id: 99, author_id: 42, editor_id: None, title: "Orphan".into() };
    let err = vec![orphan.clone()].prefetch_shared(BookAuthor, conn).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MissingParent { key } if key == "42"), "{err}");
    assert_eq!(err.to_string(), "loading relation `author` failed: no parent row has key 42");
    // One book, and no book: the same shapes as the owned loader.
    let one = books[0].clone().prefetch_shared(BookAuthor, conn).unwrap();
    assert_eq!(one.author().name, "Ursula");
    let none = assert_num_queries(conn, 0, |conn| Vec::<Book>::new().prefetch_shared(BookAuthor, conn).unwrap());
    assert!(none.is_empty());
}

#[test]
fn forward_prefetch_with_a_dangling_key_is_an_error() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let orphan = Book { id: 99, author_id: 42, editor_id: None, title: "Orphan".into() };
    let err = vec![orphan].prefetch_author(conn).unwrap_err();
    assert_eq!(err.relation(), "author");
    assert!(matches!(err.kind(), ErrorKind::MissingParent { key } if key == "42"), "{err}");
    assert_eq!(err.to_string(), "loading relation `author` failed: no parent row has key 42");

    // Among existing books, two dangling keys: the error names the one of
    // the first dangling book in the caller's order, owned and shared alike.
    let mut books: Vec<Book> = books::table.order(books::id).load(conn).unwrap();
    let dangling = |id, author_id| Book { id, author_id, editor_id: None, title: format!("Orphan {id}") };
    books.insert(1, dangling(98, 77));
    books.push(dangling(99, 42));
    books.push(dangling(100, 77));
    let err = books.clone().prefetch_author(conn).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MissingParent { key } if key == "77"), "{err}");
    let err = books.clone().prefetch_shared(BookAuthor, conn).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MissingParent { key } if key == "77"), "{err}");
    let last_but_one = books.len() - 2;
    books.swap(1, last_but_one);
    let err = books.prefetch_author(conn).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MissingParent { key } if key == "42"), "{err}");
}

/// The rule for a key whose parent row does not exist (no foreign-key
/// constraint), pinned for both loaders of one relation: a prefetch gives
/// every child it was handed its parent, so a missing one is an error, for a
/// required and a nullable key alike; a join is SQL's, so it chooses the
/// rows: an inner join (required key) leaves the child out, a left join
/// (nullable key) returns it with `None`. README, "Dangling keys".
#[test]
fn a_dangling_key_is_an_error_to_prefetch_and_a_join_chooses_its_rows() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let orphan = Book { id: 99, author_id: 42, editor_id: Some(43), title: "Orphan".into() };
    diesel::insert_into(books::table).values(&orphan).execute(conn).unwrap();

    let err = vec![orphan.clone()].prefetch_author(conn).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MissingParent { key } if key == "42"), "{err}");
    let err = vec![orphan].prefetch_editor(conn).unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::MissingParent { key } if key == "43"), "{err}");

    let joined = select_related(BookAuthor).load_with(conn, |q| q.order(books::id)).unwrap();
    assert!(joined.iter().all(|b| b.id != 99), "the inner join leaves the orphan out");
    let joined = select_related(BookEditor).load_with(conn, |q| q.filter(books::id.eq(99))).unwrap();
    assert_eq!(joined.len(), 1);
    assert_eq!(joined[0].editor(), &None);
}

#[test]
fn select_related_joins_a_required_parent_in_one_statement() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let books = assert_num_queries(conn, 1, |conn| {
        select_related(BookAuthor).load_with(conn, |q| q.order(books::id)).unwrap()
    });
    let got: Vec<(i32, &str)> = books.iter().map(|b| (b.id, b.author().name.as_str())).collect();
    assert_eq!(got, vec![(1, "Ursula"), (2, "Ursula"), (3, "Octavia"), (5, "Ursula"), (9, "Ted")]);
}

#[test]
fn select_related_left_joins_a_nullable_parent() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let books = select_related(BookEditor).load_with(conn, |q| q.order(books::id)).unwrap();
    let got: Vec<(i32, Option<&str>)> =
        books.iter().map(|b| (b.id, b.editor().as_ref().map(|e| e.name.as_str()))).collect();
    assert_eq!(
        got,
        vec![(1, Some("Ted")), (2, None), (3, Some("Ursula")), (5, Some("Octavia")), (9, None)]
    );
}

#[test]
fn select_related_filters_on_the_parent_table() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let books = select_related(BookAuthor)
        .load_with(conn, |q| q.filter(authors::name.eq("Ursula")).order(books::id.desc()))
        .unwrap();
    let ids: Vec<i32> = books.iter().map(|b| b.id).collect();
    assert_eq!(ids, vec![5, 2, 1]);
}

#[test]
fn joined_and_prefetched_relations_compose() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let books = assert_num_queries(conn, 2, |conn| {
        select_related(BookAuthor)
            .load_with(conn, |q| q.order(books::id))
            .unwrap()
            .prefetch_review_set(conn)
            .unwrap()
    });
    let got: Vec<(&str, Vec<i32>)> = books
        .iter()
        .map(|b| (b.author().name.as_str(), b.review_set().iter().map(|r| r.stars).collect()))
        .collect();
    assert_eq!(
        got,
        vec![("Ursula", vec![5, 4]), ("Ursula", vec![]), ("Octavia", vec![5]), ("Ursula", vec![]), ("Ted", vec![])]
    );
}

#[test]
fn works_on_one_parent_and_on_an_optional_parent() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let ursula: Author = authors::table.find(1).first(conn).unwrap();
    let ursula = ursula.prefetch_books(conn).unwrap();
    assert_eq!(ursula.books().len(), 3);
    assert_eq!(ursula.name, "Ursula");

    let nobody: Option<Author> = authors::table.find(77).first(conn).optional().unwrap();
    let nobody = assert_num_queries(conn, 0, |conn| nobody.prefetch_books(conn).unwrap());
    assert!(nobody.is_none());

    let octavia: Option<Author> = authors::table.find(2).first(conn).optional().unwrap();
    let octavia = octavia.prefetch_books(conn).unwrap().unwrap();
    assert_eq!(titles(octavia.books()), vec![(3, "Kindred")]);
}

#[test]
fn chunked_prefetch_gives_the_same_tree_as_one_statement() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let whole = all_authors(conn).prefetch_books(conn).unwrap().prefetch_edited_books(conn).unwrap();
    let chunked = {
        let _chunks_of_two = diesel_relations::__private::override_max_keys_per_statement(2);
        // 4 authors: two chunks per relation.
        assert_num_queries(conn, 1 + 2 + 2, |conn| {
            all_authors(conn).prefetch_books(conn).unwrap().prefetch_edited_books(conn).unwrap()
        })
    };
    assert_eq!(whole, chunked);

    let books: Vec<Book> = books::table.order(books::id).load(conn).unwrap();
    let whole = books.clone().prefetch_author(conn).unwrap();
    let _one_key_per_statement = diesel_relations::__private::override_max_keys_per_statement(1);
    // Three distinct authors among the books: three statements.
    let chunked = assert_num_queries(conn, 3, |conn| books.prefetch_author(conn).unwrap());
    assert_eq!(whole, chunked);
}

#[test]
fn text_keys_and_nullable_text_foreign_keys() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    let country = |code: &str, name: &str| Country { code: code.into(), name: name.into() };
    diesel::insert_into(countries::table)
        .values(&vec![
            country("0f8fad5b-d9cb-469f-a165-70867728950e", "Narnia"),
            country("it's; -- \"quoted\"", "Quotes"),
            country("Ünïcødé", "Unicode"),
        ])
        .execute(conn)
        .unwrap();
    let city = |id, code: Option<&str>, name: &str| City { id, country: code.map(Into::into), name: name.into() };
    diesel::insert_into(cities::table)
        .values(&vec![
            city(1, Some("0f8fad5b-d9cb-469f-a165-70867728950e"), "Cair Paravel"),
            city(2, Some("it's; -- \"quoted\""), "Semicolon"),
            city(3, None, "Nowhere"),
            city(4, Some("Ünïcødé"), "Ångström"),
            city(5, Some("0f8fad5b-d9cb-469f-a165-70867728950e"), "Beaversdam"),
        ])
        .execute(conn)
        .unwrap();
    let countries: Vec<Country> = countries::table.order(countries::name).load(conn).unwrap();
    let countries = countries.prefetch_cities(conn).unwrap();
    let got: Vec<(&str, Vec<i64>)> =
        countries.iter().map(|c| (c.name.as_str(), c.cities().iter().map(|c| c.id).collect())).collect();
    assert_eq!(got, vec![("Narnia", vec![1, 5]), ("Quotes", vec![2]), ("Unicode", vec![4])]);

    let cities: Vec<City> = cities::table.order(cities::id).load(conn).unwrap();
    let cities = cities.prefetch_country(conn).unwrap();
    let got: Vec<Option<&str>> = cities.iter().map(|c| c.country().as_ref().map(|c| c.name.as_str())).collect();
    assert_eq!(got, vec![Some("Narnia"), Some("Quotes"), None, Some("Unicode"), Some("Narnia")]);
    // The field is named `country` (column `country_code`): the forward
    // relation is named after the field, and the value is still readable.
    assert_eq!(With::inner(&cities[1]).country.as_deref(), Some("it's; -- \"quoted\""));
}

/// The text key columns compare case-insensitively on every backend
/// (MariaDB's default collation, SQLite's NOCASE, a PostgreSQL ICU
/// nondeterministic collation; see `common::schema`): the database matches
/// a city's `'zed'` to the country `'Zed'`, and so does every loader. Each
/// key that equals its parent's only under the collation costs one lookup.
#[test]
fn text_keys_that_differ_only_in_case_follow_the_database() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    let country = |code: &str, name: &str| Country { code: code.into(), name: name.into() };
    diesel::insert_into(countries::table)
        .values(&vec![country("Zed", "Zedland"), country("ab", "Abland")])
        .execute(conn)
        .unwrap();
    let city = |id, code: Option<&str>, name: &str| City { id, country: code.map(Into::into), name: name.into() };
    diesel::insert_into(cities::table)
        .values(&vec![
            city(1, Some("zed"), "a"),
            city(2, Some("ZED"), "b"),
            city(3, Some("Zed"), "c"),
            city(4, Some("AB"), "d"),
            city(5, None, "e"),
        ])
        .execute(conn)
        .unwrap();
    let countries: Vec<Country> = countries::table.order(countries::name.desc()).load(conn).unwrap();

    // Has-many: 1 statement, then one lookup per stray key ('zed', 'ZED', 'AB').
    let loaded = assert_num_queries(conn, 1 + 3, |conn| countries.clone().prefetch_cities(conn).unwrap());
    let ids = |cities: &[City]| cities.iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(ids(loaded[0].cities()), vec![1, 2, 3]);
    assert_eq!(ids(loaded[1].cities()), vec![4]);

    // Counts group the keys as the database does: 'zed', 'ZED' and 'Zed'
    // are one country's, whichever spelling the group comes back with.
    let counted = countries.clone().prefetch_count(CountryCities, conn).unwrap();
    assert_eq!(counted.iter().map(|c| c.count(CountryCities)).collect::<Vec<_>>(), vec![3, 1]);
    let counted = countries
        .clone()
        .prefetch_exists_with(CountryCities, conn, |f| f.filter(cities::name.eq("d")))
        .unwrap();
    assert_eq!(counted.iter().map(|c| c.exists(CountryCities)).collect::<Vec<_>>(), vec![false, true]);

    // Top-N counts a parent's rows whatever their key's case.
    let loaded = countries.clone().prefetch_cities_with(conn, |p| p.order(cities::name).limit_per_parent(2)).unwrap();
    assert_eq!(ids(loaded[0].cities()), vec![1, 2]);
    assert_eq!(ids(loaded[1].cities()), vec![4]);
    let loaded = countries
        .clone()
        .prefetch_cities_with(conn, |p| p.order(cities::name.desc()).offset_per_parent(1).limit_per_parent(1))
        .unwrap();
    assert_eq!(ids(loaded[0].cities()), vec![2]);
    assert_eq!(ids(loaded[1].cities()), Vec::<i64>::new());

    // Belongs-to: no city is reported without a country the database has.
    let cities: Vec<City> = cities::table.order(cities::id).load(conn).unwrap();
    let loaded = cities.clone().prefetch_country(conn).unwrap();
    let want = vec![Some("Zedland"), Some("Zedland"), Some("Zedland"), Some("Abland"), None];
    let got: Vec<Option<&str>> = loaded.iter().map(|c| c.country().as_ref().map(|c| c.name.as_str())).collect();
    assert_eq!(got, want);

    // The join agrees.
    let joined = select_related(CityCountry).load_with(conn, |q| q.order(cities::id)).unwrap();
    let got: Vec<Option<&str>> = joined.iter().map(|c| c.country().as_ref().map(|c| c.name.as_str())).collect();
    assert_eq!(got, want);

    // So do shared parents: one `Arc` per distinct key spelling.
    let shared = cities.clone().prefetch_shared(CityCountry, conn).unwrap();
    let got: Vec<Option<&str>> = shared.iter().map(|c| c.country().as_ref().map(|c| c.name.as_str())).collect();
    assert_eq!(got, want);
}

/// The key-based loaders (`keyed`, what the GraphQL DataLoaders run) match
/// text keys as the database does, also for keys spelled otherwise than
/// their parent row's (a GraphQL argument `"ZED"` for the country `'Zed'`):
/// a key gets every child the database calls its own.
#[test]
fn keyed_loaders_match_text_keys_as_the_database_does() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    let country = |code: &str, name: &str| Country { code: code.into(), name: name.into() };
    diesel::insert_into(countries::table)
        .values(&vec![country("Zed", "Zedland"), country("ab", "Abland")])
        .execute(conn)
        .unwrap();
    let city = |id, code: Option<&str>, name: &str| City { id, country: code.map(Into::into), name: name.into() };
    diesel::insert_into(cities::table)
        .values(&vec![
            city(1, Some("zed"), "a"),
            city(2, Some("ZED"), "b"),
            city(3, Some("Zed"), "c"),
            city(4, Some("AB"), "d"),
            city(5, None, "e"),
        ])
        .execute(conn)
        .unwrap();
    let ids = |cities: &[City]| cities.iter().map(|c| c.id).collect::<Vec<_>>();
    let key = |k: &str| k.to_string();

    // The parents' own keys: one statement, one lookup per stray key
    // ('zed', 'ZED', 'AB'), as `prefetch_cities`.
    let cities = assert_num_queries(conn, 1 + 3, |conn| {
        keyed::has_many(CountryCities, vec![key("Zed"), key("ab")], conn).unwrap()
    });
    assert_eq!(ids(&cities["Zed"]), vec![1, 2, 3]);
    assert_eq!(ids(&cities["ab"]), vec![4]);

    // Keys spelled otherwise than their rows, and one with no row.
    let cities = keyed::has_many(CountryCities, vec![key("ZED"), key("Ab"), key("nope")], conn).unwrap();
    assert_eq!(ids(&cities["ZED"]), vec![1, 2, 3]);
    assert_eq!(ids(&cities["Ab"]), vec![4]);
    assert!(cities["nope"].is_empty());
    let counts = keyed::count(CountryCities, vec![key("ZED"), key("Ab"), key("nope")], conn).unwrap();
    assert_eq!((counts["ZED"], counts["Ab"], counts["nope"]), (3, 1, 0));

    // Belongs-to: the parent the database finds for each key.
    let found = keyed::belongs_to(CityCountry, vec![key("ZED"), key("zed"), key("nope")], conn).unwrap();
    assert_eq!(found["ZED"].name, "Zedland");
    assert_eq!(found["zed"].name, "Zedland");
    assert!(!found.contains_key("nope"));
}

/// Nullability comes from the types, not from how they are spelled: a
/// parent key field `Option<i32>` on a nullable key column (as `diesel
/// print-schema` writes SQLite's `INTEGER PRIMARY KEY`) is an `i32` key, and
/// a nullable foreign key written through a type alias gives `Option<Person>`
/// and a left join.
#[test]
fn nullability_is_read_from_the_types_not_their_spelling() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    let person = |id, name: &str| Person { id: Some(id), name: name.into() };
    diesel::insert_into(people::table).values(&vec![person(1, "Ann"), person(2, "Bo")]).execute(conn).unwrap();
    let pet = |id, owner_id, name: &str| Pet { id, owner_id, name: name.into() };
    diesel::insert_into(pets::table)
        .values(&vec![pet(1, Some(1), "Rex"), pet(2, None, "Stray"), pet(3, Some(1), "Tom")])
        .execute(conn)
        .unwrap();

    let people: Vec<Person> = people::table.order(people::id).load(conn).unwrap();
    let people = people.prefetch_pets(conn).unwrap();
    let got: Vec<Vec<i32>> = people.iter().map(|p| p.pets().iter().map(|p| p.id).collect()).collect();
    assert_eq!(got, vec![vec![1, 3], vec![]]);
    let counted = people.clone().prefetch_count(PersonPets, conn).unwrap();
    assert_eq!(counted.iter().map(|p| p.count(PersonPets)).collect::<Vec<_>>(), vec![2, 0]);

    let pets: Vec<Pet> = pets::table.order(pets::id).load(conn).unwrap();
    let pets = pets.prefetch_owner(conn).unwrap();
    let owner: &Option<Person> = pets[0].owner();
    assert_eq!(owner.as_ref().map(|p| p.name.as_str()), Some("Ann"));
    assert_eq!(pets[1].owner(), &None, "a NULL key has no owner, and is no error");

    // A left join: the pet without an owner is there.
    let joined = select_related(PetOwner).load_with(conn, |q| q.order(pets::id)).unwrap();
    let got: Vec<(i32, Option<&str>)> =
        joined.iter().map(|p| (p.id, p.owner().as_ref().map(|o| o.name.as_str()))).collect();
    assert_eq!(got, vec![(1, Some("Ann")), (2, None), (3, Some("Ann"))]);
}

/// Link order with a text component in the join model's key, under the
/// case-insensitive collation of `common::schema`: byte order, the same on
/// every backend (`'FR' < 'fr'`), where the collation would call the two
/// codes equal and order by tag. The link `'FR'` belongs to `'fr'`.
#[test]
fn link_order_with_a_text_key_is_byte_order_on_every_backend() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    diesel::insert_into(countries::table)
        .values(&Country { code: "fr".into(), name: "France".into() })
        .execute(conn)
        .unwrap();
    let tag = |id, name: &str| Tag { id, name: name.into() };
    diesel::insert_into(tags::table).values(&vec![tag(3, "t3"), tag(5, "t5")]).execute(conn).unwrap();
    let link = |code: &str, tag_id| CountryTag { country_code: code.into(), tag_id };
    diesel::insert_into(country_tags::table).values(&vec![link("fr", 3), link("FR", 5)]).execute(conn).unwrap();

    let countries: Vec<Country> = countries::table.load(conn).unwrap();
    // Two statements (the links, then the tags by key), and one lookup for
    // the parent key 'FR'.
    let two_step = override_many_to_many_plan(ManyToManyPlan::TwoStep);
    let loaded = assert_num_queries(conn, 3, |conn| countries.clone().prefetch_tags(conn).unwrap());
    drop(two_step);
    let ids: Vec<i32> = loaded[0].tags().iter().map(|t| t.id).collect();
    assert_eq!(ids, vec![5, 3], "('FR', 5) before ('fr', 3): byte order");

    // With an order of the user's, the database orders.
    let loaded = countries.clone().prefetch_tags_with(conn, |t| t.order(tags::name)).unwrap();
    let ids: Vec<i32> = loaded[0].tags().iter().map(|t| t.id).collect();
    assert_eq!(ids, vec![3, 5]);

    // Many-to-many aggregates group 'fr' and 'FR' as the database does: both
    // links are France's, in one count and one tuple of column aggregates.
    let counted = countries.clone().prefetch_count(CountryTags, conn).unwrap();
    assert_eq!(counted[0].count(CountryTags), 2);
    let together = (diesel_relations::CountOf(tags::id), diesel_relations::Max(tags::name), diesel_relations::Avg(tags::id));
    let aggregated = countries.clone().prefetch_aggregate(CountryTags, together, conn).unwrap();
    assert_eq!(aggregated[0].aggregate(CountryTags, together), &(2, Some("t5".to_string()), Some(4.0)));

    // The other way, the join table joins the countries in the collation.
    let tags: Vec<Tag> = tags::table.order(tags::id).load(conn).unwrap();
    let loaded = tags.prefetch_countries(conn).unwrap();
    let names: Vec<Vec<&str>> = loaded.iter().map(|t| t.countries().iter().map(|c| c.name.as_str()).collect()).collect();
    assert_eq!(names, vec![vec!["France"], vec!["France"]]);
}

#[test]
fn big_integer_keys() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    let big = i64::MAX - 1;
    diesel::insert_into(galaxies::table)
        .values(&vec![
            Galaxy { id: big, name: "Far".into() },
            Galaxy { id: -big, name: "Negative".into() },
        ])
        .execute(conn)
        .unwrap();
    diesel::insert_into(stars::table)
        .values(&vec![
            Star { id: 1, galaxy_id: big, name: "a".into() },
            Star { id: 2, galaxy_id: -big, name: "b".into() },
            Star { id: 3, galaxy_id: big, name: "c".into() },
        ])
        .execute(conn)
        .unwrap();
    let galaxies: Vec<Galaxy> = galaxies::table.order(galaxies::id).load(conn).unwrap();
    let galaxies = galaxies.prefetch_stars(conn).unwrap();
    let got: Vec<(i64, Vec<i64>)> =
        galaxies.iter().map(|g| (g.id, g.stars().iter().map(|s| s.id).collect())).collect();
    assert_eq!(got, vec![(-big, vec![2]), (big, vec![1, 3])]);
}

#[test]
fn small_integer_keys() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    diesel::insert_into(sensors::table)
        .values(&vec![Sensor { id: i16::MIN, label: "min".into() }, Sensor { id: i16::MAX, label: "max".into() }])
        .execute(conn)
        .unwrap();
    diesel::insert_into(readings::table)
        .values(&vec![
            Reading { id: 1, sensor_id: i16::MAX, value: 10 },
            Reading { id: 2, sensor_id: i16::MIN, value: 20 },
        ])
        .execute(conn)
        .unwrap();
    let readings: Vec<Reading> = readings::table.order(readings::id).load(conn).unwrap();
    let readings = readings.prefetch_sensor(conn).unwrap();
    let labels: Vec<&str> = readings.iter().map(|r| r.sensor().label.as_str()).collect();
    assert_eq!(labels, vec!["max", "min"]);
}

#[test]
fn a_database_error_is_an_err_naming_the_relation() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let authors = all_authors(conn);
    diesel::sql_query("DROP TABLE books").execute(conn).unwrap();
    let err = authors.clone().prefetch_books(conn).unwrap_err();
    assert_eq!(err.relation(), "books");
    assert!(err.database_error().is_some(), "{err:?}");
    assert!(err.to_string().starts_with("loading relation `books` failed: "), "{err}");
    // `?` into diesel's error keeps the database error as it was.
    let as_diesel: diesel::result::Error = err.into();
    assert!(matches!(as_diesel, diesel::result::Error::DatabaseError(..)), "{as_diesel:?}");
}

#[test]
fn loaded_relations_read_through_layers_and_deref_to_the_model() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let mut authors = all_authors(conn).prefetch_books(conn).unwrap().prefetch_edited_books(conn).unwrap();
    // `books` sits one layer down, `edited_books` on top; both read the same way.
    assert_eq!(authors[0].books().len(), 3);
    assert_eq!(authors[0].edited_books().len(), 1);
    // The model's fields through `Deref`, and a mutable model through `DerefMut`.
    authors[0].name.push_str(" K. Le Guin");
    assert_eq!(authors[0].name, "Ursula K. Le Guin");
    let (inner, edited) = With::into_parts(authors.remove(0));
    assert_eq!(edited.len(), 1);
    assert_eq!(With::into_inner(inner).name, "Ursula K. Le Guin");
}

/// Code shared between relations names the relation as a type parameter and
/// uses the runtime's traits, which the generated methods call.
fn load_children<R, S>(
    parents: S,
    conn: &mut Conn,
) -> diesel_relations::Result<S::Wrapped<R, Vec<R::Child>>>
where
    R: diesel_relations::HasMany,
    R::Child: Clone,
    S: diesel_relations::PrefetchHasMany<R, Conn>,
{
    parents.prefetch_has_many(conn)
}

/// The ids of the books loaded for relation `R`, whichever layer holds it.
fn book_ids<R, I, T>(node: &T) -> Vec<i32>
where
    T: diesel_relations::Get<R, I, Value = Vec<Book>>,
{
    node.get().iter().map(|b| b.id).collect()
}

#[test]
fn code_generic_over_the_relation_uses_the_runtime_traits() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let generic = assert_num_queries(conn, 1 + 2, |conn| {
        let authors = load_children::<AuthorBooks, _>(all_authors(conn), conn).unwrap();
        load_children::<AuthorEditedBooks, _>(authors, conn).unwrap()
    });
    let named = all_authors(conn).prefetch_books(conn).unwrap().prefetch_edited_books(conn).unwrap();
    assert_eq!(generic, named);
    let ids = |relation: fn(&_) -> Vec<i32>| generic.iter().map(relation).collect::<Vec<_>>();
    assert_eq!(
        ids(book_ids::<AuthorBooks, _, _>),
        vec![vec![1, 2, 5], vec![3], vec![], vec![9]]
    );
    assert_eq!(ids(book_ids::<AuthorEditedBooks, _, _>), vec![vec![3], vec![5], vec![], vec![1]]);
}

// ---- Prefetch with a query: filtered, ordered, nested, renamed (issue 4) ----

diesel_relations::alias! {
    /// Books whose title starts with "The".
    pub TheBooks;
    /// Books that have an editor.
    pub EditedOnes;
}

#[test]
fn filtered_and_ordered_children() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let authors = assert_num_queries(conn, 2, |conn| {
        all_authors(conn)
            .prefetch_books_with(conn, |p| p.filter(books::title.like("The%")).order(books::title.desc()))
            .unwrap()
    });
    let got: Vec<Vec<&str>> = authors.iter().map(|a| a.books().iter().map(|b| b.title.as_str()).collect()).collect();
    assert_eq!(got, vec![vec!["The Left Hand of Darkness", "The Dispossessed"], vec![], vec![], vec![]]);

    // Filters combine with AND; `then_order_by` adds to the primary-key order.
    let authors = all_authors(conn)
        .prefetch_books_with(conn, |p| {
            p.filter(books::editor_id.is_not_null()).filter(books::id.gt(1)).then_order_by(books::title)
        })
        .unwrap();
    let got: Vec<Vec<i32>> = authors.iter().map(|a| a.books().iter().map(|b| b.id).collect()).collect();
    assert_eq!(got, vec![vec![5], vec![3], vec![], vec![]]);
}

#[test]
fn top_n_ordered_by_a_column_the_model_does_not_select() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    // `BookSummary` selects `id` and `author_id` only; the order is `title`.
    let authors = assert_num_queries(conn, 2, |conn| {
        all_authors(conn)
            .prefetch_book_summaries_with(conn, |p| p.order(books::title.desc()).limit_per_parent(2))
            .unwrap()
    });
    let got: Vec<Vec<i32>> = authors.iter().map(|a| a.book_summaries().iter().map(|b| b.id).collect()).collect();
    // Ursula: "The Left Hand of Darkness" (1), "The Dispossessed" (5), then
    // "A Wizard of Earthsea" (2), cut.
    assert_eq!(got, vec![vec![1, 5], vec![3], vec![], vec![9]]);
    let authors = all_authors(conn)
        .prefetch_book_summaries_with(conn, |p| {
            p.filter(books::editor_id.is_not_null()).order(books::title).offset_per_parent(1).limit_per_parent(1)
        })
        .unwrap();
    let got: Vec<Vec<i32>> = authors.iter().map(|a| a.book_summaries().iter().map(|b| b.id).collect()).collect();
    assert_eq!(got, vec![vec![1], vec![], vec![], vec![]]);
}

#[test]
fn filtered_prefetch_is_chunked_like_the_plain_one() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let build = |p: diesel_relations::Prefetch<AuthorBooks, Conn>| p.filter(books::editor_id.is_not_null()).order(books::title);
    let whole = all_authors(conn).prefetch_books_with(conn, build).unwrap();
    let _two = diesel_relations::__private::override_max_keys_per_statement(2);
    let chunked = assert_num_queries(conn, 1 + 2, |conn| all_authors(conn).prefetch_books_with(conn, build).unwrap());
    assert_eq!(whole, chunked);
}

#[test]
fn the_same_relation_twice_under_two_names() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let authors = assert_num_queries(conn, 1 + 3, |conn| {
        all_authors(conn)
            .prefetch_books(conn)
            .unwrap()
            .prefetch_books_with(conn, |p| p.filter(books::title.like("The%")).named(TheBooks))
            .unwrap()
            .prefetch_books_with(conn, |p| p.filter(books::editor_id.is_not_null()).named(EditedOnes))
            .unwrap()
    });
    let ursula = &authors[0];
    let ids = |books: &Vec<Book>| books.iter().map(|b| b.id).collect::<Vec<_>>();
    assert_eq!(ids(ursula.books()), vec![1, 2, 5]);
    assert_eq!(ids(ursula.loaded(TheBooks)), vec![1, 5]);
    assert_eq!(ids(ursula.loaded(EditedOnes)), vec![1, 5]);
    assert_eq!(ids(ursula.loaded(AuthorBooks)), vec![1, 2, 5]);
    assert_eq!(ids(authors[1].loaded(EditedOnes)), vec![3]);
}

#[test]
fn nested_prefetch_costs_one_statement_per_level() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    // authors → books → (reviews → book, and editor): four relations, 1 + 4 statements.
    let authors = assert_num_queries(conn, 1 + 4, |conn| {
        all_authors(conn)
            .prefetch_books_with(conn, |books| {
                books.then(|books, conn| {
                    books
                        .prefetch_review_set_with(conn, |reviews| {
                            reviews.order(reviews::stars.asc()).then(|r, conn| r.prefetch_book(conn))
                        })?
                        .prefetch_editor(conn)
                })
            })
            .unwrap()
    });
    let ursula = &authors[0];
    let book = &ursula.books()[0];
    assert_eq!(book.title, "The Left Hand of Darkness");
    assert_eq!(book.editor().as_ref().unwrap().name, "Ted");
    let stars: Vec<i32> = book.review_set().iter().map(|r| r.stars).collect();
    assert_eq!(stars, vec![4, 5]);
    // Three levels down, back to the book.
    assert_eq!(book.review_set()[0].book().title, "The Left Hand of Darkness");
    assert!(authors[2].books().is_empty());
}

#[test]
fn nested_prefetch_errors_name_the_inner_relation() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    diesel::sql_query("DROP TABLE reviews").execute(conn).unwrap();
    let err = all_authors(conn)
        .prefetch_books_with(conn, |b| b.then(|books, conn| books.prefetch_review_set(conn)))
        .unwrap_err();
    assert_eq!(err.relation(), "review_set");
    assert!(err.database_error().is_some());
}

#[test]
fn a_nested_loader_that_drops_children_is_an_error() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let err = all_authors(conn)
        .prefetch_books_with(conn, |b| b.then(|mut books, _| {
            books.pop();
            Ok(books)
        }))
        .unwrap_err();
    assert_eq!(err.relation(), "books");
    assert!(matches!(err.kind(), ErrorKind::NestedLength { expected: 5, got: 4 }), "{err}");
}

// ---- One-to-one ----

#[test]
fn one_to_one_gives_an_option_per_parent() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    seed_profiles(conn);
    let authors = assert_num_queries(conn, 2, |conn| all_authors(conn).prefetch_profile(conn).unwrap());
    let bios: Vec<Option<&str>> = authors.iter().map(|a| a.profile().as_ref().map(|p| p.bio.as_str())).collect();
    assert_eq!(bios, vec![Some("Earthsea"), Some("Kindred spirit"), None, None]);

    // With a filter, and back from the profile to its author.
    let authors = all_authors(conn)
        .prefetch_profile_with(conn, |p| p.filter(profiles::bio.like("K%")).then(|ps, conn| ps.prefetch_author(conn)))
        .unwrap();
    assert!(authors[0].profile().is_none());
    assert_eq!(authors[1].profile().as_ref().unwrap().author().name, "Octavia");
}

#[test]
fn one_to_one_with_two_rows_for_a_parent_is_an_error_naming_it() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    seed_profiles(conn);
    diesel::insert_into(profiles::table)
        .values(&Profile { id: 3, author_id: 2, bio: "second".into() })
        .execute(conn)
        .unwrap();
    let err = all_authors(conn).prefetch_profile(conn).unwrap_err();
    assert_eq!(err.relation(), "profile");
    assert!(matches!(err.kind(), ErrorKind::NotUnique { key, rows: 2 } if key == "2"), "{err}");
    assert_eq!(err.to_string(), "loading relation `profile` failed: it is one-to-one, but 2 rows point at parent 2");
}

// ---- Many-to-many ----

fn tag_names(tags: &[Tag]) -> Vec<&str> {
    tags.iter().map(|t| t.name.as_str()).collect()
}

#[test]
fn many_to_many_in_both_directions() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    seed_tags(conn);
    let books: Vec<Book> = books::table.order(books::id).load(conn).unwrap();
    // The links, then the distinct tags by key.
    let _two_step = override_many_to_many_plan(ManyToManyPlan::TwoStep);
    let books = assert_num_queries(conn, 2, |conn| books.prefetch_tags(conn).unwrap());
    let got: Vec<(i32, Vec<&str>)> = books.iter().map(|b| (b.id, tag_names(b.tags()))).collect();
    assert_eq!(
        got,
        vec![
            (1, vec!["sf", "classic"]),
            (2, vec!["fantasy", "classic"]),
            (3, vec![]),
            (5, vec!["sf"]),
            (9, vec![]),
        ]
    );

    let tags: Vec<Tag> = tags::table.order(tags::id).load(conn).unwrap();
    let tags = tags.prefetch_books(conn).unwrap();
    let got: Vec<(&str, Vec<i32>)> =
        tags.iter().map(|t| (t.name.as_str(), t.books().iter().map(|b| b.id).collect())).collect();
    assert_eq!(got, vec![("fantasy", vec![2]), ("classic", vec![2, 1]), ("unused", vec![]), ("sf", vec![1, 5])]);
}

#[test]
fn many_to_many_filters_on_the_join_model_and_orders_by_the_target() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    seed_tags(conn);
    let books: Vec<Book> = books::table.order(books::id).load(conn).unwrap();
    let books = books
        .prefetch_tags_with(conn, |q| q.filter(book_tags::weight.ge(8)).order(tags::name.desc()))
        .unwrap();
    let got: Vec<Vec<&str>> = books.iter().map(|b| tag_names(b.tags())).collect();
    assert_eq!(got, vec![vec!["classic"], vec!["fantasy"], vec![], vec!["sf"], vec![]]);
}

#[test]
fn many_to_many_order_ties_keep_link_order() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    seed_tags(conn);
    let books: Vec<Book> = books::table.order(books::id).load(conn).unwrap();
    // Every link of a book ties on its book_id: the tie-break is link order
    // (Left Hand: sf, then classic), not the index's (classic, sf).
    let tied = books.clone().prefetch_tags_with(conn, |p| p.order(book_tags::book_id)).unwrap();
    let got: Vec<Vec<&str>> = tied.iter().map(|b| tag_names(b.tags())).collect();
    assert_eq!(got, vec![vec!["sf", "classic"], vec!["fantasy", "classic"], vec![], vec!["sf"], vec![]]);
    // Link order is unique: a `then_order_by` without an `order` changes nothing.
    let same = books.prefetch_tags_with(conn, |p| p.then_order_by(tags::name)).unwrap();
    assert_eq!(same, tied);
}

#[test]
fn many_to_many_through_a_composite_key_join_model() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    seed_tags(conn);
    let _two_step = override_many_to_many_plan(ManyToManyPlan::TwoStep);
    let authors = assert_num_queries(conn, 3, |conn| all_authors(conn).prefetch_favorite_books(conn).unwrap());
    let got: Vec<Vec<i32>> = authors.iter().map(|a| a.favorite_books().iter().map(|b| b.id).collect()).collect();
    assert_eq!(got, vec![vec![9], vec![1, 3], vec![], vec![1]]);

    let books: Vec<Book> = books::table.order(books::id).load(conn).unwrap();
    let books = books.prefetch_fans(conn).unwrap().prefetch_tags(conn).unwrap();
    let fans: Vec<Vec<&str>> = books.iter().map(|b| b.fans().iter().map(|a| a.name.as_str()).collect()).collect();
    assert_eq!(fans, vec![vec!["Octavia", "Ted"], vec![], vec!["Octavia"], vec![], vec!["Ursula"]]);
    assert_eq!(tag_names(books[0].tags()), vec!["sf", "classic"]);
}

#[test]
fn many_to_many_as_a_nested_level_and_chunked() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    seed_tags(conn);
    let nested = |conn: &mut Conn| {
        all_authors(conn)
            .prefetch_books_with(conn, |b| b.then(|books, conn| books.prefetch_tags(conn)))
            .unwrap()
    };
    let _two_step = override_many_to_many_plan(ManyToManyPlan::TwoStep);
    let whole = assert_num_queries(conn, 4, nested);
    assert_eq!(tag_names(whole[0].books()[1].tags()), vec!["fantasy", "classic"]);
    let _two = diesel_relations::__private::override_max_keys_per_statement(2);
    // 4 authors → 2 chunks; 5 books → 3 chunks of links; 3 tags → 2 chunks.
    let chunked = assert_num_queries(conn, 1 + 2 + 3 + 2, nested);
    assert_eq!(whole, chunked);
}

/// Both many-to-many plans give the same rows in the same order: the join
/// (one statement) and the two-step plan (the links, then the distinct
/// targets by key). A link to no target is dropped by both: the two-step
/// plan finds no target for its key and lets the join decide.
#[test]
fn many_to_many_plans_agree_and_a_dangling_link_is_dropped() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    seed_tags(conn);
    let books: Vec<Book> = books::table.order(books::id).load(conn).unwrap();
    let load = |conn: &mut Conn, plan| {
        let _plan = override_many_to_many_plan(plan);
        let tags = books.clone().prefetch_tags(conn).unwrap();
        let fans = books.clone().prefetch_fans(conn).unwrap();
        (tags, fans)
    };
    let joined = assert_num_queries(conn, 2, |conn| load(conn, ManyToManyPlan::Join));
    let two_step = assert_num_queries(conn, 4, |conn| load(conn, ManyToManyPlan::TwoStep));
    assert_eq!(joined, two_step);
    // A link to a tag that does not exist: the two-step plan's two
    // statements, then the join, which drops it.
    diesel::insert_into(book_tags::table)
        .values(&BookTag { id: 99, book_id: 1, tag_id: 99, weight: 1 })
        .execute(conn)
        .unwrap();
    let _two_step = override_many_to_many_plan(ManyToManyPlan::TwoStep);
    let dangling = assert_num_queries(conn, 3, |conn| books.clone().prefetch_tags(conn).unwrap());
    assert_eq!(dangling, joined.0);
}

/// The adaptive plan (MariaDB's): the join below `join_below` parents; from
/// there the links, then the distinct targets by key where there are no more
/// of them than parents, else the targets of the parents' keys (`EXISTS` on
/// the join table), which binds fewer keys. All give the join's rows in the
/// join's order, chunked or not; a dangling link still lets the join decide.
#[test]
fn adaptive_many_to_many_plan_reads_many_targets_through_the_parents() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    seed_tags(conn);
    // Two tags linked to three books (classic: 2, 1; sf: 1, 5): more
    // targets than parents. Five books linked to three tags: fewer.
    let tags: Vec<Tag> = tags::table.filter(tags::name.eq_any(["classic", "sf"])).order(tags::id).load(conn).unwrap();
    let books: Vec<Book> = books::table.order(books::id).load(conn).unwrap();
    let load = |conn: &mut Conn, plan| {
        let _plan = override_many_to_many_plan(plan);
        (tags.clone().prefetch_books(conn).unwrap(), books.clone().prefetch_tags(conn).unwrap())
    };
    let joined = assert_num_queries(conn, 2, |conn| load(conn, ManyToManyPlan::Join));
    let count = QueryCount::install(conn);
    let adaptive = load(conn, ManyToManyPlan::Adaptive { join_below: 0 });
    let statements = count.statements();
    drop(count);
    assert_eq!(adaptive, joined);
    assert_eq!(statements.len(), 4, "{statements:#?}");
    assert!(statements[1].contains("EXISTS"), "the books through the tags' keys: {}", statements[1]);
    assert!(!statements[3].contains("EXISTS"), "the tags by key: {}", statements[3]);
    let got: Vec<(&str, Vec<i32>)> =
        adaptive.0.iter().map(|t| (t.name.as_str(), t.books().iter().map(|b| b.id).collect())).collect();
    assert_eq!(got, vec![("classic", vec![2, 1]), ("sf", vec![1, 5])]);
    // Below `join_below` parents, the join: one statement per load.
    let few = assert_num_queries(conn, 2, |conn| load(conn, ManyToManyPlan::Adaptive { join_below: 6 }));
    assert_eq!(few, joined);

    // One parent key per statement: book 1 comes back for both tags, once
    // per statement, and is still each tag's once.
    {
        let _one = diesel_relations::__private::override_max_keys_per_statement(1);
        let chunked = assert_num_queries(conn, 2 + 2, |conn| {
            let _plan = override_many_to_many_plan(ManyToManyPlan::Adaptive { join_below: 0 });
            tags.clone().prefetch_books(conn).unwrap()
        });
        assert_eq!(chunked, joined.0);
    }

    // A link to a book that does not exist: the links, the books through
    // the tags, then the join, which drops it.
    diesel::insert_into(book_tags::table)
        .values(&BookTag { id: 99, book_id: 99, tag_id: 2, weight: 1 })
        .execute(conn)
        .unwrap();
    let _plan = override_many_to_many_plan(ManyToManyPlan::Adaptive { join_below: 0 });
    let dangling = assert_num_queries(conn, 3, |conn| tags.clone().prefetch_books(conn).unwrap());
    assert_eq!(dangling, joined.0);
}

// ---- Top-N per parent ----

#[test]
fn top_n_per_parent_not_a_global_limit() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    // Two per author by title, descending: a global LIMIT 2 would give
    // Ursula two and everyone else none.
    let authors = assert_num_queries(conn, 2, |conn| {
        all_authors(conn)
            .prefetch_books_with(conn, |p| p.order(books::title.desc()).limit_per_parent(2))
            .unwrap()
    });
    let got: Vec<Vec<&str>> = authors.iter().map(|a| a.books().iter().map(|b| b.title.as_str()).collect()).collect();
    assert_eq!(
        got,
        vec![
            vec!["The Left Hand of Darkness", "The Dispossessed"],
            vec!["Kindred"],
            vec![],
            vec!["Stories of Your Life"],
        ]
    );
}

#[test]
fn top_n_applies_after_filters_and_breaks_ties_by_key() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    // Ursula's books with an editor are 1 and 5; both have the same
    // author_id, so ordering by it ties and the key decides.
    let authors = all_authors(conn)
        .prefetch_books_with(conn, |p| {
            p.filter(books::editor_id.is_not_null()).order(books::author_id).limit_per_parent(1)
        })
        .unwrap();
    let got: Vec<Vec<i32>> = authors.iter().map(|a| a.books().iter().map(|b| b.id).collect()).collect();
    assert_eq!(got, vec![vec![1], vec![3], vec![], vec![]]);

    // Default order (primary key) and a limit above every count.
    let authors = all_authors(conn).prefetch_books_with(conn, |p| p.limit_per_parent(10)).unwrap();
    let plain = all_authors(conn).prefetch_books(conn).unwrap();
    assert_eq!(authors, plain);
}

#[test]
fn top_n_is_chunked_like_everything_else() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let top = |conn: &mut Conn| {
        all_authors(conn)
            .prefetch_books_with(conn, |p| p.order(books::title).limit_per_parent(1))
            .unwrap()
    };
    let whole = top(conn);
    let _two = diesel_relations::__private::override_max_keys_per_statement(2);
    let chunked = assert_num_queries(conn, 1 + 2, top);
    assert_eq!(whole, chunked);
    let firsts: Vec<Vec<&str>> = whole.iter().map(|a| a.books().iter().map(|b| b.title.as_str()).collect()).collect();
    assert_eq!(firsts, vec![vec!["A Wizard of Earthsea"], vec!["Kindred"], vec![], vec!["Stories of Your Life"]]);
}

#[test]
fn offset_and_limit_per_parent_page_through_each_parents_children() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let page = |conn: &mut Conn, offset, limit| {
        all_authors(conn)
            .prefetch_books_with(conn, |p| p.order(books::title).offset_per_parent(offset).limit_per_parent(limit))
            .unwrap()
            .into_iter()
            .map(|a| a.books().iter().map(|b| b.id).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    };
    // Ursula's books by title: 2 (A Wizard), 5 (The Dispossessed), 1 (The Left Hand).
    assert_eq!(page(conn, 0, 2), vec![vec![2, 5], vec![3], vec![], vec![9]]);
    assert_eq!(page(conn, 2, 2), vec![vec![1], vec![], vec![], vec![]]);
    let only_offset = all_authors(conn)
        .prefetch_books_with(conn, |p| p.order(books::title).offset_per_parent(1))
        .unwrap();
    assert_eq!(only_offset[0].books().iter().map(|b| b.id).collect::<Vec<_>>(), vec![5, 1]);
}

// ---- Self-referential ----

#[test]
fn a_self_referential_tree_two_levels_down() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed_categories(conn);
    let roots: Vec<Category> = categories::table.filter(categories::parent_id.is_null()).order(categories::id).load(conn).unwrap();
    let roots = assert_num_queries(conn, 2, |conn| {
        roots
            .prefetch_children_with(conn, |c| c.then(|children, conn| children.prefetch_children(conn)))
            .unwrap()
    });
    type Node<'a, T> = (&'a str, Vec<T>);
    let tree: Vec<Node<Node<&str>>> = roots
        .iter()
        .map(|r| {
            let kids = r
                .children()
                .iter()
                .map(|c| (c.name.as_str(), c.children().iter().map(|g| g.name.as_str()).collect()))
                .collect();
            (r.name.as_str(), kids)
        })
        .collect();
    assert_eq!(
        tree,
        vec![
            ("fiction", vec![("sf", vec!["space opera", "cyberpunk"]), ("fantasy", vec!["epic"])]),
            ("non-fiction", vec![]),
        ]
    );
    // And back up: each leaf's parent.
    let leaves: Vec<Category> = categories::table.filter(categories::id.ge(4)).order(categories::id).load(conn).unwrap();
    let leaves = leaves.prefetch_parent(conn).unwrap();
    let parents: Vec<Option<&str>> = leaves.iter().map(|l| l.parent().as_ref().map(|p| p.name.as_str())).collect();
    assert_eq!(parents, vec![Some("sf"), Some("sf"), None, Some("fantasy")]);
}

/// `?` works both ways: a loader inside a function returning Diesel's
/// `QueryResult`, and a Diesel call inside one returning this crate's
/// `Result` (the error then names no relation).
#[test]
fn question_mark_converts_between_diesel_errors_and_loader_errors() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    fn in_crate_result(conn: &mut Conn) -> diesel_relations::Result<usize> {
        let authors: Vec<Author> = authors::table.load(conn)?;
        let authors = authors.prefetch_books(conn)?;
        let missing: Author = authors::table.find(999).first(conn)?;
        Ok(authors.len() + missing.name.len())
    }
    fn in_query_result(conn: &mut Conn) -> QueryResult<usize> {
        let authors: Vec<Author> = authors::table.load(conn)?;
        Ok(authors.prefetch_books(conn)?.len())
    }
    assert_eq!(in_query_result(conn).unwrap(), 4);
    let err = in_crate_result(conn).unwrap_err();
    assert_eq!(err.relation(), "");
    assert!(matches!(err.database_error(), Some(diesel::result::Error::NotFound)), "{err:?}");
    assert_eq!(err.to_string(), diesel::result::Error::NotFound.to_string());
}

/// Loaded children can be changed in place, by relation key or alias.
#[test]
fn loaded_children_are_mutable_by_key() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let mut authors = all_authors(conn).prefetch_books(conn).unwrap();
    authors[0].loaded_mut(AuthorBooks).retain(|b| b.id != 2);
    authors[0].loaded_mut(AuthorBooks)[0].title = "Renamed".into();
    let got: Vec<(i32, &str)> = authors[0].books().iter().map(|b| (b.id, b.title.as_str())).collect();
    assert_eq!(got, vec![(1, "Renamed"), (5, "The Dispossessed")]);
}
