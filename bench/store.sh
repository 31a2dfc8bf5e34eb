#!/usr/bin/env bash
# The team store against a real PostgreSQL started here on a free loopback port:
#  1. `sync` of 10,000 local runs (bench/gen-runs.sh) into an empty store; baseline: psql
#     COPY of every one of their timeline lines into a plain table. Goal <= 60 s.
#  2. A run of 500 trivial steps with a store configured against the same run without one,
#     alternately, best of $REPEAT. Goal: <= 1.1x.
#  3. `follow --store`: latency from a record's `ts` to its line on the follower's stdout,
#     over 20 steps 0.2 s apart shipped as they happen. Goal: p95 <= 1 s.
#  4. $RUNS runs (default 1,000,000) with $RECORDS records each (default 30) generated in the
#     database, a year of them: `stats --store` (wall, peak RSS) and `ready --store`; baseline:
#     psql counting the summaries. Goals: stats <= 2 s and <= 50 MB, ready <= 200 ms.
# Needs initdb/pg_ctl/psql; several GB of disk for the default size (RUNS=100000 is quicker).
. "$(dirname "$0")/common.sh"
RUNS=${RUNS:-1000000}
RECORDS=${RECORDS:-30}
SYNC_RUNS=${SYNC_RUNS:-10000}

