//! `select_related`: a belongs-to relation loaded in the same statement as its
//! children, with a join (Django's `select_related`).

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::query_dsl::LoadQuery;
use diesel::Connection;

use crate::error::{Error, Result};
use crate::relation::{BelongsTo, Relation};
use crate::with::With;

/// A belongs-to relation that can be joined over backend `DB`: the derive
/// implements it for every forward relation key. An inner join for a `NOT NULL`
/// foreign key, a left join for a nullable one.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be joined: `select_related` takes a forward (belongs-to) relation",
    label = "not a forward relation that can be joined",
    note = "a has-many relation would repeat each parent once per child in a join, and a self-referential foreign key cannot be joined without an alias: load those with their `prefetch_*` method (one extra query)"
)]
pub trait JoinBelongsTo<DB: Backend>: BelongsTo {
    /// `SELECT <child>, <parent> FROM child INNER|LEFT JOIN parent ON fk = pk`,
    /// boxed: `.filter()`/`.order()` on it may name either table's columns.
    type Query;
    /// The join.
    fn join_query() -> Self::Query;
}

/// The boxed join query of forward relation `R` over backend `DB`.
pub type JoinQuery<R, DB> = <R as JoinBelongsTo<DB>>::Query;

/// Loads each child together with its parent in one statement, with a join
/// (Django's `select_related`): `select_related(BookAuthor).load(conn)` gives
/// `Vec<With<Book, BookAuthor>>`.
///
/// Only forward relations can be joined: loading a join of a has-many relation
/// is a compile error (load it with its `prefetch_*` method). Both tables must
/// be listed in `diesel::allow_tables_to_appear_in_same_query!`, as
/// `diesel print-schema` writes them.
pub fn select_related<R>(_relation: R) -> SelectRelated<R> {
    SelectRelated {
        relation: PhantomData,
    }
}

/// A join of relation `R`, made by [`select_related`].
#[must_use = "a query does nothing until it is loaded"]
pub struct SelectRelated<R> {
    relation: PhantomData<fn() -> R>,
}

impl<R> SelectRelated<R> {
    /// Run the join: one statement.
    pub fn load<C>(self, conn: &mut C) -> Result<Vec<With<<R as Relation>::Owner, R>>>
    where
        C: Connection,
        R: JoinBelongsTo<C::Backend>,
        JoinQuery<R, C::Backend>:
            LoadQuery<'static, C, (<R as Relation>::Owner, <R as Relation>::Value)>,
    {
        self.load_with(conn, |q| q)
    }

    /// Run the join after refining it with Diesel's query DSL: filter or order
    /// on either table's columns, limit, offset.
    ///
    /// ```ignore
    /// select_related(BookAuthor)
    ///     .load_with(conn, |q| q.filter(authors::name.eq("Ursula")).order(books::title))?
    /// ```
    pub fn load_with<C, Q>(
        self,
        conn: &mut C,
        refine: impl FnOnce(JoinQuery<R, C::Backend>) -> Q,
    ) -> Result<Vec<With<<R as Relation>::Owner, R>>>
    where
        C: Connection,
        R: JoinBelongsTo<C::Backend>,
        Q: LoadQuery<'static, C, (<R as Relation>::Owner, <R as Relation>::Value)>,
    {
        let rows: Vec<(<R as Relation>::Owner, <R as Relation>::Value)> = refine(R::join_query())
            .load(conn)
            .map_err(|e| Error::database(<R as Relation>::NAME, e))?;
        Ok(rows
            .into_iter()
            .map(|(child, parent)| With::new(child, parent))
            .collect())
    }
}
