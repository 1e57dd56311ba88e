# shellcheck shell=sh
# Helpers for VM-test scenarios, at /vmkit.sh in the VM: `. /vmkit.sh`.
# POSIX sh (the VM's /bin/sh is dash). Every wait is bounded.

# fail MESSAGE: print it and end the scenario with a failure.
fail() {
	echo "FAIL: $*"
	exit 1
}

# step MESSAGE: a progress line on the console.
step() {
	echo "STEP: $*"
}

# wait_until TRIES COMMAND...: run COMMAND every 0.2 s until it succeeds, at most TRIES times.
wait_until() {
	wu_tries=$1
	shift
	while [ "$wu_tries" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		wu_tries=$((wu_tries - 1))
		sleep 0.2
	done
	return 1
}

# now_ms: milliseconds since boot (busybox date has no %N).
now_ms() {
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

# ns NS COMMAND...: run COMMAND in network namespace NS.
ns() {
	in_ns=$1
	shift
	ip netns exec "$in_ns" "$@"
}

# each_conf FN: FN CONF for each /files/*.conf in order; their number in `count`; none fails.
each_conf() {
	count=0
	for ec_conf in /files/*.conf; do
		[ -e "$ec_conf" ] || continue
		"$1" "$ec_conf"
		count=$((count + 1))
	done
	[ "$count" -gt 0 ] || fail "no configurations"
}

# netns NAME...: create network namespaces, each with lo up.
netns() {
	for nn in "$@"; do
		ip netns add "$nn" || fail "netns $nn"
		ns "$nn" ip link set lo up || fail "lo in $nn"
	done
}

# veth NS1 IF1 ADDR1 NS2 IF2 ADDR2: a veth pair from IF1 in NS1 to IF2 in NS2, both up, each
# end addressed (CIDR) unless its ADDR is "-". Made in place, so names may repeat across
# namespaces (eth0 everywhere).
veth() {
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" || fail "veth $1/$2 - $4/$5"
	veth_up "$1" "$2" "$3"
	veth_up "$4" "$5" "$6"
}
veth_up() {
	if [ "$3" != "-" ]; then
		ns "$1" ip addr add "$3" dev "$2" || fail "address $3 on $2 in $1"
	fi
	ns "$1" ip link set "$2" up || fail "up $2 in $1"
}

# listening NS PORT: something in NS listens on TCP PORT.
listening() {
	ns "$1" netstat -ltn | grep -q ":$2 "
}

# http_dir NS [PORT]: the directory http_serve serves in NS on PORT (default 80).
http_dir() {
	echo "/tmp/www-$1-${2:-80}"
}

# http_serve NS ADDR TEXT [PORT]: busybox httpd on ADDR:PORT (default 80; ADDR 0.0.0.0 for every
# address) in NS answering GET / with TEXT; other files go in `http_dir NS PORT`. Returns once
# it listens; http_stop ends it.
http_serve() {
	hs_port=${4:-80}
	hs_dir=$(http_dir "$1" "$hs_port")
	mkdir -p "$hs_dir" || fail "www dir for $1"
	echo "$3" >"$hs_dir/index.html" || fail "index.html for $1"
	# -f: in the foreground, so $! is httpd (ip netns exec execs it).
	ip netns exec "$1" httpd -f -p "$2:$hs_port" -h "$hs_dir" &
	echo $! >"/tmp/httpd-$1-$hs_port.pid"
	wait_until 50 listening "$1" "$hs_port" || fail "httpd in $1 on $2:$hs_port"
}

# http_stop NS [PORT]: ends http_serve's httpd; returns once nothing listens on PORT in NS.
http_stop() {
	hs_pid=$(cat "/tmp/httpd-$1-${2:-80}.pid") || fail "no httpd in $1 on ${2:-80}"
	kill "$hs_pid" || fail "kill httpd $hs_pid in $1"
	wait "$hs_pid" 2>/dev/null
	wait_until 50 sh -c "! ip netns exec $1 netstat -ltn | grep -q ':${2:-80} '" ||
		fail "httpd in $1 still listens on ${2:-80}"
}

# http_get NS URL: the body of URL fetched from NS (3 s timeout), on stdout. Not wget -T:
# Debian's busybox 1.35 wget crashes with it.
http_get() {
	ns "$1" timeout 3 wget -q -O - "$2"
}

# http_bodies NS URL COUNT: COUNT fetches of URL from NS, one body a line (a failed fetch is
# the line "FAILED").
http_bodies() {
	hb_n=$3
	while [ "$hb_n" -gt 0 ]; do
		http_get "$1" "$2" || echo FAILED
		hb_n=$((hb_n - 1))
	done
}

# lvs_lab N: the LVS topology the scenarios share, in network namespaces:
#   cli eth0 10.0.0.2/24 --- dir eth0 10.0.0.1/24     (cli's default route; NAT VIPs go on eth0)
#   dir br0 10.0.1.1/24, a bridge with
#     rs1..rsN eth0 10.0.1.11/24, 10.0.1.12/24, ...   (default route via dir, for LVS-NAT)
#     cli eth1 10.0.1.2/24                            (on-link with the real servers, LVS-DR)
# dir forwards. lab_port attaches more namespaces to the bridge.
lvs_lab() {
	netns cli dir
	veth cli eth0 10.0.0.2/24 dir eth0 10.0.0.1/24
	ns cli ip route add default via 10.0.0.1 || fail "route in cli"
	ns dir ip link add br0 type bridge || fail "bridge"
	ns dir ip addr add 10.0.1.1/24 dev br0 || fail "bridge address"
	ns dir ip link set br0 up || fail "bridge up"
	ns dir sysctl -qw net.ipv4.ip_forward=1 || fail "ip_forward"
	lab_port cli eth1 10.0.1.2/24
	ll_n=1
	while [ "$ll_n" -le "$1" ]; do
		netns "rs$ll_n"
		lab_port "rs$ll_n" eth0 "10.0.1.1$ll_n/24"
		ns "rs$ll_n" ip route add default via 10.0.1.1 || fail "route in rs$ll_n"
		ll_n=$((ll_n + 1))
	done
}

# lab_port NS IF ADDR: a port of dir's bridge br0 into NS, named IF there, addressed ADDR.
lab_port() {
	veth dir "p-$1" - "$1" "$2" "$3"
	ns dir ip link set "p-$1" master br0 || fail "p-$1 into br0"
}

# dr_real_server NS VIP: what LVS-DR needs on a real server: the VIP on lo (the director sends
# it frames addressed to the VIP), no ARP replies for it (arp_ignore 1: only for addresses of
# the receiving interface) and never it as the source of ARP requests (arp_announce 2).
dr_real_server() {
	ns "$1" ip addr add "$2/32" dev lo || fail "VIP on lo in $1"
	for drs_if in all eth0; do
		ns "$1" sysctl -qw "net.ipv4.conf.$drs_if.arp_ignore=1" || fail "arp_ignore in $1"
		ns "$1" sysctl -qw "net.ipv4.conf.$drs_if.arp_announce=2" || fail "arp_announce in $1"
	done
}

# ipvs_save NS: `ipvsadm -Sn` in NS.
ipvs_save() {
	ns "$1" ipvsadm -Sn
}

# ipvs_has NS LINE: `ipvsadm -Sn` in NS has exactly LINE (`-a -t 10.0.0.1:80 -r ... -m -w 1`).
ipvs_has() {
	ipvs_save "$1" | grep -qx -- "$2"
}

# ipvs_listing NS: `ipvsadm -Ln` in NS without the connection counters (traffic changes them).
ipvs_listing() {
	ns "$1" ipvsadm -Ln | sed -E 's/^(  -> [^ ]+ +[A-Za-z]+ +[0-9]+) .*/\1/'
}

# ipvs_snapshot NS: `ipvsadm -Ln`, `-Ln --persistent-conn`, `-Ln --thresholds`, `-Sn` and
# `-L --timeout` (the netns's connection timeouts, lvs_timeouts) in NS, one text.
ipvs_snapshot() {
	ns "$1" ipvsadm -Ln && echo "--- persistent-conn" && ns "$1" ipvsadm -Ln --persistent-conn &&
		echo "--- thresholds" && ns "$1" ipvsadm -Ln --thresholds &&
		echo "--- save" && ns "$1" ipvsadm -Sn && echo "--- timeout" && ns "$1" ipvsadm -L --timeout
}

# ipvs_settle NS OUT: wait until NS has destinations and ipvs_snapshot stays the same for 1 s
# (5 reads), at most 15 s; the last snapshot in OUT.
ipvs_settle() {
	st_prev='' st_same=0 st_tries=75
	while [ "$st_tries" -gt 0 ]; do
		st_now=$(ipvs_snapshot "$1" 2>&1)
		if [ "$st_now" = "$st_prev" ] && printf '%s\n' "$st_now" | grep -q -- '->'; then
			st_same=$((st_same + 1))
			[ "$st_same" -ge 5 ] && break
		else
			st_same=0
		fi
		st_prev=$st_now
		st_tries=$((st_tries - 1))
		sleep 0.2
	done
	printf '%s\n' "$st_prev" >"$2"
	[ "$st_tries" -gt 0 ]
}

# ipvs_empty NS: ipvsadm -Ln lists no service in NS.
ipvs_empty() {
	! ns "$1" ipvsadm -Ln | grep -qE '^(TCP|UDP|SCTP|FWM) '
}

# ipvs_lines LOG: the "IPVS: ..." lines kalive logged in LOG.
ipvs_lines() {
	grep -o 'IPVS: .*' "$1"
}

# ipvs_reload NS PID LOG CHANGE LOGGED: SIGHUP to kalive (PID, console log LOG, its IPVS in NS),
# whose configuration the caller has just rewritten, must add (+LINE) or remove (-LINE) exactly
# that `ipvsadm -Sn` line, and kalive must log exactly the one IPVS line LOGGED. Prints what
# went wrong and returns 1 otherwise.
ipvs_reload() {
	ipvs_save "$1" >/tmp/reload.before
	ir_n=$(ipvs_lines "$3" | wc -l)
	kill -HUP "$2"
	case $4 in
	+*) wait_until 50 ipvs_has "$1" "${4#+}" || { echo "${4#+} was not added"; return 1; } ;;
	*) wait_until 50 sh -c "! ip netns exec $1 ipvsadm -Sn | grep -qx -- '${4#-}'" ||
		{ echo "${4#-} was not removed"; return 1; } ;;
	esac
	sleep 1
	ir_new=$(ipvs_lines "$3" | tail -n +$((ir_n + 1)))
	echo "$ir_new"
	[ "$ir_new" = "$5" ] || { echo "the reload did more than one operation: $ir_new"; return 1; }
	ipvs_save "$1" >/tmp/reload.after
	ir_changes=$(diff -u /tmp/reload.before /tmp/reload.after | grep '^[-+]-[aA] ')
	[ "$ir_changes" = "$4" ] || { echo "ipvsadm shows other changes: $ir_changes"; return 1; }
}

