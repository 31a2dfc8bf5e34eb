//! Where the store is, and how to reach it: `--store URL`, else `ROLLBACK_STORE`, else
//! `store =` in `$XDG_CONFIG_HOME/rollback/config.toml`. The URL is libpq's `postgres://`
//! form; its password (or `PGPASSWORD`, or `~/.pgpass`) is never shown: every message names
//! the store by [`Store::shown`], and every error crosses the store's mask.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use crate::mask::Mask;
use crate::timeline::files;

/// Environment variable naming the store.
pub const ENV: &str = "ROLLBACK_STORE";
/// No config file is longer than this.
const MAX_CONFIG: u64 = 64 * 1024;
/// A store that does not answer within this is down, for every command.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How TLS is asked for (libpq's `sslmode`). rustls always verifies the server's chain and
/// name: `require` and `verify-ca` are held to `verify-full`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
}

/// A store to connect to.
#[derive(Clone)]
pub struct Store {
    pub(super) pg: tokio_postgres::Config,
    pub(super) ssl: SslMode,
    /// CA certificates the server's must chain to (`sslrootcert`); the public web's roots
    /// when none is given.
    pub(super) root_cert: Option<PathBuf>,
    mask: Mask,
    shown: String,
    /// As given (with its password): for the shipper process only, through a pipe.
    url: String,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.shown)
    }
}

impl Store {
    /// The URL as it may be shown: no password.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// `text` with the password masked: for every error that may quote what it was given.
    pub fn masked(&self, text: &str) -> String {
        self.mask.text(text).into_owned()
    }

    /// The store's secrets (its password), for a run's mask: a step that prints it is masked.
    pub fn mask(&self) -> &Mask {
        &self.mask
    }

    /// The URL as given, password and all: only ever written to the shipper's pipe.
    pub(super) fn url(&self) -> &str {
        &self.url
    }

    /// The database role it connects as.
    pub fn user(&self) -> &str {
        self.pg.get_user().unwrap_or("")
    }
}

/// Where the URL came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env,
    File,
}

/// The store configured: `flag`, else the environment, else the config file. `Ok(None)` when
/// none is; `Err` when one is given but cannot be used (the message holds no password).
pub fn configured(flag: Option<&str>) -> Result<Option<(Store, Source)>, String> {
    if let Some(url) = flag.filter(|u| !u.is_empty()) {
        return parse(url).map(|s| Some((s, Source::Flag)));
    }
    if let Ok(url) = std::env::var(ENV)
        && !url.is_empty()
    {
        return parse(&url)
            .map(|s| Some((s, Source::Env)))
            .map_err(|e| format!("{ENV}: {e}"));
    }
    let Some(path) = config_path() else {
        return Ok(None);
    };
    match from_file(&path)? {
        Some(url) => parse(&url)
            .map(|s| Some((s, Source::File)))
            .map_err(|e| format!("{}: store: {e}", path.display())),
        None => Ok(None),
    }
}

/// `$XDG_CONFIG_HOME/rollback/config.toml`, else `~/.config/rollback/config.toml`.
pub fn config_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".config")))?;
    Some(base.join("rollback").join("config.toml"))
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

#[derive(serde::Deserialize)]
struct ConfigFile {
    store: Option<String>,
}

/// `store =` from the config file; a missing file is none.
fn from_file(path: &Path) -> Result<Option<String>, String> {
    let bytes = match files::read_bounded(path, MAX_CONFIG) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let text = String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8", path.display()))?;
    let file: ConfigFile = toml::from_str(&text).map_err(|e| {
        // A parse error quotes the line, which may be the URL with its password.
        let line = e.span().map(|s| text[..s.start].lines().count().max(1));
        match line {
            Some(n) => format!("{}:{n}: not valid TOML", path.display()),
            None => format!("{}: not valid TOML", path.display()),
        }
    })?;
    Ok(file.store.filter(|s| !s.is_empty()))
}

