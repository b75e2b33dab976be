#include "lib/throttle.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/util.h"

/*
 * A lock-based fallback of an atomic type would take a lock private to
 * each process: useless in shared memory.
 */
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics are lock-free");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "int atomics are lock-free");
_Static_assert(sizeof(pid_t) == sizeof(int), "pid_t is an int");

struct ob_throttle {
	size_t map_len;
	uint64_t interval_us; /* one token's worth of time, rounded up */
	uint64_t tolerance_us; /* burst * interval_us */
	unsigned max_concurrent;
	/* The time (us) at which the bucket will be full again. */
	_Atomic uint64_t tat_us;
	_Atomic int slots[]; /* holder pid, 0 when free */
};

struct ob_throttle *
ob_throttle_create(unsigned rate_per_s, unsigned burst, unsigned max_concurrent)
{
	struct ob_throttle *t;
	size_t len;
	void *p;

	if (rate_per_s == 0 || rate_per_s > OB_THROTTLE_RATE_MAX ||
	    burst == 0 || burst > OB_THROTTLE_BURST_MAX ||
	    max_concurrent == 0 || max_concurrent > OB_THROTTLE_CONCURRENT_MAX)
		return NULL;
	len = sizeof(*t) + max_concurrent * sizeof(t->slots[0]);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
	    -1, 0);
	if (p == MAP_FAILED)
		ob_die("throttle: cannot map shared memory");
	t = p;
	t->map_len = len;
	/* Rounded up: the rate is never exceeded, only slightly undercut. */
	t->interval_us = (1000000u + rate_per_s - 1) / rate_per_s;
	t->tolerance_us = (uint64_t)burst * t->interval_us;
	t->max_concurrent = max_concurrent;
	atomic_init(&t->tat_us, 0);
	for (unsigned i = 0; i < max_concurrent; i++)
		atomic_init(&t->slots[i], 0);
	return t;
}

void
ob_throttle_free(struct ob_throttle *t)
{
	if (t != NULL)
		munmap(t, t->map_len);
}

int
ob_throttle_take(
    struct ob_throttle *t, uint64_t now_ms, unsigned *retry_after_s)
{
	uint64_t now, tat, start, next, wait;

	now = now_ms > UINT64_MAX / 2000 ? UINT64_MAX / 2 : now_ms * 1000;
	tat = atomic_load(&t->tat_us);
	for (;;) {
		/* An empty history (tat in the past) is a full bucket. */
		start = tat > now ? tat : now;
		next = start + t->interval_us;
		if (next - now > t->tolerance_us) {
			wait = next - now - t->tolerance_us;
			if (retry_after_s != NULL) {
				uint64_t s = (wait + 999999) / 1000000;

				*retry_after_s = s < 1 ? 1
				    : s > 3600         ? 3600
						       : (unsigned)s;
			}
			return OB_EAGAIN;
		}
		/* On failure tat holds the value another process stored. */
		if (atomic_compare_exchange_weak(&t->tat_us, &tat, next))
			return 0;
	}
}

static bool
gone(int pid)
{
	return kill(pid, 0) == -1 && errno == ESRCH;
}

int
ob_throttle_enter(struct ob_throttle *t, unsigned *retry_after_s)
{
	int self = (int)getpid();
	int saved = errno;
	int rc = 0;

	for (unsigned i = 0; i < t->max_concurrent; i++)
		if (atomic_load(&t->slots[i]) == self)
			goto out;
	for (unsigned i = 0; i < t->max_concurrent; i++) {
		int want = 0;

		if (atomic_compare_exchange_strong(&t->slots[i], &want, self))
			goto out;
	}
	/* All taken: a holder may have died without leaving. */
	for (unsigned i = 0; i < t->max_concurrent; i++) {
		int holder = atomic_load(&t->slots[i]);

		if ((holder == 0 || gone(holder)) &&
		    atomic_compare_exchange_strong(&t->slots[i], &holder, self))
			goto out;
	}
	rc = OB_EAGAIN;
	if (retry_after_s != NULL)
		*retry_after_s = 1;
out:
	errno = saved;
	return rc;
}

void
ob_throttle_leave(struct ob_throttle *t)
{
	ob_throttle_reap(t, getpid());
}

void
ob_throttle_reap(struct ob_throttle *t, pid_t pid)
{
	for (unsigned i = 0; i < t->max_concurrent; i++) {
		int want = (int)pid;

		if (pid > 0)
			atomic_compare_exchange_strong(&t->slots[i], &want, 0);
	}
}
