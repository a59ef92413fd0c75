//! `MAX`, `MIN`, `SUM`, `AVG` and `COUNT` of a child column per parent,
//! without loading the children: `SELECT fk, MAX(col) .. WHERE fk IN (..)
//! GROUP BY fk`, per chunk of keys off PostgreSQL, with the keys handled as
//! the loaders and counts handle them. Several aggregates asked together as a
//! tuple (`(Max(books::year), Sum(books::pages))`) share one statement.
//!
//! The aggregate expressions are this module's own (`Max(books::year)`):
//! Diesel's `max`/`sum` result types are projections that a generic impl
//! cannot name.

use std::marker::PhantomData;
use std::sync::Arc;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSqlRow};
use diesel::dsl::{EqAny, GroupBy, IntoBoxed, Select, SqlTypeOf};
use diesel::expression::is_aggregate::Yes;
use diesel::expression::{AppearsOnTable, AsExpression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::query_dsl::methods::{BoxedDsl, FilterDsl, GroupByDsl, SelectDsl};
use diesel::query_dsl::LoadQuery;
use diesel::sql_types::{
    BigInt, Bool, Double, Float, Foldable, Integer, IntoNullable, Nullable, SingleValue, SmallInt,
    Text,
};
use diesel::{Connection, Expression, ExpressionMethods, QueryResult, RunQueryDsl};

use crate::aggregate::ChildrenOf;
use crate::aggregate::KeyColumn;
use crate::batch::{chunks_for, KeyBatching};
use crate::children::Children;
use crate::error::Result;
use crate::model::PrimaryKey;
use crate::model::{Node, Nodes};
use crate::prefetch::{find_owner_keys, fold_rows_by, Fold, Rows};
use crate::query::{run_all, KeyOf, LoadByKeys};
use crate::refine::RefineFilter;
use crate::relation::Relation;
use crate::spec::RelationName;
use crate::with::{Get, With};

macro_rules! aggregate_expression {
    ($(#[$doc:meta])* $name:ident, $sql_type:ty, $($bound:tt)*) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name<Col>(pub Col);

        impl<Col: Expression> Expression for $name<Col>
        where
            SqlTypeOf<Col>: SingleValue,
            $($bound)*
            $sql_type: SingleValue,
        {
            type SqlType = $sql_type;
        }

        impl<Col> QueryId for $name<Col> {
            type QueryId = ();
            const HAS_STATIC_QUERY_ID: bool = false;
        }

        impl<Col, GB> ValidGrouping<GB> for $name<Col> {
            type IsAggregate = Yes;
        }

        impl<Col: AppearsOnTable<QS>, QS> AppearsOnTable<QS> for $name<Col> where Self: Expression {}

        impl<Col: SelectableExpression<QS>, QS> SelectableExpression<QS> for $name<Col> where
            Self: AppearsOnTable<QS>
        {
        }
    };
}

/// `FUNCTION(col)`.
macro_rules! function_of_column {
    ($($name:ident $sql:literal,)*) => {$(
        impl<Col: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for $name<Col> {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
                out.push_sql(concat!($sql, "("));
                self.0.walk_ast(out.reborrow())?;
                out.push_sql(")");
                Ok(())
            }
        }
    )*};
}

aggregate_expression!(
    /// `MAX(col)`: the largest value of a child column per parent (`None`
    /// where the parent has no child, or only NULLs).
    Max, <SqlTypeOf<Col> as IntoNullable>::Nullable,
    SqlTypeOf<Col>: IntoNullable,
);
aggregate_expression!(
    /// `MIN(col)`: the smallest value of a child column per parent.
    Min, <SqlTypeOf<Col> as IntoNullable>::Nullable,
    SqlTypeOf<Col>: IntoNullable,
);
aggregate_expression!(
    /// `SUM(col)`: the sum of a child column per parent, exact: `i64` for a
    /// `SMALLINT` or `INTEGER` column, `i128` for a `BIGINT` column (SQL's
    /// `NUMERIC` sum), `f32`/`f64` for floats; `None` where there is no child.
    Sum, <SqlTypeOf<Col> as Foldable>::Sum,
    SqlTypeOf<Col>: Foldable,
);
aggregate_expression!(
    /// `COUNT(col)`: how many children have a non-NULL `col` (`0` for a
    /// parent without children); `CountOf(books::id)` counts every child.
    /// Useful in a tuple with other aggregates, which share one statement.
    ///
    /// Of a `NOT NULL` column it is sent as `COUNT(*)` (the same number), so
    /// the `COUNT(*)`s of a tuple (`CountOf(books::id)` and the count behind
    /// `Avg(books::year)`) are one aggregate to the database: SQLite and
    /// PostgreSQL compute identical aggregates of a statement once.
    CountOf, BigInt,
);

function_of_column! {
    Max "MAX",
    Min "MIN",
    Sum "SUM",
}

/// Whether values of SQL type `Self` can be NULL, read off Diesel's
/// [`SqlType::IsNull`](diesel::sql_types::SqlType::IsNull).
trait MaybeNull {
    const NEVER_NULL: bool;
}

impl MaybeNull for diesel::sql_types::is_nullable::NotNull {
    const NEVER_NULL: bool = true;
}

impl MaybeNull for diesel::sql_types::is_nullable::IsNullable {
    const NEVER_NULL: bool = false;
}

impl<Col, DB> QueryFragment<DB> for CountOf<Col>
where
    Col: Expression + QueryFragment<DB>,
    DB: Backend,
    SqlTypeOf<Col>: diesel::sql_types::SqlType,
    <SqlTypeOf<Col> as diesel::sql_types::SqlType>::IsNull: MaybeNull,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        if <<SqlTypeOf<Col> as diesel::sql_types::SqlType>::IsNull as MaybeNull>::NEVER_NULL {
            // Every row of the group has a value.
            out.push_sql("COUNT(*)");
        } else {
            out.push_sql("COUNT(");
            self.0.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }
        Ok(())
    }
}

