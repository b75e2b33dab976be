/*
 * The PDF scrubber (lib/scrub/pdf.c, and its flatten mode in
 * lib/scrub/pdf_flatten.c) on PDFs made here: what it removes (read
 * back with libqpdf), that its output scrubs again, and its
 * refusals with their limits.  test/integration/test_scrub_pdf.py
 * checks real tools' view of the results (exiftool, mat2, qpdf).
 */
#include "lib/sandbox.h"
#include "lib/scrub/scrub.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <qpdf/qpdf-c.h>

#include "test/unit/check.h"

/* Writes a PDF of the given object bodies (object i + 1 is objs[i])
 * with a classic cross-reference table, into a new memfd. */
static int
make_pdf(const char *const *objs, size_t n, const char *trailer_extra)
{
	struct ob_buf b = OB_BUF_INIT(1 << 24);
	size_t off[64];
	int fd = memfd_create("pdf", MFD_CLOEXEC);
	size_t xref;

	CHECK(n < OB_NELEM(off));
	CHECK(ob_buf_puts(&b, "%PDF-1.7\n") == 0);
	for (size_t i = 0; i < n; i++) {
		off[i] = b.len;
		CHECK(ob_buf_printf(
			  &b, "%zu 0 obj\n%s\nendobj\n", i + 1, objs[i]) == 0);
	}
	xref = b.len;
	CHECK(ob_buf_printf(&b, "xref\n0 %zu\n0000000000 65535 f \n", n + 1) ==
	    0);
	for (size_t i = 0; i < n; i++)
		CHECK(ob_buf_printf(&b, "%010zu 00000 n \n", off[i]) == 0);
	CHECK(ob_buf_printf(&b,
		  "trailer\n<< /Size %zu /Root 1 0 R %s >>\nstartxref\n%zu\n"
		  "%%%%EOF\n",
		  n + 1, trailer_extra, xref) == 0);
	CHECK(fd >= 0);
	CHECK(write(fd, b.data, b.len) == (ssize_t)b.len);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	ob_buf_release(&b);
	return fd;
}

static const char *const doc[] = {
	"<< /Type /Catalog /Pages 2 0 R /Metadata 6 0 R /OpenAction 7 0 R "
	"/PieceInfo << /A << /Private (x) >> >> /Unknown (Canary) >>",
	"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
	"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R "
	"/Annots [8 0 R 9 0 R] /Metadata 6 0 R >>",
	"<< /Length 16 >>\nstream\nBT (Hello) Tj ET\nendstream",
	"<< /Author (Canary Person) /Producer (CanaryPDF) >>",
	"<< /Type /Metadata /Subtype /XML /Length 6 >>\nstream\nCanary\n"
	"endstream",
	"<< /S /JavaScript /JS (app.alert(1)) >>",
	"<< /Type /Annot /Subtype /Text /Rect [0 0 9 9] /T (Canary Person) "
	"/M (D:20200101) /Contents (kept) >>",
	"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 9 9] >>",
};

static bool
has_line(const struct ob_scrub_report *r, const char *line)
{
	const char *p = ob_buf_cstr(&r->lines);
	size_t n = strlen(line);

	for (; (p = strstr(p, line)) != NULL; p += n)
		if (p[n] == '\n')
			return true;
	return false;
}

/* Reads the scrubbed file back and looks at what must be gone. */
static void
check_clean(int fd)
{
	struct ob_buf b = OB_BUF_INIT(1 << 24);
	char chunk[4096];
	qpdf_data q = qpdf_init();
	qpdf_oh root, page, annots, t;
	ssize_t n;

	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		CHECK(ob_buf_append(&b, chunk, (size_t)n) == 0);
	CHECK(b.len > 5 && memcmp(b.data, "%PDF-", 5) == 0);
	qpdf_silence_errors(q);
	qpdf_set_suppress_warnings(q, QPDF_TRUE);
	CHECK(
	    (qpdf_read_memory(q, "out", b.data, b.len, "") & QPDF_ERRORS) == 0);
	CHECK(qpdf_get_info_key(q, "/Author") == NULL);
	CHECK(!qpdf_oh_has_key(q, qpdf_get_trailer(q), "/Info"));
	root = qpdf_get_root(q);
	CHECK(!qpdf_oh_has_key(q, root, "/Metadata"));
	CHECK(!qpdf_oh_has_key(q, root, "/OpenAction"));
	CHECK(!qpdf_oh_has_key(q, root, "/PieceInfo"));
	CHECK(!qpdf_oh_has_key(q, root, "/Unknown"));
	CHECK_INT(qpdf_get_num_pages(q), 1);
	page = qpdf_get_page_n(q, 0);
	CHECK(!qpdf_oh_has_key(q, page, "/Metadata"));
	annots = qpdf_oh_get_key(q, page, "/Annots");
	CHECK_INT(qpdf_oh_get_array_n_items(q, annots), 1); /* the text note */
	t = qpdf_oh_get_array_item(q, annots, 0);
	CHECK_STR(qpdf_oh_get_string_value(q, qpdf_oh_get_key(q, t, "/T")), "");
	CHECK(!qpdf_oh_has_key(q, t, "/M"));
	CHECK_STR(
	    qpdf_oh_get_string_value(q, qpdf_oh_get_key(q, t, "/Contents")),
	    "kept");
	qpdf_cleanup(&q);
	ob_buf_release(&b);
}

