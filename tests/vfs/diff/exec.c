/* Scenario exec: programs stored in the work directory are executed (a copy
 * of this program, a script whose interpreter lives there too), execve's
 * errors (EACCES, ENOEXEC, ENOENT, ETXTBSY both ways), execveat and fexecve;
 * fds on files of the work dir survive execve unless O_CLOEXEC, with their
 * shared offset; bash redirections into and out of the work dir. The copy is
 * re-executed with a --mode flag to report what it sees. */
#include "diff.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---- what the re-executed copy does ---- */

static int child_mode(int argc, char **argv)
{
	const char *mode = argv[1];
	if (strcmp(mode, "--echo") == 0) {
		/* argv[2] is the work dir; print the others relative to it */
		size_t w = strlen(argv[2]);
		dx_line("  echo: argc=%d", argc - 2);
		for (int i = 3; i < argc; i++)
			dx_line("  echo: arg %s%s", strncmp(argv[i], argv[2], w) == 0 ? "WORK" : "",
				strncmp(argv[i], argv[2], w) == 0 ? argv[i] + w : argv[i]);
		return 0;
	}
	if (strcmp(mode, "--fds") == 0) {
		dx_work = argv[2];
		int keep = atoi(argv[3]), gone = atoi(argv[4]);
		dx_line("  new program: fd %d flags %d, fd %d %s", keep, fcntl(keep, F_GETFD), gone,
			fcntl(gone, F_GETFD) < 0 ? "closed" : "open");
		dx_line("  new program: offset %ld", (long)lseek(keep, 0, SEEK_CUR));
		dx_show_read("inherited", keep, 5);
		if (write(keep, "+exec", 5) != 5)
			dx_line("  new program: write failed %s", dx_errname(errno));
		dx_show_fstat(keep, "inherited");
		dx_show_cwd();
		dx_show_file("../exec-in");
		return 3;
	}
	if (strcmp(mode, "--wait") == 0) {
		char c;
		return read(atoi(argv[2]), &c, 1) == 1 ? 0 : 1;
	}
	if (strcmp(mode, "--cat") == 0) {
		char buf[4096];
		long n;
		for (int i = 0; i < 100 && (n = read(0, buf, sizeof(buf))) > 0; i++)
			if (write(1, buf, (size_t)n) != n)
				return 1;
		return 0;
	}
	return 100;
}

/* ---- the scenario ---- */

static void copy_file(const char *from, const char *to, mode_t mode)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (in < 0 || out < 0)
		dx_die("copy");
	char buf[65536];
	long n;
	for (int i = 0; i < 10000 && (n = read(in, buf, sizeof(buf))) > 0; i++)
		if (write(out, buf, (size_t)n) != n)
			dx_die("copy write");
	close(in);
	close(out);
}

/* fork, run `fn` in the child, wait and print how it ended */
static void run(const char *label, char *const args[], int in_fd, int out_fd, int err_to_out)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (err_to_out)
			dup2(1, 2);
		if (in_fd >= 0)
			dup2(in_fd, 0);
		if (out_fd >= 0)
			dup2(out_fd, 1);
		execve(args[0], args, environ);
		dx_line("  %s: execve = -1 %s", label, dx_errname(errno));
		_exit(127);
	}
	dx_wait(label, pid);
}

static void bash(const char *script)
{
	dx_line("bash -c '%s'", script);
	char *args[] = {"/bin/bash", "-c", (char *)script, NULL};
	run("bash", args, -1, -1, 1);
}

