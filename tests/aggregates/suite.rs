// The aggregate suite, included once per backend (see tests/aggregates.rs).
// The including module provides `Conn` and `connect()`.

use diesel::prelude::*;
use diesel_relations::assert_num_queries;
use diesel_relations::prelude::*;
use diesel_relations::{Count, Exists, With};

use crate::common::models::schema::*;
use crate::common::models::*;

include!("../behaviour/seed.rs");

fn all_authors(conn: &mut Conn) -> Vec<Author> {
    authors::table.order(authors::id).select(Author::as_select()).load(conn).unwrap()
}

/// `SELECT COUNT(*)` per author, one statement each: what a count must equal.
fn naive_counts(conn: &mut Conn, authors: &[Author], column: &str) -> Vec<i64> {
    authors
        .iter()
        .map(|a| match column {
            "author_id" => books::table.filter(books::author_id.eq(a.id)).count().get_result(conn).unwrap(),
            _ => books::table.filter(books::editor_id.eq(a.id)).count().get_result(conn).unwrap(),
        })
        .collect()
}

#[test]
fn a_count_per_parent_is_one_statement_and_equals_a_count_per_parent() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let authors = all_authors(conn);
    let counted = assert_num_queries(conn, 1, |conn| authors.clone().prefetch_count(AuthorBooks, conn).unwrap());
    let got: Vec<i64> = counted.iter().map(|a| a.count(AuthorBooks)).collect();
    assert_eq!(got, naive_counts(conn, &authors, "author_id"));
    assert_eq!(got, [3, 1, 0, 1]); // Iain has no books: 0, not missing
    // A nullable foreign key: NULLs count for nobody.
    let edited = authors.clone().prefetch_count(AuthorEditedBooks, conn).unwrap();
    let got: Vec<i64> = edited.iter().map(|a| a.count(AuthorEditedBooks)).collect();
    assert_eq!(got, naive_counts(conn, &authors, "editor_id"));
    // Nothing to count: no statement.
    let none = assert_num_queries(conn, 0, |conn| Vec::<Author>::new().prefetch_count(AuthorBooks, conn).unwrap());
    assert!(none.is_empty());
    // One model, and an `Option`.
    let one = authors[0].clone().prefetch_count(AuthorBooks, conn).unwrap();
    assert_eq!(one.count(AuthorBooks), 3);
    let maybe = Some(authors[2].clone()).prefetch_exists(AuthorBooks, conn).unwrap();
    assert!(!maybe.unwrap().exists(AuthorBooks));
}

