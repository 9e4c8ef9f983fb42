/*
 * switchyard, the launcher: checks the options of a run with the same code
 * the library uses (config.c), hands them on through the environment,
 * preloads libswitchyard.so and executes the program. When anything is wrong
 * it says so and does not run the program at all, so a typo never runs it
 * silently without switchyard.
 */
#include "config.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SY_VERSION
#define SY_VERSION "0.1.0"
#endif

#define SY_ENV_LIB "SWITCHYARD_LIB"
#define LIBRARY_NAME "libswitchyard.so"

/* Exit status when switchyard itself refuses to start the program. */
#define EXIT_USAGE 2

/* ---- help ------------------------------------------------------------- */

static const char help_intro[] =
    "usage: switchyard run [OPTIONS] [--] CMD [ARGS...]\n"
    "       switchyard check [-c] CONFIG\n"
    "       switchyard net up|down -c CONFIG [--user USER]\n"
    "       switchyard --help | --version\n"
    "\n"
    "switchyard runs an unmodified Linux x86-64 program with every system call\n"
    "it makes caught by a preloaded library, libswitchyard.so, which can count\n"
    "them (--stats), trace them (--trace) and hand them to a hook library of\n"
    "your own (--hook).\n"
    "\n"
    "Commands:\n"
    "  run      check the options, then run CMD under switchyard\n"
    "  check    check a config file; prints \"CONFIG: ok\" or the first problem\n"
    "  net      set up (up) or remove (down) the TAP device of a config's [net]\n"
    "           section, for an unprivileged user to run with later\n"
    "\n"
    "Options:\n"
    "  -h, --help     this help; 'switchyard run --help' and\n"
    "                 'switchyard check --help' describe the commands\n"
    "  -V, --version  print the version\n"
    "\n";

static const char help_run_usage[] =
    "usage: switchyard run [OPTIONS] [--] CMD [ARGS...]\n"
    "\n"
    "Checks the options, then runs CMD with libswitchyard.so preloaded. If an\n"
    "option, the config file or the hook library is wrong, prints the problem\n"
    "and exits with status 2 without running CMD.\n"
    "\n";

static const char help_run_options[] =
    "Options of run:\n"
    "  -c, --config FILE  read options from the INI config file FILE\n"
    "                     (format: 'switchyard check --help')\n"
    "      --mode MODE    how system calls are caught: auto (the default),\n"
    "                     rewrite or sud; see Modes below\n"
    "      --hook LIB     load the hook library LIB, a shared object that\n"
    "                     exports switchyard_hook_init() and registers hooks\n"
    "                     that see, change or answer every system call\n"
    "                     (include/switchyard/hook.h); it must be readable\n"
    "      --trace FILE   write strace-like lines to FILE: one per system\n"
    "                     call, with the process id, the call's name and\n"
    "                     arguments, and its result\n"
    "      --stats FILE   write a JSON object to FILE when each process exits\n"
    "                     (see Output files below)\n"
    "  -h, --help         show the help of run\n"
    "  --                 ends the options; needed only when CMD starts with '-'\n"
    "Options after CMD are CMD's own. In FILE, %p stands for the process id and\n"
    "%% for '%': use %p when CMD starts other processes, so that each process\n"
    "writes its own file. Relative paths given here are made absolute against\n"
    "the current directory before CMD starts (so a chdir in CMD does not move\n"
    "them); those in a config file, against the config file's directory.\n"
    "\n";

static const char help_modes[] =
    "Modes:\n"
    "  auto     rewrite, or sud where rewrite is not exact or not allowed:\n"
    "           for the JVM, .NET, Mono and Go (their compiled code relies on\n"
    "           reads of page 0 faulting), and when page 0 cannot be mapped\n"
    "           (e.g. not root and vm.mmap_min_addr > 0; then with a one-line\n"
    "           notice on stderr).\n"
    "  rewrite  every syscall instruction of the program's code is rewritten\n"
    "           into a call to a trampoline mapped at address 0, or into int3\n"
    "           where a call would not be exact (served through SIGTRAP);\n"
    "           code loaded later is scanned when it is mapped, and code that\n"
    "           cannot be scanned (JIT) turns Syscall User Dispatch on. An\n"
    "           error if page 0 cannot be mapped (needs CAP_SYS_RAWIO).\n"
    "  sud      every system call is trapped by Syscall User Dispatch (a\n"
    "           SIGSYS each); nothing is rewritten. Slower; needs no\n"
    "           privileges.\n"
    "\n";

