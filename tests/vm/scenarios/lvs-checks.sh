#!/bin/sh
# PING_CHECK, UDP_CHECK, DNS_CHECK and FILE_CHECK driving IPVS and mailing a real SMTP server,
# kalive and keepalived 2.2.7 side by side (tests/README.md "VM tests"; issue 13). The
# lvs_lab topology with three real servers, keepalived's director "dka" and the mail server "mx"
# (lvs-checks/servers.py: UDP, DNS and SMTP servers in python3) on the real servers' bridge:
# kalive runs lvs-checks/checks.conf in "dir", keepalived the same file in "dka". After each
# change (the servers answer wrongly, fall silent, stop; and come back) kalive's `ipvsadm -Sn`
# must become the expected table, then keepalived's, and both `ipvsadm -Ln` must be the same;
# the notify scripts' argv and the mails (envelope, headers but Date, body) of each change must
# be the same from both. Then both again on lvs-checks/quiet.conf (`no_checker_emails`, a real
# server checked by PING_CHECK and UDP_CHECK): only the changes that move it mail, as
# keepalived's.
# 87-99 s of VM time under TCG without the second part, 239 s with it under the load of other work:
# vm-timeout: 480
# shellcheck source=tests/vm/lib.sh
. /vmkit.sh

log=/tmp/kalive.log
kalog=/tmp/keepalived.log

show_fail() {
	echo "--- kalive: ipvsadm -Sn"
	ipvs_save dir
	echo "--- keepalived: ipvsadm -Sn"
	ipvs_save dka
	echo "--- kalive's log"
	tail -n 60 "$log"
	echo "--- keepalived's log (tail)"
	tail -n 40 "$kalog"
	echo "--- notifies"
	tail -n 20 /tmp/notify-*.log
	echo "--- mails"
	ls /tmp/mail
	fail "$@"
}

# rs PROTO-FLAG SERVICE-PORT RS-ADDR:PORT WEIGHT: a real server's line of 10.0.0.10.
rs() {
	echo "-a $1 10.0.0.10:$2 -r $3 -m -w $4"
}
# mails_of PEER: every mail PEER sent so far, one line per mail (the file's lines joined by
# '|', the Date header left out: the two daemons send at different seconds), sorted.
mails_of() {
	for mo_f in /tmp/mail/"$1"-*.eml; do
		[ -e "$mo_f" ] || continue
		tr -d '\r' <"$mo_f" | grep -v '^Date: ' | tr '\n' '|'
		echo
	done | LC_ALL=C sort
}
notifies_of() {
	LC_ALL=C sort "/tmp/notify-$1.log" 2>/dev/null
}
same_record() {
	[ "$(notifies_of dir)" = "$(notifies_of dka)" ] &&
		[ "$(mails_of 10.0.1.1)" = "$(mails_of 10.0.1.4)" ]
}
count_lines() {
	"$@" | grep -c .
}

# compare WHAT NOTIFIES MAILS: kalive has run NOTIFIES notify scripts and sent MAILS mails so
# far, and keepalived the same scripts with the same argv and the same mails (each change's
# scripts and mails go at once: compared as sets); printed.
compare() {
	wait_until 50 sh -c "[ \$(cat /tmp/notify-dir.log 2>/dev/null | grep -c .) -ge $2 ] && [ \$(ls /tmp/mail | grep -c '^10.0.1.1-') -ge $3 ]" ||
		show_fail "$1: kalive ran fewer than $2 notifies or sent fewer than $3 mails"
	if ! wait_until 50 same_record; then
		notifies_of dka >/tmp/notify.ka
		notifies_of dir | diff -u /tmp/notify.ka - || true
		mails_of 10.0.1.4 >/tmp/mails.ka
		mails_of 10.0.1.1 | diff -u /tmp/mails.ka - || true
		show_fail "$1: the notifies or the mails differ (- keepalived, + kalive)"
	fi
	echo "$1: $(count_lines notifies_of dir) notifies and $(count_lines mails_of 10.0.1.1) mails, the same from both"
}

