#!/bin/sh
# SSL_GET's `SSL { }` block (a client certificate) and HTTP_GET/SSL_GET `regex` driving IPVS,
# kalive's TLS build (`make tls`) and keepalived 2.2.7 side by side (tests/README.md "VM tests";
# issue 13). The lvs_lab topology with three real servers and keepalived's director "dka" on
# their bridge: kalive runs lvs-tls/tls.conf in "dir", keepalived the same file in "dka". rs1
# and rs2 serve HTTP (busybox httpd), rs3 HTTPS (openssl s_server) requiring a client
# certificate signed by client-ca; the certificates are made here with openssl. After each change
# (the bodies stop matching and match again; rs3 restarted trusting another CA, so the SSL
# block's certificate is refused, and back) kalive's `ipvsadm -Sn` must become the expected
# table, then keepalived's, both `ipvsadm -Ln` must be the same, and so must the notify scripts'
# argv. Runs only with the TLS build: tests/vm.rs gives it KALIVE_TLS (`make test-tls`).
# vm-kalive: KALIVE_TLS
# vm-timeout: 300
# shellcheck source=tests/vm/lib.sh
. /vmkit.sh

log=/tmp/kalive.log
kalog=/tmp/keepalived.log
pki=/tmp/pki

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
	echo "--- s_server"
	tail -n 20 /tmp/s_server.log
	fail "$@"
}

# rs SERVICE-PORT RS-ADDR:PORT: a real server's line of 10.0.0.10.
rs() {
	echo "-a -t 10.0.0.10:$1 -r $2 -m -w 1"
}
notifies_of() {
	LC_ALL=C sort "/tmp/notify-$1.log" 2>/dev/null
}
same_notifies() {
	[ "$(notifies_of dir)" = "$(notifies_of dka)" ]
}

# compare WHAT NOTIFIES: kalive has run NOTIFIES notify scripts so far, and keepalived the same
# scripts with the same argv (compared as sets: a change's scripts run at once).
compare() {
	wait_until 50 sh -c "[ \$(cat /tmp/notify-dir.log 2>/dev/null | grep -c .) -ge $2 ]" ||
		show_fail "$1: kalive ran fewer than $2 notifies"
	if ! wait_until 50 same_notifies; then
		notifies_of dka >/tmp/notify.ka
		notifies_of dir | diff -u /tmp/notify.ka - || true
		show_fail "$1: the notifies differ (- keepalived, + kalive)"
	fi
	echo "$1: $(notifies_of dir | grep -c .) notifies, the same argv from both"
}

step "certificates: client-ca signs client.pem, server-ca server.pem, stranger-ca nothing"
mkdir -p "$pki"
ossl() {
	(cd "$pki" && openssl "$@") >>/tmp/openssl.log 2>&1 || {
		cat /tmp/openssl.log
		fail "openssl $*"
	}
}
for c in client-ca server-ca stranger-ca; do
	ossl req -config /dev/null -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-days 2 -subj "/CN=$c" -keyout "$c.key" -out "$c.pem"
done
for c in client server; do
	ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$c.key"
	ossl req -config /dev/null -new -key "$c.key" -subj "/CN=$c" -out "$c.csr"
	ossl x509 -req -in "$c.csr" -CA "$c-ca.pem" -CAkey "$c-ca.key" -CAcreateserial -days 2 \
		-out "$c.pem"
done
echo "behind a client certificate" >"$pki/page.txt"

step "topology: lvs_lab with rs1..rs3 and keepalived's director dka"
lvs_lab 3
netns dka
lab_port dka eth0 10.0.1.4/24
ns dir ip addr add 10.0.0.10/32 dev eth0 || fail "VIP"

