#!/bin/bash
# Runs one differential scenario natively on tmpfs and under switchyard on a
# mount, and compares what it printed (the kernel is the oracle).
#
# run_diff.sh --backend native|memfs|hostfs [--launcher PATH] SCENARIO
#   native  run the scenario twice natively, each time in a fresh directory
#           under /dev/shm, and compare the two (the scenario is deterministic
#           and the suite runs clean before switchyard is involved)
#   memfs   native run on /dev/shm vs switchyard with the work directory being
#           the root of a memfs mount
#   hostfs  native run on /dev/shm vs switchyard with the work directory being
#           the root of a hostfs mount whose source is a fresh /dev/shm dir
#
# The work directory is the mount point itself, so that "sub/../../<base>/x"
# leaves the mount and comes back in. Scenarios get a second directory on
# another file system (for EXDEV) as argument 2. Exit 0 if the outputs are the
# same, 1 with the diff if not, 77 if switchyard does not serve mounts yet or
# the scenario cannot run here (with the reason).
set -eu

# ctest and shells leak fds into tests; the scenarios print fd numbers, so
# start from 0-2 only, as the native and switchyard runs must.
for fdpath in /proc/$$/fd/*; do
	n=${fdpath##*/}
	if [ "$n" -gt 2 ] 2>/dev/null; then
		eval "exec $n>&-" 2>/dev/null || true
	fi
done

backend= launcher=
while [ $# -gt 0 ]; do
	case $1 in
	--backend) backend=$2; shift ;;
	--launcher) launcher=$2; shift ;;
	--) shift; break ;;
	-*) echo "run_diff.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
