#!/usr/bin/env bash
# The TUI open for 30 s with the SLA ticking and nothing running (waiting at an approval
# gate): CPU time it consumes, from /proc. Goal: <= 0.2% of a core.
. "$(dirname "$0")/common.sh"
SECS=${SECS:-30}
s="rollback-idle-$$"
trap 'tmux kill-session -t "$s" 2>/dev/null; rm -rf "$WORK"' EXIT
tmux new-session -d -s "$s" -x 80 -y 24 "env ROLLBACK_RUNS_DIR=$ROLLBACK_RUNS_DIR $BIN drill plans/demo.yaml --speed 50 --var version=1; sleep 600"
wait_screen "$s" "Your name"
tmux send-keys -t "$s" Enter Enter Enter
wait_screen "$s" "Approval gate"
pid=$(pgrep -n -f "$BIN drill plans/demo.yaml")
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
a=$(ticks); sleep "$SECS"; b=$(ticks)
cpu=$(echo "scale=4; ($b - $a) / $hz" | bc)
pct=$(echo "scale=3; 100 * $cpu / $SECS" | bc)
echo "idle TUI for ${SECS}s: ${cpu}s of CPU = ${pct}% of a core (goal <= 0.2%)"
