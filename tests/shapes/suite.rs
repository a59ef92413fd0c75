// The shape suite, included once per backend (see tests/shapes.rs). The
// including module provides `Conn` and `connect()`.

use diesel::prelude::*;
use diesel_relations::assert_num_queries;
use diesel_relations::prelude::{AggregateExt, ColumnAggregateExt};
use diesel_relations::{Avg, Max};
use diesel_relations::plumbing::Node;

use crate::cards::*;
use crate::common::models::schema::*;
use crate::common::models::*;

include!("../behaviour/seed.rs");

fn all_authors(conn: &mut Conn) -> Vec<Author> {
    authors::table.order(authors::id).select(Author::as_select()).load(conn).unwrap()
}

fn seeded(conn: &mut Conn) {
    seed(conn);
    seed_profiles(conn);
    seed_tags(conn);
}

/// `AuthorCard` built from the chain of named loaders it stands for.
fn cards_by_chain(conn: &mut Conn, authors: Vec<Author>) -> Vec<AuthorCard> {
    let loaded = authors
        .prefetch_books_with(conn, |p| {
            p.then(|books, conn| books.prefetch_review_set(conn)?.prefetch_tags(conn))
        })
        .unwrap()
        .prefetch_profile(conn)
        .unwrap()
        .prefetch_edited_books(conn)
        .unwrap()
        .prefetch_favorite_books(conn)
        .unwrap();
    loaded
        .into_iter()
        .map(|a| AuthorCard {
            books: a
                .books()
                .iter()
                .map(|b| BookWithReviews {
                    book: b.model().clone(),
                    review_set: b.review_set().clone(),
                    tags: b.tags().clone(),
                })
                .collect(),
            profile: a.profile().clone(),
            edited_books: a.edited_books().clone(),
            favorite_books: a.favorite_books().clone(),
            author: a.model().clone(),
        })
        .collect()
}

/// The statements an unrefined many-to-many load runs on this backend: the
/// join (1), or the links and then the targets (2).
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
fn a_shape_equals_the_chain_of_loaders_statement_for_statement() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seeded(conn);
    // 1 for the authors, then books, reviews, tags, profile, edited books,
    // favorite books: one statement per relation in the tree, two for a
    // many-to-many relation where the backend takes the two-step plan.
    let cards = assert_num_queries(conn, 5 + 2 * m2m(), |conn| {
        AuthorCard::load(authors::table.order(authors::id).select(Author::as_select()), conn)
            .unwrap()
    });
    let chain = assert_num_queries(conn, 5 + 2 * m2m(), |conn| {
        let authors = all_authors(conn);
        cards_by_chain(conn, authors)
    });
    assert_eq!(cards, chain);
    // The chain's own result converts into the shape (`From` the `With` layers
    // of the fields, in declaration order, nested values converted too).
    let converted: Vec<AuthorCard> = {
        let authors = all_authors(conn);
        authors
            .prefetch_books_with(conn, |p| {
                p.then(|books, conn| books.prefetch_review_set(conn)?.prefetch_tags(conn))
            })
            .unwrap()
            .prefetch_profile(conn)
            .unwrap()
            .prefetch_edited_books(conn)
            .unwrap()
            .prefetch_favorite_books(conn)
            .unwrap()
            .into_iter()
            .map(AuthorCard::from)
            .collect()
    };
    assert_eq!(converted, cards);
    // What it loaded, read as a user would.
    let ursula = &cards[0];
    assert_eq!(ursula.author.name, "Ursula");
    let books: Vec<(i32, usize, Vec<&str>)> = ursula
        .books
        .iter()
        .map(|b| {
            (b.book.id, b.review_set.len(), b.tags.iter().map(|t| t.name.as_str()).collect())
        })
        .collect();
    assert_eq!(
        books,
        vec![(1, 2, vec!["sf", "classic"]), (2, 0, vec!["fantasy", "classic"]), (5, 0, vec!["sf"])]
    );
    assert_eq!(ursula.profile.as_ref().map(|p| p.bio.as_str()), Some("Earthsea"));
    assert_eq!(cards[2].profile, None);
    assert!(cards[2].books.is_empty());
    assert_eq!(cards[1].edited_books.iter().map(|b| b.id).collect::<Vec<_>>(), vec![5]);
    assert_eq!(cards[1].favorite_books.iter().map(|b| b.id).collect::<Vec<_>>(), vec![1, 3]);
}