#[test]
fn a_filtered_count_and_existence_count_only_the_matching_children() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let authors = all_authors(conn);
    let counted = authors
        .clone()
        .prefetch_count_with(AuthorBooks, conn, |f| f.filter(books::title.like("The %")))
        .unwrap();
    let got: Vec<i64> = counted.iter().map(|a| a.count(AuthorBooks)).collect();
    let naive: Vec<i64> = authors
        .iter()
        .map(|a| {
            books::table
                .filter(books::author_id.eq(a.id))
                .filter(books::title.like("The %"))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .collect();
    assert_eq!(got, naive);
    assert_eq!(got, [2, 0, 0, 0]);
    // Two filters are joined with AND.
    let counted = authors
        .clone()
        .prefetch_count_with(AuthorBooks, conn, |f| {
            f.filter(books::title.like("The %")).filter(books::editor_id.is_not_null())
        })
        .unwrap();
    assert_eq!(counted.iter().map(|a| a.count(AuthorBooks)).collect::<Vec<_>>(), [2, 0, 0, 0]);
    let exists = authors
        .prefetch_exists_with(AuthorBooks, conn, |f| f.filter(books::editor_id.is_null()))
        .unwrap();
    let got: Vec<bool> = exists.iter().map(|a| a.exists(AuthorBooks)).collect();
    assert_eq!(got, [true, false, false, true]);
}

#[test]
fn counts_compose_with_loaders_and_nest_under_then() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let authors = all_authors(conn);
    // "The newest of 3": one book each, and how many there are.
    let loaded = assert_num_queries(conn, 3, |conn| {
        authors
            .clone()
            .prefetch_books_with(conn, |p| {
                p.order(books::id.desc()).limit_per_parent(1).then(|books, conn| books.prefetch_count(BookReviewSet, conn))
            })
            .unwrap()
            .prefetch_count(AuthorBooks, conn)
            .unwrap()
    });
    // The result names the counts in its type.
    type NewestAndCount = With<With<Author, AuthorBooks, Vec<With<Book, Count<BookReviewSet>>>>, Count<AuthorBooks>>;
    let ursula: &NewestAndCount = &loaded[0];
    assert_eq!(ursula.books().len(), 1);
    assert_eq!(ursula.count(AuthorBooks), 3);
    assert_eq!(ursula.books()[0].id, 5);
    assert_eq!(ursula.books()[0].count(BookReviewSet), 0);
    // Counts of two relations on the same parents, in either order.
    let both = authors
        .clone()
        .prefetch_count(AuthorBooks, conn)
        .unwrap()
        .prefetch_exists(AuthorEditedBooks, conn)
        .unwrap();
    let got: Vec<(i64, bool)> = both.iter().map(|a| (a.count(AuthorBooks), a.exists(AuthorEditedBooks))).collect();
    assert_eq!(got, [(3, true), (1, true), (0, false), (1, true)]);
    let books: Vec<Book> = books::table.order(books::id).select(Book::as_select()).load(conn).unwrap();
    let books = books.prefetch_count(BookReviewSet, conn).unwrap();
    assert_eq!(books.iter().map(|b| b.count(BookReviewSet)).collect::<Vec<_>>(), [2, 0, 1, 0, 0]);
    // `Debug` names a count after its relation.
    assert!(format!("{:?}", books[0]).contains("review_set_count: 2"), "{:?}", books[0]);
    let first: Book = With::inner(&books[0]).clone();
    let first: With<Book, Exists<BookReviewSet>> = first.prefetch_exists(BookReviewSet, conn).unwrap();
    assert!(first.exists(BookReviewSet));
}

diesel_relations::alias! {
    pub TheBooks: i64;
    pub EditedTheBooks: bool;
}

#[test]
fn the_same_relation_counted_twice_under_a_second_name() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    // "3 books, 2 of them titled The ...": one statement each.
    let authors = all_authors(conn);
    let counted = assert_num_queries(conn, 2, |conn| {
        authors
            .prefetch_count(AuthorBooks, conn)
            .unwrap()
            .prefetch_count_with(AuthorBooks, conn, |f| f.filter(books::title.like("The %")).named(TheBooks))
            .unwrap()
    });
    let got: Vec<(i64, i64)> = counted.iter().map(|a| (a.count(AuthorBooks), *a.loaded(TheBooks))).collect();
    assert_eq!(got, [(3, 2), (1, 0), (0, 0), (1, 0)]);
    let exists = all_authors(conn)
        .prefetch_exists_with(AuthorBooks, conn, |f| f.filter(books::title.like("The %")).named(EditedTheBooks))
        .unwrap();
    assert_eq!(exists.iter().map(|a| *a.loaded(EditedTheBooks)).collect::<Vec<_>>(), [true, false, false, false]);
    // The key names it in `Debug` too.
    assert!(format!("{:?}", counted[0]).contains("TheBooks: 2"), "{:?}", counted[0]);
}

#[test]
fn counts_equal_when_keys_are_split_into_many_statements() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let authors = all_authors(conn);
    let whole = authors.clone().prefetch_count(AuthorBooks, conn).unwrap();
    let _one = diesel_relations::__private::override_max_keys_per_statement(1);
    let split = assert_num_queries(conn, 4, |conn| {
        authors
            .clone()
            .prefetch_count_with(AuthorBooks, conn, |f| f.filter(books::id.gt(0)))
            .unwrap()
    });
    assert_eq!(
        split.iter().map(|a| a.count(AuthorBooks)).collect::<Vec<_>>(),
        whole.iter().map(|a| a.count(AuthorBooks)).collect::<Vec<_>>()
    );
}

#[test]
fn a_database_error_in_a_count_is_an_error_naming_the_relation() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let books: Vec<Book> = books::table.order(books::id).select(Book::as_select()).load(conn).unwrap();
    diesel::sql_query("DROP TABLE reviews").execute(conn).unwrap();
    let err = books.prefetch_count(BookReviewSet, conn).unwrap_err();
    assert_eq!(err.relation(), "review_set");
    assert!(err.database_error().is_some(), "{err}");
    // The connection still works.
    assert_eq!(all_authors(conn).len(), 4);
}