/// `AVG(col)`: the mean of a child column per parent, as `f64` (as Django's
/// `Avg` of an integer field); `None` where the parent has no non-NULL
/// value. Loaded as the exact `SUM(col)` and `COUNT(col)` (`COUNT(*)` for a
/// `NOT NULL` column, shared with a [`CountOf`] of the tuple), so no decimal
/// type is needed and a parent whose key the database groups under two
/// spellings still gets the mean of all its children.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Avg<Col>(pub Col);

/// An aggregate of child columns: [`Max`], [`Min`], [`Sum`], [`Avg`],
/// [`CountOf`], or a tuple of them (up to six), loaded in one statement.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an aggregate of a child column",
    label = "expected `Max(col)`, `Min(col)`, `Sum(col)`, `Avg(col)`, `CountOf(col)` or a tuple of them",
    note = "`Max(books::year)` aggregates column `year` of the children's table `books`"
)]
pub trait ColumnAggregate: Clone + Send + Sync + 'static {
    /// `max_year`, `sum_pages`: the value's name in `Debug` and JSON is
    /// `<relation>_<this>` (`books_max_year`).
    fn describe() -> String;
    /// The SQL selected per group.
    #[doc(hidden)]
    type Selection;
    #[doc(hidden)]
    fn selection(&self) -> Self::Selection;
    /// What one grouped row holds.
    #[doc(hidden)]
    type Row: Clone + Send + 'static;
    /// The value per parent: `Option<i32>` for `Max` of an `INTEGER`
    /// column, `Option<i64>` for its `Sum`, `Option<f64>` for its `Avg`,
    /// `i64` for `CountOf`, a tuple of values for a tuple.
    type Value: Clone + Send + 'static;
    /// What is folded of one parent's rows: one row per parent, several
    /// where the database groups one key under several spellings.
    #[doc(hidden)]
    type Acc: Clone;
    /// A parent's first row.
    #[doc(hidden)]
    fn first(row: Self::Row) -> Self::Acc;
    /// One more row of the same parent.
    #[doc(hidden)]
    fn add(acc: &mut Self::Acc, row: Self::Row);
    /// One parent's value: `None` for a parent without children.
    #[doc(hidden)]
    fn finish(acc: Option<Self::Acc>) -> Self::Value;
}

/// The fold of aggregate `A`'s rows, as a [`Fold`].
type AggregateFold<A> = Fold<
    fn(<A as ColumnAggregate>::Row) -> <A as ColumnAggregate>::Acc,
    fn(&mut <A as ColumnAggregate>::Acc, <A as ColumnAggregate>::Row),
    fn(Option<<A as ColumnAggregate>::Acc>) -> <A as ColumnAggregate>::Value,
>;

/// The fold of aggregate `A`'s rows ([`ColumnAggregate::first`], `add`,
/// `finish`).
fn fold_of<A: ColumnAggregate>() -> AggregateFold<A> {
    Fold {
        first: A::first,
        add: A::add,
        finish: A::finish,
    }
}

/// The Rust value of `MAX`/`MIN` of a column of SQL type `Self` (its
/// nullable form).
#[diagnostic::on_unimplemented(
    message = "no Rust type is known for `MAX`/`MIN` of SQL type `{Self}`",
    label = "`MAX` and `MIN` take `SMALLINT`, `INTEGER`, `BIGINT`, `REAL`, `DOUBLE`, `TEXT` or `BOOLEAN` columns here",
    note = "a `NUMERIC` column needs a decimal type: not supported yet"
)]
pub trait AggregateValue {
    /// The value inside the `Option` (as loaded: `Option<i32>`, ...).
    type Inner: Clone + PartialOrd + Send + 'static;
}

macro_rules! aggregate_values {
    ($($sql:ty => $rust:ty,)*) => {$(
        impl AggregateValue for Nullable<$sql> {
            type Inner = $rust;
        }
    )*};
}

aggregate_values! {
    SmallInt => i16,
    Integer => i32,
    BigInt => i64,
    Float => f32,
    Double => f64,
    Text => String,
    Bool => bool,
}

/// The exact sum of a column of SQL type `Self` (its nullable form): `i64`
/// for `SMALLINT` and `INTEGER`, `i128` for `BIGINT`, `f32`/`f64` for floats.
#[diagnostic::on_unimplemented(
    message = "no exact Rust type is known for `SUM`/`AVG` of SQL type `{Self}`",
    label = "`SUM` and `AVG` take `SMALLINT`, `INTEGER`, `BIGINT`, `REAL` or `DOUBLE` columns here",
    note = "`Max(col)` and `Min(col)` also take text and booleans; a `NUMERIC` column needs a decimal type, not supported yet"
)]
pub trait SumValue {
    /// As loaded.
    #[doc(hidden)]
    type Row: Clone + Send + 'static;
    /// The sum.
    type Inner: Clone + PartialOrd + std::ops::Add<Output = Self::Inner> + Send + 'static;
    #[doc(hidden)]
    fn inner(row: Self::Row) -> Option<Self::Inner>;
    #[doc(hidden)]
    fn to_f64(sum: Self::Inner) -> f64;
}

macro_rules! sum_values {
    ($($sql:ty => $row:ty, $rust:ty, |$v:ident| $inner:expr,)*) => {$(
        impl SumValue for Nullable<$sql> {
            type Row = Option<$row>;
            type Inner = $rust;
            fn inner(row: Option<$row>) -> Option<$rust> {
                row.map(|$v| $inner)
            }
            #[allow(clippy::cast_precision_loss)]
            fn to_f64(sum: $rust) -> f64 {
                sum as f64
            }
        }
    )*};
}

sum_values! {
    SmallInt => i64, i64, |v| v,
    Integer => i64, i64, |v| v,
    BigInt => WideInt, i128, |v| v.0,
    Float => f32, f32, |v| v,
    Double => f64, f64, |v| v,
}