[ $# -eq 1 ] || { echo "usage: run_diff.sh --backend native|memfs|hostfs [--launcher PATH] SCENARIO" >&2; exit 2; }
[ -x "$1" ] || { echo "run_diff.sh: no scenario at $1 (not built?)"; exit 1; }
scenario=$(realpath "$1")
name=$(basename "$scenario")

tmp=$(mktemp -d /tmp/sy-diff-run.XXXXXX)
cleanup_dirs="$tmp"
cleanup() {
	for d in $cleanup_dirs; do
		chmod -R u+rwx "$d" 2>/dev/null || true
		rm -rf "$d"
	done
}
trap cleanup EXIT

# A directory on another file system than /dev/shm, for EXDEV: /tmp or the
# scenario's own folder, whichever is not on the same device.
shm_dev=$(stat -c %d /dev/shm)
other=
for cand in "${TMPDIR:-/tmp}" "$(dirname "$scenario")"; do
	if [ -d "$cand" ] && [ "$(stat -c %d "$cand")" != "$shm_dev" ]; then
		other=$(mktemp -d "$cand/sy-diff-other.XXXXXX")
		cleanup_dirs="$cleanup_dirs $other"
		break
	fi
done

# The other dir is emptied between runs so that every run starts alike.
fresh_other() {
	if [ -n "$other" ]; then
		rm -rf "${other:?}"/* "${other:?}"/.[!.]* 2>/dev/null || true
	fi
}

# run_native OUTFILE: one native run in a fresh tmpfs directory.
run_native() {
	local dir rc
	dir=$(mktemp -d /dev/shm/sy-diff.XXXXXX)
	cleanup_dirs="$cleanup_dirs $dir"
	chmod 1777 "$dir" # as a fresh tmpfs (and memfs) root
	fresh_other
	rc=0
	(cd / && timeout 40 "$scenario" "$dir" ${other:+"$other"}) >"$1" 2>"$1.err" </dev/null || rc=$?
	echo "exit=$rc" >>"$1"
}

native_skip() {
	if grep -q '^exit=77$' "$1"; then
		echo "SKIP: the scenario cannot run here:"
		grep -v '^exit=' "$1" || true
		exit 77
	fi
}

show_diff() {
	echo "FAIL: $name: outputs differ ($1)"
	diff -u "$2" "$3" || true
	echo "--- stderr of the first run:"
	cat "$2.err"
	echo "--- stderr of the second run:"
	cat "$3.err"
	exit 1
}

run_native "$tmp/native"
native_skip "$tmp/native"

if [ "$backend" = native ]; then
	run_native "$tmp/native2"
	if ! grep -q '^exit=0$' "$tmp/native"; then
		echo "FAIL: $name: the native run did not exit 0"
		cat "$tmp/native" "$tmp/native.err"
		exit 1
	fi
	cmp -s "$tmp/native" "$tmp/native2" || show_diff "two native runs" "$tmp/native" "$tmp/native2"
	echo "$name: native runs agree ($(wc -l <"$tmp/native") lines)"
	exit 0
fi

[ -n "$launcher" ] || { echo "run_diff.sh: --launcher needed for $backend"; exit 2; }
[ -x "$launcher" ] || { echo "run_diff.sh: no launcher at $launcher (not built?)"; exit 1; }
launcher=$(realpath "$launcher")

conf=$tmp/diff.conf
# A mount point unique to this run that does not exist on the host: anything
# that leaks past switchyard to the kernel fails there (or leaves a trace that
# is reported below), and cannot poison a later run.
tag=$(basename "$tmp")
tag=${tag#sy-diff-run.}
case $backend in
memfs)
	mnt=/sy-diff-mem-$tag
	printf '[mount %s]\ntype = memfs\nsize = 256M\n' "$mnt" >"$conf"
	;;
hostfs)
	mnt=/sy-diff-host-$tag
	src=$(mktemp -d /dev/shm/sy-diff-src.XXXXXX)
	cleanup_dirs="$cleanup_dirs $src"
	chmod 1777 "$src"
	printf '[mount %s]\ntype = hostfs\nsource = %s\nreadonly = no\n' "$mnt" "$src" >"$conf"
	;;
*) echo "run_diff.sh: unknown backend $backend" >&2; exit 2 ;;
esac

fresh_other
rc=0
(cd / && timeout 40 "$launcher" run -c "$conf" -- "$scenario" "$mnt" ${other:+"$other"}) \
	>"$tmp/sy" 2>"$tmp/sy.err" </dev/null || rc=$?
if [ "$rc" = 2 ] && grep -q 'not served yet' "$tmp/sy.err"; then
	echo "SKIP: switchyard does not serve mounts yet:"
	cat "$tmp/sy.err"
	exit 77
fi
echo "exit=$rc" >>"$tmp/sy"
if [ -e "$mnt" ] || [ -L "$mnt" ]; then
	echo "FAIL: $name: the run left $mnt on the host (a call leaked past switchyard):"
	ls -la "$mnt" 2>&1 | head -20
	rm -rf "${mnt:?}"
	cmp -s "$tmp/native" "$tmp/sy" || diff -u "$tmp/native" "$tmp/sy"
	exit 1
fi
# Documented limits (LIMITS.md, patterns in known-limits): the lines they
# name are set aside in both outputs before the comparison, and reported.
limits=$(dirname "$0")/known-limits
sname=${name#sy_diff_}
pats=$tmp/limits
: >"$pats"
if [ -f "$limits" ]; then
	while read -r s b pat; do
		case $s in '' | '#'*) continue ;; esac
		[ "$s" = "$sname" ] || continue
		[ "$b" = "*" ] || [ "$b" = "$backend" ] || continue
		printf '%s\n' "$pat" >>"$pats"
	done <"$limits"
fi
if [ -s "$pats" ]; then
	grep -v -E -f "$pats" "$tmp/native" >"$tmp/native.kept" || true
	grep -v -E -f "$pats" "$tmp/sy" >"$tmp/sy.kept" || true
	cp "$tmp/native.err" "$tmp/native.kept.err"
	cp "$tmp/sy.err" "$tmp/sy.kept.err"
	if ! cmp -s "$tmp/native" "$tmp/sy"; then
		echo "$name: known limits ($backend), set aside (see LIMITS.md):"
		diff -u <(grep -E -f "$pats" "$tmp/native" || true) <(grep -E -f "$pats" "$tmp/sy" || true) |
			tail -n +3 | grep '^[-+]' | sed 's/^/  /' || true
	fi
	cmp -s "$tmp/native.kept" "$tmp/sy.kept" ||
		show_diff "native tmpfs vs switchyard $backend, known limits set aside" \
			"$tmp/native.kept" "$tmp/sy.kept"
	echo "$name: native and switchyard $backend agree ($(wc -l <"$tmp/sy.kept") lines compared)"
	exit 0
fi
cmp -s "$tmp/native" "$tmp/sy" || show_diff "native tmpfs vs switchyard $backend" "$tmp/native" "$tmp/sy"
echo "$name: native and switchyard $backend agree ($(wc -l <"$tmp/sy") lines)"
exit 0
