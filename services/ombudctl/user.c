/*
 * ombudctl user add|grant|disable|list - handler accounts
 * (lib/accounts.h).
 */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/accounts.h"
#include "lib/audit.h"
#include "lib/password.h"
#include "lib/util.h"
#include "services/ombudctl/ctl.h"

#define MAX_TENANTS 64

static const struct ob_stmt user_stmts[] = {
	{ "user_list",
	    "SELECT u.email, u.role, coalesce(u.phone, '-') AS phone, "
	    "u.mfa, CASE WHEN u.disabled THEN 'disabled' "
	    "WHEN u.locked_until > now() THEN 'locked' ELSE 'active' END "
	    "AS state, coalesce(string_agg(t.slug, ',' ORDER BY t.slug), '-') "
	    "AS tenants "
	    "FROM users u LEFT JOIN memberships m ON m.user_id = u.id "
	    "LEFT JOIN tenants t ON t.id = m.tenant_id "
	    "GROUP BY u.id ORDER BY u.email",
	    0 },
};

static int
usage(void)
{
	fputs("usage: ombudctl user add --email E --role "
	      "admin|lawyer|tenant-user [--phone +45...]\n"
	      "                         [--tenant SLUG]... "
	      "[--recovery-key-file PATH] --password-stdin\n"
	      "       ombudctl user grant --email E --tenant SLUG "
	      "--recovery-key-file PATH\n"
	      "       ombudctl user disable|enable|unlock|reset-mfa --email E\n"
	      "       ombudctl user reset-password --email E "
	      "[--recovery-key-file PATH]... --password-stdin\n"
	      "       ombudctl user list\n\n"
	      "add      creates a handler; the password (one line on stdin) "
	      "must meet the\n"
	      "         policy.  Each --tenant is granted at once, which "
	      "needs that tenant's\n"
	      "         recovery key (one file holding one key: name tenants "
	      "of one key).\n"
	      "grant    lets the user read the tenant's cases: the recovery "
	      "key opens the\n"
	      "         tenant's key, which is sealed to the user.\n"
	      "disable  stops the user signing in and ends their sessions; "
	      "enable undoes it.\n"
	      "unlock   clears the lock set after ten failed sign-ins.\n"
	      "reset-mfa  forgets the authenticator app: the next code "
	      "comes by SMS.\n"
	      "reset-password  for a lost password: a new password (stdin) "
	      "and a new key;\n"
	      "         each former tenant that one of the recovery keys "
	      "opens is granted\n"
	      "         again, the others must be granted again later.\n",
	    stderr);
	return 2;
}

/* Loads a recovery key from a 0600 file. */
static int
load_recovery(struct ctl *c, const char *path, struct ob_keypair **out)
{
	char buf[256];
	size_t len = 0;
	int rc;

	if (ob_secret_file_read(path, buf, sizeof(buf), &len, &c->err) != 0)
		return OB_EIO;
	rc = ob_recovery_import(buf, len, out);
	sodium_memzero(buf, sizeof(buf));
	if (rc != 0)
		ob_buf_seterr(&c->err,
		    "%s does not hold a recovery key (or it "
		    "was mistyped)",
		    path);
	return rc;
}

static int
load_dict(struct ctl *c, struct ob_pwdict **dict)
{
	const char *path = NULL;

	if (ob_config_str_opt(c->cfg, "paths", "password_dictionary",
		OB_PW_DICT_DEFAULT, &path, &c->err) != 0)
		return OB_ECONFIG;
	return ob_pwdict_load(path, dict, &c->err);
}

static int
read_password(struct ctl *c, char *buf, size_t size, size_t *len)
{
	if (ctl_read_secret_line(buf, size, len) == 0)
		return 0;
	ob_buf_seterr(&c->err,
	    "--password-stdin: give the password as one line on stdin (at "
	    "most %d bytes)",
	    OB_PW_MAX_BYTES);
	return OB_EINVAL;
}

