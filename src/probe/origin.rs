//! Where an HTTP probe may be sent on: a redirect is followed only back to the origin
//! (scheme, host and port) of the URL it came from, so the plan's headers, its secrets
//! among them, never reach another server. And how a URL is shown in messages: without
//! its query or user info, where a secret may sit.

use fluent_uri::{Uri, UriRef};

/// `url` as messages show it: scheme, host, port and path; a query becomes `?...` and user
/// info is dropped. Works on any text, URL or not.
pub fn shown(url: &str) -> String {
    let cut = url.find(['?', '#']).unwrap_or(url.len());
    let (head, rest) = url.split_at(cut);
    let head = match head.split_once("://") {
        Some((scheme, after)) => {
            let authority = &after[..after.find('/').unwrap_or(after.len())];
            match authority.rfind('@') {
                Some(at) => format!("{scheme}://{}", &after[at + 1..]),
                None => head.to_string(),
            }
        }
        None => head.to_string(),
    };
    if rest.starts_with('?') {
        format!("{head}?...")
    } else {
        head
    }
}

/// The scheme, host and port of a URL, normalized (case, default port, IPv6 form).
#[derive(Debug, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: Option<u16>,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        match self.port {
            Some(p) => write!(f, ":{p}"),
            None => Ok(()),
        }
    }
}

fn origin(uri: &Uri<String>) -> Option<Origin> {
    let normal = uri.normalize();
    let authority = normal.authority()?;
    let scheme = normal.scheme();
    Some(Origin {
        scheme: scheme.as_str().to_string(),
        host: authority.host().to_string(),
        port: authority
            .port_to_u16()
            .ok()?
            .or_else(|| scheme.default_port()),
    })
}

/// The URL a redirect from `from` with `Location: location` leads to, if it stays on
/// `from`'s origin; otherwise why it is not followed, naming where it leads.
pub fn follow(from: &str, location: &str) -> Result<String, String> {
    let unusable = || {
        format!(
            "{} redirects to `{}`, which is not a URL it can follow",
            shown(from),
            shown(location)
        )
    };
    let base = Uri::parse(from).map_err(|_| unusable())?;
    let base = base.strip_fragment();
    let target = UriRef::parse(location.trim())
        .map_err(|_| unusable())?
        .resolve_against(&base)
        .map_err(|_| unusable())?;
    let (Some(here), Some(there)) = (origin(&base.to_owned()), origin(&target)) else {
        return Err(unusable());
    };
    if here != there {
        return Err(format!(
            "{} redirects to {}, another origin: not followed, so the probe's headers stay with {here} (write the URL it should ask in the plan)",
            shown(from),
            shown(target.as_str())
        ));
    }
    Ok(target.strip_fragment().as_str().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_show_no_query_and_no_user_info() {
        assert_eq!(
            shown("https://u:pw@h.example:8443/a/b?token=s3cret#x"),
            "https://h.example:8443/a/b?..."
        );
        assert_eq!(shown("http://h/health"), "http://h/health");
        assert_eq!(shown("http://h/p#frag"), "http://h/p");
        assert_eq!(shown("/relative?k=v"), "/relative?...");
        assert_eq!(shown("not a url"), "not a url");
    }

    #[test]
    fn same_origin_redirects_resolve_and_others_are_refused() {
        let from = "http://api.example:8080/v1/health?x=1";
        let ok = |loc: &str| follow(from, loc).unwrap();
        assert_eq!(ok("/v2/health"), "http://api.example:8080/v2/health");
        assert_eq!(ok("ready"), "http://api.example:8080/v1/ready");
        assert_eq!(ok("../up?y=2"), "http://api.example:8080/up?y=2");
        assert_eq!(
            ok("HTTP://API.example:8080/x"),
            "HTTP://API.example:8080/x",
            "scheme and host compare without case"
        );
        assert_eq!(
            follow("https://h/a", "https://h:443/b").unwrap(),
            "https://h:443/b",
            "the default port is the same port"
        );
        for (to, why) in [
            ("http://other.example:8080/v1/health", "another host"),
            ("https://api.example:8080/v1/health", "another scheme"),
            ("http://api.example:8081/v1/health", "another port"),
            ("//other.example:8080/x", "a network-path reference"),
            (
                "http://api.example:8080@evil.example/x",
                "user info hiding the host",
            ),
        ] {
            let e = follow(from, to).unwrap_err();
            assert!(e.contains("another origin: not followed"), "{why}: {e}");
        }
        let e = follow(from, "http://evil.example/cb?token=s3cret").unwrap_err();
        assert!(
            e.contains("http://evil.example/cb?...") && !e.contains("s3cret"),
            "{e}"
        );
        assert!(
            follow(from, "http://[::1")
                .unwrap_err()
                .contains("not a URL")
        );
    }
}
