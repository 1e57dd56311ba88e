#!/usr/bin/env bash
# Boots a kernel and initramfs under qemu the way every VM does, the VM tests' (tests/vm/run.sh)
# and the appliance's (image/appliance/test.py):
# TCG (no KVM needed), the serial console on stdout (-nographic), no reboot (a poweroff or a
# panic ends qemu), no network device unless the arguments add one, qboot when installed. It
# execs qemu, so its pid is qemu's.
#
# usage: qemu.sh KERNEL INITRD APPEND [QEMU-ARG...]
#   APPEND follows "console=ttyS0 panic=-1 quiet" on the kernel command line.
set -euo pipefail
if [ $# -lt 3 ]; then
	echo "usage: qemu.sh KERNEL INITRD APPEND [QEMU-ARG...]" >&2
	exit 2
fi
kernel=$1 initrd=$2 append=$3
shift 3
# qboot starts the kernel 0.4 s sooner than SeaBIOS and prints no escape sequences.
bios=()
if [ -f /usr/share/qemu/qboot.rom ]; then
	bios=(-bios /usr/share/qemu/qboot.rom)
fi
exec qemu-system-x86_64 -accel tcg -nographic -no-reboot -nic none "${bios[@]}" \
	-kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 panic=-1 quiet $append" "$@"
