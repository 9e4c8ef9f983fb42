#!/bin/bash
# vfs.examplefs: the example backend (examples/vfs_backend, notesfs) loaded
# from a hook library and mounted from the config, under real commands.
# scenario.sh runs once natively in a fresh directory on tmpfs (/dev/shm) and
# once under switchyard in a directory on the notesfs mount; the outputs must
# be the same. Also: the config's `greeting =` reaches the backend, nothing
# appears on the host at the mount point, and without the hook library the
# mount stops the program with the error naming file and line.
#
# usage: run.sh SWITCHYARD LIBSY_EXAMPLE_NOTESFS.so
set -eu

launcher=$1
lib=$2
here=$(cd "$(dirname "$0")" && pwd)
scenario=$here/scenario.sh

tmp=$(mktemp -d)
native=$(mktemp -d /dev/shm/sy-examplefs.XXXXXX)
mnt=/sy-examplefs-$$
trap 'rm -rf "$tmp" "$native"' EXIT

if [ -e "$mnt" ]; then
	echo "SKIP: $mnt exists on the host"
	exit 77
fi

# 1. the oracle: tmpfs
mkdir "$native/work"
(cd "$native/work" && timeout 20 bash "$scenario") >"$tmp/native.out" 2>&1 || true
sed -i "s#$native#BASE#g" "$tmp/native.out"

# 2. the same under switchyard, on notesfs
cat >"$tmp/notes.conf" <<CONF
[interposer]
hook = $lib
[mount $mnt]
type = notesfs
greeting = hello from the config
CONF
set +e
timeout 30 "$launcher" run -c "$tmp/notes.conf" -- \
	bash -c 'cd "$1" && mkdir work && cd work && exec bash "$2"' sh "$mnt" "$scenario" \
	>"$tmp/vfs.out" 2>"$tmp/vfs.err"
rc=$?
set -e
if [ $rc -eq 2 ] && grep -q "not served yet" "$tmp/vfs.err"; then
	echo "SKIP: switchyard does not serve mounts yet"
	exit 77
fi
cat "$tmp/vfs.err" >>"$tmp/vfs.out"
sed -i "s#$mnt#BASE#g" "$tmp/vfs.out"
fail=0
if [ $rc -ne 0 ]; then
	echo "FAIL: switchyard run exited $rc"
	fail=1
fi
if ! diff -u "$tmp/native.out" "$tmp/vfs.out"; then
	echo "FAIL: the scenario differs on notesfs (+) from tmpfs (-)"
	fail=1
fi

# 3. the option reached the backend: its seeded file
got=$(timeout 20 "$launcher" run -c "$tmp/notes.conf" -- cat "$mnt/welcome" 2>&1) || true
if [ "$got" != "hello from the config" ]; then
	echo "FAIL: $mnt/welcome: expected the greeting, got: $got"
	fail=1
fi

# 4. all of it stayed in switchyard
if [ -e "$mnt" ]; then
	echo "FAIL: $mnt appeared on the host"
	fail=1
fi

# 5. no hook library: nothing registers notesfs, the program must not start
printf '[mount %s]\ntype = notesfs\n' "$mnt" >"$tmp/nohook.conf"
set +e
timeout 20 "$launcher" run -c "$tmp/nohook.conf" -- echo started >"$tmp/nohook.out" 2>&1
rc=$?
set -e
want="$tmp/nohook.conf:1: [mount $mnt]: no file system 'notesfs' (a hook library must register it)"
if [ $rc -eq 0 ] || grep -q started "$tmp/nohook.out" || ! grep -qF "$want" "$tmp/nohook.out"; then
	echo "FAIL: without the hook library: exit $rc, output:"
	cat "$tmp/nohook.out"
	echo "(expected a non-zero exit and: $want)"
	fail=1
fi

if [ $fail -eq 0 ]; then
	echo "PASS: $(grep -c '^==' "$tmp/native.out") steps the same on notesfs as on tmpfs"
fi
exit $fail
