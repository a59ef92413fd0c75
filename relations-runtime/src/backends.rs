//! Backend-specific impls generated for the user's types.
//!
//! The derive cannot see which features this crate was built with, so it calls
//! `__impl_join!`, whose expansion is one concrete impl per enabled backend.
//! Concrete backends keep Diesel's join and select bounds out of the generated
//! code: the compiler checks them directly.

/// One `JoinBelongsTo<DB>` impl per enabled backend.
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_join {
    ($($args:tt)*) => {
        $crate::__impl_join_sqlite! { $($args)* }
        $crate::__impl_join_pg! { $($args)* }
        $crate::__impl_join_mysql! { $($args)* }
    };
}

/// The impl for one backend.
///
/// It holds only where the two tables may appear in one query: the
/// `TableNotEqual` bounds are what `allow_tables_to_appear_in_same_query!`
/// implements. They are written higher-ranked (`for<'r>`) so that the compiler
/// takes them as conditions of the impl instead of checking them where the impl
/// is written. Without them, every model whose tables are not in that macro
/// (and every self-referential foreign key, which Diesel cannot join without an
/// alias) would fail to compile even when it never joins; with them, only a call
/// to `select_related` reports it, with `JoinBelongsTo`'s message.
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_join_for {
    (
        backend = $db:ty,
        relation = $rel:ty,
        child = $child:ty,
        value = $value:ty,
        kind = $kind:ident,
        table = $table:ty,
        parent_table = $parent_table:ty,
        on_type = $on_ty:ty,
        on = $on:expr $(,)?
    ) => {
        #[automatically_derived]
        impl $crate::JoinBelongsTo<$db> for $rel
        where
            for<'r> $table: $crate::__private::diesel::query_source::TableNotEqual<$parent_table>,
            for<'r> $parent_table: $crate::__private::diesel::query_source::TableNotEqual<$table>,
        {
            type Query = $crate::__private::diesel::internal::table_macro::BoxedSelectStatement<
                'static,
                (
                    $crate::__private::diesel::dsl::AsSelect<$child, $db>,
                    $crate::__private::diesel::dsl::AsSelect<$value, $db>,
                ),
                $crate::__private::diesel::internal::table_macro::FromClause<
                    $crate::__private::diesel::internal::table_macro::JoinOn<
                        $crate::__private::diesel::internal::table_macro::Join<
                            $table,
                            $parent_table,
                            $crate::__private::diesel::internal::table_macro::$kind,
                        >,
                        $on_ty,
                    >,
                >,
                $db,
            >;
            // Inline: code is generated only where a join is loaded, not for
            // every relation of every model (measured in BENCHMARKS.md).
            #[inline]
            fn join_query() -> Self::Query {
                use $crate::__private::diesel::query_dsl::methods::{BoxedDsl, SelectDsl};
                use $crate::__private::diesel::query_dsl::JoinWithImplicitOnClause;
                use $crate::__private::diesel::JoinOnDsl;
                let join = JoinWithImplicitOnClause::join_with_implicit_on_clause(
                    <$table as ::core::default::Default>::default(),
                    JoinOnDsl::on(<$parent_table as ::core::default::Default>::default(), $on),
                    <$crate::__private::diesel::internal::table_macro::$kind as ::core::default::Default>::default(),
                );
                let select = SelectDsl::select(
                    join,
                    (
                        <$child as $crate::__private::diesel::SelectableHelper<$db>>::as_select(),
                        <$value as $crate::__private::diesel::SelectableHelper<$db>>::as_select(),
                    ),
                );
                BoxedDsl::internal_into_boxed(select)
            }
        }
    };
}

/// One `JoinManyToMany<DB>` impl per enabled backend.
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_many_to_many {
    ($($args:tt)*) => {
        $crate::__impl_join_sqlite! { @many_to_many $($args)* }
        $crate::__impl_join_pg! { @many_to_many $($args)* }
        $crate::__impl_join_mysql! { @many_to_many $($args)* }
    };
}

