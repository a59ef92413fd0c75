// Random datasets for the equivalence suites (tests/equivalence/property.rs
// and tests/async_equivalence/property.rs), inserted with a blocking `Conn`.

/// Everything one case puts in the database, and which parents it asks about.
#[derive(Debug, Clone)]
struct Dataset {
    authors: Vec<Author>,
    books: Vec<Book>,
    reviews: Vec<Review>,
    profiles: Vec<Profile>,
    tags: Vec<Tag>,
    links: Vec<BookTag>,
    /// Authors' favorite books (a join model keyed by both foreign keys).
    favorites: Vec<Favorite>,
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
            // Ids descend as the links are inserted, so neither the stored
            // order nor the (book_id, tag_id) index is link order; one link
            // per (book, tag), as the unique index requires.
            let mut linked = std::collections::HashSet::new();
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
                    .filter(|l| linked.insert((l.book_id, l.tag_id)))
                    .collect()
            };
            let mut faved = std::collections::HashSet::new();
            let favorites: Vec<Favorite> = if books.is_empty() {
                Vec::new()
            } else {
                (0..next(books.len()))
                    .map(|_| Favorite {
                        author_id: authors[next(authors.len())].id,
                        book_id: books[next(books.len())].id,
                    })
                    .filter(|f| faved.insert((f.author_id, f.book_id)))
                    .collect()
            };
            Dataset { authors, books, reviews, profiles, tags, links, favorites, input }
        })
}

fn insert_all(conn: &mut Conn, data: &Dataset) -> QueryResult<()> {
    conn.batch_execute(
        "DELETE FROM favorites; DELETE FROM book_tags; DELETE FROM tags; DELETE FROM profiles; DELETE FROM reviews; \
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
    for chunk in data.favorites.chunks(500) {
        diesel::insert_into(favorites::table).values(chunk).execute(conn)?;
    }
    Ok(())
}
