#!/bin/sh
# Real programs give byte-identical output natively and under switchyard.
#
# real_programs.sh LAUNCHER MODE PROGRAM
#   MODE     auto | sud
#   PROGRAM  ls | bash | python3 | gcc | sqlite3 | tar | redis
#
# Runs PROGRAM's scenario natively and under `LAUNCHER run --mode MODE
# --stats DIR/%p.json`, compares stdout, stderr and exit status byte for
# byte, then checks the stats prove the programs were really intercepted:
# every process saw syscalls; in auto mode (as root: "rewrite") sites were
# rewritten; in sud mode every process trapped and nothing was rewritten.
# Exits 0 on success, 77 when PROGRAM is not installed (skip), 1 on failure.
set -u
# ctest leaks its log file as fd 3 into tests; the programs expect 0-2 only.
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
launcher=$1 mode=$2 prog=$3
here=$(cd "$(dirname "$0")" && pwd)
export LC_ALL=C
tmp=$(mktemp -d /tmp/sy-real.XXXXXX)
server_pid=
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -n "${SY_KEEP:-}" ] && trap - EXIT

fail() { echo "real_programs: FAIL ($prog, $mode): $*"; exit 1; }
skip() { echo "real_programs: SKIP ($prog): $*"; exit 77; }

[ -x "$launcher" ] || fail "no launcher at $launcher (not built?)"
case $mode in
auto) want_mode=rewrite
	checks="--mode rewrite --each-min syscalls=1 --sum-min sites_rewritten=1" ;;
sud) want_mode=sud
	checks="--mode sud --each-min syscalls=1 --each-min sud_traps=1 --each-eq sites_rewritten=0" ;;
*) fail "unknown mode $mode" ;;
esac
[ "$(id -u)" = 0 ] || [ "$mode" != auto ] || {
	# As an unprivileged user auto falls back to sud (see nonroot.sh).
	want_mode=sud
	checks="--mode sud --each-min syscalls=1 --each-min sud_traps=1 --each-eq sites_rewritten=0"
}
mkdir -p "$tmp/stats" "$tmp/native" "$tmp/sy"

# sy CMD...: CMD under switchyard, stats into $tmp/stats.
sy() { "$launcher" run --mode "$mode" --stats "$tmp/stats/%p.json" -- "$@"; }

# compare NAME: compares $tmp/native/NAME.{out,err,rc} with $tmp/sy/NAME.*
compare() {
	for part in rc out err; do
		if ! cmp -s "$tmp/native/$1.$part" "$tmp/sy/$1.$part"; then
			echo "--- native $1.$part (head) ---"; head -c 2000 "$tmp/native/$1.$part"
			echo "--- switchyard $1.$part (head) ---"; head -c 2000 "$tmp/sy/$1.$part"
			echo "--- diff (head) ---"
			diff "$tmp/native/$1.$part" "$tmp/sy/$1.$part" | head -20
			fail "$1: $part differs natively and under switchyard"
		fi
	done
	echo "real_programs: $1: identical ($(wc -c < "$tmp/native/$1.out") bytes of output," \
		"exit $(cat "$tmp/native/$1.rc"))"
}

# both NAME CMD...: runs CMD natively and under switchyard (in the
# directories $tmp/native and $tmp/sy), then compares.
both() {
	name=$1; shift
	(cd "$tmp/native" && "$@" > "$name.out" 2> "$name.err"; echo $? > "$name.rc")
	(cd "$tmp/sy" && sy "$@" > "$name.out" 2> "$name.err"; echo $? > "$name.rc")
	compare "$name"
}

need() { command -v "$1" > /dev/null 2>&1 || skip "$1 is not installed"; }

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

case $prog in
ls)
	need ls
	both ls ls -laR /usr/include
	;;
bash)
	need bash; need seq; need sort; need uniq; need sha256sum
	both bash bash -c '
		seq 1 20000 | sort -r | uniq -c | sha256sum
		echo "pipestatus ${PIPESTATUS[*]}"
		x=$(seq 1 500 | while read -r n; do echo $((n * n)); done | tail -n 3)
		echo "subst $x"
		( cd / && pwd )
		f=$(mktemp) && seq 7 > "$f" && wc -l < "$f" && rm -f "$f"
		cat <<-EOT | tr a-z A-Z
		here document
		EOT
		for i in 1 2 3; do sh -c "echo child \$\$ >/dev/null; exit $i"; echo "exit $?"; done
		echo done'
	;;
python3)
	need /usr/bin/python3
	both python3 /usr/bin/python3 -I -c '
