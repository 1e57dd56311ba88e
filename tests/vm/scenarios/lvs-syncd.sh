#!/bin/sh
# lvs_sync_daemon (tests/README.md "VM tests"): keepalived 2.2.7 and then kalive, each in a fresh network
# namespace alone on its link, run each configuration in tests/vm/scenarios/lvs-syncd/; once the
# instance is MASTER `ipvsadm -L --daemon` must show the master sync daemon alone, identical for
# both, and after SIGTERM no sync daemon may be left.
# shellcheck source=tests/vm/lib.sh
. /vmkit.sh

# daemon_is NS WHAT: `ipvsadm -L --daemon` in NS is exactly one line starting with WHAT.
daemon_is() {
	di_out=$(ns "$1" ipvsadm -L --daemon)
	[ "$(printf '%s\n' "$di_out" | grep -c .)" = 1 ] && printf '%s\n' "$di_out" | grep -q "^$2"
}
no_daemon() {
	[ -z "$(ns "$1" ipvsadm -L --daemon)" ]
}

run_one() {
	conf=$1
	n=$(basename "$conf" .conf)
	for who in ka kl; do
		step "$n: $who"
		netns "$who-$n" "peer-$who-$n"
		veth "$who-$n" eth0 10.0.0.1/24 "peer-$who-$n" eth0 10.0.0.2/24
		if [ "$who" = ka ]; then
			ip netns exec "$who-$n" keepalived -n -l -D -f "$conf" -p "/run/ka-$n.pid" \
				-c "/run/kac-$n.pid" -r "/run/kav-$n.pid" >"/tmp/$who-$n.log" 2>&1 &
		else
			ip netns exec "$who-$n" kalive -n -l -D -f "$conf" -p "/run/kl-$n.pid" \
				>"/tmp/$who-$n.log" 2>&1 &
		fi
		pid=$!
		wait_until 100 daemon_is "$who-$n" "master sync daemon" || {
			ns "$who-$n" ipvsadm -L --daemon
			cat "/tmp/$who-$n.log"
			fail "$n: $who: no master sync daemon alone"
		}
		sleep 1
		ns "$who-$n" ipvsadm -L --daemon >"/tmp/$n.$who"
		kill "$pid"
		wait "$pid"
		wait_until 50 no_daemon "$who-$n" || {
			ns "$who-$n" ipvsadm -L --daemon
			fail "$n: $who left a sync daemon running"
		}
		ip netns del "$who-$n"
		ip netns del "peer-$who-$n"
	done
	if ! diff -u "/tmp/$n.ka" "/tmp/$n.kl"; then
		cat "/tmp/kl-$n.log"
		fail "$n: kalive runs another sync daemon than keepalived (- keepalived, + kalive)"
	fi
	cat "/tmp/$n.kl"
}

each_conf run_one
echo "lvs-syncd: $count configurations, the same sync daemon from keepalived 2.2.7 and kalive"