diesel_relations::alias! {
    pub NewestTheBook: Option<i32>;
}

#[test]
fn column_aggregates_equal_a_naive_aggregate_per_parent() {
    use diesel_relations::{Max, Min, Sum};
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let authors = all_authors(conn);
    let loaded = assert_num_queries(conn, 5, |conn| {
        authors
            .clone()
            .prefetch_aggregate(AuthorBooks, Max(books::id), conn)
            .unwrap()
            .prefetch_aggregate(AuthorBooks, Sum(books::id), conn)
            .unwrap()
            .prefetch_aggregate(AuthorBooks, Min(books::title), conn)
            .unwrap()
            .prefetch_aggregate(AuthorBooks, Max(books::editor_id), conn)
            .unwrap()
            .prefetch_aggregate_with(AuthorBooks, Max(books::id), conn, |f| {
                f.filter(books::title.like("The %")).named(NewestTheBook)
            })
            .unwrap()
    });
    for (author, got) in authors.iter().zip(&loaded) {
        let mine = books::table.filter(books::author_id.eq(author.id));
        let naive: Option<i32> = mine.select(diesel::dsl::max(books::id)).first(conn).unwrap();
        assert_eq!(got.aggregate(AuthorBooks, Max(books::id)), &naive);
        let naive: Option<i64> = mine.select(diesel::dsl::sum(books::id)).first(conn).unwrap();
        assert_eq!(got.aggregate(AuthorBooks, Sum(books::id)), &naive);
        let naive: Option<String> = mine.select(diesel::dsl::min(books::title)).first(conn).unwrap();
        assert_eq!(got.aggregate(AuthorBooks, Min(books::title)), &naive);
        let naive: Option<i32> = mine.select(diesel::dsl::max(books::editor_id)).first(conn).unwrap();
        assert_eq!(got.aggregate(AuthorBooks, Max(books::editor_id)), &naive);
        let naive: Option<i32> =
            mine.filter(books::title.like("The %")).select(diesel::dsl::max(books::id)).first(conn).unwrap();
        assert_eq!(got.loaded(NewestTheBook), &naive);
    }
    assert_eq!(loaded[0].aggregate(AuthorBooks, Max(books::id)), &Some(5));
    assert_eq!(loaded[2].aggregate(AuthorBooks, Sum(books::id)), &None); // no books
    assert!(format!("{:?}", loaded[0]).contains("books_max_id: Some(5)"), "{:?}", loaded[0]);
    // Chunked: the same values.
    let _one = diesel_relations::__private::override_max_keys_per_statement(1);
    let chunked = authors.prefetch_aggregate(AuthorBooks, Max(books::id), conn).unwrap();
    let got: Vec<Option<i32>> = chunked.iter().map(|a| *a.aggregate(AuthorBooks, Max(books::id))).collect();
    assert_eq!(got, [Some(5), Some(3), None, Some(9)]);
}

/// Each author's books' ids and editor ids, loaded per author: what `AVG`,
/// `COUNT(col)` and several aggregates at once must equal.
fn naive_books(conn: &mut Conn, author: &Author) -> Vec<(i32, Option<i32>)> {
    books::table
        .filter(books::author_id.eq(author.id))
        .select((books::id, books::editor_id))
        .load(conn)
        .unwrap()
}

fn mean(values: &[i32]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().map(|v| f64::from(*v)).sum::<f64>() / values.len() as f64)
}

