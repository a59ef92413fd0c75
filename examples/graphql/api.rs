// The GraphQL API, over the connection type `Conn` of the module that
// includes this file (main.rs includes it once per database).
//
// Two schemas answer the same queries with the same JSON:
// - `schema`: every relation through a DataLoader of diesel-relations, one
//   statement per relation and level however many parents the level has;
// - `naive_schema`: each resolver runs its own query, one per parent (the
//   N+1 pattern the loaders remove), kept here to compare with.

use std::time::Duration;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, EmptyMutation, EmptySubscription, Object, Result, Schema};
use diesel::prelude::*;
use diesel_async::pooled_connection::deadpool::Pool;
use diesel_async::RunQueryDsl;
use diesel_relations::asynchronous::Async;
use diesel_relations::graphql::{CountLoader, LoadFor, LoadWith, RefinedLoader, RelationLoader};
use diesel_relations::Prefetch;

use crate::models::*;
use crate::schema::*;

/// The connection pool.
pub type Db = Pool<Conn>;

/// The loaders, one per relation the schema reads. Each is typed by its
/// relation: `Tags` takes a `&Book`, `Writer` a `&Book`, `Books` an
/// `&Author` and the field's arguments.
pub type Books = DataLoader<RefinedLoader<AuthorBooks, Db, BookArgs>>;
pub type BookCount = DataLoader<CountLoader<AuthorBooks, Db>>;
pub type Profiles = DataLoader<RelationLoader<AuthorProfile, Db>>;
pub type Reviews = DataLoader<RelationLoader<BookReviews, Db>>;
pub type Tags = DataLoader<RelationLoader<BookTags, Db>>;
pub type Writer = DataLoader<RelationLoader<BookAuthor, Db>>;

/// The arguments of `Author.books`: each distinct value is one statement.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct BookArgs {
    /// Only books of this year or later.
    pub since: Option<i32>,
    /// Only the `first` most recent books (highest id) of each author.
    pub first: Option<u32>,
}

/// `Author.books(since, first)` as a refinement of the loader's statement.
fn refine_books(
    mut books: Prefetch<AuthorBooks, Async<Conn>>,
    args: &BookArgs,
) -> Prefetch<AuthorBooks, Async<Conn>> {
    if let Some(since) = args.since {
        books = books.filter(books::year.ge(since));
    }
    if let Some(first) = args.first {
        books = books.order(books::id.desc()).limit_per_parent(first);
    }
    books
}

/// The schema with loaders: one `DataLoader` per relation in the data. Each
/// collects the keys of a GraphQL level for `delay` (async-graphql's default
/// is 1 ms) before it loads them all at once.
pub fn schema(pool: Db, delay: Duration) -> Schema<Query, EmptyMutation, EmptySubscription> {
    fn loader<L>(loader: L, delay: Duration) -> DataLoader<L> {
        DataLoader::new(loader, tokio::spawn).delay(delay)
    }
    Schema::build(Query, EmptyMutation, EmptySubscription)
        .data(loader(RefinedLoader::new(AuthorBooks, pool.clone(), refine_books), delay))
        .data(loader(CountLoader::new(AuthorBooks, pool.clone()), delay))
        .data(loader(RelationLoader::new(AuthorProfile, pool.clone()), delay))
        .data(loader(RelationLoader::new(BookReviews, pool.clone()), delay))
        .data(loader(RelationLoader::new(BookTags, pool.clone()), delay))
        .data(loader(RelationLoader::new(BookAuthor, pool.clone()), delay))
        .data(pool)
        .finish()
}

pub struct Query;

#[Object]
impl Query {
    /// Every author, by id; `ids` picks some.
    async fn authors(&self, ctx: &Context<'_>, ids: Option<Vec<i32>>) -> Result<Vec<AuthorNode>> {
        let mut conn = ctx.data::<Db>()?.get().await?;
        let mut query = authors::table.order(authors::id).select(Author::as_select()).into_boxed();
        if let Some(ids) = ids {
            query = query.filter(authors::id.eq_any(ids));
        }
        let authors: Vec<Author> = query.load(&mut conn).await?;
        Ok(authors.into_iter().map(AuthorNode).collect())
    }

    /// One author.
    async fn author(&self, ctx: &Context<'_>, id: i32) -> Result<Option<AuthorNode>> {
        let mut conn = ctx.data::<Db>()?.get().await?;
        let author: Option<Author> = authors::table
            .find(id)
            .select(Author::as_select())
            .first(&mut conn)
            .await
            .optional()?;
        Ok(author.map(AuthorNode))
    }
}

pub struct AuthorNode(Author);

