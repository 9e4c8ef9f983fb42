/*
 * Unit tests of interposer/config.c: config files (good ones and every kind
 * of error, with the exact "FILE:LINE: problem" text), the SWITCHYARD_*
 * variables over them, and %p expansion. Each test runs in a fresh
 * temporary directory, which is also its current directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

struct fixture {
	char dir[PATH_MAX]; /* the temporary directory, also the cwd */
	char old_cwd[PATH_MAX];
};

static const char *const env_names[] = {
    SY_ENV_MODE, SY_ENV_HOOK, SY_ENV_TRACE, SY_ENV_STATS, SY_ENV_CONFIG,
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "%s/sy-test-config-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	/* Our checks compare absolute paths: resolve a symlinked TMPDIR. */
	char real[PATH_MAX];
	assert_non_null(realpath(f->dir, real));
	memcpy(f->dir, real, sizeof(real));
	assert_non_null(getcwd(f->old_cwd, sizeof(f->old_cwd)));
	assert_int_equal(chdir(f->dir), 0);
	for (size_t i = 0; i < sizeof(env_names) / sizeof(env_names[0]); i++)
		unsetenv(env_names[i]);
	*state = f;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(chdir(f->old_cwd), 0);
	nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void write_file(const char *name, const char *text)
{
	FILE *file = fopen(name, "w");

	assert_non_null(file);
	assert_int_equal(fputs(text, file) >= 0, 1);
	assert_int_equal(fclose(file), 0);
}

/* "<test dir>/<name>" */
static const char *in_dir(void **state, const char *name)
{
	static char path[2 * PATH_MAX];
	struct fixture *f = *state;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	return path;
}

/* Loads text as app.conf into defaults and expects the error message. */
static void expect_config_error(const char *text, const char *message)
{
	struct sy_options o;
	char err[PATH_MAX + 512] = "";

	write_file("app.conf", text);
	sy_options_default(&o);
	assert_int_equal(sy_config_load("app.conf", &o, err, sizeof(err)), -1);
	assert_string_equal(err, message);
}

/* ---- modes -------------------------------------------------------------- */

static void test_mode_names(void **state)
{
	enum sy_mode m = SY_MODE_SUD;

	(void)state;
	assert_int_equal(sy_mode_parse("auto", &m), 0);
	assert_int_equal(m, SY_MODE_AUTO);
	assert_int_equal(sy_mode_parse("rewrite", &m), 0);
	assert_int_equal(m, SY_MODE_REWRITE);
	assert_int_equal(sy_mode_parse("sud", &m), 0);
	assert_int_equal(m, SY_MODE_SUD);
	assert_int_equal(sy_mode_parse("SUD", &m), -1);
	assert_int_equal(sy_mode_parse("", &m), -1);
	assert_int_equal(sy_mode_parse("sudo", &m), -1);
	assert_int_equal(m, SY_MODE_SUD); /* unchanged by the failures */
	assert_string_equal(sy_mode_name(SY_MODE_AUTO), "auto");
	assert_string_equal(sy_mode_name(SY_MODE_REWRITE), "rewrite");
	assert_string_equal(sy_mode_name(SY_MODE_SUD), "sud");
}

static void test_defaults(void **state)
{
	struct sy_options o;

	(void)state;
	memset(&o, 0x55, sizeof(o));
	sy_options_default(&o);
	assert_int_equal(o.mode, SY_MODE_AUTO);
	assert_int_equal(o.mode_explicit, 0);
	assert_string_equal(o.config, "");
	assert_string_equal(o.hook, "");
	assert_string_equal(o.trace, "");
	assert_string_equal(o.stats, "");
	assert_int_equal(o.nmounts, 0);
}

/* ---- good files ----------------------------------------------------------- */

static void test_load_all_keys(void **state)
{
	struct sy_options o;
	char err[PATH_MAX + 512] = "";
	char text[3 * PATH_MAX];

	write_file("hook.so", "not really ELF; only readability is checked\n");
	snprintf(text, sizeof(text),
		 "; switchyard config\n"
		 "# another comment\n"
		 "\n"
		 "[interposer]\n"
		 "mode = sud\n"
		 "hook = %s\n"
		 "trace = /tmp/trace-%%p.txt\n"
		 "stats=/tmp/stats-%%p.json\n",
		 in_dir(state, "hook.so"));
	write_file("app.conf", text);
	sy_options_default(&o);
	assert_int_equal(sy_config_load("app.conf", &o, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(o.mode, SY_MODE_SUD);
	assert_int_equal(o.mode_explicit, 1);
	assert_string_equal(o.hook, in_dir(state, "hook.so"));
	assert_string_equal(o.trace, "/tmp/trace-%p.txt");
	assert_string_equal(o.stats, "/tmp/stats-%p.json");
	assert_string_equal(o.config, in_dir(state, "app.conf"));
}

static void test_load_hook_and_relative_paths(void **state)
{
	struct sy_options o;
	char err[PATH_MAX + 512] = "";

	assert_int_equal(mkdir("etc", 0755), 0);
	write_file("etc/hook.so", "x");
	write_file("etc/app.conf", "[interposer]\n"
				   "hook = hook.so\n"
				   "trace = ./out/trace-%p.txt\n"
				   "stats = ../stats.json\n");
	sy_options_default(&o);
	assert_int_equal(sy_config_load("etc/app.conf", &o, err, sizeof(err)), 0);
	/* relative to the config file's directory, not the cwd */
	assert_string_equal(o.hook, in_dir(state, "etc/hook.so"));
	assert_string_equal(o.trace, in_dir(state, "etc/out/trace-%p.txt"));
	assert_string_equal(o.stats, in_dir(state, "etc/../stats.json"));
	assert_string_equal(o.config, in_dir(state, "etc/app.conf"));
	assert_int_equal(o.mode, SY_MODE_AUTO);
	assert_int_equal(o.mode_explicit, 0);
}

static void test_load_layout_variants(void **state)
{
	struct sy_options o;
	char err[PATH_MAX + 512] = "";

	(void)state;
	/* byte order mark, CRLF, indentation, inline comments, ':' as separator,
	 * spaces inside the brackets, '#' inside a path */
	write_file("app.conf", "\xEF\xBB\xBF; comment\r\n"
			       "  [ interposer ]   ; the only section\r\n"
			       "    mode = rewrite ; inline comment\r\n"
			       "\ttrace: /tmp/a#b.txt # another inline comment\r\n"
			       "    stats = /tmp/s;x.json\r\n");
	sy_options_default(&o);
	assert_int_equal(sy_config_load("app.conf", &o, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(o.mode, SY_MODE_REWRITE);
	assert_string_equal(o.trace, "/tmp/a#b.txt");
	assert_string_equal(o.stats, "/tmp/s;x.json");
}

static void test_load_empty_files(void **state)
{
	struct sy_options o;
	char err[PATH_MAX + 512] = "";

	(void)state;
	write_file("empty.conf", "");
	write_file("comments.conf", "; nothing\n# here\n\n");
	write_file("section.conf", "[interposer]\n");
	sy_options_default(&o);
	assert_int_equal(sy_config_load("empty.conf", &o, err, sizeof(err)), 0);
	assert_int_equal(sy_config_load("comments.conf", &o, err, sizeof(err)), 0);
	assert_int_equal(sy_config_load("section.conf", &o, err, sizeof(err)), 0);
	assert_int_equal(o.mode, SY_MODE_AUTO);
	assert_string_equal(o.trace, "");
}

static void test_load_keeps_what_it_does_not_set(void **state)
{
	struct sy_options o;
	char err[PATH_MAX + 512] = "";

	(void)state;
	write_file("app.conf", "[interposer]\nstats = /tmp/s.json\n");
	sy_options_default(&o);
	strcpy(o.trace, "/tmp/t.txt");
	o.mode = SY_MODE_SUD;
	assert_int_equal(sy_config_load("app.conf", &o, err, sizeof(err)), 0);
	assert_string_equal(o.trace, "/tmp/t.txt");
	assert_string_equal(o.stats, "/tmp/s.json");
	assert_int_equal(o.mode, SY_MODE_SUD);
}

static void test_error_leaves_options_alone(void **state)
{
	struct sy_options o, before;
	char err[PATH_MAX + 512] = "";

	(void)state;
	write_file("app.conf", "[interposer]\nmode = sud\ntrace = /tmp/t\nstats = \n");
	sy_options_default(&o);
	strcpy(o.stats, "/tmp/kept.json");
	before = o;
	assert_int_equal(sy_config_load("app.conf", &o, err, sizeof(err)), -1);
	assert_memory_equal(&o, &before, sizeof(o));
}

/* ---- errors, one per kind -------------------------------------------------- */

static void test_error_unknown_key(void **state)
{
	(void)state;
	expect_config_error("[interposer]\nmode = sud\nmoed = sud\n",
			    "app.conf:3: unknown key 'moed' in [interposer]");
}

static void test_error_unknown_section(void **state)
{
	(void)state;
	expect_config_error(
	    "[foo]\nmode = sud\n",
	    "app.conf:1: unknown section [foo] (known: [interposer], [mount PATH], [net])");
	/* also with nothing under it */
	expect_config_error(
	    "[interposer]\n\n[mounts /data]\n",
	    "app.conf:3: unknown section [mounts /data] (known: [interposer], [mount PATH], [net])");
}

static void test_error_section_argument(void **state)
{
	(void)state;
	expect_config_error("[interposer fast]\n",
			    "app.conf:1: section [interposer] takes no argument (found 'fast')");
}

static void test_error_duplicate_section(void **state)
{
	(void)state;
	expect_config_error("[interposer]\nmode = sud\n[interposer]\n",
			    "app.conf:3: duplicate section [interposer] (first on line 1)");
}

static void test_error_bad_mode(void **state)
{
	(void)state;
	expect_config_error("[interposer]\nmode = fast\n",
			    "app.conf:2: unknown mode 'fast' (expected auto, rewrite or sud)");
	/* '#' right after the value is not a comment */
	expect_config_error("[interposer]\nmode = sud#x\n",
			    "app.conf:2: unknown mode 'sud#x' (expected auto, rewrite or sud)");
}

static void test_error_empty_value(void **state)
{
	(void)state;
	expect_config_error("[interposer]\ntrace =\n",
			    "app.conf:2: empty value for 'trace' in [interposer]");
	expect_config_error("[interposer]\nstats = ; only a comment\n",
			    "app.conf:2: empty value for 'stats' in [interposer]");
}

static void test_error_duplicate_key(void **state)
{
	(void)state;
	expect_config_error(
	    "[interposer]\nmode = sud\n\nmode = auto\n",
	    "app.conf:4: duplicate key 'mode' in [interposer] (first set on line 2)");
	/* an indented line is a key of its own, never a continuation */
	expect_config_error(
	    "[interposer]\n  stats = /tmp/a\n  stats = /tmp/b\n",
	    "app.conf:3: duplicate key 'stats' in [interposer] (first set on line 2)");
}

static void test_error_syntax(void **state)
{
	(void)state;
	expect_config_error(
	    "[interposer]\nmode sud\n",
	    "app.conf:2: syntax error: expected 'key = value', '[section]' or a comment");
	expect_config_error(
	    "[interposer\nmode = sud\n",
	    "app.conf:1: syntax error: missing ']' at the end of the section header");
	expect_config_error("[interposer] mode = sud\n",
			    "app.conf:1: syntax error: unexpected text after ']'");
	expect_config_error("[interposer]\n= sud\n",
			    "app.conf:2: syntax error: missing key before '='");
}

static void test_error_key_before_section(void **state)
{
	(void)state;
	expect_config_error("mode = sud\n[interposer]\n",
			    "app.conf:1: key 'mode' before any section header "
			    "(known: [interposer], [mount PATH], [net])");
}

static void test_error_first_problem_wins(void **state)
{
	(void)state;
	expect_config_error("[interposer]\nmoed = 1\n[foo]\nmode sud\n",
			    "app.conf:2: unknown key 'moed' in [interposer]");
}

static void test_error_long_line(void **state)
{
	char text[512];

	(void)state;
	snprintf(text, sizeof(text), "[interposer]\ntrace = /tmp/%0300d\n", 0);
	expect_config_error(text, "app.conf:2: line too long (at most 197 characters)");
	/* a long comment is fine as long as it fits our own buffer */
	snprintf(text, sizeof(text), "[interposer] ; %0300d\n", 0);
	write_file("long.conf", text);
	struct sy_options o;
	char err[PATH_MAX + 512] = "";
	sy_options_default(&o);
	assert_int_equal(sy_config_load("long.conf", &o, err, sizeof(err)), 0);
}

static void test_error_hook_missing(void **state)
{
	char message[3 * PATH_MAX];

	snprintf(message, sizeof(message),
		 "app.conf:2: cannot read hook library '%s': No such file or directory",
		 in_dir(state, "nope.so"));
	expect_config_error("[interposer]\nhook = nope.so\n", message);
}

static void test_error_hook_not_file(void **state)
{
	char message[3 * PATH_MAX];

	(void)state;
	assert_int_equal(mkdir("lib.so", 0755), 0);
	snprintf(message, sizeof(message), "app.conf:2: hook library '%s' is a directory",
		 in_dir(state, "lib.so"));
	expect_config_error("[interposer]\nhook = lib.so\n", message);
	expect_config_error("[interposer]\nhook = /dev/null\n",
			    "app.conf:2: hook library '/dev/null' is not a regular file");
}

static void test_error_hook_unreadable(void **state)
{
	char message[3 * PATH_MAX];

	if (geteuid() == 0)
		skip(); /* root reads anything */
	write_file("hook.so", "x");
	assert_int_equal(chmod("hook.so", 0), 0);
	snprintf(message, sizeof(message),
		 "app.conf:2: cannot read hook library '%s': Permission denied",
		 in_dir(state, "hook.so"));
	expect_config_error("[interposer]\nhook = hook.so\n", message);
}

static void test_error_unreadable_file(void **state)
{
	struct sy_options o;
	char err[PATH_MAX + 512] = "";

	(void)state;
	sy_options_default(&o);
	assert_int_equal(sy_config_load("missing.conf", &o, err, sizeof(err)), -1);
	assert_string_equal(err, "missing.conf: cannot read: No such file or directory");
	assert_int_equal(mkdir("dir.conf", 0755), 0);
	assert_int_equal(sy_config_load("dir.conf", &o, err, sizeof(err)), -1);
	assert_string_equal(err, "dir.conf: cannot read: Is a directory");
	assert_int_equal(sy_config_load("", &o, err, sizeof(err)), -1);
	assert_string_equal(err, "config file name is empty");
	if (geteuid() != 0) {
		write_file("secret.conf", "[interposer]\n");
		assert_int_equal(chmod("secret.conf", 0), 0);
		assert_int_equal(sy_config_load("secret.conf", &o, err, sizeof(err)), -1);
		assert_string_equal(err, "secret.conf: cannot read: Permission denied");
	}
}

/* ---- [mount PATH] ------------------------------------------------------------ */

/* Loads text as app.conf into defaults, expecting success. */
static void load_ok(const char *text, struct sy_options *o)
{
	char err[PATH_MAX + 512] = "";

	write_file("app.conf", text);
	sy_options_default(o);
	if (sy_config_load("app.conf", o, err, sizeof(err)) != 0)
		fail_msg("app.conf refused: %s", err);
	assert_string_equal(err, "");
}

static void test_mount_good(void **state)
{
	struct sy_options o;
	const struct sy_mount_config *m;

	(void)state;
	load_ok("[interposer]\n"
		"mode = sud\n"
		"\n"
		"[mount /mem]\n"
		"type = memfs\n"
		"size = 256M          ; ENOSPC past it\n"
		"name = build-cache   ; shared by name\n"
		"\n"
		"[mount /srv/data]\n"
		"type = hostfs\n"
		"source = /var/lib/app-data\n"
		"readonly = yes\n"
		"\n"
		"[mount /mem/sub]     ; nested in /mem: allowed\n"
		"type = memfs\n"
		"\n"
		"  [ mount   /host ]\n"
		"  readonly = false   ; before the type: checked once it comes\n"
		"  source: /\n"
		"  type = hostfs\n"
		"[mount /memo]\n"
		"name = a.B_c-9\n"
		"type = memfs\n",
		&o);
	assert_int_equal(o.mode, SY_MODE_SUD);
	assert_int_equal(o.nmounts, 5);

	m = &o.mounts[0];
	assert_string_equal(m->path, "/mem");
	assert_int_equal(m->type, SY_FS_MEMFS);
	assert_int_equal(m->size, 256ULL << 20);
	assert_string_equal(m->name, "build-cache");
	assert_string_equal(m->source, "");
	assert_int_equal(m->readonly, 0);

	m = &o.mounts[1];
	assert_string_equal(m->path, "/srv/data");
	assert_int_equal(m->type, SY_FS_HOSTFS);
	assert_string_equal(m->source, "/var/lib/app-data");
	assert_int_equal(m->readonly, 1);
	assert_int_equal(m->size, 0);
	assert_string_equal(m->name, "");

	m = &o.mounts[2];
	assert_string_equal(m->path, "/mem/sub");
	assert_int_equal(m->type, SY_FS_MEMFS);
	assert_int_equal(m->size, 0); /* the memfs default */
	assert_string_equal(m->name, "");

	m = &o.mounts[3];
	assert_string_equal(m->path, "/host");
	assert_int_equal(m->type, SY_FS_HOSTFS);
	assert_string_equal(m->source, "/");
	assert_int_equal(m->readonly, 0);

	m = &o.mounts[4];
	assert_string_equal(m->path, "/memo");
	assert_string_equal(m->name, "a.B_c-9");

	assert_string_equal(sy_fs_type_name(SY_FS_MEMFS), "memfs");
	assert_string_equal(sy_fs_type_name(SY_FS_HOSTFS), "hostfs");
}

static void test_mount_only_mounts(void **state)
{
	struct sy_options o;

	(void)state;
	load_ok("[mount /a]\ntype = memfs\n[mount /b]\ntype = memfs\nsize = 1\n", &o);
	assert_int_equal(o.nmounts, 2);
	assert_string_equal(o.mounts[0].path, "/a");
	assert_string_equal(o.mounts[1].path, "/b");
	assert_int_equal(o.mounts[1].size, 1);
	assert_int_equal(o.mode, SY_MODE_AUTO);
}

static void test_mount_max(void **state)
{
	struct sy_options o;
	char text[4096], *t = text;

	(void)state;
	for (int i = 0; i < SY_MAX_MOUNTS; i++)
		t += sprintf(t, "[mount /m%d]\ntype = memfs\n", i);
	load_ok(text, &o);
	assert_int_equal(o.nmounts, SY_MAX_MOUNTS);
	assert_string_equal(o.mounts[SY_MAX_MOUNTS - 1].path, "/m31");

	sprintf(t, "[mount /m%d]\ntype = memfs\n", SY_MAX_MOUNTS);
	expect_config_error(text, "app.conf:65: too many mounts (at most 32)");
}

static void test_mount_sizes(void **state)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} good[] = {
	    {"1", 1},
	    {"4096", 4096},
	    {"1K", 1024},
	    {"0001K", 1024},
	    {"256M", 256ULL << 20},
	    {"2G", 2ULL << 30},
	    {"9223372036854775807", 9223372036854775807ULL},
	    {"8589934591G", 8589934591ULL << 30},
	};
	struct sy_options o;
	char text[256], message[256];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "[mount /m]\ntype = memfs\nsize = %s\n", good[i].text);
		load_ok(text, &o);
		assert_int_equal(o.mounts[0].size, good[i].bytes);
	}

	static const char *const bad[] = {"256MB", "1.5G", "-1",  "+1",	   "K", "1k",
					  "256 M", "0x10", "1KB", "12abc", "G1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[mount /m]\ntype = memfs\nsize = %s\n", bad[i]);
		snprintf(message, sizeof(message),
			 "app.conf:3: bad size '%s' (expected bytes, or a number and K, M or G)",
			 bad[i]);
		expect_config_error(text, message);
	}

	static const char *const zero[] = {"0", "0K", "000G"};
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++) {
		snprintf(text, sizeof(text), "[mount /m]\ntype = memfs\nsize = %s\n", zero[i]);
		snprintf(message, sizeof(message),
			 "app.conf:3: size must be greater than 0 (found '%s')", zero[i]);
		expect_config_error(text, message);
	}

	static const char *const huge[] = {"9223372036854775808", "8589934592G",
					   "99999999999999999999999999", "18446744073709551616"};
	for (size_t i = 0; i < sizeof(huge) / sizeof(huge[0]); i++) {
		snprintf(text, sizeof(text), "[mount /m]\ntype = memfs\nsize = %s\n", huge[i]);
		snprintf(message, sizeof(message), "app.conf:3: size '%s' is too large", huge[i]);
		expect_config_error(text, message);
	}
}

