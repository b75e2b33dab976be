#include "lib/throttle.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"
#include "test/unit/check.h"

static void
test_create(void)
{
	CHECK(ob_throttle_create(0, 1, 1) == NULL);
	CHECK(ob_throttle_create(1, 0, 1) == NULL);
	CHECK(ob_throttle_create(1, 1, 0) == NULL);
	CHECK(ob_throttle_create(OB_THROTTLE_RATE_MAX + 1, 1, 1) == NULL);
	CHECK(ob_throttle_create(1, 1, OB_THROTTLE_CONCURRENT_MAX + 1) == NULL);
	ob_throttle_free(NULL);
}

static void
test_bucket(void)
{
	struct ob_throttle *t = ob_throttle_create(2, 5, 1);
	uint64_t now = 5000000; /* any monotonic start */
	unsigned retry = 0;
	int ok;

	/* A full bucket: burst at once, then refusals with Retry-After. */
	for (int i = 0; i < 5; i++)
		CHECK_INT(ob_throttle_take(t, now, &retry), 0);
	CHECK_INT(ob_throttle_take(t, now, &retry), OB_EAGAIN);
	CHECK(retry >= 1);
	retry = 0;
	CHECK_INT(ob_throttle_take(t, now + 499, &retry), OB_EAGAIN);
	CHECK(retry >= 1);
	CHECK_INT(ob_throttle_take(t, now, NULL), OB_EAGAIN);
	/* Refusals cost nothing: one token every 500 ms. */
	CHECK_INT(ob_throttle_take(t, now + 500, &retry), 0);
	CHECK_INT(ob_throttle_take(t, now + 500, &retry), OB_EAGAIN);
	CHECK_INT(ob_throttle_take(t, now + 1000, &retry), 0);
	/* A long pause refills to burst, never beyond. */
	now += 60000;
	ok = 0;
	for (int i = 0; i < 20; i++)
		if (ob_throttle_take(t, now, &retry) == 0)
			ok++;
	CHECK_INT(ok, 5);
	/* A clock read before another caller's is not a free token. */
	CHECK_INT(ob_throttle_take(t, now - 10000, &retry), OB_EAGAIN);
	CHECK(retry >= 1);
	ob_throttle_free(t);

	/* A high rate: 1000/s is one token per millisecond. */
	t = ob_throttle_create(1000, 1, 1);
	CHECK_INT(ob_throttle_take(t, 10, NULL), 0);
	CHECK_INT(ob_throttle_take(t, 10, &retry), OB_EAGAIN);
	CHECK_INT(retry, 1);
	CHECK_INT(ob_throttle_take(t, 11, NULL), 0);
	ob_throttle_free(t);
}

/* Reads exactly one byte; -1 at the end or on error. */
static int
read1(int fd)
{
	char c;
	ssize_t n;

	while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
		;
	return n == 1 ? (unsigned char)c : -1;
}

