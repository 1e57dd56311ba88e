#!/bin/sh
# MISC_CHECK for tests/vm/scenarios/lvs-health.sh: exits with the number in /tmp/misc/NAME.
read -r code <"/tmp/misc/$1" || exit 1
exit "$code"