static void
test_scrub(void)
{
	struct ob_scrub_report r = OB_SCRUB_REPORT_INIT;
	int in = make_pdf(doc, OB_NELEM(doc),
	    "/Info 5 0 R /ID [<0102> <0102>] /Extra (Canary)");
	int out = memfd_create("out", MFD_CLOEXEC);
	int again = memfd_create("again", MFD_CLOEXEC);

	CHECK_INT(ob_scrub_pdf(in, out, &ob_scrub_default_limits, &r), 0);
	CHECK(has_line(&r,
	    "removed: document information (author, title, dates, software)"));
	CHECK(has_line(&r, "removed: XMP metadata"));
	CHECK(has_line(&r, "removed: JavaScript"));
	CHECK(has_line(&r, "removed: authors of annotations"));
	CHECK(has_line(&r, "removed: file attachment annotations"));
	CHECK(has_line(&r, "removed: unknown entries of the document catalog"));
	CHECK(has_line(&r, "removed: unknown entries of the trailer"));
	CHECK(has_line(&r,
	    "removed: document identifier (it could link this "
	    "file to its original)"));
	CHECK(strstr(ob_buf_cstr(&r.lines), "Canary") == NULL);
	check_clean(out);
	CHECK(lseek(out, 0, SEEK_SET) == 0);
	ob_scrub_report_release(&r);
	CHECK_INT(ob_scrub_pdf(out, again, &ob_scrub_default_limits, &r), 0);
	CHECK(!has_line(&r, "removed: authors of annotations"));
	ob_scrub_report_release(&r);
	close(in);
	close(out);
	close(again);
}

static void
test_flatten(void)
{
	struct ob_scrub_report r = OB_SCRUB_REPORT_INIT;
	int in = make_pdf(doc, OB_NELEM(doc), "/Info 5 0 R");
	int out = memfd_create("out", MFD_CLOEXEC);
	int again = memfd_create("again", MFD_CLOEXEC);

	CHECK_INT(
	    ob_scrub_pdf_flatten(in, out, &ob_scrub_default_limits, &r), 0);
	CHECK(strstr(ob_buf_cstr(&r.lines), "changed: every page") != NULL);
	CHECK(lseek(out, 0, SEEK_SET) == 0);
	CHECK_INT(ob_scrub_pdf(out, again, &ob_scrub_default_limits, &r), 0);
	ob_scrub_report_release(&r);
	close(in);
	close(out);
	close(again);
}

struct job {
	ob_scrub_fn fn;
	int in, out;
};

static int
sandboxed(void *arg, int report_fd)
{
	struct job *j = arg;
	struct ob_scrub_report r = OB_SCRUB_REPORT_INIT;
	int rc = j->fn(j->in, j->out, &ob_scrub_default_limits, &r);

	if (write(report_fd, ob_buf_cstr(&r.lines), r.lines.len) < 0)
		rc = OB_EIO;
	ob_scrub_report_release(&r);
	return rc;
}

/*
 * In the sandbox (no files by name) the normal mode works; flatten
 * cannot reach a system font for a font the PDF does not include, and
 * refuses rather than draw the page without its text.
 */
