#!/bin/sh
# An OpenWrt keepalived UCI file with a virtual server (lvs-uci/kalive), read by kalive as it is:
# IPVS gets the two real servers; a real server that stops listening is removed and OpenWrt's
# hotplug contract reports it (`hotplug-call kalive` with exactly ACTION=NOTIFY_DOWN
# TYPE=REAL_SERVER NAME=web1), and its return (NOTIFY_UP); startup and shutdown calls frame them.
# shellcheck source=tests/vm/lib.sh
. /vmkit.sh

lvs_lab 2
http_serve rs1 10.0.1.11 one
http_serve rs2 10.0.1.12 two

calls=/tmp/hotplug.calls
cat >/tmp/hotplug-call <<HP
#!/bin/sh
line="\$*|\$(env | grep -v '^PWD=' | sort | tr '\n' ' ')"
echo "\${line% }" >> $calls
HP
chmod +x /tmp/hotplug-call

log=/tmp/kalive.log
KALIVE_HOTPLUG_CALL=/tmp/hotplug-call ip netns exec dir kalive -n -l -G --uci -f /files/kalive \
	-p /tmp/kalive.pid >"$log" 2>&1 &
kpid=$!
has() { grep -qx -- "$1" "$calls" 2>/dev/null; }
wait_until 100 ipvs_has dir "-a -t 10.0.0.10:80 -r 10.0.1.12:80 -m -w 2" ||
	{ cat "$log"; fail "web2 never programmed"; }
ipvs_has dir "-a -t 10.0.0.10:80 -r 10.0.1.11:80 -m -w 1" || { ipvs_save dir; fail "web1 not programmed"; }
has "kalive|ACTION=startup" || { cat "$calls"; fail "no startup call"; }
step "programmed from the UCI file"

http_stop rs1
wait_until 100 sh -c "! ip netns exec dir ipvsadm -Sn | grep -q 10.0.1.11" ||
	{ ipvs_save dir; cat "$log"; fail "web1 not removed"; }
wait_until 50 has "kalive|ACTION=NOTIFY_DOWN NAME=web1 TYPE=REAL_SERVER" ||
	{ cat "$calls"; fail "no NOTIFY_DOWN for web1"; }
step "web1 down: removed, hotplug NOTIFY_DOWN"

http_serve rs1 10.0.1.11 one
wait_until 100 ipvs_has dir "-a -t 10.0.0.10:80 -r 10.0.1.11:80 -m -w 1" ||
	{ ipvs_save dir; cat "$log"; fail "web1 not back"; }
wait_until 50 has "kalive|ACTION=NOTIFY_UP NAME=web1 TYPE=REAL_SERVER" ||
	{ cat "$calls"; fail "no NOTIFY_UP for web1"; }
step "web1 back: re-added, hotplug NOTIFY_UP"

kill -TERM "$kpid"
wait_until 100 sh -c "! kill -0 $kpid" || fail "kalive did not stop"
wait_until 50 has "kalive|ACTION=shutdown" || { cat "$calls"; fail "no shutdown call"; }
if grep -q "NAME=web2" "$calls"; then
	cat "$calls"
	fail "web2 never changed, yet a hotplug call named it"
fi
cat "$calls"
