#!/bin/sh
# Health checkers driving IPVS, kalive and keepalived 2.2.7 side by side (tests/README.md "VM tests";
# issue #6, items 2 to 4). The lvs_lab topology plus a second director "dka" on the real
# servers' bridge: kalive runs lvs-health/health.conf in "dir", keepalived the same file in
# "dka", both checking the same three real servers. After every change on the real servers,
# kalive's `ipvsadm -Sn` must become the expected table, then keepalived's must become the same
# and both `ipvsadm -Ln` listings must be identical; traffic from the client goes through kalive.
# - a real server stops listening: removed (A) or weight 0 with inhibit_on_failure (B) after
#   retry x delay_before_retry, no traffic reaches it, notify_down runs; it comes back: re-added,
#   notify_up runs; each notify's argv as keepalived's;
# - HTTP_GET digest mismatch, HTTP_GET wrong status, SMTP_CHECK without banner: down (C);
#   MISC_CHECK exit 1: down; misc_dynamic exit 2+N: weight N (D);
# - every real server down: quorum_down runs, the sorry server comes in and answers the client;
#   one back: quorum_up runs, the sorry server goes (E);
# - alpha and omega (F), a virtual_server_group (G);
# - SIGHUP to kalive while a server is down, while the sorry server is in, while a misc_dynamic
#   weight 0 holds D's quorum lost, and changing the configured weight under a dynamic one:
#   no IPVS operation, no notify script.
# About 60 s alone under TCG, up to 120 s beside ipvs-compare's VM on two cores:
# vm-timeout: 480
# shellcheck source=tests/vm/lib.sh
. /vmkit.sh

log=/tmp/kalive.log
kalog=/tmp/keepalived.log
want=/tmp/want

both_fail() {
	echo "--- kalive: ipvsadm -Sn"
	ipvs_save dir
	echo "--- keepalived: ipvsadm -Sn"
	ipvs_save dka
	echo "--- kalive's log"
	cat "$log"
	echo "--- keepalived's log (tail)"
	tail -n 40 "$kalog"
	echo "--- notifies"
	head -n 50 /tmp/notify-*.log
	fail "$@"
}

# The expected `ipvsadm -Sn`, as a set of lines in $want.
dest() { # SERVICE-PORT RS-ADDR:PORT WEIGHT (a service of 10.0.0.10)
	echo "-a -t 10.0.0.10:$1 -r $2 -m -w $3"
}
group_dest() { # RS-ADDR:PORT WEIGHT [del]: want (or not) RS in both services of group G
	for gd in 10.0.0.20:80 10.0.0.21:80; do
		if [ "${3:-}" = del ]; then
			want_del "-a -t $gd -r $1 -m -w $2"
		else
			want_add "-a -t $gd -r $1 -m -w $2"
		fi
	done
}
want_add() {
	echo "$1" >>"$want"
}
want_del() {
	grep -vx -- "$1" "$want" >"$want.new"
	mv "$want.new" "$want"
}
want_weight() { # SERVICE-PORT RS-ADDR:PORT FROM TO: RS's weight in $want changes
	want_del "$(dest "$1" "$2" "$3")"
	want_add "$(dest "$1" "$2" "$4")"
}
# matches NS: NS's `ipvsadm -Sn` is exactly $want.
matches() {
	[ "$(ipvs_save "$1" | LC_ALL=C sort)" = "$(LC_ALL=C sort "$want")" ]
}
want_diff() {
	LC_ALL=C sort "$want" >"$want.sorted"
	ipvs_save "$1" | LC_ALL=C sort | diff -u "$want.sorted" -
}
same_listing() {
	[ "$(ipvs_listing dir)" = "$(ipvs_listing dka)" ]
}

