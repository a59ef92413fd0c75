//! Semantic checks: receivers in, a [`Model`] out, with every mistake in the
//! struct reported in one build (errors are accumulated, not returned at the
//! first one).

use darling::{Error, FromDeriveInput};
use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::Span;
use quote::format_ident;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Ident, Path, Type};

use crate::model::{ForeignKey, KeyField, ManyToMany, Model};
use crate::parse::{
    diesel_field_attrs, diesel_struct_attrs, relations_crate, FieldReceiver, ForeignKeyAttr,
    InputReceiver, NameValue,
};

/// Validate `input`. On failure, the returned model (if any) is still good
/// enough to emit fallback items, so the user sees the real errors and not a
/// cascade of "cannot find type" errors.
pub fn validate(input: &syn::DeriveInput) -> (Option<Model>, Option<Error>) {
    // The shape first, with a message that says what to write.
    let shape = match &input.data {
        syn::Data::Struct(s) if matches!(s.fields, syn::Fields::Named(_)) => None,
        syn::Data::Struct(s) => Some(("a tuple or unit struct", s.struct_token.span)),
        syn::Data::Enum(e) => Some(("an enum", e.enum_token.span)),
        syn::Data::Union(u) => Some(("a union", u.union_token.span)),
    };
    if let Some((what, span)) = shape {
        let error = Error::custom(format!(
            "`Relations` goes on a Diesel model, a struct with named fields \
             (`struct Author {{ id: i32, name: String }}`), not on {what}"
        ))
        .with_span(&span);
        return (None, Some(error));
    }
    let receiver = match InputReceiver::from_derive_input(input) {
        Ok(r) => r,
        Err(e) => {
            return (None, Some(e));
        }
    };

    if let Some(param) = receiver.generics.params.first() {
        // Nothing to expand for: the impls would need the parameters.
        let error = Error::custom(
            "`Relations` cannot be derived for a generic struct: Diesel models map to one \
             table, so remove the type, lifetime or const parameters",
        )
        .with_span(&param.span());
        return (None, Some(error));
    }
    // Created only now: an accumulator must be finished, never dropped.
    let mut errors = Error::accumulator();

    let diesel = diesel_struct_attrs(&receiver.attrs);
    let krate = errors.handle(relations_crate(&receiver.attrs)).flatten();
    let ident = receiver.ident.clone();
    let table = diesel.table_name.clone().unwrap_or_else(|| {
        let name = format_ident!(
            "{}s",
            ident.unraw().to_string().to_snake_case(),
            span = ident.span()
        );
        Path::from(name)
    });

    let fields = receiver
        .data
        .take_struct()
        .expect("darling checks the shape")
        .fields;

    let column_of = |f: &FieldReceiver| -> Ident {
        diesel_field_attrs(&f.attrs)
            .column_name
            .unwrap_or_else(|| f.ident.clone().expect("named fields"))
    };

    // The primary key: `id`, or the fields in `#[diesel(primary_key(...))]`.
    let pk_names = diesel
        .primary_key
        .clone()
        .unwrap_or_else(|| vec![Ident::new("id", Span::call_site())]);
    let primary_key = match pk_names.as_slice() {
        [one] => fields.iter().find(|f| same_name(f, one)).map(|f| KeyField {
            field: f.ident.clone().expect("named"),
            ty: f.ty.clone(),
            column: column_of(f),
        }),
        // Composite keys cannot be referenced (no single-column foreign key
        // can point at them); the model can still be a child.
        _ => None,
    };

    let mut foreign_keys: Vec<ForeignKey> = Vec::new();
    // `many_to_many = "..."` of each field, read with its foreign key.
    let mut many_to_many_names: Vec<(Ident, NameValue)> = Vec::new();
    for field in &fields {
        let fk_attrs: Vec<_> = field
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("foreign_key"))
            .collect();
        let Some(first) = fk_attrs.first() else {
            continue;
        };
        for extra in &fk_attrs[1..] {
            errors.push(
                Error::custom(
                    "duplicate `#[foreign_key]` on one field: put all keys in one attribute, \
                     e.g. `#[foreign_key(related_name = \"books\", references = Author)]`",
                )
                .with_span(&extra.meta.path()),
            );
        }
        let Some(attr) = errors.handle(ForeignKeyAttr::parse(first)) else {
            continue;
        };
        if let Some(name) = &attr.opts.many_to_many {
            let field_ident = field.ident.clone().expect("named fields");
            many_to_many_names.push((field_ident, name.clone()));
        }
        if let Some(fk) = foreign_key(
            &ident,
            field,
            attr,
            &diesel.belongs_to,
            column_of(field),
            &mut errors,
        ) {
            foreign_keys.push(fk);
        }
    }

    // Two relations of this struct with the same name on the same parent
    // (Django's reverse-accessor clash), or two forward relations with the same
    // name. The later one is reported and left out of the expansion, so the
    // user sees this error and not the clash of the generated items.
    let mut kept: Vec<ForeignKey> = Vec::with_capacity(foreign_keys.len());
    for fk in foreign_keys {
        if let Some(first) = kept
            .iter()
            .find(|other| other.reverse_key == fk.reverse_key)
        {
            errors.push(
                Error::custom(format!(
                    "`{}` already has a relation named `{}` (from field `{}`): give this foreign key \
                     another name, e.g. `related_name = \"{}_{}\"`",
                    path_name(&fk.parent),
                    fk.related_name,
                    first.key.field,
                    fk.forward_name,
                    fk.related_name
                ))
                .with_span(&fk.related_name.span()),
            );
            continue;
        }
        if let Some(first) = kept
            .iter()
            .find(|other| other.forward_name == fk.forward_name)
        {
            errors.push(
                Error::custom(format!(
                    "two foreign keys of `{ident}` are both named `{}` (the other is `{}`): set \
                     `forward_name = \"...\"` on one of them",
                    fk.forward_name, first.key.field
                ))
                .with_span(&fk.forward_name.span()),
            );
            continue;
        }
        kept.push(fk);
    }
    let foreign_keys = kept;

    let link_key = link_key(&ident, &pk_names, &fields);
    let many_to_many = many_to_many(many_to_many_names, &foreign_keys, &link_key, &mut errors);

    let model = Model {
        ident,
        vis: receiver.vis,
        table,
        primary_key,
        foreign_keys,
        many_to_many,
        krate,
    };
    match errors.finish() {
        Ok(()) => (Some(model), None),
        Err(e) => (Some(model), Some(e)),
    }
}

