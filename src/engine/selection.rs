//! Which steps a run includes: all of them, or a scenario's subset (a partial rollback).
//! A scenario's `phases` choose phases (none listed: all), `regions` drop phases tagged with
//! other regions, and in a phase with steps listed in `steps` only those steps run.

use crate::plan::Plan;

/// One flag per step of the plan, in plan order. An unknown scenario selects nothing;
/// callers check the name first (see [`scenario_error`]).
pub fn selected_steps(plan: &Plan, scenario: Option<&str>) -> Vec<bool> {
    let all = plan.steps().count();
    let Some(name) = scenario else {
        return vec![true; all];
    };
    let Some(sc) = plan.scenarios.get(name) else {
        return vec![false; all];
    };
    let mut out = Vec::with_capacity(all);
    for phase in plan.phases.iter() {
        let region_ok = sc.regions.is_empty()
            || phase
                .region
                .as_ref()
                .is_none_or(|r| sc.regions.iter().any(|x| x.value == r.value));
        let phase_ok = sc.phases.is_empty() || sc.phases.iter().any(|p| p.value == phase.id.value);
        let prefix = format!("{}.", phase.id.value);
        let listed: Vec<&str> = sc
            .steps
            .iter()
            .filter_map(|s| s.value.strip_prefix(&prefix))
            .collect();
        for step in phase.steps.iter() {
            let step_ok = listed.is_empty() || listed.contains(&step.id.as_str());
            out.push(region_ok && phase_ok && step_ok);
        }
    }
    out
}

/// The regions a run covers: the scenario's, or all the plan's.
pub fn regions_in_run(plan: &Plan, scenario: Option<&str>) -> usize {
    scenario
        .and_then(|n| plan.scenarios.get(n))
        .filter(|s| !s.regions.is_empty())
        .map(|s| s.regions.len())
        .unwrap_or(plan.regions.len())
}

/// The regions a run rolls back, in the plan's order: those its scenario names (all declared
/// ones without a scenario or when it names none), less those whose every phase the scenario
/// leaves out. Commands get them space-separated in `ROLLBACK_REGIONS`, for `for r in ...`.
pub fn run_regions(plan: &Plan, scenario: Option<&str>) -> Vec<String> {
    let named = scenario
        .and_then(|n| plan.scenarios.get(n))
        .map(|s| &s.regions)
        .filter(|r| !r.is_empty())
        .unwrap_or(&plan.regions);
    let selected = selected_steps(plan, scenario);
    let mut flat = 0;
    let mut in_run: Vec<(&str, bool)> = Vec::new();
    for phase in plan.phases.iter() {
        let any = selected[flat..flat + phase.steps.len()].iter().any(|s| *s);
        flat += phase.steps.len();
        if let Some(r) = &phase.region {
            in_run.push((r.value.as_str(), any));
        }
    }
    named
        .iter()
        .map(|r| r.value.as_str())
        .filter(|r| {
            let phases: Vec<bool> = in_run.iter().filter(|(p, _)| p == r).map(|p| p.1).collect();
            phases.is_empty() || phases.iter().any(|x| *x)
        })
        .map(str::to_string)
        .collect()
}

/// Why `regions` (chosen with `--region`) cannot be rolled back, if they cannot: each must
/// be one of the plan's, named once, and among the scenario's regions when it names some.
pub fn regions_error(plan: &Plan, scenario: Option<&str>, regions: &[String]) -> Option<String> {
    let known: Vec<&str> = plan.regions.iter().map(|r| r.value.as_str()).collect();
    let in_scenario: Vec<&str> = scenario
        .and_then(|n| plan.scenarios.get(n))
        .map(|s| s.regions.iter().map(|r| r.value.as_str()).collect())
        .unwrap_or_default();
    for (i, r) in regions.iter().enumerate() {
        if regions[..i].contains(r) {
            return Some(format!("--region {r} is given twice"));
        }
        if known.contains(&r.as_str()) {
            if !in_scenario.is_empty() && !in_scenario.contains(&r.as_str()) {
                return Some(format!(
                    "scenario `{}` does not cover region `{r}` (it covers: {})",
                    scenario.unwrap_or_default(),
                    in_scenario.join(", ")
                ));
            }
            continue;
        }
        if known.is_empty() {
            return Some(format!(
                "the plan declares no regions, so there is no `{r}`"
            ));
        }
        let hint = crate::plan::diag::did_you_mean(r, known.iter().copied())
            .map(|k| format!(" Did you mean `{k}`?"))
            .unwrap_or_default();
        return Some(format!(
            "the plan has no region `{r}` (it has: {}).{hint}",
            known.join(", ")
        ));
    }
    None
}

/// Why `scenario` cannot be run, if it cannot.
pub fn scenario_error(plan: &Plan, scenario: &str) -> Option<String> {
    if plan.scenarios.get(scenario).is_some() {
        return None;
    }
    let known: Vec<&str> = plan.scenarios.keys().collect();
    Some(if known.is_empty() {
        format!("the plan has no scenarios, so there is no `{scenario}`")
    } else {
        let hint = crate::plan::diag::did_you_mean(scenario, known.iter().copied())
            .map(|k| format!(" Did you mean `{k}`?"))
            .unwrap_or_default();
        format!(
            "the plan has no scenario `{scenario}` (it has: {}).{hint}",
            known.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::load::parse_str;

    const PLAN: &str = "plan: p\ntitle: t\nlevel: 4\noperation: infrastructure\nautomation: semi\n\
        regions: [eu, us]\nscenarios:\n  app: {phases: [capture, verify]}\n  one: {steps: [capture.b]}\n  \
        eu: {regions: [eu]}\nphases:\n  - id: capture\n    steps:\n      - {id: a, run: x}\n      - {id: b, run: x}\n  \
        - id: execute-eu\n    kind: execute\n    region: eu\n    steps:\n      - {id: apply, run: x}\n  \
        - id: execute-us\n    kind: execute\n    region: us\n    steps:\n      - {id: apply, run: x}\n  \
        - id: verify\n    steps:\n      - {id: c, check: x}\n";

    #[test]
    fn scenarios_select_phases_steps_and_regions() {
        let plan = parse_str(PLAN).expect("test plan parses");
        assert_eq!(selected_steps(&plan, None), vec![true; 5]);
        assert_eq!(
            selected_steps(&plan, Some("app")),
            vec![true, true, false, false, true]
        );
        assert_eq!(
            selected_steps(&plan, Some("one")),
            vec![false, true, true, true, true]
        );
        assert_eq!(
            selected_steps(&plan, Some("eu")),
            vec![true, true, true, false, true]
        );
        assert_eq!(regions_in_run(&plan, Some("eu")), 1);
        assert_eq!(regions_in_run(&plan, None), 2);
        assert!(
            scenario_error(&plan, "ap")
                .unwrap()
                .contains("Did you mean `app`?")
        );
        let chosen = |r: &[&str]| r.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(regions_error(&plan, None, &chosen(&["us", "eu"])), None);
        assert_eq!(regions_error(&plan, Some("eu"), &chosen(&["eu"])), None);
        assert!(
            regions_error(&plan, Some("eu"), &chosen(&["us"]))
                .unwrap()
                .contains("scenario `eu` does not cover region `us`")
        );
        assert!(
            regions_error(&plan, None, &chosen(&["eu", "eu"]))
                .unwrap()
                .contains("given twice")
        );
    }
}
