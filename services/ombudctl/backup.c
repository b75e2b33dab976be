/*
 * ombudctl backup create|prune|restore - encrypted database backups,
 * their rotation, and the restore drill (lib/backup.h; docs/ops.md,
 * "Backups").
 *
 * create runs pg_dump (custom format) and pipes it through this
 * process into age, which encrypts it to [backup] recipient straight
 * into a temporary file in DIR: no plaintext touches a disk.  The file
 * is fsync'd, its SHA-256 written next to it, both renamed into place
 * and the directory fsync'd.  restore checks that checksum, pipes age
 * -d through this process into pg_restore, and lets pg_restore see the
 * end of its input only once age has said the whole file was
 * authentic: a damaged or truncated backup is rolled back, never half
 * restored.
 *
 * pg_dump and pg_restore connect as the [ombudctl] user, the owner of
 * every object (sql/bootstrap.sql), with the same host, port and
 * database as ombudctl itself.  They get these as PG* variables in
 * their environment, never as arguments (which anyone can read in
 * ps); a password, where the server asks for one, comes from
 * PGPASSFILE or ~/.pgpass, as for ombudctl's own connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>

#include "lib/backup.h"
#include "lib/proc.h"
#include "lib/util.h"
#include "services/ombudctl/ctl.h"

extern char **environ;

static const struct ob_stmt restore_stmts[] = {
	/* What makes a database not empty: anything a restore would
	 * collide with or silently mix into.  And whether we own it: the
	 * grants below need that. */
	{ "backup_target",
	    "SELECT "
	    "(SELECT count(*) FROM pg_class c JOIN pg_namespace n "
	    " ON n.oid = c.relnamespace WHERE n.nspname NOT IN "
	    " ('pg_catalog', 'information_schema') "
	    " AND n.nspname NOT LIKE 'pg\\_%') + "
	    "(SELECT count(*) FROM pg_proc p JOIN pg_namespace n "
	    " ON n.oid = p.pronamespace WHERE n.nspname NOT IN "
	    " ('pg_catalog', 'information_schema') "
	    " AND n.nspname NOT LIKE 'pg\\_%') + "
	    "(SELECT count(*) FROM pg_type t JOIN pg_namespace n "
	    " ON n.oid = t.typnamespace WHERE t.typtype IN ('d', 'e', 'r') "
	    " AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
	    " AND n.nspname NOT LIKE 'pg\\_%') + "
	    "(SELECT count(*) FROM pg_namespace n WHERE n.nspname NOT IN "
	    " ('pg_catalog', 'information_schema', 'public') "
	    " AND n.nspname NOT LIKE 'pg\\_%') + "
	    "(SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql'), "
	    "(SELECT datdba = (SELECT oid FROM pg_roles "
	    "  WHERE rolname = current_user) "
	    " FROM pg_database WHERE datname = current_database()), "
	    "current_user",
	    0 },
};

/*
 * pg_dump without --create leaves out the database's own grants (who
 * may connect): the restored database's own list makes them again
 * (sql/0016_database_grants.sql).  Prepared on a new connection after
 * the restore, when the function exists.
 */
static const struct ob_stmt grant_stmts[] = {
	{ "backup_database_grants", "SELECT ombud_database_grants()", 0 },
};

struct backup_conf {
	const char *recipient;
	const char *upload_command;
	const char *pg_bindir;
};

static int
usage(void)
{
	fputs("usage: ombudctl backup create --dir DIR\n"
	      "       ombudctl backup prune --dir DIR [--dry-run] "
	      "[--now YYYYMMDDTHHMMSSZ]\n"
	      "       ombudctl backup restore FILE --identity KEYFILE\n\n"
	      "create   dumps the database, encrypts it to [backup] "
	      "recipient (age) as\n"
	      "         DIR/ombud-YYYYMMDDTHHMMSSZ.dump.age with a .sha256 "
	      "beside it, then\n"
	      "         runs [backup] upload_command, if set\n"
	      "prune    keeps each day's newest backup for 60 days and each "
	      "month's first\n"
	      "         for 24 months (UTC, by the names); deletes the "
	      "other backups\n"
	      "         and their checksums.  --dry-run only lists; --now "
	      "prunes as of\n"
	      "         another time\n"
	      "restore  checks FILE against FILE.sha256, decrypts it with "
	      "the age\n"
	      "         identity in KEYFILE into the configured database, "
	      "which must\n"
	      "         exist and be empty, and verifies the audit log\n",
	    stderr);
	return 2;
}