/// The `NUMERIC` sum of a `BIGINT` column, read exactly as an `i128` (it
/// always fits: 2^63 rows of 2^63 at most). A fractional value, which a sum
/// of integers cannot give, is a deserialization error.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, FromSqlRow)]
pub struct WideInt(pub i128);

impl WideInt {
    /// From decimal text (MySQL's `DECIMAL` on the wire): `-123`, `123.000`.
    #[allow(dead_code)]
    fn parse(text: &str) -> deserialize::Result<WideInt> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        if !fraction.bytes().all(|b| b == b'0') {
            return Err(format!("the sum `{text}` is not an integer").into());
        }
        whole
            .parse::<i128>()
            .map(WideInt)
            .map_err(|e| format!("the sum `{text}` does not fit an i128: {e}").into())
    }
}

#[cfg(feature = "postgres")]
impl deserialize::FromSql<diesel::sql_types::Numeric, diesel::pg::Pg> for WideInt {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> deserialize::Result<Self> {
        use diesel::pg::data_types::PgNumeric;
        let numeric = <PgNumeric as deserialize::FromSql<
            diesel::sql_types::Numeric,
            diesel::pg::Pg,
        >>::from_sql(value)?;
        let (negative, weight, digits) = match numeric {
            PgNumeric::Positive { weight, digits, .. } => (false, weight, digits),
            PgNumeric::Negative { weight, digits, .. } => (true, weight, digits),
            PgNumeric::NaN => return Err("the sum is NaN".into()),
        };
        // digits[i] counts 10000^(weight - i); none may be fractional.
        let mut total: i128 = 0;
        for (i, digit) in digits.iter().enumerate() {
            let power = i32::from(weight) - i32::try_from(i)?;
            if power < 0 {
                if *digit != 0 {
                    return Err("the sum is not an integer".into());
                }
                continue;
            }
            let mut term = i128::from(*digit);
            for _ in 0..power {
                term = term
                    .checked_mul(10_000)
                    .ok_or("the sum does not fit an i128")?;
            }
            total = total
                .checked_add(term)
                .ok_or("the sum does not fit an i128")?;
        }
        Ok(WideInt(if negative { -total } else { total }))
    }
}

#[cfg(feature = "mysql")]
impl deserialize::FromSql<diesel::sql_types::Numeric, diesel::mysql::Mysql> for WideInt {
    fn from_sql(value: diesel::mysql::MysqlValue<'_>) -> deserialize::Result<Self> {
        WideInt::parse(std::str::from_utf8(value.as_bytes())?)
    }
}

#[cfg(feature = "sqlite")]
impl deserialize::FromSql<diesel::sql_types::Numeric, diesel::sqlite::Sqlite> for WideInt {
    fn from_sql(value: diesel::sqlite::SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
        // SQLite sums integers as integers (and fails on overflow).
        <i64 as deserialize::FromSql<BigInt, diesel::sqlite::Sqlite>>::from_sql(value)
            .map(|v| WideInt(v.into()))
    }
}

type Nullable_<Col> = <SqlTypeOf<Col> as IntoNullable>::Nullable;

/// `MAX` and `MIN`: a parent's value is the extreme of its rows' values.
macro_rules! extreme_aggregates {
    ($($name:ident $prefix:literal $wins:tt,)*) => {$(
        impl<Col> ColumnAggregate for $name<Col>
        where
            Col: diesel::Column + Clone + Send + Sync + 'static,
            SqlTypeOf<Col>: IntoNullable,
            Nullable_<Col>: AggregateValue,
        {
            fn describe() -> String {
                format!(concat!($prefix, "_{}"), Col::NAME)
            }
            type Selection = Self;
            fn selection(&self) -> Self {
                self.clone()
            }
            type Row = Option<<Nullable_<Col> as AggregateValue>::Inner>;
            type Value = Self::Row;
            type Acc = Self::Row;
            fn first(row: Self::Row) -> Self::Row {
                row
            }
            fn add(acc: &mut Self::Row, row: Self::Row) {
                if let Some(b) = row {
                    if acc.as_ref().is_none_or(|a| b $wins *a) {
                        *acc = Some(b);
                    }
                }
            }
            fn finish(acc: Option<Self::Row>) -> Self::Value {
                acc.flatten()
            }
        }
    )*};
}

extreme_aggregates! {
    Max "max" >,
    Min "min" <,
}

/// Add one row's sum to a sum so far.
fn add_sum<S: SumValue>(acc: &mut Option<S::Inner>, row: S::Row) {
    if let Some(b) = S::inner(row) {
        *acc = Some(match acc.take() {
            Some(a) => a + b,
            None => b,
        });
    }
}

impl<Col> ColumnAggregate for Sum<Col>
where
    Col: diesel::Column + Clone + Send + Sync + 'static,
    SqlTypeOf<Col>: IntoNullable,
    Nullable_<Col>: SumValue,
{
    fn describe() -> String {
        format!("sum_{}", Col::NAME)
    }
    type Selection = Self;
    fn selection(&self) -> Self {
        self.clone()
    }
    type Row = <Nullable_<Col> as SumValue>::Row;
    type Value = Option<<Nullable_<Col> as SumValue>::Inner>;
    type Acc = Self::Value;
    fn first(row: Self::Row) -> Self::Value {
        <Nullable_<Col> as SumValue>::inner(row)
    }
    fn add(acc: &mut Self::Value, row: Self::Row) {
        add_sum::<Nullable_<Col>>(acc, row);
    }
    fn finish(acc: Option<Self::Value>) -> Self::Value {
        acc.flatten()
    }
}

