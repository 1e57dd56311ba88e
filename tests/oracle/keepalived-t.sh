#!/bin/bash
# Record keepalived's verdict (`keepalived -t -f FILE`) for every config of the corpus
# into tests/configs/expected.tsv:  path <TAB> exit code <TAB> first message line.
#
# Every file runs inside a private network namespace holding eth0 eth1 eth2 bond0 ens192
# (tests/netns/ifaces.sh), with cwd = tests/configs so paths are broken/x.conf etc.
# Inputs that cannot be committed (10 MiB line, unreadable include) are generated at run
# time by tests/configs/gen-runtime.sh and listed as runtime:broken/NAME.conf.
#
# Usage (as root): tests/oracle/keepalived-t.sh [KEEPALIVED]      (default /usr/sbin/keepalived)
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
tests=$(dirname "$here")
configs=$tests/configs
keepalived=${1:-/usr/sbin/keepalived}
out=$configs/expected.tsv
ns=kalive-oracle-$$
tmp=$(mktemp -d /tmp/kalive-oracle.XXXXXX)

cleanup() {
    "$tests/netns/ifaces.sh" down "$ns"
    chmod -R u+rwx "$tmp" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "$0: must run as root (network namespaces)" >&2; exit 1; }
[ -x "$keepalived" ] || { echo "$0: $keepalived not found" >&2; exit 1; }

"$tests/netns/ifaces.sh" up "$ns" || exit 1
mkdir -p "$tmp/runtime" && "$configs/gen-runtime.sh" "$tmp/runtime" || exit 1

version=$("$keepalived" -v 2>&1 | head -n 1)

# first message line, one line, printable ASCII only, no run-specific temp paths
sanitise() {
    sed -e "s#$tmp/runtime/##g" -e "s#$tmp#\$TMP#g" -e 's/\t/ /g' |
        tr -c '[:print:]\n' '?' | grep -v '^[[:space:]]*$' | head -n 1 | cut -c 1-200
}

run_one() { # $1 = cwd, $2 = path relative to it, $3 = wrapper prefix (may be empty)
    local rc
    # shellcheck disable=SC2086
    (cd "$1" && timeout -k 5 60 ip netns exec "$ns" $3 "$keepalived" -t -f "$2") \
        >"$tmp/stdout" 2>"$tmp/stderr" </dev/null
    rc=$?
    echo "$rc"
}

{
    echo "# keepalived -t verdicts for the kalive config corpus"
    echo "# produced by tests/oracle/keepalived-t.sh with: $version ($keepalived)"
    echo "# run as root in a fresh netns with eth0 eth1 eth2 bond0 ens192 (tests/netns/ifaces.sh), cwd tests/configs"
    echo "# runtime:PATH = generated at run time by tests/configs/gen-runtime.sh (not committed)"
    echo "# columns: path<TAB>exit_code<TAB>first message line of keepalived (stderr, sanitised; empty if none)"
    n=0
    for dir in samples real broken; do
        for f in "$configs/$dir"/*.conf; do
            rel=${f#"$configs/"}
            rc=$(run_one "$configs" "$rel" "")
            msg=$(cat "$tmp/stderr" "$tmp/stdout" | sanitise)
            printf '%s\t%s\t%s\n' "$rel" "$rc" "$msg"
            n=$((n + 1))
        done
    done
    for rel in broken/long-line-10mb.conf broken/unreadable-include.conf broken/missing-main.conf; do
        wrap=""
        case $rel in *unreadable*) wrap="setpriv --bounding-set=-dac_override,-dac_read_search --inh-caps=-dac_override,-dac_read_search" ;; esac
        rc=$(run_one "$tmp/runtime" "$rel" "$wrap")
        msg=$(cat "$tmp/stderr" "$tmp/stdout" | sanitise)
        printf 'runtime:%s\t%s\t%s\n' "$rel" "$rc" "$msg"
        n=$((n + 1))
    done
    echo "$n files" >&2
} > "$out.new" && mv "$out.new" "$out"
echo "wrote $out" >&2