static int
load_conf(struct ctl *c, bool need_recipient, struct backup_conf *bc)
{
	static const char *const keys[] = { "recipient", "upload_command",
		"pg_bindir", NULL };

	if (ob_config_only_keys(c->cfg, "backup", keys, &c->err) != 0 ||
	    ob_config_str_opt(c->cfg, "backup", "recipient", "", &bc->recipient,
		&c->err) != 0 ||
	    ob_config_str_opt(c->cfg, "backup", "upload_command", "",
		&bc->upload_command, &c->err) != 0 ||
	    ob_config_str_opt(c->cfg, "backup", "pg_bindir", "", &bc->pg_bindir,
		&c->err) != 0)
		return 1;
	if (need_recipient && bc->recipient[0] == '\0') {
		ob_buf_seterr(&c->err,
		    "config %s: [backup] recipient: missing (required): the "
		    "age public key (age1...) backups are encrypted to",
		    ob_config_file(c->cfg));
		return 1;
	}
	if (need_recipient && !ob_backup_recipient_ok(bc->recipient)) {
		ob_buf_seterr(&c->err,
		    "config %s: [backup] recipient: not an age public key "
		    "(age1 and 58 letters and digits, as age-keygen prints "
		    "it)",
		    ob_config_file(c->cfg));
		return 1;
	}
	return 0;
}

/* A PostgreSQL program: in [backup] pg_bindir, or found in PATH. */
static void
pg_tool(const struct backup_conf *bc, const char *name, char *out, size_t sz)
{
	if (bc->pg_bindir[0] != '\0')
		snprintf(out, sz, "%s/%s", bc->pg_bindir, name);
	else
		snprintf(out, sz, "%s", name);
}

static char *
env_entry(const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 2;
	char *s = ob_xmalloc(n);

	snprintf(s, n, "%s=%s", name, value);
	return s;
}

static bool
pg_var_kept(const char *entry)
{
	return ob_startswith(entry, "PGPASSFILE=") ||
	    ob_startswith(entry, "PGSSL");
}

/*
 * The environment of pg_dump and pg_restore: ours, without PG*
 * variables that could point them elsewhere (PGSERVICE, PGOPTIONS,
 * ...), with the connection of ctl_db.  Free with free_env.
 */
static char **
pg_env(struct ctl *c)
{
	const struct ob_db_config *db = &c->settings.db;
	char timeout[16], **env;
	size_t n = 0, cap = 8;

	for (char **e = environ; *e != NULL; e++)
		cap++;
	env = ob_xcalloc(cap, sizeof(*env));
	for (char **e = environ; *e != NULL; e++)
		if (!ob_startswith(*e, "PG") || pg_var_kept(*e))
			env[n++] = ob_xstrdup(*e);
	snprintf(timeout, sizeof(timeout), "%u", db->connect_timeout_s);
	env[n++] = env_entry("PGHOST", db->host);
	env[n++] = env_entry("PGPORT", db->port);
	env[n++] = env_entry("PGDATABASE", db->dbname);
	env[n++] = env_entry("PGUSER", db->user);
	env[n++] = env_entry("PGAPPNAME", "ombudctl-backup");
	env[n++] = env_entry("PGCONNECT_TIMEOUT", timeout);
	env[n] = NULL;
	return env;
}

static void
free_env(char **env)
{
	if (env == NULL)
		return;
	for (char **e = env; *e != NULL; e++)
		free(*e);
	free(env);
}

static void
human(uint64_t n, char *out, size_t sz)
{
	if (n >= (uint64_t)1 << 30)
		snprintf(out, sz, "%.1f GiB", (double)n / (1 << 30));
	else if (n >= (uint64_t)1 << 20)
		snprintf(out, sz, "%.1f MiB", (double)n / (1 << 20));
	else
		snprintf(out, sz, "%llu bytes", (unsigned long long)n);
}

