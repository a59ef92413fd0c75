// The parent comes from Diesel's own `belongs_to`; a bare `#[foreign_key]`
// takes every default: the reverse relation is `book_set`, the forward one `author`.
use diesel::prelude::*;
use diesel_relations::prelude::*;

diesel::table! { authors (id) { id -> Integer, } }
diesel::table! { books (id) { id -> Integer, author_id -> Integer, } }
diesel::joinable!(books -> authors (author_id));
diesel::allow_tables_to_appear_in_same_query!(authors, books);

#[derive(Queryable, Selectable, Identifiable, Relations, Clone)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
}

#[derive(Queryable, Selectable, Identifiable, Associations, Relations, Clone)]
#[diesel(table_name = books, belongs_to(Author))]
pub struct Book {
    pub id: i32,
    #[foreign_key]
    pub author_id: i32,
}

fn load(conn: &mut SqliteConnection, authors: Vec<Author>, books: Vec<Book>) -> QueryResult<()> {
    let authors: Vec<With<Author, AuthorBookSet>> = authors.prefetch_book_set(conn)?;
    let _: &Vec<Book> = authors[0].book_set();
    let books: Vec<With<Book, BookAuthor>> = books.prefetch_author(conn)?;
    let _: &Author = books[0].author();
    let _: Vec<With<Book, BookAuthor>> = select_related(BookAuthor).load(conn)?;
    Ok(())
}

fn main() {}
