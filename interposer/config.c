/*
 * Options of one switchyard run: defaults, then the config file, then the
 * SWITCHYARD_* variables. This file also runs inside the library's
 * constructor, so it keeps no global state, prints nothing and never exits:
 * every problem goes back to the caller as one line of text.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Nothing here is part of the public hook API: keep it out of the library's
 * dynamic symbol table. */
#define SY_HIDDEN __attribute__((visibility("hidden")))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Longest line we read; libinih's own limit (197 characters in Debian's
 * build) is lower and is the one users meet. */
#define CONFIG_LINE_MAX 1024
/* Most keys one section can have (duplicate detection keeps one slot each). */
#define CONFIG_KEYS_MAX 16
/* Room for a message that quotes a full path. */
#define PROBLEM_MAX (PATH_MAX + 256)

static const char *error_text(int errnum, char *buf, size_t len)
{
	return strerror_r(errnum, buf, len); /* the GNU variant */
}

/* ---- modes ------------------------------------------------------------ */

static const char *const mode_names[] = {
    [SY_MODE_AUTO] = "auto",
    [SY_MODE_REWRITE] = "rewrite",
    [SY_MODE_SUD] = "sud",
};

SY_HIDDEN int sy_mode_parse(const char *name, enum sy_mode *mode)
{
	for (size_t i = 0; i < ARRAY_SIZE(mode_names); i++) {
		if (strcmp(name, mode_names[i]) == 0) {
			*mode = (enum sy_mode)i;
			return 0;
		}
	}
	return -1;
}

SY_HIDDEN const char *sy_mode_name(enum sy_mode mode)
{
	if ((unsigned)mode < ARRAY_SIZE(mode_names))
		return mode_names[mode];
	return "?";
}

/* ---- file system types ------------------------------------------------ */

/* What a [mount] section may say for each type, besides `type` itself. */
struct mount_type {
	const char *name;
	enum sy_fs_type type;
	const char *const *keys; /* the keys that apply, NULL-terminated */
	const char *required;	 /* a key it cannot do without, or NULL */
};

static const char *const memfs_keys[] = {"size", "name", NULL};
static const char *const hostfs_keys[] = {"source", "readonly", NULL};

static const struct mount_type mount_types[] = {
    {"memfs", SY_FS_MEMFS, memfs_keys, NULL},
    {"hostfs", SY_FS_HOSTFS, hostfs_keys, "source"},
};

SY_HIDDEN const char *sy_fs_type_name(enum sy_fs_type type)
{
	for (size_t i = 0; i < ARRAY_SIZE(mount_types); i++)
		if (mount_types[i].type == type)
			return mount_types[i].name;
	return type == SY_FS_CUSTOM ? "custom" : "?";
}

static int mount_type_has_key(const struct mount_type *t, const char *key)
{
	for (size_t i = 0; t->keys[i]; i++)
		if (strcmp(key, t->keys[i]) == 0)
			return 1;
	return 0;
}

/* ---- single options --------------------------------------------------- */

/* Makes path absolute against base_dir (NULL: the current directory), so
 * that a later chdir of the program does not move the file. */
static int path_make_absolute(const char *path, const char *base_dir, char *out, size_t outlen,
			      char *err, size_t errlen)
{
	char cwd[PATH_MAX];
	char ebuf[128];
	int n;

	if (path[0] == '/') {
		n = snprintf(out, outlen, "%s", path);
	} else {
		if (!base_dir) {
			if (!getcwd(cwd, sizeof(cwd))) {
				snprintf(err, errlen,
					 "cannot make '%s' absolute: current directory: %s", path,
					 error_text(errno, ebuf, sizeof(ebuf)));
				return -1;
			}
			base_dir = cwd;
		}
		while (path[0] == '.' && path[1] == '/') /* "./x" is "x" */
			path += 2 + strspn(path + 2, "/");
		size_t blen = strlen(base_dir);
		const char *sep = blen && base_dir[blen - 1] == '/' ? "" : "/";
		n = snprintf(out, outlen, "%s%s%s", base_dir, sep, path);
	}
	if (n < 0 || (size_t)n >= outlen) {
		snprintf(err, errlen, "path too long: '%s'", path);
		return -1;
	}
	return 0;
}

/* A hook library must be there and readable now, not fail later in dlopen
 * with a less helpful message. */
static int hook_check_readable(const char *path, char *err, size_t errlen)
{
	struct stat st;
	char ebuf[128];

	if (stat(path, &st) < 0)
		goto cannot_read;
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "hook library '%s' is a directory", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "hook library '%s' is not a regular file", path);
		return -1;
	}
	/* AT_EACCESS: the effective ids decide, as they will for dlopen. */
	if (faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) < 0)
		goto cannot_read;
	return 0;

cannot_read:
	snprintf(err, errlen, "cannot read hook library '%s': %s", path,
		 error_text(errno, ebuf, sizeof(ebuf)));
	return -1;
}

static int set_mode(struct sy_options *o, const char *value, const char *base_dir, char *err,
		    size_t errlen)
{
	(void)base_dir;
	if (sy_mode_parse(value, &o->mode) < 0) {
		snprintf(err, errlen, "unknown mode '%s' (expected auto, rewrite or sud)", value);
		return -1;
	}
	o->mode_explicit = 1;
	return 0;
}

static int set_hook(struct sy_options *o, const char *value, const char *base_dir, char *err,
		    size_t errlen)
{
	char path[PATH_MAX];

	if (path_make_absolute(value, base_dir, path, sizeof(path), err, errlen) < 0 ||
	    hook_check_readable(path, err, errlen) < 0)
		return -1;
	memcpy(o->hook, path, sizeof(path));
	return 0;
}

/* trace and stats name files the library creates later: nothing to check
 * yet, and they may hold %p. */
