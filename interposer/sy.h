/*
 * Internal interface of the interposer: the per-thread area reached through
 * %gs, the frame the entry stub builds, and the pieces of the mechanism.
 * Offsets used by entry.S are defined here once and checked by the compiler.
 */
#ifndef SY_H
#define SY_H

#define SY_T_SELF 0	  /* struct sy_thread *: the area's own address */
#define SY_T_DEPTH 8	  /* uint8: >0 while switchyard's own code runs */
#define SY_T_SELECTOR 9	  /* uint8: Syscall User Dispatch selector */
#define SY_T_SUD_ON 11	  /* uint8: SUD is on for this thread */
#define SY_T_VFORK_RET 16 /* return address of a vfork in flight */
#define SY_T_TRAP_TOP 24  /* entries used in trap_ret */
#define SY_T_TRAP_RET 32  /* return addresses of trapped calls, a small stack */
#define SY_TRAP_DEPTH 16
#define SY_T_VFORK_GEN 160 /* vforks started by this thread (after trap_ret) */

/* struct sy_thread.in_use */
#define SY_AREA_FREE 0	 /* its thread has exited */
#define SY_AREA_THREAD 1 /* a thread of this process runs on it */
#define SY_AREA_LENT 2	 /* a vfork child used it: free once its parent resumed */

/* struct sy_frame, as entry.S lays it out on the stack (offsets from its base). */
#define SY_F_RAX 0
#define SY_F_RDI 8
#define SY_F_RSI 16
#define SY_F_RDX 24
#define SY_F_R10 32
#define SY_F_R8 40
#define SY_F_R9 48
#define SY_F_RBX 56
#define SY_F_RBP 64
#define SY_F_R12 72
#define SY_F_R13 80
#define SY_F_R14 88
#define SY_F_R15 96
#define SY_F_SCRATCH 104 /* C-only area: the call, the hooks entered */
#define SY_F_SCRATCH_SIZE 160
#define SY_F_TRAPPED (SY_F_SCRATCH + 64)   /* struct sy_frame.call.trapped */
#define SY_F_SAVED_ARG (SY_F_SCRATCH + 80) /* struct sy_frame.saved_arg */
#define SY_F_FLAGS (SY_F_SCRATCH + SY_F_SCRATCH_SIZE)
#define SY_F_RET (SY_F_FLAGS + 8)
#define SY_F_SIZE (SY_F_RET + 8)
/* Distance from the frame base to the program's rsp at the syscall. */
#define SY_F_TO_USER_RSP (SY_F_RET + 136)

/* What entry.S does after sy_dispatch returns. */
#define SY_ACT_RETURN 0	   /* result in frame rax; return to the program */
#define SY_ACT_SIGRETURN 1 /* rt_sigreturn on the program's own stack */
#define SY_ACT_VFORK 2	   /* run the call with nothing kept on the stack */
#define SY_ACT_CLONE 3	   /* clone with a new stack: rsi adjusted, child record pushed */
#define SY_ACT_CLONE3 4	   /* clone3 with a new stack: rdi points to an adjusted copy */

#define SY_NR_MAX 512 /* == SY_NR_LIMIT; the page-0 sled covers [0, SY_NR_MAX) */

/* sy_nr_table[nr]: SY_NR_MECH if the mechanism handles it, SY_NR_HOOK if a hook wants it. */
#define SY_NR_MECH 1
#define SY_NR_HOOK 2
#define SY_NR_FD0 4 /* hooked only when rdi is an fd marked in sy_fd_map */

/* sy_fd_map[fd]: why calls on fd leave the fast path (SY_NR_FD0 calls). */
#define SY_FD_MAP_SIZE (1 << 20)
#define SY_FD_VIRTUAL 1	 /* a virtual fd of the VFS */
#define SY_FD_RESERVED 2 /* one of switchyard's own fds (fdreserve.c) */
#define SY_FD_NET 4	 /* an inet socket of the netstack: on lwIP, or not yet decided */

#ifndef __ASSEMBLER__

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <switchyard/hook.h>

#include "config.h"

#define SY_HIDDEN __attribute__((visibility("hidden")))

