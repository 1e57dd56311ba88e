#!/bin/sh
# shellcheck shell=sh
# Runs inside the VM (tests/vm/run.sh; `make bench-scale-lvs`): issue 12's 10,000 real servers,
# 10 virtual servers of 1,000 real servers each, TCP_CHECK at delay_loop 10 s (1,000 checks a
# second), kalive's daemon and then keepalived 2.2.7 (-C, its checker) on the same configuration
# and kernel (IPVS). For each: time from launch until every destination is in IPVS
# (/proc/net/ip_vs), time from a SIGHUP that changes one real server's weight until the kernel
# shows it, CPU over WINDOW s and RSS (peak too) of the checking process. The listeners are the
# checkers bench's `--serve` (accept and close, one process, ports 20000..). A kernel argument
# scale.only=kalive or scale.only=keepalived (VM_APPEND) runs one of them.
# vm-timeout: 1500
# shellcheck source=tests/vm/lib.sh
. /vmkit.sh

# Smaller runs (VM_APPEND="scale.per_vs=200 scale.vss=5 scale.window=5") for a quick look.
arg() {
	sed -n "s/.*scale\.$1=\([0-9a-z]*\).*/\1/p" /proc/cmdline
}
PER_VS=$(arg per_vs)
PER_VS=${PER_VS:-1000}
VSS=$(arg vss)
VSS=${VSS:-10}
WINDOW=$(arg window)
WINDOW=${WINDOW:-30}
N=$((PER_VS * VSS))

conf=/tmp/scale.conf
# write_conf WEIGHT: the configuration, the last real server with weight WEIGHT.
write_conf() {
	awk -v vss="$VSS" -v per="$PER_VS" -v last_weight="$1" 'BEGIN {
		print "global_defs {\n    router_id bench\n}"
		for (v = 0; v < vss; v++) {
			printf "virtual_server 10.0.0.%d 80 {\n    protocol TCP\n    lb_algo rr\n    lb_kind NAT\n    delay_loop 10\n", v + 1
			for (i = 0; i < per; i++) {
				w = (v == vss - 1 && i == per - 1) ? last_weight : 1
				printf "    real_server 127.0.0.1 %d {\n        weight %d\n        TCP_CHECK {\n            connect_timeout 3\n        }\n    }\n", 20000 + v * per + i, w
			}
			print "}"
		}
	}' >"$conf"
}

# shellcheck disable=SC3045 # dash has ulimit -n
ulimit -n 65536
mkfifo /tmp/serve.in
/files/checkers --serve --servers "$N" </tmp/serve.in >/tmp/serve.out &
exec 3>/tmp/serve.in
wait_until 300 grep -q ready /tmp/serve.out || fail "the listeners did not start"

dests() {
	grep -c '^  -> [0-9A-F]' /proc/net/ip_vs
}
# The changed real server (the last) with weight $1 in the kernel: /proc/net/ip_vs lists
# "  -> 7F000001:PORT Masq WEIGHT ...".
last_port=$(printf '%04X' $((20000 + N - 1)))
last_has_weight() {
	grep -q "^  -> 7F000001:$last_port *Masq *$1 " /proc/net/ip_vs
}
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
rss_kb() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}
hwm_kb() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)

# debug_log LOG LINES (scale.debug=1): what the log says after its first LINES lines.
debug_log() {
	tail -n +"$(($2 + 1))" "$1" | grep -n . | grep -v -e ': success$' -e 'checker down$' -e 'checker up$' -e ': Removing' -e ': Adding' -e 'IPVS: added' -e 'IPVS: deleted' | head -150 | sed 's/^/BENCH: log: /'
	sed 's/^/BENCH: softnet_stat: /' /proc/net/softnet_stat
	cat /proc/net/netstat /proc/net/snmp | awk '$1 == last { for (i = 2; i <= NF; i++) if ($i != 0) printf "BENCH: netstat: %s%s %s\n", $1, name[i], $i; next } { last = $1; for (i = 2; i <= NF; i++) name[i] = $i }' | grep -i -e listen -e drop -e overflow -e retrans -e prune -e syn -e timeout
	for what in 'checker down$' 'checker up$' 'Removing' 'Adding'; do
		echo "BENCH: log: '$what' first and last at $(tail -n +"$(($2 + 1))" "$1" | grep -n "$what" | sed -n '1p;$p' | cut -d: -f1 | tr '\n' ' ')"
	done
	for what in 'checker down' 'checker up' 'Removing' 'Adding' 'connect timeout' 'IPVS sync' 'success$'; do
		echo "BENCH: log: $(tail -n +"$(($2 + 1))" "$1" | grep -c "$what") lines with '$what'"
	done
}