/// The many-to-many statement for one backend; conditional on the two tables
/// being joinable, like [`__impl_join_for`].
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_many_to_many_for {
    (
        backend = $db:ty,
        relation = $rel:ty,
        target = $target:ty,
        through_table = $through:ty,
        target_table = $target_table:ty,
        source_column = $source:ty,
        on_type = $on_ty:ty,
        on = $on:expr $(,)?
    ) => {
        #[automatically_derived]
        impl $crate::JoinManyToMany<$db> for $rel
        where
            for<'r> $through: $crate::__private::diesel::query_source::TableNotEqual<$target_table>,
            for<'r> $target_table: $crate::__private::diesel::query_source::TableNotEqual<$through>,
        {
            type Query = $crate::__private::diesel::internal::table_macro::BoxedSelectStatement<
                'static,
                (
                    $crate::__private::diesel::dsl::SqlTypeOf<$source>,
                    $crate::__private::diesel::dsl::AsSelect<$target, $db>,
                ),
                $crate::__private::diesel::internal::table_macro::FromClause<
                    $crate::__private::diesel::internal::table_macro::JoinOn<
                        $crate::__private::diesel::internal::table_macro::Join<
                            $through,
                            $target_table,
                            $crate::__private::diesel::internal::table_macro::Inner,
                        >,
                        $on_ty,
                    >,
                >,
                $db,
            >;
            #[inline]
            fn query() -> Self::Query {
                use $crate::__private::diesel::query_dsl::methods::{BoxedDsl, SelectDsl};
                use $crate::__private::diesel::query_dsl::JoinWithImplicitOnClause;
                use $crate::__private::diesel::JoinOnDsl;
                let join = JoinWithImplicitOnClause::join_with_implicit_on_clause(
                    <$through as ::core::default::Default>::default(),
                    JoinOnDsl::on(<$target_table as ::core::default::Default>::default(), $on),
                    $crate::__private::diesel::internal::table_macro::Inner,
                );
                let select = SelectDsl::select(
                    join,
                    (
                        <$source as ::core::default::Default>::default(),
                        <$target as $crate::__private::diesel::SelectableHelper<$db>>::as_select(),
                    ),
                );
                BoxedDsl::internal_into_boxed(select)
            }
        }
    };
}

#[cfg(feature = "sqlite")]
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_join_sqlite {
    (@many_to_many $($args:tt)*) => { $crate::__impl_many_to_many_for! { backend = $crate::__private::diesel::sqlite::Sqlite, $($args)* } };
    ($($args:tt)*) => { $crate::__impl_join_for! { backend = $crate::__private::diesel::sqlite::Sqlite, $($args)* } };
}
#[cfg(not(feature = "sqlite"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_join_sqlite {
    ($($args:tt)*) => {};
}

#[cfg(feature = "postgres")]
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_join_pg {
    (@many_to_many $($args:tt)*) => { $crate::__impl_many_to_many_for! { backend = $crate::__private::diesel::pg::Pg, $($args)* } };
    ($($args:tt)*) => { $crate::__impl_join_for! { backend = $crate::__private::diesel::pg::Pg, $($args)* } };
}
#[cfg(not(feature = "postgres"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_join_pg {
    ($($args:tt)*) => {};
}

#[cfg(feature = "mysql")]
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_join_mysql {
    (@many_to_many $($args:tt)*) => { $crate::__impl_many_to_many_for! { backend = $crate::__private::diesel::mysql::Mysql, $($args)* } };
    ($($args:tt)*) => { $crate::__impl_join_for! { backend = $crate::__private::diesel::mysql::Mysql, $($args)* } };
}
#[cfg(not(feature = "mysql"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_join_mysql {
    ($($args:tt)*) => {};
}