#[test]
fn a_shape_loads_onto_models_already_loaded_and_onto_one() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seeded(conn);
    let authors = all_authors(conn);
    let chain = cards_by_chain(conn, authors.clone());
    // The models are already here: only the relations' statements run.
    let cards = assert_num_queries(conn, 4 + 2 * m2m(), |conn| {
        AuthorCard::from_models(authors.clone(), conn).unwrap()
    });
    assert_eq!(cards, chain);
    let one = assert_num_queries(conn, 4 + 2 * m2m(), |conn| {
        AuthorCard::from_model(authors[1].clone(), conn).unwrap()
    });
    assert_eq!(one, chain[1]);
    // `find` and an empty result.
    let found = AuthorCard::load(authors::table.find(2), conn).unwrap();
    assert_eq!(found, vec![chain[1].clone()]);
    let none = assert_num_queries(conn, 1, |conn| {
        AuthorCard::load(authors::table.find(99), conn).unwrap()
    });
    assert!(none.is_empty());
    let nothing = assert_num_queries(conn, 0, |conn| {
        AuthorCard::from_models(Vec::new(), conn).unwrap()
    });
    assert!(nothing.is_empty());
}

#[test]
fn forward_relations_in_a_shape_load_their_parents_shaped() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    // books, then authors, their books and edited books, then editors.
    let cards = assert_num_queries(conn, 5, |conn| {
        BookCard::load(books::table.order(books::id).select(Book::as_select()), conn).unwrap()
    });
    type Row<'a> = (i32, &'a str, Vec<i32>, Vec<i32>, Option<&'a str>);
    let got: Vec<Row> = cards
        .iter()
        .map(|c| {
            (
                c.book.id,
                c.author.author.name.as_str(),
                c.author.written.iter().map(|b| b.id).collect(),
                c.author.edited.iter().map(|b| b.id).collect(),
                c.editor.as_ref().map(|e| e.name.as_str()),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "Ursula", vec![1, 2, 5], vec![3], Some("Ted")),
            (2, "Ursula", vec![1, 2, 5], vec![3], None),
            (3, "Octavia", vec![3], vec![5], Some("Ursula")),
            (5, "Ursula", vec![1, 2, 5], vec![3], Some("Octavia")),
            (9, "Ted", vec![9], vec![1], None),
        ]
    );
}

#[test]
fn a_self_referential_tree_as_a_shape() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed_categories(conn);
    // categories, children, grandchildren, parents.
    let trees = assert_num_queries(conn, 4, |conn| {
        CategoryTree::load(categories::table.order(categories::id), conn).unwrap()
    });
    type Node<'a, T> = (&'a str, Option<&'a str>, Vec<T>);
    let got: Vec<Node<(&str, Vec<&str>)>> = trees
        .iter()
        .map(|t| {
            (
                t.category.name.as_str(),
                t.parent.as_ref().map(|p| p.name.as_str()),
                t.children
                    .iter()
                    .map(|c| {
                        (
                            c.category.name.as_str(),
                            c.children.iter().map(|g| g.name.as_str()).collect(),
                        )
                    })
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("fiction", None, vec![("sf", vec!["space opera", "cyberpunk"]), ("fantasy", vec!["epic"])]),
            ("sf", Some("fiction"), vec![("space opera", vec![]), ("cyberpunk", vec![])]),
            ("fantasy", Some("fiction"), vec![("epic", vec![])]),
            ("space opera", Some("sf"), vec![]),
            ("cyberpunk", Some("sf"), vec![]),
            ("non-fiction", None, vec![]),
            ("epic", Some("fantasy"), vec![]),
        ]
    );
}

#[test]
fn a_shape_without_relations_is_one_statement() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let just = assert_num_queries(conn, 1, |conn| {
        JustAuthor::load(authors::table.order(authors::id), conn).unwrap()
    });
    assert_eq!(
        just.iter().map(|j| j.author.clone()).collect::<Vec<_>>(),
        all_authors(conn)
    );
}

#[test]
fn a_shape_equals_the_chain_when_keys_are_split_into_many_statements() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seeded(conn);
    let chain = {
        let authors = all_authors(conn);
        cards_by_chain(conn, authors)
    };
    // One key per statement: every relation's keys are split, nested ones too.
    let _one = diesel_relations::__private::override_max_keys_per_statement(1);
    let cards = AuthorCard::load(authors::table.order(authors::id), conn).unwrap();
    assert_eq!(cards, chain);
}

#[test]
fn a_database_error_in_a_nested_field_is_an_error_naming_its_relation() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seeded(conn);
    diesel::sql_query("DROP TABLE reviews").execute(conn).unwrap();
    let err = AuthorCard::load(authors::table.order(authors::id), conn).unwrap_err();
    assert_eq!(err.relation(), "review_set");
    assert!(err.database_error().is_some(), "{err}");
    // The connection still works.
    assert_eq!(all_authors(conn).len(), 4);
}

