/*
 * vfs/walk.c: the path walk, against the kernel. The same tree is built on
 * tmpfs (BASE/kern/fs and BASE/kern/hfs) and on two mounts (a memfs at
 * BASE/virt/fs, a hostfs at BASE/virt/hfs over BASE/hsrc); each path is
 * resolved by the kernel from the kern side and by sy_walk from the virt
 * side, and both answers are printed relative to their side ("%/fs/a/f d"
 * or "E<errno name>"). Where the walk hands a path to the kernel (return 1,
 * or an end on the kernel's side), the kernel finishes it as the router
 * would have it do.
 *
 * Cases marked KNOWN are differences the walk has today: they are printed,
 * and fail only with SY_UNIT_STRICT=1 in the environment.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hostfs.h"
#include "layer.h"
#include "memfs.h"
#include "sy.h"

#define KNOWN 0x1000	 /* a case the walk gets wrong today (see the report) */
#define RESOLVE_SHIFT 16 /* openat2 RESOLVE_* bits, in a case's `how` */

static char base[64];			       /* BASE */
static char kern[96], virt[96];		       /* BASE/kern, BASE/virt */
static const char *fsnames[2] = {"fs", "hfs"}; /* memfs, hostfs */
static int strict;

/* One side of a comparison: the kernel's tree or the mounts. */
struct side {
	const char *top; /* BASE/kern or BASE/virt */
	const char *fs;	 /* "fs" or "hfs" */
	int dfd, ffd;	 /* fds of @/a and @/a/f (virtual fds on the virt side) */
};

/* ---- the tree ---- */

/* "d NAME", "f NAME", "l NAME TARGET"; in targets @ is the tree's root and
 * % the side's top, both absolute. */
static const char *tree[] = {
    "d a",
    "d a/b",
    "f a/f",
    "f a/b/f",
    "d a/b/c",
    "l a/rel b/f",
    "l a/up ../a/b",
    "l a/absin @/a/b/f",
    "l a/absout %/out/o",
    "l a/absoutdir %/out",
    "l a/dangling nope",
    "l a/chain1 chain2",
    "l a/chain2 chain3",
    "l a/chain3 b/f",
    "l a/loop1 loop2",
    "l a/loop2 loop1",
    "l a/self self",
    "l a/dirlink b",
    "l a/filelink f",
    "l a/rootlink /f",
    "l a/toroot ..",
    "l a/abovelink ../..",
    "l a/b/c/deep ../../f",
    "f f",
};

/* Chains of 40 and 41 symlinks ending at a/f: the kernel's limit is 40. */
#define CHAIN_A 40
#define CHAIN_B 41

static void subst(const char *in, const struct side *s, char *out, size_t size)
{
	size_t at = 0;
	for (; *in && at + 1 < size; in++) {
		char tmp[PATH_MAX];
		const char *put = NULL;
		if (*in == '@')
			snprintf(tmp, sizeof(tmp), "%s/%s", s->top, s->fs), put = tmp;
		else if (*in == '%')
			put = s->top;
		else if (*in == '#')
			put = s->fs;
		else if (*in == '&')
			snprintf(tmp, sizeof(tmp), "%d", s->dfd), put = tmp;
		else if (*in == '^')
			snprintf(tmp, sizeof(tmp), "%d", s->ffd), put = tmp;
		if (put) {
			size_t n = strlen(put);
			if (at + n + 1 > size)
				break;
			memcpy(out + at, put, n);
			at += n;
		} else {
			out[at++] = *in;
		}
	}
	out[at] = 0;
}

/* Makes one entry with kernel calls under root (an absolute directory). */
static void kernel_make(const char *root, const char *kind, const char *name, const char *target)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", root, name);
	int r;
	if (kind[0] == 'd')
		r = mkdir(p, 0755);
	else if (kind[0] == 'f') {
		r = open(p, O_CREAT | O_WRONLY | O_EXCL, 0644);
		if (r >= 0)
			r = close(r);
	} else
		r = symlink(target, p);
	if (r != 0)
		fail_msg("making %s: %s", p, strerror(errno));
}

/* The node at rel (no symlinks) under a mount's root, held. */
static struct sy_vfs_node *mount_node(struct sy_mount *m, const char *rel)
{
	struct sy_vfs_node *cur = m->root;
	m->be->hold(m->fs, cur);
	char buf[PATH_MAX];
	snprintf(buf, sizeof(buf), "%s", rel);
	for (char *save, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		struct sy_vfs_node *next;
		int r = m->be->lookup(m->fs, cur, c, &next);
		m->be->release(m->fs, cur);
		if (r != 0)
			fail_msg("lookup %s in %s: %d", c, rel, r);
		cur = next;
	}
	return cur;
}

static void mount_make(struct sy_mount *m, const char *kind, const char *name, const char *target)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", name);
	char *slash = strrchr(dir, '/');
	const char *leaf = name;
	if (slash) {
		*slash = 0;
		leaf = slash + 1;
	} else {
		dir[0] = 0;
	}
	struct sy_vfs_node *d = mount_node(m, dir);
	int r;
	if (kind[0] == 'd')
		r = m->be->mkdir(m->fs, d, leaf, S_IFDIR | 0755, NULL, NULL);
	else if (kind[0] == 'f')
		r = m->be->create(m->fs, d, leaf, S_IFREG | 0644, 0, NULL, NULL);
	else
		r = m->be->symlink(m->fs, d, leaf, target, NULL, NULL);
	m->be->release(m->fs, d);
	if (r != 0)
		fail_msg("making %s in %s: %d", name, m->path, r);
}

/* Builds the tree: with m, through the backend; else by kernel calls in
 * dir. Targets are made for side s. */
static void build(struct sy_mount *m, const char *dir, const struct side *s)
{
	char line[PATH_MAX], target[PATH_MAX];
	for (size_t i = 0; i < sizeof(tree) / sizeof(tree[0]); i++) {
		snprintf(line, sizeof(line), "%s", tree[i]);
		char *kind = strtok(line, " ");
		char *name = strtok(NULL, " ");
		char *t = strtok(NULL, " ");
		if (t)
			subst(t, s, target, sizeof(target));
		if (m)
			mount_make(m, kind, name, t ? target : NULL);
		else
			kernel_make(dir, kind, name, t ? target : NULL);
	}
	for (int n = CHAIN_A; n <= CHAIN_B; n++)
		for (int i = 1; i <= n; i++) {
			char name[64], next[64];
			snprintf(name, sizeof(name), "a/c%d_%d", n, i);
			if (i < n)
				snprintf(next, sizeof(next), "c%d_%d", n, i + 1);
			else
				snprintf(next, sizeof(next), "f");
			if (m)
				mount_make(m, "l", name, next);
			else
				kernel_make(dir, "l", name, next);
		}
}

