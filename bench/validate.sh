#!/usr/bin/env bash
# `rollback validate` on generated plans of 1k, 10k and 20k steps, each step without
# `simulate`, so every step earns a warning and its snippet is printed; then one phase of
# 10k and 20k steps with a scenario naming every other step (the shape that made the id and
# reference checks quadratic). Linear means the time per 1,000 steps stays flat.
# Goal: 10k steps with warnings printed <= 100 ms.
. "$(dirname "$0")/common.sh"

gen() {
  n=$1 out=$2 per=$(( $1 / 40 ))
  {
    printf 'plan: big\ntitle: Generated\nlevel: 3\noperation: application\nautomation: full\nphases:\n'
    kinds=(capture prepare execute verify)
    for p in $(seq 0 39); do
      kind=${kinds[$((p % 4))]}
      printf '  - id: p%s\n    kind: %s\n' "$p" "$kind"
      [ "$kind" = execute ] && printf '    point_of_no_return: true\n'
      printf '    steps:\n'
      verb=run; [ "$kind" = verify ] && verb=check
      for s in $(seq 0 $((per - 1))); do
        printf '      - id: s%s\n        %s: echo step %s.%s\n        timeout: 30s\n        retry: {attempts: 2, delay: 1s}\n' \
          "$s" "$verb" "$p" "$s"
      done
    done
  } > "$out"
}

echo "rollback validate, every step a warning with its snippet printed (best of $REPEAT)"
for n in 1000 10000 20000; do
  plan="$WORK/plan-$n.yaml"
  gen "$n" "$plan"
  warnings=$("$BIN" validate "$plan" 2>&1 >/dev/null | tail -1)
  t=$(best "$BIN" validate "$plan")
  per=$(echo "$t * 1000000 / $n" | bc -l)
  printf '  %6s steps: %ss  (%.1f ms per 1k steps; %s)\n' "$n" "$t" "$per" "$warnings"
done

one_phase() {
  n=$1 out=$2
  {
    printf 'plan: big\ntitle: Generated\nlevel: 3\noperation: application\nautomation: full\nphases:\n'
    printf '  - id: capture\n    point_of_no_return: true\n    steps:\n'
    for s in $(seq 0 $((n - 1))); do
      printf '      - id: s%s\n        run: echo step %s\n        timeout: 30s\n        simulate: {duration: 1s}\n' "$s" "$s"
    done
    printf "  - id: verify\n    steps:\n      - {id: ok, check: 'true', timeout: 5s, simulate: {duration: 1s}}\n"
    printf 'scenarios:\n  half:\n    steps: [%s]\n' \
      "$(seq 0 2 $((n - 1)) | sed 's/^/capture.s/' | paste -sd, -)"
  } > "$out"
}

echo "rollback validate, one phase and a scenario naming every other step (best of $REPEAT)"
for n in 10000 20000; do
  plan="$WORK/one-$n.yaml"
  one_phase "$n" "$plan"
  "$BIN" validate --quiet "$plan" >/dev/null 2>&1 || { echo "one-$n.yaml is not valid" >&2; exit 1; }
  t=$(best "$BIN" validate "$plan")
  per=$(echo "$t * 1000000 / $n" | bc -l)
  printf '  %6s steps: %ss  (%.1f ms per 1k steps)\n' "$n" "$t" "$per"
done
