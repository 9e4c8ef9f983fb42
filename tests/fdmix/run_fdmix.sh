#!/usr/bin/env bash
# fdmix natively (loopback, a tmpfs directory) and under switchyard (lwIP
# through a TAP device, a memfs mount): the transcripts must be equal.
#   run_fdmix.sh SWITCHYARD FDMIX N
set -uo pipefail
SY=$1 FDMIX=$2 N=$3
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
	echo "SKIP: needs root and /dev/net/tun to create a TAP device"
	exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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
port=$((7800 + N * 2))
mkdir "$work/dir"
timeout 60 "$FDMIX" 127.0.0.1 "$port" "$work/dir" "$work/kf" >"$work/native" 2>&1
timeout 60 "$SY" run -c "$work/c.conf" -- "$FDMIX" "10.77.$N.2" "$port" /mem "$work/kf" >"$work/sy" 2>&1
if diff -u "$work/native" "$work/sy"; then
	echo "ok: $(wc -l <"$work/sy") lines, as natively"
else
	echo "FAIL: fdmix under switchyard differs from native (above)"
	exit 1
fi
