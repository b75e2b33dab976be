/*
 * ombudctl scrub [--flatten-pdf] --out DIR FILE... - cleans files by
 * hand exactly as an upload is cleaned (lib/scrub/run.h: the same
 * sandboxed child, the same choice of scrubber by the bytes, the same
 * report), so an operator can check what Ombud does to a file, and a
 * benchmark can compare the scrubbers with other tools on the same
 * files.
 *
 * Each cleaned file is written to DIR under its own base name (never
 * over an existing file: written to a temporary name, then renamed
 * without replacing); a file that is refused leaves nothing in DIR.
 * The report of each file goes to stdout.  Exit status 0 when every
 * file was cleaned, 1 when any was refused, 2 for usage.  Needs no
 * database and no configuration.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/scrub/run.h"
#include "services/ombudctl/ctl.h"

static const char *const outcome_word[] = {
	[OB_SCRUB_CLEANED] = "cleaned",
	[OB_SCRUB_UNCLEANABLE] = "refused (cannot be cleaned)",
	[OB_SCRUB_REFUSED] = "refused",
	[OB_SCRUB_DIED] = "refused (the sandbox stopped it)",
};

/* Prints the report, indented, one line per note. */
static void
print_report(
    const char *file, const struct ob_scrub_result *res, const char *written)
{
	const char *p = ob_buf_cstr(&res->report);

	printf("%s: %s\n  type: %s\n", file, outcome_word[res->outcome],
	    res->type);
	if (res->outcome == OB_SCRUB_DIED)
		printf("  refused: %s\n", res->why);
	while (*p != '\0') {
		const char *nl = strchr(p, '\n');
		int n = nl != NULL ? (int)(nl - p) : (int)strlen(p);

		printf("  %.*s\n", n, p);
		p += n + (nl != NULL);
	}
	if (written != NULL)
		printf("  written: %s\n", written);
}

/* Cleans one file into dir; 0 cleaned, 1 refused. */
static int
scrub_one(struct ctl *c, const struct ob_scrub_run_opts *o, int dirfd,
    const char *dir, const char *file)
{
	char tmp[64] = "", *copy = NULL, final[4096];
	const char *base;
	struct ob_scrub_result res = { 0 };
	int in = -1, out = -1, rc = 1;

	if ((copy = strdup(file)) == NULL)
		return 1;
	base = basename(copy);
	if (base[0] == '\0' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0 || strcmp(base, "/") == 0) {
		fprintf(stderr, "ombudctl: %s: not a file name\n", file);
		goto out;
	}
	if (faccessat(dirfd, base, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
		fprintf(stderr, "ombudctl: %s/%s exists: not overwritten\n",
		    dir, base);
		goto out;
	}
	if ((in = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		fprintf(stderr, "ombudctl: %s: %s\n", file, strerror(errno));
		goto out;
	}
	snprintf(tmp, sizeof(tmp), ".ombud-scrub-%ld.tmp", (long)getpid());
	out = openat(dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		fprintf(
		    stderr, "ombudctl: %s/%s: %s\n", dir, tmp, strerror(errno));
		goto out;
	}
	if (ob_scrub_run(in, out, o, &res) != 0) {
		ob_buf_seterr(&c->err, "the sandbox could not be started");
		print_report(file, &res, NULL);
		goto out;
	}
	if (res.outcome != OB_SCRUB_CLEANED) {
		print_report(file, &res, NULL);
		goto out;
	}
	snprintf(final, sizeof(final), "%s/%s", dir, base);
	if (fsync(out) != 0 ||
	    renameat2(dirfd, tmp, dirfd, base, RENAME_NOREPLACE) != 0) {
		fprintf(stderr, "ombudctl: %s: %s\n", final, strerror(errno));
		print_report(file, &res, NULL);
		goto out;
	}
	tmp[0] = '\0'; /* renamed: nothing to remove */
	print_report(file, &res, final);
	rc = 0;
out:
	if (out >= 0) {
		close(out);
		if (tmp[0] != '\0')
			(void)unlinkat(dirfd, tmp, 0);
	}
	if (in >= 0)
		close(in);
	ob_scrub_result_release(&res);
	free(copy);
	return rc;
}

int
ctl_scrub(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "flatten-pdf", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ob_scrub_run_opts o = { .sandbox = ob_sandbox_default_limits };
	const char *dir = NULL;
	int opt, dirfd, failed = 0;

	optind = 0; /* glibc: start a new scan */
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			dir = optarg;
			break;
		case 'f':
			o.flatten_pdf = true;
			break;
		default:
			fputs("usage: ombudctl scrub [--flatten-pdf] --out DIR "
			      "FILE...\n",
			    opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : 2;
		}
	}
	if (dir == NULL || optind >= argc) {
		fputs("usage: ombudctl scrub [--flatten-pdf] --out DIR "
		      "FILE...\n",
		    stderr);
		return 2;
	}
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		ob_buf_errf(&c->err, "%s: %s", dir, strerror(errno));
		return 1;
	}
	/* Loaded here, before any child: the sandbox cannot open it. */
	o.magic = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
	if (o.magic == NULL || magic_load(o.magic, NULL) != 0) {
		ob_buf_seterr(&c->err, "libmagic cannot load its database");
		if (o.magic != NULL)
			magic_close(o.magic);
		close(dirfd);
		return 1;
	}
	for (int i = optind; i < argc; i++)
		failed |= scrub_one(c, &o, dirfd, dir, argv[i]);
	magic_close(o.magic);
	close(dirfd);
	return failed ? 1 : 0;
}
