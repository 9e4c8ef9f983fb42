#!/usr/bin/env bash
# Network benchmark: the same unmodified servers (redis-server under
# redis-benchmark, lighttpd under wrk) natively on kernel loopback, under
# switchyard with their sockets on the kernel (the interposer's passthrough
# cost), and under switchyard over lwIP through a TAP device. Rounds are
# interleaved; the report gives medians with min and max, ratios to native,
# and p50/p99 latencies. lwIP needs root (it creates the TAP device).
#
#   bench/net.sh [--build DIR] [--rounds N] [--quick] [--raw DIR]
# (--raw: the per-round requests/s kept there as net-WORKLOAD-CONFIG.txt)
#
# Progress on stderr; a Markdown section on stdout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${SWITCHYARD_BUILD:-$here/../build}
rounds=5
quick=0
raw=""
while [ $# -gt 0 ]; do
	case $1 in
	--raw) raw=$2; shift ;;
	--build) build=$2; shift ;;
	--rounds) rounds=$2; shift ;;
	--quick) quick=1 ;;
	*) echo "bench/net.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
sy=$build/bin/switchyard
[ -x "$sy" ] || { echo "bench/net.sh: no $sy; build first" >&2; exit 2; }
for tool in redis-server redis-benchmark redis-cli lighttpd wrk; do
	command -v "$tool" >/dev/null || { echo "bench/net.sh: $tool is not installed (scripts/setup.sh)" >&2; exit 2; }
done
if [ "$quick" = 1 ]; then
	rounds=1 n1=2000 n16=10000 wrk_s=1
else
	n1=50000 n16=200000 wrk_s=3
fi
t0=$(date +%s)
progress() { printf '[net %4ss] %s\n' "$(($(date +%s) - t0))" "$*" >&2; }

work=$(mktemp -d /tmp/switchyard-bench-net.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

configs=(native kernel)
lwip_note=""
if [ "$(id -u)" -eq 0 ] && [ -c /dev/net/tun ]; then
	configs+=(lwip)
else
	lwip_note="lwIP not measured: creating its TAP device needs root and /dev/net/tun."
fi
cat >"$work/lwip.conf" <<CONF
[net]
stack = lwip
tap = sy-bench
address = 10.77.60.2/24
host-address = 10.77.60.1
CONF
label() {
	case $1 in
	native) echo "native, kernel loopback" ;;
	kernel) echo "switchyard, sockets on the kernel" ;;
	lwip) echo "switchyard, lwIP through TAP" ;;
	esac
}
host_of() { [ "$1" = lwip ] && echo 10.77.60.2 || echo 127.0.0.1; }
prefix_of() {
	case $1 in
	native) ;;
	kernel) echo "$sy run --" ;;
	lwip) echo "$sy run -c $work/lwip.conf --" ;;
	esac
}
redis_port() { case $1 in native) echo 6411 ;; kernel) echo 6412 ;; lwip) echo 6379 ;; esac; }
http_port() { case $1 in native) echo 8091 ;; kernel) echo 8092 ;; lwip) echo 8093 ;; esac; }

wait_tcp() { # host port
	for _ in $(seq 100); do
		python3 -c "import socket; socket.create_connection(('$1', $2), 1).close()" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench/net.sh: nothing answers on $1:$2" >&2
	return 1
}

# The servers: one redis and one lighttpd per configuration. lwIP runs in
# one process per TAP device, so its two servers take turns.
start_redis() { # config
	local c=$1
	$(prefix_of "$c") redis-server --bind "$(host_of "$c" | sed 's/10.77.60.2/0.0.0.0/')" \
		--port "$(redis_port "$c")" --save '' --appendonly no --protected-mode no \
		>"$work/redis-$c.log" 2>&1 &
	pids+=($!)
	echo $! >"$work/redis-$c.pid"
	wait_tcp "$(host_of "$c")" "$(redis_port "$c")"
}
start_http() { # config
	local c=$1
	mkdir -p "$work/www"
	printf '<h1>switchyard</h1>\n' >"$work/www/index.html"
	cat >"$work/lighttpd-$c.conf" <<CONF
server.document-root = "$work/www"
server.port = $(http_port "$c")
server.bind = "$(host_of "$c")"
server.errorlog = "$work/lighttpd-$c.err"
mimetype.assign = (".html" => "text/html")
CONF
	$(prefix_of "$c") lighttpd -D -f "$work/lighttpd-$c.conf" >"$work/http-$c.log" 2>&1 &
	pids+=($!)
	echo $! >"$work/http-$c.pid"
	wait_tcp "$(host_of "$c")" "$(http_port "$c")"
}
stop() { # pidfile
	local p
	p=$(cat "$1")
	kill "$p" 2>/dev/null || true
	while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
}