// AuthorHighlights and its refinement functions, for this backend.
include!("refined.rs");

#[test]
fn refined_fields_equal_the_refined_loaders() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seeded(conn);
    // Authors; newest books, their reviews and tags; books with an e; books;
    // profiles; favorites.
    let cards = assert_num_queries(conn, 7 + m2m(), |conn| {
        AuthorHighlights::load(authors::table.order(authors::id), conn).unwrap()
    });
    let authors = all_authors(conn);
    let newest = authors
        .clone()
        .prefetch_books_with(conn, |p| {
            newest_two(p).then(|b, c| b.prefetch_review_set(c)?.prefetch_tags(c))
        })
        .unwrap();
    let with_an_e = authors.clone().prefetch_books_with(conn, titled_with_an_e).unwrap();
    let books = authors.clone().prefetch_books(conn).unwrap();
    let profiles = authors.clone().prefetch_profile_with(conn, long_bio).unwrap();
    let favorites = authors.clone().prefetch_favorite_books_with(conn, favorites_with_an_i).unwrap();
    for (i, card) in cards.iter().enumerate() {
        assert_eq!(card.author, authors[i]);
        let expected: Vec<crate::cards::BookWithReviews> = newest[i]
            .books()
            .iter()
            .map(|b| crate::cards::BookWithReviews {
                book: b.model().clone(),
                review_set: b.review_set().clone(),
                tags: b.tags().clone(),
            })
            .collect();
        assert_eq!(card.newest, expected);
        assert_eq!(&card.with_an_e, with_an_e[i].books());
        assert_eq!(&card.books, books[i].books());
        assert_eq!(&card.profile, profiles[i].profile());
        assert_eq!(&card.favorites, favorites[i].favorite_books());
    }
    // What the refinements chose, read as a user would.
    let titles = |books: &[Book]| books.iter().map(|b| b.title.clone()).collect::<Vec<_>>();
    assert_eq!(
        titles(&cards[0].newest.iter().map(|b| b.book.clone()).collect::<Vec<_>>()),
        vec!["The Left Hand of Darkness", "The Dispossessed"]
    );
    assert_eq!(cards[0].books.len(), 3);
    // Refinements and chunks: the same with one key per statement.
    let _one = diesel_relations::__private::override_max_keys_per_statement(1);
    let chunked = AuthorHighlights::load(authors::table.order(authors::id), conn).unwrap();
    assert_eq!(chunked, cards);
}

#[test]
fn a_joined_field_loads_in_the_models_statement_and_equals_the_prefetched_shape() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    // The same shape prefetched: books, reviews, authors (their books and
    // edited books), editors.
    let prefetched = assert_num_queries(conn, 6, |conn| {
        JoinedBookCard::load(books::table.order(books::id).select(Book::as_select()), conn).unwrap()
    });
    // Joined: books with their authors in one statement, then the authors'
    // books and edited books, the reviews, the editors.
    let joined = assert_num_queries(conn, 5, |conn| {
        JoinedBookCard::load_joined(conn, |q| q.order(books::id)).unwrap()
    });
    assert_eq!(joined, prefetched);
    assert_eq!(joined[2].author.author.name, "Octavia");
    // The closure filters on either table, as `select_related(..).load_with` does.
    let ursulas = JoinedBookCard::load_joined(conn, |q| {
        q.filter(authors::name.eq("Ursula")).order(books::id.desc())
    })
    .unwrap();
    let ids: Vec<i32> = ursulas.iter().map(|c| c.book.id).collect();
    assert_eq!(ids, [5, 2, 1]);
    assert!(ursulas.iter().all(|c| c.author.written.len() == 3));
    // The chain it stands for converts into it: the joined layer innermost.
    let chain = diesel_relations::select_related(BookAuthor)
        .load_with(conn, |q| q.order(books::id))
        .unwrap()
        .prefetch_review_set(conn)
        .unwrap()
        .prefetch_editor(conn)
        .unwrap();
    let first: JoinedBookCard = {
        let tree = chain.into_iter().next().unwrap();
        let (node, editor) = diesel_relations::With::into_parts(tree);
        let (node, reviews) = diesel_relations::With::into_parts(node);
        let (book, author) = diesel_relations::With::into_parts(node);
        let author = AuthorWithBooks::from_model(author, conn).unwrap();
        JoinedBookCard { book, review_set: reviews, author, editor }
    };
    assert_eq!(first, joined[0]);
}

