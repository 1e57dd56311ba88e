#!/bin/sh
# The realtime clock stepped forward and back (issue 11's fault suite, tests/README.md
# "Faults and attacks"). Stepping CLOCK_REALTIME is machine-wide and no namespace shifts it, so it is done
# here, in the VM. Two nodes in network namespaces on one veth pair: a (priority 200, the
# master) and b (priority 100, the backup), VRRPv2 advert_int 1 (Master_Down_Interval 3.61 s),
# first with kalive on both, then with keepalived 2.2.7 on both, under the same steps:
#   1. `date -s` while both run: +1 h, back 1 h, +10 years, back to 1970 (the kernel refuses a
#      time below CLOCK_MONOTONIC, so uptime + 60 s), then forward to the real time again;
#   2. the backup stopped (SIGSTOP) for 1.5 s, then 5 s (more than MDI), the clock stepped +1 h
#      or -1 h at the end of the stop and the backup continued at once, so that the master's
#      adverts waited in its socket across the step. kalive dates an advert's arrival from its
#      SO_TIMESTAMPNS stamp (realtime) and clamps the age to [0, min(1 s, time since the socket
#      was last empty)] (src/daemon/reactor/arrival.rs): without the clamp, the adverts stamped
#      before a +1 h step look an hour old, the Master_Down_Timer armed from them has expired,
#      and the backup takes over; without the 1 s bound, so it does after the 5 s stop.
# Asserted for kalive, printed for keepalived: the VIP never added to nor removed from either
# node (`ip monitor address` in both, so even a blip counts) and on a alone at a check after
# every step, the backup never enters MASTER, the master enters it once, the master's adverts
# (captured in b, their kernel receive stamps mapped back to CLOCK_MONOTONIC) 0.5-2 s apart.
# vm-timeout: 420
# shellcheck source=tests/vm/lib.sh
. /vmkit.sh

vip=10.0.0.100
# The backup's Master_Down_Interval (RFC 3768 §6.1: 3 × 1 s + (256 − 100) / 256 s), rounded up.
mdi=4

node_conf() { # NAME PRIORITY
	cat >"/tmp/$1.conf" <<EOF
global_defs {
    router_id $1
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority $2
    advert_int 1
    virtual_ipaddress {
        $vip/24
    }
}
EOF
}

holds() { # NS
	ip -n "$1" -o -4 addr show dev eth0 | grep -q " $vip/"
}

uptime_s() {
	read -r up _ </proc/uptime
	echo "$up"
}

# check_holders WHEN: the VIP on a and only on a, else a line in /tmp/holders.bad.
check_holders() {
	holds a && ! holds b && return 0
	echo "$1: a $(holds a && echo holds || echo lacks) the VIP, b $(holds b && echo holds || echo lacks) it" >>/tmp/holders.bad
}

# realtime_offset: one line more in /tmp/offsets: CLOCK_REALTIME minus CLOCK_MONOTONIC, exact
# (the kernel's offset of its realtime clock base, index 1 in /proc/timer_list), and
# CLOCK_MONOTONIC now ("now at"), in seconds.
realtime_offset() {
	awk '/^now at/ { now = $3 / 1e9 } /^ *\.index: *1$/ { f = 1; next }
		f && /\.offset:/ { printf "%.9f %.9f\n", $2 / 1e9, now; exit }' /proc/timer_list >>/tmp/offsets
}

# monotonic_now: CLOCK_MONOTONIC in seconds (/proc/timer_list's "now at").
monotonic_now() {
	awk '/^now at/ { printf "%.9f\n", $3 / 1e9; exit }' /proc/timer_list
}

# set_clock SECONDS LABEL: CLOCK_REALTIME to SECONDS since the epoch.
set_clock() {
	sc_before=$(date +%s)
	date -s "@$1" >/dev/null || fail "date -s @$1 ($2)"
	realtime_offset
	echo "clock: $2: $sc_before -> $(date +%s) ($(date -u '+%Y-%m-%d %H:%M:%S'))"
}

# start DAEMON NODE: DAEMON (kalive or keepalived) on NODE's configuration in namespace NODE;
# the pid of its VRRP process in /tmp/DAEMON-NODE.vrrp.
start() {
	case $1 in
	kalive)
		ip netns exec "$2" kalive -n -l -G -f "/tmp/$2.conf" -p "/run/kl-$2.pid" \
			>"/tmp/$1-$2.log" 2>&1 &
		echo $! >"/tmp/$1-$2.vrrp"
		echo $! >"/tmp/$1-$2.main"
		;;
	keepalived)
		ip netns exec "$2" keepalived -n -l -P -f "/tmp/$2.conf" -p "/run/ka-$2.pid" \
			-r "/run/ka-$2-vrrp.pid" -c "/run/ka-$2-check.pid" >"/tmp/$1-$2.log" 2>&1 &
		echo $! >"/tmp/$1-$2.main"
		wait_until 50 test -s "/run/ka-$2-vrrp.pid" || fail "keepalived's VRRP process in $2"
		cp "/run/ka-$2-vrrp.pid" "/tmp/$1-$2.vrrp"
		;;
	esac
}

