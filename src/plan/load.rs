//! YAML text to `Plan`. Never panics on any input: every failure becomes diagnostics with a
//! line and column. Order: size, encoding and emptiness; YAML syntax into a positioned tree
//! (with budgets against alias bombs and deep nesting); the JSON Schema over that tree,
//! which reports every structural problem at once; then the typed read from the same tree,
//! and its CEL conditions held to their limits.

use std::io::Read;
use std::path::Path;

use jsonschema::error::{TypeKind, ValidationErrorKind};

use super::de::from_node;
use super::diag::{Diagnostic, did_you_mean};
use super::duration::DURATION_PATTERN;
use super::loc::{Loc, Pos};
use super::model::{ID_PATTERN, Plan};
use super::node::{self, Node, Typed};
use super::schema;
use super::yaml::compose;

/// Plans are hand-written; anything bigger is a mistake (wrong file, generated garbage).
pub const MAX_PLAN_BYTES: u64 = 4 * 1024 * 1024;

/// A plan's text and the name it is reported under.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: String,
    pub text: String,
}

/// Why a plan could not be read.
#[derive(Debug)]
pub enum LoadError {
    /// The file could not be opened or read at all.
    Unreadable { path: String, message: String },
    /// The file was read; these problems stop it from being a plan.
    Invalid {
        source: Source,
        diagnostics: Vec<Diagnostic>,
    },
}

