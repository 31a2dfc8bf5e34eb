#!/usr/bin/env bash
# Rolls real terraform state back with plans/terraform-infrastructure.yaml, unchanged:
# terraform_data resources (built in, no provider download) in a local backend per region, an
# infrastructure repository with a good and a bad commit, regional HTTPS health endpoints on
# loopback that count what they answer, and a real Prometheus scraping those counts. Checks: a
# regional scenario rolls back its region only; the full plan rolls back both; after each,
# `terraform plan -detailed-exitcode` of the good ref shows no change in the rolled-back
# regions and the others' state is untouched; an empty state stops the run before the point
# of no return; the operator's checkout is untouched. After each rollback the validation
# windows run as `rollback watch --validate RUN` runs them: the endpoint check (of the run's
# regions only) and both Prometheus triggers give a passing sample in the immediate window,
# the watch is left with SIGTERM, and `rollback verify` passes.
#
#   tests/integration/terraform.sh   (needs terraform or tofu, git, jq, curl, python3,
#                                     openssl, prometheus)
set -euo pipefail
. "$(dirname "$0")/common.sh"

tf=$(command -v terraform || command -v tofu || true)
[ -n "$tf" ] || fail "terraform not found (nor tofu): install terraform >= 1.4 to run this"
for t in git jq curl python3 openssl; do
  command -v "$t" >/dev/null || fail "$t not found"
done
need_bin

tmp=$(mktemp -d)
cleanup() {
  stop_started
  rm -rf "$tmp"
}
trap cleanup EXIT

export ROLLBACK_RUNS_DIR=$tmp/runs
export TF_CLI_CONFIG_FILE=$tmp/terraformrc
export TF_IN_AUTOMATION=1
: >"$TF_CLI_CONFIG_FILE"
export GIT_AUTHOR_NAME=it GIT_AUTHOR_EMAIL=it@example.com
export GIT_COMMITTER_NAME=it GIT_COMMITTER_EMAIL=it@example.com
regions="eu-west-1 us-east-1"
state=$tmp/state
mkdir -p "$state"

# ---------------------------------------------------------------- the infrastructure repo
git init -q --bare "$tmp/origin.git"
git clone -q "$tmp/origin.git" "$tmp/infra" 2>/dev/null
infra=$tmp/infra
write_stack() { # write_stack STACK IDLE_TIMEOUT CERT EXTRA(yes|no)
  local stack=$1 idle=$2 cert=$3 extra=$4 r
  for r in $regions; do
    mkdir -p "$infra/$stack/$r"
    cat >"$infra/$stack/$r/main.tf" <<TF
terraform {
  backend "local" {
    path = "$state/${stack//\//-}-$r.tfstate"
  }
}

resource "terraform_data" "lb" {
  input = "edge-$r"
}

resource "terraform_data" "listener" {
  input = { idle_timeout = $idle, certificate = "$cert" }
}
TF
    if [ "$extra" = yes ]; then
      cat >>"$infra/$stack/$r/main.tf" <<TF

resource "terraform_data" "origin_tls" {
  input = "new-chain"
}
TF
    fi
  done
}
printf '.terraform/\n.terraform.lock.hcl\n' >"$infra/.gitignore"
write_stack live/prod/edge 60 a29c no
write_stack live/staging/edge 60 a29c no
git -C "$infra" add -A
git -C "$infra" commit -qm "edge: idle timeout 60s"
git -C "$infra" tag infra-good
write_stack live/prod/edge 120 7d1e yes
git -C "$infra" add -A
git -C "$infra" commit -qm "edge: idle timeout 120s, new origin TLS chain"
git -C "$infra" push -q origin HEAD:main --tags 2>/dev/null
git -C "$infra" remote set-head origin main >/dev/null

apply_here() { # the bad change as it was applied, from the operator's checkout
  local dir=$1
  "$tf" -chdir="$dir" init -input=false -no-color >/dev/null
  "$tf" -chdir="$dir" apply -input=false -auto-approve -no-color >/dev/null
}
for r in $regions; do
  apply_here "$infra/live/prod/edge/$r"
