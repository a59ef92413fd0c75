//! Runs the implementations of a scenario interleaved, checks that they load
//! the same rows, and prints medians, statement counts, peak memory and ratios.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::{Connection, QueryResult};
use diesel_relations::QueryCount;

use crate::alloc;

/// What one run loaded: models decoded (parents + children) and an
/// order-independent checksum of the (parent id, child id) pairs it formed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loaded {
    pub rows: u64,
    pub checksum: u64,
}

impl Loaded {
    pub fn new() -> Self {
        Loaded {
            rows: 0,
            checksum: 0,
        }
    }

    /// Count `n` decoded models.
    pub fn rows(&mut self, n: usize) {
        self.rows += n as u64;
    }

    /// Record that child `child` was matched with parent `parent`.
    pub fn pair(&mut self, parent: i32, child: i32) {
        let mut z = ((parent as u32 as u64) << 32 | child as u32 as u64) ^ 0x9E37_79B9_7F4A_7C15;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        self.checksum = self.checksum.wrapping_add(z ^ (z >> 31));
    }
}

/// One timed run.
pub struct Timed {
    pub seconds: f64,
    pub peak_bytes: isize,
    pub loaded: Loaded,
}

thread_local! {
    static MEMORY_RUN: Cell<bool> = const { Cell::new(false) };
}

/// The implementations `relations` is compared with in the `ratios` line.
const COMPARED: [&str; 6] = [
    "diesel",
    "floor",
    "floor_owned",
    "nplus1",
    "children_len",
    "children_max",
];

/// Other forms of the `relations` line, each compared with these
/// implementations under its label (`shared/floor=`, `paired_keyed/floor=`).
const VARIANTS: [(&str, &str, &[&str]); 2] = [
    (
        "relations_shared",
        "shared",
        &["floor", "floor_shared", "diesel"],
    ),
    ("relations_keyed", "keyed", &["floor", "diesel"]),
];

/// Time `load` (and, on a memory run, track its peak heap growth); `tally`
/// and dropping the result happen after the clock stops.
pub fn measure<C, T>(
    conn: &mut C,
    load: impl FnOnce(&mut C) -> QueryResult<T>,
    tally: impl FnOnce(&T) -> Loaded,
) -> QueryResult<Timed> {
    let memory = MEMORY_RUN.with(Cell::get);
    if memory {
        alloc::start();
    }
    let (out, seconds) = timed(conn, load);
    let peak_bytes = if memory { alloc::stop() } else { 0 };
    let out = out?;
    let loaded = tally(&out);
    drop(out);
    Ok(Timed {
        seconds,
        peak_bytes,
        loaded,
    })
}

/// Exactly what is timed, in a function of its own so that a profiler can be
/// limited to it: `valgrind --tool=callgrind --toggle-collect='relations_bench::runner::timed*'`.
#[inline(never)]
fn timed<C, T>(conn: &mut C, load: impl FnOnce(&mut C) -> QueryResult<T>) -> (QueryResult<T>, f64) {
    let start = Instant::now();
    let out = load(conn);
    (out, start.elapsed().as_secs_f64())
}

/// One implementation of a scenario.
pub struct Impl<C, S = ()> {
    /// `relations`, `relations_async`, `diesel`, `nplus1` or `floor`.
    pub name: &'static str,
    pub run: Run<C, S>,
}

/// Which connection an implementation runs on.
pub enum Run<C, S = ()> {
    /// The backend's blocking connection `C`.
    Blocking(fn(&mut C) -> QueryResult<Timed>),
    /// The side connection `S` (the async one: `relations_async`).
    #[cfg_attr(
        not(all(feature = "async", feature = "postgres")),
        allow(dead_code, reason = "only relations_async runs on a side connection")
    )]
    Side(fn(&mut S) -> QueryResult<Timed>),
}

impl<C, S> Impl<C, S> {
    fn run(&self, conn: &mut C, side: &mut S) -> QueryResult<Timed> {
        match self.run {
            Run::Blocking(run) => run(conn),
            Run::Side(run) => run(side),
        }
    }
}

/// A scenario and its implementations. `relations` comes first.
pub struct Scenario<C, S = ()> {
    pub name: &'static str,
    pub impls: Vec<Impl<C, S>>,
}

/// A second connection some implementations run on, next to the backend's
/// blocking one (`()`: none). Its statements are counted like the blocking
/// connection's: the counts of an implementation are those of both.
pub trait Side {
    /// Count its statements with `QueryCount` (`None`: no connection).
    fn install_count(&mut self) -> Option<QueryCount>;
    /// Count its statements with `counter`.
    fn set_counter(&mut self, counter: StatementCounter);
}

