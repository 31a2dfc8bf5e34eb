//! The layers hold: the pure core imports nothing from the edge or the faces, the edge
//! nothing from the faces, and no top-level modules import each other in a circle. Read
//! from the source itself (test code aside), so a new import that breaks this fails here,
//! naming the file. ARCHITECTURE.md names every module listed below.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module and its layer: 0 core, 1 edge, 2 face.
const LAYERS: &[(&str, u8)] = &[
    ("text", 0),
    ("mask", 0),
    ("plan", 0),
    ("monitor", 0),
    ("engine", 0),
    ("exit", 0),
    ("report", 0),
    ("records", 0),
    ("timeline", 1),
    ("runner", 1),
    ("probe", 1),
    ("session", 1),
    ("watch", 1),
    ("store", 1),
    ("headless", 2),
    ("tui", 2),
    ("commands", 2),
    ("cli", 2),
];

const LAYER_NAMES: [&str; 3] = ["core", "edge", "face"];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Test code may reach anywhere: files that only hold tests, and a file's `#[cfg(test)]`
/// module at its end.
fn non_test_code(path: &Path, text: &str) -> Option<String> {
    let name = path.file_stem()?.to_str()?;
    if name == "tests" || name == "testkit" || name.ends_with("_tests") {
        return None;
    }
    if path.components().any(|c| c.as_os_str() == "tests") {
        return None;
    }
    let mut kept = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let next = lines.peek().map(|l| l.trim_start()).unwrap_or_default();
        if line.trim() == "#[cfg(test)]" && next.starts_with("mod ") && next.ends_with('{') {
            break;
        }
        let code = line.split("//").next().unwrap_or_default();
        kept.push_str(code);
        kept.push('\n');
    }
    Some(kept)
}

fn word_at(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The top-level modules named after `crate::`, in paths and in `use crate::{a, b::c}`.
fn imported(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if c.is_whitespace() => {}
                    _ if start => {
                        found.insert(word_at(&group[j..]).to_string());
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(word_at(rest).to_string());
        }
    }
    found
}

/// `(from, to) -> files` over every import between two top-level modules.
fn imports() -> BTreeMap<(String, String), BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut edges: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for path in files {
        let rel = path.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap();
        let top = first.trim_end_matches(".rs");
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let Some(code) = non_test_code(rel, &text) else {
            continue;
        };
        for to in imported(&code) {
            if to != top && layer(&to).is_some() {
                edges
                    .entry((top.to_string(), to))
                    .or_default()
                    .insert(rel.display().to_string());
            }
        }
    }
    edges
}

#[test]
fn every_top_level_module_has_a_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let architecture =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ARCHITECTURE.md"))
            .unwrap();
    for entry in std::fs::read_dir(&src).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let module = name.trim_end_matches(".rs");
        if module == "lib" || module == "main" {
            continue;
        }
        assert!(
            layer(module).is_some(),
            "src/{name} is in no layer: add it to LAYERS here and to ARCHITECTURE.md"
        );
        assert!(
            architecture.contains(&format!("`{module}`")),
            "ARCHITECTURE.md does not name `{module}`"
        );
    }
}

#[test]
fn no_layer_imports_a_layer_above_it() {
    let mut wrong = Vec::new();
    for ((from, to), files) in imports() {
        let (a, b) = (layer(&from).unwrap(), layer(&to).unwrap());
        if b > a {
            wrong.push(format!(
                "{from} ({}) imports {to} ({}) in {files:?}",
                LAYER_NAMES[a as usize], LAYER_NAMES[b as usize]
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_top_level_modules_import_each_other_in_a_circle() {
    let edges = imports();
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (from, to) in edges.keys() {
        next.entry(from).or_default().push(to);
    }
    // Depth-first from every module; a module met again on the path closes a circle.
    fn walk<'a>(
        at: &'a str,
        next: &BTreeMap<&'a str, Vec<&'a str>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) -> Option<Vec<&'a str>> {
        if let Some(i) = path.iter().position(|m| *m == at) {
            let mut circle = path[i..].to_vec();
            circle.push(at);
            return Some(circle);
        }
        if !done.insert(at) {
            return None;
        }
        path.push(at);
        for to in next.get(at).into_iter().flatten() {
            if let Some(c) = walk(to, next, path, done) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    for (module, _) in LAYERS {
        if let Some(circle) = walk(module, &next, &mut Vec::new(), &mut done) {
            let hops: Vec<String> = circle
                .windows(2)
                .map(|w| {
                    let files = &edges[&(w[0].to_string(), w[1].to_string())];
                    format!("{} -> {} ({files:?})", w[0], w[1])
                })
                .collect();
            panic!("an import circle:\n{}", hops.join("\n"));
        }
    }
}

#[test]
fn the_reader_sees_grouped_and_nested_imports() {
    let code = "use crate::{engine::{Event, Mode}, plan,\n report::Report};\nlet x = crate::text::path(p);";
    let found: Vec<String> = imported(code).into_iter().collect();
    assert_eq!(found, ["engine", "plan", "report", "text"]);
    let tested = "use crate::plan;\n#[cfg(test)]\nmod tests {\n    use crate::tui;\n}\n";
    let kept = non_test_code(Path::new("engine/state.rs"), tested).unwrap();
    assert_eq!(imported(&kept).into_iter().collect::<Vec<_>>(), ["plan"]);
    assert!(non_test_code(Path::new("report/testkit.rs"), tested).is_none());
}
