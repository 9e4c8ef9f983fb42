/*
 * Page 0 holds the trampoline, so it is mapped, and readable (without
 * memory protection keys, executable memory is readable). A system call
 * handed a pointer into it would read the trampoline where the kernel gives
 * EFAULT. The entry stub sends calls whose first or second argument is an
 * input pointer below 4096 here, and such a pointer is replaced by the same
 * offset into a reserved page that is never accessible: the kernel then
 * fails exactly where it would have failed on page 0. NULL is replaced only
 * where the kernel reads it unconditionally; where NULL means "none"
 * (rt_sigaction's act, sigaltstack's ss...) it goes through unchanged.
 * Pointers in the third to sixth arguments are not checked.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sy.h"

enum {
	NOT = 0,
	OPTIONAL = 1, /* an input pointer; NULL means "none" */
	READ = 2,     /* an input pointer, always read */
	EMPTY_OK = 3, /* a path; NULL allowed with AT_EMPTY_PATH (newfstatat, statx) */
};

static const struct {
	short nr;
	uint8_t rdi, rsi;
} input_pointers[] = {
    {SYS_write, NOT, READ},
    {SYS_open, READ, NOT},
    {SYS_stat, READ, NOT},
    {SYS_lstat, READ, NOT},
    {SYS_poll, READ, NOT},
    {SYS_rt_sigaction, NOT, OPTIONAL},
    {SYS_rt_sigprocmask, NOT, OPTIONAL},
    {SYS_pwrite64, NOT, READ},
    {SYS_readv, NOT, READ},
    {SYS_writev, NOT, READ},
    {SYS_access, READ, NOT},
    {SYS_select, NOT, OPTIONAL},
    {SYS_nanosleep, READ, NOT},
    {SYS_setitimer, NOT, OPTIONAL},
    {SYS_connect, NOT, READ},
    {SYS_sendto, NOT, READ},
    {SYS_sendmsg, NOT, READ},
    {SYS_recvmsg, NOT, READ},
    {SYS_bind, NOT, READ},
    {SYS_execve, READ, OPTIONAL},
    {SYS_semop, NOT, READ},
    {SYS_msgsnd, NOT, READ},
    {SYS_truncate, READ, NOT},
    {SYS_chdir, READ, NOT},
    {SYS_rename, READ, READ},
    {SYS_mkdir, READ, NOT},
    {SYS_rmdir, READ, NOT},
    {SYS_creat, READ, NOT},
    {SYS_link, READ, READ},
    {SYS_unlink, READ, NOT},
    {SYS_symlink, READ, READ},
    {SYS_readlink, READ, NOT},
    {SYS_chmod, READ, NOT},
    {SYS_chown, READ, NOT},
    {SYS_lchown, READ, NOT},
    {SYS_rt_sigtimedwait, READ, NOT},
    {SYS_rt_sigsuspend, READ, NOT},
    {SYS_sigaltstack, OPTIONAL, NOT},
    {SYS_utime, READ, OPTIONAL},
    {SYS_mknod, READ, NOT},
    {SYS_statfs, READ, NOT},
    {SYS_sched_setparam, NOT, READ},
    {SYS_pivot_root, READ, READ},
    {SYS_setrlimit, NOT, READ},
    {SYS_chroot, READ, NOT},
    {SYS_acct, OPTIONAL, NOT},
    {SYS_settimeofday, OPTIONAL, OPTIONAL},
    {SYS_umount2, READ, NOT},
    {SYS_swapon, READ, NOT},
    {SYS_swapoff, READ, NOT},
    {SYS_sethostname, READ, NOT},
    {SYS_setdomainname, READ, NOT},
    {SYS_setxattr, READ, READ},
    {SYS_lsetxattr, READ, READ},
    {SYS_fsetxattr, NOT, READ},
    {SYS_getxattr, READ, READ},
    {SYS_lgetxattr, READ, READ},
    {SYS_fgetxattr, NOT, READ},
    {SYS_listxattr, READ, NOT},
    {SYS_llistxattr, READ, NOT},
    {SYS_removexattr, READ, READ},
    {SYS_lremovexattr, READ, READ},
    {SYS_fremovexattr, NOT, READ},
    {SYS_futex, READ, NOT},
    {SYS_clock_settime, NOT, READ},
    {SYS_utimes, READ, OPTIONAL},
    {SYS_mq_open, READ, NOT},
    {SYS_mq_timedsend, NOT, READ},
    {SYS_mq_notify, NOT, OPTIONAL},
    {SYS_add_key, READ, OPTIONAL},
    {SYS_request_key, READ, READ},
    {SYS_inotify_add_watch, NOT, READ},
    {SYS_openat, NOT, READ},
    {SYS_mkdirat, NOT, READ},
    {SYS_mknodat, NOT, READ},
    {SYS_fchownat, NOT, READ},
    {SYS_futimesat, NOT, READ},
    {SYS_newfstatat, NOT, EMPTY_OK},
    {SYS_unlinkat, NOT, READ},
    {SYS_renameat, NOT, READ},
    {SYS_linkat, NOT, READ},
    {SYS_symlinkat, READ, NOT},
    {SYS_readlinkat, NOT, READ},
    {SYS_fchmodat, NOT, READ},
    {SYS_faccessat, NOT, READ},
    {SYS_pselect6, NOT, OPTIONAL},
    {SYS_ppoll, READ, NOT},
    {SYS_utimensat, NOT, OPTIONAL},
    {SYS_signalfd, NOT, READ},
    {SYS_signalfd4, NOT, READ},
    {SYS_preadv, NOT, READ},
    {SYS_pwritev, NOT, READ},
    {SYS_perf_event_open, READ, NOT},
    {SYS_recvmmsg, NOT, READ},
    {SYS_sendmmsg, NOT, READ},
    {SYS_process_vm_readv, NOT, READ},
    {SYS_process_vm_writev, NOT, READ},
    {SYS_finit_module, NOT, READ},
    {SYS_sched_setattr, NOT, READ},
    {SYS_renameat2, NOT, READ},
    {SYS_memfd_create, READ, NOT},
    {SYS_bpf, NOT, READ},
    {SYS_execveat, NOT, READ},
    {SYS_preadv2, NOT, READ},
    {SYS_pwritev2, NOT, READ},
    {SYS_statx, NOT, EMPTY_OK},
    {SYS_open_tree, NOT, READ},
    {SYS_move_mount, NOT, READ},
    {SYS_fsopen, READ, NOT},
    {SYS_openat2, NOT, READ},
    {SYS_faccessat2, NOT, READ},
    {SYS_mount_setattr, NOT, READ},
    {SYS_init_module, READ, NOT},
    {SYS_delete_module, READ, NOT},
    {SYS_capset, READ, OPTIONAL},
    {SYS_timer_create, NOT, OPTIONAL},
    {SYS_name_to_handle_at, NOT, READ},
    {SYS_open_by_handle_at, NOT, READ},
};

