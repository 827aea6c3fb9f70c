//! Document-only shapes of the free-form JSON objects the API carries, so that generated clients
//! get a typed map instead of an empty object. The handlers keep `serde_json` maps (the values
//! are checked against the field definitions or written by the service itself); the contract
//! test checks every real answer against these shapes. Fields use them through
//! `#[schema(value_type = HashMap<String, CustomValue>)]` and the like.

use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, SchemaType, Type,
};

/// The value of a custom field: text (`text`, `select`, and `date` as `YYYY-MM-DD`), a number
/// (`number`) or the chosen options (`multi_select`); in a request, `null` clears the value.
pub struct CustomValue;

impl utoipa::PartialSchema for CustomValue {
    fn schema() -> RefOr<Schema> {
        let text = ObjectBuilder::new().schema_type(Type::String);
        let number = ObjectBuilder::new().schema_type(Type::Number);
        let choices = ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String));
        let null = ObjectBuilder::new().schema_type(Type::Null);
        OneOfBuilder::new()
            .item(text)
            .item(number)
            .item(choices)
            .item(null)
            .description(Some(
                "The value of a custom field: text (`text`, `select`, and `date` as \
                 `YYYY-MM-DD`), a number (`number`) or the chosen options (`multi_select`); in a \
                 request, `null` clears the value.",
            ))
            .into()
    }
}

impl ToSchema for CustomValue {}

/// Any JSON value (what it holds is described where it is used).
pub struct AnyValue;

impl utoipa::PartialSchema for AnyValue {
    fn schema() -> RefOr<Schema> {
        let of = |ty: Type| ObjectBuilder::new().schema_type(ty);
        OneOfBuilder::new()
            .item(of(Type::String))
            .item(of(Type::Number))
            .item(of(Type::Boolean))
            .item(ArrayBuilder::new().items(ObjectBuilder::new().schema_type(SchemaType::AnyValue)))
            .item(of(Type::Object).additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::<Schema>::FreeForm(true),
            )))
            .item(of(Type::Null))
            .description(Some(
                "Any JSON value (what it holds is described where it is used).",
            ))
            .into()
    }
}

impl ToSchema for AnyValue {}

/// One rule that changed between two versions of a pool's rules.
#[derive(ToSchema)]
#[allow(dead_code)] // only its schema is used
pub struct RuleChange {
    /// The value before (`null` when the rule was unset).
    #[schema(value_type = AnyValue)]
    pub from: Value,
    /// The value after.
    #[schema(value_type = AnyValue)]
    pub to: Value,
}
