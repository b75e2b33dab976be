/*
 * log.h - one structured line per request, and error lines, to stderr.
 *
 * Lines are logfmt: `svc=intake rid=4f2a... route="/t/{slug}/" status=200
 * dur_ms=1.4`.  What never goes into a line, by construction: addresses,
 * user agents, query strings, cookies, bodies, and paths (the route
 * *pattern* is logged, not the path, so slugs and case ids stay out).
 * Lines carry no timestamp on purpose: the supervisor (journald, the dev
 * stack) adds its own, and a log that cannot be time-matched against a
 * reporter's network is a smaller risk.  Messages passed to ob_log_*
 * must be fixed text plus codes, never user data or secrets.
 */
#ifndef OB_LOG_H
#define OB_LOG_H

#include <stdint.h>

#include "lib/ob.h"

/* Names the process in every line ("intake", "ombudctl"). */
void ob_log_init(const char *svc);

/* The request line.  route is a pattern or "-"; rid a request id. */
void ob_log_request(const char *rid, const char *method, const char *route,
    int status, uint64_t dur_us);

/* level=error / level=warn / level=info lines; rid may be NULL. */
void ob_log_error(const char *rid, const char *fmt, ...) OB_PRINTF(2, 3);
void ob_log_warn(const char *rid, const char *fmt, ...) OB_PRINTF(2, 3);
void ob_log_info(const char *rid, const char *fmt, ...) OB_PRINTF(2, 3);

/*
 * Formats one line into buf (size n) without writing it; for tests.
 * Returns the length written (truncated lines end in "...").
 */
size_t ob_log_format_request(char *buf, size_t n, const char *rid,
    const char *method, const char *route, int status, uint64_t dur_us);

#endif
