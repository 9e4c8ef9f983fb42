#!/bin/sh
# Runs one command natively or under switchyard and checks what it left.
#
# sy_run.sh [options] -- CMD ARGS...
#   --native            run CMD as it is (default: under switchyard)
#   --launcher PATH     run through `PATH run ...` (build/bin/switchyard)
#   --preload LIB       run with LD_PRELOAD=LIB and SWITCHYARD_* variables
#   --mode MODE         auto | rewrite | sud (default: switchyard's default)
#   --hook LIB          custom hook library
#   --trace             trace into a temporary file; it must not be empty
#   --stats 'CHECKS'    stats into a temporary dir; stats_check.py CHECKS must pass
#   --expect-exit N     CMD's exit status (default 0)
# Exit 0 iff everything held.
set -u
# The programs expect fds 0-2 and nothing else below 10 (ctest itself leaks
# its log file as fd 3 into tests): close 3-9 so "the first open returns 3"
# means the same natively and under switchyard.
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
here=$(cd "$(dirname "$0")" && pwd)
native=0 launcher= preload= mode= hook= trace=0 stats= stats_set=0 expect=0
while [ $# -gt 0 ]; do
	case $1 in
	--native) native=1 ;;
	--launcher) launcher=$2; shift ;;
	--preload) preload=$2; shift ;;
	--mode) mode=$2; shift ;;
	--hook) hook=$2; shift ;;
	--trace) trace=1 ;;
	--stats) stats=$2; stats_set=1; shift ;;
	--expect-exit) expect=$2; shift ;;
	--) shift; break ;;
	*) echo "sy_run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ $# -gt 0 ] || { echo "sy_run.sh: no command" >&2; exit 2; }

tmp=$(mktemp -d /tmp/sy-run.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
tracefile=
[ "$trace" = 1 ] && tracefile=$tmp/trace.%p
statsdir=
[ "$stats_set" = 1 ] && { statsdir=$tmp/stats; mkdir "$statsdir"; }

if [ "$native" = 1 ]; then
	"$@"
	rc=$?
elif [ -n "$launcher" ]; then
	[ -x "$launcher" ] || { echo "sy_run.sh: no launcher at $launcher (not built?)"; exit 1; }
	set -- run ${mode:+--mode "$mode"} ${hook:+--hook "$hook"} \
		${tracefile:+--trace "$tracefile"} ${statsdir:+--stats "$statsdir/%p.json"} -- "$@"
	echo "sy_run.sh: $launcher $*"
	"$launcher" "$@"
	rc=$?
elif [ -n "$preload" ]; then
	[ -r "$preload" ] || { echo "sy_run.sh: no library at $preload (not built?)"; exit 1; }
	echo "sy_run.sh: LD_PRELOAD=$preload${mode:+ SWITCHYARD_MODE=$mode}${hook:+ SWITCHYARD_HOOK=$hook} $*"
	env LD_PRELOAD="$preload" ${mode:+SWITCHYARD_MODE="$mode"} ${hook:+SWITCHYARD_HOOK="$hook"} \
		${tracefile:+SWITCHYARD_TRACE="$tracefile"} \
		${statsdir:+SWITCHYARD_STATS="$statsdir/%p.json"} "$@"
	rc=$?
else
	echo "sy_run.sh: need --native, --launcher or --preload" >&2
	exit 2
fi

status=0
if [ "$rc" != "$expect" ]; then
	echo "sy_run.sh: FAIL exit status $rc, expected $expect"
	status=1
fi
if [ "$trace" = 1 ]; then
	if ! cat "$tmp"/trace.* 2>/dev/null | grep -q .; then
		echo "sy_run.sh: FAIL --trace left no trace lines"
		status=1
	fi
fi
if [ "$stats_set" = 1 ]; then
	# shellcheck disable=SC2086 # the checks are words on purpose
	/usr/bin/python3 "$here/stats_check.py" "$statsdir" $stats || status=1
fi
exit $status
