//! The HTTP statuses a probe takes as an answer: one code (`200`), a class (`2xx`), or a
//! list of them (`[2xx, 503]`). Any other status is an error sample. Default: any 2xx.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::{Serialize, Serializer};

/// Lists longer than this are a mistake, not a plan.
const MAX_ITEMS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum One {
    Code(u16),
    /// `2xx` as 2.
    Class(u16),
}

impl One {
    fn parse(text: &str) -> Result<One, String> {
        let t = text.trim();
        let bad = || {
            format!(
                "`{t}` is not an HTTP status: write a code such as 200, a class such as 2xx, or a list of them"
            )
        };
        if let Some(class) = t.strip_suffix("xx").or_else(|| t.strip_suffix("XX")) {
            return match class.parse::<u16>() {
                Ok(c) if (1..=5).contains(&c) => Ok(One::Class(c)),
                _ => Err(bad()),
            };
        }
        match t.parse::<u16>() {
            Ok(c) if (100..=599).contains(&c) => Ok(One::Code(c)),
            _ => Err(bad()),
        }
    }

    fn accepts(self, status: u16) -> bool {
        match self {
            One::Code(c) => c == status,
            One::Class(c) => status / 100 == c,
        }
    }
}

impl fmt::Display for One {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            One::Code(c) => write!(f, "{c}"),
            One::Class(c) => write!(f, "{c}xx"),
        }
    }
}

/// The statuses accepted as an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statuses(Vec<One>);

impl Default for Statuses {
    fn default() -> Statuses {
        Statuses(vec![One::Class(2)])
    }
}

impl Statuses {
    /// Exactly `code`.
    pub fn code(code: u16) -> Statuses {
        Statuses(vec![One::Code(code)])
    }

    /// `200`, `2xx`, `2xx, 503`, ... as a plan writes them; an empty list is refused.
    pub fn parse(items: &[&str]) -> Result<Statuses, String> {
        if items.is_empty() {
            return Err(
                "an empty list of statuses accepts nothing: leave `status` out for any 2xx".into(),
            );
        }
        items
            .iter()
            .map(|i| One::parse(i))
            .collect::<Result<_, _>>()
            .map(Statuses)
    }

    pub fn accepts(&self, status: u16) -> bool {
        self.0.iter().any(|o| o.accepts(status))
    }
}

impl fmt::Display for Statuses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, o) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            o.fmt(f)?;
        }
        Ok(())
    }
}

/// Written back as a plan writes it: `200`, `"2xx"`, or a list of those.
impl Serialize for Statuses {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let item = |o: &One| match o {
            One::Code(c) => serde_json::Value::from(*c),
            One::Class(_) => serde_json::Value::from(o.to_string()),
        };
        match self.0.as_slice() {
            [one] => item(one).serialize(s),
            many => s.collect_seq(many.iter().map(item)),
        }
    }
}

impl<'de> Deserialize<'de> for Statuses {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StatusesVisitor)
    }
}

struct StatusesVisitor;

impl<'de> Visitor<'de> for StatusesVisitor {
    type Value = Statuses;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an HTTP status (200), a class (2xx) or a list of them")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Statuses, E> {
        Statuses::parse(&[&v.to_string()]).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Statuses, E> {
        Statuses::parse(&[&v.to_string()]).map_err(E::custom)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Statuses, E> {
        Statuses::parse(&[v]).map_err(E::custom)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Statuses, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Item>()? {
            if items.len() == MAX_ITEMS {
                return Err(de::Error::custom(format!(
                    "more than {MAX_ITEMS} statuses: use a class such as 2xx"
                )));
            }
            items.push(item.0);
        }
        let texts: Vec<&str> = items.iter().map(String::as_str).collect();
        Statuses::parse(&texts).map_err(de::Error::custom)
    }
}

/// One list item as text, whether written as a number or as `2xx`.
struct Item(String);

impl<'de> Deserialize<'de> for Item {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Item;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an HTTP status (200) or a class (2xx)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Item, E> {
                Ok(Item(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Item, E> {
                Ok(Item(v.to_string()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Item, E> {
                Ok(Item(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for Statuses {
    fn schema_name() -> Cow<'static, str> {
        "HttpStatuses".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // Loose on purpose: the typed read says what is wrong with a value, in words.
        schemars::json_schema!({
            "type": ["integer", "string", "array"],
            "items": {"type": ["integer", "string"]},
            "description": "The statuses taken as an answer: a code (200), a class (2xx) or a list of them ([2xx, 503]); any other is an error sample. Default: any 2xx.",
            "examples": [200, "2xx", ["2xx", 503]],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_classes_and_lists() {
        let any2xx = Statuses::default();
        assert!(any2xx.accepts(200) && any2xx.accepts(204) && any2xx.accepts(299));
        assert!(!any2xx.accepts(301) && !any2xx.accepts(503) && !any2xx.accepts(199));
        let exact = Statuses::code(200);
        assert!(exact.accepts(200) && !exact.accepts(204));
        let mixed = Statuses::parse(&["2xx", "503"]).unwrap();
        assert!(mixed.accepts(201) && mixed.accepts(503) && !mixed.accepts(500));
        assert_eq!(mixed.to_string(), "2xx, 503");
    }

    #[test]
    fn what_is_not_a_status_is_refused_in_words() {
        for bad in ["99", "600", "6xx", "0xx", "ok", "2x", "-1", ""] {
            let e = Statuses::parse(&[bad]).unwrap_err();
            assert!(e.contains("is not an HTTP status"), "{bad}: {e}");
        }
        assert!(Statuses::parse(&[]).unwrap_err().contains("empty list"));
    }
}