static int
write_all(int fd, const unsigned char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return OB_EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Copies in_fd to out_fd until the end of in_fd, showing the bytes so
 * far on stderr once a second when it is a terminal.  OB_EIO when a
 * read or write fails (what says which); *total is what was copied.
 * The buffer, which holds plaintext, is wiped.
 */
static int
relay(int in_fd, int out_fd, const char *label, uint64_t *total,
    const char **what)
{
	unsigned char buf[65536];
	bool tty = isatty(STDERR_FILENO), showed = false;
	uint64_t shown = ob_now_us();
	char size[32];
	ssize_t n;
	int rc = 0;

	*total = 0;
	for (;;) {
		n = read(in_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			*what = "read";
			rc = OB_EIO;
			break;
		}
		if (n == 0)
			break;
		if (write_all(out_fd, buf, (size_t)n) != 0) {
			*what = "write";
			rc = OB_EIO;
			break;
		}
		*total += (uint64_t)n;
		if (tty && ob_now_us() - shown >= 1000000) {
			shown = ob_now_us();
			human(*total, size, sizeof(size));
			fprintf(stderr, "\r%s: %s so far ", label, size);
			showed = true;
		}
	}
	if (showed)
		fputc('\n', stderr);
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void
stop(pid_t *pid, const char *what)
{
	struct ob_buf ignore = OB_BUF_INIT(256);

	if (*pid <= 0)
		return;
	kill(*pid, SIGTERM);
	(void)!ob_proc_wait(*pid, what, &ignore);
	ob_buf_release(&ignore);
	*pid = -1;
}

/* Writes DIR/NAME.sha256 in sha256sum(1) format, atomically. */
static int
write_sum(
    struct ctl *c, const char *dir, int dfd, const char *name, const char *hex)
{
	char tmp[4096], final[OB_BACKUP_NAME_SIZE + 8], line[128];
	int fd, n, rc = 1;

	snprintf(final, sizeof(final), "%s" OB_BACKUP_SUM_SUFFIX, name);
	n = snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, final);
	if (n < 0 || (size_t)n >= sizeof(tmp) ||
	    (fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		ob_buf_seterr(&c->err, "cannot create a file in %s: %s", dir,
		    strerror(errno));
		return 1;
	}
	n = snprintf(line, sizeof(line), "%s  %s\n", hex, name);
	if (write_all(fd, (const unsigned char *)line, (size_t)n) != 0 ||
	    fsync(fd) != 0) {
		ob_buf_seterr(
		    &c->err, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (renameat2(AT_FDCWD, tmp, dfd, final, RENAME_NOREPLACE) != 0) {
		ob_buf_seterr(&c->err, "cannot rename %s to %s/%s: %s", tmp,
		    dir, final, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	close(fd);
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* Runs the upload hook with path in place of "{}", or appended. */
static int
upload(struct ctl *c, const char *command, char *path)
{
	char **words = NULL, **argv = NULL;
	size_t nwords = 0, n = 0;
	bool placed = false;
	pid_t pid;
	int rc = 1;

	if (ob_backup_split_argv(command, &words, &nwords, &c->err) != 0) {
		ob_buf_errf(&c->err, " ([backup] upload_command)");
		return 1;
	}
	argv = ob_xcalloc(nwords + 2, sizeof(*argv));
	for (size_t i = 0; i < nwords; i++) {
		if (strcmp(words[i], "{}") == 0) {
			argv[n++] = path;
			placed = true;
		} else {
			argv[n++] = words[i];
		}
	}
	if (!placed)
		argv[n++] = path;
	argv[n] = NULL;
	fflush(stdout);
	if (ob_proc_spawn(argv, NULL, -1, -1, &pid, &c->err) != 0 ||
	    ob_proc_wait(pid, argv[0], &c->err) != 0) {
		ob_buf_errf(&c->err,
		    ": the upload hook failed; the backup is kept in %s", path);
		goto out;
	}
	printf("backup: upload hook %s done\n", argv[0]);
	rc = 0;
out:
	free(argv);
	ob_backup_argv_free(words);
	return rc;
}

static int
backup_create(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct backup_conf bc;
	struct ob_buf dump_err = OB_BUF_INIT(512), age_err = OB_BUF_INIT(512);
	char name[OB_BACKUP_NAME_SIZE], tmp[4096], path[4096], hex[65];
	char pg_dump[4096], sz_enc[32], sz_dump[32], recipient[64];
	char *dump_argv[] = { pg_dump, "--format=custom", "--no-password",
		NULL };
	char *age_argv[] = { "age", "--encrypt", "--recipient", NULL, NULL };
	char **env = NULL;
	const char *dir = NULL, *what = "";
	int dfd = -1, tfd = -1, dump_p[2] = { -1, -1 }, age_p[2] = { -1, -1 };
	pid_t dump_pid = -1, age_pid = -1;
	uint64_t dumped = 0;
	bool tmp_made = false;
	struct stat st;
	int opt, n, rc = 1, relay_rc, relay_errno, dump_rc, age_rc;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt != 'd')
			return usage();
		dir = optarg;
	}
	if (optind != argc || dir == NULL)
		return usage();
	if (load_conf(c, true, &bc) != 0)
		return 1;
	/* Checked: 62 bytes. */
	snprintf(recipient, sizeof(recipient), "%s", bc.recipient);
	age_argv[3] = recipient;
	pg_tool(&bc, "pg_dump", pg_dump, sizeof(pg_dump));

	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		ob_buf_seterr(
		    &c->err, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		ob_buf_seterr(
		    &c->err, "cannot open %s: %s", dir, strerror(errno));
		goto out;
	}
	if (ob_backup_name(time(NULL), name) != 0) {
		ob_buf_seterr(&c->err, "the clock is wrong");
		goto out;
	}
	n = snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= sizeof(path)) {
		ob_buf_seterr(&c->err, "%s: path too long", dir);
		goto out;
	}
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		ob_buf_seterr(&c->err, "%s exists already", path);
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, name);
	if ((tfd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		ob_buf_seterr(&c->err, "cannot create a file in %s: %s", dir,
		    strerror(errno));
		goto out;
	}
	tmp_made = true;
	if (pipe2(dump_p, O_CLOEXEC) != 0 || pipe2(age_p, O_CLOEXEC) != 0) {
		ob_buf_seterr(&c->err, "pipe: %s", strerror(errno));
		goto out;
	}
	env = pg_env(c);
	if (ob_proc_spawn(dump_argv, env, -1, dump_p[1], &dump_pid, &c->err) !=
		0 ||
	    ob_proc_spawn(age_argv, NULL, age_p[0], tfd, &age_pid, &c->err) !=
		0)
		goto out;
	close_fd(&dump_p[1]);
	close_fd(&age_p[0]);

	relay_rc = relay(dump_p[0], age_p[1], "backup", &dumped, &what);
	relay_errno = errno;
	close_fd(&dump_p[0]);
	close_fd(&age_p[1]);
	/* When age fails, pg_dump dies of SIGPIPE: age's is the message. */
	dump_rc = ob_proc_wait(dump_pid, "pg_dump", &dump_err);
	dump_pid = -1;
	age_rc = ob_proc_wait(age_pid, "age", &age_err);
	age_pid = -1;
	if (age_rc != 0 || dump_rc != 0) {
		ob_buf_seterr(&c->err,
		    "%s (its message is above); no backup was made",
		    ob_buf_cstr(age_rc != 0 ? &age_err : &dump_err));
		goto out;
	}
	if (relay_rc != 0) {
		ob_buf_seterr(&c->err,
		    "cannot %s the dump: %s; no backup was made", what,
		    strerror(relay_errno));
		goto out;
	}
	if (dumped == 0) {
		ob_buf_seterr(
		    &c->err, "pg_dump wrote nothing; no backup was made");
		goto out;
	}
	if (fsync(tfd) != 0 || fstat(tfd, &st) != 0) {
		ob_buf_seterr(
		    &c->err, "cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (ob_backup_sha256_fd(tfd, tmp, hex, &c->err) != 0 ||
	    write_sum(c, dir, dfd, name, hex) != 0)
		goto out;
	if (renameat2(AT_FDCWD, tmp, dfd, name, RENAME_NOREPLACE) != 0) {
		ob_buf_seterr(&c->err, "cannot rename %s to %s: %s", tmp, path,
		    strerror(errno));
		goto out;
	}
	tmp_made = false;
	if (fsync(dfd) != 0) {
		ob_buf_seterr(
		    &c->err, "cannot sync %s: %s", dir, strerror(errno));
		goto out;
	}
	human((uint64_t)st.st_size, sz_enc, sizeof(sz_enc));
	human(dumped, sz_dump, sizeof(sz_dump));
	printf("backup: %s (%s; dump %s)\nsha256: %s\n", path, sz_enc, sz_dump,
	    hex);
	rc = 0;
	if (bc.upload_command[0] != '\0')
		rc = upload(c, bc.upload_command, path);
out:
	stop(&dump_pid, "pg_dump");
	stop(&age_pid, "age");
	close_fd(&dump_p[0]);
	close_fd(&dump_p[1]);
	close_fd(&age_p[0]);
	close_fd(&age_p[1]);
	close_fd(&tfd);
	if (tmp_made)
		unlink(tmp);
	close_fd(&dfd);
	free_env(env);
	ob_buf_release(&dump_err);
	ob_buf_release(&age_err);
	return rc;
}

struct found {
	struct ob_backup_entry *e;
	size_t n, cap;
};

static void
found_add(struct found *f, const char *name, time_t at)
{
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 64;
		f->e = ob_xrealloc(f->e, f->cap * sizeof(*f->e));
	}
	f->e[f->n++] = (struct ob_backup_entry){ at, ob_xstrdup(name), 0 };
}

static int
backup_prune(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "now", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct found f = { NULL, 0, 0 };
	const char *dir = NULL;
	bool dry = false;
	time_t now = time(NULL), at;
	size_t kept = 0, deleted = 0;
	DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	char sum[OB_BACKUP_NAME_SIZE + 8];
	int opt, dfd, rc = 1;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			dir = optarg;
			break;
		case 'n':
			dry = true;
			break;
		case 't':
			if (ob_backup_parse_time(optarg, &now) != 0) {
				ob_buf_seterr(&c->err,
				    "--now: a UTC time as YYYYMMDDTHHMMSSZ, "
				    "not %s",
				    optarg);
				return 1;
			}
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || dir == NULL)
		return usage();
	if ((d = opendir(dir)) == NULL) {
		ob_buf_seterr(
		    &c->err, "cannot open %s: %s", dir, strerror(errno));
		return 1;
	}
	dfd = dirfd(d);
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (ob_backup_parse_name(de->d_name, &at) != 0)
			continue;
		/* Only files: a directory or link of that name is not ours. */
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode)) {
			fprintf(stderr,
			    "backup: %s/%s is not a file; left alone\n", dir,
			    de->d_name);
			continue;
		}
		found_add(&f, de->d_name, at);
	}
	ob_backup_prune_plan(f.e, f.n, now);
	if (dry)
		printf("prune: dry run, nothing is deleted\n");
	rc = 0;
	for (size_t i = 0; i < f.n; i++) {
		if (f.e[i].keep != 0) {
			printf("keep    %s  %s\n", f.e[i].name,
			    ob_backup_keep_reason(f.e[i].keep));
			kept++;
			continue;
		}
		printf("delete  %s\n", f.e[i].name);
		deleted++;
		if (dry)
			continue;
		snprintf(
		    sum, sizeof(sum), "%s" OB_BACKUP_SUM_SUFFIX, f.e[i].name);
		if ((unlinkat(dfd, sum, 0) != 0 && errno != ENOENT) ||
		    unlinkat(dfd, f.e[i].name, 0) != 0) {
			ob_buf_seterr(&c->err, "cannot delete %s/%s: %s", dir,
			    f.e[i].name, strerror(errno));
			fprintf(stderr, "ombudctl: %s\n", ob_buf_cstr(&c->err));
			rc = 1;
		}
	}
	if (!dry && deleted > 0 && fsync(dfd) != 0) {
		ob_buf_seterr(
		    &c->err, "cannot sync %s: %s", dir, strerror(errno));
		rc = 1;
	}
	printf("prune: %zu kept, %zu %s\n", kept, deleted,
	    dry ? "to delete" : "deleted");
	if (rc != 0)
		ob_buf_seterr(&c->err, "some backups could not be deleted");
	for (size_t i = 0; i < f.n; i++)
		free(f.e[i].name);
	free(f.e);
	closedir(d);
	return rc;
}