static void
write1(int fd, char c)
{
	ssize_t n;

	while ((n = write(fd, &c, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		_exit(3);
}

static void
reap_all(pid_t *pids, int n)
{
	for (int i = 0; i < n; i++) {
		int st = 0;

		if (pids[i] > 0) {
			CHECK(waitpid(pids[i], &st, 0) == pids[i]);
			CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		}
	}
}

/*
 * Four children try to enter a throttle of two slots: each reports 'y'
 * or 'n'; those inside hold until the parent closes the release pipe.
 */
static void
test_concurrent(void)
{
	struct ob_throttle *t = ob_throttle_create(1, 1, 2);
	int report[2], release[2], in = 0, out = 0;
	unsigned retry = 0;
	pid_t pids[4];

	CHECK(pipe(report) == 0 && pipe(release) == 0);
	for (int i = 0; i < 4; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			unsigned r = 0;

			close(report[0]);
			close(release[1]);
			if (ob_throttle_enter(t, &r) != 0) {
				write1(report[1], r >= 1 ? 'n' : '?');
				_exit(0);
			}
			write1(report[1], 'y');
			(void)read1(release[0]); /* until the parent closes */
			ob_throttle_leave(t);
			_exit(0);
		}
		CHECK(pids[i] > 0);
	}
	close(report[1]);
	close(release[0]);
	for (int i = 0; i < 4; i++) {
		int c = read1(report[0]);

		in += c == 'y';
		out += c == 'n';
	}
	CHECK_INT(in, 2);
	CHECK_INT(out, 2);
	/* The parent is a fifth process: still full. */
	CHECK_INT(ob_throttle_enter(t, &retry), OB_EAGAIN);
	CHECK_INT(retry, 1);
	close(release[1]);
	reap_all(pids, 4);
	close(report[0]);

	/* The holders left: both slots are free again. */
	CHECK_INT(ob_throttle_enter(t, &retry), 0);
	/* Entering again while inside keeps the one slot. */
	CHECK_INT(ob_throttle_enter(t, &retry), 0);
	pids[0] = fork();
	if (pids[0] == 0) {
		unsigned r = 0;
		int rc = ob_throttle_enter(t, &r);

		ob_throttle_leave(t);
		_exit(rc == 0 ? 0 : 1);
	}
	reap_all(pids, 1);
	ob_throttle_leave(t);
	ob_throttle_free(t);
}

/* A child that enters, says so, and waits to be killed. */
static pid_t
holder(struct ob_throttle *t)
{
	int p[2];
	pid_t pid;

	CHECK(pipe(p) == 0);
	if ((pid = fork()) == 0) {
		unsigned r;

		close(p[0]);
		if (ob_throttle_enter(t, &r) != 0)
			_exit(1);
		write1(p[1], 'y');
		for (;;)
			pause();
	}
	close(p[1]);
	CHECK_INT(read1(p[0]), 'y');
	close(p[0]);
	return pid;
}

static void
test_killed_holder(void)
{
	struct ob_throttle *t = ob_throttle_create(1, 1, 1);
	unsigned retry = 0;
	pid_t pid;
	int st;

	/* Reclaimed by enter once the dead holder is reaped. */
	pid = holder(t);
	CHECK_INT(ob_throttle_enter(t, &retry), OB_EAGAIN);
	CHECK(kill(pid, SIGKILL) == 0);
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	CHECK_INT(ob_throttle_enter(t, &retry), 0);
	ob_throttle_leave(t);

	/* Freed by the master's ob_throttle_reap. */
	pid = holder(t);
	CHECK_INT(ob_throttle_enter(t, &retry), OB_EAGAIN);
	CHECK(kill(pid, SIGKILL) == 0);
	CHECK(waitpid(pid, &st, 0) == pid);
	ob_throttle_reap(t, pid);
	CHECK_INT(ob_throttle_enter(t, &retry), 0);
	ob_throttle_leave(t);
	/* Leaving twice, or without entering, is harmless. */
	ob_throttle_leave(t);
	CHECK_INT(ob_throttle_enter(t, &retry), 0);
	ob_throttle_leave(t);
	ob_throttle_free(t);
}

static uint64_t
now_ms(void)
{
	return ob_now_us() / 1000;
}

/*
 * Children hammer one shared bucket for a while; together they never
 * get more than burst + rate * elapsed.
 */
static void
test_shared_rate(void)
{
	enum { NCHILD = 4, RATE = 100, BURST = 10, RUN_MS = 300 };
	struct ob_throttle *t = ob_throttle_create(RATE, BURST, 1);
	int p[2];
	pid_t pids[NCHILD];
	uint64_t t0, t1, total = 0;

	CHECK(pipe(p) == 0);
	t0 = now_ms();
	for (int i = 0; i < NCHILD; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			struct timespec ts = { 0, 200 * 1000 };
			uint32_t got = 0;
			uint64_t end = now_ms() + RUN_MS;

			close(p[0]);
			while (now_ms() < end) {
				if (ob_throttle_take(t, now_ms(), NULL) == 0)
					got++;
				nanosleep(&ts, NULL);
			}
			if (write(p[1], &got, sizeof(got)) != sizeof(got))
				_exit(3);
			_exit(0);
		}
		CHECK(pids[i] > 0);
	}
	close(p[1]);
	for (int i = 0; i < NCHILD; i++) {
		uint32_t got = 0;

		CHECK(read(p[0], &got, sizeof(got)) == sizeof(got));
		total += got;
	}
	reap_all(pids, NCHILD);
	t1 = now_ms();
	close(p[0]);
	CHECK(total >= BURST);
	CHECK(total <= BURST + RATE * (t1 - t0) / 1000);
	fprintf(stderr, "shared bucket: %llu tokens in %llu ms\n",
	    (unsigned long long)total, (unsigned long long)(t1 - t0));
	ob_throttle_free(t);
}

int
main(void)
{
	test_create();
	test_bucket();
	test_concurrent();
	test_killed_holder();
	test_shared_rate();
	return CHECK_DONE();
}