# redis-benchmark --csv: "test","rps","avg","min","p50","p95","p99","max"
redis_round() { # config test pipeline n
	local c=$1 t=$2 p=$3 n=$4 line
	line=$(timeout 120 redis-benchmark -h "$(host_of "$c")" -p "$(redis_port "$c")" -n "$n" \
		-c 50 -P "$p" -t "$t" --csv 2>/dev/null | grep -i "^\"$t\"" | tr -d '"') || true
	[ -n "$line" ] || { echo "redis-benchmark $c $t -P $p failed" >&2; return 1; }
	IFS=, read -r _ rps _ _ p50 _ p99 _ <<<"$line"
	echo "$rps" >>"$work/r-$c-$t-$p.rps"
	echo "$p50" >>"$work/r-$c-$t-$p.p50"
	echo "$p99" >>"$work/r-$c-$t-$p.p99"
}

wrk_ms() { # "123.45us" | "1.2ms" | "1.1s" -> milliseconds
	awk -v v="$1" 'BEGIN { u = v; sub(/[0-9.]+/, "", u); x = v + 0;
		if (u == "us") x /= 1000; else if (u == "s") x *= 1000; printf "%.3f\n", x }'
}
http_round() { # config
	local c=$1 out
	out=$(timeout 60 wrk -t2 -c32 -d"${wrk_s}s" --latency "http://$(host_of "$c"):$(http_port "$c")/index.html" 2>&1) || {
		echo "wrk $c failed: $out" >&2; return 1; }
	if echo "$out" | grep -qE "Socket errors|Non-2xx"; then
		echo "wrk $c: errors: $out" >&2
		return 1
	fi
	echo "$out" | awk '/Requests\/sec/ { print $2 }' >>"$work/h-$c.rps"
	wrk_ms "$(echo "$out" | awk '$1 == "50%" { print $2 }')" >>"$work/h-$c.p50"
	wrk_ms "$(echo "$out" | awk '$1 == "99%" { print $2 }')" >>"$work/h-$c.p99"
}

stat_of() { # median|min|max file
	sort -g "$2" | awk -v what="$1" '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (what == "min") print v[1]; else if (what == "max") print v[NR];
		else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "-") print "-"; else printf "%.2f\n", a / b }'; }

for c in "${configs[@]}"; do
	[ "$c" = lwip ] && continue
	start_redis "$c"
	start_http "$c"
done
for round in $(seq "$rounds"); do
	for c in "${configs[@]}"; do
		if [ "$c" = lwip ]; then start_redis lwip; fi
		for t in set get; do
			redis_round "$c" "$t" 1 "$n1"
			redis_round "$c" "$t" 16 "$n16"
		done
		if [ "$c" = lwip ]; then stop "$work/redis-lwip.pid"; start_http lwip; fi
		http_round "$c"
		if [ "$c" = lwip ]; then stop "$work/http-lwip.pid"; fi
		progress "round $round/$rounds $c: redis SET $(tail -1 "$work/r-$c-set-1.rps") rps, wrk $(tail -1 "$work/h-$c.rps") req/s"
	done
done

if [ -n "$raw" ]; then
	mkdir -p "$raw"
	for c in "${configs[@]}"; do
		for t in set get; do
			for p in 1 16; do
				[ -s "$work/r-$c-$t-$p.rps" ] && cp "$work/r-$c-$t-$p.rps" "$raw/net-redis-$t-$p-$c.txt"
			done
		done
		[ -s "$work/h-$c.rps" ] && cp "$work/h-$c.rps" "$raw/net-wrk-$c.txt"
	done
fi
echo "## Network: redis-benchmark and wrk"
echo
echo "Requests per second, median of $rounds interleaved rounds (min-max), ratio to native;"
echo "latencies p50/p99 in ms (medians). redis-benchmark -c 50 (-n $n1 at -P 1, -n $n16 at"
echo "-P 16); wrk -t2 -c32 -d${wrk_s}s on a small static file (lighttpd, one process)."
[ -n "$lwip_note" ] && echo && echo "$lwip_note"
echo
echo "| workload | configuration | req/s (median) | min-max | ratio to native | p50 ms | p99 ms |"
echo "|---|---|---:|---:|---:|---:|---:|"
row() { # name prefix config native-prefix
	local med nat
	med=$(stat_of median "$2.rps")
	nat=$(stat_of median "$4.rps")
	printf '| %s | %s | %s | %s-%s | %s | %s | %s |\n' "$1" "$(label "$3")" "$med" \
		"$(stat_of min "$2.rps")" "$(stat_of max "$2.rps")" "$(ratio "$med" "$nat")" \
		"$(stat_of median "$2.p50")" "$(stat_of median "$2.p99")"
}
for t in set get; do
	for p in 1 16; do
		for c in "${configs[@]}"; do
			row "redis ${t^^} -P $p" "$work/r-$c-$t-$p" "$c" "$work/r-native-$t-$p"
		done
	done
done
for c in "${configs[@]}"; do
	row "wrk, lighttpd" "$work/h-$c" "$c" "$work/h-native"
done
echo
echo "Bar: switchyard with sockets on the kernel at >= 0.98 of native (the passthrough cost)."
progress "done"
