#!/usr/bin/env bash
# fdmix natively (loopback, a tmpfs directory, a native peer on loopback)
# and under switchyard (lwIP through the test's own TAP device, a memfs
# mount, the native peer on the host side of the device): the transcripts
# must be equal.
#   run_fdmix.sh SWITCHYARD FDMIX N
set -uo pipefail
SY=$1 FDMIX=$2 N=$3
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: creating the TAP device needs root (CAP_NET_ADMIN)"
	exit 77
fi
if [ ! -c /dev/net/tun ]; then
	echo "SKIP: no /dev/net/tun"
	exit 77
fi
work=$(mktemp -d /tmp/sy-fdmix.XXXXXX)
cat >"$work/c.conf" <<CONF
[net]
stack = lwip
tap = sy-t$N
address = 10.77.$N.2/24
host-address = 10.77.$N.1

[mount /mem]
type = memfs
size = 16M
CONF
cleanup() {
	local p
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	"$SY" net down -c "$work/c.conf" >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT
# the device stays for the test, so the native peer can listen on its host side
"$SY" net up -c "$work/c.conf" >"$work/netup.log" 2>&1 || {
	echo "FAIL: switchyard net up:"
	cat "$work/netup.log"
	exit 1
}
port=$((21000 + N * 30))
mkdir "$work/dir"

# run NAME PORT PREFIX LWIP_ADDR DIR PEER_ADDR
run() {
	local name=$1 p=$2 prefix=$3 lwip=$4 dir=$5 peer=$6
	timeout 30 "$FDMIX" --peer "$peer" $((p + 2)) >"$work/$name.peer" 2>&1 &
	timeout 40 $prefix "$FDMIX" "$lwip" "$p" "$dir" "$work/kf" "$peer" $((p + 2)) >"$work/$name" 2>&1
	echo "exit $?" >>"$work/$name"
	wait
}
run native "$port" "" 127.0.0.1 "$work/dir" 127.0.0.1
run sy $((port + 10)) "$SY run -c $work/c.conf --" "10.77.$N.2" /mem "10.77.$N.1"
if [ "$(tail -1 "$work/native")" != "exit 0" ]; then
	echo "FAIL: the native run did not finish:"
	cat "$work/native" "$work/native.peer"
	exit 1
fi
if diff -u --label native --label "under switchyard" "$work/native" "$work/sy"; then
	echo "ok: $(wc -l <"$work/sy") lines, as natively"
else
	echo "FAIL: fdmix under switchyard differs from native (above)"
	exit 1
fi