done
ok "bad change applied in $regions"

# ------------------------------------------------------------ regional HTTPS health endpoints
port=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=it \
  -addext "subjectAltName=DNS:eu-west-1.localhost,DNS:us-east-1.localhost" \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
cat >"$tmp/health.py" <<'PY'
# The regional edge endpoints: /healthz answers, /metrics counts every answer by status (the
# 5xx series is there at 0, as an instrumented server exports it), each /healthz request's
# Host is logged.
import http.server, ssl, sys, threading
counts = {"200": 0, "404": 0, "500": 0}
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/metrics":
            with lock:
                counts["200"] += 1
                body = "".join(f'http_requests_total{{code="{c}"}} {n}\n' for c, n in counts.items())
            self.answer(200, "text/plain; version=0.0.4", body.encode())
            return
        code = 200 if self.path == "/healthz" else 404
        with lock:
            counts[str(code)] += 1
            if code == 200:
                with open(sys.argv[4], "a") as log:
                    log.write(f"{self.headers.get('Host')} {self.path}\n")
        self.answer(code, "application/json", b'{"status":"ok"}\n')
    def answer(self, code, kind, body):
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
PY
requests=$tmp/requests.log
: >"$requests"
python3 "$tmp/health.py" "$port" "$tmp/cert.pem" "$tmp/key.pem" "$requests" &
started+=("$!")
export CURL_CA_BUNDLE=$tmp/cert.pem
wait_for "the health endpoint" 20 curl -fsS "https://eu-west-1.localhost:$port/healthz"
start_prometheus "$tmp/prometheus" "  - job_name: edge-lb
    scheme: https
    tls_config: {ca_file: '$tmp/cert.pem', server_name: eu-west-1.localhost}
    static_configs: [{targets: ['127.0.0.1:$port']}]"
wait_for "Prometheus to have two scrapes of edge-lb" 30 \
  prom_has 'sum(rate(http_requests_total{job="edge-lb"}[5m]))'
ok "regional health endpoints, and Prometheus scraping them, on loopback"

# ------------------------------------------------------------------------------ helpers
state_digest() { sha256sum "$state/live-prod-edge-$1.tfstate" | cut -d' ' -f1; }

# no_drift REGION: exit code of plan -detailed-exitcode of the good ref (0 none, 2 changes).
good=$tmp/good
git clone -q "$tmp/origin.git" "$good" 2>/dev/null
git -C "$good" checkout -q infra-good
no_drift() {
  local dir=$good/live/prod/edge/$1 code=0
  "$tf" -chdir="$dir" init -input=false -no-color >/dev/null
  "$tf" -chdir="$dir" plan -detailed-exitcode -input=false -no-color >/dev/null || code=$?
  echo "$code"
}

run_plan() { # run_plan ARGS...: the shipped plan, unchanged, headless: the command ends with
  # the rollback, and says how its windows go on
  "$bin" run "$repo/plans/terraform-infrastructure.yaml" --headless -v \
    --approve-as it-operator --confirm-manual --var "prometheus_url=$prom_url" \
    --var "infra_dir=$infra" --var good_ref=infra-good --var "api_domain=localhost:$port" "$@"
}

# validate_windows RUN OUT HOST...: the run's windows watched until the endpoint check and
# both triggers passed in the immediate window, then left; the check asked exactly HOSTs.
validate_windows() {
  local run=$1 out=$2 from
  shift 2
  grep -q "rollback watch --validate $(basename "$run")" "$out" ||
    fail "the run did not say how its windows go on: $(tail -n 5 "$out")"
  from=$(wc -l <"$requests")
  start_validation "$run"
  wait_passing "$run" 60 "The endpoints of the rolled-back regions answer" \
    edge-availability edge-errors
  leave_validation "$run"
  local asked want
  asked=$(tail -n +"$((from + 1))" "$requests" | cut -d' ' -f1 | sort -u | tr '\n' ' ')
  want=$(printf "%s:$port\n" "$@" | sort | tr '\n' ' ')
  [ "$asked" = "$want" ] || fail "the immediate check asked ${asked:-nobody}, not $want"
  ok "immediate window: the endpoints of ${*} and both triggers pass; the watch left with SIGTERM"
}