static int set_output(char option[PATH_MAX], const char *value, const char *base_dir, char *err,
		      size_t errlen)
{
	char path[PATH_MAX];

	if (path_make_absolute(value, base_dir, path, sizeof(path), err, errlen) < 0)
		return -1;
	memcpy(option, path, sizeof(path));
	return 0;
}

static int set_trace(struct sy_options *o, const char *value, const char *base_dir, char *err,
		     size_t errlen)
{
	return set_output(o->trace, value, base_dir, err, errlen);
}

static int set_stats(struct sy_options *o, const char *value, const char *base_dir, char *err,
		     size_t errlen)
{
	return set_output(o->stats, value, base_dir, err, errlen);
}

/* The options one name can set, whichever way it is given: config key,
 * SWITCHYARD_* variable or launcher flag. */
static const struct option_key {
	const char *name;
	const char *env;
	int (*set)(struct sy_options *o, const char *value, const char *base_dir, char *err,
		   size_t errlen);
} option_keys[] = {
    {"mode", SY_ENV_MODE, set_mode},
    {"hook", SY_ENV_HOOK, set_hook},
    {"trace", SY_ENV_TRACE, set_trace},
    {"stats", SY_ENV_STATS, set_stats},
};

SY_HIDDEN void sy_options_default(struct sy_options *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = SY_MODE_AUTO;
}

SY_HIDDEN int sy_option_set(struct sy_options *o, const char *key, const char *value,
			    const char *base_dir, char *err, size_t errlen)
{
	for (size_t i = 0; i < ARRAY_SIZE(option_keys); i++) {
		if (strcmp(key, option_keys[i].name) != 0)
			continue;
		if (!*value) {
			snprintf(err, errlen, "empty value");
			return -1;
		}
		return option_keys[i].set(o, value, base_dir, err, errlen);
	}
	snprintf(err, errlen, "unknown option '%s'", key);
	return -1;
}

/* ---- the config file -------------------------------------------------- */

/*
 * libinih splits lines into sections and key = value pairs; we feed it the
 * lines through our own reader, which also keeps the line number, checks
 * what libinih lets pass silently (section headers with no keys under them,
 * over-long lines), removes indentation (so an indented line is never taken
 * for a continuation of the previous value) and cuts comments. The first
 * problem stops the parse: the reader then reports the end of the file.
 */
struct config_parse;

/* One kind of section. New kinds ([mount PATH], [net]) are new rows in
 * config_sections[]. */
struct config_section {
	const char *name;	 /* first word inside the brackets */
	const char *synopsis;	 /* the header as users write it, for messages */
	int takes_argument;	 /* the rest of the header is an argument, as in [mount /data] */
	const char *const *keys; /* the keys it accepts, NULL-terminated */
	/* Opens one instance of the section (optional); argument is "" unless
	 * takes_argument. Returns 0, or -1 after config_problem(). */
	int (*begin)(struct config_parse *p, const char *argument);
	/* One known key, not empty, first time in this instance. Returns 0, or
	 * -1 after config_problem(). */
	int (*set)(struct config_parse *p, const char *key, const char *value);
	/* Closes the instance (optional), at the next header or the end of the
	 * file: checks what only the whole section tells (a missing key).
	 * Returns 0, or -1 after config_problem(). */
	int (*end)(struct config_parse *p);
	/* A key not in keys (optional: without it, such a key is an error).
	 * Not checked for duplicates or an empty value. Returns 0, or -1 after
	 * config_problem(). */
	int (*set_other)(struct config_parse *p, const char *key, const char *value);
};

static int interposer_set(struct config_parse *p, const char *key, const char *value);
static int mount_begin(struct config_parse *p, const char *argument);
static int mount_set(struct config_parse *p, const char *key, const char *value);
static int mount_end(struct config_parse *p);
static int mount_set_other(struct config_parse *p, const char *key, const char *value);
static int net_begin(struct config_parse *p, const char *argument);
static int net_set(struct config_parse *p, const char *key, const char *value);
static int net_end(struct config_parse *p);

static const char *const interposer_keys[] = {"mode", "hook", "trace", "stats", NULL};
static const char *const net_keys[] = {"stack",	       "interface", "tap",	    "address",
				       "host-address", "gateway",   "address6",	    "host-address6",
				       "mac",	       "mtu",	    "sockets",	    "loopback",
				       NULL};
static const char *const mount_keys[] = {"type", "size", "name", "source", "readonly", NULL};

static const struct config_section config_sections[] = {
    {"interposer", "[interposer]", 0, interposer_keys, NULL, interposer_set, NULL, NULL},
    {"mount", "[mount PATH]", 1, mount_keys, mount_begin, mount_set, mount_end, mount_set_other},
    {"net", "[net]", 0, net_keys, net_begin, net_set, net_end, NULL},
};

struct config_parse {
	const char *path;   /* as the caller named it, for messages */
	char dir[PATH_MAX]; /* its directory: base of relative paths */
	FILE *file;
	struct sy_options options; /* what the keys change; the caller's on success */
	int line;		   /* number of the line being parsed */

	const struct config_section *section;	       /* NULL before the first header */
	char header[CONFIG_LINE_MAX + 4];	       /* "[interposer]", for messages */
	int header_line;			       /* where the section opened */
	int key_line[CONFIG_KEYS_MAX];		       /* where each key was set, 0 if not yet */
	int section_line[ARRAY_SIZE(config_sections)]; /* where opened, 0 if not yet */

	const struct mount_type *mount_type; /* of the open [mount], NULL before its type */
	int mount_custom;		     /* its type is one a hook library provides */
	int mount_line[SY_MAX_MOUNTS];	     /* where each mount opened */
	/* Where each of the open [mount]'s kept options was set. Until `type`
	 * comes, every key is kept as an option; a built-in type then checks
	 * them as if they had come after it. */
	int option_line[SY_MOUNT_OPTIONS_MAX];

