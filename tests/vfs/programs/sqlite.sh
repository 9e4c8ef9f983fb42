#!/usr/bin/env bash
# sqlite3 on a work directory W: a database built in transactions, indexed,
# queried, in rollback-journal (DELETE) and WAL modes (WAL maps its -shm file
# shared), vacuumed, locked against a second process, backed up and dumped.
# needs: sqlite3 sha256sum
set -eu
. "$(dirname "$0")/common.sh"

# files: the database files in W with their sizes (also as a script, for
# sqlite3's .shell, which runs /bin/sh).
cat >files.sh <<'SH'
find . -maxdepth 1 -name 'db*' -printf '%P %s\n' | sort
SH
files() { sh files.sh; }
# sql ARGS...: sqlite3 whose failure is printed, not fatal, so that one
# divergence does not hide the ones after it.
sql() {
	local rc=0
	sqlite3 "$@" || rc=$?
	[ "$rc" = 0 ] || echo "[sqlite3 rc=$rc]"
}

part "create and fill in transactions (journal_mode DELETE)"
sql db.sqlite <<'SQL'
PRAGMA page_size = 4096;
PRAGMA journal_mode = DELETE;
CREATE TABLE item (id INTEGER PRIMARY KEY, name TEXT NOT NULL, grp INTEGER, body BLOB);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
INSERT INTO item (name, grp, body) SELECT printf('item-%05d', (i * 7919) % 10007), i % 37,
	zeroblob(i % 300) FROM n;
COMMIT;
BEGIN;
UPDATE item SET name = name || '-odd' WHERE id % 2 = 1;
DELETE FROM item WHERE grp = 5;
COMMIT;
BEGIN;
INSERT INTO item (name, grp) VALUES ('rolled-back', 99);
ROLLBACK;
SELECT count(*), sum(grp), sum(length(body)) FROM item;
SELECT count(*) FROM item WHERE name = 'rolled-back';
PRAGMA integrity_check;
SQL
files
sql db.sqlite 'PRAGMA page_count; PRAGMA freelist_count; PRAGMA journal_mode;'

part "indexes and queries"
sql db.sqlite <<'SQL'
CREATE INDEX item_name ON item(name);
CREATE INDEX item_grp ON item(grp, name);
CREATE TABLE grp (grp INTEGER PRIMARY KEY, label TEXT);
INSERT INTO grp SELECT DISTINCT grp, 'group ' || grp FROM item;
EXPLAIN QUERY PLAN SELECT * FROM item WHERE name = 'item-00042';
SELECT id, name, grp FROM item WHERE name BETWEEN 'item-01000' AND 'item-01010' ORDER BY name;
SELECT g.label, count(*), min(i.name), max(i.name) FROM item i JOIN grp g USING (grp)
	GROUP BY g.grp ORDER BY count(*) DESC, g.grp LIMIT 5;
SELECT grp, group_concat(id, ',') FROM (SELECT grp, id FROM item WHERE grp < 3 ORDER BY id LIMIT 12)
	GROUP BY grp;
PRAGMA integrity_check;
SQL
files

part "WAL: writes, a reader sees them, checkpoint"
sql db.sqlite <<'SQL'
PRAGMA journal_mode = WAL;
PRAGMA wal_autocheckpoint = 0;
BEGIN;
INSERT INTO item (name, grp) SELECT 'wal-' || id, 1000 FROM item WHERE id < 800;
COMMIT;
UPDATE item SET grp = 1001 WHERE name LIKE 'wal-1%';
SELECT count(*) FROM item WHERE grp >= 1000;
SQL
# The connection is closed: the last one checkpoints and removes -wal and -shm.
files
sql db.sqlite <<'SQL'
PRAGMA wal_autocheckpoint = 0;
INSERT INTO item (name, grp) VALUES ('kept-in-wal', 2000);
.shell sqlite3 db.sqlite "SELECT name FROM item WHERE grp = 2000; PRAGMA journal_mode;"
.shell sh files.sh
PRAGMA wal_checkpoint(TRUNCATE);
.shell sh files.sh
SELECT count(*) FROM item;
SQL
files

part "locking: a second process while the first holds a write lock"
sql db.sqlite <<'SQL'
BEGIN IMMEDIATE;
INSERT INTO item (name, grp) VALUES ('locked', 3000);
.shell sqlite3 db.sqlite "INSERT INTO item (name, grp) VALUES ('intruder', 3000);" ; echo "second writer: $?"
.shell sqlite3 db.sqlite "SELECT count(*) FROM item WHERE grp = 3000;"
COMMIT;
SELECT name FROM item WHERE grp = 3000;
SQL
sql db.sqlite 'PRAGMA journal_mode = DELETE;'
files
sql db.sqlite <<'SQL'
PRAGMA locking_mode = EXCLUSIVE;
BEGIN EXCLUSIVE;
SELECT count(*) FROM item;
.shell sqlite3 db.sqlite "SELECT count(*) FROM item;" ; echo "reader under an exclusive lock: $?"
COMMIT;
SQL

part "VACUUM, VACUUM INTO, backup, dump and restore"
sql db.sqlite 'DELETE FROM item WHERE id % 3 = 0; PRAGMA freelist_count;'
files
sql db.sqlite 'VACUUM; PRAGMA freelist_count; PRAGMA page_count;'
files
sql db.sqlite "VACUUM INTO 'db-copy.sqlite';"
sql db.sqlite '.backup db-backup.sqlite'
sql db.sqlite .dump >dump.sql
sha256sum dump.sql
sql db-restored.sqlite <dump.sql
for f in db-copy.sqlite db-backup.sqlite db-restored.sqlite; do
	echo "$f: $(sqlite3 "$f" 'PRAGMA integrity_check; SELECT count(*), sum(grp) FROM item;' | tr '\n' ' ')"
done
sql db-restored.sqlite .dump | cmp - dump.sql && echo "dump of the restored copy is the same"
files

part "a temporary table spilled to disk, with SQLITE_TMPDIR in W"
mkdir tmp
SQLITE_TMPDIR=$W/tmp sql db.sqlite <<'SQL'
PRAGMA temp_store = FILE;
PRAGMA cache_size = 10;
CREATE TEMP TABLE t AS SELECT * FROM item;
CREATE INDEX temp.t_name ON t(name);
SELECT count(*), min(name), max(name) FROM t;
SELECT name FROM t ORDER BY grp DESC, name LIMIT 3;
SQL
ls tmp | wc -l

part "errors"
st sqlite3 db.sqlite 'SELECT * FROM missing_table;'
: >not-a-db
echo "garbage garbage garbage garbage garbage garbage garbage garbage garbage" >>not-a-db
st sqlite3 not-a-db 'SELECT 1 FROM sqlite_master;'
st sqlite3 nodir/x.sqlite 'CREATE TABLE t(a);'
chmod 444 db.sqlite
st sqlite3 -readonly db.sqlite 'SELECT count(*) FROM item;'
chmod 644 db.sqlite
rm -f db-*.sqlite
files
