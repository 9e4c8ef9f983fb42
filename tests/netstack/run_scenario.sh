#!/usr/bin/env bash
# Socket semantics with the kernel as the oracle. A scenario's server and
# client roles run three ways:
#   native       both on kernel loopback (127.0.0.1 or ::1): the oracle;
#   lwip-server  the server under switchyard on lwIP (lwIP's address,
#                10.77.N.2), the client native, reaching it through the TAP;
#   lwip-client  the client under switchyard on lwIP, the server native on
#                the host side of the TAP (10.77.N.1).
# Each role's transcript must equal its native one, line for line.
#   run_scenario.sh SWITCHYARD SCENARIO inet|inet6 N [with-v4]
# N names the test's own TAP device (sy-tN) and subnets (10.77.N.0/24,
# fd77:N::/64), so tests run side by side; with-v4 hands the scenario the
# IPv4 address of the same place as a fifth argument (v6.c).
set -uo pipefail
SY=$1 SCEN=$2 FAM=$3 N=$4 V4=${5:-}
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: creating the TAP device needs root (CAP_NET_ADMIN)"
	exit 77
fi
if [ ! -c /dev/net/tun ]; then
	echo "SKIP: no /dev/net/tun"
	exit 77
fi
name=$(basename "$SCEN")
work=$(mktemp -d /tmp/sy-netscen.XXXXXX)
cat >"$work/net.conf" <<CONF
[net]
stack = lwip
tap = sy-t$N
address = 10.77.$N.2/24
host-address = 10.77.$N.1
address6 = fd77:$N::2/64
host-address6 = fd77:$N::1
CONF
cleanup() {
	local p
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	"$SY" net down -c "$work/net.conf" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
# The device stays for the whole test, so the host side has its addresses
# before the lwIP side starts (and between the runs).
"$SY" net up -c "$work/net.conf" >"$work/netup.log" 2>&1 || {
	echo "FAIL: switchyard net up:"
	cat "$work/netup.log"
	exit 1
}
if [ "$FAM" = inet6 ]; then
	loop=::1 lwip=fd77:$N::2 host=fd77:$N::1
else
	loop=127.0.0.1 lwip=10.77.$N.2 host=10.77.$N.1
fi
base=$((20000 + N * 30))
under="$SY run -c $work/net.conf --"

# run MODE PORT SERVER-PREFIX CLIENT-PREFIX ADDRESS ADDRESS4
run() {
	local mode=$1 port=$2 sp=$3 cp=$4 addr=$5 addr4=$6 extra=()
	[ -n "$V4" ] && extra=("$addr4")
	timeout 20 $sp "$SCEN" server "$FAM" "$addr" "$port" "${extra[@]}" \
		>"$work/$mode.server" 2>"$work/$mode.server.err" &
	local spid=$!
	sleep 0.2
	timeout 20 $cp "$SCEN" client "$FAM" "$addr" "$port" "${extra[@]}" \
		>"$work/$mode.client" 2>"$work/$mode.client.err"
	echo "exit $?" >>"$work/$mode.client"
	wait "$spid"
	echo "exit $?" >>"$work/$mode.server"
}
run native "$base" "" "" "$loop" 127.0.0.1
run lwip-server $((base + 10)) "$under" "" "$lwip" "10.77.$N.2"
run lwip-client $((base + 20)) "" "$under" "$host" "10.77.$N.1"

if [ "$(tail -1 "$work/native.server")" != "exit 0" ] || [ "$(tail -1 "$work/native.client")" != "exit 0" ]; then
	echo "FAIL: the native run did not finish; its transcripts:"
	tail -n +1 "$work"/native.*
	exit 1
fi
rc=0
check() { # oracle other what
	if diff -u --label "native $(basename "$1")" --label "$3" "$1" "$2" >"$work/diff"; then
		echo "ok: $3 ($(wc -l <"$2") lines, as over kernel loopback)"
	else
		echo "FAIL: $3 differs from the kernel's:"
		cat "$work/diff"
		if [ -s "$2.err" ]; then
			echo "--- its stderr:"
			head -20 "$2.err"
		fi
		rc=1
	fi
}
echo "== $name $FAM (sy-t$N)"
check "$work/native.server" "$work/lwip-server.server" "server on lwIP"
check "$work/native.client" "$work/lwip-server.client" "kernel client of an lwIP server"
check "$work/native.client" "$work/lwip-client.client" "client on lwIP"
check "$work/native.server" "$work/lwip-client.server" "kernel server of an lwIP client"
exit $rc
