/*
 * Per-thread areas, reached through the GS base (FS belongs to libc's TLS).
 * An area holds the re-entry depth, the SUD selector and the small stacks the
 * entry stub needs. Areas are never unmapped, since a thread may still run on
 * its area when it makes the exit call; a later thread reuses the area of one
 * that is gone.
 */
#include <asm/prctl.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sy.h"

static struct sy_thread *all_areas;

struct sy_thread *sy_thread_self(void)
{
	struct sy_thread *t;
	__asm__ volatile("mov %%gs:0, %0" : "=r"(t));
	return t;
}

/* An area nobody uses any more: its thread is gone (no task has its id; a
 * zombie child still has one, so its area waits until it is reaped), or the
 * vfork child that had it has exec'd or exited, which its parent shows by
 * having resumed (vfork_ret back to 0) or started another vfork since. */
static struct sy_thread *reuse_area(void)
{
	for (struct sy_thread *t = __atomic_load_n(&all_areas, __ATOMIC_ACQUIRE); t; t = t->next) {
		uint8_t state = __atomic_load_n(&t->in_use, __ATOMIC_ACQUIRE);
		if (state == SY_AREA_THREAD)
			continue;
		if (state == SY_AREA_FREE && sy_raw2(SYS_kill, t->tid, 0) != -ESRCH)
			continue;
		if (state == SY_AREA_LENT &&
		    __atomic_load_n(&t->lender->vfork_ret, __ATOMIC_ACQUIRE) != 0 &&
		    __atomic_load_n(&t->lender->vfork_gen, __ATOMIC_ACQUIRE) == t->lender_gen)
			continue;
		if (__atomic_compare_exchange_n(&t->in_use, &state, SY_AREA_THREAD, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return t;
	}
	return NULL;
}

/* The calling vfork child's area goes back once `parent` resumes. */
void sy_thread_lend(struct sy_thread *t, struct sy_thread *parent)
{
	t->lender = parent;
	t->lender_gen = parent->vfork_gen;
	__atomic_store_n(&t->in_use, SY_AREA_LENT, __ATOMIC_RELEASE);
}

static struct sy_thread *new_area(void)
{
	struct sy_thread *t = reuse_area();
	if (t)
		return t;
	long p = sy_raw6(SYS_mmap, 0, sizeof(struct sy_thread), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p < 0 && p > -4096)
		return NULL;
	t = (struct sy_thread *)p;
	t->in_use = SY_AREA_THREAD;
	struct sy_thread *head = __atomic_load_n(&all_areas, __ATOMIC_ACQUIRE);
	do
		t->next = head;
	while (!__atomic_compare_exchange_n(&all_areas, &head, t, 0, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE));
	return t;
}

/*
 * Gives the calling thread its own area and turns SUD on for it. Called on
 * the main thread at start-up and by each new thread or child on a new stack
 * before it runs program code; only raw system calls here, since the thread
 * may still be using its parent's area until the GS base is set.
 */
int sy_thread_setup(struct sy_thread *inherit_from)
{
	struct sy_thread *t = new_area();
	if (!t)
		return -ENOMEM;
	struct sy_thread *next = t->next;
	memset(t, 0, sizeof(*t));
	t->self = t;
	t->next = next;
	t->in_use = SY_AREA_THREAD;
	t->tid = (int32_t)sy_raw0(SYS_gettid);
	t->depth = 1;
	t->selector = 0;
	if (inherit_from)
		t->owned_blocked = inherit_from->owned_blocked;
	long r = sy_raw2(SYS_arch_prctl, ARCH_SET_GS, t);
	if (r < 0)
		return (int)r;
	return sy_sud_wanted ? sy_sud_enable_thread(t) : 0;
}

/* The calling thread is about to exit: a later thread may take its area. */
void sy_thread_release(void)
{
	struct sy_thread *t = sy_thread_self();
	if (t)
		__atomic_store_n(&t->in_use, 0, __ATOMIC_RELEASE);
}

/* Threads (and children sharing memory) that may be running program code. */
int sy_threads_in_use(void)
{
	int n = 0;
	for (struct sy_thread *t = __atomic_load_n(&all_areas, __ATOMIC_ACQUIRE); t; t = t->next)
		n += __atomic_load_n(&t->in_use, __ATOMIC_ACQUIRE) != 0;
	return n;
}

/* Is this a vfork child (or a CLONE_VFORK child) on its parent's memory,
 * before its execve? */
int sy_thread_is_vfork_child(void)
{
	return __atomic_load_n(&sy_thread_self()->in_use, __ATOMIC_ACQUIRE) == SY_AREA_LENT;
}

int sy_thread_own(void)
{
	int r = sy_thread_setup(NULL);
	if (r == 0)
		sy_thread_self()->own_thread = 1;
	return r;
}
