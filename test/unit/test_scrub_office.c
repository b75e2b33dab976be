/*
 * The office scrubbers' parts (lib/scrub/zip.c, xml.c, office.c): the
 * zip writer's exact headers and a round trip through the checked
 * reader; names and limits the reader refuses; the XML rewriter's rules,
 * escaping and refusals, fed in every chunking; the sniff functions.
 * Whole documents are tested in test/integration/test_scrub_office.py.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/scrub/office.h"
#include "lib/scrub/sio.h"
#include "lib/scrub/xml.h"
#include "lib/scrub/zip.h"
#include "test/unit/check.h"

static int
buf_sink(void *ctx, const void *p, size_t n)
{
	return ob_buf_append(ctx, p, n);
}

static bool
has_note(const struct ob_scrub_report *r, const char *text)
{
	return strstr(ob_buf_cstr(&r->lines), text) != NULL;
}

/* A zip of two members in a memfd, written by ob_zipw. */
static int
two_members(const char *first, const char *second)
{
	struct ob_scrub_report rep = OB_SCRUB_REPORT_INIT;
	struct ob_zipw *w = NULL;
	int fd = memfd_create("zip", MFD_CLOEXEC);
	char big[5000];

	memset(big, 'x', sizeof(big));
	CHECK(fd >= 0);
	CHECK(ob_zipw_open(&w, fd, &ob_scrub_default_limits, &rep) == 0);
	CHECK(ob_zipw_begin(w, first, true) == 0);
	CHECK(ob_zipw_write(w, "hello", 5) == 0);
	CHECK(ob_zipw_end(w) == 0);
	CHECK(ob_zipw_begin(w, second, false) == 0);
	CHECK(ob_zipw_write(w, big, sizeof(big)) == 0);
	CHECK(ob_zipw_end(w) == 0);
	CHECK(ob_zipw_finish(w) == 0);
	ob_zipw_free(w);
	ob_scrub_report_release(&rep);
	return fd;
}

static void
test_zip_round_trip(void)
{
	struct ob_scrub_report rep = OB_SCRUB_REPORT_INIT;
	struct ob_buf got = OB_BUF_INIT(1 << 20);
	struct ob_zipr *r = NULL;
	struct ob_zip_entry e;
	unsigned char h[30], c[46];
	int fd = two_members("mimetype", "dir/b.xml");
	size_t n;
	off_t end = lseek(fd, 0, SEEK_END);

	/* The local header: version 20, no flags, stored, 1980-01-01,
	 * the CRC and sizes patched in, no extra field. */
	CHECK(ob_sio_pread_full(fd, h, sizeof(h), 0, &n) == 0 && n == 30);
	CHECK(memcmp(h, "PK\3\4\24\0\0\0\0\0\0\0\41\0", 14) == 0);
	CHECK(h[18] == 5 && h[22] == 5 && h[26] == 8 && h[28] == 0);
	/* The second member's central directory entry: made by Unix,
	 * mode 0644, no extra field or comment. */
	CHECK(ob_sio_pread_full(
		  fd, c, sizeof(c), (uint64_t)end - 22 - 46 - 9, &n) == 0);
	CHECK(memcmp(c, "PK\1\2\36\3", 6) == 0);
	CHECK(c[30] == 0 && c[31] == 0 && c[32] == 0 && c[33] == 0);
	CHECK(c[40] == 0xa4 && c[41] == 0x81);

	CHECK(ob_zipr_open(&r, fd, &ob_scrub_default_limits, &rep) == 0);
	CHECK_INT(ob_zipr_count(r), 2);
	ob_zipr_entry(r, 1, &e);
	CHECK_STR(e.name, "dir/b.xml");
	CHECK_INT(e.size, 5000);
	CHECK(!e.stored && !e.dir && e.csize < 100);
	CHECK_INT(ob_zipr_find(r, "DIR/B.XML"), 1);
	CHECK_INT(ob_zipr_find(r, "nothing"), -1);
	CHECK(ob_zipr_read(r, 0, buf_sink, &got) == 0);
	CHECK_STR(ob_buf_cstr(&got), "hello");
	ob_buf_reset(&got);
	CHECK(ob_zipr_read(r, 1, buf_sink, &got) == 0);
	CHECK_INT(got.len, 5000);
	CHECK_INT(ob_zipr_expanded(r), 5005);
	ob_zipr_close(r);
	ob_buf_release(&got);
	ob_scrub_report_release(&rep);
	close(fd);
}

