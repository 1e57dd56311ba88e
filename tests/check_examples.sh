#!/usr/bin/env bash
# `make demo`, until the VRRP engine lands: check every example in config/ with `kalive -t`, in a
# network namespace that has the interfaces the examples name, side by side with keepalived 2.2.7's
# own `-t` when it is installed. Fails if kalive refuses an example or disagrees with keepalived.
set -euo pipefail

bin=${1:-target/x86_64-unknown-linux-musl/release/kalive}
dir=${2:-config}
[ -x "$bin" ] || { echo "demo: no binary at $bin (run make first)" >&2; exit 1; }
bin=$(realpath "$bin")
here=$(cd "$(dirname "$0")" && pwd)

ns=""
if [ "$(id -u)" -eq 0 ] && command -v ip >/dev/null; then
	ns="kalive-demo-$$"
	trap 'sh "$here/netns/ifaces.sh" down "$ns" >/dev/null 2>&1 || true' EXIT
	sh "$here/netns/ifaces.sh" up "$ns" >/dev/null
	run() { ip netns exec "$ns" "$@"; }
	echo "demo: checking config/ in network namespace $ns (interfaces eth0 eth1 eth2 bond0 ens192)"
else
	run() { "$@"; }
	echo "demo: not root: checking on the host (missing interfaces show as warnings)"
fi
ka=$(command -v keepalived || true)

failed=0
shopt -s nullglob
for f in "$dir"/*; do
	[ -f "$f" ] || continue
	rc=0
	out=$(run "$bin" -t -f "$f" 2>&1) || rc=$?
	line="demo: $f: kalive -t exit $rc"
	case "$f" in
	*.conf)
		if [ -n "$ka" ]; then
			krc=0
			run "$ka" -t -f "$f" >/dev/null 2>&1 || krc=$?
			line="$line, keepalived -t exit $krc"
			[ "$krc" -eq "$rc" ] || { line="$line  <-- differs"; failed=1; }
		fi
		;;
	*) line="$line (UCI: kalive reads it natively)" ;;
	esac
	echo "$line"
	printf '%s\n' "$out" | sed 's/^/    /'
	if printf '%s\n' "$out" | grep -q ': error:'; then failed=1; fi
done
[ "$failed" -eq 0 ] && echo "demo: every example passes" || echo "demo: FAILED"
exit "$failed"
