//! Model → tokens. The generated code only fills in traits of
//! `diesel_relations` (the runtime crate); every loop, query and grouping lives there.

use proc_macro2::{Ident, Punct, Spacing, Span, TokenStream};
use quote::{format_ident, quote, quote_spanned, ToTokens, TokenStreamExt};
use syn::ext::IdentExt;
use syn::spanned::Spanned;

use crate::model::{ForeignKey, ManyToMany, Model};
use crate::validate::path_name;

pub fn expand(model: &Model) -> TokenStream {
    let model_impls = model_impls(model);
    let relations = model
        .foreign_keys
        .iter()
        .map(|fk| relation_items(model, fk));
    let many_to_many = model
        .many_to_many
        .iter()
        .map(|m2m| many_to_many_items(model, m2m));
    quote! {
        #model_impls
        #(#relations)*
        #(#many_to_many)*
    }
}

/// `Model` and (for a one-column key) `PrimaryKey`.
fn model_impls(model: &Model) -> TokenStream {
    let ident = &model.ident;
    let table = &model.table;
    let rt = Runtime::of(model);
    let primary_key = model.primary_key.as_ref().map(|pk| {
        let ty = &pk.ty;
        let field = &pk.field;
        let column = &pk.column;
        // The column must be comparable with the key's type (`pk IN (keys)`
        // finds the parents): checked here, spanned at the key's field type.
        let key_of_column = quote_spanned! {ty.span()=>
            #rt::__private::key_of_column::<#table::#column, #ty>(&self.#field)
        };
        // The key is the field's type, or the type inside its `Option` where
        // the column is nullable: decided by the column's SQL type, unless
        // the spelling leaves no doubt (then it reads well in rustdoc).
        let key = match spelled(ty) {
            Spelled::Plain => quote!(#ty),
            Spelled::Option(inner) => quote!(#inner),
            Spelled::Unknown => quote_spanned! {ty.span()=>
                <#ty as #rt::__private::KeyField<#rt::__private::NullabilityOf<#table::#column>>>::Key
            },
        };
        quote! {
            #[automatically_derived]
            impl #rt::PrimaryKey for #ident {
                type Key = #key;
                type Column = #table::#column;
                #[inline]
                fn primary_key(&self) -> ::core::option::Option<&Self::Key> {
                    #key_of_column
                }
            }
        }
    });
    // Rows can be put in key order in memory when the key's type is known to
    // be ordered; any other key is ordered by the database, as before.
    let key_order = match &model.primary_key {
        Some(pk) if is_ordered_key(&pk.ty) => {
            quote_spanned! {pk.ty.span()=> #rt::__private::ByPrimaryKey}
        }
        _ => quote!(#rt::__private::ByDatabase),
    };
    quote! {
        #[automatically_derived]
        impl #rt::Model for #ident {
            type Table = #table::table;
            type KeyOrder = #key_order;
        }

        #primary_key
    }
}

/// What the spelling of a key field's type says about its column.
enum Spelled<'a> {
    /// A key type Diesel loads from a `NOT NULL` column only.
    Plain,
    /// `Option<T>`: a nullable column, key `T`.
    Option(&'a syn::Type),
    /// A type alias, a newtype, ...: the column's SQL type decides.
    Unknown,
}

fn spelled(ty: &syn::Type) -> Spelled<'_> {
    const PLAIN: &[&str] = &[
        "i8", "i16", "i32", "i64", "i128", "u8", "u16", "u32", "u64", "u128", "String", "Uuid",
        "bool",
    ];
    let syn::Type::Path(p) = ty else {
        return Spelled::Unknown;
    };
    let Some(last) = p.path.segments.last() else {
        return Spelled::Unknown;
    };
    if p.qself.is_some() {
        return Spelled::Unknown;
    }
    if last.ident == "Option" {
        if let syn::PathArguments::AngleBracketed(args) = &last.arguments {
            if let [syn::GenericArgument::Type(inner)] = &*args.args.iter().collect::<Vec<_>>() {
                return Spelled::Option(inner);
            }
        }
        return Spelled::Unknown;
    }
    if last.arguments.is_none() && PLAIN.iter().any(|name| last.ident == name) {
        Spelled::Plain
    } else {
        Spelled::Unknown
    }
}

/// An integer, `String` or `Uuid`: key types that are `Ord`. Other types
/// may be too, but the derive cannot tell, and requiring it would reject
/// keys that work today.
fn is_ordered_key(ty: &syn::Type) -> bool {
    const ORDERED: &[&str] = &[
        "i8", "i16", "i32", "i64", "i128", "u8", "u16", "u32", "u64", "u128", "String", "Uuid",
    ];
    match ty {
        syn::Type::Path(path) if path.qself.is_none() => {
            path.path.segments.last().is_some_and(|last| {
                last.arguments.is_none() && ORDERED.iter().any(|name| last.ident == name)
            })
        }
        _ => false,
    }
}

/// The two relation keys of one foreign key, their trait impls, and the two
/// extension traits that give them names (`prefetch_books`, `books()`, ...).
fn relation_items(model: &Model, fk: &ForeignKey) -> TokenStream {
    let rt = Runtime::of(model);
    let vis = &model.vis;
    let child = &model.ident;
    let table = &model.table;
    let parent = &fk.parent;
    let column = &fk.key.column;
    let field = &fk.key.field;
    let field_ty = &fk.key.ty;
    let reverse = &fk.reverse_key;
    let forward = &fk.forward_key;
    let related_name = &fk.related_name;
    let forward_name = &fk.forward_name;
    let related_str = related_name.to_string();
    let forward_str = forward_name.to_string();
    let parent_name = path_name(parent);
    let key = quote!(<#parent as #rt::PrimaryKey>::Key);

    let reverse_ext = format_ident!("{}Ext", reverse, span = reverse.span());
    let forward_ext = format_ident!("{}Ext", forward, span = forward.span());
    let prefetch_reverse = format_ident!("prefetch_{}", related_name, span = related_name.span());
    let prefetch_reverse_with =
        format_ident!("prefetch_{}_with", related_name, span = related_name.span());
    let prefetch_forward = format_ident!("prefetch_{}", forward_name, span = forward_name.span());
    let prefetch_reverse_async = format_ident!(
        "prefetch_{}_async",
        related_name,
        span = related_name.span()
    );
    let prefetch_reverse_with_async = format_ident!(
        "prefetch_{}_with_async",
        related_name,
        span = related_name.span()
    );
    let prefetch_forward_async = format_ident!(
        "prefetch_{}_async",
        forward_name,
        span = forward_name.span()
    );

    // The field's type must hold the parent's key, and the column must be
    // comparable with it (`column IN (keys)` finds the children): both are
    // checked here, spanned at the field's type, so a key of the wrong type
    // is reported there.
    let key_at_field = quote_spanned! {field_ty.span()=> <#parent as #rt::PrimaryKey>::Key};
    let as_key = quote_spanned! {field_ty.span()=>
        <#field_ty as #rt::ForeignKeyField<#key_at_field>>::key_of_column::<#table::#column>(&child.#field)
    };

    // A nullable foreign key gives `Option<Parent>` and a left join. Where
    // the field's spelling leaves no doubt (`Option<..>`, or a plain key
    // type, which Diesel loads from a nullable column only as `Option`),
    // that is written out, to read well in rustdoc; otherwise (a type alias,
    // a newtype) the column's SQL type decides.
    let nullability =
        quote!(<#rt::__private::NullabilityOf<#table::#column> as #rt::__private::Nullability>);
    let (value, from_parent, kind) = match spelled(field_ty) {
        Spelled::Plain => (
            quote!(#parent),
            quote!(parent),
            quote!(#rt::__private::diesel::internal::table_macro::Inner),
        ),
        Spelled::Option(_) => (
            quote!(::core::option::Option<#parent>),
            quote!(::core::option::Option::Some(parent)),
            quote!(#rt::__private::diesel::internal::table_macro::LeftOuter),
        ),
        Spelled::Unknown => (
            quote!(#nullability::Value<#parent>),
            quote!(#nullability::value(parent)),
            quote!(#nullability::Join),
        ),
    };

    // Diesel cannot join a table to itself without an alias: a self-referential
    // foreign key is loaded with its prefetch methods only. (`references =
    // Self` is the struct's name by now.)
    let self_referential = child.unraw() == parent_name;
    let join_impl = if self_referential {
        quote!()
    } else {
        quote! {
            #[automatically_derived]
            impl #rt::JoinBelongsTo for #forward {
                type Kind = #kind;
            }
        }
    };

    let reverse_doc = format!(
        "Relation `{related_str}` of [`{parent_name}`]: the [`{child}`]s whose `{field}` is its key.\n\n\
         Load it with `prefetch_{related_str}` ([`{reverse_ext}`]), read it with `.{related_str}()`."
    );
    let forward_doc = format!(
        "Relation `{forward_str}` of [`{child}`]: the [`{parent_name}`] its `{field}` points at.\n\n\
         Load it with `prefetch_{forward_str}` ([`{forward_ext}`]) or in a join with \
         `select_related({forward})`; read it with `.{forward_str}()`."
    );
    let reverse_ext_doc = format!(
        "`prefetch_{related_str}` and `{related_str}()` for [`{parent_name}`] (relation [`{reverse}`])."
    );
    let forward_ext_doc = format!(
        "`prefetch_{forward_str}` and `{forward_str}()` for [`{child}`] (relation [`{forward}`])."
    );
    let prefetch_reverse_doc = format!(
        "Load relation `{related_str}`: one query for all the [`{child}`]s of these parents \
         (`WHERE {column} IN (...)`, split in chunks where the database limits binds), \
         ordered by the child's primary key, each parent given its own."
    );
    let prefetch_reverse_with_doc = format!(
        "Load relation `{related_str}` as `build` describes it: filtered and ordered \
         (`.filter(..)`, `.order(..)` on the `{child}` table), nested (`.then(|children, conn| ..)`), \
         or under another key (`.named(..)`). See [`diesel_relations::Prefetch`]."
    );
    let prefetch_forward_doc = format!(
        "Load relation `{forward_str}`: one query for the distinct `{field}` values, \
         each [`{child}`] given its [`{parent_name}`]."
    );
    let read_reverse_doc = format!("The [`{child}`]s loaded by `prefetch_{related_str}`.");
    let read_forward_doc =
        format!("The [`{parent_name}`] loaded by `prefetch_{forward_str}` or `select_related`.");

    // The named items are spanned at the relation's name, so a clash with
    // another relation of the same name points at the user's `related_name`.
    // Has-many: `Vec<Child>`; one-to-one: `Option<Child>`.
    let (async_kind, reverse_kind) = if fk.one_to_one {
        (format_ident!("one"), format_ident!("HasOne"))
    } else {
        (format_ident!("many"), format_ident!("HasMany"))
    };
    let async_doc =
        |name: &str| format!("`{name}` on a diesel-async connection (feature `async`).");
    let prefetch_reverse_async_doc = async_doc(&format!("prefetch_{related_str}"));
    let prefetch_reverse_with_async_doc = async_doc(&format!("prefetch_{related_str}_with"));
    let prefetch_forward_async_doc = async_doc(&format!("prefetch_{forward_str}"));
    let (reverse_value, reverse_value_of_t, prefetch_fn, prefetch_with_fn) = if fk.one_to_one {
        (
            quote!(::core::option::Option<#child>),
            quote!(::core::option::Option<__T>),
            quote!(prefetch_has_one),
            quote!(prefetch_has_one_with),
        )
    } else {
        (
            quote!(::std::vec::Vec<#child>),
            quote!(::std::vec::Vec<__T>),
            quote!(prefetch_has_many),
            quote!(prefetch_has_many_with),
        )
    };
    let reverse_vis = respan(vis, related_name.span());
    let forward_vis = respan(vis, forward_name.span());
    let clash = clash_item(
        &parent_name,
        related_name,
        "give_one_of_them_another_related_name",
    );
    let reverse_struct = quote_spanned! {related_name.span()=>
        #[doc = #reverse_doc]
        #[allow(dead_code)]
        #reverse_vis struct #reverse;
    };
    let forward_struct = quote_spanned! {forward_name.span()=>
        #[doc = #forward_doc]
        #[allow(dead_code)]
        #forward_vis struct #forward;
    };
    quote! {
        #clash
        #reverse_struct
        #forward_struct

        #[automatically_derived]
        impl #rt::Relation for #reverse {
            type Owner = #parent;
            type Value = #reverse_value;
            type RelationKind = #rt::kind::#reverse_kind;
            const NAME: &'static str = #related_str;
        }

        #[automatically_derived]
        impl #rt::HasMany for #reverse {
            type Parent = #parent;
            type Child = #child;
            type Column = #table::#column;
            #[inline]
            fn foreign_key(child: &#child) -> ::core::option::Option<&#key> {
                #as_key
            }
        }

        #[automatically_derived]
        impl #rt::Relation for #forward {
            type Owner = #child;
            type Value = #value;
            type RelationKind = #rt::kind::BelongsTo;
            const NAME: &'static str = #forward_str;
        }

        #[automatically_derived]
        impl #rt::BelongsTo for #forward {
            type Reverse = #reverse;
            #[inline]
            fn value(parent: ::core::option::Option<#parent>) -> ::core::option::Option<#value> {
                #from_parent
            }
        }

        #join_impl

        #[doc = #reverse_ext_doc]
        // A name that ends in `_` (`type_`, the spelling of a keyword) makes
        // `prefetch_type__with`: not a mistake of the user's.
        #[allow(non_snake_case)]
        #vis trait #reverse_ext: ::core::marker::Sized {
            #[doc = #prefetch_reverse_doc]
            fn #prefetch_reverse<__C>(
                self,
                conn: &mut __C,
            ) -> #rt::Loaded<Self, #reverse, #reverse_value>
            where
                Self: #rt::PrefetchHasMany<#reverse, __C>,
            {
                <Self as #rt::PrefetchHasMany<#reverse, __C>>::#prefetch_fn(self, conn)
            }

            #[doc = #prefetch_reverse_with_doc]
            fn #prefetch_reverse_with<__C, __T, __K>(
                self,
                conn: &mut __C,
                build: impl ::core::ops::FnOnce(
                    #rt::Prefetch<#reverse, __C>,
                ) -> #rt::Prefetch<#reverse, __C, __T, __K>,
            ) -> #rt::Loaded<Self, __K, #reverse_value_of_t>
            where
                Self: #rt::PrefetchHasMany<#reverse, __C>,
                __C: #rt::Mode,
                __T: ::core::clone::Clone,
            {
                <Self as #rt::PrefetchHasMany<#reverse, __C>>::#prefetch_with_fn(self, conn, build)
            }

            #rt::__async_methods! {
                @has_many
                prefetch = #prefetch_reverse_async,
                prefetch_with = #prefetch_reverse_with_async,
                relation = #reverse,
                parent = #parent,
                child = #child,
                kind = #async_kind,
                doc = #prefetch_reverse_async_doc,
                doc_with = #prefetch_reverse_with_async_doc,
            }

            #[doc = #read_reverse_doc]
            #[inline]
            fn #related_name<__I>(&self) -> &#rt::LoadedValue<Self, #reverse, __I>
            where
                Self: #rt::Get<#reverse, __I>,
            {
                #rt::Get::get(self)
            }
        }

        #[automatically_derived]
        impl<__T: #rt::Rooted<#parent>> #reverse_ext for __T {}

        #[doc = #forward_ext_doc]
        #[allow(non_snake_case)]
        #vis trait #forward_ext: ::core::marker::Sized {
            #[doc = #prefetch_forward_doc]
            fn #prefetch_forward<__C>(
                self,
                conn: &mut __C,
            ) -> #rt::Loaded<Self, #forward, #value>
            where
                Self: #rt::PrefetchBelongsTo<#forward, __C>,
            {
                <Self as #rt::PrefetchBelongsTo<#forward, __C>>::prefetch_belongs_to(self, conn)
            }

            #rt::__async_methods! {
                @belongs_to
                prefetch = #prefetch_forward_async,
                relation = #forward,
                child = #child,
                parent = #parent,
                value = #value,
                doc = #prefetch_forward_async_doc,
            }

            #[doc = #read_forward_doc]
            #[inline]
            fn #forward_name<__I>(&self) -> &#rt::LoadedValue<Self, #forward, __I>
            where
                Self: #rt::Get<#forward, __I>,
            {
                #rt::Get::get(self)
            }
        }

        #[automatically_derived]
        impl<__T: #rt::Rooted<#child>> #forward_ext for __T {}
    }
}

/// A private item whose name is the fix for a clash the derive cannot see:
/// two relations of the same name on one parent, declared by two models of
/// one module (each derive sees only its own struct). Their relation keys
/// (`AuthorBooks`) clash too, and rustc reports every generated item twice;
/// this item comes first, so the first error reads
/// "the name `Author_has_two_relations_named_books__give_one_of_them_another_related_name`
/// is defined multiple times", at both names.
fn clash_item(parent_name: &str, name: &Ident, fix: &str) -> TokenStream {
    let ident = format_ident!(
        "{}_has_two_relations_named_{}__{}",
        parent_name,
        name,
        fix,
        span = name.span()
    );
    quote_spanned! {name.span()=>
        #[doc(hidden)]
        #[allow(dead_code, non_camel_case_types)]
        type #ident = ();
    }
}

/// An absolute path such as `::diesel_relations`, appended one token at a
/// time. Interpolating a prebuilt `TokenStream` instead costs a round trip to
/// the compiler for every use, and the runtime's path is used dozens of times
/// per relation.
#[derive(Clone, Copy)]
struct AbsolutePath(&'static [&'static str]);

