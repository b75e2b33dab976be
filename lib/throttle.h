/*
 * throttle.h - throttling without addresses, shared by a pool's
 * children.
 *
 * A pool sees no client address (DESIGN "Anonymity rules"), so it
 * cannot throttle per client.  It throttles globally instead:
 *   - a rate: sign-in and receipt attempts per second across all
 *     children of the pool, answered with 429 and Retry-After;
 *   - a concurrency cap on Argon2id runs (64 MiB each), so that a
 *     flood queues at the door instead of exhausting memory.
 *
 * The state lives in one MAP_SHARED anonymous mapping that the pool
 * master creates before it forks; every child inherits the same pages.
 * It is changed with lock-free C11 atomics only (checked at compile
 * time): there is no lock that a child killed at any instruction could
 * leave held.
 *
 * Rate.  A token bucket of `burst` tokens refilled at `rate_per_s`,
 * kept as one atomic "theoretical arrival time" (GCRA, the same
 * bucket in one word) updated by compare-exchange.  Guarantee: over
 * any interval of time [t0, t1] seen by the callers' clocks, at most
 * burst + rate_per_s * (t1 - t0) takes succeed, however many processes
 * share the bucket; a full bucket accepts `burst` at once.  Refusals
 * do not consume tokens.
 *
 * Concurrency.  max_concurrent slots, each an atomic pid: 0 is free,
 * otherwise the holder.  A slot is claimed by compare-exchange, so at
 * most max_concurrent processes are ever inside at once.  A holder
 * killed inside (SIGKILL in the middle of Argon2id, or the request
 * timeout) never gets to leave; its slot is reclaimed by the next
 * ob_throttle_enter that finds no free slot, once kill(pid, 0) says
 * the pid no longer exists (ESRCH), i.e. once the master has reaped
 * it, or at once by ob_throttle_reap from the master's waitpid loop.
 * Limits: a process holds at most one slot (enter is not nested); a
 * dead holder's pid reused by an unrelated process before reclamation
 * keeps its slot busy until that process exits (capacity can shrink
 * for a while, never grow) - ob_throttle_reap closes that window.
 */
#ifndef OB_THROTTLE_H
#define OB_THROTTLE_H

#include <stdint.h>
#include <sys/types.h>

#include "lib/ob.h"

/* Bounds of ob_throttle_create. */
#define OB_THROTTLE_RATE_MAX 1000000u
#define OB_THROTTLE_BURST_MAX 1000000u
#define OB_THROTTLE_CONCURRENT_MAX 4096u

struct ob_throttle;

/*
 * Maps a shared throttle: a full bucket of burst tokens refilled at
 * rate_per_s, and max_concurrent free slots.  Call it in the master
 * before forking.  Returns NULL when a parameter is 0 or above its
 * OB_THROTTLE_*_MAX; a failed mmap aborts (as allocation failure
 * does).  Release with ob_throttle_free.
 */
struct ob_throttle *ob_throttle_create(
    unsigned rate_per_s, unsigned burst, unsigned max_concurrent);

/* Unmaps t in this process (other processes keep their mapping).
 * NULL is fine. */
void ob_throttle_free(struct ob_throttle *t);

/*
 * Takes one token at time now_ms, a monotonic clock shared by the
 * processes (ob_now_us() / 1000).  Returns 0, or OB_EAGAIN with
 * *retry_after_s set to the whole seconds (>= 1) until a token will be
 * there, for a 429 with Retry-After.  retry_after_s may be NULL.
 */
int ob_throttle_take(struct ob_throttle *t, uint64_t now_ms,
    unsigned *retry_after_s) OB_MUST_CHECK;

/*
 * Claims a concurrency slot for this process, first a free one, then
 * one whose holder is gone.  Returns 0 (the caller must call
 * ob_throttle_leave on every path), or OB_EAGAIN with *retry_after_s
 * = 1 when all slots are held by live processes.  A process that
 * already holds a slot gets that slot again.
 */
int ob_throttle_enter(
    struct ob_throttle *t, unsigned *retry_after_s) OB_MUST_CHECK;

/* Frees the slot this process holds (no-op if it holds none). */
void ob_throttle_leave(struct ob_throttle *t);

/*
 * For the master, after waitpid reports pid: frees any slot pid held,
 * before the pid can be reused.  Async-signal-safe.
 */
void ob_throttle_reap(struct ob_throttle *t, pid_t pid);

#endif
