#!/usr/bin/env bash
# python3 on a work directory W: tempfile (dir=W and TMPDIR=W), shutil
# (copytree, copy2, move, rmtree), os.walk, os.scandir, pathlib, every open
# mode, os.replace, links, truncate, mmap, subprocess redirected into W.
# Prints relative paths and relations, never names tempfile made up.
# needs: python3
set -eu
. "$(dirname "$0")/common.sh"
# Debian's python3 when there is one: the same interpreter every run.
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
export TMPDIR=$W PYTHONDONTWRITEBYTECODE=1 PYTHONHASHSEED=0
"$py" - "$W" "$IN" <<'PY'
import ctypes, errno, filecmp, mmap, os, pathlib, shutil, stat, subprocess, sys, tempfile

W, IN = sys.argv[1], sys.argv[2]
os.chdir(W)

def part(t):
    print("==", t, flush=True)

def rel(p):
    return os.path.relpath(p, W)

def err(fn, *a, **k):
    try:
        r = fn(*a, **k)
        return "ok" if r is None else repr(r)
    except OSError as e:
        return "%s %s" % (type(e).__name__, errno.errorcode.get(e.errno, e.errno))

def walk(top):
    out = []
    for root, dirs, files in os.walk(top):
        dirs.sort()
        for n in sorted(dirs + files):
            p = os.path.join(root, n)
            st = os.lstat(p)
            kind = "l" if stat.S_ISLNK(st.st_mode) else "d" if stat.S_ISDIR(st.st_mode) else "f"
            size = st.st_size if kind != "d" else "-"
            out.append("%s %s %o %s %d" % (os.path.relpath(p, top), kind,
                                           stat.S_IMODE(st.st_mode), size, st.st_nlink))
    return out

part("tempfile")
print("gettempdir is W:", tempfile.gettempdir() == W)
fd, name = tempfile.mkstemp(dir=W, prefix="mk-", suffix=".txt")
print("mkstemp in W:", os.path.dirname(name) == W, "mode %o" % stat.S_IMODE(os.fstat(fd).st_mode))
os.write(fd, b"mkstemp data\n")
os.close(fd)
print("content:", open(name).read().strip())
os.unlink(name)
with tempfile.NamedTemporaryFile("w+", dir=W, delete=True) as f:
    f.write("named\n")
    f.flush()
    print("named exists while open:", os.path.exists(f.name))
    f.seek(0)
    print("named reads back:", f.read().strip())
    tname = f.name
print("named gone after close:", not os.path.exists(tname))
with tempfile.TemporaryFile() as f:
    f.write(b"x" * 10000)
    f.seek(0, os.SEEK_END)
    print("TemporaryFile size:", f.tell(), "nlink:", os.fstat(f.fileno()).st_nlink)
with tempfile.TemporaryDirectory() as d:
    print("TemporaryDirectory in W:", os.path.dirname(d) == W)
    os.makedirs(os.path.join(d, "a/b/c"))
    open(os.path.join(d, "a/b/c/f"), "w").write("deep")
    tdir = d
print("TemporaryDirectory removed:", not os.path.exists(tdir))
with tempfile.SpooledTemporaryFile(max_size=100) as f:
    f.write(b"y" * 1000)
    print("spooled rolled over:", f._rolled)
d = tempfile.mkdtemp()
print("mkdtemp mode %o" % stat.S_IMODE(os.stat(d).st_mode))
os.rmdir(d)
print("W holds nothing left by tempfile:", os.listdir(W) == [])

part("shutil.copytree, copy2, copyfile, copymode")
shutil.copytree(IN, "src", symlinks=True)
print("\n".join(walk("src")))
cmp = filecmp.dircmp(IN, "src")
print("dircmp diff:", cmp.diff_files, "left only:", cmp.left_only, "right only:", cmp.right_only)
a, b = os.stat(os.path.join(IN, "data/lines.txt")), os.stat("src/data/lines.txt")
print("copy2 kept mtime_ns:", a.st_mtime_ns == b.st_mtime_ns)
shutil.copytree("src/data", "derefd", symlinks=False)
print("followed link is a dir:", os.path.isdir("derefd/link-to-src") and not os.path.islink("derefd/link-to-src"))
shutil.copyfile("src/data/binary.bin", "copied.bin")
print("copyfile mode %o equal: %s" % (stat.S_IMODE(os.stat("copied.bin").st_mode),
                                      filecmp.cmp("copied.bin", "src/data/binary.bin", shallow=False)))