/// The `_async` twins of the methods of a generated extension trait, written
/// inside the trait: one thin delegation each to [`crate::asynchronous`].
/// Empty without the `async` feature, so the derive needs no feature of its own.
#[cfg(feature = "async")]
#[doc(hidden)]
#[macro_export]
macro_rules! __async_methods {
    (@has_many
        prefetch = $prefetch:ident,
        prefetch_with = $prefetch_with:ident,
        relation = $rel:ty,
        parent = $parent:ty,
        child = $child:ty,
        kind = $kind:ident,
        doc = $doc:expr,
        doc_with = $doc_with:expr $(,)?
    ) => {
        #[doc = $doc]
        fn $prefetch<__C>(
            self,
            conn: &mut __C,
        ) -> impl ::core::future::Future<
            Output = $crate::Result<<Self as $crate::Nodes>::Wrapped<$rel, $crate::__async_methods!(@value $kind, $child)>>,
        >
        where
            Self: $crate::Nodes,
            <Self as $crate::Nodes>::Node: $crate::Node<Model = $parent>,
            __C: $crate::__private::diesel_async::AsyncConnection,
            $rel: $crate::asynchronous::LoadHasManyAsync<__C>,
            for<'__r> $child: ::core::clone::Clone,
        {
            $crate::__async_methods!(@call $kind, $rel, self, conn)
        }

        #[doc = $doc_with]
        fn $prefetch_with<__C, __T, __K>(
            self,
            conn: &mut __C,
            build: impl ::core::ops::FnOnce(
                $crate::Prefetch<$rel, $crate::Async<__C>>,
            ) -> $crate::Prefetch<$rel, $crate::Async<__C>, __T, __K>,
        ) -> impl ::core::future::Future<
            Output = $crate::Result<<Self as $crate::Nodes>::Wrapped<__K, $crate::__async_methods!(@value $kind, __T)>>,
        >
        where
            Self: $crate::Nodes,
            <Self as $crate::Nodes>::Node: $crate::Node<Model = $parent>,
            __C: $crate::__private::diesel_async::AsyncConnection,
            $rel: $crate::asynchronous::LoadHasManyAsync<__C>,
            __T: ::core::clone::Clone,
        {
            $crate::__async_methods!(@call_with $kind, $rel, self, conn, build)
        }
    };
    (@value many, $t:ty) => { ::std::vec::Vec<$t> };
    (@value one, $t:ty) => { ::core::option::Option<$t> };
    (@call many, $rel:ty, $($args:expr),*) => {
        $crate::asynchronous::prefetch_has_many::<$rel, _, _>($($args),*)
    };
    (@call one, $rel:ty, $($args:expr),*) => {
        $crate::asynchronous::prefetch_has_one::<$rel, _, _>($($args),*)
    };
    (@call_with many, $rel:ty, $($args:expr),*) => {
        $crate::asynchronous::prefetch_has_many_with::<$rel, _, _, _, _>($($args),*)
    };
    (@call_with one, $rel:ty, $($args:expr),*) => {
        $crate::asynchronous::prefetch_has_one_with::<$rel, _, _, _, _>($($args),*)
    };
    (@belongs_to
        prefetch = $prefetch:ident,
        relation = $rel:ty,
        child = $child:ty,
        parent = $parent:ty,
        value = $value:ty,
        doc = $doc:expr $(,)?
    ) => {
        #[doc = $doc]
        fn $prefetch<__C>(
            self,
            conn: &mut __C,
        ) -> impl ::core::future::Future<
            Output = $crate::Result<<Self as $crate::Nodes>::Wrapped<$rel, $value>>,
        >
        where
            Self: $crate::Nodes,
            <Self as $crate::Nodes>::Node: $crate::Node<Model = $child>,
            __C: $crate::__private::diesel_async::AsyncConnection,
            $rel: $crate::asynchronous::LoadBelongsToAsync<__C>,
            for<'__r> $parent: ::core::clone::Clone,
        {
            $crate::asynchronous::prefetch_belongs_to::<$rel, Self, __C>(self, conn)
        }
    };
    (@many_to_many
        prefetch = $prefetch:ident,
        prefetch_with = $prefetch_with:ident,
        relation = $rel:ty,
        parent = $parent:ty,
        target = $target:ty,
        doc = $doc:expr,
        doc_with = $doc_with:expr $(,)?
    ) => {
        #[doc = $doc]
        fn $prefetch<__C>(
            self,
            conn: &mut __C,
        ) -> impl ::core::future::Future<
            Output = $crate::Result<<Self as $crate::Nodes>::Wrapped<$rel, ::std::vec::Vec<$target>>>,
        >
        where
            Self: $crate::Nodes,
            <Self as $crate::Nodes>::Node: $crate::Node<Model = $parent>,
            __C: $crate::__private::diesel_async::AsyncConnection,
            $rel: $crate::asynchronous::LoadManyToManyAsync<__C>,
            for<'__r> $target: ::core::clone::Clone,
        {
            $crate::asynchronous::prefetch_many_to_many::<$rel, Self, __C>(self, conn)
        }

        #[doc = $doc_with]
        fn $prefetch_with<__C>(
            self,
            conn: &mut __C,
            refine: impl ::core::ops::Fn(
                $crate::ManyToManyQuery<$rel, $crate::Async<__C>>,
            ) -> $crate::ManyToManyQuery<$rel, $crate::Async<__C>>,
        ) -> impl ::core::future::Future<
            Output = $crate::Result<<Self as $crate::Nodes>::Wrapped<$rel, ::std::vec::Vec<$target>>>,
        >
        where
            Self: $crate::Nodes,
            <Self as $crate::Nodes>::Node: $crate::Node<Model = $parent>,
            __C: $crate::__private::diesel_async::AsyncConnection,
            $rel: $crate::asynchronous::LoadManyToManyAsync<__C>,
            for<'__r> $target: ::core::clone::Clone,
        {
            $crate::asynchronous::prefetch_many_to_many_with::<$rel, Self, __C>(self, conn, refine)
        }
    };
}

/// Without the `async` feature the generated traits have no async methods.
#[cfg(not(feature = "async"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __async_methods {
    ($($args:tt)*) => {};
}