	int has_problem;
	int problem_line; /* 0: the file as a whole */
	char problem[PROBLEM_MAX];
};

static int config_vproblem(struct config_parse *p, int line, const char *fmt, va_list ap)
{
	if (p->has_problem) /* the first one is the one to fix */
		return -1;
	p->has_problem = 1;
	p->problem_line = line;
	vsnprintf(p->problem, sizeof(p->problem), fmt, ap);
	return -1;
}

/* A problem of the line being parsed. */
__attribute__((format(printf, 2, 3))) static int config_problem(struct config_parse *p,
								const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = config_vproblem(p, p->line, fmt, ap);
	va_end(ap);
	return r;
}

/* A problem found later than its line: a missing key (the header's line), a
 * key that a later `type` rules out (the key's line). */
__attribute__((format(printf, 3, 4))) static int config_problem_at(struct config_parse *p, int line,
								   const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = config_vproblem(p, line, fmt, ap);
	va_end(ap);
	return r;
}

/* Closes the open section, if any. */
static int config_end_section(struct config_parse *p)
{
	if (!p->section || !p->section->end)
		return 0;
	return p->section->end(p);
}

/* Index of key in the open section's keys, -1 if not one of them. */
static int config_key_index(const struct config_parse *p, const char *key)
{
	for (int i = 0; i < CONFIG_KEYS_MAX && p->section->keys[i]; i++)
		if (strcmp(key, p->section->keys[i]) == 0)
			return i;
	return -1;
}

static void config_problem_errno(struct config_parse *p, int errnum)
{
	char ebuf[128];

	config_problem(p, "cannot read: %s", error_text(errnum, ebuf, sizeof(ebuf)));
	p->problem_line = 0;
}