impl<Col> ColumnAggregate for Avg<Col>
where
    Col: diesel::Column + Clone + Send + Sync + 'static,
    SqlTypeOf<Col>: IntoNullable,
    Nullable_<Col>: SumValue,
{
    fn describe() -> String {
        format!("avg_{}", Col::NAME)
    }
    type Selection = (Sum<Col>, CountOf<Col>);
    fn selection(&self) -> Self::Selection {
        (Sum(self.0.clone()), CountOf(self.0.clone()))
    }
    type Row = (<Nullable_<Col> as SumValue>::Row, i64);
    type Value = Option<f64>;
    type Acc = (Option<<Nullable_<Col> as SumValue>::Inner>, i64);
    fn first((sum, count): Self::Row) -> Self::Acc {
        (<Nullable_<Col> as SumValue>::inner(sum), count)
    }
    fn add(acc: &mut Self::Acc, (sum, count): Self::Row) {
        add_sum::<Nullable_<Col>>(&mut acc.0, sum);
        acc.1 += count;
    }
    #[allow(clippy::cast_precision_loss)]
    fn finish(acc: Option<Self::Acc>) -> Option<f64> {
        let (sum, count) = acc?;
        let sum = sum?;
        (count > 0).then(|| <Nullable_<Col> as SumValue>::to_f64(sum) / count as f64)
    }
}

impl<Col> ColumnAggregate for CountOf<Col>
where
    Col: diesel::Column + Clone + Send + Sync + 'static,
{
    fn describe() -> String {
        format!("count_{}", Col::NAME)
    }
    type Selection = Self;
    fn selection(&self) -> Self {
        self.clone()
    }
    type Row = i64;
    type Value = i64;
    type Acc = i64;
    fn first(row: i64) -> i64 {
        row
    }
    fn add(acc: &mut i64, row: i64) {
        *acc += row;
    }
    fn finish(acc: Option<i64>) -> i64 {
        acc.unwrap_or(0)
    }
}

macro_rules! aggregate_tuples {
    ($(($($a:ident $i:tt),+))*) => {$(
        impl<$($a: ColumnAggregate),+> ColumnAggregate for ($($a,)+) {
            fn describe() -> String {
                [$($a::describe()),+].join("_")
            }
            type Selection = ($($a::Selection,)+);
            fn selection(&self) -> Self::Selection {
                ($(self.$i.selection(),)+)
            }
            type Row = ($($a::Row,)+);
            type Value = ($($a::Value,)+);
            type Acc = ($($a::Acc,)+);
            fn first(row: Self::Row) -> Self::Acc {
                ($($a::first(row.$i),)+)
            }
            fn add(acc: &mut Self::Acc, row: Self::Row) {
                $($a::add(&mut acc.$i, row.$i);)+
            }
            fn finish(acc: Option<Self::Acc>) -> Self::Value {
                match acc {
                    Some(acc) => ($($a::finish(Some(acc.$i)),)+),
                    None => ($($a::finish(None),)+),
                }
            }
        }
    )*};
}

aggregate_tuples! {
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
}

/// The Rust value of aggregate `A`.
pub type ValueOf<A> = <A as ColumnAggregate>::Value;

/// The key of aggregate `A` (`Max(books::year)`) of the children of
/// relation `R` (has-many, one-to-one or many-to-many): `authors.prefetch_aggregate(AuthorBooks,
/// Max(books::year), conn)?` loads it, `author.aggregate(AuthorBooks,
/// Max(books::year))` reads it. Its name in `Debug` and JSON is
/// `<relation>_<function>_<column>` (`books_max_year`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Aggregate<R, A>(pub R, pub A);

impl<R: Relation, A: ColumnAggregate> RelationName for Aggregate<R, A> {
    const NAME: &'static str = "aggregate";
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Owned(format!("{}_{}", R::NAME, A::describe()))
    }
}

type Grouped<R> = GroupBy<<R as Children>::From, <R as Children>::Column>;
type Aggregated<R, A> = Select<Grouped<R>, (<R as Children>::Column, Selection<A>)>;
type Selection<A> = <A as ColumnAggregate>::Selection;
type BoxedAggregate<R, A, DB> = IntoBoxed<'static, Aggregated<R, A>, DB>;
type Refine<Q> = Arc<dyn Fn(Q) -> Q + Send + Sync>;
/// The parent model of relation `R`.
type Parent<R> = <R as Relation>::Owner;

/// A row of an aggregate statement: the parent's key, and the aggregate.
pub type AggregateRow<R, A> = (
    <<R as Children>::Column as KeyColumn<KeyOf<Parent<R>>>>::Field,
    <A as ColumnAggregate>::Row,
);

/// The parent key of an aggregate row.
fn row_key_of<R, T>(
    row: &(<R::Column as KeyColumn<KeyOf<Parent<R>>>>::Field, T),
) -> Option<&KeyOf<Parent<R>>>
where
    R: Children,
    R::Column: KeyColumn<KeyOf<Parent<R>>>,
{
    <R::Column as KeyColumn<KeyOf<Parent<R>>>>::key(&row.0)
}

/// The aggregate statements of relation `Self` (has-many, one-to-one or many-to-many) and aggregate `A`
/// over backend `DB`. Blanket-implemented.
#[diagnostic::on_unimplemented(
    message = "`{A}` cannot be aggregated over the children of `{Self}` on backend `{DB}`",
    label = "its statement does not type-check for this backend",
    note = "aggregate a column of the child's table (`Max(books::year)` for `AuthorBooks`)"
)]
pub trait BuildAggregate<DB: Backend, A>: Children + Sized {
    /// The boxed statement (an associated type, for `Send` futures).
    type Query;
    /// One statement per chunk of `keys`.
    #[doc(hidden)]
    fn aggregate_statements(
        keys: Vec<KeyOf<Self::Owner>>,
        aggregate: A,
        refine: Option<&Refine<Self::Query>>,
    ) -> Vec<Self::Query>;
}

