/*
 * ODF (odt, ods, odp and the rest of OpenDocument): what identifies the
 * people who wrote, edited, commented on or printed a document, taken
 * out of its parts (issue 7).  The package walk is lib/scrub/office.c;
 * this file is the rules.
 *
 * Left out:  digital signatures (META-INF/...signatures.xml: the signer's
 *   certificate), Configurations2/ (the user's interface settings), the
 *   binary layout-cache; and their manifest entries.
 * Emptied:   office:meta in every meta.xml (author, initial creator,
 *   dates, editing time and cycles, printed by, user-defined fields,
 *   template, generator).
 * Rewritten: comment (office:annotation) and tracked-change
 *   (office:change-info) authors become "Author", their initials go,
 *   comment dates go and tracked-change dates (required) become
 *   1980-01-01; revision session ids (officeooo:rsid,
 *   officeooo:paragraph-rsid, the Rsid settings); the printer's name
 *   and setup in settings.xml; fields that show the author, the sender
 *   (filled from the user's profile), who printed and when.
 * Refused:   encrypted (password-protected) documents, OB_EUNSUPP.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "lib/scrub/office.h"

#define AUTHOR "Author"
#define FIXED_DATE "1980-01-01T00:00:00"
#define MIME_PREFIX "application/vnd.oasis.opendocument."

#define NS_OFFICE "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define NS_META "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
#define NS_CONFIG "urn:oasis:names:tc:opendocument:xmlns:config:1.0"
#define NS_TEXT "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define NS_MANIFEST "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
#define NS_DC "http://purl.org/dc/elements/1.1/"
#define NS_OOO "http://openoffice.org/2009/office"
#define NS_LOEXT                                                               \
	"urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0"

enum part {
	PART_OTHER,
	PART_MANIFEST,
	PART_META,
	PART_SETTINGS,
};

static bool
is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static const char *
base_name(const char *name)
{
	const char *s = strrchr(name, '/');

	return s ? s + 1 : name;
}

static enum ob_office_kind
classify(const char *name, const char **note)
{
	const char *dot = strrchr(name, '.');

	if (strcmp(name, "mimetype") == 0)
		return OB_OFFICE_STORE;
	if (strncasecmp(name, "META-INF/", 9) == 0 &&
	    strcasestr(name + 9, "signatures") != NULL) {
		*note = "digital signatures (they name the signer)";
		return OB_OFFICE_DROP;
	}
	if (strncasecmp(name, "Configurations2/", 16) == 0) {
		*note = "user interface settings";
		return OB_OFFICE_DROP;
	}
	if (strcasecmp(name, "layout-cache") == 0) {
		*note = "a layout cache (binary data no cleaner knows)";
		return OB_OFFICE_DROP;
	}
	if (dot != NULL &&
	    (strcasecmp(dot, ".xml") == 0 || strcasecmp(dot, ".rdf") == 0))
		return OB_OFFICE_XML;
	return OB_OFFICE_EMBED;
}

static enum ob_xml_do
manifest_element(struct ob_office_part *p, const struct ob_xml_tag *t)
{
	char path[1025];
	const char *v, *note = NULL;
	size_t n;

	if (!is(t->uri, NS_MANIFEST))
		return OB_XML_KEEP;
	if (is(t->name, "encryption-data") && p->err == 0) {
		ob_scrub_note(p->rep, "refused",
		    "a password-protected document (its parts are "
		    "encrypted)");
		p->err = OB_EUNSUPP;
	}
	if (!is(t->name, "file-entry") ||
	    (v = ob_xml_attr(t, "full-path", &n)) == NULL || n >= sizeof(path))
		return OB_XML_KEEP;
	memcpy(path, v, n);
	path[n] = '\0';
	/* By the same rules as the members themselves: folders too. */
	if (classify(path, &note) == OB_OFFICE_DROP ||
	    ob_office_dropped(p->pkg, v, n))
		return OB_XML_DROP;
	return OB_XML_KEEP;
}

static enum ob_xml_do
settings_element(const struct ob_xml_tag *t, const char **note)
{
	static const char *const printer[] = { "PrinterName", "PrinterSetup",
		"PrinterPaperFromSetup" };
	static const char *const rsid[] = { "Rsid", "RsidRoot" };
	const char *v;
	size_t n;

	if (!is(t->uri, NS_CONFIG) || !is(t->name, "config-item") ||
	    (v = ob_xml_attr(t, "name", &n)) == NULL)
		return OB_XML_KEEP;
	for (size_t i = 0; i < OB_NELEM(printer); i++)
		if (ob_office_eq(v, n, printer[i])) {
			*note = "printer settings";
			return OB_XML_DROP;
		}
	for (size_t i = 0; i < OB_NELEM(rsid); i++)
		if (ob_office_eq(v, n, rsid[i])) {
			*note = "revision session ids";
			return OB_XML_DROP;
		}
	return OB_XML_KEEP;
}

