//! The statements the loaders run, built once here for every relation.
//!
//! Each statement starts as `SELECT <Model::as_select()> FROM <table>` boxed for
//! the connection's backend, so every later step (key filter, default order, and
//! the user's own filters) works on one nameable type, [`ModelQuery`].

use diesel::backend::Backend;
use diesel::connection::DefaultLoadingMode;
use diesel::dsl::AsSelect;
use diesel::dsl::{EqAny, IntoBoxed, Select, SqlTypeOf};
use diesel::expression::AsExpression;
use diesel::internal::table_macro::{Inner, Join, JoinOn};
use diesel::query_builder::QueryFragment;
use diesel::query_dsl::methods::{BoxedDsl, FilterDsl, OrderDsl, SelectDsl, ThenOrderDsl};
use diesel::query_dsl::{InternalJoinDsl, LoadQuery};
use diesel::query_source::{QuerySource, TableNotEqual};
use diesel::sql_types::SingleValue;
use diesel::SelectableHelper;
use diesel::{
    Connection, Expression, ExpressionMethods, QueryResult, RunQueryDsl, Selectable, Table,
};

use crate::batch::{chunks, chunks_for, ChildOrder, KeyBatching};
use crate::join::{join, JoinOnKey, Joined};
use crate::mode::Mode;
use crate::model::{KeyOrder, Model, PrimaryKey};
use crate::prefetch::{Rows, Window};
use crate::relation::{BelongsTo, HasMany};
use crate::top_n::{Cut, OrderTerm, OrderTerms, TopN};
use crate::two_step::{assemble, target_keys, targets_by_parents, two_step, BuildLinks, Link};

/// `SELECT <M::as_select()> FROM <M's table>`, boxed for backend `DB`.
pub type ModelQuery<M, DB> = <M as SelectModel<DB>>::Query;

/// The primary-key column(s) of model `M`'s table.
pub type PrimaryKeyColumns<M> = <<M as Model>::Table as Table>::PrimaryKey;

/// The key type of parent `P`.
pub type KeyOf<P> = <P as PrimaryKey>::Key;

/// The primary-key column of parent `P`.
pub type KeyColumn<P> = <P as PrimaryKey>::Column;

/// A model that can be selected as a whole over backend `DB`.
///
/// Blanket-implemented for every model Diesel can select on `DB`; its `Query`
/// is `books::table.select(Book::as_select()).into_boxed()`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be selected over backend `{DB}`",
    label = "`{Self}` is not `Selectable` for this backend",
    note = "derive `Selectable` on `{Self}` and check its fields against the schema (`#[diesel(check_for_backend(...))]` shows which field does not fit)"
)]
pub trait SelectModel<DB: Backend>: Model + Selectable<DB> {
    /// The boxed `SELECT`.
    type Query: 'static;
    /// `SELECT <Self::as_select()> FROM <table>`, boxed.
    fn select_model() -> Self::Query;
}

impl<M, DB> SelectModel<DB> for M
where
    DB: Backend + 'static,
    M: Model + Selectable<DB>,
    AsSelect<M, DB>: Expression,
    M::Table: SelectDsl<AsSelect<M, DB>>,
    Select<M::Table, AsSelect<M, DB>>: BoxedDsl<'static, DB>,
{
    type Query = IntoBoxed<'static, Select<M::Table, AsSelect<M, DB>>, DB>;

    #[inline]
    fn select_model() -> Self::Query {
        M::Table::default()
            .select(M::as_select())
            .internal_into_boxed()
    }
}

/// The statements that load the children of has-many relation `Self` over
/// backend `DB`, one per chunk of keys:
/// `SELECT <child> FROM <child table> WHERE <fk> IN (<keys>) ORDER BY ...` (no
/// `ORDER BY` where the rows are sorted in memory, [`ChildOrder::InMemory`]),
/// or its top-N form. Built here once for blocking and async loading alike.
///
/// Blanket-implemented for every [`HasMany`] relation whose tables and columns
/// Diesel can query on `DB`.
#[diagnostic::on_unimplemented(
    message = "the child query of relation `{Self}` cannot be built for backend `{DB}`",
    label = "the child query of `{Self}` does not type-check for this backend",
    note = "check that the child model is `Selectable` for this backend (`#[diesel(check_for_backend(...))]` shows why not), that its table is in the schema, and that the matching feature of relations-runtime is enabled"
)]
pub trait BuildChildren<DB: Backend>: HasMany<Child: SelectModel<DB>> {
    /// One statement per chunk of `keys` (one in all on PostgreSQL), as
    /// `spec` says.
    fn statements(
        keys: Vec<KeyOf<Self::Parent>>,
        spec: &ChildSpec<'_, Self, DB>,
    ) -> ChildStatements<Self, DB>;
}

