//! The two-step many-to-many load: the links of the parents' keys (`SELECT
//! through.parent_fk, through.pk, through.target_fk FROM through WHERE
//! through.parent_fk IN (..)`), then each distinct target once, by key
//! (`SELECT target.* FROM target WHERE target.pk IN (..)`), put together in
//! memory in link order. It gives the rows the join gives, in the same order.
//! The adaptive variant (MariaDB's) reads the targets through the parents'
//! keys instead where the links name more distinct targets than there are
//! parents: fewer binds, and no `IN` list long enough for MariaDB to turn it
//! into a derived table it scans.
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
use diesel::dsl::{exists, Filter, IntoBoxed, Select};
use diesel::internal::table_macro::Inner;
use diesel::query_builder::QueryFragment;
use diesel::query_dsl::methods::{BoxedDsl, FilterDsl, SelectDsl};

use crate::aggregate::KeyColumn;
use crate::batch::{chunks, KeyBatching};
use crate::join::JoinOnKey;
use crate::model::PrimaryKey;
use crate::query::{
    JoinManyToMany, KeyOf, LinkRow, ManyToManyOn, ModelQuery, PrimaryKeyColumns, SelectModel,
    ThroughTable,
};
use crate::relation::ManyToMany;

/// How an unrefined many-to-many load reads its targets.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManyToManyPlan {
    /// One statement: the join table joined with the target's table.
    Join,
    /// Two statements: the links, then the distinct targets by key.
    TwoStep,
    /// The join for fewer than `join_below` parents; else two statements:
    /// the links, then the distinct targets by key where there are no more
    /// of them than parents, else the targets of the parents' keys (`WHERE
    /// EXISTS (SELECT .. FROM through WHERE through.target_fk = target.pk
    /// AND through.parent_fk IN (..))`), which binds the parents' keys
    /// instead of more target keys.
    Adaptive {
        /// Below this many parents, the join.
        join_below: usize,
    },
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

fn plan<DB: KeyBatching>() -> ManyToManyPlan {
    PLAN.with(Cell::get).unwrap_or(DB::MANY_TO_MANY_PLAN)
}

/// Whether a many-to-many load of `parents` parent keys on backend `DB`
/// takes the two-step plan.
pub(crate) fn two_step<DB: KeyBatching>(refined: bool, parents: usize) -> bool {
    !refined
        && match plan::<DB>() {
            ManyToManyPlan::Join => false,
            ManyToManyPlan::TwoStep => true,
            ManyToManyPlan::Adaptive { join_below } => parents >= join_below,
        }
}

/// Whether the two-step plan's second step reads the targets through the
/// parents' keys rather than by their own keys: under the adaptive plan,
/// where there are more distinct targets than parents (fewer binds, and on
/// MariaDB no `IN` list long enough to become a scanned derived table).
pub(crate) fn targets_by_parents<DB: KeyBatching>(targets: usize, parents: usize) -> bool {
    matches!(plan::<DB>(), ManyToManyPlan::Adaptive { .. }) && targets > parents
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

/// `SELECT through.target_fk FROM through WHERE through.target_fk =
/// target.pk AND through.parent_fk IN (..)`: the subselect of
/// [`BuildLinks::linked_targets`], correlated with the target's table.
type LinkedSubselect<R> = Filter<
    Filter<Select<ThroughTable<R>, <R as JoinManyToMany>::TargetColumn>, ManyToManyOn<R>>,
    <R as ManyToMany>::KeyFilter,
>;

/// The statements of the two-step plan: the links of the parents' keys, and
/// the targets linked to the parents' keys, one statement per chunk of keys.
/// Blanket-implemented.
#[doc(hidden)]
pub trait BuildLinks<DB: Backend>: JoinManyToMany<Target: SelectModel<DB>> {
    /// The boxed statement.
    type Query;
    /// One statement per chunk of `keys` (one in all on PostgreSQL).
    fn link_statements(keys: Vec<KeyOf<Self::Parent>>) -> Vec<Self::Query>;
    /// The targets linked to the parents of `keys`, each once per statement:
    /// `SELECT <target> FROM target WHERE EXISTS (SELECT through.target_fk
    /// FROM through WHERE through.target_fk = target.pk AND
    /// through.parent_fk IN (..))`, one statement per chunk of `keys`.
    fn linked_targets(keys: Vec<KeyOf<Self::Parent>>) -> Vec<ModelQuery<Self::Target, DB>>;
}

impl<R, DB> BuildLinks<DB> for R
where
    R: JoinManyToMany<Target: SelectModel<DB>>,
    R::TargetColumn: Default + diesel::Expression,
    DB: KeyBatching,
    LinkSelection<R>: diesel::Expression,
    PrimaryKeyColumns<R::Through>: Default,
    ThroughTable<R>: Default + SelectDsl<LinkSelection<R>>,
    Select<ThroughTable<R>, LinkSelection<R>>: BoxedDsl<'static, DB>,
    IntoBoxed<'static, Select<ThroughTable<R>, LinkSelection<R>>, DB>: FilterDsl<
            R::KeyFilter,
            Output = IntoBoxed<'static, Select<ThroughTable<R>, LinkSelection<R>>, DB>,
        > + QueryFragment<DB>,
    Inner: JoinOnKey<R::TargetColumn, PrimaryKeyColumns<R::Target>>,
    PrimaryKeyColumns<R::Target>: Default,
    ThroughTable<R>: SelectDsl<R::TargetColumn>,
    Select<ThroughTable<R>, R::TargetColumn>: FilterDsl<ManyToManyOn<R>>,
    Filter<Select<ThroughTable<R>, R::TargetColumn>, ManyToManyOn<R>>: FilterDsl<R::KeyFilter>,
    ModelQuery<R::Target, DB>:
        FilterDsl<exists<LinkedSubselect<R>>, Output = ModelQuery<R::Target, DB>>,
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

    fn linked_targets(keys: Vec<KeyOf<R::Parent>>) -> Vec<ModelQuery<R::Target, DB>> {
        chunks::<DB, _>(keys)
            .into_iter()
            .map(|chunk| {
                let linked = ThroughTable::<R>::default()
                    .select(R::TargetColumn::default())
                    .filter(Inner::on(
                        R::TargetColumn::default(),
                        PrimaryKeyColumns::<R::Target>::default(),
                    ))
                    .filter(R::key_filter(chunk));
                R::Target::select_model().filter(exists(linked))
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

/// The links with their targets, in link order: what the join returns.
/// `None` where a link's target key finds no loaded target by equality: it
/// may match a target only under the collation, or be dangling, and the
/// join decides. A link whose target key is NULL has no target, as in the
/// join.
pub(crate) fn assemble<R>(
    mut links: Vec<Link<R>>,
    targets: Vec<R::Target>,
) -> Option<Vec<LinkRow<R>>>
where
    R: JoinManyToMany<Target: PrimaryKey + Clone>,
    R::TargetColumn: KeyColumn<KeyOf<R::Target>>,
    R::LinkKey: Ord,
{
    let mut by_key: TargetsByKey<R> = HashMap::with_capacity(targets.len());
    for target in targets {
        if let Some(key) = target.primary_key() {
            by_key.insert(key.clone(), target);
        }
    }
    links.sort_unstable_by(|a, b| a.1.cmp(&b.1));
    let mut rows = Vec::with_capacity(links.len());
    for (parent, link, target) in links {
        let Some(key) = <R::TargetColumn as KeyColumn<KeyOf<R::Target>>>::key(&target) else {
            continue;
        };
        rows.push((parent, link, by_key.get(key)?.clone()));
    }
    Some(rows)
}
