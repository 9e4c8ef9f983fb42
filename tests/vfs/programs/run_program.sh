#!/usr/bin/env bash
# Real programs on memfs give the output the same work gives on tmpfs.
#
# run_program.sh [-l LAUNCHER] [-k] [-n | -h] WORKLOAD
#   WORKLOAD   one of this folder's workload scripts (coreutils.sh, tar.sh, ...)
#   -l PATH    the launcher (default: $SWITCHYARD_LAUNCHER, else build/bin/switchyard
#              of the source tree)
#   -k         keep the temporary directories (for debugging)
#   -n         no mount: run under switchyard with W on tmpfs too, to tell an
#              interposer problem from a VFS one
#   -h         W on a hostfs mount (of a tmpfs directory) instead of memfs
#
# 1. Builds a small input tree IN, which the workloads only read (a few of the repository's sources
#    plus generated files: a binary file, a symlink, an empty file and
#    directory, a name with a space, an executable) with fixed times.
# 2. Runs `bash WORKLOAD W IN` natively twice, W in two fresh tmpfs
#    directories under /dev/shm: the two outputs must be identical, else the
#    workload is not deterministic and proves nothing.
# 3. Runs `bash WORKLOAD /sy-mem-X/w IN` under `LAUNCHER run -c CONF` where CONF
#    mounts a memfs at /sy-mem-X (X unique to this run, and absent on the
#    host before and after the run), and compares its output (stdout and stderr
#    together, with W written as "W" and IN as "IN") and exit status with the
#    native run. On a difference prints the diff.
# Exits 0 when identical, 1 on a difference or error, 77 (skip) when a tool the
# workload needs is missing or the launcher refuses to serve mounts yet.
set -u
# ctest leaks its log file as fd 3 into tests: the workloads see 0-2 only.
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
export LC_ALL=C TZ=UTC
umask 022

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../.." && pwd)
launcher=${SWITCHYARD_LAUNCHER:-$src/build/bin/switchyard}
keep=0 nomount=0 hostfs=0
usage="usage: run_program.sh [-l LAUNCHER] [-k] [-n | -h] WORKLOAD"
while getopts l:knh opt; do
	case $opt in
	l) launcher=$OPTARG ;;
	k) keep=1 ;;
	n) nomount=1 ;;
	h) hostfs=1 ;;
	*) echo "$usage" >&2; exit 1 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "$usage" >&2; exit 1; }
workload=$1
case $workload in */*) ;; *) workload=$here/$workload ;; esac
name=$(basename "$workload" .sh)

fail() { echo "run_program: FAIL ($name): $*"; exit 1; }
skip() { echo "run_program: SKIP ($name): $*"; exit 77; }

[ -f "$workload" ] || fail "no workload $workload"
[ -x "$launcher" ] || fail "no launcher at $launcher (not built?)"
launcher=$(cd "$(dirname "$launcher")" && pwd)/$(basename "$launcher")

# The tools the workload names on its "# needs:" line.
needs=$(sed -n 's/^# needs: *//p' "$workload")
for tool in $needs; do
	command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed"
done