/* ---- the mounts ---- */

static void mount_add(int i, const char *name, const struct sy_vfs_backend *be,
		      const struct sy_vfs_option *opts, int nopts)
{
	struct sy_mount *m = &sy_mounts[i];
	memset(m, 0, sizeof(*m));
	m->index = i;
	snprintf(m->path, sizeof(m->path), "%s/%s", virt, name);
	m->pathlen = strlen(m->path);
	m->base = strrchr(m->path, '/') + 1;
	m->baselen = strlen(m->base);
	m->be = be;
	m->dev = 0xf00 + (unsigned)i;
	char err[256] = "";
	if (be->mount(opts, nopts, &m->fs, err, sizeof(err)) != 0)
		fail_msg("mount %s: %s", name, err);
	m->root = be->root(m->fs);
	sy_nmounts = i + 1;
}

static int rm_rf(const char *path)
{
	char cmd[PATH_MAX + 32];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	return system(cmd);
}

static int group_setup(void **state)
{
	(void)state;
	strict = getenv("SY_UNIT_STRICT") != NULL;
	snprintf(base, sizeof(base), "/dev/shm/sy-walk-XXXXXX");
	if (!mkdtemp(base))
		return -1;
	snprintf(kern, sizeof(kern), "%s/kern", base);
	snprintf(virt, sizeof(virt), "%s/virt", base);
	char p[PATH_MAX];
	const char *dirs[] = {"kern",	  "virt",     "kern/fs",      "kern/hfs",    "hsrc",
			      "kern/out", "virt/out", "kern/out/sub", "virt/out/sub"};
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", base, dirs[i]);
		if (mkdir(p, 0755) != 0)
			return -1;
	}
	const char *top[2] = {kern, virt};
	for (int i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/out/o", top[i]);
		close(open(p, O_CREAT | O_WRONLY, 0644));
		/* a kernel-side symlink beside the mounts */
		char t[PATH_MAX];
		snprintf(t, sizeof(t), "%s/out/sub", top[i]);
		snprintf(p, sizeof(p), "%s/kl", top[i]);
		if (symlink(t, p) != 0)
			return -1;
	}

	sy_fd_map_setup();
	sy_vfd_setup();
	struct sy_vfs_option mopt = {"size", "4M"};
	mount_add(0, "fs", sy_memfs_backend(), &mopt, 1);
	snprintf(p, sizeof(p), "%s/hsrc", base);
	struct sy_vfs_option hopt[2] = {{"source", p}, {"readonly", "no"}};
	mount_add(1, "hfs", sy_hostfs_backend(), hopt, 2);

	struct side kfs = {kern, "fs", -1, -1}, khfs = {kern, "hfs", -1, -1};
	struct side vfs_ = {virt, "fs", -1, -1}, vhfs = {virt, "hfs", -1, -1};
	snprintf(p, sizeof(p), "%s/fs", kern);
	build(NULL, p, &kfs);
	snprintf(p, sizeof(p), "%s/hfs", kern);
	build(NULL, p, &khfs);
	build(&sy_mounts[0], NULL, &vfs_);
	snprintf(p, sizeof(p), "%s/hsrc", base);
	build(NULL, p, &vhfs);
	if (chdir(base) != 0)
		return -1;
	sy_cwd_refresh();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	sy_loc_drop(&sy_cwd);
	for (int i = 0; i < sy_nmounts; i++) {
		sy_mounts[i].be->release(sy_mounts[i].fs, sy_mounts[i].root);
		sy_mounts[i].be->unmount(sy_mounts[i].fs);
	}
	sy_nmounts = 0;
	if (chdir("/") != 0)
		return -1;
	rm_rf(base);
	return 0;
}

/* ---- answers ---- */

static char type_char(mode_t mode)
{
	return S_ISDIR(mode) ? 'd' : S_ISREG(mode) ? 'f' : S_ISLNK(mode) ? 'l' : '?';
}

static void err_answer(int e, char *res, size_t size)
{
	const char *n = strerrorname_np(e);
	snprintf(res, size, "E%s", n ? n : "?");
}

/* path with BASE/kern or BASE/virt at its start written as "%". */
static void relative(const char *path, char *out, size_t size)
{
	size_t kl = strlen(kern);
	if ((strncmp(path, kern, kl) == 0 || strncmp(path, virt, kl) == 0) &&
	    (path[kl] == '/' || path[kl] == 0))
		snprintf(out, size, "%%%s", path + kl);
	else
		snprintf(out, size, "%s", path);
}

/* The kernel's resolution of path from dirfd: O_PATH, O_NOFOLLOW unless
 * WALK_FOLLOW, openat2's resolve flags from how. */
static void kernel_answer(int dirfd, const char *path, int how, char *res, size_t size)
{
	struct open_how oh = {.flags = O_PATH | O_CLOEXEC | ((how & WALK_FOLLOW) ? 0 : O_NOFOLLOW),
			      .resolve = (unsigned)how >> RESOLVE_SHIFT};
	int fd = (int)syscall(SYS_openat2, dirfd, path, &oh, sizeof(oh));
	if (fd < 0) {
		err_answer(errno, res, size);
		return;
	}
	char p[64], link[PATH_MAX];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(p, link, sizeof(link) - 1);
	struct stat st;
	if (n < 0 || fstat(fd, &st) != 0)
		fail_msg("cannot read back %s", path);
	link[n] = 0;
	close(fd);
	char rel[PATH_MAX];
	relative(link, rel, sizeof(rel));
	snprintf(res, size, "%s %c", rel, type_char(st.st_mode));
}

static int walk_how(int how)
{
	unsigned res = (unsigned)how >> RESOLVE_SHIFT;
	int w = how & WALK_FOLLOW;
	if (res & RESOLVE_NO_SYMLINKS)
		w |= WALK_NO_SYMLINKS;
	if (res & RESOLVE_BENEATH)
		w |= WALK_BENEATH;
	if (res & RESOLVE_NO_XDEV)
		w |= WALK_NO_XDEV;
	if (res & RESOLVE_IN_ROOT)
		w |= WALK_IN_ROOT;
	return w;
}

