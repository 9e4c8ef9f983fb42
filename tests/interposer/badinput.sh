#!/bin/sh
# Bad input stops the program before main with a message naming the problem
# and a non-zero exit (issue 2, "Bars"; ARCHITECTURE.md contract 9), both
# through the launcher and through plain LD_PRELOAD + SWITCHYARD_* variables
# (the library's own check).
#
# badinput.sh LAUNCHER LIBRARY HELLO HOOK_FAIL_LIB LIB_WITHOUT_HOOK [trace]
#   HELLO prints "hello: first line" first thing in main.
#   With `trace` it checks only an unwritable --trace file (contract 9:
#   "never a silent fallback"; not in the issue's list of bad input).
set -u
# ctest leaks its log file as fd 3 into tests; the programs expect 0-2 only.
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
launcher=$1 lib=$2 hello=$3 hookfail=$4 nohook=$5 group=${6:-main}
tmp=$(mktemp -d /tmp/sy-bad.XXXXXX)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT
failures=0

[ -x "$launcher" ] || { echo "badinput: FAIL no launcher at $launcher (not built?)"; exit 1; }
[ -r "$lib" ] || { echo "badinput: FAIL no library at $lib (not built?)"; exit 1; }

# expect_stop NAME WORD CMD...: CMD must exit 1..125 without printing the
# program's first line, with WORD (a fixed string) in its stderr.
expect_stop() {
	name=$1 word=$2; shift 2
	"$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	why=
	if grep -q "hello: first line" "$tmp/out"; then
		why="main ran (printed its first line)"
	elif [ "$rc" -eq 0 ]; then
		why="exit status 0"
	elif [ "$rc" -gt 125 ]; then
		why="exit status $rc (killed by a signal?)"
	elif ! grep -qF -- "$word" "$tmp/err"; then
		why="stderr does not name '$word'"
	fi
	if [ -n "$why" ]; then
		echo "badinput: $name: FAIL $why"
		echo "  command: $*"
		echo "  exit $rc; stderr: $(head -c 600 "$tmp/err")"
		failures=$((failures + 1))
	else
		echo "badinput: $name: ok (exit $rc: $(head -n 1 "$tmp/err"))"
	fi
}

# expect_runs NAME CMD...: the control: CMD runs main to the end.
expect_runs() {
	name=$1; shift
	"$@" > "$tmp/out" 2> "$tmp/err"
	rc=$?
	if [ "$rc" -ne 0 ] || ! grep -q "hello: last line" "$tmp/out"; then
		echo "badinput: $name: FAIL the good case does not run (exit $rc)"
		echo "  command: $*"
		echo "  stderr: $(head -c 600 "$tmp/err")"
		failures=$((failures + 1))
	else
		echo "badinput: $name: ok (control)"
	fi
}

pre() { env LD_PRELOAD="$lib" "$@"; }

if [ "$group" = trace ]; then
	expect_runs control "$launcher" run --trace "$tmp/trace" -- "$hello"
	expect_stop launcher-trace-unwritable /nonexistent/dir/trace \
		"$launcher" run --trace /nonexistent/dir/trace -- "$hello"
	expect_stop preload-trace-unwritable /nonexistent/dir/trace \
		pre SWITCHYARD_TRACE=/nonexistent/dir/trace "$hello"
	[ $failures -eq 0 ] && echo "badinput: all ok" || echo "badinput: $failures FAILED"
	[ $failures -eq 0 ]
	exit
fi

expect_runs control-launcher "$launcher" run -- "$hello"
expect_runs control-preload pre "$hello"

# Unknown mode.
expect_stop launcher-unknown-mode bogusmode "$launcher" run --mode bogusmode -- "$hello"
expect_stop preload-unknown-mode bogusmode pre SWITCHYARD_MODE=bogusmode "$hello"

# Missing hook library, a hook whose init fails, a library without the hook.
missing=/nonexistent/dir/libnohook.so
expect_stop launcher-missing-hook "$missing" "$launcher" run --hook "$missing" -- "$hello"
expect_stop preload-missing-hook "$missing" pre SWITCHYARD_HOOK="$missing" "$hello"
expect_stop launcher-hook-init-fails "$(basename "$hookfail")" \
	"$launcher" run --hook "$hookfail" -- "$hello"
expect_stop preload-hook-init-fails "$(basename "$hookfail")" \
	pre SWITCHYARD_HOOK="$hookfail" "$hello"
expect_stop launcher-hook-without-init "$(basename "$nohook")" \
	"$launcher" run --hook "$nohook" -- "$hello"
expect_stop preload-hook-without-init "$(basename "$nohook")" \
	pre SWITCHYARD_HOOK="$nohook" "$hello"

# Unreadable config: missing, a directory, a malformed line, no permission.
cfg=/nonexistent/dir/switchyard.conf
expect_stop launcher-missing-config "$cfg" "$launcher" run -c "$cfg" -- "$hello"
expect_stop preload-missing-config "$cfg" pre SWITCHYARD_CONFIG="$cfg" "$hello"
mkdir "$tmp/confdir"
expect_stop launcher-config-is-directory "$tmp/confdir" "$launcher" run -c "$tmp/confdir" -- "$hello"
expect_stop preload-config-is-directory "$tmp/confdir" pre SWITCHYARD_CONFIG="$tmp/confdir" "$hello"
printf 'this line is not a key and a value\n' > "$tmp/malformed.conf"
expect_stop launcher-config-malformed "$tmp/malformed.conf:1" \
	"$launcher" run -c "$tmp/malformed.conf" -- "$hello"
expect_stop preload-config-malformed "$tmp/malformed.conf:1" \
	pre SWITCHYARD_CONFIG="$tmp/malformed.conf" "$hello"
# A mount that cannot be set up (its host directory is missing): the program
# stops before main, never left to the kernel.
printf '[mount /data]\ntype = hostfs\nsource = %s/missing\n' "$tmp" > "$tmp/mount.conf"
expect_stop launcher-mount-cannot-mount "[mount /data]" "$launcher" run -c "$tmp/mount.conf" -- "$hello"
expect_stop preload-mount-cannot-mount "[mount /data]" pre SWITCHYARD_CONFIG="$tmp/mount.conf" "$hello"
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null &&
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$launcher" -a -r "$lib" -a -x "$hello" 2> /dev/null; then
	printf '# nothing\n' > "$tmp/noperm.conf"
	chmod 000 "$tmp/noperm.conf"
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	expect_stop launcher-config-no-permission "$tmp/noperm.conf" \
		as_nobody "$launcher" run --mode sud -c "$tmp/noperm.conf" -- "$hello"
	expect_stop preload-config-no-permission "$tmp/noperm.conf" \
		as_nobody env LD_PRELOAD="$lib" SWITCHYARD_MODE=sud SWITCHYARD_CONFIG="$tmp/noperm.conf" "$hello"
elif [ "$(id -u)" != 0 ]; then
	printf '# nothing\n' > "$tmp/noperm.conf"
	chmod 000 "$tmp/noperm.conf"
	expect_stop launcher-config-no-permission "$tmp/noperm.conf" \
		"$launcher" run -c "$tmp/noperm.conf" -- "$hello"
	expect_stop preload-config-no-permission "$tmp/noperm.conf" \
		pre SWITCHYARD_CONFIG="$tmp/noperm.conf" "$hello"
else
	echo "badinput: config-no-permission: not run (cannot switch to an unprivileged user" \
		"that can read the build dir)"
fi

if [ $failures -eq 0 ]; then
	echo "badinput: all ok"
else
	echo "badinput: $failures FAILED"
fi
[ $failures -eq 0 ]