# bodies MATCH: rs1's and rs2's pages; MATCH "yes" makes each checker pass, "no" fail.
bodies() {
	if [ "$1" = yes ]; then
		echo "service: healthy" >"$(http_dir rs1)/index.html"
		echo "all fine" >"$(http_dir rs2)/index.html"
		# "healthy" at offset 601, between regex_min_offset 500 and regex_max_offset 1000
		printf '%0600d healthy\n' 0 >"$(http_dir rs1)/offset.html"
	else
		echo "service: sick" >"$(http_dir rs1)/index.html"
		echo "error: disk full" >"$(http_dir rs2)/index.html"
		# "healthy" at offset 0, before regex_min_offset 500
		printf 'healthy %0600d\n' 0 >"$(http_dir rs1)/offset.html"
	fi
}
http_serve rs1 10.0.1.11 "service: healthy"
http_serve rs2 10.0.1.12 "all fine"
bodies yes

# s_server CA: rs3's HTTPS server on 443, requiring a client certificate that CA signed.
s_server() {
	(cd "$pki" && exec ip netns exec rs3 openssl s_server -quiet -WWW -accept 443 \
		-cert server.pem -key server.key -Verify 1 -verify_return_error -CAfile "$1.pem") \
		</dev/null >>/tmp/s_server.log 2>&1 &
	echo $! >/tmp/s_server.pid
	wait_until 50 listening rs3 443 || show_fail "s_server in rs3"
}
s_server_stop() {
	kill "$(cat /tmp/s_server.pid)" || fail "stop s_server"
	wait_until 50 sh -c "! ip netns exec rs3 netstat -ltn | grep -q ':443 '" ||
		show_fail "s_server still listens"
}
s_server client-ca

all_up() {
	table "-A -t 10.0.0.10:80 -s rr" "$(rs 80 10.0.1.11:80)" "$(rs 80 10.0.1.12:80)" \
		"-A -t 10.0.0.10:81 -s rr" "$(rs 81 10.0.1.11:80)" \
		"-A -t 10.0.0.10:443 -s rr" "$(rs 443 10.0.1.13:443)"
}

step "keepalived in dka and kalive in dir on tls.conf"
start_directors /files/tls.conf
all_up
converge "start"
wait_until 50 sh -c "[ \$(grep -c ': success' $log) -ge 4 ]" || show_fail "not every checker passed"
sleep 1
is_table dir || show_fail "the first verdicts changed kalive's IPVS"
compare "start" 0

step "the bodies stop matching: rs1 'sick', rs2 'error', the offset page's match too early"
bodies no
table "-A -t 10.0.0.10:80 -s rr" "-A -t 10.0.0.10:81 -s rr" \
	"-A -t 10.0.0.10:443 -s rr" "$(rs 443 10.0.1.13:443)"
converge "no match"
compare "no match" 3

step "the bodies match again"
bodies yes
all_up
converge "match again"
compare "match again" 6

step "rs3 restarted trusting stranger-ca: the SSL block's client certificate is refused"
s_server_stop
s_server stranger-ca
table "-A -t 10.0.0.10:80 -s rr" "$(rs 80 10.0.1.11:80)" "$(rs 80 10.0.1.12:80)" \
	"-A -t 10.0.0.10:81 -s rr" "$(rs 81 10.0.1.11:80)" "-A -t 10.0.0.10:443 -s rr"
converge "certificate refused"
compare "certificate refused" 7

step "rs3 restarted trusting client-ca again"
s_server_stop
s_server client-ca
all_up
converge "certificate accepted"
compare "certificate accepted" 8

step "the page on rs3 stops matching SSL_GET's regex, and matches again"
echo "no certificate needed" >"$pki/page.txt"
table "-A -t 10.0.0.10:80 -s rr" "$(rs 80 10.0.1.11:80)" "$(rs 80 10.0.1.12:80)" \
	"-A -t 10.0.0.10:81 -s rr" "$(rs 81 10.0.1.11:80)" "-A -t 10.0.0.10:443 -s rr"
converge "TLS page no match"
compare "TLS page no match" 9
echo "behind a client certificate" >"$pki/page.txt"
all_up
converge "TLS page match"
compare "TLS page match" 10

kill "$kl" "$ka"
wait "$kl"
wait "$ka"
echo "lvs-tls: all checks passed"