/* The walk's resolution, finished by the kernel where the walk leaves it
 * the path. start: a relative walk's start (else the cwd). */
static void walk_answer(const struct loc *start, const char *path, int how, char *res, size_t size)
{
	struct loc out;
	int flags = -1;
	int r = start ? sy_walk_from(-1, start, path, walk_how(how), &out, NULL, &flags)
		      : sy_walk(AT_FDCWD, path, walk_how(how), &out, NULL, &flags);
	if (r < 0) {
		err_answer(-r, res, size);
		return;
	}
	if (r == 1) { /* the kernel takes the call as it is */
		assert_null(start);
		kernel_answer(AT_FDCWD, path, how, res, size);
		return;
	}
	assert_int_equal(r, 0);
	if (!out.m) {
		char p[PATH_MAX + 1];
		snprintf(p, sizeof(p), "%s%s", out.path,
			 (flags & WALK_DIR) && strcmp(out.path, "/") ? "/" : "");
		kernel_answer(AT_FDCWD, p, how & WALK_FOLLOW, res, size);
		return;
	}
	struct sy_mount *m = out.m;
	struct sy_vfs_attr a;
	assert_int_equal(m->be->getattr(m->fs, out.node, &a), 0);
	/* the path the walk gives leads back to the same node */
	assert_memory_equal(out.path, m->path, m->pathlen);
	struct loc again;
	assert_int_equal(sy_walk(AT_FDCWD, out.path, 0, &again, NULL, NULL), 0);
	assert_ptr_equal(again.m, m);
	assert_int_equal(m->be->node_id(m->fs, again.node), m->be->node_id(m->fs, out.node));
	sy_loc_drop(&again);
	char rel[PATH_MAX];
	relative(out.path, rel, sizeof(rel));
	snprintf(res, size, "%s %c", rel, type_char(a.mode));
	sy_loc_drop(&out);
}

struct wcase {
	const char *path; /* with @ % # & ^ as in subst() */
	int how;	  /* WALK_FOLLOW, KNOWN, RESOLVE_* << RESOLVE_SHIFT */
};

enum cwd_kind {
	CWD_TOP, /* the kernel's cwd, at BASE/kern or BASE/virt */
	CWD_IN,	 /* @/a: a virtual cwd on the virt side */
	START_IN /* relative to a start at @/a (openat2 with a dirfd) */
};

/* Sets the cwd of side s (the walk's cwd too, for the virt side). */
static void set_cwd(enum cwd_kind kind, const struct side *s, int virtual_side)
{
	char p[PATH_MAX];
	sy_loc_drop(&sy_cwd);
	memset(&sy_cwd, 0, sizeof(sy_cwd));
	if (kind == CWD_IN && virtual_side) {
		/* the kernel's cwd elsewhere: nothing may resolve through it */
		assert_int_equal(chdir("/"), 0);
		subst("@/a", s, p, sizeof(p));
		assert_int_equal(sy_walk(AT_FDCWD, p, WALK_FOLLOW, &sy_cwd, NULL, NULL), 0);
		assert_non_null(sy_cwd.m);
		return;
	}
	subst(kind == CWD_IN ? "@/a" : "%", s, p, sizeof(p));
	assert_int_equal(chdir(p), 0);
	sy_cwd_refresh();
}

/* Runs every case on both file systems; returns the number of differences
 * that count. */
static int run_cases(const struct wcase *cases, size_t n, enum cwd_kind kind)
{
	int bad = 0;
	for (int f = 0; f < 2; f++) {
		struct side k = {kern, fsnames[f], -1, -1}, v = {virt, fsnames[f], -1, -1};
		char p[PATH_MAX];
		int kdir = -1;
		struct loc start = {0};
		if (kind == START_IN) {
			subst("@/a", &k, p, sizeof(p));
			kdir = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
			assert_true(kdir >= 0);
			subst("@/a", &v, p, sizeof(p));
			assert_int_equal(sy_walk(AT_FDCWD, p, WALK_FOLLOW, &start, NULL, NULL), 0);
		}
		for (size_t i = 0; i < n; i++) {
			char kp[PATH_MAX + 64], vp[PATH_MAX + 64], kres[PATH_MAX + 8],
			    vres[PATH_MAX + 8];
			subst(cases[i].path, &k, kp, sizeof(kp));
			subst(cases[i].path, &v, vp, sizeof(vp));
			int how = cases[i].how & ~KNOWN;
			set_cwd(kind, &k, 0);
			kernel_answer(kind == START_IN ? kdir : AT_FDCWD, kp, how, kres,
				      sizeof(kres));
			set_cwd(kind, &v, 1);
			walk_answer(kind == START_IN ? &start : NULL, vp, how, vres, sizeof(vres));
			/* the quick answer never sends a path that enters a mount
			 * straight to the kernel */
			if (kind != START_IN && !sy_walk_may_enter(AT_FDCWD, vp)) {
				struct loc out;
				int r = sy_walk(AT_FDCWD, vp, walk_how(how), &out, NULL, NULL);
				if (r == 0)
					sy_loc_drop(&out);
				if (r == 0) {
					print_message("may_enter said 0 for %s (%s)\n",
						      cases[i].path, fsnames[f]);
					bad++;
				}
			}
			if (strcmp(kres, vres) == 0) {
				if (cases[i].how & KNOWN)
					print_message("KNOWN case now agrees: %s\n", cases[i].path);
				continue;
			}
			int counts = !(cases[i].how & KNOWN) || strict;
			print_message("%s %s [%s how=%#x]: kernel \"%s\", walk \"%s\"\n",
				      counts ? "DIFFERS" : "KNOWN", cases[i].path, fsnames[f],
				      (unsigned)how, kres, vres);
			bad += counts;
		}
		if (kdir >= 0)
			close(kdir);
		sy_loc_drop(&start);
	}
	set_cwd(CWD_TOP, &(struct side){virt, "fs", -1, -1}, 1);
	return bad;
}

#define NOFOLLOW 0
#define FOLLOW WALK_FOLLOW

