//! Variable values for a run: given on the command line, read from a file, typed on the
//! start screen, or defaulted. Values reach commands as environment variables only.

use regex::Regex;

use super::diag::did_you_mean;
use super::loc::Entries;
use super::model::{Plan, Var};

/// Variable values in the plan's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values(pub Vec<(String, String)>);

impl Values {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn set(&mut self, name: &str, value: String) {
        match self.0.iter_mut().find(|(k, _)| k == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_string(), value)),
        }
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Parses `name=value` as given to `--var`.
pub fn parse_assignment(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("`{text}` is not name=value")),
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

/// Merges given values over defaults. Errors list every problem: unknown names, values
/// that fail their pattern, required variables without a value.
pub fn resolve(plan: &Plan, given: &[(String, String)]) -> Result<Values, Vec<String>> {
    let mut problems = Vec::new();
    for (name, _) in given {
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
            .iter()
            .rev()
            .find(|(k, _)| *k == name.value)
            .map(|(_, v)| v.clone())
            .or_else(|| var.default.as_ref().map(|d| d.value.clone()));
        match value {
            Some(v) => {
                if let Err(e) = check(name, var, &v) {
                    problems.push(e);
                }
                values.set(name, v);
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

/// The values of secret variables, to be redacted wherever text is shown.
pub fn secrets(plan: &Plan, values: &Values) -> Vec<String> {
    plan.vars
        .iter()
        .filter(|(_, v)| v.secret)
        .filter_map(|(name, _)| values.get(name))
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

pub const REDACTED: &str = "••••••";

/// `text` with every secret value replaced.
pub fn redact<'a>(text: &'a str, secrets: &[String]) -> std::borrow::Cow<'a, str> {
    if secrets.iter().all(|s| !text.contains(s.as_str())) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = text.to_string();
    for s in secrets {
        out = out.replace(s.as_str(), REDACTED);
    }
    std::borrow::Cow::Owned(out)
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
    fn secrets_are_redacted() {
        let p = plan();
        let v = resolve(
            &p,
            &[
                ("rev".into(), "1".into()),
                ("token".into(), "s3cr3t".into()),
            ],
        )
        .unwrap();
        let s = secrets(&p, &v);
        assert_eq!(redact("auth s3cr3t ok", &s), format!("auth {REDACTED} ok"));
    }

    #[test]
    fn var_files_read_scalars_as_text() {
        let v = parse_var_file("revision: 1.10\nnamespace: checkout\nflag: true\n").unwrap();
        assert_eq!(v[0], ("revision".into(), "1.10".into()));
        assert_eq!(v[2], ("flag".into(), "true".into()));
        assert!(parse_var_file("- a\n").is_err());
    }
}
