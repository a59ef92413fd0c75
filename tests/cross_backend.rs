//! The same data, loaded through the same relations on SQLite, PostgreSQL and
//! MySQL/MariaDB, gives identical trees: same parents, same children, same
//! order, same values (unicode and quote-laden text, extreme integers, NULLs).
//! Runs when both server features are enabled and both servers are reachable.
#![cfg(all(feature = "postgres", feature = "mysql"))]

mod common;

use common::models::schema::*;
use common::models::*;
use diesel::prelude::*;

/// Everything one backend loads, in plain values.
#[derive(Debug, PartialEq)]
struct Tree {
    authors: Vec<(Author, Vec<Book>, Vec<Book>)>,
    books: Vec<(Book, Author, Option<Author>)>,
    joined: Vec<(Book, Option<Author>)>,
    countries: Vec<(Country, Vec<City>)>,
    galaxies: Vec<(Galaxy, Vec<Star>)>,
}

/// Seed and load; a macro because each backend has its own connection type.
macro_rules! seed_and_load {
    ($conn:expr) => {{
        let conn = $conn;
        let authors: Vec<Author> = (1..=40)
            .map(|id| Author {
                id,
                name: format!("Autor №{id} «{}» 'q' \"dq\" ; -- ✓", id * 7),
            })
            .collect();
        diesel::insert_into(authors::table)
            .values(&authors)
            .execute(conn)
            .unwrap();
        let books: Vec<Book> = (1..=200)
            .map(|id| Book {
                id,
                author_id: (id * 13) % 37 + 1,
                editor_id: if id % 3 == 0 {
                    None
                } else {
                    Some((id * 7) % 40 + 1)
                },
                title: format!("Títle {id} ☃ {}", "x".repeat((id % 5) as usize)),
            })
            .collect();
        diesel::insert_into(books::table)
            .values(&books)
            .execute(conn)
            .unwrap();
        let countries = vec![
            Country {
                code: "ÅX".into(),
                name: "Åland".into(),
            },
            Country {
                code: "it's".into(),
                name: "Quote".into(),
            },
            Country {
                code: "a;b--c".into(),
                name: "Semicolon".into(),
            },
        ];
        diesel::insert_into(countries::table)
            .values(&countries)
            .execute(conn)
            .unwrap();
        let cities: Vec<City> = (1..=30)
            .map(|id| City {
                id: id * 1_000_000_007,
                country: match id % 4 {
                    0 => None,
                    1 => Some("ÅX".into()),
                    2 => Some("it's".into()),
                    _ => Some("a;b--c".into()),
                },
                name: format!("city {id}"),
            })
            .collect();
        diesel::insert_into(cities::table)
            .values(&cities)
            .execute(conn)
            .unwrap();
        let galaxies = vec![
            Galaxy {
                id: i64::MIN + 1,
                name: "min".into(),
            },
            Galaxy {
                id: 0,
                name: "zero".into(),
            },
            Galaxy {
                id: i64::MAX,
                name: "max".into(),
            },
        ];
        diesel::insert_into(galaxies::table)
            .values(&galaxies)
            .execute(conn)
            .unwrap();
        let stars: Vec<Star> = (1..=20)
            .map(|id| Star {
                id,
                galaxy_id: galaxies[(id % 3) as usize].id,
                name: format!("star {id}"),
            })
            .collect();
        diesel::insert_into(stars::table)
            .values(&stars)
            .execute(conn)
            .unwrap();

        let loaded = authors::table
            .order(authors::id)
            .load::<Author>(conn)
            .unwrap()
            .prefetch_books(conn)
            .unwrap()
            .prefetch_edited_books(conn)
            .unwrap();
        let authors = loaded
            .into_iter()
            .map(|a| {
                let edited = a.edited_books().clone();
                let books = a.books().clone();
                (With::into_inner(With::into_inner(a)), books, edited)
            })
            .collect();
        let books = books::table
            .order(books::id)
            .load::<Book>(conn)
            .unwrap()
            .prefetch_author(conn)
            .unwrap()
            .prefetch_editor(conn)
            .unwrap()
            .into_iter()
            .map(|b| {
                let (inner, editor) = With::into_parts(b);
                let (book, author) = With::into_parts(inner);
                (book, author, editor)
            })
            .collect();
        let joined = select_related(BookEditor)
            .load_with(conn, |q| q.order(books::id))
            .unwrap()
            .into_iter()
            .map(With::into_parts)
            .collect();
        // Sorted here, not in SQL: MySQL's default collation orders text
        // differently (`Å` sorts as `A`), and the parents' order is the user's.
        let mut countries: Vec<Country> = countries::table.load::<Country>(conn).unwrap();
        countries.sort_by(|a, b| a.code.cmp(&b.code));
        let countries = countries
            .prefetch_cities(conn)
            .unwrap()
            .into_iter()
            .map(With::into_parts)
            .collect();
        let galaxies = galaxies::table
            .order(galaxies::id)
            .load::<Galaxy>(conn)
            .unwrap()
            .prefetch_stars(conn)
            .unwrap()
            .into_iter()
            .map(With::into_parts)
            .collect();
        Tree {
            authors,
            books,
            joined,
            countries,
            galaxies,
        }
    }};
}

use diesel_relations::prelude::*;

#[test]
fn the_same_data_loads_into_the_same_tree_on_every_backend() {
    let (Some(mut pg), Some(mut my)) = (common::postgres(), common::mysql()) else {
        return;
    };
    let mut lite = common::sqlite().unwrap();
    let from_sqlite = seed_and_load!(&mut *lite);
    let from_postgres = seed_and_load!(&mut *pg);
    let from_mysql = seed_and_load!(&mut *my);
    assert_eq!(from_sqlite.authors.len(), 40);
    assert!(from_sqlite
        .authors
        .iter()
        .any(|(_, books, _)| books.len() > 1));
    for (name, other) in [("PostgreSQL", &from_postgres), ("MySQL", &from_mysql)] {
        assert_eq!(
            from_sqlite.authors, other.authors,
            "authors: SQLite and {name} differ"
        );
        assert_eq!(
            from_sqlite.books, other.books,
            "books: SQLite and {name} differ"
        );
        assert_eq!(
            from_sqlite.joined, other.joined,
            "joined: SQLite and {name} differ"
        );
        assert_eq!(
            from_sqlite.countries, other.countries,
            "countries: SQLite and {name} differ"
        );
        assert_eq!(
            from_sqlite.galaxies, other.galaxies,
            "galaxies: SQLite and {name} differ"
        );
    }
}
