//! The models the behavioural tests load, one per key shape: `i32` keys
//! (authors, books, reviews), a nullable foreign key (`books.editor_id`), text
//! keys (countries, cities), `i64` keys (galaxies, stars) and `i16` keys
//! (sensors, readings).

use diesel::prelude::*;
use diesel_relations::Relations;

pub mod schema {
    diesel::table! { authors (id) { id -> Integer, name -> Text, } }
    diesel::table! {
        books (id) {
            id -> Integer,
            author_id -> Integer,
            editor_id -> Nullable<Integer>,
            title -> Text,
        }
    }
    diesel::table! { reviews (id) { id -> Integer, book_id -> Integer, stars -> Integer, } }
    diesel::table! { countries (code) { code -> Text, name -> Text, } }
    diesel::table! { cities (id) { id -> BigInt, country_code -> Nullable<Text>, name -> Text, } }
    diesel::table! { galaxies (id) { id -> BigInt, name -> Text, } }
    diesel::table! { stars (id) { id -> BigInt, galaxy_id -> BigInt, name -> Text, } }
    diesel::table! { profiles (id) { id -> Integer, author_id -> Integer, bio -> Text, } }
    diesel::table! { tags (id) { id -> Integer, name -> Text, } }
    diesel::table! { book_tags (id) { id -> Integer, book_id -> Integer, tag_id -> Integer, weight -> Integer, } }
    diesel::table! { favorites (author_id, book_id) { author_id -> Integer, book_id -> Integer, } }
    diesel::table! { country_tags (country_code, tag_id) { country_code -> Text, tag_id -> Integer, } }
    diesel::table! { categories (id) { id -> Integer, parent_id -> Nullable<Integer>, name -> Text, } }
    diesel::table! { sensors (id) { id -> SmallInt, label -> Text, } }
    diesel::table! { readings (id) { id -> Integer, sensor_id -> SmallInt, value -> Integer, } }

    // As `diesel print-schema` writes SQLite's `id INTEGER PRIMARY KEY`.
    diesel::table! { people (id) { id -> Nullable<Integer>, name -> Text, } }
    diesel::table! { pets (id) { id -> Integer, owner_id -> Nullable<Integer>, name -> Text, } }
    diesel::allow_tables_to_appear_in_same_query!(people, pets);

    // Created by the tests that use them (tests/large_keys): text keys of
    // hostile size.
    diesel::table! { wide_parents (code) { code -> Text, } }
    diesel::table! { wide_children (id) { id -> Integer, parent_code -> Text, } }
    diesel::allow_tables_to_appear_in_same_query!(wide_parents, wide_children);

    diesel::allow_tables_to_appear_in_same_query!(
        authors,
        books,
        reviews,
        profiles,
        tags,
        book_tags,
        favorites,
        country_tags,
        categories,
        countries,
        cities,
        galaxies,
        stars,
        sensors,
        readings
    );
}

use schema::*;

#[derive(Queryable, Selectable, Identifiable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = authors)]
pub struct Author {
    pub id: i32,
    pub name: String,
}

/// Two foreign keys to the same parent: `author_id` (required, found through
/// Diesel's `belongs_to`) and `editor_id` (nullable, named with `references`).
#[derive(
    Queryable,
    Selectable,
    Identifiable,
    Insertable,
    Associations,
    Relations,
    Debug,
    Clone,
    PartialEq,
)]
#[diesel(table_name = books, belongs_to(Author))]
pub struct Book {
    pub id: i32,
    #[foreign_key(related_name = "books")]
    pub author_id: i32,
    #[foreign_key(references = Author, related_name = "edited_books")]
    pub editor_id: Option<i32>,
    pub title: String,
}

/// `related_name` left out: the reverse relation is Django's `review_set`.
#[derive(Queryable, Selectable, Identifiable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = reviews)]
pub struct Review {
    pub id: i32,
    #[foreign_key(references = Book)]
    pub book_id: i32,
    pub stars: i32,
}

/// One-to-one: `author.profile()` is an `Option<Profile>`. (The test table
/// has no UNIQUE constraint, so the not-unique error can be provoked.)
#[derive(Queryable, Selectable, Identifiable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = profiles)]
pub struct Profile {
    pub id: i32,
    #[foreign_key(references = Author, one_to_one)]
    pub author_id: i32,
    pub bio: String,
}

#[derive(Queryable, Selectable, Identifiable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = tags)]
pub struct Tag {
    pub id: i32,
    pub name: String,
}