impl<R, A, DB> BuildAggregate<DB, A> for R
where
    R: Children,
    A: ColumnAggregate,
    Selection<A>: Expression,
    DB: KeyBatching,
    R::From: GroupByDsl<R::Column>,
    Grouped<R>: SelectDsl<(R::Column, Selection<A>)>,
    Aggregated<R, A>: BoxedDsl<'static, DB>,
    SqlTypeOf<R::Column>: SingleValue,
    KeyOf<Parent<R>>: AsExpression<SqlTypeOf<R::Column>>,
    BoxedAggregate<R, A, DB>: FilterDsl<EqAny<R::Column, Vec<KeyOf<Parent<R>>>>, Output = BoxedAggregate<R, A, DB>>
        + QueryFragment<DB>,
{
    type Query = BoxedAggregate<R, A, DB>;

    fn aggregate_statements(
        keys: Vec<KeyOf<Parent<R>>>,
        aggregate: A,
        refine: Option<&Refine<Self::Query>>,
    ) -> Vec<Self::Query> {
        let statement = |chunk: Vec<KeyOf<Parent<R>>>| {
            let column = R::Column::default();
            let query = R::from()
                .group_by(column)
                .select((column, aggregate.selection()))
                .internal_into_boxed();
            let query = match refine {
                Some(refine) => refine(query),
                None => query,
            };
            query.filter(column.eq_any(chunk))
        };
        chunks_for::<DB, _, _>(keys, refine.is_some(), statement)
            .into_iter()
            .map(statement)
            .collect()
    }
}

/// Which children an aggregate reads, as `prefetch_aggregate_with` receives
/// and returns it.
#[must_use = "return the filtered aggregate from the closure"]
pub struct AggregateFilter<R: BuildAggregate<DB, A>, DB: Backend, A, K = Aggregate<R, A>> {
    refine: Option<Refine<R::Query>>,
    key: PhantomData<fn() -> K>,
}

impl<R: BuildAggregate<DB, A>, DB: Backend, A, K> AggregateFilter<R, DB, A, K> {
    /// Every child.
    pub fn all() -> Self {
        AggregateFilter {
            refine: None,
            key: PhantomData,
        }
    }

    /// Load the aggregate under key `key` (an `alias!` declared with the
    /// value type), so the same aggregate can be loaded twice with two filters.
    pub fn named<K2>(self, key: K2) -> AggregateFilter<R, DB, A, K2> {
        let _ = key;
        AggregateFilter {
            refine: self.refine,
            key: PhantomData,
        }
    }
}

impl<R, DB, A, K> AggregateFilter<R, DB, A, K>
where
    R: BuildAggregate<DB, A>,
    R::Query: 'static,
    DB: Backend + 'static,
{
    /// Aggregate only the children matching `predicate`, a Diesel expression
    /// on the child's table. Several filters are joined with `AND`.
    pub fn filter<P>(self, predicate: P) -> Self
    where
        P: RefineFilter<R::Query, R::Tables> + Clone + Send + Sync + 'static,
    {
        let before = self.refine;
        let refine: Refine<R::Query> = Arc::new(move |q| {
            let q = match &before {
                Some(before) => before(q),
                None => q,
            };
            predicate.clone().filter_query(q)
        });
        AggregateFilter {
            refine: Some(refine),
            key: PhantomData,
        }
    }
}

/// Aggregating a column of the children of relation `Self` (has-many, one-to-one or many-to-many) over
/// blocking connection `C`. Blanket-implemented.
#[diagnostic::on_unimplemented(
    message = "`{A}` cannot be aggregated over the children of `{Self}` on connection `{C}`",
    label = "its statement does not type-check for this connection",
    note = "aggregate a column of the child's table (`Max(books::year)` for `AuthorBooks`) of a type with a known Rust value"
)]
pub trait LoadAggregate<C: Connection, A>:
    BuildAggregate<C::Backend, A> + Children<Owner: LoadByKeys<C>>
{
    /// The rows of the aggregate statements, in statement order.
    #[doc(hidden)]
    fn load_aggregate_rows(
        statements: Vec<Self::Query>,
        conn: &mut C,
    ) -> QueryResult<Vec<AggregateRow<Self, A>>>
    where
        Self::Column: KeyColumn<KeyOf<Self::Owner>>,
        A: ColumnAggregate;
}

#[diagnostic::do_not_recommend]
impl<R, A, C> LoadAggregate<C, A> for R
where
    C: Connection,
    R: BuildAggregate<C::Backend, A>,
    R::Owner: LoadByKeys<C>,
    R::Column: KeyColumn<KeyOf<R::Owner>>,
    A: ColumnAggregate,
    R::Query: LoadQuery<'static, C, AggregateRow<R, A>>,
{
    fn load_aggregate_rows(
        statements: Vec<R::Query>,
        conn: &mut C,
    ) -> QueryResult<Vec<AggregateRow<R, A>>> {
        run_all(statements, |q| q.load(conn))
    }
}

/// Load aggregate `aggregate` of the children of relation `R` (has-many, one-to-one or many-to-many) of
/// each node: [`ColumnAggregateExt::prefetch_aggregate_with`].
pub fn prefetch_aggregate_with<R, A, S, C, K>(
    nodes: S,
    aggregate: A,
    conn: &mut C,
    filter: impl FnOnce(AggregateFilter<R, C::Backend, A>) -> AggregateFilter<R, C::Backend, A, K>,
) -> Result<S::Wrapped<K, ValueOf<A>>>
where
    R: LoadAggregate<C, A>,
    R::Column: KeyColumn<KeyOf<R::Owner>>,
    A: ColumnAggregate,
    S: Nodes,
    S::Node: Node<Model = R::Owner>,
    C: Connection,
{
    let filter = filter(AggregateFilter::all());
    let nodes = nodes.into_nodes();
    let values = fold_rows_by(
        nodes,
        |n: &S::Node| n.model().primary_key(),
        conn,
        R::NAME,
        |keys, conn| {
            let statements = R::aggregate_statements(keys, aggregate, filter.refine.as_ref());
            R::load_aggregate_rows(statements, conn).map(Rows::all)
        },
        row_key_of::<R, A::Row>,
        find_owner_keys::<R::Owner, C>,
        |(_, value)| value,
        fold_of::<A>(),
    )?;
    Ok(S::from_wrapped(values))
}

