#!/usr/bin/env bash
# Makes N recorded runs (default 10000) under DIR for `stats` benchmarks: a handful of real
# runs made by the release binary (rehearsals and live runs of the test plans, headless
# drills of every shipped plan, one run left unsealed), each copied N/seeds times under
# fresh run ids a minute apart. Usage: bench/gen-runs.sh DIR [N]
set -eu
cd "$(dirname "$0")/.."
DIR=${1:?usage: bench/gen-runs.sh DIR [N]}
N=${2:-10000}
cargo build --release --quiet
BIN="$PWD/target/release/rollback"
SEED=$(mktemp -d)
trap 'rm -rf "$SEED"' EXIT
export ROLLBACK_RUNS_DIR="$SEED"
A="--headless --approve-as ci --confirm-manual"
r() { "$BIN" "$@" >/dev/null; }
r rehearse tests/plans/base.yaml $A
r run tests/plans/base.yaml $A
r run tests/plans/slow.yaml $A
r rehearse tests/plans/slow.yaml $A
D="drill --speed 1000 $A"
r $D plans/demo.yaml --var version=41
r $D plans/kubernetes-deployment.yaml --var revision=41
r $D plans/terraform-infrastructure.yaml --var infra_dir=/srv/infra --var good_ref=v1.2.3
r $D plans/database-migration.yaml --var PGPASSWORD=drill-password --var target_version=1 --var down_sql=d.sql
r $D plans/n8n-workflow.yaml --var N8N_URL=https://n8n.example --var N8N_API_KEY=drill-api-key \
  --var workflow_id=42 --var previous_json=w.json
# A manual check nobody confirms: left, resumable, listed by `stats` as not counted.
"$BIN" run tests/plans/base.yaml --headless >/dev/null 2>&1 || true

python3 - "$SEED" "$DIR" "$N" <<'PY'
import os, shutil, sys, time
seed, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
runs = sorted(d for d in os.listdir(seed) if os.path.isdir(os.path.join(seed, d)))
os.makedirs(out, exist_ok=True)
start = time.time() - n * 60
for i in range(n):
    src = runs[i % len(runs)]
    plan = src[len("2026-01-01T00-00-00Z-"):]
    stamp = time.strftime("%Y-%m-%dT%H-%M-%SZ", time.gmtime(start + i * 60))
    shutil.copytree(os.path.join(seed, src), os.path.join(out, f"{stamp}-{plan}"))
print(f"{n} runs in {out} (copies of {len(runs)} real runs)")
PY
