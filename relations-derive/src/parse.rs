//! Syntax only: darling receivers for our own `#[foreign_key(...)]` attribute,
//! and a lenient reader for the parts of Diesel's `#[diesel(...)]` attributes
//! that say where a model lives (Diesel's own derives validate the rest).

use darling::util::SpannedValue;
use darling::{FromDeriveInput, FromField, FromMeta};
use proc_macro2::TokenStream;
use syn::ext::IdentExt;
use syn::{Attribute, Ident, Path};

/// The struct `#[derive(Relations)]` is on.
#[derive(FromDeriveInput)]
#[darling(forward_attrs(diesel, relations), supports(struct_named))]
pub struct InputReceiver {
    pub ident: Ident,
    pub vis: syn::Visibility,
    pub generics: syn::Generics,
    pub data: darling::ast::Data<(), FieldReceiver>,
    pub attrs: Vec<Attribute>,
}

/// One named field.
#[derive(FromField)]
#[darling(forward_attrs(diesel, foreign_key))]
pub struct FieldReceiver {
    pub ident: Option<Ident>,
    pub ty: syn::Type,
    pub attrs: Vec<Attribute>,
}

/// The keys of `#[foreign_key(...)]`.
#[derive(Default, FromMeta)]
pub struct ForeignKeyOpts {
    /// Name of the reverse relation on the parent (`books`); default `<child>_set`.
    pub related_name: Option<NameValue>,
    /// The parent model (`Author`), when no `#[diesel(belongs_to(...))]` names it.
    pub references: Option<Path>,
    /// Name of the forward relation on the child; default: the field name
    /// without its `_id` suffix.
    pub forward_name: Option<NameValue>,
    /// The foreign key is unique: the reverse relation holds at most one child
    /// (Django's `OneToOneField`).
    #[darling(default)]
    pub one_to_one: BareFlag,
    /// On a join model: the name of the many-to-many relation this field's
    /// parent gets, reaching the parent of the join model's other foreign key.
    pub many_to_many: Option<NameValue>,
    /// The name of the generated has-many relation key, when the default
    /// (`AuthorBooks`: parent + related name) is taken by a type of yours.
    pub related_key: Option<NameValue>,
    /// The name of the generated belongs-to relation key, when the default
    /// (`BookAuthor`: child + forward name) is taken, e.g. by a join model.
    pub forward_key: Option<NameValue>,
}

/// A relation name: a string literal, spanned for errors.
pub type NameValue = SpannedValue<Name>;

/// A relation name as written: `"books"`. A bare identifier or any other value
/// is an error that shows the string form.
#[derive(Debug, Clone)]
pub struct Name(pub String);

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl FromMeta for Name {
    fn from_string(value: &str) -> darling::Result<Self> {
        Ok(Name(value.to_string()))
    }

    fn from_expr(expr: &syn::Expr) -> darling::Result<Self> {
        match expr {
            syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) => Ok(Name(s.value())),
            syn::Expr::Path(p) if p.path.get_ident().is_some() => {
                let ident = p.path.get_ident().expect("checked");
                Err(darling::Error::custom(format!(
                    "a relation name is a string: write `\"{ident}\"`"
                )))
            }
            _ => Err(darling::Error::custom(
                "a relation name is a string, e.g. `related_name = \"books\"`",
            )),
        }
    }
}

/// A key that takes no value: `one_to_one`, not `one_to_one = true`.
#[derive(Debug, Default, Clone, Copy)]
pub struct BareFlag(bool);

impl BareFlag {
    pub fn is_present(&self) -> bool {
        self.0
    }
}

impl FromMeta for BareFlag {
    fn from_meta(item: &syn::Meta) -> darling::Result<Self> {
        match item {
            syn::Meta::Path(_) => Ok(BareFlag(true)),
            other => {
                let name = other
                    .path()
                    .get_ident()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                Err(darling::Error::custom(format!(
                    "`{name}` takes no value: write just `{name}`, e.g. \
                     `#[foreign_key(references = Author, {name})]`"
                ))
                .with_span(other))
            }
        }
    }
}

/// `#[foreign_key(...)]` as written on one field.
pub struct ForeignKeyAttr {
    pub opts: ForeignKeyOpts,
    /// Written `#[foreign_key]`, with no list: help text then shows the
    /// whole attribute to write.
    pub bare: bool,
}

impl ForeignKeyAttr {
    pub fn parse(attr: &Attribute) -> darling::Result<Self> {
        let bare = matches!(attr.meta, syn::Meta::Path(_));
        let opts = match &attr.meta {
            // `#[foreign_key]` alone: every key takes its default.
            syn::Meta::Path(_) => ForeignKeyOpts::default(),
            meta => ForeignKeyOpts::from_meta(meta)?,
        };
        Ok(ForeignKeyAttr { opts, bare })
    }
}

/// `belongs_to(Parent)` or `belongs_to(Parent, foreign_key = field)`.
pub struct BelongsTo {
    pub parent: Path,
    pub foreign_key: Option<Ident>,
}

/// What `#[diesel(...)]` on the struct says that relations needs.
#[derive(Default)]
pub struct DieselStructAttrs {
    pub table_name: Option<Path>,
    pub primary_key: Option<Vec<Ident>>,
    pub belongs_to: Vec<BelongsTo>,
}

