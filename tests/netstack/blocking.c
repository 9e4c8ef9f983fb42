/*
 * Blocking calls and signals: accept and recv interrupted by a handler
 * without SA_RESTART (EINTR), recv restarted under SA_RESTART (it returns
 * the data that came later), EINTR despite SA_RESTART when SO_RCVTIMEO is
 * set (socket(7)), recv MSG_WAITALL interrupted after part of the data (the
 * part), and a blocking send on a full buffer with SO_SNDTIMEO (EAGAIN
 * after the timeout). A TCP connection on PORT keeps the roles in step; the
 * scenario's connection goes to PORT+2.
 */
#include "scen.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* SIGALRM in ms milliseconds, with or without SA_RESTART. */
static void alarm_in(int ms, int restart)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_alarm;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
}

static void timed(const char *what, long r, double t0, double lo, double hi)
{
	int e = errno;
	double took = now_seconds() - t0;
	char line[160];
	snprintf(line, sizeof(line), "%s (signals %d, took %.1f-%.1f s: %d)", what, (int)alarms, lo,
		 hi, took >= lo && took < hi);
	errno = e;
	say(line, r);
	alarms = 0;
}

void scen_server(void)
{
	int l = tcp_listener(2, 4);
	int ctl = tcp_listener(0, 4);
	int t = accept(ctl, NULL, NULL);
	if (t < 0)
		fail_setup("accept");
	/* 1: accept with nobody coming */
	alarm_in(200, 0);
	double t0 = now_seconds();
	timed("accept interrupted", accept(l, NULL, NULL), t0, 0.19, 2);
	sync_send(t, 'L');
	int a = accept(l, NULL, NULL);
	say("accept", a < 0 ? -1 : 0);

	/* 2: recv, interrupted; then restarted */
	char buf[64] = "";
	alarm_in(200, 0);
	t0 = now_seconds();
	timed("recv interrupted", recv(a, buf, sizeof(buf), 0), t0, 0.19, 2);
	sync_send(t, '2'); /* the client sends 600 ms from now */
	alarm_in(200, 1);
	t0 = now_seconds();
	long r = recv(a, buf, sizeof(buf), 0);
	timed("recv under SA_RESTART", r, t0, 0.5, 3);
	say_data("  got", r, buf);

	/* 3: SO_RCVTIMEO makes it EINTR even under SA_RESTART */
	struct timeval tv = {2, 0};
	setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	alarm_in(200, 1);
	t0 = now_seconds();
	timed("recv with SO_RCVTIMEO under SA_RESTART", recv(a, buf, sizeof(buf), 0), t0, 0.19,
	      1.9);
	tv = (struct timeval){0, 0};
	setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));

	/* 4: MSG_WAITALL interrupted after part of it */
	sync_send(t, '4'); /* the client sends 5 bytes */
	wait_for(a, POLLIN, 5000);
	usleep(50000);
	memset(buf, 0, sizeof(buf));
	alarm_in(200, 0);
	t0 = now_seconds();
	r = recv(a, buf, 10, MSG_WAITALL);
	timed("recv MSG_WAITALL 10 interrupted", r, t0, 0.19, 2);
	say_data("  got", r, buf);

	/* 5: the server's send buffer is full (and the client's receive
	 * buffer: filled until a pause brings no more room); SO_SNDTIMEO */
	fcntl(a, F_SETFL, O_NONBLOCK);
	char *chunk = calloc(1, 65536);
	int full = fill_until_full(a) > 0;
	printf("filled until pauses bring no more room: %d\n", full);
	fcntl(a, F_SETFL, 0);
	tv = (struct timeval){0, 300000};
	say("set SO_SNDTIMEO 0.3", setsockopt(a, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	t0 = now_seconds();
	timed("send on a full buffer", send(a, chunk, 65536, 0), t0, 0.29, 2);
	tv = (struct timeval){0, 0};
	setsockopt(a, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	alarm_in(200, 0);
	t0 = now_seconds();
	r = send(a, chunk, 65536, 0);
	int e = errno;
	printf("send on a full buffer interrupted: part of it or EINTR %d (signals %d, took "
	       "0.2-2.0 s: %d)\n",
	       r > 0 || e == EINTR, (int)alarms,
	       now_seconds() - t0 >= 0.19 && now_seconds() - t0 < 2);
	alarms = 0;
	sync_send(t, '5');
	sync_wait(t, '6');
	free(chunk);
	close(a);
	close(l);
	close(t);
	close(ctl);
}

void scen_client(void)
{
	int t = tcp_connect_retry(0);
	sync_wait(t, 'L');
	int c = tcp_connect_retry(2);
	say("connect", 0);
	sync_wait(t, '2');
	usleep(600000);
	say("send", send(c, "later", 5, 0));
	sync_wait(t, '4');
	say("send part", send(c, "12345", 5, 0));
	sync_wait(t, '5');
	/* read what the server filled in, so it can close */
	fcntl(c, F_SETFL, O_NONBLOCK);
	char buf[65536];
	while (wait_for(c, POLLIN, 300) & POLLIN)
		if (read(c, buf, sizeof(buf)) <= 0)
			break;
	say("drained", 0);
	sync_send(t, '6');
	close(c);
	close(t);
}