/// A generated type's name given with `related_key` / `forward_key`: an
/// upper-camel-case identifier. `Ok(None)` when not given.
fn type_name(
    value: Option<&crate::parse::NameValue>,
    key: &str,
    errors: &mut darling::error::Accumulator,
) -> Result<Option<Ident>, ()> {
    let Some(value) = value else {
        return Ok(None);
    };
    let name: &str = &value.0;
    let camel = name.to_upper_camel_case();
    match syn::parse_str::<Ident>(name) {
        Ok(ident) if camel == name => Ok(Some(Ident::new(&ident.to_string(), value.span()))),
        _ => {
            let suggestion = if camel.is_empty() {
                "BookWriter".to_string()
            } else {
                camel
            };
            errors.push(
                Error::custom(format!(
                    "`{name}` is not a type name: `{key}` names the generated relation key, a \
                     struct, so write e.g. `{key} = \"{suggestion}\"`"
                ))
                .with_span(&value.span()),
            );
            Err(())
        }
    }
}

/// The last segment of a path, for messages and generated names (`r#` left
/// out: `AuthorBooks` is built from it).
pub fn path_name(path: &Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.unraw().to_string())
        .unwrap_or_default()
}

/// Whether `field` is the one `name` designates (`r#type` and `type` alike).
fn same_name(field: &FieldReceiver, name: &Ident) -> bool {
    field
        .ident
        .as_ref()
        .is_some_and(|f| f.unraw() == name.unraw())
}

