#!/bin/sh
# Keeps one PagerDuty incident in step with a rollback, through the Events API v2.
#
#   notify: ./notify/pagerduty.sh    (needs PAGERDUTY_ROUTING_KEY, the integration key)
#
# One dedup key per run (the run id), so every event lands on the same incident:
#   run_started              trigger, severity info
#   escalation_raised L2..4  trigger again with rising severity (warning, error, critical):
#                            a re-trigger pages again, so level 3 and 4 reach people
#   sla_breached             trigger, severity error (or critical from level 3)
#   region_escalated, region_sla_breached
#                            the same for one region of a regional run
#   run_failed, run_aborted  trigger, severity critical: the incident stays open
#   run_completed            resolve
# It never acknowledges: an acknowledged incident pages no one when the rollback reaches
# 15 and 30 minutes.
set -eu

: "${PAGERDUTY_ROUTING_KEY:?set PAGERDUTY_ROUTING_KEY to the integration key}"
url="${PAGERDUTY_EVENTS_URL:-https://events.pagerduty.com/v2/enqueue}"

esc() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr -d '\n\r'; }

level="${ROLLBACK_LEVEL:-1}"
case "$level" in
  1) severity=info ;; 2) severity=warning ;; 3) severity=error ;; *) severity=critical ;;
esac
action=trigger
case "${ROLLBACK_EVENT:-}" in
  run_started)       summary="Rollback of ${ROLLBACK_PLAN} started" ;;
  escalation_raised) summary="Rollback of ${ROLLBACK_PLAN}: level ${level}, ${ROLLBACK_ACTION}" ;;
  sla_breached)      summary="Rollback of ${ROLLBACK_PLAN} breached its SLA"
                     [ "$severity" = critical ] || severity=error ;;
  region_escalated)  summary="Rollback of ${ROLLBACK_PLAN}, region ${ROLLBACK_REGION:-?}: level ${level}, ${ROLLBACK_ACTION}" ;;
  region_sla_breached) summary="Rollback of ${ROLLBACK_PLAN}: region ${ROLLBACK_REGION:-?} breached its SLA"
                     [ "$severity" = critical ] || severity=error ;;
  run_failed)        summary="Rollback of ${ROLLBACK_PLAN} failed"; severity=critical ;;
  run_aborted)       summary="Rollback of ${ROLLBACK_PLAN} was aborted"; severity=critical ;;
  run_completed)     summary="Rollback of ${ROLLBACK_PLAN} completed"; action=resolve ;;
  *)                 summary="Rollback of ${ROLLBACK_PLAN}: ${ROLLBACK_EVENT:-event}" ;;
esac
if [ "${ROLLBACK_MODE:-live}" != live ]; then
  summary="[${ROLLBACK_MODE}] ${summary}"
fi

# The event as rollback sent it (stdin) goes along as the incident's details.
details=$(cat)
[ -n "$details" ] || details='{}'

curl -fsS --max-time 8 -H 'Content-Type: application/json' --data @- "$url" >/dev/null <<JSON
{"routing_key":"$(esc "$PAGERDUTY_ROUTING_KEY")","event_action":"${action}","dedup_key":"$(esc "${ROLLBACK_RUN_ID:-rollback}")","payload":{"summary":"$(esc "$summary")","source":"rollback on $(esc "$(hostname 2>/dev/null || echo host)")","severity":"${severity}","component":"$(esc "${ROLLBACK_PLAN:-}")","custom_details":${details}}}
JSON
