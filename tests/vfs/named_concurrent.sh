#!/usr/bin/env bash
# Two processes mount one named memfs at the same time: the second must not
# wait for the first to exit (the mount's format lock is let go), and both
# see each other's files.
set -eu
sy=$1
dir=$(mktemp -d)
name=sy-named-concurrent-$$
trap 'rm -rf "$dir"; rm -f /dev/shm/switchyard-memfs-$name' EXIT
printf '[mount /m]\ntype = memfs\nsize = 16M\nname = %s\n' "$name" >"$dir/c.conf"
"$sy" run -c "$dir/c.conf" -- python3 -c 'open("/m/a", "w").write("first\n"); import time; time.sleep(8)' &
holder=$!
sleep 0.5
out=$(timeout 4 "$sy" run -c "$dir/c.conf" -- sh -c 'echo second > /m/b; cat /m/a') || {
	echo "FAIL: a second process could not use the named memfs while the first ran" >&2
	exit 1
}
[ "$out" = first ] || { echo "FAIL: second process read '$out', want 'first'" >&2; exit 1; }
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || true
out=$(timeout 5 "$sy" run -c "$dir/c.conf" -- cat /m/b)
[ "$out" = second ] || { echo "FAIL: read '$out', want 'second'" >&2; exit 1; }
echo ok
