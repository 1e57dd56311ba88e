#!/bin/sh
# The acceptance test of kalive's IPVS programming (README "VM tests"): for each configuration in
# tests/vm/scenarios/ipvs-compare/ (NAT/DR/TUN, every scheduler with the sh/mh flags, persistence
# with granularity, fwmark, IPv6, virtual_server_group, inhibit_on_failure, sorry_server),
# keepalived 2.2.7 and then kalive run it in a fresh network namespace each, and
# `ipvsadm -Ln`, `ipvsadm -Ln --persistent-conn` and `ipvsadm -Sn` must be identical. After
# SIGTERM both must leave no service behind.
# shellcheck source=tests/vm/lib.sh
. /vmkit.sh

# snapshot NS: the three listings, one file on stdout.
snapshot() {
	ns "$1" ipvsadm -Ln && echo "--- persistent-conn" && ns "$1" ipvsadm -Ln --persistent-conn &&
		echo "--- save" && ns "$1" ipvsadm -Sn
}

# settle NS OUT: wait until the listing has services and stays the same for 1 s (5 reads),
# at most 15 s; the last listing in OUT.
settle() {
	st_prev='' st_same=0 st_tries=75
	while [ "$st_tries" -gt 0 ]; do
		st_now=$(snapshot "$1" 2>&1)
		if [ "$st_now" = "$st_prev" ] && printf '%s\n' "$st_now" | grep -q -- '->'; then
			st_same=$((st_same + 1))
			[ "$st_same" -ge 5 ] && break
		else
			st_same=0
		fi
		st_prev=$st_now
		st_tries=$((st_tries - 1))
		sleep 0.2
	done
	printf '%s\n' "$st_prev" >"$2"
	[ "$st_tries" -gt 0 ]
}

# no_services NS: ipvsadm -Ln lists no service.
no_services() {
	! ns "$1" ipvsadm -Ln | grep -qE '^(TCP|UDP|SCTP|FWM) '
}

run_one() {
	conf=$1
	n=$(basename "$conf" .conf)
	step "$n: keepalived"
	netns "ka-$n"
	ip netns exec "ka-$n" keepalived -n -l -D -f "$conf" -p "/run/ka-$n.pid" -c "/run/kac-$n.pid" \
		-r "/run/kav-$n.pid" >"/tmp/ka-$n.log" 2>&1 &
	ka=$!
	settle "ka-$n" "/tmp/$n.ka" || {
		cat "/tmp/ka-$n.log"
		fail "$n: keepalived's IPVS did not settle"
	}
	kill "$ka"
	wait "$ka"
	wait_until 25 no_services "ka-$n" || fail "$n: keepalived left services behind"

	step "$n: kalive"
	netns "kl-$n"
	ip netns exec "kl-$n" kalive -n -l -D -f "$conf" -p "/run/kl-$n.pid" >"/tmp/kl-$n.log" 2>&1 &
	kl=$!
	settle "kl-$n" "/tmp/$n.kl" || {
		cat "/tmp/kl-$n.log"
		fail "$n: kalive's IPVS did not settle"
	}
	if ! diff -u "/tmp/$n.ka" "/tmp/$n.kl"; then
		cat "/tmp/kl-$n.log"
		fail "$n: kalive programs something else than keepalived (- keepalived, + kalive)"
	fi
	cat "/tmp/$n.kl"
	kill "$kl"
	wait "$kl"
	wait_until 25 no_services "kl-$n" || {
		ns "kl-$n" ipvsadm -Ln
		fail "$n: kalive left services behind"
	}
	ip netns del "ka-$n"
	ip netns del "kl-$n"
}

count=0
for conf in /files/*.conf; do
	run_one "$conf"
	count=$((count + 1))
done
[ "$count" -gt 0 ] || fail "no configurations"
echo "ipvs-compare: $count configurations, identical IPVS from keepalived 2.2.7 and kalive"
