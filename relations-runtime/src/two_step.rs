//! The two-step many-to-many load: the links of the parents' keys (`SELECT
//! through.parent_fk, through.pk, through.target_fk FROM through WHERE
//! through.parent_fk IN (..)`), then each distinct target once, by key
//! (`SELECT target.* FROM target WHERE target.pk IN (..)`), put together in
//! memory in link order. It gives the rows the join gives, in the same order.
//! Where a link's target key finds no target by equality (a dangling link,
//! or a key equal to its target's only under the database's collation), the
//! load runs the join instead, which decides both as the database does: one
//! more statement, in a case that is rare, instead of a lookup per key.
//!
//! It decodes each target once instead of once per link, and its two
//! statements are plain key lookups whatever the planner's statistics say;
//! BENCHMARKS.md has the measurements that made it the default for an
//! unrefined load. A refined load (`prefetch_tags_with`) may filter or order
//! on either table, so it stays one join.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};

use diesel::backend::Backend;
use diesel::dsl::{IntoBoxed, Select};
use diesel::query_builder::QueryFragment;
use diesel::query_dsl::methods::{BoxedDsl, FilterDsl, SelectDsl};

use crate::aggregate::KeyColumn;
use crate::batch::{chunks, KeyBatching};
use crate::model::PrimaryKey;
use crate::query::{JoinManyToMany, KeyOf, LinkRow, PrimaryKeyColumns, ThroughTable};
use crate::relation::ManyToMany;

/// How an unrefined many-to-many load reads its targets.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManyToManyPlan {
    /// One statement: the join table joined with the target's table.
    Join,
    /// Two statements: the links, then the distinct targets by key.
    TwoStep,
}

thread_local! {
    static PLAN: Cell<Option<ManyToManyPlan>> = const { Cell::new(None) };
}

/// Force `plan` for unrefined many-to-many loads on this thread until the
/// guard drops: for tests comparing the plans, and for measuring them.
#[doc(hidden)]
pub fn override_many_to_many_plan(plan: ManyToManyPlan) -> PlanGuard {
    PlanGuard {
        previous: PLAN.with(|p| p.replace(Some(plan))),
    }
}

#[doc(hidden)]
pub struct PlanGuard {
    previous: Option<ManyToManyPlan>,
}

impl Drop for PlanGuard {
    fn drop(&mut self) {
        PLAN.with(|p| p.set(self.previous));
    }
}

/// Whether a many-to-many load on backend `DB` takes the two-step plan.
pub(crate) fn two_step<DB: KeyBatching>(refined: bool) -> bool {
    if refined {
        return false;
    }
    PLAN.with(Cell::get).unwrap_or(DB::MANY_TO_MANY_PLAN) == ManyToManyPlan::TwoStep
}

type LinkSelection<R> = (
    <R as JoinManyToMany>::Source,
    PrimaryKeyColumns<<R as ManyToMany>::Through>,
    <R as JoinManyToMany>::TargetColumn,
);

/// The target key of a link as its column holds it (`Option` where the join
/// table's column is nullable).
pub type TargetField<R> =
    <<R as JoinManyToMany>::TargetColumn as KeyColumn<KeyOf<<R as ManyToMany>::Target>>>::Field;

/// One link of the two-step plan: the parent's key, the link's key, the
/// target's key.
pub type Link<R> = (
    KeyOf<<R as ManyToMany>::Parent>,
    <R as JoinManyToMany>::LinkKey,
    TargetField<R>,
);

/// The statements of the two-step plan's first step: the links of the
/// parents' keys, one statement per chunk of keys. Blanket-implemented.
#[doc(hidden)]
pub trait BuildLinks<DB: Backend>: JoinManyToMany {
    /// The boxed statement.
    type Query;
    /// One statement per chunk of `keys` (one in all on PostgreSQL).
    fn link_statements(keys: Vec<KeyOf<Self::Parent>>) -> Vec<Self::Query>;
}

