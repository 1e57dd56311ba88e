#!/bin/sh
# Regenerate broken/binary-garbage.conf: a "# expect:" line followed by 768
# pseudo-random bytes (Park-Miller generator, seed 20240611), so the file is
# reproducible byte for byte.  Usage: gen-binary.sh > broken/binary-garbage.conf
set -eu
export LC_ALL=C
echo '# expect: binary garbage (768 pseudo-random bytes, fixed seed) after this line'
awk 'BEGIN { s = 20240611; for (i = 0; i < 768; i++) { s = (s * 16807) % 2147483647; print int(s / 256) % 256 } }' |
while read -r n; do
    printf "\\$(printf %03o "$n")"
done