/* Each path with and without WALK_FOLLOW. */
static const char *abs_paths[] = {
    "@",
    "@/",
    "@/a",
    "@/a/",
    "@/a/f",
    "@/a/f/",
    "@/a/f/.",
    "@/a/f/..",
    "@/a/f/x",
    "@/a/b/f",
    "@/a/./b/./f",
    "@//a//b//f",
    "@/a/b/../f",
    "@/a/b/../../a/f",
    "@/a/b/c/../..",
    "@/..",
    "@/../",
    "@/../#/a/f",
    "@/../..",
    "@/a/../..",
    "@/a/../../out/o",
    "@/a/../../kl",
    "@/nope",
    "@/nope/",
    "@/nope/x",
    "@/nope/..",
    "@/a/rel",
    "@/a/rel/",
    "@/a/up",
    "@/a/up/f",
    "@/a/up/..",
    "@/a/absin",
    "@/a/absout",
    "@/a/absout/",
    "@/a/absoutdir",
    "@/a/absoutdir/",
    "@/a/absoutdir/o",
    "@/a/absoutdir/../#/a/f",
    "@/a/absoutdir/../#/a/absin",
    "@/a/dangling",
    "@/a/dangling/",
    "@/a/chain1",
    "@/a/chain1/",
    "@/a/loop1",
    "@/a/loop1/x",
    "@/a/self",
    "@/a/dirlink",
    "@/a/dirlink/",
    "@/a/dirlink/f",
    "@/a/dirlink/..",
    "@/a/filelink",
    "@/a/filelink/",
    "@/a/filelink/x",
    "@/a/rootlink",
    "@/a/toroot",
    "@/a/toroot/a/f",
    "@/a/toroot/..",
    "@/a/abovelink",
    "@/a/abovelink/out/o",
    "@/a/abovelink/#/a/f",
    "@/a/b/c/deep",
    "@/a/c40_1",
    "@/a/c40_1/",
    "@/a/c41_1",
    "@/a/c40_2/",
    "@/a/c41_2",
    "%/#",
    "%/#/",
    "%//#//a///f",
    "%/#/.",
    "%/#/..",
    "%/out/o",
    "%/out/../#/a",
    "/",
    "//",
    "/..",
    "",
};

/* Paths the kernel and the walk resolve differently today, with the
 * difference they show (see the report). */
static const struct wcase abs_known[] = {
    /* the kernel's side is kept as text: `..` after a name that does not
     * exist, is a file or is a symlink goes up lexically */
    {"%/nope/../#/a/f", KNOWN},
    {"%/out/o/../../#/a/f", KNOWN},
    {"%/kl/../#/a/f", KNOWN},
};

static void test_absolute(void **state)
{
	(void)state;
	size_t n = sizeof(abs_paths) / sizeof(abs_paths[0]);
	struct wcase *cases = calloc(2 * n, sizeof(*cases));
	for (size_t i = 0; i < n; i++) {
		cases[2 * i] = (struct wcase){abs_paths[i], NOFOLLOW};
		cases[2 * i + 1] = (struct wcase){abs_paths[i], FOLLOW};
	}
	int bad = run_cases(cases, 2 * n, CWD_TOP);
	bad += run_cases(abs_known, sizeof(abs_known) / sizeof(abs_known[0]), CWD_TOP);
	free(cases);
	assert_int_equal(bad, 0);
}

static void test_relative_from_kernel_cwd(void **state)
{
	(void)state;
	static const struct wcase cases[] = {
	    {"#", NOFOLLOW},
	    {"#", FOLLOW},
	    {"#/", FOLLOW},
	    {"./#/a/f", FOLLOW},
	    {"#/a/rel", FOLLOW},
	    {"#/a/rel", NOFOLLOW},
	    {"#/..", FOLLOW},
	    {"#/../#/a", FOLLOW},
	    {"#/../out/o", FOLLOW},
	    {"#/a/../../out", FOLLOW},
	    {"#/a/absoutdir/o", FOLLOW},
	    {"#/a/toroot/../..", FOLLOW},
	    {"out/o", FOLLOW},
	    {"out/../#/a/f", FOLLOW},
	    {"kl", NOFOLLOW},
	    {"kl/", NOFOLLOW},
	    {"nope", FOLLOW},
	    {".", FOLLOW},
	    {"..", FOLLOW},
	    {"nope/../#/a/f", KNOWN | FOLLOW},
	    {"kl/../#/a/f", KNOWN | FOLLOW},
	};
	assert_int_equal(run_cases(cases, sizeof(cases) / sizeof(cases[0]), CWD_TOP), 0);
}

static void test_relative_from_virtual_cwd(void **state)
{
	(void)state;
	static const struct wcase cases[] = {
	    {"f", FOLLOW},
	    {"f", NOFOLLOW},
	    {"b/f", FOLLOW},
	    {"b/../f", FOLLOW},
	    {".", FOLLOW},
	    {"./", FOLLOW},
	    {"..", FOLLOW},
	    {"../..", FOLLOW},
	    {"../../out/o", FOLLOW},
	    {"../../#/a/f", FOLLOW},
	    {"../../kl", NOFOLLOW},
	    {"rel", FOLLOW},
	    {"rel", NOFOLLOW},
	    {"absout", FOLLOW},
	    {"absin", FOLLOW},
	    {"nope", FOLLOW},
	    {"nope/x", FOLLOW},
	    {"f/", FOLLOW},
	    {"f/x", FOLLOW},
	    {"loop1", FOLLOW},
	    {"c41_1", FOLLOW},
	    {"/proc/self/cwd/b/f", FOLLOW},
	    {"/proc/self/cwd", FOLLOW},
	    {"/proc/self/cwd/", FOLLOW},
	    {"/proc/self/cwd/..", FOLLOW},
	    {"/proc/self/cwd/../..", FOLLOW},
	    {"/proc/thread-self/cwd/f", FOLLOW},
	    {"/dev/fd/../cwd/f", KNOWN | FOLLOW}, /* /dev/fd is a kernel symlink */
	    /* lstat("/proc/self/cwd") is the magic link's, not the directory's */
	    {"/proc/self/cwd", NOFOLLOW},
	};
	assert_int_equal(run_cases(cases, sizeof(cases) / sizeof(cases[0]), CWD_IN), 0);
}

#define R(x) ((RESOLVE_##x) << RESOLVE_SHIFT)