impl<R, DB> BuildLinks<DB> for R
where
    R: JoinManyToMany,
    R::TargetColumn: Default,
    DB: KeyBatching,
    LinkSelection<R>: diesel::Expression,
    PrimaryKeyColumns<R::Through>: Default,
    ThroughTable<R>: Default + SelectDsl<LinkSelection<R>>,
    Select<ThroughTable<R>, LinkSelection<R>>: BoxedDsl<'static, DB>,
    IntoBoxed<'static, Select<ThroughTable<R>, LinkSelection<R>>, DB>: FilterDsl<
            R::KeyFilter,
            Output = IntoBoxed<'static, Select<ThroughTable<R>, LinkSelection<R>>, DB>,
        > + QueryFragment<DB>,
{
    type Query = IntoBoxed<'static, Select<ThroughTable<R>, LinkSelection<R>>, DB>;

    fn link_statements(keys: Vec<KeyOf<R::Parent>>) -> Vec<Self::Query> {
        chunks::<DB, _>(keys)
            .into_iter()
            .map(|chunk| {
                ThroughTable::<R>::default()
                    .select((
                        R::Source::default(),
                        PrimaryKeyColumns::<R::Through>::default(),
                        R::TargetColumn::default(),
                    ))
                    .internal_into_boxed()
                    .filter(R::key_filter(chunk))
            })
            .collect()
    }
}

/// The loaded targets of many-to-many relation `R`, by key.
pub(crate) type TargetsByKey<R> =
    HashMap<KeyOf<<R as ManyToMany>::Target>, <R as ManyToMany>::Target>;

/// The distinct target keys of `links`, in first-seen order (NULLs left out).
pub(crate) fn target_keys<R>(links: &[Link<R>]) -> Vec<KeyOf<R::Target>>
where
    R: JoinManyToMany<Target: PrimaryKey>,
    R::TargetColumn: KeyColumn<KeyOf<R::Target>>,
{
    let mut seen = HashSet::with_capacity(links.len().min(1 << 16));
    links
        .iter()
        .filter_map(|link| <R::TargetColumn as KeyColumn<KeyOf<R::Target>>>::key(&link.2))
        .filter(|key| seen.insert(*key))
        .cloned()
        .collect()
}

/// The loaded targets by key, and the link keys that found none exactly:
/// they may match a target only under the collation (or be dangling).
pub(crate) fn index_targets<R>(
    links: &[Link<R>],
    targets: Vec<R::Target>,
) -> (TargetsByKey<R>, Vec<KeyOf<R::Target>>)
where
    R: JoinManyToMany<Target: PrimaryKey>,
    R::TargetColumn: KeyColumn<KeyOf<R::Target>>,
{
    let mut by_key: TargetsByKey<R> = HashMap::with_capacity(targets.len());
    for target in targets {
        if let Some(key) = target.primary_key() {
            by_key.insert(key.clone(), target);
        }
    }
    let mut strays: Vec<KeyOf<R::Target>> = Vec::new();
    let mut seen = HashSet::new();
    for link in links {
        if let Some(key) = <R::TargetColumn as KeyColumn<KeyOf<R::Target>>>::key(&link.2) {
            if !by_key.contains_key(key) && seen.insert(key) {
                strays.push(key.clone());
            }
        }
    }
    (by_key, strays)
}

/// The links with their targets, in link order: what the join returns.
pub(crate) fn assemble<R>(mut links: Vec<Link<R>>, by_key: TargetsByKey<R>) -> Vec<LinkRow<R>>
where
    R: JoinManyToMany<Target: PrimaryKey + Clone>,
    R::TargetColumn: KeyColumn<KeyOf<R::Target>>,
    R::LinkKey: Ord,
{
    links.sort_unstable_by(|a, b| a.1.cmp(&b.1));
    links
        .into_iter()
        .filter_map(|(parent, link, target)| {
            let key = <R::TargetColumn as KeyColumn<KeyOf<R::Target>>>::key(&target)?;
            let target = by_key.get(key)?.clone();
            Some((parent, link, target))
        })
        .collect()
}