# measure NAME MAINPID CHECKPID T0 LOG: all destinations, the window, the SIGHUP.
measure() {
	wait_until 1500 sh -c "[ \$(grep -c '^  -> [0-9A-F]' /proc/net/ip_vs) -ge $N ]" || {
		echo "BENCH: $1: only $(dests) of $N destinations"
		tail -5 "$5" | sed 's/^/BENCH: log: /'
		return
	}
	up=$(($(now_ms) - $4))
	[ -n "$(arg debug)" ] && grep -m 4 -e 'LVS start' -e 'IPVS sync' -e 'health checker' "$5" | sed 's/^/BENCH: start: /'
	sleep 5
	c0=$(cpu_ticks "$3")
	sleep "$WINDOW"
	c1=$(cpu_ticks "$3")
	echo "BENCH: $1: start -> all $N destinations in IPVS ${up} ms; cpu $(((c1 - c0) * 1000 / hz)) ms in ${WINDOW} s; rss $(rss_kb "$3") kB (peak $(hwm_kb "$3") kB)"
	write_conf 2
	t0=$(now_ms)
	lines=$(wc -l <"$5")
	kill -HUP "$2"
	if ! wait_until 300 last_has_weight 2; then
		echo "BENCH: $1: the SIGHUP's weight did not reach the kernel in $(($(now_ms) - t0)) ms: $(grep "^  -> 7F000001:$last_port " /proc/net/ip_vs)"
		debug_log "$5" "$lines"
		[ "$1" = kalive ] && fail "kalive: the SIGHUP's weight did not reach the kernel"
		return
	fi
	hup=$(($(now_ms) - t0))
	sleep 3
	[ -n "$(arg debug)" ] && debug_log "$5" "$lines"
	# kalive (its log names each IPVS operation): the SIGHUP is exactly one operation, the
	# weight's, and no server left the pool.
	if [ "$1" = kalive ]; then
		ops=$(tail -n +"$((lines + 1))" "$5" | grep -c 'IPVS: \(added\|changed\|deleted\)')
		removed=$(tail -n +"$((lines + 1))" "$5" | grep -c 'Removing service')
		echo "BENCH: kalive: after the SIGHUP $ops IPVS operation(s), $removed real server(s) removed"
		[ "$ops" -eq 1 ] && [ "$removed" -eq 0 ] && [ "$(dests)" -eq "$N" ] ||
			fail "the SIGHUP that changed one weight made $ops IPVS operations and removed $removed servers ($(dests) of $N left)"
	fi
	echo "BENCH: $1: SIGHUP (one real server's weight 1 -> 2) -> in the kernel ${hup} ms; rss after $(rss_kb "$3") kB (peak $(hwm_kb "$3") kB); $(dests) destinations"
}

# `VM_APPEND=scale.only=keepalived` (or kalive) on the host runs one of the two.
only=$(arg only)
if [ "$only" != keepalived ]; then
	step "kalive: $N TCP_CHECK real servers, delay_loop 10 s"
	write_conf 1
	t0=$(now_ms)
	debug=$(arg debug)
	kalive -n -G ${debug:+-D} -f "$conf" -p /tmp/kalive.pid >/tmp/kalive.log 2>&1 &
	kpid=$!
	measure kalive "$kpid" "$kpid" "$t0" /tmp/kalive.log
	kill -TERM "$kpid"
	if ! wait_until 300 sh -c "! kill -0 $kpid"; then
		echo "BENCH: kalive did not stop within 60 s of SIGTERM: killed"
		kill -KILL "$kpid"
	fi
	ipvsadm -C
fi
[ "$only" = kalive ] && exit 0

step "keepalived 2.2.7 (checker only, -C): the same configuration"
write_conf 1
t0=$(now_ms)
keepalived -n -l -C -f "$conf" -p /tmp/ka.pid -c /tmp/ka_c.pid >/tmp/ka.log 2>&1 &
apid=$!
wait_until 300 test -s /tmp/ka_c.pid || { tail -20 /tmp/ka.log; fail "no keepalived checker process"; }
cpid=$(cat /tmp/ka_c.pid)
measure "keepalived checker" "$apid" "$cpid" "$t0" /tmp/ka.log
echo "BENCH: keepalived parent pid $apid: rss $(rss_kb "$apid") kB"
kill -TERM "$apid"
wait_until 300 sh -c "! kill -0 $apid" || fail "keepalived did not stop"
exec 3>&-
