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

# ns NS COMMAND...: run COMMAND in network namespace NS.
ns() {
	in_ns=$1
	shift
	ip netns exec "$in_ns" "$@"
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

# http_serve NS ADDR TEXT: busybox httpd on ADDR:80 in NS answering every GET / with TEXT.
http_serve() {
	hs_dir=/tmp/www-$1-$2
	mkdir -p "$hs_dir" || fail "www dir for $1"
	echo "$3" >"$hs_dir/index.html" || fail "index.html for $1"
	ns "$1" httpd -p "$2:80" -h "$hs_dir" || fail "httpd in $1 on $2"
}

# http_get NS URL: the body of URL fetched from NS (3 s timeout), on stdout. Not wget -T:
# Debian's busybox 1.35 wget crashes with it.
http_get() {
	ns "$1" timeout 3 wget -q -O - "$2"
}
