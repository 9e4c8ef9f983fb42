#!/bin/sh
# --trace writes strace-like lines: the calls of a program with their
# arguments (paths as strings, ints as ints, only as many as the call takes)
# and results (-1 ERRNO for errors, ? for calls that do not return).
#
# trace_check.sh LAUNCHER
set -u
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
launcher=$1
tmp=$(mktemp -d /tmp/sy-trace.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "trace_check: FAIL $*"; echo "--- trace:"; head -c 3000 "$tmp/trace"; exit 1; }

printf 'hello\n' > "$tmp/in"
"$launcher" run --trace "$tmp/trace" -- cat "$tmp/in" "$tmp/missing" > "$tmp/out" 2> /dev/null
rc=$?
[ "$rc" -eq 1 ] || fail "cat exited $rc, natively 1"
cmp -s "$tmp/in" "$tmp/out" || fail "cat's output changed"
pid=$(head -n 1 "$tmp/trace" | cut -d' ' -f1)
case $pid in '' | *[!0-9]*) fail "lines do not start with a pid" ;; esac

line() { grep -F -- "$1" "$tmp/trace" > /dev/null || fail "no line with: $1"; }
fd=$(sed -n "s|^$pid openat(-100, \"$tmp/in\", 0, 0) = \([0-9][0-9]*\)\$|\1|p" "$tmp/trace" | head -n 1)
[ -n "$fd" ] || fail "no openat(-100, \"$tmp/in\", 0, 0) = FD line"
grep -E "^$pid (read|copy_file_range|sendfile)\($fd, " "$tmp/trace" | grep -q " = 6\$" ||
	fail "no call reading the 6 bytes from fd $fd"
line "$pid openat(-100, \"$tmp/missing\", 0, 0) = -1 ENOENT"
line "$pid close($fd) = 0"
line "$pid exit_group(1) = ?"
# only as many arguments as the call takes
! grep -E "^$pid close\([0-9]+, " "$tmp/trace" > /dev/null || fail "close shown with more than one argument"
echo "trace_check: ok"
