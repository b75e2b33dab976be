/*
 * fuzz_scrub_office_xml.c - the OOXML and ODF rules on any XML.  The
 * first byte picks a part, the rest becomes that part of a small valid
 * package (written with lib/scrub/zip.h), which then goes through the
 * scrubber like any upload (scrub_harness.h).  Mutating a zip directly
 * mostly breaks its CRC; this way the mutations reach the XML rewriter
 * and the rules.
 */
#include <stdbool.h>
#include <string.h>

#include "lib/scrub/sio.h"
#include "lib/scrub/zip.h"
#include "test/fuzz/scrub_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char *name;
	bool odf;
} parts[] = {
	{ "word/document.xml", false },
	{ "[Content_Types].xml", false },
	{ "_rels/.rels", false },
	{ "word/_rels/document.xml.rels", false },
	{ "docProps/core.xml", false },
	{ "docProps/app.xml", false },
	{ "xl/persons/person.xml", false },
	{ "word/settings.xml", false },
	{ "content.xml", true },
	{ "META-INF/manifest.xml", true },
	{ "meta.xml", true },
	{ "settings.xml", true },
};

static const char types[] =
    "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/"
    "content-types\"><Override PartName=\"/docProps/custom.xml\" "
    "ContentType=\"x\"/></Types>";
static const char manifest[] =
    "<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:"
    "xmlns:manifest:1.0\"><manifest:file-entry manifest:full-path=\"/\" "
    "manifest:media-type=\"application/vnd.oasis.opendocument.text\"/>"
    "</manifest:manifest>";
static const char mimetype[] = "application/vnd.oasis.opendocument.text";

static bool
add(struct ob_zipw *w, const char *name, const void *p, size_t n, bool store)
{
	return ob_zipw_begin(w, name, store) == 0 &&
	    ob_zipw_write(w, p, n) == 0 && ob_zipw_end(w) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ob_scrub_limits lim = ob_scrub_default_limits;
	struct ob_scrub_report rep = OB_SCRUB_REPORT_INIT;
	struct ob_zipw *w = NULL;
	int fd = memfd_create("pkg", MFD_CLOEXEC);
	const char *name;
	uint8_t *pkg = NULL;
	bool odf, ok;
	size_t got;
	off_t len;

	if (fd < 0)
		abort();
	if (size < 1 || size > 65536)
		goto out;
	name = parts[data[0] % OB_NELEM(parts)].name;
	odf = parts[data[0] % OB_NELEM(parts)].odf;
	data++;
	size--;
	if (ob_zipw_open(&w, fd, &lim, &rep) != 0)
		abort();
	if (odf)
		ok = add(w, "mimetype", mimetype, strlen(mimetype), true) &&
		    (strcmp(name, "META-INF/manifest.xml") == 0 ||
			add(w, "META-INF/manifest.xml", manifest,
			    strlen(manifest), false)) &&
		    add(w, "layout-cache", "x", 1, false);
	else
		ok = (strcmp(name, "[Content_Types].xml") == 0 ||
			 add(w, "[Content_Types].xml", types, strlen(types),
			     false)) &&
		    add(w, "docProps/custom.xml", "<x/>", 4, false) &&
		    add(w, "customXml/item1.xml", "<x/>", 4, false);
	if (!ok || !add(w, name, data, size, false) || ob_zipw_finish(w) != 0)
		abort();
	if ((len = lseek(fd, 0, SEEK_END)) <= 0)
		abort();
	pkg = malloc((size_t)len);
	if (pkg == NULL ||
	    ob_sio_pread_full(fd, pkg, (size_t)len, 0, &got) != 0 ||
	    got != (size_t)len)
		abort();
	harness_run(odf ? ob_scrub_odf : ob_scrub_ooxml, pkg, got);
out:
	free(pkg);
	ob_zipw_free(w);
	ob_scrub_report_release(&rep);
	close(fd);
	return 0;
}
