//! `#[derive(Shape)]`: a struct that declares which relations of a model to
//! load. Parsing and checks here; the generated impls fill in
//! `diesel_relations::{Shape, ShapeOf, LoadShape}`, whose runtime does the loading.

use darling::util::{Flag, SpannedValue};
use darling::{Error, FromDeriveInput, FromField};
use heck::ToUpperCamelCase;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Ident, Path, Type};

use crate::parse::relations_crate;

#[derive(FromDeriveInput)]
#[darling(attributes(shape), supports(struct_named), forward_attrs(relations))]
struct ShapeReceiver {
    ident: Ident,
    generics: syn::Generics,
    data: darling::ast::Data<(), ShapeField>,
    attrs: Vec<syn::Attribute>,
    /// `#[shape(model = Author)]`.
    model: Option<Path>,
    /// `#[shape(backend = diesel::sqlite::Sqlite)]`: the backend the refinement
    /// functions (`with = ...`) are written for.
    backend: Option<syn::Expr>,
}

#[derive(FromField)]
#[darling(attributes(shape))]
struct ShapeField {
    ident: Option<Ident>,
    ty: Type,
    /// `#[shape(model)]`: this field holds the model.
    model: Flag,
    /// `#[shape(relation = "books")]`: the relation, when the field is named otherwise.
    relation: Option<SpannedValue<String>>,
    /// `#[shape(key = AuthorBooks)]`: the relation key, when it is not the
    /// model's name followed by the relation's (renamed with `related_key`,
    /// or not in scope under that name).
    key: Option<Path>,
    /// `#[shape(with = recent_three)]`: a function that refines the relation's
    /// builder (`Prefetch` / `PrefetchThrough`), as `prefetch_*_with` takes.
    with: Option<Path>,
    /// `#[shape(join)]`: a forward relation loaded in the models' own
    /// statement by `load_joined` (prefetched by `load` and `from_models`).
    join: Flag,
    /// `#[shape(count = "books")]`: the number of the relation's children,
    /// an `i64`, without loading them.
    count: Option<SpannedValue<String>>,
    /// `#[shape(exists = "books")]`: whether the relation has a child, a `bool`.
    exists: Option<SpannedValue<String>>,
    /// `#[shape(aggregate = "books", value = Max(books::year))]`: a column
    /// aggregate (or a tuple of them) of the relation's children.
    aggregate: Option<SpannedValue<String>>,
    /// The aggregate of an `aggregate = ".."` field: `Max(books::year)`.
    value: Option<syn::Expr>,
}

/// Which aggregate an aggregate field holds.
#[derive(Clone)]
enum Aggregate {
    Count,
    Exists,
    /// A column aggregate, as a type: `Max<books::year>`.
    Column(Box<Type>),
}

/// One relation field, checked.
struct RelationField {
    ident: Ident,
    ty: Type,
    key: Path,
    with: Option<Path>,
    join: bool,
    /// A `count` or `exists` field: `key` is the counted relation's.
    aggregate: Option<Aggregate>,
    span: Span,
}