static const char help_outputs[] =
    "Output files:\n"
    "  --stats  JSON, written when each process exits, with the keys\n"
    "           \"syscalls\" (how many system calls the process made),\n"
    "           \"by_name\" (an object: system call name to count),\n"
    "           \"mode\" (the mode the process ran in), \"sites_rewritten\"\n"
    "           and \"sites_trapped\" (syscall instructions made calls or int3,\n"
    "           with \"sites_refused\": why not calls), \"sud_traps\" and\n"
    "           \"site_traps\" (calls that came through SIGSYS or SIGTRAP),\n"
    "           \"sud_on\" (whether Syscall User Dispatch was needed).\n"
    "  --trace  strace-like text, one line per system call: process id, the\n"
    "           name of the call with its arguments, and its result.\n"
    "\n";

static const char help_environment[] =
    "Environment:\n"
    "  SWITCHYARD_CONFIG, SWITCHYARD_MODE, SWITCHYARD_HOOK, SWITCHYARD_TRACE,\n"
    "  SWITCHYARD_STATS\n"
    "           what the library reads in every process of the run: first the\n"
    "           config file SWITCHYARD_CONFIG, then the other variables, which\n"
    "           win over it. run sets them from its options (as absolute\n"
    "           paths). Variables already set when run starts are honoured:\n"
    "           the config file loses to them, they lose to run's options.\n"
    "  SWITCHYARD_LIB\n"
    "           the library to preload, instead of ../lib/libswitchyard.so\n"
    "           next to the real path of this program (for installed copies).\n"
    "  SWITCHYARD_CACHE\n"
    "           where scan results are kept between processes (default\n"
    "           ~/.cache/switchyard/scan), or off.\n"
    "  SWITCHYARD_DEBUG\n"
    "           if set, says on stderr why sites are trapped and when Syscall\n"
    "           User Dispatch is turned on.\n"
    "  LD_PRELOAD\n"
    "           run puts the library first and keeps the entries there.\n"
    "Without the launcher, the same run is roughly\n"
    "  LD_PRELOAD=/path/to/libswitchyard.so SWITCHYARD_STATS=/tmp/s-%p.json CMD\n"
    "\n"
    "Exit status of run: that of CMD; 2 if switchyard refuses to start it;\n"
    "126 if CMD cannot be executed; 127 if it is not found.\n";

