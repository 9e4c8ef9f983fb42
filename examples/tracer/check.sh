#!/bin/sh
# Test of the example tracer: run real programs under it and look for the
# lines strace would print. Usage: check.sh SWITCHYARD LIBSY_EXAMPLE_TRACER.so
set -eu
sy=$1
tracer=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# No locale files: the program's first open is then the file it was given.
export LC_ALL=C

fail() {
	echo "FAIL: $*" >&2
	for f in "$dir"/*.trace; do
		[ -e "$f" ] && { echo "--- $f:" >&2; head -n 40 "$f" >&2; }
	done
	exit 1
}

# /bin/true makes no call of its own after the library is loaded but its exit.
SY_TRACER_OUT=$dir/true.trace "$sy" run --hook "$tracer" -- /bin/true ||
	fail "/bin/true under the tracer exited with $?"
grep -Eq '^[0-9]+ exit_group\(0\) = \?$' "$dir/true.trace" ||
	fail "no 'exit_group(0) = ?' line for /bin/true"

# The number a program's first open gets here: what this shell passes on
# decides it (ctest, for one, may leave fds open), so ask a native ls, whose
# first open is the directory it lists.
first_fd=$(ls -l /proc/self/fd | sed -n 's|.* \([0-9]*\) -> /proc/[0-9]*/fd$|\1|p')
[ -n "$first_fd" ] || fail "cannot find the first free fd"

# head opens and reads a file: both calls with their results, the output
# unchanged, and the tracer's own fd kept out of the program's way (the
# first open gets the same number as natively).
SY_TRACER_OUT=$dir/head.trace "$sy" run --hook "$tracer" -- head -c 100 /etc/passwd >"$dir/head.out" ||
	fail "head under the tracer exited with $?"
head -c 100 /etc/passwd | cmp -s "$dir/head.out" - || fail "head's output differs under the tracer"
grep -Eq "^[0-9]+ openat\(-100, \"/etc/passwd\", 0, 0\) = $first_fd\$" "$dir/head.trace" ||
	fail "no 'openat(-100, \"/etc/passwd\", 0, 0) = $first_fd' line"
grep -Eq "^[0-9]+ read\($first_fd, 0x[0-9a-f]+, [0-9]+\) = 100\$" "$dir/head.trace" ||
	fail "no 'read($first_fd, ...) = 100' line"
grep -Eq '^[0-9]+ exit_group\(0\) = \?$' "$dir/head.trace" ||
	fail "no 'exit_group(0) = ?' line for head"

# Errors print as strace does.
SY_TRACER_OUT=$dir/err.trace "$sy" run --hook "$tracer" -- /bin/cat /nonexistent 2>/dev/null &&
	fail "cat of a missing file succeeded"
grep -Eq '^[0-9]+ openat\(-100, "/nonexistent", 0, 0\) = -1 ENOENT$' "$dir/err.trace" ||
	fail "no 'openat(...) = -1 ENOENT' line"

# Without SY_TRACER_OUT the lines go to stderr.
"$sy" run --hook "$tracer" -- /bin/true 2>"$dir/stderr.trace" || fail "/bin/true to stderr exited with $?"
grep -Eq '^[0-9]+ exit_group\(0\) = \?$' "$dir/stderr.trace" || fail "nothing traced to stderr"

# A trace file it cannot open stops the program before main, with a reason.
if SY_TRACER_OUT=$dir/no/such/dir/x "$sy" run --hook "$tracer" -- /bin/echo ran >"$dir/bad.out" 2>"$dir/bad.err"; then
	fail "an unwritable SY_TRACER_OUT did not stop the program"
fi
grep -q ran "$dir/bad.out" && fail "the program ran despite an unwritable SY_TRACER_OUT"
grep -q 'SY_TRACER_OUT' "$dir/bad.err" || fail "no message naming SY_TRACER_OUT"

echo "example tracer: ok"