/* Refuses a database that holds anything, or that we do not own. */
static int
check_target(struct ctl *c, struct ob_db *db)
{
	PGresult *res = NULL;
	const char *dbname = c->settings.db.dbname;
	int rc = 1;

	if (ob_db_exec(db, "backup_target", 0, NULL, &res) != 0) {
		ob_buf_seterr(
		    &c->err, "cannot inspect the database %s", dbname);
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 0), "0") != 0) {
		ob_buf_seterr(&c->err,
		    "the database %s is not empty (%s objects); nothing was "
		    "restored.  Restore into a new, empty database: "
		    "createdb -O %s -E UTF8 -T template0 NAME, and name it "
		    "in [database] name",
		    dbname, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 2));
		goto out;
	}
	if (strcmp(PQgetvalue(res, 0, 1), "t") != 0) {
		ob_buf_seterr(&c->err,
		    "the database %s is not owned by %s ([ombudctl] user); "
		    "nothing was restored.  Create it with createdb -O %s",
		    dbname, PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 2));
		goto out;
	}
	rc = 0;
out:
	PQclear(res);
	return rc;
}

static int
verify_sum(struct ctl *c, const char *file, int fd)
{
	char sum_path[4096], want[65], got[65];
	int n, rc;

	n = snprintf(
	    sum_path, sizeof(sum_path), "%s" OB_BACKUP_SUM_SUFFIX, file);
	if (n < 0 || (size_t)n >= sizeof(sum_path)) {
		ob_buf_seterr(&c->err, "%s: path too long", file);
		return 1;
	}
	rc = ob_backup_read_sum(sum_path, want, &c->err);
	if (rc == OB_ENOENT) {
		ob_buf_seterr(&c->err,
		    "%s is missing: restore checks the backup against the "
		    "checksum made with it; copy it next to the backup",
		    sum_path);
		return 1;
	}
	if (rc != 0 || ob_backup_sha256_fd(fd, file, got, &c->err) != 0)
		return 1;
	if (sodium_memcmp(want, got, 64) != 0) {
		ob_buf_seterr(&c->err,
		    "%s does not match its checksum in %s: the file is "
		    "damaged or not the one the checksum was made for; "
		    "nothing was restored",
		    file, sum_path);
		return 1;
	}
	printf("restore: %s matches its checksum\n", file);
	return 0;
}