static int
user_add(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "email", required_argument, NULL, 'e' },
		{ "phone", required_argument, NULL, 'p' },
		{ "role", required_argument, NULL, 'r' },
		{ "tenant", required_argument, NULL, 't' },
		{ "recovery-key-file", required_argument, NULL, 'k' },
		{ "password-stdin", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct ob_user_new u = { NULL, NULL, NULL, NULL, 0, NULL };
	struct ob_pwparams params;
	const char *tenants[MAX_TENANTS], *keyfile = NULL;
	char password[OB_PW_MAX_BYTES + 2];
	struct ob_keypair *rk = NULL;
	struct ob_pwdict *dict = NULL;
	struct ob_db *db = NULL;
	size_t ntenants = 0, pwlen = 0;
	bool from_stdin = false;
	long long id = 0;
	int opt, rc = 1;

	optind = 0; /* glibc: start a new scan */
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			u.email = optarg;
			break;
		case 'p':
			u.phone = optarg;
			break;
		case 'r':
			u.role = optarg;
			break;
		case 't':
			if (ntenants == MAX_TENANTS)
				return usage();
			tenants[ntenants++] = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 's':
			from_stdin = true;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || u.email == NULL || u.role == NULL ||
	    !from_stdin || (ntenants > 0 && keyfile == NULL))
		return usage();
	if (read_password(c, password, sizeof(password), &pwlen) != 0)
		goto out;
	u.password = password;
	u.password_len = pwlen;
	if (load_dict(c, &dict) != 0 ||
	    ob_pwparams_load(c->cfg, &params, &c->err) != 0)
		goto out;
	u.params = &params;
	if (keyfile != NULL && load_recovery(c, keyfile, &rk) != 0)
		goto out;
	if ((db = ctl_db(c, ob_accounts_stmts, ob_accounts_nstmts,
		 ob_audit_stmts, ob_audit_nstmts)) == NULL)
		goto out;
	if (ob_user_add(db, &u, dict, &id, &c->err) != 0)
		goto out;
	printf("user %s added (%s)\n", u.email, u.role);
	for (size_t i = 0; i < ntenants; i++) {
		if (ob_user_grant(db, u.email, tenants[i], rk, &c->err) != 0)
			goto out;
		printf("user %s may read tenant %s\n", u.email, tenants[i]);
	}
	rc = 0;
out:
	sodium_memzero(password, sizeof(password));
	ob_keypair_free(rk);
	ob_pwdict_free(dict);
	ob_db_free(db);
	return rc;
}

static int
user_grant(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "email", required_argument, NULL, 'e' },
		{ "tenant", required_argument, NULL, 't' },
		{ "recovery-key-file", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	const char *email = NULL, *slug = NULL, *keyfile = NULL;
	struct ob_keypair *rk = NULL;
	struct ob_db *db = NULL;
	int opt, rc = 1;

	optind = 0; /* glibc: start a new scan */
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			email = optarg;
			break;
		case 't':
			slug = optarg;
			break;
		case 'k':
			keyfile = optarg;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || !email || !slug || !keyfile)
		return usage();
	if (load_recovery(c, keyfile, &rk) != 0)
		goto out;
	if ((db = ctl_db(c, ob_accounts_stmts, ob_accounts_nstmts,
		 ob_audit_stmts, ob_audit_nstmts)) == NULL)
		goto out;
	if (ob_user_grant(db, email, slug, rk, &c->err) != 0)
		goto out;
	printf("user %s may read tenant %s\n", email, slug);
	rc = 0;
out:
	ob_keypair_free(rk);
	ob_db_free(db);
	return rc;
}

/* disable, enable, unlock, reset-mfa: --email E and nothing else. */
static int
user_change(struct ctl *c, int argc, char **argv, enum ob_user_change what,
    const char *done)
{
	static const struct option opts[] = {
		{ "email", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	const char *email = NULL;
	struct ob_db *db;
	int opt, rc = 1;

	optind = 0; /* glibc: start a new scan */
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'e')
			return usage();
		email = optarg;
	}
	if (optind != argc || email == NULL)
		return usage();
	if ((db = ctl_db(c, ob_accounts_stmts, ob_accounts_nstmts,
		 ob_audit_stmts, ob_audit_nstmts)) == NULL)
		return 1;
	if (ob_user_change(db, email, what, &c->err) == 0) {
		printf("user %s: %s\n", email, done);
		rc = 0;
	}
	ob_db_free(db);
	return rc;
}

