#!/bin/sh
# The VM kit's own proof (tests/README.md "VM tests"): IPVS from ipvsadm and
# from keepalived, kalive -t on the same configuration, and an LVS-NAT topology in network
# namespaces (client, director, two real servers on a bridge) carrying HTTP through the VIP.
# /files/ipvs-smoke.conf comes from tests/vm/scenarios/ipvs-smoke/.
# shellcheck source=tests/vm/lib.sh
. /vmkit.sh
conf=/files/ipvs-smoke.conf

step "ip_vs loaded"
grep -q '^ip_vs ' /proc/modules || fail "ip_vs not loaded"
[ -r /proc/net/ip_vs ] || fail "no /proc/net/ip_vs"

step "ipvsadm adds a service and a real server"
ipvsadm -A -t 10.0.0.1:80 -s rr || fail "ipvsadm -A"
ipvsadm -a -t 10.0.0.1:80 -r 10.0.0.2:80 -m || fail "ipvsadm -a"
ipvsadm -Ln
ipvsadm -Ln | grep -q '^TCP  10.0.0.1:80 rr' || fail "service missing from ipvsadm -Ln"
ipvsadm -Ln | grep -q -- '-> 10.0.0.2:80 *Masq' || fail "real server missing from ipvsadm -Ln"
ipvsadm -C || fail "ipvsadm -C"

step "kalive -t on the keepalived configuration"
kalive -t -f "$conf" || fail "kalive -t -f $conf: exit $?"

step "namespaces: client -- director -- bridge -- rs1, rs2"
lvs_lab 2
ns dir ip addr add 10.0.0.10/32 dev eth0 || fail "VIP"
for n in 1 2; do
	http_serve "rs$n" "10.0.1.1$n" "served by rs$n"
done

step "busybox nc and httpd across a veth pair"
wait_until 25 ns cli ping -c1 -W1 10.0.0.1 || fail "cli cannot ping dir"
ns dir nc -l -p 9000 >/tmp/nc.out &
nc_pid=$!
wait_until 25 listening dir 9000 || fail "nc is not listening"
echo "hello over nc" | ns cli nc -w 2 10.0.0.1 9000
wait "$nc_pid"
grep -q "hello over nc" /tmp/nc.out || fail "nc: got '$(cat /tmp/nc.out)'"
[ "$(http_get dir http://10.0.1.11/)" = "served by rs1" ] || fail "dir cannot fetch from rs1"

step "keepalived configures IPVS in the director namespace"
# Started with ip netns exec, not the ns function: $! must be keepalived itself.
ip netns exec dir keepalived -n -l -f "$conf" -p /run/ka.pid -c /run/ka-check.pid -r /run/ka-vrrp.pid \
	>/tmp/ka.log 2>&1 &
ka=$!
ka_fail() {
	kill "$ka" 2>/dev/null
	cat /tmp/ka.log
	tail -n 30 /tmp/messages
	fail "$@"
}
wait_until 50 sh -c "ip netns exec dir ipvsadm -Ln | grep -q -- '-> 10.0.1.12:80'" ||
	ka_fail "keepalived did not add its virtual server"
ns dir ipvsadm -Ln
ns dir ipvsadm -Ln | grep -q '^TCP  10.0.0.10:80 rr' || ka_fail "keepalived's service missing"

step "HTTP from the client through the VIP reaches both real servers"
got=
for i in 1 2 3 4; do
	body=$(http_get cli http://10.0.0.10/) || ka_fail "fetch $i through the VIP"
	echo "fetch $i: $body"
	got="$got $body"
done
case $got in *rs1*) ;; *) ka_fail "rs1 never answered:$got" ;; esac
case $got in *rs2*) ;; *) ka_fail "rs2 never answered:$got" ;; esac

step "keepalived stops on SIGTERM and removes its service"
kill "$ka"
wait "$ka"
wait_until 25 sh -c "! ip netns exec dir ipvsadm -Ln | grep -q 10.0.0.10" || ka_fail "service left behind"
echo "ipvs-smoke: all checks passed"
