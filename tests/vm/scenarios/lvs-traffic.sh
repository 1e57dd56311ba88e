#!/bin/sh
# kalive's virtual servers carrying real traffic (tests/README.md "VM tests"; issue #6, items 1 and 5), in
# the lvs_lab topology: a client, the director running kalive, three real servers with busybox
# httpd on :80 and an echo server (busybox nc) on :7000.
# - LVS-NAT wrr 3:1: `ipvsadm -Sn` as configured, and 8 connections through the VIP split 6:2;
# - LVS-NAT with persistence 30 s onto port 80: every connection of the client on one server
#   (rr would spread them);
# - LVS-DR (the VIP on the real servers' lo, arp_ignore/arp_announce): connections through the
#   VIP reach all three real servers, which answer the client directly;
# - an nc session through the VIP stays open and keeps echoing across a SIGHUP that adds a real
#   server and one that removes another; each reload is exactly one IPVS operation (`ipvsadm -Sn`
#   differs by that line only) and the session's IPVS connection entry stays.
# shellcheck source=tests/vm/lib.sh
. /vmkit.sh

conf=/tmp/kalive.conf
log=/tmp/kalive.log

kl_fail() {
	ipvs_save dir
	cat "$log"
	fail "$@"
}

# write_conf N...: traffic.conf plus the echo service on :7000 with real servers rsN...
write_conf() {
	{
		cat /files/traffic.conf
		echo "virtual_server 10.0.0.10 7000 {"
		echo "  lb_algo rr"
		echo "  lb_kind NAT"
		echo "  protocol TCP"
		for wc_n in "$@"; do
			echo "  real_server 10.0.1.1$wc_n 7000 {"
			echo "    weight 1"
			echo "  }"
		done
		echo "}"
	} >"$conf"
}

# count_of NEEDLE TEXT: how many lines of TEXT are exactly NEEDLE.
count_of() {
	printf '%s\n' "$2" | grep -cx -- "$1"
}

step "topology: cli -- dir -- bridge -- rs1, rs2, rs3; VIPs 10.0.0.10 (NAT) and 10.0.1.100 (DR)"
lvs_lab 3
ns dir ip addr add 10.0.0.10/32 dev eth0 || fail "NAT VIP"
ns dir ip addr add 10.0.1.100/32 dev br0 || fail "DR VIP"
for n in 1 2 3; do
	dr_real_server "rs$n" 10.0.1.100
	# 0.0.0.0: the real server's own address (NAT) and the VIP on lo (DR).
	http_serve "rs$n" 0.0.0.0 "served by rs$n"
	printf '#!/bin/sh\necho "hello from rs%s"\nexec cat\n' "$n" >"/tmp/echo-rs$n"
	chmod +x "/tmp/echo-rs$n"
	ip netns exec "rs$n" nc -ll -p 7000 -e "/tmp/echo-rs$n" &
	wait_until 50 listening "rs$n" 7000 || fail "echo server in rs$n"
done

step "kalive programs the three services and the echo service"
write_conf 1 2
t0=$(now_ms)
ip netns exec dir kalive -n -l -f "$conf" -p /run/kl.pid >"$log" 2>&1 &
kl=$!
wait_until 75 ipvs_has dir "-a -t 10.0.1.100:80 -r 10.0.1.13:80 -g -w 1" || kl_fail "kalive did not program its services"
echo "services programmed $(($(now_ms) - t0)) ms after the start"
# The checkers' first verdicts (all up) change nothing: no IPVS line after the start.
sleep 2
ns dir ipvsadm -Ln
ipvs_save dir | LC_ALL=C sort >/tmp/traffic.got
diff -u /files/traffic.expected /tmp/traffic.got || kl_fail "ipvsadm -Sn is not the configuration (- expected, + kalive)"
ns dir ipvsadm -Ln | grep -qx 'TCP  10.0.0.10:8080 rr persistent 30' || kl_fail "no persistence in ipvsadm -Ln"
grep -q 'TCP_CHECK .*checker down' "$log" && kl_fail "a checker went down"