static void test_mount_readonly_values(void **state)
{
	static const struct {
		const char *text;
		int readonly;
	} good[] = {{"yes", 1}, {"true", 1}, {"1", 1}, {"no", 0}, {"false", 0}, {"0", 0}};
	struct sy_options o;
	char text[256], message[256];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text),
			 "[mount /d]\ntype = hostfs\nsource = /srv\nreadonly = %s\n", good[i].text);
		load_ok(text, &o);
		assert_int_equal(o.mounts[0].readonly, good[i].readonly);
	}
	static const char *const bad[] = {"Yes", "TRUE", "on", "off", "2", "y"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text),
			 "[mount /d]\ntype = hostfs\nsource = /srv\nreadonly = %s\n", bad[i]);
		snprintf(message, sizeof(message),
			 "app.conf:4: bad value '%s' for 'readonly' "
			 "(expected yes, no, true, false, 1 or 0)",
			 bad[i]);
		expect_config_error(text, message);
	}
}

static void test_mount_error_path(void **state)
{
	(void)state;
	expect_config_error("[mount mem]\ntype = memfs\n",
			    "app.conf:1: mount path 'mem' is not absolute");
	expect_config_error("[mount ./mem]\ntype = memfs\n",
			    "app.conf:1: mount path './mem' is not absolute");
	expect_config_error("[mount /mem/]\ntype = memfs\n",
			    "app.conf:1: mount path '/mem/' ends with '/'");
	expect_config_error("[mount /a//b]\ntype = memfs\n",
			    "app.conf:1: mount path '/a//b' has an empty component ('//')");
	expect_config_error("[mount //mem]\ntype = memfs\n",
			    "app.conf:1: mount path '//mem' has an empty component ('//')");
	expect_config_error("[mount /mem//]\ntype = memfs\n",
			    "app.conf:1: mount path '/mem//' has an empty component ('//')");
	expect_config_error("[mount /a/./b]\ntype = memfs\n",
			    "app.conf:1: mount path '/a/./b' has a '.' component");
	expect_config_error("[mount /.]\ntype = memfs\n",
			    "app.conf:1: mount path '/.' has a '.' component");
	expect_config_error("[mount /a/../b]\ntype = memfs\n",
			    "app.conf:1: mount path '/a/../b' has a '..' component");
	expect_config_error("[mount /mem/..]\ntype = memfs\n",
			    "app.conf:1: mount path '/mem/..' has a '..' component");
	expect_config_error("[mount /]\ntype = memfs\n", "app.conf:1: cannot mount on '/' itself");
	expect_config_error("[mount]\ntype = memfs\n",
			    "app.conf:1: section [mount] needs an argument: [mount PATH]");
	/* names that merely start with dots are names */
	struct sy_options o;
	load_ok("[mount /.cache]\ntype = memfs\n[mount /a/...]\ntype = memfs\n"
		"[mount /a/..b]\ntype = memfs\n",
		&o);
	assert_int_equal(o.nmounts, 3);
	assert_string_equal(o.mounts[1].path, "/a/...");
}

