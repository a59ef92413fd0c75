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
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_join_for {
    (
        backend = $db:ty,
        relation = $rel:ty,
        child = $child:ty,
        value = $value:ty,
        join = $join:ident,
        join_ty = $join_ty:ty,
        table = $table:expr,
        parent_table = $parent_table:expr,
        on = $on:expr $(,)?
    ) => {
        #[automatically_derived]
        impl $crate::JoinBelongsTo<$db> for $rel {
            type Query = $crate::__private::diesel::dsl::IntoBoxed<
                'static,
                $crate::__private::diesel::dsl::Select<
                    $join_ty,
                    (
                        $crate::__private::diesel::dsl::AsSelect<$child, $db>,
                        $crate::__private::diesel::dsl::AsSelect<$value, $db>,
                    ),
                >,
                $db,
            >;
            fn join_query() -> Self::Query {
                use $crate::__private::diesel::{JoinOnDsl as _, QueryDsl as _, SelectableHelper as _};
                $table
                    .$join($parent_table.on($on))
                    .select((
                        <$child as $crate::__private::diesel::SelectableHelper<$db>>::as_select(),
                        <$value as $crate::__private::diesel::SelectableHelper<$db>>::as_select(),
                    ))
                    .into_boxed()
            }
        }
    };
}

#[cfg(feature = "sqlite")]
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_join_sqlite {
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
    ($($args:tt)*) => { $crate::__impl_join_for! { backend = $crate::__private::diesel::mysql::Mysql, $($args)* } };
}
#[cfg(not(feature = "mysql"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __impl_join_mysql {
    ($($args:tt)*) => {};
}