/* "[interposer], [mount PATH]" */
static void config_known_sections(char *out, size_t outlen)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(config_sections) && n < outlen; i++) {
		int w = snprintf(out + n, outlen - n, "%s%s", i ? ", " : "",
				 config_sections[i].synopsis);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* A "[...]" line: which section opens, and is it one we know. */
static int config_open_section(struct config_parse *p, char *text)
{
	char *close = strchr(text, ']');
	char *name, *argument;
	const struct config_section *s = NULL;
	size_t i;

	/* The section before ends here; its problems are on earlier lines. */
	if (config_end_section(p) < 0)
		return -1;
	if (!close)
		return config_problem(p,
				      "syntax error: missing ']' at the end of the section header");
	if (*trim(close + 1))
		return config_problem(p, "syntax error: unexpected text after ']'");
	*close = '\0';
	name = trim(text + 1);

	argument = name + strcspn(name, " \t");
	if (*argument) {
		*argument++ = '\0';
		argument = trim(argument);
	}
	for (i = 0; i < ARRAY_SIZE(config_sections); i++) {
		if (strcmp(name, config_sections[i].name) == 0) {
			s = &config_sections[i];
			break;
		}
	}
	if (!s) {
		char known[256];

		config_known_sections(known, sizeof(known));
		return config_problem(p, "unknown section [%s%s%s] (known: %s)", name,
				      *argument ? " " : "", argument, known);
	}
	if (!s->takes_argument && *argument)
		return config_problem(p, "section %s takes no argument (found '%s')", s->synopsis,
				      argument);
	if (s->takes_argument && !*argument)
		return config_problem(p, "section [%s] needs an argument: %s", name, s->synopsis);
	if (!s->takes_argument) {
		if (p->section_line[i])
			return config_problem(p, "duplicate section %s (first on line %d)",
					      s->synopsis, p->section_line[i]);
		p->section_line[i] = p->line;
	}

	p->section = s;
	p->header_line = p->line;
	memset(p->key_line, 0, sizeof(p->key_line));
	snprintf(p->header, sizeof(p->header), "[%s%s%s]", name, *argument ? " " : "", argument);
	return s->begin ? s->begin(p, argument) : 0;
}

/* Looks at a line before libinih does; text has no indentation and no
 * comment any more. */
static int config_check_line(struct config_parse *p, char *text)
{
	char copy[CONFIG_LINE_MAX];

	if (*text == '\0')
		return 0;
	if (*text == '[') {
		/* On a copy: libinih parses the header again from text. */
		snprintf(copy, sizeof(copy), "%s", text);
		return config_open_section(p, copy);
	}
	if (!strpbrk(text, "=:"))
		return config_problem(
		    p, "syntax error: expected 'key = value', '[section]' or a comment");
	return 0;
}

/* libinih's reader: one line into str (num bytes), NULL at the end or after
 * the first problem. */
static char *config_read_line(char *str, int num, void *stream)
{
	struct config_parse *p = stream;
	char buf[CONFIG_LINE_MAX];
	char *text, *c;
	size_t len, content;

	if (p->has_problem)
		return NULL;
	if (!fgets(buf, sizeof(buf), p->file)) {
		if (ferror(p->file))
			config_problem_errno(p, errno ? errno : EIO);
		return NULL;
	}
	p->line++;

	len = strlen(buf);
	if ((len == 0 || buf[len - 1] != '\n') && !feof(p->file)) {
		if (len == sizeof(buf) - 1)
			config_problem(p, "line too long (at most %d characters)",
				       (int)sizeof(buf) - 2);
		else
			config_problem(p, "syntax error: NUL byte in the line");
		return NULL;
	}

	text = buf;
	if (p->line == 1 && strncmp(text, "\xEF\xBB\xBF", 3) == 0) /* UTF-8 byte order mark */
		text += 3;
	while (isspace((unsigned char)*text))
		text++;
	/* A comment starts with ; or # at the start of the line or after
	 * whitespace; "a#b" in a path stays. */
	for (c = text; *c; c++) {
		if ((*c == ';' || *c == '#') && (c == text || isspace((unsigned char)c[-1]))) {
			*c = '\0';
			break;
		}
	}
	text = trim(text);

	content = strlen(text);
	if (content + 3 > (size_t)num) { /* libinih needs room for "\r\n\0" */
		config_problem(p, "line too long (at most %d characters)", num - 3);
		return NULL;
	}
	if (config_check_line(p, text) < 0)
		return NULL;
	memcpy(str, text, content + 1);
	return str;
}

/* libinih's handler: one key = value pair. Returns 1 to go on, 0 on a problem. */
static int config_handle_key(void *user, const char *section, const char *key, const char *value)
{
	struct config_parse *p = user;
	const struct config_section *s = p->section;
	int i;

	(void)section; /* we track sections ourselves: libinih cuts long names */
	if (p->has_problem)
		return 0;
	if (!s) {
		char known[256];

		config_known_sections(known, sizeof(known));
		config_problem(p, "key '%s' before any section header (known: %s)", key, known);
		return 0;
	}
	if (!*key) {
		config_problem(p, "syntax error: missing key before '='");
		return 0;
	}
	i = config_key_index(p, key);
	if (i < 0 && s->set_other)
		return s->set_other(p, key, value) == 0;
	if (i < 0) {
		config_problem(p, "unknown key '%s' in %s", key, p->header);
		return 0;
	}
	if (p->key_line[i]) {
		config_problem(p, "duplicate key '%s' in %s (first set on line %d)", key, p->header,
			       p->key_line[i]);
		return 0;
	}
	p->key_line[i] = p->line;
	if (!*value) {
		config_problem(p, "empty value for '%s' in %s", key, p->header);
		return 0;
	}
	return s->set(p, key, value) == 0;
}

static int interposer_set(struct config_parse *p, const char *key, const char *value)
{
	char err[PROBLEM_MAX];

	if (sy_option_set(&p->options, key, value, p->dir, err, sizeof(err)) < 0)
		return config_problem(p, "%s", err);
	return 0;
}

/* ---- [net] ------------------------------------------------------------- */

static int net_begin(struct config_parse *p, const char *argument)
{
	struct sy_net_config *n = &p->options.net;
	static const uint8_t mac[6] = {0x02, 0x73, 0x79, 0x00, 0x00, 0x02};

	(void)argument;
	memset(n, 0, sizeof(*n));
	n->line = p->line;
	snprintf(n->tap, sizeof(n->tap), "sy0");
	memcpy(n->mac, mac, sizeof(mac));
	n->mtu = 1500;
	return 0;
}

/* "A.B.C.D" or "X::Y" (family af) into out; with want_prefix, "/N" after it. */
static int net_address(struct config_parse *p, const char *key, const char *value, int af,
		       uint8_t *out, int *prefix)
{
	char text[128];
	const char *slash = strchr(value, '/');
	size_t len = slash ? (size_t)(slash - value) : strlen(value);
	int max = af == AF_INET ? 32 : 128;

	if (len >= sizeof(text) || inet_pton(af, (memcpy(text, value, len), text[len] = 0, text),
					     out) != 1)
		return config_problem(p, "'%s' is not an %s address (%s = %s)", text,
				      af == AF_INET ? "IPv4" : "IPv6", key, value);
	if (!prefix) {
		if (slash)
			return config_problem(p, "%s takes an address without a prefix length "
						 "(found '%s')",
					      key, value);
		return 0;
	}
	if (!slash)
		return config_problem(p, "%s needs a prefix length: %s/N", key, text);
	char *end;
	long v = strtol(slash + 1, &end, 10);
	if (!slash[1] || *end || v < 1 || v > max - 2)
		return config_problem(p, "prefix length of %s must be 1 to %d (found '%s')", key,
				      max - 2, slash + 1);
	*prefix = (int)v;
	return 0;
}

static int net_set(struct config_parse *p, const char *key, const char *value)
{
	struct sy_net_config *n = &p->options.net;

	if (strcmp(key, "stack") == 0) {
		if (strcmp(value, "lwip") != 0)
			return config_problem(p, "unknown stack '%s' (known: lwip)", value);
		n->enabled = 1;
		return 0;
	}
	if (strcmp(key, "interface") == 0) {
		if (strcmp(value, "tap") != 0)
			return config_problem(p, "unknown interface '%s' (known: tap)", value);
		return 0;
	}
	if (strcmp(key, "tap") == 0) {
		size_t len = strlen(value);
		if (len >= sizeof(n->tap))
			return config_problem(p, "tap device name '%s' is too long (at most %zu)",
					      value, sizeof(n->tap) - 1);
		for (const char *c = value; *c; c++)
			if (*c == '/' || *c == ':' || isspace((unsigned char)*c))
				return config_problem(p, "tap device name '%s' may not hold '%c'",
						      value, *c);
		memcpy(n->tap, value, len + 1);
		return 0;
	}
	if (strcmp(key, "address") == 0)
		return net_address(p, key, value, AF_INET, n->addr4, &n->prefix4);
	if (strcmp(key, "host-address") == 0) {
		n->has_host4 = 1;
		return net_address(p, key, value, AF_INET, n->host4, NULL);
	}
	if (strcmp(key, "gateway") == 0) {
		n->has_gateway4 = 1;
		return net_address(p, key, value, AF_INET, n->gateway4, NULL);
	}
	if (strcmp(key, "address6") == 0) {
		n->has_addr6 = 1;
		return net_address(p, key, value, AF_INET6, n->addr6, &n->prefix6);
	}
	if (strcmp(key, "host-address6") == 0) {
		n->has_host6 = 1;
		return net_address(p, key, value, AF_INET6, n->host6, NULL);
	}
	if (strcmp(key, "mac") == 0) {
		unsigned b[6];
		char extra;
		if (sscanf(value, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
			   &b[5], &extra) != 6)
			return config_problem(p, "mac '%s' is not six hex bytes (02:73:79:00:00:02)",
					      value);
		if (b[0] & 1)
			return config_problem(p, "mac '%s' is a multicast address", value);
		for (int i = 0; i < 6; i++)
			n->mac[i] = (uint8_t)b[i];
		return 0;
	}
	if (strcmp(key, "mtu") == 0) {
		char *end;
		long v = strtol(value, &end, 10);
		if (*end || v < 576 || v > 9000)
			return config_problem(p, "mtu must be 576 to 9000 (found '%s')", value);
		n->mtu = (int)v;
		return 0;
	}
	if (strcmp(key, "sockets") == 0) {
		char words[256];
		snprintf(words, sizeof(words), "%s", value);
		n->families = 0;
		for (char *save, *w = strtok_r(words, " ,\t", &save); w;
		     w = strtok_r(NULL, " ,\t", &save)) {
			if (strcmp(w, "inet") == 0)
				n->families |= SY_NET_INET;
			else if (strcmp(w, "inet6") == 0)
				n->families |= SY_NET_INET6;
			else
				return config_problem(p, "unknown socket family '%s' in sockets "
							 "(known: inet, inet6)",
						      w);
		}
		return 0;
	}
	/* loopback */
	if (strcmp(value, "kernel") == 0)
		n->loopback_lwip = 0;
	else if (strcmp(value, "lwip") == 0)
		n->loopback_lwip = 1;
	else
		return config_problem(p, "loopback must be kernel or lwip (found '%s')", value);
	return 0;
}

static int same_subnet(const uint8_t *a, const uint8_t *b, int prefix)
{
	for (int i = 0; i < prefix; i++)
		if (((a[i / 8] ^ b[i / 8]) >> (7 - i % 8)) & 1)
			return 0;
	return 1;
}

static int net_end(struct config_parse *p)
{
	struct sy_net_config *n = &p->options.net;
	int at = p->header_line;
	char a[64], b[64];

	if (!p->key_line[config_key_index(p, "stack")])
		return config_problem_at(p, at, "missing key 'stack' in [net] (stack = lwip)");
	if (!p->key_line[config_key_index(p, "address")])
		return config_problem_at(p, at, "missing key 'address' in [net] (lwIP's side, "
						 "as 10.77.0.2/24)");
	inet_ntop(AF_INET, n->addr4, a, sizeof(a));
	if (n->has_host4) {
		int line = p->key_line[config_key_index(p, "host-address")];
		inet_ntop(AF_INET, n->host4, b, sizeof(b));
		if (memcmp(n->host4, n->addr4, 4) == 0)
			return config_problem_at(p, line, "host-address %s is lwIP's own address",
						 b);
		if (!same_subnet(n->host4, n->addr4, n->prefix4))
			return config_problem_at(p, line, "host-address %s is outside %s/%d", b,
						 a, n->prefix4);
	}
	if (n->has_gateway4) {
		int line = p->key_line[config_key_index(p, "gateway")];
		inet_ntop(AF_INET, n->gateway4, b, sizeof(b));
		if (!same_subnet(n->gateway4, n->addr4, n->prefix4))
			return config_problem_at(p, line, "gateway %s is outside %s/%d", b, a,
						 n->prefix4);
	} else if (n->has_host4) {
		memcpy(n->gateway4, n->host4, 4);
		n->has_gateway4 = 1;
	}
	if (n->has_host6 && !n->has_addr6)
		return config_problem_at(p, p->key_line[config_key_index(p, "host-address6")],
					 "host-address6 needs address6 (lwIP's IPv6 address)");
	if (n->has_host6 && memcmp(n->host6, n->addr6, 16) == 0)
		return config_problem_at(p, p->key_line[config_key_index(p, "host-address6")],
					 "host-address6 is lwIP's own address");
	if (!p->key_line[config_key_index(p, "sockets")])
		n->families = SY_NET_INET | (n->has_addr6 ? SY_NET_INET6 : 0);
	else if (!n->families)
		return config_problem_at(p, p->key_line[config_key_index(p, "sockets")],
					 "sockets names no family (inet, inet6)");
	else if ((n->families & SY_NET_INET6) && !n->has_addr6)
		return config_problem_at(p, p->key_line[config_key_index(p, "sockets")],
					 "sockets = inet6 needs address6");
	return 0;
}

size_t sy_config_describe_net(const struct sy_options *o, char *out, size_t outlen)
{
	const struct sy_net_config *n = &o->net;
	char a[64], h[64] = "", a6[64] = "";
	if (!n->enabled || !outlen)
		return 0;
	inet_ntop(AF_INET, n->addr4, a, sizeof(a));
	if (n->has_host4) {
		char t[INET_ADDRSTRLEN];
		snprintf(h, sizeof(h), " (host %s)", inet_ntop(AF_INET, n->host4, t, sizeof(t)));
	}
	if (n->has_addr6) {
		char t[INET6_ADDRSTRLEN];
		snprintf(a6, sizeof(a6), ", %s/%d", inet_ntop(AF_INET6, n->addr6, t, sizeof(t)),
			 n->prefix6);
	}
	int len = snprintf(out, outlen, "net: lwip on TAP %s, %s/%d%s%s, sockets %s%s%s; "
					"loopback on %s\n",
			   n->tap, a, n->prefix4, h, a6, (n->families & SY_NET_INET) ? "inet" : "",
			   n->families == (SY_NET_INET | SY_NET_INET6) ? " " : "",
			   (n->families & SY_NET_INET6) ? "inet6" : "",
			   n->loopback_lwip ? "lwIP" : "the kernel");
	return len < 0 ? 0 : (size_t)len >= outlen ? outlen - 1 : (size_t)len;
}

/* ---- [mount PATH] ------------------------------------------------------ */

/*
 * A path the VFS will compare as it is: absolute and already normalized (no
 * trailing '/' except in "/", no "//", no "." or ".." component). We say what
 * is wrong rather than resolve it: "/a/../b" is more likely a mistake than a
 * wish for "/b". what is "mount path" or "source", for the message.
 */
static int mount_check_path(struct config_parse *p, const char *what, const char *path)
{
	const char *c = path;

	if (path[0] != '/')
		return config_problem(p, "%s '%s' is not absolute", what, path);
	if (strlen(path) >= SY_MOUNT_PATH_MAX)
		return config_problem(p, "%s too long (at most %d characters)", what,
				      SY_MOUNT_PATH_MAX - 1);
	if (strcmp(path, "/") == 0)
		return 0;
	while (*c) { /* at the '/' before a component */
		const char *start = c + 1;
		size_t len = strcspn(start, "/");

		if (len == 0 && *start)
			return config_problem(p, "%s '%s' has an empty component ('//')", what,
					      path);
		if (len == 0)
			return config_problem(p, "%s '%s' ends with '/'", what, path);
		if (len == 1 && start[0] == '.')
			return config_problem(p, "%s '%s' has a '.' component", what, path);
		if (len == 2 && start[0] == '.' && start[1] == '.')
			return config_problem(p, "%s '%s' has a '..' component", what, path);
		c = start + len;
	}
	return 0;
}

static struct sy_mount_config *mount_current(struct config_parse *p)
{
	return &p->options.mounts[p->options.nmounts - 1];
}

static int mount_begin(struct config_parse *p, const char *argument)
{
	struct sy_options *o = &p->options;
	struct sy_mount_config *m;

	if (mount_check_path(p, "mount path", argument) < 0)
		return -1;
	if (strcmp(argument, "/") == 0)
		return config_problem(p, "cannot mount on '/' itself");
	for (int i = 0; i < o->nmounts; i++)
		if (strcmp(o->mounts[i].path, argument) == 0)
			return config_problem(p, "duplicate mount path '%s' (first on line %d)",
					      argument, p->mount_line[i]);
	if (o->nmounts == SY_MAX_MOUNTS)
		return config_problem(p, "too many mounts (at most %d)", SY_MAX_MOUNTS);

	m = &o->mounts[o->nmounts];
	memset(m, 0, sizeof(*m));
	memcpy(m->path, argument, strlen(argument) + 1);
	m->line = p->line;
	p->mount_line[o->nmounts] = p->line;
	o->nmounts++;
	p->mount_type = NULL;
	p->mount_custom = 0;
	return 0;
}

/* Digits, then K, M or G (powers of 1024) or nothing (bytes). Returns 0, -1
 * if it is no size, -2 if it is above what an off_t holds. */
static int parse_size(const char *text, uint64_t *out)
{
	const uint64_t max = INT64_MAX;
	size_t digits = strspn(text, "0123456789");
	uint64_t v = 0;
	int shift = 0;

	if (digits == 0)
		return -1;
	switch (text[digits]) {
	case '\0':
		break;
	case 'K':
		shift = 10;
		break;
	case 'M':
		shift = 20;
		break;
	case 'G':
		shift = 30;
		break;
	default:
		return -1;
	}
	if (shift && text[digits + 1])
		return -1;
	for (size_t i = 0; i < digits; i++) {
		unsigned d = (unsigned)(text[i] - '0');

		if (v > (max - d) / 10)
			return -2;
		v = v * 10 + d;
	}
	if (v > max >> shift)
		return -2;
	*out = v << shift;
	return 0;
}

static int mount_set_size(struct config_parse *p, struct sy_mount_config *m, const char *value)
{
	uint64_t size;
	int r = parse_size(value, &size);

	if (r == -1)
		return config_problem(
		    p, "bad size '%s' (expected bytes, or a number and K, M or G)", value);
	if (r == -2)
		return config_problem(p, "size '%s' is too large", value);
	if (size == 0)
		return config_problem(p, "size must be greater than 0 (found '%s')", value);
	m->size = size;
	return 0;
}

/* The name of a shared memfs ends up in a file name (of shared memory):
 * keep it to characters that are safe there. */
static int mount_set_name(struct config_parse *p, struct sy_mount_config *m, const char *value)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyz"
				      "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789._-";
	size_t len = strlen(value);

	if (len >= SY_MEMFS_NAME_MAX)
		return config_problem(p, "name too long (at most %d characters)",
				      SY_MEMFS_NAME_MAX - 1);
	if (strspn(value, allowed) != len || value[0] == '.')
		return config_problem(p,
				      "bad name '%s' (letters, digits, '.', '_' and '-'; "
				      "not '.' first)",
				      value);
	memcpy(m->name, value, len + 1);
	return 0;
}

