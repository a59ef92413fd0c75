//! Prefetching: one statement per relation (per chunk of keys off PostgreSQL),
//! matched to the owners in memory in O(owners + rows).

use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use diesel::Connection;

use crate::error::{Error, Result};
use crate::mode::ThenStep;
use crate::model::{Node, Nodes, PrimaryKey};
use crate::query::{
    link_parent, KeyOf, Left, LoadBelongsTo, LoadByKeys, LoadHasMany, LoadManyToMany, ParentOf,
};
use crate::relation::{BelongsTo, HasMany, SharedOf, SharedParent};
use crate::spec::Prefetch;
use crate::through::PrefetchThrough;
use crate::with::With;

pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// No slot: a row whose key matches no owner.
const NO_SLOT: u32 = u32::MAX;

/// The distinct keys of a list, each with a slot number, plus the slot of every
/// element (`NO_SLOT` for a `None` key).
pub(crate) struct Slots<'a, K> {
    pub(crate) index: FastMap<&'a K, u32>,
    /// The key of each slot.
    by_slot: Vec<&'a K>,
    of_element: Vec<u32>,
    /// How many elements share each slot.
    pub(crate) uses: Vec<u32>,
}

impl<'a, K: Eq + Hash> Slots<'a, K> {
    pub(crate) fn new<T: 'a>(elements: &'a [T], key: impl Fn(&'a T) -> Option<&'a K>) -> Self {
        // Elements usually come clustered by key (children loaded in key
        // order, a parent's children side by side), so a run of equal keys
        // takes one lookup, and the number of runs bounds the distinct keys:
        // the map is sized to it, not to every element (a million books of
        // 100,000 authors need 100,000 entries, not a million).
        let runs = 1 + elements
            .windows(2)
            .filter(|pair| key(&pair[0]) != key(&pair[1]))
            .count();
        let mut index =
            FastMap::with_capacity_and_hasher(runs, foldhash::fast::RandomState::default());
        let mut of_element = Vec::with_capacity(elements.len());
        let mut uses: Vec<u32> = Vec::new();
        let mut by_slot = Vec::with_capacity(runs);
        let mut last: Option<(&K, u32)> = None;
        for element in elements {
            let slot = match key(element) {
                None => NO_SLOT,
                Some(k) => match last {
                    Some((last_key, slot)) if last_key == k => slot,
                    _ => {
                        let slot = *index.entry(k).or_insert_with(|| {
                            uses.push(0);
                            by_slot.push(k);
                            (uses.len() - 1) as u32
                        });
                        last = Some((k, slot));
                        slot
                    }
                },
            };
            if slot != NO_SLOT {
                uses[slot as usize] += 1;
            }
            of_element.push(slot);
        }
        Slots {
            index,
            by_slot,
            of_element,
            uses,
        }
    }

    /// The distinct keys, cloned, in slot order (first appearance).
    pub(crate) fn keys(&self) -> Vec<K>
    where
        K: Clone,
    {
        self.by_slot.iter().map(|&k| k.clone()).collect()
    }

    pub(crate) fn slot(&self, key: Option<&K>) -> u32 {
        key.and_then(|k| self.index.get(k).copied())
            .unwrap_or(NO_SLOT)
    }

    /// [`slot`](Self::slot), trying `guess` first: rows usually come in
    /// the order their keys were sent, so the next run's slot is most often
    /// the one after the last run's, and one comparison with that slot's
    /// key spares a hash lookup (a cache miss into a large map, for each
    /// parent).
    pub(crate) fn slot_after(&self, guess: u32, key: Option<&K>) -> u32 {
        match (key, self.by_slot.get(guess as usize)) {
            (Some(k), Some(&guessed)) if guessed == k => guess,
            _ => self.slot(key),
        }
    }

    /// The slot of each row, and the distinct keys of the rows whose key is
    /// none of the slots' keys: rows the database returned for a key that
    /// equals theirs only under its collation (`'zed'` for `'Zed'` under a
    /// case-insensitive one). Empty, and never allocated, otherwise.
    pub(crate) fn of_rows<Row>(
        &self,
        rows: &[Row],
        row_key: impl Fn(&Row) -> Option<&K>,
    ) -> (Vec<u32>, Vec<K>)
    where
        K: Clone,
    {
        let mut strays: FastMap<&K, ()> = FastMap::default();
        let mut slot_of_row = Vec::with_capacity(rows.len());
        // Rows come clustered by key: a run of equal keys takes one lookup.
        let mut last: Option<(&K, u32)> = None;
        let mut last_found = NO_SLOT;
        for row in rows {
            let slot = match row_key(row) {
                None => NO_SLOT,
                Some(k) => match last {
                    Some((last_key, slot)) if last_key == k => slot,
                    _ => {
                        let slot = match self.slot_after(last_found.wrapping_add(1), Some(k)) {
                            NO_SLOT => {
                                strays.insert(k, ());
                                NO_SLOT
                            }
                            slot => {
                                last_found = slot;
                                slot
                            }
                        };
                        last = Some((k, slot));
                        slot
                    }
                },
            };
            slot_of_row.push(slot);
        }
        (slot_of_row, strays.into_keys().cloned().collect())
    }

    /// Where the database found, for a stray key, a parent whose key is none
    /// of the slots' keys (a slot's key is spelled otherwise than its parent
    /// row's): the slot keys to look up, to pair each with its parent's key.
    /// `None` when every parent found is a slot's.
    pub(crate) fn respelled(&self, found: &[(K, K)]) -> Option<Vec<K>>
    where
        K: Clone,
    {
        if found
            .iter()
            .all(|(_, owner)| self.index.contains_key(owner))
        {
            return None;
        }
        let owners: FastMap<&K, ()> = found.iter().map(|(_, owner)| (owner, ())).collect();
        Some(
            self.index
                .keys()
                .filter(|k| !owners.contains_key(**k))
                .map(|k| (*k).clone())
                .collect(),
        )
    }

    /// `found` with each parent key that is none of the slots' keys replaced
    /// by the slot key whose parent it is (`stored` pairs slot keys with
    /// their parents' keys).
    pub(crate) fn respell(&self, found: Vec<(K, K)>, stored: Vec<(K, K)>) -> Vec<(K, K)>
    where
        K: Clone,
    {
        let slot_key_of: FastMap<K, K> = stored
            .into_iter()
            .map(|(slot_key, parent)| (parent, slot_key))
            .collect();
        found
            .into_iter()
            .map(|(stray, owner)| {
                if self.index.contains_key(&owner) {
                    return (stray, owner);
                }
                match slot_key_of.get(&owner) {
                    Some(slot_key) => (stray, slot_key.clone()),
                    None => (stray, owner),
                }
            })
            .collect()
    }

    /// Give the stray rows the slot of the owner the database matched them
    /// to: `found` pairs a stray key with that owner's own key.
    pub(crate) fn reassign<Row>(
        &self,
        slot_of_row: &mut [u32],
        rows: &[Row],
        row_key: impl Fn(&Row) -> Option<&K>,
        found: &[(K, K)],
    ) {
        let owner_of: FastMap<&K, u32> = found
            .iter()
            .map(|(stray, owner)| (stray, self.slot(Some(owner))))
            .collect();
        for (slot, row) in slot_of_row.iter_mut().zip(rows) {
            if *slot == NO_SLOT {
                if let Some(&owner) = row_key(row).and_then(|k| owner_of.get(k)) {
                    *slot = owner;
                }
            }
        }
    }
}

