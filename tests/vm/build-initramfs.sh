#!/usr/bin/env bash
# Builds the initramfs for the VM tests (tests/README.md "VM tests"): a cached base archive (busybox,
# iproute2's ip, ipvsadm and keepalived with their shared libraries and the loader, the kernel
# modules for IPVS and namespaces) followed by a small archive with /init, the scenario, kalive
# and the extra files. The kernel unpacks concatenated cpio archives in order, so a new kalive
# or scenario only rebuilds the small one.
#
# usage: build-initramfs.sh -o OUTDIR -s SCENARIO [-k KALIVE] [FILE...]
# Exit: 0 built, 1 error, 77 a tool or the kernel is missing (the message says which).
#   OUTDIR/initramfs.cpio.gz  the initramfs
#   OUTDIR/vmlinuz            symlink to the kernel whose modules it holds
# In the VM: /scenario.sh, /vmkit.sh (tests/vm/lib.sh), /usr/sbin/kalive, each FILE as
# /files/<its base name>.
# Environment:
#   VM_KERNEL         kernel image (default: the newest /boot/vmlinuz-* with /lib/modules/<version>)
#   VM_CACHE          cache directory for the base archive (default: target/vm/cache)
#   VM_EXTRA_MODULES  more modules to load at boot, by name (dependencies are added)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source-path=SCRIPTDIR/../.. source=image/initramfs-lib.sh
. "$root/image/initramfs-lib.sh"
die() {
	echo "build-initramfs: $*" >&2
	exit 1
}
# A tool or the kernel is not installed: exit 77, which run.sh and tests/vm.rs report as a skip.
missing() {
	echo "build-initramfs: $*" >&2
	exit 77
}

out="" scenario="" kalive="$root/target/x86_64-unknown-linux-musl/release/kalive"
while getopts o:s:k: opt; do
	case $opt in
	o) out=$OPTARG ;;
	s) scenario=$OPTARG ;;
	k) kalive=$OPTARG ;;
	*) die "usage: build-initramfs.sh -o OUTDIR -s SCENARIO [-k KALIVE] [FILE...]" ;;
	esac
done
shift $((OPTIND - 1))
{ [ -n "$out" ] && [ -n "$scenario" ]; } || die "usage: build-initramfs.sh -o OUTDIR -s SCENARIO [-k KALIVE] [FILE...]"
[ -f "$scenario" ] || die "no scenario $scenario"
[ -x "$kalive" ] || die "no kalive binary at $kalive (run make, or pass -k)"
for f in "$@"; do [ -e "$f" ] || die "no file $f"; done

# Modules loaded at boot, in this order after their dependencies. crc32c_generic first: it is
# libcrc32c's soft dependency ("crc32c"), which insmod does not follow, and ip_vs needs
# libcrc32c; crc32c-intel cannot load under TCG's default CPU (no SSE4.2).
modules="crc32c_generic veth dummy macvlan bridge nf_conntrack ip_vs
ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh ip_vs_sh ip_vs_sed ip_vs_nq
ip_vs_fo ip_vs_ovf ip_vs_mh ${VM_EXTRA_MODULES:-}"
# Programs copied with the libraries ldd lists for them. iproute2's ip: busybox's ip has no
# `netns` and cannot create veth pairs. dash as /bin/sh: Debian's busybox runs its own applets
# before any PATH search (its sh, and the programs it starts by name), so under busybox sh
# `ip` would always be busybox's. openssl: certificates and s_server for SSL_GET's client
# certificates (tests/vm/scenarios/lvs-tls.sh).
programs="/usr/sbin/ip /usr/sbin/ipvsadm /usr/sbin/keepalived /bin/dash /usr/bin/tcpdump /usr/bin/python3 /usr/bin/openssl"
# Python's standard modules the scenarios' small servers import (UDP, DNS and SMTP responders,
# e.g. tests/vm/scenarios/lvs-checks/servers.py, run as `python3 -S`), found by importing them
# here: the library's few files, not all of it.
pymodules="socket socketserver struct select threading time os sys encodings.ascii encodings.latin_1"

