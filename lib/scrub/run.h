/*
 * run.h - cleaning one file the way Ombud does everywhere: in a
 * sandboxed child (lib/sandbox.h), the type named by libmagic for the
 * report, the scrubber chosen by the file's own magic numbers
 * (ob_scrub_sniff), never by its name or a declared type.  The scrub
 * pool (services/scrub/upload.c) and `ombudctl scrub` both call this,
 * so an operator checking a file by hand sees exactly what an upload
 * would do.
 */
#ifndef OB_SCRUB_RUN_H
#define OB_SCRUB_RUN_H

#include <magic.h>
#include <stdbool.h>

#include "lib/buf.h"
#include "lib/ob.h"
#include "lib/sandbox.h"
#include "lib/scrub/scrub.h"

struct ob_scrub_run_opts {
	/* A loaded libmagic database (MAGIC_MIME_TYPE), or NULL: the type
	 * is then "unknown" in the report.  Load it before anything forks:
	 * the sandboxed child cannot open its file. */
	magic_t magic;
	/* The tenant setting: PDFs become pictures of their pages. */
	bool flatten_pdf;
	struct ob_sandbox_limits sandbox;
};

enum ob_scrub_outcome {
	OB_SCRUB_CLEANED, /* out holds the cleaned file */
	OB_SCRUB_UNCLEANABLE, /* no scrubber knows it, or it uses what the
				 scrubber cannot clean (rc OB_EUNSUPP) */
	OB_SCRUB_REFUSED, /* damaged, lying or over a limit (rc) */
	OB_SCRUB_DIED, /* the child was killed: a limit, the clock, the
			  seccomp filter or a crash (why) */
};

struct ob_scrub_result {
	enum ob_scrub_outcome outcome;
	int rc; /* the scrubber's result, or the sandbox's */
	char type[128]; /* libmagic's MIME type, or "unknown" */
	const char *why; /* OB_SCRUB_DIED: which limit, for a log line */
	/* The report's lines (lib/scrub/scrub.h), without the type. */
	struct ob_buf report;
};

/*
 * Cleans the file in `in` (a regular file or memfd, read from offset 0)
 * into `out` (an empty regular file or memfd, open for reading and
 * writing) in a sandboxed child that sees only those two descriptors.
 * Returns 0 with *res filled in (whatever the outcome), or OB_EIO when
 * the child could not be started.  Release res with
 * ob_scrub_result_release.
 */
int ob_scrub_run(int in, int out, const struct ob_scrub_run_opts *o,
    struct ob_scrub_result *res) OB_MUST_CHECK;
void ob_scrub_result_release(struct ob_scrub_result *res);

#endif
