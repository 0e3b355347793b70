#!/bin/sh
# An example shell function: the event arrives as JSON on stdin; what the script prints on
# stdout is the result. This one answers {"sha256": ...} for the event's "text" field.
# A non-zero exit is an error; printing {"errorType": ..., "errorMessage": ...} names it.
set -eu
event=$(cat)
text=$(printf '%s' "$event" | python3 -c 'import json, sys; print(json.load(sys.stdin).get("text", ""), end="")')
if [ -z "$text" ]; then
    echo '{"errorType": "NoText", "errorMessage": "the event has no text field"}'
    exit 1
fi
echo "hashing ${#text} characters" >&2
printf '{"sha256": "%s"}\n' "$(printf '%s' "$text" | sha256sum | cut -d' ' -f1)"
