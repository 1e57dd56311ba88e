#!/bin/sh
# An SMTP server on one connection (busybox nc -ll -e), for tests/vm/scenarios/lvs-health.sh:
# with /tmp/smtp-silent it sends nothing (no banner), else 220, 250 to HELO, 221 to QUIT.
if [ -e /tmp/smtp-silent ]; then
	exec sleep 5
fi
printf '220 rs3 ESMTP\r\n'
while read -r line; do
	case $line in
	HELO* | EHLO*) printf '250 rs3\r\n' ;;
	QUIT*)
		printf '221 bye\r\n'
		exit 0
		;;
	*) printf '500 unknown\r\n' ;;
	esac
done