pub fn derive(input: &syn::DeriveInput) -> TokenStream {
    let receiver = match ShapeReceiver::from_derive_input(input) {
        Ok(r) => r,
        Err(e) => return e.write_errors(),
    };
    let mut errors = Error::accumulator();
    if let Some(param) = receiver.generics.params.first() {
        errors.push(
            Error::custom(
                "`Shape` cannot be derived for a generic struct: a shape names the model and the \
                 types of its relations, so remove the type, lifetime or const parameters",
            )
            .with_span(&param.span()),
        );
    }
    let krate = errors.handle(relations_crate(&receiver.attrs)).flatten();
    let rt = match &krate {
        Some(path) => quote!(#path),
        None => quote!(::diesel_relations),
    };
    let ident = &receiver.ident;
    // Read as an expression (darling's `Type` wants a string), used as a type.
    let backend: Option<Type> =
        receiver
            .backend
            .as_ref()
            .and_then(|b| match syn::parse2::<Type>(b.to_token_stream()) {
                Ok(ty) => Some(ty),
                Err(_) => {
                    errors.push(
                        Error::custom(
                            "expected the backend's type, e.g. `backend = diesel::pg::Pg`",
                        )
                        .with_span(b),
                    );
                    None
                }
            });
    let Some(model) = receiver.model.clone() else {
        errors.push(
            Error::custom(format!(
                "name the model this shape is built on: `#[shape(model = Author)]` above `struct {ident}`"
            ))
            .with_span(ident),
        );
        return finish(errors, TokenStream::new());
    };
    let fields = receiver
        .data
        .take_struct()
        .expect("darling checks the shape")
        .fields;

    // The model's field: marked `#[shape(model)]`, or else the one whose type is
    // spelled like the model.
    let model_text = model.to_token_stream().to_string();
    let marked: Vec<&ShapeField> = fields.iter().filter(|f| f.model.is_present()).collect();
    let model_field = match marked.as_slice() {
        [one] => Some(one.ident.clone().expect("named")),
        [] => {
            let same: Vec<&ShapeField> = fields
                .iter()
                .filter(|f| f.ty.to_token_stream().to_string() == model_text)
                .collect();
            match same.as_slice() {
                [one] => Some(one.ident.clone().expect("named")),
                _ => {
                    errors.push(
                        Error::custom(format!(
                            "a shape holds its model: add a field `{}: {model_text}`, or mark the field \
                             that holds it with `#[shape(model)]`",
                            heck::ToSnakeCase::to_snake_case(
                                path_last(&model).unraw().to_string().as_str()
                            ),
                        ))
                        .with_span(ident),
                    );
                    None
                }
            }
        }
        [_, second, ..] => {
            errors.push(
                Error::custom("only one field holds the model: remove this `#[shape(model)]`")
                    .with_span(&second.model.span()),
            );
            None
        }
    };

    let mut relations = Vec::new();
    for field in &fields {
        let field_ident = field.ident.clone().expect("named");
        if Some(&field_ident) == model_field.as_ref() {
            if let Some(relation) = &field.relation {
                errors.push(
                    Error::custom("the model's field is not a relation: remove `relation = ...`")
                        .with_span(&relation.span()),
                );
            }
            if let Some(with) = &field.with {
                errors.push(
                    Error::custom("the model's field is not a relation: remove `with = ...`")
                        .with_span(with),
                );
            }
            if field.join.is_present() {
                errors.push(
                    Error::custom("the model's field is not a relation: remove `join`")
                        .with_span(&field.join.span()),
                );
            }
            continue;
        }
        // An aggregate field names its relation in `count = ".."`,
        // `exists = ".."` or `aggregate = ".."` (with `value = ..`).
        let named = [&field.count, &field.exists, &field.aggregate];
        if let Some(extra) = named.iter().filter_map(|n| n.as_ref()).nth(1) {
            errors.push(
                Error::custom(
                    "a field holds one aggregate: keep one of `count = ...`, `exists = ...` and `aggregate = ...`",
                )
                .with_span(&extra.span()),
            );
            continue;
        }
        let aggregate = match (&field.count, &field.exists, &field.aggregate, &field.value) {
            (_, _, None, Some(value)) => {
                errors.push(
                    Error::custom(
                        "`value = ..` is the aggregate of an `aggregate = \"..\"` field: add `aggregate = \"books\"` naming the relation",
                    )
                    .with_span(value),
                );
                continue;
            }
            (_, _, Some(named), None) => {
                errors.push(
                    Error::custom(
                        "an aggregate field says which aggregate: add `value = Max(books::year)` (or `Min`, `Sum`, `Avg`, `CountOf`, a tuple of them)",
                    )
                    .with_span(&named.span()),
                );
                continue;
            }
            (_, _, Some(named), Some(value)) => match aggregate_type(value) {
                Ok(ty) => Some((Aggregate::Column(Box::new(ty)), named)),
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            },
            (Some(count), _, None, None) => Some((Aggregate::Count, count)),
            (None, Some(exists), None, None) => Some((Aggregate::Exists, exists)),
            (None, None, None, None) => None,
        };
        if let (Some((_, named)), true) = (
            &aggregate,
            field.relation.is_some()
                || field.key.is_some()
                || field.with.is_some()
                || field.join.is_present(),
        ) {
            errors.push(
                Error::custom(
                    "an aggregate field names its relation in `count = \"..\"`, `exists = \"..\"` or `aggregate = \"..\"` only: remove `relation`, `key`, `with` and `join`",
                )
                .with_span(&named.span()),
            );
            continue;
        }
        let relation = aggregate
            .as_ref()
            .map(|(_, named)| *named)
            .or(field.relation.as_ref());
        let key = match (&field.key, relation) {
            (Some(_), Some(relation)) => {
                errors.push(
                    Error::custom(
                        "give the relation by its key or by its name, not both: remove `relation = ...`",
                    )
                    .with_span(&relation.span()),
                );
                continue;
            }
            (Some(key), None) => key.clone(),
            (None, relation) => {
                let (name, span) = match relation {
                    Some(r) => ((**r).clone(), r.span()),
                    None => (field_ident.unraw().to_string(), field_ident.span()),
                };
                let is_name = name
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_alphanumeric() || c == '_');
                if !is_name {
                    errors.push(
                        Error::custom(format!(
                            "`{name}` is not a relation name: write the name the model's accessor has, e.g. \"books\""
                        ))
                        .with_span(&span),
                    );
                    continue;
                }
                key_path(&model, &name, span)
            }
        };
        if let (Some(with), None) = (&field.with, &receiver.backend) {
            errors.push(
                Error::custom(format!(
                    "a refined field needs the backend its refinement is written for: \
                     `#[shape(model = {model_text}, backend = diesel::sqlite::Sqlite)]` \
                     (or `diesel::pg::Pg`, `diesel::mysql::Mysql`)"
                ))
                .with_span(with),
            );
        }
        if let (true, Some(with)) = (field.join.is_present(), &field.with) {
            errors.push(
                Error::custom(
                    "a joined field takes no refinement: remove `with = ...` and filter or order \
                     the join in the closure `load_joined` takes",
                )
                .with_span(with),
            );
        }
        let span = field_ident.span();
        relations.push(RelationField {
            ident: field_ident,
            ty: field.ty.clone(),
            key,
            with: field.with.clone(),
            join: field.join.is_present(),
            aggregate: aggregate.map(|(kind, _)| kind),
            span,
        });
    }
    // The shape's rows come from one statement, so one join: a second
    // `join` is an error at it.
    for extra in fields.iter().filter(|f| f.join.is_present()).skip(1) {
        errors.push(
            Error::custom(
                "only one field of a shape can be joined (its rows come from one join): remove \
                 this `join`, and the field is loaded by prefetch",
            )
            .with_span(&extra.join.span()),
        );
    }
    // The joined relation is the innermost `With` layer, as in
    // `select_related(..).load(conn)?` followed by the prefetches.
    relations.sort_by_key(|r| !r.join);
    // On a mistake only the shape's model is declared, so uses of the type
    // do not add errors of their own about the loading code.
    match (errors.finish(), model_field) {
        (Ok(()), Some(model_field)) => expand(
            &rt,
            ident,
            &model,
            backend.as_ref(),
            &model_field,
            &relations,
        ),
        (result, _) => {
            let errors = result.err().map(|e| e.write_errors());
            let declared = declare(&rt, ident, &model);
            quote! {
                #errors
                #declared
            }
        }
    }
}

