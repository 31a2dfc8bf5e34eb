#!/usr/bin/env bash
# `rollback follow --headless`: latency from a record's write (its `ts`) to its line on the
# follower's stdout, over a run of $STEPS steps 0.2 s apart; then the follower's CPU while
# the run it follows sits in one long step for $SECS s (exact, from schedstat) and its
# peak RSS. Goal: latency <= 200 ms, idle <= 0.2% of a core.
. "$(dirname "$0")/common.sh"
STEPS=${STEPS:-20}
SECS=${SECS:-20}
plan="$WORK/follow.yaml"
{
  printf 'plan: follow\ntitle: Follow bench\nlevel: 2\noperation: application\nautomation: full\n'
  printf 'vars:\n  gate: {}\nphases:\n  - id: capture\n    steps:\n      - {id: gate, run: %s}\n' \
    "'while [ ! -e \"\$gate\" ]; do sleep 0.05; done'"
  printf '  - id: execute\n    steps:\n'
  for i in $(seq "$STEPS"); do printf '      - {id: s%s, run: sleep 0.2}\n' "$i"; done
  printf '  - id: verify\n    steps:\n      - {id: ok, check: "true"}\n'
} > "$plan"
run=""; follow=""
trap '[ -z "$run" ] || kill "$run" 2>/dev/null || true; [ -z "$follow" ] || kill "$follow" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# Idle: the run waits on its gate while the follower watches.
"$BIN" run "$plan" --headless --var gate="$WORK/go" >/dev/null 2>&1 &
run=$!
for _ in $(seq 500); do [ -n "$(ls "$ROLLBACK_RUNS_DIR" 2>/dev/null)" ] && break; sleep 0.01; done
id=$(ls "$ROLLBACK_RUNS_DIR")
# Each line stamped with the wall clock (ms) as it arrives.
"$BIN" follow "$id" --headless | python3 -u -c '
import sys, time
for line in sys.stdin:
    print(int(time.time() * 1000), line, end="", flush=True)
' >"$WORK/lines" &
for _ in $(seq 500); do grep -q "capture.gate started" "$WORK/lines" 2>/dev/null && break; sleep 0.01; done
follow=$(pgrep -f "rollback follow $id" | head -1)
ns() { cat /proc/"$follow"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {print s}'; }
na=$(ns); sleep "$SECS"; nb=$(ns)
idle=$(echo "scale=3; 100 * ($nb - $na) / 1000000000 / $SECS" | bc)
rss=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$follow/status")

# Latency: release the gate; every record from then on is timed.
touch "$WORK/go"
wait "$run" || true
for _ in $(seq 1000); do grep -q "the run ended" "$WORK/lines" && break; sleep 0.01; done
python3 - "$ROLLBACK_RUNS_DIR/$id/timeline.jsonl" "$WORK/lines" "$idle" "$SECS" "$rss" <<'PY'
import datetime, json, sys
tl, lines, idle, secs, rss = sys.argv[1:]
ts = lambda r: datetime.datetime.fromisoformat(r["ts"].replace("Z", "+00:00")).timestamp() * 1000
records = [json.loads(l) for l in open(tl)]
arrived = [int(l.split(" ", 1)[0]) for l in open(lines)][1:1 + len(records)]
# Records after the gate opened: the first one after `capture.gate` started.
gate = next(i for i, r in enumerate(records) if r["type"] == "step_finished")
lat = sorted(a - ts(r) for r, a in zip(records[gate:], arrived[gate:]))
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"follow latency, {len(lat)} records: median {p(0.5):.0f} ms, p95 {p(0.95):.0f} ms, max {lat[-1]:.0f} ms (goal <= 200 ms)")
print(f"follow idle for {secs}s: {idle}% of a core by schedstat (goal <= 0.2%), peak RSS {rss} MB")
PY