static void test_mount_error_duplicate_path(void **state)
{
	(void)state;
	expect_config_error("[mount /mem]\ntype = memfs\n\n[mount /srv]\ntype = memfs\n"
			    "[mount /mem]\ntype = memfs\n",
			    "app.conf:6: duplicate mount path '/mem' (first on line 1)");
	/* spacing in the header does not make it another path */
	expect_config_error("[mount /mem]\ntype = memfs\n[ mount  /mem ]\ntype = memfs\n",
			    "app.conf:3: duplicate mount path '/mem' (first on line 1)");
}

static void test_mount_error_type(void **state)
{
	(void)state;
	/* missing: on the header's line, whatever follows */
	expect_config_error("[interposer]\n[mount /mem]\nsize = 1M\nname = x\n",
			    "app.conf:2: missing key 'type' in [mount /mem] (memfs or hostfs)");
	expect_config_error("[mount /mem]\n",
			    "app.conf:1: missing key 'type' in [mount /mem] (memfs or hostfs)");
	expect_config_error("[mount /mem]\nsize = 1M\n\n[interposer]\nmode = sud\n",
			    "app.conf:1: missing key 'type' in [mount /mem] (memfs or hostfs)");
	/* ... and before the next header's own problems */
	expect_config_error("[mount /mem]\n[foo]\n",
			    "app.conf:1: missing key 'type' in [mount /mem] (memfs or hostfs)");
	expect_config_error("[mount /a]\ntype = memfs\n[mount /b]\n[mount /b]\ntype = memfs\n",
			    "app.conf:3: missing key 'type' in [mount /b] (memfs or hostfs)");
	/* any other name is a hook library's file system (test_mount_custom); a
	 * name that cannot be one is refused */
	expect_config_error("[mount /mem]\ntype = mem fs\n",
			    "app.conf:2: bad type 'mem fs' (memfs, hostfs, or the name of a file "
			    "system a hook library provides: letters, digits, '_' and '-', at "
			    "most 63 characters)");
	expect_config_error(
	    "[mount /mem]\ntype = memfs\ntype = memfs\n",
	    "app.conf:3: duplicate key 'type' in [mount /mem] (first set on line 2)");
	expect_config_error("[mount /mem]\ntype =\n",
			    "app.conf:2: empty value for 'type' in [mount /mem]");
	expect_config_error("[mount /mem]\ntype = memfs\nsise = 1M\n",
			    "app.conf:3: unknown key 'sise' in [mount /mem]");
	expect_config_error("[mount /mem]\ntype = memfs\nmode = sud\n",
			    "app.conf:3: unknown key 'mode' in [mount /mem]");
}

