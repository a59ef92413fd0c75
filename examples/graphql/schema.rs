// The Diesel schema, as `diesel print-schema` writes it.

diesel::table! { authors (id) { id -> Integer, name -> Text, } }
diesel::table! { profiles (id) { id -> Integer, author_id -> Integer, bio -> Text, } }
diesel::table! { books (id) { id -> Integer, author_id -> Integer, title -> Text, year -> Integer, } }
diesel::table! { reviews (id) { id -> Integer, book_id -> Integer, stars -> Integer, } }
diesel::table! { tags (id) { id -> Integer, name -> Text, } }
diesel::table! { book_tags (id) { id -> Integer, book_id -> Integer, tag_id -> Integer, } }
diesel::allow_tables_to_appear_in_same_query!(authors, profiles, books, reviews, tags, book_tags);
