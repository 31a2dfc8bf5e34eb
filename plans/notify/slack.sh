#!/bin/sh
# Posts a rollback event to a Slack channel through an incoming webhook.
#
#   notify: ./notify/slack.sh        (in a plan; needs SLACK_WEBHOOK_URL in the environment,
#                                     or a plan variable of that name)
#
# rollback runs this beside the rollback with the event as JSON on stdin and its gist in
# ROLLBACK_* variables; it never waits for it for long, and a failure here never fails the
# rollback (the exit status and stderr are recorded on the timeline).
set -eu

: "${SLACK_WEBHOOK_URL:?set SLACK_WEBHOOK_URL to the incoming webhook URL}"

# JSON string escaping for the few fields that are free text.
esc() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr -d '\n\r'; }

mins=$(( ${ROLLBACK_ELAPSED:-0} / 60 ))
secs=$(( ${ROLLBACK_ELAPSED:-0} % 60 ))
at=$(printf '+%02d:%02d' "$mins" "$secs")
case "${ROLLBACK_EVENT:-}" in
  run_started)       text="Rollback started: ${ROLLBACK_PLAN} (${ROLLBACK_MODE:-live}) by ${ROLLBACK_OPERATOR:-?}" ;;
  escalation_raised) text="Rollback ${ROLLBACK_PLAN} at ${at}: escalation level ${ROLLBACK_LEVEL}: ${ROLLBACK_ACTION}" ;;
  sla_breached)      text="Rollback ${ROLLBACK_PLAN} breached its SLA at ${at}" ;;
  region_escalated)  text="Rollback ${ROLLBACK_PLAN}, region ${ROLLBACK_REGION:-?}: escalation level ${ROLLBACK_LEVEL}: ${ROLLBACK_ACTION}" ;;
  region_sla_breached) text="Rollback ${ROLLBACK_PLAN}: region ${ROLLBACK_REGION:-?} breached its SLA" ;;
  run_completed)     text="Rollback ${ROLLBACK_PLAN} completed in ${at}" ;;
  run_failed)        text="Rollback ${ROLLBACK_PLAN} FAILED at ${at}" ;;
  run_aborted)       text="Rollback ${ROLLBACK_PLAN} ABORTED at ${at}" ;;
  *)                 text="Rollback ${ROLLBACK_PLAN}: ${ROLLBACK_EVENT:-event}" ;;
esac
if [ "${ROLLBACK_MODE:-live}" != live ]; then
  text="[${ROLLBACK_MODE}] ${text}"
fi

curl -fsS --max-time 8 -H 'Content-Type: application/json' \
  --data "{\"text\":\"$(esc "$text") (run ${ROLLBACK_RUN_ID:-?})\"}" \
  "$SLACK_WEBHOOK_URL" >/dev/null