int main(int argc, char **argv)
{
	if (argc > 2 && strncmp(argv[1], "--", 2) == 0)
		return child_mode(argc, argv);
	dx_begin(argc, argv);
	char *work = (char *)dx_work;

	dx_part("a program stored here");
	copy_file("/proc/self/exe", "self", 0755);
	dx_show_stat("self");
	run("./self --echo", (char *[]){"./self", "--echo", work, "a", "b c", NULL}, -1, -1, 0);
	run("abs self --echo", (char *[]){(char *)dx_abs("self"), "--echo", work, NULL}, -1, -1, 0);
	T(mkdir("bin", 0755));
	T(link("self", "bin/hard"));
	T(symlink("../self", "bin/soft"));
	run("bin/hard", (char *[]){"bin/hard", "--echo", work, "hard", NULL}, -1, -1, 0);
	run("bin/soft", (char *[]){"bin/soft", "--echo", work, "soft", NULL}, -1, -1, 0);

	dx_part("scripts");
	char script[8192];
	snprintf(script, sizeof(script), "#!%s --echo\n", dx_abs("self"));
	dx_make_file("script", script);
	T(chmod("script", 0755));
	run("script", (char *[]){"./script", "x", NULL}, -1, -1, 0);
	dx_make_file("shscript", "#!/bin/sh\necho sh says $1; cat exec-in 2>&1\n");
	dx_make_file("exec-in", "input for exec\n");
	T(chmod("shscript", 0700));
	run("shscript", (char *[]){"./shscript", "hi", NULL}, -1, -1, 0);

	dx_part("execve errors");
	dx_make_file("plain", "not a program\n");
	T(chmod("plain", 0755));
	dx_make_file("noexec", "#!/bin/sh\necho no\n");
	run("noexec (0644)", (char *[]){"./noexec", NULL}, -1, -1, 0);
	run("plain (ENOEXEC)", (char *[]){"./plain", NULL}, -1, -1, 0);
	run("a directory", (char *[]){"./bin", NULL}, -1, -1, 0);
	run("missing", (char *[]){"./missing", NULL}, -1, -1, 0);
	run("missing interpreter", (char *[]){"./bad-interp", NULL}, -1, -1, 0);
	dx_make_file("bad-interp", "#!/nonexistent/interp\n");
	T(chmod("bad-interp", 0755));
	run("missing interpreter", (char *[]){"./bad-interp", NULL}, -1, -1, 0);
	run("self/ (ENOTDIR)", (char *[]){"./self/", NULL}, -1, -1, 0);
	int wr = T(open("self", O_WRONLY));
	run("open for writing (ETXTBSY)", (char *[]){"./self", "--echo", work, NULL}, -1, -1, 0);
	T(close(wr));
	int sync[2];
	T(pipe(sync));
	char fdarg[16];
	snprintf(fdarg, sizeof(fdarg), "%d", sync[0]);
	pid_t pid = fork();
	if (pid == 0) {
		close(sync[1]);
		execl("./self", "./self", "--wait", fdarg, (char *)NULL);
		_exit(127);
	}
	/* the child runs ./self once it is past execve; opening it for writing
	 * then fails. Give it a bounded time to get there. */
	int busy = -1;
	for (int i = 0; i < 200; i++) {
		int w = open("self", O_WRONLY | O_CLOEXEC);
		if (w < 0 && errno == ETXTBSY) {
			busy = 1;
			break;
		}
		if (w >= 0)
			close(w);
		dx_tick();
	}
	dx_line("  open for writing while running: %s", busy == 1 ? "ETXTBSY" : "never refused");
	T(write(sync[1], "x", 1));
	dx_wait("waiting copy", pid);
	T(close(sync[0]));
	T(close(sync[1]));

	dx_part("execveat and fexecve");
	int bin = T(open("bin", O_RDONLY | O_DIRECTORY));
	pid = fork();
	if (pid == 0) {
		syscall(SYS_execveat, bin, "hard", (char *[]){"hard", "--echo", work, "at", NULL},
			environ, 0);
		dx_line("  execveat = -1 %s", dx_errname(errno));
		_exit(127);
	}
	dx_wait("execveat", pid);
	int self = T(open("self", O_RDONLY | O_CLOEXEC));
	pid = fork();
	if (pid == 0) {
		fexecve(self, (char *[]){"fexec", "--echo", work, "fexecve", NULL}, environ);
		dx_line("  fexecve = -1 %s", dx_errname(errno));
		_exit(127);
	}
	dx_wait("fexecve", pid);
	int selfp = T(open("self", O_PATH | O_CLOEXEC));
	pid = fork();
	if (pid == 0) {
		syscall(SYS_execveat, selfp, "", (char *[]){"p", "--echo", work, "O_PATH", NULL},
			environ, AT_EMPTY_PATH);
		dx_line("  execveat O_PATH = -1 %s", dx_errname(errno));
		_exit(127);
	}
	dx_wait("execveat O_PATH", pid);
	pid = fork();
	if (pid == 0) {
		syscall(SYS_execveat, bin, "../plain", (char *[]){"x", NULL}, environ, 0);
		dx_line("  execveat plain = -1 %s", dx_errname(errno));
		_exit(127);
	}
	dx_wait("execveat plain", pid);
	T(close(bin));
	T(close(self));
	T(close(selfp));

	dx_part("fds across execve");
	dx_make_file("shared", "0123456789");
	int keep = T(open("shared", O_RDWR));
	int gone = T(open("shared", O_RDONLY | O_CLOEXEC));
	T(lseek(keep, 3, SEEK_SET));
	char ka[16], ga[16];
	snprintf(ka, sizeof(ka), "%d", keep);
	snprintf(ga, sizeof(ga), "%d", gone);
	T(chdir("bin"));
	run("self --fds", (char *[]){"../self", "--fds", work, ka, ga, NULL}, -1, -1, 0);
	T(chdir(".."));
	T(lseek(keep, 0, SEEK_CUR));
	dx_show_file("shared");
	int in = T(open("exec-in", O_RDONLY));
	int out = T(open("exec-out", O_WRONLY | O_CREAT | O_TRUNC, 0600));
	run("self --cat <exec-in >exec-out", (char *[]){"./self", "--cat", work, NULL}, in, out, 0);
	T(lseek(in, 0, SEEK_CUR));
	T(lseek(out, 0, SEEK_CUR));
	dx_show_file("exec-out");
	run("/bin/cat <exec-in >exec-out", (char *[]){"/bin/cat", NULL}, in, out, 0);
	T(lseek(in, 0, SEEK_SET));
	run("/bin/cat <exec-in >exec-out again", (char *[]){"/bin/cat", NULL}, in, out, 0);
	dx_show_file("exec-out");
	T(close(in));
	T(close(out));
	T(close(keep));
	T(close(gone));

	dx_part("bash redirections");
	dx_make_file("in", "pear\napple\nfig\n");
	bash("sort < in > out");
	dx_show_file("out");
	bash("{ echo a; echo b; } > out2");
	dx_show_file("out2");
	bash("echo c >> out2; echo d >> out2");
	dx_show_file("out2");
	bash("cat in | tr a-z A-Z > out3; wc -l < out3 >> out3");
	dx_show_file("out3");
	bash("exec 5< in; read -u 5 first; cat <&5 > out4; echo \"first=$first\" >> out4");
	dx_show_file("out4");
	bash("cat > out5 <<EOF\nhere $((1+2))\nEOF");
	dx_show_file("out5");
	bash("ls missing > err 2>&1; echo status=$? >> err");
	dx_show_file("err");
	bash("set -o noclobber; echo x > out5; echo status=$?; echo y >| out5; cat out5");
	bash("mkdir -p t/u && cd t/u && echo deep > f && cat ../../t/u/f && pwd | grep -c "
	     "/t/u$; cd ../.. && rm -r t && ls");
	bash("exec 3> fd3; echo via-3 >&3; exec 3>&-; cat fd3");
	bash("while read l; do echo \"<$l>\"; done < in > out6; cat out6 | head -2");
	bash("x=$(cat in | sort -r | head -1); echo $x; cp in in-copy && cmp in in-copy && "
	     "mv in-copy in-moved && ls in*");
	bash("printf 'abc' > p; printf 'def' >> p; cat p; echo; stat -c '%s %F' p");
	bash("test -x self && echo exec-ok; test -d bin && echo dir-ok; [ -L bin/soft ] && echo "
	     "lnk-ok");
	dx_show_dir(".");
	return 0;
}
