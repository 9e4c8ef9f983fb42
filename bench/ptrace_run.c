/*
 * The least a ptrace-based interposer does: stop the program at every system
 * call's entry and exit (PTRACE_SYSCALL) and let it go on, following its
 * children. The baseline that switchyard's mechanisms are measured against.
 *   ptrace_run CMD [ARGS...]      exits with CMD's status
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: ptrace_run CMD [ARGS...]\n");
		return 2;
	}
	pid_t child = fork();
	if (child == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	int st, status = 0;
	waitpid(child, &st, 0); /* its SIGSTOP */
	ptrace(PTRACE_SETOPTIONS, child, 0,
	       PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
		   PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC);
	ptrace(PTRACE_SYSCALL, child, 0, 0);
	for (;;) {
		pid_t pid = waitpid(-1, &st, __WALL);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break; /* no one left */
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (pid == child)
				status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			continue;
		}
		int sig = WSTOPSIG(st);
		/* syscall stops, fork/clone events and a new child's first stop
		 * are ours; any other signal goes to the program */
		if (sig == (SIGTRAP | 0x80) || (sig == SIGTRAP && (st >> 16)) || sig == SIGSTOP)
			sig = 0;
		ptrace(PTRACE_SYSCALL, pid, 0, sig);
	}
	return status;
}