fn foreign_key(
    child: &Ident,
    field: &FieldReceiver,
    attr: ForeignKeyAttr,
    belongs_to: &[crate::parse::BelongsTo],
    column: Ident,
    errors: &mut darling::error::Accumulator,
) -> Option<ForeignKey> {
    let field_ident = field.ident.clone().expect("named fields");
    // The field's name without `r#`: `r#type` gives the name `type`.
    let field_name = field_ident.unraw().to_string();
    let ForeignKeyAttr { opts, bare } = attr;

    // The parent: `references = X`, else the `belongs_to(X)` whose foreign key
    // is this field (explicitly, or by Diesel's default `<x>_id`).
    let parent = opts.references.clone().or_else(|| {
        belongs_to
            .iter()
            .find(|b| match &b.foreign_key {
                Some(fk) => fk.unraw() == field_name,
                None => field_name == format!("{}_id", path_name(&b.parent).to_snake_case()),
            })
            .map(|b| b.parent.clone())
    });
    // `Self` names this struct. The generated items are outside its `impl`,
    // where `Self` would mean something else (or nothing), so it is replaced
    // by the struct's name, spanned at the user's `Self`.
    let parent = parent.map(|parent| match parent.get_ident() {
        Some(id) if id == "Self" => {
            let mut this = child.clone();
            this.set_span(id.span());
            Path::from(this)
        }
        _ => parent,
    });
    // Every part is checked before giving up, so all mistakes show at once.
    let mut failed = false;
    if parent.is_none() {
        let guess = field_name
            .strip_suffix("_id")
            .map(|s| s.to_upper_camel_case())
            .unwrap_or_else(|| "Parent".to_string());
        errors.push(
            Error::custom(format!(
                "cannot tell which model `{field_ident}` references: write \
                 `#[foreign_key(references = {guess})]`, or add `#[diesel(belongs_to({guess}, \
                 foreign_key = {field_ident}))]` to the struct"
            ))
            .with_span(&field_ident),
        );
        failed = true;
    }

    let related_name = match &opts.related_name {
        Some(name) => match identifier(&name.0, "related_name", name.span()) {
            Ok(id) => id,
            Err(e) => {
                errors.push(e.with_span(&name.span()));
                failed = true;
                Ident::new("__invalid", name.span())
            }
        },
        // Django's defaults: `profile` for a one-to-one field, `book_set` otherwise.
        None => {
            let child_name = child.unraw().to_string().to_snake_case();
            let (name, origin) = if opts.one_to_one.is_present() {
                (child_name, format!("struct `{child}` with `one_to_one`"))
            } else {
                (format!("{child_name}_set"), format!("struct `{child}`"))
            };
            match default_name(&name, &origin, "related_name", bare, &field_ident) {
                Ok(id) => id,
                Err(e) => {
                    errors.push(e);
                    failed = true;
                    Ident::new("__invalid", field_ident.span())
                }
            }
        }
    };
    let forward_name = match &opts.forward_name {
        Some(name) => match identifier(&name.0, "forward_name", name.span()) {
            Ok(id) => id,
            Err(e) => {
                errors.push(e.with_span(&name.span()));
                failed = true;
                Ident::new("__invalid", name.span())
            }
        },
        None => {
            let base = field_name
                .strip_suffix("_id")
                .filter(|b| !b.is_empty())
                .unwrap_or(&field_name);
            let origin = format!("field `{field_ident}`");
            match default_name(base, &origin, "forward_name", bare, &field_ident) {
                Ok(id) => id,
                Err(e) => {
                    errors.push(e);
                    failed = true;
                    Ident::new("__invalid", field_ident.span())
                }
            }
        }
    };

    let related_key = type_name(opts.related_key.as_ref(), "related_key", errors);
    let forward_key = type_name(opts.forward_key.as_ref(), "forward_key", errors);
    let (false, Some(parent), Ok(related_key), Ok(forward_key)) =
        (failed, parent, related_key, forward_key)
    else {
        return None;
    };
    let parent_name = path_name(&parent);
    let reverse_key = related_key.unwrap_or_else(|| {
        format_ident!(
            "{}{}",
            parent_name,
            related_name.to_string().to_upper_camel_case(),
            span = related_name.span()
        )
    });
    let forward_key = forward_key.unwrap_or_else(|| {
        format_ident!(
            "{}{}",
            child,
            forward_name.to_string().to_upper_camel_case(),
            span = forward_name.span()
        )
    });
    Some(ForeignKey {
        key: KeyField {
            field: field_ident,
            ty: field.ty.clone(),
            column,
        },
        nullable: is_option(&field.ty),
        one_to_one: opts.one_to_one.is_present(),
        parent,
        related_name,
        forward_name,
        reverse_key,
        forward_key,
    })
}