static void test_resolve_flags(void **state)
{
	(void)state;
	static const struct wcase cases[] = {
	    {"f", FOLLOW | R(BENEATH)},
	    {"b/../f", FOLLOW | R(BENEATH)},
	    {"..", FOLLOW | R(BENEATH)},
	    {"b/../..", FOLLOW | R(BENEATH)},
	    {"b/c/../../f", FOLLOW | R(BENEATH)},
	    {"@/a/f", FOLLOW | R(BENEATH)},
	    {"rel", FOLLOW | R(BENEATH)},
	    {"up", FOLLOW | R(BENEATH)},
	    {"absin", FOLLOW | R(BENEATH)},
	    {"toroot", FOLLOW | R(BENEATH)},
	    {"b/c/deep", FOLLOW | R(BENEATH)},
	    {"dirlink/../f", FOLLOW | R(BENEATH)},
	    {"rel", FOLLOW | R(NO_SYMLINKS)},
	    {"rel", NOFOLLOW | R(NO_SYMLINKS)},
	    {"dirlink/f", NOFOLLOW | R(NO_SYMLINKS)},
	    {"dirlink/", NOFOLLOW | R(NO_SYMLINKS)},
	    {"b/f", FOLLOW | R(NO_SYMLINKS)},
	    {"f", FOLLOW | R(IN_ROOT)},
	    {"..", FOLLOW | R(IN_ROOT)},
	    {"../../f", FOLLOW | R(IN_ROOT)},
	    {"/f", FOLLOW | R(IN_ROOT)},
	    {"/", FOLLOW | R(IN_ROOT)},
	    {"rootlink", FOLLOW | R(IN_ROOT)},
	    {"toroot", FOLLOW | R(IN_ROOT)},
	    {"toroot/f", FOLLOW | R(IN_ROOT)},
	    {"abovelink/a/f", FOLLOW | R(IN_ROOT)},
	    {"b/c/deep", FOLLOW | R(IN_ROOT)},
	    {"../b/..", FOLLOW | R(IN_ROOT)},
	    /* IN_ROOT counts no `..` after a descent: it climbs above the
	     * root, even out of the mount */
	    {"b/../..", FOLLOW | R(IN_ROOT)},
	    {"b/c/../../..", FOLLOW | R(IN_ROOT)},
	    {"dirlink/../../f", FOLLOW | R(IN_ROOT)},
	    {"b/../../../out/o", FOLLOW | R(IN_ROOT)},
	    {"b/f", FOLLOW | R(NO_XDEV)},
	    {"b/..", FOLLOW | R(NO_XDEV)},
	    {"rel", FOLLOW | R(NO_XDEV)},
	    {"up/f", FOLLOW | R(NO_XDEV)},
	};
	assert_int_equal(run_cases(cases, sizeof(cases) / sizeof(cases[0]), START_IN), 0);
}

/* Crossing a mount with NO_XDEV: the kernel's tree has no mount there, so
 * the expectations are written out. */
static void test_no_xdev_crossing(void **state)
{
	(void)state;
	char p[PATH_MAX];
	struct loc out, start;
	snprintf(p, sizeof(p), "%s/fs/a", virt);
	assert_int_equal(sy_walk(AT_FDCWD, p, WALK_FOLLOW, &start, NULL, NULL), 0);
	const char *exdev[] = {"../..", "../../fs", "absout", "absoutdir/o", "abovelink"};
	for (size_t i = 0; i < sizeof(exdev) / sizeof(exdev[0]); i++)
		assert_int_equal(sy_walk_from(-1, &start, exdev[i], WALK_FOLLOW | WALK_NO_XDEV,
					      &out, NULL, NULL),
				 -EXDEV);
	/* an absolute path into a mount from the kernel's side crosses it */
	assert_int_equal(sy_walk(AT_FDCWD, p, WALK_FOLLOW | WALK_NO_XDEV, &out, NULL, NULL),
			 -EXDEV);
	/* ...as a relative one from the cwd beside it */
	assert_int_equal(sy_walk(AT_FDCWD, "fs", WALK_FOLLOW | WALK_NO_XDEV, &out, NULL, NULL),
			 -EXDEV);
	assert_int_equal(
	    sy_walk_from(-1, &start, "b/f", WALK_FOLLOW | WALK_NO_XDEV, &out, NULL, NULL), 0);
	sy_loc_drop(&out);
	sy_loc_drop(&start);
}

/* Sanity of the oracle itself: some answers written out. */
static void test_fixed_answers(void **state)
{
	(void)state;
	char p[PATH_MAX], res[PATH_MAX];
	struct {
		const char *path;
		int how;
		const char *want;
	} fixed[] = {
	    {"@/a/c40_1", FOLLOW, "%/fs/a/f f"},      {"@/a/c41_1", FOLLOW, "EELOOP"},
	    {"@/a/loop1", FOLLOW, "EELOOP"},	      {"@/a/loop1", NOFOLLOW, "%/fs/a/loop1 l"},
	    {"@/a/absout", FOLLOW, "%/out/o f"},      {"@/..", FOLLOW, "% d"},
	    {"@/a/f/", NOFOLLOW, "EENOTDIR"},	      {"@/a/dangling", FOLLOW, "EENOENT"},
	    {"@/a/dirlink/", NOFOLLOW, "%/fs/a/b d"},
	};
	struct side v = {virt, "fs", -1, -1};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		subst(fixed[i].path, &v, p, sizeof(p));
		walk_answer(NULL, p, fixed[i].how, res, sizeof(res));
		assert_string_equal(res, fixed[i].want);
	}
}

/* ENAMETOOLONG: a component over 255 bytes, a path of 4096 bytes or more. */
static void test_name_too_long(void **state)
{
	(void)state;
	char name[300], p[8192];
	int bad = 0;
	for (int len = 255; len <= 256; len++) {
		memset(name, 'x', (size_t)len);
		name[len] = 0;
		/* at 255 the kernel's side is text: "%/x.../.." goes up */
		struct wcase c[3] = {
		    {NULL, FOLLOW}, {NULL, FOLLOW}, {NULL, FOLLOW | (len == 255 ? KNOWN : 0)}};
		char a[400], b[400], d[400];
		snprintf(a, sizeof(a), "@/%s", name);
		snprintf(b, sizeof(b), "@/a/%s/f", name);
		snprintf(d, sizeof(d), "%%/%s/../#", name);
		c[0].path = a;
		c[1].path = b;
		c[2].path = d;
		bad += run_cases(c, 3, CWD_TOP);
	}
	/* whole paths of 4095 and 4096 bytes ("@/a/" then "./" then "f") */
	for (size_t total = 4094; total <= 4097; total++) {
		struct side v = {virt, "fs", -1, -1};
		char root[PATH_MAX];
		subst("@/a/", &v, root, sizeof(root));
		size_t at = strlen(root);
		memcpy(p, "@/a/", 5);
		size_t pat = 4;
		while (at + 1 < total) {
			p[pat++] = '.';
			p[pat++] = '/';
			at += 2;
		}
		if (at < total)
			p[pat++] = 'f', at++;
		else
			p[pat - 1] = 'f'; /* "./" -> ".f": still a missing name */
		p[pat] = 0;
		struct wcase c[1] = {{p, FOLLOW}};
		bad += run_cases(c, 1, CWD_TOP);
	}
	assert_int_equal(bad, 0);
}