step "topology: lvs_lab with rs1..rs3, keepalived's director dka and the mail server mx"
lvs_lab 3
netns dka mx
lab_port dka eth0 10.0.1.4/24
lab_port mx eth0 10.0.1.9/24
ns dir ip addr add 10.0.0.10/32 dev eth0 || fail "VIP"
py() { # NS ARGS...: servers.py in NS, in the background; its pid in /tmp/pid-KIND-PORT
	py_ns=$1
	shift
	ip netns exec "$py_ns" python3 -S /files/servers.py "$@" &
	echo $! >"/tmp/pid-$1-$3"
	wait_until 50 test -e "/tmp/ready-$1-$3" || fail "servers.py $* in $py_ns"
}
py_stop() { # KIND PORT
	kill "$(cat "/tmp/pid-$1-$2")" || fail "stop servers.py $1 $2"
	rm -f "/tmp/ready-$1-$2"
}
printf pong >/tmp/udp-reply
echo ok >/tmp/dns-mode
echo 0 >/tmp/flag
echo 0 >/tmp/level
mkdir -p /tmp/mail
py rs2 udp 10.0.1.12 5300
py rs3 dns 10.0.1.13 53
py mx smtp 10.0.1.9 25 /tmp/mail

all_up() {
	table "-A -t 10.0.0.10:80 -s rr" "$(rs -t 80 10.0.1.11:80 1)" "$(rs -t 80 10.0.1.12:80 1)" \
		"-A -u 10.0.0.10:5300 -s rr" "$(rs -u 5300 10.0.1.12:5300 1)" \
		"-A -u 10.0.0.10:53 -s rr" "$(rs -u 53 10.0.1.13:53 1)" \
		"-A -t 10.0.0.10:81 -s rr" "$(rs -t 81 10.0.1.11:80 1)" "$(rs -t 81 10.0.1.12:80 3)"
}

step "keepalived in dka and kalive in dir on checks.conf"
start_directors /files/checks.conf
all_up
converge "start"
# Every checker's first verdict is in (FILE_CHECK's, read at start, is not logged) and changed nothing.
wait_until 50 sh -c "[ \$(grep -c ': success' $log) -ge 4 ]" || show_fail "not every checker passed"
sleep 1
is_table dir || show_fail "the first verdicts changed kalive's IPVS"
compare "start" 0 1

step "wrong answers: UDP 'nope', DNS SERVFAIL, the flag file 1, the level file 2"
printf nope >/tmp/udp-reply
echo servfail >/tmp/dns-mode
echo 1 >/tmp/flag
echo 2 >/tmp/level
table "-A -t 10.0.0.10:80 -s rr" "$(rs -t 80 10.0.1.11:80 1)" "$(rs -t 80 10.0.1.12:80 1)" \
	"-A -u 10.0.0.10:5300 -s rr" "-A -u 10.0.0.10:53 -s rr" \
	"-A -t 10.0.0.10:81 -s rr" "$(rs -t 81 10.0.1.12:80 7)"
converge "wrong answers"
compare "wrong answers" 3 3

step "right answers again"
printf pong >/tmp/udp-reply
echo ok >/tmp/dns-mode
echo 0 >/tmp/flag
echo 0 >/tmp/level
all_up
converge "right answers"
compare "right answers" 6 5

step "silence: rs1 ignores pings, no UDP reply, no DNS answer, the level file -5"
ns rs1 sysctl -qw net.ipv4.icmp_echo_ignore_all=1 || fail "echo_ignore_all in rs1"
rm /tmp/udp-reply
echo silent >/tmp/dns-mode
echo -5 >/tmp/level
table "-A -t 10.0.0.10:80 -s rr" "$(rs -t 80 10.0.1.12:80 1)" \
	"-A -u 10.0.0.10:5300 -s rr" "-A -u 10.0.0.10:53 -s rr" \
	"-A -t 10.0.0.10:81 -s rr" "$(rs -t 81 10.0.1.11:80 1)" "$(rs -t 81 10.0.1.12:80 0)"
converge "silence"
compare "silence" 9 8

step "answers again"
ns rs1 sysctl -qw net.ipv4.icmp_echo_ignore_all=0 || fail "echo_ignore_all in rs1"
printf pong >/tmp/udp-reply
echo ok >/tmp/dns-mode
echo 0 >/tmp/level
all_up
converge "answers again"
compare "answers again" 12 11

