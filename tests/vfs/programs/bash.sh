#!/usr/bin/env bash
# bash on a work directory W: redirections (<, >, >>, 2>&1, <>, >|, noclobber),
# a group sharing one offset, here-documents (TMPDIR=W), pipelines between
# files, exec'ed fds, process substitution, scripts stored in W and run from
# there, cd and globbing inside W, a FIFO.
# needs: bash sort tr cat wc head tail sha256sum mkfifo timeout
set -eu
. "$(dirname "$0")/common.sh"
export TMPDIR=$W

part "simple redirections"
cp "$IN/data/lines.txt" in
sort <in >out
head -2 out
wc -l <out
sort -r <in >out
head -1 out
echo first >f
echo second >>f
echo third >>f
cat f
echo truncated >f
cat f
ls nope 2>err || true
cat err
ls nope f >both 2>&1 || true
cat both
ls nope 2>&1 >only-out | sed 's/^/piped: /' || true
cat only-out
cat <f >f2 2>>f2
cat f2
: >empty
wc -c <empty

part "one offset shared by a group, a subshell, a loop"
{ echo one; echo two; printf 'three\n'; } >g
cat g
(echo sub1; (echo sub2); cat f) >g2
cat g2
for i in 1 2 3; do echo "loop $i"; done >g3
cat g3
{ echo a; sh -c 'echo from sh'; /bin/echo from-exec; echo b; } >g4
cat g4
{ echo start; cat in | head -c 100 >/dev/null; echo end; } >>g4
cat g4
while read -r line; do echo "read: $line"; done <g
{ read -r l1; read -r l2; echo "group read: $l1 $l2"; cat; } <g

part "here-documents and here-strings"
cat <<END >h
line with $((6 * 7)) and ${HOME:+home}
literal \$x
END
cat h
cat <<'END' | tr a-z A-Z
quoted $HOME stays
END
# A here-document bigger than a pipe buffer: bash puts it in a file in TMPDIR.
big=$(seq 1 20000)
cat <<END >bighere
$big
END
wc -l bighere
sha256sum bighere
tr 1 X <<<"here string 111" >hs
cat hs
echo "TMPDIR is left clean: $(find . -maxdepth 1 -name 'sh-thd*' | wc -l)"

part "pipelines between files"
cat in | tr 0-9 a-j | sort | uniq -c | sort -rn | head -3 >p1
cat p1
sort in | tee sorted | wc -l
cmp sorted out && echo "tee and sort agree (reverse)" || echo "sorted differs from out, as it must"
sort -r in | cmp - out && echo "sort -r via pipe equals out"
tr -d '\n' <in | wc -c
cat "$IN/data/binary.bin" | sha256sum
cat "$IN/data/binary.bin" >bin
cat bin | cat | cat >bin2
cmp bin bin2 && echo "binary through three cats"
st bash -o pipefail -c 'false | true'
st bash -c 'false | true'

part "exec'ed descriptors"
exec 5>fd5
echo "to five" >&5
echo "again" >&5
exec 5>&-
cat fd5
exec 6<in
read -r -u 6 a
read -r -u 6 b
echo "read from 6: $a / $b"
exec 7<&6
read -r -u 7 c
echo "dup'ed 7 continues: $c"
exec 6<&- 7<&-
exec 8<>rw
echo "written through 8" >&8
exec 8<&-
cat rw
printf 'XXXXXXXXXX\n' >rw2
exec 9<>rw2
printf 'ab' >&9
exec 9>&-
cat rw2
exec 4>>appended
echo one >&4
echo two >appended-side
cat appended-side >&4
exec 4>&-
cat appended
exec 3>three
{ echo "in group to 3" >&3; } 3>&3
exec 3>&-
cat three

part "noclobber, >|, errors"
set -C
st eval 'echo clobber >f'
echo forced >|f
cat f
set +C
st eval 'echo x >nodir/file'
st eval 'cat <missing'
mkdir adir
st eval 'echo x >adir'
st eval 'cat adir'

part "process substitution and /dev/fd"
diff <(sort in) <(sort -r in | sort) && echo "same sorted"
paste <(head -3 in) <(tail -3 in)
cat /dev/fd/0 <f
wc -l < <(head -50 in)
echo "fd path via exec" >fdp
exec 5<fdp
cat /dev/fd/5
exec 5<&-

part "scripts stored in W, run from W"
cat >script.sh <<'END'
#!/bin/sh
echo "script args: $*"
echo "script cwd is W: $([ "$(pwd -P)" = "$W" ] && echo yes || echo no)"
exit 3
END
chmod +x script.sh
st ./script.sh one two
st bash script.sh three
st sh ./script.sh four
cp "$IN/data/tool.sh" tool
st ./tool run
chmod -x tool
st ./tool run
echo 'echo sourced: $((1 + 2))' >lib.sh
. ./lib.sh
mkdir pathdir
printf '#!/bin/sh\necho "found on PATH: $0"\n' >pathdir/mycmd
chmod 755 pathdir/mycmd
PATH=$W/pathdir:$PATH mycmd | sed "s|$W|W|"

part "cd, pwd, globbing inside W"
mkdir -p deep/er/still
touch deep/a.txt deep/b.txt deep/c.log deep/er/d.txt
cd deep/er/still
pwd | sed "s|^$W|W|"
cd ../..
echo *.txt
echo */*.txt
echo ?.log
shopt -s globstar nullglob
echo **/*.txt
echo nomatch*
shopt -u globstar nullglob
cd ..
[ -d deep ] && [ -f deep/a.txt ] && [ ! -e deep/zzz ] && echo "tests ok"
[ script.sh -nt empty ] || [ script.sh -ot empty ] || echo "same mtime tick"
[ -x script.sh ] && [ ! -x empty ] && [ -s f ] && [ ! -s empty ] && echo "more tests ok"
ln -s f linkf
[ -L linkf ] && [ -h linkf ] && echo "link tests ok"
pushd deep >/dev/null
dirs | sed "s|$W|W|g"
popd >/dev/null

part "flock(1) on files in W"
: >lockf
flock -n lockf -c 'flock -n lockf -c true; echo "second flock -n while held: $?"'
flock -s lockf -c 'flock -s -n lockf -c true; echo "shared beside shared: $?"'
exec 9>lockf
flock -x 9
st flock -n -E 7 lockf true
flock -u 9
st flock -n lockf true
exec 9>&-
(flock -x 8; st flock -n -E 7 lockf true) 8>lockf
st flock -n lockf true

part "a FIFO in W"
mkfifo fifo
stat -c '%F %a' fifo
# Every end bounded in time: a FIFO that never opens must not hang the test.
(timeout 10 sh -c 'echo "through the fifo" >fifo' || echo "writer failed") &
st timeout 10 cat fifo
wait
(timeout 10 sh -c 'seq 1 1000 >fifo' || echo "writer failed") &
st timeout 10 sh -c 'wc -l <fifo'
wait

part "what is left"
rm -f fifo
find . -printf '%P %y %s\n' | sort
