#!/bin/sh
# ipkg-build.sh IDIR OUTDIR: pack a staged OpenWrt package (IDIR with its CONTROL directory, as
# image/openwrt/sdk-stub writes it) into OUTDIR/NAME_VERSION_ARCH.ipk the way OpenWrt's
# scripts/ipkg-build does: an .ipk is a gzip'd tar (not an ar archive) of ./debian-binary ("2.0"),
# ./data.tar.gz and ./control.tar.gz; Installed-Size is the size of the uncompressed data tar;
# conffiles keeps only files the package ships. Reproducible: GNU tar, members sorted by name,
# owner and group 0, every mtime SOURCE_DATE_EPOCH (default 0), gzip without name or time.
set -eu

[ $# -eq 2 ] || { echo "usage: $0 IDIR OUTDIR" >&2; exit 1; }
idir=$(realpath "$1")
out=$(realpath "$2")
epoch=${SOURCE_DATE_EPOCH:-0}
control="$idir/CONTROL"
[ -f "$control/control" ] || { echo "$0: no $control/control" >&2; exit 1; }

field() { sed -n "s/^$1: *//p" "$control/control"; }
pkg=$(field Package)
version=$(field Version)
arch=$(field Architecture)
if [ -z "$pkg" ] || [ -z "$version" ] || [ -z "$arch" ]; then
	echo "$0: control needs Package, Version and Architecture" >&2
	exit 1
fi

if [ -f "$control/conffiles" ]; then
	kept=$(while read -r f; do
		[ -f "$idir$f" ] && echo "$f"
	done < "$control/conffiles" | LC_ALL=C sort)
	if [ -n "$kept" ]; then
		printf '%s\n' "$kept" > "$control/conffiles"
		chmod 0644 "$control/conffiles"
	else
		rm "$control/conffiles"
	fi
fi

ptar() {
	tar --format=gnu --sort=name --owner=0 --group=0 --numeric-owner \
		--mtime="@$epoch" "$@"
}

tmp=$(mktemp -d "$out/.ipkg-build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

(cd "$idir" && ptar --exclude=./CONTROL -cf - .) | gzip -n > "$tmp/data.tar.gz"
size=$(gzip -dc "$tmp/data.tar.gz" | wc -c)
sed -i "s/^Installed-Size: .*/Installed-Size: $size/" "$control/control"
(cd "$control" && ptar -cf - .) | gzip -n > "$tmp/control.tar.gz"
echo "2.0" > "$tmp/debian-binary"
chmod 0644 "$tmp/debian-binary" "$tmp/data.tar.gz" "$tmp/control.tar.gz"

ipk="$out/${pkg}_${version}_${arch}.ipk"
(cd "$tmp" && ptar -cf - ./debian-binary ./data.tar.gz ./control.tar.gz) | gzip -n > "$ipk.tmp"
mv "$ipk.tmp" "$ipk"
echo "$ipk: $(wc -c < "$ipk") bytes, Installed-Size $size"