/* Overwrites every copy of `from` (local and central names) in fd. */
static void
patch(int fd, const char *from, const char *to)
{
	char buf[8192];
	size_t n, k = strlen(from);

	CHECK(strlen(to) == k);
	CHECK(ob_sio_pread_full(fd, buf, sizeof(buf), 0, &n) == 0);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(buf + i, from, k) == 0)
			CHECK(ob_sio_pwrite_full(fd, to, k, i) == 0);
}

static void
refused(int fd, const struct ob_scrub_limits *lim, int want, const char *why)
{
	struct ob_scrub_report rep = OB_SCRUB_REPORT_INIT;
	struct ob_zipr *r = NULL;

	CHECK_INT(ob_zipr_open(&r, fd, lim, &rep), want);
	CHECK(r == NULL);
	if (!has_note(&rep, why))
		fprintf(stderr, "  report: %s", ob_buf_cstr(&rep.lines));
	CHECK(has_note(&rep, why));
	ob_scrub_report_release(&rep);
	close(fd);
}

static void
test_zip_refusals(void)
{
	struct ob_scrub_limits lim = ob_scrub_default_limits;
	int fd;

	fd = two_members("mimetype", "ab/b.xml");
	patch(fd, "ab/b.xml", "../b.xml");
	refused(fd, &lim, OB_EINVAL, "climbs out");
	fd = two_members("mimetype", "ab/b.xml");
	patch(fd, "ab/b.xml", "ab\\b.xml");
	refused(fd, &lim, OB_EINVAL, "backslash");
	fd = two_members("mimetype", "ab/b.xml");
	patch(fd, "ab/b.xml", "/a/b.xml");
	refused(fd, &lim, OB_EINVAL, "absolute");
	fd = two_members("mimetype", "ab/b.xml");
	patch(fd, "ab/b.xml", "./ab.xml");
	refused(fd, &lim, OB_EINVAL, "'.' part");
	fd = two_members("mimetype", "MimeType");
	refused(fd, &lim, OB_EINVAL, "same name");
	/* Libzip sees the name of the central directory; a local header
	 * that says otherwise is caught by its consistency check. */
	fd = two_members("mimetype", "ab/b.xml");
	patch(fd, "mimetype", "mimetypf");
	CHECK(ob_sio_pwrite_full(fd, "mimetype", 8, 30) == 0);
	refused(fd, &lim, OB_EINVAL, "inconsistent");

	lim.max_entries = 1;
	refused(two_members("a", "b"), &lim, OB_ETOOBIG, "too many files");
	lim = ob_scrub_default_limits;
	lim.max_expanded = 4000;
	refused(two_members("a", "b"), &lim, OB_ETOOBIG, "expands to too much");

	fd = two_members("a", "b");
	CHECK(ob_sio_pwrite_full(
		  fd, "junk", 4, (uint64_t)lseek(fd, 0, SEEK_END)) == 0);
	refused(fd, &ob_scrub_default_limits, OB_EINVAL, "other data");
	fd = memfd_create("empty", MFD_CLOEXEC);
	refused(fd, &ob_scrub_default_limits, OB_EINVAL, "too short");
}

static void
test_zip_writer_refusals(void)
{
	struct ob_scrub_limits lim = ob_scrub_default_limits;
	struct ob_scrub_report rep = OB_SCRUB_REPORT_INIT;
	struct ob_zipw *w = NULL;
	int fd = memfd_create("zip", MFD_CLOEXEC);

	lim.max_output = 100;
	CHECK(ob_zipw_open(&w, fd, &lim, &rep) == 0);
	CHECK_INT(ob_zipw_begin(w, "../x", false), OB_EINVAL);
	CHECK_INT(ob_zipw_write(w, "x", 1), OB_EINVAL);
	CHECK(ob_zipw_begin(w, "x", true) == 0);
	CHECK_INT(ob_zipw_write(w,
		      "0123456789012345678901234567890123456789"
		      "0123456789012345678901234567890123456789",
		      80),
	    OB_ETOOBIG);
	CHECK(has_note(&rep, "too large"));
	ob_zipw_free(w);
	ob_scrub_report_release(&rep);
	close(fd);
}

