//! How a loader runs: on a blocking Diesel connection, or on a diesel-async one.
//!
//! Statements are built once, for a backend, whatever the mode; only running
//! them and the nested steps of a [`Prefetch`](crate::Prefetch) (`.then(..)`)
//! differ. The mode of a blocking connection `C` is `C` itself, so blocking code
//! writes `Prefetch<AuthorBooks, SqliteConnection>`; the mode of a diesel-async
//! connection `C` is `Async<C>` (feature `async`).

use diesel::backend::Backend;
use diesel::Connection;

use crate::error::Result;

/// How a loader runs: a blocking [`Connection`](diesel::Connection) is its own mode; a diesel-async
/// connection `C` runs in mode `Async<C>` (feature `async`).
pub trait Mode: Sized {
    /// The backend the statements are built for.
    type Backend: Backend;
    /// A nested step of a [`Prefetch`](crate::Prefetch): turns the loaded
    /// children into what each parent holds, with the connection at hand.
    #[doc(hidden)]
    type Then<Child, T>;
}

impl<C: Connection> Mode for C {
    type Backend = C::Backend;
    type Then<Child, T> = Box<dyn FnOnce(Vec<Child>, &mut C) -> Result<Vec<T>>>;
}

/// The nested steps of a [`Prefetch`](crate::Prefetch): none yet (the
/// children as they are), or a chain built by `.then(..)`.
pub(crate) enum ThenStep<M: Mode, Child, T> {
    /// No connection needed: the identity, before any `.then(..)`.
    Map(fn(Vec<Child>) -> Vec<T>),
    /// A chain of nested loads.
    Run(M::Then<Child, T>),
}

impl<M: Mode, Child> ThenStep<M, Child, Child> {
    pub(crate) fn identity() -> Self {
        ThenStep::Map(|children| children)
    }
}

impl<C: Connection, Child, T> ThenStep<C, Child, T> {
    /// Run the chain on a blocking connection.
    pub(crate) fn run(self, children: Vec<Child>, conn: &mut C) -> Result<Vec<T>> {
        match self {
            ThenStep::Map(map) => Ok(map(children)),
            ThenStep::Run(then) => then(children, conn),
        }
    }
}