/* Fields whose shown text is the document's metadata. */
static bool
meta_field(const char *name)
{
	static const char *const f[] = { "creation-date", "creation-time",
		"modification-date", "modification-time", "print-date",
		"print-time", "printed-by", "editing-duration",
		"editing-cycles" };

	for (size_t i = 0; i < OB_NELEM(f); i++)
		if (is(name, f[i]))
			return true;
	return false;
}

static enum ob_xml_do
element(
    void *ctx, const struct ob_xml_tag *t, const char **text, const char **note)
{
	struct ob_office_part *p = ctx;

	switch (p->what) {
	case PART_MANIFEST:
		return manifest_element(p, t);
	case PART_META:
		*note = "document properties (author, dates, editing time, "
			"revision, user-defined fields, template, software)";
		return is(t->uri, NS_OFFICE) && is(t->name, "meta")
		    ? OB_XML_EMPTY
		    : OB_XML_KEEP;
	case PART_SETTINGS:
		return settings_element(t, note);
	default:
		break;
	}
	if (is(t->uri, NS_DC) && is(t->name, "creator")) {
		*text = AUTHOR;
		*note = "authors of comments and tracked changes";
		return OB_XML_TEXT;
	}
	if (is(t->uri, NS_DC) && is(t->name, "date")) {
		*note = "dates of comments and tracked changes";
		if (is(t->puri, NS_OFFICE) && is(t->pname, "change-info")) {
			*text = FIXED_DATE;
			return OB_XML_TEXT;
		}
		return OB_XML_DROP;
	}
	if ((is(t->uri, NS_META) &&
		(is(t->name, "creator-initials") ||
		    is(t->name, "date-string"))) ||
	    (is(t->uri, NS_LOEXT) && is(t->name, "sender-initials"))) {
		*note = "initials and dates of comment authors";
		return OB_XML_DROP;
	}
	if (is(t->uri, NS_TEXT)) {
		if (is(t->name, "author-name") || is(t->name, "creator") ||
		    is(t->name, "initial-creator")) {
			*text = AUTHOR;
			*note = "fields that show the author's name";
			return OB_XML_TEXT;
		}
		if (is(t->name, "author-initials")) {
			*text = "A";
			*note = "fields that show the author's name";
			return OB_XML_TEXT;
		}
		if (strncmp(t->name, "sender-", 7) == 0) {
			*note = "sender fields (from the user's profile)";
			return OB_XML_EMPTY;
		}
		if (meta_field(t->name)) {
			*note = "fields that show dates and who printed";
			return OB_XML_EMPTY;
		}
	}
	return OB_XML_KEEP;
}

static enum ob_xml_do
attribute(void *ctx, const struct ob_xml_tag *t, const char *uri,
    const char *name, const char *value, size_t vlen, const char **text,
    const char **note)
{
	struct ob_office_part *p = ctx;

	(void)value;
	(void)vlen;
	(void)text;
	if (p->what == PART_MANIFEST)
		return OB_XML_KEEP;
	if (is(uri, NS_OOO) &&
	    (is(name, "rsid") || is(name, "paragraph-rsid"))) {
		*note = "revision session ids";
		return OB_XML_DROP;
	}
	if (is(uri, NS_TEXT) && is(t->uri, NS_TEXT) && meta_field(t->name) &&
	    (is(name, "date-value") || is(name, "time-value") ||
		is(name, "duration"))) {
		*note = "fields that show dates and who printed";
		return OB_XML_DROP;
	}
	return OB_XML_KEEP;
}

static void
setup(struct ob_office_part *p)
{
	const char *b = base_name(p->name);

	if (strcmp(p->name, "META-INF/manifest.xml") == 0)
		p->what = PART_MANIFEST;
	else if (strcmp(b, "meta.xml") == 0)
		p->what = PART_META;
	else if (strcmp(b, "settings.xml") == 0)
		p->what = PART_SETTINGS;
	else
		p->what = PART_OTHER;
	p->rules.element = element;
	p->rules.attribute = attribute;
	p->rules.ctx = p;
}

static bool
mimetype_ok(const unsigned char *s, size_t n)
{
	size_t k = strlen(MIME_PREFIX);

	if (n <= k || n > 100 || memcmp(s, MIME_PREFIX, k) != 0)
		return false;
	for (size_t i = k; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-' ||
			s[i] == '.' || s[i] == '+'))
			return false;
	return true;
}

static const char *const first[] = { "mimetype", "META-INF/manifest.xml",
	NULL };

static const struct ob_office_family odf = {
	.first = first,
	.required = first,
	.classify = classify,
	.setup = setup,
	.store_ok = mimetype_ok,
};

int
ob_scrub_odf(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep)
{
	return ob_office_scrub(in, out, lim, rep, &odf);
}

bool
ob_sniff_odf(const unsigned char *head, size_t n)
{
	size_t at, k = strlen(MIME_PREFIX);

	/* A stored first member "mimetype" holding an ODF type. */
	if (!ob_office_first_member(head, n, "mimetype", 8) || head[8] != 0 ||
	    head[9] != 0)
		return false;
	at = 30 + 8 + (size_t)(head[28] | head[29] << 8);
	return n >= at + k && memcmp(head + at, MIME_PREFIX, k) == 0;
}
