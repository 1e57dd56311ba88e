#!/bin/sh
# The acceptance test of kalive's IPVS programming (tests/README.md "VM tests"): for each configuration in
# tests/vm/scenarios/ipvs-compare/ (NAT/DR/TUN, every scheduler with the sh/mh flags, persistence
# with granularity, fwmark, IPv6, virtual_server_group, inhibit_on_failure, sorry_server,
# thresholds, lvs_timeouts), keepalived 2.2.7 and then kalive run it in a fresh network namespace each, and
# `ipvsadm -Ln`, `-Ln --persistent-conn`, `-Ln --thresholds`, `-Sn` and `-L --timeout` must be
# identical. After SIGTERM both must leave no service behind and the same timeouts (the kernel's
# own: both put back what lvs_timeouts changed). About 11 s a configuration under TCG, more with
# another VM beside it:
# vm-timeout: 300
# shellcheck source=tests/vm/lib.sh
. /vmkit.sh

run_one() {
	conf=$1
	n=$(basename "$conf" .conf)
	step "$n: keepalived"
	netns "ka-$n"
	ip netns exec "ka-$n" keepalived -n -l -D -f "$conf" -p "/run/ka-$n.pid" -c "/run/kac-$n.pid" \
		-r "/run/kav-$n.pid" >"/tmp/ka-$n.log" 2>&1 &
	ka=$!
	ipvs_settle "ka-$n" "/tmp/$n.ka" || {
		cat "/tmp/ka-$n.log"
		fail "$n: keepalived's IPVS did not settle"
	}
	kill "$ka"
	wait "$ka"
	wait_until 25 ipvs_empty "ka-$n" || fail "$n: keepalived left services behind"
	ns "ka-$n" ipvsadm -L --timeout >"/tmp/$n.ka-after"

	step "$n: kalive"
	netns "kl-$n"
	ip netns exec "kl-$n" kalive -n -l -D -f "$conf" -p "/run/kl-$n.pid" >"/tmp/kl-$n.log" 2>&1 &
	kl=$!
	ipvs_settle "kl-$n" "/tmp/$n.kl" || {
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
	wait_until 25 ipvs_empty "kl-$n" || {
		ns "kl-$n" ipvsadm -Ln
		fail "$n: kalive left services behind"
	}
	ns "kl-$n" ipvsadm -L --timeout >"/tmp/$n.kl-after"
	diff -u "/tmp/$n.ka-after" "/tmp/$n.kl-after" || fail "$n: other timeouts after SIGTERM"
	ip netns del "ka-$n"
	ip netns del "kl-$n"
}

each_conf run_one
# The fact behind kalive refusing `lthreshold` above `uthreshold` (0 = no limit): the kernel
# refuses such a destination, so keepalived would never program that server.
netns thr
ns thr ipvsadm -A -t 10.0.0.1:80 -s rr || fail "thresholds: service"
ns thr ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -x 10 -y 20 2>/dev/null &&
	fail "the kernel took a lower threshold above the upper one"
ns thr ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -y 5 2>/dev/null &&
	fail "the kernel took a lower threshold without an upper one"
ns thr ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -x 20 -y 10 || fail "thresholds: a valid pair"
ip netns del thr
echo "ipvs-compare: $count configurations, identical IPVS from keepalived 2.2.7 and kalive"