import concurrent.futures, hashlib, json, os, subprocess
d = {"numbers": list(range(50)), "nested": {"k": "v", "list": [1.5, None, True]}}
s = json.dumps(d, sort_keys=True)
print(s)
print(hashlib.sha256(s.encode()).hexdigest())
r = subprocess.run(["echo", "hello from echo"], capture_output=True, text=True)
print(r.returncode, r.stdout.strip())
r = subprocess.run("exit 3", shell=True)
print("shell exit", r.returncode)
with concurrent.futures.ThreadPoolExecutor(4) as ex:
    print(list(ex.map(lambda n: hashlib.md5(str(n).encode()).hexdigest()[:8], range(8))))
print(len(os.listdir("/usr/include")) > 10)
'
	;;
gcc)
	need gcc
	for d in native sy; do
		cat > "$tmp/$d/prog.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }
int main(void)
{
	int v[1000];
	unsigned s = 12345;
	for (int i = 0; i < 1000; i++) { s = s * 1103515245 + 12345; v[i] = (int)(s >> 16) % 10000; }
	qsort(v, 1000, sizeof v[0], cmp);
	long sum = 0;
	for (int i = 0; i < 1000; i++) sum += v[i];
	printf("min %d max %d median %d sum %ld\n", v[0], v[999], v[500], sum);
	return 0;
}
EOF
	done
	both gcc-compile gcc -O2 -Wall -o prog prog.c
	both gcc-run ./prog
	cmp "$tmp/native/prog" "$tmp/sy/prog" || fail "the binaries gcc produced differ"
	echo "real_programs: gcc produced identical binaries"
	;;
sqlite3)
	need sqlite3
	{
		echo "CREATE TABLE t(k INTEGER PRIMARY KEY, name TEXT, v REAL);"
		echo "BEGIN;"
		i=1
		while [ $i -le 1000 ]; do
			echo "INSERT INTO t(name, v) VALUES ('row$i', $i * 1.5);"
			i=$((i + 1))
		done
		echo "COMMIT;"
		echo "SELECT count(*), sum(v), avg(v), min(name), max(name) FROM t;"
		echo "SELECT k % 7, count(*), sum(v) FROM t GROUP BY k % 7 ORDER BY 1;"
		echo "PRAGMA integrity_check;"
	} > "$tmp/script.sql"
	both sqlite3 sh -c "sqlite3 db.sqlite < '$tmp/script.sql'"
	;;
tar)
	need tar; need diff; need gzip
	mkdir -p "$tmp/tree"
	cp -a /usr/include/linux "$tmp/tree/" 2>/dev/null || fail "cannot copy a tree"
	ln -s linux "$tmp/tree/link"
	printf 'x' > "$tmp/tree/small"
	script="tar -C '$tmp' -cf a.tar tree && mkdir x && tar -C x -xf a.tar && diff -r '$tmp/tree' x/tree && echo plain-roundtrip-ok && sha256sum < a.tar && tar -C '$tmp' -czf b.tgz tree && mkdir y && tar -C y -xzf b.tgz && diff -r '$tmp/tree' y/tree && echo gzip-roundtrip-ok && tar -tf a.tar | sort | sha256sum"
	both tar sh -c "$script"
	;;
redis)
	command -v redis-server > /dev/null 2>&1 || skip "redis-server is not installed"
	need redis-cli
	# redis_session DIR WRAP...: a server and a client session, both under WRAP.
	redis_session() {
		dir=$1; shift
		port=$(free_port)
		(cd "$dir" && exec "$@" redis-server --port "$port" --save '' --appendonly no \
			--bind 127.0.0.1 --daemonize no > redis-server.log 2>&1) &
		server_pid=$!
		i=0
		until "$@" redis-cli -p "$port" PING > "$dir/ping.out" 2>/dev/null &&
			grep -q PONG "$dir/ping.out"; do
			i=$((i + 1))
			[ $i -gt 100 ] && { cat "$dir/redis-server.log"; fail "redis-server did not answer PING"; }
			sleep 0.1
		done
		{
			echo PING
			"$@" redis-cli -p "$port" SET greeting hello
			"$@" redis-cli -p "$port" GET greeting
			"$@" redis-cli -p "$port" INCRBY counter 41
			"$@" redis-cli -p "$port" RPUSH list a b c
			"$@" redis-cli -p "$port" LRANGE list 0 -1
			"$@" redis-cli -p "$port" DBSIZE
			"$@" redis-cli -p "$port" SHUTDOWN NOSAVE
		} > "$dir/redis.out" 2> "$dir/redis.err"
		cat "$dir/ping.out" >> "$dir/redis.out"
		wait "$server_pid"
		echo "server exit $?" >> "$dir/redis.out"
		server_pid=
		echo 0 > "$dir/redis.rc"
	}
	redis_session "$tmp/native" env
	redis_session "$tmp/sy" "$launcher" run --mode "$mode" --stats "$tmp/stats/%p.json" --
	compare redis
	;;
*)
	fail "unknown program $prog"
	;;
esac

/usr/bin/python3 "$here/stats_check.py" "$tmp/stats" $checks || fail "stats"
echo "real_programs: $prog under mode $mode ($want_mode): ok"