# converge WHAT: kalive's IPVS becomes $want (bounded), then keepalived's, and then both
# `ipvsadm -Ln` are the same; prints how long each daemon took.
converge() {
	cv_t0=$(now_ms)
	wait_until 100 matches dir || {
		want_diff dir
		both_fail "kalive: $1 (- expected, + kalive)"
	}
	cv_kl=$(($(now_ms) - cv_t0))
	wait_until 100 matches dka || {
		want_diff dka
		both_fail "keepalived: $1 (- expected, + keepalived)"
	}
	cv_ka=$(($(now_ms) - cv_t0))
	wait_until 25 same_listing || {
		ipvs_listing dka >/tmp/listing.ka
		ipvs_listing dir | diff -u /tmp/listing.ka -
		both_fail "$1: ipvsadm -Ln differs (- keepalived, + kalive)"
	}
	echo "$1: kalive ${cv_kl} ms, keepalived ${cv_ka} ms"
}

# notified NS LINE: the notify log of the director in NS has LINE.
notified() {
	grep -qxF -- "$2" "/tmp/notify-$1.log"
}
# expect_notify LINE: both directors ran the notify script with that argv.
expect_notify() {
	wait_until 50 notified dir "$1" || both_fail "kalive did not run: $1"
	wait_until 50 notified dka "$1" || both_fail "keepalived did not run: $1"
}

# logged TEXT: kalive logged a line containing TEXT.
logged() {
	grep -qF -- "$1" "$log" || both_fail "kalive did not log: $1"
}

# only_from URL COUNT BODY...: COUNT fetches of URL from the client all succeed, and each body
# is one of BODY...
only_from() {
	of_url=$1 of_count=$2
	shift 2
	of_got=$(http_bodies cli "$of_url" "$of_count")
	echo "$of_url: $(echo "$of_got" | tr '\n' ' ')"
	echo "$of_got" | while read -r of_line; do
		of_ok=no
		for of_b in "$@"; do [ "$of_line" = "$of_b" ] && of_ok=yes; done
		[ $of_ok = yes ] || exit 1
	done || both_fail "$of_url: an answer from elsewhere than $*"
}

# hup_no_change WHAT: SIGHUP to kalive, whose configuration is unchanged or changed in a way that
# must not move IPVS: it reloads, changes nothing in IPVS (a server that is down stays down, the
# sorry server stays in, a misc_dynamic weight stays) and still agrees with keepalived. keepalived is not reloaded here: 2.2.7 sets a misc_dynamic server whose
# script last exited 0 to weight 0 on every reload (check_misc.c migrate_misc_check computes
# cur_weight = 0 - iweight), and keeps it there while the script keeps exiting 0; the last
# step shows it.
hup_no_change() {
	hu_n=$(ipvs_lines "$log" | wc -l)
	hu_r=$(grep -c Reloaded "$log")
	hu_notified=$(wc -l </tmp/notify-dir.log)
	kill -HUP "$kl"
	wait_until 50 sh -c "[ \$(grep -c Reloaded $log) -gt $hu_r ]" || both_fail "kalive did not reload"
	# The reloaded checkers run (delay_loop 1) and the pool hears them.
	sleep 2
	[ "$(ipvs_lines "$log" | wc -l)" -eq "$hu_n" ] ||
		both_fail "$1: the reload changed IPVS: $(ipvs_lines "$log" | tail -n +$((hu_n + 1)))"
	[ "$(wc -l </tmp/notify-dir.log)" -eq "$hu_notified" ] ||
		both_fail "$1: the reload ran notify scripts: $(tail -n +$((hu_notified + 1)) /tmp/notify-dir.log)"
	converge "$1"
}

step "topology: lvs_lab with rs1..rs3, and keepalived's director dka on the bridge"
lvs_lab 3
netns dka
lab_port dka eth0 10.0.1.4/24
ns dir ip addr add 10.0.0.10/32 dev eth0 || fail "VIP"
for n in 1 2 3; do
	http_serve "rs$n" 0.0.0.0 "served by rs$n"
	echo good >"$(http_dir "rs$n")/digest.html"
	echo ok >"$(http_dir "rs$n")/status.html"
