#!/usr/bin/env bash
# Builds the kalive appliance (image/README.md "Appliance"): a gzip'd initramfs for Debian's
# linux-image-amd64 kernel holding nothing but busybox (static), the static kalive, the virtio
# NIC driver and image/appliance/rootfs (init, supervisor, hotplug dispatcher, one UCI
# configuration per node). Kernel choice, module selection and cpio building are in
# image/initramfs-lib.sh, which the VM tests' tests/vm/build-initramfs.sh sources too.
#
# usage: build.sh [-o OUTDIR] [-k KALIVE]
#   OUTDIR/initramfs.cpio.gz  the appliance (default OUTDIR: target/appliance)
#   OUTDIR/vmlinuz            symlink to the kernel whose modules it holds
#   KALIVE                    default target/x86_64-unknown-linux-musl/release/kalive (`make`)
# Exit: 0 built, 1 error, 77 busybox-static or the kernel is missing (the message says which).
# Environment: VM_KERNEL (see image/initramfs-lib.sh).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR/../.. source=image/initramfs-lib.sh
. "$root/image/initramfs-lib.sh"
die() {
	echo "appliance: $*" >&2
	exit 1
}
missing() {
	echo "appliance: $*" >&2
	exit 77
}

out=$root/target/appliance
kalive=$root/target/x86_64-unknown-linux-musl/release/kalive
while getopts o:k: opt; do
	case $opt in
	o) out=$OPTARG ;;
	k) kalive=$OPTARG ;;
	*) die "usage: build.sh [-o OUTDIR] [-k KALIVE]" ;;
	esac
done
[ -x "$kalive" ] || die "no kalive binary at $kalive (run make, or pass -k)"
# The appliance has no libc and no loader: kalive must be the static build.
case $(file -b "$kalive") in
*"static-pie linked"* | *"statically linked"*) ;;
*) die "$kalive is not statically linked (build it with make)" ;;
esac
busybox=/bin/busybox
[ -x "$busybox" ] || missing "no $busybox (apt-get install busybox-static)"
case $(file -b -L "$busybox") in
*"static-pie linked"* | *"statically linked"*) ;;
*) missing "$busybox is not static (apt-get install busybox-static)" ;;
esac
kit_kernel || missing "$kit_error"

# virtio_net for the LAN port (virtio-net-pci); virtio_pci is a module in Debian's kernel too.
# IPVS (ip_vs with the wrr scheduler) for node 1's virtual server; crc32c_generic first: it is
# libcrc32c's soft dependency, which insmod does not follow.
order=$(kit_module_order "virtio_pci virtio_net crc32c_generic ip_vs ip_vs_wrr")
absent=$(kit_missing_modules "$order")
[ -z "$absent" ] || die "kernel $kver has no module: $absent"

mkdir -p "$out"
out=$(cd "$out" && pwd)
tree=$(mktemp -d "$out/tree.XXXXXX")
trap 'rm -rf "$tree"' EXIT
(
	cd "$tree"
	cp -R "$here/rootfs/." .
	mkdir -p bin usr/bin usr/sbin dev proc sys run tmp root
	mkdir -p var && ln -s ../run var/run
	cp "$busybox" bin/busybox
	kit_busybox_links bin
	cp "$kalive" usr/sbin/kalive
	kit_install_modules "$order"
	printf 'root:x:0:0:root:/:/bin/sh\n' >etc/passwd
	printf 'root:x:0:\n' >etc/group
	chmod 0755 init sbin/* bin/busybox usr/sbin/kalive
	kit_archive | gzip -9 >"$out/initramfs.cpio.gz.new"
)
mv -f "$out/initramfs.cpio.gz.new" "$out/initramfs.cpio.gz"
ln -sfn "$kernel" "$out/vmlinuz"
size() { stat -c %s "$1"; }
modules=$(du -sb "$tree/lib/modules" | cut -f1)
echo "appliance: $out/initramfs.cpio.gz: $(size "$out/initramfs.cpio.gz") bytes gzip'd" \
	"(busybox $(size "$busybox"), kalive $(size "$kalive"), modules $modules bytes unpacked); kernel $kernel"
