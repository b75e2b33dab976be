/*
 * Backup names, the rotation rule and checksums (backup.h).
 */
#include "lib/backup.h"

#include <errno.h>
#include <glib.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

#define PREFIX "ombud-"
#define SUFFIX ".dump.age"
#define STAMP_LEN 16 /* YYYYMMDDTHHMMSSZ */

int
ob_backup_name(time_t t, char out[OB_BACKUP_NAME_SIZE])
{
	struct tm tm;

	if (t < 0 || gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999)
		return OB_EINVAL;
	if (strftime(out, OB_BACKUP_NAME_SIZE, PREFIX "%Y%m%dT%H%M%SZ" SUFFIX,
		&tm) != OB_BACKUP_NAME_SIZE - 1)
		return OB_EINVAL;
	return 0;
}

static int
field(const char *s, size_t n, uint64_t max, int *out)
{
	uint64_t v;

	if (ob_parse_u64n(s, n, 0, max, &v) != 0)
		return OB_EINVAL;
	*out = (int)v;
	return 0;
}

int
ob_backup_parse_time(const char *s, time_t *out)
{
	struct tm tm = { 0 }, back;
	int y, mo, d, h, mi, se;
	time_t t;

	if (strlen(s) != STAMP_LEN || s[8] != 'T' || s[15] != 'Z' ||
	    field(s, 4, 9999, &y) || field(s + 4, 2, 12, &mo) ||
	    field(s + 6, 2, 31, &d) || field(s + 9, 2, 23, &h) ||
	    field(s + 11, 2, 59, &mi) || field(s + 13, 2, 59, &se) ||
	    y < 1970 || mo < 1 || d < 1)
		return OB_EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	/* timegm normalises 31 February to 3 March: refuse such a date. */
	if (t < 0 || gmtime_r(&t, &back) == NULL || back.tm_year != y - 1900 ||
	    back.tm_mon != mo - 1 || back.tm_mday != d)
		return OB_EINVAL;
	*out = t;
	return 0;
}

int
ob_backup_parse_name(const char *name, time_t *out)
{
	char stamp[STAMP_LEN + 1];

	if (strlen(name) != OB_BACKUP_NAME_SIZE - 1 ||
	    strncmp(name, PREFIX, strlen(PREFIX)) != 0 ||
	    strcmp(name + strlen(PREFIX) + STAMP_LEN, SUFFIX) != 0)
		return OB_EINVAL;
	memcpy(stamp, name + strlen(PREFIX), STAMP_LEN);
	stamp[STAMP_LEN] = '\0';
	return ob_backup_parse_time(stamp, out);
}

static int
by_time(const void *a, const void *b)
{
	const struct ob_backup_entry *x = a, *y = b;

	return (x->at > y->at) - (x->at < y->at);
}

static int64_t
day_of(time_t t)
{
	return (int64_t)t / 86400;
}

static int64_t
month_of(time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	return (int64_t)tm.tm_year * 12 + tm.tm_mon;
}

void
ob_backup_prune_plan(struct ob_backup_entry *e, size_t n, time_t now)
{
	int64_t today = day_of(now), this_month = month_of(now);
	size_t past = 0;

	if (n > 1)
		qsort(e, n, sizeof(*e), by_time);
	for (size_t i = 0; i < n; i++) {
		e[i].keep = 0;
		if (e[i].at > now)
			e[i].keep = OB_BACKUP_KEEP_FUTURE;
		else
			past = i + 1;
	}
	/* e[0..past) are the backups up to now, oldest first. */
	for (size_t i = 0; i < past; i++) {
		int64_t day = day_of(e[i].at), month = month_of(e[i].at);
		bool newest_of_day =
		    i + 1 == past || day_of(e[i + 1].at) != day;
		bool first_of_month = i == 0 || month_of(e[i - 1].at) != month;

		if (newest_of_day && today - day < OB_BACKUP_DAILY_DAYS)
			e[i].keep |= OB_BACKUP_KEEP_DAILY;
		if (first_of_month &&
		    this_month - month < OB_BACKUP_MONTHLY_MONTHS)
			e[i].keep |= OB_BACKUP_KEEP_MONTHLY;
	}
}

const char *
ob_backup_keep_reason(unsigned keep)
{
	if (keep & OB_BACKUP_KEEP_FUTURE)
		return "dated in the future";
	switch (keep & (OB_BACKUP_KEEP_DAILY | OB_BACKUP_KEEP_MONTHLY)) {
	case OB_BACKUP_KEEP_DAILY:
		return "daily";
	case OB_BACKUP_KEEP_MONTHLY:
		return "monthly";
	case OB_BACKUP_KEEP_DAILY | OB_BACKUP_KEEP_MONTHLY:
		return "daily, monthly";
	default:
		return "expired";
	}
}

bool
ob_backup_recipient_ok(const char *s)
{
	static const char bech32[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

	if (strlen(s) != 62 || strncmp(s, "age1", 4) != 0)
		return false;
	for (s += 4; *s != '\0'; s++)
		if (strchr(bech32, *s) == NULL)
			return false;
	return true;
}

int
ob_backup_sha256_fd(int fd, const char *what, char hex[65], struct ob_buf *err)
{
	crypto_hash_sha256_state st;
	unsigned char buf[65536], h[crypto_hash_sha256_BYTES];
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0) {
		ob_buf_seterr(err, "%s: %s", what, strerror(errno));
		return OB_EIO;
	}
	crypto_hash_sha256_init(&st);
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ob_buf_seterr(
			    err, "cannot read %s: %s", what, strerror(errno));
			return OB_EIO;
		}
		if (n == 0)
			break;
		crypto_hash_sha256_update(&st, buf, (unsigned long long)n);
	}
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, 65, h, sizeof(h));
	return 0;
}

int
ob_backup_read_sum(const char *path, char hex[65], struct ob_buf *err)
{
	char line[512];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return OB_ENOENT;
		ob_buf_seterr(err, "cannot read %s: %s", path, strerror(errno));
		return OB_EIO;
	}
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	for (size_t i = 0; i < 64; i++) {
		if (line[i] == '\0' ||
		    strchr("0123456789abcdef", line[i]) == NULL) {
			ob_buf_seterr(err,
			    "%s is not a checksum file (64 hex digits, two "
			    "spaces, the file name)",
			    path);
			return OB_EINVAL;
		}
	}
	if (line[64] != ' ' || line[65] != ' ') {
		ob_buf_seterr(err,
		    "%s is not a checksum file (64 hex digits, two spaces, "
		    "the file name)",
		    path);
		return OB_EINVAL;
	}
	memcpy(hex, line, 64);
	hex[64] = '\0';
	return 0;
}

int
ob_backup_split_argv(
    const char *s, char ***argv, size_t *argc, struct ob_buf *err)
{
	GError *gerr = NULL;
	gchar **v = NULL;
	gint n = 0;

	if (!g_shell_parse_argv(s, &n, &v, &gerr)) {
		ob_buf_seterr(err, "%s", gerr ? gerr->message : "cannot parse");
		g_clear_error(&gerr);
		return OB_EINVAL;
	}
	*argv = v;
	*argc = (size_t)n;
	return 0;
}

void
ob_backup_argv_free(char **argv)
{
	g_strfreev(argv);
}