/* ---- [mount PATH] of a type a hook library provides -------------------- */

static void test_mount_custom(void **state)
{
	struct sy_options o;
	const struct sy_mount_config *m;
	char text[512];

	(void)state;
	load_ok("[mount /notes]\n"
		"greeting = hello world ; before the type: kept too\n"
		"type = notesfs\n"
		"files = 8\n"
		"size = not-a-size      ; memfs's key: the backend's business here\n"
		"source = relative/dir\n"
		"[mount /mem]\n"
		"type = memfs\n"
		"[mount /x]\n"
		"type = My_fs-2\n",
		&o);
	assert_int_equal(o.nmounts, 3);

	m = &o.mounts[0];
	assert_string_equal(m->path, "/notes");
	assert_int_equal(m->line, 1);
	assert_int_equal(m->type, SY_FS_CUSTOM);
	assert_string_equal(m->type_name, "notesfs");
	assert_int_equal(m->noptions, 4);
	assert_string_equal(m->options[0].key, "greeting");
	assert_string_equal(m->options[0].value, "hello world");
	assert_string_equal(m->options[1].key, "files");
	assert_string_equal(m->options[1].value, "8");
	assert_string_equal(m->options[2].key, "size");
	assert_string_equal(m->options[2].value, "not-a-size");
	assert_string_equal(m->options[3].key, "source");
	assert_string_equal(m->options[3].value, "relative/dir");
	assert_int_equal(m->size, 0); /* nothing of memfs's or hostfs's is set */
	assert_string_equal(m->source, "");

	m = &o.mounts[1];
	assert_int_equal(m->type, SY_FS_MEMFS);
	assert_string_equal(m->type_name, "memfs");
	assert_int_equal(m->noptions, 0);

	m = &o.mounts[2];
	assert_int_equal(m->type, SY_FS_CUSTOM);
	assert_string_equal(m->type_name, "My_fs-2");
	assert_int_equal(m->noptions, 0);
	assert_string_equal(sy_fs_type_name(SY_FS_CUSTOM), "custom");

	/* what `switchyard check` tells: no hook library set */
	assert_true(sy_config_describe_mounts(&o, text, sizeof(text)) > 0);
	assert_non_null(strstr(text, ":1: [mount /notes]: file system 'notesfs' is provided by a "
				     "hook library (none is set"));
	assert_non_null(strstr(text, ":9: [mount /x]: file system 'My_fs-2'"));
	assert_null(strstr(text, "/mem]"));

	/* ... and with one: where it will be looked up */
	write_file("hook.so", "not really a library, but readable\n");
	load_ok("[interposer]\nhook = hook.so\n[mount /n]\ntype = notesfs\n", &o);
	sy_config_describe_mounts(&o, text, sizeof(text));
	assert_non_null(strstr(text, "[mount /n]: file system 'notesfs' is provided by a hook "
				     "library: looked up in /"));
	assert_non_null(strstr(text, "/hook.so at run time\n"));

	/* no custom mount: nothing to tell; a short buffer stays a string */
	load_ok("[mount /m]\ntype = memfs\n", &o);
	assert_int_equal(sy_config_describe_mounts(&o, text, sizeof(text)), 0);
	assert_string_equal(text, "");
	load_ok("[mount /n]\ntype = notesfs\n", &o);
	assert_int_equal(sy_config_describe_mounts(&o, text, 8), 7);
	assert_int_equal(strlen(text), 7);
}