/// What `#[diesel(...)]` on a field says that relations needs.
#[derive(Default)]
pub struct DieselFieldAttrs {
    pub column_name: Option<Ident>,
}

/// Skip the value of a Diesel key this crate does not read:
/// `key`, `key = value` or `key(...)`.
fn skip_value(meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let value = meta.value()?;
        // Everything up to the next top-level comma.
        while !value.is_empty() && !value.peek(syn::Token![,]) {
            value.parse::<proc_macro2::TokenTree>()?;
        }
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<TokenStream>()?;
    }
    Ok(())
}

/// Read `table_name`, `primary_key` and `belongs_to` from the struct's
/// `#[diesel(...)]` attributes. Malformed Diesel attributes are left to Diesel's
/// derives to report, so they are skipped here, not reported twice.
pub fn diesel_struct_attrs(attrs: &[Attribute]) -> DieselStructAttrs {
    let mut out = DieselStructAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("diesel")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("table_name") {
                out.table_name = Some(meta.value()?.parse()?);
            } else if meta.path.is_ident("primary_key") {
                let content;
                syn::parenthesized!(content in meta.input);
                let keys = content.parse_terminated(Ident::parse_any_ident, syn::Token![,])?;
                out.primary_key = Some(keys.into_iter().collect());
            } else if meta.path.is_ident("belongs_to") {
                let content;
                syn::parenthesized!(content in meta.input);
                let parent: Path = content.parse()?;
                let mut foreign_key = None;
                while content.peek(syn::Token![,]) {
                    content.parse::<syn::Token![,]>()?;
                    if content.is_empty() {
                        break;
                    }
                    let key: Ident = content.parse()?;
                    content.parse::<syn::Token![=]>()?;
                    let value: Ident = Ident::parse_any_ident(&content)?;
                    if key == "foreign_key" {
                        foreign_key = Some(value);
                    }
                }
                out.belongs_to.push(BelongsTo {
                    parent,
                    foreign_key,
                });
            } else {
                skip_value(&meta)?;
            }
            Ok(())
        });
    }
    out
}

/// Read `column_name` from a field's `#[diesel(...)]` attributes.
pub fn diesel_field_attrs(attrs: &[Attribute]) -> DieselFieldAttrs {
    let mut out = DieselFieldAttrs::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident("diesel")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("column_name") {
                let value = meta.value()?;
                // Diesel accepts an identifier (`type_col`, `r#type`) or a
                // string (`"type"`); either names the column in `table!`.
                let (name, span) = if value.peek(syn::LitStr) {
                    let lit = value.parse::<syn::LitStr>()?;
                    (lit.value(), lit.span())
                } else {
                    let ident = Ident::parse_any_ident(value)?;
                    (ident.unraw().to_string(), ident.span())
                };
                // A name that is no identifier is Diesel's to report; the
                // field's name is used meanwhile.
                out.column_name = column_ident(&name, span);
            } else {
                skip_value(&meta)?;
            }
            Ok(())
        });
    }
    out
}

/// The column `name` as `table!` declares it: `type_id`, or `r#type` for a
/// keyword. `None` for a name no identifier can spell (`"a b"`, `"self"`).
pub fn column_ident(name: &str, span: proc_macro2::Span) -> Option<Ident> {
    let mut ident = syn::parse_str::<Ident>(name)
        .or_else(|_| syn::parse_str::<Ident>(&format!("r#{name}")))
        .ok()?;
    ident.set_span(span);
    Some(ident)
}

/// `Ident::parse_any` (keywords allowed, as in `column_name = type`), usable as
/// a parser function.
trait ParseAnyIdent {
    fn parse_any_ident(input: syn::parse::ParseStream<'_>) -> syn::Result<Ident>;
}

impl ParseAnyIdent for Ident {
    fn parse_any_ident(input: syn::parse::ParseStream<'_>) -> syn::Result<Ident> {
        Ident::parse_any(input)
    }
}

/// `#[relations(crate = "path")]` on the struct: where the generated code finds
/// `diesel-relations` when the dependency is renamed or re-exported (serde's
/// `#[serde(crate = "...")]`). `None` when not given.
pub fn relations_crate(attrs: &[Attribute]) -> darling::Result<Option<Path>> {
    let mut krate = None;
    let mut errors = darling::Error::accumulator();
    for attr in attrs.iter().filter(|a| a.path().is_ident("relations")) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("crate") {
                let value: syn::LitStr = meta.value()?.parse()?;
                krate = Some(value.parse::<Path>().map_err(|_| {
                    syn::Error::new(
                        value.span(),
                        "expected a path to the crate, e.g. `crate = \"my_reexport::relations\"`",
                    )
                })?);
                Ok(())
            } else {
                Err(meta.error(
                    "unknown key in `#[relations(...)]`: the only one is `crate = \"path\"`, \
                     the path of `diesel_relations` when it is renamed or re-exported",
                ))
            }
        });
        if let Err(e) = result {
            errors.push(e.into());
        }
    }
    errors.finish()?;
    Ok(krate)
}