impl LoadError {
    pub fn path(&self) -> &str {
        match self {
            LoadError::Unreadable { path, .. } => path,
            LoadError::Invalid { source, .. } => &source.path,
        }
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Unreadable { path, message } => write!(f, "{path}: {message}"),
            LoadError::Invalid {
                source,
                diagnostics,
            } => {
                for (i, d) in diagnostics.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{}", d.one_line(&source.path))?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for LoadError {}

/// A plan read from a file, with the exact bytes it was read from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub plan: Plan,
    pub source: Source,
}

/// Reads and parses a plan file.
pub fn load_file(path: &Path) -> Result<Loaded, LoadError> {
    let shown = path.display().to_string();
    let bytes = read_capped(path).map_err(|message| LoadError::Unreadable {
        path: shown.clone(),
        message,
    })?;
    load_bytes(&shown, bytes)
}

fn read_capped(path: &Path) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if meta.is_dir() {
        return Err("is a directory, not a plan file".into());
    }
    if meta.len() > MAX_PLAN_BYTES {
        return Err(too_big(meta.len()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_PLAN_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_PLAN_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

fn too_big(len: u64) -> String {
    format!(
        "is {:.1} MiB; a plan may be at most {} MiB (is this the right file?)",
        len as f64 / (1024.0 * 1024.0),
        MAX_PLAN_BYTES / (1024 * 1024)
    )
}

/// Parses plan bytes that were read from `path`.
pub fn load_bytes(path: &str, bytes: Vec<u8>) -> Result<Loaded, LoadError> {
    let invalid = |text: String, diagnostics| LoadError::Invalid {
        source: Source {
            path: path.to_owned(),
            text,
        },
        diagnostics,
    };
    if bytes.len() as u64 > MAX_PLAN_BYTES {
        return Err(LoadError::Unreadable {
            path: path.into(),
            message: too_big(bytes.len() as u64),
        });
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let pos = pos_after(&String::from_utf8_lossy(good));
            let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let d = Diagnostic::error(
                pos,
                "encoding",
                "this is not UTF-8 text (a binary file?); plans are YAML text",
            );
            return Err(invalid(lossy, vec![d]));
        }
    };
    match parse_str(&text) {
        Ok(plan) => Ok(Loaded {
            plan,
            source: Source {
                path: path.to_owned(),
                text,
            },
        }),
        Err(diagnostics) => Err(invalid(text, diagnostics)),
    }
}

/// Parses plan text; on failure returns every problem found, in source order.
pub fn parse_str(text: &str) -> Result<Plan, Vec<Diagnostic>> {
    if let Some(i) = text.find('\0') {
        return Err(vec![Diagnostic::error(
            pos_after(&text[..i]),
            "encoding",
            "this file holds NUL bytes (a binary file?); plans are YAML text",
        )]);
    }
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Err(vec![Diagnostic::error(
            Pos::new(1, 1),
            "yaml",
            "the plan is empty: it needs at least `plan`, `title`, `level`, `operation`, `automation` and `phases`",
        )]);
    }
    let tree = compose(text).map_err(|d| vec![d])?;
    if !matches!(tree.value, Node::Map(_)) {
        return Err(vec![Diagnostic::error(
            tree.pos,
            "schema",
            format!(
                "a plan is a mapping of keys (`plan:`, `title:`, ...), found {}",
                tree.value.describe()
            ),
        )]);
    }
    let mut diagnostics = schema_problems(&tree);
    if !diagnostics.is_empty() {
        diagnostics.sort_by_key(|d| d.pos());
        return Err(diagnostics);
    }
    let mut plan: Plan = from_node(&tree).map_err(|e| {
        vec![Diagnostic::error(
            e.pos.unwrap_or(tree.pos),
            "schema",
            e.message,
        )]
    })?;
    let over = super::conditions::over_limits(&plan);
    if !over.is_empty() {
        return Err(over);
    }
    super::checklist::expand(&mut plan);
    Ok(plan)
}

/// The line and column just after `text`, 1-based.
fn pos_after(text: &str) -> Pos {
    let line = text.matches('\n').count() + 1;
    let col = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Pos::new(line as u32, col as u32)
}

/// Every schema violation, each placed on the key or value it is about.
fn schema_problems(tree: &Loc<Node>) -> Vec<Diagnostic> {
    let instance = tree.value.to_json();
    let mut out = Vec::new();
    for err in schema::validator().iter_errors(&instance) {
        let at = err.instance_path().to_string();
        let keyword = err.schema_path().to_string();
        let node = node::find(tree, &at);
        let found = node.value.describe();
        match err.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let known = schema::properties_at(&keyword);
                for key in unexpected {
                    let hint = did_you_mean(key, known.iter().map(String::as_str))
                        .map(|k| format!(", did you mean `{k}`?"))
                        .unwrap_or_else(|| format!(" (expected one of: {})", known.join(", ")));
                    out.push(Diagnostic::error(
                        node::key_pos(tree, &at, key),
                        "schema",
                        format!("unknown key `{key}`{hint}"),
                    ));
                }
            }
            ValidationErrorKind::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                out.push(Diagnostic::error(
                    node.pos,
                    "schema",
                    format!("missing key `{name}`{}", where_(&at)),
                ));
            }
            // A number or true/false where text is expected is read as its text (`default: 41`,
            // `env: {PORT: 8080}`); the typed read decides whether that text is acceptable.
            ValidationErrorKind::Type {
                kind: TypeKind::Single(t),
            } if t.to_string() == "string"
                && matches!(
                    &node.value,
                    Node::Scalar(s) if matches!(s.typed(), Typed::Int(_) | Typed::Float(_) | Typed::Bool(_))
                ) => {}
            ValidationErrorKind::Type { kind } => {
                let want = match kind {
                    TypeKind::Single(t) => type_name(&t.to_string()),
                    TypeKind::Multiple(ts) => ts
                        .iter()
                        .map(|t| type_name(&t.to_string()))
                        .collect::<Vec<_>>()
                        .join(" or "),
                };
                out.push(Diagnostic::error(
                    node.pos,
                    "schema",
                    format!("expected {want}{}, found {found}", where_(&at)),
                ));
            }
            ValidationErrorKind::Enum { options } => {
                let names: Vec<&str> = options
                    .as_array()
                    .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
                    .unwrap_or_default();
                let value = node.value.key_text();
                let hint = did_you_mean(&value, names.iter().copied())
                    .map(|k| format!(", did you mean `{k}`?"))
                    .unwrap_or_else(|| format!(" (one of: {})", names.join(", ")));
                out.push(Diagnostic::error(
                    node.pos,
                    "schema",
                    format!("`{value}` is not allowed{}{hint}", where_(&at)),
                ));
            }
            ValidationErrorKind::Pattern { pattern } => {
                let value = node.value.key_text();
                let message = if pattern == DURATION_PATTERN {
                    format!("`{value}` is not a duration: write it as 90s, 5m or 1h30m")
                } else if pattern == ID_PATTERN {
                    format!(
                        "`{value}` is not a valid id: use lowercase letters, digits, `-` and `_`"
                    )
                } else {
                    format!("`{value}` does not match {pattern}")
                };
                out.push(Diagnostic::error(node.pos, "schema", message));
            }
            ValidationErrorKind::Minimum { limit } | ValidationErrorKind::Maximum { limit } => {
                let range = range_words(&keyword).unwrap_or_else(|| format!("limit {limit}"));
                out.push(Diagnostic::error(
                    node.pos,
                    "schema",
                    format!(
                        "{} is out of range{}: {range}",
                        node.value.key_text(),
                        where_(&at)
                    ),
                ));
            }
            // The one choice of forms in the format: `point_of_no_return`.
            ValidationErrorKind::AnyOf { .. } => {
                let want = if matches!(node.value, Node::Scalar(_)) {
                    "true or false"
                } else {
                    "true or false, or {approve: auto, by: NAME}"
                };
                out.push(Diagnostic::error(
                    node.pos,
                    "schema",
                    format!("expected {want}{}, found {found}", where_(&at)),
                ));
            }
            _ => out.push(Diagnostic::error(node.pos, "schema", err.to_string())),
        }
    }
    out
}

