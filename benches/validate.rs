//! Loading and validating a generated 1,000-step plan (goal: under 20 ms).

use criterion::{Criterion, criterion_group, criterion_main};
use rollback::plan::load::parse_str;
use rollback::plan::validate::validate;

/// A level 3 plan of `phases` phases with `per` command steps each.
pub fn generated_plan(phases: usize, per: usize) -> String {
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
                "      - id: s{s}\n        {verb}: echo step {p}.{s}\n        timeout: 30s\n        retry: {{attempts: 2, delay: 1s}}\n        simulate: {{duration: 1s, output: [ok]}}\n"
            ));
        }
    }
    t
}

fn bench(c: &mut Criterion) {
    let text = generated_plan(40, 25);
    c.bench_function("load+validate 1000-step plan", |b| {
        b.iter(|| {
            let plan = parse_str(&text).expect("generated plan parses");
            let diags = validate(&plan);
            assert!(diags.is_empty(), "{diags:?}");
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
