//! Values a drill uses for variables nobody gave, so any plan can be drilled with no invented
//! values: the variable's `example`, else a placeholder marked DRILL. A drill never reads a
//! secret from the environment and never asks for one. Also how drill faults are written:
//! slowness factors and the steps they name.

use super::diag::did_you_mean;
use super::model::{Plan, Var};
use super::var_source::{Given, Source, from_env};
use super::vars::check;

/// The first DRILL-marked value that `var`'s pattern accepts, if one does.
pub fn placeholder(name: &str, var: &Var) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    [
        format!("DRILL-{name}"),
        format!("drill-{lower}"),
        format!("drill_{lower}"),
        format!("DRILL_{name}"),
        "DRILL".to_string(),
        "drill".to_string(),
        format!("https://drill.invalid/{lower}"),
        format!("drill-{lower}.sql"),
        format!("drill-{lower}.json"),
    ]
    .into_iter()
    .find(|v| check(name, var, v).is_ok())
}

/// What a drill needs for `var` when nothing was given: `None` when the usual sources do
/// (environment, default, or an optional variable left empty).
fn needs_drill_value(name: &str, var: &Var, env: &dyn Fn(&str) -> Option<String>) -> bool {
    // A secret from the environment would be a real one: a drill never takes it.
    let asks_secret = var.secret && (var.required || var.env || var.prompt.is_some());
    let unset = var.required && var.default.is_none() && from_env(name, var, env).is_none();
    asks_secret || unset
}

/// The drill's value of `var`, and its source; an error says how to give one.
pub fn drill_value(name: &str, var: &Var) -> Result<(String, Source), String> {
    if let Some(e) = &var.example {
        return Ok((e.value.clone(), Source::DrillExample));
    }
    placeholder(name, var)
        .map(|v| (v, Source::DrillPlaceholder))
        .ok_or_else(|| {
            let pattern = var.pattern.as_ref().map_or("", |p| p.value.as_str());
            format!(
                "drill: `{name}` must match {pattern} and has no `example:` in the plan: add one, or give --var {name}=VALUE"
            )
        })
}

/// `given` with a drill value added for every variable that would otherwise be asked for,
/// missing, or read from the environment as a secret. Errors list every variable that has none.
pub fn with_drill_values(
    plan: &Plan,
    given: &Given,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Given, Vec<String>> {
    let mut out = given.clone();
    let mut problems = Vec::new();
    for (name, var) in plan.vars.iter() {
        if given.get(name).is_some() || !needs_drill_value(name, var, env) {
            continue;
        }
        match drill_value(name, var) {
            Ok((value, source)) => out.0.push((name.value.clone(), value, source)),
            Err(e) => problems.push(e),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// A slowness factor as written: `3x`, `3`, `1.5x`; at least 1.
pub fn parse_factor(text: &str) -> Option<f64> {
    let t = text.trim();
    let n = t.strip_suffix(['x', 'X']).unwrap_or(t).trim();
    n.parse::<f64>().ok().filter(|f| f.is_finite() && *f >= 1.0)
}

/// Every step as `(phase.step, step id)`, in plan order.
pub fn step_keys(plan: &Plan) -> Vec<(String, String)> {
    plan.phases
        .iter()
        .flat_map(|p| {
            p.steps
                .iter()
                .map(|s| (format!("{}.{}", p.id.value, s.id.value), s.id.value.clone()))
        })
        .collect()
}

/// Why `step` names no single step of the plan, if it does not.
pub fn unknown_step(keys: &[(String, String)], step: &str) -> Option<String> {
    if keys.iter().any(|(k, _)| k == step) {
        return None;
    }
    let same_id: Vec<&str> = keys
        .iter()
        .filter(|(_, id)| id == step)
        .map(|(k, _)| k.as_str())
        .collect();
    match same_id.len() {
        1 => None,
        0 => {
            // Suggest in the form written: `phase.step`, or a bare step id.
            let dotted = step.contains('.');
            let names = keys.iter().map(|(k, id)| if dotted { k } else { id });
            let hint = did_you_mean(step, names.map(String::as_str))
                .map(|k| format!(", did you mean `{k}`?"))
                .unwrap_or_default();
            Some(format!("the plan has no step `{step}`{hint}"))
        }
        _ => Some(format!(
            "step id `{step}` is used in several phases ({}): write `phase.step`",
            same_id.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::vars::resolve_from;

    fn plan(vars: &str) -> Plan {
        crate::plan::load::parse_str(&format!(
            "plan: p\ntitle: t\nlevel: 2\noperation: database\nautomation: semi\nvars:\n{vars}phases: []\n"
        ))
        .expect("test plan parses")
    }

    #[test]
    fn a_drill_fills_what_nobody_gave_with_examples_then_marked_placeholders() {
        let p = plan(
            "  rev: {required: true, pattern: '[0-9]+', example: '41'}\n  name: {required: true}\n  ns: {required: true, default: prod}\n  opt: {prompt: Optional}\n  token: {secret: true, required: true, env: true}\n  given: {required: true}\n  lower: {required: true, pattern: '[a-z_-]+'}\n",
        );
        let env = |k: &str| (k == "token").then(|| "real-secret".to_string());
        let given = Given(vec![("given".into(), "x".into(), Source::Given)]);
        let g = with_drill_values(&p, &given, &env).unwrap();
        let values = resolve_from(&p, &g, &env).unwrap();
        let got: Vec<(&str, &str, Source)> = values
            .iter()
            .map(|(k, v)| (k, v, values.source(k).unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("rev", "41", Source::DrillExample),
                ("name", "DRILL-name", Source::DrillPlaceholder),
                ("ns", "prod", Source::Default),
                ("opt", "", Source::Default),
                ("token", "DRILL-token", Source::DrillPlaceholder),
                ("given", "x", Source::Given),
                ("lower", "drill-lower", Source::DrillPlaceholder),
            ]
        );
    }

    #[test]
    fn factors_read_as_written() {
        let got: Vec<Option<f64>> = ["3x", "3", " 1.5X ", "0.5x", "x", "fast"]
            .into_iter()
            .map(parse_factor)
            .collect();
        assert_eq!(got, [Some(3.0), Some(3.0), Some(1.5), None, None, None]);
    }

    #[test]
    fn a_pattern_no_placeholder_meets_asks_for_an_example() {
        let p = plan("  rev: {required: true, pattern: '[0-9]+'}\n");
        let errs = with_drill_values(&p, &Given::default(), &|_| None).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(errs[0].contains("`rev` must match [0-9]+"), "{errs:?}");
        assert!(errs[0].contains("example:"), "{errs:?}");
    }
}