fn finish(errors: darling::error::Accumulator, items: TokenStream) -> TokenStream {
    let errors = errors
        .finish()
        .err()
        .map(|e| e.write_errors())
        .unwrap_or_default();
    quote! {
        #errors
        #items
    }
}

fn path_last(path: &Path) -> &Ident {
    &path.segments.last().expect("a path has a segment").ident
}

/// `AuthorBooks` next to `Author`: the model's path with its last segment
/// followed by the relation's name in UpperCamelCase, spanned at the field.
fn key_path(model: &Path, relation: &str, span: Span) -> Path {
    let mut path = model.clone();
    let last = path.segments.last_mut().expect("a path has a segment");
    last.ident = format_ident!(
        "{}{}",
        last.ident.unraw(),
        relation.to_upper_camel_case(),
        span = span
    );
    last.arguments = syn::PathArguments::None;
    path
}

/// How the generated code loads an aggregate field: the check it makes, the
/// blocking and async loading traits, the trait's aggregate parameter, and
/// the key of the field's `With` layer.
struct AggregateTokens {
    check: TokenStream,
    blocking: TokenStream,
    asynchronous: TokenStream,
    kind: TokenStream,
    key: TokenStream,
}

fn aggregate_tokens(rt: &TokenStream, kind: &Aggregate, key: &Path) -> AggregateTokens {
    let counted = |kind: TokenStream, layer: TokenStream| AggregateTokens {
        check: quote!(#rt::__private::check_aggregate),
        blocking: quote!(#rt::LoadAggregateField),
        asynchronous: quote!(#rt::LoadAggregateFieldAsync),
        kind,
        key: layer,
    };
    match kind {
        Aggregate::Count => counted(quote!(#rt::__private::CountKind), quote!(#rt::Count<#key>)),
        Aggregate::Exists => counted(
            quote!(#rt::__private::ExistsKind),
            quote!(#rt::Exists<#key>),
        ),
        Aggregate::Column(ty) => AggregateTokens {
            check: quote!(#rt::__private::check_column_aggregate),
            blocking: quote!(#rt::LoadColumnAggregateField),
            asynchronous: quote!(#rt::LoadColumnAggregateFieldAsync),
            kind: ty.to_token_stream(),
            key: quote!(#rt::Aggregate<#key, #ty>),
        },
    }
}

/// The type of a column aggregate written as a value: `Max(books::year)` is
/// `Max<books::year>`, a tuple of them a tuple type.
fn aggregate_type(value: &syn::Expr) -> darling::Result<Type> {
    let wrong = || {
        Error::custom(
            "write the aggregate as a call on a column, `Max(books::year)` (or `Min`, `Sum`, `Avg`, `CountOf`), or a tuple of them",
        )
        .with_span(value)
    };
    match value {
        syn::Expr::Paren(inner) => aggregate_type(&inner.expr),
        syn::Expr::Group(inner) => aggregate_type(&inner.expr),
        syn::Expr::Tuple(tuple) => {
            let elems = tuple
                .elems
                .iter()
                .map(aggregate_type)
                .collect::<darling::Result<Vec<Type>>>()?;
            Ok(syn::parse_quote!((#(#elems,)*)))
        }
        syn::Expr::Call(call) => {
            let (syn::Expr::Path(function), 1) = (&*call.func, call.args.len()) else {
                return Err(wrong());
            };
            let syn::Expr::Path(column) = &call.args[0] else {
                return Err(wrong());
            };
            if function.qself.is_some() || column.qself.is_some() {
                return Err(wrong());
            }
            let mut path = function.path.clone();
            let column = &column.path;
            let last = path.segments.last_mut().expect("a path has a segment");
            if !last.arguments.is_none() {
                return Err(wrong());
            }
            last.arguments = syn::PathArguments::AngleBracketed(syn::parse_quote!(<#column>));
            Ok(Type::Path(syn::TypePath { qself: None, path }))
        }
        _ => Err(wrong()),
    }
}

/// `Shape` and `ShapeOf` for the struct: what other shapes check against.
fn declare(rt: &TokenStream, ident: &Ident, model: &Path) -> TokenStream {
    quote! {
        #[automatically_derived]
        impl #rt::Shape for #ident {
            type Model = #model;
        }

        #[automatically_derived]
        impl #rt::ShapeOf<#model> for #ident {}
    }
}

fn expand(
    rt: &TokenStream,
    ident: &Ident,
    model: &Path,
    backend: Option<&Type>,
    model_field: &Ident,
    relations: &[RelationField],
) -> TokenStream {
    let checks = relations.iter().map(|r| {
        let RelationField {
            ty,
            key,
            span,
            join,
            ..
        } = r;
        if let Some(kind) = &r.aggregate {
            let AggregateTokens { check, kind, .. } = aggregate_tokens(rt, kind, key);
            return quote_spanned! {*span=>
                #check::<#key, #model, #ty, #kind>();
            };
        }
        let join = join.then(|| quote_spanned! {*span=> #rt::__private::check_join::<#key>(); });
        quote_spanned! {*span=>
            #rt::__private::check_field::<#key, #model, #ty>();
            #join
        }
    });
    // A refined field (`with = ...`) goes through `LoadFieldWith`, the others
    // through `LoadField`; both are spanned at the field.
    let bound_of = |r: &RelationField| {
        let RelationField {
            ty,
            key,
            span,
            with,
            ..
        } = r;
        if let Some(kind) = &r.aggregate {
            let AggregateTokens { blocking, kind, .. } = aggregate_tokens(rt, kind, key);
            return quote_spanned! {*span=> #ty: #blocking<#key, #kind, __C> };
        }
        match with {
            Some(_) => quote_spanned! {*span=>
                #ty: #rt::LoadFieldWith<#key, __C, Builder = #rt::BuilderOf<#key, __C>>
            },
            None => quote_spanned! {*span=> #ty: #rt::LoadField<#key, __C> },
        }
    };
    let bounds = relations.iter().map(bound_of);
    let load_of = |r: &RelationField| {
        let RelationField { ty, key, with, .. } = r;
        if let Some(kind) = &r.aggregate {
            let AggregateTokens { blocking, kind, .. } = aggregate_tokens(rt, kind, key);
            return quote! {
                let __nodes = <#ty as #blocking<#key, #kind, __C>>::load_aggregate(__nodes, conn)?;
            };
        }
        match with {
            Some(with) => quote! {
                let __nodes =
                    <#ty as #rt::LoadFieldWith<#key, __C>>::load_field_with(__nodes, conn, #with)?;
            },
            None => quote! {
                let __nodes = <#ty as #rt::LoadField<#key, __C>>::load_field(__nodes, conn)?;
            },
        }
    };
    let loads = relations.iter().map(load_of);
    // The refinement functions are written for one backend: the impls are for
    // the connections of that backend.
    let backend_bound = backend.map(|b| quote!(__C: #rt::Mode<Backend = #b>,));
    let async_backend_bound =
        backend.map(|b| quote!(#rt::asynchronous::Async<__C>: #rt::Mode<Backend = #b>,));
    let names: Vec<&Ident> = relations.iter().map(|r| &r.ident).collect();
    let vars: Vec<Ident> = names
        .iter()
        .map(|n| format_ident!("__{}", n.unraw()))
        .collect();
    let unwrap: Vec<TokenStream> = vars
        .iter()
        .rev()
        .map(|v| quote! { let (__node, #v) = #rt::With::into_parts(__node); })
        .collect();
    let build = quote! {
        __nodes
            .into_iter()
            .map(|__node| {
                #(#unwrap)*
                Self { #model_field: __node, #(#names: #vars,)* }
            })
            .collect()
    };
    let async_bound_of = |r: &RelationField| {
        let RelationField {
            ty,
            key,
            span,
            with,
            ..
        } = r;
        match with {
            Some(_) => quote_spanned! {*span=>
                #ty: #rt::LoadFieldWithAsync<
                    #key,
                    __C,
                    Builder = #rt::BuilderOf<#key, #rt::asynchronous::Async<__C>>,
                >
            },
            None => quote_spanned! {*span=> #ty: #rt::LoadFieldAsync<#key, __C> },
        }
    };
    let async_bound_of = |r: &RelationField| {
        if let Some(kind) = &r.aggregate {
            let RelationField { ty, key, span, .. } = r;
            let AggregateTokens {
                asynchronous, kind, ..
            } = aggregate_tokens(rt, kind, key);
            return quote_spanned! {*span=> #ty: #asynchronous<#key, #kind, __C> };
        }
        async_bound_of(r)
    };
    let async_bounds = relations.iter().map(async_bound_of);
    let async_load_of = |r: &RelationField| {
        let RelationField { ty, key, with, .. } = r;
        if let Some(kind) = &r.aggregate {
            let AggregateTokens {
                asynchronous, kind, ..
            } = aggregate_tokens(rt, kind, key);
            return quote! {
                let __nodes =
                    <#ty as #asynchronous<#key, #kind, __C>>::load_aggregate_async(__nodes, conn)
                        .await?;
            };
        }
        match with {
            Some(with) => quote! {
                let __nodes = <#ty as #rt::LoadFieldWithAsync<#key, __C>>::load_field_with_async(
                    __nodes, conn, #with,
                )
                .await?;
            },
            None => quote! {
                let __nodes =
                    <#ty as #rt::LoadFieldAsync<#key, __C>>::load_field_async(__nodes, conn).await?;
            },
        }
    };
    let async_loads = relations.iter().map(async_load_of);
    let diesel_async = quote!(#rt::__private::diesel_async);
    // A joined field: `load_joined` runs the join for the models and that
    // field, then loads the other fields onto the joined rows.
    let (joined, joined_async) = match relations.iter().find(|r| r.join) {
        None => (None, None),
        Some(j) => {
            let RelationField {
                ty: jty,
                key: jkey,
                span: jspan,
                ..
            } = j;
            let others = || relations.iter().filter(|r| !r.join);
            let other_bounds = others().map(bound_of);
            let other_loads = others().map(load_of);
            let other_async_bounds = others().map(async_bound_of);
            let other_async_loads = others().map(async_load_of);
            // The join field's own bound, spanned at it.
            let join_bound = quote_spanned! {*jspan=> #jty: #rt::JoinField<#jkey, __C> };
            let join_async_bound = quote_spanned! {*jspan=> #jty: #rt::JoinFieldAsync<#jkey, __C> };
            let blocking = quote! {
                #[automatically_derived]
                impl #ident {
                    /// Load the models together with the joined field in one statement
                    /// (Django's `select_related`), then the other relations by prefetch:
                    /// one statement for the join, then one per relation in the shape.
                    /// `refine` filters, orders and limits the join, on either table's
                    /// columns (`|q| q` for all rows).
                    #[allow(dead_code)]
                    pub fn load_joined<__C>(
                        conn: &mut __C,
                        refine: impl ::core::ops::FnOnce(
                            #rt::JoinOf<#jty, #jkey, __C>,
                        ) -> #rt::JoinOf<#jty, #jkey, __C>,
                    ) -> #rt::Result<::std::vec::Vec<Self>>
                    where
                        #backend_bound
                        #join_bound,
                        #(#other_bounds,)*
                    {
                        let __join = refine(<#jty as #rt::JoinField<#jkey, __C>>::join());
                        let __nodes = <#jty as #rt::JoinField<#jkey, __C>>::load_joined(conn, __join)?;
                        #(#other_loads)*
                        ::core::result::Result::Ok(#build)
                    }
                }
            };
            let asynchronous = quote! {
                #[automatically_derived]
                impl #ident {
                    /// `load_joined` on a diesel-async connection (feature `async`).
                    #[allow(dead_code)]
                    pub async fn load_joined_async<__C>(
                        conn: &mut __C,
                        refine: impl ::core::ops::FnOnce(
                            #rt::JoinOfAsync<#jty, #jkey, __C>,
                        ) -> #rt::JoinOfAsync<#jty, #jkey, __C>,
                    ) -> #rt::Result<::std::vec::Vec<Self>>
                    where
                        #async_backend_bound
                        #join_async_bound,
                        #(#other_async_bounds,)*
                    {
                        let __join = refine(<#jty as #rt::JoinFieldAsync<#jkey, __C>>::join());
                        let __nodes =
                            <#jty as #rt::JoinFieldAsync<#jkey, __C>>::load_joined_async(conn, __join)
                                .await?;
                        #(#other_async_loads)*
                        ::core::result::Result::Ok(#build)
                    }
                }
            };
            (Some(blocking), Some(asynchronous))
        }
    };
    let declared = declare(rt, ident, model);
    // `FromTree` / `From` the chain's `With` layers, one per relation field in
    // declaration order, each loaded value converted by `IntoField`; an
    // aggregate field's layer holds the field's value itself.
    let values: Vec<Option<Ident>> = relations
        .iter()
        .enumerate()
        .map(|(i, r)| r.aggregate.is_none().then(|| format_ident!("__V{}", i)))
        .collect();
    let tree = relations
        .iter()
        .zip(&values)
        .fold(quote!(#model), |inner, (r, v)| {
            let (key, value) = match &r.aggregate {
                Some(kind) => (
                    aggregate_tokens(rt, kind, &r.key).key,
                    r.ty.to_token_stream(),
                ),
                None => (r.key.to_token_stream(), v.to_token_stream()),
            };
            quote!(#rt::With<#inner, #key, #value>)
        });
    let into_bounds = relations.iter().zip(&values).filter_map(|(r, v)| {
        let ty = &r.ty;
        v.as_ref().map(|v| quote!(#v: #rt::IntoField<#ty>))
    });
    let into_bounds: Vec<TokenStream> = into_bounds.collect();
    let into_fields: Vec<TokenStream> = vars
        .iter()
        .zip(&values)
        .map(|(var, v)| match v {
            Some(_) => quote!(#rt::IntoField::into_field(#var)),
            None => quote!(#var),
        })
        .collect();
    let values: Vec<&Ident> = values.iter().flatten().collect();
    quote! {
        #declared

        #[automatically_derived]
        impl<#(#values),*> #rt::FromTree<#tree> for #ident
        where
            #(#into_bounds,)*
        {
            fn from_tree(tree: #tree) -> Self {
                let __node = tree;
                #(#unwrap)*
                Self {
                    #model_field: __node,
                    #(#names: #into_fields,)*
                }
            }
        }

        #[automatically_derived]
        impl<#(#values),*> ::core::convert::From<#tree> for #ident
        where
            #(#into_bounds,)*
        {
            fn from(tree: #tree) -> Self {
                <Self as #rt::FromTree<#tree>>::from_tree(tree)
            }
        }

        // Each field is checked here, where it is declared: the relation
        // exists on the model and the field's type can hold what it loads.
        const _: () = {
            #[allow(dead_code)]
            fn __check_fields() {
                #(#checks)*
            }
        };

        // Inherent, so they need no import and do not show up on other types.
        #[automatically_derived]
        impl #ident {
            /// Run `query`, which loads the model (`authors::table.order(..)`), and
            /// load this shape's relations onto the rows: one statement for the rows,
            /// then one per relation in the shape.
            #[allow(dead_code)]
            pub fn load<'__q, __Q, __C>(query: __Q, conn: &mut __C) -> #rt::Result<::std::vec::Vec<Self>>
            where
                Self: #rt::LoadShape<__C>,
                __C: #rt::__private::diesel::Connection,
                __Q: #rt::__private::diesel::RunQueryDsl<__C>
                    + #rt::__private::diesel::query_dsl::LoadQuery<'__q, __C, #model>,
            {
                <Self as #rt::LoadShape<__C>>::load(query, conn)
            }

            /// Load this shape's relations onto models already loaded (Django's
            /// `prefetch_related_objects`), in their order.
            #[allow(dead_code)]
            pub fn from_models<__C>(
                models: ::std::vec::Vec<#model>,
                conn: &mut __C,
            ) -> #rt::Result<::std::vec::Vec<Self>>
            where
                Self: #rt::LoadShape<__C>,
            {
                <Self as #rt::LoadShape<__C>>::from_models(models, conn)
            }

            /// Load this shape's relations onto one model.
            #[allow(dead_code)]
            pub fn from_model<__C>(model: #model, conn: &mut __C) -> #rt::Result<Self>
            where
                Self: #rt::LoadShape<__C>,
            {
                <Self as #rt::LoadShape<__C>>::from_model(model, conn)
            }
        }

        #[automatically_derived]
        impl<__C> #rt::LoadShape<__C> for #ident
        where
            #backend_bound
            #(#bounds,)*
        {
            fn from_models(
                models: ::std::vec::Vec<#model>,
                conn: &mut __C,
            ) -> #rt::Result<::std::vec::Vec<Self>> {
                let _ = &conn;
                let __nodes = models;
                #(#loads)*
                ::core::result::Result::Ok(#build)
            }
        }

        #joined

        #rt::__shape_async! {
            #joined_async

            #[automatically_derived]
            impl<__C> #rt::LoadShapeAsync<__C> for #ident
            where
                #async_backend_bound
                #(#async_bounds,)*
            {
                #[allow(clippy::manual_async_fn)]
                fn from_models_async(
                    models: ::std::vec::Vec<#model>,
                    conn: &mut __C,
                ) -> impl ::core::future::Future<
                    Output = #rt::Result<::std::vec::Vec<Self>>,
                > {
                    async move {
                        let _ = &conn;
                        let __nodes = models;
                        #(#async_loads)*
                        ::core::result::Result::Ok(#build)
                    }
                }
            }

            #[automatically_derived]
            impl #ident {
                /// `load` on a diesel-async connection (feature `async`).
                #[allow(dead_code)]
                ///
                /// In an axum handler, load a boxed query's rows yourself and
                /// call `from_models_async`: rustc cannot show the handler's
                /// future `Send` through the query's lifetime ("implementation
                /// of `Query` is not general enough").
                pub async fn load_async<'__q, __Q, __C>(
                    query: __Q,
                    conn: &mut __C,
                ) -> #rt::Result<::std::vec::Vec<Self>>
                where
                    Self: #rt::LoadShapeAsync<__C>,
                    __C: #diesel_async::AsyncConnection,
                    __Q: #diesel_async::methods::LoadQuery<'__q, __C, #model> + '__q,
                    #model: ::core::marker::Send,
                {
                    let models = #diesel_async::RunQueryDsl::load(query, conn).await?;
                    <Self as #rt::LoadShapeAsync<__C>>::from_models_async(models, conn).await
                }

                /// `from_models` on a diesel-async connection (feature `async`).
                #[allow(dead_code)]
                pub async fn from_models_async<__C>(
                    models: ::std::vec::Vec<#model>,
                    conn: &mut __C,
                ) -> #rt::Result<::std::vec::Vec<Self>>
                where
                    Self: #rt::LoadShapeAsync<__C>,
                {
                    <Self as #rt::LoadShapeAsync<__C>>::from_models_async(models, conn).await
                }

                /// `from_model` on a diesel-async connection (feature `async`).
                #[allow(dead_code)]
                pub async fn from_model_async<__C>(
                    model: #model,
                    conn: &mut __C,
                ) -> #rt::Result<Self>
                where
                    Self: #rt::LoadShapeAsync<__C>,
                {
                    let mut shapes =
                        <Self as #rt::LoadShapeAsync<__C>>::from_models_async(::std::vec![model], conn)
                            .await?;
                    shapes.pop().ok_or_else(|| #rt::__private::one_shape_for_one_model())
                }
            }
        }
    }
}
