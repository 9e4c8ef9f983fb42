#!/usr/bin/env bash
# Real programs on each file system, and the I/O-heavy one under each
# interposer: `tar x` of a source tree, an sqlite3 insert/select workload and
# `git status` on a checked-out tree, run on tmpfs natively, on memfs through
# switchyard, on the same memfs over kernel FUSE and on hostfs over tmpfs;
# and `tar x` on tmpfs under switchyard (auto, sud), ptrace and seccomp.
# Interleaved rounds; medians of wall time (ms), ratio to native tmpfs.
#
#   bench/programs.sh [--build DIR] [--rounds N] [--quick] [--raw DIR]
#
# Progress on stderr; a Markdown section on stdout.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${SWITCHYARD_BUILD:-$here/../build}
rounds=5 quick=0 raw=""
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift ;;
	--rounds) rounds=$2; shift ;;
	--quick) quick=1 ;;
	--raw) raw=$2; shift ;;
	*) echo "bench/programs.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
sy=$build/bin/switchyard
[ "$quick" = 1 ] && rounds=1
t0=$(date +%s)
progress() { printf '[programs %4ss] %s\n' "$(($(date +%s) - t0))" "$*" >&2; }

work=$(mktemp -d /tmp/switchyard-bench-programs.XXXXXX)
memfs_name=""
shm=$(mktemp -d /dev/shm/sy-bench-programs.XXXXXX)
fuse=""
cleanup() {
	[ -n "$fuse" ] && { fusermount3 -u "$fuse" 2>/dev/null; rmdir "$fuse" 2>/dev/null; }
	rm -rf "$work" "$shm" "/dev/shm/switchyard-memfs-$memfs_name"
}
trap cleanup EXIT

# The tree: the kernel headers (some thousand files), or fewer in --quick.
src=/usr/include/linux
[ "$quick" = 1 ] && src=/usr/include/linux/netfilter
tar cf "$work/tree.tar" -C "$(dirname "$src")" "$(basename "$src")"
rows=20000
[ "$quick" = 1 ] && rows=500

memfs_name=sy-bench-programs-$$ # named: each step is its own switchyard run
printf '[mount /sy-bench-p]\ntype = memfs\nsize = 1G\nname = %s\n' "$memfs_name" >"$work/memfs.conf"
mkdir -p "$shm/host"
printf '[mount /sy-bench-p]\ntype = hostfs\nsource = %s\n' "$shm/host" >"$work/hostfs.conf"

configs=(tmpfs memfs hostfs)
if [ -x "$build/bin/memfs_fuse" ] && [ -c /dev/fuse ] && command -v fusermount3 >/dev/null; then
	fuse=$(mktemp -d /tmp/sy-bench-pfuse.XXXXXX)
	"$build/bin/memfs_fuse" "$fuse" $((1 << 30)) 2>/dev/null &
	for _ in $(seq 50); do mountpoint -q "$fuse" && break; sleep 0.1; done
	if mountpoint -q "$fuse"; then configs=(tmpfs memfs memfs_fuse hostfs); else rmdir "$fuse"; fuse=""; fi
fi
mechs=(native auto sud ptrace seccomp)

