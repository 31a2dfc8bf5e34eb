#!/usr/bin/env bash
# `rollback stats` over N recorded runs (default 10000, made by bench/gen-runs.sh), each run's
# whole hash chain verified up to its seal: wall time and peak RSS of one cold process (page
# cache dropped when permitted), then the best of $REPEAT warm runs, text and --json, against
# a baseline measured in the same run: sha256sum of every timeline (the least any check of
# the chains must do). Goal: <= 2 s cold and <= 50 MB RSS.
. "$(dirname "$0")/common.sh"
N=${N:-10000}
bench/gen-runs.sh "$WORK/runs" "$N"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "machine: $(nproc) cores, $cpu; $(uname -sr)"

sync
if echo 3 2>/dev/null >/proc/sys/vm/drop_caches; then
  cache="page cache dropped"
else
  cache="page cache not dropped (not permitted here): the runs were just written"
fi
/usr/bin/time -v "$BIN" stats "$WORK/runs" >"$WORK/out.txt" 2>"$WORK/time.txt" || true
wall=$(grep 'Elapsed (wall clock)' "$WORK/time.txt" | awk '{print $NF}')
rss=$(grep 'Maximum resident set size' "$WORK/time.txt" | awk '{print $NF}')
head -2 "$WORK/out.txt"
echo "stats, $N runs, first process ($cache): wall $wall, max RSS $((rss / 1024)) MB"
echo "stats, $N runs, warm, best of $REPEAT: $(best "$BIN" stats "$WORK/runs") s"
echo "stats --json, $N runs, warm, best of $REPEAT: $(best "$BIN" stats "$WORK/runs" --json) s"
# Baseline: hashing every timeline's bytes once, one process per 1000 files.
hash_all() { find "$WORK/runs" -name timeline.jsonl -print0 | xargs -0 -n 1000 sha256sum >/dev/null; }
export -f hash_all 2>/dev/null || true
base=$(best bash -c "$(declare -f hash_all); WORK='$WORK' hash_all")
warm=$(best "$BIN" stats "$WORK/runs")
echo "baseline, sha256sum of every timeline, warm, best of $REPEAT: $base s; stats/baseline $(ratio "$warm" "$base")"
secs=$(echo "$wall" | awk -F: '{ if (NF == 2) print $1 * 60 + $2; else print $1 }')
check "$secs" 2; t=$VERDICT
check "$((rss / 1024))" 50; m=$VERDICT
echo "goal: <= 2 s cold ($t), <= 50 MB RSS ($m)"
exit $FAILED
