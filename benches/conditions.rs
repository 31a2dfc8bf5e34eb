//! Trigger conditions on the largest results a probe may give (10,000 values, 1 MiB of
//! text): compiling a condition at the length limit, typical conditions, and the most
//! expensive conditions the limits let through. Each case prints its estimated cost first.
//! Goal: every condition within the budget judged well under `evaluate::LIMIT` (1 s) in a
//! release build. Measured on a 2-core AMD EPYC VM: compiling 2 KiB 1.4 ms; the costliest
//! case (40 comparisons per number, 64 MiB estimated) 47 ms; the watch test's condition
//! 24 ms.

use criterion::{Criterion, criterion_group, criterion_main};
use rollback::plan::condition::Condition;
use rollback::plan::condition::{MAX_RESULT_BYTES, MAX_RESULT_NODES};
use serde_json::{Value as Json, json};

/// 9,999 numbers.
fn numbers() -> Json {
    Json::Array((0..MAX_RESULT_NODES - 1).map(|i| json!(i)).collect())
}

/// 9,999 texts holding 1 MiB together.
fn texts() -> Json {
    let each = MAX_RESULT_BYTES / (MAX_RESULT_NODES - 1);
    Json::Array(
        (0..MAX_RESULT_NODES - 1)
            .map(|i| json!(format!("{i:0each$}")))
            .collect(),
    )
}

/// A Prometheus vector of 2,499 series, 4 values each (the list counts one).
fn series() -> Json {
    Json::Array(
        (0..(MAX_RESULT_NODES - 1) / 4)
            .map(|i| json!({"labels": {"job": format!("api-{i:0300}")}, "value": i}))
            .collect(),
    )
}

/// One text of 1 MiB.
fn page() -> Json {
    json!("x".repeat(MAX_RESULT_BYTES))
}

fn cases() -> Vec<(&'static str, String, Json)> {
    let x5 = ["x"; 5].join(" + ");
    let list7 = ["x"; 7].join(", ");
    let cmp40 = (1..=40)
        .map(|i| format!("x != -{i}.0"))
        .collect::<Vec<_>>()
        .join(" && ");
    vec![
        ("number", "result > 0.05".into(), json!(0.01)),
        (
            "vector",
            "size(result) > 0 && result[0].value > threshold".into(),
            series(),
        ),
        (
            "exists over series",
            "result.exists(s, s.labels.job == 'api' && s.value > 1.0)".into(),
            series(),
        ),
        (
            "matches over texts",
            "result.exists(x, x.matches('^api-[0-9]+$'))".into(),
            texts(),
        ),
        (
            "contains on a page",
            "result.contains('needle')".into(),
            page(),
        ),
        // The most expensive the budget lets through, each in its own way.
        (
            "40 comparisons per number",
            format!("result.all(x, {cmp40})"),
            numbers(),
        ),
        (
            "a list of 7 per number",
            format!("result.map(x, [{list7}]).size() < 0"),
            numbers(),
        ),
        (
            "5 concatenations per text",
            format!("result.map(x, {x5}).size() < 0"),
            texts(),
        ),
        (
            "a page 8 times",
            format!("size({}) < 0", ["result"; 8].join(" + ")),
            page(),
        ),
        (
            "4 concatenations then a pattern per text",
            r"result.map(x, x + x + x + x).exists(y, y.matches('^\\w+\\s\\w+$'))".into(),
            texts(),
        ),
        (
            "4 maps in a row",
            "result.map(x, x).map(y, y).map(z, z).map(w, w).size() < 0".into(),
            texts(),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("conditions");
    g.sample_size(10);
    let longest = format!("result > 0.0{}", " || result > 1.0".repeat(120));
    g.bench_function("compile 2 KiB", |b| {
        b.iter(|| Condition::compile(&longest).map(|c| c.cost()))
    });
    for (name, text, result) in cases() {
        let condition = Condition::compile(&text).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        eprintln!(
            "{name}: estimated {:.1} MiB",
            condition.cost() / (1024.0 * 1024.0)
        );
        g.bench_function(name, |b| b.iter(|| condition.holds(&result, Some(0.5))));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