static void
test_sandboxed(void)
{
	static const char *const helvetica[] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] "
		"/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		"<< /Length 33 >>\nstream\nBT /F1 24 Tf 20 100 Td (Hi) Tj ET\n"
		"endstream",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	};
	struct job j = { ob_scrub_pdf, -1, -1 };
	struct ob_buf report = OB_BUF_INIT(OB_SANDBOX_REPORT_MAX);
	const char *why = NULL;
	int keep[2], child_rc = 0;

	j.in = make_pdf(helvetica, OB_NELEM(helvetica), "");
	j.out = memfd_create("out", MFD_CLOEXEC);
	keep[0] = j.in;
	keep[1] = j.out;
	CHECK_INT(ob_sandbox_run(sandboxed, &j, keep, 2,
		      &ob_sandbox_default_limits, &report, &child_rc, &why),
	    0);
	CHECK_INT(child_rc, 0);
	CHECK(strstr(ob_buf_cstr(&report), "changed: the PDF was rewritten") !=
	    NULL);
	ob_buf_reset(&report);
	j.fn = ob_scrub_pdf_flatten;
	CHECK_INT(ob_sandbox_run(sandboxed, &j, keep, 2,
		      &ob_sandbox_default_limits, &report, &child_rc, &why),
	    0);
	CHECK_INT(child_rc, OB_EUNSUPP);
	CHECK(strstr(ob_buf_cstr(&report),
		  "refused: the PDF uses fonts it does not include") != NULL);
	ob_buf_release(&report);
	close(j.in);
	close(j.out);
}

/* Runs fn over the bytes and expects the error and a "refused" line. */
static void
refuses(ob_scrub_fn fn, const char *bytes, size_t n,
    const struct ob_scrub_limits *lim, int want)
{
	struct ob_scrub_report r = OB_SCRUB_REPORT_INIT;
	int in = memfd_create("in", MFD_CLOEXEC);
	int out = memfd_create("out", MFD_CLOEXEC);

	CHECK(write(in, bytes, n) == (ssize_t)n);
	CHECK(lseek(in, 0, SEEK_SET) == 0);
	CHECK_INT(fn(in, out, lim, &r), want);
	CHECK(strstr(ob_buf_cstr(&r.lines), "refused: ") != NULL);
	ob_scrub_report_release(&r);
	close(in);
	close(out);
}

static void
test_refusals(void)
{
	struct ob_scrub_limits lim = ob_scrub_default_limits;
	static const char *const two_pages[] = {
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R 3 0 R] /Count 2 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 9 9] >>",
	};
	static const char *const objects[] = {
		"<< /Type /Catalog /Pages 2 0 R /OCProperties 4 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 9 9] >>",
		"[5 0 R 6 0 R 7 0 R]",
		"1",
		"2",
		"3",
	};
	char buf[4096];
	ssize_t n;
	int fd;

	refuses(ob_scrub_pdf, "", 0, &lim, OB_EINVAL);
	refuses(ob_scrub_pdf, "%PDF-1.7\n", 9, &lim, OB_EINVAL);
	refuses(ob_scrub_pdf, "<html>\n%PDF-1.7\n", 16, &lim, OB_EINVAL);
	refuses(
	    ob_scrub_pdf_flatten, "<html>\n%PDF-1.7\n", 16, &lim, OB_EINVAL);

	fd = make_pdf(two_pages, OB_NELEM(two_pages), "");
	n = read(fd, buf, sizeof(buf));
	CHECK(n > 0);
	close(fd);
	lim.max_pages = 1;
	refuses(ob_scrub_pdf, buf, (size_t)n, &lim, OB_ETOOBIG);
	refuses(ob_scrub_pdf_flatten, buf, (size_t)n, &lim, OB_ETOOBIG);
	lim = ob_scrub_default_limits;
	lim.max_in_memory = (uint64_t)n - 1;
	refuses(ob_scrub_pdf, buf, (size_t)n, &lim, OB_ETOOBIG);
	/* Truncated before the cross-reference table and the trailer. */
	lim = ob_scrub_default_limits;
	refuses(ob_scrub_pdf, buf, (size_t)n / 2, &lim, OB_EINVAL);

	fd = make_pdf(objects, OB_NELEM(objects), "");
	n = read(fd, buf, sizeof(buf));
	CHECK(n > 0);
	close(fd);
	lim.max_entries = 5;
	refuses(ob_scrub_pdf, buf, (size_t)n, &lim, OB_ETOOBIG);
}

int
main(void)
{
	CHECK(ob_scrub_sniff_pdf((const unsigned char *)"%PDF-1.4", 8));
	CHECK(!ob_scrub_sniff_pdf((const unsigned char *)"%PDF", 4));
	CHECK(!ob_scrub_sniff_pdf((const unsigned char *)" %PDF-1.4", 9));
	CHECK(ob_scrub_sniff((const unsigned char *)"%PDF-1.4\n", 9) != NULL);
	test_scrub();
	test_flatten();
	test_refusals();
	test_sandboxed();
	return CHECK_DONE();
}
