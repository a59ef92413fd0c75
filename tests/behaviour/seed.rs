// The behavioural suite's data, shared by tests/behaviour/suite.rs and
// tests/async_behaviour/suite.rs. Written with a blocking connection `Conn`.

fn seed(conn: &mut Conn) {
    let authors = vec![
        Author { id: 1, name: "Ursula".into() },
        Author { id: 2, name: "Octavia".into() },
        Author { id: 3, name: "Iain".into() },
        Author { id: 4, name: "Ted".into() },
    ];
    diesel::insert_into(authors::table).values(&authors).execute(conn).unwrap();
    // Inserted out of key order: children must come back in key order anyway.
    let book = |id, author_id, editor_id, title: &str| Book {
        id,
        author_id,
        editor_id,
        title: title.into(),
    };
    let books = vec![
        book(5, 1, Some(2), "The Dispossessed"),
        book(2, 1, None, "A Wizard of Earthsea"),
        book(3, 2, Some(1), "Kindred"),
        book(9, 4, None, "Stories of Your Life"),
        book(1, 1, Some(4), "The Left Hand of Darkness"),
    ];
    diesel::insert_into(books::table).values(&books).execute(conn).unwrap();
    let reviews = vec![
        Review { id: 1, book_id: 1, stars: 5 },
        Review { id: 2, book_id: 1, stars: 4 },
        Review { id: 3, book_id: 3, stars: 5 },
    ];
    diesel::insert_into(reviews::table).values(&reviews).execute(conn).unwrap();
}

fn seed_profiles(conn: &mut Conn) {
    let profile = |id, author_id, bio: &str| Profile { id, author_id, bio: bio.into() };
    diesel::insert_into(profiles::table)
        .values(&vec![profile(1, 2, "Kindred spirit"), profile(2, 1, "Earthsea")])
        .execute(conn)
        .unwrap();
}

fn seed_tags(conn: &mut Conn) {
    let tag = |id, name: &str| Tag { id, name: name.into() };
    diesel::insert_into(tags::table)
        .values(&vec![tag(1, "fantasy"), tag(2, "classic"), tag(3, "unused"), tag(4, "sf")])
        .execute(conn)
        .unwrap();
    // Link ids give the order links were made: not tag order (the unique
    // index on (book_id, tag_id) reads Left Hand's links as classic, sf), nor
    // the order the rows are stored in (PostgreSQL's heap: inserted 4, 1, 5, 3, 2).
    let link = |id, book_id, tag_id, weight| BookTag { id, book_id, tag_id, weight };
    diesel::insert_into(book_tags::table)
        .values(&vec![
            link(4, 1, 2, 8), // Left Hand: sf (3), classic (4)
            link(1, 2, 1, 10), // Earthsea: fantasy (1), classic (2)
            link(5, 5, 4, 9), // Dispossessed: sf
            link(3, 1, 4, 7),
            link(2, 2, 2, 5),
        ])
        .execute(conn)
        .unwrap();
    let fav = |author_id, book_id| Favorite { author_id, book_id };
    diesel::insert_into(favorites::table)
        .values(&vec![fav(2, 1), fav(2, 3), fav(4, 1), fav(1, 9)])
        .execute(conn)
        .unwrap();
}

/// A category tree two levels deep: fiction > sf > {space opera, cyberpunk},
/// fiction > fantasy > epic, and non-fiction alone.
#[allow(dead_code)] // the async suite has no tree test
fn seed_categories(conn: &mut Conn) {
    let cat = |id, parent_id, name: &str| Category { id, parent_id, name: name.into() };
    diesel::insert_into(categories::table)
        .values(&vec![
            cat(1, None, "fiction"),
            cat(2, Some(1), "sf"),
            cat(3, Some(1), "fantasy"),
            cat(4, Some(2), "space opera"),
            cat(5, Some(2), "cyberpunk"),
            cat(6, None, "non-fiction"),
            cat(7, Some(3), "epic"),
        ])
        .execute(conn)
        .unwrap();
}