/// The statements of a has-many load: plain, or top-N per parent.
#[doc(hidden)]
pub enum Statements<Plain, TopN> {
    /// `SELECT .. WHERE fk IN (..) ORDER BY ..`, one per chunk.
    Plain(Vec<Plain>),
    /// The same without `ORDER BY`: the rows are put in the child's
    /// primary-key order in memory ([`ChildOrder::InMemory`]).
    Unordered(Vec<Plain>),
    /// The same inside a `ROW_NUMBER()` window, one per chunk.
    TopN(Vec<TopN>),
    /// The plain statements in the window's order, each parent's rows outside
    /// `offset..offset + limit` dropped while they are read
    /// ([`KeyBatching::top_n_by_window`] is `false`).
    Cut {
        /// One per chunk.
        statements: Vec<Plain>,
        /// Rows skipped per parent.
        offset: u32,
        /// Rows kept per parent after the offset; `None`: all.
        limit: Option<u32>,
    },
}

/// The statements [`BuildChildren`] builds for relation `R` on backend `DB`.
pub type ChildStatements<R, DB> =
    Statements<ModelQuery<<R as HasMany>::Child, DB>, TopNQuery<R, DB>>;

impl<R, DB> BuildChildren<DB> for R
where
    R: HasMany,
    DB: KeyBatching,
    R::Child: SelectModel<DB>,
    SqlTypeOf<R::Column>: SingleValue,
    KeyOf<R::Parent>: AsExpression<SqlTypeOf<R::Column>>,
    ModelQuery<R::Child, DB>: FilterDsl<EqAny<R::Column, Vec<KeyOf<R::Parent>>>, Output = ModelQuery<R::Child, DB>>
        + OrderDsl<PrimaryKeyColumns<R::Child>, Output = ModelQuery<R::Child, DB>>
        + OrderDsl<(R::Column, PrimaryKeyColumns<R::Child>), Output = ModelQuery<R::Child, DB>>
        + OrderDsl<OrderTerms<DB>, Output = ModelQuery<R::Child, DB>>
        + QueryFragment<DB>,
    TopNQuery<R, DB>: QueryFragment<DB>,
    AsSelect<R::Child, DB>: QueryFragment<DB>,
    PrimaryKeyColumns<R::Child>: QueryFragment<DB> + Send + Sync + 'static,
{
    fn statements(
        keys: Vec<KeyOf<R::Parent>>,
        spec: &ChildSpec<'_, R, DB>,
    ) -> ChildStatements<R, DB> {
        let table = <R::Child as Model>::Table::default();
        // Each parent's children in primary-key order (grouping keeps only
        // the order within a parent, the same for every choice below). An
        // unrefined load on a backend that would rather not sort, of a child
        // whose key the loader can compare, sorts in memory instead.
        let child_order = DB::child_order();
        let in_memory = child_order == ChildOrder::InMemory
            && <<R::Child as Model>::KeyOrder as KeyOrder<R::Child>>::IN_MEMORY
            && spec.refine.is_none()
            && spec.limit_per_parent.is_none()
            && spec.offset_per_parent == 0;
        // The user's refinement sees the query without keys, and the key
        // filter is put around all of it: `WHERE (<refinement>) AND fk IN
        // (<chunk>)`, so an `or_filter` cannot reach past a chunk's keys.
        // The default order comes first, for the refinement to replace.
        let query = |chunk| {
            let select = R::Child::select_model();
            let ordered = if in_memory {
                select
            } else {
                match child_order {
                    ChildOrder::OrderByForeignKeyThenKey => {
                        select.order((R::Column::default(), table.primary_key()))
                    }
                    ChildOrder::OrderByKey | ChildOrder::InMemory => {
                        select.order(table.primary_key())
                    }
                }
            };
            let refined = match spec.refine {
                Some(refine) => refine(ordered),
                None => ordered,
            };
            refined.filter(R::Column::default().eq_any(chunk))
        };
        let refined = spec.refine.is_some();
        match (spec.limit_per_parent, spec.offset_per_parent) {
            (None, 0) => {
                let statements = chunks_for::<DB, _, _>(keys, refined, query)
                    .into_iter()
                    .map(query)
                    .collect();
                if in_memory {
                    Statements::Unordered(statements)
                } else {
                    Statements::Plain(statements)
                }
            }
            (limit, offset) => {
                // The window orders by the user's terms, then by primary key
                // so that ties are broken the same way on every backend.
                let mut order = spec.order.to_vec();
                order.push(std::sync::Arc::new(table.primary_key()));
                // The window reads the model's columns only (the derived
                // table is the child query): ordering by any other column
                // runs as the cut, which gives the same rows.
                let selection = R::Child::as_select();
                if !DB::top_n_by_window()
                    || !crate::top_n::orders_by_selected::<DB>(&order, &selection)
                {
                    let cut = |chunk| query(chunk).order(OrderTerms(order.clone()));
                    return Statements::Cut {
                        statements: chunks_for::<DB, _, _>(keys, refined, cut)
                            .into_iter()
                            .map(cut)
                            .collect(),
                        offset,
                        limit,
                    };
                }
                let top_n = |chunk| TopN {
                    inner: query(chunk),
                    table,
                    partition_by: R::Column::default(),
                    selection: R::Child::as_select(),
                    order: order.clone(),
                    offset,
                    limit,
                };
                Statements::TopN(
                    chunks_for::<DB, _, _>(keys, refined, top_n)
                        .into_iter()
                        .map(top_n)
                        .collect(),
                )
            }
        }
    }
}

