#!/usr/bin/env bash
# One step printing 10^6 lines with the TUI open in tmux, against the same run headless:
# the step's time (from the timeline) and the process's peak RSS. Goals: within 2x of
# headless, RSS <= 30 MB.
. "$(dirname "$0")/common.sh"
N=${LINES_OUT:-1000000}
s="rollback-stream-$$"
trap 'tmux kill-session -t "$s" 2>/dev/null; rm -rf "$WORK"' EXIT
plan="$WORK/stream.yaml"
printf 'plan: stream\ntitle: stream\nlevel: 2\noperation: application\nautomation: full\nphases:\n  - id: capture\n    steps:\n      - {id: seq, run: "seq %s"}\n  - id: verify\n    steps:\n      - {id: ok, check: "true"}\n' "$N" > "$plan"

/usr/bin/time -v -o "$WORK/headless.txt" "$BIN" run "$plan" --headless >/dev/null
h_ms=$(run_ms)
h_rss=$(awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}' "$WORK/headless.txt")

tmux new-session -d -s "$s" -x 160 -y 48 "env ROLLBACK_RUNS_DIR=$ROLLBACK_RUNS_DIR /usr/bin/time -v -o $WORK/tui.txt $BIN run $plan; sleep 600"
wait_screen "$s" "Your name"
tmux send-keys -t "$s" Enter
wait_screen "$s" "Run completed"
tmux send-keys -t "$s" q
for _ in $(seq 500); do [ -s "$WORK/tui.txt" ] && break; sleep 0.01; done
t_ms=$(run_ms)
t_rss=$(awk -F: '/Maximum resident/ {gsub(/ /,"",$2); print $2}' "$WORK/tui.txt")
echo "$N lines, run start to end:"
echo "  headless: ${h_ms} ms, peak RSS $(echo "scale=1; $h_rss/1024" | bc) MB"
echo "  TUI:      ${t_ms} ms, peak RSS $(echo "scale=1; $t_rss/1024" | bc) MB  (ratio $(ratio "$t_ms" "$h_ms"), goal <= 2; RSS goal <= 30 MB)"
