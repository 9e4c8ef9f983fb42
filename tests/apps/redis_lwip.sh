#!/usr/bin/env bash
# Unmodified redis-server over lwIP, its dir on memfs: redis-benchmark from
# the host through the TAP device with no errors, BGSAVE from the forked
# child into memfs, SHUTDOWN SAVE and a restart that brings every key back.
SY=$1
N=41
. "$(dirname "$0")/common.sh"
args=(--bind 0.0.0.0 --port 6379 --dir /mem --dbfilename dump.rdb --save '' --appendonly no
	--protected-mode no --daemonize no)
cli() { timeout 10 redis-cli -h "$LWIP" "$@"; }
wait_up() {
	for _ in $(seq 100); do
		[ "$(cli ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.1
	done
	fail "redis-server over lwIP does not answer"
}

start_under redis redis-server "${args[@]}"
wait_up

out=$(timeout 120 redis-benchmark -h "$LWIP" -n 100000 -c 50 -t set,get --csv 2>&1) ||
	fail "redis-benchmark: $out"
echo "$out"
echo "$out" | grep -q '"SET"' || fail "no SET result"
echo "$out" | grep -q '"GET"' || fail "no GET result"
echo "$out" | grep -qi 'error' && fail "redis-benchmark reported errors"

# 1000 known keys (and nothing else: the benchmark leaves its own)
cli flushall >/dev/null
for i in $(seq 1000); do echo "SET key:$i value-$i-$((i * i))"; done | cli >/dev/null
[ "$(cli dbsize)" -ge 1000 ] || fail "keys not stored"
cli bgsave | grep -q "Background saving started" || fail "BGSAVE refused"
for _ in $(seq 100); do
	cli info persistence | grep -q 'rdb_bgsave_in_progress:0' && break
	sleep 0.1
done
cli info persistence | grep -q 'rdb_last_bgsave_status:ok' || fail "BGSAVE failed"
"$SY" run -c "$WORK/net.conf" -- test -s /mem/dump.rdb || fail "no dump.rdb in memfs"

cli shutdown save >/dev/null 2>&1 || true
for _ in $(seq 100); do
	kill -0 "${pids[0]}" 2>/dev/null || break
	sleep 0.1
done
kill -0 "${pids[0]}" 2>/dev/null && fail "redis-server did not exit on SHUTDOWN"

# the restart with --stats and --trace: they must say what lwIP served
"$SY" run --stats "$WORK/stats-%p.json" --trace "$WORK/trace-%p.txt" -c "$WORK/net.conf" -- \
	redis-server "${args[@]}" >"$WORK/redis2.log" 2>&1 &
pids+=($!)
wait_up
keys=$(cli dbsize)
[ "$keys" = 1000 ] || fail "after restart: $keys keys, want 1000"
for i in $(seq 1000); do echo "GET key:$i"; done | cli >"$WORK/values"
for i in $(seq 1000); do echo "value-$i-$((i * i))"; done | cmp -s - "$WORK/values" ||
	fail "values differ after restart"
cli shutdown nosave >/dev/null 2>&1 || true
for _ in $(seq 100); do
	ls "$WORK"/stats-*.json >/dev/null 2>&1 && break
	sleep 0.1
done
python3 - "$WORK" <<'PY' || fail "stats/trace do not show lwIP's share"
import glob, json, sys
w = sys.argv[1]
stats = [json.load(open(f)) for f in glob.glob(w + "/stats-*.json")]
main = max(stats, key=lambda s: s["served_by"].get("netstack", 0))
assert main["served_by"]["netstack"] > 10, main["served_by"]
assert main["net"]["lwip_sockets"] >= 2 and main["net"]["stack"] == "running", main["net"]
assert main["served_by"]["vfs"] > 0 and main["served_by"]["kernel"] > 0, main["served_by"]
lines = [l for f in glob.glob(w + "/trace-*.txt") for l in open(f)]
assert any(l.startswith(tuple("0123456789")) and "accept" in l and l.rstrip().endswith("<netstack>") for l in lines)
assert any("openat" in l and "dump.rdb" in l and l.rstrip().endswith("<vfs>") for l in lines)
print("stats:", main["served_by"], main["net"])
PY
echo "ok: benchmark, BGSAVE into memfs, 1000 keys back after restart, stats and trace"
