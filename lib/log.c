#include "lib/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

#define LINE_MAX_LEN 1024

static char log_svc[32] = "ombud";

void
ob_log_init(const char *svc)
{
	if (ob_strlcpy(log_svc, svc, sizeof(log_svc)) != 0)
		ob_die("log: service name too long");
}

/* One write(2) per line, so lines of concurrent children never mix. */
static void
emit(char *line, size_t len)
{
	ssize_t w;

	if (len >= LINE_MAX_LEN - 1) {
		len = LINE_MAX_LEN - 5;
		memcpy(line + len, "...", 3);
		len += 3;
	}
	line[len++] = '\n';
	do
		w = write(STDERR_FILENO, line, len);
	while (w < 0 && errno == EINTR);
}

/*
 * Copies s into dst as a logfmt-quoted value, dropping anything that is
 * not printable ASCII, so a value can never start a new line or forge a
 * key.
 */
static size_t
quote(char *dst, size_t n, const char *s)
{
	size_t o = 0;

	if (n < 3)
		return 0;
	dst[o++] = '"';
	for (; *s != '\0' && o + 2 < n; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 || ch > 0x7e || ch == '"' || ch == '\\')
			ch = '?';
		dst[o++] = (char)ch;
	}
	dst[o++] = '"';
	dst[o] = '\0';
	return o;
}

size_t
ob_log_format_request(char *buf, size_t n, const char *rid, const char *method,
    const char *route, int status, uint64_t dur_us)
{
	char qroute[256], qmethod[16];
	int len;

	quote(qroute, sizeof(qroute), route ? route : "-");
	quote(qmethod, sizeof(qmethod), method ? method : "-");
	len = snprintf(buf, n,
	    "svc=%s level=info rid=%s method=%s route=%s status=%d "
	    "dur_ms=%llu.%03llu",
	    log_svc, rid ? rid : "-", qmethod, qroute, status,
	    (unsigned long long)(dur_us / 1000),
	    (unsigned long long)(dur_us % 1000));
	if (len < 0)
		return 0;
	return (size_t)len < n ? (size_t)len : n - 1;
}

void
ob_log_request(const char *rid, const char *method, const char *route,
    int status, uint64_t dur_us)
{
	char line[LINE_MAX_LEN];

	emit(line,
	    ob_log_format_request(
		line, sizeof(line) - 1, rid, method, route, status, dur_us));
}

static void
vlog(const char *level, const char *rid, const char *fmt, va_list ap)
{
	char line[LINE_MAX_LEN], msg[LINE_MAX_LEN - 128], qmsg[LINE_MAX_LEN];
	int len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	quote(qmsg, sizeof(qmsg), msg);
	len = snprintf(line, sizeof(line) - 1, "svc=%s level=%s rid=%s msg=%s",
	    log_svc, level, rid ? rid : "-", qmsg);
	if (len < 0)
		return;
	emit(line,
	    (size_t)len < sizeof(line) - 1 ? (size_t)len : sizeof(line) - 2);
}

#define DEFINE_LOG(fn, level)                                                  \
	void fn(const char *rid, const char *fmt, ...)                         \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		vlog(level, rid, fmt, ap);                                     \
		va_end(ap);                                                    \
	}

DEFINE_LOG(ob_log_error, "error")
DEFINE_LOG(ob_log_warn, "warn")
DEFINE_LOG(ob_log_info, "info")
