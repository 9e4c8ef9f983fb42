#!/usr/bin/env bash
# git on a work directory W: init, add, commit with fixed names and dates,
# log --stat, status, diff, branch, checkout, merge, tag, stash, mv/rm, a
# repack into a pack file, fsck, a clone within W. HOME is in W and no system
# config is read, so nothing outside W changes what git does.
# needs: git sha256sum
set -eu
. "$(dirname "$0")/common.sh"

mkdir home
export HOME=$W/home GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=$W/home/.gitconfig
export GIT_AUTHOR_NAME="Ada Author" GIT_AUTHOR_EMAIL=ada@example.org
export GIT_COMMITTER_NAME="Cy Committer" GIT_COMMITTER_EMAIL=cy@example.org
# Commands that make commits or tags without commit() (stash, tag) get a fixed
# date too.
export GIT_AUTHOR_DATE="@1700000000 +0000" GIT_COMMITTER_DATE="@1700000000 +0000"
export GIT_PAGER=cat PAGER=cat GIT_TERMINAL_PROMPT=0 GIT_EDITOR=true
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_OBJECT_DIRECTORY 2>/dev/null || true
git config --global init.defaultBranch main
git config --global core.autocrlf false
git config --global gc.auto 0
git config --global advice.detachedHead false
git config --global merge.conflictstyle merge

# A fixed, increasing time for every commit.
tick=1700000000
commit() {
	tick=$((tick + 60))
	GIT_AUTHOR_DATE="@$tick +0000" GIT_COMMITTER_DATE="@$tick +0000" git commit -q "$@"
}

part "init, add, first commit"
git init -q repo
cd repo
ls .git | sort
cp -a "$IN/src" "$IN/data" .
git add .
git status --short
commit -m "import the input tree"
git log --stat --format='%H %an <%ae> %ad %cn%n%s' --date=iso-strict
git ls-files -s | head -5
git count-objects | sed 's/, [0-9]* kilobytes//'

part "modify, status, diff"
echo "an appended line" >>data/lines.txt
sed -i 's/line 1 of/LINE ONE of/' data/lines.txt
rm data/empty
echo new >data/new.txt
chmod +x data/with\ space.txt
git status --short
git diff --stat
git diff data/lines.txt
git add -A
git status --porcelain=v1
git diff --cached --summary
commit -m "edit lines, drop empty, add new"
git log --oneline

part "branches, checkout, merge"
git branch feature
git checkout -q feature
echo "feature work" >feature.txt
git add feature.txt
commit -m "feature: add feature.txt"
git mv data/new.txt data/renamed.txt
commit -m "feature: rename new.txt"
git checkout -q main
echo "main work" >>data/deep/er/still/leaf.txt
commit -am "main: edit leaf"
ls
GIT_AUTHOR_DATE="@$((tick += 60)) +0000" GIT_COMMITTER_DATE="@$tick +0000" \
	git merge -q --no-edit feature
git log --graph --format='%s' | cat
git branch -a
ls data

part "a conflict and its resolution"
git checkout -q -b other HEAD~1
echo "other side" >feature.txt
git add feature.txt
commit -m "other: feature.txt"
git checkout -q main
echo "main side" >feature.txt
commit -am "main: feature.txt"
st env GIT_AUTHOR_DATE="@$((tick += 60)) +0000" GIT_COMMITTER_DATE="@$tick +0000" \
	git merge -q other
git status --short
cat feature.txt
echo "resolved" >feature.txt
git add feature.txt
commit --no-edit
git log -1 --format='%s%n%P' | head -1

part "tag, stash, reset, rm, checkout of a file"
GIT_COMMITTER_DATE="@$((tick += 60)) +0000" git tag -a v1 -m "version one"
git tag -l
git describe
echo "stash me" >>src/run_program.sh
echo "untracked" >untracked.txt
git stash -q
git status --short
git stash list | sed 's/ WIP.*//'
git stash pop -q
git status --short
git checkout -- src/run_program.sh
git rm -q --cached untracked.txt 2>/dev/null || true
rm untracked.txt
git rm -q -r data/deep
commit -m "drop deep"
git reset -q --hard HEAD~1
ls data/deep/er/still
git show --stat --format='%s' HEAD | head -5
git show HEAD~2:data/lines.txt | head -3

part "objects: repack, fsck, verify-pack, gc"
git count-objects -v | grep -E '^(count|in-pack|packs)' || true
git repack -a -d -q
git count-objects -v | grep -E '^(count|in-pack|packs)' || true
git fsck --full --strict 2>&1
git verify-pack -s .git/objects/pack/*.idx | sed 's/ [0-9]* / N /' | sort | head -5
git gc -q --prune=now
git fsck --full
git rev-list --all --count
git cat-file -p HEAD | sed 's/^tree .*/tree T/'

part "clone, log, blame, grep, archive"
cd "$W"
git clone -q repo clone
cd clone
git log --format='%h %s' | head -5
git rev-parse HEAD "$(git rev-parse --show-toplevel >/dev/null && echo HEAD~1)"
git blame --porcelain data/deep/er/still/leaf.txt | grep -E '^(author |summary )' | sort -u
git grep -n 'LINE ONE' | head -3
git archive --format=tar HEAD | sha256sum
git archive --format=tar HEAD | tar -t | sort | head -8
echo "clone status: $(git status --porcelain | wc -l)"
cd "$W"
find repo -path repo/.git -prune -o -type f -printf '%P %s %m\n' | sort
du -sb repo/.git/objects >/dev/null && echo "objects dir readable"