/// A relation name must be usable as a method name, and read as one (snake
/// case, or rustc warns at every generated method). `key` is the attribute
/// key that gave it (`related_name`), for the help.
fn identifier(name: &str, key: &str, span: Span) -> Result<Ident, Error> {
    if !is_identifier(name) {
        return Err(Error::custom(format!(
            "`{name}` is not a valid relation name: it becomes a method name, so it must be a \
             Rust identifier that is not a keyword, e.g. \"{}\"",
            suggest_name(name)
        )));
    }
    if !is_snake_case(name) {
        let suggestion = suggest_name(name);
        return Err(Error::custom(format!(
            "`{name}` is not a snake-case name: relation names become method names \
             (`prefetch_{suggestion}`, `{suggestion}()`), so write `{key} = \"{suggestion}\"`"
        )));
    }
    Ok(Ident::new(name, span))
}

/// A relation name the derive makes up (from the field or the struct), checked
/// as [`identifier`] checks the user's. A keyword is reported at the field,
/// with the key that names the relation instead.
fn default_name(
    name: &str,
    origin: &str,
    key: &str,
    bare: bool,
    field: &Ident,
) -> Result<Ident, Error> {
    if is_identifier(name) {
        return Ok(Ident::new(name, field.span()));
    }
    let suggestion = suggest_name(name);
    // Made of an identifier, it can only be a keyword (`type`, `self`), or
    // `_` (from a field `__id`).
    let what = if name == "_" {
        "is reserved in Rust"
    } else {
        "is a Rust keyword"
    };
    let fix = if bare {
        format!("write `#[foreign_key({key} = \"{suggestion}\")]`")
    } else {
        format!("add `{key} = \"{suggestion}\"` to the field's `#[foreign_key(...)]`")
    };
    Err(Error::custom(format!(
        "the relation name `{name}` (from {origin}) {what}, and relation names become method \
         names: {fix}"
    ))
    .with_span(field))
}

/// A Rust identifier, not a keyword and not raw (`r#type`).
fn is_identifier(name: &str) -> bool {
    syn::parse_str::<Ident>(name).is_ok() && !name.starts_with("r#")
}

/// rustc's test for the `non_snake_case` lint: no upper case letter, and no
/// `__` inside (leading and trailing underscores are allowed).
fn is_snake_case(name: &str) -> bool {
    let mut allow_underscore = true;
    name.trim_matches('_').chars().all(|c| {
        let ok = match c {
            '_' => allow_underscore,
            c => !c.is_uppercase(),
        };
        allow_underscore = c != '_';
        ok
    })
}

/// A valid snake-case spelling of `name`: `my_books` for `my-books` or
/// `MyBooks`, `type_` for `type`.
fn suggest_name(name: &str) -> String {
    let suggestion: String = name
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .to_snake_case();
    if suggestion.is_empty() || suggestion.starts_with(|c: char| c.is_ascii_digit()) {
        format!("r_{suggestion}")
    } else if syn::parse_str::<Ident>(&suggestion).is_err() {
        // A keyword (`type`): the usual Rust spelling adds an underscore.
        format!("{suggestion}_")
    } else {
        suggestion
    }
}