struct sy_thread {
	struct sy_thread *self;
	uint8_t depth;
	uint8_t selector;
	uint8_t in_use; /* SY_AREA_FREE, SY_AREA_THREAD or SY_AREA_LENT */
	uint8_t sud_on;
	int32_t tid; /* owner, for reuse after it exits */
	uint64_t vfork_ret;
	uint64_t trap_top;
	uint64_t trap_ret[SY_TRAP_DEPTH];
	uint64_t vfork_gen;
	struct sy_thread *next;	  /* all areas ever made, for reuse */
	struct sy_thread *lender; /* SY_AREA_LENT: the area of the thread that vforked, */
	uint64_t lender_gen;	  /* and its vfork_gen then */
	uint64_t call_ret;	  /* return address of the call sy_dispatch serves */
	uint64_t owned_blocked;	  /* owned signals (SIGSYS, SIGTRAP) the program believes blocked */
	uint64_t owned_pending;	  /* ...that arrived meanwhile, with their siginfo */
	siginfo_t owned_info[2];
	uint8_t clone3_args[256]; /* the adjusted copy of a clone3 argument block */
	void *vfs_buf;		  /* the VFS layer's bounce buffer (SY_VFS_BUF bytes) */
	void *vfs_stack;	  /* ...and the stack its calls run on (SY_VFS_STACK bytes) */
	uint64_t vfs_sigmask;	  /* the program's signal mask while the VFS serves a call */
	uint32_t scratch_gen;	  /* uses of this thread's scratch slot (signals.c) */
	uint8_t cred_valid;	  /* vfs_uid/vfs_gid hold this thread's fsuid/fsgid */
	uint8_t vfs_blocked;	  /* the VFS blocked signals for the call it serves */
	uint32_t vfs_uid, vfs_gid;
	/* Signals deferred while switchyard holds a lock a handler's call may
	 * need (the netstack's core lock): the wrapper keeps them here, and
	 * sy_signals_undefer queues them again (signals.c). */
	uint8_t defer_signals;
	uint8_t ndeferred;
	uint8_t intr_armed;   /* a wait a handler may interrupt is under way */
	uint8_t intr_restart; /* ...and the first handler that ran had SA_RESTART */
	uint8_t intr_seen;    /* ...a handler ran */
	uint8_t own_thread;   /* switchyard's own thread (netstack): never program code */
	int8_t answered_by;   /* index of the hook that answered the call in flight, or -1 */
	siginfo_t deferred[8];
};
#define SY_VFS_BUF (1u << 20)
#define SY_VFS_STACK (256u << 10)

_Static_assert(offsetof(struct sy_thread, self) == SY_T_SELF, "layout");
_Static_assert(offsetof(struct sy_thread, depth) == SY_T_DEPTH, "layout");
_Static_assert(offsetof(struct sy_thread, selector) == SY_T_SELECTOR, "layout");
_Static_assert(offsetof(struct sy_thread, sud_on) == SY_T_SUD_ON, "layout");
_Static_assert(offsetof(struct sy_thread, vfork_ret) == SY_T_VFORK_RET, "layout");
_Static_assert(offsetof(struct sy_thread, trap_top) == SY_T_TRAP_TOP, "layout");
_Static_assert(offsetof(struct sy_thread, trap_ret) == SY_T_TRAP_RET, "layout");
_Static_assert(offsetof(struct sy_thread, vfork_gen) == SY_T_VFORK_GEN, "layout");

struct sy_frame {
	long rax, rdi, rsi, rdx, r10, r8, r9;
	long rbx, rbp, r12, r13, r14, r15;
	union {
		struct {
			struct sy_call call;
			int entered;	/* hooks whose enter ran */
			long saved_arg; /* program's rsi/rdi while a clone is adjusted */
		};
		struct {
			long rcx, r11; /* of a call that is not a site (badcall.c) */
		} bad;
		char scratch[SY_F_SCRATCH_SIZE];
	};
	uint64_t flags; /* the program's rflags */
	uint64_t ret;	/* the program's return address */
};

_Static_assert(offsetof(struct sy_frame, r15) == SY_F_R15, "layout");
_Static_assert(offsetof(struct sy_frame, ret) == SY_F_RET, "layout");
_Static_assert(offsetof(struct sy_frame, saved_arg) == SY_F_SAVED_ARG, "layout");
_Static_assert(offsetof(struct sy_frame, call.trapped) == SY_F_TRAPPED, "layout");
_Static_assert(offsetof(struct sy_frame, flags) == SY_F_FLAGS, "layout");
_Static_assert(sizeof(struct sy_frame) == SY_F_SIZE, "layout");
_Static_assert(SY_NR_MAX == SY_NR_LIMIT, "sled covers the hookable numbers");

