#!/usr/bin/env bash
# `rollback stats` over N recorded runs (default 10000, made by bench/gen-runs.sh): wall
# time and peak RSS of one cold process (page cache dropped when permitted), then the best
# of $REPEAT warm runs, text and --json. Goal: <= 2 s cold and <= 50 MB RSS.
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
echo "goal: <= 2 s cold, <= 50 MB RSS"
