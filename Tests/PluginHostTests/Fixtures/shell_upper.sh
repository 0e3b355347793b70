#!/bin/sh
# A shell function: the event arrives on stdin as JSON; what is printed is the result.
read -r event
if [ "$event" = '"fail"' ]; then
    echo '{"errorType": "UpperError", "errorMessage": "asked to fail"}'
    exit 1
fi
printf '%s' "$event" | tr 'a-z' 'A-Z'