/* WALK_PARENT: the directory holding the last component, and its name. */
static void test_parent(void **state)
{
	(void)state;
	struct {
		const char *path;
		int ret;
		const char *dir; /* relative to BASE/virt as "%..." */
		const char *last;
		int dirflag;
		int known;
	} cases[] = {
	    {"@/a/b/f", 0, "%/fs/a/b", "f", 0, 0},
	    {"@/a/b/", 0, "%/fs/a", "b", WALK_DIR, 0},
	    {"@/a/b//", 0, "%/fs/a", "b", WALK_DIR, 0},
	    {"@/a/new", 0, "%/fs/a", "new", 0, 0},
	    {"@/a/.", 0, "%/fs/a", ".", 0, 0},
	    {"@/a/..", 0, "%/fs/a", "..", 0, 0},
	    {"@/a/rel", 0, "%/fs/a", "rel", 0, 0},	    /* the last is not followed */
	    {"@/a/dirlink/f", 0, "%/fs/a/b", "f", 0, 0},    /* the others are */
	    {"@/a/absoutdir/new", 0, "%/out", "new", 0, 0}, /* ...out of the mount */
	    {"@/nope/new", -ENOENT, NULL, NULL, 0, 0},
	    {"@/a/f/new", -ENOTDIR, NULL, NULL, 0, 0},
	    {"@/a/loop1/new", -ELOOP, NULL, NULL, 0, 0},
	    {"@/x", 0, "%/fs", "x", 0, 0},
	    /* the mount point itself: the walk must say so (0), or mkdir and
	     * rmdir of it reach the kernel's directory under the mount */
	    {"@", 0, "%", "fs", 0, 0},
	    {"@/..", 0, "%/fs", "..", 0, 0},
	    {"%/out/new", 1, NULL, "new", 0, 0},
	    {"/", 1, NULL, "", 0, 0},
	};
	struct side v = {virt, "fs", -1, -1};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char p[PATH_MAX], last[256] = "junk", rel[PATH_MAX];
		int flags = -1;
		struct loc out;
		subst(cases[i].path, &v, p, sizeof(p));
		int r = sy_walk(AT_FDCWD, p, WALK_PARENT | WALK_FOLLOW, &out, last, &flags);
		if (r != cases[i].ret && cases[i].known) {
			print_message("KNOWN parent walk of %s: %d, not %d\n", cases[i].path, r,
				      cases[i].ret);
			if (strict)
				fail();
			continue;
		}
		if (r != cases[i].ret)
			fail_msg("%s: %d, not %d", cases[i].path, r, cases[i].ret);
		if (r < 0)
			continue;
		assert_string_equal(last, cases[i].last);
		if (r == 1)
			continue;
		assert_int_equal(flags, cases[i].dirflag);
		relative(out.path, rel, sizeof(rel));
		assert_string_equal(rel, cases[i].dir);
		if (out.m) {
			struct sy_vfs_attr a;
			assert_int_equal(out.m->be->getattr(out.m->fs, out.node, &a), 0);
			assert_true(S_ISDIR(a.mode));
		}
		sy_loc_drop(&out);
	}
}

/* The quick answer: 0 only for paths that cannot reach a mount. */
static void test_may_enter(void **state)
{
	(void)state;
	char p[PATH_MAX];
	struct side v = {virt, "fs", -1, -1};
	set_cwd(CWD_TOP, &v, 1);
	assert_int_equal(sy_walk_may_enter(AT_FDCWD, "/etc/passwd"), 0);
	assert_int_equal(sy_walk_may_enter(AT_FDCWD, "out/o"), 0);
	assert_int_equal(sy_walk_may_enter(AT_FDCWD, "fsx/a"), 0);
	assert_int_equal(sy_walk_may_enter(AT_FDCWD, "/proc/self/fd/0"), 0);
	assert_int_equal(sy_walk_may_enter(AT_FDCWD, "fs"), 1);
	assert_int_equal(sy_walk_may_enter(AT_FDCWD, "x/hfs/y"), 1);
	assert_int_equal(sy_walk_may_enter(AT_FDCWD, "x//fs//"), 1);
	subst("@/a/f", &v, p, sizeof(p));
	assert_int_equal(sy_walk_may_enter(AT_FDCWD, p), 1);
	int kfd = open(base, O_PATH | O_DIRECTORY);
	assert_true(kfd >= 0);
	assert_int_equal(sy_walk_may_enter(kfd, "out"), 0);
	/* a virtual cwd or dirfd: every relative path may */
	set_cwd(CWD_IN, &v, 1);
	assert_int_equal(sy_walk_may_enter(AT_FDCWD, "out/o"), 1);
	assert_int_equal(sy_walk_may_enter(AT_FDCWD, "/proc/self/cwd"), 1);
	assert_int_equal(sy_walk_may_enter(kfd, "out"), 0);
	assert_int_equal(sy_walk_may_enter(AT_FDCWD, "/etc"), 0);
	set_cwd(CWD_TOP, &v, 1);
	assert_int_equal(sy_walk_may_enter(AT_FDCWD, "/proc/self/cwd"), 0);
	struct sy_mount *m = &sy_mounts[0];
	subst("@/a", &v, p, sizeof(p));
	int vfd = sy_vfd_open(m, mount_node(m, "a"), S_IFDIR, O_RDONLY | O_DIRECTORY, p);
	assert_true(vfd >= 0);
	assert_int_equal(sy_walk_may_enter(vfd, "out"), 1);
	snprintf(p, sizeof(p), "/proc/self/fd/%d", vfd);
	assert_int_equal(sy_walk_may_enter(AT_FDCWD, p), 1);
	snprintf(p, sizeof(p), "/dev/fd/%d/x", vfd);
	assert_int_equal(sy_walk_may_enter(AT_FDCWD, p), 1);
	snprintf(p, sizeof(p), "/proc/self/fd/%d", kfd);
	assert_int_equal(sy_walk_may_enter(AT_FDCWD, p), 0);
	close(vfd);
	sy_vfd_closed(vfd);
	close(kfd);
}