static void test_mount_custom_errors(void **state)
{
	char text[2048];
	char *t = text;

	(void)state;
	/* 16 options are fine, the 17th is one too many */
	t += sprintf(t, "[mount /n]\ntype = notesfs\n");
	for (int i = 0; i < SY_MOUNT_OPTIONS_MAX; i++)
		t += sprintf(t, "opt%d = %d\n", i, i);
	load_ok(text, &(struct sy_options){0});
	sprintf(t, "one_more = x\n");
	expect_config_error(text, "app.conf:19: too many keys in [mount /n] (at most 16)");
	/* the same before the type */
	t = text + sprintf(text, "[mount /n]\n");
	for (int i = 0; i <= SY_MOUNT_OPTIONS_MAX; i++)
		t += sprintf(t, "opt%d = %d\n", i, i);
	sprintf(t, "type = notesfs\n");
	expect_config_error(text, "app.conf:18: too many keys in [mount /n] (at most 16)");

	/* bounded key and type name */
	expect_config_error(
	    "[mount /n]\ntype = notesfs\n"
	    "a_key_of_sixty_four_characters_is_one_more_than_fits_in_the_table = 1\n",
	    "app.conf:3: key "
	    "'a_key_of_sixty_four_characters_is_one_more_than_fits_in_the_table' "
	    "too long (at most 63 characters)");
	expect_config_error(
	    "[mount /n]\n"
	    "type = a_type_of_sixty_four_characters_is_one_more_than_fits_in_the_tab\n",
	    "app.conf:2: bad type "
	    "'a_type_of_sixty_four_characters_is_one_more_than_fits_in_the_tab' "
	    "(memfs, hostfs, or the name of a file system a hook library provides: "
	    "letters, digits, '_' and '-', at most 63 characters)");
	expect_config_error("[mount /n]\ntype = a/b\n",
			    "app.conf:2: bad type 'a/b' (memfs, hostfs, or the name of a file "
			    "system a hook library provides: letters, digits, '_' and '-', at "
			    "most 63 characters)");
	expect_config_error("[mount /n]\ntype = notes.fs\n",
			    "app.conf:2: bad type 'notes.fs' (memfs, hostfs, or the name of a file "
			    "system a hook library provides: letters, digits, '_' and '-', at "
			    "most 63 characters)");

	/* duplicates and empty values, known to memfs or not */
	expect_config_error(
	    "[mount /n]\ntype = notesfs\nfiles = 1\nfiles = 2\n",
	    "app.conf:4: duplicate key 'files' in [mount /n] (first set on line 3)");
	expect_config_error(
	    "[mount /n]\nfiles = 1\ntype = notesfs\nfiles = 2\n",
	    "app.conf:4: duplicate key 'files' in [mount /n] (first set on line 2)");
	expect_config_error("[mount /n]\ntype = notesfs\nsize = 1\nsize = 2\n",
			    "app.conf:4: duplicate key 'size' in [mount /n] (first set on line 3)");
	expect_config_error("[mount /n]\ntype = notesfs\nfiles =\n",
			    "app.conf:3: empty value for 'files' in [mount /n]");

	/* keys memfs and hostfs do not know, before their type: still refused */
	expect_config_error("[mount /m]\nfiles = 8\ntype = memfs\n",
			    "app.conf:2: unknown key 'files' in [mount /m]");
	expect_config_error("[mount /m]\nsize = 1M\nfiles = 8\nsource = /x\ntype = memfs\n",
			    "app.conf:3: unknown key 'files' in [mount /m]");
	expect_config_error("[mount /m]\nfiles = 8\n",
			    "app.conf:2: unknown key 'files' in [mount /m]");
	expect_config_error("[mount /d]\nsource = rel\ntype = hostfs\n",
			    "app.conf:2: source 'rel' is not absolute");
}

static void test_mount_error_key_of_other_type(void **state)
{
	(void)state;
	/* type first: the key's own line */
	expect_config_error("[mount /mem]\ntype = memfs\nsource = /srv\n",
			    "app.conf:3: key 'source' does not apply to type memfs");
	expect_config_error("[mount /mem]\ntype = memfs\nsize = 1M\nreadonly = yes\n",
			    "app.conf:4: key 'readonly' does not apply to type memfs");
	expect_config_error("[mount /d]\ntype = hostfs\nsource = /srv\nsize = 1M\n",
			    "app.conf:4: key 'size' does not apply to type hostfs");
	expect_config_error("[mount /d]\ntype = hostfs\nname = shared\nsource = /srv\n",
			    "app.conf:3: key 'name' does not apply to type hostfs");
	/* type after them: still checked, the first such key's line */
	expect_config_error("[mount /mem]\nsize = 1M\nreadonly = no\nsource = /srv\ntype = memfs\n",
			    "app.conf:3: key 'readonly' does not apply to type memfs");
	expect_config_error("[mount /d]\nsource = /srv\nname = n\nsize = 1\ntype = hostfs\n",
			    "app.conf:3: key 'name' does not apply to type hostfs");
	/* a bad value is a problem of its line even before the type is known */
	expect_config_error(
	    "[mount /mem]\nsize = lots\ntype = memfs\n",
	    "app.conf:2: bad size 'lots' (expected bytes, or a number and K, M or G)");
}

