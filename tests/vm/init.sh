#!/bin/busybox sh
# shellcheck shell=dash
# /init of the VM-test initramfs (tests/vm/build-initramfs.sh). Mounts the pseudo file systems,
# loads the modules, brings lo up, runs /scenario.sh and prints its verdict on the console:
#   VM-RESULT: PASS           the scenario exited 0
#   VM-RESULT: FAIL (...)     it did not, timed out, or a module did not load
# then powers off. Kernel command line: vmkit.timeout=SECONDS (default 120) bounds the scenario.
# busybox syslogd takes /dev/log (keepalived's and kalive's logs) into /tmp/messages.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mkdir -p /dev/pts /dev/shm /run/netns
mount -t devpts devpts /dev/pts
mount -t tmpfs shm /dev/shm

finish() {
	echo "VM-RESULT: $1"
	sync
	poweroff -f
	sleep 5
}

timeout=120
read -r cmdline </proc/cmdline
for arg in $cmdline; do
	case $arg in vmkit.timeout=*) timeout=${arg#vmkit.timeout=} ;; esac
done

kver=$(uname -r)
while read -r m; do
	out=$(insmod "/lib/modules/$kver/$m" 2>&1) || finish "FAIL (insmod $m: $out)"
done </etc/load-modules
ip link set lo up || finish "FAIL (lo)"
syslogd -O /tmp/messages || finish "FAIL (syslogd)"
echo "VM-START: kernel $kver, $(wc -l </etc/load-modules) modules, scenario timeout ${timeout}s"

cd /files || finish "FAIL (no /files)"
timeout -s KILL "$timeout" /bin/sh /scenario.sh
rc=$?
case $rc in
0) finish PASS ;;
137) finish "FAIL (scenario timed out after ${timeout}s)" ;;
*) finish "FAIL (scenario exit $rc)" ;;
esac