tmp=$(mktemp -d /tmp/sy-prog.XXXXXX)
shm1=$(mktemp -d /dev/shm/sy-prog.XXXXXX)
shm2=$(mktemp -d /dev/shm/sy-prog.XXXXXX)
shm3=$(mktemp -d /dev/shm/sy-prog.XXXXXX)
# A mount point of this run's own, which must not exist on the host: if
# something under it reaches the kernel instead of the VFS, it shows there
# (and is removed afterwards; it did not exist before).
mount_point=/sy-mem-${tmp##*.}
[ "$hostfs" = 1 ] && mount_point=/sy-host-${tmp##*.}
[ -e "$mount_point" ] && { rm -rf "$tmp" "$shm1" "$shm2" "$shm3"; fail "$mount_point exists on the host"; }
cleanup() {
	rm -rf "$mount_point"
	[ "$keep" = 1 ] || rm -rf "$tmp" "$shm1" "$shm2" "$shm3"
}
trap cleanup EXIT
[ "$keep" = 1 ] && echo "run_program: keeping $tmp $shm1 $shm2 $shm3"

# --- the input tree: the same for every run of this invocation ---
in=$tmp/in
mkdir -p "$in/src/include" "$in/src/vfs" "$in/data/deep/er/still" "$in/empty dir"
cp "$src"/include/switchyard/*.h "$in/src/include/" 2>/dev/null
cp "$src"/vfs/README.md "$in/src/vfs/" 2>/dev/null
cp "$here"/run_program.sh "$in/src/"
awk 'BEGIN { for (i = 0; i < 6000; i++) printf "%05d line %d of the data\n", (i * 7919) % 10007, i }' \
	>"$in/data/lines.txt"
# 256 KiB of every byte value, repeated.
awk 'BEGIN { for (i = 0; i < 256; i++) printf "%c", i }' >"$tmp/bytes"
for _ in 1 2 3 4 5 6 7 8; do cat "$tmp/bytes"; done >"$tmp/bytes8"
for _ in $(seq 128); do cat "$tmp/bytes8"; done >"$in/data/binary.bin"
: >"$in/data/empty"
echo "a name with a space" >"$in/data/with space.txt"
echo deep >"$in/data/deep/er/still/leaf.txt"
printf '#!/bin/sh\necho "tool says: $*"\n' >"$in/data/tool.sh"
chmod 755 "$in/data/tool.sh"
chmod 600 "$in/data/deep/er/still/leaf.txt"
ln -s lines.txt "$in/data/link-to-lines"
ln -s ../src "$in/data/link-to-src"
chmod 700 "$in/data/deep"
find "$in" -exec touch -h -d @1700000000 {} +

conf=$tmp/mounts.ini
printf '[mount %s]\ntype = memfs\nsize = 512M\n' "$mount_point" >"$conf"
sy_work=$mount_point/w
where=memfs
if [ "$hostfs" = 1 ]; then
	printf '[mount %s]\ntype = hostfs\nsource = %s\nreadonly = no\n' "$mount_point" "$shm3" >"$conf"
	where="hostfs of tmpfs"
elif [ "$nomount" = 1 ]; then
	where="tmpfs, no mount"
	: >"$conf"
	sy_work=$shm3/w
fi

# normalize FILE W: W and IN written as such, this folder as HERE.
normalize() {
	sed -e "s|$2|W|g" -e "s|$in|IN|g" -e "s|$here|HERE|g" "$1"
}

# run_native N: run N in the tmpfs directory shmN.
run_native() {
	local d=$tmp/native$1 shm
	[ "$1" = 1 ] && shm=$shm1 || shm=$shm2
	mkdir -p "$d"
	(cd "$shm" && timeout 20 bash "$workload" "$shm/w" "$in") >"$d/raw" 2>&1
	echo "exit $?" >>"$d/raw"
	normalize "$d/raw" "$shm/w" >"$d/out"
}

run_native 1
# A second later, so that a time that leaks into the output shows.
sleep 1.1
run_native 2
if ! cmp -s "$tmp/native1/out" "$tmp/native2/out"; then
	diff -u "$tmp/native1/out" "$tmp/native2/out" | head -60
	fail "two native runs differ: the workload is not deterministic"
fi
grep -q '^exit 0$' "$tmp/native1/out" || {
	tail -30 "$tmp/native1/out"
	fail "the workload fails natively"
}

# --- under switchyard, W on memfs (-h: hostfs, -n: tmpfs) ---
d=$tmp/sy
mkdir -p "$d"
(cd "$tmp" && timeout 75 "$launcher" run -c "$conf" -- \
	bash "$workload" "$sy_work" "$in") >"$d/raw" 2>"$d/launcher-err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'mounts are checked but not served yet' "$d/launcher-err"; then
	skip "switchyard does not serve mounts yet: $(head -c 300 "$d/launcher-err")"
fi
# The workload sends its stderr to its stdout; what is left came from the
# launcher or the interposer, and goes into the comparison.
cat "$d/launcher-err" >>"$d/raw"
echo "exit $rc" >>"$d/raw"
normalize "$d/raw" "$sy_work" >"$d/out"
# Documented limits (tests/vfs/diff/LIMITS.md; patterns per workload in
# known-limits): those lines are set aside in both outputs, and reported.
limits=$(dirname "$0")/known-limits
pats=$tmp/limits
: >"$pats"
if [ -f "$limits" ]; then
	while read -r w pat; do
		case $w in '' | '#'*) continue ;; esac
		[ "$w" = "$(basename "$workload")" ] && printf '%s\n' "$pat" >>"$pats"
	done <"$limits"
fi
if [ -s "$pats" ]; then
	if ! cmp -s "$tmp/native1/out" "$d/out"; then
		echo "known limits, set aside (tests/vfs/diff/LIMITS.md):"
		grep -E -f "$pats" "$d/out" | sed 's/^/  /' || true
	fi
	grep -v -E -f "$pats" "$tmp/native1/out" >"$tmp/native1/out.kept" || true
	grep -v -E -f "$pats" "$d/out" >"$d/out.kept" || true
	mv "$tmp/native1/out.kept" "$tmp/native1/out"
	mv "$d/out.kept" "$d/out"
fi
problems=
if ! cmp -s "$tmp/native1/out" "$d/out"; then
	echo "--- diff native (tmpfs) vs switchyard ($where), first 200 lines ---"
	diff -u "$tmp/native1/out" "$d/out" | head -200
	problems="output under switchyard ($where) differs from native (tmpfs)"
fi
if [ -e "$mount_point" ]; then
	echo "--- created on the host under the mount point (first 20) ---"
	find "$mount_point" | sed "s|^$mount_point|MOUNT|" | head -20
	problems="${problems:+$problems; }$mount_point appeared on the host: something under the mount reached the kernel"
fi
if [ -n "$problems" ]; then
	[ "$keep" = 1 ] || echo "(run with -k to keep $tmp)"
	fail "$problems"
fi
echo "run_program: PASS ($name): $(wc -l <"$d/out") lines identical natively and under switchyard (W on $where)"
exit 0