static int
user_disable(struct ctl *c, int argc, char **argv)
{
	return user_change(c, argc, argv, OB_USER_DISABLE,
	    "disabled; their sessions are ended");
}

static int
user_enable(struct ctl *c, int argc, char **argv)
{
	return user_change(
	    c, argc, argv, OB_USER_ENABLE, "enabled and unlocked");
}

static int
user_unlock(struct ctl *c, int argc, char **argv)
{
	return user_change(c, argc, argv, OB_USER_UNLOCK, "unlocked");
}

static int
user_reset_mfa(struct ctl *c, int argc, char **argv)
{
	return user_change(c, argc, argv, OB_USER_RESET_MFA,
	    "the authenticator app is forgotten; the next sign-in sends a "
	    "code by SMS; their sessions are ended");
}

static int
user_reset_password(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "email", required_argument, NULL, 'e' },
		{ "recovery-key-file", required_argument, NULL, 'k' },
		{ "password-stdin", no_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct ob_user_reset u = { NULL, NULL, 0, NULL, NULL, 0 };
	struct ob_keypair *keys[MAX_TENANTS];
	const char *files[MAX_TENANTS];
	char password[OB_PW_MAX_BYTES + 2];
	struct ob_buf report = OB_BUF_INIT(64 * 1024);
	struct ob_pwparams params;
	struct ob_pwdict *dict = NULL;
	struct ob_db *db = NULL;
	size_t nfiles = 0, nkeys = 0, pwlen = 0;
	bool from_stdin = false;
	int opt, rc = 1;

	optind = 0; /* glibc: start a new scan */
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'e':
			u.email = optarg;
			break;
		case 'k':
			if (nfiles == MAX_TENANTS)
				return usage();
			files[nfiles++] = optarg;
			break;
		case 's':
			from_stdin = true;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || u.email == NULL || !from_stdin)
		return usage();
	if (read_password(c, password, sizeof(password), &pwlen) != 0)
		goto out;
	for (; nkeys < nfiles; nkeys++)
		if (load_recovery(c, files[nkeys], &keys[nkeys]) != 0)
			goto out;
	u.password = password;
	u.password_len = pwlen;
	u.recovery = keys;
	u.nrecovery = nkeys;
	if (load_dict(c, &dict) != 0 ||
	    ob_pwparams_load(c->cfg, &params, &c->err) != 0)
		goto out;
	u.params = &params;
	if ((db = ctl_db(c, ob_accounts_stmts, ob_accounts_nstmts,
		 ob_audit_stmts, ob_audit_nstmts)) == NULL)
		goto out;
	if (ob_user_reset_password(db, &u, dict, &report, &c->err) != 0)
		goto out;
	printf("user %s has a new password and a new key; the authenticator "
	       "app is forgotten; their sessions are ended\n%s",
	    u.email, ob_buf_cstr(&report));
	rc = 0;
out:
	sodium_memzero(password, sizeof(password));
	while (nkeys > 0)
		ob_keypair_free(keys[--nkeys]);
	ob_buf_release(&report);
	ob_pwdict_free(dict);
	ob_db_free(db);
	return rc;
}

static int
user_list(struct ctl *c, int argc, char **argv)
{
	(void)argv;
	return argc == 1 ? ctl_print_query(c, &user_stmts[0]) : usage();
}

int
ctl_user(struct ctl *c, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(struct ctl *c, int argc, char **argv);
	} subs[] = {
		{ "add", user_add },
		{ "grant", user_grant },
		{ "disable", user_disable },
		{ "enable", user_enable },
		{ "unlock", user_unlock },
		{ "reset-mfa", user_reset_mfa },
		{ "reset-password", user_reset_password },
		{ "list", user_list },
	};

	for (size_t i = 0; argc >= 2 && i < OB_NELEM(subs); i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].run(c, argc - 1, argv + 1);
	return usage();
}