# Side by side: kalive's director in "dir", keepalived 2.2.7's in "dka", one configuration
# (lvs-checks.sh, lvs-tls.sh). The scenario defines show_fail MESSAGE (print its state, fail).

# start_directors CONF [KALIVE_CONF]: keepalived 2.2.7 in dka on CONF (log $kalog) and kalive in dir
# on KALIVE_CONF, CONF by default (log $log); their pids in ka and kl. The scenario names the logs
# and uses the pids.
# shellcheck disable=SC2034,SC2154
start_directors() {
	ip netns exec dka keepalived -n -l -D -f "$1" -p /run/ka.pid -c /run/kac.pid \
		-r /run/kav.pid >"$kalog" 2>&1 &
	ka=$!
	ip netns exec dir kalive -n -l -f "${2:-$1}" -p /run/kl.pid >"$log" 2>&1 &
	kl=$!
}

# table LINE...: the expected `ipvsadm -Sn`, sorted, in /tmp/want.
table() {
	printf '%s\n' "$@" | LC_ALL=C sort >/tmp/want
}
# is_table NS: NS's `ipvsadm -Sn` is /tmp/want.
is_table() {
	[ "$(ipvs_save "$1" | LC_ALL=C sort)" = "$(cat /tmp/want)" ]
}
same_listing() {
	[ "$(ipvs_listing dir)" = "$(ipvs_listing dka)" ]
}

# converge WHAT: kalive's IPVS becomes /tmp/want, then keepalived's, then both listings agree.
converge() {
	cv_t0=$(now_ms)
	wait_until 100 is_table dir || {
		ipvs_save dir | LC_ALL=C sort | diff -u /tmp/want -
		show_fail "kalive: $1 (- expected, + kalive)"
	}
	cv_kl=$(($(now_ms) - cv_t0))
	wait_until 100 is_table dka || {
		ipvs_save dka | LC_ALL=C sort | diff -u /tmp/want -
		show_fail "keepalived: $1 (- expected, + keepalived)"
	}
	cv_ka=$(($(now_ms) - cv_t0))
	wait_until 25 same_listing || {
		ipvs_listing dka >/tmp/listing.ka
		ipvs_listing dir | diff -u /tmp/listing.ka -
		show_fail "$1: ipvsadm -Ln differs (- keepalived, + kalive)"
	}
	echo "$1: kalive ${cv_kl} ms, keepalived ${cv_ka} ms"
}
