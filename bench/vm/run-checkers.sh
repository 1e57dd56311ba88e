#!/usr/bin/env bash
# `make bench-checkers` (part of `make bench`): builds the checkers bench as a static binary (its
# `--serve` mode provides the 1,000 listeners), runs bench/vm/checkers.sh in the VM with the
# static kalive, and writes the BENCH lines to target/bench-checkers.txt.
# Environment: KALIVE (the kalive binary), WINDOW/WARMUP are not passed into the VM (60 s / 10 s).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
exe=$(CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld cargo bench --bench checkers --no-run \
	--target x86_64-unknown-linux-musl 2>&1 | sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -1)
[ -x "$exe" ] || {
	echo "bench-checkers: could not build the checkers bench" >&2
	exit 1
}
mkdir -p target/bench-checkers
cp "$exe" target/bench-checkers/checkers
out=target/bench-checkers.txt
VM_TIMEOUT=500 VM_OUT=target/bench-checkers/vm tests/vm/run.sh bench/vm/checkers.sh \
	target/bench-checkers/checkers | tee target/bench-checkers/console.log | grep -E '^(BENCH|FAIL|VM-RESULT)' | tee "$out"
grep -q 'VM-RESULT: PASS' "$out"
