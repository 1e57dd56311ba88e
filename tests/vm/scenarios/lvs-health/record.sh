#!/bin/sh
# A notify script for tests/vm/scenarios/lvs-health.sh: appends its argv, each argument in
# brackets, to /tmp/notify-<network namespace>.log (kalive's and keepalived's directors run in
# different namespaces). One write, so that scripts running at once do not mix their lines.
line=$0
for a in "$@"; do line="$line [$a]"; done
printf '%s\n' "$line" >>"/tmp/notify-$(/usr/sbin/ip netns identify).log"
