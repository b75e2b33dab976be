#include "lib/scrub/run.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/scrub/sio.h"

/*
 * Where a PDF's pages find the fonts it names but does not include
 * (fontconfig's configuration and cache, the fonts, poppler's CMaps):
 * read-only, and only for a PDF being flattened (lib/sandbox.h).
 */
static const char *const font_dirs[] = { "/etc/fonts", "/usr/share/fonts",
	"/usr/share/fontconfig", "/usr/local/share/fonts",
	"/var/cache/fontconfig", "/usr/share/poppler", NULL };

struct job {
	int in, out;
	const struct ob_scrub_run_opts *o;
};

/* A line (or lines) of text to the report descriptor. */
static int
say(int fd, const char *s)
{
	return ob_sio_write_full(fd, s, strlen(s));
}

/*
 * In the child: the type line first ("type: <mime>"), then the
 * scrubber's report.  The type comes from libmagic and so from the
 * file: control characters in it are replaced before it goes up.
 */
static int
child(void *arg, int report_fd)
{
	struct job *j = arg;
	struct ob_scrub_report rep = OB_SCRUB_REPORT_INIT;
	unsigned char head[OB_SCRUB_SNIFF_BYTES];
	const struct ob_scrub_family *f;
	const char *mime = NULL;
	ob_scrub_fn scrub;
	char line[300];
	size_t n;
	int rc;

	if (ob_sio_pread_full(j->in, head, sizeof(head), 0, &n) != 0)
		return OB_EIO;
	if (j->o->magic != NULL && n > 0)
		mime = magic_buffer(j->o->magic, head, n);
	snprintf(line, sizeof(line), "%s\n", mime != NULL ? mime : "unknown");
	for (char *p = line; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 && *p != '\n')
			*p = '?';
	if ((rc = say(report_fd, line)) != 0)
		return rc;
	if ((f = ob_scrub_sniff(head, n)) == NULL)
		return OB_EUNSUPP;
	scrub = f->scrub;
	if (j->o->flatten_pdf && scrub == ob_scrub_pdf)
		scrub = ob_scrub_pdf_flatten;
	rc = scrub(j->in, j->out, &ob_scrub_default_limits, &rep);
	if (say(report_fd, ob_buf_cstr(&rep.lines)) != 0 && rc == 0)
		rc = OB_EIO;
	ob_scrub_report_release(&rep);
	return rc;
}

int
ob_scrub_run(int in, int out, const struct ob_scrub_run_opts *o,
    struct ob_scrub_result *res)
{
	struct ob_buf raw = OB_BUF_INIT(OB_SANDBOX_REPORT_MAX);
	struct ob_scrub_run_opts mine = *o;
	struct job j = { in, out, &mine };
	unsigned char head[8];
	const char *lines, *nl;
	int keep[2] = { in, out }, child_rc = 0, rc;
	size_t n = 0;

	memset(res, 0, sizeof(*res));
	ob_buf_init(&res->report, OB_SANDBOX_REPORT_MAX);
	snprintf(res->type, sizeof(res->type), "%s", "unknown");
	if (lseek(in, 0, SEEK_SET) != 0)
		return OB_EIO;
	/* Only the magic number is looked at here, outside the sandbox. */
	if (ob_sio_pread_full(in, head, sizeof(head), 0, &n) != 0)
		n = 0;
	mine.sandbox.read_dirs = NULL;
	if (o->flatten_pdf && n > 0 && ob_scrub_sniff_pdf(head, n))
		mine.sandbox.read_dirs = font_dirs;
	rc = ob_sandbox_run(
	    child, &j, keep, 2, &mine.sandbox, &raw, &child_rc, &res->why);
	if (rc == OB_EIO) {
		ob_buf_release(&raw);
		return rc;
	}
	/* The first line is the type; the rest is the report. */
	lines = ob_buf_cstr(&raw);
	if ((nl = strchr(lines, '\n')) != NULL) {
		snprintf(res->type, sizeof(res->type), "%.*s",
		    (int)(nl - lines), lines);
		lines = nl + 1;
	}
	if (ob_buf_puts(&res->report, lines) != 0)
		rc = rc == 0 ? OB_ETOOBIG : rc;
	ob_buf_release(&raw);
	if (rc != 0) {
		res->outcome = OB_SCRUB_DIED;
		res->rc = rc;
	} else if (child_rc == OB_EUNSUPP) {
		res->outcome = OB_SCRUB_UNCLEANABLE;
		res->rc = child_rc;
	} else if (child_rc != 0) {
		res->outcome = OB_SCRUB_REFUSED;
		res->rc = child_rc;
	} else {
		res->outcome = OB_SCRUB_CLEANED;
	}
	if (res->outcome == OB_SCRUB_DIED && res->why == NULL)
		res->why = "the report did not fit";
	return 0;
}

void
ob_scrub_result_release(struct ob_scrub_result *res)
{
	ob_buf_release(&res->report);
}