/* Process-wide state of the mechanism (init.c). */
struct sy_state {
	struct sy_options opts;
	enum sy_mode mode;		/* what runs: SY_MODE_REWRITE or SY_MODE_SUD */
	char lib_path[4096];		/* this library, for LD_PRELOAD after execve */
	uintptr_t text_start, text_end; /* sy_text: where switchyard's syscalls live */
	int debug;			/* SWITCHYARD_DEBUG: say why sites stay trapped */
};
extern struct sy_state sy_state SY_HIDDEN;

/* Read by entry.S on every call. */
extern uint8_t *sy_site_bitmap SY_HIDDEN; /* 1 bit per address: rewritten site ends */
extern uint8_t sy_nr_table[SY_NR_MAX] SY_HIDDEN;
extern uint8_t sy_hook_all SY_HIDDEN; /* some hook wants every number */
extern uint8_t *sy_fd_map SY_HIDDEN;  /* SY_FD_MAP_SIZE bytes, or NULL */
extern uint32_t sy_xsave_size SY_HIDDEN;
extern uint8_t sy_use_xsavec SY_HIDDEN;

/* entry.S */
extern char sy_entry_rewritten[] SY_HIDDEN;
extern char sy_entry_trapped[] SY_HIDDEN;
extern char sy_signal_restorer[] SY_HIDDEN;
extern char sy_after_fast_syscall[] SY_HIDDEN; /* where the stub's own syscalls end, with */
extern char sy_after_raw_syscall[] SY_HIDDEN;  /* the return address at (rsp) */
extern char __start_sy_text[] SY_HIDDEN;
extern char __stop_sy_text[] SY_HIDDEN;
long sy_raw6(long nr, long a1, long a2, long a3, long a4, long a5, long a6) SY_HIDDEN;

#define sy_raw0(n) sy_raw6((n), 0, 0, 0, 0, 0, 0)
#define sy_raw1(n, a) sy_raw6((n), (long)(a), 0, 0, 0, 0, 0)
#define sy_raw2(n, a, b) sy_raw6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define sy_raw3(n, a, b, c) sy_raw6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sy_raw4(n, a, b, c, d) sy_raw6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define sy_raw5(n, a, b, c, d, e)                                                                  \
	sy_raw6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

/* thread.c */
struct sy_thread *sy_thread_self(void) SY_HIDDEN;
int sy_thread_setup(struct sy_thread *inherit_from) SY_HIDDEN;
void sy_thread_lend(struct sy_thread *t, struct sy_thread *parent) SY_HIDDEN;
void sy_thread_release(void) SY_HIDDEN;
int sy_threads_in_use(void) SY_HIDDEN;
int sy_thread_is_vfork_child(void) SY_HIDDEN;
/* In a thread switchyard started for itself (pthread_create with every signal
 * blocked), before it does anything: an area of its own, depth raised for
 * good, so all its calls go straight to the kernel. */
int sy_thread_own(void) SY_HIDDEN;
static inline void sy_enter_own(struct sy_thread *t)
{
	t->depth++;
	t->selector = 0; /* SYSCALL_DISPATCH_FILTER_ALLOW */
}
static inline void sy_leave_own(struct sy_thread *t)
{
	if (--t->depth == 0)
		t->selector = 1; /* SYSCALL_DISPATCH_FILTER_BLOCK */
}

/* trampoline.c: page 0 */
int sy_trampoline_setup(void) SY_HIDDEN;

/* rewrite.c: patching sites, eagerly (scan) or lazily (after a SUD trap) */
int sy_rewrite_setup(void) SY_HIDDEN;
void sy_rewrite_try(uintptr_t site) SY_HIDDEN;
void sy_scan_all(void) SY_HIDDEN;
void sy_scan_new_mapping(const struct sy_call *c, long result) SY_HIDDEN;
int sy_is_trap_site(uintptr_t site) SY_HIDDEN;
extern long sy_sites_rewritten SY_HIDDEN;
extern long sy_sites_trapped SY_HIDDEN;