step "NAT wrr 3:1: 8 connections through the VIP, 6 to rs1 and 2 to rs2"
got=$(http_bodies cli http://10.0.0.10/ 8)
echo "$got" | tr '\n' ' '
echo
if [ "$(count_of "served by rs1" "$got")" -ne 6 ] || [ "$(count_of "served by rs2" "$got")" -ne 2 ]; then
	kl_fail "wrr 3:1 did not split 8 connections 6:2"
fi

step "NAT with persistence: 6 connections of the client on one real server"
got=$(http_bodies cli http://10.0.0.10:8080/ 6)
echo "$got" | tr '\n' ' '
echo
first=$(echo "$got" | head -n 1)
case $first in "served by rs"[123]) ;; *) kl_fail "no answer through the persistent service: $first" ;; esac
[ "$(count_of "$first" "$got")" -eq 6 ] || kl_fail "persistence did not keep the client on one real server"
# The template: client address, port 0, the virtual service, the chosen server.
ns dir ipvsadm -Lnc | grep -q " 10.0.0.2:0 *10.0.0.10:8080 *10.0.1.1${first#served by rs}:80" ||
	kl_fail "no persistence template in ipvsadm -Lnc: $(ns dir ipvsadm -Lnc)"

step "DR rr: 3 connections through the VIP reach rs1, rs2 and rs3"
got=$(http_bodies cli http://10.0.1.100/ 3)
echo "$got" | tr '\n' ' '
echo
for n in 1 2 3; do
	[ "$(count_of "served by rs$n" "$got")" -eq 1 ] || kl_fail "DR: rs$n did not answer exactly once"
done
ns dir ipvsadm -Lnc | grep -q '10.0.1.100:80 .*10.0.1.1[123]:80' || kl_fail "DR: no connection entry"

step "an nc session through the VIP, kept open across two SIGHUPs"
mkfifo /tmp/session.in || fail "fifo"
ip netns exec cli nc 10.0.0.10 7000 </tmp/session.in >/tmp/session.out 2>&1 &
session=$!
exec 3>/tmp/session.in
wait_until 50 grep -q 'hello from rs' /tmp/session.out || kl_fail "no greeting through the VIP: $(cat /tmp/session.out)"
on=$(sed -n 's/^hello from rs//p' /tmp/session.out)
echo "the session is on rs$on"
other=$((3 - on))
entry="ESTABLISHED 10.0.0.2:[0-9]* *10.0.0.10:7000 *10.0.1.1$on:7000"
# say WORD: the session echoes WORD back.
say() {
	echo "$1" >&3
	wait_until 50 grep -qx "$1" /tmp/session.out || kl_fail "the session did not echo '$1': $(cat /tmp/session.out)"
}
say before
ns dir ipvsadm -Lnc | grep -q "$entry" || kl_fail "no IPVS entry for the session"

step "SIGHUP adding rs3 to the echo service: one NEW_DEST, the session flows"
write_conf 1 2 3
ipvs_reload dir "$kl" "$log" "+-a -t 10.0.0.10:7000 -r 10.0.1.13:7000 -m -w 1" \
	"IPVS: added 10.0.1.13:7000 in [10.0.0.10]:tcp:7000 (Masq, weight 1)" || kl_fail "SIGHUP adding rs3"
say after-add
ns dir ipvsadm -Lnc | grep -q "$entry" || kl_fail "the session's IPVS entry is gone after adding rs3"

step "SIGHUP removing rs$other (the session is on rs$on): one DEL_DEST, the session flows"
write_conf "$on" 3
ipvs_reload dir "$kl" "$log" "--a -t 10.0.0.10:7000 -r 10.0.1.1$other:7000 -m -w 1" \
	"IPVS: deleted 10.0.1.1$other:7000 from [10.0.0.10]:tcp:7000" || kl_fail "SIGHUP removing rs$other"
say after-remove
ns dir ipvsadm -Lnc | grep -q "$entry" || kl_fail "the session's IPVS entry is gone after removing rs$other"
[ "$(grep -c 'hello from' /tmp/session.out)" -eq 1 ] || kl_fail "the session was reconnected"
exec 3>&-
kill "$session" 2>/dev/null
wait "$session" 2>/dev/null

step "SIGTERM: kalive removes its services"
kill "$kl"
wait "$kl"
wait_until 25 ipvs_empty dir || kl_fail "kalive left services behind"
echo "lvs-traffic: all checks passed"