/// " for `phases/0/steps/2/retry`" style context for messages about a value.
fn where_(pointer: &str) -> String {
    let field = pointer.rsplit('/').next().unwrap_or("");
    if field.is_empty() || field.parse::<usize>().is_ok() {
        String::new()
    } else {
        format!(" for `{field}`")
    }
}

fn type_name(t: &str) -> String {
    match t {
        "object" => "a mapping".into(),
        "array" => "a list".into(),
        "string" => "a string".into(),
        "integer" => "a whole number".into(),
        "number" => "a number".into(),
        "boolean" => "true or false".into(),
        other => other.into(),
    }
}

/// "must be between 2 and 4", read from the schema beside the failing keyword.
fn range_words(keyword: &str) -> Option<String> {
    let value = schema::schema();
    let parent = keyword.rsplit_once('/')?.0;
    let s = value.pointer(parent)?;
    let (min, max) = (s.get("minimum")?, s.get("maximum")?);
    Some(format!("must be between {min} and {max}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(text: &str) -> Vec<String> {
        parse_str(text)
            .err()
            .unwrap_or_default()
            .iter()
            .map(|d| format!("{}:{} {}", d.pos.line, d.pos.column, d.message))
            .collect()
    }

    const HEAD: &str = "plan: p\ntitle: t\nlevel: 2\noperation: application\nautomation: full\n";

    #[test]
    fn reports_every_unknown_key_with_a_suggestion() {
        let text = format!(
            "{HEAD}phases:\n  - id: capture\n    stepz: []\n  - id: verify\n    steps:\n      - id: a\n        run: x\n        timout: 5s\n"
        );
        let got = errors(&text);
        assert!(
            got.contains(&"8:5 unknown key `stepz`, did you mean `steps`?".to_string()),
            "{got:?}"
        );
        assert!(
            got.contains(&"13:9 unknown key `timout`, did you mean `timeout`?".to_string()),
            "{got:?}"
        );
        assert!(
            got.iter().any(|g| g.starts_with("7:5 missing key `steps`")),
            "{got:?}"
        );
    }

    #[test]
    fn positions_count_lines_and_columns_from_one() {
        assert_eq!(pos_after(""), Pos::new(1, 1));
        assert_eq!(pos_after("ab\ncd"), Pos::new(2, 3));
    }
}
