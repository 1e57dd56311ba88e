#!/usr/bin/env bash
# Runs one VM-test scenario (tests/README.md "VM tests"): builds the initramfs with it
# (build-initramfs.sh), boots it under qemu (TCG), streams the serial console to stdout and
# exits 0 only if the VM printed "VM-RESULT: PASS".
#
# usage: run.sh SCENARIO [FILE...]     each FILE lands in the VM as /files/<its base name>, and
#                                     so does everything in the directory SCENARIO without .sh
# Exit: 0 PASS, 1 FAIL or no verdict, 2 usage or build error, 77 qemu, the kernel or a tool
# the initramfs needs is missing (a skip; the message says which).
# Environment:
#   KALIVE         the kalive binary (default target/x86_64-unknown-linux-musl/release/kalive)
#   VM_OUT         work directory (default target/vm/<scenario name>): initramfs, console.log
#   VM_TIMEOUT     seconds the scenario may run inside the VM (default: its `# vm-timeout: N`
#                  line, else 120); qemu as a whole gets 60 more
#   VM_MEM         memory in MB (default 512)
#   VM_QEMU_ARGS   extra qemu arguments, e.g. "-nic user,model=virtio-net-pci" (with
#                  VM_EXTRA_MODULES="virtio_pci virtio_net"); no network device otherwise
#   VM_APPEND      extra kernel command line (the scenario can read /proc/cmdline)
#   VM_KERNEL, VM_CACHE, VM_EXTRA_MODULES: see build-initramfs.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if [ $# -lt 1 ]; then
	echo "usage: run.sh SCENARIO [FILE...]" >&2
	exit 2
fi
scenario=$1
shift
name=$(basename "$scenario" .sh)
# A directory next to the scenario with its name (scenarios/NAME/) holds its files.
if [ -d "${scenario%.sh}" ]; then
	set -- "${scenario%.sh}"/* "$@"
fi
qemu="qemu-system-x86_64"
if ! command -v "$qemu" >/dev/null; then
	echo "run.sh: $qemu not found (apt-get install qemu-system-x86)" >&2
	exit 77
fi
if [ -z "${VM_KERNEL:-}" ] && ! ls /boot/vmlinuz-* >/dev/null 2>&1; then
	echo "run.sh: no kernel in /boot (apt-get install linux-image-amd64, or set VM_KERNEL)" >&2
	exit 77
fi

out=${VM_OUT:-$root/target/vm/$name}
# A scenario may ask for more time than 120 s with a line `# vm-timeout: SECONDS`.
declared=$(sed -n 's/^# vm-timeout: *\([0-9][0-9]*\)$/\1/p' "$scenario" | head -n 1)
timeout=${VM_TIMEOUT:-${declared:-120}}
start=$(date +%s%N)
status=0
"$here/build-initramfs.sh" -o "$out" -s "$scenario" -k "${KALIVE:-$root/target/x86_64-unknown-linux-musl/release/kalive}" "$@" || status=$?
case $status in 0) ;; 77) exit 77 ;; *) exit 2 ;; esac
built=$(date +%s%N)

log=$out/console.log
# stdin from /dev/null: qemu's -nographic monitor must not read the caller's terminal.
# shellcheck disable=SC2086 # VM_QEMU_ARGS is a list of words
timeout -k 5 $((timeout + 60)) "$root/image/qemu.sh" "$out/vmlinuz" "$out/initramfs.cpio.gz" \
	"vmkit.timeout=$timeout ${VM_APPEND:-}" -m "${VM_MEM:-512}" ${VM_QEMU_ARGS:-} </dev/null 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
done_at=$(date +%s%N)
echo "run.sh: $name: initramfs $(((built - start) / 1000000)) ms, VM $(((done_at - built) / 1000000)) ms"

if grep -q '^VM-RESULT: PASS' "$log"; then
	exit 0
fi
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
	echo "run.sh: $name: qemu killed after $((timeout + 60)) s" >&2
elif ! grep -q '^VM-RESULT:' "$log"; then
	echo "run.sh: $name: no VM-RESULT line (qemu exit $status; see $log)" >&2
else
	echo "run.sh: $name: $(grep '^VM-RESULT:' "$log")" >&2
fi
exit 1