static void test_mount_error_hostfs_source(void **state)
{
	(void)state;
	expect_config_error(
	    "[mount /d]\ntype = hostfs\nreadonly = yes\n\n[mount /e]\ntype = memfs\n",
	    "app.conf:1: missing key 'source' in [mount /d] (type hostfs needs it)");
	expect_config_error(
	    "[mount /d]\ntype = hostfs\n",
	    "app.conf:1: missing key 'source' in [mount /d] (type hostfs needs it)");
	expect_config_error("[mount /d]\ntype = hostfs\nsource = data\n",
			    "app.conf:3: source 'data' is not absolute");
	expect_config_error("[mount /d]\ntype = hostfs\nsource = ./data\n",
			    "app.conf:3: source './data' is not absolute");
	expect_config_error("[mount /d]\ntype = hostfs\nsource = /srv/\n",
			    "app.conf:3: source '/srv/' ends with '/'");
	expect_config_error("[mount /d]\ntype = hostfs\nsource = /srv//data\n",
			    "app.conf:3: source '/srv//data' has an empty component ('//')");
	expect_config_error("[mount /d]\ntype = hostfs\nsource = /srv/./data\n",
			    "app.conf:3: source '/srv/./data' has a '.' component");
	expect_config_error("[mount /d]\ntype = hostfs\nsource = /srv/../etc\n",
			    "app.conf:3: source '/srv/../etc' has a '..' component");
	expect_config_error("[mount /d]\nsource = /srv/..\ntype = hostfs\n",
			    "app.conf:2: source '/srv/..' has a '..' component");
	expect_config_error(
	    "[mount /d]\ntype = hostfs\nsource = /a\nsource = /b\n",
	    "app.conf:4: duplicate key 'source' in [mount /d] (first set on line 3)");
	expect_config_error("[mount /d]\ntype = hostfs\nsource = ; nothing\n",
			    "app.conf:3: empty value for 'source' in [mount /d]");
}

static void test_mount_error_name(void **state)
{
	char text[256], message[256];

	(void)state;
	static const char *const bad[] = {"a/b", ".hidden", "..", ".", "a b", "caf\xC3\xA9", "x:y"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "[mount /m]\ntype = memfs\nname = %s\n", bad[i]);
		snprintf(message, sizeof(message),
			 "app.conf:3: bad name '%s' (letters, digits, '.', '_' and '-'; "
			 "not '.' first)",
			 bad[i]);
		expect_config_error(text, message);
	}
	snprintf(text, sizeof(text), "[mount /m]\ntype = memfs\nname = %063d\n", 0);
	struct sy_options o;
	load_ok(text, &o);
	assert_int_equal(strlen(o.mounts[0].name), 63);
	snprintf(text, sizeof(text), "[mount /m]\ntype = memfs\nname = %064d\n", 0);
	expect_config_error(text, "app.conf:3: name too long (at most 63 characters)");
}

static void test_mount_error_first_problem_wins(void **state)
{
	(void)state;
	/* a later mount's problem does not hide an earlier one's */
	expect_config_error("[mount /a]\nsize = 1\n[mount b]\n",
			    "app.conf:1: missing key 'type' in [mount /a] (memfs or hostfs)");
	expect_config_error("[mount /a]\nsize = 0\n[mount /b]\n",
			    "app.conf:2: size must be greater than 0 (found '0')");
}

static void test_mount_error_leaves_options_alone(void **state)
{
	struct sy_options o, before;
	char err[PATH_MAX + 512] = "";

	(void)state;
	write_file("good.conf", "[mount /kept]\ntype = memfs\n");
	sy_options_default(&o);
	assert_int_equal(sy_config_load("good.conf", &o, err, sizeof(err)), 0);
	before = o;
	write_file("app.conf", "[mount /a]\ntype = memfs\n[mount /b]\ntype = hostfs\n");
	assert_int_equal(sy_config_load("app.conf", &o, err, sizeof(err)), -1);
	assert_string_equal(
	    err, "app.conf:3: missing key 'source' in [mount /b] (type hostfs needs it)");
	assert_memory_equal(&o, &before, sizeof(o));
}

static void test_mount_replaced_by_next_file(void **state)
{
	struct sy_options o;
	char err[PATH_MAX + 512] = "";

	(void)state;
	write_file("one.conf", "[mount /a]\ntype = memfs\n[mount /b]\ntype = memfs\n");
	write_file("two.conf", "[mount /a]\ntype = memfs\nsize = 1K\n");
	write_file("none.conf", "[interposer]\nmode = sud\n");
	sy_options_default(&o);
	assert_int_equal(sy_config_load("one.conf", &o, err, sizeof(err)), 0);
	assert_int_equal(o.nmounts, 2);
	/* the mounts are the file's: no "duplicate /a", no third mount */
	assert_int_equal(sy_config_load("two.conf", &o, err, sizeof(err)), 0);
	assert_int_equal(o.nmounts, 1);
	assert_int_equal(o.mounts[0].size, 1024);
	assert_int_equal(sy_config_load("none.conf", &o, err, sizeof(err)), 0);
	assert_int_equal(o.nmounts, 0);
}