static void test_magic_fd_parse(void **state)
{
	(void)state;
	const char *rest = NULL;
	char p[64];
	assert_int_equal(sy_magic_fd("/proc/self/fd/7", &rest), 7);
	assert_string_equal(rest, "");
	assert_int_equal(sy_magic_fd("/dev/fd/12/a/b", &rest), 12);
	assert_string_equal(rest, "/a/b");
	assert_int_equal(sy_magic_fd("/proc/thread-self/fd/3/", &rest), 3);
	assert_string_equal(rest, "/");
	snprintf(p, sizeof(p), "/proc/%d/fd/5", (int)getpid());
	assert_int_equal(sy_magic_fd(p, &rest), 5);
	snprintf(p, sizeof(p), "/proc/%d/cwd/x", (int)getpid());
	assert_int_equal(sy_magic_fd(p, &rest), SY_MAGIC_CWD);
	assert_string_equal(rest, "/x");
	snprintf(p, sizeof(p), "/proc/%d/fd/5", (int)getpid() + 1);
	assert_int_equal(sy_magic_fd(p, &rest), -1);
	assert_int_equal(sy_magic_fd("/proc/self/cwd", &rest), SY_MAGIC_CWD);
	assert_int_equal(sy_magic_fd("/proc/self/cwdx", &rest), -1);
	assert_int_equal(sy_magic_fd("/proc/self/fd/", &rest), -1);
	assert_int_equal(sy_magic_fd("/proc/self/fd/x", &rest), -1);
	assert_int_equal(sy_magic_fd("/proc/self/fd/3x", &rest), -1);
	assert_int_equal(sy_magic_fd("/proc/self/fdinfo/3", &rest), -1);
	assert_int_equal(sy_magic_fd("/proc/self/fd/99999999", &rest), -1);
	assert_int_equal(sy_magic_fd("proc/self/fd/3", &rest), -1);
}

/* /proc/self/fd/N of virtual fds against the same of kernel fds. */
static void test_magic_paths(void **state)
{
	(void)state;
	int bad = 0;
	for (int f = 0; f < 2; f++) {
		struct sy_mount *m = &sy_mounts[f];
		struct side k = {kern, fsnames[f], -1, -1}, v = {virt, fsnames[f], -1, -1};
		char p[PATH_MAX];
		subst("@/a", &k, p, sizeof(p));
		k.dfd = open(p, O_RDONLY | O_DIRECTORY);
		subst("@/a/f", &k, p, sizeof(p));
		k.ffd = open(p, O_RDONLY);
		subst("@/a", &v, p, sizeof(p));
		v.dfd = sy_vfd_open(m, mount_node(m, "a"), S_IFDIR, O_RDONLY | O_DIRECTORY, p);
		subst("@/a/f", &v, p, sizeof(p));
		v.ffd = sy_vfd_open(m, mount_node(m, "a/f"), S_IFREG, O_RDONLY, p);
		assert_true(k.dfd >= 0 && k.ffd >= 0 && v.dfd >= 0 && v.ffd >= 0);
		static const char *paths[] = {
		    "/proc/self/fd/&",	      "/proc/self/fd/&/",	  "/proc/self/fd/&/f",
		    "/proc/self/fd/&/b/f",    "/proc/self/fd/&/..",	  "/proc/self/fd/&/../..",
		    "/dev/fd/&/rel",	      "/proc/thread-self/fd/&/f", "/proc/self/fd/^",
		    "/proc/self/fd/^/",	      "/proc/self/fd/^/x",	  "/proc/self/fd/&/nope",
		    "/proc/self/fd/&/absout",
		};
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			char kp[PATH_MAX], vp[PATH_MAX], kres[PATH_MAX + 8], vres[PATH_MAX + 8];
			subst(paths[i], &k, kp, sizeof(kp));
			subst(paths[i], &v, vp, sizeof(vp));
			kernel_answer(AT_FDCWD, kp, FOLLOW, kres, sizeof(kres));
			walk_answer(NULL, vp, FOLLOW, vres, sizeof(vres));
			if (strcmp(kres, vres)) {
				print_message("DIFFERS %s [%s]: kernel \"%s\", walk \"%s\"\n",
					      paths[i], fsnames[f], kres, vres);
				bad++;
			}
		}
		/* the magic link itself (lstat, O_NOFOLLOW) is the kernel's */
		struct loc out;
		char vp[64];
		snprintf(vp, sizeof(vp), "/proc/self/fd/%d", v.ffd);
		assert_int_equal(sy_walk(AT_FDCWD, vp, 0, &out, NULL, NULL), 1);
		/* and so a parent walk of it: the name N in /proc/self/fd */
		char last[256];
		int r = sy_walk(AT_FDCWD, vp, WALK_PARENT | WALK_FOLLOW, &out, last, NULL);
		if (r == 0)
			sy_loc_drop(&out);
		assert_int_equal(r, 1);
		/* a directory moved since it was opened: the walk's path is
		 * the node's present one, as the kernel's link says */
		struct sy_vfs_node *bn = mount_node(m, "a/b");
		int cfd = sy_vfd_open(m, mount_node(m, "a/b/c"), S_IFDIR, O_RDONLY, "");
		subst("@/a/b/c", &v, p, sizeof(p));
		struct vfile *cv = sy_vfd_get(cfd);
		snprintf(cv->path, sizeof(cv->path), "%s", p);
		sy_vfile_put(cv);
		assert_int_equal(m->be->rename(m->fs, bn, "c", bn, "c2", 0), 0);
		snprintf(vp, sizeof(vp), "/proc/self/fd/%d", cfd);
		assert_int_equal(sy_walk(AT_FDCWD, vp, WALK_FOLLOW, &out, NULL, NULL), 0);
		subst("@/a/b/c2", &v, p, sizeof(p));
		if (strcmp(out.path, p) != 0) {
			print_message("KNOWN %s of a directory moved to %s: the walk's path is "
				      "%s\n",
				      vp, p, out.path);
			bad += strict;
		}
		sy_loc_drop(&out);
		assert_int_equal(m->be->rename(m->fs, bn, "c2", bn, "c", 0), 0);
		m->be->release(m->fs, bn);
		close(cfd);
		sy_vfd_closed(cfd);
		close(k.dfd);
		close(k.ffd);
		close(v.dfd);
		sy_vfd_closed(v.dfd);
		close(v.ffd);
		sy_vfd_closed(v.ffd);
	}
	assert_int_equal(bad, 0);
}