/// What a loader read: the rows, in the order of its statements, and the
/// per-parent window (`limit_per_parent`, `offset_per_parent`) it left to
/// apply once every row has its parent.
#[doc(hidden)]
pub struct Rows<T> {
    pub(crate) rows: Vec<T>,
    pub(crate) window: Option<Window>,
}

impl<T> Rows<T> {
    /// Rows with nothing left to apply.
    pub(crate) fn all(rows: Vec<T>) -> Self {
        Rows { rows, window: None }
    }

    /// The rows, without the window.
    pub(crate) fn into_vec(self) -> Vec<T> {
        self.rows
    }
}

/// Each parent's rows `offset..offset + limit`, in row order.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub(crate) offset: u32,
    pub(crate) limit: Option<u32>,
}

impl Window {
    /// Keep, of `rows` (in window order), each slot's rows inside the window.
    fn apply<T>(self, rows: Vec<T>, slot_of_row: Vec<u32>, slots: usize) -> (Vec<T>, Vec<u32>) {
        let end = self
            .limit
            .map(|limit| u64::from(self.offset) + u64::from(limit));
        let mut seen = vec![0u32; slots];
        rows.into_iter()
            .zip(slot_of_row)
            .filter(|&(_, slot)| {
                if slot == NO_SLOT {
                    return false;
                }
                let rank = &mut seen[slot as usize];
                *rank += 1;
                *rank > self.offset && end.is_none_or(|end| u64::from(*rank) <= end)
            })
            .unzip()
    }
}

/// Hands out each slot's value to the elements that share it: clones for all
/// but the last, which gets the original (so unshared values are never cloned).
struct Distribute<T> {
    values: Vec<Option<T>>,
    remaining: Vec<u32>,
}

impl<T: Clone> Distribute<T> {
    fn take(&mut self, slot: u32) -> Option<T> {
        let s = slot as usize;
        self.remaining[s] -= 1;
        if self.remaining[s] == 0 {
            self.values[s].take()
        } else {
            self.values[s].clone()
        }
    }
}

/// Prefetch has-many relation `R` onto `nodes`: one query (or one per chunk of
/// keys), then each owner gets its children in the order of the child query.
///
/// This is what the generated `prefetch_<relation>` methods call.
pub fn prefetch_has_many<R, S, C>(nodes: S, conn: &mut C) -> Result<S::Wrapped<R, Vec<R::Child>>>
where
    R: LoadHasMany<C>,
    R::Child: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Parent>,
    C: Connection,
{
    prefetch_has_many_with(nodes, conn, |p| p)
}

/// Prefetch has-many relation `R` as `build` describes it: filtered, ordered,
/// nested, renamed (see [`Prefetch`]).
///
/// This is what the generated `prefetch_<relation>_with` methods call.
pub fn prefetch_has_many_with<R, S, C, T, K>(
    nodes: S,
    conn: &mut C,
    build: impl FnOnce(Prefetch<R, C>) -> Prefetch<R, C, T, K>,
) -> Result<S::Wrapped<K, Vec<T>>>
where
    R: LoadHasMany<C>,
    T: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Parent>,
    C: Connection,
{
    Ok(S::from_wrapped(built(nodes.into_nodes(), conn, build)?))
}

/// Prefetch one-to-one relation `R` (a unique foreign key): like
/// [`prefetch_has_many`], but each owner gets `Option<Child>`; two children for
/// one owner is [`ErrorKind::NotUnique`](crate::ErrorKind::NotUnique), naming its key.
pub fn prefetch_has_one<R, S, C>(nodes: S, conn: &mut C) -> Result<S::Wrapped<R, Option<R::Child>>>
where
    R: LoadHasMany<C>,
    R::Child: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Parent>,
    C: Connection,
{
    prefetch_has_one_with(nodes, conn, |p| p)
}

/// [`prefetch_has_one`] as `build` describes it (see [`Prefetch`]).
pub fn prefetch_has_one_with<R, S, C, T, K>(
    nodes: S,
    conn: &mut C,
    build: impl FnOnce(Prefetch<R, C>) -> Prefetch<R, C, T, K>,
) -> Result<S::Wrapped<K, Option<T>>>
where
    R: LoadHasMany<C>,
    T: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Parent>,
    C: Connection,
{
    let grouped = built(nodes.into_nodes(), conn, build)?;
    Ok(S::from_wrapped(at_most_one::<R, _, _, _>(grouped)?))
}

/// The children of `nodes` as the `Prefetch` built by `build` describes them.
fn built<R, N, C, T, K>(
    nodes: Vec<N>,
    conn: &mut C,
    build: impl FnOnce(Prefetch<R, C>) -> Prefetch<R, C, T, K>,
) -> Result<Vec<With<N, K, Vec<T>>>>
where
    R: LoadHasMany<C>,
    T: Clone,
    N: Node<Model = R::Parent>,
    C: Connection,
{
    built_by(nodes, |n: &N| n.model().primary_key(), conn, build)
}

/// [`built`] for elements that are not models: `key` gives each one's
/// parent key (the element is the key itself for the key-based loaders).
pub(crate) fn built_by<R, E, C, T, K>(
    elements: Vec<E>,
    key: impl Fn(&E) -> Option<&KeyOf<R::Parent>>,
    conn: &mut C,
    build: impl FnOnce(Prefetch<R, C>) -> Prefetch<R, C, T, K>,
) -> Result<Vec<With<E, K, Vec<T>>>>
where
    R: LoadHasMany<C>,
    T: Clone,
    C: Connection,
{
    let (parts, then) = build(Prefetch::new()).into_parts();
    match then {
        // Nothing nested: each row goes to its group as it is decoded (in small batches).
        ThenStep::Map(map) => group_streamed(
            elements,
            key,
            conn,
            R::NAME,
            |keys, conn, sink| R::load_children_into(keys, conn, &parts.spec(), sink),
            R::foreign_key,
            find_owner_keys::<R::Parent, C>,
            map,
        ),
        // The nested steps load from the rows of every group at once.
        then => group_rows_by(
            elements,
            key,
            conn,
            R::NAME,
            |keys, conn| R::load_children_with(keys, conn, &parts.spec()),
            R::foreign_key,
            find_owner_keys::<R::Parent, C>,
            |children, conn| then.run(children, conn),
        ),
    }
}

