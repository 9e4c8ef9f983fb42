#!/usr/bin/env bash
# coreutils and findutils on a work directory W: cp -a, mv, find, du, ls, ln,
# stat, rm -rf and friends. Prints only what tmpfs and memfs must agree on:
# relative paths, types, sizes, modes, link counts, blocks, and relations
# between inode numbers and times instead of their values.
# needs: cp mv find du ls ln stat rm sha256sum truncate dd cmp split touch
set -eu
. "$(dirname "$0")/common.sh"

# tree DIR: every entry under DIR, sorted: relative path, type, size, mode,
# link count, symlink target.
tree() { find "$1" -mindepth 1 -printf '%P %y %s %m %n %l\n' | sort; }

part "cp -a keeps the tree"
cp -a "$IN" src
tree src
st diff -r "$IN" src
# Times and modes kept: compare with the input, entry by entry.
(cd "$IN" && find . -printf '%p %T@ %m\n') | sort >times-in
(cd src && find . -printf '%p %T@ %m\n') | sort >times-src
st cmp times-in times-src
rm times-in times-src

part "cp -r and cp without -a"
cp -r src/data plain
tree plain
echo "plain/lines.txt keeps mtime: $([ "$(stat -c %Y plain/lines.txt)" = 1700000000 ] && echo yes || echo no)"
cp src/data/binary.bin one.bin
st cmp src/data/binary.bin one.bin
cp -p src/data/tool.sh tool-kept.sh
stat -c '%n %a %s %Y' tool-kept.sh

part "mv: rename within W, over an existing file, a directory"
mv one.bin two.bin
echo "one.bin exists: $([ -e one.bin ] && echo yes || echo no)"
echo x >victim
ino_src=$(stat -c %i two.bin)
mv -f two.bin victim
echo "victim is the moved inode: $([ "$(stat -c %i victim)" = "$ino_src" ] && echo yes || echo no)"
stat -c '%n %s %h' victim
mv plain moved-dir
tree moved-dir | head -5
st mv moved-dir moved-dir/inside
mkdir -p target/sub
st mv moved-dir target/sub/
tree target | wc -l

part "ln and ln -s, hard link counts"
echo hello >h1
ln h1 h2
ln h2 h3
stat -c '%n %h %s' h1 h2 h3
echo "h1 h3 same inode: $([ "$(stat -c %i h1)" = "$(stat -c %i h3)" ] && echo yes || echo no)"
rm h2
stat -c '%n %h' h1
ln -s h1 s1
ln -s nowhere dangling
ln -s ../W-outside/x up
ln -s s1 s2
stat -c '%n %F %s' s1 s2 dangling
stat -L -c '%n %F %s' s2
st stat -L dangling
readlink s2
readlink -f s2 | sed "s|^$PWD|W|"
st ln h1 h3
st ln -s h1 s1
ln -sf h3 s1
readlink s1
mkdir lndir
st ln lndir lndir-hard

part "stat of directories and files: sizes, blocks, links"
mkdir -p d/a d/b d/c
: >d/f
stat -c '%n %F %a %h %s' d d/a d/f
for n in 1 2 3 4 5 6 7 8 9 10; do : >"d/file$n"; done
stat -c '%n %h %s' d
rmdir d/a
stat -c '%n %h %s' d
printf 'abc' >small
truncate -s 1M sparse
dd if=/dev/zero of=dense bs=64k count=4 status=none
stat -c '%n %s %b %B' small sparse dense
du -b small sparse dense
du -k small sparse dense

part "truncate, dd conv=notrunc, split"
cp src/data/lines.txt work.txt
truncate -s 1000 work.txt
stat -c '%n %s' work.txt
truncate -s +24 work.txt
stat -c '%n %s' work.txt
printf 'PATCH' | dd of=work.txt bs=1 seek=10 conv=notrunc status=none
head -c 40 work.txt | od -c | head -3
dd if=src/data/binary.bin of=slice.bin bs=4096 skip=3 count=5 status=none
sha256sum slice.bin
split -b 100000 -d src/data/binary.bin part.
ls part.*
cat part.* | cmp - src/data/binary.bin && echo "split parts join back"

part "touch, chmod -R, times as relations"
touch -d '2020-02-02 12:00:00' stamp
stat -c '%n %y' stamp
touch -r stamp stamp2
echo "stamp2 has stamp's mtime: $([ "$(stat -c %Y stamp)" = "$(stat -c %Y stamp2)" ] && echo yes || echo no)"
before=$(stat -c %.9Y d)
sleep 0.01
: >d/newer
after=$(stat -c %.9Y d)
echo "dir mtime moved on create: $([ "$before" != "$after" ] && echo yes || echo no)"
find . -maxdepth 1 -newer stamp -name 'h*' | sort
chmod -R go-rwx src/src
find src/src -printf '%P %m\n' | sort
chmod 4755 tool-kept.sh
stat -c '%n %A' tool-kept.sh
chmod u=rw,g=r,o= tool-kept.sh
stat -c '%n %A' tool-kept.sh