/* Rules for the XML tests: drop <drop>, empty <empty>, <name> holds
 * "Author", attribute rsid goes and who becomes "Author". */
static enum ob_xml_do
t_element(
    void *ctx, const struct ob_xml_tag *t, const char **text, const char **note)
{
	(void)ctx;
	*note = "test data";
	if (strcmp(t->name, "drop") == 0)
		return OB_XML_DROP;
	if (strcmp(t->name, "empty") == 0)
		return OB_XML_EMPTY;
	if (strcmp(t->name, "name") == 0) {
		*text = "Author";
		return OB_XML_TEXT;
	}
	return OB_XML_KEEP;
}

static enum ob_xml_do
t_attribute(void *ctx, const struct ob_xml_tag *t, const char *uri,
    const char *name, const char *value, size_t vlen, const char **text,
    const char **note)
{
	(void)ctx;
	(void)t;
	(void)uri;
	(void)value;
	(void)vlen;
	*note = "test attribute";
	if (strcmp(name, "rsid") == 0)
		return OB_XML_DROP;
	if (strcmp(name, "who") == 0) {
		*text = "Author";
		return OB_XML_TEXT;
	}
	return OB_XML_KEEP;
}

static const struct ob_xml_rules t_rules = { t_element, t_attribute, NULL };

/* Rewrites in, fed in chunks of `chunk` bytes; the result or NULL. */
static char *
rewrite(const char *in, size_t chunk, struct ob_scrub_report *rep, int *rc)
{
	struct ob_buf out = OB_BUF_INIT(1 << 20);
	struct ob_xml *x = ob_xml_new(&t_rules, buf_sink, &out, rep);
	size_t n = strlen(in);

	*rc = 0;
	for (size_t off = 0; off < n && *rc == 0; off += chunk)
		*rc =
		    ob_xml_feed(x, in + off, n - off < chunk ? n - off : chunk);
	if (*rc == 0)
		*rc = ob_xml_end(x);
	ob_xml_free(x);
	if (*rc != 0) {
		ob_buf_release(&out);
		return NULL;
	}
	return ob_buf_detach(&out, &n);
}

