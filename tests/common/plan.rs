//! Plans written by tests: the same header and the usual first and last phases, so a test
//! names only the steps it is about.

/// `capture`, saving nothing in particular.
pub const CAPTURE: &str =
    "  - id: capture\n    steps:\n      - id: save\n        run: echo saved\n";
/// `verify`, always healthy.
pub const VERIFY: &str = "  - id: verify\n    steps:\n      - id: ok\n        check: \"true\"\n";

/// A level 2, fully automated application plan with these phases.
pub fn plan(id: &str, title: &str, phases: &[&str]) -> String {
    format!(
        "plan: {id}\ntitle: {title}\nlevel: 2\noperation: application\nautomation: full\nphases:\n{}",
        phases.concat()
    )
}

/// A phase whose steps are written as at the top level of a list (`- id: ...`).
pub fn phase(id: &str, steps: &str) -> String {
    let mut out = format!("  - id: {id}\n    steps:\n");
    for line in steps.lines() {
        out.push_str("      ");
        out.push_str(line);
        out.push('\n');
    }
    out
}
