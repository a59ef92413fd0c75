//! `relations-bench`: relations side by side with hand-written Diesel, the N+1
//! loop and the floor, on the reference dataset of issue 5. See BENCHMARKS.md.
//!
//! ```text
//! cargo run --release -p relations-bench -- [--db PATH] [--authors N] ...
//! cargo run --release -p relations-bench --features postgres,mysql -- \
//!     --postgres postgres://postgres@127.0.0.1:5432/test --mysql mysql://root@127.0.0.1:3306/test
//! # PostgreSQL with `relations_async` (the `_async` loaders on diesel-async):
//! cargo run --release -p relations-bench --features postgres,async -- \
//!     --postgres postgres://postgres@127.0.0.1:5432/test
//! ```

mod alloc;
#[cfg(all(feature = "async", feature = "postgres"))]
mod asynchronous;
mod data;
mod runner;
mod scenarios;
mod schema;

use std::process::ExitCode;
use std::time::Instant;

use diesel::connection::SimpleConnection;
use diesel::Connection;

use data::Sizes;
use runner::{Scenario, Side};

#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;

#[cfg(any(feature = "postgres", feature = "mysql"))]
/// The schema (PostgreSQL) or database (MySQL/MariaDB) the benchmark
/// recreates on a server.
const SERVER_NAMESPACE: &str = "relations_bench";

const USAGE: &str = "\
relations-bench: relations vs hand-written Diesel vs the N+1 loop vs the floor

USAGE:
    cargo run --release -p relations-bench [--features postgres,mysql,async] -- [OPTIONS]

BACKENDS (any combination; SQLite on a temporary file when none is given):
    --sqlite               SQLite on a temporary file, generated for this run
    --db PATH              SQLite file: used as is if it has the five tables,
                           generated (and kept) if it does not exist or is empty
    --postgres URL         PostgreSQL (feature `postgres`); recreates schema relations_bench.
                           With feature `async` too, every scenario also runs
                           `relations_async`: the same loaders, `_async`, on a
                           diesel-async AsyncPgConnection to that schema, each
                           scenario timed as one block_on of a current-thread
                           tokio runtime
    --mysql URL            MySQL/MariaDB (feature `mysql`); recreates database relations_bench
    --analyze              SQLite: run `ANALYZE` on the file before the scenarios, so the
                           planner has statistics as a production database would.
                           PostgreSQL (`VACUUM ANALYZE`) and MariaDB (`ANALYZE TABLE`)
                           are always analyzed after generating. The header says which.

DATASET (generated data only):
    --authors N            authors                 [10000]
    --books-per-author N   books per author        [10]
    --reviews-per-book N   reviews per book        [3]
    --tags N               tags                    [50]
    --tags-per-book N      distinct tags per book  [2]
    --seed N               PRNG seed               [5]

RUN:
    --reps N               timed rounds per scenario (median reported) [11]
    --scenarios a,b,...    only these scenarios    [all]
    --impls a,b,...        only these implementations (relations, relations_shape, relations_shared,
                           relations_keyed, relations_async, diesel, nplus1, floor, floor_owned, floor_shared,
                           children_len, children_max), e.g. to profile one of them [all]
    --help

OUTPUT: per scenario, one line per implementation
    <impl> <scenario> median_s=<s> queries=<statements> rows=<models loaded> peak_bytes=<b> min_s=<s> max_s=<s>
then `ratios <scenario> relations/diesel=<x> relations/floor=<x> ...`: ratios of the
medians, then of peak bytes, then `paired_*`: the median of the per-round ratios.
With relations_shape (a declared shape in place of the chain of loaders, in
reverse_fk_all, nested_2_levels and forward_join): `shape/chain=<x>` and `shape/diesel=<x>`,
and exit status 1 if the shape runs another number of statements than the chain.
With relations_shared (forward_prefetch with each author one `Arc` shared by
its books, `prefetch_shared(BookAuthor, conn)`): `shared/floor=<x>`,
`shared/diesel=<x>`, `peak_bytes_shared/diesel=<x>` and their paired ratios;
with floor_shared too (the same statements, each book paired with its author's
`Arc` by hand), `shared/floor_shared=<x>`.
With relations_keyed (forward_prefetch without pairs: the books as loaded and
`keyed::belongs_to(BookAuthor, ids, conn)`, each author by key, what the plain
floor holds): `keyed/floor=<x>`, `keyed/diesel=<x>`,
`peak_bytes_keyed/diesel=<x>` and their paired ratios.
With relations_async: `async/sync=<x>` (relations_async / relations, medians),
`peak_bytes_async/sync=<x>` and `paired_async/sync=<x>`.
Exit status 1 if implementations of a scenario disagree on what they loaded, or
if relations_async runs another number of statements than relations.";