/// Loading the children of has-many relation `Self` over blocking connection
/// `C`: runs the statements of [`BuildChildren`].
///
/// Blanket-implemented for every [`HasMany`] relation whose tables and columns
/// Diesel can query on `C`.
#[diagnostic::on_unimplemented(
    message = "relation `{Self}` cannot be loaded over connection `{C}`",
    label = "the child query of `{Self}` does not type-check for this connection",
    note = "on a diesel-async connection, call the loader's `_async` twin and await it: `.prefetch_books(conn)` becomes `.prefetch_books_async(conn).await` (feature `async`)",
    note = "check that the child model is `Selectable` for this backend (`#[diesel(check_for_backend(...))]` shows why not), that its table is in the schema, and that the matching feature of relations-runtime is enabled"
)]
pub trait LoadHasMany<C: Connection>:
    BuildChildren<C::Backend> + HasMany<Parent: LoadByKeys<C>>
{
    /// The children of these parent keys (one statement per chunk of keys),
    /// in child primary-key order within each chunk.
    fn load_children(
        keys: Vec<KeyOf<Self::Parent>>,
        conn: &mut C,
    ) -> QueryResult<Vec<Self::Child>> {
        Ok(Self::load_children_with(keys, conn, &ChildSpec::all())?.into_vec())
    }

    /// Like [`load_children`](Self::load_children), as `spec` says: its
    /// `refine` is applied to each chunk's query after the key filter and the
    /// default order (it may add filters and replace the order), and with a
    /// `limit_per_parent` only the first N children of each parent come back
    /// (or all, with the window left to apply, where a row's parent can only
    /// be told by the database's collation).
    #[doc(hidden)]
    fn load_children_with(
        keys: Vec<KeyOf<Self::Parent>>,
        conn: &mut C,
        spec: &ChildSpec<'_, Self, C::Backend>,
    ) -> QueryResult<Rows<Self::Child>> {
        let mut rows = Vec::new();
        let left = Self::load_children_into(keys, conn, spec, &mut |row| rows.push(row))?;
        Ok(match left {
            Left::Nothing => Rows::all(rows),
            Left::Window(window) => Rows {
                rows,
                window: Some(window),
            },
            Left::SortByKey(sort) => {
                sort(&mut rows);
                Rows::all(rows)
            }
        })
    }

    /// The children as [`load_children_with`](Self::load_children_with)
    /// loads them, each row handed to `sink` soon after it is decoded, in the
    /// database's order; returns what is left to do with them. A loader
    /// that groups the rows as they come never holds them all in one list.
    #[doc(hidden)]
    fn load_children_into(
        keys: Vec<KeyOf<Self::Parent>>,
        conn: &mut C,
        spec: &ChildSpec<'_, Self, C::Backend>,
        sink: &mut dyn FnMut(Self::Child),
    ) -> QueryResult<Left<Self::Child>>;
}

/// What is left to do with the rows a load handed over one by one.
#[doc(hidden)]
pub enum Left<Row> {
    /// Nothing: they are the children, in order.
    Nothing,
    /// Each parent's rows inside this window are its children.
    Window(Window),
    /// They came in no particular order: sort them (or each parent's
    /// rows) by primary key.
    SortByKey(fn(&mut [Row])),
}

/// What to load of a has-many relation, besides the keys: built by
/// [`Prefetch`](crate::Prefetch).
pub struct ChildSpec<'a, R: ?Sized, DB>
where
    R: HasMany,
    DB: Backend,
    R::Child: SelectModel<DB>,
{
    pub(crate) refine: Option<&'a RefineQuery<R::Child, DB>>,
    pub(crate) order: &'a [OrderTerm<DB>],
    pub(crate) limit_per_parent: Option<u32>,
    pub(crate) offset_per_parent: u32,
}

