# Shared by the bench scripts: the release binary, a scratch directory, a timer.
set -eu
cd "$(dirname "$0")/.."
# ROLLBACK_BIN measures another build (say, the one before a change) without building.
if [ -z "${ROLLBACK_BIN:-}" ]; then cargo build --release --quiet; fi
BIN="${ROLLBACK_BIN:-$PWD/target/release/rollback}"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export ROLLBACK_RUNS_DIR="$WORK/runs"

# Seconds (with ms) one run of a command takes.
once() {
  s=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  e=$(date +%s.%N)
  echo "$e - $s" | bc -l
}

# The smaller of two numbers (an empty first one loses).
min() { if [ -z "$1" ] || [ "$(echo "$2 < $1" | bc -l)" = 1 ]; then echo "$2"; else echo "$1"; fi; }

# Seconds (with ms) a command takes, best of $REPEAT runs.
REPEAT=${REPEAT:-3}
best() {
  best_t=""
  for _ in $(seq "$REPEAT"); do best_t=$(min "$best_t" "$(once "$@")"); done
  printf '%.3f' "$best_t"
}

# Sets $VERDICT to PASS or FAIL for `value <= goal`; a FAIL is remembered in $FAILED (call
# it directly, not in $(...), or the FAIL is lost with the subshell).
FAILED=0
check() {
  if [ "$(echo "$1 <= $2" | bc -l)" = 1 ]; then VERDICT=PASS; else VERDICT=FAIL; FAILED=1; fi
}

ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }

# tmux helpers: wait (with a deadline) for text on a session's screen.
wait_screen() {
  for _ in $(seq 3000); do
    tmux capture-pane -p -t "$1" 2>/dev/null | grep -q -- "$2" && return 0
    sleep 0.01
  done
  echo "timed out waiting for '$2' on $1" >&2
  tmux capture-pane -p -t "$1" >&2 || true
  return 1
}

# Milliseconds between the run_started and run_completed records of the newest run.
run_ms() {
  tl=$(ls -d "$ROLLBACK_RUNS_DIR"/*/ | sort | tail -1)timeline.jsonl
  python3 - "$tl" <<'PY'
import json, sys, datetime
recs = [json.loads(l) for l in open(sys.argv[1])]
t = lambda r: datetime.datetime.fromisoformat(r["ts"].replace("Z", "+00:00")).timestamp()
start = next(r for r in recs if r["type"] == "run_started")
end = next(r for r in recs if r["type"] == "run_completed")
print(round((t(end) - t(start)) * 1000))
PY
}