/// The implementations `--impls` accepts.
const IMPLS: &[&str] = &[
    "relations",
    "relations_shape",
    "relations_shared",
    "relations_keyed",
    "relations_async",
    "diesel",
    "nplus1",
    "floor",
    "floor_owned",
    "floor_shared",
    "children_len",
    "children_max",
];

struct Args {
    sizes: Sizes,
    seed: u64,
    reps: usize,
    sqlite: bool,
    db: Option<std::path::PathBuf>,
    postgres: Option<String>,
    mysql: Option<String>,
    scenarios: Vec<String>,
    impls: Vec<String>,
    analyze: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        sizes: Sizes::default(),
        seed: 5,
        reps: 11,
        sqlite: false,
        db: None,
        postgres: None,
        mysql: None,
        scenarios: Vec::new(),
        impls: Vec::new(),
        analyze: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        fn number<T: std::str::FromStr>(flag: &str, v: String) -> Result<T, String> {
            v.replace('_', "")
                .parse()
                .map_err(|_| format!("{flag}: not a number: {v}"))
        }
        match flag.as_str() {
            "--help" | "-h" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "--sqlite" => args.sqlite = true,
            "--analyze" => args.analyze = true,
            "--db" => args.db = Some(value()?.into()),
            "--postgres" => args.postgres = Some(value()?),
            "--mysql" => args.mysql = Some(value()?),
            "--authors" => args.sizes.authors = number(&flag, value()?)?,
            "--books-per-author" => args.sizes.books_per_author = number(&flag, value()?)?,
            "--reviews-per-book" => args.sizes.reviews_per_book = number(&flag, value()?)?,
            "--tags" => args.sizes.tags = number(&flag, value()?)?,
            "--tags-per-book" => args.sizes.tags_per_book = number(&flag, value()?)?,
            "--seed" => args.seed = number(&flag, value()?)?,
            "--reps" => args.reps = number::<usize>(&flag, value()?)?.max(1),
            "--scenarios" => {
                args.scenarios = value()?
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
            "--impls" => {
                args.impls = value()?
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
            _ => return Err(format!("unknown argument `{flag}` (see --help)")),
        }
    }
    args.sizes.check()?;
    for s in &args.scenarios {
        if let Some((_, needs)) = scenarios::PLANNED.iter().find(|(name, _)| name == s) {
            return Err(format!(
                "scenario `{s}` is not implemented yet: it needs {needs}, which the library does not have yet"
            ));
        }
        if !scenarios::SCENARIOS.contains(&s.as_str()) {
            return Err(format!(
                "unknown scenario `{s}`; known: {}",
                scenarios::SCENARIOS.join(", ")
            ));
        }
    }
    for i in &args.impls {
        if i == "relations_async" && !cfg!(all(feature = "async", feature = "postgres")) {
            return Err("relations_async needs the features `async` and `postgres`".into());
        }
        if !IMPLS.contains(&i.as_str()) {
            return Err(format!(
                "unknown implementation `{i}`; known: {}",
                IMPLS.join(", ")
            ));
        }
    }
    if args.db.is_none() && args.postgres.is_none() && args.mysql.is_none() {
        args.sqlite = true;
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if !scenarios::PLANNED.is_empty() {
        println!(
            "# not run (the library cannot express them yet): {}",
            scenarios::PLANNED
                .iter()
                .map(|(name, needs)| format!("{name} (needs {needs})"))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    let mut ok = true;
    let mut run = |result: Result<bool, String>| match result {
        Ok(all_agree) => ok &= all_agree,
        Err(e) => {
            eprintln!("error: {e}");
            ok = false;
        }
    };
    if args.sqlite {
        run(sqlite(&args, None));
    }
    if let Some(path) = &args.db {
        run(sqlite(&args, Some(path)));
    }
    if let Some(url) = &args.postgres {
        run(postgres(&args, url));
    }
    if let Some(url) = &args.mysql {
        run(mysql(&args, url));
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Run the selected scenarios on `conn` (and `side`); `Ok(false)` if any failed.
fn run_all<C: Connection, S: Side>(
    conn: &mut C,
    side: &mut S,
    all: Vec<Scenario<C, S>>,
    args: &Args,
) -> bool {
    let mut ok = true;
    for mut scenario in all {
        if !args.scenarios.is_empty() && !args.scenarios.iter().any(|s| s == scenario.name) {
            continue;
        }
        if !args.impls.is_empty() {
            scenario
                .impls
                .retain(|i| args.impls.iter().any(|name| name == i.name));
            if scenario.impls.is_empty() {
                continue;
            }
        }
        if let Err(e) = runner::run_scenario(conn, side, &scenario, args.reps) {
            eprintln!("error: {e}");
            ok = false;
        }
    }
    ok
}

fn header(backend: &str, version: &str, place: &str, counts: [i64; 5], args: &Args) {
    println!("# backend={backend} version={version:?} data={place}");
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "# cpus={cpus} loadavg={:?} (at the start of this backend's scenarios)",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "# authors={} books={} reviews={} tags={} book_tags={} seed={} reps={}",
        counts[0], counts[1], counts[2], counts[3], counts[4], args.seed, args.reps
    );
}

fn generated(what: &str, start: Instant) {
    println!(
        "# generated {what} in {:.1} s",
        start.elapsed().as_secs_f64()
    );
}

#[cfg(feature = "sqlite")]
fn sqlite(args: &Args, path: Option<&std::path::Path>) -> Result<bool, String> {
    use diesel::{QueryDsl, RunQueryDsl};
    use scenarios::sqlite as b;

    let temp = path.is_none();
    let path = match path {
        Some(p) => p.to_path_buf(),
        None => {
            let p =
                std::env::temp_dir().join(format!("relations-bench-{}.sqlite", std::process::id()));
            let _ = std::fs::remove_file(&p);
            p
        }
    };
    let url = path
        .to_str()
        .ok_or_else(|| format!("not a UTF-8 path: {}", path.display()))?;
    let mut conn = diesel::SqliteConnection::establish(url).map_err(|e| format!("{url}: {e}"))?;
    diesel::table! { sqlite_master (name) { name -> Text, #[sql_name = "type"] kind -> Text, } }
    let present: i64 = sqlite_master::table
        .filter(diesel::ExpressionMethods::eq(sqlite_master::kind, "table"))
        .filter(diesel::ExpressionMethods::eq_any(
            sqlite_master::name,
            schema::TABLES,
        ))
        .count()
        .get_result(&mut conn)
        .map_err(|e| format!("{url}: {e}"))?;
    let place = if present == schema::TABLES.len() as i64 {
        format!("{url} (existing file, used as is)")
    } else if present == 0 {
        let start = Instant::now();
        conn.batch_execute(schema::DDL)
            .and_then(|()| b::fill(&mut conn, &args.sizes, args.seed))
            .map_err(|e| format!("generating {url}: {e}"))?;
        generated(url, start);
        if temp {
            format!("{url} (temporary, generated)")
        } else {
            format!("{url} (generated, kept)")
        }
    } else {
        return Err(format!(
            "{url} has {present} of the tables {:?}: neither the reference schema nor empty",
            schema::TABLES
        ));
    };
    if args.analyze {
        conn.batch_execute("ANALYZE")
            .map_err(|e| format!("ANALYZE on {url}: {e}"))?;
    }
    let version = b::version(&mut conn).map_err(|e| e.to_string())?;
    let counts = b::counts(&mut conn).map_err(|e| e.to_string())?;
    let statistics: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "(SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1')",
    ))
    .get_result(&mut conn)
    .map_err(|e| e.to_string())?;
    let place = if statistics > 0 {
        format!("{place}, analyzed (sqlite_stat1)")
    } else {
        format!("{place}, no statistics (run with --analyze)")
    };
    header("sqlite", &version, &place, counts, args);
    let ok = run_all(&mut conn, &mut (), b::scenarios(), args);
    drop(conn);
    if temp {
        let _ = std::fs::remove_file(&path);
    }
    Ok(ok)
}

#[cfg(not(feature = "sqlite"))]
fn sqlite(_: &Args, _: Option<&std::path::Path>) -> Result<bool, String> {
    Err("SQLite needs the `sqlite` feature (on by default)".into())
}

#[cfg(feature = "postgres")]
fn postgres(args: &Args, url: &str) -> Result<bool, String> {
    use scenarios::postgres as b;
    let mut conn = diesel::PgConnection::establish(url).map_err(|e| format!("{url}: {e}"))?;
    let start = Instant::now();
    let n = SERVER_NAMESPACE;
    conn.batch_execute(&format!(
        "DROP SCHEMA IF EXISTS {n} CASCADE; CREATE SCHEMA {n}; SET search_path TO {n};"
    ))
    .and_then(|()| conn.batch_execute(schema::DDL))
    .and_then(|()| b::fill(&mut conn, &args.sizes, args.seed))
    .and_then(|()| conn.batch_execute(&format!("VACUUM ANALYZE {}", schema::TABLES.join(", "))))
    .map_err(|e| format!("generating schema {n} on {url}: {e}"))?;
    generated(&format!("schema {n}"), start);
    let version = b::version(&mut conn).map_err(|e| e.to_string())?;
    let counts = b::counts(&mut conn).map_err(|e| e.to_string())?;
    header(
        "postgres",
        &version,
        &format!("{url} schema {n}, analyzed (VACUUM ANALYZE)"),
        counts,
        args,
    );
    #[cfg(feature = "async")]
    {
        let mut side = asynchronous::AsyncPg::connect(url, n)?;
        let mut all = b::scenarios();
        asynchronous::add(&mut all)?;
        Ok(run_all(&mut conn, &mut side, all, args))
    }
    #[cfg(not(feature = "async"))]
    Ok(run_all(&mut conn, &mut (), b::scenarios(), args))
}

#[cfg(not(feature = "postgres"))]
fn postgres(_: &Args, _: &str) -> Result<bool, String> {
    Err("--postgres needs the `postgres` feature: cargo run --release -p relations-bench --features postgres -- ...".into())
}

#[cfg(feature = "mysql")]
fn mysql(args: &Args, url: &str) -> Result<bool, String> {
    use scenarios::mysql as b;
    let mut conn = diesel::MysqlConnection::establish(url).map_err(|e| format!("{url}: {e}"))?;
    let start = Instant::now();
    let n = SERVER_NAMESPACE;
    conn.batch_execute(&format!(
        "DROP DATABASE IF EXISTS {n}; CREATE DATABASE {n}; USE {n};"
    ))
    .and_then(|()| conn.batch_execute(schema::DDL))
    .and_then(|()| b::fill(&mut conn, &args.sizes, args.seed))
    .and_then(|()| conn.batch_execute(&format!("ANALYZE TABLE {}", schema::TABLES.join(", "))))
    .map_err(|e| format!("generating database {n} on {url}: {e}"))?;
    generated(&format!("database {n}"), start);
    let version = b::version(&mut conn).map_err(|e| e.to_string())?;
    let counts = b::counts(&mut conn).map_err(|e| e.to_string())?;
    header(
        "mysql",
        &version,
        &format!("{url} database {n}, analyzed (ANALYZE TABLE)"),
        counts,
        args,
    );
    Ok(run_all(&mut conn, &mut (), b::scenarios(), args))
}

#[cfg(not(feature = "mysql"))]
fn mysql(_: &Args, _: &str) -> Result<bool, String> {
    Err("--mysql needs the `mysql` feature: cargo run --release -p relations-bench --features mysql -- ...".into())
}