static int mount_set_readonly(struct config_parse *p, struct sy_mount_config *m, const char *value)
{
	static const char *const yes[] = {"yes", "true", "1"};
	static const char *const no[] = {"no", "false", "0"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcmp(value, yes[i]) == 0) {
			m->readonly = 1;
			return 0;
		}
		if (strcmp(value, no[i]) == 0) {
			m->readonly = 0;
			return 0;
		}
	}
	return config_problem(
	    p, "bad value '%s' for 'readonly' (expected yes, no, true, false, 1 or 0)", value);
}

/* A key of a built-in type, its value not empty: checked and stored. */
static int mount_set_builtin(struct config_parse *p, struct sy_mount_config *m, const char *key,
			     const char *value)
{
	if (strcmp(key, "size") == 0)
		return mount_set_size(p, m, value);
	if (strcmp(key, "name") == 0)
		return mount_set_name(p, m, value);
	if (strcmp(key, "readonly") == 0)
		return mount_set_readonly(p, m, value);
	/* source */
	if (mount_check_path(p, "source", value) < 0)
		return -1;
	memcpy(m->source, value, strlen(value) + 1);
	return 0;
}

/* Keeps key = value as an option of the open mount: a custom type's, or any
 * key until the type is known. */
static int mount_keep(struct config_parse *p, struct sy_mount_config *m, const char *key,
		      const char *value)
{
	struct sy_mount_option *opt;

	if (m->noptions == SY_MOUNT_OPTIONS_MAX)
		return config_problem(p, "too many keys in %s (at most %d)", p->header,
				      SY_MOUNT_OPTIONS_MAX);
	if (strlen(key) >= SY_MOUNT_OPTION_KEY_MAX)
		return config_problem(p, "key '%s' too long (at most %d characters)", key,
				      SY_MOUNT_OPTION_KEY_MAX - 1);
	if (strlen(value) >= SY_MOUNT_OPTION_VALUE_MAX)
		return config_problem(p, "value of '%s' too long (at most %d characters)", key,
				      SY_MOUNT_OPTION_VALUE_MAX - 1);
	opt = &m->options[m->noptions];
	memcpy(opt->key, key, strlen(key) + 1);
	memcpy(opt->value, value, strlen(value) + 1);
	p->option_line[m->noptions++] = p->line;
	return 0;
}

