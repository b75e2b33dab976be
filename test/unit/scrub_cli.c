/*
 * scrub_cli FAMILY IN OUT - runs one scrubber of lib/scrub (by its
 * registry name, "auto" to choose by the bytes, or "pdf-flatten" for
 * the tenant setting that flattens PDFs) over file IN, writes
 * OUT, prints the report, and exits 0 (scrubbed), 1 (refused: the error
 * name on stderr) or 2 (usage).  For the scrubbers' tests, which make
 * fixtures with exiftool, ffmpeg or Python and check the output with
 * exiftool and mat2.  No sandbox here: ombud-scrub and `ombudctl scrub`
 * run the same functions in one.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/scrub/scrub.h"

/* Not a family of its own: the PDF family's other mode (scrub.h). */
static const struct ob_scrub_family pdf_flatten = { "pdf-flatten",
	"application/pdf", ob_scrub_pdf_flatten, ob_scrub_sniff_pdf };

int
main(int argc, char **argv)
{
	struct ob_scrub_report rep = OB_SCRUB_REPORT_INIT;
	const struct ob_scrub_family *f = NULL;
	unsigned char head[OB_SCRUB_SNIFF_BYTES];
	int in, out, rc;
	ssize_t n;

	if (argc != 4) {
		fputs("usage: scrub_cli FAMILY|auto IN OUT\n", stderr);
		return 2;
	}
	if ((in = open(argv[2], O_RDONLY | O_CLOEXEC)) < 0 ||
	    (out = open(
		 argv[3], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		perror("scrub_cli");
		return 2;
	}
	n = read(in, head, sizeof(head));
	if (strcmp(argv[1], "pdf-flatten") == 0)
		f = &pdf_flatten;
	else if (strcmp(argv[1], "auto") == 0)
		f = n > 0 ? ob_scrub_sniff(head, (size_t)n) : NULL;
	for (size_t i = 0; f == NULL && i < ob_scrub_nfamilies; i++)
		if (strcmp(ob_scrub_families[i].name, argv[1]) == 0)
			f = &ob_scrub_families[i];
	if (f == NULL || lseek(in, 0, SEEK_SET) != 0) {
		fprintf(stderr, "scrub_cli: no family %s\n", argv[1]);
		return 1;
	}
	rc = f->scrub(in, out, &ob_scrub_default_limits, &rep);
	printf("type: %s\n%s", f->mime, ob_buf_cstr(&rep.lines));
	if (rc != 0)
		fprintf(stderr, "scrub_cli: %s\n", ob_strerror(rc));
	ob_scrub_report_release(&rep);
	close(in);
	close(out);
	return rc == 0 ? 0 : 1;
}
