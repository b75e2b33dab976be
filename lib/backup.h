/*
 * backup.h - what `ombudctl backup` decides, apart from running
 * pg_dump, age and pg_restore (services/ombudctl/backup.c,
 * docs/ops.md "Backups").
 *
 * A backup is one file DIR/ombud-YYYYMMDDTHHMMSSZ.dump.age (a pg_dump
 * custom-format archive encrypted with age to the configured
 * recipient; the time is UTC, when the dump started) and its checksum
 * DIR/ombud-YYYYMMDDTHHMMSSZ.dump.age.sha256 in sha256sum(1) format.
 * Pruning goes by the time in the name, never by a file's mtime, and
 * touches nothing else.
 */
#ifndef OB_BACKUP_H
#define OB_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/ob.h"

/* "ombud-20250315T023000Z.dump.age": 31 bytes and a NUL. */
#define OB_BACKUP_NAME_SIZE 32
#define OB_BACKUP_SUM_SUFFIX ".sha256"

/* The rotation promised to clients: every day's newest backup for this
 * many days (today included), the first of each month for this many
 * months (this month included). */
#define OB_BACKUP_DAILY_DAYS 60
#define OB_BACKUP_MONTHLY_MONTHS 24

/* The name of a backup made at t (UTC).  OB_EINVAL for a time before
 * 1970 or after 9999. */
int ob_backup_name(time_t t, char out[OB_BACKUP_NAME_SIZE]) OB_MUST_CHECK;

/*
 * Reads the time back out of a backup's base name.  OB_EINVAL for any
 * other name: another suffix (the checksum, a temporary file), another
 * prefix, an impossible date (month 13, 31 February, hour 24).
 */
int ob_backup_parse_name(const char *name, time_t *out) OB_MUST_CHECK;

/* The same, for a time given as YYYYMMDDTHHMMSSZ (prune --now). */
int ob_backup_parse_time(const char *s, time_t *out) OB_MUST_CHECK;

/* Why a backup is kept (bits); 0 means it is deleted. */
enum {
	OB_BACKUP_KEEP_DAILY = 1, /* the newest of its day, within 60 days */
	OB_BACKUP_KEEP_MONTHLY = 2, /* the first of its month, within 24 */
	OB_BACKUP_KEEP_FUTURE = 4, /* dated after now: a clock is wrong */
};

struct ob_backup_entry {
	time_t at; /* from the name */
	char *name; /* the caller's; not used by the rule */
	unsigned keep; /* set by ob_backup_prune_plan */
};

/*
 * The rotation rule, as a pure function of the backups' times and now:
 * sorts e[0..n) by time (oldest first) and sets each keep.  Days and
 * months are UTC calendar days and months: a backup is a daily one
 * when its day is one of the 60 days ending with now's day, and it is
 * the newest of that day; a monthly one when its month is one of the
 * 24 months ending with now's month and it is the first of that month.
 * Backups dated after now are kept and left out of both rules.
 */
void ob_backup_prune_plan(struct ob_backup_entry *e, size_t n, time_t now);

/* "daily", "monthly", "daily, monthly", "dated in the future". */
const char *ob_backup_keep_reason(unsigned keep);

/*
 * True for an age X25519 recipient: "age1" and 58 symbols of the
 * bech32 alphabet (what age-keygen prints as "Public key").
 */
bool ob_backup_recipient_ok(const char *s);

/*
 * SHA-256 of the whole file open on fd, read from its start, as 64
 * lowercase hex digits.  OB_EIO with a message naming what.
 */
int ob_backup_sha256_fd(
    int fd, const char *what, char hex[65], struct ob_buf *err) OB_MUST_CHECK;

/*
 * Reads a checksum file: one line "HEX  NAME" (sha256sum(1)), from
 * which the 64 hex digits go to hex.  OB_ENOENT when path does not
 * exist, OB_EINVAL (message in err) when it holds anything else.
 */
int ob_backup_read_sum(
    const char *path, char hex[65], struct ob_buf *err) OB_MUST_CHECK;

/*
 * Splits an upload hook's command line into arguments the way a shell
 * would read words and quotes (g_shell_parse_argv), without running
 * one: no variables, globs, pipes or redirections.  On success *argv
 * is NULL-terminated and the caller frees it with ob_backup_argv_free.
 */
int ob_backup_split_argv(const char *s, char ***argv, size_t *argc,
    struct ob_buf *err) OB_MUST_CHECK;
void ob_backup_argv_free(char **argv);

#endif