/*
 * The keys kept before the type turned out built-in (or never came): checked
 * in file order as they would have been on their own lines, then dropped.
 */
static int mount_check_kept(struct config_parse *p, struct sy_mount_config *m)
{
	int line = p->line, r = 0;

	for (int i = 0; i < m->noptions && r == 0; i++) {
		const struct sy_mount_option *opt = &m->options[i];

		p->line = p->option_line[i]; /* config_problem() names the key's line */
		if (config_key_index(p, opt->key) < 0)
			r = config_problem(p, "unknown key '%s' in %s", opt->key, p->header);
		else
			r = mount_set_builtin(p, m, opt->key, opt->value);
	}
	p->line = line;
	m->noptions = 0;
	return r;
}

/* A type a hook library provides: a name like a C identifier, with '-'. */
static int mount_type_name_ok(const char *name)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyz"
				      "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789_-";
	size_t len = strlen(name);

	return len > 0 && len < SY_FS_TYPE_NAME_MAX && strspn(name, allowed) == len;
}

/* `type`: keys given before it must apply to it too. */
static int mount_set_type(struct config_parse *p, struct sy_mount_config *m, const char *value)
{
	const struct mount_type *t = NULL;
	const char *bad = NULL;
	int bad_line = 0;

	for (size_t i = 0; i < ARRAY_SIZE(mount_types); i++)
		if (strcmp(value, mount_types[i].name) == 0)
			t = &mount_types[i];
	if (!t && !mount_type_name_ok(value))
		return config_problem(p,
				      "bad type '%s' (memfs, hostfs, or the name of a file "
				      "system a hook library provides: letters, digits, '_' "
				      "and '-', at most %d characters)",
				      value, SY_FS_TYPE_NAME_MAX - 1);
	memcpy(m->type_name, value, strlen(value) + 1);
	if (!t) {
		/* Its keys are the backend's business: every one is kept. */
		m->type = SY_FS_CUSTOM;
		p->mount_custom = 1;
		return 0;
	}
	m->type = t->type;
	p->mount_type = t;
	if (mount_check_kept(p, m) < 0)
		return -1;

	/* The first of them in the file is the one to report. */
	for (int i = 0; i < CONFIG_KEYS_MAX && p->section->keys[i]; i++) {
		const char *key = p->section->keys[i];

		if (!p->key_line[i] || strcmp(key, "type") == 0 || mount_type_has_key(t, key))
			continue;
		if (!bad || p->key_line[i] < bad_line) {
			bad = key;
			bad_line = p->key_line[i];
		}
	}
	if (bad)
		return config_problem_at(p, bad_line, "key '%s' does not apply to type %s", bad,
					 t->name);
	return 0;
}

