//! YAML text to a positioned [`Node`] tree, from the parser's events (granit, the parser
//! under serde-saphyr). One pass, with budgets: nesting depth, total nodes and alias
//! expansion are bounded, duplicate keys are refused, and merge keys (`<<`) are resolved.

use std::collections::{HashMap, HashSet};

use serde_saphyr::granit_parser::{Event, Marker, Parser, ScalarStyle, ScanError};

use super::diag::Diagnostic;
use super::loc::{Loc, Pos};
use super::node::Node;

/// Nesting deeper than this is not a plan.
pub const MAX_DEPTH: usize = 64;
/// Nodes in the tree, aliases expanded.
pub const MAX_NODES: usize = 1_000_000;
/// Nodes copied by aliases, to stop alias bombs long before memory does.
pub const MAX_ALIAS_NODES: usize = 100_000;

fn pos(m: &Marker) -> Pos {
    Pos::new(
        u32::try_from(m.line()).unwrap_or(u32::MAX),
        u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
    )
}

fn yaml_error(at: Pos, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error(at, "yaml", message)
}

fn scan_error(e: &ScanError) -> Diagnostic {
    let info = e.info();
    let message = if info.contains("recursion limit") || info.contains("nesting") {
        format!("the plan nests more than {MAX_DEPTH} levels deep")
    } else {
        info
    };
    yaml_error(pos(e.marker()), message)
}

enum Frame {
    Map {
        at: Pos,
        anchor: usize,
        entries: Vec<(Loc<Node>, Loc<Node>)>,
        key: Option<Loc<Node>>,
        merges: Vec<Loc<Node>>,
        /// Key text to entry index, built once the mapping is big enough to need it.
        index: Option<HashMap<String, usize>>,
    },
    Seq {
        at: Pos,
        anchor: usize,
        items: Vec<Loc<Node>>,
    },
}

struct Composer {
    stack: Vec<Frame>,
    anchors: HashMap<usize, Loc<Node>>,
    nodes: usize,
    alias_nodes: usize,
    root: Option<Loc<Node>>,
}

/// Parses one YAML document into a tree.
pub fn compose(text: &str) -> Result<Loc<Node>, Diagnostic> {
    let mut options = serde_saphyr::granit_parser::Options::default();
    options.flow_nesting_limit = MAX_DEPTH;
    options.block_nesting_limit = MAX_DEPTH;
    let parser = Parser::new_from_str_with_options(text, options);
    let mut c = Composer {
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        alias_nodes: 0,
        root: None,
    };
    let mut documents = 0;
    for event in parser {
        let (event, span) = event.map_err(|e| scan_error(&e))?;
        let at = pos(&span.start);
        match event {
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return Err(yaml_error(
                        at,
                        "a plan file holds one YAML document; this is a second one (`---`)",
                    ));
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let tag_suffix = tag.as_ref().map(|t| t.core_suffix().map(str::to_string));
                let plain = match tag_suffix {
                    None => style == ScalarStyle::Plain,
                    Some(Some(s)) if s == "str" => false,
                    Some(Some(_)) => true,
                    Some(None) => {
                        return Err(yaml_error(
                            at,
                            "custom YAML tags (`!name`) mean nothing in a plan; remove the tag",
                        ));
                    }
                };
                c.add(Loc::new(Node::scalar(text.into_owned(), plain), at), anchor)?;
            }
            Event::SequenceStart(_, anchor, _) => {
                c.open(Frame::Seq {
                    at,
                    anchor,
                    items: Vec::new(),
                })?;
            }
            Event::MappingStart(_, anchor, _) => {
                c.open(Frame::Map {
                    at,
                    anchor,
                    entries: Vec::new(),
                    key: None,
                    merges: Vec::new(),
                    index: None,
                })?;
            }
            Event::SequenceEnd | Event::MappingEnd => c.close()?,
            Event::Alias(id) => {
                let node = c.anchors.get(&id).cloned().ok_or_else(|| {
                    yaml_error(at, "this alias names no anchor defined before it")
                })?;
                let n = node.value.count();
                c.alias_nodes += n;
                if c.alias_nodes > MAX_ALIAS_NODES {
                    return Err(yaml_error(
                        at,
                        "too many alias expansions for a plan (an alias bomb?)",
                    ));
                }
                c.add_expanded(Loc::new(node.value, at), n)?;
            }
            _ => {}
        }
    }
    c.root
        .ok_or_else(|| yaml_error(Pos::new(1, 1), "the plan is empty"))
}