impl<R: ?Sized, DB> ChildSpec<'_, R, DB>
where
    R: HasMany,
    DB: Backend,
    R::Child: SelectModel<DB>,
{
    /// The per-parent window, if the spec has one.
    pub(crate) fn window(&self) -> Option<Window> {
        match (self.limit_per_parent, self.offset_per_parent) {
            (None, 0) => None,
            (limit, offset) => Some(Window { offset, limit }),
        }
    }

    /// Every child, by primary key.
    pub fn all() -> Self {
        ChildSpec {
            refine: None,
            order: &[],
            limit_per_parent: None,
            offset_per_parent: 0,
        }
    }
}

/// A refinement of the child query of model `M` over backend `DB`.
pub(crate) type RefineQuery<M, DB> = dyn Fn(ModelQuery<M, DB>) -> ModelQuery<M, DB>;

/// The top-N statement of has-many relation `R` over backend `DB`.
pub type TopNQuery<R, DB> = TopN<
    ModelQuery<<R as HasMany>::Child, DB>,
    <<R as HasMany>::Child as Model>::Table,
    <R as HasMany>::Column,
    AsSelect<<R as HasMany>::Child, DB>,
    DB,
>;

/// The boxed child query of has-many relation `R` in mode `M` (a blocking
/// connection, or `Async<C>`).
pub type ChildQuery<R, M> = ModelQuery<<R as HasMany>::Child, <M as Mode>::Backend>;

// A failing bound is reported as this trait, with its message, rather than
// as a Diesel trait deep inside the statement.
#[diagnostic::do_not_recommend]
impl<R, C> LoadHasMany<C> for R
where
    C: Connection,
    R: BuildChildren<C::Backend>,
    R::Parent: LoadByKeys<C>,
    ModelQuery<R::Child, C::Backend>: LoadQuery<'static, C, R::Child>,
    TopNQuery<R, C::Backend>: LoadQuery<'static, C, R::Child>,
{
    fn load_children_into(
        keys: Vec<KeyOf<R::Parent>>,
        conn: &mut C,
        spec: &ChildSpec<'_, R, C::Backend>,
        sink: &mut dyn FnMut(R::Child),
    ) -> QueryResult<Left<R::Child>> {
        let cut_keys = spec.window().map(|_| keys.clone());
        match R::statements(keys, spec) {
            Statements::Plain(statements) => {
                stream_all(statements, conn, sink)?;
                Ok(Left::Nothing)
            }
            Statements::Unordered(statements) => {
                stream_all(statements, conn, sink)?;
                Ok(Left::SortByKey(
                    <<R::Child as Model>::KeyOrder as KeyOrder<R::Child>>::sort,
                ))
            }
            Statements::TopN(statements) => {
                stream_all(statements, conn, sink)?;
                Ok(Left::Nothing)
            }
            Statements::Cut {
                statements,
                offset,
                limit,
            } => {
                let keys = cut_keys.unwrap_or_default();
                let mut cut = Cut::<R>::new(offset, limit, &keys);
                stream_all(statements, conn, &mut |child| cut.push(child))?;
                if let Some(rows) = cut.into_rows() {
                    rows.into_iter().for_each(sink);
                    return Ok(Left::Nothing);
                }
                // A row matched its parent only under the collation: read
                // the rows again, uncut, and cut them once matched.
                match R::statements(keys, spec) {
                    Statements::Cut { statements, .. }
                    | Statements::Plain(statements)
                    | Statements::Unordered(statements) => stream_all(statements, conn, sink)?,
                    Statements::TopN(statements) => stream_all(statements, conn, sink)?,
                }
                Ok(Left::Window(Window { offset, limit }))
            }
        }
    }
}

/// Run each statement, handing its rows to `sink` in statement and row
/// order, [`STREAM_BATCH`] at a time: rows are decoded in one tight loop
/// and handed over in another. Handing each row over as it was decoded was
/// 8–9 % slower on SQLite (BENCHMARKS.md, session 17; measured, the cause
/// not established). A batch holds rows only until it moves them on, so the
/// peak does not change.
fn stream_all<Q, C, T>(statements: Vec<Q>, conn: &mut C, sink: &mut dyn FnMut(T)) -> QueryResult<()>
where
    C: Connection,
    Q: LoadQuery<'static, C, T>,
{
    let mut batch = Vec::with_capacity(STREAM_BATCH);
    for statement in statements {
        for row in statement.load_iter::<T, DefaultLoadingMode>(conn)? {
            batch.push(row?);
            if batch.len() == STREAM_BATCH {
                batch.drain(..).for_each(&mut *sink);
            }
        }
    }
    batch.into_iter().for_each(sink);
    Ok(())
}

