#!/usr/bin/env bash
# Restores an earlier version of a real n8n workflow with plans/n8n-workflow.yaml, unchanged:
# n8n from the npm registry (cached outside the checkout), SQLite, loopback only. Version A is
# saved the way the editor saves it, exported through the public API (with the settings the
# API refuses on update); version B is published over it; the plan puts A back while webhook
# calls keep arriving. Checks: a body the API would refuse stops the run before the point of
# no return with the workflow still running; the rollback completes; what runs (the published
# version) is A and answers as A; the operator's checkout is untouched. Then the validation
# windows, as `rollback watch --validate RUN` runs them after the headless run, with calls
# still arriving: both triggers (n8n's /healthz, and the workflow's executions through the
# API) give a passing sample in the immediate window, the watch is left with SIGTERM, and
# `rollback verify` passes.
#
#   tests/integration/n8n.sh     (needs node 20.19+ and npm, curl, jq; about 500 MB of npm
#                                 packages, installed once into $N8N_IT_CACHE)
set -euo pipefail
. "$(dirname "$0")/common.sh"

version=${N8N_IT_VERSION:-2.8.4}
cache=${N8N_IT_CACHE:-/var/cache/rollback-it/n8n}
for t in node npm curl jq git; do
  command -v "$t" >/dev/null || fail "$t not found"
done
need_bin

# ------------------------------------------------------------------ n8n, installed once
n8n=$cache/node_modules/.bin/n8n
if [ ! -x "$n8n" ] || ! grep -q "\"version\": \"$version\"" "$cache/node_modules/n8n/package.json"; then
  mkdir -p "$cache"
  # n8n-nodes-base asks for xlsx from the SheetJS CDN; the registry's 0.18.5 stands in.
  cat >"$cache/package.json" <<JSON
{"name": "rollback-it-n8n", "private": true, "dependencies": {"n8n": "$version"},
 "overrides": {"xlsx": "0.18.5"}}
JSON
  (cd "$cache" && npm install --no-audit --no-fund --loglevel=error) ||
    fail "n8n $version could not be installed into $cache"
fi

tmp=$(mktemp -d)
cleanup() {
  stop_started
  rm -rf "$tmp"
}
trap cleanup EXIT
export ROLLBACK_RUNS_DIR=$tmp/runs

port=$(free_port)
base=http://127.0.0.1:$port
N8N_USER_FOLDER=$tmp/home N8N_PORT=$port N8N_LISTEN_ADDRESS=127.0.0.1 N8N_HOST=127.0.0.1 \
  N8N_DIAGNOSTICS_ENABLED=false N8N_PERSONALIZATION_ENABLED=false N8N_VERSION_NOTIFICATIONS_ENABLED=false \
  N8N_SECURE_COOKIE=false N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS=false WEBHOOK_URL="$base/" \
  N8N_RUNNERS_BROKER_PORT=$(free_port) \
  DB_TYPE=sqlite "$n8n" start >"$tmp/n8n.log" 2>&1 &
started+=("$!")
# /rest/settings answers "starting up" (200) before the routes exist: wait for its data.
wait_for "n8n to answer on $base" 180 bash -c "set -o pipefail; curl -fsS '$base/rest/settings' | jq -e .data"
ok "n8n $version up on $base"

# ---------------------------------------------------- an owner, a session and an API key
rest() { # rest METHOD PATH [JSON]: the editor's own API, with the owner's session
  curl -fsS -b "$tmp/cookies" -c "$tmp/cookies" -H 'browser-id: rollback-it' \
    -H 'Content-Type: application/json' -X "$1" "$base/rest$2" ${3:+--data-binary "$3"}
}
rest POST /owner/setup '{"email":"it@example.com","firstName":"It","lastName":"Owner",
  "password":"Rollback-it-1"}' >/dev/null || fail "owner setup refused: $(tail -n 20 "$tmp/n8n.log")"
scopes=$(rest GET /api-keys/scopes 2>/dev/null | jq -c '.data // []' || echo '[]')
key=$(rest POST /api-keys "{\"label\":\"rollback-it\",\"expiresAt\":null,\"scopes\":$scopes}" |
  jq -r '.data.rawApiKey // .data.apiKey') || fail "no API key"
export N8N_API_KEY=$key N8N_URL=$base
api() { # api METHOD PATH [JSON|@FILE]: the public API
  printf 'X-N8N-API-KEY: %s\n' "$N8N_API_KEY" | curl -fsS -H @- \
    -H 'Content-Type: application/json' -X "$1" "$base/api/v1$2" ${3:+--data-binary "$3"}
}

# ------------------------------------- version A, saved in the editor; B published over it
workflow() { # workflow VERSION: the editor's save of a webhook answering {"version": VERSION}
  jq -n --arg v "$1" '{
    name: "invoice-sync",
    nodes: [
      {id: "7b1c5e0e-0d6a-4d3e-9f43-1b8b8c2a0001", name: "Webhook",
       type: "n8n-nodes-base.webhook", typeVersion: 2, position: [0, 0],
       webhookId: "5f0a3c7e-9d2b-4a8e-8c11-2f6a4b0d0001",
       parameters: {httpMethod: "POST", path: "invoice-sync", responseMode: "lastNode",
                    options: {}}},
      {id: "7b1c5e0e-0d6a-4d3e-9f43-1b8b8c2a0002", name: "Version",
       type: "n8n-nodes-base.set", typeVersion: 3.4, position: [220, 0],
       parameters: {assignments: {assignments: [
         {id: "a1", name: "version", value: $v, type: "string"}]}, options: {}}},
      {id: "7b1c5e0e-0d6a-4d3e-9f43-1b8b8c2a0003", name: "Sticky Note",
       type: "n8n-nodes-base.stickyNote", typeVersion: 1, position: [0, -200],
       parameters: {content: "Answers with the version"}, color: 4}
    ],
    connections: {Webhook: {main: [[{node: "Version", type: "main", index: 0}]]}},
    settings: {executionOrder: "v1", binaryMode: "separate", timeSavedMode: "fixed",
               saveManualExecutions: true, callerPolicy: "workflowsFromSameOwner"},
    pinData: {}, meta: {templateCredsSetupCompleted: true}, active: false}'
}
id=$(rest POST /workflows "$(workflow A)" | jq -r '.data.id') || fail "the editor refused version A"
api GET "/workflows/$id" >"$tmp/export-a.json"
api POST "/workflows/$id/activate" >/dev/null || fail "cannot activate version A"