/* site_check.c: may a syscall instruction be rewritten? (pure; unit tested) */
enum sy_site_verdict {
	SY_SITE_OK,
	SY_SITE_NOT_SYSCALL,
	SY_SITE_STRADDLE,     /* the two bytes cross a cache line: no atomic store */
	SY_SITE_NO_SYNC,      /* could not decode the code before the site */
	SY_SITE_RAX_VARIABLE, /* rax is not an immediate set just before */
	SY_SITE_RAX_RANGE,    /* the immediate is past the sled */
	SY_SITE_RED_ZONE,     /* code near the site uses memory below rsp */
	SY_SITE_ANONYMOUS,    /* not file-backed (JIT code): its owner may rewrite it */
	SY_SITE_PROTECTED,    /* the page cannot be made writable */
	SY_SITE_VERDICTS
};
#define SY_CHECK_SINGLE_THREAD 1 /* no other thread runs this code (a fresh mapping) */
#define SY_CHECK_FUNCTION 2	 /* before/after span the site's whole function */
enum sy_site_verdict sy_site_check(const uint8_t *code, size_t before, size_t after,
				   uintptr_t address, unsigned flags, long *nr_out) SY_HIDDEN;
const char *sy_site_verdict_name(enum sy_site_verdict v) SY_HIDDEN;
int sy_site_is_boundary(const uint8_t *code, size_t before, size_t after) SY_HIDDEN;
int sy_code_falls_through(const uint8_t *start, size_t len) SY_HIDDEN;
extern long sy_sites_refused[SY_SITE_VERDICTS] SY_HIDDEN;

/* page0args.c: input pointers into page 0 fail as without the trampoline */
extern uint8_t sy_ptr_rdi[SY_NR_MAX] SY_HIDDEN; /* read by entry.S */
extern uint8_t sy_ptr_rsi[SY_NR_MAX] SY_HIDDEN;
extern uint8_t sy_page0_mapped SY_HIDDEN;
int sy_page0_args_setup(void) SY_HIDDEN;
void sy_page0_args_guard(struct sy_call *c) SY_HIDDEN;

/* functions.c: function extents from the unwind tables (.eh_frame_hdr) */
struct sy_functions {
	uintptr_t hdr;
	const int32_t *table; /* pairs: function start, FDE; both relative to hdr */
	size_t count;
};
int sy_functions_open(uintptr_t map_start, uint64_t file_offset,
		      struct sy_functions *out) SY_HIDDEN;
int sy_functions_find(const struct sy_functions *f, uintptr_t addr, uintptr_t *start,
		      uintptr_t *end, uintptr_t *next) SY_HIDDEN;

/* scancache.c: scan results kept between processes */
enum sy_scan_kind { SY_SCAN_CALL, SY_SCAN_TRAP, SY_SCAN_UNCLEAR };
struct sy_scan_entry {
	uint32_t offset; /* in the region */
	uint8_t kind;	 /* enum sy_scan_kind */
	uint8_t verdict; /* enum sy_site_verdict, for a trap */
	uint16_t unused;
};
void sy_scancache_setup(void) SY_HIDDEN;
int sy_scancache_key(const char *path, uint64_t inode, uint64_t offset, uint64_t len,
		     uint64_t key[6]) SY_HIDDEN;
long sy_scancache_load(const uint64_t key[6], struct sy_scan_entry *out, size_t max) SY_HIDDEN;
void sy_scancache_store(const uint64_t key[6], const struct sy_scan_entry *entries,
			size_t n) SY_HIDDEN;

/* sud.c: the SIGSYS (SUD) and SIGTRAP (int3 sites) trap paths */
int sy_sud_setup(void) SY_HIDDEN;
int sy_sud_enable_thread(struct sy_thread *t) SY_HIDDEN;
void sy_sud_require(const char *why) SY_HIDDEN;
extern long sy_sud_traps SY_HIDDEN;
extern long sy_site_traps SY_HIDDEN;
extern uint8_t sy_sud_wanted SY_HIDDEN; /* read by entry.S */

/* dispatch.c: the slow path */
#define SY_MAX_HOOKS 16
extern long sy_hook_answers[SY_MAX_HOOKS] SY_HIDDEN; /* calls each hook answered (by index) */
int sy_dispatch(struct sy_frame *f) SY_HIDDEN;
void sy_dispatch_leave(struct sy_frame *f) SY_HIDDEN;
void sy_child_start(const long *record) SY_HIDDEN;
void sy_vfork_child(void) SY_HIDDEN;
void sy_bad_call(struct sy_frame *f, void *xsave) SY_HIDDEN;
void sy_sigreturn_to(void *uc) SY_HIDDEN __attribute__((noreturn));
void sy_mech_interest(long nr) SY_HIDDEN;

