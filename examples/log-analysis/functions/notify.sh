#!/bin/sh
# The log-analysis alert, a shell function: the event (the report's summary) arrives as JSON
# on stdin; the one-line alert it prints, as a JSON string, is the result.
set -eu
event=$(cat)
findings=$(printf '%s' "$event" | sed -n 's/.*"findings": *\([0-9]*\).*/\1/p')
events=$(printf '%s' "$event" | sed -n 's/.*"events": *\([0-9]*\).*/\1/p')
report=$(printf '%s' "$event" | sed -n 's/.*"report": *"\([^"]*\)".*/\1/p')
if [ -z "$findings" ]; then
    echo '{"errorType": "BadSummary", "errorMessage": "the event has no findings count"}'
    exit 1
fi
if [ "$findings" -gt 0 ]; then level=ALERT; else level=OK; fi
printf '"%s: %s findings in %s events; report at %s"\n' "$level" "$findings" "$events" "$report"
