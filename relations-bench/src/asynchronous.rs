//! `relations_async` (features `async` and `postgres`): the scenarios'
//! `relations` implementations with the `_async` loaders, on diesel-async's
//! `AsyncPgConnection` to the same schema. A current-thread tokio runtime
//! drives it, as the blocking connection runs on the calling thread; what is
//! timed is the `block_on` of the whole scenario (parents and prefetches).
//!
//! The parent queries and the tallies are the blocking implementations' own
//! (`scenarios::postgres`): only the loader calls differ.

use diesel::prelude::*;
use diesel_async::methods::LoadQuery;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use diesel_relations::prelude::*;
use diesel_relations::QueryCount;

use crate::runner::{measure, Impl, Loaded, Run, Scenario, Side, StatementCounter, Timed};
use crate::scenarios::postgres as b;
use crate::schema::*;

/// The async connection and the runtime that drives it.
pub struct AsyncPg {
    rt: tokio::runtime::Runtime,
    conn: AsyncPgConnection,
}

impl AsyncPg {
    /// Connect to `url` and read schema `schema`, as the blocking connection does.
    pub fn connect(url: &str, schema: &str) -> Result<Self, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("tokio runtime: {e}"))?;
        let conn = rt.block_on(async {
            let mut conn = AsyncPgConnection::establish(url)
                .await
                .map_err(|e| format!("{url} (async): {e}"))?;
            conn.batch_execute(&format!("SET search_path TO {schema}"))
                .await
                .map_err(|e| format!("{url} (async): {e}"))?;
            Ok::<_, String>(conn)
        })?;
        Ok(AsyncPg { rt, conn })
    }
}

impl Side for AsyncPg {
    fn install_count(&mut self) -> Option<QueryCount> {
        Some(QueryCount::install_async(&mut self.conn))
    }

    fn set_counter(&mut self, counter: StatementCounter) {
        self.conn.set_instrumentation(counter);
    }
}

/// [`measure`] of `load`, run to completion on the runtime.
fn measure_async<T>(
    side: &mut AsyncPg,
    load: impl AsyncFnOnce(&mut AsyncPgConnection) -> QueryResult<T>,
    tally: impl FnOnce(&T) -> Loaded,
) -> QueryResult<Timed> {
    measure(side, |AsyncPg { rt, conn }| rt.block_on(load(conn)), tally)
}

/// Authors (all of them, or the first `FIRST_N`) with their books.
fn has_many<Q>(side: &mut AsyncPg, parents: Q) -> QueryResult<Timed>
where
    Q: LoadQuery<'static, AsyncPgConnection, Author> + 'static,
{
    measure_async(
        side,
        async |conn| {
            let authors: Vec<Author> = parents.load(conn).await?;
            Ok(authors.prefetch_books_async(conn).await?)
        },
        b::tally_with_books,
    )
}

fn filtered(side: &mut AsyncPg) -> QueryResult<Timed> {
    measure_async(
        side,
        async |conn| {
            let authors: Vec<Author> = b::all_authors_query().load(conn).await?;
            Ok(authors
                .prefetch_books_with_async(conn, |p| {
                    p.filter(books::published.eq(true))
                        .order((books::year.desc(), books::id))
                })
                .await?)
        },
        b::tally_with_books,
    )
}

fn nested(side: &mut AsyncPg) -> QueryResult<Timed> {
    measure_async(
        side,
        async |conn| {
            let authors: Vec<Author> = b::all_authors_query().load(conn).await?;
            Ok(authors
                .prefetch_books_with_async(conn, |p| {
                    p.then(async |books, conn| books.prefetch_reviews_async(conn).await)
                })
                .await?)
        },
        b::tally_nested,
    )
}

fn many_to_many(side: &mut AsyncPg) -> QueryResult<Timed> {
    measure_async(
        side,
        async |conn| {
            let books: Vec<Book> = b::all_books_query().load(conn).await?;
            Ok(books.prefetch_tags_async(conn).await?)
        },
        b::tally_with_tags,
    )
}

