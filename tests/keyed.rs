//! The key-based loaders (`diesel_relations::keyed`) hand each key what the
//! `prefetch_*` loaders hand a model with that key, on SQLite.

#[path = "../examples/graphql/models.rs"]
mod models;
#[path = "../examples/graphql/schema.rs"]
mod schema;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_relations::{keyed, QueryCount};
use models::*;
use schema::*;

fn database() -> SqliteConnection {
    let mut conn = SqliteConnection::establish(":memory:").unwrap();
    for statement in models::CREATE
        .iter()
        .map(|s| s.to_string())
        .chain(models::seed(40))
    {
        conn.batch_execute(&statement).unwrap();
    }
    conn
}

#[test]
fn keyed_loaders_match_prefetch_per_key() {
    let conn = &mut database();
    let authors: Vec<Author> = authors::table
        .order(authors::id)
        .select(Author::as_select())
        .load(conn)
        .unwrap();
    let keys: Vec<i32> = authors.iter().map(|a| a.id).chain([999]).collect();
    let count = QueryCount::install(conn);

    let books = keyed::has_many(AuthorBooks, keys.clone(), conn).unwrap();
    assert_eq!(count.get(), 1);
    assert!(
        books[&999].is_empty(),
        "a key without a parent row maps to no children"
    );
    let loaded = authors.clone().prefetch_books(conn).unwrap();
    for author in &loaded {
        let ids = |b: &Vec<Book>| b.iter().map(|b| b.id).collect::<Vec<_>>();
        assert_eq!(ids(&books[&author.id]), ids(author.books()));
    }

    count.reset();
    let recent = keyed::has_many_with(AuthorBooks, keys.clone(), conn, |b| {
        b.order(books::id.desc()).limit_per_parent(1)
    })
    .unwrap();
    assert_eq!(count.get(), 1);
    for author in &loaded {
        assert_eq!(recent[&author.id].len(), 1);
        assert_eq!(
            recent[&author.id][0].id,
            author.books().iter().map(|b| b.id).max().unwrap()
        );
    }

    let all_books: Vec<Book> = books::table
        .order(books::id)
        .select(Book::as_select())
        .load(conn)
        .unwrap();
    let book_keys: Vec<i32> = all_books.iter().map(|b| b.id).collect();
    let tags = keyed::many_to_many(BookTags, book_keys.clone(), conn).unwrap();
    let with_tags = all_books.clone().prefetch_tags(conn).unwrap();
    for book in &with_tags {
        let ids = |t: &Vec<Tag>| t.iter().map(|t| t.id).collect::<Vec<_>>();
        assert_eq!(ids(&tags[&book.id]), ids(book.tags()));
    }

    // Belongs-to: by foreign-key value; a value with no parent is absent.
    count.reset();
    let parents = keyed::belongs_to(BookAuthor, vec![1, 2, 2, 998], conn).unwrap();
    assert_eq!(
        count.get(),
        2,
        "one load, then one look-up of the key it did not find"
    );
    assert_eq!(parents[&2].name, "Author 2");
    assert!(!parents.contains_key(&998));

    // No keys, no statement.
    count.reset();
    assert!(keyed::has_many(AuthorBooks, Vec::new(), conn)
        .unwrap()
        .is_empty());
    assert_eq!(count.get(), 0);
}