/// `Option<T>` (also `std::option::Option<T>` / `core::option::Option<T>`).
fn is_option(ty: &Type) -> bool {
    match ty {
        Type::Path(p) if p.qself.is_none() => p
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "Option" && !s.arguments.is_empty()),
        _ => false,
    }
}

/// The Rust type of the primary key of a join model (its fields' types, a
/// tuple for a composite key): the links are ordered by it. The message says
/// what is missing otherwise.
fn link_key(ident: &Ident, pk_names: &[Ident], fields: &[FieldReceiver]) -> Result<Type, String> {
    let mut types = Vec::new();
    for name in pk_names {
        match fields.iter().find(|f| same_name(f, name)) {
            Some(f) => types.push(f.ty.clone()),
            None => {
                return Err(format!(
                    "`many_to_many` gives each parent its targets in the order of the join \
                     model's primary key, and `{ident}` has no field `{name}`: name its key \
                     fields with `#[diesel(primary_key(...))]`, e.g. \
                     `#[diesel(primary_key(book_id, tag_id))]`"
                ))
            }
        }
    }
    match types.as_slice() {
        [] => Err(format!(
            "`many_to_many` gives each parent its targets in the order of the join model's \
             primary key, and `{ident}` names none: list its key fields in \
             `#[diesel(primary_key(...))]`"
        )),
        [one] => Ok(one.clone()),
        _ => Ok(syn::parse_quote!((#(#types),*))),
    }
}

/// `many_to_many = "tags"` on a join model's foreign key: the relation goes
/// from that key's parent to the parent of the other foreign key.
fn many_to_many(
    names: Vec<(Ident, NameValue)>,
    foreign_keys: &[ForeignKey],
    link_key: &Result<Type, String>,
    errors: &mut darling::error::Accumulator,
) -> Vec<ManyToMany> {
    let mut out = Vec::new();
    for (field_ident, name) in names {
        let Some(this) = foreign_keys.iter().find(|fk| fk.key.field == field_ident) else {
            continue;
        };
        let others: Vec<&ForeignKey> = foreign_keys
            .iter()
            .filter(|fk| fk.key.field != field_ident)
            .collect();
        let [other] = others.as_slice() else {
            errors.push(
                Error::custom(format!(
                    "`many_to_many` goes on a join model with exactly two foreign keys; this one \
                     has {}: mark the other end with `#[foreign_key(references = ...)]`, or \
                     remove the extra `#[foreign_key]`",
                    foreign_keys.len()
                ))
                .with_span(&name.span()),
            );
            continue;
        };
        let mut nullable = false;
        for fk in [this, *other] {
            if fk.nullable {
                nullable = true;
                errors.push(
                    Error::custom(format!(
                        "a many-to-many join model links two rows: `{}` must not be an `Option`",
                        fk.key.field
                    ))
                    .with_span(&fk.key.ty),
                );
            }
        }
        if nullable {
            continue;
        }
        let link_key = match link_key {
            Ok(ty) => ty.clone(),
            Err(message) => {
                errors.push(Error::custom(message).with_span(&name.span()));
                continue;
            }
        };
        let name = match identifier(&name.0, "many_to_many", name.span()) {
            Ok(id) => id,
            Err(e) => {
                errors.push(e.with_span(&name.span()));
                continue;
            }
        };
        let key = format_ident!(
            "{}{}",
            path_name(&this.parent),
            name.to_string().to_upper_camel_case(),
            span = name.span()
        );
        out.push(ManyToMany {
            name,
            key,
            parent: this.parent.clone(),
            target: other.parent.clone(),
            source_column: this.key.column.clone(),
            target_column: other.key.column.clone(),
            link_key,
        });
    }
    out
}
