//! A step whose `curl` can outlast the step's `timeout`: the tool kills curl before curl
//! reports its own error, and the operator sees "timed out" instead of why. Only what the
//! command text says for certain is counted (literal numbers), so the warning is never a guess.

use super::rule;
use crate::plan::diag::Diagnostic;
use crate::plan::model::Plan;

/// curl's limits as written in one invocation, in seconds.
#[derive(Debug, Default, PartialEq)]
struct Limits {
    max_time: Option<f64>,
    connect_timeout: Option<f64>,
    retries: u32,
    retry_delay: Option<f64>,
    retry_max_time: Option<f64>,
}

impl Limits {
    /// The longest curl can take, when the text bounds each attempt; `None` otherwise.
    fn worst_case(&self) -> Option<(f64, String)> {
        let (per, what) = match (self.max_time, self.connect_timeout) {
            (Some(m), _) => (m, format!("--max-time {}", secs(m))),
            (None, Some(c)) => (c, format!("at least --connect-timeout {}", secs(c))),
            (None, None) => return None,
        };
        let r = self.retries;
        // Without --retry-delay curl backs off 1 s, 2 s, 4 s ... up to 10 minutes.
        let waits: f64 = match self.retry_delay {
            Some(d) => d * f64::from(r),
            None => (0..r.min(64)).map(|i| 2f64.powi(i as i32).min(600.0)).sum(),
        };
        let mut total = f64::from(r + 1) * per + waits;
        if let (Some(t), true) = (self.retry_max_time, r > 0) {
            total = total.min(t + per);
        }
        let how = if r == 0 {
            what
        } else {
            let delay = match self.retry_delay {
                Some(d) => format!("{} wait(s) of {}", r, secs(d)),
                None => format!("{r} backoff wait(s)"),
            };
            format!("{} attempts of {what}, {delay}", r + 1)
        };
        Some((total, how))
    }
}

fn secs(s: f64) -> String {
    format!("{}s", (s * 1000.0).round() / 1000.0)
}

/// Each `curl` invocation of a shell command, with its limits. Backslash-newlines are
/// joined; commands are split at `|`, `;`, `&`, newlines and parentheses.
fn invocations(command: &str) -> Vec<Limits> {
    let joined = command.replace("\\\n", " ");
    let mut out = Vec::new();
    for segment in joined.split(['|', ';', '&', '\n', '(', ')', '`']) {
        let words: Vec<String> = segment
            .split_whitespace()
            .map(|w| w.trim_matches(['"', '\'']).to_string())
            .collect();
        let Some(at) = words
            .iter()
            .position(|w| w == "curl" || w.ends_with("/curl"))
        else {
            continue;
        };
        out.push(limits(&words[at + 1..]));
    }
    out
}

fn limits(args: &[String]) -> Limits {
    let mut l = Limits::default();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => match arg.strip_prefix("-m").filter(|_| !arg.starts_with("--")) {
                Some(v) if !v.is_empty() => ("-m", Some(v.to_string())),
                _ => (arg, None),
            },
        };
        let known = [
            "--max-time",
            "-m",
            "--connect-timeout",
            "--retry",
            "--retry-delay",
            "--retry-max-time",
        ];
        if !known.contains(&name) {
            i += 1;
            continue;
        }
        let value = inline.or_else(|| {
            i += 1;
            args.get(i).cloned()
        });
        i += 1;
        let Some(v) = value
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| *v >= 0.0)
        else {
            continue; // a variable or nonsense: nothing certain
        };
        match name {
            "--max-time" | "-m" => l.max_time = Some(v),
            "--connect-timeout" => l.connect_timeout = Some(v),
            "--retry" => l.retries = v as u32,
            "--retry-delay" => l.retry_delay = Some(v),
            _ => l.retry_max_time = Some(v),
        }
    }
    l
}

/// Warns where a step's `curl` can take as long as the step's `timeout`, or longer.
pub(super) fn curl_timeouts(plan: &Plan, out: &mut Vec<Diagnostic>) {
    for phase in plan.phases.iter() {
        for step in phase.steps.iter() {
            let Some(timeout) = &step.timeout else {
                continue;
            };
            let Some(command) = step.run.as_ref().or(step.check.as_ref()) else {
                continue;
            };
            let limit = timeout.0.as_secs_f64();
            let worst = invocations(&command.value)
                .iter()
                .filter_map(Limits::worst_case)
                .max_by(|a, b| a.0.total_cmp(&b.0));
            if let Some((total, how)) = worst.filter(|(t, _)| *t >= limit) {
                out.push(Diagnostic::warning(
                    timeout.pos,
                    rule::TIMEOUTS,
                    format!(
                        "`{}.{}`: curl can take {} ({how}), not less than the step's timeout {}: \
                         the step is killed before curl reports its error; give the step a \
                         longer timeout",
                        phase.id.value,
                        step.id.value,
                        secs(total),
                        secs(limit),
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worst(cmd: &str) -> Vec<Option<f64>> {
        invocations(cmd)
            .iter()
            .map(|l| l.worst_case().map(|w| w.0))
            .collect()
    }

    #[test]
    fn worst_cases_count_attempts_and_waits() {
        let cases: &[(&str, &[Option<f64>])] = &[
            (
                "curl -fsS --max-time 5 --retry 5 --retry-delay 3 --retry-all-errors \\\n  -w x https://h",
                &[Some(45.0)],
            ),
            ("curl -m5 https://h", &[Some(5.0)]),
            (
                "curl --max-time=2.5 --retry=1 --retry-delay=0 u",
                &[Some(5.0)],
            ),
            (
                "curl --connect-timeout 4 --retry 2 --retry-delay 1 u",
                &[Some(14.0)],
            ),
            ("curl --max-time 10 --retry 3 u", &[Some(47.0)]),
            ("curl -m 10 --retry 50 --retry-max-time 30 u", &[Some(40.0)]),
            ("curl --max-time \"$t\" u", &[None]),
            ("curl -fsS u", &[None]),
            (
                "printf x | curl -H @- -m 3 u | jq .; /usr/bin/curl -m 7 v",
                &[Some(3.0), Some(7.0)],
            ),
            ("echo curling; curlie -m 9 u", &[]),
        ];
        for (cmd, want) in cases {
            assert_eq!(worst(cmd), *want, "{cmd}");
        }
    }

    fn plan_with(timeout: &str) -> Vec<Diagnostic> {
        let text = format!(
            "plan: p\ntitle: t\nlevel: 2\noperation: application\nautomation: semi\nphases:\n  - id: verify\n    steps:\n      - id: health\n        check: curl -fsS --max-time 5 --retry 5 --retry-delay 3 https://h\n        timeout: {timeout}\n"
        );
        let plan = crate::plan::load::parse_str(&text).expect("test plan parses");
        let mut out = Vec::new();
        curl_timeouts(&plan, &mut out);
        out
    }

    #[test]
    fn a_timeout_at_or_under_curls_worst_case_is_warned_at_the_timeout() {
        let out = plan_with("45s");
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!((out[0].pos().line, out[0].pos().col), (11, 18));
        assert!(
            out[0].message.contains(
                "`verify.health`: curl can take 45s (6 attempts of --max-time 5s, 5 wait(s) of 3s)"
            ),
            "{}",
            out[0].message
        );
        assert!(plan_with("1m").is_empty());
    }
}
