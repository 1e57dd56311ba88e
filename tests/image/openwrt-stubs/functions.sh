# Stand-in for OpenWrt's /lib/functions.sh in tests/image/openwrt.py: config_load reads a UCI
# file ($UCI_CONFIG_DIR/NAME) with plain quoting only, enough for the test configurations;
# config_get and config_get_bool behave like OpenWrt's. Every call is appended to $STUB_LOG.

stub_log() {
	printf '%s\n' "$*" >> "$STUB_LOG"
}

config_load() {
	stub_log "config_load $1"
	stub_vars=$(awk -v q="'" '
		function val(s) {
			sub(/^[ \t]*/, "", s); sub(/[ \t]*$/, "", s)
			if (s ~ /^'"'"'.*'"'"'$/ || s ~ /^".*"$/) s = substr(s, 2, length(s) - 2)
			return s
		}
		/^[ \t]*(#|$)/ { next }
		$1 == "config" { n++; sec = (NF >= 3) ? val($3) : sprintf("cfg%02d", n); next }
		$1 == "option" || $1 == "list" {
			name = $2; $1 = ""; $2 = ""
			printf "CONFIG_%s_%s=%s%s%s\n", sec, name, q, val($0), q
		}
	' "${UCI_CONFIG_DIR:-/etc/config}/$1") || return 1
	eval "$stub_vars"
}

config_get() {
	eval "stub_v=\${CONFIG_${2}_${3}:-\$4}"
	eval "$1=\$stub_v"
}

config_get_bool() {
	config_get stub_b "$2" "$3" "$4"
	case "$stub_b" in
	1 | on | true | yes | enabled) stub_b=1 ;;
	0 | off | false | no | disabled) stub_b=0 ;;
	*) stub_b=$4 ;;
	esac
	eval "$1=\$stub_b"
}