shutil.copymode("src/data/tool.sh", "copied.bin")
print("copymode %o" % stat.S_IMODE(os.stat("copied.bin").st_mode))
print("copytree onto existing:", err(shutil.copytree, "src", "src"))
os.makedirs("merged/data")
open("merged/data/lines.txt", "w").write("to be overwritten")
open("merged/mine", "w").write("kept")
shutil.copytree("src", "merged", dirs_exist_ok=True, symlinks=True)
print("copytree dirs_exist_ok:", open("merged/mine").read(),
      filecmp.cmp("merged/data/lines.txt", "src/data/lines.txt", shallow=False))
try:
    shutil.copyfile("copied.bin", "copied.bin")
except shutil.SameFileError:
    print("SameFileError")

part("shutil.move and os.replace, os.rename errors")
shutil.move("derefd", "moved")
print("moved:", os.path.isdir("moved"), os.path.exists("derefd"))
os.makedirs("into")
shutil.move("copied.bin", "into")
print("into:", sorted(os.listdir("into")))
open("r1", "w").write("one")
open("r2", "w").write("two")
ino = os.stat("r1").st_ino
os.replace("r1", "r2")
print("replace: r2 =", open("r2").read(), "same inode:", os.stat("r2").st_ino == ino,
      "r1 exists:", os.path.exists("r1"))
os.makedirs("full/x")
os.makedirs("empty")
print("rename dir onto non-empty dir:", err(os.rename, "empty", "full"))
print("rename file onto dir:", err(os.rename, "r2", "full"))
print("rename dir onto file:", err(os.rename, "empty", "r2"))
print("rename dir into itself:", err(os.rename, "full", "full/x/y"))
print("rename missing:", err(os.rename, "nope", "r3"))
os.rename("empty", "full/x/empty")
print("rename dir onto empty dir:", err(os.rename, "full/x/empty", "into/empty2"))

part("os.walk, topdown=False, scandir d_type")
print("\n".join(walk("moved")))
order = [rel(root) for root, dirs, files in os.walk("src", topdown=False)
         if dirs.sort() is None]
print("bottom-up dirs:", sorted(order))
for e in sorted(os.scandir("src/data"), key=lambda e: e.name):
    print(e.name, "dir" if e.is_dir(follow_symlinks=False) else "",
          "file" if e.is_file(follow_symlinks=False) else "",
          "link" if e.is_symlink() else "", e.stat(follow_symlinks=False).st_size
          if not e.is_dir(follow_symlinks=False) else "-")
print("walk with followlinks:", sum(len(f) for _, _, f in os.walk("src/data", followlinks=True)))

part("pathlib")
p = pathlib.Path("pl")
p.mkdir()
(p / "a.txt").write_text("alpha\n")
(p / "b.bin").write_bytes(bytes(range(256)) * 4)
(p / "sub").mkdir()
(p / "sub" / "c.txt").write_text("gamma\n")
print(sorted(str(x) for x in p.rglob("*")))
print(sorted(str(x) for x in p.glob("*.txt")))
print((p / "a.txt").read_text().strip(), (p / "b.bin").stat().st_size)
print("exists:", (p / "nope").exists(), "is_dir:", (p / "sub").is_dir(),
      "resolve relative:", os.path.relpath((p / "sub" / ".." / "a.txt").resolve(), W))
(p / "a.txt").rename(p / "sub" / "a2.txt")
(p / "link").symlink_to("sub/a2.txt")
print("link reads:", (p / "link").read_text().strip(), "readlink:", os.readlink(p / "link"))
(p / "hard").hardlink_to(p / "sub" / "c.txt")
print("nlink:", (p / "hard").stat().st_nlink)
print("mkdir existing:", err((p / "sub").mkdir))
print("rmdir non-empty:", err((p / "sub").rmdir))
(p / "sub" / "a2.txt").unlink()
print("dangling link exists:", (p / "link").exists(), "is_symlink:", (p / "link").is_symlink())
print("touch exist_ok=False:", err((p / "hard").touch, exist_ok=False))
print("cwd is W:", pathlib.Path.cwd() == pathlib.Path(W), "absolute():", rel(pathlib.Path("pl").absolute()))

part("open modes")
with open("m", "w") as f:
    f.write("12345")
with open("m", "a") as f:
    f.write("678")
    print("append tell:", f.tell())
