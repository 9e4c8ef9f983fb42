#!/usr/bin/env bash
# Plots a bench/run result directory: the ratio to native of each
# configuration (medians of the raw figures bench/run keeps beside its
# report), as PNG bar charts next to report.md:
#   interposer.png  syscall loops and N x cat, every mechanism (log scale)
#   fs.png          metadata and I/O: memfs through switchyard, memfs over
#                   kernel FUSE, tmpfs (log scale)
#   net.png         redis-benchmark and wrk requests per second
#   bench/plot.sh OUT_DIR       (gnuplot; does nothing without it)
set -euo pipefail
out=${1:?usage: bench/plot.sh OUT_DIR}
command -v gnuplot >/dev/null || { echo "bench/plot.sh: no gnuplot: no plots" >&2; exit 0; }

median() { # file
	sort -g "$1" | awk '{ v[NR] = $1 } END { if (NR == 0) print "NaN"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# table GROUPS CONFIGS PREFIX NATIVE > dat: one row per group, one column per
# configuration, each the median of PREFIX-GROUP-CONFIG.txt over NATIVE's
table() {
	local groups=$1 configs=$2 prefix=$3 native=$4 g c m n
	for g in $groups; do
		printf '%s' "$g"
		n=NaN
		[ -s "$out/$prefix-$g-$native.txt" ] && n=$(median "$out/$prefix-$g-$native.txt")
		for c in $configs; do
			m=NaN
			[ -s "$out/$prefix-$g-$c.txt" ] && m=$(median "$out/$prefix-$g-$c.txt")
			awk -v m="$m" -v n="$n" 'BEGIN { if (m == "NaN" || n == "NaN" || n == 0) printf " NaN"; else printf " %.4g", m / n }'
		done
		echo
	done
}

plot() { # png title ylabel logscale dat titles...
	local png=$1 title=$2 ylabel=$3 log=$4 dat=$5
	shift 5
	local cols="" i=2 t
	for t in "$@"; do
		cols="$cols${cols:+, }'$dat' using $i:xtic(1) title '$t'"
		i=$((i + 1))
	done
	gnuplot <<GP
set terminal pngcairo size 1100,520 font "sans,10"
set output '$png'
set title '$title'
set ylabel '$ylabel'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key outside right top
set grid ytics
set xtics noenhanced
$([ "$log" = log ] && echo "set logscale y; set yrange [0.1:*]" || echo "set yrange [0:*]")
plot $cols
GP
}

made=0
if ls "$out"/loop-*-native.txt >/dev/null 2>&1; then
	configs="native auto sud stats ptrace seccomp"
	table "nr500 getpid cat" "$configs" loop native >"$out/interposer.dat"
	plot "$out/interposer.png" "Time per call (per cat) relative to native, lower is better" \
		"x native (log)" log "$out/interposer.dat" native "switchyard auto" "switchyard sud" \
		"switchyard + C hook chain" ptrace "seccomp user notification"
	made=$((made + 1))
fi
if ls "$out"/fs-meta.total_ms-tmpfs.txt >/dev/null 2>&1; then
	table "meta.create_ns meta.stat_ns meta.unlink_ns meta.total_ms randread.ns_per_op randwrite.ns_per_op stat.ns_per_op" \
		"tmpfs memfs memfs_fuse hostfs tmpfs_sy" fs tmpfs |
		sed 's/^meta\.create_ns/create/; s/^meta\.stat_ns/stat-new/; s/^meta\.unlink_ns/unlink/;
			s/^meta\.total_ms/meta-total/; s/^randread\.ns_per_op/4K-pread/;
			s/^randwrite\.ns_per_op/4K-pwrite/; s/^stat\.ns_per_op/stat-loop/' >"$out/fs.dat"
	plot "$out/fs.png" "Time relative to tmpfs, lower is better" "x tmpfs (log)" log "$out/fs.dat" \
		"tmpfs" "memfs through switchyard" "memfs over kernel FUSE" "hostfs over tmpfs" "tmpfs under switchyard"
	made=$((made + 1))
fi
if ls "$out"/net-*-native.txt >/dev/null 2>&1; then
	table "redis-set-1 redis-get-1 redis-set-16 redis-get-16 wrk" "native kernel lwip" net native >"$out/net.dat"
	plot "$out/net.png" "Requests per second relative to native, higher is better" "x native" linear \
		"$out/net.dat" "native (kernel loopback)" "switchyard, kernel sockets" "switchyard, lwIP through TAP"
	made=$((made + 1))
fi
echo "bench/plot.sh: $made plot(s) in $out" >&2
