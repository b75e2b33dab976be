#include "lib/backup.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test/unit/check.h"

/* 2025-03-15T12:00:00Z, the "now" of the rotation checks. */
#define NOW ((time_t)1742040000)

static time_t
at(const char *stamp)
{
	time_t t = -1;

	if (ob_backup_parse_time(stamp, &t) != 0)
		fprintf(stderr, "bad stamp %s\n", stamp);
	return t;
}

static void
test_names(void)
{
	char name[OB_BACKUP_NAME_SIZE];
	time_t t;

	CHECK_INT(at("20250315T120000Z"), NOW);
	CHECK_INT(ob_backup_name(NOW, name), 0);
	CHECK_STR(name, "ombud-20250315T120000Z.dump.age");
	CHECK_INT(ob_backup_parse_name(name, &t), 0);
	CHECK_INT(t, NOW);
	CHECK_INT(
	    ob_backup_parse_name("ombud-20240229T235959Z.dump.age", &t), 0);
	CHECK_INT(ob_backup_name(-1, name), OB_EINVAL);

	static const char *const bad[] = {
		"ombud-20250315T120000Z.dump.age.sha256",
		"ombud-20250315T120000Z.dump",
		".ombud-20250315T120000Z.dump.age",
		"xombud-20250315T120000Z.dump.age",
		"ombud-20250315t120000Z.dump.age",
		"ombud-20250315T120000z.dump.age",
		"ombud-20251315T120000Z.dump.age",
		"ombud-20250231T120000Z.dump.age",
		"ombud-20230229T120000Z.dump.age",
		"ombud-20250300T120000Z.dump.age",
		"ombud-20250315T240000Z.dump.age",
		"ombud-20250315T126000Z.dump.age",
		"ombud-2025031+T120000Z.dump.age",
		"ombud-19690315T120000Z.dump.age",
		"ombud-20250315T120000Z.dump.agf",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 7;
		CHECK_INT(ob_backup_parse_name(bad[i], &t), OB_EINVAL);
		CHECK_INT(t, 7);
	}
}

/* The keep bits of the entry made at stamp, or -1 when there is none. */
static int
keep_of(const struct ob_backup_entry *e, size_t n, const char *stamp)
{
	time_t t = at(stamp);

	for (size_t i = 0; i < n; i++)
		if (e[i].at == t)
			return (int)e[i].keep;
	return -1;
}

static void
test_rotation(void)
{
	enum { DAYS = 800 };
	struct ob_backup_entry e[DAYS + 4];
	size_t n = 0, kept = 0, daily = 0, monthly = 0;
	/* 02:30 on each of the 800 days up to 2025-03-15, newest first
	 * (the rule sorts). */
	time_t first = at("20250315T023000Z");

	for (size_t i = 0; i < DAYS; i++)
		e[n++] = (struct ob_backup_entry){ first - (time_t)i * 86400,
			NULL, 99 };
	/* A second backup on 2025-03-01 and on 2025-02-20: the later one
	 * of each day is that day's; the earlier one of 1 March stays as
	 * the month's first. */
	e[n++] = (struct ob_backup_entry){ at("20250301T180000Z"), NULL, 0 };
	e[n++] = (struct ob_backup_entry){ at("20250220T180000Z"), NULL, 0 };
	/* Later today than now, and next year: a wrong clock. */
	e[n++] = (struct ob_backup_entry){ at("20250315T130000Z"), NULL, 0 };
	e[n++] = (struct ob_backup_entry){ at("20260101T000000Z"), NULL, 0 };
	ob_backup_prune_plan(e, n, NOW);

	for (size_t i = 0; i < n; i++) {
		CHECK(i == 0 || e[i - 1].at < e[i].at);
		kept += e[i].keep != 0;
		daily += (e[i].keep & OB_BACKUP_KEEP_DAILY) != 0;
		monthly += (e[i].keep & OB_BACKUP_KEEP_MONTHLY) != 0;
	}
	/* 60 days from 2025-01-15; the firsts of April 2023 to March
	 * 2025; the two future ones. */
	CHECK_INT(daily, 60);
	CHECK_INT(monthly, 24);
	CHECK_INT(kept, 60 + 21 + 1 + 1 + 2);
	CHECK_INT(keep_of(e, n, "20250315T023000Z"), OB_BACKUP_KEEP_DAILY);
	CHECK_INT(keep_of(e, n, "20250315T130000Z"), OB_BACKUP_KEEP_FUTURE);
	CHECK_INT(keep_of(e, n, "20260101T000000Z"), OB_BACKUP_KEEP_FUTURE);
	CHECK_INT(keep_of(e, n, "20250115T023000Z"), OB_BACKUP_KEEP_DAILY);
	CHECK_INT(keep_of(e, n, "20250114T023000Z"), 0);
	CHECK_INT(keep_of(e, n, "20250101T023000Z"), OB_BACKUP_KEEP_MONTHLY);
	CHECK_INT(keep_of(e, n, "20250301T023000Z"), OB_BACKUP_KEEP_MONTHLY);
	CHECK_INT(keep_of(e, n, "20250301T180000Z"), OB_BACKUP_KEEP_DAILY);
	CHECK_INT(keep_of(e, n, "20250220T023000Z"), 0);
	CHECK_INT(keep_of(e, n, "20250220T180000Z"), OB_BACKUP_KEEP_DAILY);
	CHECK_INT(keep_of(e, n, "20250201T023000Z"),
	    OB_BACKUP_KEEP_DAILY | OB_BACKUP_KEEP_MONTHLY);
	CHECK_INT(keep_of(e, n, "20230401T023000Z"), OB_BACKUP_KEEP_MONTHLY);
	CHECK_INT(keep_of(e, n, "20230402T023000Z"), 0);
	CHECK_INT(keep_of(e, n, "20230301T023000Z"), 0);
	CHECK_INT(keep_of(e, n, "20241201T023000Z"), OB_BACKUP_KEEP_MONTHLY);
	CHECK_INT(keep_of(e, n, "20241202T023000Z"), 0);
	CHECK_STR(ob_backup_keep_reason(
		      OB_BACKUP_KEEP_DAILY | OB_BACKUP_KEEP_MONTHLY),
	    "daily, monthly");

	/* The first backup of April 2023 is kept even late in the month;
	 * March 2023 is outside the 24 months; a lone backup of today is
	 * both. */
	n = 0;
	e[n++] = (struct ob_backup_entry){ at("20230428T000000Z"), NULL, 0 };
	e[n++] = (struct ob_backup_entry){ at("20230331T235959Z"), NULL, 0 };
	e[n++] = (struct ob_backup_entry){ at("20250315T000000Z"), NULL, 0 };
	ob_backup_prune_plan(e, n, NOW);
	CHECK_INT(e[0].keep, 0);
	CHECK_INT(e[1].keep, OB_BACKUP_KEEP_MONTHLY);
	CHECK_INT(e[2].keep, OB_BACKUP_KEEP_DAILY | OB_BACKUP_KEEP_MONTHLY);
	ob_backup_prune_plan(e, 0, NOW);
}