label() {
	case $1 in
	tmpfs) echo "tmpfs, native" ;;
	memfs) echo "memfs through switchyard" ;;
	memfs_fuse) echo "memfs over kernel FUSE" ;;
	hostfs) echo "hostfs (over tmpfs) through switchyard" ;;
	native) echo "native" ;;
	auto) echo "switchyard --mode auto" ;;
	sud) echo "switchyard --mode sud" ;;
	ptrace) echo "ptrace (bench/ptrace_run)" ;;
	seccomp) echo "seccomp user notification (bench/seccomp_run)" ;;
	esac
}
# prefix and directory of a configuration
setup() {
	case $1 in
	tmpfs) prefix=() dir=$shm/w ;;
	memfs) prefix=("$sy" run -c "$work/memfs.conf" --) dir=/sy-bench-p/w ;;
	memfs_fuse) prefix=() dir=$fuse/w ;;
	hostfs) prefix=("$sy" run -c "$work/hostfs.conf" --) dir=/sy-bench-p/w ;;
	native) prefix=() dir=$shm/w ;;
	auto) prefix=("$sy" run --mode auto --) dir=$shm/w ;;
	sud) prefix=("$sy" run --mode sud --) dir=$shm/w ;;
	ptrace) prefix=("$build/bin/ptrace_run") dir=$shm/w ;;
	seccomp) prefix=("$build/bin/seccomp_run") dir=$shm/w ;;
	esac
}
ms_now() { echo $(($(date +%s%N) / 1000000)); }
# timed WORKLOAD CONFIG: runs the workload's setup untimed, then times it
timed() {
	local w=$1 c=$2 s e
	setup "$c"
	"${prefix[@]}" sh -c 'rm -rf "$1" && mkdir -p "$1"' sh "$dir"
	case $w in
	tar)
		s=$(ms_now)
		"${prefix[@]}" tar xf "$work/tree.tar" -C "$dir"
		e=$(ms_now)
		;;
	sqlite)
		s=$(ms_now)
		"${prefix[@]}" sqlite3 "$dir/db" "PRAGMA journal_mode=DELETE; CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v INTEGER);
			BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $rows)
			INSERT INTO t(k, v) SELECT printf('key-%08d', i * 7919 % $rows), i FROM n; COMMIT;
			CREATE INDEX tk ON t(k); SELECT count(*), sum(v) FROM t WHERE k > 'key-0001';" >/dev/null
		e=$(ms_now)
		;;
	git)
		"${prefix[@]}" sh -c 'cd "$1" && tar xf "$2" && git init -q && git add -A &&
			git -c user.name=b -c user.email=b@b commit -qm t' sh "$dir" "$work/tree.tar"
		s=$(ms_now)
		"${prefix[@]}" sh -c 'cd "$1" && for i in 1 2 3 4 5; do git status --porcelain >/dev/null; done' sh "$dir"
		e=$(ms_now)
		;;
	esac
	"${prefix[@]}" rm -rf "$dir"
	echo $((e - s)) >>"$work/p-$w-$c.ms"
}

for round in $(seq "$rounds"); do
	for w in tar sqlite git; do
		for c in "${configs[@]}"; do timed "$w" "$c"; done
	done
	for c in "${mechs[@]}"; do timed tar "$c"; done
	progress "round $round/$rounds: tar on tmpfs $(tail -1 "$work/p-tar-tmpfs.ms") ms, memfs $(tail -1 "$work/p-tar-memfs.ms") ms"
done

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "-") print "-"; else printf "%.2fx\n", a / b }'; }

echo "## Programs: tar, sqlite3 and git on each file system, tar under each interposer"
echo
echo "Wall time in ms, median of $rounds interleaved rounds, ratio to the first column."
echo "tar x of $(tar tf "$work/tree.tar" | wc -l) entries ($(du -m "$work/tree.tar" | cut -f1) MiB);"
echo "sqlite3: $rows rows inserted in one transaction, an index, a query; git: 5 x \`git status\`"
echo "on the same tree checked in."
echo
printf '| workload |'; for c in "${configs[@]}"; do printf ' %s |' "$(label "$c")"; done; echo
printf '|---|'; for _ in "${configs[@]}"; do printf -- '---:|'; done; echo
for w in tar sqlite git; do
	base=$(median "$work/p-$w-tmpfs.ms")
	printf '| %s |' "$w"
	for c in "${configs[@]}"; do
		m=$(median "$work/p-$w-$c.ms")
		printf ' %s (%s) |' "$m" "$(ratio "$m" "$base")"
	done
	echo
done
echo
printf '| tar x on tmpfs |'; for c in "${mechs[@]}"; do printf ' %s |' "$(label "$c")"; done; echo
printf '|---|'; for _ in "${mechs[@]}"; do printf -- '---:|'; done; echo
base=$(median "$work/p-tar-native.ms")
printf '| ms |'
for c in "${mechs[@]}"; do m=$(median "$work/p-tar-$c.ms"); printf ' %s (%s) |' "$m" "$(ratio "$m" "$base")"; done
echo
if [ -n "$raw" ]; then
	mkdir -p "$raw"
	for f in "$work"/p-*.ms; do b=$(basename "$f" .ms); cp "$f" "$raw/prog-${b#p-}.txt"; done
fi
progress done
