#!/bin/sh
# A shell function that leaves a process running in the background. The event is a string:
# "FILE MODE"; the background process's pid is written to FILE, then with MODE "hang" the
# script sleeps past any timeout, otherwise it answers at once.
read -r event
event=${event#\"}
event=${event%\"}
set -- $event
sleep 60 > /dev/null 2>&1 &
echo $! > "$1.partial" && mv "$1.partial" "$1"
if [ "$2" = hang ]; then sleep 60; fi
echo '"started"'
