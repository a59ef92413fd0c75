//! The `#[derive(Relations)]` macro of `diesel-relations`. Use it through
//! `diesel_relations::Relations`; this crate has no other public API.
//!
//! Pipeline: `parse` (syntax, darling) → `validate` (semantic checks, every
//! error accumulated) → `expand` (model → tokens that fill in the runtime's
//! traits).

mod expand;
mod model;
mod parse;
mod validate;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Generates typed relation loaders from `#[foreign_key(...)]` fields.
///
/// See the `relations-runtime` crate for the full reference.
#[proc_macro_derive(Relations, attributes(foreign_key, relations))]
pub fn derive_relations(input: TokenStream) -> TokenStream {
    derive_relations_inner(input.into()).into()
}

/// The derive on `proc_macro2` tokens, for tests and fuzzing.
///
/// Never panics: input that is not a struct, or misused attributes, come back
/// as `compile_error!` tokens.
fn derive_relations_inner(input: proc_macro2::TokenStream) -> proc_macro2::TokenStream {
    let input: syn::DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(e) => return e.to_compile_error(),
    };
    let (model, errors) = validate::validate(&input);
    // On errors, still emit what was understood, so the user sees the real
    // mistake and not a cascade of "cannot find" errors about missing items.
    let items = model.as_ref().map(expand::expand).unwrap_or_default();
    let errors = errors.map(|e| e.write_errors()).unwrap_or_default();
    quote::quote! {
        #errors
        #items
    }
}
