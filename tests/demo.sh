#!/usr/bin/env bash
# For now: run `kalive -t -f FILE` (keepalived's config test) over every file in config/ and
# print each result. To be replaced by a live failover demo.
set -euo pipefail

bin=${1:-target/x86_64-unknown-linux-musl/release/kalive}
dir=${2:-config}
[ -x "$bin" ] || { echo "demo: no binary at $bin (run make first)" >&2; exit 1; }

shopt -s nullglob
files=("$dir"/*)
if [ ${#files[@]} -eq 0 ]; then
	echo "demo: no files in $dir/"
	exit 0
fi

failed=0
for f in "${files[@]}"; do
	[ -f "$f" ] || continue
	rc=0
	out=$("$bin" -t -f "$f" 2>&1) || rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "demo: $f: ok"
	else
		echo "demo: $f: exit $rc"
		failed=1
	fi
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/    /'
done
exit "$failed"
