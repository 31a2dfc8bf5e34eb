//! Variable values for a run: given on the command line, read from a file, taken from the
//! environment (`env: true`), typed on the start screen, or defaulted. Values reach commands
//! as environment variables only.

use regex::Regex;

use super::diag::did_you_mean;
use super::loc::Entries;
use super::model::{Plan, Var};
pub use super::var_source::{Given, Source, from_env, process_env};

/// Variable values in the plan's order, each with its source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values(pub Vec<(String, String)>, Vec<Source>);

impl Values {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// Sets a value; a new one counts as a default until `set_from` says otherwise.
    pub fn set(&mut self, name: &str, value: String) {
        match self.0.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => {
                self.0.push((name.to_string(), value));
                self.1.push(Source::Default);
            }
        }
    }
    pub fn set_from(&mut self, name: &str, value: String, source: Source) {
        self.set(name, value);
        if let Some(i) = self.0.iter().position(|(k, _)| k == name) {
            self.1[i] = source;
        }
    }
    pub fn source(&self, name: &str) -> Option<Source> {
        let i = self.0.iter().position(|(k, _)| k == name)?;
        self.1.get(i).copied()
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Parses `name=value` as given to `--var`. A text that is not one is never quoted back:
/// it may be a secret typed with the wrong separator.
pub fn parse_assignment(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!(
            "a --var of {} characters is not NAME=VALUE (not shown: it may hold a secret)",
            text.chars().count()
        )),
    }
}

/// Parses a `--var-file`: a flat YAML mapping of names to values, read as written
/// (`revision: 1.10` is "1.10", not a number).
pub fn parse_var_file(text: &str) -> Result<Vec<(String, String)>, String> {
    let tree = super::yaml::compose(text)
        .map_err(|d| format!("{}:{}: {}", d.pos.line, d.pos.column, d.message))?;
    let map: Entries<String> = super::de::from_node(&tree).map_err(|e| {
        let at = e.pos.unwrap_or(tree.pos);
        format!("{}:{}: {}", at.line, at.col, e.message)
    })?;
    Ok(map.0.into_iter().map(|(k, v)| (k.value, v)).collect())
}

/// Checks one value against its variable's pattern (anchored: the whole value must match).
pub fn check(name: &str, var: &Var, value: &str) -> Result<(), String> {
    if let Some(p) = &var.pattern {
        let re = Regex::new(&format!("^(?:{})$", p.value))
            .map_err(|_| format!("the pattern of `{name}` is not valid"))?;
        if !re.is_match(value) {
            return Err(format!("`{name}` must match {}", p.value));
        }
    }
    if var.required && value.is_empty() {
        return Err(format!("`{name}` is required"));
    }
    Ok(())
}

/// Merges given values over defaults, all given as `--var`; see `resolve_from`.
pub fn resolve(plan: &Plan, given: &[(String, String)]) -> Result<Values, Vec<String>> {
    resolve_from(plan, &Given::all(given, Source::Given), &process_env)
}

/// Merges values by priority: given (`--var` over `--var-file`), the environment for `env:
/// true` variables, then defaults. Errors list every problem: unknown names, values that fail
/// their pattern, required variables without a value.
pub fn resolve_from(
    plan: &Plan,
    given: &Given,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Values, Vec<String>> {
    let mut problems = Vec::new();
    for (name, _, _) in &given.0 {
        if plan.vars.get(name).is_none() {
            let hint = did_you_mean(name, plan.vars.keys())
                .map(|k| format!(", did you mean `{k}`?"))
                .unwrap_or_default();
            problems.push(format!("the plan has no variable `{name}`{hint}"));
        }
    }
    let mut values = Values::default();
    let mut missing = Vec::new();
    for (name, var) in plan.vars.iter() {
        let value = given
            .get(name)
            .map(|(v, s)| (v.to_string(), s))
            .or_else(|| from_env(name, var, env).map(|v| (v, Source::Environment)))
            .or_else(|| {
                var.default
                    .as_ref()
                    .map(|d| (d.value.clone(), Source::Default))
            });
        match value {
            Some((v, source)) => {
                if let Err(e) = check(name, var, &v) {
                    let e = match source {
                        Source::Environment => format!("{e} (value from the environment)"),
                        _ => e,
                    };
                    problems.push(e);
                }
                values.set_from(name, v, source);
            }
            None if var.required => missing.push(name.value.clone()),
            None => values.set(name, String::new()),
        }
    }
    if !missing.is_empty() {
        problems.push(format!(
            "missing required variable{}: {} (give --var name=value or --var-file)",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", ")
        ));
    }
    if problems.is_empty() {
        Ok(values)
    } else {
        Err(problems)
    }
}