/* For entry.S: 0 where the argument is an input pointer, 1 elsewhere. */
uint8_t sy_ptr_rdi[SY_NR_MAX], sy_ptr_rsi[SY_NR_MAX];
uint8_t sy_page0_mapped;
static uint8_t kind_rdi[SY_NR_MAX], kind_rsi[SY_NR_MAX];
static uintptr_t guard;

int sy_page0_args_setup(void)
{
	long g = sy_raw6(SYS_mmap, 0, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			 -1, 0);
	if (g < 0 && g > -4096)
		return (int)g;
	guard = (uintptr_t)g;
	for (int nr = 0; nr < SY_NR_MAX; nr++)
		sy_ptr_rdi[nr] = sy_ptr_rsi[nr] = 1;
	for (size_t i = 0; i < sizeof(input_pointers) / sizeof(input_pointers[0]); i++) {
		int nr = input_pointers[i].nr;
		kind_rdi[nr] = input_pointers[i].rdi;
		kind_rsi[nr] = input_pointers[i].rsi;
		sy_ptr_rdi[nr] = kind_rdi[nr] == NOT;
		sy_ptr_rsi[nr] = kind_rsi[nr] == NOT;
	}
	sy_page0_mapped = 1;
	return 0;
}

static void guard_arg(long *arg, int kind, long flags)
{
	unsigned long v = (unsigned long)*arg;
	if (kind == NOT || v >= 4096)
		return;
	if (v == 0 && (kind == OPTIONAL || (kind == EMPTY_OK && (flags & AT_EMPTY_PATH))))
		return;
	*arg = (long)(guard + v);
}

/* Points page-0 input pointers of a call at the inaccessible page. */
void sy_page0_args_guard(struct sy_call *c)
{
	if (!sy_page0_mapped || c->nr < 0 || c->nr >= SY_NR_MAX)
		return;
	long flags = c->nr == SYS_newfstatat ? c->args[3] : c->nr == SYS_statx ? c->args[2] : 0;
	guard_arg(&c->args[0], kind_rdi[c->nr], flags);
	guard_arg(&c->args[1], kind_rsi[c->nr], flags);
}
