//! Loading and validating generated plans of 1,000, 10,000 and 20,000 steps (goals: 1k under
//! 20 ms; linear in size, so 10k with every warning printed under 100 ms in a release build).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use rollback::commands::validate::{FileReport, write_text};
use rollback::exit::Exit;
use rollback::monitor::check_plan as validate;
use rollback::plan::load::parse_str;

/// A level 3 plan of `phases` phases with `per` command steps each; without `simulate`, every
/// step earns a drill warning.
pub fn generated_plan(phases: usize, per: usize, simulate: bool) -> String {
    let mut t = String::from(
        "plan: big\ntitle: Generated\nlevel: 3\noperation: application\nautomation: full\nphases:\n",
    );
    let kinds = ["capture", "prepare", "execute", "verify"];
    for p in 0..phases {
        let kind = kinds[p % kinds.len()];
        t.push_str(&format!("  - id: p{p}\n    kind: {kind}\n"));
        if kind == "execute" {
            t.push_str("    point_of_no_return: true\n");
        }
        t.push_str("    steps:\n");
        for s in 0..per {
            let verb = if kind == "verify" { "check" } else { "run" };
            t.push_str(&format!(
                "      - id: s{s}\n        {verb}: echo step {p}.{s}\n        timeout: 30s\n        retry: {{attempts: 2, delay: 1s}}\n"
            ));
            if simulate {
                t.push_str("        simulate: {duration: 1s, output: [ok]}\n");
            }
        }
    }
    t
}

/// One phase of `n` steps and a scenario naming every other one: the shape that made the
/// duplicate-id and reference checks quadratic.
pub fn one_phase_plan(n: usize) -> String {
    let mut t = String::from(
        "plan: big\ntitle: Generated\nlevel: 3\noperation: application\nautomation: full\nphases:\n  - id: capture\n    point_of_no_return: true\n    steps:\n",
    );
    for s in 0..n {
        t.push_str(&format!(
            "      - id: s{s}\n        run: echo step {s}\n        timeout: 30s\n        simulate: {{duration: 1s}}\n"
        ));
    }
    t.push_str("  - id: verify\n    steps:\n      - {id: ok, check: 'true', timeout: 5s, simulate: {duration: 1s}}\n");
    let refs: Vec<String> = (0..n).step_by(2).map(|s| format!("capture.s{s}")).collect();
    t.push_str(&format!(
        "scenarios:\n  half:\n    steps: [{}]\n",
        refs.join(", ")
    ));
    t
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("load+validate");
    g.sample_size(10);
    for steps in [1_000, 10_000, 20_000] {
        let text = generated_plan(40, steps / 40, true);
        g.bench_with_input(BenchmarkId::from_parameter(steps), &text, |b, text| {
            b.iter(|| {
                let plan = parse_str(text).expect("generated plan parses");
                let diags = validate(&plan);
                assert!(diags.is_empty(), "{diags:?}");
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("load+validate one phase and a scenario");
    g.sample_size(10);
    for steps in [10_000, 20_000] {
        let text = one_phase_plan(steps);
        g.bench_with_input(BenchmarkId::from_parameter(steps), &text, |b, text| {
            b.iter(|| {
                let plan = parse_str(text).expect("generated plan parses");
                let diags = validate(&plan);
                assert!(diags.is_empty(), "{diags:?}");
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("load+validate+print warnings");
    g.sample_size(10);
    for steps in [1_000, 10_000, 20_000] {
        let text = generated_plan(40, steps / 40, false);
        g.bench_with_input(BenchmarkId::from_parameter(steps), &text, |b, text| {
            b.iter(|| {
                let plan = parse_str(text).expect("generated plan parses");
                let report = FileReport {
                    path: "big.yaml".into(),
                    valid: true,
                    error: None,
                    diagnostics: validate(&plan),
                    source: text.clone(),
                    exit: Exit::Ok,
                };
                assert_eq!(report.diagnostics.len(), steps);
                let mut out = Vec::with_capacity(steps * 300);
                write_text(std::slice::from_ref(&report), false, &mut out).expect("in memory");
                out
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