/// [`group_rows_by`] for rows that need no nested step: `load` hands the
/// rows over as they are decoded (a small batch at a time) and each goes
/// straight into its group
/// ([`Grouper`]), so the rows are never held in one list first (one move
/// and one allocation less per row, and a lower peak). `map` turns each
/// group's rows into its values. Where a row's owner is only found by the
/// database's collation, or a window is left to apply, the rows are put
/// back in row order and grouped as [`group_rows_by`] does.
#[allow(clippy::too_many_arguments)]
pub(crate) fn group_streamed<E, Key, C, Row, T, K>(
    elements: Vec<E>,
    key: impl Fn(&E) -> Option<&Key>,
    conn: &mut C,
    relation: &'static str,
    load: impl FnOnce(Vec<Key>, &mut C, &mut dyn FnMut(Row)) -> diesel::QueryResult<Left<Row>>,
    row_key: impl Fn(&Row) -> Option<&Key>,
    resolve: impl FnOnce(Vec<Key>, &Slots<'_, Key>, &mut C) -> diesel::QueryResult<Vec<(Key, Key)>>,
    map: fn(Vec<Row>) -> Vec<T>,
) -> Result<Vec<With<E, K, Vec<T>>>>
where
    Key: Eq + Hash + Clone,
    T: Clone,
{
    let nodes = elements;
    let slots = Slots::new(&nodes, key);
    if slots.uses.is_empty() {
        return Ok(no_rows(nodes));
    }
    let mut grouper = Grouper::new(&slots, &row_key);
    let left = load(slots.keys(), conn, &mut |row| grouper.push(row))
        .map_err(|e| Error::database(relation, e))?;
    let (window, sort) = match left {
        Left::Nothing => (None, None),
        Left::Window(window) => (Some(window), None),
        Left::SortByKey(sort) => (None, Some(sort)),
    };
    let strays = grouper.stray_keys();
    // No stray keys, no statement.
    let found = resolve(strays, &slots, conn).map_err(|e| Error::database(relation, e))?;
    let grouped = if window.is_none() && found.is_empty() {
        grouper.finish()
    } else {
        Err(grouper.into_rows())
    };
    let (mut rows, mut slot_of_row) = match grouped {
        Ok(mut groups) => {
            if let Some(sort) = sort {
                // Each parent's rows by key: what sorting every row by key,
                // then grouping, gives.
                groups.iter_mut().for_each(|group| sort(group));
            }
            let groups = groups.into_iter().map(map).collect();
            let Slots {
                index,
                by_slot,
                of_element,
                uses,
            } = slots;
            drop((index, by_slot));
            return Ok(hand_out_groups(nodes, of_element, uses, groups));
        }
        Err(flat) => flat,
    };
    if let Some(sort) = sort {
        sort(&mut rows);
        slot_of_row = slots.of_rows(&rows, &row_key).0;
    }
    let (rows, groups) = Groups::new(slots, Rows { rows, window }, slot_of_row, &row_key, &found);
    groups.hand_out(nodes, relation, map(rows))
}

/// Rows put into their slot's group as they are decoded. Rows usually come
/// clustered by key (children in key order), so a run of rows with equal
/// keys takes one lookup and moves into its group at once, allocated at the
/// run's size. A row whose key is none of the slots' (a stray, see
/// [`Slots::of_rows`]) is kept aside; the runs are remembered so that the
/// rows can be put back in row order ([`Grouper::into_rows`]) when the
/// strays' owners have to be found.
///
/// Rows in another order (a refinement's `order(..)`, a table whose rows
/// were not written parent by parent) would make each group grow run by
/// run: once more than one run in eight lands in a group that already has
/// rows, the grouper switches to a flat list of rows and slots, the rows are
/// grouped after the load at their counted sizes ([`Groups`]).
pub(crate) struct Grouper<'s, 'a, K, Row, F> {
    slots: &'s Slots<'a, K>,
    row_key: F,
    groups: Vec<Vec<Row>>,
    /// The current run of rows with equal keys, and its slot.
    run: Vec<Row>,
    run_slot: u32,
    /// The slot of the last run that had one.
    last_slot: u32,
    /// Every run moved out, in row order: its slot and length.
    runs: Vec<(u32, usize)>,
    /// How many of `runs` went into a group that already had rows.
    regrown: usize,
    /// Runs seen before deciding whether the rows come clustered.
    decide_after: usize,
    /// The rows of `NO_SLOT` runs, in row order.
    strays: Vec<Row>,
    stray_keys: FastMap<K, ()>,
    /// Every row and its slot, in row order, once the rows turned out not
    /// to come clustered.
    flat: Option<RowsAndSlots<Row>>,
}

/// Rows in row order, and the slot of each.
pub(crate) type RowsAndSlots<Row> = (Vec<Row>, Vec<u32>);

/// Runs seen before the grouper may decide the rows are not clustered.
const RUNS_BEFORE_DECIDING: usize = 256;

impl<'s, 'a, K, Row, F> Grouper<'s, 'a, K, Row, F>
where
    K: Eq + Hash + Clone,
    F: Fn(&Row) -> Option<&K>,
{
    pub(crate) fn new(slots: &'s Slots<'a, K>, row_key: F) -> Self {
        Grouper {
            slots,
            row_key,
            groups: (0..slots.uses.len()).map(|_| Vec::new()).collect(),
            run: Vec::new(),
            run_slot: NO_SLOT,
            last_slot: NO_SLOT,
            runs: Vec::new(),
            regrown: 0,
            decide_after: if crate::batch::forced_small_batches() {
                1
            } else {
                RUNS_BEFORE_DECIDING
            },
            strays: Vec::new(),
            stray_keys: FastMap::default(),
            flat: None,
        }
    }

    pub(crate) fn push(&mut self, row: Row) {
        let last = match &self.flat {
            Some((rows, _)) => rows.last(),
            None => self.run.last(),
        };
        let same_run = last.is_some_and(|last| (self.row_key)(last) == (self.row_key)(&row));
        if !same_run {
            self.end_run();
            let key = (self.row_key)(&row);
            // `NO_SLOT + 1` wraps to the first slot.
            self.run_slot = self.slots.slot_after(self.last_slot.wrapping_add(1), key);
            match (self.run_slot, key) {
                (NO_SLOT, Some(k)) => {
                    if !self.stray_keys.contains_key(k) {
                        self.stray_keys.insert(k.clone(), ());
                    }
                }
                (NO_SLOT, None) => {}
                (slot, _) => self.last_slot = slot,
            }
        }
        match &mut self.flat {
            Some((rows, slot_of_row)) => {
                rows.push(row);
                slot_of_row.push(self.run_slot);
            }
            None => self.run.push(row),
        }
    }

    fn end_run(&mut self) {
        if self.run.is_empty() {
            return;
        }
        self.runs.push((self.run_slot, self.run.len()));
        let group = match self.run_slot {
            NO_SLOT => &mut self.strays,
            slot => &mut self.groups[slot as usize],
        };
        if group.is_empty() {
            group.reserve_exact(self.run.len());
        } else if self.run_slot != NO_SLOT {
            self.regrown += 1;
        }
        group.append(&mut self.run);
        if self.runs.len() >= self.decide_after && self.regrown * 8 > self.runs.len() {
            self.flat = Some(self.take_rows());
        }
    }

    /// The distinct keys of the stray rows.
    pub(crate) fn stray_keys(&mut self) -> Vec<K> {
        std::mem::take(&mut self.stray_keys).into_keys().collect()
    }

    /// The rows of each slot, in row order, stray rows dropped; or, where
    /// the rows did not come clustered, every row with its slot
    /// ([`into_rows`](Self::into_rows)).
    pub(crate) fn finish(mut self) -> Result<Vec<Vec<Row>>, RowsAndSlots<Row>> {
        self.end_run();
        match self.flat {
            Some(flat) => Err(flat),
            None => Ok(self.groups),
        }
    }

    /// Every row back in row order, with its slot (`NO_SLOT` for a stray),
    /// as [`Slots::of_rows`] gives them.
    pub(crate) fn into_rows(mut self) -> (Vec<Row>, Vec<u32>) {
        self.end_run();
        match self.flat.take() {
            Some(flat) => flat,
            None => self.take_rows(),
        }
    }

    /// The grouped rows put back in row order, with their slots.
    fn take_rows(&mut self) -> (Vec<Row>, Vec<u32>) {
        let runs = std::mem::take(&mut self.runs);
        let total = runs.iter().map(|&(_, len)| len).sum();
        let mut rows = Vec::with_capacity(total);
        let mut slot_of_row = Vec::with_capacity(total);
        let mut groups: Vec<_> = self
            .groups
            .iter_mut()
            .map(|group| std::mem::take(group).into_iter())
            .collect();
        let mut strays = std::mem::take(&mut self.strays).into_iter();
        for (slot, len) in runs {
            let source = match slot {
                NO_SLOT => &mut strays,
                slot => &mut groups[slot as usize],
            };
            rows.extend(source.by_ref().take(len));
            slot_of_row.extend(std::iter::repeat_n(slot, len));
        }
        (rows, slot_of_row)
    }
}

pub(crate) fn at_most_one<R, N, K, T>(
    grouped: Vec<With<N, K, Vec<T>>>,
) -> Result<Vec<With<N, K, Option<T>>>>
where
    R: HasMany,
    N: Node<Model = R::Parent>,
{
    if let Some(node) = grouped.iter().find(|n| With::value(n).len() > 1) {
        let key: &dyn std::fmt::Debug = match node.model().primary_key() {
            Some(key) => key,
            None => &"NULL",
        };
        return Err(Error::not_unique(R::NAME, key, With::value(node).len()));
    }
    Ok(grouped
        .into_iter()
        .map(|n| {
            let (node, children) = With::into_parts(n);
            With::new(node, children.into_iter().next())
        })
        .collect())
}

/// Prefetch many-to-many relation `R`: one statement joining the join table
/// to the targets (per chunk of keys off PostgreSQL); each owner gets its
/// targets in the order the links were made (the join table's key). A target
/// linked to several owners is decoded once per link, so each owner holds its
/// own copy.
pub fn prefetch_many_to_many<R, S, C>(
    nodes: S,
    conn: &mut C,
) -> Result<S::Wrapped<R, Vec<R::Target>>>
where
    R: LoadManyToMany<C>,
    R::Target: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Parent>,
    C: Connection,
{
    prefetch_many_to_many_with(nodes, conn, |through| through)
}

/// [`prefetch_many_to_many`] as `build` describes it: filtered on the join
/// model's or the target's columns, ordered by either ([`PrefetchThrough`]).
pub fn prefetch_many_to_many_with<R, S, C>(
    nodes: S,
    conn: &mut C,
    build: impl FnOnce(PrefetchThrough<R, C>) -> PrefetchThrough<R, C>,
) -> Result<S::Wrapped<R, Vec<R::Target>>>
where
    R: LoadManyToMany<C>,
    R::Target: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Parent>,
    C: Connection,
{
    Ok(S::from_wrapped(targets_by::<R, _, C>(
        nodes.into_nodes(),
        |n: &S::Node| n.model().primary_key(),
        conn,
        build,
    )?))
}

/// The targets of many-to-many relation `R` for `elements`, each found by
/// its parent key with `key`.
#[allow(clippy::type_complexity)]
pub(crate) fn targets_by<R, E, C>(
    elements: Vec<E>,
    key: impl Fn(&E) -> Option<&KeyOf<R::Parent>>,
    conn: &mut C,
    build: impl FnOnce(PrefetchThrough<R, C>) -> PrefetchThrough<R, C>,
) -> Result<Vec<With<E, R, Vec<R::Target>>>>
where
    R: LoadManyToMany<C>,
    R::Target: Clone,
    C: Connection,
{
    let through = build(PrefetchThrough::new());
    let spec = through.spec();
    group_rows_by::<_, _, _, _, R::Target, R>(
        elements,
        key,
        conn,
        R::NAME,
        |keys, conn| R::load_targets(keys, conn, &spec).map(Rows::all),
        link_parent::<R>,
        find_owner_keys::<R::Parent, C>,
        |rows, _| Ok(rows.into_iter().map(|(_, _, target)| target).collect()),
    )
}

/// The grouping every has-many shaped loader shares, O(elements + rows):
/// number the distinct keys of `elements` (`key` gives each element's key:
/// a model's primary key, or the element itself for the key-based loaders),
/// `load` the rows for them, find each row's element by `row_key`, let `then`
/// turn the rows into `T`s (same number, same order), and hand each element
/// its own, in row order. A key shared by several elements gives each a copy;
/// the last one gets the original.
///
/// A row whose key is none of the elements' keys was returned by the
/// database for a key equal to its own under the column's collation:
/// `resolve` finds the element the database matches it to
/// ([`find_owner_keys`]).
#[allow(clippy::too_many_arguments)]
pub(crate) fn group_rows_by<E, Key, C, Row, T, K>(
    elements: Vec<E>,
    key: impl Fn(&E) -> Option<&Key>,
    conn: &mut C,
    relation: &'static str,
    load: impl FnOnce(Vec<Key>, &mut C) -> diesel::QueryResult<Rows<Row>>,
    row_key: impl Fn(&Row) -> Option<&Key>,
    resolve: impl FnOnce(Vec<Key>, &Slots<'_, Key>, &mut C) -> diesel::QueryResult<Vec<(Key, Key)>>,
    then: impl FnOnce(Vec<Row>, &mut C) -> Result<Vec<T>>,
) -> Result<Vec<With<E, K, Vec<T>>>>
where
    Key: Eq + Hash + Clone,
    T: Clone,
{
    let Some((rows, groups)) = placed_rows(&elements, key, conn, relation, load, row_key, resolve)?
    else {
        return Ok(no_rows(elements));
    };
    let values = then(rows, conn)?;
    groups.hand_out(elements, relation, values)
}

/// The rows loaded for `elements`' keys and where each goes; `None` (and no
/// statement) when no element has a key.
fn placed_rows<E, Key, C, Row>(
    elements: &[E],
    key: impl Fn(&E) -> Option<&Key>,
    conn: &mut C,
    relation: &'static str,
    load: impl FnOnce(Vec<Key>, &mut C) -> diesel::QueryResult<Rows<Row>>,
    row_key: impl Fn(&Row) -> Option<&Key>,
    resolve: impl FnOnce(Vec<Key>, &Slots<'_, Key>, &mut C) -> diesel::QueryResult<Vec<(Key, Key)>>,
) -> Result<Option<(Vec<Row>, Groups)>>
where
    Key: Eq + Hash + Clone,
{
    let slots = Slots::new(elements, key);
    if slots.uses.is_empty() {
        return Ok(None);
    }
    let rows = load(slots.keys(), conn).map_err(|e| Error::database(relation, e))?;
    let (slot_of_row, strays) = slots.of_rows(&rows.rows, &row_key);
    // No stray keys, no statement.
    let found = resolve(strays, &slots, conn).map_err(|e| Error::database(relation, e))?;
    Ok(Some(Groups::new(
        slots,
        rows,
        slot_of_row,
        &row_key,
        &found,
    )))
}

/// How the rows of one parent become its value without a list of them: the
/// first row starts the value, each further row (the same key grouped by
/// the database under another spelling) is added to it, and `finish` turns
/// what was folded (`None`: no row) into the value. Counts and column
/// aggregates load one row per parent, or a few.
pub(crate) struct Fold<First, Add, Finish> {
    pub(crate) first: First,
    pub(crate) add: Add,
    pub(crate) finish: Finish,
}

impl<First, Add, Finish> Fold<First, Add, Finish> {
    /// Each node's value from `values` (one per row, in row order).
    fn hand_out<N, K, T, Acc, V>(
        self,
        nodes: Vec<N>,
        groups: Groups,
        values: impl IntoIterator<Item = T>,
    ) -> Vec<With<N, K, V>>
    where
        First: Fn(T) -> Acc,
        Add: Fn(&mut Acc, T),
        Finish: Fn(Option<Acc>) -> V,
        Acc: Clone,
    {
        let mut folded: Vec<Option<Acc>> = (0..groups.uses.len()).map(|_| None).collect();
        for (value, s) in values.into_iter().zip(groups.slot_of_row) {
            if s == NO_SLOT {
                continue;
            }
            match &mut folded[s as usize] {
                Some(acc) => (self.add)(acc, value),
                empty => *empty = Some((self.first)(value)),
            }
        }
        let mut folded = Distribute {
            values: folded.into_iter().map(Some).collect(),
            remaining: groups.uses,
        };
        nodes
            .into_iter()
            .zip(groups.slot_of_node)
            .map(|(node, s)| {
                let acc = if s == NO_SLOT {
                    None
                } else {
                    folded.take(s).flatten()
                };
                With::new(node, (self.finish)(acc))
            })
            .collect()
    }

    /// Each node's value with no row at all (no element had a key).
    pub(crate) fn nothing<N, K, Acc, V>(&self, nodes: Vec<N>) -> Vec<With<N, K, V>>
    where
        Finish: Fn(Option<Acc>) -> V,
    {
        nodes
            .into_iter()
            .map(|node| With::new(node, (self.finish)(None)))
            .collect()
    }
}

/// [`group_rows_by`] for values folded per element ([`Fold`]) instead of
/// lists of rows: no `Vec` per element. `value` takes what a row holds.
#[allow(clippy::too_many_arguments)]
pub(crate) fn fold_rows_by<E, Key, C, Row, T, Acc, V, K, First, Add, Finish>(
    elements: Vec<E>,
    key: impl Fn(&E) -> Option<&Key>,
    conn: &mut C,
    relation: &'static str,
    load: impl FnOnce(Vec<Key>, &mut C) -> diesel::QueryResult<Rows<Row>>,
    row_key: impl Fn(&Row) -> Option<&Key>,
    resolve: impl FnOnce(Vec<Key>, &Slots<'_, Key>, &mut C) -> diesel::QueryResult<Vec<(Key, Key)>>,
    value: impl Fn(Row) -> T,
    fold: Fold<First, Add, Finish>,
) -> Result<Vec<With<E, K, V>>>
where
    Key: Eq + Hash + Clone,
    First: Fn(T) -> Acc,
    Add: Fn(&mut Acc, T),
    Finish: Fn(Option<Acc>) -> V,
    Acc: Clone,
{
    match placed_rows(&elements, key, conn, relation, load, row_key, resolve)? {
        Some((rows, groups)) => Ok(fold.hand_out(elements, groups, rows.into_iter().map(value))),
        None => Ok(fold.nothing(elements)),
    }
}

/// For each key of `strays` (keys that equal an owner's only under the
/// database's collation), the slot key the database matches it to: the key
/// of the `P` row it finds for it, one statement per stray key, so each is
/// paired with its own row. Only rows whose key differs from their parent's
/// (in case, accents, ...) cost these statements.
///
/// A slot's key may itself be spelled otherwise than its parent row's (a
/// key-based load asked with `'ZED'` for the row `'Zed'`): where a stray's
/// parent is none of the slots' keys, each slot key is looked up too (one
/// statement each), and the stray goes to the slot whose parent it shares.
pub(crate) fn find_owner_keys<P, C>(
    strays: Vec<KeyOf<P>>,
    slots: &Slots<'_, KeyOf<P>>,
    conn: &mut C,
) -> diesel::QueryResult<Vec<(KeyOf<P>, KeyOf<P>)>>
where
    P: LoadByKeys<C>,
    C: Connection,
{
    let found = parent_keys::<P, C>(strays, conn)?;
    match slots.respelled(&found) {
        None => Ok(found),
        Some(slot_keys) => {
            let stored = parent_keys::<P, C>(slot_keys, conn)?;
            Ok(slots.respell(found, stored))
        }
    }
}

/// Each of `keys` with the key of the `P` row the database finds for it.
fn parent_keys<P, C>(
    keys: Vec<KeyOf<P>>,
    conn: &mut C,
) -> diesel::QueryResult<Vec<(KeyOf<P>, KeyOf<P>)>>
where
    P: LoadByKeys<C>,
    C: Connection,
{
    Ok(find_each::<P, C>(keys, conn)?
        .into_iter()
        .filter_map(|(key, row)| {
            let stored = row.primary_key()?.clone();
            Some((key, stored))
        })
        .collect())
}

/// The `P` row the database finds for each of `keys`, one statement each.
pub(crate) fn find_each<P, C>(
    keys: Vec<KeyOf<P>>,
    conn: &mut C,
) -> diesel::QueryResult<Vec<(KeyOf<P>, P)>>
where
    P: LoadByKeys<C>,
    C: Connection,
{
    let mut found = Vec::new();
    for key in keys {
        if let Some(row) = P::load_by_keys(vec![key.clone()], conn)?.into_iter().next() {
            found.push((key, row));
        }
    }
    Ok(found)
}

/// The slots of `nodes` by their own primary key.
#[cfg_attr(not(feature = "async"), allow(dead_code))]
pub(crate) fn owner_slots<N>(nodes: &[N]) -> Slots<'_, KeyOf<N::Model>>
where
    N: Node,
    N::Model: PrimaryKey,
{
    Slots::new(nodes, |n| n.model().primary_key())
}

/// Every node with an empty group: there were no keys to load.
pub(crate) fn no_rows<N, K, T>(nodes: Vec<N>) -> Vec<With<N, K, Vec<T>>> {
    nodes
        .into_iter()
        .map(|n| With::new(n, Vec::new()))
        .collect()
}

/// Where each loaded row goes, worked out before the rows are handed on to
/// the nested steps: the slot of each row, and how many rows each slot gets.
pub(crate) struct Groups {
    slot_of_node: Vec<u32>,
    uses: Vec<u32>,
    slot_of_row: Vec<u32>,
    sizes: Vec<usize>,
}

impl Groups {
    /// Where each of `rows` goes: `slot_of_row` from [`Slots::of_rows`], the
    /// stray rows given the owners `found` for them, then the loader's
    /// window applied. Returns the rows kept, for the nested steps.
    pub(crate) fn new<K: Eq + Hash + Clone, Row>(
        slots: Slots<'_, K>,
        rows: Rows<Row>,
        mut slot_of_row: Vec<u32>,
        row_key: impl Fn(&Row) -> Option<&K>,
        found: &[(K, K)],
    ) -> (Vec<Row>, Self) {
        if !found.is_empty() {
            slots.reassign(&mut slot_of_row, &rows.rows, &row_key, found);
        }
        let Rows { rows, window } = rows;
        let (rows, slot_of_row) = match window {
            Some(window) => window.apply(rows, slot_of_row, slots.uses.len()),
            None => (rows, slot_of_row),
        };
        // Count first so each group is allocated once at its final size.
        let mut sizes = vec![0usize; slots.uses.len()];
        for &s in &slot_of_row {
            if s != NO_SLOT {
                sizes[s as usize] += 1;
            }
        }
        let groups = Groups {
            slot_of_node: slots.of_element,
            uses: slots.uses,
            slot_of_row,
            sizes,
        };
        (rows, groups)
    }

    /// Hand each node the value `fold` makes of its rows' `values` (one per
    /// loaded row, in row order).
    #[cfg(feature = "async")]
    pub(crate) fn fold_out<N, K, T, Acc, V, First, Add, Finish>(
        self,
        nodes: Vec<N>,
        values: impl IntoIterator<Item = T>,
        fold: Fold<First, Add, Finish>,
    ) -> Vec<With<N, K, V>>
    where
        First: Fn(T) -> Acc,
        Add: Fn(&mut Acc, T),
        Finish: Fn(Option<Acc>) -> V,
        Acc: Clone,
    {
        fold.hand_out(nodes, self, values)
    }

    /// Hand each node its values (one per loaded row, in row order).
    pub(crate) fn hand_out<N, K, T: Clone>(
        self,
        nodes: Vec<N>,
        relation: &'static str,
        values: Vec<T>,
    ) -> Result<Vec<With<N, K, Vec<T>>>> {
        if values.len() != self.slot_of_row.len() {
            return Err(Error::nested_length(
                relation,
                self.slot_of_row.len(),
                values.len(),
            ));
        }
        let mut groups: Vec<Vec<T>> = self.sizes.into_iter().map(Vec::with_capacity).collect();
        for (value, s) in values.into_iter().zip(self.slot_of_row) {
            if s != NO_SLOT {
                groups[s as usize].push(value);
            }
        }
        Ok(hand_out_groups(nodes, self.slot_of_node, self.uses, groups))
    }
}

/// Hand each node its slot's group: `uses` nodes share a slot, each but the
/// last gets a copy.
fn hand_out_groups<N, K, T: Clone>(
    nodes: Vec<N>,
    slot_of_node: Vec<u32>,
    uses: Vec<u32>,
    groups: Vec<Vec<T>>,
) -> Vec<With<N, K, Vec<T>>> {
    let mut groups = Distribute {
        values: groups.into_iter().map(Some).collect(),
        remaining: uses,
    };
    nodes
        .into_iter()
        .zip(slot_of_node)
        .map(|(node, s)| With::new(node, groups.take(s).unwrap_or_default()))
        .collect()
}

/// Prefetch belongs-to relation `R` onto `nodes`: one query over the distinct
/// foreign-key values (NULLs are never sent), then each child gets its parent.
///
/// A non-NULL key with no parent row is [`ErrorKind::MissingParent`](crate::ErrorKind::MissingParent).
pub fn prefetch_belongs_to<R, S, C>(nodes: S, conn: &mut C) -> Result<S::Wrapped<R, R::Value>>
where
    R: LoadBelongsTo<C>,
    ParentOf<R>: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Owner>,
    C: Connection,
{
    let nodes = nodes.into_nodes();
    let slots = parent_slots::<R, _>(&nodes);
    let by_slot = parents_by_slot::<R, C>(&slots, conn)?;
    let parents = Parents::<R>::new(slots, by_slot)?;
    Ok(S::from_wrapped(parents.hand_out(nodes)?))
}

/// Prefetch belongs-to relation `R` onto `nodes` as [`prefetch_belongs_to`]
/// does, the same statements and errors, each parent in one [`Arc`] shared
/// by all its children: `Arc<Author>` (`Option<Arc<Author>>` for a nullable
/// key) instead of a copy of the author per book.
///
/// This is what [`SharedParentExt::prefetch_shared`] calls.
pub fn prefetch_belongs_to_shared<R, S, C>(
    nodes: S,
    conn: &mut C,
) -> Result<S::Wrapped<R, SharedOf<R>>>
where
    R: LoadBelongsTo<C>,
    R::Value: SharedParent<ParentOf<R>>,
    ParentOf<R>: Clone,
    S: Nodes,
    S::Node: Node<Model = R::Owner>,
    C: Connection,
{
    let nodes = nodes.into_nodes();
    let slots = parent_slots::<R, _>(&nodes);
    let by_slot = parents_by_slot::<R, C>(&slots, conn)?;
    let parents = Parents::<R, _>::new(slots, shared(by_slot))?;
    let shared = parents.hand_out_as(nodes, <R::Value as SharedParent<ParentOf<R>>>::share)?;
    Ok(S::from_wrapped(shared))
}

/// Each parent in one [`Arc`].
pub(crate) fn shared<P>(by_slot: Vec<Option<P>>) -> Vec<Option<Arc<P>>> {
    by_slot.into_iter().map(|p| p.map(Arc::new)).collect()
}

/// Belongs-to relation `R` loaded onto children `Self` with each parent
/// shared, as methods of what the loaders are called on. The relation is
/// named by its key, as in [`select_related`](crate::select_related).
pub trait SharedParentExt: Nodes {
    /// Load each child's parent through belongs-to relation `relation`, as
    /// its generated `prefetch_<relation>` does (same statements, same
    /// errors), with one [`Arc`] per parent key shared by all its children:
    /// `books.prefetch_shared(BookAuthor, conn)?` gives each book an
    /// `Arc<Author>` (`Option<Arc<Author>>` for a nullable key), read with
    /// the same accessor (`book.author().name`). Ten books of one author
    /// hold one author, not ten copies: for many children per parent, or
    /// large parents.
    fn prefetch_shared<R, C>(
        self,
        relation: R,
        conn: &mut C,
    ) -> Result<Self::Wrapped<R, <Self as PrefetchShared<R, C>>::Shared>>
    where
        Self: PrefetchShared<R, C>,
    {
        let _ = relation;
        self.prefetch_belongs_to_shared(conn)
    }
}

impl<S: Nodes> SharedParentExt for S {}

/// Belongs-to relation `R` loaded onto children `Self` over blocking
/// connection `C` with each parent shared: [`prefetch_belongs_to_shared`] as
/// a method. Blanket-implemented.
#[diagnostic::on_unimplemented(
    message = "cannot load the parents of `{Self}` through relation `{R}`",
    label = "`prefetch_shared` takes a forward relation of these children",
    note = "`books.prefetch_shared(BookAuthor, conn)` for the relation `author` of `Book`; a has-many relation is loaded with its own loader (`authors.prefetch_books(conn)`); on a diesel-async connection, call `prefetch_shared_async` and await it"
)]
pub trait PrefetchShared<R, C>: Nodes {
    /// `Arc<Parent>`, or `Option<Arc<Parent>>` for a nullable key.
    type Shared;
    /// [`prefetch_belongs_to_shared`].
    fn prefetch_belongs_to_shared(self, conn: &mut C) -> Result<Self::Wrapped<R, Self::Shared>>;
}

impl<R, S, C> PrefetchShared<R, C> for S
where
    S: Nodes,
    R: SharedBelongsTo<<S::Node as Node>::Model>,
    R: LoadBelongsTo<C>,
    R::Value: SharedParent<ParentOf<R>>,
    ParentOf<R>: Clone,
    S::Node: Node<Model = R::Owner>,
    C: Connection,
{
    type Shared = SharedOf<R>;
    #[inline]
    fn prefetch_belongs_to_shared(self, conn: &mut C) -> Result<S::Wrapped<R, SharedOf<R>>> {
        prefetch_belongs_to_shared(self, conn)
    }
}

/// `Self` is a belongs-to relation of model `M`: the check
/// [`SharedParentExt::prefetch_shared`] makes of the relation it is given.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a forward (belongs-to) relation of `{M}`",
    label = "not a relation from `{M}` to its parent",
    note = "`prefetch_shared` loads the parent of each child: `books.prefetch_shared(BookAuthor, conn)` for the relation `author` of `Book`; a has-many relation is loaded with its own loader (`authors.prefetch_books(conn)`)"
)]
pub trait SharedBelongsTo<M> {}

