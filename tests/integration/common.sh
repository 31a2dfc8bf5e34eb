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
