/*
 * ombudctl - the operator's tool.  Each command is a function in the
 * table below, in a file of its own (ctl.h).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/config.h"
#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/migrate.h"
#include "lib/service.h"
#include "services/ombudctl/ctl.h"

static const struct {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *help;
	bool database; /* needs the config and the database */
} commands[] = {
	{ "migrate", ctl_migrate, "apply pending sql/ migrations", true },
	{ "audit", ctl_audit, "verify: check the audit log's hash chain",
	    true },
	{ "backup", ctl_backup,
	    "create, prune, restore: encrypted database backups", true },
	{ "retention", ctl_retention,
	    "run [--dry-run]: purge expired cases, spent sessions and mail",
	    true },
	{ "tenant", ctl_tenant, "add, list: organisations and their keys",
	    true },
	{ "user", ctl_user, "add, grant, disable, list: handler accounts",
	    true },
	{ "scrub", ctl_scrub, "clean files as uploads are cleaned", false },
};

static void
usage(FILE *f)
{
	fputs("usage: ombudctl [--config FILE] COMMAND [ARGS]\n"
	      "       ombudctl --version\n\ncommands:\n",
	    f);
	for (size_t i = 0; i < OB_NELEM(commands); i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].help);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl c = { NULL, { 0 }, OB_BUF_INIT(2048) };
	const char *config_opt = NULL, *path = NULL;
	int opt, rc = 1;

	ob_log_init("ombudctl");
	while ((opt = getopt_long(argc, argv, "+c:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_opt = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("ombudctl %s\n", OB_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < OB_NELEM(commands); i++) {
		if (strcmp(argv[optind], commands[i].name) != 0)
			continue;
		if (ob_crypto_init() != 0) {
			ob_buf_errf(&c.err, "libsodium failed to initialise");
			goto out;
		}
		if (!commands[i].database) {
			rc = commands[i].run(&c, argc - optind, argv + optind);
			goto out;
		}
		if (ob_config_path(config_opt, &path, &c.err) != 0 ||
		    ob_config_load(path, &c.cfg, &c.err) != 0 ||
		    ob_settings_load_db(
			c.cfg, "ombudctl", &c.settings, &c.err) != 0)
			goto out;
		rc = commands[i].run(&c, argc - optind, argv + optind);
		goto out;
	}
	fprintf(stderr, "ombudctl: unknown command %s\n", argv[optind]);
	usage(stderr);
	rc = 2;
out:
	if (rc == 1 && c.err.len > 0)
		fprintf(stderr, "ombudctl: %s\n", ob_buf_cstr(&c.err));
	ob_config_free(c.cfg);
	ob_buf_release(&c.err);
	return rc;
}
