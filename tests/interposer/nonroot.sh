#!/bin/sh
# switchyard as an unprivileged user (vm.mmap_min_addr > 0, so page 0 cannot
# be mapped): the default mode falls back to sud and says so in exactly one
# line on stderr; `--mode rewrite` is refused before main; `--mode sud` works
# silently. Through the launcher and through plain LD_PRELOAD.
#
# nonroot.sh LAUNCHER LIBRARY HELLO EXHAUSTIVE HOOK ABI
# Exits 77 (skip) when it cannot run as an unprivileged user that reads the
# build dir, or when mmap_min_addr is 0 (no fallback to see).
set -u
# ctest leaks its log file as fd 3 into tests; the programs expect 0-2 only.
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
launcher=$1 lib=$2 hello=$3 exhaustive=$4 hook=$5 abi=$6 sources=
here=$(cd "$(dirname "$0")" && pwd)
skip() { echo "nonroot: SKIP: $*"; exit 77; }
failures=0
bad() { echo "nonroot: $1: FAIL $2"; failures=$((failures + 1)); }

[ -x "$launcher" ] || { echo "nonroot: FAIL no launcher at $launcher (not built?)"; exit 1; }
[ -r "$lib" ] || { echo "nonroot: FAIL no library at $lib (not built?)"; exit 1; }

if [ "$(id -u)" = 0 ]; then
	command -v setpriv > /dev/null || skip "setpriv is not installed"
	as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	who="uid 65534 (nobody)"
else
	as_user() { "$@"; }
	who="uid $(id -u)"
fi
min=$(cat /proc/sys/vm/mmap_min_addr)
[ "$min" -gt 0 ] || skip "vm.mmap_min_addr is 0: page 0 can be mapped, there is no fallback to test"

tmp=$(mktemp -d /tmp/sy-nonroot.XXXXXX)
chmod 1777 "$tmp"
trap 'rm -rf "$tmp"' EXIT

# A build dir the user cannot read (a checkout under /root, say): run copies.
# The launcher finds the library as ../lib next to itself, so keep that shape.
if ! as_user test -r "$lib" 2> /dev/null || ! as_user test -x "$launcher" 2> /dev/null; then
	mkdir -p "$tmp/copy/bin" "$tmp/copy/lib" "$tmp/copy/tests"
	cp "$launcher" "$tmp/copy/bin/" && cp "$lib" "$tmp/copy/lib/" &&
		cp "$hello" "$exhaustive" "$abi" "$hook" "$tmp/copy/tests/" || skip "cannot copy the build"
	chmod -R a+rX "$tmp/copy"
	launcher=$tmp/copy/bin/$(basename "$launcher") lib=$tmp/copy/lib/$(basename "$lib")
	hello=$tmp/copy/tests/$(basename "$hello") exhaustive=$tmp/copy/tests/$(basename "$exhaustive")
	abi=$tmp/copy/tests/$(basename "$abi") hook=$tmp/copy/tests/$(basename "$hook")
	# the sources that load files from the build dir cannot run from a copy
	sources="main-libc-syscall main-inline-site jit jit-recompiled jit-memfd-double-map
		pthread pthread-in-pthread clone-thread clone3-thread fork-child fork-from-thread
		vfork-child signal-handler-raise signal-handler-timer"
	echo "nonroot: the build dir is not readable by $who: running copies (fewer exhaustive sources)"
fi
for f in "$launcher" "$hello" "$exhaustive" "$abi"; do
	as_user test -x "$f" 2> /dev/null || skip "$who cannot execute $f"
done
for f in "$lib" "$hook"; do
	as_user test -r "$f" 2> /dev/null || skip "$who cannot read $f"
done
echo "nonroot: running as $who, vm.mmap_min_addr = $min"