#[diagnostic::do_not_recommend]
impl<R, M> SharedBelongsTo<M> for R where R: BelongsTo<Reverse: HasMany<Child = M>> {}

/// The parents of belongs-to relation `R` for the keys of `slots`, by slot:
/// `None` where not even the database's comparison finds one.
pub(crate) fn parents_by_slot<R, C>(
    slots: &Slots<'_, KeyOf<ParentOf<R>>>,
    conn: &mut C,
) -> Result<Vec<Option<ParentOf<R>>>>
where
    R: LoadBelongsTo<C>,
    ParentOf<R>: Clone,
    C: Connection,
{
    let loaded = if slots.uses.is_empty() {
        Vec::new()
    } else {
        R::load_parents(slots.keys(), conn).map_err(|e| Error::database(R::NAME, e))?
    };
    let mut by_slot = Parents::<R>::by_slot(slots, loaded);
    let unmatched = Parents::<R>::unmatched(slots, &by_slot);
    if !unmatched.is_empty() {
        let found = find_each::<ParentOf<R>, C>(unmatched, conn)
            .map_err(|e| Error::database(R::NAME, e))?;
        Parents::<R>::place(slots, &mut by_slot, found);
    }
    Ok(by_slot)
}

/// The slots of `nodes` by the foreign key of belongs-to relation `R`.
pub(crate) fn parent_slots<R, N>(nodes: &[N]) -> Slots<'_, KeyOf<ParentOf<R>>>
where
    R: BelongsTo,
    N: Node<Model = R::Owner>,
{
    Slots::new(nodes, |n| <R::Reverse as HasMany>::foreign_key(n.model()))
}

