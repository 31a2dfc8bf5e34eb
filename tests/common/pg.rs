//! A private PostgreSQL cluster for a test: initdb into a temporary directory, started on a
//! free loopback port with password authentication, stopped when dropped. A test that
//! cannot start one fails saying why; it never skips.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The superuser's name and password in every test cluster.
pub const ADMIN: &str = "admin";
pub const ADMIN_PW: &str = "admin-pw-7d1c";

pub struct Pg {
    pub port: u16,
    dir: tempfile::TempDir,
    bin: PathBuf,
}

/// PostgreSQL's server programs (initdb may be on PATH as a link to them).
fn server_bin() -> PathBuf {
    let on_path = Command::new("sh")
        .args(["-c", "command -v initdb"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let found = on_path.or_else(|| {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin/initdb"))
            .filter(|p| p.exists())
            .collect();
        dirs.sort();
        dirs.pop()
    });
    let initdb = found.unwrap_or_else(|| {
        panic!("PostgreSQL is not installed (no initdb): apt-get install -y postgresql")
    });
    std::fs::canonicalize(&initdb)
        .unwrap_or(initdb)
        .parent()
        .expect("initdb has a directory")
        .to_path_buf()
}

/// Runs a server program, as `postgres` when the tests run as root (the server refuses root).
fn as_pg(bin: &Path, prog: &str, args: &[&str]) -> Output {
    let root = nix::unistd::Uid::effective().is_root();
    let mut c = if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(prog));
        c
    } else {
        Command::new(bin.join(prog))
    };
    c.args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {prog}: {e}"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a free loopback port")
        .local_addr()
        .expect("its address")
        .port()
}

impl Pg {
    /// A new cluster, started; `conf` lines are added to postgresql.conf.
    pub fn start_with(conf: &str, setup: impl FnOnce(&Path)) -> Pg {
        let bin = server_bin();
        let dir = tempfile::tempdir().expect("tempdir");
        let root = nix::unistd::Uid::effective().is_root();
        if root {
            // The postgres user must reach and own its data directory.
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
            let user = nix::unistd::User::from_name("postgres")
                .ok()
                .flatten()
                .expect("running as root and there is no postgres user");
            nix::unistd::chown(dir.path(), Some(user.uid), Some(user.gid)).expect("chown");
        }
        let data = dir.path().join("data");
        let pwfile = dir.path().join("pw");
        std::fs::write(&pwfile, ADMIN_PW).expect("pwfile");
        if root {
            let user = nix::unistd::User::from_name("postgres")
                .ok()
                .flatten()
                .unwrap();
            nix::unistd::chown(&pwfile, Some(user.uid), Some(user.gid)).expect("chown");
        }
        let init = as_pg(
            &bin,
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                ADMIN,
                "--pwfile",
                pwfile.to_str().unwrap(),
                "--auth=scram-sha-256",
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        assert!(
            init.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&init.stderr)
        );
        setup(&data);
        let mut conf_text = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
        conf_text.push_str("\nfsync = off\nshared_buffers = 32MB\nmax_connections = 40\n");
        conf_text.push_str(conf);
        std::fs::write(data.join("postgresql.conf"), conf_text).unwrap();
        let mut last = String::new();
        // The port is free when asked for; another process may take it first: try again.
        for _ in 0..5 {
            let port = free_port();
            match ctl_start(&bin, dir.path(), port) {
                Ok(()) => return Pg { port, dir, bin },
                Err(e) => last = e,
            }
        }
        panic!("PostgreSQL did not start: {last}");
    }

    /// A new cluster with the default settings.
    pub fn start() -> Pg {
        Pg::start_with("", |_| {})
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts it again after `stop` (same port).
    pub fn restart(&self) {
        ctl_start(&self.bin, self.dir.path(), self.port).expect("PostgreSQL starts again");
    }

    /// Stops it at once, as a crash or a network cut would look to a client.
    pub fn stop(&self) {
        as_pg(
            &self.bin,
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    /// A URL for `user` with `password` on database `db`.
    pub fn url(&self, user: &str, password: &str, db: &str) -> String {
        format!(
            "postgres://{user}:{password}@127.0.0.1:{}/{db}?sslmode=disable",
            self.port
        )
    }

    /// The superuser's URL on the `postgres` database.
    pub fn admin_url(&self) -> String {
        self.url(ADMIN, ADMIN_PW, "postgres")
    }

    /// Runs SQL as the superuser; the rows, each column as text (NULL as "").
    pub fn sql(&self, sql: &str) -> Vec<Vec<String>> {
        self.sql_as(ADMIN, ADMIN_PW, sql).expect("admin SQL runs")
    }

    /// Runs SQL as `user`; the rows, or the server's error.
    pub fn sql_as(
        &self,
        user: &str,
        password: &str,
        sql: &str,
    ) -> Result<Vec<Vec<String>>, String> {
        let url = self.url(user, password, "postgres");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .map_err(|e| e.to_string())?;
            tokio::spawn(conn);
            let messages = client.simple_query(sql).await.map_err(|e| {
                e.as_db_error()
                    .map_or_else(|| e.to_string(), |d| d.message().to_string())
            })?;
            Ok(messages
                .into_iter()
                .filter_map(|m| match m {
                    tokio_postgres::SimpleQueryMessage::Row(r) => Some(
                        (0..r.len())
                            .map(|i| r.get(i).unwrap_or("").to_string())
                            .collect(),
                    ),
                    _ => None,
                })
                .collect())
        })
    }

    /// One value as text.
    pub fn value(&self, sql: &str) -> String {
        self.sql(sql)
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
            .unwrap_or_default()
    }

    /// A login role with a password, member of `groups`.
    pub fn login(&self, user: &str, password: &str, groups: &[&str]) {
        let mut sql = format!("CREATE ROLE {user} LOGIN PASSWORD '{password}';");
        for g in groups {
            sql.push_str(&format!("GRANT {g} TO {user};"));
        }
        self.sql(&sql);
    }
}

/// Starts the cluster in `dir`/data on `port`, waiting until it accepts connections.
fn ctl_start(bin: &Path, dir: &Path, port: u16) -> Result<(), String> {
    let opts = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -k {}",
        dir.display()
    );
    let log = dir.join("log");
    let data = dir.join("data");
    let out = as_pg(
        bin,
        "pg_ctl",
        &[
            "-D",
            data.to_str().unwrap(),
            "-o",
            &opts,
            "-l",
            log.to_str().unwrap(),
            "-w",
            "-t",
            "60",
            "start",
        ],
    );
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(&log).unwrap_or_default()
        ))
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        self.stop();
    }
}