#[test]
fn aggregates_asked_together_are_one_statement_and_each_equals_a_naive_one() {
    use diesel_relations::{Avg, CountOf, Max, Min};
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let authors = all_authors(conn);
    let together = (CountOf(books::id), CountOf(books::editor_id), Max(books::id), Avg(books::id), Avg(books::editor_id), Min(books::title));
    let loaded = assert_num_queries(conn, 1, |conn| {
        authors.clone().prefetch_aggregate(AuthorBooks, together, conn).unwrap()
    });
    for (author, got) in authors.iter().zip(&loaded) {
        let books = naive_books(conn, author);
        let ids: Vec<i32> = books.iter().map(|b| b.0).collect();
        let editors: Vec<i32> = books.iter().filter_map(|b| b.1).collect();
        let (count, editor_count, max, avg, editor_avg, min_title) = got.aggregate(AuthorBooks, together);
        assert_eq!(*count, ids.len() as i64);
        assert_eq!(*editor_count, editors.len() as i64); // COUNT(col) skips NULLs
        assert_eq!(*max, ids.iter().copied().max());
        assert_eq!(*avg, mean(&ids));
        assert_eq!(*editor_avg, mean(&editors)); // AVG skips NULLs; None without a value
        let naive: Option<String> =
            books::table.filter(books::author_id.eq(author.id)).select(diesel::dsl::min(books::title)).first(conn).unwrap();
        assert_eq!(*min_title, naive);
    }
    // A parent without books: zero counts, no values.
    assert_eq!(loaded[2].aggregate(AuthorBooks, together), &(0, 0, None, None, None, None));
    // One name per aggregate in Debug.
    let debug = format!("{:?}", loaded[0]);
    assert!(debug.contains("books_count_id_count_editor_id_max_id_avg_id_avg_editor_id_min_title"), "{debug}");
    // The same values when every key is its own statement, filtered too.
    let _one = diesel_relations::__private::override_max_keys_per_statement(1);
    let chunked = authors
        .clone()
        .prefetch_aggregate_with(AuthorBooks, together, conn, |f| f.filter(books::id.ne(-1)))
        .unwrap();
    for (a, b) in loaded.iter().zip(&chunked) {
        assert_eq!(a.aggregate(AuthorBooks, together), b.aggregate(AuthorBooks, together));
    }
}

#[test]
fn bigint_sums_are_exact_past_i64_and_averages_follow_them() {
    use diesel_relations::{Avg, Sum};
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    let galaxy = |id: i64| Galaxy { id, name: format!("g{id}") };
    let star = |id: i64, galaxy_id: i64| Star { id, galaxy_id, name: format!("s{id}") };
    diesel::insert_into(galaxies::table).values(&vec![galaxy(1), galaxy(2), galaxy(3)]).execute(conn).unwrap();
    diesel::insert_into(stars::table)
        .values(&vec![star(i64::MIN, 1), star(i64::MIN + 1, 1), star(-5, 2), star(7, 2), star(i64::MAX, 2)])
        .execute(conn)
        .unwrap();
    let galaxies: Vec<Galaxy> = galaxies::table.order(galaxies::id).load(conn).unwrap();
    let sqlite = std::any::type_name::<Conn>().contains("Sqlite");
    let result = galaxies.clone().prefetch_aggregate(GalaxyStars, (Sum(stars::id), Avg(stars::id)), conn);
    if sqlite {
        // SQLite sums integers in 64 bits and fails past them: an error
        // naming the relation, never a wrong sum, and the connection works.
        let err = result.unwrap_err();
        assert_eq!(err.relation(), "stars");
        assert!(err.to_string().contains("overflow"), "{err}");
        let small = galaxies
            .prefetch_aggregate_with(GalaxyStars, Sum(stars::id), conn, |f| f.filter(stars::id.between(-10, 10)))
            .unwrap();
        let sums: Vec<_> = small.iter().map(|g| *g.aggregate(GalaxyStars, Sum(stars::id))).collect();
        assert_eq!(sums, [None, Some(2), None]);
        return;
    }
    let loaded = result.unwrap();
    let exact_1 = i128::from(i64::MIN) * 2 + 1;
    let exact_2 = i128::from(i64::MAX) + 2;
    assert_eq!(loaded[0].aggregate(GalaxyStars, (Sum(stars::id), Avg(stars::id))).0, Some(exact_1));
    assert_eq!(loaded[1].aggregate(GalaxyStars, (Sum(stars::id), Avg(stars::id))).0, Some(exact_2));
    assert_eq!(loaded[2].aggregate(GalaxyStars, (Sum(stars::id), Avg(stars::id))), &(None, None));
    let avg = loaded[0].aggregate(GalaxyStars, (Sum(stars::id), Avg(stars::id))).1.unwrap();
    assert_eq!(avg, exact_1 as f64 / 2.0);
}