/// Rows decoded before they are handed over ([`stream_all`]).
const STREAM_BATCH: usize = 128;

/// Run each statement and concatenate the rows, in statement order.
pub(crate) fn run_all<Q, T>(
    statements: Vec<Q>,
    mut load: impl FnMut(Q) -> QueryResult<Vec<T>>,
) -> QueryResult<Vec<T>> {
    let mut rows = Vec::new();
    for statement in statements {
        let mut chunk = load(statement)?;
        if rows.is_empty() {
            rows = chunk;
        } else {
            rows.append(&mut chunk);
        }
    }
    Ok(rows)
}

/// The statements that find rows of model `Self` by primary key over backend
/// `DB`, one per chunk of keys: `SELECT <model> FROM <table> WHERE <pk> IN
/// (<keys>)`. What belongs-to loading runs, and what finds the parent of a
/// row whose key equals its parent's only under the database's collation.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be looked up by primary key over backend `{DB}`",
    label = "its key query does not type-check for this backend",
    note = "check that `{Self}` is `Selectable` for this backend, that its table is in the schema, and that the matching feature of relations-runtime is enabled"
)]
pub trait BuildByKeys<DB: Backend>: PrimaryKey + SelectModel<DB> {
    /// One statement per chunk of `keys` (one in all on PostgreSQL).
    fn by_keys(keys: Vec<Self::Key>) -> Vec<ModelQuery<Self, DB>>;
}

impl<P, DB> BuildByKeys<DB> for P
where
    P: PrimaryKey + SelectModel<DB>,
    DB: KeyBatching,
    KeyColumn<P>: Expression,
    SqlTypeOf<KeyColumn<P>>: SingleValue,
    KeyOf<P>: AsExpression<SqlTypeOf<KeyColumn<P>>>,
    ModelQuery<P, DB>: FilterDsl<EqAny<KeyColumn<P>, Vec<KeyOf<P>>>, Output = ModelQuery<P, DB>>,
{
    fn by_keys(keys: Vec<KeyOf<P>>) -> Vec<ModelQuery<P, DB>> {
        chunks::<DB, _>(keys)
            .into_iter()
            .map(|chunk| P::select_model().filter(KeyColumn::<P>::default().eq_any(chunk)))
            .collect()
    }
}

/// Finding rows of model `Self` by primary key over blocking connection `C`:
/// runs the statements of [`BuildByKeys`].
pub trait LoadByKeys<C: Connection>: BuildByKeys<C::Backend> {
    /// The rows with these keys, in no particular order.
    fn load_by_keys(keys: Vec<Self::Key>, conn: &mut C) -> QueryResult<Vec<Self>>;
}

impl<P, C> LoadByKeys<C> for P
where
    C: Connection,
    P: BuildByKeys<C::Backend>,
    ModelQuery<P, C::Backend>: LoadQuery<'static, C, P>,
{
    fn load_by_keys(keys: Vec<KeyOf<P>>, conn: &mut C) -> QueryResult<Vec<P>> {
        run_all(P::by_keys(keys), |q| q.load(conn))
    }
}

/// The statements that load the parents of belongs-to relation `Self` over
/// backend `DB`, one per chunk of keys:
/// `SELECT <parent> FROM <parent table> WHERE <pk> IN (<keys>)`
/// ([`BuildByKeys`] of the parent).
#[diagnostic::on_unimplemented(
    message = "the parent query of relation `{Self}` cannot be built for backend `{DB}`",
    label = "the parent query of `{Self}` does not type-check for this backend",
    note = "check that the parent model is `Selectable` for this backend, that its table is in the schema, and that the matching feature of relations-runtime is enabled"
)]
pub trait BuildParents<DB: Backend>: BelongsTo<Reverse: HasMany<Parent: BuildByKeys<DB>>> {
    /// One statement per chunk of `keys` (one in all on PostgreSQL).
    fn statements(keys: Vec<KeyOf<ParentOf<Self>>>) -> Vec<ModelQuery<ParentOf<Self>, DB>> {
        ParentOf::<Self>::by_keys(keys)
    }
}

impl<R, DB> BuildParents<DB> for R
where
    R: BelongsTo,
    DB: Backend,
    ParentOf<R>: BuildByKeys<DB>,
{
}

