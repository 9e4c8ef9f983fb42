#!/bin/bash
# The work run.sh compares: real commands in the current directory, which is
# a fresh directory on tmpfs natively and on a notesfs mount under
# switchyard. Every path printed is relative; no times, no inode numbers.
set -u

step() { printf '== %s\n' "$*"; }
# ls -l without times; "total" and sizes stay (notesfs counts as tmpfs does)
lsl() { ls -l --time-style=+ "$@" 2>&1; echo "ls rc=$?"; }

step mkdir -p
mkdir -p a/b/c a/d; echo "rc=$?"
mkdir a 2>&1; echo "rc=$?"
lsl . a

step echo and cat
echo hello > a/f; echo "rc=$?"
echo more >> a/f
cat a/f; echo "rc=$?"
cat a/missing 2>&1; echo "rc=$?"
printf 'x%.0s' $(seq 1 5000) > a/big
wc -c < a/big

step shell redirections
{ echo one; echo two; } > out
printf '3\n1\n2\n' > nums
sort < nums > sorted; echo "rc=$?"
cat out sorted
exec 3> fd3; echo "via fd 3" >&3; exec 3>&-
cat fd3
while read -r line; do echo "read: $line"; done < out

step links
ln -s a/f sym; ln a/f hard; echo "rc=$?"
readlink sym; cat sym
stat -c '%h %s %F %A' a/f hard sym
[ "$(stat -c %i a/f)" = "$(stat -c %i hard)" ] && echo "hard: same inode as a/f"
[ "$(stat -c %i a/f)" != "$(stat -c %i sym)" ] && echo "sym: another inode"

step mv
mv a/f a/b/g; echo "rc=$?"
mv a/d a/b/c/; echo "rc=$?"
mv out a/b/c/d/; echo "rc=$?"
mv a/missing a/x 2>&1; echo "rc=$?"
lsl -R .

step rm
rm a/b/g; echo "rc=$?"
rmdir a/b 2>&1; echo "rc=$?"
rm a 2>&1; echo "rc=$?"
rm -r a; echo "rc=$?"
rm -f nums sym; echo "rc=$?"
lsl .
stat -c '%h %s %F' hard
cat hard
find . | sort
