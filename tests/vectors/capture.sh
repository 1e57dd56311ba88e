#!/bin/bash
# Capture golden vectors from real keepalived (2.2.7) in throw-away network namespaces.
#
#   sudo tests/vectors/capture.sh            # writes tests/vectors/*.hex (one Ethernet frame, hex, per file)
#
# Test bed: netns kwcap1 (keepalived, veth "eth0") <-veth-> netns kwcap2 (tcpdump on "peer").
# Each scenario: start tcpdump, start keepalived in the foreground, wait until it is MASTER and has
# advertised, SIGTERM it (-> the priority-0 advert), stop tcpdump, then pull frames out of the pcap
# with `tcpdump -xx -r` + awk. Nothing leaves the namespaces; both are deleted on exit.
set -euo pipefail
OUT=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/kwcap.XXXXXX)
N1=kwcap1 N2=kwcap2
cleanup() {
  set +e
  [ -n "${KA:-}" ] && kill "$KA" 2>/dev/null
  [ -n "${TD:-}" ] && kill "$TD" 2>/dev/null
  wait 2>/dev/null
  ip netns del $N1 2>/dev/null; ip netns del $N2 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

ip netns add $N1; ip netns add $N2
ip link add eth0 netns $N1 address 02:00:00:00:77:01 type veth peer name peer netns $N2 address 02:00:00:00:77:02
for n in $N1 $N2; do ip -n $n link set lo up; done
# IPv6 link-locals without DAD, so keepalived can send from fe80::1 at once.
for pair in "$N1 eth0 fe80::1" "$N2 peer fe80::2"; do
  set -- $pair
  ip netns exec $1 sysctl -qw net.ipv6.conf.$2.accept_dad=0
  ip -n $1 link set $2 addrgenmode none
  ip -n $1 link set $2 up
  ip -n $1 addr add $3/64 dev $2 nodad
done
ip -n $N1 addr add 10.77.0.1/24 dev eth0
ip -n $N2 addr add 10.77.0.2/24 dev peer
ip -n $N1 addr add 2001:db8:77::1/64 dev eth0 nodad

# hex FILTER PCAP -> one line of hex per matching frame
hex() {
  tcpdump -n -xx -r "$2" "$1" 2>/dev/null | awk '
    /^[0-9]/ { if (h != "") print h; h = ""; next }
    { for (i = 2; i <= NF; i++) h = h $i }
    END { if (h != "") print h }'
}

# run NAME FORWARDING CONF-BODY
run() {
  local name=$1 fwd=$2 conf=$WORK/$1.conf pcap=$WORK/$1.pcap
  printf '%s\n' "$3" > "$conf"
  ip netns exec $N1 sysctl -qw net.ipv6.conf.all.forwarding="$fwd"
  ip netns exec $N2 tcpdump -i peer -n -U -s 0 -w "$pcap" 2>/dev/null & TD=$!
  sleep 1
  ip netns exec $N1 keepalived -n -l -D -f "$conf" -p $WORK/$name.pid -r $WORK/$name.vrrp.pid \
    -c $WORK/$name.check.pid >"$WORK/$name.log" 2>&1 & KA=$!
  sleep "${WAIT:-6}"
  kill -TERM $KA; wait $KA || true; KA=
  sleep 1
  kill $TD; wait $TD || true; TD=
  echo "== $name"; tcpdump -n -v -r "$pcap" 2>/dev/null | head -40
}

V2_PASS='vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 255
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass secret12
    }
    virtual_ipaddress {
        10.77.0.100
        10.77.0.101
    }
}'
V2_NOAUTH='vrrp_instance VI_2 {
    state BACKUP
    interface eth0
    virtual_router_id 52
    priority 150
    advert_int 1
    virtual_ipaddress {
        10.77.0.102
    }
}'
V3_V4='vrrp_instance VI_3 {
    state MASTER
    interface eth0
    virtual_router_id 53
    version 3
    priority 255
    advert_int 0.5
    virtual_ipaddress {
        10.77.0.103
        10.77.0.104
    }
}'
V3_V6='vrrp_instance VI_6 {
    state MASTER
    interface eth0
    virtual_router_id 54
    version 3
    priority 255
    advert_int 1
    virtual_ipaddress {
        fe80::54/64
        2001:db8:77::54/64
    }
}'