with open("m", "r+") as f:
    f.seek(2)
    f.write("XY")
    f.seek(0)
    print("r+:", f.read())
with open("m", "a+") as f:
    print("a+ tell:", f.tell())
    f.seek(0)
    f.write("!")
    f.seek(0)
    print("a+ writes at the end:", f.read())
print("x on existing:", err(open, "m", "x"))
with open("new-x", "x") as f:
    f.write("exclusive")
with open("m", "w+") as f:
    print("w+ truncates:", repr(f.read()))
    f.write("abc")
with open("m", "rb") as f:
    f.seek(-2, os.SEEK_END)
    print("rb from end:", f.read())
with open("m", "rb", buffering=0) as f:
    print("unbuffered:", f.read(1), f.tell())
print("open a directory for writing:", err(open, "pl", "w"))
print("open missing:", err(open, "missing/file"))
print("open file as dir:", err(open, "m/x"))
fd = os.open("fl", os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o640)
print("O_CREAT mode %o" % stat.S_IMODE(os.fstat(fd).st_mode))
os.write(fd, b"hello world")
os.fsync(fd)
os.ftruncate(fd, 5)
os.close(fd)
print("after ftruncate:", open("fl").read())
os.truncate("fl", 8)
print("after truncate:", open("fl", "rb").read())
fd = os.open("fl", os.O_RDWR)
print("pread:", os.pread(fd, 3, 1), "pwrite:", os.pwrite(fd, b"ZZ", 6))
print("lseek SEEK_END:", os.lseek(fd, 0, os.SEEK_END), "readv:", os.preadv(fd, [bytearray(4), bytearray(4)], 0))
os.close(fd)
print("O_EXCL:", err(os.open, "fl", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
print("O_DIRECTORY on file:", err(os.open, "fl", os.O_RDONLY | os.O_DIRECTORY))
print("O_NOFOLLOW on link:", err(os.open, "pl/link", os.O_RDONLY | os.O_NOFOLLOW))

part("mmap")
def mmap_step(title, fn):
    try:
        print(title + ":", fn())
    except OSError as e:
        print(title + ": failed", type(e).__name__, errno.errorcode.get(e.errno, e.errno))

with open("mm", "wb") as f:
    f.write(b"\0" * 8192)
def shared_read_sees_write():
    with open("mm", "r+b") as f:
        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        os.pwrite(f.fileno(), b"LATER", 100)
        r = m[100:105]
        m.close()
        return r
def private_write_stays():
    with open("mm", "r+b") as f:
        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
        m[200:205] = b"COPY!"
        r = (m[200:205], os.pread(f.fileno(), 5, 200))
        m.close()
        return r
def shared_write_seen_by_read():
    with open("mm", "r+b") as f:
        m = mmap.mmap(f.fileno(), 0)
        m[0:5] = b"hello"
        m[4096:4101] = b"world"
        m.flush()
        m.close()
    with open("mm", "rb") as f:
        data = f.read()
    return (data[0:5], data[4096:4101], len(data))
def read_mapping():
    with open("mm", "rb") as f:
        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        r = (m[4096:4101], m.find(b"world"), m.find(b"LATER"))
        m.close()
        return r
mmap_step("shared read mapping sees a later pwrite", shared_read_sees_write)
mmap_step("private mapping's write stays private", private_write_stays)
mmap_step("shared mapping's writes seen by read", shared_write_seen_by_read)
mmap_step("read mapping", read_mapping)

part("stat fields, chmod, utime, links")
os.chmod("fl", 0o600)
os.utime("fl", ns=(1_000_000_123, 2_000_000_456))
st = os.stat("fl")
print("mode %o size %d nlink %d atime_ns %d mtime_ns %d" % (stat.S_IMODE(st.st_mode), st.st_size,
      st.st_nlink, st.st_atime_ns, st.st_mtime_ns))
os.link("fl", "fl2")
print("link nlink:", os.stat("fl").st_nlink, "samefile:", os.path.samefile("fl", "fl2"))
os.symlink("fl", "fls")
print("lstat is link:", stat.S_ISLNK(os.lstat("fls").st_mode), "size", os.lstat("fls").st_size)
print("symlink exists:", err(os.symlink, "x", "fls"))
print("link to dir:", err(os.link, "pl", "pl2"))
print("unlink dir:", err(os.unlink, "pl"))
print("rmdir file:", err(os.rmdir, "fl"))
print("access:", os.access("fl", os.R_OK), os.access("fl", os.X_OK), os.access("nope", os.F_OK))
print("listdir sorted:", sorted(os.listdir(".")))

part("sendfile, copy_file_range, holes, fallocate, O_TMPFILE")
src = os.open("fl", os.O_RDONLY)
dst = os.open("sf", os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
print("sendfile:", os.sendfile(dst, src, 0, 100), "copy_file_range:", os.copy_file_range(src, dst, 100, 2))
os.close(dst)
os.close(src)
print("sf:", open("sf", "rb").read())
fd = os.open("holey", os.O_CREAT | os.O_RDWR, 0o644)
os.pwrite(fd, b"data", 1 << 20)
os.truncate("holey", 3 << 20)
print("SEEK_DATA from 0:", err(os.lseek, fd, 0, os.SEEK_DATA), "SEEK_HOLE from 1M:",
      err(os.lseek, fd, 1 << 20, os.SEEK_HOLE), "SEEK_DATA past data:", err(os.lseek, fd, 2 << 20, os.SEEK_DATA))
os.posix_fallocate(fd, 0, 8192)
print("after posix_fallocate: blocks", os.fstat(fd).st_blocks, "SEEK_DATA from 0:", err(os.lseek, fd, 0, os.SEEK_DATA))
os.close(fd)
fd = os.open(".", os.O_TMPFILE | os.O_RDWR, 0o600)
os.write(fd, b"anonymous")
print("O_TMPFILE nlink:", os.fstat(fd).st_nlink, "mode %o" % stat.S_IMODE(os.fstat(fd).st_mode))
libc = ctypes.CDLL(None, use_errno=True)
r = libc.linkat(fd, b"", -100, b"tmpfile-empty", 0x1000)  # AT_FDCWD, AT_EMPTY_PATH
print("linkat AT_EMPTY_PATH:", "ok" if r == 0 else errno.errorcode.get(ctypes.get_errno()))
if r == 0:
    print("linked O_TMPFILE:", open("tmpfile-empty").read(), os.stat("tmpfile-empty").st_nlink)
os.close(fd)
for e in sorted(os.scandir("."), key=lambda e: e.name):
    if e.inode() != os.stat(e.name, follow_symlinks=False).st_ino:
        print("scandir inode differs from lstat:", e.name)
os.utime("fls", ns=(5, 6), follow_symlinks=False)
print("lutimes on a link:", os.lstat("fls").st_mtime_ns, "target untouched:", os.stat("fl").st_mtime_ns)

part("extended attributes")
open("xa", "w").write("x")
print("setxattr user.one:", err(os.setxattr, "xa", "user.one", b"1"))
print("setxattr user.two:", err(os.setxattr, "xa", "user.two", b"22"))
print("listxattr:", err(lambda: sorted(os.listxattr("xa"))))
print("getxattr:", err(os.getxattr, "xa", "user.two"))
print("getxattr missing:", err(os.getxattr, "xa", "user.none"))
print("XATTR_CREATE on existing:", err(os.setxattr, "xa", "user.one", b"x", os.XATTR_CREATE))
print("XATTR_REPLACE missing:", err(os.setxattr, "xa", "user.three", b"x", os.XATTR_REPLACE))
print("removexattr:", err(os.removexattr, "xa", "user.one"), err(lambda: sorted(os.listxattr("xa"))))
print("xattr on a symlink (user.* refused):", err(os.setxattr, "fls", "user.l", b"1", follow_symlinks=False))
r = subprocess.run(["cp", "-a", "xa", "xa-copy"], capture_output=True, text=True)
print("cp -a keeps xattrs:", r.returncode, err(lambda: sorted(os.listxattr("xa-copy"))))

part("subprocess with output into W")
with open("sub.out", "w") as out:
    subprocess.run(["sh", "-c", "echo from child; echo err from child >&2; ls pl"], stdout=out,
                   stderr=subprocess.STDOUT, check=True)
print(open("sub.out").read(), end="")
r = subprocess.run(["cat", "m"], capture_output=True)
print("cat m:", r.stdout, r.returncode)
r = subprocess.run("sort -r < src/data/lines.txt | head -2 > sorted.out", shell=True)
print("shell pipeline:", r.returncode, open("sorted.out").read().split("\n")[:2])

part("shutil.rmtree and disk state")
shutil.rmtree("src")
print("rmtree missing:", err(shutil.rmtree, "src"))
shutil.rmtree("moved")
print("\n".join(walk(".")))
PY
echo "python exit: $?"
