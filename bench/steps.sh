#!/usr/bin/env bash
# Trivial steps, `rollback run --headless` against bash doing the same work durably: each step
# one process that appends a line to a file and fdatasyncs it (`sync --data`, one fdatasync a
# step; rollback syncs its timeline twice a step). Both measured here, alternately, best of
# $REPEAT, at 200 and 2,000 steps (STEPS="200 2000"). Goals: ratio <= 1.3 at 200 and <= 1.5 at
# 2,000, and the cost per step flat in the plan's size (ms/step at the largest size <= 1.2x
# that at the smallest). Prints PASS/FAIL; exits 1 on a FAIL.
# For reference, bash running bare `sh -c true` commands too, and `just` when installed.
. "$(dirname "$0")/common.sh"
SIZES=${STEPS:-200 2000}

goal() { if [ "$1" -le 200 ]; then echo 1.3; else echo 1.5; fi; }

for n in $SIZES; do
  plan="$WORK/steps-$n.yaml"
  {
    printf 'plan: steps\ntitle: %s trivial steps\nlevel: 2\noperation: application\nautomation: full\nphases:\n' "$n"
    printf '  - id: capture\n    steps:\n'
    for i in $(seq "$n"); do printf '      - {id: s%s, run: "true"}\n' "$i"; done
    printf '  - id: verify\n    steps:\n      - {id: ok, check: "true"}\n'
  } > "$plan"
  synced="$WORK/synced-$n.sh"
  bare="$WORK/bare-$n.sh"
  {
    echo 'set -e'
    echo ': > "$1"'
    for i in $(seq $((n + 1))); do
      echo "sh -c 'echo step $i >> \"\$0\" && exec sync --data \"\$0\"' \"\$1\""
    done
  } > "$synced"
  { echo 'set -e'; for _ in $(seq $((n + 1))); do echo "sh -c true"; done; } > "$bare"

  tool="" base="" plain=""
  for _ in $(seq "$REPEAT"); do
    tool=$(min "$tool" "$(once "$BIN" run "$plan" --headless)")
    base=$(min "$base" "$(once bash "$synced" "$WORK/synced-$n.out")")
    plain=$(min "$plain" "$(once bash "$bare")")
  done
  r=$(ratio "$tool" "$base")
  per=$(echo "1000 * $tool / ($n + 1)" | bc -l)
  first_per=${first_per:-$per}
  g=$(goal "$n")
  echo "steps: $((n + 1)) commands (best of $REPEAT)"
  printf '  bash, sh -c + fdatasync each: %.3fs\n' "$base"
  printf '  bash, bare sh -c each:        %.3fs\n' "$plain"
  check "$r" "$g"
  printf '  rollback --headless:          %.3fs  %.2f ms/step  (ratio %s, goal <= %s) %s\n' \
    "$tool" "$per" "$r" "$g" "$VERDICT"
  printf '    over bare bash:             %.2f ms/step\n' "$(echo "1000 * ($tool - $plain) / ($n + 1)" | bc -l)"
  if command -v just >/dev/null 2>&1; then
    jf="$WORK/justfile"
    { echo 'all: ' $(for i in $(seq "$n"); do printf 's%s ' "$i"; done)
      for i in $(seq "$n"); do printf 's%s:\n\ttrue\n' "$i"; done; } > "$jf"
    j=$(best just --justfile "$jf" --working-directory "$WORK" all)
    echo "  just:                         ${j}s  (ratio $(ratio "$j" "$plain") to bare bash)"
  fi
done
flat=$(ratio "$per" "$first_per")
check "$flat" 1.2
echo "per step, largest plan against smallest: ${flat}x (goal <= 1.2) $VERDICT"
exit "$FAILED"
