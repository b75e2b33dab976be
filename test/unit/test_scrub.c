/*
 * The scrubbers' shared parts: report notes (one line, ASCII, once per
 * text, counted by kind), refusal lines (the first reason wins, a
 * general line for a failure without one, only refusals kept from a
 * failed scrub), and ob_scrub_embedded's depth limit and its refusal of
 * what no family knows.
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

static void
test_refusals(void)
{
	struct ob_scrub_report r = OB_SCRUB_REPORT_INIT;
	struct ob_scrub_report local = OB_SCRUB_REPORT_INIT;

	CHECK(!ob_scrub_refused(&r));
	CHECK_INT(ob_scrub_refuse_once(&r, 0, "no failure"), 0);
	CHECK(!ob_scrub_refused(&r));
	ob_scrub_note(&r, "removed", "author");
	CHECK_INT(ob_scrub_refuse_once(&r, OB_EINVAL, "the cause"), OB_EINVAL);
	CHECK_INT(ob_scrub_refuse_once(&r, OB_EIO, "a consequence"), OB_EIO);
	CHECK(ob_scrub_refused(&r));
	CHECK_STR(
	    ob_buf_cstr(&r.lines), "removed: author\nrefused: the cause\n");
	CHECK_INT(
	    ob_scrub_refuse(&r, OB_ETOOBIG, "noted all the same"), OB_ETOOBIG);
	CHECK(strstr(ob_buf_cstr(&r.lines), "\nrefused: noted all the same\n"));
	ob_scrub_report_release(&r);

	CHECK(strstr(ob_scrub_refusal_text(OB_EIO), "read or written"));
	CHECK(strstr(ob_scrub_refusal_text(OB_ETOOBIG), "too large"));
	CHECK(strstr(ob_scrub_refusal_text(OB_EUNSUPP), "cannot be cleaned"));
	CHECK(strstr(ob_scrub_refusal_text(OB_EINVAL), "damaged"));
	ob_scrub_refuse_size(&r, "the PDF is", UINT64_C(32) << 20);
	ob_scrub_refuse_size(&r, "the page is", 512 << 10);
	CHECK_STR(ob_buf_cstr(&r.lines),
	    "refused: the PDF is larger than 32 MiB\n"
	    "refused: the page is larger than 512 KiB\n");
	ob_scrub_report_release(&r);

	/* A scrub that worked hands on every line. */
	ob_scrub_note(&r, "removed", "earlier file");
	ob_scrub_note(&local, "removed", "EXIF data");
	ob_scrub_note(&local, "not-checked", "colour profile");
	CHECK_INT(ob_scrub_report_end(&r, &local, 0), 0);
	CHECK_STR(ob_buf_cstr(&r.lines),
	    "removed: earlier file\nremoved: EXIF data\n"
	    "not-checked: colour profile\n");
	CHECK_STR(ob_buf_cstr(&local.lines), "");
	ob_scrub_report_release(&r);
	/* A failed one only why: its own line, or the general one. */
	ob_scrub_note(&local, "removed", "EXIF data");
	ob_scrub_note(&local, "refused", "a box longer than the file");
	CHECK_INT(ob_scrub_report_end(&r, &local, OB_EINVAL), OB_EINVAL);
	CHECK_STR(
	    ob_buf_cstr(&r.lines), "refused: a box longer than the file\n");
	ob_scrub_report_release(&r);
	ob_scrub_note(&local, "removed", "EXIF data");
	CHECK_INT(ob_scrub_report_end(&r, &local, OB_EIO), OB_EIO);
	CHECK_STR(ob_buf_cstr(&r.lines),
	    "refused: the file could not be read or written\n");
	ob_scrub_report_release(&r);
}

int
main(void)
{
	test_notes();
	test_refusals();
	test_embedded();
	return CHECK_DONE();
}