step "stopped: the UDP and DNS servers end (port unreachable), rs1 and rs2 ignore pings"
py_stop udp 5300
py_stop dns 53
ns rs1 sysctl -qw net.ipv4.icmp_echo_ignore_all=1 || fail "echo_ignore_all in rs1"
ns rs2 sysctl -qw net.ipv4.icmp_echo_ignore_all=1 || fail "echo_ignore_all in rs2"
table "-A -t 10.0.0.10:80 -s rr" "-A -u 10.0.0.10:5300 -s rr" "-A -u 10.0.0.10:53 -s rr" \
	"-A -t 10.0.0.10:81 -s rr" "$(rs -t 81 10.0.1.11:80 1)" "$(rs -t 81 10.0.1.12:80 3)"
converge "stopped"
compare "stopped" 16 16

step "back: the servers restart, the pings are answered"
py rs2 udp 10.0.1.12 5300
py rs3 dns 10.0.1.13 53
ns rs1 sysctl -qw net.ipv4.icmp_echo_ignore_all=0 || fail "echo_ignore_all in rs1"
ns rs2 sysctl -qw net.ipv4.icmp_echo_ignore_all=0 || fail "echo_ignore_all in rs2"
all_up
converge "back"
compare "back" 20 21

# logged_both KALIVE-TEXT KEEPALIVED-TEXT: each daemon logged its text (bounded wait).
logged_both() {
	wait_until 50 grep -qF -- "$1" "$log" || show_fail "kalive did not log: $1"
	wait_until 50 grep -qF -- "$2" "$kalog" || show_fail "keepalived did not log: $2"
}

step "no_checker_emails (quiet.conf): both daemons again, rs2 checked by PING_CHECK and UDP_CHECK"
kill "$kl" "$ka"
wait "$kl"
wait "$ka"
wait_until 25 ipvs_empty dir || show_fail "kalive left services behind"
wait_until 25 ipvs_empty dka || show_fail "keepalived left services behind"
log=/tmp/kalive-quiet.log
kalog=/tmp/keepalived-quiet.log
start_directors /files/quiet.conf
quiet_up() {
	table "-A -u 10.0.0.10:5301 -s rr" "$(rs -u 5301 10.0.1.12:5300 1)"
}
quiet_up
converge "quiet start"
udp_label="UDP_CHECK [10.0.1.12]:5300 (RS [10.0.1.12]:5300, VS [10.0.0.10]:5301)"
ping_label="PING_CHECK [10.0.1.12] (RS [10.0.1.12]:5300, VS [10.0.0.10]:5301)"
logged_both "$udp_label: success" "UDP connection to [10.0.1.12]:udp:5300 success."
compare "quiet start" 20 21

step "rs2 ignores pings: out, mailed"
ns rs2 sysctl -qw net.ipv4.icmp_echo_ignore_all=1 || fail "echo_ignore_all in rs2"
table "-A -u 10.0.0.10:5301 -s rr"
converge "quiet: pings ignored"
compare "quiet: pings ignored" 21 22

step "no UDP reply while rs2 is out: its UDP_CHECK fails, no mail"
rm /tmp/udp-reply
logged_both "$udp_label: timeout; checker down" "UDP_CHECK on service [10.0.1.12]:udp:5300 failed after 1 retries."
step "pings answered while UDP fails: its PING_CHECK passes, rs2 stays out, no mail"
ns rs2 sysctl -qw net.ipv4.icmp_echo_ignore_all=0 || fail "echo_ignore_all in rs2"
logged_both "$ping_label: success; checker up" "ICMP connection to [10.0.1.12]:udp:5300 success."
sleep 1
compare "quiet: one of two checkers" 21 22

step "the UDP reply back: rs2 in, mailed"
printf pong >/tmp/udp-reply
quiet_up
converge "quiet: back"
compare "quiet: back" 22 23

step "the mails as kalive sent them (envelope and headers as the first one's)"
set -- /tmp/mail/10.0.1.1-*.eml
sed -n '1,3p' "$1"
for f in /tmp/mail/10.0.1.1-*.eml; do
	grep -E '^(Subject: |=> )' "$f" | tr -d '\r' | tr '\n' ' '
	echo
done
kill "$kl" "$ka"
wait "$kl"
wait "$ka"
echo "lvs-checks: all checks passed"
