#!/usr/bin/env bash
# Unmodified lighttpd (one process) over lwIP, serving files from memfs,
# under wrk from the host for a bounded time: no socket errors, no non-2xx
# responses, bodies as stored.
SY=$1
N=42
. "$(dirname "$0")/common.sh"
"$SY" run -c "$WORK/net.conf" -- sh -c \
	'mkdir -p /mem/www && echo "<h1>switchyard over lwIP</h1>" > /mem/www/index.html &&
	 head -c 65536 /dev/urandom > /mem/www/big.bin && cat /mem/www/big.bin' >"$WORK/big.bin"
cat >"$WORK/lighttpd.conf" <<CONF
server.document-root = "/mem/www"
server.port = 8080
server.bind = "$LWIP"
server.errorlog = "$WORK/lighttpd-error.log"
mimetype.assign = (".html" => "text/html", ".bin" => "application/octet-stream")
CONF
start_under lighttpd lighttpd -D -f "$WORK/lighttpd.conf"
for _ in $(seq 100); do
	python3 -c "import socket; socket.create_connection(('$LWIP', 8080), 1).close()" 2>/dev/null && break
	sleep 0.1
done
python3 - "$LWIP" "$WORK/big.bin" <<'PY' || fail "content check"
import sys, urllib.request
host, big = sys.argv[1], open(sys.argv[2], "rb").read()
idx = urllib.request.urlopen(f"http://{host}:8080/index.html", timeout=5).read()
assert idx == b"<h1>switchyard over lwIP</h1>\n", idx
got = urllib.request.urlopen(f"http://{host}:8080/big.bin", timeout=5).read()
assert got == big, (len(got), len(big))
print("content ok")
PY
for path in index.html big.bin; do
	out=$(timeout 30 wrk -t2 -c32 -d5s "http://$LWIP:8080/$path" 2>&1) || fail "wrk: $out"
	echo "$out"
	echo "$out" | grep -q "Socket errors" && fail "socket errors on /$path"
	echo "$out" | grep -q "Non-2xx" && fail "non-2xx responses on /$path"
	echo "$out" | grep -q "Requests/sec" || fail "no result for /$path"
done
echo "ok: wrk over lwIP, no errors"