static const char help_check[] =
    "usage: switchyard check [-c] CONFIG\n"
    "\n"
    "Checks the config file CONFIG as the library will read it. Prints\n"
    "\"CONFIG: ok\" and exits 0, or prints the first problem as\n"
    "\"CONFIG:LINE: problem\" on stderr and exits 1 (2 for a usage error).\n"
    "\n"
    "Options of check:\n"
    "  -c, --config CONFIG  the file to check\n"
    "  -h, --help           show this help\n"
    "\n"
    "Config format (INI):\n"
    "  [interposer]\n"
    "  mode  = auto | rewrite | sud   ; see 'switchyard run --help'\n"
    "  hook  = /path/to/lib.so        ; a hook library, must be readable\n"
    "  trace = FILE                   ; strace-like lines, %p = process id\n"
    "  stats = FILE                   ; JSON at each process exit, %p = pid\n"
    "\n"
    "  [mount PATH]                   ; up to 32; PATH absolute, not '/'\n"
    "  type     = memfs | hostfs      ; required\n"
    "  size     = 256M                ; memfs: ENOSPC past it; bytes or K, M, G\n"
    "  name     = NAME                ; memfs: shared by every process naming it\n"
    "  source   = /host/dir           ; hostfs, required: absolute\n"
    "  readonly = yes | no            ; hostfs (also true/false, 1/0): EROFS\n"
    "\n"
    "  [net]                          ; sockets on lwIP, through a TAP device\n"
    "  stack         = lwip           ; required\n"
    "  interface     = tap            ; the only kind\n"
    "  tap           = sy0            ; device name (default sy0)\n"
    "  address       = 10.77.0.2/24   ; required: lwIP's address/prefix\n"
    "  host-address  = 10.77.0.1      ; the kernel's side of the device\n"
    "  gateway       = 10.77.0.1      ; lwIP's route (default: host-address)\n"
    "  address6      = fd77::2/64     ; optional IPv6 of lwIP\n"
    "  host-address6 = fd77::1        ; the kernel's side, IPv6\n"
    "  mac           = 02:73:79:00:00:02\n"
    "  mtu           = 1500           ; 576 to 9000\n"
    "  sockets       = inet inet6     ; families routed to lwIP (default: inet,\n"
    "                                 ; and inet6 with address6)\n"
    "  loopback      = kernel | lwip  ; where 127.0.0.0/8 and ::1 go\n"
    "\n"
    "A ; or # at the start of a line or after whitespace starts a comment.\n"
    "Relative paths are taken against the directory of the config file.\n"
    "Errors: an unknown section or key, a key or section given twice, a key\n"
    "with an empty value, a bad mode, a hook library that cannot be read, a\n"
    "line that is neither '[section]' nor 'key = value', an over-long line;\n"
    "in [mount]: a missing type (or hostfs source), a key of another type, a\n"
    "mount path or source that is relative or not normalized (trailing '/',\n"
    "'//', '.' or '..'), a mount path given twice, a size of 0; in [net]: a\n"
    "missing stack or address, an address that does not parse, a host-address\n"
    "or gateway outside lwIP's subnet.\n";

static const char help_net[] =
    "usage: switchyard net up|down -c CONFIG [--user USER]\n"
    "\n"
    "up: creates the TAP device of CONFIG's [net] section, persistent and\n"
    "owned by USER (default: the user sudo was called by, else the caller),\n"
    "and gives the kernel's side its host-address; that user can then run\n"
    "programs with CONFIG without privileges. Idempotent.\n"
    "down: removes the device.\n"
    "Both need CAP_NET_ADMIN (root). A run as root needs neither: it creates\n"
    "the device for as long as it runs.\n";

static void help_run(FILE *out)
{
	fputs(help_run_usage, out);
	fputs(help_run_options, out);
	fputs(help_modes, out);
	fputs(help_outputs, out);
	fputs(help_environment, out);
}

static void help_main(FILE *out)
{
	fputs(help_intro, out);
	fputs(help_run_options, out);
	fputs(help_modes, out);
	fputs(help_outputs, out);
	fputs(help_environment, out);
}

/* ---- common ----------------------------------------------------------- */

/* For getopt_long's '?' and ':': the option as the user wrote it. */
static const char *bad_option(char **argv)
{
	static char short_name[3];
	const char *last = argv[optind - 1];

	if (strncmp(last, "--", 2) != 0 && optopt > 0 && optopt < 128) {
		short_name[0] = '-';
		short_name[1] = (char)optopt;
		return short_name;
	}
	return last;
}

/* ---- run -------------------------------------------------------------- */

/* The absolute path of libswitchyard.so: SWITCHYARD_LIB, or ../lib/ next to
 * the real path of this program (build/bin/switchyard -> build/lib/). */