/// Column aggregates per parent, as methods of what the loaders are called on.
pub trait ColumnAggregateExt: Nodes {
    /// Load `aggregate` (`Max(books::year)`, `Min(..)`, `Sum(books::pages)`)
    /// of the children of relation `relation` (has-many, one-to-one or many-to-many) of each parent, in
    /// one statement (`SELECT fk, MAX(year) .. GROUP BY fk`, per chunk of
    /// keys off PostgreSQL); read it with
    /// [`aggregate`](ReadColumnAggregateExt::aggregate). `None` for a parent
    /// without children.
    fn prefetch_aggregate<R, A, C>(
        self,
        relation: R,
        aggregate: A,
        conn: &mut C,
    ) -> Result<Self::Wrapped<Aggregate<R, A>, ValueOf<A>>>
    where
        R: ChildrenOf<<Self::Node as Node>::Model>,
        R: LoadAggregate<C, A>,
        R::Column: KeyColumn<KeyOf<R::Owner>>,
        A: ColumnAggregate,
        Self::Node: Node<Model = R::Owner>,
        C: Connection,
    {
        let _ = relation;
        prefetch_aggregate_with(self, aggregate, conn, |f| f)
    }

    /// [`prefetch_aggregate`](Self::prefetch_aggregate) of the children
    /// `filter` keeps (`|f| f.filter(books::published.eq(true))`), under its
    /// own key with `.named(..)`.
    fn prefetch_aggregate_with<R, A, C, K>(
        self,
        relation: R,
        aggregate: A,
        conn: &mut C,
        filter: impl FnOnce(AggregateFilter<R, C::Backend, A>) -> AggregateFilter<R, C::Backend, A, K>,
    ) -> Result<Self::Wrapped<K, ValueOf<A>>>
    where
        R: ChildrenOf<<Self::Node as Node>::Model>,
        R: LoadAggregate<C, A>,
        R::Column: KeyColumn<KeyOf<R::Owner>>,
        A: ColumnAggregate,
        Self::Node: Node<Model = R::Owner>,
        C: Connection,
    {
        let _ = relation;
        prefetch_aggregate_with(self, aggregate, conn, filter)
    }
}

impl<S: Nodes> ColumnAggregateExt for S {}

/// The aggregate `A` of relation `R` was loaded on `Self` (at layer `I`).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "this aggregate was not loaded on `{Self}`",
    label = "no `prefetch_aggregate` of this relation and aggregate here",
    note = "load it first: `let authors = authors.prefetch_aggregate(AuthorBooks, Max(books::year), conn)?;` (one statement)"
)]
pub trait AggregateLoaded<R, A, I> {
    /// The value.
    type Value;
    /// The value.
    fn loaded_aggregate(&self) -> &Self::Value;
}

#[diagnostic::do_not_recommend]
impl<T, R, A, I> AggregateLoaded<R, A, I> for T
where
    T: Get<Aggregate<R, A>, I>,
{
    type Value = T::Value;
    fn loaded_aggregate(&self) -> &T::Value {
        self.get()
    }
}

/// Reading the column aggregates loaded by [`ColumnAggregateExt`].
pub trait ReadColumnAggregateExt {
    /// The value of `aggregate` of `relation`'s children, loaded by
    /// `prefetch_aggregate` (`&Option<i32>` for `Max(books::year)`).
    fn aggregate<R, A, I>(
        &self,
        relation: R,
        aggregate: A,
    ) -> &<Self as AggregateLoaded<R, A, I>>::Value
    where
        Self: AggregateLoaded<R, A, I>,
    {
        let _ = (relation, aggregate);
        self.loaded_aggregate()
    }
}

impl<P, K, V> ReadColumnAggregateExt for With<P, K, V> {}

/// Nodes with aggregate `A` of relation `K` loaded as a field of type `F`.
type WithAggregate<N, K, A, F> = Vec<With<N, Aggregate<K, A>, F>>;

/// A field of a declared shape that can hold aggregate `A`: the field's type
/// is `A`'s value. The check `#[derive(Shape)]` makes at a
/// `#[shape(aggregate = "..", value = ..)]` field.
#[diagnostic::on_unimplemented(
    message = "a field of type `{Self}` cannot hold `{A}`",
    label = "the field's type is the aggregate's value",
    note = "`Option<i32>` for `Max` of an `INTEGER` column, `Option<i64>` for its `Sum`, `Option<f64>` for `Avg`, `i64` for `CountOf`, a tuple of values for a tuple"
)]
pub trait ColumnAggregateField<A> {}

#[diagnostic::do_not_recommend]
impl<F, A> ColumnAggregateField<A> for F where A: ColumnAggregate<Value = F> {}

/// Loading a `#[shape(aggregate = "..", value = ..)]` field of type `Self`
/// (aggregate `A` of relation `K` (has-many, one-to-one or many-to-many)) over blocking connection `C`.
#[diagnostic::on_unimplemented(
    message = "the field of type `{Self}` cannot be loaded with `{A}` of `{K}` over connection `{C}`",
    label = "this aggregate cannot be loaded on this connection",
    note = "on a diesel-async connection, load the shape with its `_async` methods; the aggregate names a column of the children's table"
)]
pub trait LoadColumnAggregateField<K: Children, A, C> {
    /// Load the field onto `nodes`, one value per node, in order.
    fn load_aggregate<N: Node<Model = K::Owner>>(
        nodes: Vec<N>,
        conn: &mut C,
    ) -> Result<WithAggregate<N, K, A, Self>>
    where
        Self: Sized;
}