/* sy_node_path: a directory's path after its ancestor moved, and -ENOENT
 * once it is removed. */
static void test_node_path(void **state)
{
	(void)state;
	for (int f = 0; f < 2; f++) {
		struct sy_mount *m = &sy_mounts[f];
		struct sy_vfs_node *root = m->root, *x, *y, *z;
		assert_int_equal(m->be->mkdir(m->fs, root, "np", S_IFDIR | 0755, NULL, &x), 0);
		assert_int_equal(m->be->mkdir(m->fs, x, "y", S_IFDIR | 0755, NULL, &y), 0);
		assert_int_equal(m->be->mkdir(m->fs, y, "z", S_IFDIR | 0755, NULL, &z), 0);
		char hint[PATH_MAX], out[PATH_MAX], want[PATH_MAX];
		snprintf(hint, sizeof(hint), "%s/np/y/z", m->path);
		assert_int_equal(sy_node_path(m, z, hint, out), 0);
		assert_string_equal(out, hint);
		assert_int_equal(sy_node_path(m, z, "", out), 0);
		assert_string_equal(out, hint);
		assert_int_equal(sy_node_path(m, root, "", out), 0);
		assert_string_equal(out, m->path);
		assert_int_equal(m->be->rename(m->fs, root, "np", root, "moved", 0), 0);
		snprintf(want, sizeof(want), "%s/moved/y/z", m->path);
		assert_int_equal(sy_node_path(m, z, hint, out), 0);
		assert_string_equal(out, want);
		/* a hint that leads to another node is not taken */
		assert_int_equal(m->be->mkdir(m->fs, root, "np", S_IFDIR | 0755, NULL, NULL), 0);
		struct sy_vfs_node *np = mount_node(m, "np");
		assert_int_equal(m->be->mkdir(m->fs, np, "y", S_IFDIR | 0755, NULL, NULL), 0);
		struct sy_vfs_node *npy = mount_node(m, "np/y");
		assert_int_equal(m->be->mkdir(m->fs, npy, "z", S_IFDIR | 0755, NULL, NULL), 0);
		assert_int_equal(sy_node_path(m, z, hint, out), 0);
		assert_string_equal(out, want);
		/* a walk from the moved directory's node goes up by the node */
		struct loc start, at;
		start.m = m;
		start.node = z;
		snprintf(start.path, sizeof(start.path), "%s", hint); /* stale */
		assert_int_equal(sy_walk_from(-1, &start, "..", WALK_FOLLOW, &at, NULL, NULL), 0);
		assert_int_equal(m->be->node_id(m->fs, at.node), m->be->node_id(m->fs, y));
		sy_loc_drop(&at);
		/* removed: -ENOENT; `..` of it goes by its old name */
		assert_int_equal(m->be->rmdir(m->fs, y, "z"), 0);
		assert_int_equal(sy_node_path(m, z, want, out), -ENOENT);
		start.path[0] = 0;
		snprintf(start.path, sizeof(start.path), "%s", want);
		assert_int_equal(sy_walk_from(-1, &start, "..", WALK_FOLLOW, &at, NULL, NULL), 0);
		assert_int_equal(m->be->node_id(m->fs, at.node), m->be->node_id(m->fs, y));
		sy_loc_drop(&at);
		assert_int_equal(sy_walk_from(-1, &start, "x", WALK_FOLLOW, &at, NULL, NULL),
				 -ENOENT);
		m->be->release(m->fs, npy);
		m->be->release(m->fs, np);
		m->be->release(m->fs, z);
		m->be->release(m->fs, y);
		m->be->release(m->fs, x);
	}
}

/* A walk that never enters a mount says so with 1, whatever its end. */
static void test_kernel_as_is(void **state)
{
	(void)state;
	struct loc out;
	int flags;
	struct side v = {virt, "fs", -1, -1};
	set_cwd(CWD_TOP, &v, 1);
	const char *paths[] = {"/",  "/etc", "/nonexistent/x",	"out/o",    "out/",
			       "..", ".",    "/proc/self/fd/0", "nope/../x"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_int_equal(sy_walk(AT_FDCWD, paths[i], WALK_FOLLOW, &out, NULL, &flags), 1);
		assert_null(out.m);
	}
	/* but a walk that went in and came out gives the path of its making */
	char p[PATH_MAX], want[PATH_MAX];
	subst("@/../out", &v, p, sizeof(p));
	assert_int_equal(sy_walk(AT_FDCWD, p, WALK_FOLLOW, &out, NULL, &flags), 0);
	assert_null(out.m);
	snprintf(want, sizeof(want), "%s/out", virt);
	assert_string_equal(out.path, want);
	assert_int_equal(sy_walk(AT_FDCWD, "fs/..", WALK_FOLLOW, &out, NULL, &flags), 0);
	assert_null(out.m);
	assert_string_equal(out.path, virt);
	assert_int_equal(sy_walk(AT_FDCWD, "", WALK_FOLLOW, &out, NULL, &flags), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixed_answers),
	    cmocka_unit_test(test_absolute),
	    cmocka_unit_test(test_relative_from_kernel_cwd),
	    cmocka_unit_test(test_relative_from_virtual_cwd),
	    cmocka_unit_test(test_resolve_flags),
	    cmocka_unit_test(test_no_xdev_crossing),
	    cmocka_unit_test(test_name_too_long),
	    cmocka_unit_test(test_parent),
	    cmocka_unit_test(test_may_enter),
	    cmocka_unit_test(test_magic_fd_parse),
	    cmocka_unit_test(test_magic_paths),
	    cmocka_unit_test(test_node_path),
	    cmocka_unit_test(test_kernel_as_is),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
