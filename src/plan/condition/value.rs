//! A probe's answer as a CEL value, within bounds: a result over them is refused before a
//! condition sees it (an error sample). The bounds are what a condition's cost is
//! estimated on (`condition_cost`), so they bound every evaluation's time and memory.

use std::collections::HashMap;
use std::sync::Arc;

use cel::Value;
use cel::objects::{Key, Map};
use serde_json::Value as Json;

/// Values in a result (every number, text, list and map counts one).
pub const MAX_RESULT_NODES: usize = 10_000;
/// How deep a result may nest.
pub const MAX_RESULT_DEPTH: usize = 32;
/// Bytes of text in a result, its texts and map keys together.
pub const MAX_RESULT_BYTES: usize = 1024 * 1024;

/// JSON to CEL, every number as a float (CEL compares int and uint with neither 0.05
/// nor each other the way a plan author expects), within the bounds.
pub fn to_cel(json: &Json) -> Result<Value, String> {
    let mut left = Left {
        nodes: MAX_RESULT_NODES,
        bytes: MAX_RESULT_BYTES,
    };
    convert(json, 0, &mut left)
}

/// What the bounds leave while converting.
struct Left {
    nodes: usize,
    bytes: usize,
}

impl Left {
    fn text(&mut self, s: &str) -> Result<(), String> {
        self.bytes = self.bytes.checked_sub(s.len()).ok_or_else(|| {
            format!("the result holds more than {MAX_RESULT_BYTES} bytes of text")
        })?;
        Ok(())
    }
}

fn convert(json: &Json, depth: usize, left: &mut Left) -> Result<Value, String> {
    if depth > MAX_RESULT_DEPTH {
        return Err(format!(
            "the result is nested deeper than {MAX_RESULT_DEPTH} levels"
        ));
    }
    if left.nodes == 0 {
        return Err(format!(
            "the result has more than {MAX_RESULT_NODES} values"
        ));
    }
    left.nodes -= 1;
    Ok(match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        Json::String(s) => {
            left.text(s)?;
            Value::String(Arc::new(s.clone()))
        }
        Json::Array(items) => Value::List(Arc::new(
            items
                .iter()
                .map(|i| convert(i, depth + 1, left))
                .collect::<Result<_, _>>()?,
        )),
        Json::Object(map) => {
            let mut out = HashMap::with_capacity(map.len());
            for (k, v) in map {
                left.text(k)?;
                out.insert(Key::from(k.as_str()), convert(v, depth + 1, left)?);
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
    fn oversized_or_deep_results_are_refused() {
        let wide = Json::Array(vec![json!(1); MAX_RESULT_NODES + 1]);
        assert!(to_cel(&wide).unwrap_err().contains("more than"));
        let mut deep = json!(1);
        for _ in 0..=MAX_RESULT_DEPTH {
            deep = json!([deep]);
        }
        assert!(to_cel(&deep).unwrap_err().contains("nested"));
    }

    #[test]
    fn text_beyond_a_mebibyte_is_refused_in_values_and_keys_alike() {
        let half = "x".repeat(MAX_RESULT_BYTES / 2);
        assert!(to_cel(&json!([half, half])).is_ok(), "exactly at the bound");
        let over = to_cel(&json!([half, half, "y"])).unwrap_err();
        assert!(over.contains("bytes of text"), "{over}");
        let mut keys = serde_json::Map::new();
        keys.insert(half.clone(), json!(1));
        keys.insert(format!("{half}!"), json!(2));
        assert!(to_cel(&Json::Object(keys)).is_err());
        assert!(to_cel(&Json::String("y".repeat(MAX_RESULT_BYTES + 1))).is_err());
    }
}