static int find_library(char *out, size_t outlen)
{
	const char *lib = getenv(SY_ENV_LIB);
	char exe[PATH_MAX], candidate[PATH_MAX + 32];
	struct stat st;

	(void)outlen; /* realpath writes at most PATH_MAX bytes */
	if (lib && *lib) {
		if (!realpath(lib, out)) {
			fprintf(stderr, "switchyard: %s: cannot find '%s': %s\n", SY_ENV_LIB, lib,
				strerror(errno));
			return -1;
		}
	} else {
		if (!realpath("/proc/self/exe", exe)) {
			fprintf(stderr, "switchyard: cannot find this program's own path: %s\n",
				strerror(errno));
			return -1;
		}
		*strrchr(exe, '/') = '\0';
		snprintf(candidate, sizeof(candidate), "%s/../lib/%s", exe, LIBRARY_NAME);
		if (!realpath(candidate, out)) {
			fprintf(
			    stderr,
			    "switchyard: cannot find the library '%s': %s (build it, or set %s)\n",
			    candidate, strerror(errno), SY_ENV_LIB);
			return -1;
		}
	}
	if (stat(out, &st) < 0 || faccessat(AT_FDCWD, out, R_OK, AT_EACCESS) < 0) {
		fprintf(stderr, "switchyard: cannot read the library '%s': %s\n", out,
			strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "switchyard: the library '%s' is not a regular file\n", out);
		return -1;
	}
	/* ld.so splits LD_PRELOAD at spaces and colons. */
	if (strpbrk(out, " :")) {
		fprintf(stderr,
			"switchyard: cannot preload '%s': LD_PRELOAD cannot hold a path "
			"with a space or ':'\n",
			out);
		return -1;
	}
	return 0;
}

/* LD_PRELOAD with lib first and the entries already there after it (lib
 * itself only once). */
static int preload_library(const char *lib)
{
	const char *old = getenv("LD_PRELOAD");
	size_t liblen = strlen(lib);
	char *value, *end;

	value = malloc(liblen + (old ? strlen(old) : 0) + 2);
	if (!value)
		return -1;
	end = stpcpy(value, lib);
	while (old && *old) {
		size_t len = strcspn(old, " :");

		if (len && !(len == liblen && strncmp(old, lib, len) == 0)) {
			*end++ = ':';
			end = stpncpy(end, old, len);
		}
		old += len;
		old += strspn(old, " :");
	}
	*end = '\0';
	int ret = setenv("LD_PRELOAD", value, 1);
	free(value);
	return ret;
}

static int set_or_unset(const char *name, const char *value)
{
	return *value ? setenv(name, value, 1) : unsetenv(name);
}