/// Loading the parents of belongs-to relation `Self` over blocking connection
/// `C`: runs the statements of [`BuildParents`].
///
/// Blanket-implemented for every [`BelongsTo`] relation whose tables and
/// columns Diesel can query on `C`.
#[diagnostic::on_unimplemented(
    message = "relation `{Self}` cannot be loaded over connection `{C}`",
    label = "the parent query of `{Self}` does not type-check for this connection",
    note = "on a diesel-async connection, call the loader's `_async` twin and await it: `.prefetch_books(conn)` becomes `.prefetch_books_async(conn).await` (feature `async`)",
    note = "check that the parent model is `Selectable` for this backend, that its table is in the schema, and that the matching feature of relations-runtime is enabled"
)]
pub trait LoadBelongsTo<C: Connection>:
    BuildParents<C::Backend> + BelongsTo<Reverse: HasMany<Parent: LoadByKeys<C>>>
{
    /// The parents with these keys (one statement per chunk), in no particular order.
    fn load_parents(
        keys: Vec<KeyOf<ParentOf<Self>>>,
        conn: &mut C,
    ) -> QueryResult<Vec<ParentOf<Self>>>;
}

/// The parent model of belongs-to relation `R`.
pub type ParentOf<R> = <<R as BelongsTo>::Reverse as HasMany>::Parent;

// A failing bound is reported as this trait, with its message, rather than
// as a Diesel trait deep inside the statement.
#[diagnostic::do_not_recommend]
impl<R, C> LoadBelongsTo<C> for R
where
    C: Connection,
    R: BuildParents<C::Backend>,
    ParentOf<R>: LoadByKeys<C>,
{
    fn load_parents(keys: Vec<KeyOf<ParentOf<R>>>, conn: &mut C) -> QueryResult<Vec<ParentOf<R>>> {
        ParentOf::<R>::load_by_keys(keys, conn)
    }
}

/// How the join table of many-to-many relation `Self` joins its target
/// table: `through.target_fk = target.pk`. Implemented by the derive; the
/// statement is built by [`BuildManyToMany`], once for all relations.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a many-to-many relation",
    label = "expected a relation declared with `many_to_many = \"...\"`"
)]
pub trait JoinManyToMany: crate::relation::ManyToMany {
    /// The join table's column to the parent (`book_tags::book_id`), selected
    /// beside the target to group the rows.
    type Source: Default;
    /// The join table's column to the target (`book_tags::tag_id`): the join
    /// is `ON through.target_fk = target.pk`.
    type TargetColumn: Default;
    /// The join model's primary key as Rust values (`i32`, or a tuple for a
    /// composite key), selected beside the target: the links are put in its
    /// order after loading, so the database does not sort them.
    type LinkKey;
}

pub(crate) type ThroughTable<R> = <<R as crate::relation::ManyToMany>::Through as Model>::Table;
pub(crate) type TargetTable<R> = <<R as crate::relation::ManyToMany>::Target as Model>::Table;
type ManyToManySelection<R, DB> = (
    <R as JoinManyToMany>::Source,
    PrimaryKeyColumns<<R as crate::relation::ManyToMany>::Through>,
    AsSelect<<R as crate::relation::ManyToMany>::Target, DB>,
);
pub(crate) type ManyToManyOn<R> = <Inner as JoinOnKey<
    <R as JoinManyToMany>::TargetColumn,
    PrimaryKeyColumns<<R as crate::relation::ManyToMany>::Target>,
>>::On;
pub(crate) type ManyToManyJoin<R> = Joined<ThroughTable<R>, TargetTable<R>, Inner, ManyToManyOn<R>>;

/// The boxed statement of many-to-many relation `R` in mode `M` (a blocking
/// connection, or `Async<C>`).
pub type ManyToManyQuery<R, M> = <R as BuildManyToMany<<M as Mode>::Backend>>::Query;

/// The first-step statement of the two-step many-to-many plan.
pub(crate) type LinksQuery<R, DB> = <R as BuildLinks<DB>>::Query;

/// One loaded link of many-to-many relation `R`: the parent's key, the link's
/// key (for the link order) and the target.
pub type LinkRow<R> = (
    KeyOf<<R as crate::relation::ManyToMany>::Parent>,
    <R as JoinManyToMany>::LinkKey,
    <R as crate::relation::ManyToMany>::Target,
);

/// What to load of a many-to-many relation, besides the keys: built by
/// [`PrefetchThrough`](crate::PrefetchThrough).
pub struct ThroughSpec<'a, R: ?Sized, DB>
where
    R: BuildManyToMany<DB>,
    DB: Backend,
{
    pub(crate) refine: &'a dyn Fn(R::Query) -> R::Query,
    /// Whether `refine` does anything (it may add binds to the statement).
    pub(crate) refined: bool,
    /// Whether `refine` orders the rows; if not, the links are put in the
    /// join table's key order after loading.
    pub(crate) ordered: bool,
}