/// Parses a `postgres://` URL. Every error is masked.
pub fn parse(url: &str) -> Result<Store, String> {
    let (mut pg, ssl, root_cert, password_in_url) = parse_parts(url)?;
    if pg.get_user().is_none() {
        let user = std::env::var("PGUSER")
            .ok()
            .or_else(|| std::env::var("USER").ok())
            .filter(|u| !u.is_empty())
            .ok_or("the URL names no user, and neither PGUSER nor USER is set")?;
        pg.user(&user);
    }
    if pg.get_password().is_none() {
        if let Ok(p) = std::env::var("PGPASSWORD")
            && !p.is_empty()
        {
            pg.password(p);
        } else if let Some(p) = from_pgpass(&pg) {
            pg.password(p);
        }
    }
    if pg.get_connect_timeout().is_none() {
        pg.connect_timeout(CONNECT_TIMEOUT);
    }
    pg.application_name("rollback");
    let mut secrets: Vec<String> = Vec::new();
    if let Some(p) = pg.get_password() {
        secrets.push(String::from_utf8_lossy(p).into_owned());
    }
    secrets.extend(password_in_url);
    let mask = Mask::of_values(secrets.iter().map(String::as_str));
    let shown = show(&pg, ssl);
    Ok(Store {
        pg,
        ssl,
        root_cert,
        mask,
        shown,
        url: url.to_string(),
    })
}

type Parts = (
    tokio_postgres::Config,
    SslMode,
    Option<PathBuf>,
    Option<String>,
);

fn parse_parts(url: &str) -> Result<Parts, String> {
    let rest = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .ok_or("not a postgres:// URL")?;
    // The password as written in the URL (percent-encoded or not), to mask in any error.
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let written = authority
        .rsplit_once('@')
        .and_then(|(user, _)| user.split_once(':'))
        .map(|(_, p)| p.to_string());
    let mut secrets: Vec<String> = Vec::new();
    if let Some(p) = &written {
        secrets.push(p.clone());
        if let Ok(d) = percent_encoding::percent_decode_str(p).decode_utf8() {
            secrets.push(d.into_owned());
        }
    }
    let mask = Mask::of_values(secrets.iter().map(String::as_str));
    let masked = |e: String| mask.text(&e).into_owned();
    // `sslmode` and `sslrootcert` are ours to read: the driver knows fewer modes and no
    // root certificate.
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let mut ssl = None;
    let mut root_cert = None;
    let mut kept: Vec<&str> = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = percent_encoding::percent_decode_str(v)
            .decode_utf8()
            .map_err(|_| format!("`{k}` is not UTF-8"))?;
        match k {
            "sslmode" => {
                ssl = Some(match v.as_ref() {
                    "disable" => SslMode::Disable,
                    "allow" | "prefer" => SslMode::Prefer,
                    "require" | "verify-ca" | "verify-full" => SslMode::Require,
                    other => {
                        return Err(masked(format!(
                            "sslmode `{other}`: use disable, prefer, require, verify-ca or verify-full"
                        )));
                    }
                })
            }
            "sslrootcert" => root_cert = Some(PathBuf::from(v.as_ref())),
            _ => kept.push(pair),
        }
    }
    let driver_url = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    let pg = tokio_postgres::Config::from_str(&driver_url)
        .map_err(|e| masked(format!("not a usable postgres:// URL: {e}")))?;
    if pg.get_hosts().is_empty() {
        return Err("the URL names no host".into());
    }
    // Unless told otherwise, TLS is required of any host but this machine: a password must
    // not be offered to whoever can downgrade the connection on the way.
    let ssl = ssl.unwrap_or_else(|| {
        let local = pg.get_hosts().iter().all(|h| match h {
            tokio_postgres::config::Host::Tcp(h) => {
                matches!(h.as_str(), "localhost" | "127.0.0.1" | "::1")
            }
            tokio_postgres::config::Host::Unix(_) => true,
        });
        if local {
            SslMode::Prefer
        } else {
            SslMode::Require
        }
    });
    if root_cert.is_none()
        && let Some(h) = home()
    {
        // libpq's default place for the CA a server's certificate chains to.
        let default = h.join(".postgresql").join("root.crt");
        if default.exists() {
            root_cert = Some(default);
        }
    }
    Ok((pg, ssl, root_cert, written))
}

