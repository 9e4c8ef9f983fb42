#!/usr/bin/env bash
# Unmodified redis-server with its TCP/IP on lwIP inside the process and its
# data directory on memfs, measured from the host through the TAP device
# beside the same redis-server run natively on kernel loopback.
#   ./examples/redis-lwip.sh [BUILD_DIR]      (as root: it creates the TAP device)
# Bounded: 20000 requests per run, each step under a timeout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:-$here/../build}
sy=$build/bin/switchyard
if [ "$(id -u)" -ne 0 ] && [ ! -e /sys/class/net/sy-demo ]; then
	echo "redis-lwip.sh: needs root to create the TAP device (or: sudo $sy net up -c CONFIG)" >&2
	exit 1
fi
work=$(mktemp -d /tmp/switchyard-redis.XXXXXX)
name=redis-demo-$$
cat > "$work/net.conf" <<CONF
[net]
stack = lwip
tap = sy-demo
address = 10.77.99.2/24
host-address = 10.77.99.1

[mount /mem]
type = memfs
size = 256M
name = $name
CONF
native_pid= lwip_pid=
cleanup() {
	[ -n "$native_pid" ] && kill "$native_pid" 2>/dev/null || true
	[ -n "$lwip_pid" ] && kill "$lwip_pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -f "/dev/shm/switchyard-memfs-$name" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
redis_args=(--save '' --appendonly no --protected-mode no --dbfilename dump.rdb)
wait_ping() { # host port
	for _ in $(seq 100); do
		redis-cli -h "$1" -p "$2" ping 2>/dev/null | grep -q PONG && return 0
		sleep 0.1
	done
	echo "redis on $1:$2 did not answer" >&2
	return 1
}
bench() { # host port
	timeout 60 redis-benchmark -h "$1" -p "$2" -n 20000 -c 50 -t set,get -q 2>/dev/null |
		tr '\r' '\n' | grep 'requests per second' | sed 's/^ *//'
}

redis-server --bind 127.0.0.1 --port 6399 --dir "$work" "${redis_args[@]}" >"$work/native.log" 2>&1 &
native_pid=$!
"$sy" run -c "$work/net.conf" -- redis-server --bind 0.0.0.0 --port 6379 --dir /mem \
	"${redis_args[@]}" >"$work/lwip.log" 2>&1 &
lwip_pid=$!
wait_ping 127.0.0.1 6399
wait_ping 10.77.99.2 6379

echo "== native redis-server, kernel loopback"
bench 127.0.0.1 6399
echo "== the same redis-server under switchyard: TCP/IP on lwIP, through TAP device sy-demo"
bench 10.77.99.2 6379

echo "== BGSAVE: the forked child writes the dump into memfs"
redis-cli -h 10.77.99.2 set greeting "hello from lwIP" >/dev/null
redis-cli -h 10.77.99.2 bgsave
for _ in $(seq 100); do
	redis-cli -h 10.77.99.2 info persistence | grep -q 'rdb_bgsave_in_progress:0' && break
	sleep 0.1
done
"$sy" run -c "$work/net.conf" -- ls -l /mem
echo "== SHUTDOWN SAVE, restart on the same memfs"
redis-cli -h 10.77.99.2 shutdown save >/dev/null 2>&1 || true
wait "$lwip_pid" 2>/dev/null || true
"$sy" run -c "$work/net.conf" -- redis-server --bind 0.0.0.0 --port 6379 --dir /mem \
	"${redis_args[@]}" >>"$work/lwip.log" 2>&1 &
lwip_pid=$!
wait_ping 10.77.99.2 6379
echo "greeting after restart: $(redis-cli -h 10.77.99.2 get greeting)"