/// Variables the operator still has to type in: required or prompted, without a value.
pub fn unanswered<'a>(plan: &'a Plan, given: &[(String, String)]) -> Vec<&'a str> {
    plan.vars
        .iter()
        .filter(|(name, var)| {
            let has = given.iter().any(|(k, _)| *k == name.value) || var.default.is_some();
            !has && (var.required || var.prompt.is_some())
        })
        .map(|(name, _)| name.value.as_str())
        .collect()
}

/// The mask of the run's secret values, in every form they may show up in text.
pub fn secrets(plan: &Plan, values: &Values) -> crate::mask::Mask {
    let values = plan
        .vars
        .iter()
        .filter(|(_, v)| v.secret)
        .filter_map(|(name, _)| values.get(name));
    crate::mask::Mask::of_values(values)
}

/// The mask of the plan's secret variables among `pairs` (name, value): what a watch, a
/// probe or a validation window knows of the run's values.
pub fn secret_mask(plan: &Plan, pairs: &[(String, String)]) -> crate::mask::Mask {
    let values = pairs
        .iter()
        .filter(|(k, _)| {
            plan.vars
                .iter()
                .any(|(name, v)| v.secret && name.value == *k)
        })
        .map(|(_, v)| v.as_str());
    crate::mask::Mask::of_values(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        super::super::load::parse_str(
            "plan: p\ntitle: t\nlevel: 2\noperation: database\nautomation: semi\nvars:\n  rev: {required: true, pattern: '[0-9]+'}\n  ns: {default: prod}\n  token: {secret: true}\nphases: []\n",
        )
        .expect("test plan parses")
    }

    #[test]
    fn resolves_defaults_and_lists_every_problem() {
        let p = plan();
        let ok = resolve(&p, &[("rev".into(), "41".into())]).unwrap();
        assert_eq!(ok.get("ns"), Some("prod"));
        assert_eq!(ok.get("rev"), Some("41"));
        let errs = resolve(&p, &[("revv".into(), "1".into())]).unwrap_err();
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].contains("did you mean `rev`"), "{errs:?}");
        assert!(
            errs[1].contains("missing required variable: rev"),
            "{errs:?}"
        );
        let errs = resolve(&p, &[("rev".into(), "41; rm".into())]).unwrap_err();
        assert_eq!(errs, vec!["`rev` must match [0-9]+".to_string()]);
    }

    #[test]
    fn env_values_come_after_given_ones_and_before_defaults() {
        let p = super::super::load::parse_str(
            "plan: p\ntitle: t\nlevel: 2\noperation: database\nautomation: semi\nvars:\n  A: {env: true, default: da}\n  B: {env: true, default: db}\n  C: {default: dc}\n  D: {env: true, default: dd}\n  E: {env: true, pattern: '[a-z]+'}\nphases: []\n",
        )
        .expect("test plan parses");
        let env = |k: &str| match k {
            "A" | "B" | "C" => Some(format!("env-{k}")),
            "D" => Some(String::new()),
            _ => None,
        };
        let given = Given(vec![
            ("B".into(), "file".into(), Source::VarFile),
            ("B".into(), "cli".into(), Source::Given),
        ]);
        let v = resolve_from(&p, &given, &env).unwrap();
        let got: Vec<(&str, &str, Source)> = v
            .iter()
            .map(|(k, val)| (k, val, v.source(k).unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                ("A", "env-A", Source::Environment),
                ("B", "cli", Source::Given),
                ("C", "dc", Source::Default),
                ("D", "dd", Source::Default),
                ("E", "", Source::Default),
            ]
        );
        let bad = |k: &str| (k == "E").then(|| "X1".to_string());
        let errs = resolve_from(&p, &Given::default(), &bad).unwrap_err();
        assert_eq!(
            errs,
            ["`E` must match [a-z]+ (value from the environment)".to_string()]
        );
    }

    #[test]
    fn secrets_are_masked() {
        let p = plan();
        let v = resolve(
            &p,
            &[
                ("rev".into(), "1".into()),
                ("token".into(), "s3cr3t".into()),
            ],
        )
        .unwrap();
        assert_eq!(secrets(&p, &v).text("auth s3cr3t ok"), "auth *** ok");
    }

    #[test]
    fn var_files_read_scalars_as_text() {
        let v = parse_var_file("revision: 1.10\nnamespace: checkout\nflag: true\n").unwrap();
        assert_eq!(v[0], ("revision".into(), "1.10".into()));
        assert_eq!(v[2], ("flag".into(), "true".into()));
        assert!(parse_var_file("- a\n").is_err());
    }
}
