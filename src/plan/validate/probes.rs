//! Warnings about how a trigger reads its probe's answer: a Prometheus condition that
//! judges only the first series, or waits for an empty answer that never reaches it (no
//! series is no data, an error sample); `status` beside `value: status`, where it does
//! nothing.

use std::sync::LazyLock;

use regex::Regex;

use super::rule;
use crate::plan::catalogue;
use crate::plan::diag::Diagnostic;
use crate::plan::model::Plan;
use crate::plan::trigger::{HttpValue, Trigger};

static FIRST_SERIES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"result\s*\[\s*0\s*\]").expect("a valid pattern"));
static EMPTY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"size\s*\(\s*result\s*\)\s*==\s*0(\.0)?\b").expect("a valid pattern")
});

pub(super) fn probes(plan: &Plan, out: &mut Vec<Diagnostic>) {
    for t in &plan.triggers {
        series(t, out);
        status(t, out);
    }
}

fn series(t: &Trigger, out: &mut Vec<Diagnostic>) {
    let entry = t.uses.as_ref().and_then(|u| catalogue::find(u));
    let kind = t
        .probes()
        .first()
        .map(|p| p.0)
        .or(entry.map(|e| e.probe_kind()));
    let Some(c) = t.condition.as_ref().filter(|_| kind == Some("prometheus")) else {
        return;
    };
    let name = &t.name.value;
    if FIRST_SERIES.is_match(&c.value) {
        out.push(Diagnostic::warning(
            c.pos,
            rule::TRIGGERS,
            format!(
                "the condition of `{name}` reads `result[0]`, the first series only: another series that is bad would pass; judge every series with `result.exists(s, s.value > threshold)`"
            ),
        ));
    }
    if EMPTY.is_match(&c.value) {
        out.push(Diagnostic::warning(
            c.pos,
            rule::TRIGGERS,
            format!(
                "`size(result) == 0` never holds for `{name}`: a query that matches no series is no data, an error sample that leaves the trigger blind, and never reaches the condition"
            ),
        ));
    }
}

fn status(t: &Trigger, out: &mut Vec<Diagnostic>) {
    let Some(h) = &t.http else { return };
    if let (Some(s), Some(v)) = (&h.value.status, &h.value.value)
        && v.value == HttpValue::Status
    {
        out.push(Diagnostic::warning(
            s.pos,
            rule::TRIGGERS,
            format!(
                "`status` does nothing in `{}` with `value: status`: every status is the result, and the condition judges it",
                t.name.value
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::plan::load::load_bytes;
    use crate::plan::validate::validate;

    fn warnings(triggers: &str) -> Vec<String> {
        let base = include_str!("../../../tests/plans/base.yaml");
        let head = base.split("triggers:").next().unwrap();
        let text = format!("{head}triggers:\n{triggers}");
        let loaded = load_bytes("t.yaml", text.into_bytes()).unwrap_or_else(|e| panic!("{e}"));
        validate(&loaded.plan)
            .into_iter()
            .filter(|d| d.severity == crate::plan::Severity::Warning)
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn a_prometheus_condition_that_reads_one_series_or_waits_for_none_is_warned() {
        let prom = "    prometheus: {url: 'http://p:9090', query: up}\n";
        let w = warnings(&format!(
            "  - name: up\n{prom}    condition: size(result) > 0 && result [0].value < 1.0\n"
        ));
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("reads `result[0]`, the first series only"),
            "{w:?}"
        );
        let w = warnings(&format!(
            "  - name: up\n{prom}    condition: size(result) == 0\n"
        ));
        assert!(
            w[0].contains("`size(result) == 0` never holds for `up`"),
            "{w:?}"
        );
        let clean = format!("  - name: up\n{prom}    condition: result.exists(s, s.value < 1.0)\n");
        assert_eq!(warnings(&clean), Vec::<String>::new());
        // Other probes' results are not series.
        let command = "  - name: c\n    command: echo '[1]'\n    condition: result[0] > 1.0\n";
        assert_eq!(warnings(command), Vec::<String>::new());
    }

    #[test]
    fn status_beside_value_status_is_warned() {
        let w = warnings(
            "  - name: h\n    http: {url: 'http://x/h', value: status, status: 200}\n    condition: result != 200.0\n",
        );
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("`status` does nothing in `h`"), "{w:?}");
    }
}
