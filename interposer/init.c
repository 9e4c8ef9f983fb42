/*
 * Start-up of the preloaded library, before the program's main: read the
 * options, set up the thread area, page 0 and SUD, register the built-in
 * hooks and the custom hook library. Bad input stops the program here with
 * a message and exit status 2; nothing falls back silently, except the
 * default mode's documented step down to sud when page 0 is refused.
 */
#include <cpuid.h>
#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "sy.h"
#include "layer.h"

struct sy_state sy_state;

static void vsay(const char *fmt, va_list ap)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "switchyard: ");
	int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(buf) - 2)
		len = sizeof(buf) - 2;
	buf[len++] = '\n';
	sy_raw3(SYS_write, 2, buf, len);
}

void sy_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

void sy_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	for (;;)
		sy_raw1(SYS_exit_group, 2);
}

static void find_extended_state(void)
{
	unsigned a, b, c, d;
	__cpuid(1, a, b, c, d);
	if (!(c & bit_OSXSAVE))
		sy_die("this CPU or kernel has no XSAVE; switchyard needs it to keep the "
		       "program's vector registers");
	__cpuid_count(0xd, 0, a, b, c, d);
	sy_xsave_size = b < 576 ? 576 : b;
	__cpuid_count(0xd, 1, a, b, c, d);
	sy_use_xsavec = (a & (1u << 1)) != 0;
}

static void find_library(void)
{
	Dl_info info;
	if (!dladdr((void *)find_library, &info) || !info.dli_fname)
		sy_die("cannot find the path of libswitchyard.so");
	if (!realpath(info.dli_fname, sy_state.lib_path))
		snprintf(sy_state.lib_path, sizeof(sy_state.lib_path), "%s", info.dli_fname);
	sy_state.text_start = (uintptr_t)__start_sy_text;
	sy_state.text_end = (uintptr_t)__stop_sy_text;
}

static long read_min_addr(void)
{
	char buf[32] = {0};
	long fd =
	    sy_raw4(SYS_openat, AT_FDCWD, "/proc/sys/vm/mmap_min_addr", O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	sy_raw3(SYS_read, fd, buf, sizeof(buf) - 1);
	sy_raw1(SYS_close, fd);
	return strtol(buf, NULL, 10);
}

/*
 * Runtimes whose compiled code reads through null references and relies on
 * the fault (the JVM's and .NET's implicit null checks, Go's nil checks):
 * with the trampoline in page 0 such a read would return its bytes, so for
 * them the exact mechanism is sud. Found by the libraries loaded at start
 * and, for Go, by the Go note in the program.
 */
static int note_is_go(const ElfW(Phdr) * ph, uintptr_t base)
{
	const uint8_t *p = (const uint8_t *)(base + ph->p_vaddr), *end = p + ph->p_memsz;
	while (p + sizeof(ElfW(Nhdr)) <= end) {
		const ElfW(Nhdr) *n = (const ElfW(Nhdr) *)p;
		const char *name = (const char *)(n + 1);
		if (n->n_namesz == 3 && memcmp(name, "Go", 3) == 0)
			return 1;
		p += sizeof(*n) + ((n->n_namesz + 3) & ~3u) + ((n->n_descsz + 3) & ~3u);
	}
	return 0;
}

static int needs_null_faults(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	static const char *const runtimes[] = {"libjli.so", "libjvm.so", "libcoreclr.so",
					       "libmonosgen-2.0.so"};
	const char **why = arg;
	const char *slash = strrchr(info->dlpi_name, '/');
	const char *file = slash ? slash + 1 : info->dlpi_name;
	for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++)
		if (strncmp(file, runtimes[i], strlen(runtimes[i])) == 0) {
			*why = runtimes[i];
			return 1;
		}
	if (info->dlpi_name[0] == 0) /* the program itself */
		for (int i = 0; i < info->dlpi_phnum; i++)
			if (info->dlpi_phdr[i].p_type == PT_NOTE &&
			    note_is_go(&info->dlpi_phdr[i], info->dlpi_addr)) {
				*why = "a Go program";
				return 1;
			}
	return 0;
}

