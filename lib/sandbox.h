/*
 * sandbox.h - running a parser of hostile bytes where it can do no harm
 * (DESIGN "parse in a forked child with rlimits and a seccomp filter").
 *
 * ob_sandbox_run forks.  The child drops into:
 *   - rlimits: CPU seconds, address space, size of any file it writes,
 *     no core dumps, no new processes;
 *   - a seccomp filter (libseccomp) that allows reading, writing and
 *     seeking the descriptors it was given, anonymous memory files
 *     (memfd: a container's members), memory (no executable mappings),
 *     time, random numbers and exiting.  Opening files by
 *     name and creating sockets fail with EACCES, so a library that
 *     tries degrades instead of dying; anything else kills the child
 *     (SIGSYS);
 * then runs fn(arg) and exits with its result.  Before the filter goes
 * on, the child closes every descriptor but 0-2, its report pipe and
 * the keep[nkeep] the caller names (the files fn works on): a parser
 * taken over by its input finds no database connection, no listening
 * socket, nothing but its own files to write to.
 *
 * The parent waits at most lim->wall_seconds (then kills the child),
 * reads what the child wrote to its report pipe (at most
 * OB_SANDBOX_REPORT_MAX bytes) into report, and returns:
 *   0 and *child_rc = fn's result (0 or a negative OB_E*), when the
 *     child exited on its own;
 *   OB_EAGAIN when it was killed: by a limit (CPU, memory, file size),
 *     the wall clock, the seccomp filter or a crash.  *why says which,
 *     in words for a log line (never the input's content);
 *   OB_EIO when fork or pipe failed.
 * The pool's own process is never at risk: a child that dies takes
 * only its file with it.
 */
#ifndef OB_SANDBOX_H
#define OB_SANDBOX_H

#include <stdint.h>

#include "lib/buf.h"
#include "lib/ob.h"

#define OB_SANDBOX_REPORT_MAX (64 * 1024)

/*
 * 1 in a build with AddressSanitizer or UndefinedBehaviorSanitizer.
 * Their runtime needs calls a parser never makes (it maps shadow
 * memory, reads /proc to report), so there a forbidden call fails with
 * EPERM instead of killing the child, and the address-space limit is
 * left off: the tests still run the parsers in the sandbox.
 */
#if defined(__SANITIZE_ADDRESS__)
#define OB_SANDBOX_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) ||                                        \
    __has_feature(undefined_behavior_sanitizer)
#define OB_SANDBOX_SANITIZED 1
#endif
#endif
#ifndef OB_SANDBOX_SANITIZED
#define OB_SANDBOX_SANITIZED 0
#endif

struct ob_sandbox_limits {
	unsigned cpu_seconds;
	unsigned wall_seconds;
	uint64_t address_space; /* bytes */
	uint64_t file_size; /* bytes the child may write to any file */
	/*
	 * NULL, or directories the child may read files beneath (a NULL-
	 * terminated list; a missing one is skipped): fonts for a PDF's
	 * pages.  Granted only where the kernel has Landlock, which then
	 * confines every path the child opens to these trees, read-only
	 * (writing, creating or truncating anything fails with EACCES).
	 * Without Landlock, opening stays refused as for every other
	 * child.
	 */
	const char *const *read_dirs;
};

/* 30 s CPU, 60 s wall, 512 MiB address space, 4 GiB files. */
extern const struct ob_sandbox_limits ob_sandbox_default_limits;

/*
 * fn runs in the child with report_fd, the write end of the report
 * pipe: what it writes there reaches the parent's report buffer.
 */
int ob_sandbox_run(int (*fn)(void *arg, int report_fd), void *arg,
    const int *keep, size_t nkeep, const struct ob_sandbox_limits *lim,
    struct ob_buf *report, int *child_rc, const char **why) OB_MUST_CHECK;

#endif
