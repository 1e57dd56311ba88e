#!/bin/sh
# Create or remove a network namespace holding the interfaces the config corpus names:
#   eth0 eth1 eth2 bond0 ens192
# Each is one end of a veth pair whose peer stays inside the same namespace
# (the kernel used for testing has no dummy module), so nothing leaks outside.
#
#   ifaces.sh up NS     create NS and its interfaces (fails if NS exists)
#   ifaces.sh down NS   delete NS (and with it every interface in it)
set -eu

IFACES="eth0 eth1 eth2 bond0 ens192"

usage() { echo "usage: $0 up|down NAMESPACE" >&2; exit 64; }
[ $# -eq 2 ] || usage
cmd=$1 ns=$2

case $cmd in
up)
    ip netns add "$ns"
    # from here on, undo everything if a step fails
    trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
        2>/dev/null || true
    i=0
    for ifname in $IFACES; do
        i=$((i + 1))
        peer="p$i-$ifname"
        peer=$(printf '%.15s' "$peer")
        ip -n "$ns" link add "$ifname" type veth peer name "$peer"
        # TEST-NET-1 (192.0.2.0/24) on eth0, TEST-NET-2/3 and 198.18/15 on the others
        case $ifname in
            eth0)   v4=192.0.2.1/24;    v6=2001:db8:0::1/64 ;;
            eth1)   v4=198.51.100.1/24; v6=2001:db8:1::1/64 ;;
            eth2)   v4=203.0.113.1/24;  v6=2001:db8:2::1/64 ;;
            bond0)  v4=198.18.0.1/24;   v6=2001:db8:3::1/64 ;;
            ens192) v4=198.18.1.1/24;   v6=2001:db8:4::1/64 ;;
        esac
        ip -n "$ns" addr add "$v4" dev "$ifname"
        ip -n "$ns" -6 addr add "$v6" dev "$ifname" nodad
        ip -n "$ns" link set "$ifname" up
        ip -n "$ns" link set "$peer" up
    done
    trap - EXIT
    ;;
down)
    ip netns del "$ns" 2>/dev/null || true
    ;;
*) usage ;;
esac