impl ToTokens for AbsolutePath {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        for segment in self.0 {
            tokens.append(Punct::new(':', Spacing::Joint));
            tokens.append(Punct::new(':', Spacing::Alone));
            tokens.append(Ident::new(segment, Span::call_site()));
        }
    }
}

/// Where the generated code finds the runtime: `::diesel_relations`, or the
/// path given with `#[relations(crate = "...")]`.
#[derive(Clone, Copy)]
enum Runtime<'a> {
    Default,
    Custom(&'a syn::Path),
}

impl<'a> Runtime<'a> {
    fn of(model: &'a Model) -> Self {
        match &model.krate {
            Some(path) => Runtime::Custom(path),
            None => Runtime::Default,
        }
    }

    /// Diesel, as the runtime re-exports it.
    fn diesel(self) -> RuntimeDiesel<'a> {
        RuntimeDiesel(self)
    }
}

impl ToTokens for Runtime<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Runtime::Default => AbsolutePath(&["diesel_relations"]).to_tokens(tokens),
            Runtime::Custom(path) => path.to_tokens(tokens),
        }
    }
}

/// `<runtime>::__private::diesel`.
#[derive(Clone, Copy)]
struct RuntimeDiesel<'a>(Runtime<'a>);

impl ToTokens for RuntimeDiesel<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        self.0.to_tokens(tokens);
        AbsolutePath(&["__private", "diesel"]).to_tokens(tokens);
    }
}