/// A join model with its own key and a column of its own: `book.tags()` and
/// `tag.books()`.
#[derive(Queryable, Selectable, Identifiable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = book_tags)]
pub struct BookTag {
    pub id: i32,
    #[foreign_key(references = Book, related_name = "book_tags", many_to_many = "tags")]
    pub book_id: i32,
    #[foreign_key(references = Tag, related_name = "book_tags", many_to_many = "books")]
    pub tag_id: i32,
    pub weight: i32,
}

/// A join model keyed by its two foreign keys: `author.favorite_books()`,
/// `book.fans()`.
#[derive(Queryable, Selectable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = favorites, primary_key(author_id, book_id))]
pub struct Favorite {
    #[foreign_key(references = Author, related_name = "favorites", many_to_many = "favorite_books")]
    pub author_id: i32,
    #[foreign_key(references = Book, related_name = "fan_links", many_to_many = "fans")]
    pub book_id: i32,
}

/// Self-referential: `category.children()` and `category.parent()`.
#[derive(Queryable, Selectable, Identifiable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = categories)]
pub struct Category {
    pub id: i32,
    #[foreign_key(references = Category, related_name = "children")]
    pub parent_id: Option<i32>,
    pub name: String,
}

#[derive(Queryable, Selectable, Identifiable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = countries, primary_key(code))]
pub struct Country {
    pub code: String,
    pub name: String,
}

#[derive(Queryable, Selectable, Identifiable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = cities)]
pub struct City {
    pub id: i64,
    /// Column and field names differ.
    #[diesel(column_name = country_code)]
    #[foreign_key(references = Country, related_name = "cities")]
    pub country: Option<String>,
    pub name: String,
}

#[derive(Queryable, Selectable, Identifiable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = galaxies)]
pub struct Galaxy {
    pub id: i64,
    pub name: String,
}

#[derive(Queryable, Selectable, Identifiable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = stars)]
pub struct Star {
    pub id: i64,
    #[foreign_key(references = Galaxy, related_name = "stars")]
    pub galaxy_id: i64,
    pub name: String,
}

#[derive(Queryable, Selectable, Identifiable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = sensors)]
pub struct Sensor {
    pub id: i16,
    pub label: String,
}

#[derive(Queryable, Selectable, Identifiable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = readings)]
pub struct Reading {
    pub id: i32,
    #[foreign_key(references = Sensor, related_name = "readings")]
    pub sensor_id: i16,
    pub value: i32,
}

/// A model that selects only some of its table's columns (`books.title` and
/// `books.editor_id` are left out), as a list view's model does: its
/// refinements may still filter and order by the columns it does not select.
#[derive(Queryable, Selectable, Identifiable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = books)]
pub struct BookSummary {
    pub id: i32,
    #[foreign_key(references = Author, related_name = "book_summaries")]
    pub author_id: i32,
}

/// A parent whose text key is as long as the test makes it.
#[derive(Queryable, Selectable, Identifiable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = wide_parents, primary_key(code))]
pub struct WideParent {
    pub code: String,
}

#[derive(Queryable, Selectable, Identifiable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = wide_children)]
pub struct WideChild {
    pub id: i32,
    #[foreign_key(references = WideParent, related_name = "wide_children", forward_name = "parent")]
    pub parent_code: String,
}

/// A parent whose key column is nullable in the schema (`diesel print-schema`
/// on SQLite writes `INTEGER PRIMARY KEY` as `Nullable<Integer>`), so its key
/// field is `Option<i32>`: the relation key is `i32`.
#[derive(Queryable, Selectable, Identifiable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = people)]
pub struct Person {
    pub id: Option<i32>,
    pub name: String,
}

/// A nullable foreign key spelled through a type alias.
pub type MaybePersonId = Option<i32>;

#[derive(Queryable, Selectable, Identifiable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = pets)]
pub struct Pet {
    pub id: i32,
    #[foreign_key(references = Person, related_name = "pets")]
    pub owner_id: MaybePersonId,
    pub name: String,
}

/// A join model whose key has a text component (`(country_code, tag_id)`):
/// link order compares it in memory, in byte order, whatever the collation.
#[derive(Queryable, Selectable, Insertable, Relations, Debug, Clone, PartialEq)]
#[diesel(table_name = country_tags, primary_key(country_code, tag_id))]
pub struct CountryTag {
    #[foreign_key(references = Country, related_name = "country_tags", many_to_many = "tags")]
    pub country_code: String,
    #[foreign_key(references = Tag, related_name = "country_links", many_to_many = "countries")]
    pub tag_id: i32,
}