stop() { # DAEMON NODE
	st_pid=$(cat "/tmp/$1-$2.main")
	kill "$st_pid" 2>/dev/null
	wait_until 50 sh -c "! kill -0 $st_pid" || kill -9 "$st_pid" 2>/dev/null
	wait "$st_pid" 2>/dev/null
}

# stopped_step DAEMON SECONDS DELTA: the backup's VRRP process stopped for SECONDS, the clock
# stepped by DELTA and at once continued, so that the adverts it reads then were all (unless
# one lands in those few milliseconds) stamped before the step, and the last of them rearms the
# Master_Down_Timer before the timers run; then MDI and a bit watched.
stopped_step() {
	ss_pid=$(cat "/tmp/$1-b.vrrp")
	kill -STOP "$ss_pid" || fail "SIGSTOP $1 in b"
	sleep "$2"
	ss_before=$(date +%s)
	date -s "@$((ss_before + $3))" >/dev/null
	ss_set=$?
	kill -CONT "$ss_pid" || fail "SIGCONT $1 in b"
	[ "$ss_set" -eq 0 ] || fail "date -s @$((ss_before + $3))"
	realtime_offset
	echo "clock: $3 s at the end of the backup's $2 s stop: $ss_before -> $(date +%s) ($(date -u '+%Y-%m-%d %H:%M:%S'))"
	sleep $((mdi + 1))
	check_holders "$3 s at the end of the backup's $2 s stop"
}

# wrong WHAT: one more thing that went wrong, in verdict.
wrong() {
	verdict="${verdict:+$verdict; }$1"
}

