/*
 * ombudctl retention run [--dry-run] - purges the cases closed longer
 * ago than their tenant's retention, warns handlers a week before, and
 * deletes spent sessions and mail (lib/retention.h).  The nightly timer
 * runs exactly `ombudctl retention run`.
 *
 * It connects as [retention] user (default ombud_retention), a role
 * that can do this and nothing else, not as the owner that [ombudctl]
 * names for migrations and accounts.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lib/audit.h"
#include "lib/retention.h"
#include "services/ombudctl/ctl.h"

static int
usage(void)
{
	fputs("usage: ombudctl retention run [--dry-run]\n\n"
	      "Purges every case closed longer ago than its tenant's "
	      "retention days:\n"
	      "its report, messages, notes, files, history, keys and "
	      "receipt.  A\n"
	      "statistics stub remains.  Handlers are warned 7 days "
	      "before.  Expired\n"
	      "sessions, sign-in challenges and sent or expired mail are "
	      "deleted.\n"
	      "--dry-run prints what would be done and changes nothing.\n",
	    stderr);
	return 2;
}

static void
print_case(const struct ob_retention_case *c, void *arg)
{
	const bool *dry = arg;

	printf("%s %s case %s, closed %s (due %s): %llu items, %llu files, "
	       "%llu file chunks, %llu events\n",
	    *dry ? "would purge" : "purged", c->tenant, c->number, c->closed_on,
	    c->purge_on, (unsigned long long)c->items,
	    (unsigned long long)c->files, (unsigned long long)c->chunks,
	    (unsigned long long)c->events);
}

static void
print_counts(const struct ob_retention_counts *n, bool dry)
{
	printf("retention: %s %llu cases (%llu items, %llu files, %llu file "
	       "chunks, %llu events)\n",
	    dry ? "would purge" : "purged", (unsigned long long)n->cases,
	    (unsigned long long)n->items, (unsigned long long)n->files,
	    (unsigned long long)n->chunks, (unsigned long long)n->events);
	printf("retention: %s %llu cases to be purged within 7 days (%llu "
	       "mails)\n",
	    dry ? "would warn about" : "warned about",
	    (unsigned long long)n->warned, (unsigned long long)n->mails);
	printf("retention: %s %llu expired sessions, %llu expired reporter "
	       "sessions, %llu expired sign-in challenges, %llu sent or "
	       "expired mails\n",
	    dry ? "would delete" : "deleted", (unsigned long long)n->sessions,
	    (unsigned long long)n->reporter_sessions,
	    (unsigned long long)n->otp, (unsigned long long)n->outbox);
	if (dry)
		puts("retention: dry run, nothing was changed");
}

int
ctl_retention(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const keys[] = { "user", NULL };
	struct ob_retention_counts counts;
	struct ob_buf link = OB_BUF_INIT(256);
	struct ob_db *db = NULL;
	const char *site;
	bool dry = false;
	int opt, rc = 1;

	if (argc < 2 || strcmp(argv[1], "run") != 0)
		return usage();
	argc--;
	argv++;
	optind = 0; /* glibc: start a new scan */
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			dry = true;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();

	if (ob_config_only_keys(c->cfg, "retention", keys, &c->err) != 0 ||
	    ob_config_str_opt(c->cfg, "retention", "user", "ombud_retention",
		&c->settings.db.user, &c->err) != 0 ||
	    ob_config_str_opt(c->cfg, "site", "url", "https://localhost:8443",
		&site, &c->err) != 0)
		return 1;
	if (ob_buf_printf(&link, "%s/cases/", site) != 0) {
		ob_buf_seterr(&c->err, "[site] url is too long");
		goto out;
	}
	if ((db = ctl_db(c, ob_retention_stmts, ob_retention_nstmts,
		 ob_audit_stmts, ob_audit_nstmts)) == NULL)
		goto out;
	if (dry)
		puts("retention: dry run");
	rc = ob_retention_run(
	    db, ob_buf_cstr(&link), dry, print_case, &dry, &counts, &c->err);
	if (rc != 0 && strcmp(ob_db_sqlstate(db), "42501") == 0)
		ob_buf_errf(&c->err,
		    "; the role %s lacks the rights of ombud_retention "
		    "([retention] user; sql/0014_retention.sql)",
		    c->settings.db.user);
	/* What was done is said also when the run stopped part way. */
	print_counts(&counts, dry);
	rc = rc == 0 ? 0 : 1;
out:
	ob_db_free(db);
	ob_buf_release(&link);
	return rc;
}
