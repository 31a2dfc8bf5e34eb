//! A generic YAML tree that keeps every node's position. The loader checks it against the
//! JSON Schema first, so that all structural problems of a file (unknown keys, wrong types)
//! are reported at once, each at its own line and column.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::loc::{Loc, Pos};

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Map(Vec<(Loc<Node>, Loc<Node>)>),
    Seq(Vec<Loc<Node>>),
    Str(String),
    Int(i64),
    UInt(u64),
    Float(f64),
    Bool(bool),
    Null,
}

impl Node {
    /// The JSON value the schema is checked against; keys that are not strings are
    /// rendered as text (the schema then reports them as unknown keys).
    pub fn to_json(&self) -> Value {
        match self {
            Node::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.value.key_text(), v.value.to_json()))
                    .collect(),
            ),
            Node::Seq(items) => Value::Array(items.iter().map(|i| i.value.to_json()).collect()),
            Node::Str(s) => Value::String(s.clone()),
            Node::Int(i) => Value::from(*i),
            Node::UInt(u) => Value::from(*u),
            Node::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Node::Bool(b) => Value::Bool(*b),
            Node::Null => Value::Null,
        }
    }

    pub fn key_text(&self) -> String {
        match self {
            Node::Str(s) => s.clone(),
            other => other.to_json().to_string(),
        }
    }

    /// What a person would call this kind of node, for "expected X, found Y" messages.
    pub fn describe(&self) -> &'static str {
        match self {
            Node::Map(_) => "a mapping",
            Node::Seq(_) => "a list",
            Node::Str(_) => "a string",
            Node::Int(_) | Node::UInt(_) => "a number",
            Node::Float(_) => "a number",
            Node::Bool(_) => "true/false",
            Node::Null => "nothing",
        }
    }
}

/// Follows a JSON pointer (`/phases/0/steps/1`) through the tree. Returns the node and its
/// position, or the deepest node reached when the pointer leaves the tree.
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
            _ => None,
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

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::UInt(v))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Float(v as f64))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Node, E> {
        Ok(Node::Float(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Node, E> {
        Ok(Node::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Node::Map(entries))
    }
}
