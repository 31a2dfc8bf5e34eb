# Shared by the integration scripts: the binary, a private temp dir, waiting with a deadline,
# and a free loopback port. Sourced, not run.

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=${ROLLBACK_BIN:-$repo/target/debug/rollback}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

ok() {
  echo "ok: $*"
}

need_bin() {
  if [ ! -x "$bin" ]; then
    (cd "$repo" && cargo build -q) || fail "cannot build rollback"
  fi
}

# wait_for WHAT SECONDS COMMAND...: runs COMMAND until it succeeds or SECONDS pass.
wait_for() {
  local what=$1 limit=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || fail "timed out waiting for $what"
    sleep 0.2
  done
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The run directory under $ROLLBACK_RUNS_DIR changed last.
last_run() {
  ls -1dt "$ROLLBACK_RUNS_DIR"/*/ | head -n 1 | sed 's:/$::'
}

# A digest of a checkout's files and git state (HEAD, branch, status), .git itself excluded.
checkout_digest() {
  local dir=$1
  {
    git -C "$dir" rev-parse HEAD
    git -C "$dir" symbolic-ref -q HEAD || true
    git -C "$dir" status --porcelain --ignored
    (cd "$dir" && find . -path ./.git -prune -o -type f -print0 | sort -z | xargs -0 sha256sum)
  } | sha256sum
}

# rollback verify RUN must pass.
verify_run() {
  local run=$1 out
  out=$("$bin" verify "$run" 2>&1) || fail "rollback verify $run: $out"
  ok "rollback verify: $(echo "$out" | head -n 1)"
}

# Background processes a script started (servers, watches): stop_started kills them all.
started=()
stop_started() {
  local pid
  for pid in "${started[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

# start_prometheus DIR SCRAPE_CONFIGS: a Prometheus of the script's own on a free loopback
# port, scraping every second (SCRAPE_CONFIGS: the YAML list under `scrape_configs:`). Sets
# prom_url.
start_prometheus() {
  local dir=$1 port
  command -v prometheus >/dev/null ||
    fail "prometheus not found: apt-get install -y prometheus (the plans' triggers ask one)"
  port=$(free_port)
  mkdir -p "$dir"
  printf 'global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n%s\n' \
    "$2" >"$dir/prometheus.yml"
  prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
    --web.listen-address="127.0.0.1:$port" >"$dir/log" 2>&1 &
  started+=("$!")
  prom_url=http://127.0.0.1:$port
  wait_for "Prometheus on $prom_url: $(tail -n 3 "$dir/log")" 30 curl -fsS "$prom_url/-/ready"
}

# prom_has QUERY: Prometheus answers the query with at least one series.
prom_has() {
  curl -fsS --get --data-urlencode "query=$1" "$prom_url/api/v1/query" |
    jq -e '.data.result | length > 0'
}

# start_validation RUN: `rollback watch --validate RUN` in the background, as an operator
# would start it after a headless run; its output in $tmp/validate.out. Sets watch_pid.
start_validation() {
  "$bin" watch --validate "$1" >"$tmp/validate.out" 2>&1 &
  watch_pid=$!
  started+=("$watch_pid")
}

# wait_passing RUN SECONDS SOURCE...: waits until each SOURCE (a check's title or a trigger's
# name) has a passing sample in RUN's immediate window. Fails at once on a failed sample, a
# window that regressed, a source the validation does not sample, or a watch that ended;
# at the deadline, with the last sample of each source still waiting.
wait_passing() {
  local run=$1 limit=$2 f=$1/validation.jsonl names
  shift 2
  names=$(printf '%s\n' "$@" | jq -R . | jq -sc .)
  local deadline=$((SECONDS + limit))
  while :; do
    if [ -s "$f" ]; then
      local missing bad
      missing=$(jq -sr --argjson n "$names" '
        (map(select(.type == "validation_started")) | last | .sources // []) as $s
        | $n - $s | .[]' "$f")
      [ -z "$missing" ] || fail "the validation does not sample: $missing ($(jq -sc \
        'map(select(.type == "validation_started")) | last | .sources' "$f"))"
      bad=$(jq -sr '.[] | select(.type == "validation_sample" and .outcome == "failure"
                                or .type == "validation_window" and .verdict.state == "regressed")
                   | if .type == "validation_sample"
                     then "\(.source) failed in the \(.window) window: \(.message // .value)"
                     else "the \(.window) window regressed (\(.verdict.source))" end' "$f")
      [ -z "$bad" ] || fail "a validation source failed against the real system: $bad"
      if jq -se --argjson n "$names" '
           [.[] | select(.type == "validation_sample" and .window == "immediate"
                         and .outcome == "success") | .source] as $ok
           | all($n[]; . as $x | any($ok[]; . == $x))' "$f" >/dev/null; then
        return 0
      fi
    fi
    kill -0 "$watch_pid" 2>/dev/null ||
      fail "rollback watch --validate ended early: $(tail -n 20 "$tmp/validate.out")"
    if [ "$SECONDS" -ge "$deadline" ]; then
      fail "no passing sample within ${limit}s from: $(jq -sr --argjson n "$names" '
        map(select(.type == "validation_sample")) as $all
        | ($all | map(select(.outcome == "success") | .source)) as $ok
        | $n[] | select(. as $x | $ok | index([$x]) | not) as $x
        | ($all | map(select(.source == $x)) | last) as $l
        | "\($x): \(if $l then "\($l.outcome) \($l.message // $l.value)" else "not sampled" end)"
        ' "$f" 2>/dev/null)"
    fi
    sleep 0.5
  done
}

# leave_validation RUN: SIGTERM to the watch, as an operator leaving; it must exit 0 within
# 15 s having recorded the leaving, with the windows left to go on with.
leave_validation() {
  local run=$1 code=0
  kill -TERM "$watch_pid"
  wait_for "rollback watch --validate to exit after SIGTERM" 15 bash -c "! kill -0 $watch_pid"
  wait "$watch_pid" || code=$?
  [ "$code" = 0 ] || fail "rollback watch --validate exited $code: $(tail -n 20 "$tmp/validate.out")"
  grep -q "validation left with windows open" "$tmp/validate.out" ||
    fail "the watch did not say it left: $(tail -n 20 "$tmp/validate.out")"
  jq -se 'any(.[]; .type == "validation_left")' "$run/validation.jsonl" >/dev/null ||
    fail "the leaving is not recorded in validation.jsonl"
}