# IPsec AH: keepalived clears `state MASTER` with AH unless the priority is 255 (it wants a
# peer's sequence number first), so the owner is used.
V2_AH='vrrp_instance VI_7 {
    state MASTER
    interface eth0
    virtual_router_id 55
    priority 255
    advert_int 1
    authentication {
        auth_type AH
        auth_pass secret12
    }
    virtual_ipaddress {
        10.77.0.105
        10.77.0.106
    }
}'

# ONLY=ah captures the AH vectors alone (the others stay as they are).
if [ "${ONLY:-}" != ah ]; then
run v2_pass 0 "$V2_PASS"
run v2_noauth 0 "$V2_NOAUTH"
run v3_ipv4 0 "$V3_V4"
run v3_ipv6 0 "$V3_V6"
run v3_ipv6_fwd 1 "$V3_V6"
fi
run v2_ah 0 "$V2_AH"

first() { head -n 1; }
last() { tail -n 1; }
# AH over IPv4: the VRRP priority is byte 20 + 24 (AH) + 2.
hex 'ip proto 51 and ip[46] != 0' $WORK/v2_ah.pcap | first > "$OUT/v2_ah_advert.hex"
hex 'ip proto 51 and ip[46] != 0' $WORK/v2_ah.pcap | sed -n 2p > "$OUT/v2_ah_advert2.hex"
hex 'ip proto 51 and ip[46] = 0' $WORK/v2_ah.pcap | first > "$OUT/v2_ah_prio0.hex"
[ "${ONLY:-}" = ah ] && exit 0
# VRRP over IPv4: priority is IP byte 22 (keepalived sends a 20-byte header).
hex 'ip proto 112 and ip[22] != 0' $WORK/v2_pass.pcap | first > "$OUT/v2_pass_advert.hex"
hex 'ip proto 112 and ip[22] != 0' $WORK/v2_pass.pcap | sed -n 2p > "$OUT/v2_pass_advert2.hex"
hex 'ip proto 112 and ip[22] = 0' $WORK/v2_pass.pcap | first > "$OUT/v2_pass_prio0.hex"
hex 'arp' $WORK/v2_pass.pcap | first > "$OUT/garp.hex"
hex 'ip proto 112 and ip[22] != 0' $WORK/v2_noauth.pcap | first > "$OUT/v2_noauth_advert.hex"
hex 'ip proto 112 and ip[22] = 0' $WORK/v2_noauth.pcap | first > "$OUT/v2_noauth_prio0.hex"
hex 'ip proto 112 and ip[22] != 0' $WORK/v3_ipv4.pcap | first > "$OUT/v3_ipv4_advert.hex"
hex 'ip proto 112 and ip[22] = 0' $WORK/v3_ipv4.pcap | first > "$OUT/v3_ipv4_prio0.hex"
# VRRP over IPv6: next header is ip6[6]; priority is byte 40 + 2.
hex 'ip6 and ip6[6] = 112 and ip6[42] != 0' $WORK/v3_ipv6.pcap | first > "$OUT/v3_ipv6_advert.hex"
hex 'ip6 and ip6[6] = 112 and ip6[42] = 0' $WORK/v3_ipv6.pcap | first > "$OUT/v3_ipv6_prio0.hex"
# Unsolicited NA: ICMPv6 type 136 (no extension headers from keepalived).
hex 'ip6 and ip6[6] = 58 and ip6[40] = 136' $WORK/v3_ipv6.pcap | first > "$OUT/na.hex"
hex 'ip6 and ip6[6] = 58 and ip6[40] = 136' $WORK/v3_ipv6_fwd.pcap | first > "$OUT/na_router.hex"
for f in "$OUT"/*.hex; do [ -s "$f" ] || echo "EMPTY: $f"; done
