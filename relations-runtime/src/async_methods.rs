//! The `_async` methods the derive writes into every extension trait.
//!
//! The derive cannot see which features this crate was built with, so it calls
//! `__async_methods!`, which expands to the methods with the `async` feature
//! and to nothing without it.

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
        {
            $crate::asynchronous::prefetch_many_to_many::<$rel, Self, __C>(self, conn)
        }

        #[doc = $doc_with]
        fn $prefetch_with<__C>(
            self,
            conn: &mut __C,
            build: impl ::core::ops::FnOnce(
                $crate::PrefetchThrough<$rel, $crate::Async<__C>>,
            ) -> $crate::PrefetchThrough<$rel, $crate::Async<__C>>,
        ) -> impl ::core::future::Future<
            Output = $crate::Result<<Self as $crate::Nodes>::Wrapped<$rel, ::std::vec::Vec<$target>>>,
        >
        where
            Self: $crate::Nodes,
            <Self as $crate::Nodes>::Node: $crate::Node<Model = $parent>,
            __C: $crate::__private::diesel_async::AsyncConnection,
            $rel: $crate::asynchronous::LoadManyToManyAsync<__C>,
        {
            $crate::asynchronous::prefetch_many_to_many_with::<$rel, Self, __C>(self, conn, build)
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

/// The async half of `#[derive(Shape)]`: its tokens with the `async` feature,
/// nothing without it.
#[cfg(feature = "async")]
#[doc(hidden)]
#[macro_export]
macro_rules! __shape_async {
    ($($items:tt)*) => { $($items)* };
}

/// Without the `async` feature shapes have no async methods.
#[cfg(not(feature = "async"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __shape_async {
    ($($items:tt)*) => {};
}
