//! The shapes the shape suites load, declared once in their own module as an
//! application would (`crate::...` paths, models imported from another module).

use diesel_relations::{Avg, Max, Shape};

// The relation keys (`AuthorBooks`, ...) come into scope with the models, as
// `use crate::models::*` brings them in an application.
use crate::common::models::schema::{books, reviews};
use crate::common::models::*;

/// Every kind of relation, nested: has-many (shaped again), one-to-one,
/// many-to-many through a join model, and a second has-many of the same parent.
#[derive(Shape, Debug, Clone, PartialEq)]
#[shape(model = Author)]
pub struct AuthorCard {
    pub author: Author,
    pub books: Vec<BookWithReviews>,
    pub profile: Option<Profile>,
    pub edited_books: Vec<Book>,
    pub favorite_books: Vec<Book>,
}

#[derive(Shape, Debug, Clone, PartialEq)]
#[shape(model = Book)]
pub struct BookWithReviews {
    #[shape(model)]
    pub book: crate::common::models::Book,
    pub review_set: Vec<Review>,
    pub tags: Vec<Tag>,
}

/// Forward relations: a required one shaped again, a nullable one as the model.
#[derive(Shape, Debug, Clone, PartialEq)]
#[shape(model = Book)]
pub struct BookCard {
    pub book: Book,
    pub author: AuthorWithBooks,
    pub editor: Option<Author>,
}

/// Fields named otherwise than their relations: by name and by key.
#[derive(Shape, Debug, Clone, PartialEq)]
#[shape(model = Author)]
pub struct AuthorWithBooks {
    pub author: Author,
    #[shape(relation = "books")]
    pub written: Vec<Book>,
    #[shape(key = crate::common::models::AuthorEditedBooks)]
    pub edited: Vec<Book>,
}

/// A self-referential tree, two levels deep.
#[derive(Shape, Debug, Clone, PartialEq)]
#[shape(model = Category)]
pub struct CategoryTree {
    pub category: Category,
    pub children: Vec<CategoryWithChildren>,
    pub parent: Option<Category>,
}

#[derive(Shape, Debug, Clone, PartialEq)]
#[shape(model = Category)]
pub struct CategoryWithChildren {
    pub category: Category,
    pub children: Vec<Category>,
}

/// A shape with no relation is the model in a struct of its own.
#[derive(Shape, Debug, Clone, PartialEq)]
#[shape(model = Author)]
pub struct JustAuthor {
    pub author: Author,
}

/// A forward relation joined into the books' own statement (`load_joined`),
/// shaped again, beside a prefetched has-many and a prefetched nullable
/// forward relation.
#[derive(Shape, Debug, Clone, PartialEq)]
#[shape(model = Book)]
pub struct JoinedBookCard {
    pub book: Book,
    pub review_set: Vec<Review>,
    #[shape(join)]
    pub author: AuthorWithBooks,
    pub editor: Option<Author>,
}

/// A nullable forward relation joined (a left join): `None` where the key is NULL.
#[derive(Shape, Debug, Clone, PartialEq)]
#[shape(model = Book)]
pub struct BookWithEditor {
    pub book: Book,
    #[shape(join)]
    pub editor: Option<Author>,
}

/// Aggregates as fields: counts, existence and column aggregates (two in one
/// statement), also on a nested shape.
#[derive(Shape, Debug, Clone, PartialEq)]
#[shape(model = Author)]
pub struct AuthorSummary {
    pub author: Author,
    #[shape(count = "books")]
    pub book_count: i64,
    #[shape(exists = "edited_books")]
    pub has_edited: bool,
    #[shape(aggregate = "books", value = (Max(books::id), Avg(books::editor_id)))]
    pub newest_and_mean_editor: (Option<i32>, Option<f64>),
    #[shape(count = "favorite_books")]
    pub favorites: i64,
    pub books: Vec<BookWithReviewCount>,
}

#[derive(Shape, Debug, Clone, PartialEq)]
#[shape(model = Book)]
pub struct BookWithReviewCount {
    pub book: Book,
    #[shape(count = "review_set")]
    pub reviews: i64,
    #[shape(aggregate = "review_set", value = Avg(reviews::stars))]
    pub mean_stars: Option<f64>,
}
