//! Shared by the validation window tests: a plan with post-rollback windows, and what
//! the run's validation segment records.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The base plan without its trigger, then `extra`.
pub fn plan(dir: &Path, extra: &str) -> PathBuf {
    let base = include_str!("../plans/base.yaml");
    let base = base.split("triggers:").next().unwrap();
    let path = dir.join("plan.yaml");
    std::fs::write(&path, format!("{base}{extra}")).unwrap();
    path
}

pub fn segment(run: &Path) -> Vec<Value> {
    std::fs::read_to_string(run.join("validation.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

pub fn of_type<'a>(records: &'a [Value], t: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["type"] == t).collect()
}

/// Each window's last verdict, in order.
pub fn windows(records: &[Value]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for r in of_type(records, "validation_window") {
        let w = r["window"].as_str().unwrap().to_string();
        let v = r["verdict"]["state"].as_str().unwrap().to_string();
        match out.iter_mut().find(|(x, _)| *x == w) {
            Some(e) => e.1 = v,
            None => out.push((w, v)),
        }
    }
    out
}

pub fn ended(records: &[Value]) -> Option<String> {
    of_type(records, "validation_ended")
        .last()
        .map(|r| r["verdict"].as_str().unwrap().to_string())
}

pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

pub const HEADLESS: [&str; 3] = ["--headless", "--approve-as", "ci"];
/// Headless, staying through the validation windows after the rollback.
pub const VALIDATING: [&str; 4] = ["--headless", "--approve-as", "ci", "--validate"];