started() { # started RUN STEP: the step was started in the run
  jq -se --arg s "$2" 'any(.[]; .type == "step_started" and .step == $s)' \
    "$1/timeline.jsonl" >/dev/null
}

before=$(checkout_digest "$infra")
[ "$(no_drift eu-west-1)" = 2 ] || fail "the bad change is not visible in eu-west-1"

# ----------------------------------------------------- 1. an empty state stops before apply
if AWS_PROFILE=it-staging run_plan --var stack=live/staging/edge --scenario eu-west-1-only \
  >"$tmp/empty.out" 2>&1; then
  fail "a run against an empty state succeeded: $(cat "$tmp/empty.out")"
fi
run=$(last_run)
grep -q "no state, or a state without resources" "$tmp/empty.out" ||
  fail "the empty state was not named: $(cat "$tmp/empty.out")"
! started "$run" apply-eu-west-1.apply || fail "apply started on an empty state"
[ ! -e "$state/live-staging-edge-eu-west-1.tfstate" ] || fail "the empty stack got a state"
ok "an empty state stops the run in capture, before the point of no return"

# -------------------------------------------------------- 2. one region, by its scenario
us_before=$(state_digest us-east-1)
AWS_PROFILE=it-staging run_plan --scenario eu-west-1-only >"$tmp/eu.out" 2>&1 ||
  fail "the eu-west-1-only rollback failed: $(tail -n 40 "$tmp/eu.out")"
run=$(last_run)
[ "$(no_drift eu-west-1)" = 0 ] || fail "eu-west-1 still differs from the good ref"
[ "$(state_digest us-east-1)" = "$us_before" ] || fail "us-east-1's state changed"
[ "$(no_drift us-east-1)" = 2 ] || fail "us-east-1 lost the bad change it should still have"
grep -q "eu-west-1 HTTP 200" "$tmp/eu.out" || fail "validate.endpoints did not check eu-west-1"
! grep -q "us-east-1 HTTP" "$tmp/eu.out" || fail "validate.endpoints checked us-east-1"
jq -se '.[0] | .var_sources | any(. == ["AWS_PROFILE", "environment"])' \
  "$run/timeline.jsonl" >/dev/null || fail "AWS_PROFILE was not taken from the environment"
jq -se '.[0] | .vars | any(. == ["AWS_PROFILE", "it-staging"])' \
  "$run/timeline.jsonl" >/dev/null || fail "AWS_PROFILE is not the environment's value"
validate_windows "$run" "$tmp/eu.out" eu-west-1.localhost
verify_run "$run"
eu_run=$run
ok "eu-west-1-only: eu-west-1 matches the good ref, us-east-1 untouched"

# ------------------------------------------------------------- 3. the whole plan, both regions
run_plan >"$tmp/all.out" 2>&1 || fail "the full rollback failed: $(tail -n 40 "$tmp/all.out")"
run=$(last_run)
started "$run" apply-us-east-1.apply || fail "the full run did not apply us-east-1"
for r in $regions; do
  [ "$(no_drift "$r")" = 0 ] || fail "$r still differs from the good ref"
done
jq -e '.resources | map(.name) | index("origin_tls") | not' \
  "$state/live-prod-edge-us-east-1.tfstate" >/dev/null || fail "origin_tls survived in us-east-1"
validate_windows "$run" "$tmp/all.out" eu-west-1.localhost us-east-1.localhost
verify_run "$run"
ok "full plan: both regions match the good ref"

# ------------------------------------------------------------ the operator's checkout
[ "$(checkout_digest "$infra")" = "$before" ] || fail "the operator's checkout changed"
for r in "$eu_run" "$run"; do
  ! git -C "$infra" worktree list | grep -qF "$r/src" || fail "$r left its worktree behind"
done
ok "the operator's checkout is untouched"
echo "terraform integration: all checks passed ($("$tf" version | head -n 1))"
