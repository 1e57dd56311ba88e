#!/bin/sh
# Create the corpus inputs that cannot be committed, under OUTDIR:
#   OUTDIR/broken/long-line-10mb.conf      a config with one 10 MiB line
#   OUTDIR/broken/unreadable-include.conf  includes unreadable/secret.conf, which is chmod 000
# and deliberately does NOT create OUTDIR/broken/missing-main.conf (the "config file missing" case).
# expected.tsv lists them as runtime:broken/<name>.conf (path relative to OUTDIR).
# Note: root reads a mode-000 file anyway; the oracle and the Rust test run the
# unreadable case with CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH dropped (setpriv).
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 64; }
out=$1
mkdir -p "$out/broken/unreadable"

f=$out/broken/long-line-10mb.conf
{
    echo '# expect: a single 10 MiB line (an unknown keyword of 10485760 x characters) inside an instance'
    echo 'vrrp_instance VI_1 {'
    echo '    state BACKUP'
    echo '    interface eth0'
    echo '    virtual_router_id 50'
    head -c 10485760 /dev/zero | tr '\0' x
    echo
    echo '    priority 100'
    echo '    virtual_ipaddress {'
    echo '        192.0.2.50'
    echo '    }'
    echo '}'
} > "$f"

f=$out/broken/unreadable-include.conf
cat > "$f" <<'CONF'
# expect: include of a file that exists but cannot be read (mode 000)
include unreadable/secret.conf

vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 49
    priority 100
    virtual_ipaddress {
        192.0.2.49
    }
}
CONF
cat > "$out/broken/unreadable/secret.conf" <<'CONF'
global_defs {
    router_id SECRET
}
CONF
chmod 000 "$out/broken/unreadable/secret.conf"
