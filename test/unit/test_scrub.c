/*
 * The scrubbers' shared parts: report notes (one line, ASCII, once per
 * text, counted by kind), and ob_scrub_embedded's depth limit and its
 * refusal of what no family knows.
 */
#include "lib/scrub/scrub.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test/unit/check.h"

static void
test_notes(void)
{
	struct ob_scrub_report r = OB_SCRUB_REPORT_INIT;
	char long_text[400];

	ob_scrub_note(&r, "removed", "EXIF GPS position");
	ob_scrub_note(&r, "removed", "EXIF GPS position");
	ob_scrub_note(&r, "removed", "author %s", "of comments");
	ob_scrub_note(&r, "not-checked", "embedded fonts");
	ob_scrub_note(&r, "removed", "line\nbreak and \xc3\xa6");
	CHECK_STR(ob_buf_cstr(&r.lines),
	    "removed: EXIF GPS position\n"
	    "removed: author of comments\n"
	    "not-checked: embedded fonts\n"
	    "removed: line?break and ??\n");
	CHECK_INT(r.removed, 3);
	CHECK_INT(r.not_checked, 1);
	/* A text that is the tail of another is not a repeat of it. */
	ob_scrub_note(&r, "removed", "GPS position");
	CHECK(strstr(ob_buf_cstr(&r.lines), "\nremoved: GPS position\n"));
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	ob_scrub_note(&r, "removed", "%s", long_text);
	CHECK(strlen(strrchr(ob_buf_cstr(&r.lines), ':')) < 210);
	ob_scrub_report_release(&r);
	CHECK_INT(r.removed, 0);
}

static void
test_embedded(void)
{
	struct ob_scrub_limits lim = ob_scrub_default_limits;
	struct ob_scrub_report r = OB_SCRUB_REPORT_INIT;
	int in = memfd_create("in", MFD_CLOEXEC);
	int out = memfd_create("out", MFD_CLOEXEC);

	CHECK(in >= 0 && out >= 0);
	CHECK_INT((int)write(in, "not a known format at all", 25), 25);
	CHECK_INT(ob_scrub_embedded(in, out, &lim, &r), OB_EUNSUPP);
	lim.max_depth = 0;
	CHECK_INT(ob_scrub_embedded(in, out, &lim, &r), OB_ETOOBIG);
	CHECK(strstr(ob_buf_cstr(&r.lines), "refused: ") != NULL);
	CHECK(ob_scrub_sniff((const unsigned char *)"", 0) == NULL);
	ob_scrub_report_release(&r);
	close(in);
	close(out);
}

int
main(void)
{
	test_notes();
	test_embedded();
	return CHECK_DONE();
}