done
http_serve rs3 0.0.0.0 "sorry from rs3" 8000
# stderr: the checkers reset their connections, the script complains about it.
ip netns exec rs3 nc -ll -p 25 -e /files/smtp.sh 2>/dev/null &
wait_until 50 listening rs3 25 || fail "SMTP server"
mkdir -p /tmp/misc
for m in d1 d2 e1 e2; do echo 0 >"/tmp/misc/$m"; done

step "keepalived in dka and kalive in dir on health.conf"
conf=/tmp/kalive.conf
cp /files/health.conf "$conf"
start_directors /files/health.conf "$conf"
: >"$want"
for n in 1 2 3; do
	want_add "$(dest 80 "10.0.1.1$n:80" 1)"
	want_add "$(dest 81 "10.0.1.1$n:80" 2)"
done
want_add "$(dest 82 10.0.1.11:80 1)"
want_add "$(dest 82 10.0.1.12:80 1)"
want_add "$(dest 82 10.0.1.13:25 1)"
want_add "$(dest 83 10.0.1.11:80 1)"
want_add "$(dest 83 10.0.1.12:80 3)"
want_add "$(dest 84 10.0.1.11:80 1)"
want_add "$(dest 84 10.0.1.12:80 1)"
want_add "$(dest 85 10.0.1.11:80 1)"
group_dest 10.0.1.11:80 1
group_dest 10.0.1.12:80 1
for p in 80 81 82 83 84 85; do want_add "-A -t 10.0.0.10:$p -s rr"; done
want_add "-A -t 10.0.0.20:80 -s rr"
want_add "-A -t 10.0.0.21:80 -s rr"
converge "start"
# Every checker's first verdict is in and changed nothing.
wait_until 50 sh -c "[ \$(grep -c ': success' $log) -ge 16 ]" || both_fail "not every checker passed"
# Under TCG on a busy host the one-connection SMTP server (nc -e sh) can answer later than
# connect_timeout, and both daemons then take it out for a round (keepalived as kalive): the
# first verdicts must leave IPVS as configured once that passes.
wait_until 100 matches dir || both_fail "the first verdicts changed IPVS"
ns dir ipvsadm -Ln
only_from http://10.0.0.10/ 3 "served by rs1" "served by rs2" "served by rs3"
# The start's notifies: quorum_up of D and E, and F's alpha servers' first verdicts.
expect_notify "/files/record.sh [down] [F/rs3]"
expect_notify "/files/record.sh [quorum_up] [F]"
sleep 0.5
n_start_kl=$(wc -l </tmp/notify-dir.log)
n_start_ka=$(wc -l </tmp/notify-dka.log)

step "rs2 stops listening on :80: removed from A, weight 0 in B (inhibit_on_failure), down in C"
http_stop rs2 80
want_del "$(dest 80 10.0.1.12:80 1)"
want_weight 81 10.0.1.12:80 2 0
want_del "$(dest 82 10.0.1.12:80 1)"
group_dest 10.0.1.12:80 1 del
converge "rs2 down"
logged "Removing service [10.0.1.12]:tcp:80 from VS [10.0.0.10]:tcp:80"
logged "Disabling service [10.0.1.12]:tcp:80 of VS [10.0.0.10]:tcp:81"
# log_all_failures: the failure that was retried, then the one after delay_before_retry.
grep -F 'TCP_CHECK [10.0.1.12]:80 (RS [10.0.1.12]:80, VS [10.0.0.10]:80)' "$log" |
	grep -o 'connection refused; .*' | head -n 2 | tr '\n' ' ' | grep -qx 'connection refused; retry 1/1 connection refused; checker down ' ||
	both_fail "rs2's TCP_CHECK did not go down after one retry"
expect_notify "/files/record.sh [down] [A/rs2] [two words]"
only_from http://10.0.0.10/ 4 "served by rs1" "served by rs3"
only_from http://10.0.0.10:81/ 4 "served by rs1" "served by rs3"
hup_no_change "SIGHUP while rs2 is down"

