use diesel::prelude::*;
use relations_runtime::prelude::*;

diesel::table! { authors (id) { id -> Integer, name -> Text, } }
diesel::table! { books (id) { id -> Integer, author_id -> Integer, editor_id -> Nullable<Integer>, title -> Text, } }
diesel::allow_tables_to_appear_in_same_query!(authors, books);

#[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = authors)]
pub struct Author { pub id: i32, pub name: String }

#[derive(Queryable, Selectable, Identifiable, Associations, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = books, belongs_to(Author))]
pub struct Book {
    pub id: i32,
    #[foreign_key(related_name = "books")]
    pub author_id: i32,
    #[foreign_key(references = Author, related_name = "edited_books")]
    pub editor_id: Option<i32>,
    pub title: String,
}

#[test]
fn smoke() {
    let conn = &mut SqliteConnection::establish(":memory:").unwrap();
    diesel::sql_query("CREATE TABLE authors (id INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL)").execute(conn).unwrap();
    diesel::sql_query("CREATE TABLE books (id INTEGER PRIMARY KEY NOT NULL, author_id INTEGER NOT NULL, editor_id INTEGER, title TEXT NOT NULL)").execute(conn).unwrap();
    diesel::sql_query("INSERT INTO authors VALUES (1,'a'),(2,'b'),(3,'c')").execute(conn).unwrap();
    diesel::sql_query("INSERT INTO books VALUES (1,1,2,'x'),(2,1,NULL,'y'),(3,2,1,'z')").execute(conn).unwrap();
    let authors: Vec<Author> = authors::table.order(authors::id).select(Author::as_select()).load(conn).unwrap();
    let authors = authors.prefetch_books(conn).unwrap().prefetch_edited_books(conn).unwrap();
    for a in &authors { println!("{} {:?} {:?}", a.name, a.books(), a.edited_books()); }
    assert_eq!(authors[0].books().len(), 2);
    let books: Vec<Book> = books::table.load(conn).unwrap();
    let books = books.prefetch_author(conn).unwrap().prefetch_editor(conn).unwrap();
    assert_eq!(books[0].author().name, "a");
    assert_eq!(books[1].editor(), &None);
    let joined = select_related(BookAuthor).load(conn).unwrap();
    assert_eq!(joined.len(), 3);
    let joined = select_related(BookEditor).load_with(conn, |q| q.filter(books::id.gt(1))).unwrap();
    assert_eq!(joined.len(), 2);
    println!("{joined:?}");
}
