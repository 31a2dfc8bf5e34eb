//! The team store against a real PostgreSQL cluster started by each test on a free loopback
//! port: runs shipped from two runs directories and read back from a third, the store
//! stopped in the middle of a run, forged and rewritten runs refused, teams held to their
//! rows by the database, the permit check from an empty runs directory, a live follow, and
//! migrations from an empty database and from the previous schema version.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use common::pg::Pg;
use common::plan::{CAPTURE, VERIFY, phase, plan};
use common::{Runs, wait_until};

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A plan of `team` (none when empty) whose execute phase runs `cmd`.
fn team_plan(dir: &Path, id: &str, team: &str, cmd: &str) -> String {
    let mut text = plan(
        id,
        "Roll back a thing",
        &[
            CAPTURE,
            &phase("execute", &format!("- id: apply\n  run: {cmd}\n")),
            VERIFY,
        ],
    );
    if !team.is_empty() {
        text = text.replacen("level: 2\n", &format!("level: 2\nteam: {team}\n"), 1);
    }
    let path = dir.join(format!("{id}.yaml"));
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Commands of `runs` with no store but the one given (no environment or config file).
fn cmd(runs: &Runs, args: &[&str]) -> Output {
    runs.cmd(args)
        .env_remove("ROLLBACK_STORE")
        .env_remove("PGPASSWORD")
        .env("XDG_CONFIG_HOME", runs.path().join(".config"))
        .output()
        .expect("binary runs")
}

fn ok(runs: &Runs, args: &[&str]) -> String {
    let out = cmd(runs, args);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {}", text(&out));
    text(&out)
}

/// A store created in a database of its own, its URL for the superuser.
fn store(pg: &Pg, db: &str, teams: &[&str]) -> String {
    pg.sql(&format!("CREATE DATABASE {db}"));
    let url = pg.url(common::pg::ADMIN, common::pg::ADMIN_PW, db);
    let runs = Runs::new();
    let mut args = vec!["store", "init", "--store", url.as_str()];
    for t in teams {
        args.extend(["--team", t]);
    }
    ok(&runs, &args);
    url
}

fn count(pg: &Pg, db: &str, sql: &str) -> i64 {
    let url = pg.url(common::pg::ADMIN, common::pg::ADMIN_PW, db);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .expect("connects");
        tokio::spawn(conn);
        c.query_one(sql, &[]).await.expect("query").get::<_, i64>(0)
    })
}

/// Lines of a run's timeline.
fn lines(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("timeline.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn two_runs_directories_ship_to_one_store_and_a_third_reads_the_same_figures() {
    let pg = Pg::start();
    let url = store(&pg, "s", &[]);
    let (a, b, c) = (Runs::new(), Runs::new(), Runs::new());
    let pa = team_plan(a.path(), "alpha", "", "echo a");
    let pb = team_plan(b.path(), "beta", "", "exit 3");
    ok(&a, &["run", &pa, "--headless", "--store", &url]);
    ok(&a, &["run", &pa, "--headless", "--store", &url]);
    // A failed run ships too; closed as aborted, it counts in the figures.
    let failed = cmd(&b, &["run", &pb, "--headless", "--store", &url]);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed));
    let left = b.run_dirs()[0]
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let listed = ok(&c, &["runs", "--store", &url]);
    assert!(listed.contains("not sealed"), "{listed}");
    let closed = cmd(
        &b,
        &[
            "resume",
            &left,
            "--headless",
            "--abort",
            "--reason",
            "given up",
            "--store",
            &url,
        ],
    );
    assert_eq!(closed.status.code(), Some(3), "{}", text(&closed));

    // Shipping went as the runs were recorded: nothing is left for sync.
    for r in [&a, &b] {
        let status = ok(r, &["store", "status", "--store", &url]);
        assert!(status.contains("is shipped"), "{status}");
    }
    let listed = ok(&c, &["runs", "--store", &url]);
    assert_eq!(listed.matches("alpha (default)").count(), 2, "{listed}");
    assert_eq!(listed.matches("beta (default)").count(), 1, "{listed}");

    // The store's figures, aggregated in SQL, are the local fold's over the same runs.
    let all = Runs::new();
    for r in [&a, &b] {
        for d in r.run_dirs() {
            let to = all.path().join(d.file_name().unwrap());
            copy_dir(&d, &to);
        }
    }
    let now = "2027-01-01T00:00:00Z";
    let local = cmd(&all, &["stats", "--json", "--now", now]);
    let remote = cmd(&c, &["stats", "--json", "--now", now, "--store", &url]);
    assert_eq!(
        local.status.code(),
        Some(1),
        "an aborted run: a criterion unmet"
    );
    assert_eq!(
        remote.status.code(),
        local.status.code(),
        "{}",
        text(&remote)
    );
    let l: serde_json::Value = serde_json::from_slice(&local.stdout).unwrap();
    let r: serde_json::Value = serde_json::from_slice(&remote.stdout).unwrap();
    assert_eq!(r["overall"], l["overall"]);
    assert_eq!(r["plans"], l["plans"]);
    assert_eq!(r["overall"]["runs"], 3);
    // Time to restore: live runs that completed, per team and plan.
    let ttr = r["time_to_restore"].as_array().unwrap();
    assert_eq!(ttr.len(), 1, "{ttr:?}");
    assert_eq!(ttr[0]["team"], "default");
    assert_eq!(ttr[0]["plan"], "alpha");
    assert_eq!(ttr[0]["to_end"]["runs"], 2);

    // The report read from the store is the one its run directory gives.
    let id = a.run_dirs()[0]
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let report = |runs: &Runs, extra: &[&str]| {
        let mut args = vec!["report", id.as_str(), "--format", "json"];
        args.extend(extra);
        let mut v: serde_json::Value = serde_json::from_str(&ok(runs, &args)).unwrap();
        v["generated_at"] = serde_json::Value::Null;
        v
    };
    let here = report(&a, &[]);
    assert!(here["record"]["records"].as_u64() > Some(5));
    assert!(
        here == report(&c, &["--store", &url]),
        "the store's report differs"
    );
    let missing = cmd(&c, &["report", "no-such-run", "--store", &url]);
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// A run whose execute step waits for `go` to exist: the test decides when it goes on.
fn gated(dir: &Path) -> (String, PathBuf) {
    let go = dir.join("go");
    let cmd = format!("while [ ! -e {} ]; do sleep 0.02; done", go.display());
    (team_plan(dir, "gated", "", &cmd), go)
}