/// The loaded parents of belongs-to relation `R`, by slot, ready to hand out
/// (as `T`: the parent, or an `Arc` of it).
pub(crate) struct Parents<R: BelongsTo, T = ParentOf<R>> {
    slot_of_node: Vec<u32>,
    parents: Distribute<T>,
    relation: PhantomData<R>,
}

impl<R: BelongsTo> Parents<R>
where
    ParentOf<R>: Clone,
{
    /// The loaded parents by slot: each where its key is the slot's key.
    pub(crate) fn by_slot(
        slots: &Slots<'_, KeyOf<ParentOf<R>>>,
        loaded: Vec<ParentOf<R>>,
    ) -> Vec<Option<ParentOf<R>>> {
        let mut by_slot: Vec<Option<ParentOf<R>>> = vec![None; slots.uses.len()];
        for parent in loaded {
            let s = slots.slot(parent.primary_key());
            if s != NO_SLOT {
                by_slot[s as usize] = Some(parent);
            }
        }
        by_slot
    }

    /// The keys no loaded parent has exactly. The database may still have
    /// returned their parent, under a key equal to theirs only in its
    /// collation (`'Zed'` for `'zed'`): [`find_each`] asks it, key by key.
    pub(crate) fn unmatched(
        slots: &Slots<'_, KeyOf<ParentOf<R>>>,
        by_slot: &[Option<ParentOf<R>>],
    ) -> Vec<KeyOf<ParentOf<R>>> {
        if by_slot.iter().all(Option::is_some) {
            return Vec::new();
        }
        slots
            .index
            .iter()
            .filter(|&(_, &s)| by_slot[s as usize].is_none())
            .map(|(k, _)| (*k).clone())
            .collect()
    }

    /// Put the parents the database found for unmatched keys in their slots.
    pub(crate) fn place(
        slots: &Slots<'_, KeyOf<ParentOf<R>>>,
        by_slot: &mut [Option<ParentOf<R>>],
        found: Vec<(KeyOf<ParentOf<R>>, ParentOf<R>)>,
    ) {
        for (key, parent) in found {
            let s = slots.slot(Some(&key));
            if s != NO_SLOT {
                by_slot[s as usize] = Some(parent);
            }
        }
    }

    pub(crate) fn hand_out<N>(self, nodes: Vec<N>) -> Result<Vec<With<N, R, R::Value>>> {
        self.hand_out_as(nodes, R::value)
    }
}

