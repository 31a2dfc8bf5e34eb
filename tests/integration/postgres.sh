#!/usr/bin/env bash
# Reverses a real PostgreSQL migration with plans/database-migration.yaml, unchanged, in its
# database-only scenario (the full plan also scales a Kubernetes deployment): a private cluster
# on a free loopback port with password authentication and a streaming replica, the connection
# given the way an operator's shell gives it (PG* exported, read through the plan's `env: true`
# variables). Checks: the schema version is the target and clean, the migration's column, index
# and table are gone, the row counts of the surviving tables are unchanged, the dropped table's
# data is in the run's dump, the password is in no record, the operator's checkout is
# untouched. Then the validation windows, as `rollback watch --validate RUN` runs them after
# the headless run: the schema check and replica-lag ask the real cluster, the Prometheus
# triggers a real Prometheus on loopback (scraping a stand-in for the application's metrics);
# each gives a passing sample in the immediate window, the watch is left with SIGTERM, and
# `rollback verify` passes.
#
#   tests/integration/postgres.sh  (needs PostgreSQL's initdb/pg_ctl/pg_basebackup, psql,
#                                   pg_dump, prometheus, python3, jq)
set -euo pipefail
. "$(dirname "$0")/common.sh"

# The server binaries' own directory (an initdb on PATH may be a link to it).
initdb=$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -n 1 || true)
pgbin=$(dirname "$(readlink -f "${initdb:-/nonexistent}")")
[ -x "$pgbin/initdb" ] && [ -x "$pgbin/pg_ctl" ] && [ -x "$pgbin/pg_basebackup" ] ||
  fail "PostgreSQL not found (initdb, pg_ctl, pg_basebackup): apt-get install -y postgresql"
for t in psql pg_dump pg_restore jq git curl python3; do
  command -v "$t" >/dev/null || fail "$t not found"
done
need_bin

tmp=$(mktemp -d)
chmod 755 "$tmp"
pgdata=$tmp/pg
as_pg() { "$@"; }
if [ "$(id -u)" = 0 ]; then # postgres refuses to run as root
  id postgres >/dev/null 2>&1 || fail "running as root and there is no postgres user"
  as_pg() { runuser -u postgres -- "$@"; }
fi
standby=$tmp/standby
cleanup() {
  stop_started
  as_pg "$pgbin/pg_ctl" -D "$standby" -m immediate stop >/dev/null 2>&1 || true
  as_pg "$pgbin/pg_ctl" -D "$pgdata" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# ------------------------------------------------------ Prometheus, started first
# A real Prometheus scraping a stand-in for orders-api's metrics: requests (0.5% of them
# 5xx) and records (none invalid), counters growing at a steady rate.
cat >"$tmp/orders-api.py" <<'PY'
import http.server, sys, time
START = time.time()
RATES = [('http_requests_total{code="200"}', 40.0), ('http_requests_total{code="500"}', 0.2),
         ("records_processed_total", 10.0), ("records_invalid_total", 0.0)]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        t = time.time() - START
        body = "".join(f"{m} {r * t:.3f}\n" for m, r in RATES).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
app_port=$(free_port)
python3 "$tmp/orders-api.py" "$app_port" &
started+=("$!")
start_prometheus "$tmp/prometheus" "  - {job_name: orders-api, static_configs: [{targets: ['127.0.0.1:$app_port']}]}"

# ------------------------------------------------------------------ a private cluster
port=$(free_port)
password="it-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
mkdir -p "$pgdata" "$tmp/sock"
printf '%s\n' "$password" >"$tmp/pwfile"
[ "$(id -u)" != 0 ] || chown postgres "$pgdata" "$tmp/sock" "$tmp/pwfile"
as_pg "$pgbin/initdb" -D "$pgdata" -U migrator --pwfile="$tmp/pwfile" \
  --auth=scram-sha-256 >"$tmp/initdb.log" 2>&1 || fail "initdb: $(tail -n 5 "$tmp/initdb.log")"
as_pg "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/pg.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $tmp/sock" start >/dev/null ||
  fail "PostgreSQL did not start: $(tail -n 5 "$pgdata/pg.log")"

export PGHOST=127.0.0.1 PGPORT=$port PGUSER=migrator PGPASSWORD=$password PGSSLMODE=disable
export ROLLBACK_RUNS_DIR=$tmp/runs
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'CREATE DATABASE checkout' >/dev/null
export PGDATABASE=checkout
q() { psql -X -A -t -v ON_ERROR_STOP=1 -c "$1"; }

# A streaming replica: the plan's replica-lag trigger asks the primary about it.
mkdir -m 700 "$standby"
[ "$(id -u)" != 0 ] || chown postgres "$standby"
as_pg "$pgbin/pg_basebackup" -h 127.0.0.1 -p "$port" -U migrator -D "$standby" -R -X stream -c fast \
  >"$tmp/basebackup.log" 2>&1 || fail "pg_basebackup: $(tail -n 5 "$tmp/basebackup.log")"
as_pg "$pgbin/pg_ctl" -D "$standby" -l "$standby/pg.log" -w -t 30 \
  -o "-c listen_addresses=127.0.0.1 -p $(free_port) -k $tmp/sock" start >/dev/null ||
  fail "the replica did not start: $(tail -n 5 "$standby/pg.log")"
streaming() { [ "$(q "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 1 ]; }
wait_for "the replica to stream" 30 streaming

wait_for "Prometheus to have two scrapes of orders-api" 30 \
  prom_has 'sum(rate(http_requests_total{job="orders-api"}[5m]))'
ok "a streaming replica, and Prometheus scraping orders-api, on loopback"

# ------------------------------------- the schema at the bad version, with data in every table
psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE TABLE schema_migrations (version bigint NOT NULL, dirty boolean NOT NULL);
INSERT INTO schema_migrations VALUES (20251125140000, false);
CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int REFERENCES customers, total numeric);
CREATE TABLE order_items (id serial PRIMARY KEY, order_id int REFERENCES orders, sku text);
CREATE TABLE payments (id serial PRIMARY KEY, order_id int REFERENCES orders, amount numeric);
INSERT INTO customers (name) SELECT 'c' || g FROM generate_series(1, 300) g;
INSERT INTO orders (customer_id, total) SELECT 1 + g % 300, g FROM generate_series(1, 1200) g;
INSERT INTO order_items (order_id, sku) SELECT 1 + g % 1200, 's' || g FROM generate_series(1, 3100) g;
INSERT INTO payments (order_id, amount) SELECT g, g FROM generate_series(1, 1150) g;
-- the migration being reversed: 20251209093000
ALTER TABLE orders ADD COLUMN discount_code text;
CREATE INDEX orders_discount_code_idx ON orders (discount_code);
CREATE TABLE order_discounts (order_id int REFERENCES orders, code text, percent int);
INSERT INTO order_discounts SELECT g, 'WINTER', 10 FROM generate_series(1, 40) g;
UPDATE orders SET discount_code = 'WINTER' WHERE id <= 40;
UPDATE schema_migrations SET version = 20251209093000;
SQL