busybox=/bin/busybox
[ -x "$busybox" ] || missing "no $busybox (apt-get install busybox-static)"
for p in $programs; do [ -x "$p" ] || missing "no $p (apt-get install iproute2 ipvsadm keepalived dash tcpdump python3 openssl)"; done
# shellcheck disable=SC2086 # pymodules is a list of words
pyfiles=$(/usr/bin/python3 -S -c "
import importlib, sys
for m in sys.argv[1:]: importlib.import_module(m)
print('\n'.join(sorted({getattr(m, '__file__', None) or '' for m in sys.modules.values()} - {''})))
" $pymodules) || missing "python3 cannot import $pymodules"
pylib=$(/usr/bin/python3 -S -c 'import os; print(os.path.dirname(os.__file__))')

kit_kernel || missing "$kit_error"

# Shared libraries (and the loader) a program needs, one path a line.
libs_of() {
	ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}

cache=${VM_CACHE:-$root/target/vm/cache}
mkdir -p "$cache" "$out"
out=$(cd "$out" && pwd)

# Base archive, keyed by everything it is made of: this script, the kernel's modules, busybox,
# the programs and their libraries (path, size, mtime).
order=$(kit_module_order "$modules")
absent=$(kit_missing_modules "$order")
[ -z "$absent" ] || die "kernel $kver has no module: $absent"
inputs=$( {
	echo "$kver"
	for p in $programs; do libs_of "$p"; done | sort -u
	echo "$busybox" "$moddir/modules.dep" "$root/tests/vm/build-initramfs.sh" "$root/image/initramfs-lib.sh"
	echo "$programs" | tr ' ' '\n'
	echo "$pyfiles"
	printf '%s\n' "$order" | sed "s|^|$moddir/|"
} | while read -r f; do [ -e "$f" ] && stat -L -c '%n %s %Y' "$f" || echo "$f"; done)
key=$(printf '%s\n' "$inputs" | cksum | cut -d' ' -f1)
base=$cache/base-$kver-$key.cpio.gz

if [ ! -s "$base" ]; then
	tree=$(mktemp -d "$cache/base.XXXXXX")
	trap 'rm -rf "$tree"' EXIT
	(
		cd "$tree"
		mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp run root files "lib/modules/$kver"
		mkdir -p var && ln -s ../run var/run
		cp "$busybox" bin/busybox
		kit_busybox_links bin ip sh
		ln -s dash bin/sh
		for f in $pyfiles; do
			mkdir -p "./${f%/*}"
			cp -L "$f" "./$f"
		done
		# python3 looks for its platform library directory at start.
		mkdir -p "./$pylib/lib-dynload"
		for p in $programs; do
			cp -L "$p" "./$p"
			for l in $(libs_of "$p"); do
				mkdir -p "./${l%/*}"
				[ -e "./$l" ] || cp -L "$l" "./$l"
			done
		done
		# The loader finds the libraries where ldd found them through this cache.
		for p in $programs; do libs_of "$p"; done | sed 's|/[^/]*$||' | sort -u >etc/ld.so.conf
		ldconfig -r . 2>/dev/null || die "ldconfig -r failed"
		printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >etc/passwd
		printf 'root:x:0:\nnogroup:x:65534:\n' >etc/group
		kit_install_modules "$order"
		kit_archive | gzip -6 >"$tree.cpio.gz"
	)
	mv -f "$tree.cpio.gz" "$base"
	find "$cache" -maxdepth 1 -name 'base-*.cpio.gz' ! -path "$base" -delete
	rm -rf "$tree"
	trap - EXIT
fi

# The small archive: /init, the scenario, kalive, the files.
top=$(mktemp -d "$out/top.XXXXXX")
trap 'rm -rf "$top"' EXIT
mkdir -p "$top/usr/sbin" "$top/files"
cp "$root/tests/vm/init.sh" "$top/init"
cp "$scenario" "$top/scenario.sh"
cp "$root/tests/vm/lib.sh" "$top/vmkit.sh"
cp "$kalive" "$top/usr/sbin/kalive"
# A dynamic kalive (cargo's debug build) brings its libraries; the static one has none.
for l in $(libs_of "$kalive"); do
	mkdir -p "$top/${l%/*}"
	cp -L "$l" "$top/$l"
done
chmod 0755 "$top/init" "$top/scenario.sh" "$top/usr/sbin/kalive"
for f in "$@"; do cp -R "$f" "$top/files/"; done
(cd "$top" && kit_archive | gzip -1) >"$top.cpio.gz"
cat "$base" "$top.cpio.gz" >"$out/initramfs.cpio.gz"
rm -f "$top.cpio.gz"
ln -sfn "$kernel" "$out/vmlinuz"
