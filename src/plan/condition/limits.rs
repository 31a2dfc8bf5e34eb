//! How big a condition may be, checked before anything recursive runs: first the text
//! alone (its length, how deep brackets and `?:` nest, how many operators it has), then
//! the parser under its own depth limit, then one walk over the tree it built, without
//! recursion (its parts, its depth, a macro inside another macro's body). Within these,
//! parsing, estimating and evaluating a condition recurse no deeper than a few dozen levels.

use cel::common::ast::{EntryExpr, Expr};
use cel::parser::Expression;

/// The longest condition, in bytes.
pub const MAX_BYTES: usize = 2048;
/// How deep brackets nest, each `?` of a `?:` counting as one more level until its group
/// closes (the parser nests a `?:` chain as brackets).
pub const MAX_NESTING: usize = 16;
/// The parts of a condition: names, values, operators, calls (macros as they expand).
pub const MAX_PARTS: usize = 256;
/// How deep parts nest in the expanded tree (`a + b + c` is three levels).
pub const MAX_DEPTH: usize = 32;

/// Why a condition is refused, at a character of its text.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub at: Place,
    pub message: String,
}

/// Where a refusal points: a character offset, or a node of the parsed tree.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Place {
    Char(usize),
    Node(u64),
}

fn refuse<T>(at: Place, message: String) -> Result<T, Refusal> {
    Err(Refusal { at, message })
}

/// The text alone: length, nesting and operators, in one pass without recursion.
pub fn lexical(text: &str) -> Result<(), Refusal> {
    if text.len() > MAX_BYTES {
        let mut end = MAX_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        return refuse(
            Place::Char(text[..end].chars().count()),
            format!(
                "it is {} bytes long; a condition may be at most {MAX_BYTES} bytes",
                text.len()
            ),
        );
    }
    let chars: Vec<char> = text.chars().collect();
    // `?` seen in each open group; the first group is the whole text.
    let mut groups: Vec<usize> = vec![0];
    let (mut nesting, mut operators, mut i) = (0usize, 0usize, 0usize);
    while i < chars.len() {
        let (at, c) = (i, chars[i]);
        let next = chars.get(i + 1).copied();
        match c {
            '\'' | '"' => {
                i = after_string(&chars, i);
                continue;
            }
            '/' if next == Some('/') => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            '(' | '[' | '{' => {
                groups.push(0);
                nesting += 1;
                operators += 1;
            }
            ')' | ']' | '}' if groups.len() > 1 => {
                nesting -= 1 + groups.pop().unwrap_or(0);
            }
            '?' => {
                if let Some(last) = groups.last_mut() {
                    *last += 1;
                }
                nesting += 1;
                operators += 1;
            }
            '+' | '-' | '*' | '/' | '%' | '<' | '>' | '!' | '=' | '&' | '|' => {
                operators += 1;
                if matches!(
                    (c, next),
                    ('=' | '!' | '<' | '>', Some('=')) | ('&', Some('&')) | ('|', Some('|'))
                ) {
                    i += 1;
                }
            }
            '.' => {
                let digit = |k: Option<&char>| k.is_some_and(char::is_ascii_digit);
                if !(i > 0 && digit(chars.get(i - 1)) && digit(chars.get(i + 1))) {
                    operators += 1;
                }
            }
            c if c.is_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                if chars[start..i] == ['i', 'n'] {
                    operators += 1;
                }
                continue;
            }
            _ => {}
        }
        if nesting > MAX_NESTING {
            return refuse(
                Place::Char(at),
                format!("brackets and `?:` nest deeper than {MAX_NESTING} levels here"),
            );
        }
        if operators > MAX_PARTS {
            return refuse(
                Place::Char(at),
                format!("it has more than {MAX_PARTS} parts (names, values, operators)"),
            );
        }
        i += 1;
    }
    Ok(())
}

/// The index just after the string literal that starts at `i` (the end of the text if it
/// never closes: the parser says so). Quotes inside it count for nothing.
fn after_string(chars: &[char], i: usize) -> usize {
    let q = chars[i];
    let raw = i > 0 && matches!(chars[i - 1], 'r' | 'R');
    let triple = chars.get(i + 1) == Some(&q) && chars.get(i + 2) == Some(&q);
    let mut k = if triple { i + 3 } else { i + 1 };
    while k < chars.len() {
        let c = chars[k];
        if c == '\\' && !raw {
            k += 2;
            continue;
        }
        if c == q && (!triple || (chars.get(k + 1) == Some(&q) && chars.get(k + 2) == Some(&q))) {
            return k + if triple { 3 } else { 1 };
        }
        k += 1;
    }
    chars.len()
}

/// The parsed tree, walked with a stack of its own: parts, depth, and no macro in the body
/// of another (its work would multiply by the size of the result for every element).
pub fn tree(root: &Expression) -> Result<(), Refusal> {
    // (node, its depth, inside a macro's body)
    let mut stack: Vec<(&Expression, usize, bool)> = vec![(root, 1, false)];
    let mut parts = 0usize;
    while let Some((node, depth, in_body)) = stack.pop() {
        parts += 1;
        let here = Place::Node(node.id);
        if parts > MAX_PARTS {
            return refuse(
                Place::Char(0),
                format!("it has more than {MAX_PARTS} parts (names, values, operators)"),
            );
        }
        if depth > MAX_DEPTH {
            return refuse(
                here,
                format!("operations nest deeper than {MAX_DEPTH} levels here"),
            );
        }
        match &node.expr {
            Expr::Comprehension(c) => {
                if in_body {
                    return refuse(
                        here,
                        "a macro (all, exists, exists_one, map, filter) inside the body of another: its work would multiply; apply them one after the other instead".into(),
                    );
                }
                stack.push((&c.iter_range, depth + 1, in_body));
                stack.push((&c.accu_init, depth + 1, in_body));
                for body in [&c.loop_cond, &c.loop_step, &c.result] {
                    stack.push((body, depth + 1, true));
                }
            }
            Expr::Call(call) => {
                for arg in call.target.iter().map(|t| &**t).chain(call.args.iter()) {
                    stack.push((arg, depth + 1, in_body));
                }
            }
            Expr::Select(s) => stack.push((&s.operand, depth + 1, in_body)),
            Expr::List(l) => {
                for e in &l.elements {
                    stack.push((e, depth + 1, in_body));
                }
            }
            Expr::Map(m) => push_entries(&mut stack, &m.entries, depth, in_body),
            Expr::Struct(s) => push_entries(&mut stack, &s.entries, depth, in_body),
            Expr::Ident(_) | Expr::Literal(_) | Expr::Unspecified => {}
        }
    }
    Ok(())
}

fn push_entries<'a>(
    stack: &mut Vec<(&'a Expression, usize, bool)>,
    entries: &'a [cel::common::ast::IdedEntryExpr],
    depth: usize,
    in_body: bool,
) {
    for entry in entries {
        match &entry.expr {
            EntryExpr::MapEntry(m) => {
                stack.push((&m.key, depth + 1, in_body));
                stack.push((&m.value, depth + 1, in_body));
            }
            EntryExpr::StructField(f) => stack.push((&f.value, depth + 1, in_body)),
        }
    }
}

#[cfg(test)]
#[path = "limits_tests.rs"]
mod tests;
