#!/bin/sh
# The financial example's external sanctions check, a shell function that behaves like a
# flaky remote service: it answers {"status": "checked", "hits": [...]} for the event's
# accounts, but is "unavailable" on the first try for every third batch (Retry handles that)
# and always for every seventh from the fifth (Catch marks those batches unchecked). Which
# batch is which follows from its first transaction id, so runs are repeatable.
set -eu
event=$(cat)
first=$(printf '%s' "$event" | sed -n 's/.*"firstId": *"tx-0*\([0-9]*\)".*/\1/p')
batch=$(( ${first:-0} / 200 ))
attempt=${STATESMAN_ATTEMPT:-0}
if [ $(( batch % 7 )) -eq 5 ]; then
    echo '{"errorType": "Sanctions.Unavailable", "errorMessage": "the sanctions service did not answer"}'
    exit 1
fi
if [ $(( batch % 3 )) -eq 0 ] && [ "$attempt" -eq 0 ]; then
    echo '{"errorType": "Sanctions.Unavailable", "errorMessage": "the sanctions service is busy, try again"}'
    exit 1
fi
list="$(dirname "$0")/sanctioned-accounts.txt"
# The event's accounts that are on the list, one grep for the whole batch.
hits=$(printf '%s' "$event" | grep -o '"acct-[0-9]*"' | tr -d '"' | grep -Fxf "$list" | sort -u | sed 's/.*/"&"/' | paste -sd, -) || true
printf '{"status": "checked", "hits": [%s]}\n' "$hits"
