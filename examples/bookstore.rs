//! A bookstore on embedded SQLite: the N+1 loop next to the prefetch, with the
//! number of statements each one ran, then the loaded tree.
//!
//! Run it with `cargo run --example bookstore`.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_relations::prelude::*;
use diesel_relations::QueryCount;

mod schema {
    diesel::table! { authors (id) { id -> Integer, name -> Text, } }
    diesel::table! { books (id) { id -> Integer, author_id -> Integer, title -> Text, year -> Integer, } }
    diesel::table! { reviews (id) { id -> Integer, book_id -> Integer, stars -> Integer, } }
    diesel::table! { profiles (id) { id -> Integer, author_id -> Nullable<Integer>, bio -> Text, } }
    diesel::joinable!(books -> authors (author_id));
    diesel::allow_tables_to_appear_in_same_query!(authors, books, reviews, profiles);
}

mod models {
    use super::schema::*;
    use diesel::prelude::*;
    use diesel_relations::Relations;

    #[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
    #[diesel(table_name = authors)]
    pub struct Author {
        pub id: i32,
        pub name: String,
    }

    #[derive(Queryable, Selectable, Identifiable, Associations, Relations, Debug, Clone)]
    #[diesel(table_name = books, belongs_to(Author))]
    pub struct Book {
        pub id: i32,
        /// The parent comes from `belongs_to(Author)`: `author.books()`, `book.author()`.
        #[foreign_key(related_name = "books")]
        pub author_id: i32,
        pub title: String,
        pub year: i32,
    }

    #[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
    #[diesel(table_name = reviews)]
    pub struct Review {
        pub id: i32,
        /// No `related_name`: Django's default, `book.review_set()`.
        #[foreign_key(references = Book)]
        pub book_id: i32,
        pub stars: i32,
    }

    #[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone)]
    #[diesel(table_name = profiles)]
    pub struct Profile {
        pub id: i32,
        /// A nullable foreign key: `profile.author()` is an `Option<Author>`.
        #[foreign_key(references = Author, related_name = "profiles")]
        pub author_id: Option<i32>,
        pub bio: String,
    }
}

/// What a page of this bookstore shows, declared as the types it returns.
mod views {
    use crate::models::*;
    use diesel_relations::Shape;

    /// An author with their books (each with its reviews) and profiles.
    #[derive(Shape, Debug)]
    #[shape(model = Author)]
    pub struct AuthorPage {
        pub author: Author,
        pub books: Vec<BookWithReviews>,
        pub profiles: Vec<Profile>,
    }

    #[derive(Shape, Debug)]
    #[shape(model = Book)]
    pub struct BookWithReviews {
        pub book: Book,
        pub review_set: Vec<Review>,
    }
}