#[diagnostic::do_not_recommend]
impl<F, K, A, C> LoadColumnAggregateField<K, A, C> for F
where
    K: LoadAggregate<C, A>,
    K::Column: KeyColumn<KeyOf<K::Owner>>,
    A: ColumnAggregate<Value = F> + Default,
    C: Connection,
{
    fn load_aggregate<N: Node<Model = K::Owner>>(
        nodes: Vec<N>,
        conn: &mut C,
    ) -> Result<WithAggregate<N, K, A, F>> {
        prefetch_aggregate_with(nodes, A::default(), conn, |f| f)
    }
}

/// The check `#[derive(Shape)]` makes at a column aggregate field: `K` is a
/// relation with children of the shape's model `M`, and the field's type `F`
/// holds aggregate `A`.
#[doc(hidden)]
#[inline]
pub fn check_column_aggregate<K, M, F, A>()
where
    K: ChildrenOf<M>,
    F: ColumnAggregateField<A>,
{
}

#[cfg(feature = "async")]
pub use nonblocking::{ColumnAggregateAsyncExt, LoadAggregateAsync, LoadColumnAggregateFieldAsync};

/// Column aggregates on diesel-async: the same statements, awaited.
#[cfg(feature = "async")]
mod nonblocking {
    use std::future::Future;

    use diesel::QueryResult;
    use diesel_async::methods::LoadQuery;
    use diesel_async::AsyncConnection;

    use super::row_key_of;
    use super::{
        fold_of, Aggregate, AggregateFilter, AggregateRow, BuildAggregate, ColumnAggregate, ValueOf,
    };
    use crate::aggregate::ChildrenOf;
    use crate::aggregate::KeyColumn;
    use crate::asynchronous::{find_owner_keys, run_all, LoadByKeysAsync};
    use crate::children::Children;
    use crate::error::{Error, Result};
    use crate::model::{Node, Nodes};
    use crate::prefetch::{owner_slots, Groups, Rows};
    use crate::query::KeyOf;