# The operator's checkout: where exports of the workflow are kept.
app=$tmp/workflows
mkdir -p "$app"
cp "$tmp/export-a.json" "$app/invoice-sync.json"
jq -e '.settings | has("binaryMode") or has("timeSavedMode")' "$app/invoice-sync.json" \
  >/dev/null && ok "the export of A carries settings the public API refuses on update" ||
  echo "note: this n8n exported no binaryMode/timeSavedMode setting"
git -C "$app" init -q
git -C "$app" add -A
git -C "$app" -c user.name=it -c user.email=it@example.com commit -qm "invoice-sync: version A"
before=$(checkout_digest "$app")

# Version B: what the editor saves next, published.
b=$(workflow B | jq --slurpfile a "$tmp/export-a.json" '. + {versionId: $a[0].versionId}')
rest PATCH "/workflows/$id" "$b" >/dev/null || fail "the editor refused version B"
api POST "/workflows/$id/deactivate" >/dev/null
api POST "/workflows/$id/activate" >/dev/null || fail "cannot publish version B"
answer() { curl -fsS -X POST "$base/webhook/invoice-sync" | jq -r '.version // .[0].version'; }
[ "$(answer)" = B ] || fail "version B does not answer as B"
ok "version B is published and answering"

run_plan() { # headless: the command ends with the rollback, the windows are watched below
  "$bin" run "$repo/plans/n8n-workflow.yaml" --headless -v --approve-as it-operator \
    --var "workflow_id=$id" --var "previous_json=$1"
}

# ------------------------------------ 1. a body the API refuses stops before deactivate
jq '.settings.saveDataErrorExecution = "sometimes"' "$tmp/export-a.json" >"$tmp/refused.json"
if run_plan "$tmp/refused.json" >"$tmp/refused.out" 2>&1; then
  fail "a refused body went through: $(tail -n 30 "$tmp/refused.out")"
fi
grep -q 'settings.saveDataErrorExecution = "sometimes" is not accepted' "$tmp/refused.out" ||
  fail "the refused value was not named: $(tail -n 30 "$tmp/refused.out")"
api GET "/workflows/$id" | jq -e '.active == true' >/dev/null ||
  fail "the workflow was switched off by a run that stopped before the point of no return"
[ "$(answer)" = B ] || fail "B stopped answering after the stopped run"
ok "an import body the API refuses stops the run before deactivate; B still runs"

# ------------------------------------------------------- 2. the rollback, with traffic
(while :; do curl -fsS -o /dev/null -X POST "$base/webhook/invoice-sync" || true; sleep 1; done) &
started+=("$!")
run_plan "$app/invoice-sync.json" >"$tmp/run.out" 2>&1 ||
  fail "the rollback failed: $(tail -n 40 "$tmp/run.out")"
run=$(last_run)
ok "rollback completed"

# ---------------------------------------------------------------------- the end state
api GET "/workflows/$id" >"$tmp/after.json"
jq -e '.active == true' "$tmp/after.json" >/dev/null || fail "the workflow is not active"
running='(.activeVersion // .) | [.nodes[] | {name, type, parameters}] | sort_by(.name)'
[ "$(jq -S "$running" "$tmp/after.json")" = "$(jq -S "$running" "$tmp/export-a.json")" ] ||
  fail "what runs is not version A"
[ "$(answer)" = A ] || fail "the webhook does not answer as A"
ok "version A is published, active and answering"
grep -q 'left out settings the API refuses' "$tmp/run.out" || fail "no settings were left out"
grep -Eq '[1-9][0-9]* execution\(s\) since .*, 0 failed or crashed' "$tmp/run.out" ||
  fail "no execution was seen after activation: $(grep 'execution(s)' "$tmp/run.out")"
ok "executions after activation were seen, none failed"
! grep -rqF "$N8N_API_KEY" "$run" || fail "the API key is written in the run directory"
[ "$(checkout_digest "$app")" = "$before" ] || fail "the operator's checkout changed"
ok "the operator's checkout is untouched"

# ------------------------------------------------ the validation windows, calls still arriving
grep -q "rollback watch --validate $(basename "$run")" "$tmp/run.out" ||
  fail "the run did not say how its windows go on: $(tail -n 5 "$tmp/run.out")"
start_validation "$run"
wait_passing "$run" 60 workflow-errors n8n-alive
ok "immediate window: n8n-alive and workflow-errors pass against n8n"
leave_validation "$run"
! grep -rqF "$N8N_API_KEY" "$run" || fail "the API key is written in the run directory"
ok "the watch left with SIGTERM, recorded; the API key is still in no record"
verify_run "$run"
echo "n8n integration: all checks passed (n8n $version)"
