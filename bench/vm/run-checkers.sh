#!/usr/bin/env bash
# `make bench-checkers` and `make bench-scale-lvs` (both part of `make bench`): builds the checkers
# bench as a static binary (its `--serve` mode provides the listeners), runs a scenario in the VM
# with the static kalive, and writes the BENCH lines to a file.
# usage: run-checkers.sh [SCENARIO [NAME]]  (default bench/vm/checkers.sh, bench-checkers: the
# lines go to target/NAME.txt, the VM's files to target/NAME/)
# Environment: KALIVE (the kalive binary), VM_MEM; WINDOW/WARMUP are not passed into the VM.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
exe=$(CARGO_TARGET_X86_64_UNKNOWN_LINUX_MUSL_LINKER=rust-lld cargo bench --bench checkers --no-run \
	--target x86_64-unknown-linux-musl 2>&1 | sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -1)
[ -x "$exe" ] || {
	echo "bench-checkers: could not build the checkers bench" >&2
	exit 1
}
scenario=${1:-bench/vm/checkers.sh}
name=${2:-bench-checkers}
mkdir -p "target/$name"
cp "$exe" "target/$name/checkers"
out=target/$name.txt
# The scenario's own `# vm-timeout:` line, else 500 s.
VM_TIMEOUT=${VM_TIMEOUT:-$(sed -n 's/^# vm-timeout: *\([0-9][0-9]*\)$/\1/p' "$scenario" | grep . || echo 500)} \
	VM_OUT=target/$name/vm tests/vm/run.sh "$scenario" \
	"target/$name/checkers" | tee "target/$name/console.log" | grep -E '^(BENCH|FAIL|VM-RESULT)' | tee "$out"
grep -q 'VM-RESULT: PASS' "$out"
