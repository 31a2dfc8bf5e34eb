#!/usr/bin/env bash
# 200 trivial steps: `rollback run --headless` (durable timeline: two fdatasyncs a step)
# against bash running the same 200 commands each through `sh -c`. Goal: ratio <= 1.5.
# Also `just` on the same 200 recipes, when it is installed.
. "$(dirname "$0")/common.sh"
N=${STEPS:-200}

plan="$WORK/steps.yaml"
{
  printf 'plan: steps\ntitle: %s trivial steps\nlevel: 2\noperation: application\nautomation: full\nphases:\n' "$N"
  printf '  - id: capture\n    steps:\n'
  for i in $(seq "$N"); do printf '      - {id: s%s, run: "true"}\n' "$i"; done
  printf '  - id: verify\n    steps:\n      - {id: ok, check: "true"}\n'
} > "$plan"

script="$WORK/steps.sh"
{ echo 'set -e'; for i in $(seq "$N"); do echo "sh -c true"; done; echo "sh -c true"; } > "$script"

tool=$(best "$BIN" run "$plan" --headless)
base=$(best bash "$script")
echo "steps: $((N + 1)) commands"
echo "  bash, sh -c each:     ${base}s"
echo "  rollback --headless:  ${tool}s  (ratio $(ratio "$tool" "$base"), goal <= 1.5)"
if command -v just >/dev/null 2>&1; then
  jf="$WORK/justfile"
  { echo 'all: ' $(for i in $(seq "$N"); do printf 's%s ' "$i"; done)
    for i in $(seq "$N"); do printf 's%s:\n\ttrue\n' "$i"; done; } > "$jf"
  j=$(best just --justfile "$jf" --working-directory "$WORK" all)
  echo "  just:                 ${j}s  (ratio $(ratio "$j" "$base"))"
fi
