/*
 * ombudctl tenant add|list - organisations, their keys, and their
 * recovery keys (lib/accounts.h).
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/accounts.h"
#include "lib/audit.h"
#include "lib/util.h"
#include "services/ombudctl/ctl.h"

static const struct ob_stmt tenant_stmts[] = {
	{ "tenant_list",
	    "SELECT t.slug, t.name, t.retention_days AS retention, "
	    "(SELECT count(*) FROM memberships m WHERE m.tenant_id = t.id) "
	    "AS handlers, "
	    "(SELECT count(*) FROM cases c WHERE c.tenant_id = t.id) AS cases, "
	    "t.created_on AS created "
	    "FROM tenants t ORDER BY t.slug",
	    0 },
};

static int
usage(void)
{
	fputs("usage: ombudctl tenant add SLUG --name NAME "
	      "--recovery-key-file PATH [--retention-days N]\n"
	      "       ombudctl tenant list\n\n"
	      "add  creates the tenant and its keys, and writes its recovery "
	      "key to PATH\n"
	      "     (a new file, mode 0600).  The recovery key is printed "
	      "nowhere else:\n"
	      "     store it offline.  Without it, and without the passwords "
	      "of the\n"
	      "     tenant's handlers, the tenant's cases cannot be read by "
	      "anyone.\n",
	    stderr);
	return 2;
}

struct keep {
	const char *path;
	bool written;
};

/* Writes the recovery key to a new 0600 file, inside the transaction. */
static int
keep_in_file(const char *recovery, void *arg, struct ob_buf *err)
{
	struct keep *k = arg;
	char line[OB_RECOVERY_STRLEN + 2];
	size_t n = strlen(recovery);
	int rc;

	memcpy(line, recovery, n);
	line[n] = '\n';
	rc = ob_secret_file_create(k->path, line, n + 1, err);
	sodium_memzero(line, sizeof(line));
	k->written = rc == 0;
	return rc;
}

static int
tenant_add(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "recovery-key-file", required_argument, NULL, 'r' },
		{ "retention-days", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *name = NULL, *path = NULL, *slug;
	uint64_t days = 60;
	struct keep keep = { NULL, false };
	struct ob_db *db = NULL;
	int opt, rc = 1;

	optind = 0; /* glibc: start a new scan */
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			name = optarg;
			break;
		case 'r':
			path = optarg;
			break;
		case 'd':
			if (ob_parse_u64(optarg, 1, 3650, &days) != 0) {
				ob_buf_seterr(&c->err,
				    "--retention-days: a "
				    "number from 1 to 3650");
				return 1;
			}
			break;
		default:
			return usage();
		}
	}
	if (optind + 1 != argc || name == NULL || path == NULL)
		return usage();
	slug = argv[optind];

	if ((db = ctl_db(c, ob_accounts_stmts, ob_accounts_nstmts,
		 ob_audit_stmts, ob_audit_nstmts)) == NULL)
		return 1;
	keep.path = path;
	if (ob_tenant_add(db, slug, name, (unsigned)days, keep_in_file, &keep,
		&c->err) != 0) {
		/* The commit failed after the key was written: it opens
		 * nothing, and must not be mistaken for a live key. */
		if (keep.written)
			unlink(path);
		goto out;
	}
	printf("tenant %s created; its recovery key is in %s (keep it "
	       "offline)\n",
	    slug, path);
	rc = 0;
out:
	ob_db_free(db);
	return rc;
}

static int
tenant_list(struct ctl *c, int argc, char **argv)
{
	(void)argv;
	return argc == 1 ? ctl_print_query(c, &tenant_stmts[0]) : usage();
}

int
ctl_tenant(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return tenant_add(c, argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return tenant_list(c, argc - 1, argv + 1);
	return usage();
}
