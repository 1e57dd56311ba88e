# Stand-in for OpenWrt's /lib/functions/procd.sh: each helper appends its call, one line with
# its arguments separated by tabs, to $STUB_LOG, so the test sees exactly what procd would get.
# procd_close_service asks the script for its triggers, as the real one does.

stub_call() {
	stub_line=$1
	shift
	for stub_arg in "$@"; do
		stub_line="$stub_line	$stub_arg"
	done
	printf '%s\n' "$stub_line" >> "$STUB_LOG"
}

procd_open_service() { stub_call procd_open_service "$@"; }
procd_close_service() {
	service_triggers
	stub_call procd_close_service "$@"
}
procd_open_instance() { stub_call procd_open_instance "$@"; }
procd_close_instance() { stub_call procd_close_instance "$@"; }
procd_set_param() { stub_call procd_set_param "$@"; }
procd_append_param() { stub_call procd_append_param "$@"; }
procd_add_reload_trigger() { stub_call procd_add_reload_trigger "$@"; }
procd_send_signal() { stub_call procd_send_signal "$@"; }
procd_kill() { stub_call procd_kill "$@"; }