#[test]
fn a_store_stopped_mid_run_never_touches_the_run_and_sync_catches_up() {
    let pg = Pg::start();
    let url = store(&pg, "s", &[]);
    let runs = Runs::new();
    let (plan, go) = gated(runs.path());
    let child = runs
        .cmd(&["run", &plan, "--headless", "--store", &url])
        .env_remove("ROLLBACK_STORE")
        .env("XDG_CONFIG_HOME", runs.path().join(".config"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(
        "the run's first records in the store",
        Duration::from_secs(30),
        || (count(&pg, "s", "SELECT count(*) FROM rollback_records") >= 3).then_some(()),
    );
    pg.stop();
    std::fs::write(&go, "").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("rollback sync"), "{said}");
    assert!(!said.contains("panicked"), "{said}");

    pg.restart();
    let dir = runs.run_dirs()[0].clone();
    let status = cmd(&runs, &["store", "status", "--store", &url]);
    assert_eq!(status.status.code(), Some(1), "{}", text(&status));
    assert!(
        text(&status).contains("not fully shipped"),
        "{}",
        text(&status)
    );
    let synced = ok(&runs, &["sync", "--store", &url]);
    assert!(synced.contains("1 run(s) shipped"), "{synced}");
    let again = ok(&runs, &["sync", "--store", &url]);
    assert!(
        again.contains("0 run(s) shipped (0 records), 1 already there"),
        "{again}"
    );
    // Every record once, as journaled.
    let local = lines(&dir);
    assert_eq!(
        count(&pg, "s", "SELECT count(*) FROM rollback_records") as usize,
        local.len()
    );
    assert_eq!(
        count(&pg, "s", "SELECT count(DISTINCT seq) FROM rollback_records") as usize,
        local.len()
    );
    assert_eq!(
        count(&pg, "s", "SELECT count(*) FROM rollback_summaries"),
        1
    );
}

#[test]
fn forged_and_rewritten_runs_are_refused_and_the_store_keeps_what_it_had() {
    use rollback::engine::record::{encode, parse_line};
    let pg = Pg::start();
    let url = store(&pg, "s", &[]);
    let runs = Runs::new();
    let plan = team_plan(runs.path(), "p", "", "echo one");
    ok(&runs, &["run", &plan, "--headless"]);
    let dir = runs.run_dirs()[0].clone();
    let id = dir.file_name().unwrap().to_str().unwrap().to_string();
    let whole = lines(&dir);

    // Rewritten: the first records shipped, then one of them changed here and the chain
    // after it hashed again, so that it verifies on its own.
    let part = Runs::new();
    let copy = part.path().join(&id);
    copy_dir(&dir, &copy);
    let _ = std::fs::remove_file(copy.join("timeline.seal"));
    std::fs::write(copy.join("timeline.jsonl"), whole[..6].join("\n") + "\n").unwrap();
    let shipped = ok(&part, &["sync", "--store", &url]);
    assert!(shipped.contains("6 record(s)"), "{shipped}");
    let mut prev = parse_line(&whole[2]).unwrap().hash;
    let mut rewritten: Vec<String> = whole[..3].to_vec();
    for line in &whole[3..8] {
        let r = parse_line(line).unwrap();
        let operator = if r.seq == 3 {
            "mallory"
        } else {
            r.operator.as_str()
        };
        let (l, h) = encode(
            r.seq,
            r.ts_ms,
            r.elapsed_ms,
            r.mode,
            operator,
            &r.event,
            &prev,
        );
        rewritten.push(l.trim_end().to_string());
        prev = h;
    }
    std::fs::write(copy.join("timeline.jsonl"), rewritten.join("\n") + "\n").unwrap();
    let before = count(&pg, "s", "SELECT count(*) FROM rollback_records");
    let refused = cmd(&part, &["sync", "--store", &url]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(text(&refused).contains("tampering"), "{}", text(&refused));
    assert!(text(&refused).contains(&id), "{}", text(&refused));
    assert_eq!(
        count(&pg, "s", "SELECT count(*) FROM rollback_records"),
        before
    );

    // Forged: another run under a shipped run's name.
    let other = Runs::new();
    ok(&other, &["run", &plan, "--headless"]);
    let forged = other.run_dirs()[0].clone();
    let renamed = other.path().join(&id);
    std::fs::rename(&forged, &renamed).unwrap();
    let refused = cmd(&other, &["sync", "--store", &url]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("another run under this name"),
        "{}",
        text(&refused)
    );

    // Damaged: a record edited without its hash never leaves the machine.
    let damaged = Runs::new();
    ok(&damaged, &["run", &plan, "--headless"]);
    let d = damaged.run_dirs()[0].clone();
    let t = std::fs::read_to_string(d.join("timeline.jsonl")).unwrap();
    std::fs::write(d.join("timeline.jsonl"), t.replacen("tester", "mallory", 1)).unwrap();
    let refused = cmd(&damaged, &["sync", "--store", &url]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("does not verify"),
        "{}",
        text(&refused)
    );
    assert_eq!(
        count(&pg, "s", "SELECT count(*) FROM rollback_records"),
        before
    );
}

#[test]
fn a_team_role_ships_only_its_team_and_nobody_changes_what_was_shipped() {
    let pg = Pg::start();
    let admin = store(&pg, "s", &["a", "b"]);
    pg.login("alice", "alice-pw-1", &["rollback_team_a"]);
    pg.login("audrey", "audrey-pw-1", &["rollback_auditor"]);
    let alice = pg.url("alice", "alice-pw-1", "s");
    let audrey = pg.url("audrey", "audrey-pw-1", "s");
    let runs = Runs::new();
    let pa = team_plan(runs.path(), "pa", "a", "echo a");
    let pb = team_plan(runs.path(), "pb", "b", "echo b");
    ok(&runs, &["run", &pa, "--headless"]);
    ok(&runs, &["run", &pb, "--headless"]);
    let out = cmd(&runs, &["sync", "--store", &alice]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("1 run(s) shipped"), "{said}");
    assert!(
        said.contains("REFUSED") && said.contains("rollback_team_b"),
        "{said}"
    );
    assert!(!said.contains("alice-pw-1"), "{said}");
    assert_eq!(
        count(
            &pg,
            "s",
            "SELECT count(*) FROM rollback_runs WHERE team = 'b'"
        ),
        0
    );

    // The database says no, whatever the client: no update, no delete, not even of its own.
    for sql in [
        "UPDATE rollback_records SET line = 'x'",
        "DELETE FROM rollback_records",
        "UPDATE rollback_runs SET operator = 'x'",
        "DELETE FROM rollback_summaries",
        "TRUNCATE rollback_records",
        "SELECT rollback_prune(now() - interval '2 years')",
    ] {
        let err = sql_in(&pg, "alice", "alice-pw-1", "s", sql).unwrap_err();
        assert!(err.contains("permission denied"), "{sql}: {err}");
    }
    let forged_team = sql_in(
        &pg,
        "alice",
        "alice-pw-1",
        "s",
        "INSERT INTO rollback_runs (host, run, team, plan, mode, operator, started, first_hash) \
         VALUES ('h', 'r', 'b', 'p', 'live', 'o', now(), repeat('a', 64))",
    )
    .unwrap_err();
    assert!(forged_team.contains("row-level security"), "{forged_team}");

    // The auditor reads everything and ships nothing.
    let listed = ok(&runs, &["runs", "--store", &audrey]);
    assert!(listed.contains("pa (a)"), "{listed}");
    let out = cmd(&runs, &["sync", "--store", &audrey]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    ok(&runs, &["sync", "--store", &admin]);
}

fn sql_in(pg: &Pg, user: &str, pw: &str, db: &str, sql: &str) -> Result<(), String> {
    let url = pg.url(user, pw, db);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (c, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        c.batch_execute(sql).await.map_err(|e| {
            e.as_db_error()
                .map_or_else(|| e.to_string(), |d| d.message().to_string())
        })
    })
}

#[test]
fn ready_from_an_empty_runs_directory_passes_only_on_rehearsals_the_store_holds() {
    let pg = Pg::start();
    let url = store(&pg, "s", &[]);
    let laptop = Runs::new();
    let pipeline = Runs::new();
    let plan = team_plan(laptop.path(), "permit", "", "echo ok");
    let check = |runs: &Runs| cmd(runs, &["ready", &plan, "--store", &url]);
    assert_eq!(check(&pipeline).status.code(), Some(1));
    // A live run and a drill are no rehearsal.
    ok(&laptop, &["run", &plan, "--headless", "--store", &url]);
    assert_eq!(check(&pipeline).status.code(), Some(1));
    // A rehearsal recorded on a laptop but never shipped does not count either.
    ok(&laptop, &["rehearse", &plan, "--headless", "--no-store"]);
    let out = check(&pipeline);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("not ready"), "{}", text(&out));
    ok(&laptop, &["sync", "--store", &url]);
    let out = check(&pipeline);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(pipeline.run_dirs().is_empty());
    // A store that cannot be reached is not ready: the permit check fails closed.
    let down = format!(
        "postgres://nobody:pw@127.0.0.1:{}/s?sslmode=disable",
        pg.port
    );
    pg.stop();
    let out = cmd(&pipeline, &["ready", &plan, "--store", &down]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn a_run_is_followed_live_from_the_store_on_another_machine() {
    let pg = Pg::start();
    let url = store(&pg, "s", &[]);
    let runs = Runs::new();
    let watcher = Runs::new();
    let (plan, go) = gated(runs.path());
    let child = runs
        .cmd(&["run", &plan, "--headless", "--store", &url])
        .env_remove("ROLLBACK_STORE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("the run in the store", Duration::from_secs(30), || {
        (count(&pg, "s", "SELECT count(*) FROM rollback_records") >= 3).then_some(())
    });
    let id = runs.run_dirs()[0]
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let follower = watcher
        .cmd(&["follow", &id, "--headless", "--store", &url])
        .env_remove("ROLLBACK_STORE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::fs::write(&go, "").unwrap();
    let run = child.wait_with_output().unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let seen = follower.wait_with_output().unwrap();
    let said = text(&seen);
    assert_eq!(seen.status.code(), Some(0), "{said}");
    assert!(said.contains("execute.apply ok"), "{said}");
    assert!(said.contains("the run ended: completed"), "{said}");
    assert!(said.contains("timeline sealed"), "{said}");
}

#[test]
fn migrations_run_from_an_empty_database_and_from_the_previous_version() {
    let pg = Pg::start();
    pg.sql("CREATE DATABASE s");
    let url = pg.url(common::pg::ADMIN, common::pg::ADMIN_PW, "s");
    let runs = Runs::new();
    let out = cmd(&runs, &["store", "status", "--store", &url]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("no rollback store yet"),
        "{}",
        text(&out)
    );
    // The previous version: what it held survives the migration.
    let made = ok(&runs, &["store", "init", "--to", "3", "--store", &url]);
    assert!(made.contains("created schema version 3"), "{made}");
    // A live rollback that completed in 90 s, validated 30 s later: its times to restore
    // are counted when version 4 arrives.
    sql_in(
        &pg,
        common::pg::ADMIN,
        common::pg::ADMIN_PW,
        "s",
        "INSERT INTO rollback_runs (host, run, team, plan, mode, operator, started, first_hash) \
         VALUES ('old-host', 'old-run', 'default', 'p', 'live', 'o', \
                 '2026-01-01T00:00:00Z', repeat('a', 64)); \
         INSERT INTO rollback_summaries (host, run, team, plan, level, mode, automation, \
           trigger, started, ended, outcome, duration_ms, sla_ms, within_sla, steps_selected, \
           steps_automated, retries, attempts, failed_attempts, failed_retried, \
           failed_skipped, failed_replaced, failed_stopped, failed_open, failed_regions, \
           escalation) \
         VALUES ('old-host', 'old-run', 'default', 'p', 2, 'live', 'full', 'manual', \
           '2026-01-01T00:00:00Z', '2026-01-01T00:01:30Z', 'completed', 90000, 900000, true, \
           1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0); \
         INSERT INTO rollback_windows (team, host, run, started, window_name, seq, passed, at) \
         VALUES ('default', 'old-host', 'old-run', '2026-01-01T00:00:00Z', 'immediate', 9, \
           true, '2026-01-01T00:02:00Z')",
    )
    .unwrap();
    // An older store is named, and never written by a newer client.
    let plan = team_plan(runs.path(), "m", "", "echo m");
    ok(&runs, &["run", &plan, "--headless"]);
    let out = cmd(&runs, &["sync", "--store", &url]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("store init"), "{}", text(&out));
    let migrated = ok(&runs, &["store", "init", "--store", &url]);
    assert!(
        migrated.contains("migrated schema version 3 to 4"),
        "{migrated}"
    );
    let again = ok(&runs, &["store", "init", "--store", &url]);
    assert!(again.contains("nothing to do"), "{again}");
    assert_eq!(
        count(
            &pg,
            "s",
            "SELECT count(*) FROM rollback_runs WHERE run = 'old-run'"
        ),
        1
    );
    assert_eq!(
        count(
            &pg,
            "s",
            "SELECT count(*) FROM rollback_restores \
             WHERE run = 'old-run' AND to_end_ms = 90000 AND to_ok_ms = 120000"
        ),
        1
    );
    let counted = cmd(&runs, &["stats", "--store", &url, "--json"]);
    let counted: serde_json::Value = serde_json::from_slice(&counted.stdout).unwrap();
    assert_eq!(
        counted["time_to_restore"],
        serde_json::json!([{"team": "default", "plan": "p",
            "to_end": {"runs": 1, "median_ms": 90000, "p90_ms": 90000},
            "to_validated": {"runs": 1, "median_ms": 120000, "p90_ms": 120000}}]),
        "{counted}"
    );
    ok(&runs, &["sync", "--store", &url]);
    let status = ok(&runs, &["store", "status", "--store", &url]);
    assert!(status.contains("schema version 4"), "{status}");
}

#[test]
fn the_password_is_never_shown_and_a_bad_store_is_bad_input() {
    let runs = Runs::new();
    // Nothing listens on port 1: the store is down.
    let url = "postgres://ops:Sup3rSecretPw@127.0.0.1:1/db?sslmode=disable";
    for args in [
        vec!["sync", "--store", url],
        vec!["store", "status", "--store", url],
        vec!["runs", "--store", url],
        vec!["stats", "--store", url],
    ] {
        let out = cmd(&runs, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", text(&out));
        assert!(!text(&out).contains("Sup3rSecretPw"), "{}", text(&out));
        assert!(
            text(&out).contains("postgres://ops@127.0.0.1:1/db"),
            "{}",
            text(&out)
        );
    }
    let out = cmd(
        &runs,
        &["sync", "--store", "mysql://ops:Sup3rSecretPw@h/db"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out).contains("Sup3rSecretPw"), "{}", text(&out));
    let out = cmd(&runs, &["sync"]);
    assert_eq!(out.status.code(), Some(2), "no store configured");
    // The config file names it when nothing else does.
    let cfg = runs.path().join(".config/rollback");
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(cfg.join("config.toml"), format!("store = \"{url}\"\n")).unwrap();
    let out = cmd(&runs, &["sync"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("127.0.0.1:1"), "{}", text(&out));
    assert!(!text(&out).contains("Sup3rSecretPw"), "{}", text(&out));
}

/// A CA, and a certificate for 127.0.0.1 it signed: (CA PEM, certificate PEM, key PEM).
fn tls_files() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

#[test]
fn tls_is_verified_against_the_given_root_certificate() {
    let (ca, cert, key) = tls_files();
    let pg = Pg::start_with(
        "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n",
        |data| {
            use std::os::unix::fs::PermissionsExt;
            for (name, text) in [("server.crt", &cert), ("server.key", &key)] {
                let p = data.join(name);
                std::fs::write(&p, text).unwrap();
                std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
                let owner = std::fs::metadata(data).unwrap();
                use std::os::unix::fs::MetadataExt;
                nix::unistd::chown(
                    &p,
                    Some(nix::unistd::Uid::from_raw(owner.uid())),
                    Some(nix::unistd::Gid::from_raw(owner.gid())),
                )
                .unwrap();
            }
        },
    );
    pg.sql("CREATE DATABASE s");
    let runs = Runs::new();
    let good = runs.path().join("ca.pem");
    std::fs::write(&good, &ca).unwrap();
    let (other_ca, _, _) = tls_files();
    let bad = runs.path().join("other-ca.pem");
    std::fs::write(&bad, &other_ca).unwrap();
    let url = |mode: &str, root: &Path| {
        format!(
            "postgres://{}:{}@127.0.0.1:{}/s?sslmode={mode}&sslrootcert={}",
            common::pg::ADMIN,
            common::pg::ADMIN_PW,
            pg.port,
            root.display()
        )
    };
    let made = ok(
        &runs,
        &["store", "init", "--store", &url("verify-full", &good)],
    );
    assert!(made.contains("sslmode=verify-full"), "{made}");
    assert!(!made.contains(common::pg::ADMIN_PW), "{made}");
    // A server whose certificate does not chain to the root given is refused.
    let out = cmd(
        &runs,
        &["store", "status", "--store", &url("require", &bad)],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).to_lowercase().contains("certificate"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains(common::pg::ADMIN_PW), "{}", text(&out));
}

#[test]
fn prune_in_the_store_drops_old_months_only_for_the_retention_role() {
    let pg = Pg::start();
    let admin = store(&pg, "s", &[]);
    pg.login("rita", "rita-pw-1", &["rollback_retention"]);
    pg.login("alice", "alice-pw-1", &["rollback_team_default"]);
    let runs = Runs::new();
    let plan = team_plan(runs.path(), "p", "", "echo p");
    ok(&runs, &["run", &plan, "--headless", "--store", &admin]);
    // A run shipped two years ago, in a partition of its own month.
    sql_in(
        &pg,
        common::pg::ADMIN,
        common::pg::ADMIN_PW,
        "s",
        "SELECT rollback_partition(now() - interval '2 years');
         INSERT INTO rollback_runs (host, run, team, plan, mode, operator, started, first_hash)
           VALUES ('h', 'old', 'default', 'p', 'live', 'o', now() - interval '2 years', repeat('a', 64));
         SET session_replication_role = replica;
         INSERT INTO rollback_records (team, host, run, started, seq, at, type, prev, hash, line)
           SELECT team, host, run, started, 0, started, 'run_started', 'p', 'x', '{}'
           FROM rollback_runs WHERE run = 'old';",
    )
    .unwrap();
    let partitions =
        "SELECT count(*) FROM pg_inherits WHERE inhparent = 'rollback_records'::regclass";
    assert_eq!(count(&pg, "s", partitions), 2);
    let rita = pg.url("rita", "rita-pw-1", "s");
    let alice = pg.url("alice", "alice-pw-1", "s");
    let listed = ok(&runs, &["prune", "--older-than", "400d", "--store", &rita]);
    assert!(listed.contains("1 run(s)"), "{listed}");
    assert_eq!(count(&pg, "s", "SELECT count(*) FROM rollback_runs"), 2);
    let below = cmd(
        &runs,
        &["prune", "--older-than", "30d", "--yes", "--store", &rita],
    );
    assert_eq!(below.status.code(), Some(2), "{}", text(&below));
    let refused = cmd(
        &runs,
        &["prune", "--older-than", "400d", "--yes", "--store", &alice],
    );
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("permission denied"),
        "{}",
        text(&refused)
    );
    let done = ok(
        &runs,
        &["prune", "--older-than", "400d", "--yes", "--store", &rita],
    );
    assert!(done.contains("removed 1 run(s)"), "{done}");
    assert_eq!(count(&pg, "s", "SELECT count(*) FROM rollback_runs"), 1);
    assert_eq!(
        count(&pg, "s", partitions),
        1,
        "the old month's partition is dropped"
    );
    // Even the retention role cannot reach inside the 365 days.
    let inside = sql_in(
        &pg,
        "rita",
        "rita-pw-1",
        "s",
        "SELECT rollback_prune(now() - interval '100 days')",
    );
    assert!(inside.unwrap_err().contains("365 days"));
}

#[test]
fn the_database_holds_every_row_to_its_team_and_its_chain() {
    let pg = Pg::start();
    let admin = store(&pg, "s", &["a", "b"]);
    pg.login("alice", "alice-pw-1", &["rollback_team_a"]);
    pg.login("bob", "bob-pw-1", &["rollback_team_b"]);
    let bob = pg.url("bob", "bob-pw-1", "s");
    let alice = pg.url("alice", "alice-pw-1", "s");
    let runs = Runs::new();
    let pb = team_plan(runs.path(), "shared", "b", "echo b");
    ok(&runs, &["run", &pb, "--headless", "--store", &bob]);

    // A table of one's own session does not stand in for the store's.
    let sneaked = sql_in(
        &pg,
        "alice",
        "alice-pw-1",
        "s",
        "CREATE TEMP TABLE rollback_runs AS
           SELECT 'a'::text AS team, host, run, started FROM public.rollback_runs;
         INSERT INTO public.rollback_phase_times (team, host, run, ord, phase, plan, drill, started, duration_ms)
           SELECT 'b', host, run, 99, 'x', 'shared', false, started, 1 FROM public.rollback_runs;",
    );
    assert!(sneaked.unwrap_err().contains("row-level security"));

    // Even for its own team, a record must verify and follow the one before it.
    let other = Runs::new();
    let pa = team_plan(other.path(), "mine", "a", "echo a");
    ok(&other, &["run", &pa, "--headless", "--store", &alice]);
    let forged = sql_in(
        &pg,
        "alice",
        "alice-pw-1",
        "s",
        "INSERT INTO rollback_records (team, host, run, started, seq, at, type, prev, hash, line)
           SELECT team, host, run, started, 1000, now(), 'note', repeat('0', 64), repeat('1', 64),
             '{\"seq\":1000,\"type\":\"note\",\"prev\":\"' || repeat('0', 64) || '\",\"hash\":\"' || repeat('1', 64) || '\"}'
           FROM rollback_runs WHERE team = 'a'",
    );
    assert!(forged.unwrap_err().contains("does not verify"));
    // A line whose hash is its own but which follows nothing in the run.
    let stray = sql_in(
        &pg,
        "alice",
        "alice-pw-1",
        "s",
        "WITH b AS (SELECT '{\"seq\":1000,\"type\":\"note\",\"prev\":\"' || repeat('0', 64) || '\"' AS body)
         INSERT INTO rollback_records (team, host, run, started, seq, at, type, prev, hash, line)
           SELECT team, host, run, started, 1000, now(), 'note', repeat('0', 64),
             encode(sha256(convert_to(b.body || '}', 'UTF8')), 'hex'),
             b.body || ',\"hash\":\"' || encode(sha256(convert_to(b.body || '}', 'UTF8')), 'hex') || '\"}'
           FROM rollback_runs, b WHERE team = 'a'",
    );
    assert!(stray.unwrap_err().contains("does not follow"));
    // Figures of its own run must be its records': no phase time of another plan, and the
    // owner's counting functions are no one else's to call.
    let skewed = sql_in(
        &pg,
        "alice",
        "alice-pw-1",
        "s",
        "INSERT INTO rollback_phase_times (team, host, run, ord, phase, plan, drill, started, duration_ms)
           SELECT team, host, run, 99, 'x', 'shared', false, started, 1 FROM rollback_runs
           WHERE team = 'a'",
    );
    assert!(skewed.unwrap_err().contains("row-level security"));
    let borrowed = sql_in(
        &pg,
        "alice",
        "alice-pw-1",
        "s",
        "CREATE TEMP TABLE x (LIKE public.rollback_phase_times);
         CREATE TRIGGER t AFTER INSERT ON x REFERENCING NEW TABLE AS added
           FOR EACH STATEMENT EXECUTE FUNCTION public.rollback_count_phases();",
    );
    assert!(borrowed.unwrap_err().contains("permission denied"));
    // The times of a summary are its records': one shipped again with another end or
    // another detection is refused, and the one its records say is taken.
    sql_in(
        &pg,
        common::pg::ADMIN,
        common::pg::ADMIN_PW,
        "s",
        "CREATE TABLE kept AS SELECT * FROM rollback_summaries WHERE team = 'a' LIMIT 1;
         DELETE FROM rollback_summary_docs d USING kept k
           WHERE d.team = k.team AND d.host = k.host AND d.run = k.run;
         DELETE FROM rollback_phase_times p USING kept k
           WHERE p.team = k.team AND p.host = k.host AND p.run = k.run;
         DELETE FROM rollback_summaries s USING kept k
           WHERE s.team = k.team AND s.host = k.host AND s.run = k.run;
         GRANT SELECT ON kept TO alice",
    )
    .unwrap();
    for skew in [
        "ended = ended + interval '1 hour'",
        "detected = started - interval '1 hour'",
    ] {
        let forged = sql_in(
            &pg,
            "alice",
            "alice-pw-1",
            "s",
            &format!(
                "CREATE TEMP TABLE f AS SELECT * FROM kept; UPDATE f SET {skew};
                 INSERT INTO rollback_summaries SELECT * FROM f"
            ),
        );
        assert!(forged.unwrap_err().contains("row-level security"), "{skew}");
    }
    sql_in(
        &pg,
        "alice",
        "alice-pw-1",
        "s",
        "INSERT INTO rollback_summaries SELECT * FROM kept",
    )
    .unwrap();

    // Team a's rehearsal of a plan with the same id is no permit for team b's plan.
    let pa_shared = team_plan(other.path(), "shared", "a", "echo b");
    ok(
        &other,
        &["rehearse", &pa_shared, "--headless", "--store", &alice],
    );
    let out = cmd(&runs, &["ready", &pb, "--store", &admin]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    ok(&runs, &["rehearse", &pb, "--headless", "--store", &bob]);
    ok(&runs, &["ready", &pb, "--store", &admin]);
}

#[test]
fn the_store_url_from_the_environment_is_never_a_steps_and_its_password_is_masked() {
    let pg = Pg::start();
    let url = store(&pg, "s", &[]);
    let runs = Runs::new();
    let plan = team_plan(
        runs.path(),
        "leaky",
        "",
        &format!("'env; echo {}'", common::pg::ADMIN_PW),
    );
    let out = runs
        .cmd(&["run", &plan, "--headless"])
        .env("ROLLBACK_STORE", &url)
        .env("XDG_CONFIG_HOME", runs.path().join(".config"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let dir = runs.run_dirs()[0].clone();
    let log = std::fs::read_to_string(dir.join("output/execute.apply.1.log")).unwrap();
    assert!(!log.contains("ROLLBACK_STORE"), "{log}");
    assert!(!log.contains(common::pg::ADMIN_PW), "{log}");
    // Shipped all the same, from the environment.
    assert_eq!(
        count(&pg, "s", "SELECT count(*) FROM rollback_summaries"),
        1
    );
}

#[test]
fn time_to_restore_counts_to_the_immediate_window_the_store_saw_pass() {
    let pg = Pg::start();
    let url = store(&pg, "s", &[]);
    let runs = Runs::new();
    let text_plan = plan(
        "vw",
        "Roll back a thing",
        &[CAPTURE, VERIFY],
    )
    .replacen(
        "phases:\n",
        "post_rollback:\n  windows: {immediate: 1s, short-term: 2s, long-term: 3s}\n  post_checks:\n    - {window: immediate, title: health, check: 'true', interval: 200ms}\nphases:\n",
        1,
    );
    let p = runs.path().join("vw.yaml");
    std::fs::write(&p, text_plan).unwrap();
    let p = p.display().to_string();
    ok(
        &runs,
        &["run", &p, "--headless", "--validate", "--store", &url],
    );
    assert_eq!(
        count(
            &pg,
            "s",
            "SELECT count(*) FROM rollback_windows WHERE passed"
        ),
        1,
        "the immediate window passed"
    );
    let out = cmd(&runs, &["stats", "--json", "--store", &url]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ttr = &v["time_to_restore"][0];
    assert_eq!(ttr["plan"], "vw", "{v}");
    assert_eq!(ttr["to_validated"]["runs"], 1, "{v}");
    assert!(ttr["to_validated"]["median_ms"].as_u64() >= ttr["to_end"]["median_ms"].as_u64());
}

#[test]
fn spreads_read_from_the_store_are_exact_when_a_second_holds_many_values() {
    let pg = Pg::start();
    let url = store(&pg, "s", &[]);
    let runs = Runs::new();
    // 1,300 live runs of one plan, as the database counts them when rows arrive: 1,000 of
    // their durations in one second, 300 in another; a phase each; a third validated.
    sql_in(
        &pg,
        common::pg::ADMIN,
        common::pg::ADMIN_PW,
        "s",
        "CREATE TEMP TABLE g AS
           SELECT i, now() - i * interval '1 minute' AS started,
             CASE WHEN i <= 1000 THEN 5000 + (i * 37) % 1000 ELSE 7000 + (i * 13) % 1000 END
               AS d
           FROM generate_series(1, 1300) i;
         INSERT INTO rollback_runs (host, run, team, plan, mode, operator, started, first_hash)
           SELECT 'h', 'r' || i, 'default', 'q', 'live', 'o', started, repeat('a', 64) FROM g;
         INSERT INTO rollback_summaries (host, run, team, plan, level, mode, automation,
           trigger, started, ended, outcome, duration_ms, sla_ms, within_sla, steps_selected,
           steps_automated, retries, attempts, failed_attempts, failed_retried,
           failed_skipped, failed_replaced, failed_stopped, failed_open, failed_regions,
           escalation)
           SELECT 'h', 'r' || i, 'default', 'q', 2, 'live', 'full', 'manual', started,
             started + d * interval '1 millisecond', 'completed', d, 900000, true,
             1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 FROM g;
         INSERT INTO rollback_phase_times (team, host, run, ord, phase, plan, drill, started,
           duration_ms)
           SELECT 'default', 'h', 'r' || i, 0, 'capture', 'q', false, started,
             3000 + (i * 71) % 1000 FROM g;
         INSERT INTO rollback_windows (team, host, run, started, window_name, seq, passed, at)
           SELECT 'default', 'h', 'r' || i, started, 'immediate', 9, true,
             started + (60000 + (i * 53) % 1000) * interval '1 millisecond'
           FROM g WHERE i % 3 = 0",
    )
    .unwrap();
    let sql = |q: &str| count(&pg, "s", q);
    let pct = |p: f64, of: &str, from: &str| {
        sql(&format!(
            "SELECT percentile_disc({p}) WITHIN GROUP (ORDER BY {of})::int8 FROM {from}"
        ))
    };
    let ok_ms = "(extract(epoch FROM w.at - w.started) * 1000)::int8";
    let windows = "rollback_windows w";
    let want = serde_json::json!({
        "duration": [1300, pct(0.5, "duration_ms", "rollback_summaries"),
                     pct(0.95, "duration_ms", "rollback_summaries")],
        "phase": [1300, pct(0.5, "duration_ms", "rollback_phase_times"),
                  pct(0.95, "duration_ms", "rollback_phase_times")],
        "to_end": [1300, pct(0.5, "duration_ms", "rollback_summaries"),
                   pct(0.9, "duration_ms", "rollback_summaries")],
        "to_validated": [433, pct(0.5, ok_ms, windows), pct(0.9, ok_ms, windows)],
    });
    // The counts the store keeps, and the values themselves (since an instant), agree.
    for since in [None, Some("30d")] {
        let mut args = vec!["stats", "--store", url.as_str(), "--json"];
        args.extend(since.map(|s| ["--since", s]).into_iter().flatten());
        let out = cmd(&runs, &args);
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
        let three =
            |s: &serde_json::Value| serde_json::json!([s["runs"], s["median_ms"], s["p95_ms"]]);
        let ninety =
            |s: &serde_json::Value| serde_json::json!([s["runs"], s["median_ms"], s["p90_ms"]]);
        let ttr = &v["time_to_restore"][0];
        let got = serde_json::json!({
            "duration": three(&v["plans"]["q"]["duration"]),
            "phase": three(&v["plans"]["q"]["phases"][0]),
            "to_end": ninety(&ttr["to_end"]),
            "to_validated": ninety(&ttr["to_validated"]),
        });
        assert_eq!(got, want, "since {since:?}");
        assert_eq!(v["overall"]["duration"], v["plans"]["q"]["duration"]);
    }
}

#[test]
fn what_a_killed_run_journaled_is_still_shipped() {
    let pg = Pg::start();
    let url = store(&pg, "s", &[]);
    let runs = Runs::new();
    let go = runs.path().join("go");
    let steps: String = (0..20)
        .map(|i| format!("- id: s{i}\n  run: \"true\"\n"))
        .chain([format!(
            "- id: gate\n  run: while [ ! -e {} ]; do sleep 0.02; done\n",
            go.display()
        )])
        .collect();
    let text = plan(
        "killed",
        "Roll back a thing",
        &[CAPTURE, &phase("execute", &steps), VERIFY],
    );
    let path = runs.path().join("killed.yaml");
    std::fs::write(&path, text).unwrap();
    let mut child = runs
        .cmd(&["run", path.to_str().unwrap(), "--headless", "--store", &url])
        .env_remove("ROLLBACK_STORE")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Killed as soon as the gate started: its last records are journaled, most not shipped.
    let timeline = wait_until("the gate's start", Duration::from_secs(30), || {
        let dir = runs.run_dirs().into_iter().next()?;
        let text = std::fs::read_to_string(dir.join("timeline.jsonl")).ok()?;
        text.contains("execute.gate")
            .then_some(dir.join("timeline.jsonl"))
    });
    child.kill().unwrap();
    child.wait().unwrap();
    common::stop_left_step(timeline.parent().unwrap(), "execute.gate");
    let journaled = std::fs::read_to_string(&timeline).unwrap().lines().count() as i64;
    assert!(journaled >= 23, "{journaled}");
    wait_until(
        "every journaled record in the store",
        Duration::from_secs(30),
        || (count(&pg, "s", "SELECT count(*) FROM rollback_records") == journaled).then_some(()),
    );
}