# run DAEMON: the whole sequence with DAEMON on both nodes; its verdict in /tmp/DAEMON.verdict
# ("ok" or everything that went wrong), its numbers on the console.
run() {
	d=$1
	rm -f /tmp/holders.bad /tmp/capture /tmp/tcpdump.err
	touch /tmp/holders.bad
	start "$d" a
	wait_until 100 holds a || fail "$d: a did not take the VIP"
	start "$d" b
	wait_until 100 grep -q "Entering BACKUP STATE" "/tmp/$d-b.log" || fail "$d: b did not enter BACKUP"
	sleep 1

	# Each advert's kernel receive stamp (-tt: realtime, microseconds); mapped back to the
	# monotonic clock through the offsets the steps went through, so that its gaps are the
	# sender's, without a shell loop's delays.
	: >/tmp/offsets
	realtime_offset
	ip netns exec b tcpdump -Z root -tt -l -n -i eth0 'ip proto 112' >/tmp/capture 2>/tmp/tcpdump.err &
	tcpdump=$!
	wait_until 50 grep -q "listening on" /tmp/tcpdump.err || fail "tcpdump: $(cat /tmp/tcpdump.err)"
	# Every change of either node's addresses, as it happens: the VIP must not move at all.
	ip -n a monitor address >/tmp/monitor-a &
	monitor_a=$!
	ip -n b monitor address >/tmp/monitor-b &
	monitor_b=$!
	sleep 0.5
	check_holders "before the steps"
	t0=$(date +%s)
	up0=$(uptime_s)
	sleep 3

	step "$d: the clock stepped while both run"
	set_clock $((t0 + 3600)) "+1 h"
	sleep 3
	check_holders "after +1 h"
	set_clock $(($(date +%s) - 3600)) "-1 h"
	sleep 3
	check_holders "after -1 h"
	set_clock $(($(date +%s) + 315576000)) "+10 years"
	sleep 3
	check_holders "after +10 years"
	set_clock "$(awk '{ printf "%d\n", $1 + 60 }' /proc/uptime)" "back to 1970"
	sleep 3
	check_holders "after back to 1970"
	set_clock "$(awk -v t0="$t0" -v up0="$up0" '{ printf "%d\n", t0 + $1 - up0 }' /proc/uptime)" "forward to the real time"
	sleep 3
	check_holders "after forward to the real time"

	step "$d: the clock stepped while the backup is stopped and the adverts wait in its socket"
	stopped_step "$d" 1.5 3600
	stopped_step "$d" 1.5 -3600
	stopped_step "$d" 5 3600
	stopped_step "$d" 5 -3600

	kill "$monitor_a" "$monitor_b"
	wait "$monitor_a" "$monitor_b" 2>/dev/null
	mono1=$(monotonic_now)
	kill "$tcpdump"
	wait "$tcpdump" 2>/dev/null
	stop "$d" b
	stop "$d" a

	verdict=
	moved=$(cat /tmp/monitor-a /tmp/monitor-b | grep -c " $vip/")
	bad=$(wc -l </tmp/holders.bad)
	echo "$d: the VIP's address changed $moved times on a and b (ip monitor); $bad of 11 checks found it not on a alone"
	grep -h " $vip/" /tmp/monitor-a /tmp/monitor-b | sed 's/^/  /' | head -n 10
	sed 's/^/  /' /tmp/holders.bad
	[ "$moved" -eq 0 ] || wrong "the VIP moved $moved times"
	[ "$bad" -eq 0 ] || wrong "the VIP not on a alone at $bad checks"

	a_master=$(grep -c "Entering MASTER STATE" "/tmp/$d-a.log")
	b_master=$(grep -c "Entering MASTER STATE" "/tmp/$d-b.log")
	echo "$d: a entered MASTER $a_master times, b $b_master times; their state changes:"
	grep "Entering" "/tmp/$d-a.log" "/tmp/$d-b.log" | sed 's/^/  /'
	[ "$b_master" -eq 0 ] || wrong "b took over $b_master times"
	[ "$a_master" -eq 1 ] || wrong "a entered MASTER $a_master times"

	# A stamp belongs to the clock's epoch (from one step to the next) in which its monotonic
	# time, stamp minus that epoch's offset, falls. The packets come in the order they were
	# received, so each one's epoch is the current one or a later one: searched in that order,
	# a packet cannot land in an earlier epoch whose offset happens to be close (+1 h then -1 h
	# come back to within seconds of the first), and consecutive epochs differ by an hour or
	# more. The 0.5 s of slack covers the moment between a step and its record.
	grep ' IP 10\.0\.0\.1 > 224\.0\.0\.18: VRRP' /tmp/capture |
		awk -v end="$mono1" 'BEGIN { n = 0; e = 0 } NR == FNR { off[n] = $1; from[n] = $2 - 0.5; n++; next }
		{ for (i = e; i < n; i++) { m = $1 - off[i]; to = i + 1 < n ? from[i + 1] + 0.5 : end + 1
			if (m >= from[i] && m < to) { e = i; printf "%.6f %d %s\n", m, i, $1; break } } }' \
			/tmp/offsets - >/tmp/adverts
	gaps=$(awk 'NR > 1 { g = $1 - prev; if (n == 0 || g < min) min = g; if (g > max) max = g; n++ }
		{ prev = $1 } END { printf "%d %.3f %.3f\n", n, min, max }' /tmp/adverts)
	# shellcheck disable=SC2086 # three numbers, split on purpose
	set -- $gaps
	dated=$(wc -l </tmp/adverts)
	captured=$(grep -c ' IP 10\.0\.0\.1 > 224\.0\.0\.18: VRRP' /tmp/capture)
	[ "$dated" -eq "$captured" ] || wrong "only $dated of the $captured adverts from a dated"
	echo "$d: $dated of $captured adverts from a dated over $(awk -v b="$mono1" 'NR == 1 { printf "%.0f", b - $2 }' /tmp/offsets) s; gaps between them $2-$3 s"
	awk 'NR > 1 && ($1 - prev < 0.9 || $1 - prev > 1.1) {
		printf "  gap %.3f s at %.3f (epoch %d, stamp %s; the one before: epoch %d, stamp %s)\n", $1 - prev, $1, $2, $3, pe, ps }
		{ prev = $1; pe = $2; ps = $3 }' /tmp/adverts | head -n 10
	echo "$d: the clock's epochs (offset to CLOCK_MONOTONIC, from): $(tr '\n' ',' </tmp/offsets)"
	grep VRRP /tmp/capture | grep -v ' IP 10\.0\.0\.1 > 224\.0\.0\.18: VRRP' >/tmp/others
	echo "$d: other VRRP packets captured: $(wc -l </tmp/others)"
	sed 's/^/  /' /tmp/others | head -n 5
	awk -v lo=0.5 -v hi=2 'BEGIN { ok = 1 } { if ($1 < lo || $1 > hi) ok = 0 } END { exit !ok }' <<EOF || wrong "adverts off schedule: gaps $2-$3 s"
$2
$3
EOF
	[ "$1" -ge 30 ] || wrong "only $1 gaps between adverts captured"
	echo "${verdict:-ok}" >"/tmp/$d.verdict"
	echo "$d: verdict: ${verdict:-ok}"
}

step "two nodes: a 10.0.0.1 (priority 200), b 10.0.0.2 (priority 100), VIP $vip"
netns a b
veth a eth0 10.0.0.1/24 b eth0 10.0.0.2/24
node_conf a 200
node_conf b 100

step "kalive"
run kalive
# keepalived's run is tests/README.md's measurement, not an assertion: it doubles the scenario's VM
# time, so `make test` leaves it out; VM_APPEND=clockstep.keepalived=1 tests/vm/run.sh
# tests/vm/scenarios/clock-step.sh runs it too.
echo unmeasured >/tmp/keepalived.verdict
case " $(cat /proc/cmdline) " in
*" clockstep.keepalived=1 "*)
	step "keepalived 2.2.7"
	run keepalived
	;;
esac

echo "CLOCK-STEP: kalive: $(cat /tmp/kalive.verdict); keepalived: $(cat /tmp/keepalived.verdict)"
[ "$(cat /tmp/kalive.verdict)" = ok ] || {
	tail -n 40 /tmp/kalive-a.log /tmp/kalive-b.log
	fail "kalive: $(cat /tmp/kalive.verdict)"
}