step "rs2 listens again: back in A, weight 2 in B, up in C"
http_serve rs2 0.0.0.0 "served by rs2"
want_add "$(dest 80 10.0.1.12:80 1)"
want_weight 81 10.0.1.12:80 0 2
want_add "$(dest 82 10.0.1.12:80 1)"
group_dest 10.0.1.12:80 1
converge "rs2 up"
logged "Adding service [10.0.1.12]:tcp:80 to VS [10.0.0.10]:tcp:80"
logged "Enabling service [10.0.1.12]:tcp:80 of VS [10.0.0.10]:tcp:81"
expect_notify "/files/record.sh [up] [A/rs2] [two words]"
only_from http://10.0.0.10/ 3 "served by rs1" "served by rs2" "served by rs3"

step "HTTP_GET digest mismatch (rs1), HTTP_GET status 404 (rs2), SMTP without banner (rs3): all down in C"
echo bad >"$(http_dir rs1)/digest.html"
rm "$(http_dir rs2)/status.html"
touch /tmp/smtp-silent
want_del "$(dest 82 10.0.1.11:80 1)"
want_del "$(dest 82 10.0.1.12:80 1)"
want_del "$(dest 82 10.0.1.13:25 1)"
converge "C down"
logged "HTTP_GET [10.0.1.11]:80 (RS [10.0.1.11]:80, VS [10.0.0.10]:82): MD5 digest mismatch; checker down"
logged "HTTP_GET [10.0.1.12]:80 (RS [10.0.1.12]:80, VS [10.0.0.10]:82): HTTP status 404; checker down"
logged "SMTP_CHECK [10.0.1.13]:25 (RS [10.0.1.13]:25, VS [10.0.0.10]:82): timeout; checker down"

step "the digest, the page and the banner back: all up in C"
echo good >"$(http_dir rs1)/digest.html"
echo ok >"$(http_dir rs2)/status.html"
rm /tmp/smtp-silent
want_add "$(dest 82 10.0.1.11:80 1)"
want_add "$(dest 82 10.0.1.12:80 1)"
want_add "$(dest 82 10.0.1.13:25 1)"
converge "C up"

step "MISC_CHECK exit 1: down; misc_dynamic exit 7: weight 5, exit 2: weight 0; exit 0: as configured"
echo 1 >/tmp/misc/d1
echo 7 >/tmp/misc/d2
want_del "$(dest 83 10.0.1.11:80 1)"
want_weight 83 10.0.1.12:80 3 5
converge "D exit 1 and 7"
logged "MISC_CHECK '/files/misc.sh d1' (RS [10.0.1.11]:80, VS [10.0.0.10]:83): exit status 1; checker down"
logged "Changing weight from 3 to 5 for active service [10.0.1.12]:tcp:80 of VS [10.0.0.10]:tcp:83"
sed 's/^    weight 3$/    weight 4/' /files/health.conf >"$conf"
hup_no_change "SIGHUP changing d2's configured weight from 3 to 4 while its script says 5"
echo 2 >/tmp/misc/d2
want_weight 83 10.0.1.12:80 5 0
converge "D exit 2"
logged "Lost quorum 1-0=1 > 0 for VS [10.0.0.10]:tcp:83"
expect_notify "/files/record.sh [quorum_down] [D]"
cp /files/health.conf "$conf"
hup_no_change "SIGHUP back to weight 3 while weight 0 keeps D's quorum lost"
echo 0 >/tmp/misc/d1
echo 0 >/tmp/misc/d2
want_add "$(dest 83 10.0.1.11:80 1)"
want_weight 83 10.0.1.12:80 0 3
converge "D exit 0"

