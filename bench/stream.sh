#!/usr/bin/env bash
# One step printing many lines: wall time against the floor (`sh -c 'seq N > file'`) and
# peak RSS at 10^4, 10^6 and 10^7 lines. Goals: <= 3x the floor, RSS <= 20 MB and flat.
. "$(dirname "$0")/common.sh"

for n in 10000 1000000 10000000; do
  plan="$WORK/stream-$n.yaml"
  printf 'plan: stream\ntitle: stream\nlevel: 2\noperation: application\nautomation: full\nphases:\n  - id: capture\n    steps:\n      - {id: seq, run: "seq %s"}\n  - id: verify\n    steps:\n      - {id: ok, check: "true"}\n' "$n" > "$plan"
  floor=$(best sh -c "seq $n > $WORK/floor.txt")
  tool=$(best "$BIN" run "$plan" --headless)
  /usr/bin/time -v "$BIN" run "$plan" --headless >/dev/null 2>"$WORK/time.txt"
  rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$WORK/time.txt")
  printf 'lines %-9s floor %ss  rollback %ss  ratio %s  peak RSS %s MB\n' \
    "$n" "$floor" "$tool" "$(ratio "$tool" "$floor")" "$(echo "scale=1; $rss / 1024" | bc)"
done