static void test_mount_env(void **state)
{
	struct sy_options o;
	char err[PATH_MAX + 512] = "";

	(void)state;
	write_file("app.conf", "[interposer]\nmode = sud\n[mount /mem]\ntype = memfs\n"
			       "size = 64K\nname = ci\n[mount /data]\ntype = hostfs\n"
			       "source = /srv/data\nreadonly = 1\n");
	setenv(SY_ENV_CONFIG, "app.conf", 1);
	setenv(SY_ENV_MODE, "rewrite", 1);
	assert_int_equal(sy_options_from_env(&o, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(o.mode, SY_MODE_REWRITE); /* the variable wins over [interposer] */
	assert_int_equal(o.nmounts, 2);		   /* and leaves the mounts alone */
	assert_string_equal(o.mounts[0].path, "/mem");
	assert_int_equal(o.mounts[0].size, 65536);
	assert_string_equal(o.mounts[0].name, "ci");
	assert_string_equal(o.mounts[1].path, "/data");
	assert_string_equal(o.mounts[1].source, "/srv/data");
	assert_int_equal(o.mounts[1].readonly, 1);

	write_file("app.conf", "[mount /mem]\ntype = memfs\nsource = /x\n");
	assert_int_equal(sy_options_from_env(&o, err, sizeof(err)), -1);
	assert_string_equal(err, "app.conf:3: key 'source' does not apply to type memfs");
}

/* ---- the environment ------------------------------------------------------- */

static void test_env_nothing_set(void **state)
{
	struct sy_options o;
	char err[PATH_MAX + 512] = "";

	(void)state;
	memset(&o, 0x55, sizeof(o));
	assert_int_equal(sy_options_from_env(&o, err, sizeof(err)), 0);
	assert_int_equal(o.mode, SY_MODE_AUTO);
	assert_int_equal(o.mode_explicit, 0);
	assert_string_equal(o.config, "");
	assert_string_equal(o.hook, "");
	assert_string_equal(o.trace, "");
	assert_string_equal(o.stats, "");
}

static void test_env_config_then_variables(void **state)
{
	struct sy_options o;
	char err[PATH_MAX + 512] = "";

	write_file("hook.so", "x");
	write_file("app.conf", "[interposer]\nmode = sud\ntrace = /tmp/file-trace\n"
			       "stats = /tmp/file-stats\n");
	setenv(SY_ENV_CONFIG, "app.conf", 1);
	setenv(SY_ENV_MODE, "rewrite", 1);
	setenv(SY_ENV_TRACE, "env-trace-%p", 1); /* relative: against the cwd */
	setenv(SY_ENV_STATS, "", 1);		 /* empty: as if not set */
	setenv(SY_ENV_HOOK, "./hook.so", 1);
	assert_int_equal(sy_options_from_env(&o, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(o.mode, SY_MODE_REWRITE);
	assert_int_equal(o.mode_explicit, 1);
	assert_string_equal(o.config, in_dir(state, "app.conf"));
	assert_string_equal(o.trace, in_dir(state, "env-trace-%p"));
	assert_string_equal(o.stats, "/tmp/file-stats");
	assert_string_equal(o.hook, in_dir(state, "hook.so"));
}

static void test_env_empty_config_ignored(void **state)
{
	struct sy_options o;
	char err[PATH_MAX + 512] = "";

	(void)state;
	setenv(SY_ENV_CONFIG, "", 1);
	assert_int_equal(sy_options_from_env(&o, err, sizeof(err)), 0);
	assert_string_equal(o.config, "");
}

static void test_env_bad_mode(void **state)
{
	struct sy_options o;
	char err[PATH_MAX + 512] = "";

	(void)state;
	setenv(SY_ENV_MODE, "x", 1);
	assert_int_equal(sy_options_from_env(&o, err, sizeof(err)), -1);
	assert_string_equal(err,
			    "SWITCHYARD_MODE: unknown mode 'x' (expected auto, rewrite or sud)");
}

static void test_env_missing_hook(void **state)
{
	struct sy_options o;
	char err[PATH_MAX + 512] = "";

	(void)state;
	setenv(SY_ENV_HOOK, "/nonexistent/hook.so", 1);
	assert_int_equal(sy_options_from_env(&o, err, sizeof(err)), -1);
	assert_string_equal(err, "SWITCHYARD_HOOK: cannot read hook library "
				 "'/nonexistent/hook.so': No such file or directory");
}

static void test_env_bad_config(void **state)
{
	struct sy_options o;
	char err[PATH_MAX + 512] = "";

	(void)state;
	write_file("app.conf", "[interposer]\nmoed = sud\n");
	setenv(SY_ENV_CONFIG, "app.conf", 1);
	assert_int_equal(sy_options_from_env(&o, err, sizeof(err)), -1);
	assert_string_equal(err, "app.conf:2: unknown key 'moed' in [interposer]");
	setenv(SY_ENV_CONFIG, "missing.conf", 1);
	assert_int_equal(sy_options_from_env(&o, err, sizeof(err)), -1);
	assert_string_equal(err, "missing.conf: cannot read: No such file or directory");
}

static void test_option_set(void **state)
{
	struct sy_options o;
	char err[PATH_MAX + 512] = "";

	(void)state;
	sy_options_default(&o);
	assert_int_equal(sy_option_set(&o, "stats", "s.json", "/base", err, sizeof(err)), 0);
	assert_string_equal(o.stats, "/base/s.json");
	assert_int_equal(sy_option_set(&o, "trace", "t", "/", err, sizeof(err)), 0);
	assert_string_equal(o.trace, "/t");
	assert_int_equal(sy_option_set(&o, "mode", "", NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "empty value");
	assert_int_equal(sy_option_set(&o, "colour", "red", NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "unknown option 'colour'");
}

static void test_path_too_long(void **state)
{
	struct sy_options o;
	char err[PATH_MAX + 512] = "";
	char *value = malloc(PATH_MAX + 10);

	(void)state;
	assert_non_null(value);
	memset(value, 'a', PATH_MAX + 9);
	value[0] = '/';
	value[PATH_MAX + 9] = '\0';
	sy_options_default(&o);
	assert_int_equal(sy_option_set(&o, "trace", value, NULL, err, sizeof(err)), -1);
	assert_int_equal(strncmp(err, "path too long: '/aaa", 20), 0);
	assert_string_equal(o.trace, "");
	free(value);
}

/* ---- %p ---------------------------------------------------------------------- */

static void test_expand_pattern(void **state)
{
	char out[64];

	(void)state;
	sy_expand_pattern("/tmp/sy-%p.json", 1234, out, sizeof(out));
	assert_string_equal(out, "/tmp/sy-1234.json");
	sy_expand_pattern("%p-%p", 7, out, sizeof(out));
	assert_string_equal(out, "7-7");
	sy_expand_pattern("100%%-%%p", 7, out, sizeof(out));
	assert_string_equal(out, "100%-%p");
	sy_expand_pattern("a%b%", 7, out, sizeof(out));
	assert_string_equal(out, "a%b%"); /* other escapes stay as they are */
	sy_expand_pattern("plain", 7, out, sizeof(out));
	assert_string_equal(out, "plain");
	sy_expand_pattern("%p", 2147483647, out, sizeof(out));
	assert_string_equal(out, "2147483647");
	sy_expand_pattern("%p", 0, out, sizeof(out));
	assert_string_equal(out, "0");
	sy_expand_pattern("", 7, out, sizeof(out));
	assert_string_equal(out, "");
}

static void test_expand_pattern_truncates(void **state)
{
	char out[8];

	(void)state;
	memset(out, 'x', sizeof(out));
	sy_expand_pattern("abc-%p.json", 123456, out, sizeof(out));
	assert_string_equal(out, "abc-123");
	sy_expand_pattern("abcdefghijk", 1, out, 1);
	assert_string_equal(out, "");
	out[0] = 'x';
	sy_expand_pattern("abc", 1, out, 0); /* nothing written */
	assert_int_equal(out[0], 'x');
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

/* ---- [net] -------------------------------------------------------------- */

static void test_net_full(void **state)
{
	struct sy_options o;
	static const uint8_t a4[4] = {10, 77, 0, 2}, h4[4] = {10, 77, 0, 1};
	static const uint8_t mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
	uint8_t a6[16] = {0xfd, 0x77}, h6[16] = {0xfd, 0x77};

	(void)state;
	a6[15] = 2;
	h6[15] = 1;
	load_ok("[net]\nstack = lwip\ninterface = tap\ntap = sy7\naddress = 10.77.0.2/24\n"
		"host-address = 10.77.0.1\naddress6 = fd77::2/64\nhost-address6 = fd77::1\n"
		"mac = 02:11:22:33:44:55\nmtu = 9000\nsockets = inet, inet6\nloopback = lwip\n",
		&o);
	assert_int_equal(o.net.enabled, 1);
	assert_int_equal(o.net.line, 1);
	assert_string_equal(o.net.tap, "sy7");
	assert_memory_equal(o.net.addr4, a4, 4);
	assert_int_equal(o.net.prefix4, 24);
	assert_int_equal(o.net.has_host4, 1);
	assert_memory_equal(o.net.host4, h4, 4);
	assert_int_equal(o.net.has_gateway4, 1); /* the host's side, by default */
	assert_memory_equal(o.net.gateway4, h4, 4);
	assert_int_equal(o.net.has_addr6, 1);
	assert_memory_equal(o.net.addr6, a6, 16);
	assert_int_equal(o.net.prefix6, 64);
	assert_memory_equal(o.net.host6, h6, 16);
	assert_memory_equal(o.net.mac, mac, 6);
	assert_int_equal(o.net.mtu, 9000);
	assert_int_equal(o.net.families, SY_NET_INET | SY_NET_INET6);
	assert_int_equal(o.net.loopback_lwip, 1);
}

static void test_net_defaults(void **state)
{
	struct sy_options o;
	static const uint8_t mac[6] = {0x02, 0x73, 0x79, 0x00, 0x00, 0x02};

	(void)state;
	load_ok("[interposer]\nmode = sud\n", &o);
	assert_int_equal(o.net.enabled, 0);
	load_ok("[net]\nstack = lwip\naddress = 192.168.5.9/16\n", &o);
	assert_int_equal(o.net.enabled, 1);
	assert_string_equal(o.net.tap, "sy0");
	assert_int_equal(o.net.has_host4, 0);
	assert_int_equal(o.net.has_gateway4, 0);
	assert_int_equal(o.net.has_addr6, 0);
	assert_memory_equal(o.net.mac, mac, 6);
	assert_int_equal(o.net.mtu, 1500);
	assert_int_equal(o.net.families, SY_NET_INET);
	assert_int_equal(o.net.loopback_lwip, 0);
	load_ok("[net]\nstack = lwip\naddress = 10.1.2.3/8\naddress6 = fd00::5/64\n", &o);
	assert_int_equal(o.net.families, SY_NET_INET | SY_NET_INET6);
}

static void test_net_errors(void **state)
{
	(void)state;
	expect_config_error("[net]\naddress = 10.77.0.2/24\n",
			    "app.conf:1: missing key 'stack' in [net] (stack = lwip)");
	expect_config_error("[net]\nstack = lwip\n",
			    "app.conf:1: missing key 'address' in [net] (lwIP's side, as "
			    "10.77.0.2/24)");
	expect_config_error("[net]\nstack = linux\n",
			    "app.conf:2: unknown stack 'linux' (known: lwip)");
	expect_config_error("[net]\nstack = lwip\ninterface = tun\n",
			    "app.conf:3: unknown interface 'tun' (known: tap)");
	expect_config_error("[net]\nstack = lwip\naddress = 10.77.0.300/24\n",
			    "app.conf:3: '10.77.0.300' is not an IPv4 address (address = "
			    "10.77.0.300/24)");
	expect_config_error("[net]\nstack = lwip\naddress = 10.77.0.2\n",
			    "app.conf:3: address needs a prefix length: 10.77.0.2/N");
	expect_config_error("[net]\nstack = lwip\naddress = 10.77.0.2/31\n",
			    "app.conf:3: prefix length of address must be 1 to 30 (found '31')");
	expect_config_error("[net]\nstack = lwip\naddress = 10.77.0.2/24\nhost-address = "
			    "10.77.0.2\n",
			    "app.conf:4: host-address 10.77.0.2 is lwIP's own address");
	expect_config_error("[net]\nstack = lwip\nhost-address = 10.78.0.1\naddress = "
			    "10.77.0.2/24\n",
			    "app.conf:3: host-address 10.78.0.1 is outside 10.77.0.2/24");
	expect_config_error("[net]\nstack = lwip\naddress = 10.77.0.2/24\ngateway = 10.9.0.1\n",
			    "app.conf:4: gateway 10.9.0.1 is outside 10.77.0.2/24");
	expect_config_error("[net]\nstack = lwip\naddress = 10.77.0.2/24\nhost-address = "
			    "10.77.0.1/24\n",
			    "app.conf:4: host-address takes an address without a prefix length "
			    "(found '10.77.0.1/24')");
	expect_config_error("[net]\nstack = lwip\naddress = 10.77.0.2/24\nsockets = inet6\n",
			    "app.conf:4: sockets = inet6 needs address6");
	expect_config_error("[net]\nstack = lwip\naddress = 10.77.0.2/24\nsockets = unix\n",
			    "app.conf:4: unknown socket family 'unix' in sockets (known: inet, "
			    "inet6)");
	expect_config_error("[net]\nstack = lwip\naddress = 10.77.0.2/24\nhost-address6 = "
			    "fd77::1\n",
			    "app.conf:4: host-address6 needs address6 (lwIP's IPv6 address)");
	expect_config_error("[net]\nstack = lwip\naddress = 10.77.0.2/24\nmtu = 100\n",
			    "app.conf:4: mtu must be 576 to 9000 (found '100')");
	expect_config_error("[net]\nstack = lwip\naddress = 10.77.0.2/24\nmac = 01:00:00:00:00:01\n",
			    "app.conf:4: mac '01:00:00:00:00:01' is a multicast address");
	expect_config_error("[net]\nstack = lwip\naddress = 10.77.0.2/24\nloopback = both\n",
			    "app.conf:4: loopback must be kernel or lwip (found 'both')");
	expect_config_error("[net]\nstack = lwip\naddress = 10.77.0.2/24\ntap = a/b\n",
			    "app.conf:4: tap device name 'a/b' may not hold '/'");
	expect_config_error("[net]\nstack = lwip\naddress = 10.77.0.2/24\ntap = "
			    "abcdefghijklmnopq\n",
			    "app.conf:4: tap device name 'abcdefghijklmnopq' is too long (at most 15)");
	expect_config_error("[net]\nstack = lwip\nstack = lwip\n",
			    "app.conf:3: duplicate key 'stack' in [net] (first set on line 2)");
	expect_config_error("[net]\nstack = lwip\naddress = 10.77.0.2/24\n[net]\nstack = lwip\n",
			    "app.conf:4: duplicate section [net] (first on line 1)");
	expect_config_error("[net]\nstack = lwip\nport = 5\n",
			    "app.conf:3: unknown key 'port' in [net]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_mode_names),
	    TEST(test_defaults),
	    TEST(test_load_all_keys),
	    TEST(test_load_hook_and_relative_paths),
	    TEST(test_load_layout_variants),
	    TEST(test_load_empty_files),
	    TEST(test_load_keeps_what_it_does_not_set),
	    TEST(test_error_leaves_options_alone),
	    TEST(test_error_unknown_key),
	    TEST(test_error_unknown_section),
	    TEST(test_error_section_argument),
	    TEST(test_error_duplicate_section),
	    TEST(test_error_bad_mode),
	    TEST(test_error_empty_value),
	    TEST(test_error_duplicate_key),
	    TEST(test_error_syntax),
	    TEST(test_error_key_before_section),
	    TEST(test_error_first_problem_wins),
	    TEST(test_error_long_line),
	    TEST(test_error_hook_missing),
	    TEST(test_error_hook_not_file),
	    TEST(test_error_hook_unreadable),
	    TEST(test_error_unreadable_file),
	    TEST(test_mount_good),
	    TEST(test_mount_only_mounts),
	    TEST(test_mount_max),
	    TEST(test_mount_sizes),
	    TEST(test_mount_readonly_values),
	    TEST(test_mount_error_path),
	    TEST(test_mount_error_duplicate_path),
	    TEST(test_mount_error_type),
	    TEST(test_mount_custom),
	    TEST(test_mount_custom_errors),
	    TEST(test_mount_error_key_of_other_type),
	    TEST(test_mount_error_hostfs_source),
	    TEST(test_mount_error_name),
	    TEST(test_mount_error_first_problem_wins),
	    TEST(test_mount_error_leaves_options_alone),
	    TEST(test_mount_replaced_by_next_file),
	    TEST(test_mount_env),
	    TEST(test_env_nothing_set),
	    TEST(test_env_config_then_variables),
	    TEST(test_env_empty_config_ignored),
	    TEST(test_env_bad_mode),
	    TEST(test_env_missing_hook),
	    TEST(test_env_bad_config),
	    TEST(test_option_set),
	    TEST(test_path_too_long),
	    TEST(test_expand_pattern),
	    TEST(test_expand_pattern_truncates),
	    TEST(test_net_full),
	    TEST(test_net_defaults),
	    TEST(test_net_errors),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
