#!/usr/bin/env bash
# The TUI open while nothing changes, for $SECS seconds each: (1) waiting at an approval gate
# with the SLA ticking, (2) while a long step sleeps (spinner, SLA clock, the step's log
# watched, once its first seconds are over). CPU time and wake-ups (context switches of all
# the process's threads) from /proc.
# Goals: <= 0.2% of a core and <= 10 wake-ups a second. Prints PASS/FAIL; exits 1 on a FAIL.
. "$(dirname "$0")/common.sh"
SECS=${SECS:-30}
s="rollback-idle-$$"
s2="$s-step"
trap 'tmux kill-session -t "$s" 2>/dev/null || true; tmux kill-session -t "$s2" 2>/dev/null || true; rm -rf "$WORK"' EXIT
hz=$(getconf CLK_TCK)

# CPU ticks and context switches of process $1, all threads.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
switches() {
  cat /proc/"$1"/task/*/status 2>/dev/null |
    awk '/^(voluntary|nonvoluntary)_ctxt_switches/ {n += $2} END {print n}'
}

# Measures process $2 for $SECS seconds and prints the line for case $1.
measure() {
  a=$(cpu_ticks "$2"); wa=$(switches "$2")
  sleep "$SECS"
  b=$(cpu_ticks "$2"); wb=$(switches "$2")
  cpu=$(echo "scale=4; ($b - $a) / $hz" | bc)
  pct=$(echo "scale=3; 100 * $cpu / $SECS" | bc)
  wps=$(echo "scale=1; ($wb - $wa) / $SECS" | bc)
  check "$pct" 0.2
  cpu_verdict=$VERDICT
  check "$wps" 10
  echo "$1 for ${SECS}s: ${cpu}s of CPU = ${pct}% of a core (goal <= 0.2%) $cpu_verdict," \
    "${wps} wake-ups/s (goal <= 10) $VERDICT"
}

tmux new-session -d -s "$s" -x 80 -y 24 "env ROLLBACK_RUNS_DIR=$ROLLBACK_RUNS_DIR $BIN drill plans/demo.yaml --speed 50 --var version=1; sleep 600"
wait_screen "$s" "Your name"
tmux send-keys -t "$s" Enter Enter Enter
wait_screen "$s" "Approval gate"
measure "idle TUI at a gate" "$(pgrep -n -f "$BIN drill plans/demo.yaml")"

plan="$WORK/sleep.yaml"
printf 'plan: sleepy\ntitle: A long quiet step\nlevel: 2\noperation: application\nautomation: full\nphases:\n  - id: capture\n    steps:\n      - {id: wait, run: "sleep %s"}\n  - id: verify\n    steps:\n      - {id: ok, check: "true"}\n' "$((SECS + 600))" > "$plan"
tmux new-session -d -s "$s2" -x 80 -y 24 "env ROLLBACK_RUNS_DIR=$ROLLBACK_RUNS_DIR $BIN run $plan; sleep 600"
tmux kill-session -t "$s"
wait_screen "$s2" "Your name"
tmux send-keys -t "$s2" Enter
wait_screen "$s2" "running"
# A step's first seconds have the spinner at full speed; measure the long quiet stretch.
sleep 4
pid=$(pgrep -n -f "$BIN run $plan")
measure "TUI while a step sleeps" "$pid"
# Stop the step and leave, so no sleep outlives the script.
tmux send-keys -t "$s2" q 3
for _ in $(seq 500); do kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
exit "$FAILED"