impl Side for () {
    fn install_count(&mut self) -> Option<QueryCount> {
        None
    }

    fn set_counter(&mut self, _: StatementCounter) {}
}

/// Counts statements and nothing else. `QueryCount` also keeps the text of
/// each statement (with its binds formatted), which would be timed too; it
/// counts the warm-up run, and this counter must agree with it on every run.
#[derive(Clone, Default)]
pub struct StatementCounter(Arc<AtomicUsize>);

impl Instrumentation for StatementCounter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl StatementCounter {
    fn take(&self) -> usize {
        self.0.swap(0, Ordering::Relaxed)
    }
}

struct Summary {
    name: &'static str,
    median: f64,
    min: f64,
    max: f64,
    queries: usize,
    loaded: Loaded,
    peak_bytes: isize,
}

fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    }
}

/// Run `scenario`: a warm-up run of each implementation (counted with
/// `QueryCount`), then `reps` rounds over all implementations (the starting
/// implementation rotates each round), then one memory run each. Prints one
/// line per implementation and the ratios. `Err` describes a failure: a
/// database error, implementations that disagree on what they loaded, or
/// `relations_async` running another number of statements than `relations`.
pub fn run_scenario<C: Connection, S: Side>(
    conn: &mut C,
    side: &mut S,
    scenario: &Scenario<C, S>,
    reps: usize,
) -> Result<(), String> {
    let fail = |imp: &Impl<C, S>, e: diesel::result::Error| {
        format!("{} {}: database error: {e}", imp.name, scenario.name)
    };

    // Warm-up: caches, prepared statements, and the reference statement counts.
    // A baseline that fails here (the hand-written Diesel past a bind limit,
    // say) is reported on its own line and left out; the library's lines are
    // kept. The library failing is a failure of the run.
    let count = QueryCount::install(conn);
    let side_count = side.install_count();
    let mut reference = Vec::with_capacity(scenario.impls.len());
    let mut impls: Vec<&Impl<C, S>> = Vec::with_capacity(scenario.impls.len());
    for imp in &scenario.impls {
        count.reset();
        side_count.iter().for_each(QueryCount::reset);
        match imp.run(conn, side) {
            Ok(t) => {
                let queries = count.get() + side_count.as_ref().map_or(0, QueryCount::get);
                reference.push((queries, t.loaded));
                impls.push(imp);
            }
            Err(e) if imp.name.starts_with("relations") => return Err(fail(imp, e)),
            Err(e) => {
                println!(
                    "{} {} error={:?} (left out of this scenario)",
                    imp.name,
                    scenario.name,
                    e.to_string()
                );
                eprintln!("warning: {}", fail(imp, e));
            }
        }
    }
    let n = impls.len();

    let counter = StatementCounter::default();
    conn.set_instrumentation(counter.clone());
    side.set_counter(counter.clone());
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(reps); n];
    let mut problems = Vec::new();
    let check = |i: usize, queries: usize, loaded: Loaded, problems: &mut Vec<String>| {
        let (ref_queries, ref_loaded) = reference[i];
        let name = impls[i].name;
        if queries != ref_queries || loaded != ref_loaded {
            problems.push(format!(
                "{name} {}: run gave queries={queries} rows={} checksum={:#x}, warm-up gave queries={ref_queries} rows={} checksum={:#x}",
                scenario.name, loaded.rows, loaded.checksum, ref_loaded.rows, ref_loaded.checksum
            ));
        }
    };
    for round in 0..reps {
        for k in 0..n {
            let i = (round + k) % n;
            let imp = impls[i];
            counter.take();
            let t = imp.run(conn, side).map_err(|e| fail(imp, e))?;
            check(i, counter.take(), t.loaded, &mut problems);
            samples[i].push(t.seconds);
        }
    }

    // Peak memory: a separate run of each, with the counting allocator on.
    let mut peaks = Vec::with_capacity(n);
    for (i, imp) in impls.iter().enumerate() {
        counter.take();
        MEMORY_RUN.with(|m| m.set(true));
        let t = imp.run(conn, side);
        MEMORY_RUN.with(|m| m.set(false));
        let t = t.map_err(|e| fail(imp, e))?;
        check(i, counter.take(), t.loaded, &mut problems);
        peaks.push(t.peak_bytes);
    }

    // Per-round ratios (the two ran within one round, close in time), so that
    // load that comes and goes on the machine cancels out.
    let index = |name: &str| impls.iter().position(|i| i.name == name);
    let paired = |a: usize, b: usize| {
        let mut r: Vec<f64> = samples[a]
            .iter()
            .zip(&samples[b])
            .map(|(x, y)| x / y)
            .collect();
        median(&mut r)
    };
    let mut paired_ratios = String::new();
    if let Some(rel) = index("relations") {
        for other in COMPARED {
            if let Some(o) = index(other) {
                paired_ratios.push_str(&format!(" paired_relations/{other}={:.3}", paired(rel, o)));
            }
        }
        if let Some(a) = index("relations_async") {
            paired_ratios.push_str(&format!(" paired_async/sync={:.3}", paired(a, rel)));
        }
        for (variant, label, others) in VARIANTS {
            if let Some(v) = index(variant) {
                for other in others {
                    if let Some(o) = index(other) {
                        paired_ratios
                            .push_str(&format!(" paired_{label}/{other}={:.3}", paired(v, o)));
                    }
                }
            }
        }
        if let Some(shape) = index("relations_shape") {
            paired_ratios.push_str(&format!(" paired_shape/chain={:.3}", paired(shape, rel)));
            if let Some(d) = index("diesel") {
                paired_ratios.push_str(&format!(" paired_shape/diesel={:.3}", paired(shape, d)));
            }
        }
    }

    let summaries: Vec<Summary> = impls
        .iter()
        .enumerate()
        .map(|(i, imp)| {
            let s = &mut samples[i];
            let med = median(s);
            Summary {
                name: imp.name,
                median: med,
                min: s.first().copied().unwrap_or(f64::NAN),
                max: s.last().copied().unwrap_or(f64::NAN),
                queries: reference[i].0,
                loaded: reference[i].1,
                peak_bytes: peaks[i],
            }
        })
        .collect();
    for s in &summaries {
        println!(
            "{} {} median_s={:.6} queries={} rows={} peak_bytes={} min_s={:.6} max_s={:.6}",
            s.name, scenario.name, s.median, s.queries, s.loaded.rows, s.peak_bytes, s.min, s.max
        );
    }
    let of = |name: &str| summaries.iter().find(|s| s.name == name);
    let mut ratios = String::new();
    if let Some(rel) = of("relations") {
        for other in COMPARED {
            if let Some(o) = of(other) {
                ratios.push_str(&format!(" relations/{other}={:.3}", rel.median / o.median));
            }
        }
        for other in ["diesel"] {
            if let Some(o) = of(other) {
                ratios.push_str(&format!(
                    " peak_bytes_relations/{other}={:.3}",
                    rel.peak_bytes as f64 / o.peak_bytes as f64
                ));
            }
        }
        if let Some(shape) = of("relations_shape") {
            ratios.push_str(&format!(" shape/chain={:.3}", shape.median / rel.median));
            if let Some(d) = of("diesel") {
                ratios.push_str(&format!(" shape/diesel={:.3}", shape.median / d.median));
            }
            if shape.queries != rel.queries {
                problems.push(format!(
                    "{}: relations_shape ran {} statement(s), relations {}",
                    scenario.name, shape.queries, rel.queries
                ));
            }
        }
        for (variant, label, others) in VARIANTS {
            if let Some(v) = of(variant) {
                for other in others {
                    if let Some(o) = of(other) {
                        ratios.push_str(&format!(" {label}/{other}={:.3}", v.median / o.median));
                    }
                }
                ratios.push_str(&format!(
                    " peak_bytes_{label}/diesel={:.3}",
                    v.peak_bytes as f64 / of("diesel").map_or(f64::NAN, |d| d.peak_bytes as f64)
                ));
            }
        }
        if let Some(a) = of("relations_async") {
            ratios.push_str(&format!(
                " async/sync={:.3} peak_bytes_async/sync={:.3}",
                a.median / rel.median,
                a.peak_bytes as f64 / rel.peak_bytes as f64
            ));
            if a.queries != rel.queries {
                problems.push(format!(
                    "{}: relations_async ran {} statement(s), relations {}",
                    scenario.name, a.queries, rel.queries
                ));
            }
        }
    }
    println!("ratios {}{ratios}{paired_ratios}", scenario.name);

    let first = &summaries[0];
    for s in &summaries[1..] {
        if s.loaded.rows != first.loaded.rows {
            problems.push(format!(
                "row count mismatch in {}: {} loaded {} rows, {} loaded {}",
                scenario.name, first.name, first.loaded.rows, s.name, s.loaded.rows
            ));
        } else if s.loaded.checksum != first.loaded.checksum {
            problems.push(format!(
                "{}: {} and {} loaded as many rows but paired them differently (checksum {:#x} vs {:#x})",
                scenario.name, first.name, s.name, first.loaded.checksum, s.loaded.checksum
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}