/* Hands the options on to the library in every process of the run. */
static int export_options(const struct sy_options *o)
{
	/* An unset mode stays unset: the library may tell "auto because asked"
	 * from "auto by default" (mode_explicit). */
	if (set_or_unset(SY_ENV_MODE, o->mode_explicit ? sy_mode_name(o->mode) : "") < 0 ||
	    set_or_unset(SY_ENV_HOOK, o->hook) < 0 || set_or_unset(SY_ENV_TRACE, o->trace) < 0 ||
	    set_or_unset(SY_ENV_STATS, o->stats) < 0 ||
	    set_or_unset(SY_ENV_CONFIG, o->config) < 0) {
		fprintf(stderr, "switchyard: cannot set the environment: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Runs argv[0] from PATH; returns only on failure, with the shell's status
 * for it: 127 not found, 126 found but not executable. */
static int exec_command(char **argv)
{
	const char *cmd = argv[0];
	int e;

	execvp(cmd, argv);
	e = errno;
	if (e == ENOENT && !strchr(cmd, '/')) {
		fprintf(stderr, "switchyard: %s: command not found\n", cmd);
		return 127;
	}
	fprintf(stderr, "switchyard: %s: %s\n", cmd, strerror(e));
	return e == ENOENT || e == ENOTDIR ? 127 : 126;
}

static int command_run(int argc, char **argv)
{
	enum { OPT_MODE = 256, OPT_HOOK, OPT_TRACE, OPT_STATS };
	static const struct option long_options[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"mode", required_argument, NULL, OPT_MODE},
	    {"hook", required_argument, NULL, OPT_HOOK},
	    {"trace", required_argument, NULL, OPT_TRACE},
	    {"stats", required_argument, NULL, OPT_STATS},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	/* Command-line values, in the order they are applied. */
	struct {
		const char *key;
		const char *value;
	} given[] = {
	    [OPT_MODE - OPT_MODE] = {"mode", NULL},
	    [OPT_HOOK - OPT_MODE] = {"hook", NULL},
	    [OPT_TRACE - OPT_MODE] = {"trace", NULL},
	    [OPT_STATS - OPT_MODE] = {"stats", NULL},
	};
	const char *config = NULL;
	struct sy_options o;
	char err[PATH_MAX + 512], lib[PATH_MAX];
	int c;

	optind = 1;
	opterr = 0;
	/* "+": stop at CMD, whose options are its own. */
	while ((c = getopt_long(argc, argv, "+:c:h", long_options, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case OPT_MODE:
		case OPT_HOOK:
		case OPT_TRACE:
		case OPT_STATS:
			given[c - OPT_MODE].value = optarg;
			break;
		case 'h':
			help_run(stdout);
			return 0;
		case ':':
			fprintf(stderr, "switchyard: run: option '%s' needs a value\n",
				bad_option(argv));
			return EXIT_USAGE;
		default:
			fprintf(
			    stderr,
			    "switchyard: run: unknown option '%s' (see 'switchyard run --help')\n",
			    bad_option(argv));
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "switchyard: run: no command given "
				"(usage: switchyard run [OPTIONS] [--] CMD [ARGS...])\n");
		return EXIT_USAGE;
	}

	/* The same layers as the library: config file, SWITCHYARD_*, then ours. */
	sy_options_default(&o);
	if (!config) {
		config = getenv(SY_ENV_CONFIG);
		if (config && !*config)
			config = NULL;
	}
	if (config && sy_config_load(config, &o, err, sizeof(err)) < 0)
		goto refuse;
	if (sy_options_apply_env(&o, err, sizeof(err)) < 0)
		goto refuse;
	for (size_t i = 0; i < sizeof(given) / sizeof(given[0]); i++) {
		char problem[PATH_MAX + 256];

		if (!given[i].value)
			continue;
		if (sy_option_set(&o, given[i].key, given[i].value, NULL, problem,
				  sizeof(problem)) < 0) {
			snprintf(err, sizeof(err), "--%s: %s", given[i].key, problem);
			goto refuse;
		}
	}

	if (find_library(lib, sizeof(lib)) < 0 || export_options(&o) < 0)
		return EXIT_USAGE;
	if (preload_library(lib) < 0) {
		fprintf(stderr, "switchyard: cannot set LD_PRELOAD: %s\n", strerror(errno));
		return EXIT_USAGE;
	}

	return exec_command(argv + optind);

refuse:
	fprintf(stderr, "switchyard: %s\n", err);
	return EXIT_USAGE;
}

/* ---- check ------------------------------------------------------------ */

static int command_check(int argc, char **argv)
{
	static const struct option long_options[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *config = NULL;
	struct sy_options o;
	char err[PATH_MAX + 512];
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:h", long_options, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'h':
			fputs(help_check, stdout);
			return 0;
		case ':':
			fprintf(stderr, "switchyard: check: option '%s' needs a value\n",
				bad_option(argv));
			return EXIT_USAGE;
		default:
			fprintf(stderr,
				"switchyard: check: unknown option '%s' "
				"(see 'switchyard check --help')\n",
				bad_option(argv));
			return EXIT_USAGE;
		}
	}
	if (!config && optind < argc)
		config = argv[optind++];
	if (!config || optind < argc) {
		fprintf(stderr, "switchyard: check: %s (usage: switchyard check [-c] CONFIG)\n",
			config ? "one config file at a time" : "no config file given");
		return EXIT_USAGE;
	}

	sy_options_default(&o);
	if (sy_config_load(config, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("%s: ok\n", config);
	char notes[4096];
	if (sy_config_describe_mounts(&o, notes, sizeof(notes)))
		fputs(notes, stdout);
	if (sy_config_describe_net(&o, notes, sizeof(notes)))
		fputs(notes, stdout);
	return 0;
}

/* ---- net -------------------------------------------------------------- */

static int command_net(int argc, char **argv)
{
	static const struct option long_options[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"user", required_argument, NULL, 'u'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *config = NULL, *user = NULL;
	struct sy_options o;
	char err[PATH_MAX + 512];
	int c;

	/* "up" or "down" first, then the options: getopt sees them after it */
	const char *what = argc > 1 && argv[1][0] != '-' ? argv[1] : NULL;
	if (what) {
		argc--;
		argv++;
	}
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:c:u:h", long_options, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'h':
			fputs(help_net, stdout);
			return 0;
		case ':':
			fprintf(stderr, "switchyard: net: option '%s' needs a value\n",
				bad_option(argv));
			return EXIT_USAGE;
		default:
			fprintf(stderr, "switchyard: net: unknown option '%s' (see 'switchyard net --help')\n",
				bad_option(argv));
			return EXIT_USAGE;
		}
	}
	if (!what && optind < argc)
		what = argv[optind++];
	if (!what || (strcmp(what, "up") != 0 && strcmp(what, "down") != 0) || !config ||
	    optind < argc) {
		fprintf(stderr, "switchyard: net: usage: switchyard net up|down -c CONFIG [--user USER]\n");
		return EXIT_USAGE;
	}
	sy_options_default(&o);
	if (sy_config_load(config, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (!o.net.enabled) {
		fprintf(stderr, "switchyard: net: %s has no [net] section\n", config);
		return 1;
	}
	uid_t uid = getuid();
	gid_t gid = getgid();
	if (user) {
		struct passwd *pw = getpwnam(user);
		char *end;
		unsigned long n = strtoul(user, &end, 10);
		if (!pw && *end == 0)
			pw = getpwuid((uid_t)n);
		if (!pw) {
			fprintf(stderr, "switchyard: net: no user '%s'\n", user);
			return EXIT_USAGE;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	} else if (getenv("SUDO_UID") && getenv("SUDO_GID")) {
		uid = (uid_t)strtoul(getenv("SUDO_UID"), NULL, 10);
		gid = (gid_t)strtoul(getenv("SUDO_GID"), NULL, 10);
	}
	int r = strcmp(what, "up") == 0 ? sy_tap_up(&o.net, uid, gid, err, sizeof(err))
					 : sy_tap_down(&o.net, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "switchyard: net %s: %s\n", what, err);
		return 1;
	}
	printf("switchyard: net %s: TAP device %s %s\n", what, o.net.tap,
	       strcmp(what, "up") == 0 ? "ready" : "removed");
	return 0;
}

/* ---- main ------------------------------------------------------------- */

int main(int argc, char **argv)
{
	const char *command = argc > 1 ? argv[1] : NULL;

	if (!command) {
		fputs(help_intro, stderr);
		return EXIT_USAGE;
	}
	if (strcmp(command, "--help") == 0 || strcmp(command, "-h") == 0 ||
	    strcmp(command, "help") == 0) {
		if (argc > 2 && strcmp(argv[2], "run") == 0)
			help_run(stdout);
		else if (argc > 2 && strcmp(argv[2], "check") == 0)
			fputs(help_check, stdout);
		else if (argc > 2 && strcmp(argv[2], "net") == 0)
			fputs(help_net, stdout);
		else
			help_main(stdout);
		return 0;
	}
	if (strcmp(command, "--version") == 0 || strcmp(command, "-V") == 0) {
		printf("switchyard %s\n", SY_VERSION);
		return 0;
	}
	if (strcmp(command, "run") == 0)
		return command_run(argc - 1, argv + 1);
	if (strcmp(command, "check") == 0)
		return command_check(argc - 1, argv + 1);
	if (strcmp(command, "net") == 0)
		return command_net(argc - 1, argv + 1);

	fprintf(stderr,
		"switchyard: unknown command '%s' (expected run, check or net; "
		"see 'switchyard --help')\n",
		command);
	return EXIT_USAGE;
}
