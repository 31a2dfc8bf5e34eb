//! The JSON Schema of the plan format, generated from the model. It is published as
//! `assets/plan.schema.json` for editors and also drives the loader's structural check.

use std::sync::LazyLock;

use schemars::generate::SchemaSettings;
use serde_json::Value;

use super::model::Plan;

/// Where editors find the published schema (relative to a file in `plans/`).
pub const SCHEMA_COMMENT: &str = "# yaml-language-server: $schema=../assets/plan.schema.json";

/// The plan schema as JSON (draft 2020-12).
pub fn schema() -> Value {
    let settings = SchemaSettings::draft2020_12();
    let schema = settings.into_generator().into_root_schema_for::<Plan>();
    let mut value = schema.to_value();
    drop_nulls(&mut value);
    if let Value::Object(map) = &mut value {
        map.insert(
            "$id".into(),
            Value::String("https://rollback.tools/plan.schema.json".into()),
        );
    }
    value
}

/// Optional keys are simply left out of a plan; `null` is never a value a plan means.
/// schemars writes `Option<T>` as "T or null", so take the null back out everywhere.
fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("default") == Some(&Value::Null) {
                map.remove("default");
            }
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".into(), only);
                }
            }
            if let Some(Value::Array(alts)) = map.get_mut("anyOf") {
                alts.retain(|a| a.get("type") != Some(&Value::String("null".into())));
                if alts.len() == 1 {
                    let only = alts.remove(0);
                    map.remove("anyOf");
                    if let Value::Object(inner) = only {
                        for (k, v) in inner {
                            map.entry(k).or_insert(v);
                        }
                    }
                }
            }
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// The schema as `rollback schema` prints it and `assets/plan.schema.json` holds it.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&schema()).expect("a JSON value serializes");
    text.push('\n');
    text
}

/// The compiled validator, built once per process.
pub fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: LazyLock<jsonschema::Validator> = LazyLock::new(|| {
        jsonschema::validator_for(&schema()).expect("the generated plan schema compiles")
    });
    &VALIDATOR
}

/// The object schema at `pointer` inside the schema (following one `$ref`), used to list
/// the keys a mapping accepts.
pub fn properties_at(keyword_pointer: &str) -> Vec<String> {
    static SCHEMA: LazyLock<Value> = LazyLock::new(schema);
    let parent = keyword_pointer
        .rsplit_once('/')
        .map(|(p, _)| p)
        .unwrap_or("");
    let mut node = SCHEMA.pointer(parent);
    if let Some(Value::String(r)) = node.and_then(|n| n.get("$ref")) {
        node = SCHEMA.pointer(r.trim_start_matches('#'));
    }
    node.and_then(|n| n.get("properties"))
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_schema_is_current() {
        let committed = include_str!("../../assets/plan.schema.json");
        assert!(
            committed == schema_text(),
            "assets/plan.schema.json is stale: run `cargo run -- schema > assets/plan.schema.json`"
        );
    }

    #[test]
    fn schema_refuses_unknown_keys_everywhere() {
        let s = schema();
        assert_eq!(s["additionalProperties"], Value::Bool(false));
        assert_eq!(
            s["$defs"]["Step"]["additionalProperties"],
            Value::Bool(false)
        );
    }
}