# run NAME CMD...: as the user, output into $tmp/NAME.{out,err}, status in $rc
run() {
	name=$1; shift
	mkdir -m 1777 "$tmp/$name.stats"
	as_user "$@" > "$tmp/$name.out" 2> "$tmp/$name.err"
	rc=$?
}
check_ran() { # NAME
	[ "$rc" -eq 0 ] || bad "$1" "exit status $rc; stderr: $(head -c 400 "$tmp/$1.err")"
	grep -q "hello: last line" "$tmp/$1.out" || bad "$1" "the program did not run to the end"
}
check_stats_sud() { # NAME
	/usr/bin/python3 "$here/stats_check.py" "$tmp/$1.stats" --mode sud --each-min syscalls=1 \
		--each-min sud_traps=1 --each-eq sites_rewritten=0 > "$tmp/$1.check" ||
		bad "$1" "stats: $(cat "$tmp/$1.check")"
}
check_one_fallback_line() { # NAME
	n=$(wc -l < "$tmp/$1.err")
	if [ "$n" -ne 1 ]; then
		bad "$1" "stderr has $n lines, expected exactly one (the fallback): $(head -c 400 "$tmp/$1.err")"
	elif ! grep -qi "sud" "$tmp/$1.err"; then
		bad "$1" "the stderr line does not mention the fallback to sud: $(cat "$tmp/$1.err")"
	else
		echo "nonroot: $1: stderr: $(cat "$tmp/$1.err")"
	fi
}
check_silent() { # NAME
	[ -s "$tmp/$1.err" ] && bad "$1" "stderr is not empty: $(head -c 400 "$tmp/$1.err")"
}
check_stopped() { # NAME
	grep -q "hello: first line" "$tmp/$1.out" && bad "$1" "main ran (printed its first line)"
	[ "$rc" -ne 0 ] || bad "$1" "exit status 0"
	[ "$rc" -le 125 ] || bad "$1" "exit status $rc (killed by a signal?)"
	[ -s "$tmp/$1.err" ] || bad "$1" "no message on stderr"
	echo "nonroot: $1: exit $rc: $(head -n 1 "$tmp/$1.err")"
}
done_case() { echo "nonroot: $1: checked"; }

# Default mode: fallback to sud, one line, the program works.
run default-launcher "$launcher" run --stats "$tmp/default-launcher.stats/%p.json" -- "$hello"
check_ran default-launcher; check_one_fallback_line default-launcher; check_stats_sud default-launcher
done_case default-launcher
run default-preload env LD_PRELOAD="$lib" SWITCHYARD_STATS="$tmp/default-preload.stats/%p.json" "$hello"
check_ran default-preload; check_one_fallback_line default-preload; check_stats_sud default-preload
done_case default-preload
run default-auto-explicit "$launcher" run --mode auto --stats "$tmp/default-auto-explicit.stats/%p.json" -- "$hello"
check_ran default-auto-explicit; check_one_fallback_line default-auto-explicit
check_stats_sud default-auto-explicit; done_case default-auto-explicit

# An explicit rewrite cannot be honoured: an error before main.
run rewrite-launcher "$launcher" run --mode rewrite -- "$hello"
check_stopped rewrite-launcher
run rewrite-preload env LD_PRELOAD="$lib" SWITCHYARD_MODE=rewrite "$hello"
check_stopped rewrite-preload

# sud: silent and working.
run sud-launcher "$launcher" run --mode sud --stats "$tmp/sud-launcher.stats/%p.json" -- "$hello"
check_ran sud-launcher; check_silent sud-launcher; check_stats_sud sud-launcher
done_case sud-launcher
run sud-preload env LD_PRELOAD="$lib" SWITCHYARD_MODE=sud SWITCHYARD_STATS="$tmp/sud-preload.stats/%p.json" "$hello"
check_ran sud-preload; check_silent sud-preload; check_stats_sud sud-preload
done_case sud-preload

# The fallback is complete: every source of syscalls caught, ABI kept.
# shellcheck disable=SC2086 # one word per source
run exhaustive "$launcher" run --hook "$hook" -- "$exhaustive" caught ${sources:-}
[ "$rc" -eq 0 ] || bad exhaustive "exit $rc: $(grep -v ' caught$' "$tmp/exhaustive.out" | head -20)"
# (each program it starts is a new process that may say the same line again)
done_case exhaustive
run abi "$launcher" run --mode sud -- "$abi" --rewritten=no --iterations=200
[ "$rc" -eq 0 ] || bad abi "exit $rc: $(grep -v ': ok' "$tmp/abi.out" | head -20)"
check_silent abi
done_case abi

if [ $failures -eq 0 ]; then
	echo "nonroot: all ok"
else
	echo "nonroot: $failures FAILED"
fi
[ $failures -eq 0 ]