/// The statements that load many-to-many relation `Self` over backend `DB`,
/// one per chunk of keys: `SELECT through.parent_fk, through.pk, <target>
/// FROM through INNER JOIN target ON through.target_fk = target.pk`, boxed,
/// filtered by parent key, then refined. Unordered unless the refinement
/// orders (then ties are broken by the join table's key): the loader puts
/// the links in key order itself, which costs a database a sort of every
/// joined row (MariaDB: a filesort). Blanket-implemented, so it is
/// type-checked only where the relation is loaded.
#[diagnostic::on_unimplemented(
    message = "the many-to-many relation `{Self}` cannot be loaded over backend `{DB}`",
    label = "its join query does not type-check for this backend",
    note = "both tables must be listed in `diesel::allow_tables_to_appear_in_same_query!` (diesel print-schema writes it), and the matching feature of relations-runtime must be enabled"
)]
pub trait BuildManyToMany<DB: Backend>: JoinManyToMany {
    /// The boxed join; `.filter()`/`.order()` on it may name either table's columns.
    type Query;
    /// One statement per chunk of `keys` (one in all on PostgreSQL).
    fn statements(
        keys: Vec<KeyOf<Self::Parent>>,
        spec: &ThroughSpec<'_, Self, DB>,
    ) -> Vec<Self::Query>;
}

impl<R, DB> BuildManyToMany<DB> for R
where
    R: JoinManyToMany,
    DB: KeyBatching,
    ThroughTable<R>: TableNotEqual<TargetTable<R>>,
    TargetTable<R>: TableNotEqual<ThroughTable<R>>,
    R::Target: Selectable<DB>,
    ManyToManySelection<R, DB>: Expression,
    Inner: JoinOnKey<R::TargetColumn, PrimaryKeyColumns<R::Target>>,
    PrimaryKeyColumns<R::Target>: Default,
    PrimaryKeyColumns<R::Through>: Default,
    ThroughTable<R>:
        InternalJoinDsl<TargetTable<R>, Inner, ManyToManyOn<R>, Output = ManyToManyJoin<R>>,
    JoinOn<Join<ThroughTable<R>, TargetTable<R>, Inner>, ManyToManyOn<R>>: QuerySource,
    ManyToManyJoin<R>: SelectDsl<ManyToManySelection<R, DB>>,
    Select<ManyToManyJoin<R>, ManyToManySelection<R, DB>>: BoxedDsl<'static, DB>,
    IntoBoxed<'static, Select<ManyToManyJoin<R>, ManyToManySelection<R, DB>>, DB>: FilterDsl<
            R::KeyFilter,
            Output = IntoBoxed<'static, Select<ManyToManyJoin<R>, ManyToManySelection<R, DB>>, DB>,
        > + ThenOrderDsl<
            PrimaryKeyColumns<R::Through>,
            Output = IntoBoxed<'static, Select<ManyToManyJoin<R>, ManyToManySelection<R, DB>>, DB>,
        > + QueryFragment<DB>,
{
    type Query = IntoBoxed<'static, Select<ManyToManyJoin<R>, ManyToManySelection<R, DB>>, DB>;

    fn statements(keys: Vec<KeyOf<R::Parent>>, spec: &ThroughSpec<'_, R, DB>) -> Vec<Self::Query> {
        let statement = |chunk| {
            let on = Inner::on(
                R::TargetColumn::default(),
                PrimaryKeyColumns::<R::Target>::default(),
            );
            let join = join::<ThroughTable<R>, TargetTable<R>, Inner, ManyToManyOn<R>>(on);
            let query = join
                .select((
                    R::Source::default(),
                    PrimaryKeyColumns::<R::Through>::default(),
                    R::Target::as_select(),
                ))
                .internal_into_boxed();
            // The key filter around the whole refinement, as for has-many.
            let query = (spec.refine)(query).filter(R::key_filter(chunk));
            if spec.ordered {
                query.then_order_by(PrimaryKeyColumns::<R::Through>::default())
            } else {
                query
            }
        };
        chunks_for::<DB, _, _>(keys, spec.refined, statement)
            .into_iter()
            .map(statement)
            .collect()
    }
}

/// Loading many-to-many relation `Self` over blocking connection `C`.
/// Blanket-implemented.
#[diagnostic::on_unimplemented(
    message = "many-to-many relation `{Self}` cannot be loaded over connection `{C}`",
    label = "its join query does not type-check for this connection",
    note = "on a diesel-async connection, call the loader's `_async` twin and await it: `.prefetch_books(conn)` becomes `.prefetch_books_async(conn).await` (feature `async`)",
    note = "check that the target model is `Selectable` for this backend, that both tables are in the schema, and that the matching feature of relations-runtime is enabled"
)]
pub trait LoadManyToMany<C: Connection>:
    BuildManyToMany<C::Backend> + crate::relation::ManyToMany<Parent: LoadByKeys<C>>
{
    /// The links of these parent keys, one statement per chunk of keys, in
    /// link order (the join table's key) unless `spec` orders otherwise.
    fn load_targets(
        keys: Vec<KeyOf<Self::Parent>>,
        conn: &mut C,
        spec: &ThroughSpec<'_, Self, C::Backend>,
    ) -> QueryResult<Vec<LinkRow<Self>>>;
}

