#!/usr/bin/env bash
# `switchyard net up|down`: a persistent TAP device owned by the given user,
# its kernel side configured; idempotent; removed by down. Without the
# rights: a clear error and status 1, and a run that cannot create its
# device says so instead of falling back to the kernel.
set -uo pipefail
SY=$1
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
	echo "SKIP: needs root and /dev/net/tun"
	exit 77
fi
work=$(mktemp -d)
chmod 755 "$work"
dev=sy-t-up
cat >"$work/c.conf" <<CONF
[net]
stack = lwip
tap = $dev
address = 10.77.250.2/24
host-address = 10.77.250.1
CONF
chmod 644 "$work/c.conf"
trap '"$SY" net down -c "$work/c.conf" >/dev/null 2>&1; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$SY" net up -c "$work/c.conf" --user nobody || fail "net up"
[ -e /sys/class/net/$dev ] || fail "no device after net up"
[ "$(cat /sys/class/net/$dev/owner)" = "$(id -u nobody)" ] || fail "owner is $(cat /sys/class/net/$dev/owner)"
ip -4 addr show dev $dev | grep -q "10.77.250.1/24" || fail "host address missing: $(ip -4 addr show dev $dev)"
"$SY" net up -c "$work/c.conf" --user nobody >/dev/null || fail "second net up is not idempotent"

# the owner uses it without privileges. Users may open /dev/net/tun on a
# Debian system with udev (mode 0666); some VMs keep it 0600: then it is
# opened up for the length of the test.
mode=$(stat -c %a /dev/net/tun)
if [ "$mode" != 666 ]; then
	chmod 0666 /dev/net/tun
	trap 'chmod "$mode" /dev/net/tun; "$SY" net down -c "$work/c.conf" >/dev/null 2>&1; rm -rf "$work"' EXIT
fi
setpriv --reuid=nobody --regid=nogroup --clear-groups -- timeout 30 "$SY" run -c "$work/c.conf" -- \
	python3 -c "
import socket
s = socket.socket(); s.bind(('0.0.0.0', 7999)); s.listen(1)
print('listening', flush=True)
c, _ = s.accept(); print('accepted', c.recv(10).decode(), flush=True)
" >"$work/server.out" 2>&1 &
for _ in $(seq 100); do
	python3 -c "import socket; c = socket.create_connection(('10.77.250.2', 7999), 1); c.send(b'hi')" 2>/dev/null && break
	sleep 0.2
done
wait
out=$(cat "$work/server.out")
echo "unprivileged run: $out"
echo "$out" | grep -q "accepted hi" || fail "an unprivileged run could not use the device: $out"
[ "$mode" != 666 ] && chmod "$mode" /dev/net/tun

"$SY" net down -c "$work/c.conf" || fail "net down"
[ -e /sys/class/net/$dev ] && fail "device still there after net down"

# without the rights
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$SY" net up -c "$work/c.conf" 2>&1)
rc=$?
[ $rc = 1 ] || fail "unprivileged net up: status $rc, want 1"
echo "$out" | grep -q "needs CAP_NET_ADMIN" || fail "unprivileged net up said: $out"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups -- timeout 20 "$SY" run -c "$work/c.conf" -- \
	python3 -c "
import socket, errno
s = socket.socket()
try: s.bind(('0.0.0.0', 7999)); print('bound')
except OSError as e: print('bind', errno.errorcode[e.errno])
" 2>&1)
echo "unprivileged run without a device: $out"
echo "$out" | grep -q "bind ENETDOWN" || fail "want ENETDOWN: $out"
echo "$out" | grep -q "switchyard net up" || fail "no hint to run net up: $out"
"$SY" run -c "$work/c.conf" -- true || fail "a run that uses no socket must not need the device"
echo ok
