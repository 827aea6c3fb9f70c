//! Closed sets of names stored as text (states, stages, kinds, reasons): one declaration gives the
//! Rust enum, its wire and column spelling, its OpenAPI schema and its diesel mapping.

/// Declares a closed set of snake_case names stored as text, with `as_str`, `ALL`, `FromStr` and
/// the diesel mapping of a `Text` column (rows carry the enum, not a `String`: a value the
/// database holds that is not in the set fails to load, loudly).
///
/// The OpenAPI schema is written out here rather than derived: the derive does not see
/// `#[serde(rename = ...)]` with a literal passed through a macro, and would document the Rust
/// variant names (`Call`) instead of the values on the wire (`call`).
macro_rules! text_enum {
    ($(#[doc = $doc:literal])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[doc = $doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize,
            ::diesel::AsExpression, ::diesel::FromSqlRow,
        )]
        #[diesel(sql_type = ::diesel::sql_types::Text)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                let description = [$($doc),*]
                    .iter()
                    .map(|line| line.trim())
                    .collect::<Vec<_>>()
                    .join("\n");
                ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .description((!description.is_empty()).then_some(description))
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl ::utoipa::ToSchema for $name {}

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("unknown {} {other:?}", stringify!($name))),
                }
            }
        }

        $crate::domain::text_enum::text_column!($name);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use text_enum;

/// The diesel mapping of a `Text` column for a type with `as_str` and `FromStr` (the type derives
/// `diesel::AsExpression` and `diesel::FromSqlRow` with `#[diesel(sql_type = Text)]`).
macro_rules! text_column {
    ($name:ident) => {
        impl ::diesel::serialize::ToSql<::diesel::sql_types::Text, ::diesel::pg::Pg> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut ::diesel::serialize::Output<'b, '_, ::diesel::pg::Pg>,
            ) -> ::diesel::serialize::Result {
                <str as ::diesel::serialize::ToSql<::diesel::sql_types::Text, ::diesel::pg::Pg>>::to_sql(
                    self.as_str(),
                    &mut out.reborrow(),
                )
            }
        }

        impl ::diesel::deserialize::FromSql<::diesel::sql_types::Text, ::diesel::pg::Pg> for $name {
            fn from_sql(value: ::diesel::pg::PgValue<'_>) -> ::diesel::deserialize::Result<Self> {
                let text = ::std::str::from_utf8(value.as_bytes())?;
                text.parse::<$name>()
                    .map_err(|_| format!("unknown {} {text:?} in the database", stringify!($name)).into())
            }
        }
    };
}

pub(crate) use text_column;
