/* Shared helpers of the differential scenarios: every scenario prints one line
 * per operation (the call as written, then its result or "-1 ENAME"), in a form
 * that is the same on tmpfs natively and on a switchyard mount: no absolute
 * paths, inode or device numbers, times or pids, only relations between them. */
#ifndef SY_DIFF_H
#define SY_DIFF_H

#include <errno.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The work directory (argv[1], absolute, empty) and the optional second
 * directory (argv[2], on another file system), set by dx_begin. */
extern const char *dx_work;
extern const char *dx_other;
/* The work directory's last component ("sub/../../<dx_base>/x" leaves it and
 * comes back in). */
extern const char *dx_base;

/* Checks the arguments, chdirs into the work directory, makes stdout a plain
 * fd-1 writer (one write per line, so fork and exec do not duplicate lines). */
void dx_begin(int argc, char **argv);
/* Prints "== title" between parts of a scenario. */
void dx_part(const char *title);
/* printf-like; the line is written with one write(2) to fd 1. */
void dx_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *dx_errname(int e);
/* Prints "what = r" or "what = -1 ENAME"; gives r back. */
long dx_result(const char *what, long r, int e);

/* T(call): run the call, print it with its result. The call's text is the
 * label, so it must not contain anything run-dependent (it never does: paths
 * live in variables). */
#define T(expr)                                                                                    \
	({                                                                                         \
		errno = 0;                                                                         \
		long dx_r_ = (long)(expr);                                                         \
		int dx_e_ = errno;                                                                 \
		dx_result(#expr, dx_r_, dx_e_);                                                    \
	})

/* Same with a label of one's own (for calls whose text is not deterministic). */
#define TL(label, expr)                                                                            \
	({                                                                                         \
		errno = 0;                                                                         \
		long dx_r_ = (long)(expr);                                                         \
		int dx_e_ = errno;                                                                 \
		dx_result(label, dx_r_, dx_e_);                                                    \
	})

/* A stat's comparable fields on one line: type, mode bits, nlink, size,
 * blocks, uid, gid (rdev for devices). */
void dx_stat(const char *label, const struct stat *st);
/* stat/lstat a path and print it (or the error). */
void dx_show_stat(const char *path);
void dx_show_lstat(const char *path);
void dx_show_fstat(int fd, const char *label);

/* Print "label: same inode yes/no" for two stats. */
void dx_same_inode(const char *label, const struct stat *a, const struct stat *b);

/* getcwd relative to the work dir: "." , "./sub/dir", or "outside". */
void dx_show_cwd(void);

/* Reads the whole file at path (at most 4096 bytes) and prints it escaped. */
void dx_show_file(const char *path);
/* Reads up to n bytes from fd and prints the result and the bytes escaped. */
long dx_show_read(const char *label, int fd, size_t n);
/* Prints bytes escaped (non-printables as \xNN). */
void dx_show_bytes(const char *label, const void *buf, long n);

/* Sorted listing of a directory through getdents64: name and d_type per
 * entry, "." and ".." included. */
void dx_show_dir(const char *path);
void dx_show_dirfd(int fd, const char *label);

/* Writes a string to a new file (O_CREAT|O_TRUNC, 0644); dies on error. */
void dx_make_file(const char *path, const char *content);
/* Dies with a message (a setup step failed: the scenario cannot go on). */
void dx_die(const char *what) __attribute__((noreturn));
/* Sleep so that the next change gets a later timestamp than the last stat
 * (tmpfs stamps with the coarse clock). */
void dx_tick(void);
/* Waits for a child and prints how it ended. */
void dx_wait(const char *label, pid_t pid);

/* Absolute path inside the work dir / other dir (static buffers, rotating). */
const char *dx_abs(const char *rel);
const char *dx_oth(const char *rel);

#endif