/// `tokens` with every span replaced by `span`, so an item made of the user's
/// visibility and a generated name is reported at one place.
fn respan(tokens: &impl ToTokens, span: proc_macro2::Span) -> TokenStream {
    tokens
        .to_token_stream()
        .into_iter()
        .map(|mut tt| {
            if let proc_macro2::TokenTree::Group(g) = &tt {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(&g.stream(), span));
                group.set_span(span);
                tt = proc_macro2::TokenTree::Group(group);
            } else {
                tt.set_span(span);
            }
            tt
        })
        .collect()
}

/// A many-to-many relation through this join model: its key, its `Relation`
/// and `ManyToMany` impls, the per-backend join, and the extension trait
/// (`prefetch_tags`, `tags()`).
fn many_to_many_items(model: &Model, m2m: &ManyToMany) -> TokenStream {
    let rt = Runtime::of(model);
    let d = rt.diesel();
    let through = &model.ident;
    let table = &model.table;
    let ManyToMany {
        name,
        key,
        parent,
        target,
        source_column,
        target_column,
        link_key,
    } = m2m;
    let name_str = name.to_string();
    let parent_name = path_name(parent);
    let target_name = path_name(target);
    let parent_key = quote!(<#parent as #rt::PrimaryKey>::Key);
    let ext = format_ident!("{}Ext", key, span = key.span());
    let prefetch = format_ident!("prefetch_{}", name, span = name.span());
    let prefetch_with = format_ident!("prefetch_{}_with", name, span = name.span());
    let prefetch_async = format_ident!("prefetch_{}_async", name, span = name.span());
    let prefetch_with_async = format_ident!("prefetch_{}_with_async", name, span = name.span());
    let vis = respan(&model.vis, name.span());

    let key_doc = format!(
        "Many-to-many relation `{name_str}` of [`{parent_name}`]: its [`{target_name}`]s, \
         through [`{through}`]. Load it with `prefetch_{name_str}` ([`{ext}`])."
    );
    let ext_doc = format!(
        "`prefetch_{name_str}` and `{name_str}()` for [`{parent_name}`] (relation [`{key}`])."
    );
    let prefetch_doc = format!(
        "Load relation `{name_str}`: one statement joining `{through}` to the [`{target_name}`]s \
         (per chunk of keys where the database limits binds); each parent gets its own, \
         in the order the links were made."
    );
    let prefetch_with_doc = format!(
        "Load relation `{name_str}` as `build` describes it: filtered on `{through}`'s or \
         `{target_name}`'s columns (`.filter(..)`), ordered by either (`.order(..)`; ties and \
         the default in link order). See [`diesel_relations::PrefetchThrough`]."
    );
    let read_doc = format!("The [`{target_name}`]s loaded by `prefetch_{name_str}`.");
    let prefetch_async_doc =
        format!("`prefetch_{name_str}` on a diesel-async connection (feature `async`).");
    let prefetch_with_async_doc =
        format!("`prefetch_{name_str}_with` on a diesel-async connection (feature `async`).");
    let clash = clash_item(
        &parent_name,
        name,
        "give_one_of_them_another_many_to_many_name",
    );
    let key_struct = quote_spanned! {name.span()=>
        #[doc = #key_doc]
        #[allow(dead_code)]
        #vis struct #key;
    };
    quote! {
        #clash
        #key_struct

        #[automatically_derived]
        impl #rt::Relation for #key {
            type Owner = #parent;
            type Value = ::std::vec::Vec<#target>;
            type RelationKind = #rt::kind::ManyToMany;
            const NAME: &'static str = #name_str;
        }

        #[automatically_derived]
        impl #rt::ManyToMany for #key {
            type Parent = #parent;
            type Target = #target;
            type Through = #through;
            type KeyFilter = #d::dsl::EqAny<#table::#source_column, ::std::vec::Vec<#parent_key>>;
            #[inline]
            fn key_filter(keys: ::std::vec::Vec<#parent_key>) -> Self::KeyFilter {
                #d::ExpressionMethods::eq_any(#table::#source_column, keys)
            }
        }

        #[automatically_derived]
        impl #rt::JoinManyToMany for #key {
            type Source = #table::#source_column;
            type TargetColumn = #table::#target_column;
            type LinkKey = #link_key;
        }

        #[doc = #ext_doc]
        #[allow(non_snake_case)]
        #vis trait #ext: ::core::marker::Sized {
            #[doc = #prefetch_doc]
            fn #prefetch<__C>(
                self,
                conn: &mut __C,
            ) -> #rt::Loaded<Self, #key, ::std::vec::Vec<#target>>
            where
                Self: #rt::PrefetchManyToMany<#key, __C>,
            {
                <Self as #rt::PrefetchManyToMany<#key, __C>>::prefetch_many_to_many(self, conn)
            }

            #[doc = #prefetch_with_doc]
            fn #prefetch_with<__C>(
                self,
                conn: &mut __C,
                build: impl ::core::ops::FnOnce(
                    #rt::PrefetchThrough<#key, __C>,
                ) -> #rt::PrefetchThrough<#key, __C>,
            ) -> #rt::Loaded<Self, #key, ::std::vec::Vec<#target>>
            where
                Self: #rt::PrefetchManyToMany<#key, __C>,
                __C: #d::Connection,
                #key: #rt::LoadManyToMany<__C>,
            {
                <Self as #rt::PrefetchManyToMany<#key, __C>>::prefetch_many_to_many_with(self, conn, build)
            }

            #rt::__async_methods! {
                @many_to_many
                prefetch = #prefetch_async,
                prefetch_with = #prefetch_with_async,
                relation = #key,
                parent = #parent,
                target = #target,
                doc = #prefetch_async_doc,
                doc_with = #prefetch_with_async_doc,
            }

            #[doc = #read_doc]
            #[inline]
            fn #name<__I>(&self) -> &#rt::LoadedValue<Self, #key, __I>
            where
                Self: #rt::Get<#key, __I>,
            {
                #rt::Get::get(self)
            }
        }

        #[automatically_derived]
        impl<__T: #rt::Rooted<#parent>> #ext for __T {}
    }
}