static int mount_set(struct config_parse *p, const char *key, const char *value)
{
	struct sy_mount_config *m = mount_current(p);

	if (strcmp(key, "type") == 0)
		return mount_set_type(p, m, value);
	if (!p->mount_type) /* a custom type, or not known yet */
		return mount_keep(p, m, key, value);
	if (!mount_type_has_key(p->mount_type, key))
		return config_problem(p, "key '%s' does not apply to type %s", key,
				      p->mount_type->name);
	return mount_set_builtin(p, m, key, value);
}

/* A key that memfs and hostfs do not know: a custom type's option. */
static int mount_set_other(struct config_parse *p, const char *key, const char *value)
{
	struct sy_mount_config *m = mount_current(p);

	if (p->mount_type)
		return config_problem(p, "unknown key '%s' in %s", key, p->header);
	for (int i = 0; i < m->noptions; i++)
		if (strcmp(m->options[i].key, key) == 0)
			return config_problem(p, "duplicate key '%s' in %s (first set on line %d)",
					      key, p->header, p->option_line[i]);
	if (!*value)
		return config_problem(p, "empty value for '%s' in %s", key, p->header);
	return mount_keep(p, m, key, value);
}

/* Missing keys: reported on the header's line. */
static int mount_end(struct config_parse *p)
{
	const struct mount_type *t = p->mount_type;

	if (p->mount_custom)
		return 0;
	/* keys before a type that never came: their own problems first */
	if (!t && mount_check_kept(p, mount_current(p)) < 0)
		return -1;
	if (!t)
		return config_problem_at(p, p->header_line,
					 "missing key 'type' in %s (memfs or hostfs)", p->header);
	if (t->required && !p->key_line[config_key_index(p, t->required)])
		return config_problem_at(p, p->header_line,
					 "missing key '%s' in %s (type %s needs it)", t->required,
					 p->header, t->name);
	return 0;
}

