/*
 * The least a seccomp-user-notification interposer does: every system call
 * of the program (and its children) goes to a supervisor in another process,
 * which lets it continue (SECCOMP_USER_NOTIF_FLAG_CONTINUE). The baseline
 * switchyard's mechanisms are measured against.
 *   seccomp_run CMD [ARGS...]      exits with CMD's status
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define SYNC_FD 1000 /* the child's end of the socket the listener goes through */

/* One byte carrying an fd (SCM_RIGHTS), sent or received. */
struct fd_msg {
	char byte;
	struct iovec iov;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m;
};

static void fd_msg_init(struct fd_msg *f)
{
	memset(f, 0, sizeof(*f));
	f->iov = (struct iovec){&f->byte, 1};
	f->m = (struct msghdr){.msg_iov = &f->iov, .msg_iovlen = 1, .msg_control = f->u.buf,
			       .msg_controllen = sizeof(f->u.buf)};
}

static void send_fd(int sock, int fd)
{
	struct fd_msg f;
	fd_msg_init(&f);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&f.m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	if (sendmsg(sock, &f.m, 0) < 0)
		_exit(126);
}

static int recv_fd(int sock)
{
	struct fd_msg f;
	fd_msg_init(&f);
	if (recvmsg(sock, &f.m, 0) <= 0 || !CMSG_FIRSTHDR(&f.m))
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&f.m)), sizeof(int));
	return fd;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: seccomp_run CMD [ARGS...]\n");
		return 2;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		perror("socketpair");
		return 2;
	}
	pid_t child = fork();
	if (child == 0) {
		close(sv[0]);
		dup2(sv[1], SYNC_FD);
		close(sv[1]);
		/* everything to the supervisor, but the one sendmsg that hands it
		 * the listener */
		struct sock_filter f[] = {
		    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sendmsg, 0, 3),
		    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYNC_FD, 0, 1),
		    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		};
		struct sock_fprog prog = {sizeof(f) / sizeof(f[0]), f};
		prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
		int listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
					    SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
		if (listener < 0)
			_exit(125);
		send_fd(SYNC_FD, listener);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	close(sv[1]);
	int listener = recv_fd(sv[0]);
	if (listener < 0) {
		fprintf(stderr, "seccomp_run: no listener from the child\n");
		return 2;
	}
	struct seccomp_notif_sizes sizes;
	syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes);
	struct seccomp_notif *req = calloc(1, sizes.seccomp_notif);
	struct seccomp_notif_resp *resp = calloc(1, sizes.seccomp_notif_resp);
	for (;;) {
		struct pollfd p = {listener, POLLIN, 0};
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		if (p.revents & POLLHUP)
			break; /* every filtered task is gone */
		memset(req, 0, sizes.seccomp_notif);
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
			continue; /* the task went away meanwhile */
		memset(resp, 0, sizes.seccomp_notif_resp);
		resp->id = req->id;
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp);
	}
	int st;
	waitpid(child, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
