//! Test and example fixtures shared by the workspace (not published).

// The README's quick start is compiled and run as a doctest, so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
mod readme {}