SY_HIDDEN int sy_config_load(const char *path, struct sy_options *o, char *err, size_t errlen)
{
	struct config_parse *p;
	struct stat st;
	char ebuf[128];
	char *slash;
	int ret = -1, r;

	if (!*path) {
		snprintf(err, errlen, "config file name is empty");
		return -1;
	}
	/* Some 30 KiB: better on the heap than on the stack of whatever thread
	 * the constructor runs on. */
	p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	p->path = path;
	p->options = *o;	/* *o stays as it was if the file is bad */
	p->options.nmounts = 0; /* the mounts are the file's */
	memset(&p->options.net, 0, sizeof(p->options.net)); /* and so is [net] */

	if (path_make_absolute(path, NULL, p->options.config, sizeof(p->options.config), p->problem,
			       sizeof(p->problem)) < 0) {
		snprintf(err, errlen, "%s: %s", path, p->problem);
		goto out;
	}
	/* Relative paths in the file are relative to the file's directory. */
	memcpy(p->dir, p->options.config, sizeof(p->dir));
	slash = strrchr(p->dir, '/');
	if (slash == p->dir)
		slash[1] = '\0'; /* "/sy.conf": the root */
	else
		slash[0] = '\0';

	p->file = fopen(path, "re");
	if (!p->file) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 error_text(errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	if (fstat(fileno(p->file), &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 error_text(EISDIR, ebuf, sizeof(ebuf)));
		goto out;
	}

	r = ini_parse_stream(config_read_line, p, config_handle_key, p);
	if (r == 0 && !p->has_problem)
		config_end_section(p); /* the last section ends with the file */
	if (p->has_problem && p->problem_line > 0)
		snprintf(err, errlen, "%s:%d: %s", path, p->problem_line, p->problem);
	else if (p->has_problem)
		snprintf(err, errlen, "%s: %s", path, p->problem);
	else if (r == -2)
		snprintf(err, errlen, "%s: out of memory", path);
	else if (r != 0) /* a line libinih refused that our reader let through */
		snprintf(err, errlen, "%s:%d: syntax error", path, r);
	else
		ret = 0;
	if (ret == 0)
		*o = p->options;
out:
	if (p->file)
		fclose(p->file);
	free(p);
	return ret;
}

/* ---- what a check can tell -------------------------------------------- */

SY_HIDDEN size_t sy_config_describe_mounts(const struct sy_options *o, char *out, size_t outlen)
{
	size_t n = 0;

	if (outlen)
		out[0] = '\0';
	for (int i = 0; i < o->nmounts && n < outlen; i++) {
		const struct sy_mount_config *m = &o->mounts[i];
		int w;

		if (m->type != SY_FS_CUSTOM)
			continue;
		if (o->hook[0])
			w = snprintf(out + n, outlen - n,
				     "%s:%d: [mount %s]: file system '%s' is provided by a hook "
				     "library: looked up in %s at run time\n",
				     o->config, m->line, m->path, m->type_name, o->hook);
		else
			w = snprintf(out + n, outlen - n,
				     "%s:%d: [mount %s]: file system '%s' is provided by a hook "
				     "library (none is set: give one with 'hook =' in "
				     "[interposer], --hook or SWITCHYARD_HOOK)\n",
				     o->config, m->line, m->path, m->type_name);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return n < outlen ? n : outlen ? outlen - 1 : 0;
}

/* ---- the environment -------------------------------------------------- */

SY_HIDDEN int sy_options_apply_env(struct sy_options *o, char *err, size_t errlen)
{
	char problem[PROBLEM_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(option_keys); i++) {
		const char *value = getenv(option_keys[i].env);

		if (!value || !*value)
			continue;
		if (option_keys[i].set(o, value, NULL, problem, sizeof(problem)) < 0) {
			snprintf(err, errlen, "%s: %s", option_keys[i].env, problem);
			return -1;
		}
	}
	return 0;
}

SY_HIDDEN int sy_options_from_env(struct sy_options *o, char *err, size_t errlen)
{
	const char *config = getenv(SY_ENV_CONFIG);

	sy_options_default(o);
	if (config && *config && sy_config_load(config, o, err, errlen) < 0)
		return -1;
	return sy_options_apply_env(o, err, errlen);
}

/* ---- file name patterns ----------------------------------------------- */

/* No stdio here: this may run late in a process (at exit, in a fork child). */
SY_HIDDEN void sy_expand_pattern(const char *pattern, int pid, char *out, size_t outlen)
{
	char digits[16];
	size_t n = 0;

	if (outlen == 0)
		return;
	for (const char *s = pattern; *s; s++) {
		const char *piece = s;
		size_t len = 1;

		if (s[0] == '%' && s[1] == 'p') {
			unsigned long v = pid < 0 ? 0UL - (unsigned long)pid : (unsigned long)pid;
			char *d = digits + sizeof(digits);

			do
				*--d = (char)('0' + v % 10);
			while ((v /= 10) != 0);
			if (pid < 0)
				*--d = '-';
			piece = d;
			len = (size_t)(digits + sizeof(digits) - d);
			s++;
		} else if (s[0] == '%' && s[1] == '%') {
			s++;
		}
		if (len > outlen - 1 - n)
			len = outlen - 1 - n;
		memcpy(out + n, piece, len);
		n += len;
	}
	out[n] = '\0';
}