    /// [`LoadAggregate`](super::LoadAggregate) over diesel-async connection `C`.
    #[diagnostic::on_unimplemented(
        message = "`{A}` cannot be aggregated over the children of `{Self}` on async connection `{C}`",
        label = "its statement does not type-check for this connection",
        note = "aggregate a column of the child's table (`Max(books::year)` for `AuthorBooks`) of a type with a known Rust value"
    )]
    pub trait LoadAggregateAsync<C: AsyncConnection, A>:
        BuildAggregate<C::Backend, A> + Children<Owner: LoadByKeysAsync<C>>
    {
        /// Run the statements, in order; the future is declared `Send`.
        #[doc(hidden)]
        fn load_aggregate_rows_async(
            statements: Vec<Self::Query>,
            conn: &mut C,
        ) -> impl Future<Output = QueryResult<Vec<AggregateRow<Self, A>>>> + Send
        where
            Self::Column: KeyColumn<KeyOf<Self::Owner>>,
            A: ColumnAggregate;
    }

    #[diagnostic::do_not_recommend]
    impl<R, A, C> LoadAggregateAsync<C, A> for R
    where
        C: AsyncConnection,
        R: BuildAggregate<C::Backend, A>,
        R::Owner: LoadByKeysAsync<C>,
        R::Column: KeyColumn<KeyOf<R::Owner>>,
        A: ColumnAggregate,
        R::Query: LoadQuery<'static, C, AggregateRow<R, A>> + Send + 'static,
        AggregateRow<R, A>: Send,
    {
        #[allow(clippy::manual_async_fn)]
        fn load_aggregate_rows_async(
            statements: Vec<R::Query>,
            conn: &mut C,
        ) -> impl Future<Output = QueryResult<Vec<AggregateRow<R, A>>>> + Send {
            async move { run_all(statements, conn).await }
        }
    }

    /// [`ColumnAggregateExt`](super::ColumnAggregateExt) on a diesel-async
    /// connection.
    pub trait ColumnAggregateAsyncExt: Nodes {
        /// [`prefetch_aggregate`](super::ColumnAggregateExt::prefetch_aggregate), awaited.
        fn prefetch_aggregate_async<R, A, C>(
            self,
            relation: R,
            aggregate: A,
            conn: &mut C,
        ) -> impl Future<Output = Result<Self::Wrapped<Aggregate<R, A>, ValueOf<A>>>>
        where
            R: ChildrenOf<<Self::Node as Node>::Model>,
            R: LoadAggregateAsync<C, A>,
            R::Column: KeyColumn<KeyOf<R::Owner>>,
            A: ColumnAggregate,
            Self::Node: Node<Model = R::Owner>,
            C: AsyncConnection,
        {
            self.prefetch_aggregate_with_async(relation, aggregate, conn, |f| f)
        }

        /// [`prefetch_aggregate_with`](super::ColumnAggregateExt::prefetch_aggregate_with), awaited.
        fn prefetch_aggregate_with_async<R, A, C, K>(
            self,
            relation: R,
            aggregate: A,
            conn: &mut C,
            filter: impl FnOnce(
                AggregateFilter<R, C::Backend, A>,
            ) -> AggregateFilter<R, C::Backend, A, K>,
        ) -> impl Future<Output = Result<Self::Wrapped<K, ValueOf<A>>>>
        where
            R: ChildrenOf<<Self::Node as Node>::Model>,
            R: LoadAggregateAsync<C, A>,
            R::Column: KeyColumn<KeyOf<R::Owner>>,
            A: ColumnAggregate,
            Self::Node: Node<Model = R::Owner>,
            C: AsyncConnection,
        {
            let _ = relation;
            prefetch_aggregate_with_async(self, aggregate, conn, filter)
        }
    }

    /// [`ColumnAggregateAsyncExt::prefetch_aggregate_with_async`] with the
    /// relation as a type parameter.
    fn prefetch_aggregate_with_async<'c, R, A, S, C, K, F>(
        nodes: S,
        aggregate: A,
        conn: &'c mut C,
        filter: F,
    ) -> impl Future<Output = Result<S::Wrapped<K, ValueOf<A>>>> + use<'c, R, A, S, C, K, F>
    where
        F: FnOnce(AggregateFilter<R, C::Backend, A>) -> AggregateFilter<R, C::Backend, A, K>,
        R: LoadAggregateAsync<C, A>,
        R::Column: KeyColumn<KeyOf<R::Owner>>,
        A: ColumnAggregate,
        S: Nodes,
        S::Node: Node<Model = R::Owner>,
        C: AsyncConnection,
    {
        // The statements are built here, before the future: it holds them,
        // not the closure.
        let nodes = nodes.into_nodes();
        let slots_keys = owner_slots(&nodes).keys();
        let filter = filter(AggregateFilter::all());
        let statements = R::aggregate_statements(slots_keys, aggregate, filter.refine.as_ref());
        drop(filter);
        async move {
            let slots = owner_slots(&nodes);
            if slots.uses.is_empty() {
                return Ok(S::from_wrapped(fold_of::<A>().nothing(nodes)));
            }
            let rows = R::load_aggregate_rows_async(statements, conn)
                .await
                .map_err(|e| Error::database(R::NAME, e))?;
            let (slot_of_row, strays) = slots.of_rows(&rows, row_key_of::<R, A::Row>);
            let found = find_owner_keys::<R::Owner, C>(strays, &slots, conn)
                .await
                .map_err(|e| Error::database(R::NAME, e))?;
            let (rows, groups) = Groups::new(
                slots,
                Rows::all(rows),
                slot_of_row,
                row_key_of::<R, A::Row>,
                &found,
            );
            let values = rows.into_iter().map(|(_, v)| v);
            Ok(S::from_wrapped(groups.fold_out(
                nodes,
                values,
                fold_of::<A>(),
            )))
        }
    }

    impl<S: Nodes> ColumnAggregateAsyncExt for S {}

    /// [`LoadColumnAggregateField`](super::LoadColumnAggregateField) over
    /// diesel-async connection `C`.
    #[diagnostic::on_unimplemented(
        message = "the field of type `{Self}` cannot be loaded with `{A}` of `{K}` over async connection `{C}`",
        label = "this aggregate cannot be loaded on this connection",
        note = "the aggregate names a column of the children's table"
    )]
    pub trait LoadColumnAggregateFieldAsync<K: Children, A, C> {
        /// Load the field onto `nodes`, one value per node, in order.
        fn load_aggregate_async<N: Node<Model = K::Owner> + Send>(
            nodes: Vec<N>,
            conn: &mut C,
        ) -> impl Future<Output = Result<super::WithAggregate<N, K, A, Self>>>
        where
            Self: Sized;
    }

    #[diagnostic::do_not_recommend]
    impl<F, K, A, C> LoadColumnAggregateFieldAsync<K, A, C> for F
    where
        K: LoadAggregateAsync<C, A>,
        K::Column: KeyColumn<KeyOf<K::Owner>>,
        A: ColumnAggregate<Value = F> + Default,
        C: AsyncConnection,
    {
        fn load_aggregate_async<N: Node<Model = K::Owner> + Send>(
            nodes: Vec<N>,
            conn: &mut C,
        ) -> impl Future<Output = Result<super::WithAggregate<N, K, A, F>>> {
            prefetch_aggregate_with_async(nodes, A::default(), conn, |f| f)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Avg, ColumnAggregate, CountOf, Max, Min, Sum};

    diesel::table! {
        books (id) {
            id -> Integer,
            year -> Nullable<Integer>,
            title -> Text,
        }
    }

    type Stats = (
        CountOf<books::id>,
        Min<books::year>,
        Max<books::title>,
        Sum<books::year>,
        Avg<books::year>,
    );

    /// `COUNT(*)` for a column that cannot be NULL, so a tuple's counts are
    /// one aggregate; `COUNT(col)` for a nullable one.
    #[cfg(any(feature = "sqlite", feature = "postgres"))]
    #[test]
    fn a_count_of_a_not_null_column_counts_rows() {
        use diesel::query_dsl::QueryDsl;
        #[cfg(feature = "sqlite")]
        type Db = diesel::sqlite::Sqlite;
        #[cfg(not(feature = "sqlite"))]
        type Db = diesel::pg::Pg;
        let unquoted = |sql: String| sql.replace(['`', '"'], "");
        let avg = books::table.select(Avg(books::id).selection());
        let not_null = unquoted(diesel::debug_query::<Db, _>(&avg).to_string());
        let count = books::table.select(CountOf(books::year));
        let nullable = unquoted(diesel::debug_query::<Db, _>(&count).to_string());
        assert!(
            not_null.starts_with("SELECT SUM(books.id), COUNT(*) FROM books"),
            "{not_null}"
        );
        assert!(
            nullable.starts_with("SELECT COUNT(books.year) FROM books"),
            "{nullable}"
        );
    }

    /// A parent's rows folded member by member: two rows (one key under two
    /// spellings) give the count and sum of both, the extremes of both, the
    /// mean of all the children; no row gives each aggregate's empty value.
    #[test]
    fn a_tuple_folds_each_member_over_the_rows_of_one_parent() {
        let a = (
            3,
            Some(1990),
            Some("b".to_string()),
            Some(5970),
            (Some(5970), 3),
        );
        let b = (
            2,
            Some(1980),
            Some("c".to_string()),
            Some(2000),
            (Some(2000), 1),
        );
        let mut acc = Stats::first(a);
        Stats::add(&mut acc, b);
        let want = (
            5,
            Some(1980),
            Some("c".to_string()),
            Some(7970),
            Some(7970.0 / 4.0),
        );
        assert_eq!(Stats::finish(Some(acc)), want);
        assert_eq!(Stats::finish(None), (0, None, None, None, None));
        // NULLs only: no extreme, no sum, no mean, whatever the count.
        let nulls = (2, None, None, None, (None, 0));
        assert_eq!(
            Stats::finish(Some(Stats::first(nulls))),
            (2, None, None, None, None)
        );
    }
}
