//! Trigger conditions: CEL expressions over `result` (the probe's answer) and `threshold`,
//! compiled once and evaluated per sample. Compiling holds a condition to the limits of
//! `condition_limits` and the budget of `condition_cost`, so evaluating it on any result
//! within the bounds of `cel_value` takes bounded time and memory. A condition that cannot
//! be evaluated on a result (wrong type, missing key, a result over the bounds) makes that
//! sample an error, never a pass.

pub mod cost;
pub mod env;
pub mod limits;
pub mod value;

use std::sync::{Arc, LazyLock};

use cel::common::ast::SourceInfo;
use cel::parser::Expression;
use cel::{Context, Env, ParseErrors, Value};
use serde_json::Value as Json;

use limits::{MAX_NESTING, Place, Refusal};
pub use value::{MAX_RESULT_BYTES, MAX_RESULT_DEPTH, MAX_RESULT_NODES, to_cel};

static ENV: LazyLock<Arc<Env>> = LazyLock::new(|| Arc::new(env::env()));

/// The parser's own depth limit stands behind the lexical check, above what it lets through.
const PARSER_DEPTH: u16 = MAX_NESTING as u16 + 8;

/// Why a condition does not compile, at a 1-based line and column inside its text.
/// `over_limit` when it is refused for its size or cost rather than for its syntax.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    pub line: u32,
    pub col: u32,
    pub message: String,
    pub over_limit: bool,
}

/// A compiled condition and the text it was compiled from; cloning it shares the tree.
#[derive(Clone)]
pub struct Condition {
    expr: Arc<Expression>,
    text: Arc<str>,
    negated: bool,
    cost: f64,
}

impl std::fmt::Debug for Condition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Condition").field(&self.text).finish()
    }
}

impl Condition {
    pub fn compile(text: &str) -> Result<Condition, CompileError> {
        limits::lexical(text).map_err(|r| refused(text, None, r))?;
        let (expr, info) = ENV
            .parser()
            .max_recursion_depth(PARSER_DEPTH)
            .parse_with_source_info(text)
            .map_err(syntax)?;
        limits::tree(&expr).map_err(|r| refused(text, Some(&info), r))?;
        let estimate = cost::estimate(&expr).map_err(|r| refused(text, Some(&info), r))?;
        for (pattern, id) in &estimate.patterns {
            if let Err(message) = env::prepare(pattern) {
                let over_limit = message.contains("too big");
                let at = Refusal {
                    at: Place::Node(*id),
                    message,
                };
                return Err(CompileError {
                    over_limit,
                    ..refused(text, Some(&info), at)
                });
            }
        }
        Ok(Condition {
            expr: Arc::new(expr),
            text: text.into(),
            negated: false,
            cost: estimate.cost,
        })
    }

    /// The same condition, holding where it did not.
    pub fn negated(self) -> Condition {
        Condition {
            negated: !self.negated,
            ..self
        }
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// The estimated worst case on the largest result, in bytes copied or scanned.
    pub fn cost(&self) -> f64 {
        self.cost
    }

    /// Whether the condition holds for `result`. `threshold`, when given, is bound too.
    pub fn holds(&self, result: &Json, threshold: Option<f64>) -> Result<bool, String> {
        let value = to_cel(result)?;
        let mut context = Context::with_env(ENV.clone());
        context.add_variable_from_value("result", value);
        if let Some(t) = threshold {
            context.add_variable_from_value("threshold", Value::Float(t));
        }
        match Value::resolve(&self.expr, &context) {
            Ok(Value::Bool(b)) => Ok(b != self.negated),
            Ok(other) => Err(format!(
                "`{}` gave {}, not true or false",
                self.text,
                describe(&other)
            )),
            Err(e) => Err(format!("`{}`: {e}", self.text)),
        }
    }
}

fn syntax(errors: ParseErrors) -> CompileError {
    let first = errors.errors.first();
    let (line, col) = first.map(|e| e.pos).unwrap_or((1, 0));
    let message = first
        .map(|e| e.msg.clone())
        .unwrap_or_else(|| "does not compile".into());
    // Behind the lexical check, the parser's own depth limit should never be reached.
    let over_limit = message.contains("Recursion limit");
    CompileError {
        line: line.max(1) as u32,
        col: (col.max(0) + 1) as u32,
        message: if over_limit {
            format!("brackets and `?:` nest deeper than {MAX_NESTING} levels")
        } else {
            message
        },
        over_limit,
    }
}

/// A refusal at its line and column: a character of the text, or where a part was written.
fn refused(text: &str, info: Option<&SourceInfo>, r: Refusal) -> CompileError {
    let offset = match r.at {
        Place::Char(c) => c,
        // The parser places parts at byte offsets.
        Place::Node(id) => info
            .and_then(|i| i.offset_for(id))
            .and_then(|(start, _)| text.get(..start as usize))
            .map_or(0, |before| before.chars().count()),
    };
    let (mut line, mut col) = (1u32, 1u32);
    for c in text.chars().take(offset) {
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    CompileError {
        line,
        col,
        message: r.message,
        over_limit: true,
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
}
