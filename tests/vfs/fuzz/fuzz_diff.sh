#!/bin/bash
# The random-operation differential fuzzer: vfs_fuzz runs the same list of operations natively
# in a fresh tmpfs directory (/dev/shm) and under switchyard in a memfs mount, and the two
# outputs must be the same (the kernel is the oracle). On a divergence the list is shrunk by
# delta debugging (chunks of operations are dropped while the same divergence stays), and the
# smallest list is printed with both outputs and the command lines that reproduce it.
#
# fuzz_diff.sh --fuzzer PATH [--launcher PATH] [--seed N] [--seeds K] [--ops M]
#              [--replay FILE] [--shrink-time S] [--keep DIR] [--timeout S] [--native-only]
#   --seed N        first seed (default: today's date as YYYYMMDD, printed); seeds N..N+K-1 run
#   --seeds K       how many seeds (default 1), each with M operations (default 25000)
#   --replay FILE   run only the operations listed in FILE (indexes, "a-b" ranges) of seed N
#   --shrink-time S seconds of shrinking in all, over every divergent seed (default 120)
#   --keep DIR      where reproducers are written (default: a new directory under /tmp)
#   --timeout S     limit of one run of vfs_fuzz (default 50)
#   --native-only   only the native self-test (two native runs must agree)
#
# First a self-test: two native runs of every seed in two fresh tmpfs directories must print
# the same (this proves the output holds nothing run-dependent, so comparing it means
# something). Exit 0 if every seed agrees, 1 on a divergence (after shrinking), 2 on a usage
# error, 77 if switchyard does not serve mounts yet (with the reason).
set -eu

# ctest and shells leak fds into tests; vfs_fuzz prints fd numbers and wants 0-2 only.
for fdpath in "/proc/$$/fd/"*; do
	n=${fdpath##*/}
	if [ "$n" -gt 2 ] 2>/dev/null; then
		eval "exec $n>&-" 2>/dev/null || true
	fi
done

fuzzer='' launcher='' seed='' seeds=1 ops=25000 replay='' shrink_time=120 keep='' native_only=0
known_limits=0
run_timeout=50
while [ $# -gt 0 ]; do
	case $1 in
	--fuzzer) fuzzer=$2; shift ;;
	--launcher) launcher=$2; shift ;;
	--seed) seed=$2; shift ;;
	--seeds) seeds=$2; shift ;;
	--ops) ops=$2; shift ;;
	--replay) replay=$2; shift ;;
	--shrink-time) shrink_time=$2; shift ;;
	--keep) keep=$2; shift ;;
	--timeout) run_timeout=$2; shift ;;
	--native-only) native_only=1 ;;
	--known-limits) known_limits=1 ;;
	*) echo "fuzz_diff.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$fuzzer" ] || { echo "fuzz_diff.sh: --fuzzer PATH needed" >&2; exit 2; }
[ -x "$fuzzer" ] || { echo "fuzz_diff.sh: no fuzzer at $fuzzer (not built?)"; exit 1; }
# The runs start in /: absolute paths for what they run.
abspath() { case $1 in /*) echo "$1" ;; */*) echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" ;; *) echo "$1" ;; esac; }
fuzzer=$(abspath "$fuzzer")
[ -z "$launcher" ] || launcher=$(abspath "$launcher")
if [ -z "$seed" ]; then
	seed=$(date +%Y%m%d)
	echo "seed from the date: $seed"
fi
case "$seed$seeds$ops$shrink_time$run_timeout" in
*[!0-9]*) echo "fuzz_diff.sh: seed, seeds, ops, shrink-time and timeout are numbers" >&2; exit 2 ;;
esac
if [ -n "$replay" ]; then
	[ -r "$replay" ] || { echo "fuzz_diff.sh: cannot read $replay" >&2; exit 2; }
	replay=$(cd "$(dirname "$replay")" && pwd)/$(basename "$replay")
	seeds=1
fi