#[test]
fn a_joined_nullable_field_is_a_left_join() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    let joined = assert_num_queries(conn, 1, |conn| {
        BookWithEditor::load_joined(conn, |q| q.order(books::id)).unwrap()
    });
    let prefetched = BookWithEditor::load(books::table.order(books::id).select(Book::as_select()), conn).unwrap();
    assert_eq!(joined, prefetched);
    let editors: Vec<Option<&str>> = joined.iter().map(|c| c.editor.as_ref().map(|e| e.name.as_str())).collect();
    assert_eq!(editors, [Some("Ted"), None, Some("Ursula"), Some("Octavia"), None]);
    // Forced chunking changes nothing for the join (one statement) and
    // splits the prefetched relations of the joined parents.
    let _one = diesel_relations::__private::override_max_keys_per_statement(1);
    let chunked = JoinedBookCard::load_joined(conn, |q| q.order(books::id)).unwrap();
    drop(_one);
    let whole = JoinedBookCard::load_joined(conn, |q| q.order(books::id)).unwrap();
    assert_eq!(chunked, whole);
}

#[test]
fn aggregate_fields_hold_counts_without_the_children() {
    let Some(mut conn) = connect() else { return };
    let conn = &mut *conn;
    seed(conn);
    // authors, the count, the existence, the two column aggregates, the
    // favorites' count, the books, the books' review counts and mean stars.
    let summaries = assert_num_queries(conn, 8, |conn| {
        AuthorSummary::load(authors::table.order(authors::id), conn).unwrap()
    });
    let authors = all_authors(conn);
    for (author, summary) in authors.iter().zip(&summaries) {
        let naive: i64 = books::table.filter(books::author_id.eq(author.id)).count().get_result(conn).unwrap();
        assert_eq!(summary.book_count, naive);
        assert_eq!(summary.book_count as usize, summary.books.len());
        let naive: i64 = books::table.filter(books::editor_id.eq(author.id)).count().get_result(conn).unwrap();
        assert_eq!(summary.has_edited, naive > 0);
        let naive: Vec<(i32, Option<i32>)> =
            books::table.filter(books::author_id.eq(author.id)).select((books::id, books::editor_id)).load(conn).unwrap();
        let editors: Vec<f64> = naive.iter().filter_map(|b| b.1.map(f64::from)).collect();
        let mean = (!editors.is_empty()).then(|| editors.iter().sum::<f64>() / editors.len() as f64);
        assert_eq!(summary.newest_and_mean_editor, (naive.iter().map(|b| b.0).max(), mean));
        let naive: i64 = favorites::table
            .inner_join(books::table.on(books::id.eq(favorites::book_id)))
            .filter(favorites::author_id.eq(author.id))
            .count()
            .get_result(conn)
            .unwrap();
        assert_eq!(summary.favorites, naive);
        for book in &summary.books {
            let naive: i64 =
                reviews::table.filter(reviews::book_id.eq(book.book.id)).count().get_result(conn).unwrap();
            assert_eq!(book.reviews, naive);
            let stars: Vec<i32> =
                reviews::table.filter(reviews::book_id.eq(book.book.id)).select(reviews::stars).load(conn).unwrap();
            let mean = (!stars.is_empty()).then(|| stars.iter().map(|s| f64::from(*s)).sum::<f64>() / stars.len() as f64);
            assert_eq!(book.mean_stars, mean);
        }
    }
    assert_eq!(summaries[2].book_count, 0);
    assert_eq!(summaries[2].newest_and_mean_editor, (None, None));
    assert!(summaries[0].books.iter().any(|b| b.mean_stars == Some(4.5)), "{:?}", summaries[0]);
    // The chain it stands for converts into it.
    let chain = authors
        .prefetch_count(AuthorBooks, conn)
        .unwrap()
        .prefetch_exists(AuthorEditedBooks, conn)
        .unwrap()
        .prefetch_aggregate(AuthorBooks, (Max(books::id), Avg(books::editor_id)), conn)
        .unwrap()
        .prefetch_count(AuthorFavoriteBooks, conn)
        .unwrap()
        .prefetch_books_with(conn, |p| {
            p.then(|books, conn| {
                books.prefetch_count(BookReviewSet, conn)?.prefetch_aggregate(BookReviewSet, Avg(reviews::stars), conn)
            })
        })
        .unwrap();
    let converted: Vec<AuthorSummary> = chain.into_iter().map(AuthorSummary::from).collect();
    assert_eq!(converted, summaries);
}
