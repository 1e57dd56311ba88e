# shellcheck shell=bash
# shellcheck disable=SC2034 # kernel and kit_error are set for the caller
# Pieces shared by the initramfs builders: image/appliance/build.sh (the appliance) and
# tests/vm/build-initramfs.sh (the VM tests). It lives under image/ so the image does not depend
# on the test tree. Sourced by bash; defines functions only.

# kit_kernel: picks the kernel and sets kernel, kver and moddir. $VM_KERNEL if set, else the
# newest /boot/vmlinuz-* that has /lib/modules/<version>. Returns 1 with the reason in kit_error.
kit_kernel() {
	kernel=${VM_KERNEL:-}
	if [ -z "$kernel" ]; then
		for k in /boot/vmlinuz-*; do
			[ -d "/lib/modules/${k#/boot/vmlinuz-}" ] && kernel=$k
		done
	fi
	if [ -z "$kernel" ] || [ ! -r "$kernel" ]; then
		kit_error="no readable kernel image in /boot with modules (apt-get install linux-image-amd64, or set VM_KERNEL)"
		return 1
	fi
	kver=${kernel##*/vmlinuz-}
	moddir=/lib/modules/$kver
	if [ ! -f "$moddir/modules.dep" ]; then
		kit_error="no $moddir/modules.dep for kernel $kernel"
		return 1
	fi
}

# kit_module_order MODULES: the module files to load for the names in MODULES (space or newline
# separated), dependencies first, as paths relative to $moddir; "missing NAME" for a name the
# kernel lacks. modules.dep lists the whole closure with the ones to load first last.
kit_module_order() {
	awk -v want="$1" '
	function base(p) { sub(/.*\//, "", p); sub(/\.ko(\.(xz|gz|zst))?$/, "", p); gsub(/-/, "_", p); return p }
	function add(p) { if (!(p in seen)) { seen[p] = 1; order[n++] = p } }
	{ f = $1; sub(/:$/, "", f); deps[base(f)] = $0; path[base(f)] = f }
	END {
		k = split(want, w, /[ \t\n]+/)
		for (i = 1; i <= k; i++) {
			m = w[i]; gsub(/-/, "_", m)
			if (m == "") continue
			if (!(m in path)) { print "missing " m; continue }
			c = split(deps[m], d, /[ \t]+/)
			for (j = c; j >= 2; j--) add(d[j])
			add(path[m])
		}
		for (i = 0; i < n; i++) print order[i]
	}' "$moddir/modules.dep"
}

# kit_missing_modules ORDER: the names kit_module_order reported missing, on one line (empty if
# none).
kit_missing_modules() {
	printf '%s\n' "$1" | sed -n 's/^missing //p' | tr '\n' ' '
}

# kit_install_modules ORDER: puts the modules of ORDER (kit_module_order's output) under
# ./lib/modules/$kver uncompressed, lists them in load order in ./etc/load-modules (paths
# relative to that directory) and writes a modules.dep pruned to them, so that busybox modprobe
# works too. Run in the tree's root.
kit_install_modules() {
	mkdir -p "lib/modules/$kver" etc
	: >etc/load-modules
	printf '%s\n' "$1" | while read -r m; do
		[ -n "$m" ] || continue
		dst=lib/modules/$kver/${m%.xz}
		dst=${dst%.gz}
		dst=${dst%.zst}
		mkdir -p "${dst%/*}"
		case $m in
		*.xz) xz -dc "$moddir/$m" >"$dst" ;;
		*.gz) gzip -dc "$moddir/$m" >"$dst" ;;
		*.zst) zstd -qdc "$moddir/$m" >"$dst" ;;
		*) cp "$moddir/$m" "$dst" ;;
		esac
		echo "${dst#"lib/modules/$kver/"}" >>etc/load-modules
	done
	awk -v have="$(tr '\n' ' ' <etc/load-modules)" '
		BEGIN { split(have, h, " "); for (i in h) ok[h[i]] = 1 }
		{ line = ""; for (i = 1; i <= NF; i++) { f = $i; sub(/\.(xz|gz|zst)$/, "", f); if (i == 1) { sub(/:$/, "", f); if (!(f in ok)) next; f = f ":" }; line = line (i > 1 ? " " : "") f }; print line }
	' "$moddir/modules.dep" >"lib/modules/$kver/modules.dep"
}

# kit_busybox_links DIR: a link DIR/APPLET -> busybox for every applet of ./DIR/busybox, except
# the names given after DIR. Run in the tree's root.
kit_busybox_links() {
	kbl_dir=$1
	shift
	for a in $("./$kbl_dir/busybox" --list); do
		case " busybox $* " in *" $a "*) continue ;; esac
		ln -s busybox "$kbl_dir/$a"
	done
}

# kit_archive: a newc cpio archive of the current directory, files owned by root, on stdout.
kit_archive() {
	if command -v cpio >/dev/null; then
		find . -mindepth 1 | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0
	else
		find . -mindepth 1 | LC_ALL=C sort | busybox cpio -o -H newc
	fi
}