# The operator's checkout of the application, holding the down script.
app=$tmp/app
mkdir -p "$app/migrations"
cat >"$app/migrations/20251209093000_discounts.down.sql" <<'SQL'
DROP INDEX IF EXISTS orders_discount_code_idx;
ALTER TABLE orders DROP COLUMN IF EXISTS discount_code;
DROP TABLE IF EXISTS order_discounts;
SQL
git -C "$app" init -q
git -C "$app" add -A
git -C "$app" -c user.name=it -c user.email=it@example.com commit -qm migrations
before=$(checkout_digest "$app")

counts() {
  local t
  for t in orders order_items payments customers; do
    printf '%s %s\n' "$t" "$(q "SELECT count(*) FROM $t")"
  done
}
counts_before=$(counts)

# ------------------------------------------------------------------------ the rollback
# Headless, the command ends with the rollback; the windows are watched below.
"$bin" run "$repo/plans/database-migration.yaml" --headless -v --scenario database-only \
  --approve-as it-dba --confirm-manual \
  --var target_version=20251125140000 --var "prometheus_url=$prom_url" \
  --var "down_sql=$app/migrations/20251209093000_discounts.down.sql" >"$tmp/run.out" 2>&1 ||
  fail "the rollback failed: $(tail -n 40 "$tmp/run.out")"
run=$(last_run)
ok "database-only rollback completed"

# ------------------------------------------------------------------------ the end state
[ "$(q 'SELECT version, dirty FROM schema_migrations')" = "20251125140000|f" ] ||
  fail "schema_migrations is $(q 'SELECT version, dirty FROM schema_migrations')"
ok "schema_migrations is 20251125140000, clean"
[ "$(q "SELECT count(*) FROM information_schema.columns
        WHERE table_name = 'orders' AND column_name = 'discount_code'")" = 0 ] ||
  fail "orders.discount_code is still there"
[ -z "$(q "SELECT to_regclass('order_discounts')")" ] || fail "order_discounts is still there"
[ -z "$(q "SELECT to_regclass('orders_discount_code_idx')")" ] || fail "the index is still there"
ok "the migration's column, index and table are gone"
[ "$(counts)" = "$counts_before" ] || fail "row counts changed: $(counts) vs $counts_before"
ok "row counts unchanged: $(echo $counts_before)"
pg_restore --list "$run/tables-before.dump" | grep -q 'TABLE DATA public order_discounts' ||
  fail "the dump of the dropped table is missing"
ok "the dropped table's data is in tables-before.dump"
jq -se '.[0] | .var_sources | any(. == ["PGPASSWORD", "environment"])
        and any(. == ["PGPORT", "environment"])' "$run/timeline.jsonl" >/dev/null ||
  fail "the connection was not taken from the environment"
! grep -rqF "$password" "$run" || fail "the password is written in the run directory"
ok "the connection came from the environment; the password is in no record"
[ "$(checkout_digest "$app")" = "$before" ] || fail "the operator's checkout changed"
ok "the operator's checkout is untouched"

# ------------------------------------------------------------ the validation windows
grep -q "rollback watch --validate $(basename "$run")" "$tmp/run.out" ||
  fail "the run did not say how its windows go on: $(tail -n 5 "$tmp/run.out")"
start_validation "$run"
wait_passing "$run" 60 "Schema still at the target version" orders-errors replica-lag rejected-writes
lag=$(jq -sr 'map(select(.source == "replica-lag" and .outcome == "success")) | first | .value' \
  "$run/validation.jsonl")
ok "immediate window: the schema check, replica-lag (${lag}s) and the Prometheus triggers pass"
leave_validation "$run"
ok "the watch left with SIGTERM, recorded"
# Without a replica in sight the trigger is blind, never healthy.
as_pg "$pgbin/pg_ctl" -D "$standby" -m fast stop >/dev/null
gone() { ! streaming; }
wait_for "the replica to be gone" 30 gone
"$bin" probe --json "$repo/plans/database-migration.yaml" replica-lag >"$tmp/probe.json" || true
jq -e '.outcome == "error" and (.message | contains("no replica streams"))' "$tmp/probe.json" \
  >/dev/null || fail "replica-lag without a replica: $(cat "$tmp/probe.json")"
ok "with the replica stopped, replica-lag is an error sample (no data), not a pass"
verify_run "$run"
echo "PostgreSQL integration: all checks passed ($("$pgbin/postgres" --version))"
