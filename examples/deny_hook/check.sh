#!/bin/sh
# Test of the example deny hook: `rm` works natively, fails with EPERM under
# the hook with SY_DENY_UNLINK=1, and works again under the hook without it.
# Usage: check.sh SWITCHYARD LIBSY_EXAMPLE_DENY.so
set -eu
sy=$1
deny=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export LC_ALL=C

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

touch "$dir/victim"
rm "$dir/victim" || fail "native rm failed"
[ ! -e "$dir/victim" ] || fail "native rm left the file"

touch "$dir/victim"
if SY_DENY_UNLINK=1 "$sy" run --hook "$deny" -- rm "$dir/victim" 2>"$dir/rm.err"; then
	fail "rm succeeded under the deny hook"
fi
grep -q 'Operation not permitted' "$dir/rm.err" || fail "rm did not say 'Operation not permitted': $(cat "$dir/rm.err")"
[ -e "$dir/victim" ] || fail "the file is gone although rm was denied"

mkdir "$dir/d"
if SY_DENY_UNLINK=1 "$sy" run --hook "$deny" -- rmdir "$dir/d" 2>/dev/null; then
	fail "rmdir succeeded under the deny hook"
fi
[ -d "$dir/d" ] || fail "the directory is gone although rmdir was denied"

# Without SY_DENY_UNLINK=1 the hook registers nothing.
"$sy" run --hook "$deny" -- rm "$dir/victim" || fail "rm under the hook without SY_DENY_UNLINK failed"
[ ! -e "$dir/victim" ] || fail "rm under the hook without SY_DENY_UNLINK left the file"

echo "example deny hook: ok"
