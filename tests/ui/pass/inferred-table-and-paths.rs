// No `table_name`: Diesel's rule (snake case + `s`) finds the table. Models in
// another module, used through a glob import as in Diesel's guide.
use diesel::prelude::*;
use diesel_relations::prelude::*;

mod schema {
    diesel::table! { authors (id) { id -> Integer, } }
    diesel::table! { book_reviews (id) { id -> Integer, author_id -> Nullable<Integer>, } }
    diesel::allow_tables_to_appear_in_same_query!(authors, book_reviews);
}

mod models {
    use diesel::prelude::*;
    use diesel_relations::Relations;
    use crate::schema::*;

    #[derive(Queryable, Selectable, Relations, Clone)]
    pub struct Author {
        pub id: i32,
    }

    #[derive(Queryable, Selectable, Relations, Clone)]
    pub struct BookReview {
        pub id: i32,
        #[foreign_key(references = Author, related_name = "reviews")]
        pub author_id: Option<i32>,
    }
}

use models::*;

fn load(conn: &mut SqliteConnection, authors: Vec<Author>, reviews: Vec<BookReview>) -> QueryResult<()> {
    let authors = authors.prefetch_reviews(conn)?;
    let _: &Vec<BookReview> = authors[0].reviews();
    let reviews: Vec<With<BookReview, BookReviewAuthor>> = reviews.prefetch_author(conn)?;
    let _: &Option<Author> = reviews[0].author();
    let _: Vec<With<BookReview, BookReviewAuthor>> = select_related(BookReviewAuthor).load(conn)?;
    Ok(())
}

fn main() {}
