//! The CEL environment conditions run in: the standard library, with a `matches` of our
//! own. CEL's compiles its pattern on every call, which a condition over a list of 10,000
//! values would do 10,000 times; ours compiles each pattern once, when its condition
//! compiles (patterns are written in the condition), within a size that bounds its cost.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use cel::common::types::{CelBool, CelString};
use cel::{Env, ExecutionError};
use regex::{Regex, RegexBuilder};

/// How big a compiled pattern may be (a Unicode class such as `\w+` takes most of it).
pub const MAX_PATTERN_SIZE: usize = 128 * 1024;
/// Patterns kept compiled; beyond, the table starts again (plans hold a few).
const KEPT: usize = 512;

/// Shared, not cloned: a cloned `Regex` would start its search caches afresh on every call.
static PATTERNS: LazyLock<Mutex<HashMap<String, Arc<Regex>>>> = LazyLock::new(Default::default);

pub fn env() -> Env {
    let mut env = Env::stdlib();
    // Cannot clash: the cel crate is built without its own `matches`.
    let _ = cel::add_overload!(env, fn matches: (CelString, CelString) -> Result<CelBool>, id = "matches");
    let _ = cel::add_member_overload!(env, fn matches: (CelString, CelString) -> Result<CelBool>);
    env
}

/// Compiles a condition's pattern for the calls to come; why it cannot be, if not.
pub fn prepare(pattern: &str) -> Result<(), String> {
    compiled(pattern).map(|_| ())
}

fn compiled(pattern: &str) -> Result<Arc<Regex>, String> {
    let mut table = PATTERNS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = table.get(pattern) {
        return Ok(r.clone());
    }
    let regex = RegexBuilder::new(pattern)
        .size_limit(MAX_PATTERN_SIZE)
        .build()
        .map_err(|e| match e {
            regex::Error::CompiledTooBig(_) => format!(
                "the pattern `{pattern}` is too big: compiled, it would take more than {} KiB",
                MAX_PATTERN_SIZE / 1024
            ),
            other => format!(
                "`{pattern}` is not a valid pattern: {}",
                last_line(&other.to_string())
            ),
        })?;
    if table.len() >= KEPT {
        table.clear();
    }
    let regex = Arc::new(regex);
    table.insert(pattern.to_string(), regex.clone());
    Ok(regex)
}

fn last_line(text: &str) -> &str {
    text.lines().last().unwrap_or(text).trim()
}

fn matches(this: &CelString<'_>, pattern: &CelString<'_>) -> Result<CelBool, ExecutionError> {
    let regex = compiled(pattern.inner()).map_err(|message| ExecutionError::FunctionError {
        function: "matches".into(),
        message,
    })?;
    Ok(CelBool::from(regex.is_match(this.inner())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_compile_once_within_a_size() {
        assert!(prepare(r"^api-\w+$").is_ok());
        assert!(PATTERNS.lock().unwrap().contains_key(r"^api-\w+$"));
        let big = prepare(r"\w{1000}").unwrap_err();
        assert!(big.contains("too big"), "{big}");
        let bad = prepare("(unclosed").unwrap_err();
        assert!(bad.contains("not a valid pattern"), "{bad}");
    }
}