part "find: predicates and actions"
find . -name '*.h' -printf '%P\n' | sort
find . -type l -printf '%P -> %l\n' | sort
find . -empty -printf '%P %y\n' | sort
find . -size +100k -printf '%P %s\n' | sort
find . -perm -u+x -type f -printf '%P\n' | sort
find . -links 2 -type f -printf '%P\n' | sort
find -L src -name 'lines*' -printf '%P %y\n' | sort
find src -maxdepth 2 -type d -printf '%d %P\n' | sort
find . -path ./src -prune -o -name '*.txt' -printf '%P\n' | sort
find d -name 'file*' -delete
ls d
find src -type f -exec sha256sum {} + | sort -k2

part "du: apparent sizes and blocks"
du -b src | sort -k2
du --apparent-size -s src
du -s -B1 src/data/binary.bin src/data/lines.txt
du -ab src/data | sort -k2
du -sb .

part "ls -la, normalized (no times)"
ls -la --time-style=+ src/data | awk '{ $3 = "OWNER"; $4 = "GROUP"; print }'
ls -la --time-style=+ d | awk '{ $3 = "OWNER"; $4 = "GROUP"; print }'
ls -1 -R src/src
ls -lnS --time-style=+ src/data | awk 'NR > 1 { print $1, $2, $5 }'
ls -1S src/data
ls -1t src/data/deep/er/still src/data/empty src/data/lines.txt

part "mktemp, install, sort -o"
t=$(mktemp -p "$W" tmp.XXXXXX)
stat -c '%a %s' "$t"
td=$(mktemp -d -p "$W")
stat -c '%a %F' "$td"
rm -r "$t" "$td"
install -m 640 src/data/with\ space.txt installed.txt
stat -c '%n %a %s' installed.txt
install -d -m 711 inst/a/b
find inst -printf '%P %m\n' | sort
sort -o sorted.txt src/data/lines.txt
sort -o sorted.txt -r sorted.txt
head -3 sorted.txt
wc -l -c sorted.txt

part "sort with its temporary files in W"
mkdir sorttmp
sort -T "$W/sorttmp" -S 64K --parallel=1 src/data/lines.txt | sha256sum
sort -T "$W/sorttmp" -S 64K --parallel=1 -m <(sort src/data/lines.txt) <(sort -r src/data/lines.txt | sort) | wc -l
echo "sort left temporaries: $(ls sorttmp | wc -l)"

part "fallocate, holes, sparse copies, sync, chown"
fallocate -l 1M fa
stat -c '%n %s %b' fa
st fallocate -p -o 4096 -l 65536 fa
stat -c '%n %s %b' fa
st fallocate -n -o 1M -l 64K fa
stat -c '%n %s %b' fa
st fallocate -c -o 0 -l 4096 fa
st fallocate -z -o 0 -l 4096 fa
st fallocate -i -o 0 -l 4096 fa
printf 'middle' | dd of=holes bs=1 seek=300000 conv=notrunc status=none
truncate -s 600000 holes
stat -c '%n %s %b' holes
cp --sparse=always holes holes-sparse
cp --sparse=never holes holes-full
stat -c '%n %s %b' holes-sparse holes-full
cmp holes holes-sparse && cmp holes holes-full && echo "sparse copies compare equal"
sync fa
sync -d fa
sync -f fa
echo "sync: $?"
chown 1234:5678 small
chown -h 4321 s2
chgrp 99 dense
stat -c '%n %u %g' small s2 dense
st chown nosuchuser-xyz small
chown 0:0 small s2 dense

part "across file systems: mv and cp between W and a directory outside it"
# rename(2) gives EXDEV natively (tmpfs to /tmp) and under switchyard (mount
# to kernel): mv falls back to copying and removing.
out=$(mktemp -d /tmp/sy-prog-out.XXXXXX)
mkdir xfs
cp -a src/data/deep xfs/
echo moving >xfs/file
ln xfs/file xfs/file-link
ln -s file xfs/sym
touch -d @1600000000 xfs/file
touch -h -d @1600000000 xfs/sym
mv xfs/file "$out/"
touch -d @1600000000 xfs
mv xfs "$out/"
(cd "$out" && find . -mindepth 1 -printf '%P %y %s %m %n %T@ %l\n' | sort)
mv "$out/xfs" back
mv "$out/file" back/
tree back
stat -c '%n %Y' back/file
echo "back changed when file came in: $([ "$(stat -c %Y back)" != 1600000000 ] && echo yes || echo no)"
cp -a back "$out/copy"
(cd "$out/copy" && find . -mindepth 1 -printf '%P %y %s %m %n %l\n' | sort)
diff -r back "$out/copy" && echo "cp -a out of W: same tree"
rm -rf "$out"

part "rm -rf and what is left"
st rm d
st rmdir src
rm -rf src/data/deep
st ls src/data/deep
rm -rf target inst
rm -f nonexistent
st rm nonexistent
rm -rf src moved-dir back sorttmp fa holes holes-sparse holes-full
tree .
du -sb .
cd "$W/.."
rm -rf "$W"
echo "W removed: $([ -e "$W" ] && echo no || echo yes)"
