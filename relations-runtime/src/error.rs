//! The error a loader returns: which relation failed, and why.

use std::fmt;

/// A relation failed to load. Nothing partial is returned with it.
///
/// `Error` names the relation (`relation()`) and converts into
/// `diesel::result::Error` with `?`, so loaders fit in functions that return
/// `QueryResult`.
#[derive(Debug)]
pub struct Error {
    relation: &'static str,
    kind: ErrorKind,
}

/// Why a relation failed to load.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The database returned an error (missing table, bad column type,
    /// lost connection, timeout, ...).
    Database(diesel::result::Error),
    /// A child's foreign key names a parent row that does not exist, so a
    /// forward relation has nothing to point at.
    MissingParent {
        /// The dangling key, formatted with `Debug`.
        key: String,
    },
    /// A one-to-one relation found more than one row for a parent.
    NotUnique {
        /// The parent's key, formatted with `Debug`.
        key: String,
        /// How many rows point at it.
        rows: usize,
    },
    /// A nested loader (`Prefetch::then`) returned a different number of
    /// values than it was given children.
    NestedLength {
        /// Children loaded.
        expected: usize,
        /// Values the nested loader returned.
        got: usize,
    },
    /// A loader that takes its own connection from a pool (the GraphQL
    /// loaders) could not get one.
    Pool {
        /// The pool's error, formatted with `Display`.
        message: String,
    },
}

impl Error {
    pub(crate) fn database(relation: &'static str, error: diesel::result::Error) -> Self {
        Error {
            relation,
            kind: ErrorKind::Database(error),
        }
    }

    pub(crate) fn missing_parent(relation: &'static str, key: &dyn fmt::Debug) -> Self {
        Error {
            relation,
            kind: ErrorKind::MissingParent {
                key: format!("{key:?}"),
            },
        }
    }

    pub(crate) fn not_unique(relation: &'static str, key: &dyn fmt::Debug, rows: usize) -> Self {
        Error {
            relation,
            kind: ErrorKind::NotUnique {
                key: format!("{key:?}"),
                rows,
            },
        }
    }

    pub(crate) fn nested_length(relation: &'static str, expected: usize, got: usize) -> Self {
        Error {
            relation,
            kind: ErrorKind::NestedLength { expected, got },
        }
    }

    #[cfg_attr(not(feature = "async-graphql"), allow(dead_code))]
    pub(crate) fn pool(relation: &'static str, error: &dyn fmt::Display) -> Self {
        Error {
            relation,
            kind: ErrorKind::Pool {
                message: error.to_string(),
            },
        }
    }

    /// The name of the relation that failed (`"books"`); empty for a
    /// Diesel error converted with `?` outside a loader.
    pub fn relation(&self) -> &'static str {
        self.relation
    }

    /// Why it failed.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The database error, if the database reported one.
    pub fn database_error(&self) -> Option<&diesel::result::Error> {
        match &self.kind {
            ErrorKind::Database(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::Database(e) if self.relation.is_empty() => write!(f, "{e}"),
            ErrorKind::Database(e) => write!(f, "loading relation `{}` failed: {e}", self.relation),
            ErrorKind::MissingParent { key } => write!(
                f,
                "loading relation `{}` failed: no parent row has key {key}",
                self.relation
            ),
            ErrorKind::NotUnique { key, rows } => write!(
                f,
                "loading relation `{}` failed: it is one-to-one, but {rows} rows point at parent {key}",
                self.relation
            ),
            ErrorKind::NestedLength { expected, got } => write!(
                f,
                "loading relation `{}` failed: the nested loader returned {got} values for {expected} children",
                self.relation
            ),
            ErrorKind::Pool { message } => write!(
                f,
                "loading relation `{}` failed: no connection from the pool: {message}",
                self.relation
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Database(e) => Some(e),
            _ => None,
        }
    }
}

/// `?` in a function returning `QueryResult`: a database error is passed on as
/// it was (so `NotFound`, `DatabaseError(..)` can still be matched); any other
/// failure becomes `QueryBuilderError` carrying this error.
impl From<Error> for diesel::result::Error {
    fn from(e: Error) -> Self {
        match e.kind {
            ErrorKind::Database(inner) => inner,
            _ => diesel::result::Error::QueryBuilderError(Box::new(e)),
        }
    }
}

/// `?` on a Diesel call in a function returning this crate's [`Result`]:
/// the error names no relation ([`Error::relation`] is empty) and is
/// [`ErrorKind::Database`].
impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Self {
        Error::database("", e)
    }
}

/// The result of a loader.
pub type Result<T, E = Error> = std::result::Result<T, E>;
