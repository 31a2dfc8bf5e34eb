#!/usr/bin/env bash
# `rollback dashboard` over N recorded runs (default 10000, made by bench/gen-runs.sh) in a
# tmux terminal: time from start to the first full frame (the runs counted on screen), and
# the peak RSS of the process. Goal: <= 2 s and <= 50 MB RSS.
. "$(dirname "$0")/common.sh"
N=${N:-10000}
bench/gen-runs.sh "$WORK/runs" "$N"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
echo "machine: $(nproc) cores, $cpu; $(uname -sr)"
session="rollback-dashboard-bench-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$WORK"' EXIT
sync
if echo 3 2>/dev/null >/proc/sys/vm/drop_caches; then cache="page cache dropped"; else
  cache="page cache not dropped (not permitted here): the runs were just written"; fi
for round in first warm; do
  s=$(date +%s.%N)
  tmux new-session -d -s "$session" -x 120 -y 40 "$BIN dashboard $WORK/runs; sleep 600"
  wait_screen "$session" "runs counted"
  e=$(date +%s.%N)
  pid=$(pgrep -f "^$BIN dashboard $WORK/runs" | head -1)
  rss=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
  [ "$round" = first ] && tmux capture-pane -p -t "$session" | head -3
  tmux kill-session -t "$session"
  [ "$round" = first ] && how="$cache" || how="runs in the page cache"
  echo "dashboard, $N runs, $round process ($how): first frame $(printf '%.3f' "$(echo "$e - $s" | bc -l)") s, peak RSS $rss MB"
done
echo "goal: <= 2 s, <= 50 MB RSS"