// A failing bound is reported as this trait, with its message, rather than
// as a Diesel trait deep inside the statement.
#[diagnostic::do_not_recommend]
impl<R, C> LoadManyToMany<C> for R
where
    C: Connection,
    C::Backend: KeyBatching,
    R: BuildManyToMany<C::Backend> + BuildLinks<C::Backend>,
    R::Parent: LoadByKeys<C>,
    R::Target: LoadByKeys<C> + Clone,
    R::TargetColumn: crate::aggregate::KeyColumn<KeyOf<R::Target>>,
    R::LinkKey: Ord,
    ManyToManyQuery<R, C>: LoadQuery<'static, C, LinkRow<R>>,
    LinksQuery<R, C::Backend>: LoadQuery<'static, C, Link<R>>,
    ModelQuery<R::Target, C::Backend>: LoadQuery<'static, C, R::Target>,
{
    fn load_targets(
        keys: Vec<KeyOf<R::Parent>>,
        conn: &mut C,
        spec: &ThroughSpec<'_, R, C::Backend>,
    ) -> QueryResult<Vec<LinkRow<R>>> {
        if two_step::<C::Backend>(spec.refined, keys.len()) {
            let links = run_all(R::link_statements(keys.clone()), |q| q.load(conn))?;
            let target_keys = target_keys::<R>(&links);
            let statements = if targets_by_parents::<C::Backend>(target_keys.len(), keys.len()) {
                R::linked_targets(keys.clone())
            } else {
                R::Target::by_keys(target_keys)
            };
            let targets = run_all(statements, |q| q.load(conn))?;
            if let Some(rows) = assemble::<R>(links, targets) {
                return Ok(rows);
            }
            // A target key found no target by equality: dangling, or equal
            // to its target only under the collation. The join decides.
        }
        let mut rows = run_all(R::statements(keys, spec), |q| q.load(conn))?;
        link_order::<R>(&mut rows, spec.ordered);
        Ok(rows)
    }
}

/// The parent key of a loaded link: what groups the links by parent.
pub(crate) fn link_parent<R: JoinManyToMany>(row: &LinkRow<R>) -> Option<&KeyOf<R::Parent>> {
    Some(&row.0)
}

/// Put unordered links in the join table's key order (each parent's targets
/// in the order they were linked); rows the query ordered stay as they are.
pub(crate) fn link_order<R>(rows: &mut [LinkRow<R>], ordered: bool)
where
    R: JoinManyToMany,
    R::LinkKey: Ord,
{
    if !ordered {
        rows.sort_unstable_by(|a, b| a.1.cmp(&b.1));
    }
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::{stream_all, STREAM_BATCH};
    use diesel::prelude::*;

    diesel::table! {
        items (id) {
            id -> Integer,
        }
    }

    /// Rows are handed over in batches: every row of every statement
    /// reaches the sink once, in statement and row order, across batch
    /// boundaries and with a last batch that is not full.
    #[test]
    fn streamed_rows_reach_the_sink_in_order_across_batches() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        diesel::sql_query("CREATE TABLE items (id INTEGER PRIMARY KEY)")
            .execute(&mut conn)
            .unwrap();
        let n = (STREAM_BATCH * 3 + 7) as i32;
        let rows: Vec<_> = (1..=n).map(|id| items::id.eq(id)).collect();
        diesel::insert_into(items::table)
            .values(&rows)
            .execute(&mut conn)
            .unwrap();
        // Two statements, the second ending inside a batch.
        let split = STREAM_BATCH as i32 + 5;
        let statements = vec![
            items::table
                .select(items::id)
                .filter(items::id.le(split))
                .order(items::id)
                .into_boxed(),
            items::table
                .select(items::id)
                .filter(items::id.gt(split))
                .order(items::id)
                .into_boxed(),
        ];
        let mut seen = Vec::new();
        stream_all::<_, _, i32>(statements, &mut conn, &mut |id| seen.push(id)).unwrap();
        assert_eq!(seen, (1..=n).collect::<Vec<_>>());
    }

    /// A statement that fails is an `Err`, whatever was handed over before.
    #[test]
    fn a_failing_statement_is_an_error() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let statements = vec![items::table.select(items::id).into_boxed()];
        let result = stream_all::<_, _, i32>(statements, &mut conn, &mut |_| {});
        assert!(result.is_err(), "no table `items`: {result:?}");
    }
}
