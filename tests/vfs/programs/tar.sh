#!/usr/bin/env bash
# tar on a work directory W: archives made from a tree copied into W, listed,
# extracted into W (modes, owners, times, symlinks, hard links restored),
# compressed through a pipe to gzip, appended to and updated.
# needs: tar gzip sha256sum cmp diff find
set -eu
. "$(dirname "$0")/common.sh"

# The options that make an archive depend only on the tree: sorted names
# (readdir order may legitimately differ), fixed owners.
det=(--sort=name --owner=0 --group=0 --numeric-owner --format=gnu)

part "a tree in W"
cp -a "$IN" tree
ln tree/data/lines.txt tree/data/lines-hard.txt
mkdir tree/fresh
echo "made in W" >tree/fresh/new.txt
touch -d @1600000000 tree/fresh/new.txt tree/fresh
touch -d @1700000000 tree/data tree

part "tar c of W into W; the archive is the same wherever the tree lives"
tar -c "${det[@]}" -f a.tar tree
sha256sum a.tar
stat -c '%n %s' a.tar
(cd "$IN" && tar -c "${det[@]}" -f - .) | sha256sum
(cd tree && tar -c "${det[@]}" --exclude=./fresh --exclude=./data/lines-hard.txt -f - .) | sha256sum

part "tar t"
tar -tf a.tar
tar -tvf a.tar --numeric-owner --full-time

part "tar x into W"
mkdir out
tar -x -f a.tar -C out
st diff -r tree out/tree
(cd tree && find . -printf '%p %y %m %s %n %T@ %l\n' | sort) >listing-tree
(cd out/tree && find . -printf '%p %y %m %s %n %T@ %l\n' | sort) >listing-out
st cmp listing-tree listing-out
echo "hard link restored: $([ "$(stat -c %i out/tree/data/lines.txt)" = \
	"$(stat -c %i out/tree/data/lines-hard.txt)" ] && echo yes || echo no)"
stat -c '%n %h %a %U %G' out/tree/data/lines.txt out/tree/data/deep/er/still/leaf.txt

part "gzip through a pipe, and back"
tar -c "${det[@]}" -I 'gzip -n' -f a.tgz tree
sha256sum a.tgz
gzip -dc a.tgz | cmp - a.tar && echo "a.tgz unpacks to a.tar"
mkdir outz
tar -xzf a.tgz -C outz
st diff -r tree outz/tree
tar -c "${det[@]}" -f - tree | gzip -n >piped.tgz
st cmp a.tgz piped.tgz
gzip -dc piped.tgz | tar -x -f - -C outz --transform 's|^tree|again|'
st diff -r tree outz/again

part "append, update, delete, extract one member"
echo "appended" >extra.txt
touch -d @1650000000 extra.txt
tar -r "${det[@]}" -f a.tar extra.txt
tar -tf a.tar | tail -2
echo "newer content" >extra.txt
touch -d @1660000000 extra.txt
tar -u "${det[@]}" -f a.tar extra.txt
tar -tf a.tar | grep -c extra.txt
tar --delete -f a.tar tree/fresh/new.txt
st tar -tf a.tar tree/fresh/new.txt
tar -xOf a.tar tree/data/with\ space.txt
tar -xf a.tar -C out tree/data/tool.sh --to-stdout | sha256sum
sha256sum a.tar
stat -c '%n %s' a.tar

part "extraction over existing files, keep-old, and errors"
echo changed >out/tree/data/empty
st tar -x -k -f a.tar -C out tree/data/empty
cat out/tree/data/empty
tar -x -f a.tar -C out tree/data/empty
stat -c '%n %s' out/tree/data/empty
st tar -x -f a.tar -C out no/such/member
st tar -x -f missing.tar
chmod 555 out/tree/fresh
st tar -x -f a.tar -C out tree/fresh
ls out/tree/fresh
chmod 755 out/tree/fresh

part "sparse files through tar (SEEK_DATA and SEEK_HOLE)"
printf 'start' >sp
printf 'middle' | dd of=sp bs=1 seek=500000 conv=notrunc status=none
truncate -s 2000000 sp
touch -d @1600000000 sp
tar -c "${det[@]}" -S -f sp.tar sp
stat -c '%n %s' sp.tar
tar -tvf sp.tar --numeric-owner --full-time
mkdir spout
tar -x -S -f sp.tar -C spout
cmp sp spout/sp && echo "sparse file round-trips"
stat -c '%n %s %b' sp spout/sp
rm -rf spout

part "a big file through tar"
dd if=/dev/zero bs=64k count=32 status=none | tr '\0' 'z' >big
tar -c "${det[@]}" -f big.tar big tree/data/binary.bin
mkdir bigout
tar -x -f big.tar -C bigout
cmp big bigout/big && echo "big round-trips"
stat -c '%n %s' big.tar bigout/big
rm -rf out outz bigout
find . -maxdepth 1 -printf '%P %y %s\n' | sort
