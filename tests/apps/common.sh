# Shared by the tests that run real servers over lwIP: a private TAP device
# and subnet per test (ctest -j runs them side by side), a named memfs, and
# cleanup on every exit. Source it with SY (the launcher) and N (the subnet
# number, 10.77.N.0/24) set.
set -euo pipefail
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: creating the TAP device needs root (CAP_NET_ADMIN)"
	exit 77
fi
if [ ! -c /dev/net/tun ]; then
	echo "SKIP: no /dev/net/tun"
	exit 77
fi
WORK=$(mktemp -d /tmp/switchyard-apps.XXXXXX)
MEMFS_NAME=sy-apps-$N-$$
LWIP=10.77.$N.2
pids=()
apps_cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -f "/dev/shm/switchyard-memfs-$MEMFS_NAME"
	rm -rf "$WORK"
}
trap apps_cleanup EXIT
cat >"$WORK/net.conf" <<CONF
[net]
stack = lwip
tap = sy-t$N
address = $LWIP/24
host-address = 10.77.$N.1

[mount /mem]
type = memfs
size = 256M
name = $MEMFS_NAME
CONF

# fail MESSAGE: the test's verdict, with the server's log
fail() {
	echo "FAIL: $*" >&2
	for f in "$WORK"/*.log; do
		[ -e "$f" ] && { echo "--- $f"; tail -20 "$f"; } >&2
	done
	exit 1
}

# start_under NAME CMD...: CMD under switchyard with the config, in the background
start_under() {
	local name=$1
	shift
	"$SY" run -c "$WORK/net.conf" -- "$@" >"$WORK/$name.log" 2>&1 &
	pids+=($!)
}