#[test]
fn many_to_many_aggregates_read_the_targets_and_filter_on_either_table() {
    use diesel_relations::{Avg, CountOf, Max, Min};
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    seed_tags(conn);
    let authors = all_authors(conn);
    let favorites = (CountOf(books::id), Max(books::title), Avg(books::id));
    let loaded = assert_num_queries(conn, 3, |conn| {
        authors
            .clone()
            .prefetch_aggregate(AuthorFavoriteBooks, favorites, conn)
            .unwrap()
            // A filter on the target's table...
            .prefetch_aggregate_with(AuthorFavoriteBooks, Min(books::title), conn, |f| {
                f.filter(books::title.like("%e%"))
            })
            .unwrap()
            // ...and on the join table's.
            .prefetch_aggregate_with(AuthorFavoriteBooks, CountOf(books::id), conn, |f| {
                f.filter(favorites::book_id.gt(1)).named(LaterFavorites)
            })
            .unwrap()
    });
    for (author, got) in authors.iter().zip(&loaded) {
        // The naive way: the author's favorite books, joined, per author.
        let mine: Vec<(i32, String)> = favorites::table
            .inner_join(books::table.on(books::id.eq(favorites::book_id)))
            .filter(favorites::author_id.eq(author.id))
            .select((books::id, books::title))
            .load(conn)
            .unwrap();
        let ids: Vec<i32> = mine.iter().map(|b| b.0).collect();
        let naive = (ids.len() as i64, mine.iter().map(|b| b.1.clone()).max(), mean(&ids));
        assert_eq!(got.aggregate(AuthorFavoriteBooks, favorites), &naive);
        let naive = mine.iter().map(|b| b.1.clone()).filter(|t| t.contains('e')).min();
        assert_eq!(got.aggregate(AuthorFavoriteBooks, Min(books::title)), &naive);
        assert_eq!(*got.loaded(LaterFavorites), ids.iter().filter(|id| **id > 1).count() as i64);
    }
    // A favorite whose book does not exist (author 1, book 9) is not counted:
    // the targets are read through the join, as `favorite_books()` loads them.
    let loaded_books = authors.clone().prefetch_favorite_books(conn).unwrap();
    for (with_books, got) in loaded_books.iter().zip(&loaded) {
        assert_eq!(got.aggregate(AuthorFavoriteBooks, favorites).0, with_books.favorite_books().len() as i64);
    }
    // Chunked: the same values.
    let _one = diesel_relations::__private::override_max_keys_per_statement(1);
    let chunked = authors.prefetch_aggregate(AuthorFavoriteBooks, favorites, conn).unwrap();
    for (a, b) in loaded.iter().zip(&chunked) {
        assert_eq!(a.aggregate(AuthorFavoriteBooks, favorites), b.aggregate(AuthorFavoriteBooks, favorites));
    }
}

diesel_relations::alias! {
    pub LaterFavorites: i64;
}

#[test]
fn many_to_many_counts_and_existence_equal_the_loaded_targets() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    seed_tags(conn);
    let books: Vec<Book> = books::table.order(books::id).select(Book::as_select()).load(conn).unwrap();
    let counted = assert_num_queries(conn, 3, |conn| {
        books
            .clone()
            .prefetch_count(BookTags, conn)
            .unwrap()
            .prefetch_exists_with(BookTags, conn, |f| f.filter(tags::name.eq("sf")))
            .unwrap()
            .prefetch_count_with(BookTags, conn, |f| f.filter(book_tags::weight.ge(8)).named(HeavyTags))
            .unwrap()
    });
    let loaded = books.prefetch_tags(conn).unwrap();
    for (book, got) in loaded.iter().zip(&counted) {
        assert_eq!(got.count(BookTags), book.tags().len() as i64);
        assert_eq!(got.exists(BookTags), book.tags().iter().any(|t| t.name == "sf"));
        let naive: i64 = book_tags::table
            .filter(book_tags::book_id.eq(book.id))
            .filter(book_tags::weight.ge(8))
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(*got.loaded(HeavyTags), naive);
    }
    assert_eq!(counted.iter().map(|b| b.count(BookTags)).sum::<i64>(), 5);
}

diesel_relations::alias! {
    pub HeavyTags: i64;
}