impl Composer {
    fn count(&mut self, n: usize, at: Pos) -> Result<(), Diagnostic> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(yaml_error(at, "the plan has too many nodes to be read"));
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame) -> Result<(), Diagnostic> {
        let at = match &frame {
            Frame::Map { at, .. } | Frame::Seq { at, .. } => *at,
        };
        if self.stack.len() >= MAX_DEPTH {
            return Err(yaml_error(
                at,
                format!("the plan nests more than {MAX_DEPTH} levels deep"),
            ));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn close(&mut self) -> Result<(), Diagnostic> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        match frame {
            Frame::Seq { at, anchor, items } => self.add(Loc::new(Node::Seq(items), at), anchor),
            Frame::Map {
                at,
                anchor,
                mut entries,
                merges,
                ..
            } => {
                merge(&mut entries, merges)?;
                self.add(Loc::new(Node::Map(entries), at), anchor)
            }
        }
    }

    /// Adds a node parsed from the text (one new node; collections counted as they close).
    fn add(&mut self, node: Loc<Node>, anchor: usize) -> Result<(), Diagnostic> {
        self.count(1, node.pos)?;
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        self.place(node)
    }

    /// Adds an alias's copy of `n` nodes.
    fn add_expanded(&mut self, node: Loc<Node>, n: usize) -> Result<(), Diagnostic> {
        self.count(n, node.pos)?;
        self.place(node)
    }

    fn place(&mut self, node: Loc<Node>) -> Result<(), Diagnostic> {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                key,
                merges,
                index,
                ..
            }) => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    if matches!(&k.value, Node::Scalar(s) if s.plain && s.text == "<<") {
                        merges.push(node);
                    } else if let Some(first) = k
                        .value
                        .scalar_text()
                        .and_then(|t| find_key(entries, index, t))
                    {
                        return Err(yaml_error(
                            k.pos,
                            format!(
                                "duplicate key `{}`: it is already set at line {}",
                                k.value.key_text(),
                                entries[first].0.pos.line
                            ),
                        ));
                    } else {
                        if let (Some(index), Some(t)) = (index.as_mut(), k.value.scalar_text()) {
                            index.insert(t.to_string(), entries.len());
                        }
                        entries.push((k, node));
                    }
                }
            },
        }
        Ok(())
    }
}

/// Mappings with more keys than this get a hash index for the duplicate check; the few keys
/// of a step are faster to compare one by one.
const INDEX_FROM: usize = 16;

/// The entry whose key is the scalar `text`, if any.
fn find_key(
    entries: &[(Loc<Node>, Loc<Node>)],
    index: &mut Option<HashMap<String, usize>>,
    text: &str,
) -> Option<usize> {
    if index.is_none() && entries.len() >= INDEX_FROM {
        let built = entries
            .iter()
            .enumerate()
            .filter_map(|(i, (k, _))| Some((k.value.scalar_text()?.to_string(), i)));
        // The first of equal keys wins, as in the linear search (merged keys may repeat).
        let mut map = HashMap::new();
        for (t, i) in built {
            map.entry(t).or_insert(i);
        }
        *index = Some(map);
    }
    match index {
        Some(map) => map.get(text).copied(),
        None => entries
            .iter()
            .position(|(e, _)| e.value.scalar_text() == Some(text)),
    }
}

/// YAML merge keys: entries of the merged mappings fill in keys the mapping does not set.
fn merge(
    entries: &mut Vec<(Loc<Node>, Loc<Node>)>,
    merges: Vec<Loc<Node>>,
) -> Result<(), Diagnostic> {
    for m in merges {
        let sources = match m.value {
            Node::Map(e) => vec![e],
            Node::Seq(items) => items
                .into_iter()
                .map(|i| match i.value {
                    Node::Map(e) => Ok(e),
                    _ => Err(yaml_error(i.pos, "`<<` merges mappings only")),
                })
                .collect::<Result<_, _>>()?,
            Node::Scalar(_) => return Err(yaml_error(m.pos, "`<<` merges mappings only")),
        };
        let mut set: HashSet<String> = entries.iter().map(|(e, _)| e.value.key_text()).collect();
        for source in sources {
            for (k, v) in source {
                if set.insert(k.value.key_text()) {
                    entries.push((k, v));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        let d = compose(text).expect_err("should fail");
        format!("{}:{} {}", d.pos.line, d.pos.column, d.message)
    }

    #[test]
    fn positions_are_one_based() {
        let tree = compose("a: 1\nb:\n  - x\n").unwrap();
        let Node::Map(entries) = &tree.value else {
            panic!("a map")
        };
        assert_eq!(entries[1].0.pos, Pos::new(2, 1));
        let Node::Seq(items) = &entries[1].1.value else {
            panic!("a seq")
        };
        assert_eq!(items[0].pos, Pos::new(3, 5));
    }

    #[test]
    fn refuses_duplicates_bombs_depth_and_second_documents() {
        assert_eq!(
            err("a: 1\nb: 2\na: 3\n"),
            "3:1 duplicate key `a`: it is already set at line 1"
        );
        assert!(err(&"[".repeat(100_000)).contains("nests more than 64 levels"));
        assert!(err("a: 1\n---\nb: 2\n").contains("second one"));
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (i, c) in "bcdefghij".chars().enumerate() {
            let prev = (b'a' + i as u8) as char;
            bomb.push_str(&format!(
                "{c}: &{c} [{}]\n",
                vec![format!("*{prev}"); 9].join(", ")
            ));
        }
        assert!(err(&bomb).contains("alias bomb"));
        assert!(err("a: !thing x\n").contains("custom YAML tags"));
    }

    #[test]
    fn duplicates_are_found_in_big_mappings_too() {
        let mut text: String = (0..100).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str("k7: again\n");
        assert_eq!(
            err(&text),
            "101:1 duplicate key `k7`: it is already set at line 8"
        );
    }

    #[test]
    fn merge_keys_fill_in_without_overriding() {
        let tree = compose("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n").unwrap();
        let json = tree.value.to_json();
        assert_eq!(json["c"], serde_json::json!({"y": 3, "x": 1}));
    }

    #[test]
    fn quoted_and_tagged_scalars_stay_text() {
        let json = compose("a: '41'\nb: !!str 41\nc: 41\n")
            .unwrap()
            .value
            .to_json();
        assert_eq!(json, serde_json::json!({"a": "41", "b": "41", "c": 41}));
    }
}
