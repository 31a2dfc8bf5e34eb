//! A YAML tree that keeps every node's position and every scalar's exact text. The loader
//! checks it against the JSON Schema (so all structural problems of a file are reported at
//! once, each at its own line and column) and then reads the typed plan from it.

use serde_json::Value;

use super::loc::{Loc, Pos};

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Map(Vec<(Loc<Node>, Loc<Node>)>),
    Seq(Vec<Loc<Node>>),
    Scalar(Scalar),
}

/// A scalar as written. Plain scalars are typed by the YAML 1.2 core schema; quoted ones
/// (and `!!str`) are always text, so `version: "1.10"` and `version: 1.10` both read as
/// "1.10" where text is expected.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: String,
    /// Plain (unquoted, untagged) scalars may be null, booleans or numbers.
    pub plain: bool,
}

/// What a scalar means under the YAML 1.2 core schema.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Typed<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
}

impl Scalar {
    pub fn typed(&self) -> Typed<'_> {
        if !self.plain {
            return Typed::Str(&self.text);
        }
        let t = self.text.as_str();
        match t {
            "" | "~" | "null" | "Null" | "NULL" => return Typed::Null,
            "true" | "True" | "TRUE" => return Typed::Bool(true),
            "false" | "False" | "FALSE" => return Typed::Bool(false),
            ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
                return Typed::Float(f64::INFINITY);
            }
            "-.inf" | "-.Inf" | "-.INF" => return Typed::Float(f64::NEG_INFINITY),
            ".nan" | ".NaN" | ".NAN" => return Typed::Float(f64::NAN),
            _ => {}
        }
        if let Some(oct) = t.strip_prefix("0o") {
            if let Ok(i) = i64::from_str_radix(oct, 8) {
                return Typed::Int(i);
            }
        } else if let Some(hex) = t.strip_prefix("0x") {
            if let Ok(i) = i64::from_str_radix(hex, 16) {
                return Typed::Int(i);
            }
        } else if is_int(t) {
            if let Ok(i) = t.parse::<i64>() {
                return Typed::Int(i);
            }
        } else if is_float(t)
            && let Ok(f) = t.parse::<f64>()
        {
            return Typed::Float(f);
        }
        Typed::Str(t)
    }
}

/// `[-+]?[0-9]+`
fn is_int(t: &str) -> bool {
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_float(t: &str) -> bool {
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => digits(int) && digits(f) && !(int.is_empty() && f.is_empty()),
        None => !int.is_empty() && digits(int),
    };
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    mantissa_ok && exp_ok
}

impl Node {
    pub fn scalar(text: impl Into<String>, plain: bool) -> Node {
        Node::Scalar(Scalar {
            text: text.into(),
            plain,
        })
    }

    /// The JSON value the schema is checked against.
    pub fn to_json(&self) -> Value {
        match self {
            Node::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.value.key_text(), v.value.to_json()))
                    .collect(),
            ),
            Node::Seq(items) => Value::Array(items.iter().map(|i| i.value.to_json()).collect()),
            Node::Scalar(s) => match s.typed() {
                Typed::Null => Value::Null,
                Typed::Bool(b) => Value::Bool(b),
                Typed::Int(i) => Value::from(i),
                Typed::Float(f) => serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .unwrap_or_else(|| Value::String(s.text.clone())),
                Typed::Str(t) => Value::String(t.to_string()),
            },
        }
    }

    /// The text of a scalar key, without allocating; collections have none.
    pub fn scalar_text(&self) -> Option<&str> {
        match self {
            Node::Scalar(s) => Some(&s.text),
            _ => None,
        }
    }

    /// A key or value as text, for messages and lookups.
    pub fn key_text(&self) -> String {
        match self {
            Node::Scalar(s) => s.text.clone(),
            other => other.to_json().to_string(),
        }
    }

    /// What a person would call this kind of node, for "expected X, found Y" messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Node::Map(_) => "a mapping",
            Node::Seq(_) => "a list",
            Node::Scalar(s) => match s.typed() {
                Typed::Null => "nothing",
                Typed::Bool(_) => "true/false",
                Typed::Int(_) | Typed::Float(_) => "a number",
                Typed::Str(_) => "a string",
            },
        }
    }

    /// Nodes in this tree, itself included.
    pub fn count(&self) -> usize {
        1 + match self {
            Node::Map(entries) => entries
                .iter()
                .map(|(k, v)| k.value.count() + v.value.count())
                .sum(),
            Node::Seq(items) => items.iter().map(|i| i.value.count()).sum(),
            Node::Scalar(_) => 0,
        }
    }
}

/// Follows a JSON pointer (`/phases/0/steps/1`) through the tree. Returns the node it names,
/// or the deepest node reached when the pointer leaves the tree.
pub fn find<'a>(root: &'a Loc<Node>, pointer: &str) -> &'a Loc<Node> {
    let mut at = root;
    for raw in pointer.split('/').skip(1) {
        let token = raw.replace("~1", "/").replace("~0", "~");
        let next = match &at.value {
            Node::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.value.key_text() == token)
                .map(|(_, v)| v),
            Node::Seq(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
            Node::Scalar(_) => None,
        };
        match next {
            Some(n) => at = n,
            None => break,
        }
    }
    at
}

/// The position of `key` in the mapping at `pointer`, falling back to the mapping itself.
pub fn key_pos(root: &Loc<Node>, pointer: &str, key: &str) -> Pos {
    let map = find(root, pointer);
    if let Node::Map(entries) = &map.value
        && let Some((k, _)) = entries.iter().find(|(k, _)| k.value.key_text() == key)
    {
        return k.pos;
    }
    map.pos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        let typed = |t: &str| Node::scalar(t, true).to_json();
        assert_eq!(typed("41"), Value::from(41));
        assert_eq!(typed("-3"), Value::from(-3));
        assert_eq!(typed("0x1f"), Value::from(31));
        assert_eq!(typed("1.5"), Value::from(1.5));
        assert_eq!(typed("true"), Value::Bool(true));
        assert_eq!(typed("yes"), Value::String("yes".into()));
        assert_eq!(typed("~"), Value::Null);
        assert_eq!(typed("5m"), Value::String("5m".into()));
        assert_eq!(typed("1.2.3"), Value::String("1.2.3".into()));
        assert_eq!(
            Node::scalar("41", false).to_json(),
            Value::String("41".into())
        );
    }
}