/* Page 0 and the site bitmap, or the reason they cannot be had. */
static void choose_mode(void)
{
	const struct sy_options *o = &sy_state.opts;
	const char *runtime = NULL;
	sy_state.mode = SY_MODE_SUD;
	sy_sud_wanted = 1;
	if (o->mode == SY_MODE_SUD)
		return;
	if (o->mode == SY_MODE_AUTO && dl_iterate_phdr(needs_null_faults, &runtime)) {
		if (sy_state.debug)
			sy_say("sud mode: %s relies on faults when it reads page 0", runtime);
		return;
	}
	int r = sy_trampoline_setup();
	const char *what = "page 0 cannot be mapped";
	if (r == 0) {
		r = sy_rewrite_setup();
		what = "the site bitmap cannot be reserved";
	}
	if (r == 0) {
		r = sy_page0_args_setup();
		what = "the guard page cannot be reserved";
	}
	if (r == 0) {
		sy_state.mode = SY_MODE_REWRITE;
		sy_sud_wanted = 0;
		return;
	}
	char why[160];
	if (r == -EPERM || r == -EACCES)
		snprintf(why, sizeof(why),
			 "%s (vm.mmap_min_addr is %ld; mapping it needs "
			 "CAP_SYS_RAWIO)",
			 what, read_min_addr());
	else
		snprintf(why, sizeof(why), "%s (%s)", what, strerror(-r));
	if (o->mode == SY_MODE_REWRITE)
		sy_die("mode rewrite: %s", why);
	sy_say("%s: falling back to sud mode (every system call trapped, slower)", why);
	/* children start in sud mode directly, without a second notice */
	setenv(SY_ENV_MODE, "sud", 1);
	sy_state.opts.mode = SY_MODE_SUD;
}

static void remember_settings(void)
{
	static const char *const names[] = {SY_ENV_MODE, SY_ENV_HOOK, SY_ENV_TRACE, SY_ENV_STATS,
					    SY_ENV_CONFIG};
	static char entries[5][PATH_MAX + 32];
	for (int i = 0; i < 5; i++) {
		const char *v = getenv(names[i]);
		if (!v)
			continue;
		snprintf(entries[i], sizeof(entries[i]), "%s=%s", names[i], v);
		sy_exec_remember(entries[i]);
	}
}

static void mechanism_interest(void)
{
	static const long numbers[] = {
	    SYS_clone,	  SYS_clone3, SYS_fork,	      SYS_vfork, SYS_execve,
	    SYS_execveat, SYS_exit,   SYS_arch_prctl, SYS_prctl,
	};
	/* calls that may make new code executable, to scan it */
	static const long mapping[] = {
	    SYS_mmap, SYS_mprotect, SYS_pkey_mprotect, SYS_mremap, SYS_shmat,
	};
	for (size_t i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
		sy_mech_interest(numbers[i]);
	if (sy_state.mode == SY_MODE_REWRITE)
		for (size_t i = 0; i < sizeof(mapping) / sizeof(mapping[0]); i++)
			sy_mech_interest(mapping[i]);
	sy_signals_setup();
}

__attribute__((constructor(101))) static void sy_init(void)
{
	char err[PATH_MAX + 256];
	if (sy_options_from_env(&sy_state.opts, err, sizeof(err)) < 0)
		sy_die("%s", err);
	sy_state.debug = getenv("SWITCHYARD_DEBUG") != NULL;
	find_library();
	find_extended_state();
	choose_mode();
	remember_settings();
	mechanism_interest();

	int r = sy_sud_setup();
	if (r < 0)
		sy_die("cannot install the SIGSYS handler: %s", strerror(-r));
	r = sy_thread_setup(NULL);
	if (r < 0)
		sy_die("cannot turn on Syscall User Dispatch: %s (needs Linux 5.11 or later)",
		       strerror(-r));
	if (sy_state.mode == SY_MODE_REWRITE) {
		sy_scancache_setup();
		sy_scan_all();
	}

	if (sy_state.opts.stats[0] && sy_stats_setup(sy_state.opts.stats) < 0)
		sy_die("cannot register the stats hook");
	if (sy_state.opts.trace[0] && sy_trace_setup(sy_state.opts.trace, err, sizeof(err)) < 0)
		sy_die("%s", err);
	sy_vfs_register_builtin(); /* before a hook library could take their names */
	if (sy_state.opts.hook[0] && sy_hook_load_library(sy_state.opts.hook, err, sizeof(err)) < 0)
		sy_die("%s", err);
	/* the netstack before the VFS: its `leave` then runs after the VFS's,
	 * and sees every dup2 and close_range the VFS answers */
	sy_net_setup(&sy_state.opts);
	/* last in the chain: the hooks above see calls before it answers them */
	sy_vfs_setup(&sy_state.opts);

	sy_leave_own(sy_thread_self()); /* from here on, the program's calls are caught */
}
