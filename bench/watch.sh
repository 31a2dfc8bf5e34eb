#!/usr/bin/env bash
# `rollback watch --headless` with 20 triggers sampled every second for $SECS s, against a
# local HTTP server (python3): CPU time and peak memory of the watch itself, from /proc.
# Goal: <= 1% of one core and <= 20 MB RSS. KIND=command samples `echo` commands instead
# (their processes' CPU is counted too: cutime + cstime).
. "$(dirname "$0")/common.sh"
SECS=${SECS:-30}
N=${TRIGGERS:-20}
KIND=${KIND:-http}
echo '{"ratio": 0.01}' > "$WORK/metric.json"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$WORK" >/dev/null 2>&1 &
server=$!
watch=""
trap 'kill "$server" 2>/dev/null || true; [ -z "$watch" ] || kill "$watch" 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 500); do curl -fsS "http://127.0.0.1:$port/metric.json" >/dev/null 2>&1 && break; sleep 0.01; done

plan="$WORK/watch.yaml"
{
  sed -n '1,/^triggers:/p' tests/plans/base.yaml
  for i in $(seq "$N"); do
    if [ "$KIND" = command ]; then
      printf '  - {name: t%s, command: "echo 0.01", interval: 1s, condition: "result > 0.5"}\n' "$i"
    else
      printf "  - {name: t%s, http: {url: 'http://127.0.0.1:%s/metric.json', jsonpath: \$.ratio}, interval: 1s, condition: 'result > 0.5'}\n" "$i" "$port"
    fi
  done
} > "$plan"

"$BIN" watch --headless "$plan" >"$WORK/out" 2>&1 &
watch=$!
for _ in $(seq 500); do [ "$(grep -c healthy "$WORK/out" 2>/dev/null)" -ge "$N" ] && break; sleep 0.01; done
ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$watch/stat"; }
hz=$(getconf CLK_TCK)
# Nanoseconds on a CPU, summed over the watch's threads: exact, where the ticks of
# /proc/PID/stat are sampled every 10 ms and can miss or double-count short bursts.
ns() { cat /proc/"$watch"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {print s}'; }
a=$(ticks); na=$(ns); sleep "$SECS"; b=$(ticks); nb=$(ns)
cpu=$(echo "scale=4; ($b - $a) / $hz" | bc)
exact=$(echo "scale=3; 100 * ($nb - $na) / 1000000000 / $SECS" | bc)
pct=$(echo "scale=3; 100 * $cpu / $SECS" | bc)
rss=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$watch/status")
kill -TERM "$watch"; wait "$watch" || true
check "$exact" 1; cpu_verdict=$VERDICT
check "$rss" 20; rss_verdict=$VERDICT
echo "watch, $N $KIND triggers at 1s for ${SECS}s: ${cpu}s of CPU = ${pct}% of a core by ticks, ${exact}% by schedstat (goal <= 1%: $cpu_verdict), peak RSS ${rss} MB (goal <= 20 MB: $rss_verdict)"
exit "$FAILED"
