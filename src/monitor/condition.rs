//! Trigger conditions: CEL expressions over `result` (the probe's answer) and `threshold`,
//! compiled once and evaluated per sample. A condition that cannot be evaluated on a
//! result (wrong type, missing key) makes that sample an error, never a pass.

use std::sync::{Arc, LazyLock};

use cel::objects::{Key, Map};
use cel::{Context, Env, Program, Value};
use serde_json::Value as Json;

/// Probe results bigger than this are refused before evaluation: CEL has no cost limit,
/// so the input is what bounds the work.
pub const MAX_RESULT_NODES: usize = 10_000;
/// Nesting deeper than this is refused for the same reason.
pub const MAX_RESULT_DEPTH: usize = 32;

static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| Arc::new(Env::stdlib()));

/// Why a condition does not compile, at a 1-based line and column inside its text.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

/// A compiled condition and the text it was compiled from.
pub struct Condition {
    program: Program,
    text: String,
}

impl std::fmt::Debug for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Condition").field(&self.text).finish()
    }
}

impl Condition {
    pub fn compile(text: &str) -> Result<Condition, CompileError> {
        match ENV.compile(text) {
            Ok(program) => Ok(Condition {
                program,
                text: text.to_string(),
            }),
            Err(errors) => {
                let first = errors.errors.first();
                let (line, col) = first.map(|e| e.pos).unwrap_or((1, 0));
                Err(CompileError {
                    line: line.max(1) as u32,
                    col: (col.max(0) + 1) as u32,
                    message: first
                        .map(|e| e.msg.clone())
                        .unwrap_or_else(|| "does not compile".into()),
                })
            }
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the condition holds for `result`. `threshold`, when given, is bound too.
    pub fn holds(&self, result: &Json, threshold: Option<f64>) -> Result<bool, String> {
        let value = to_cel(result)?;
        let mut context = Context::with_env(ENV.clone());
        context.add_variable_from_value("result", value);
        if let Some(t) = threshold {
            context.add_variable_from_value("threshold", Value::Float(t));
        }
        match self.program.execute(&context) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(other) => Err(format!(
                "`{}` gave {}, not true or false",
                self.text,
                describe(&other)
            )),
            Err(e) => Err(format!("`{}`: {e}", self.text)),
        }
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Float(f) => format!("the number {f}"),
        Value::Int(i) => format!("the number {i}"),
        Value::UInt(u) => format!("the number {u}"),
        Value::String(s) => format!("the text {s:?}"),
        Value::Null => "null".into(),
        Value::List(_) => "a list".into(),
        Value::Map(_) => "a map".into(),
        _ => "a value".into(),
    }
}

/// JSON to CEL, every number as a float (CEL compares int and uint with neither 0.05
/// nor each other the way a plan author expects), within the size bounds.
pub fn to_cel(json: &Json) -> Result<Value, String> {
    let mut budget = MAX_RESULT_NODES;
    convert(json, 0, &mut budget)
}

fn convert(json: &Json, depth: usize, budget: &mut usize) -> Result<Value, String> {
    if depth > MAX_RESULT_DEPTH {
        return Err(format!(
            "the result is nested deeper than {MAX_RESULT_DEPTH} levels"
        ));
    }
    if *budget == 0 {
        return Err(format!(
            "the result has more than {MAX_RESULT_NODES} values"
        ));
    }
    *budget -= 1;
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => Value::String(Arc::new(s.clone())),
        Json::Array(items) => Value::List(Arc::new(
            items
                .iter()
                .map(|i| convert(i, depth + 1, budget))
                .collect::<Result<_, _>>()?,
        )),
        Json::Object(map) => {
            let mut out = std::collections::HashMap::with_capacity(map.len());
            for (k, v) in map {
                out.insert(Key::from(k.as_str()), convert(v, depth + 1, budget)?);
            }
            Value::Map(Map { map: Arc::new(out) })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_as_floats_whatever_json_made_of_them() {
        let c = Condition::compile("result > 5").unwrap();
        assert_eq!(c.holds(&json!(6), None), Ok(true));
        assert_eq!(c.holds(&json!(4.5), None), Ok(false));
        let c = Condition::compile("result > 0.05").unwrap();
        assert_eq!(c.holds(&json!(1), None), Ok(true));
    }

    #[test]
    fn vectors_sizes_and_threshold() {
        let v = json!([{"labels": {"job": "api"}, "value": 0.97}]);
        let c = Condition::compile("result[0].value >= threshold").unwrap();
        assert_eq!(c.holds(&v, Some(0.95)), Ok(true));
        assert_eq!(c.holds(&v, Some(0.99)), Ok(false));
        let c = Condition::compile("size(result) == 0").unwrap();
        assert_eq!(c.holds(&json!([]), None), Ok(true));
        let c = Condition::compile("result.exists(s, s.labels.job == 'api')").unwrap();
        assert_eq!(c.holds(&v, None), Ok(true));
    }

    #[test]
    fn a_condition_that_cannot_be_evaluated_is_an_error_not_false() {
        let c = Condition::compile("result.ratio > 1.0").unwrap();
        assert!(c.holds(&json!({"other": 1}), None).is_err());
        let c = Condition::compile("result > 1.0").unwrap();
        assert!(c.holds(&json!("high"), None).is_err());
        let c = Condition::compile("result + 1.0").unwrap();
        assert!(
            c.holds(&json!(1), None)
                .unwrap_err()
                .contains("not true or false")
        );
    }

    #[test]
    fn compile_errors_carry_line_and_column() {
        let e = Condition::compile("result >").unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.col >= 8, "{e:?}");
        let e = Condition::compile("result > 1 &&\n  (result <").unwrap_err();
        assert_eq!(e.line, 2, "{e:?}");
    }

    #[test]
    fn oversized_or_deep_results_are_refused() {
        let wide = Json::Array(vec![json!(1); MAX_RESULT_NODES + 1]);
        assert!(to_cel(&wide).unwrap_err().contains("more than"));
        let mut deep = json!(1);
        for _ in 0..=MAX_RESULT_DEPTH {
            deep = json!([deep]);
        }
        assert!(to_cel(&deep).unwrap_err().contains("nested"));
    }
}