/* signals.c */
void sy_signals_setup(void) SY_HIDDEN;
long sy_sys_rt_sigaction(long sig, long act, long oact, long size) SY_HIDDEN;
extern uint64_t sy_handled_signals SY_HIDDEN; /* bit sig-1: the program's handler */
long sy_sys_rt_sigprocmask(long how, long set, long oset, long size) SY_HIDDEN;
long sy_sys_rt_sigpending(long set, long size) SY_HIDDEN;
int sy_mask_args(struct sy_call *c, uint64_t *scratch, void *scratch2) SY_HIDDEN;
void sy_signal_foreign(int sig, siginfo_t *info, void *uc) SY_HIDDEN;
int sy_copy_in(void *dst, const void *user_src, size_t n) SY_HIDDEN;
/* Between defer and undefer, a program handler does not run: the signal is
 * kept and queued again by undefer. Nested uses count once. */
void sy_signals_defer(void) SY_HIDDEN;
void sy_signals_undefer(void) SY_HIDDEN;
/* Around a wait in a served call: arm, wait (EINTR), then ask whether the
 * first handler that ran had SA_RESTART (the call goes on) or not (EINTR). */
void sy_intr_arm(void) SY_HIDDEN;
int sy_intr_restart(void) SY_HIDDEN;
int sy_copy_out(void *user_dst, const void *src, size_t n) SY_HIDDEN;
long sy_copy_string_in(char *dst, const char *user_src, size_t n) SY_HIDDEN;
long sy_copy_path_in(char *dst, const char *user_src, size_t n) SY_HIDDEN;

/* usermem.c: which program memory can be read without a fault. Used only
 * once sy_usermem_track() made every unmapping call pass sy_user_forget. */
int sy_user_readable(const void *p, size_t n) SY_HIDDEN;
int sy_user_writable(const void *p, size_t n) SY_HIDDEN;
void sy_user_forget(uintptr_t start, size_t len) SY_HIDDEN;
void sy_usermem_track(void) SY_HIDDEN;
void sy_usermem_note(const struct sy_call *c) SY_HIDDEN;
extern uint8_t sy_usermem_on SY_HIDDEN;
size_t sy_user_extent(const void *p, size_t n, int write) SY_HIDDEN;

/* exec.c */
long sy_sys_execve(struct sy_call *c) SY_HIDDEN;
void sy_exec_remember(const char *entry) SY_HIDDEN;

/* net.c: the netstack module, loaded when the config has a [net] section */
void sy_net_setup(const struct sy_options *o) SY_HIDDEN;
void sy_net_stats(char *buf, size_t size, size_t *at) SY_HIDDEN;

/* hooks.c */
extern const struct sy_hook *sy_hooks[] SY_HIDDEN;
extern int sy_nhooks SY_HIDDEN;
int sy_hook_load_library(const char *path, char *err, size_t errlen) SY_HIDDEN;

/* fdreserve.c: switchyard's own fds at the top of the range */
int sy_fd_reserve(int *fdp) SY_HIDDEN;
int sy_fd_is_reserved(int fd) SY_HIDDEN;
int sy_fd_guard(struct sy_call *c, long *result) SY_HIDDEN;
void sy_fd_map_setup(void) SY_HIDDEN;
/* nr (fd in its first argument) reaches `hook` only for fds marked in
 * sy_fd_map, unless another hook wants every call of nr. */
void sy_fd_interest(long nr, const struct sy_hook *hook) SY_HIDDEN;

/* stats.c, trace.c: built-in clients of the hook API */
int sy_stats_setup(const char *pattern) SY_HIDDEN;
extern long sy_vfs_refused SY_HIDDEN; /* the VFS's refusals (vfs/router.c) */
void sy_stats_write(void) SY_HIDDEN;
void sy_stats_reset(void) SY_HIDDEN;
int sy_trace_setup(const char *pattern, char *err, size_t errlen) SY_HIDDEN;
void sy_trace_reopen_child(void) SY_HIDDEN;

/* Appends to buf[at..size), always leaving room for the NUL; returns the new end. */
size_t sy_put(char *buf, size_t size, size_t at, const char *fmt, ...) SY_HIDDEN
    __attribute__((format(printf, 4, 5)));

/* Messages on stderr, raw (no stdio), prefixed "switchyard: ". */
void sy_say(const char *fmt, ...) SY_HIDDEN __attribute__((format(printf, 1, 2)));
_Noreturn void sy_die(const char *fmt, ...) SY_HIDDEN __attribute__((format(printf, 1, 2)));

#endif /* __ASSEMBLER__ */
#endif