tmp=$(mktemp -d /tmp/sy-fuzz-run.XXXXXX)
cleanup_dirs="$tmp"
cleanup() {
	for d in $cleanup_dirs; do
		chmod -R u+rwx "$d" 2>/dev/null || true
		rm -rf "$d"
	done
}
trap cleanup EXIT

# A mount point unique to this run that does not exist on the host: a call that leaks past
# switchyard to the kernel fails there (or leaves a trace, reported), and cannot touch the host.
mnt=/sy-fuzz-${tmp##*.}
conf=$tmp/fuzz.conf
printf '[mount %s]\ntype = memfs\nsize = 64M\n' "$mnt" >"$conf"

# What to run: "--ops M" or "--replay FILE".
what_args() { # seed listfile-or-empty
	local limits=''
	[ "$known_limits" = 0 ] || limits=' --no-holes'
	if [ -n "$2" ]; then
		echo "--seed $1 --replay $2$limits"
	else
		echo "--seed $1 --ops $ops$limits"
	fi
}

# --known-limits: set aside what tests/vfs/diff/LIMITS.md documents (L6: no
# SEEK_DATA/SEEK_HOLE; L7: access times are not compared).
limits_filter() { # file
	[ "$known_limits" = 0 ] && return 0
	sed -E -i 's/ a=([0-9.-]+|now)//' "$1"
}

# run_native OUT SEED [LIST]: one native run in a fresh tmpfs directory; OUT ends with exit=N.
run_native() {
	local dir rc
	dir=$(mktemp -d /dev/shm/sy-fuzz.XXXXXX)
	rc=0
	# shellcheck disable=SC2046
	(cd / && timeout "$run_timeout" "$fuzzer" $(what_args "$2" "${3:-}") --dir "$dir/w" \
		--log "$1") 2>"$1.err" </dev/null || rc=$?
	echo "exit=$rc" >>"$1"
	limits_filter "$1"
	chmod -R u+rwx "$dir" 2>/dev/null || true
	rm -rf "$dir"
}

# run_sy OUT SEED [LIST]: one run under switchyard in a fresh memfs mount.
run_sy() {
	local rc=0
	# shellcheck disable=SC2046
	(cd / && timeout "$run_timeout" "$launcher" run -c "$conf" -- "$fuzzer" \
		$(what_args "$2" "${3:-}") --dir "$mnt/w" --log "$1") 2>"$1.err" </dev/null || rc=$?
	if [ "$rc" = 2 ] && grep -q 'not served yet' "$1.err"; then
		echo "SKIP: switchyard does not serve mounts yet (native self-test passed):"
		cat "$1.err"
		exit 77
	fi
	echo "exit=$rc" >>"$1"
	limits_filter "$1"
	if [ -e "$mnt" ] || [ -L "$mnt" ]; then
		echo "FAIL: the run left $mnt on the host (a call leaked past switchyard):"
		ls -laR "$mnt" 2>&1 | head -20
		rm -rf "${mnt:?}"
		exit 1
	fi
}

# The operation a line of output belongs to: "N name", "final", "exit" or "start".
line_op() { # file lineno
	awk -v n="$2" 'NR == 1 { last = "start" }
		/^#[0-9]+ / { last = $1 " " $2 }
		/^== final/ { last = "final" }
		/^exit=/ { last = "exit" }
		NR >= n { sub(/\(.*/, "", last); sub(/^#/, "", last); print last; found = 1; exit }
		END { if (!found) { sub(/\(.*/, "", last); sub(/^#/, "", last); print last } }' "$1"
}

# first_diff A B: the first line of A where A and B differ (nothing if they are the same).
first_diff() {
	diff "$1" "$2" | awk 'NR == 1 && match($0, /^[0-9]+/) { print substr($0, 1, RLENGTH) + 0 }
		{ exit }'
}

# signature A B: the name of the operation where A and B first differ ("final", "exit"), or
# nothing if they are the same.
signature() {
	local ln
	ln=$(first_diff "$1" "$2")
	[ -n "$ln" ] || return 0
	line_op "$1" "$ln" | awk '{ print ($2 == "" ? $1 : $2) }'
}

show_diff() { # a b
	diff -u --label native --label switchyard "$1" "$2" | head -${3:-60} || true
}

# --- the native self-test ---
s=$seed
end=$((seed + seeds))
total=0
while [ "$s" -lt "$end" ]; do
	run_native "$tmp/n1" "$s" "$replay"
	run_native "$tmp/n2" "$s" "$replay"
	if ! grep -q '^exit=0$' "$tmp/n1"; then
		echo "FAIL: seed $s: the native run did not exit 0"
		tail -5 "$tmp/n1"
		cat "$tmp/n1.err"
		exit 1
	fi
	if ! cmp -s "$tmp/n1" "$tmp/n2"; then
		echo "FAIL: seed $s: two native runs differ; the fuzzer's output is not comparable:"
		show_diff "$tmp/n1" "$tmp/n2"
		exit 1
	fi
	total=$((total + $(grep -c '^#' "$tmp/n1")))
	s=$((s + 1))
done
echo "native self-test: seeds $seed..$((end - 1)), $total operations, two tmpfs runs agree"
[ "$native_only" = 1 ] && exit 0

[ -n "$launcher" ] || { echo "fuzz_diff.sh: --launcher needed" >&2; exit 2; }
[ -x "$launcher" ] || { echo "fuzz_diff.sh: no launcher at $launcher (not built?)"; exit 1; }

if [ -z "$keep" ]; then
	keep=$(mktemp -d /tmp/sy-fuzz-repro.XXXXXX)
else
	mkdir -p "$keep"
fi
keep=$(cd "$keep" && pwd)

# diverges LIST SIG SEED: the list (a file of indexes) still gives a divergence with signature
# SIG (the same operation kind is the first to differ).
diverges() {
	run_native "$tmp/tn" "$3" "$1"
	run_sy "$tmp/ts" "$3" "$1"
	[ "$(signature "$tmp/tn" "$tmp/ts")" = "$2" ]
}

# shrink SEED SIG LISTFILE: delta debugging over the indexes in LISTFILE (one per line); the
# smallest list found stays in LISTFILE.
shrink() {
	local seed=$1 sig=$2 list=$3 trials=0 n=2 len chunk start kept
	# A call that failed seldom changed anything: first try without all of them (but the last
	# operation, where the divergence shows).
	awk 'FNR == NR { if (/^#[0-9]+ / && / = -1 E[A-Z0-9]+$/) failed[substr($1, 2)] = 1; next }
		{ last = $1; keep[FNR] = $1 }
		END { for (i = 1; i <= FNR; i++) if (!(keep[i] in failed) || keep[i] == last) print keep[i] }' \
		"$tmp/tn" "$list" >"$tmp/cand"
	if [ "$(wc -l <"$tmp/cand")" -lt "$(wc -l <"$list")" ]; then
		trials=1
		if diverges "$tmp/cand" "$sig" "$seed"; then
			mv "$tmp/cand" "$list"
		fi
	fi
	len=$(wc -l <"$list")
	while [ "$len" -ge 2 ]; do
		chunk=$(((len + n - 1) / n))
		kept=0
		start=1
		while [ "$start" -le "$len" ]; do
			if [ "$(date +%s)" -ge "$shrink_deadline" ] || [ "$trials" -ge 2000 ]; then
				echo "  (shrinking stopped after $trials trials: time or count limit)"
				return 0
			fi
			trials=$((trials + 1))
			awk -v a="$start" -v b="$((start + chunk - 1))" 'NR < a || NR > b' "$list" >"$tmp/cand"
			if [ -s "$tmp/cand" ] && diverges "$tmp/cand" "$sig" "$seed"; then
				mv "$tmp/cand" "$list"
				len=$(wc -l <"$list")
				kept=1
				# The same start now names the next chunk.
			else
				start=$((start + chunk))
			fi
		done
		if [ "$kept" = 1 ]; then
			n=$((n > 2 ? n - 1 : 2))
		elif [ "$chunk" -le 1 ]; then
			break
		else
			n=$((n * 2 > len ? len : n * 2))
		fi
	done
	echo "  ($trials trials)"
}

failed=0
# One budget for all the shrinking of this run, so that a run with several divergent seeds
# still ends in time (the later ones are reported unshrunk).
shrink_deadline=$(($(date +%s) + shrink_time))
s=$seed
while [ "$s" -lt "$end" ]; do
	t0=$(date +%s)
	run_native "$tmp/n" "$s" "$replay"
	run_sy "$tmp/y" "$s" "$replay"
	if cmp -s "$tmp/n" "$tmp/y"; then
		echo "seed $s: native tmpfs and switchyard memfs agree ($(grep -c '^#' "$tmp/n") operations, $(($(date +%s) - t0)) s)"
		s=$((s + 1))
		continue
	fi
	failed=1
	ln=$(first_diff "$tmp/n" "$tmp/y")
	at=$(line_op "$tmp/n" "$ln")
	sig=$(signature "$tmp/n" "$tmp/y")
	echo "FAIL: seed $s: native tmpfs and switchyard memfs differ, first at line $ln (operation: $at)"
	show_diff "$tmp/n" "$tmp/y" 30
	echo "--- stderr under switchyard (tail):"
	tail -5 "$tmp/y.err"

	# The operations up to the first differing one (all of them if it is in the final tree).
	list=$keep/seed$s.ops
	idx=${at%% *}
	if [ -n "$replay" ]; then
		tr -s ' \t' '\n\n' <"$replay" | grep . | awk -F- '{ b = ($2 == "" ? $1 : $2); for (i = $1; i <= b; i++) print i }' >"$list"
	else
		seq 0 $((ops - 1)) >"$list"
	fi
	case $idx in
	*[!0-9]* | "") ;;
	*) awk -v m="$idx" '$1 <= m' "$list" >"$list.t" && mv "$list.t" "$list" ;;
	esac
	echo "shrinking $(wc -l <"$list") operations (divergence kind: $sig)..."
	if [ "$(date +%s)" -ge "$shrink_deadline" ]; then
		echo "  not shrunk: the shrinking time (--shrink-time $shrink_time) is used up"
	elif ! diverges "$list" "$sig" "$s"; then
		echo "  the prefix alone does not reproduce it; keeping the whole list"
		if [ -n "$replay" ]; then cp "$replay" "$list"; else seq 0 $((ops - 1)) >"$list"; fi
	else
		shrink "$s" "$sig" "$list"
	fi
	diverges "$list" "$sig" "$s" || true
	cp "$tmp/tn" "$keep/seed$s.native"
	cp "$tmp/ts" "$keep/seed$s.switchyard"
	cp "$conf" "$keep/fuzz.conf"
	echo "== minimal reproducer for seed $s: $(wc -l <"$list") operations: $(tr '\n' ' ' <"$list")"
	for side in native switchyard; do
		echo "-- $side ($keep/seed$s.$side):"
		head -150 "$keep/seed$s.$side"
		[ "$(wc -l <"$keep/seed$s.$side")" -le 150 ] || echo "... (the rest in the file)"
	done
	echo "-- diff:"
	show_diff "$keep/seed$s.native" "$keep/seed$s.switchyard"
	echo "-- reproduce:"
	echo "  $0 --fuzzer $fuzzer --launcher $launcher --seed $s --replay $list"
	echo "  or by hand: $fuzzer --seed $s --replay $list --dir /dev/shm/NEW/w"
	echo "              $launcher run -c $keep/fuzz.conf -- $fuzzer --seed $s --replay $list --dir $mnt/w"
	s=$((s + 1))
done
if [ "$failed" = 0 ]; then
	rmdir "$keep" 2>/dev/null || true
	exit 0
fi
echo "reproducers kept in $keep"
exit 1
