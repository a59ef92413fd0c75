// Models that are only joined (`select_related`) need not be `Clone`: the
// derive puts no `Clone` bound anywhere it would be checked at the model.
use diesel::prelude::*;
use diesel_relations::prelude::*;

diesel::table! { authors (id) { id -> Integer, name -> Text, } }
diesel::table! { books (id) { id -> Integer, author_id -> Integer, } }
diesel::joinable!(books -> authors (author_id));
diesel::allow_tables_to_appear_in_same_query!(authors, books);

#[derive(Queryable, Selectable, Relations, Debug)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
    pub name: String,
}

#[derive(Queryable, Selectable, Relations, Debug)]
#[diesel(table_name = books)]
pub struct Book {
    pub id: i32,
    #[foreign_key(references = Author, related_name = "books")]
    pub author_id: i32,
}

fn main() {
    let conn = &mut SqliteConnection::establish(":memory:").unwrap();
    let _ = select_related(BookAuthor).load(conn);
}
