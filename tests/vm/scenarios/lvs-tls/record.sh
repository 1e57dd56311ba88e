#!/bin/sh
# The notify script of tests/vm/scenarios/lvs-tls.sh: its own path and argv, each bracketed,
# as one line appended (one write) to /tmp/notify-<the caller's network namespace>.log.
set -- "$0" "$@"
printf '%s\n' "$(printf '[%s] ' "$@")" >>"/tmp/notify-$(/usr/sbin/ip netns identify).log"