step "E: one real server down, then both: quorum_down, the sorry server in"
echo 1 >/tmp/misc/e1
want_del "$(dest 84 10.0.1.11:80 1)"
converge "E one down"
echo 1 >/tmp/misc/e2
want_del "$(dest 84 10.0.1.12:80 1)"
want_add "$(dest 84 10.0.1.13:8000 1)"
converge "E all down"
logged "Lost quorum 1-0=1 > 0 for VS [10.0.0.10]:tcp:84"
logged "Adding sorry server [10.0.1.13]:tcp:8000 to VS [10.0.0.10]:tcp:84"
expect_notify "/files/record.sh [quorum_down] [E]"
only_from http://10.0.0.10:84/ 2 "sorry from rs3"
hup_no_change "SIGHUP while the sorry server is in"

step "E: one back: quorum_up, the sorry server out"
echo 0 >/tmp/misc/e1
want_add "$(dest 84 10.0.1.11:80 1)"
want_del "$(dest 84 10.0.1.13:8000 1)"
converge "E one up"
logged "Gained quorum 1+0=1 <= 1 for VS [10.0.0.10]:tcp:84"
logged "Removing sorry server [10.0.1.13]:tcp:8000 from VS [10.0.0.10]:tcp:84"
n=$(grep -cxF "/files/record.sh [quorum_up] [E]" /tmp/notify-dir.log)
[ "$n" -ge 2 ] || both_fail "kalive ran quorum_up $n time(s), not at start and now"
only_from http://10.0.0.10:84/ 2 "served by rs1"
echo 0 >/tmp/misc/e2
want_add "$(dest 84 10.0.1.12:80 1)"
converge "E both up"

step "every notify: kalive's argv as keepalived's, in the same order"
sleep 1
cat /tmp/notify-dir.log
# The scripts of one change run at once, and the first checks' order differs: the start's
# notifies are compared as a set, the later ones (one change a step) in order.
head -n "$n_start_ka" /tmp/notify-dka.log | sort >/tmp/notify-ka.start
head -n "$n_start_kl" /tmp/notify-dir.log | sort | diff -u /tmp/notify-ka.start - ||
	both_fail "the start's notifies differ (- keepalived, + kalive)"
tail -n +$((n_start_ka + 1)) /tmp/notify-dka.log >/tmp/notify-ka.steps
tail -n +$((n_start_kl + 1)) /tmp/notify-dir.log | diff -u /tmp/notify-ka.steps - ||
	both_fail "the notifies differ (- keepalived, + kalive)"

step "SIGHUP to both: kalive keeps the misc_dynamic server at weight 3, keepalived 2.2.7 sets 0"
hup_no_change "SIGHUP at the end"
kill -HUP "$ka"
wait_until 50 ipvs_has dka "$(dest 83 10.0.1.12:80 0)" &&
	echo "keepalived 2.2.7 after SIGHUP: $(dest 83 10.0.1.12:80 0) (its misc_dynamic reload bug)"
sleep 2
matches dir || both_fail "kalive's IPVS changed after keepalived's reload"

step "SIGTERM: both remove their services; omega: F's notify_down and quorum_down run"
n_kl=$(wc -l </tmp/notify-dir.log)
n_ka=$(wc -l </tmp/notify-dka.log)
kill "$kl" "$ka"
wait "$kl"
wait "$ka"
wait_until 25 ipvs_empty dir || both_fail "kalive left services behind"
wait_until 25 ipvs_empty dka || both_fail "keepalived left services behind"
expect_notify "/files/record.sh [quorum_down] [F]"
sleep 0.5
# Started one after the other, the scripts run at once: compared as sets.
tail -n +$((n_ka + 1)) /tmp/notify-dka.log | sort >/tmp/notify-ka.stop
tail -n +$((n_kl + 1)) /tmp/notify-dir.log | sort | diff -u /tmp/notify-ka.stop - ||
	both_fail "the notifies at shutdown differ (- keepalived, + kalive)"
cat /tmp/notify-ka.stop
echo "lvs-health: all checks passed"