static void
test_xml_rules(void)
{
	static const char in[] =
	    "<?xml version='1.0' standalone='yes'?>\n"
	    "<!-- a comment --><?pi data?>"
	    "<r xmlns='urn:a' xmlns:b='urn:b' b:rsid='1' who='Canary'>"
	    "<drop><x>gone</x></drop><empty> <y/>gone</empty>"
	    "<empty>  </empty>"
	    "<name>Canary</name><name>Author</name>"
	    "<t a='&amp;&lt;&quot;&#10;&#9;&gt;'>&amp;&lt;&gt;&#13;"
	    "<![CDATA[<x>]]>\xc3\xa6</t><b:e/></r>";
	static const char want[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	    "<r xmlns=\"urn:a\" xmlns:b=\"urn:b\" who=\"Author\">"
	    "<empty/><empty/>"
	    "<name>Author</name><name>Author</name>"
	    "<t a=\"&amp;&lt;&quot;&#10;&#9;&gt;\">&amp;&lt;&gt;&#13;"
	    "&lt;x&gt;\xc3\xa6</t><b:e/></r>\n";
	static const size_t chunks[] = { 1, 2, 3, 7, 64, 100000 };

	for (size_t i = 0; i < OB_NELEM(chunks); i++) {
		struct ob_scrub_report rep = OB_SCRUB_REPORT_INIT;
		int rc;
		char *out = rewrite(in, chunks[i], &rep, &rc);

		CHECK_INT(rc, 0);
		CHECK_STR(out, want);
		CHECK(has_note(&rep, "removed: test data\n"));
		CHECK(has_note(&rep, "removed: test attribute\n"));
		CHECK(has_note(&rep, "removed: comments hidden"));
		CHECK(has_note(&rep, "removed: processing instructions"));
		free(out);
		ob_scrub_report_release(&rep);
	}
}

static void
test_xml_no_removal_no_note(void)
{
	struct ob_scrub_report rep = OB_SCRUB_REPORT_INIT;
	int rc;
	char *out = rewrite("<r who='Author'><name>Author</name><empty>\n"
			    "</empty></r>",
	    5, &rep, &rc);

	CHECK_INT(rc, 0);
	CHECK_STR(ob_buf_cstr(&rep.lines), "");
	free(out);
	/* The root stays, even when a rule would drop it. */
	out = rewrite("<drop><a/></drop>", 5, &rep, &rc);
	CHECK_STR(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<drop/>\n");
	free(out);
	ob_scrub_report_release(&rep);
}

static void
test_xml_refusals(void)
{
	static const struct {
		const char *xml;
		int rc;
		const char *why;
	} bad[] = {
		{ "<!DOCTYPE r [<!ENTITY a 'b'>]><r>&a;</r>", OB_EINVAL,
		    "document type" },
		{ "<!DOCTYPE r SYSTEM 'http://127.0.0.1:9/x.dtd'><r/>",
		    OB_EINVAL, "document type" },
		{ "<r>&undeclared;</r>", OB_EINVAL, "not well-formed" },
		{ "<r><a></r>", OB_EINVAL, "not well-formed" },
		{ "<p:r/>", OB_EINVAL, "not well-formed" },
		{ "", OB_EINVAL, "not well-formed" },
		{ "<r/><r/>", OB_EINVAL, "not well-formed" },
	};
	char deep[OB_XML_MAX_DEPTH * 7 + 16];
	struct ob_scrub_report rep = OB_SCRUB_REPORT_INIT;
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < OB_NELEM(bad); i++) {
		char *out = rewrite(bad[i].xml, 3, &rep, &rc);

		CHECK(out == NULL);
		CHECK_INT(rc, bad[i].rc);
		if (!has_note(&rep, bad[i].why))
			fprintf(stderr, "  %s: %s", bad[i].xml,
			    ob_buf_cstr(&rep.lines));
		CHECK(has_note(&rep, bad[i].why));
		ob_scrub_report_release(&rep);
	}
	for (int i = 0; i <= OB_XML_MAX_DEPTH; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "<a>");
	CHECK(rewrite(deep, 4096, &rep, &rc) == NULL);
	CHECK_INT(rc, OB_ETOOBIG);
	CHECK(has_note(&rep, "nested too deeply"));
	ob_scrub_report_release(&rep);
}

static void
test_sniff(void)
{
	unsigned char head[128];
	static const char mt[] = "application/vnd.oasis.opendocument.text";

	memset(head, 0, sizeof(head));
	memcpy(head, "PK\3\4", 4);
	head[26] = 19;
	memcpy(head + 30, "[Content_Types].xml", 19);
	CHECK(ob_sniff_ooxml(head, sizeof(head)));
	CHECK(!ob_sniff_odf(head, sizeof(head)));
	CHECK(!ob_sniff_ooxml(head, 40));
	memset(head + 26, 0, sizeof(head) - 26);
	head[26] = 8;
	head[28] = 2; /* an extra field of 2 bytes before the data */
	memcpy(head + 30, "mimetype", 8);
	memcpy(head + 40, mt, sizeof(mt) - 1);
	CHECK(ob_sniff_odf(head, sizeof(head)));
	CHECK(!ob_sniff_ooxml(head, sizeof(head)));
	CHECK(!ob_sniff_odf(head, 60));
	head[8] = 8; /* deflated: not an ODF package */
	CHECK(!ob_sniff_odf(head, sizeof(head)));
	CHECK(!ob_sniff_odf((const unsigned char *)"PK", 2));
}

int
main(void)
{
	test_zip_round_trip();
	test_zip_refusals();
	test_zip_writer_refusals();
	test_xml_rules();
	test_xml_no_removal_no_note();
	test_xml_refusals();
	test_sniff();
	return CHECK_DONE();
}
