//! An alertmanager trigger's webhook receiver: a port, a bearer token held by a declared
//! secret variable, an IP address to `bind`, both files of `tls`; and triggers sharing a port
//! agree on all of it, since one receiver serves a port.

use std::collections::HashMap;

use super::rule;
use crate::plan::diag::{Diagnostic, did_you_mean};
use crate::plan::loc::{Loc, Pos};
use crate::plan::model::Plan;
use crate::plan::trigger::{AlertmanagerProbe, Trigger};

/// Checks a trigger whose probe is `alertmanager` (its own or its catalogue entry's).
pub(super) fn receiver(plan: &Plan, t: &Trigger, error: &mut impl FnMut(Pos, String)) {
    let name = &t.name.value;
    let at = t.alertmanager.as_ref().map_or(t.name.pos, |a| a.pos);
    let a = t.alertmanager.as_ref().map(|a| &a.value);
    match a.and_then(|a| a.port.as_ref()) {
        None => error(
            at,
            format!(
                "trigger `{name}` needs `alertmanager.port`: the port Alertmanager sends its webhook to"
            ),
        ),
        Some(p) if p.value == 0 => error(
            p.pos,
            "port 0 would be a different port each time: Alertmanager must know the port".into(),
        ),
        Some(_) => {}
    }
    let bind = a.and_then(|a| a.bind.as_ref());
    match a.and_then(|a| a.token.as_ref()) {
        None => error(
            bind.map_or(at, |b| b.pos),
            format!(
                "trigger `{name}` needs `alertmanager.token`: the secret variable holding the bearer token Alertmanager sends{}; without it any process that reaches the port could start the rollback",
                if bind.is_some() {
                    " (and `bind:` opens the port beyond this machine)"
                } else {
                    ""
                }
            ),
        ),
        Some(tok) => match plan.vars.get(&tok.value) {
            None => {
                let hint = did_you_mean(&tok.value, plan.vars.keys())
                    .map(|k| format!("; did you mean `{k}`?"))
                    .unwrap_or_default();
                error(
                    tok.pos,
                    format!(
                        "`alertmanager.token` names `{}`, which the plan does not declare: add it under `vars:` with `secret: true`{hint}",
                        tok.value
                    ),
                );
            }
            Some(var) if !var.secret => error(
                tok.pos,
                format!(
                    "`{}` holds the webhook's bearer token: declare it with `secret: true`, so it is masked wherever shown",
                    tok.value
                ),
            ),
            Some(_) => {}
        },
    }
    if let Some(b) = bind
        && b.value.parse::<std::net::IpAddr>().is_err()
    {
        error(
            b.pos,
            format!(
                "`bind: {}` is not an IP address: write e.g. 0.0.0.0, 10.0.0.5 or ::",
                b.value
            ),
        );
    }
    if let Some(tls) = a.and_then(|a| a.tls.as_ref()) {
        for (file, what) in [(&tls.value.cert, "cert"), (&tls.value.key, "key")] {
            if file.is_none() {
                error(
                    tls.pos,
                    format!("`alertmanager.tls` needs `{what}`: a PEM file"),
                );
            }
        }
    }
}

/// Triggers on one port share its receiver: a second setting for the port is an error.
pub(super) fn shared_ports(plan: &Plan, out: &mut Vec<Diagnostic>) {
    let mut first: HashMap<u16, (&str, &AlertmanagerProbe)> = HashMap::new();
    for t in &plan.triggers {
        let Some(a) = &t.alertmanager else { continue };
        let Some(port) = &a.value.port else { continue };
        match first.get(&port.value) {
            None => {
                first.insert(port.value, (&t.name.value, &a.value));
            }
            Some((other, b)) if setting(b) != setting(&a.value) => {
                out.push(Diagnostic::error(
                    a.pos,
                    rule::TRIGGERS,
                    format!(
                        "triggers `{other}` and `{}` share port {} but not its `token`, `bind` and `tls`: one receiver serves a port, with one setting",
                        t.name.value, port.value
                    ),
                ));
            }
            Some(_) => {}
        }
    }
}

type Setting<'a> = [Option<&'a str>; 4];

fn setting(a: &AlertmanagerProbe) -> Setting<'_> {
    fn text(l: Option<&Loc<String>>) -> Option<&str> {
        l.map(|l| l.value.as_str())
    }
    let tls = a.tls.as_ref().map(|t| &t.value);
    [
        text(a.token.as_ref()),
        text(a.bind.as_ref()),
        text(tls.and_then(|t| t.cert.as_ref())),
        text(tls.and_then(|t| t.key.as_ref())),
    ]
}