#[Object(name = "Author")]
impl AuthorNode {
    async fn id(&self) -> i32 {
        self.0.id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// How many books the author has (counted, not loaded).
    async fn book_count(&self, ctx: &Context<'_>) -> Result<i64> {
        Ok(ctx.data::<BookCount>()?.load_for(&self.0).await?)
    }
    /// The author's profile, if any (one-to-one).
    async fn profile(&self, ctx: &Context<'_>) -> Result<Option<ProfileNode>> {
        Ok(ctx.data::<Profiles>()?.load_for(&self.0).await?.map(ProfileNode))
    }
    /// The author's books, by id; `since` a year, `first` the most recent n.
    async fn books(
        &self,
        ctx: &Context<'_>,
        since: Option<i32>,
        first: Option<u32>,
    ) -> Result<Vec<BookNode>> {
        let args = BookArgs { since, first };
        let books = ctx.data::<Books>()?.load_with(&self.0, args).await?;
        Ok(books.into_iter().map(BookNode).collect())
    }
}

pub struct ProfileNode(Profile);

#[Object(name = "Profile")]
impl ProfileNode {
    async fn bio(&self) -> &str {
        &self.0.bio
    }
}

pub struct BookNode(Book);

#[Object(name = "Book")]
impl BookNode {
    async fn id(&self) -> i32 {
        self.0.id
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn year(&self) -> i32 {
        self.0.year
    }
    async fn author(&self, ctx: &Context<'_>) -> Result<AuthorNode> {
        Ok(AuthorNode(ctx.data::<Writer>()?.load_for(&self.0).await?))
    }
    async fn reviews(&self, ctx: &Context<'_>) -> Result<Vec<ReviewNode>> {
        let reviews = ctx.data::<Reviews>()?.load_for(&self.0).await?;
        Ok(reviews.into_iter().map(ReviewNode).collect())
    }
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<TagNode>> {
        let tags = ctx.data::<Tags>()?.load_for(&self.0).await?;
        Ok(tags.into_iter().map(TagNode).collect())
    }
}

pub struct ReviewNode(Review);

#[Object(name = "Review")]
impl ReviewNode {
    async fn id(&self) -> i32 {
        self.0.id
    }
    async fn stars(&self) -> i32 {
        self.0.stars
    }
}

pub struct TagNode(Tag);

#[Object(name = "Tag")]
impl TagNode {
    async fn id(&self) -> i32 {
        self.0.id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
}

/// The same API with a query per resolver: what the loaders replace.
pub mod naive {
    use super::*;

    pub fn schema(pool: Db) -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription).data(pool).finish()
    }

    pub struct Query;

    #[Object]
    impl Query {
        async fn authors(&self, ctx: &Context<'_>, ids: Option<Vec<i32>>) -> Result<Vec<AuthorNode>> {
            Ok(super::Query.authors(ctx, ids).await?.into_iter().map(|a| AuthorNode(a.0)).collect())
        }
        async fn author(&self, ctx: &Context<'_>, id: i32) -> Result<Option<AuthorNode>> {
            Ok(super::Query.author(ctx, id).await?.map(|a| AuthorNode(a.0)))
        }
    }

    pub struct AuthorNode(Author);

    #[Object(name = "Author")]
    impl AuthorNode {
        async fn id(&self) -> i32 {
            self.0.id
        }
        async fn name(&self) -> &str {
            &self.0.name
        }
        async fn book_count(&self, ctx: &Context<'_>) -> Result<i64> {
            let mut conn = ctx.data::<Db>()?.get().await?;
            Ok(books::table
                .filter(books::author_id.eq(self.0.id))
                .count()
                .get_result(&mut conn)
                .await?)
        }
        async fn profile(&self, ctx: &Context<'_>) -> Result<Option<super::ProfileNode>> {
            let mut conn = ctx.data::<Db>()?.get().await?;
            let profile: Option<Profile> = profiles::table
                .filter(profiles::author_id.eq(self.0.id))
                .select(Profile::as_select())
                .first(&mut conn)
                .await
                .optional()?;
            Ok(profile.map(super::ProfileNode))
        }
        async fn books(
            &self,
            ctx: &Context<'_>,
            since: Option<i32>,
            first: Option<u32>,
        ) -> Result<Vec<BookNode>> {
            let mut conn = ctx.data::<Db>()?.get().await?;
            let mut query = books::table
                .filter(books::author_id.eq(self.0.id))
                .select(Book::as_select())
                .into_boxed();
            if let Some(since) = since {
                query = query.filter(books::year.ge(since));
            }
            query = match first {
                Some(first) => query.order(books::id.desc()).limit(i64::from(first)),
                None => query.order(books::id),
            };
            let books: Vec<Book> = query.load(&mut conn).await?;
            Ok(books.into_iter().map(BookNode).collect())
        }
    }

    pub struct BookNode(Book);

    #[Object(name = "Book")]
    impl BookNode {
        async fn id(&self) -> i32 {
            self.0.id
        }
        async fn title(&self) -> &str {
            &self.0.title
        }
        async fn year(&self) -> i32 {
            self.0.year
        }
        async fn author(&self, ctx: &Context<'_>) -> Result<AuthorNode> {
            let mut conn = ctx.data::<Db>()?.get().await?;
            let author: Author = authors::table
                .find(self.0.author_id)
                .select(Author::as_select())
                .first(&mut conn)
                .await?;
            Ok(AuthorNode(author))
        }
        async fn reviews(&self, ctx: &Context<'_>) -> Result<Vec<super::ReviewNode>> {
            let mut conn = ctx.data::<Db>()?.get().await?;
            let reviews: Vec<Review> = reviews::table
                .filter(reviews::book_id.eq(self.0.id))
                .order(reviews::id)
                .select(Review::as_select())
                .load(&mut conn)
                .await?;
            Ok(reviews.into_iter().map(super::ReviewNode).collect())
        }
        async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<super::TagNode>> {
            let mut conn = ctx.data::<Db>()?.get().await?;
            let tags: Vec<Tag> = book_tags::table
                .inner_join(tags::table.on(tags::id.eq(book_tags::tag_id)))
                .filter(book_tags::book_id.eq(self.0.id))
                .order(book_tags::id)
                .select(Tag::as_select())
                .load(&mut conn)
                .await?;
            Ok(tags.into_iter().map(super::TagNode).collect())
        }
    }
}
