// A join model named like a generated relation key (`BookAuthor`, the key of
// `Book.author_id`'s belongs-to relation): `forward_key` renames the generated
// key, `related_key` the reverse one.
use diesel::prelude::*;
use diesel_relations::prelude::*;

diesel::table! { authors (id) { id -> Integer, name -> Text, } }
diesel::table! { books (id) { id -> Integer, author_id -> Integer, title -> Text, } }
diesel::table! { book_authors (id) { id -> Integer, book_id -> Integer, author_id -> Integer, } }
diesel::allow_tables_to_appear_in_same_query!(authors, books, book_authors);

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
    pub name: String,
}

#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = books)]
pub struct Book {
    pub id: i32,
    #[foreign_key(references = Author, related_name = "books", forward_key = "BookWriter", related_key = "AuthorsBooks")]
    pub author_id: i32,
    pub title: String,
}

/// Co-authors: the join model is named like `Book.author_id`'s default key.
#[derive(Queryable, Selectable, Relations, Clone)]
#[diesel(table_name = book_authors)]
pub struct BookAuthor {
    pub id: i32,
    #[foreign_key(references = Book, related_name = "author_links", many_to_many = "coauthors")]
    pub book_id: i32,
    #[foreign_key(references = Author, related_name = "book_links", many_to_many = "cowritten")]
    pub author_id: i32,
}

fn load(conn: &mut SqliteConnection, books: Vec<Book>) -> QueryResult<()> {
    let books = books.prefetch_author(conn)?.prefetch_coauthors(conn)?;
    let _: &Author = books[0].author();
    let _: &Vec<Author> = books[0].coauthors();
    let _ = select_related(BookWriter).load(conn)?;
    let _: Vec<With<Author, AuthorsBooks>> = Vec::new();
    Ok(())
}

fn main() {}