static int
backup_restore(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "identity", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct backup_conf bc;
	struct ob_buf age_err = OB_BUF_INIT(512), res_err = OB_BUF_INIT(512);
	char pg_restore[4096];
	char *age_argv[] = { "age", "--decrypt", "--identity", NULL, NULL };
	char *restore_argv[] = { pg_restore, "--single-transaction",
		"--exit-on-error", "--no-owner", "--no-password", "--dbname",
		NULL, NULL };
	char *verify_argv[] = { "audit", "verify", NULL };
	char **env = NULL;
	const char *file = NULL, *what = "";
	char *identity = NULL, dbname[256];
	struct ob_db *db = NULL;
	PGresult *res = NULL;
	int fd = -1, p[2] = { -1, -1 }, q[2] = { -1, -1 }, opt, rc = 1;
	int relay_rc, relay_errno, age_rc;
	pid_t age_pid = -1, res_pid = -1;
	uint64_t total = 0;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt != 'i')
			return usage();
		identity = optarg;
	}
	if (optind + 1 != argc || identity == NULL)
		return usage();
	file = argv[optind];
	if (load_conf(c, false, &bc) != 0)
		return 1;
	pg_tool(&bc, "pg_restore", pg_restore, sizeof(pg_restore));
	age_argv[3] = identity;
	if (ob_strlcpy(dbname, c->settings.db.dbname, sizeof(dbname)) != 0) {
		ob_buf_seterr(&c->err, "[database] name: too long");
		return 1;
	}
	restore_argv[6] = dbname;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		ob_buf_seterr(
		    &c->err, "cannot open %s: %s", file, strerror(errno));
		goto out;
	}
	if (verify_sum(c, file, fd) != 0)
		goto out;
	if (access(identity, R_OK) != 0) {
		ob_buf_seterr(&c->err, "cannot read the identity %s: %s",
		    identity, strerror(errno));
		goto out;
	}
	if ((db = ctl_db(c, restore_stmts, OB_NELEM(restore_stmts), NULL, 0)) ==
	    NULL) {
		ob_buf_errf(&c->err,
		    "; create an empty database first (createdb -O OWNER "
		    "-E UTF8 -T template0 NAME)");
		goto out;
	}
	if (check_target(c, db) != 0)
		goto out;
	if (lseek(fd, 0, SEEK_SET) != 0 || pipe2(p, O_CLOEXEC) != 0 ||
	    pipe2(q, O_CLOEXEC) != 0) {
		ob_buf_seterr(&c->err, "%s: %s", file, strerror(errno));
		goto out;
	}
	env = pg_env(c);
	if (ob_proc_spawn(age_argv, NULL, fd, p[1], &age_pid, &c->err) != 0 ||
	    ob_proc_spawn(restore_argv, env, q[0], -1, &res_pid, &c->err) != 0)
		goto out;
	close_fd(&p[1]);
	close_fd(&q[0]);
	relay_rc = relay(p[0], q[1], "restore", &total, &what);
	relay_errno = errno;
	close_fd(&p[0]);
	/* pg_restore sees the end of its input only when age has checked
	 * the whole file: otherwise it is stopped, and its transaction
	 * with it. */
	age_rc = ob_proc_wait(age_pid, "age", &age_err);
	age_pid = -1;
	if (relay_rc != 0 && strcmp(what, "write") == 0) {
		/* pg_restore stopped reading: it failed, and says why. */
		close_fd(&q[1]);
		if (ob_proc_wait(res_pid, "pg_restore", &res_err) == 0)
			ob_buf_seterr(&res_err, "pg_restore stopped reading");
		res_pid = -1;
		ob_buf_seterr(&c->err,
		    "%s (its message is above); its transaction was rolled "
		    "back, the database is still empty",
		    ob_buf_cstr(&res_err));
		goto out;
	}
	if (relay_rc != 0) {
		ob_buf_seterr(&c->err,
		    "cannot read what age decrypted: %s; nothing was "
		    "restored, the database is still empty",
		    strerror(relay_errno));
		goto out;
	}
	if (age_rc != 0) {
		ob_buf_seterr(&c->err,
		    "cannot decrypt %s with the identity %s (%s): not a "
		    "key the backup was made for, or the file was altered; "
		    "nothing was restored, the database is still empty",
		    file, identity, ob_buf_cstr(&age_err));
		goto out;
	}
	close_fd(&q[1]);
	if (ob_proc_wait(res_pid, "pg_restore", &res_err) != 0) {
		res_pid = -1;
		ob_buf_seterr(&c->err,
		    "%s (its message is above); its transaction was rolled "
		    "back, the database is still empty",
		    ob_buf_cstr(&res_err));
		goto out;
	}
	res_pid = -1;
	ob_db_free(db);
	if ((db = ctl_db(c, grant_stmts, OB_NELEM(grant_stmts), NULL, 0)) ==
		NULL ||
	    ob_db_exec(db, "backup_database_grants", 0, NULL, &res) != 0) {
		ob_buf_seterr(&c->err,
		    "restored, but cannot grant the service roles CONNECT on "
		    "the database %s",
		    c->settings.db.dbname);
		goto out;
	}
	printf("restore: %s restored into the database %s\n", file,
	    c->settings.db.dbname);
	ob_db_free(db);
	db = NULL;
	fflush(stdout);
	rc = ctl_audit(c, 2, verify_argv);
out:
	/* Stopped before its input is closed: pg_restore must not take a
	 * cut-off stream for the end of the archive. */
	stop(&res_pid, "pg_restore");
	stop(&age_pid, "age");
	close_fd(&p[0]);
	close_fd(&p[1]);
	close_fd(&q[0]);
	close_fd(&q[1]);
	close_fd(&fd);
	PQclear(res);
	ob_db_free(db);
	free_env(env);
	ob_buf_release(&age_err);
	ob_buf_release(&res_err);
	return rc;
}

int
ctl_backup(struct ctl *c, int argc, char **argv)
{
	/* A reader that goes away (age, pg_restore) is an error to
	 * report, not a reason to die without cleaning up. */
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && strcmp(argv[1], "create") == 0)
		return backup_create(c, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "prune") == 0)
		return backup_prune(c, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "restore") == 0)
		return backup_restore(c, argc - 1, argv + 1);
	return usage();
}
