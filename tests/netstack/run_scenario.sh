#!/usr/bin/env bash
# Socket semantics with the kernel as the oracle: sockscen's server and
# client roles run natively over kernel loopback, then with the server on
# lwIP (under switchyard, the client on the host reaching it through the
# TAP device), then with the client on lwIP (the server on the host side of
# the TAP device). Each role's transcript must equal its native one.
#   run_scenario.sh SWITCHYARD SOCKSCEN inet|inet6 N
set -uo pipefail
SY=$1 SCEN=$2 FAM=$3 N=$4
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
	echo "SKIP: needs root and /dev/net/tun to create a TAP device"
	exit 77
fi
work=$(mktemp -d)
tap=sy-t$N
cat >"$work/net.conf" <<CONF
[net]
stack = lwip
tap = $tap
address = 10.77.$N.2/24
host-address = 10.77.$N.1
address6 = fd77:$N::2/64
host-address6 = fd77:$N::1
CONF
cleanup() {
	kill $(jobs -p) 2>/dev/null
	wait 2>/dev/null
	"$SY" net down -c "$work/net.conf" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
if [ "$FAM" = inet6 ]; then
	loop=::1 lwip=fd77:$N::2 host=fd77:$N::1
else
	loop=127.0.0.1 lwip=10.77.$N.2 host=10.77.$N.1
fi
port=$((7400 + N * 2))
# the device stays while the test runs, so the host side has its address
"$SY" net up -c "$work/net.conf" >/dev/null || exit 1

pair() { # name server-prefix client-prefix server-addr client-addr
	local name=$1
	timeout 60 $2 "$SCEN" server "$FAM" "$4" "$port" >"$work/$name.server" 2>"$work/$name.server.err" &
	local spid=$!
	sleep 0.3
	timeout 60 $3 "$SCEN" client "$FAM" "$5" "$port" >"$work/$name.client" 2>"$work/$name.client.err"
	wait "$spid"
}
under="$SY run -c $work/net.conf --"
pair native "" "" "$loop" "$loop"
pair lwip-server "$under" "" "$lwip" "$lwip"
pair lwip-client "" "$under" "$host" "$host"

rc=0
check() { # native-file other-file what
	if ! diff -u "$1" "$2" >"$work/diff"; then
		echo "FAIL: $3 differs from the kernel's:"
		cat "$work/diff"
		cat "${2}.err" 2>/dev/null | head -5
		rc=1
	else
		echo "ok: $3 ($(wc -l <"$2") lines as over kernel loopback)"
	fi
}
check "$work/native.server" "$work/lwip-server.server" "server on lwIP"
check "$work/native.client" "$work/lwip-server.client" "kernel client of an lwIP server"
check "$work/native.client" "$work/lwip-client.client" "client on lwIP"
check "$work/native.server" "$work/lwip-client.server" "kernel server of an lwIP client"
exit $rc
