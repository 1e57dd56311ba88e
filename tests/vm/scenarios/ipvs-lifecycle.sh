#!/bin/sh
# kalive's IPVS over its life (tests/README.md "VM tests"), files in tests/vm/scenarios/ipvs-lifecycle/:
# - start with entries already there: the configured service with a stale scheduler and weight
#   is corrected, a destination nobody configured and a foreign service are left alone
#   (keepalived 2.2.7, for comparison, keeps the stale scheduler and weight);
# - SIGHUP adding a real server is one NEW_DEST, removing one is one DEL_DEST, nothing else moves;
# - SIGTERM removes the services kalive programmed and nothing else; -I keeps them;
# - -P (VRRP only) leaves IPVS alone;
# - lvs_flush empties IPVS at start, lvs_flush_on_stop at stop.
# shellcheck source=tests/vm/lib.sh
. /vmkit.sh

conf=/tmp/kalive.conf
log=/tmp/kalive.log

save() {
	ipvs_save lc
}

has() {
	ipvs_has lc "$1"
}

start() {
	: >"$log"
	ip netns exec lc kalive -n -l -f "$conf" -p /run/kl.pid "$@" >"$log" 2>&1 &
	kl=$!
}

stop() {
	kill "$kl"
	wait "$kl"
}

kl_fail() {
	save
	cat "$log"
	fail "$@"
}

preexisting() {
	ns lc ipvsadm -A -t 10.9.9.9:80 -s rr || fail "foreign service"
	ns lc ipvsadm -a -t 10.9.9.9:80 -r 10.9.9.10:80 -m || fail "foreign dest"
	ns lc ipvsadm -A -t 10.0.0.1:80 -s wlc || fail "stale service"
	ns lc ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 7 || fail "stale dest"
	ns lc ipvsadm -a -t 10.0.0.1:80 -r 10.0.1.99:80 -m -w 1 || fail "extra dest"
}

netns lc

step "keepalived 2.2.7 on entries already there (for comparison)"
preexisting
ip netns exec lc keepalived -n -l -f /files/base.conf -p /run/ka.pid -c /run/kac.pid -r /run/kav.pid \
	>/tmp/ka.log 2>&1 &
ka=$!
wait_until 50 has "-a -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 2" || { cat /tmp/ka.log; fail "keepalived did not start"; }
sleep 1
save
has "-A -t 10.0.0.1:80 -s wlc" || fail "keepalived 2.2.7 changed the stale scheduler (src/lib.rs, 'Design decisions', says it keeps it)"
has "-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 7" || fail "keepalived 2.2.7 changed the stale weight"
kill "$ka"
wait "$ka"
has "-A -t 10.9.9.9:80 -s rr" || fail "keepalived removed the foreign service"
ns lc ipvsadm -C

step "kalive on entries already there: the configured ones corrected, the rest left alone"
preexisting
cp /files/base.conf "$conf"
start
wait_until 50 has "-a -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 2" || kl_fail "kalive did not program its services"
save
has "-A -t 10.0.0.1:80 -s rr" || kl_fail "the stale scheduler stayed"
has "-a -t 10.0.0.1:80 -r 10.0.1.1:80 -m -w 1" || kl_fail "the stale weight stayed"
has "-a -t 10.0.0.1:80 -r 10.0.1.99:80 -m -w 1" || kl_fail "a destination nobody configured was removed"
has "-A -u 10.0.0.2:53 -s wrr" || kl_fail "the second service is missing"
has "-a -u 10.0.0.2:53 -r 10.0.1.1:53 -g -w 1" || kl_fail "the DR destination is missing"
has "-A -t 10.9.9.9:80 -s rr" || kl_fail "the foreign service was touched"
has "-a -t 10.9.9.9:80 -r 10.9.9.10:80 -m -w 1" || kl_fail "the foreign destination was touched"

# reload_one CONF CHANGE LOGGED: SIGHUP onto CONF must make exactly CHANGE (ipvs_reload).
reload_one() {
	cp "$1" "$conf"
	ipvs_reload lc "$kl" "$log" "$2" "$3" || kl_fail "SIGHUP onto $1"
}

step "SIGHUP adding one real server: one NEW_DEST"
reload_one /files/plus.conf "+-a -t 10.0.0.1:80 -r 10.0.1.3:80 -m -w 3" \
	"IPVS: added 10.0.1.3:80 in [10.0.0.1]:tcp:80 (Masq, weight 3)"

step "SIGHUP removing one real server: one DEL_DEST"
reload_one /files/minus.conf "--a -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 2" \
	"IPVS: deleted 10.0.1.2:80 from [10.0.0.1]:tcp:80"

step "SIGHUP with the same configuration: nothing"
n=$(ipvs_lines "$log" | wc -l)
r=$(grep -c "Reloaded" "$log")
kill -HUP "$kl"
wait_until 25 sh -c "[ \$(grep -c Reloaded $log) -gt $r ]" || kl_fail "no reload"
sleep 1
[ "$(ipvs_lines "$log" | wc -l)" -eq "$n" ] || kl_fail "an unchanged reload changed IPVS: $(ipvs_lines "$log" | tail -n +$((n + 1)))"

step "SIGTERM removes what kalive programmed, nothing else"
stop
save
has "-A -t 10.9.9.9:80 -s rr" || kl_fail "the foreign service was removed"
save | grep -q "10.0.0.1:80\|10.0.0.2:53" && kl_fail "kalive left its services behind"

step "-I keeps them"
start -I
wait_until 50 has "-a -t 10.0.0.1:80 -r 10.0.1.3:80 -m -w 3" || kl_fail "kalive -I did not program its services"
stop
has "-A -t 10.0.0.1:80 -s rr" || kl_fail "-I: the service was removed"
has "-a -t 10.0.0.1:80 -r 10.0.1.3:80 -m -w 3" || kl_fail "-I: a destination was removed"

step "a restart adopts what -I kept without touching it"
start
wait_until 50 grep -q "LVS: 2 virtual server" "$log" || kl_fail "kalive did not start"
sleep 1
[ -z "$(ipvs_lines "$log")" ] || kl_fail "adopting an identical state changed IPVS: $(ipvs_lines "$log")"
stop

step "-P (VRRP only) does not touch IPVS"
ns lc ipvsadm -C
start -P
wait_until 50 grep -q "starting" "$log" || kl_fail "kalive -P did not start"
sleep 1
[ -z "$(save)" ] || kl_fail "-P programmed IPVS"
stop

step "lvs_flush empties IPVS at start, lvs_flush_on_stop at stop"
ns lc ipvsadm -A -t 10.9.9.9:80 -s rr || fail "foreign service"
ns lc ipvsadm -A -t 10.9.9.8:80 -s rr || fail "foreign service 2"
cp /files/flush.conf "$conf"
start
wait_until 50 has "-a -t 10.0.0.1:80 -r 10.0.1.2:80 -m -w 2" || kl_fail "kalive did not program its services"
has "-A -t 10.9.9.9:80 -s rr" && kl_fail "lvs_flush kept the foreign service"
ns lc ipvsadm -A -t 10.9.9.7:80 -s rr || fail "foreign service 3"
stop
[ -z "$(save)" ] || kl_fail "lvs_flush_on_stop left services"
echo "ipvs-lifecycle: all checks passed"
