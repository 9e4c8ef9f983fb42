# Sourced by every workload in this folder: takes the arguments W (the work
# directory, which must not exist yet) and IN (the input tree, only read),
# makes W, goes into it, and sends stderr to stdout so that one stream holds
# everything the workload says, in order.
[ $# -eq 2 ] || { echo "usage: bash WORKLOAD W IN" >&2; exit 2; }
W=$1
IN=$2
export W IN
exec 2>&1
export LC_ALL=C TZ=UTC
umask 022
mkdir "$W"
cd "$W"

# part TITLE: a heading between the steps of a workload.
part() { echo "== $*"; }

# st CMD...: runs CMD, then prints its exit status; a failure does not stop
# the workload (it is part of the output compared).
st() {
	local rc=0
	"$@" || rc=$?
	echo "[rc=$rc] $*"
}