// Diesel's guide style: the models module is glob-imported, which also brings
// the generated `*Ext` traits (`prefetch_books`, `books()`, ...) into scope.
use models::*;
use schema::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let conn = &mut SqliteConnection::establish(":memory:")?;
    create_and_fill(conn)?;
    let count = QueryCount::install(conn);

    // 1. The N+1 loop: one query for the authors, then one per author.
    count.reset();
    let authors: Vec<Author> = authors::table.order(authors::id).load(conn)?;
    let mut pairs = Vec::new();
    for author in &authors {
        let books: Vec<Book> = Book::belonging_to(author).order(books::id).load(conn)?;
        pairs.push((author.name.clone(), books.len()));
    }
    println!(
        "N+1 loop:     {} statements for {} authors",
        count.get(),
        authors.len()
    );

    // 2. The prefetch: one query for the authors, one for all their books.
    count.reset();
    let authors = authors::table
        .order(authors::id)
        .load::<Author>(conn)?
        .prefetch_books(conn)?;
    println!(
        "prefetch:     {} statements for {} authors",
        count.get(),
        authors.len()
    );
    assert!(authors
        .iter()
        .zip(&pairs)
        .all(|(a, (name, n))| &a.name == name && a.books().len() == *n));

    // 3. More relations, each one more statement, read without zip or lookups.
    count.reset();
    let authors = authors::table
        .order(authors::id)
        .load::<Author>(conn)?
        .prefetch_books(conn)?
        .prefetch_profiles(conn)?;
    println!("two relations: {} statements", count.get());

    // 4. Already-loaded books: prefetch their reviews and their authors.
    count.reset();
    let books: Vec<Book> = books::table
        .filter(books::year.lt(1975))
        .order(books::id)
        .load(conn)?;
    let books = books.prefetch_review_set(conn)?.prefetch_author(conn)?;
    println!("books with reviews and author: {} statements", count.get());

    // 5. Forward relation in the same statement as the books (a join).
    count.reset();
    let joined = select_related(BookAuthor).load_with(conn, |q| q.order(books::year.desc()))?;
    println!(
        "select_related: {} statement, newest: {:?} by {}",
        count.get(),
        joined[0].title,
        joined[0].author().name
    );

    // 6. The same tree declared as a type: authors, books, reviews, profiles.
    count.reset();
    let pages = views::AuthorPage::load(authors::table.order(authors::id), conn)?;
    println!(
        "declared shape: {} statements, {} reviews of {}'s books ({}), {} profile(s)",
        count.get(),
        pages[0]
            .books
            .iter()
            .map(|b| b.review_set.len())
            .sum::<usize>(),
        pages[0].author.name,
        pages[0]
            .books
            .iter()
            .map(|b| b.book.title.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        pages[0].profiles.len()
    );

    println!();
    for author in &authors {
        let bio = author
            .profiles()
            .first()
            .map(|p| p.bio.as_str())
            .unwrap_or("(no profile)");
        println!("{} — {bio}", author.name);
        for book in author.books() {
            println!("    {} ({})", book.title, book.year);
        }
    }
    println!();
    for book in &books {
        let stars: Vec<i32> = book.review_set().iter().map(|r| r.stars).collect();
        println!("{} by {}: stars {stars:?}", book.title, book.author().name);
    }
    Ok(())
}

fn create_and_fill(conn: &mut SqliteConnection) -> QueryResult<()> {
    conn.batch_execute(
        "
        CREATE TABLE authors (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL);
        CREATE TABLE books (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL REFERENCES authors(id),
                            title TEXT NOT NULL, year INTEGER NOT NULL);
        CREATE INDEX books_author_id ON books(author_id);
        CREATE TABLE reviews (id INTEGER PRIMARY KEY NOT NULL, book_id INTEGER NOT NULL REFERENCES books(id),
                              stars INTEGER NOT NULL);
        CREATE TABLE profiles (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER REFERENCES authors(id),
                               bio TEXT NOT NULL);
        INSERT INTO authors VALUES (1, 'Ursula K. Le Guin'), (2, 'Octavia E. Butler'),
                                   (3, 'Iain M. Banks'), (4, 'Ted Chiang');
        INSERT INTO books VALUES
            (1, 1, 'A Wizard of Earthsea', 1968), (2, 1, 'The Left Hand of Darkness', 1969),
            (3, 1, 'The Dispossessed', 1974), (4, 2, 'Kindred', 1979), (5, 2, 'Parable of the Sower', 1993),
            (6, 3, 'Consider Phlebas', 1987), (7, 3, 'The Player of Games', 1988),
            (8, 4, 'Stories of Your Life and Others', 2002);
        INSERT INTO reviews VALUES (1, 2, 5), (2, 2, 4), (3, 3, 5), (4, 4, 5), (5, 1, 4);
        INSERT INTO profiles VALUES (1, 1, 'Wrote of Earthsea and Anarres.'), (2, 4, 'Writes rarely, precisely.'),
                                    (3, NULL, 'An orphan profile.');
        ",
    )
}
