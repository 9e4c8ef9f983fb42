#!/usr/bin/env bash
# The launcher's command line: help texts, refusals before anything runs,
# `check`, and what `run` hands on to the program. None of it needs a working
# libswitchyard.so: where run must get as far as exec, SWITCHYARD_LIB points
# at a stand-in file (ld.so then only warns that it cannot preload it).
#
# usage: launcher_test.sh path/to/switchyard
set -uo pipefail

SY=${1:?usage: launcher_test.sh path/to/switchyard}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sy-launcher-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}

# run_sy EXPECTED_STATUS ARGS...: runs the launcher, keeps its output in
# $out / $err, and checks its exit status.
run_sy() {
	local expected=$1
	shift
	"$SY" "$@" >"$TMP/out" 2>"$TMP/err"
	status=$?
	out=$(cat "$TMP/out")
	err=$(cat "$TMP/err")
	if [ "$status" != "$expected" ]; then
		fail "switchyard $* exited $status, expected $expected (stderr: $err)"
	fi
}

# mentions WHAT TEXT WORD...: every WORD appears in TEXT.
mentions() {
	local what=$1 text=$2 word
	shift 2
	for word in "$@"; do
		grep -qF -e "$word" <<<"$text" || fail "$what does not mention '$word'"
	done
}

run_options=(-c --config --mode --hook --trace --stats --help)
explained=(auto rewrite sud "page 0" "Syscall User Dispatch" vm.mmap_min_addr
	"%p" '"syscalls"' '"by_name"' '"sites_rewritten"' '"sud_traps"' '"mode"' strace
	SWITCHYARD_CONFIG SWITCHYARD_MODE SWITCHYARD_HOOK SWITCHYARD_TRACE SWITCHYARD_STATS
	SWITCHYARD_LIB LD_PRELOAD)

# --- help and version --------------------------------------------------------

run_sy 0 --help
mentions "switchyard --help" "$out" "${run_options[@]}" --version run check "${explained[@]}"
run_sy 0 run --help
mentions "switchyard run --help" "$out" "${run_options[@]}" "${explained[@]}"
run_sy 0 check --help
mentions "switchyard check --help" "$out" -c --config --help "[interposer]" mode hook trace stats
run_sy 0 --version
grep -qE '^switchyard [0-9]' <<<"$out" || fail "--version printed '$out'"

# --- usage errors ---------------------------------------------------------------

run_sy 2
run_sy 2 frobnicate
mentions "unknown command" "$err" frobnicate
run_sy 2 run
mentions "run without a command" "$err" "no command"
run_sy 2 run --bogus -- true
mentions "unknown option" "$err" "--bogus"
run_sy 2 run --mode
mentions "option without its value" "$err" "--mode"

# --- run refuses bad options, and does not run CMD then ----------------------------

run_sy 2 run --mode bogus -- touch "$TMP/ran"
mentions "bad mode" "$err" "'bogus'" "switchyard:"
[ ! -e "$TMP/ran" ] || fail "run --mode bogus ran the command"

run_sy 2 run --hook "$TMP/missing-hook.so" touch "$TMP/ran"
mentions "missing hook" "$err" "$TMP/missing-hook.so"
[ ! -e "$TMP/ran" ] || fail "run with a missing hook ran the command"

run_sy 2 run -c "$TMP/missing.conf" -- true
mentions "missing config" "$err" "$TMP/missing.conf: cannot read"
mkdir "$TMP/dir.conf"
run_sy 2 run --config "$TMP/dir.conf" -- true
mentions "directory as config" "$err" "dir.conf: cannot read"

printf '[interposer]\nmoed = sud\n' >bad.conf
run_sy 2 run -c bad.conf -- true
mentions "bad config" "$err" "switchyard: bad.conf:2: unknown key 'moed' in [interposer]"

SWITCHYARD_MODE=wrong run_sy 2 run -- true
mentions "bad SWITCHYARD_MODE" "$err" "SWITCHYARD_MODE: unknown mode 'wrong'"

# --- check ---------------------------------------------------------------------------

printf '[interposer]\n; comment\nmode = sud\nstats = s-%%p.json\n' >good.conf
run_sy 0 check -c good.conf
[ "$out" = "good.conf: ok" ] || fail "check good.conf printed '$out'"
run_sy 0 check good.conf
run_sy 1 check -c bad.conf
[ "$err" = "bad.conf:2: unknown key 'moed' in [interposer]" ] ||
	fail "check bad.conf printed '$err'"
printf '[foo]\n' >section.conf
run_sy 1 check -c section.conf
[ "$err" = "section.conf:1: unknown section [foo] (known: [interposer], [mount PATH], [net])" ] ||
	fail "check section.conf printed '$err'"
run_sy 1 check -c missing.conf
[ "$err" = "missing.conf: cannot read: No such file or directory" ] ||
	fail "check missing.conf printed '$err'"
run_sy 2 check
run_sy 2 check -c

# --- what run hands on (stand-in library) ----------------------------------------------

: >fake.so
export SWITCHYARD_LIB="$TMP/fake.so"
touch hook.so
run_sy 0 run -c good.conf --trace t-%p.txt --hook hook.so -- env
mentions "the program's environment" "$out" \
	"SWITCHYARD_MODE=sud" "SWITCHYARD_STATS=$TMP/s-%p.json" "SWITCHYARD_TRACE=$TMP/t-%p.txt" \
	"SWITCHYARD_HOOK=$TMP/hook.so" "SWITCHYARD_CONFIG=$TMP/good.conf" "LD_PRELOAD=$TMP/fake.so"

# (ld.so complains about other.so in the launcher and in env: not our business)
out=$(LD_PRELOAD="other.so" "$SY" run -- env 2>/dev/null)
mentions "LD_PRELOAD kept" "$out" "LD_PRELOAD=$TMP/fake.so:other.so"
grep -q '^SWITCHYARD_MODE=' <<<"$out" && fail "run set SWITCHYARD_MODE without being asked"

# options after CMD are CMD's own
run_sy 0 run printf '%s\n' --mode
[ "$(grep -v 'ld.so' <<<"$out")" = "--mode" ] || fail "an option after CMD was parsed: '$out'"

run_sy 127 run -- no-such-command-for-switchyard
mentions "command not found" "$err" "no-such-command-for-switchyard: command not found"
printf 'not executable\n' >noexec
chmod 644 noexec
run_sy 126 run -- ./noexec
mentions "not executable" "$err" "./noexec"

SWITCHYARD_LIB="$TMP/no-such-lib.so" run_sy 2 run -- true
mentions "missing library" "$err" "no-such-lib.so"

if [ "$failures" -ne 0 ]; then
	echo "$failures launcher check(s) failed" >&2
	exit 1
fi
echo "launcher: all checks passed"
