//! A JSONPath parsed once, when the trigger is resolved, and queried on every answer.

use jsonpath_rust::parser::model::JpQuery;
use serde_json::Value as Json;

#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    text: String,
    query: JpQuery,
}

impl JsonPath {
    pub fn parse(text: &str) -> Result<JsonPath, String> {
        jsonpath_rust::parser::parse_json_path(text)
            .map(|query| JsonPath {
                text: text.to_string(),
                query,
            })
            .map_err(|e| format!("`{text}` is not a JSONPath: {e}"))
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The value at the path: one match as itself, several as a list, none as an error.
    pub fn select(&self, body: &Json) -> Result<Json, String> {
        let path = &self.text;
        let found = jsonpath_rust::query::js_path_process(&self.query, body)
            .map_err(|e| format!("`{path}`: {e}"))?;
        match found.as_slice() {
            [] => Err(format!("`{path}` matches nothing in the answer")),
            [one] => Ok(one.clone().val().clone()),
            many => Ok(Json::Array(
                many.iter().map(|r| r.clone().val().clone()).collect(),
            )),
        }
    }
}