static void
test_recipient(void)
{
	CHECK(ob_backup_recipient_ok(
	    "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"));
	CHECK(!ob_backup_recipient_ok(
	    "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8"));
	CHECK(!ob_backup_recipient_ok(
	    "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8b"));
	CHECK(!ob_backup_recipient_ok(
	    "AGE1QL3Z7HJY54PW3HYWW5AYYFG7ZQGVC7W3J2ELW8ZMRJ2KG5SFN9AQMCAC8P"));
	CHECK(!ob_backup_recipient_ok("ssh-ed25519 AAAA"));
	CHECK(!ob_backup_recipient_ok(""));
}

static void
test_sums(void)
{
	char dir[] = "/tmp/ob-test-backup-XXXXXX", path[128], hex[65];
	struct ob_buf err = OB_BUF_INIT(512);
	FILE *f;
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/data", dir);
	f = fopen(path, "w");
	fputs("abc", f);
	fclose(f);
	fd = open(path, O_RDONLY);
	CHECK_INT(ob_backup_sha256_fd(fd, path, hex, &err), 0);
	CHECK_STR(hex,
	    "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	close(fd);
	unlink(path);

	snprintf(path, sizeof(path), "%s/sum", dir);
	CHECK_INT(ob_backup_read_sum(path, hex, &err), OB_ENOENT);
	f = fopen(path, "w");
	fputs("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a"
	      "d  ombud-20250315T120000Z.dump.age\n",
	    f);
	fclose(f);
	memset(hex, 0, sizeof(hex));
	CHECK_INT(ob_backup_read_sum(path, hex, &err), 0);
	CHECK_STR(hex,
	    "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	f = fopen(path, "w");
	fputs("BA7816bf  x\n", f);
	fclose(f);
	CHECK_INT(ob_backup_read_sum(path, hex, &err), OB_EINVAL);
	f = fopen(path, "w");
	fclose(f);
	CHECK_INT(ob_backup_read_sum(path, hex, &err), OB_EINVAL);
	unlink(path);
	rmdir(dir);
	ob_buf_release(&err);
}

static void
test_argv(void)
{
	struct ob_buf err = OB_BUF_INIT(512);
	char **argv = NULL;
	size_t argc = 0;

	CHECK_INT(ob_backup_split_argv("rclone copy '{}' \"eu bucket:o\" $HOME",
		      &argv, &argc, &err),
	    0);
	CHECK_INT(argc, 5);
	if (argc == 5) {
		CHECK_STR(argv[0], "rclone");
		CHECK_STR(argv[2], "{}");
		CHECK_STR(argv[3], "eu bucket:o");
		CHECK_STR(argv[4], "$HOME");
		CHECK(argv[5] == NULL);
	}
	ob_backup_argv_free(argv);
	CHECK_INT(ob_backup_split_argv("rclone 'copy", &argv, &argc, &err),
	    OB_EINVAL);
	CHECK_INT(ob_backup_split_argv("", &argv, &argc, &err), OB_EINVAL);
	ob_buf_release(&err);
}

int
main(void)
{
	test_names();
	test_rotation();
	test_recipient();
	test_sums();
	test_argv();
	return CHECK_DONE();
}
