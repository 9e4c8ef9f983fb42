#!/bin/sh
# The scan cache: a first run fills it, a second run takes its results from
# it and patches the same sites, and an entry that does not match the file
# (damaged, or naming bytes that are not a syscall) is ignored and replaced.
#
# scancache.sh LAUNCHER PROGRAM
set -u
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
launcher=$1 program=$2
tmp=$(mktemp -d /tmp/sy-scancache.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "scancache: FAIL $*"; exit 1; }

# key: what a run reports, without its pid
run() { # NAME
	SWITCHYARD_CACHE=$tmp/cache "$launcher" run --mode rewrite --stats "$tmp/$1.json" -- \
		"$program" > "$tmp/$1.out" 2> "$tmp/$1.err" || fail "$1: exit $?: $(cat "$tmp/$1.err")"
	/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));
print(d["sites_rewritten"], d["sites_trapped"], sorted(d["sites_refused"].items()))' \
		"$tmp/$1.json" > "$tmp/$1.key" || fail "$1: no stats"
}

run first
n=$(ls "$tmp/cache" 2> /dev/null | wc -l)
[ "$n" -gt 0 ] || fail "the first run left no cache entries"
run second
cmp -s "$tmp/first.key" "$tmp/second.key" ||
	fail "cached run patched differently: $(cat "$tmp/first.key") vs $(cat "$tmp/second.key")"
cmp -s "$tmp/first.out" "$tmp/second.out" || fail "cached run printed something else"

# Damage every entry: move each recorded site by one byte (offsets are the
# first 4 bytes of each 8-byte entry after the 88-byte header).
for f in "$tmp"/cache/*; do
	/usr/bin/python3 -c 'import sys,struct
p=sys.argv[1]; b=bytearray(open(p,"rb").read())
for at in range(88, len(b), 8):
    struct.pack_into("<I", b, at, struct.unpack_from("<I", b, at)[0] + 1)
open(p,"wb").write(b)' "$f" || fail "cannot damage $f"
done
run damaged
cmp -s "$tmp/first.key" "$tmp/damaged.key" ||
	fail "a damaged cache changed the patching: $(cat "$tmp/first.key") vs $(cat "$tmp/damaged.key")"
cmp -s "$tmp/first.out" "$tmp/damaged.out" || fail "with a damaged cache the program printed something else"
echo "scancache: ok ($n entries; $(cat "$tmp/first.key"))"