impl<R: BelongsTo, T: Clone> Parents<R, T> {
    /// The parents by slot, ready to hand out; a key with no parent even
    /// under the database's comparison is an error before anything is
    /// handed out (the first such key in the nodes' order: slots are
    /// numbered in that order).
    pub(crate) fn new(
        slots: Slots<'_, KeyOf<ParentOf<R>>>,
        by_slot: Vec<Option<T>>,
    ) -> Result<Self> {
        if let Some(s) = by_slot.iter().position(Option::is_none) {
            return Err(Error::missing_parent(R::NAME, slots.by_slot[s]));
        }
        Ok(Parents {
            slot_of_node: slots.of_element,
            parents: Distribute {
                values: by_slot,
                remaining: slots.uses,
            },
            relation: PhantomData,
        })
    }

    /// Each node with `value` of its parent (`None`: no key).
    pub(crate) fn hand_out_as<N, V>(
        self,
        nodes: Vec<N>,
        value: impl Fn(Option<T>) -> Option<V>,
    ) -> Result<Vec<With<N, R, V>>> {
        let Parents {
            slot_of_node,
            mut parents,
            ..
        } = self;
        // `value` gives nothing only for no parent of a required key, and a
        // required key is never NULL (the row would not have decoded): one
        // check here, not one per node, leaves the loop below a plain
        // collect of known length.
        if slot_of_node.contains(&NO_SLOT) && value(None).is_none() {
            return Err(Error::missing_parent(R::NAME, &"NULL"));
        }
        Ok(nodes
            .into_iter()
            .zip(slot_of_node)
            .map(|(node, s)| {
                // Every slot has its parent (`new`), one per use.
                let parent = if s == NO_SLOT { None } else { parents.take(s) };
                let value = value(parent).expect("a parent, or no key where no parent is a value");
                With::new(node, value)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::{Fold, Grouper, Groups, Rows, Slots, NO_SLOT};
    use crate::with::With;

    /// A folded value per element: several rows of one slot are added up
    /// (a key the database grouped under two spellings, found for a stray),
    /// elements sharing a key each get the value, an element without a key
    /// or without rows gets the value of nothing.
    #[test]
    fn fold_adds_a_slots_rows_and_hands_each_element_its_value() {
        let elements = [Some(7), Some(3), None, Some(7), Some(9)];
        let slots = Slots::new(&elements, Option::as_ref);
        // (key, count): 4 is a stray the database matched to 7.
        let rows: Vec<(Option<i32>, i64)> = vec![(Some(3), 2), (Some(7), 5), (Some(4), 1)];
        fn row_key(row: &(Option<i32>, i64)) -> Option<&i32> {
            row.0.as_ref()
        }
        let (slot_of_row, strays) = slots.of_rows(&rows, row_key);
        assert_eq!(strays, [4]);
        let (rows, groups) = Groups::new(slots, Rows::all(rows), slot_of_row, row_key, &[(4, 7)]);
        let fold = Fold {
            first: |n: i64| vec![n],
            add: |acc: &mut Vec<i64>, n| acc.push(n),
            finish: |acc: Option<Vec<i64>>| acc.unwrap_or_default(),
        };
        let out: Vec<With<Option<i32>, (), Vec<i64>>> =
            fold.hand_out(elements.to_vec(), groups, rows.into_iter().map(|r| r.1));
        let values: Vec<(Option<i32>, Vec<i64>)> = out.into_iter().map(With::into_parts).collect();
        assert_eq!(
            values,
            [
                (Some(7), vec![5, 1]),
                (Some(3), vec![2]),
                (None, vec![]),
                (Some(7), vec![5, 1]),
                (Some(9), vec![]),
            ]
        );
    }

    /// Rows grouped as they come give each slot its rows in row order,
    /// whether keys come clustered or interleaved; put back in row order,
    /// they are the rows with the slots [`Slots::of_rows`] gives.
    #[test]
    fn grouper_keeps_row_order_and_gives_back_the_rows_in_order() {
        let elements = [Some(7), Some(3), Some(9), Some(3)];
        let slots = Slots::new(&elements, Option::as_ref);
        // (key, row number): clustered runs, an interleaved key, two strays
        // (4, 5) and a NULL key between them.
        let rows: Vec<(Option<i32>, u32)> = [
            Some(7),
            Some(7),
            Some(4),
            Some(3),
            None,
            Some(7),
            Some(4),
            Some(5),
            Some(9),
            Some(9),
        ]
        .into_iter()
        .zip(0..)
        .collect();
        fn row_key(row: &(Option<i32>, u32)) -> Option<&i32> {
            row.0.as_ref()
        }

        let mut grouper = Grouper::new(&slots, row_key);
        rows.iter().copied().for_each(|row| grouper.push(row));
        let mut strays = grouper.stray_keys();
        strays.sort_unstable();
        assert_eq!(strays, [4, 5]);
        let numbers =
            |group: &Vec<(Option<i32>, u32)>| group.iter().map(|r| r.1).collect::<Vec<_>>();
        let Ok(groups) = grouper.finish() else {
            panic!("ten rows are too few to give up grouping")
        };
        assert_eq!(
            groups.iter().map(numbers).collect::<Vec<_>>(),
            [vec![0, 1, 5], vec![3], vec![8, 9]]
        );

        let mut grouper = Grouper::new(&slots, row_key);
        rows.iter().copied().for_each(|row| grouper.push(row));
        let (back, slot_of_row) = grouper.into_rows();
        assert_eq!(back, rows);
        assert_eq!(slot_of_row, slots.of_rows(&rows, row_key).0);
    }

    /// Rows that do not come clustered by key make the grouper fall back
    /// to a flat list part-way through, which still holds every row in row
    /// order with its slot; clustered rows stay grouped.
    #[test]
    fn grouper_falls_back_to_rows_in_order_when_keys_interleave() {
        fn row_key(row: &(Option<i32>, u32)) -> Option<&i32> {
            row.0.as_ref()
        }
        let elements: Vec<Option<i32>> = (0..100).map(Some).collect();
        let slots = Slots::new(&elements, Option::as_ref);
        // 3,000 rows, keys 0..100 round-robin (plus a stray every 500th).
        let interleaved: Vec<(Option<i32>, u32)> = (0..3000u32)
            .map(|n| (Some(if n % 500 == 7 { -1 } else { (n % 100) as i32 }), n))
            .collect();
        let mut grouper = Grouper::new(&slots, row_key);
        interleaved
            .iter()
            .copied()
            .for_each(|row| grouper.push(row));
        assert_eq!(grouper.stray_keys(), [-1]);
        let Err((back, slot_of_row)) = grouper.finish() else {
            panic!("round-robin keys must not stay grouped")
        };
        assert_eq!(back, interleaved);
        assert_eq!(slot_of_row, slots.of_rows(&interleaved, row_key).0);

        let mut clustered = interleaved.clone();
        clustered.sort_by_key(|row| row.0);
        let mut grouper = Grouper::new(&slots, row_key);
        clustered.iter().copied().for_each(|row| grouper.push(row));
        let Ok(groups) = grouper.finish() else {
            panic!("clustered keys stay grouped")
        };
        for (slot, group) in groups.iter().enumerate() {
            assert!(group.iter().all(|row| row.0 == Some(slot as i32)));
            assert!(group.is_sorted_by_key(|row| row.1));
        }
        assert_eq!(groups.iter().map(Vec::len).sum::<usize>(), 3000 - 6);
    }

    /// Runs of equal keys take one lookup; the slots must not depend on
    /// whether the keys come clustered, interleaved, or broken by `None`.
    #[test]
    fn slots_are_the_same_for_clustered_and_interleaved_keys() {
        let elements = [
            Some(7),
            Some(7),
            Some(3),
            None,
            Some(3),
            Some(7),
            Some(9),
            None,
            Some(9),
            Some(9),
        ];
        let slots = Slots::new(&elements, Option::as_ref);
        assert_eq!(slots.of_element, [0, 0, 1, NO_SLOT, 1, 0, 2, NO_SLOT, 2, 2]);
        assert_eq!(slots.uses, [3, 2, 3]);
        assert_eq!(slots.keys(), [7, 3, 9]);

        // Rows: a stray key (4) in a run of its own, twice, between known keys.
        let rows = [
            Some(9),
            Some(9),
            Some(4),
            Some(4),
            None,
            Some(7),
            Some(4),
            Some(3),
        ];
        let (slot_of_row, strays) = slots.of_rows(&rows, Option::as_ref);
        assert_eq!(
            slot_of_row,
            [2, 2, NO_SLOT, NO_SLOT, NO_SLOT, 0, NO_SLOT, 1]
        );
        assert_eq!(strays, [4]);
    }
}
