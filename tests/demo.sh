#!/usr/bin/env bash
# `make demo`: a live VRRP failover between network namespaces.
#
#   r1 (priority 150) ──┐
#   r2 (priority 100) ──┼── bridge ── client (pings the VIP 10.77.0.100)
#
# Two kalive routers elect r1; the client reaches the VIP. r1 stops gracefully (SIGTERM:
# priority-0 advert) and r2 takes over at once; r1 comes back and preempts; then r1 dies hard
# (SIGKILL) and r2 takes over after Master_Down_Interval. Every step is timed.
set -euo pipefail

bin=$(realpath "${1:-target/x86_64-unknown-linux-musl/release/kalive}")
[ -x "$bin" ] || { echo "demo: no binary at $bin (run make first)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "demo: needs root (network namespaces)" >&2; exit 1; }

p="kdemo$$"
work=$(mktemp -d)
pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
	for n in r1 r2 client br; do ip netns del "$p-$n" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

ip netns add "$p-br"
ip -n "$p-br" link add br0 type bridge
ip -n "$p-br" link set br0 up
k=0
for n in r1 r2 client; do
	k=$((k + 1))
	ip netns add "$p-$n"
	ip link add eth0 netns "$p-$n" type veth peer name "v$k" netns "$p-br"
	ip -n "$p-br" link set "v$k" master br0 up
	ip -n "$p-$n" link set lo up
	ip -n "$p-$n" addr add "10.77.0.$k/24" dev eth0
	ip -n "$p-$n" link set eth0 up
done

conf() { # name priority
	cat >"$work/$1.conf" <<CONF
global_defs {
    router_id $1
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority $2
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass demo
    }
    virtual_ipaddress {
        10.77.0.100/24
    }
}
CONF
}
conf r1 150
conf r2 100

start() { # name
	ip netns exec "$p-$1" "$bin" -n -l -G -f "$work/$1.conf" -p "$work/$1.pid" >>"$work/$1.log" 2>&1 &
	pids+=($!)
	disown $! 2>/dev/null || true
	eval "pid_$1=$!"
}
holder() {
	for n in r1 r2; do
		ip -n "$p-$n" -br addr show dev eth0 | grep -q '10\.77\.0\.100' && printf '%s ' "$n"
	done
	echo
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
wait_for() { # expected-holder timeout-seconds -> prints the elapsed time
	local t0 h
	t0=$(now)
	while :; do
		h=$(holder)
		[ "$h" = "$1 " ] && { elapsed "$t0"; return 0; }
		if awk -v e="$(elapsed "$t0")" -v l="$2" 'BEGIN { exit !(e > l) }'; then
			echo "demo: timeout waiting for $1 (holders: $h)" >&2
			return 1
		fi
		sleep 0.02
	done
}
ping_vip() {
	command -v ping >/dev/null || { echo "(no ping installed: apt-get install iputils-ping)"; return; }
	# The answer comes from whoever holds the VIP: show its MAC next to the routers' own.
	if ip netns exec "$p-client" ping -c 1 -W 1 10.77.0.100 >/dev/null 2>&1; then
		echo "client reaches the VIP at $(ip -n "$p-client" neigh show 10.77.0.100 | awk '{print $5}')"
	else
		echo "client CANNOT reach the VIP"
	fi
}

for n in r1 r2; do echo "demo: $n is $(ip -n "$p-$n" link show eth0 | awk '/ether/ {print $2}')"; done
echo "demo: starting r1 (priority 150) and r2 (priority 100)"
start r1
start r2
t=$(wait_for r1 10) && echo "demo: r1 is MASTER with 10.77.0.100 after ${t}s (expected ~3.4 s: Master_Down_Interval)"
echo "demo: $(ping_vip)"

echo "demo: SIGTERM to r1 (graceful: priority-0 advert)"
kill -TERM "$pid_r1"
t=$(wait_for r2 5) && echo "demo: r2 took over after ${t}s (expected ~0.6 s: Skew_Time)"
echo "demo: $(ping_vip)"

echo "demo: r1 comes back and preempts"
start r1
t=$(wait_for r1 10) && echo "demo: r1 is MASTER again after ${t}s"

echo "demo: SIGKILL to r1 (crash: no goodbye)"
kill -9 "$pid_r1"
ip -n "$p-r1" addr del 10.77.0.100/24 dev eth0 2>/dev/null || true
t=$(wait_for r2 10) && echo "demo: r2 took over after ${t}s (expected ~3.6 s: 3 × advert + skew)"
echo "demo: $(ping_vip)"
echo "demo: r2's log:"
sed 's/^/    /' "$work/r2.log" | tail -8
echo "demo: done"
