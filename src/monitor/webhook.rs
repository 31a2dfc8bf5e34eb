//! Where an alertmanager trigger's webhook receiver listens and whom it lets in, resolved from
//! the plan. The token is named by a secret variable; its value arrives with the run's values
//! (`Spec::with_vars`) and never shows in a debug print.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use crate::plan::trigger::AlertmanagerProbe;

/// A webhook receiver's setting. Triggers on one port share one receiver, so they must agree.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    pub port: u16,
    /// 127.0.0.1 unless the plan says `bind:`.
    pub bind: IpAddr,
    pub token: Token,
    /// PEM certificate and key; relative paths are from the plan's directory until the watch
    /// resolves them.
    pub tls: Option<(PathBuf, PathBuf)>,
}

impl Webhook {
    /// From a trigger's `alertmanager:`; the error says what validation would.
    pub fn resolve(name: &str, a: Option<&AlertmanagerProbe>) -> Result<Webhook, String> {
        let port = a
            .and_then(|a| a.port.as_ref())
            .map(|p| p.value)
            .ok_or_else(|| format!("trigger `{name}` needs `alertmanager.port`"))?;
        let var = a
            .and_then(|a| a.token.as_ref())
            .map(|t| t.value.clone())
            .ok_or_else(|| format!("trigger `{name}` needs `alertmanager.token`"))?;
        let bind = match a.and_then(|a| a.bind.as_ref()) {
            Some(b) => b
                .value
                .parse()
                .map_err(|_| format!("`bind: {}` is not an IP address", b.value))?,
            None => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        let tls = match a.and_then(|a| a.tls.as_ref()) {
            Some(t) => {
                let file = |f: &Option<crate::plan::loc::Loc<String>>, what: &str| {
                    f.as_ref()
                        .map(|f| PathBuf::from(&f.value))
                        .ok_or_else(|| format!("trigger `{name}` needs `alertmanager.tls.{what}`"))
                };
                Some((file(&t.value.cert, "cert")?, file(&t.value.key, "key")?))
            }
            None => None,
        };
        Ok(Webhook {
            port,
            bind,
            token: Token { var, value: None },
            tls,
        })
    }
}

/// The bearer token: the variable holding it and, once the run's values are in, its value.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    pub var: String,
    value: Option<String>,
}

impl Token {
    pub fn new(var: &str, value: &str) -> Token {
        Token {
            var: var.to_string(),
            value: Some(value.to_string()),
        }
    }

    /// Takes the value of its variable from the run's values.
    pub fn fill(&mut self, vars: &[(String, String)]) {
        if let Some((_, v)) = vars.iter().find(|(k, _)| *k == self.var) {
            self.value = Some(v.clone());
        }
    }

    /// The token to expect, without the spaces around it (a header value never has them;
    /// Alertmanager trims a `credentials_file` too); `None` when there is none to expect.
    pub fn value(&self) -> Option<&str> {
        self.value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = self.value().map(|_| crate::mask::REDACTED);
        f.debug_struct("Token")
            .field("var", &self.var)
            .field("value", &value)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_filled_from_its_variable_and_never_printed() {
        let mut t = Token {
            var: "am_token".into(),
            value: None,
        };
        assert_eq!(t.value(), None);
        t.fill(&[("other".into(), "x".into())]);
        assert_eq!(t.value(), None);
        t.fill(&[("am_token".into(), " s3cret-value\n".into())]);
        assert_eq!(t.value(), Some("s3cret-value"));
        let shown = format!("{t:?}");
        assert!(!shown.contains("s3cret"), "{shown}");
        t.fill(&[("am_token".into(), "  ".into())]);
        assert_eq!(t.value(), None, "blank is no token");
    }
}
