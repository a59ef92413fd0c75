//! Django's `prefetch_related` for Diesel, checked by the compiler.
//!
//! This is the crate to add: it re-exports the runtime (`relations-runtime`)
//! and the `#[derive(Relations)]` macro (`relations-derive`). See the README
//! for the walkthrough and the attribute reference.
#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc(inline)]
pub use relations_runtime::*;

// The README's quick start is compiled and run as a doctest, so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}
