//! Tests of the derive itself, on `proc_macro2` tokens: it never panics, and
//! its expansion of a representative model is reviewed as a snapshot.

use proc_macro2::TokenStream;
use quote::quote;

use crate::derive_relations_inner;

/// Expand, and check the output is well-formed Rust (`compile_error!`s included).
fn expand(input: TokenStream) -> syn::File {
    let output = std::panic::catch_unwind(|| derive_relations_inner(input.clone()))
        .unwrap_or_else(|_| panic!("the derive panicked on:\n{input}"));
    syn::parse2(output.clone())
        .unwrap_or_else(|e| panic!("unparsable output ({e}) for:\n{input}\n=>\n{output}"))
}

fn has_error(file: &syn::File) -> bool {
    quote!(#file).to_string().contains("compile_error")
}

/// Every combination of a field attribute, a struct attribute and a shape:
/// malformed keys, wrong value types, duplicates, conflicting options.
#[test]
fn the_derive_never_panics_on_malformed_input() {
    let field_attrs: Vec<TokenStream> = vec![
        quote!(),
        quote!(#[foreign_key]),
        quote!(#[foreign_key()]),
        quote!(#[foreign_key(references = Author)]),
        quote!(#[foreign_key(references = Author, related_name = "books")]),
        quote!(#[foreign_key(references = "Author")]),
        quote!(#[foreign_key(references = 42)]),
        quote!(#[foreign_key(references)]),
        quote!(#[foreign_key(references = Author, references = Author)]),
        quote!(#[foreign_key(related_name)]),
        quote!(#[foreign_key(related_name = books)]),
        quote!(#[foreign_key(related_name = 1)]),
        quote!(#[foreign_key(related_name = "")]),
        quote!(#[foreign_key(related_name = "fn")]),
        quote!(#[foreign_key(related_name = "r#type")]),
        quote!(#[foreign_key(related_name = "1st")]),
        quote!(#[foreign_key(related_name = "日本")]),
        quote!(#[foreign_key(related_name = "a b", forward_name = "c-d")]),
        quote!(#[foreign_key(relatd_name = "x")]),
        quote!(#[foreign_key(one_to_one)]),
        quote!(#[foreign_key(references = Author, one_to_one = true)]),
        quote!(#[foreign_key(references = Author, one_to_one(x))]),
        quote!(#[foreign_key(references = Author, many_to_many = "tags")]),
        quote!(#[foreign_key(references = Author, many_to_many)]),
        quote!(#[foreign_key(references = Author, many_to_many = "")]),
        quote!(#[foreign_key(references = ::crate::Author, related_name = "books")]),
        quote!(#[foreign_key(references = Author<i32>)]),
        quote!(#[foreign_key(references = Self)]),
        quote!(#[foreign_key = "x"]),
        quote!(#[foreign_key(,)]),
        quote!(#[foreign_key(references = Author,,)]),
        quote!(#[foreign_key(a::b = 1)]),
        quote!(#[foreign_key(references = Author)] #[foreign_key(references = Author)]),
        quote!(#[diesel(column_name = other)] #[foreign_key(references = Author)]),
        quote!(#[diesel(column_name = "other")] #[foreign_key(references = Author)]),
        quote!(#[diesel(column_name)] #[foreign_key(references = Author)]),
        quote!(#[diesel(garbage((()), = ,))] #[foreign_key(references = Author)]),
    ];
    let struct_attrs: Vec<TokenStream> = vec![
        quote!(),
        quote!(#[diesel(table_name = books)]),
        quote!(#[diesel(table_name = crate::schema::books)]),
        quote!(#[diesel(table_name = "books")]),
        quote!(#[diesel(table_name)]),
        quote!(#[diesel(primary_key(id))]),
        quote!(#[diesel(primary_key(a, b))]),
        quote!(#[diesel(primary_key())]),
        quote!(#[diesel(primary_key = id)]),
        quote!(#[diesel(belongs_to(Author))]),
        quote!(#[diesel(belongs_to(Author, foreign_key = author_id))]),
        quote!(#[diesel(belongs_to(Author, foreign_key = "author_id"))]),
        quote!(#[diesel(belongs_to())]),
        quote!(#[diesel(belongs_to(Author, foreign_key))]),
        quote!(#[diesel(belongs_to(Author, ,))]),
        quote!(#[diesel(check_for_backend(diesel::sqlite::Sqlite))]),
        quote!(#[diesel]),
        quote!(#[diesel = 1]),
    ];
    let mut cases = 0;
    for struct_attr in &struct_attrs {
        for field_attr in &field_attrs {
            for field_ty in [
                quote!(i32),
                quote!(Option<i32>),
                quote!(String),
                quote!(Vec<u8>),
            ] {
                let input = quote! {
                    #struct_attr
                    pub struct Book {
                        pub id: i32,
                        #field_attr
                        pub author_id: #field_ty,
                        #field_attr
                        pub tag_id: i32,
                    }
                };
                expand(input);
                cases += 1;
            }
        }
    }
    // Shapes the derive does not support.
    for input in [
        quote!(
            pub struct Author(i32);
        ),
        quote!(
            pub struct Author;
        ),
        quote!(
            pub enum Author {
                A,
                B(i32),
            }
        ),
        quote!(
            pub union Author {
                a: i32,
            }
        ),
        quote!(
            pub struct Author<T> {
                id: T,
            }
        ),
        quote!(
            pub struct Author<'a> {
                id: &'a str,
            }
        ),
        quote!(
            pub struct Author<const N: usize> {
                id: [i32; N],
            }
        ),
        quote!(struct),
        quote!(),
        quote!(
            fn main() {}
        ),
    ] {
        let file = std::panic::catch_unwind(|| derive_relations_inner(input.clone()))
            .unwrap_or_else(|_| panic!("the derive panicked on:\n{input}"));
        assert!(
            file.to_string().contains("compile_error"),
            "no error for:\n{input}"
        );
        cases += 1;
    }
    assert!(cases > 2_500, "{cases}");
}

#[test]
fn a_malformed_attribute_is_an_error_not_silence() {
    let file = expand(quote! {
        pub struct Book {
            pub id: i32,
            #[foreign_key(references = Author, relatd_name = "x")]
            pub author_id: i32,
        }
    });
    assert!(has_error(&file));
}

/// The expansion of a model with a required, a nullable and a one-to-one key,
/// and of a many-to-many join model. A change to the generated code shows up
/// here, in review.
#[test]
fn expansion_snapshot() {
    let book = expand(quote! {
        #[derive(Queryable, Selectable, Relations)]
        #[diesel(table_name = books, belongs_to(Author))]
        pub struct Book {
            pub id: i32,
            #[foreign_key(related_name = "books")]
            pub author_id: i32,
            #[foreign_key(references = Author, related_name = "edited_books")]
            pub editor_id: Option<i32>,
            pub title: String,
        }
    });
    insta::assert_snapshot!("book", prettyplease::unparse(&book));
    let join = expand(quote! {
        #[diesel(table_name = book_tags, primary_key(book_id, tag_id))]
        pub struct BookTag {
            #[foreign_key(references = Book, many_to_many = "tags")]
            pub book_id: i32,
            #[foreign_key(references = Tag, many_to_many = "books")]
            pub tag_id: i32,
        }
    });
    insta::assert_snapshot!("book_tag", prettyplease::unparse(&join));
}

/// A model's rows are sorted by key in memory only when the key's type is
/// one the derive knows to be `Ord`; anything else stays with `ORDER BY`.
#[test]
fn key_order_is_chosen_from_the_key_type() {
    let key_order = |ty: TokenStream| {
        let file = expand(quote! {
            #[diesel(table_name = things)]
            struct Thing { id: #ty, name: String }
        });
        let text = quote!(#file).to_string();
        if text.contains("ByPrimaryKey") {
            "memory"
        } else if text.contains("ByDatabase") {
            "database"
        } else {
            panic!("no KeyOrder in {text}")
        }
    };
    assert_eq!(key_order(quote!(i32)), "memory");
    assert_eq!(key_order(quote!(i64)), "memory");
    assert_eq!(key_order(quote!(String)), "memory");
    assert_eq!(key_order(quote!(uuid::Uuid)), "memory");
    assert_eq!(key_order(quote!(::std::string::String)), "memory");
    assert_eq!(key_order(quote!(ThingId)), "database");
    assert_eq!(key_order(quote!(Vec<u8>)), "database");
    assert_eq!(key_order(quote!(<T as Trait>::Key)), "database");
}

/// Keywords and raw identifiers wherever a name comes from: the field
/// (`r#type`, `type_id`), the struct (`r#match`, a one-to-one default), the
/// column (`column_name = "type"`, `= type`, `= r#type`) and `belongs_to`.
/// Errors or expansions, never a panic or unparsable output.
#[test]
fn keyword_and_raw_names_never_panic() {
    let struct_names = [quote!(Item), quote!(Match), quote!(r#match), quote!(r#Type)];
    let field_names = [
        quote!(r#type),
        quote!(type_id),
        quote!(r#type_id),
        quote!(r#match),
        quote!(match_id),
        quote!(self_id),
        quote!(_id),
        quote!(__id),
        quote!(id_),
        quote!(r#_id),
    ];
    let field_attrs: Vec<TokenStream> = vec![
        quote!(#[foreign_key]),
        quote!(#[foreign_key(references = Kind)]),
        quote!(#[foreign_key(references = Kind, one_to_one)]),
        quote!(#[foreign_key(references = Self)]),
        quote!(#[foreign_key(references = Kind, forward_name = "type_")]),
        quote!(#[foreign_key(references = Kind, related_name = "Items")]),
        quote!(#[foreign_key(references = Kind, forward_name = "Kind")]),
        quote!(#[foreign_key(references = Kind, related_name = "_items_")]),
    ];
    let column_attrs: Vec<TokenStream> = vec![
        quote!(),
        quote!(#[diesel(column_name = "type")]),
        quote!(#[diesel(column_name = type)]),
        quote!(#[diesel(column_name = r#type)]),
        quote!(#[diesel(column_name = "r#type")]),
        quote!(#[diesel(column_name = "self")]),
        quote!(#[diesel(column_name = "a b")]),
        quote!(#[diesel(column_name = "")]),
    ];
    let struct_attrs: Vec<TokenStream> = vec![
        quote!(),
        quote!(#[diesel(belongs_to(Type))]),
        quote!(#[diesel(belongs_to(Kind, foreign_key = r#type))]),
        quote!(#[diesel(belongs_to(Kind, foreign_key = type))]),
        quote!(#[diesel(primary_key(r#type))]),
    ];
    let mut cases = 0;
    for struct_name in &struct_names {
        for field_name in &field_names {
            for field_attr in &field_attrs {
                for column_attr in &column_attrs {
                    for struct_attr in &struct_attrs {
                        expand(quote! {
                            #struct_attr
                            pub struct #struct_name {
                                pub id: i32,
                                #column_attr
                                #field_attr
                                pub #field_name: i32,
                            }
                        });
                        cases += 1;
                    }
                }
            }
        }
    }
    assert_eq!(cases, 4 * 10 * 8 * 8 * 5);
}

fn expanded_text(input: TokenStream) -> String {
    prettyplease::unparse(&expand(input))
}

/// A defaulted relation name that is a keyword is an error that names the
/// key to set, not unparsable output.
#[test]
fn a_keyword_default_name_is_an_error_with_the_key_to_set() {
    let text = expanded_text(quote! {
        pub struct Item {
            pub id: i32,
            #[foreign_key(references = Kind)]
            pub type_id: i32,
        }
    });
    assert!(text.contains("compile_error"), "{text}");
    assert!(text.contains(r#"forward_name = \"type_\""#), "{text}");
    let text = expanded_text(quote! {
        pub struct Match {
            pub id: i32,
            #[foreign_key(references = Player, one_to_one)]
            pub player_id: i32,
        }
    });
    assert!(text.contains(r#"related_name = \"match_\""#), "{text}");
}

/// `column_name = "type"` (Diesel's string form) names the column `r#type`,
/// as `table!` declares it; the field's own name is not used.
#[test]
fn a_string_column_name_is_the_column() {
    for column in [quote!("type"), quote!(r#type)] {
        let text = expanded_text(quote! {
            #[diesel(table_name = items)]
            pub struct Item {
                pub id: i32,
                #[diesel(column_name = #column)]
                #[foreign_key(references = Kind, related_name = "items")]
                pub kind_id: i32,
            }
        });
        assert!(!text.contains("compile_error"), "{text}");
        assert!(text.contains("type Column = items::r#type;"), "{text}");
        assert!(!text.contains("items::kind_id"), "{text}");
    }
}

/// `references = Self` is the struct itself: the generated items, outside
/// its `impl`, name it.
#[test]
fn references_self_is_the_struct() {
    let text = expanded_text(quote! {
        #[diesel(table_name = categories)]
        pub struct Category {
            pub id: i32,
            #[foreign_key(references = Self, related_name = "children")]
            pub parent_id: Option<i32>,
        }
    });
    assert!(!text.contains("compile_error"), "{text}");
    assert!(text.contains("pub struct CategoryChildren;"), "{text}");
    assert!(text.contains("type Parent = Category;"), "{text}");
    assert!(!text.contains("SelfChildren"), "{text}");
    // Self-referential: prefetched only, never joined.
    assert!(!text.contains("JoinBelongsTo"), "{text}");
}
