//! Reads typed values (the plan) out of a positioned [`Node`] tree with serde. Every error
//! carries the position of the node it is about; `Loc<T>` fields receive their node's
//! position through a private struct name, as serde-saphyr's `Spanned` does.

use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, StrDeserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

use super::loc::{LOC_FIELDS, LOC_STRUCT, Loc, Pos};
use super::node::{Node, Typed};

/// A message and, once known, where it applies.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub message: String,
    pub pos: Option<Pos>,
}

impl Error {
    fn at(mut self, pos: Pos) -> Self {
        self.pos.get_or_insert(pos);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error {
            message: msg.to_string(),
            pos: None,
        }
    }
}

/// Reads a `T` from the tree.
pub fn from_node<'de, T: de::Deserialize<'de>>(node: &'de Loc<Node>) -> Result<T, Error> {
    T::deserialize(NodeDe(node)).map_err(|e| e.at(node.pos))
}

#[derive(Clone, Copy)]
pub struct NodeDe<'a>(pub &'a Loc<Node>);

impl<'de> NodeDe<'de> {
    fn invalid(&self, want: &str) -> Error {
        Error {
            message: format!("expected {want}, found {}", self.0.value.describe()),
            pos: Some(self.0.pos),
        }
    }
}

impl<'de> Deserializer<'de> for NodeDe<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        let pos = self.0.pos;
        let r = match &self.0.value {
            Node::Map(entries) => v.visit_map(Entries::new(entries)),
            Node::Seq(items) => v.visit_seq(Items(items.iter())),
            Node::Scalar(s) => match s.typed() {
                Typed::Null => v.visit_unit(),
                Typed::Bool(b) => v.visit_bool(b),
                Typed::Int(i) if i >= 0 => v.visit_u64(i as u64),
                Typed::Int(i) => v.visit_i64(i),
                Typed::Float(f) => v.visit_f64(f),
                Typed::Str(t) => v.visit_borrowed_str(t),
            },
        };
        r.map_err(|e: Error| e.at(pos))
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match &self.0.value {
            Node::Scalar(s) if s.typed() != Typed::Null => v
                .visit_borrowed_str(&s.text)
                .map_err(|e: Error| e.at(self.0.pos)),
            _ => Err(self.invalid("text")),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_str(v)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        self.deserialize_str(v)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match &self.0.value {
            Node::Scalar(s) => match s.typed() {
                Typed::Bool(b) => v.visit_bool(b).map_err(|e: Error| e.at(self.0.pos)),
                _ => Err(self.invalid("true or false")),
            },
            _ => Err(self.invalid("true or false")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match &self.0.value {
            Node::Scalar(s) if s.typed() == Typed::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match &self.0.value {
            Node::Seq(items) => v
                .visit_seq(Items(items.iter()))
                .map_err(|e: Error| e.at(self.0.pos)),
            _ => Err(self.invalid("a list")),
        }
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        match &self.0.value {
            Node::Map(entries) => v
                .visit_map(Entries::new(entries))
                .map_err(|e: Error| e.at(self.0.pos)),
            Node::Scalar(s) if s.typed() == Typed::Null => v.visit_unit(),
            _ => Err(self.invalid("a mapping")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        _fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        if name == LOC_STRUCT {
            return v.visit_map(LocAccess {
                node: self.0,
                step: 0,
            });
        }
        match &self.0.value {
            Node::Map(entries) => v
                .visit_map(Entries::new(entries))
                .map_err(|e: Error| e.at(self.0.pos)),
            _ => Err(self.invalid("a mapping")),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Error> {
        match &self.0.value {
            Node::Scalar(s) => {
                let d: StrDeserializer<'_, Error> = s.text.as_str().into_deserializer();
                v.visit_enum(d).map_err(|e: Error| e.at(self.0.pos))
            }
            _ => Err(self.invalid("one of the allowed words")),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, Error> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Error> {
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit unit_struct
        tuple tuple_struct
    }
}

struct Items<'a>(std::slice::Iter<'a, Loc<Node>>);

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.0.next() {
            Some(item) => seed
                .deserialize(NodeDe(item))
                .map(Some)
                .map_err(|e| e.at(item.pos)),
            None => Ok(None),
        }
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Entries<'a> {
    iter: std::slice::Iter<'a, (Loc<Node>, Loc<Node>)>,
    value: Option<&'a Loc<Node>>,
}

impl<'a> Entries<'a> {
    fn new(entries: &'a [(Loc<Node>, Loc<Node>)]) -> Self {
        Entries {
            iter: entries.iter(),
            value: None,
        }
    }
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(NodeDe(k))
                    .map(Some)
                    .map_err(|e| e.at(k.pos))
            }
            None => Ok(None),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let v = self
            .value
            .take()
            .ok_or_else(|| <Error as de::Error>::custom("a value without a key"))?;
        seed.deserialize(NodeDe(v)).map_err(|e| e.at(v.pos))
    }
    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// Hands `Loc<T>` its node's line, column and value, in that order.
struct LocAccess<'a> {
    node: &'a Loc<Node>,
    step: u8,
}

impl<'de> MapAccess<'de> for LocAccess<'de> {
    type Error = Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(name) = LOC_FIELDS.get(self.step as usize) else {
            return Ok(None);
        };
        seed.deserialize(BorrowedStrDeserializer::<Error>::new(name))
            .map(Some)
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.step += 1;
        match self.step {
            1 => seed.deserialize(self.node.pos.line.into_deserializer()),
            2 => seed.deserialize(self.node.pos.col.into_deserializer()),
            _ => seed.deserialize(NodeDe(self.node)),
        }
    }
}
