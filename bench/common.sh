# Shared by the bench scripts: the release binary, a scratch directory, a timer.
set -eu
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN="$PWD/target/release/rollback"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export ROLLBACK_RUNS_DIR="$WORK/runs"

# Seconds (with ms) a command takes, best of $REPEAT runs.
REPEAT=${REPEAT:-3}
best() {
  best_t=""
  for _ in $(seq "$REPEAT"); do
    s=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$best_t" ] || [ "$(echo "$t < $best_t" | bc -l)" = 1 ]; then best_t=$t; fi
  done
  printf '%.3f' "$best_t"
}

ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
