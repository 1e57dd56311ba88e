#!/bin/sh
# shellcheck shell=sh
# Runs inside the VM (tests/vm/run.sh; `make bench-checkers`): 1,000 real servers with TCP_CHECK at
# delay_loop 1 s, kalive's daemon and then keepalived 2.2.7's checker on the same configuration,
# each for WINDOW seconds after a warm-up, on the same kernel with IPVS. Prints CPU time and RSS
# of the checking process (kalive: its one process; keepalived: its checker child, and its parent
# for reference). The listeners are bench `checkers --serve` (accept and close, one process).
# shellcheck source=tests/vm/lib.sh
. /vmkit.sh

N=${N:-1000}
WINDOW=${WINDOW:-60}
WARMUP=${WARMUP:-10}

conf=/tmp/checkers.conf
{
	echo "global_defs {"
	echo "    router_id bench"
	echo "}"
	echo "virtual_server 10.0.0.10 80 {"
	echo "    protocol TCP"
	echo "    lb_algo rr"
	echo "    lb_kind NAT"
	echo "    delay_loop 1"
	i=0
	while [ "$i" -lt "$N" ]; do
		echo "    real_server 127.0.0.1 $((20000 + i)) {"
		echo "        TCP_CHECK {"
		echo "            connect_timeout 1"
		echo "        }"
		echo "    }"
		i=$((i + 1))
	done
	echo "}"
} >"$conf"

# shellcheck disable=SC3045 # dash has ulimit -n
ulimit -n 65536
# kalive's checkers alone, in the bench's own loop (it starts its own listeners): what the
# daemon adds shows as the difference.
if [ -n "${LIBRARY:-}" ]; then
	step "kalive's checkers alone (the bench loop, no daemon)"
	/files/checkers --servers "$N" --seconds "$WINDOW" 2>&1 | sed 's/^/BENCH: library: /'
fi

# The listeners: stdin open as long as the pipe below lives.
mkfifo /tmp/serve.in
/files/checkers --serve --servers "$N" </tmp/serve.in >/tmp/serve.out &
serve=$!
exec 3>/tmp/serve.in
wait_until 100 grep -q ready /tmp/serve.out || fail "the listeners did not start"

cpu_ticks() {
	# utime + stime (fields 14 and 15) of PID, in clock ticks.
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
sys_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $13 }'
}
switches() {
	awk '/^voluntary_ctxt_switches:/ { v = $2 } /^nonvoluntary_ctxt_switches:/ { n = $2 } END { print v + n }' "/proc/$1/status"
}
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}
hwm_kb() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)

# measure NAME PID: CPU over WINDOW seconds and memory at the end.
measure() {
	l0=$(cpu_ticks "$serve")
	c0=$(cpu_ticks "$2")
	s0=$(sys_ticks "$2")
	w0=$(switches "$2")
	sleep "$WINDOW"
	c1=$(cpu_ticks "$2")
	s1=$(sys_ticks "$2")
	w1=$(switches "$2")
	l1=$(cpu_ticks "$serve")
	dests=$(ipvsadm -Ln | grep -c -- '->.*Masq')
	echo "BENCH: $1 pid $2: cpu $(((c1 - c0) * 1000 / hz)) ms in ${WINDOW} s (system $(((s1 - s0) * 1000 / hz)) ms), $(((w1 - w0) / WINDOW)) wake-ups/s; rss $(rss_kb "$2") kB (peak $(hwm_kb "$2") kB); $dests destinations up; the listeners meanwhile $(((l1 - l0) * 1000 / hz)) ms"
}

# run_kalive LABEL [FLAGS...]
run_kalive() {
	label=$1
	shift
	step "kalive $*: $N TCP_CHECK, delay_loop 1 s"
	kalive -n -G "$@" -f "$conf" -p /tmp/kalive.pid >/tmp/kalive.log 2>&1 &
	kpid=$!
	sleep "$WARMUP"
	kill -0 "$kpid" 2>/dev/null || { cat /tmp/kalive.log; fail "kalive ended"; }
	measure "$label" "$kpid"
	kill -TERM "$kpid"
	wait_until 100 sh -c "! kill -0 $kpid" || fail "kalive did not stop"
	ipvsadm -C
}
run_kalive kalive
if [ -n "${RT:-}" ]; then
	# What SCHED_RR would cost here (kalive's default with VRRP instances; with only virtual
	# servers it runs SCHED_OTHER unless checker_rt_priority is set).
	sed -i 's/^    router_id bench$/    router_id bench\n    checker_rt_priority 1/' "$conf"
	run_kalive "kalive with checker_rt_priority 1 (SCHED_RR)"
	sed -i '/checker_rt_priority/d' "$conf"
fi

step "keepalived 2.2.7 (checker only, -C): the same configuration"
keepalived -n -l -C -f "$conf" -p /tmp/ka.pid -c /tmp/ka_c.pid >/tmp/ka.log 2>&1 &
apid=$!
wait_until 100 test -s /tmp/ka_c.pid || { cat /tmp/ka.log; fail "no keepalived checker process"; }
cpid=$(cat /tmp/ka_c.pid)
sleep "$WARMUP"
kill -0 "$cpid" 2>/dev/null || { tail -20 /tmp/ka.log; fail "keepalived's checker ended"; }
p0=$(cpu_ticks "$apid")
measure "keepalived checker" "$cpid"
p1=$(cpu_ticks "$apid")
echo "BENCH: keepalived parent pid $apid: cpu $(((p1 - p0) * 1000 / hz)) ms in ${WINDOW} s; rss $(rss_kb "$apid") kB"
kill -TERM "$apid"
wait_until 150 sh -c "! kill -0 $apid" || fail "keepalived did not stop"
exec 3>&-