initdb=$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -n 1 || true)
pgbin=$(dirname "$(readlink -f "${initdb:-/nonexistent}")")
[ -x "$pgbin/pg_ctl" ] || { echo "PostgreSQL not found (initdb, pg_ctl): apt-get install -y postgresql" >&2; exit 2; }
command -v psql >/dev/null || { echo "psql not found" >&2; exit 2; }
as_pg() { "$@"; }
chmod 755 "$WORK"
if [ "$(id -u)" = 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; chown postgres "$WORK"; fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg "$pgbin/initdb" -D "$WORK/pg" -U admin --auth=trust --no-sync >/dev/null
cat >>"$WORK/pg/postgresql.conf" <<CONF
shared_buffers = 512MB
work_mem = 64MB
maintenance_work_mem = 512MB
max_wal_size = 4GB
max_parallel_workers_per_gather = 2
CONF
as_pg "$pgbin/pg_ctl" -D "$WORK/pg" -o "-p $port -k $WORK -c listen_addresses=127.0.0.1" -l "$WORK/pg.log" -w start >/dev/null
trap 'as_pg "$pgbin/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
URL="postgres://admin@127.0.0.1:$port/postgres?sslmode=disable"
sql() { psql -qAtX -h 127.0.0.1 -p "$port" -U admin postgres "$@"; }
"$BIN" store init --store "$URL" >/dev/null
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "machine: $(nproc) cores, $cpu; $(uname -sr); $("$pgbin/postgres" --version)"

# 1. sync
bench/gen-runs.sh "$WORK/runs" "$SYNC_RUNS" >/dev/null
lines=$(cat "$WORK"/runs/*/timeline.jsonl | wc -l)
s=$(date +%s.%N)
"$BIN" sync --store "$URL" --runs-dir "$WORK/runs" >"$WORK/sync.txt" || true
e=$(date +%s.%N)
sync_s=$(printf '%.1f' "$(echo "$e - $s" | bc -l)")
tail -1 "$WORK/sync.txt"
sql -c "CREATE TABLE copied (line text)"
s=$(date +%s.%N)
cat "$WORK"/runs/*/timeline.jsonl | sed 's/\\/\\\\/g' | sql -c "\\copy copied FROM STDIN"
e=$(date +%s.%N)
base_s=$(printf '%.1f' "$(echo "$e - $s" | bc -l)")
check "$sync_s" 60; v=$VERDICT
echo "sync of $SYNC_RUNS runs ($lines records) into an empty store: $sync_s s (goal <= 60 s: $v); baseline COPY of the lines: $base_s s"
again=$( { /usr/bin/time -f %e "$BIN" sync --store "$URL" --runs-dir "$WORK/runs" >/dev/null; } 2>&1 | tail -1)
echo "sync again, nothing to ship: $again s"

# 2. a run with a store configured against one without
plan="$WORK/steps.yaml"
{
  printf 'plan: steps\ntitle: 500 trivial steps\nlevel: 2\noperation: application\nautomation: full\nphases:\n'
  printf '  - id: capture\n    steps:\n'
  for i in $(seq 500); do printf '      - {id: s%s, run: "true"}\n' "$i"; done
  printf '  - id: verify\n    steps:\n      - {id: ok, check: "true"}\n'
} >"$plan"
without=""; with=""
for _ in $(seq "$REPEAT"); do
  without=$(min "$without" "$(once "$BIN" run "$plan" --headless --no-store)")
  with=$(min "$with" "$(once "$BIN" run "$plan" --headless --store "$URL")")
done
r=$(ratio "$with" "$without")
check "$r" 1.1; v=$VERDICT
printf 'a run of 500 steps: %.3f s without a store, %.3f s shipping to one: %sx (goal <= 1.1x: %s)\n' "$without" "$with" "$r" "$v"

# 3. follow --store
fplan="$WORK/follow.yaml"
{
  printf 'plan: follow\ntitle: Follow bench\nlevel: 2\noperation: application\nautomation: full\n'
  printf 'vars:\n  gate: {}\nphases:\n  - id: capture\n    steps:\n      - {id: gate, run: %s}\n' \
    "'while [ ! -e \"\$gate\" ]; do sleep 0.05; done'"
  printf '  - id: execute\n    steps:\n'
  for i in $(seq 20); do printf '      - {id: s%s, run: sleep 0.2}\n' "$i"; done
  printf '  - id: verify\n    steps:\n      - {id: ok, check: "true"}\n'
} >"$fplan"
export ROLLBACK_RUNS_DIR="$WORK/follow-runs"
"$BIN" run "$fplan" --headless --var gate="$WORK/go" --store "$URL" >/dev/null 2>&1 &
run=$!
for _ in $(seq 500); do [ -n "$(ls "$ROLLBACK_RUNS_DIR" 2>/dev/null)" ] && break; sleep 0.01; done
id=$(ls "$ROLLBACK_RUNS_DIR")
for _ in $(seq 500); do [ "$(sql -c "SELECT count(*) FROM rollback_records WHERE run = '$id'")" -ge 3 ] && break; sleep 0.02; done
"$BIN" follow "$id" --headless --store "$URL" | python3 -u -c '
import sys, time
for line in sys.stdin:
    print(int(time.time() * 1000), line, end="", flush=True)
' >"$WORK/lines" &
for _ in $(seq 500); do grep -q "capture.gate started" "$WORK/lines" 2>/dev/null && break; sleep 0.01; done
touch "$WORK/go"
wait "$run" || true
for _ in $(seq 1000); do grep -q "the run ended" "$WORK/lines" && break; sleep 0.01; done
python3 - "$ROLLBACK_RUNS_DIR/$id/timeline.jsonl" "$WORK/lines" <<'PY'
import datetime, json, sys
tl, lines = sys.argv[1:]
ts = lambda r: datetime.datetime.fromisoformat(r["ts"].replace("Z", "+00:00")).timestamp() * 1000
records = [json.loads(l) for l in open(tl)]
arrived = [int(l.split(" ", 1)[0]) for l in open(lines)][1:1 + len(records)]
gate = next(i for i, r in enumerate(records) if r["type"] == "step_finished")
lat = sorted(a - ts(r) for r, a in zip(records[gate:], arrived[gate:]))
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
verdict = "PASS" if p(0.95) <= 1000 else "FAIL"
print(f"follow --store latency, {len(lat)} records: median {p(0.5):.0f} ms, p95 {p(0.95):.0f} ms, max {lat[-1]:.0f} ms (goal p95 <= 1000 ms: {verdict})")
PY
export ROLLBACK_RUNS_DIR="$WORK/runs"

# 4. a year of an org's runs, generated in the database
summary=$(sql -c "SELECT d.summary FROM rollback_summary_docs d JOIN rollback_summaries s USING (team, host, run) WHERE s.mode = 'rehearsal' LIMIT 1")
s=$(date +%s)
sql <<SQL
SET synchronous_commit = off;
-- Generated rows carry no real hash chain: the chain check is for shippers, not this.
SET session_replication_role = replica;
SELECT rollback_partition(now() - make_interval(months => m)) FROM generate_series(0, 12) m;
CREATE TEMP TABLE g AS
  SELECT i::int8 AS i, now() - (i::float8 / $RUNS) * interval '360 days' AS started,
         'plan-' || (i % 100) AS plan,
         CASE WHEN i % 20 = 0 THEN 'drill' WHEN i % 7 = 0 THEN 'rehearsal' ELSE 'live' END AS mode
  FROM generate_series(1, $RUNS) i;
INSERT INTO rollback_runs (host, run, team, plan, mode, operator, started, first_hash)
  SELECT 'host-' || (i % 50), 'gen-' || i, 'team_' || (i % 10), plan, mode, 'op', started,
    md5(i::text) || md5(i::text) FROM g;
INSERT INTO rollback_summaries (host, run, team, plan, level, mode, automation, trigger, started,
  ended, outcome, duration_ms, sla_ms, within_sla, steps_selected, steps_automated, retries,
  attempts, failed_attempts, failed_retried, failed_skipped, failed_replaced, failed_stopped,
  failed_open, failed_regions, escalation, detected)
  SELECT 'host-' || (i % 50), 'gen-' || i, 'team_' || (i % 10), plan, 2, mode, 'full', 'manual',
    started, started + (60 + i % 600) * interval '1 second',
    CASE WHEN i % 50 = 0 THEN 'failed' ELSE 'completed' END,
    (60 + i % 600) * 1000 + (i * 7919) % 1000, 900000,
    i % 13 <> 0, 10, 8 + i % 3, i % 3, 10 + i % 3, i % 3, 0, 0, 0, i % 50 / 49, 0, 0,
    (i % 17 = 0)::int, started - (i % 120) * interval '1 second'
  FROM g;
INSERT INTO rollback_summary_docs (team, host, run, started, summary)
  SELECT 'team_' || (i % 10), 'host-' || (i % 50), 'gen-' || i, started,
    jsonb_set(jsonb_set('$summary'::jsonb, '{plan}', to_jsonb(plan)),
      '{started_at}', to_jsonb(to_char(started AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
  FROM g;
INSERT INTO rollback_phase_times (team, host, run, ord, phase, plan, drill, started, duration_ms)
  SELECT 'team_' || (i % 10), 'host-' || (i % 50), 'gen-' || i, o, (ARRAY['capture','execute','verify','close'])[o + 1],
    plan, mode = 'drill', started, 10000 + (i * (o + 3) * 7919) % 90000
  FROM g, generate_series(0, 3) o;
INSERT INTO rollback_windows (team, host, run, started, window_name, seq, passed, at)
  SELECT 'team_' || (i % 10), 'host-' || (i % 50), 'gen-' || i, started, 'immediate', 20, true,
    started + (400 + i % 600) * interval '1 second' FROM g WHERE i % 3 = 0;
INSERT INTO rollback_records (team, host, run, started, seq, at, type, prev, hash, line)
  SELECT 'team_' || (i % 10), 'host-' || (i % 50), 'gen-' || i, started, q, started + q * interval '2 seconds',
    'step_finished', md5((i * 100 + q - 1)::text), md5((i * 100 + q)::text),
    '{"seq":' || q || ',"type":"step_finished","step":"execute.apply","outcome":"ok","exit":0}'
  FROM g, generate_series(0, $RECORDS - 1) q;
-- The per-second counts the triggers keep (off while generating).
INSERT INTO rollback_phase_seconds (plan, part, drill, second, n, ord)
  SELECT plan, phase, drill, duration_ms / 1000, count(*), min(ord)
  FROM rollback_phase_times GROUP BY 1, 2, 3, 4
  ON CONFLICT (plan, part, drill, second) DO UPDATE SET n = rollback_phase_seconds.n + excluded.n;
INSERT INTO rollback_run_seconds (plan, drill, second, n)
  SELECT plan, mode = 'drill', duration_ms / 1000, count(*)
  FROM rollback_summaries GROUP BY 1, 2, 3
  ON CONFLICT (plan, drill, second) DO UPDATE SET n = rollback_run_seconds.n + excluded.n;
INSERT INTO rollback_restores (team, host, run, plan, started, detected, to_end_ms, to_ok_ms)
  SELECT s.team, s.host, s.run, s.plan, s.started, coalesce(s.detected, s.started),
    rollback_ms_between(coalesce(s.detected, s.started), s.ended),
    CASE WHEN w.passed THEN rollback_ms_between(coalesce(s.detected, s.started), w.at) END
  FROM rollback_summaries s
  LEFT JOIN rollback_windows w
    ON w.team = s.team AND w.host = s.host AND w.run = s.run AND w.window_name = 'immediate'
  WHERE s.mode = 'live' AND s.outcome = 'completed' AND s.ended IS NOT NULL
  ON CONFLICT DO NOTHING;
INSERT INTO rollback_restore_seconds (team, plan, validated, second, n)
  SELECT team, plan, validated, second, count(*) FROM (
    SELECT team, plan, false AS validated, to_end_ms / 1000 AS second FROM rollback_restores
    UNION ALL
    SELECT team, plan, true, to_ok_ms / 1000 FROM rollback_restores WHERE to_ok_ms IS NOT NULL) x
  GROUP BY 1, 2, 3, 4
  ON CONFLICT (team, plan, validated, second)
    DO UPDATE SET n = rollback_restore_seconds.n + excluded.n;
SQL
# What autovacuum does to tables that only grow, at once: statistics and the visibility map.
sql -c "VACUUM ANALYZE"
e=$(date +%s)
echo "generated $RUNS runs, $((RUNS * RECORDS)) records in the database: $((e - s)) s; $(sql -c "SELECT pg_size_pretty(pg_database_size('postgres'))")"

/usr/bin/time -v "$BIN" stats --store "$URL" --include-drills >"$WORK/out.txt" 2>"$WORK/time.txt" || true
wall=$(grep 'Elapsed (wall clock)' "$WORK/time.txt" | awk '{print $NF}')
rss=$(grep 'Maximum resident set size' "$WORK/time.txt" | awk '{print $NF}')
head -1 "$WORK/out.txt"
secs=$(echo "$wall" | awk -F: '{ if (NF == 2) print $1 * 60 + $2; else print $1 }')
warm=$(best "$BIN" stats --store "$URL" --include-drills)
base=$(best psql -qAtX -h 127.0.0.1 -p "$port" -U admin postgres -c "SELECT count(*) FROM rollback_summaries")
check "$secs" 2; t=$VERDICT
check "$((rss / 1024))" 50; m=$VERDICT
echo "stats --store, $RUNS runs: first $secs s ($t, goal <= 2 s), warm best of $REPEAT $warm s, max RSS $((rss / 1024)) MB ($m, goal <= 50 MB); baseline psql count(*) $base s"
rplan="$WORK/plan-7.yaml"
sed 's/^plan: base$/plan: plan-7\nteam: team_7/' tests/plans/base.yaml >"$rplan"
sed -i 's/^level: 3$/level: 2/' "$rplan"
ready=$(best "$BIN" ready "$rplan" --store "$URL")
"$BIN" ready "$rplan" --store "$URL" | head -1
check "$ready" 0.2; v=$VERDICT
echo "ready --store, $RUNS runs in the store: best of $REPEAT $ready s (goal <= 0.2 s: $v)"
exit $FAILED