fn many_to_many_reverse(side: &mut AsyncPg) -> QueryResult<Timed> {
    measure_async(
        side,
        async |conn| {
            let tags: Vec<Tag> = tags::table.select(Tag::as_select()).load(conn).await?;
            Ok(tags.prefetch_books_async(conn).await?)
        },
        b::tally_tags_with_books,
    )
}

fn forward_join(side: &mut AsyncPg) -> QueryResult<Timed> {
    measure_async(
        side,
        async |conn| Ok(select_related(BookAuthor).load_async(conn).await?),
        |out| b::join_rows(b::tally_with_author(out)),
    )
}

fn forward_prefetch(side: &mut AsyncPg) -> QueryResult<Timed> {
    measure_async(
        side,
        async |conn| {
            let books: Vec<Book> = b::all_books_query().load(conn).await?;
            Ok(books.prefetch_author_async(conn).await?)
        },
        b::tally_prefetched_author,
    )
}

fn top3(side: &mut AsyncPg) -> QueryResult<Timed> {
    measure_async(
        side,
        async |conn| {
            let authors: Vec<Author> = b::all_authors_query().load(conn).await?;
            Ok(authors
                .prefetch_books_with_async(conn, |p| {
                    p.order(books::year.desc()).limit_per_parent(3)
                })
                .await?)
        },
        b::tally_with_books,
    )
}

/// An implementation on the async connection.
fn count_per_author(side: &mut AsyncPg) -> QueryResult<Timed> {
    measure_async(
        side,
        async |conn| {
            let authors: Vec<Author> = b::all_authors_query().load(conn).await?;
            Ok(authors.prefetch_count_async(AuthorBooks, conn).await?)
        },
        |out| b::tally_counted(out),
    )
}

fn max_per_author(side: &mut AsyncPg) -> QueryResult<Timed> {
    measure_async(
        side,
        async |conn| {
            let authors: Vec<Author> = b::all_authors_query().load(conn).await?;
            Ok(authors
                .prefetch_aggregate_async(AuthorBooks, diesel_relations::Max(books::year), conn)
                .await?)
        },
        |out| b::tally_max_year(out),
    )
}

fn stats_per_author(side: &mut AsyncPg) -> QueryResult<Timed> {
    measure_async(
        side,
        async |conn| {
            let authors: Vec<Author> = b::all_authors_query().load(conn).await?;
            Ok(authors
                .prefetch_aggregate_async(AuthorBooks, b::STATS, conn)
                .await?)
        },
        |out| {
            b::tally_stats(
                out.iter()
                    .map(|a| (a.id, *a.aggregate(AuthorBooks, b::STATS))),
            )
        },
    )
}

type AsyncImpl = fn(&mut AsyncPg) -> QueryResult<Timed>;

/// `relations_async` of each scenario, by name.
const RELATIONS_ASYNC: &[(&str, AsyncImpl)] = &[
    ("reverse_fk_all", |s| has_many(s, b::all_authors_query())),
    ("filtered_ordered", filtered),
    ("nested_2_levels", nested),
    ("many_to_many", many_to_many),
    ("many_to_many_reverse", many_to_many_reverse),
    ("forward_join", forward_join),
    ("forward_prefetch", forward_prefetch),
    ("top3_per_author", top3),
    ("count_per_author", count_per_author),
    ("max_per_author", max_per_author),
    ("stats_per_author", stats_per_author),
    ("prefetch_1000", |s| has_many(s, b::first_authors_query())),
    ("n_plus_one_1000", |s| has_many(s, b::first_authors_query())),
];

/// Add `relations_async`, right after `relations`, to every scenario that has
/// a `relations` implementation.
pub fn add(scenarios: &mut [Scenario<b::Conn, AsyncPg>]) -> Result<(), String> {
    for scenario in scenarios {
        let Some(at) = scenario.impls.iter().position(|i| i.name == "relations") else {
            continue;
        };
        let Some(&(_, run)) = RELATIONS_ASYNC.iter().find(|(n, _)| *n == scenario.name) else {
            return Err(format!(
                "scenario `{}` has no relations_async implementation",
                scenario.name
            ));
        };
        scenario.impls.insert(
            at + 1,
            Impl {
                name: "relations_async",
                run: Run::Side(run),
            },
        );
    }
    Ok(())
}
