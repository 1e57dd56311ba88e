#!/bin/sh
# ha_suspend (tests/README.md "VM tests"): a virtual server's checkers run only while its address is on
# the director. Without 10.0.0.100 the real server, which does not listen, stays in IPVS (its
# checker is suspended); once the address is added the checker runs and removes it; it comes
# back when it listens; the address deleted, the checker is suspended again and a server that
# stops listening stays in.
# shellcheck source=tests/vm/lib.sh
. /vmkit.sh

RS='-a -t 10.0.0.100:80 -r 10.0.1.11:80 -m -w 1'
lvs_lab 1
ip netns exec dir kalive -n -l -D -f /files/suspend.conf -p /run/kl.pid >/tmp/kl.log 2>&1 &
kl=$!
logged() {
	grep -q -- "$1" /tmp/kl.log
}
# `kalive status` says whether the virtual server's checkers are suspended
status_says() {
	KALIVE_PID_FILE=/run/kl.pid kalive status >/tmp/st.txt 2>&1 && grep -q -- "$1" /tmp/st.txt
}
step "no VIP: the checker is suspended and the server stays"
wait_until 50 ipvs_has dir "$RS" || fail "the real server was not added"
wait_until 50 logged "Suspending healthchecker TCP_CHECK" || {
	cat /tmp/kl.log
	fail "no suspension logged"
}
sleep 4
ipvs_has dir "$RS" || fail "a suspended checker removed the real server"
logged "connect" && fail "a suspended checker ran: $(grep connect /tmp/kl.log)"
status_says "checkers suspended (ha_suspend)" || fail "kalive status: $(cat /tmp/st.txt)"

step "VIP added: the checker runs and removes the server"
ns dir ip addr add 10.0.0.100/32 dev eth0 || fail "VIP"
wait_until 50 logged "Activating healthchecker TCP_CHECK" || fail "no activation logged"
status_says "checkers active (ha_suspend)" || fail "kalive status: $(cat /tmp/st.txt)"
wait_until 50 sh -c "! ip netns exec dir ipvsadm -Sn | grep -qx -- '$RS'" || fail "the server was not removed"

step "the server listens: back"
http_serve rs1 10.0.1.11 one
wait_until 50 ipvs_has dir "$RS" || fail "the server did not come back"

step "VIP deleted: suspended again; the server stops listening and stays"
ns dir ip addr del 10.0.0.100/32 dev eth0 || fail "VIP del"
wait_until 50 sh -c "[ \$(grep -c 'Suspending healthchecker TCP_CHECK' /tmp/kl.log) -ge 2 ]" ||
	fail "no second suspension logged"
status_says "checkers suspended (ha_suspend)" || fail "kalive status: $(cat /tmp/st.txt)"
http_stop rs1
sleep 4
ipvs_has dir "$RS" || fail "a suspended checker removed the real server"
kill "$kl"
wait "$kl"
cat /tmp/kl.log
echo "lvs-suspend: checkers follow the VIP"