/// `postgres://user@host:port/db?sslmode=...`: never the password.
fn show(pg: &tokio_postgres::Config, ssl: SslMode) -> String {
    let host = match pg.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        Some(tokio_postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => String::new(),
    };
    let port = pg.get_ports().first().copied().unwrap_or(5432);
    let db = pg.get_dbname().unwrap_or(pg.get_user().unwrap_or(""));
    let mode = match ssl {
        SslMode::Disable => "disable",
        SslMode::Prefer => "prefer",
        SslMode::Require => "verify-full",
    };
    format!(
        "postgres://{}@{host}:{port}/{db}?sslmode={mode}",
        pg.get_user().unwrap_or("")
    )
}

/// The password `~/.pgpass` (or `$PGPASSFILE`) holds for this host, port, database and user.
/// libpq ignores a file others can read; so does this.
fn from_pgpass(pg: &tokio_postgres::Config) -> Option<String> {
    let path = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| home().map(|h| h.join(".pgpass")))?;
    let file = files::open_regular(&path).ok()?;
    use std::os::unix::fs::MetadataExt;
    if file.metadata().ok()?.mode() & 0o077 != 0 {
        return None;
    }
    let bytes = files::read_bounded(&path, MAX_CONFIG).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let host = match pg.get_hosts().first()? {
        tokio_postgres::config::Host::Tcp(h) => h.clone(),
        tokio_postgres::config::Host::Unix(_) => "localhost".into(),
    };
    let port = pg.get_ports().first().copied().unwrap_or(5432).to_string();
    let user = pg.get_user()?;
    let db = pg.get_dbname().unwrap_or(user);
    let want = [host.as_str(), port.as_str(), db, user];
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let fields = pgpass_fields(line);
            if fields.len() != 5 {
                return None;
            }
            let matches = fields[..4]
                .iter()
                .zip(want)
                .all(|(f, w)| f == "*" || f == w);
            matches.then(|| fields[4].clone())
        })
}

/// One `.pgpass` line's fields: `:` separates, `\` escapes.
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    fields.last_mut().expect("one field").push(n);
                }
            }
            ':' => fields.push(String::new()),
            c => fields.last_mut().expect("one field").push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_in_no_message() {
        let s = parse("postgres://alice:s3cr%40tpw@db.example:6543/ops?sslmode=require").unwrap();
        assert_eq!(
            s.shown(),
            "postgres://alice@db.example:6543/ops?sslmode=verify-full"
        );
        assert_eq!(s.masked("auth failed for s3cr@tpw"), "auth failed for ***");
        assert!(!format!("{s:?}").contains("s3cr"));
        let e = parse("postgres://alice:hunter22@db.example:notaport/ops").unwrap_err();
        assert!(!e.contains("hunter22"), "{e}");
        let e = parse("postgres://alice:hunter22@db/ops?sslmode=sometimes").unwrap_err();
        assert!(!e.contains("hunter22") && e.contains("sometimes"), "{e}");
    }

    #[test]
    fn sslmode_and_root_cert_are_ours_to_read() {
        let s = parse("postgresql://bob@h/db?sslmode=disable&application_name=x").unwrap();
        assert_eq!(s.ssl, SslMode::Disable);
        let s = parse("postgres://bob@h/db?sslmode=verify-ca&sslrootcert=/etc/ca.pem").unwrap();
        assert_eq!(
            (s.ssl, s.root_cert.as_deref()),
            (SslMode::Require, Some(Path::new("/etc/ca.pem")))
        );
        assert!(parse("mysql://h/db").is_err());
    }

    #[test]
    fn pgpass_fields_unescape() {
        assert_eq!(
            pgpass_fields(r"h:5432:*:u:pa\:ss\\w"),
            ["h", "5432", "*", "u", r"pa:ss\w"]
        );
    }
}
