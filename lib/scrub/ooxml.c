/*
 * OOXML (docx, xlsx, pptx): what identifies the people who wrote,
 * edited, commented on or printed a document, taken out of its parts
 * (issue 7).  The package walk is lib/scrub/office.c; this file is the
 * rules.
 *
 * Left out:  docProps/custom.xml (user-defined properties), customXml/
 *   (data stores: cover page properties, SharePoint fields), printer
 *   settings, word/people.xml (comment authors' accounts), digital
 *   signatures (the signer's certificate), a shared workbook's revision
 *   log, [trash]/; and their relationships and content types.
 * Emptied:   docProps/core.xml and docProps/app.xml keep only their root
 *   element (authors, dates, company, manager, template, editing time,
 *   revision count, software).
 * Rewritten: authors of comments and tracked changes become "Author"
 *   (the changes themselves are content and stay), initials "A" where
 *   the schema needs them and none elsewhere; their dates go (or become
 *   1980-01-01 where the schema needs one); revision session ids
 *   (w:rsid*, w:rsids), document ids, document variables, the attached
 *   template's path, editing-protection password hashes, the workbook's
 *   folder (x15ac:absPath), who refreshed a pivot table and when, the
 *   user names of permission ranges.
 * Kept: everything else, including hyperlinks; links to other files
 *   are reported as not checked.
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "lib/scrub/office.h"

#define AUTHOR "Author"
#define INITIALS "A"
#define FIXED_DATE "1980-01-01T00:00:00Z"

/* Which part the rules are working on. */
enum part {
	PART_OTHER,
	PART_TYPES, /* [Content_Types].xml */
	PART_RELS,
	PART_CORE,
	PART_APP,
};

/* Namespaces the rules look at, transitional and strict alike. */
enum ns {
	NS_OTHER,
	NS_W, /* wordprocessingml main */
	NS_W_EXT, /* Word's 2010+ extensions (w14, w15, w16*) */
	NS_X, /* spreadsheetml main */
	NS_X_EXT,
	NS_P, /* presentationml main */
	NS_P_EXT,
	NS_R, /* relationships, as attributes */
	NS_PKG, /* package content types and relationships */
};

static enum ns
ns_of(const char *uri)
{
	static const struct {
		const char *uri;
		enum ns ns;
	} tab[] = {
		{ "http://schemas.openxmlformats.org/wordprocessingml/2006/"
		  "main",
		    NS_W },
		{ "http://purl.oclc.org/ooxml/wordprocessingml/main", NS_W },
		{ "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
		    NS_X },
		{ "http://purl.oclc.org/ooxml/spreadsheetml/main", NS_X },
		{ "http://schemas.openxmlformats.org/presentationml/2006/main",
		    NS_P },
		{ "http://purl.oclc.org/ooxml/presentationml/main", NS_P },
		{ "http://schemas.openxmlformats.org/officeDocument/2006/"
		  "relationships",
		    NS_R },
		{ "http://purl.oclc.org/ooxml/officeDocument/relationships",
		    NS_R },
		{ "http://schemas.openxmlformats.org/package/2006/"
		  "content-types",
		    NS_PKG },
		{ "http://schemas.openxmlformats.org/package/2006/"
		  "relationships",
		    NS_PKG },
	};

	for (size_t i = 0; i < OB_NELEM(tab); i++)
		if (strcmp(uri, tab[i].uri) == 0)
			return tab[i].ns;
	if (strncmp(uri, "http://schemas.microsoft.com/office/word/", 40) == 0)
		return NS_W_EXT;
	if (strncmp(uri, "http://schemas.microsoft.com/office/spreadsheetml/",
		50) == 0)
		return NS_X_EXT;
	if (strncmp(uri, "http://schemas.microsoft.com/office/powerpoint/",
		47) == 0)
		return NS_P_EXT;
	return NS_OTHER;
}

static bool
is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static bool
ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static bool
has_dir(const char *name, const char *dir)
{
	size_t k = strlen(dir);

	for (const char *c = name; (c = strcasestr(c, dir)) != NULL; c++)
		if ((c == name || c[-1] == '/') && c[k] == '/')
			return true;
	return false;
}

static enum ob_office_kind
classify(const char *name, const char **note)
{
	const char *dot = strrchr(name, '.');

	if (strcasecmp(name, "docProps/custom.xml") == 0) {
		*note = "user-defined document properties";
		return OB_OFFICE_DROP;
	}
	if (strncasecmp(name, "customXml/", 10) == 0) {
		*note = "custom XML data stores (they may hold document "
			"properties)";
		return OB_OFFICE_DROP;
	}
	if (has_dir(name, "printerSettings")) {
		*note = "printer settings";
		return OB_OFFICE_DROP;
	}
	if (strcasecmp(name, "word/people.xml") == 0) {
		*note = "names and accounts of comment authors";
		return OB_OFFICE_DROP;
	}
	if (strncasecmp(name, "_xmlsignatures/", 15) == 0) {
		*note = "digital signatures (they name the signer)";
		return OB_OFFICE_DROP;
	}
	if (strncasecmp(name, "xl/revisions/", 13) == 0) {
		*note = "revision history of a shared workbook";
		return OB_OFFICE_DROP;
	}
	if (strncasecmp(name, "[trash]/", 8) == 0) {
		*note = "deleted data kept in the file";
		return OB_OFFICE_DROP;
	}
	if (dot != NULL &&
	    (strcasecmp(dot, ".xml") == 0 || strcasecmp(dot, ".rels") == 0 ||
		strcasecmp(dot, ".vml") == 0))
		return OB_OFFICE_XML;
	return OB_OFFICE_EMBED;
}

static enum ob_xml_do
types_element(struct ob_office_part *p, const struct ob_xml_tag *t)
{
	const char *v;
	size_t n;

	if (t->depth == 2 && is(t->name, "Override") &&
	    (v = ob_xml_attr(t, "PartName", &n)) != NULL && n > 1 &&
	    v[0] == '/' && ob_office_dropped(p->pkg, v + 1, n - 1))
		return OB_XML_DROP;
	return OB_XML_KEEP;
}

#define SEEN_EXTERNAL 1u

static enum ob_xml_do
rels_element(
    struct ob_office_part *p, const struct ob_xml_tag *t, const char **note)
{
	const char *type, *target, *mode;
	size_t tn = 0, gn = 0, mn = 0;

	if (t->depth != 2 || !is(t->name, "Relationship"))
		return OB_XML_KEEP;
	type = ob_xml_attr(t, "Type", &tn);
	target = ob_xml_attr(t, "Target", &gn);
	mode = ob_xml_attr(t, "TargetMode", &mn);
	if (type != NULL && ends_with(type, tn, "/attachedTemplate")) {
		*note = "the path of the template the document was made from";
		return OB_XML_DROP;
	}
	if (mode != NULL && ob_office_eq(mode, mn, "External")) {
		if (!(type != NULL && ends_with(type, tn, "/hyperlink")) &&
		    !(p->seen & SEEN_EXTERNAL)) {
			p->seen |= SEEN_EXTERNAL;
			ob_scrub_note(p->rep, "not-checked",
			    "links to files outside the document");
		}
		return OB_XML_KEEP;
	}
	if (target != NULL && ob_office_target_dropped(p, target, gn))
		return OB_XML_DROP;
	return OB_XML_KEEP;
}

static enum ob_xml_do
element(
    void *ctx, const struct ob_xml_tag *t, const char **text, const char **note)
{
	struct ob_office_part *p = ctx;
	enum ns ns = ns_of(t->uri);

	switch (p->what) {
	case PART_TYPES:
		return types_element(p, t);
	case PART_RELS:
		return rels_element(p, t, note);
	case PART_CORE:
		*note = "document properties (author, last modified by, dates, "
			"revision, title, subject, keywords)";
		return t->depth == 1 ? OB_XML_EMPTY : OB_XML_KEEP;
	case PART_APP:
		*note = "application properties (company, manager, template, "
			"editing time, software)";
		return t->depth == 1 ? OB_XML_EMPTY : OB_XML_KEEP;
	default:
		break;
	}
	if (ns == NS_W) {
		if (strncmp(t->name, "rsid", 4) == 0) {
			*note = "revision session ids";
			return OB_XML_DROP;
		}
		if (is(t->name, "attachedTemplate")) {
			*note = "the path of the template the document was "
				"made from";
			return OB_XML_DROP;
		}
		if (is(t->name, "docVars")) {
			*note = "document variables";
			return OB_XML_DROP;
		}
		if (is(t->name, "printerSettings")) {
			*note = "printer settings";
			return OB_XML_DROP;
		}
	}
	if ((ns == NS_W &&
		(is(t->name, "documentProtection") ||
		    is(t->name, "writeProtection"))) ||
	    (ns == NS_X &&
		(is(t->name, "sheetProtection") ||
		    is(t->name, "workbookProtection") ||
		    is(t->name, "fileSharing") ||
		    is(t->name, "protectedRange"))) ||
	    (ns == NS_P && is(t->name, "modifyVerifier"))) {
		*note = "editing protection with password hashes or user names";
		return OB_XML_DROP;
	}
	if (ns == NS_W_EXT && is(t->name, "docId")) {
		*note = "document ids";
		return OB_XML_DROP;
	}
	if (ns == NS_X_EXT &&
	    (is(t->name, "absPath") || is(t->name, "revisionPtr"))) {
		*note =
		    "the folder the workbook was saved in, and revision ids";
		return OB_XML_DROP;
	}
	if (ns == NS_X && is(t->name, "author") && is(t->pname, "authors")) {
		*text = AUTHOR;
		*note = "names of comment authors";
		return OB_XML_TEXT;
	}
	return OB_XML_KEEP;
}

static enum ob_xml_do
attribute(void *ctx, const struct ob_xml_tag *t, const char *uri,
    const char *name, const char *value, size_t vlen, const char **text,
    const char **note)
{
	struct ob_office_part *p = ctx;
	enum ns ans = ns_of(uri), ens = ns_of(t->uri);

	(void)value;
	(void)vlen;
	if (p->what != PART_OTHER)
		return OB_XML_KEEP;
	if (ans == NS_W || ans == NS_W_EXT) {
		if (strncmp(name, "rsid", 4) == 0) {
			*note = "revision session ids";
			return OB_XML_DROP;
		}
		if (is(name, "author")) {
			*text = AUTHOR;
			*note = "authors of comments and tracked changes";
			return OB_XML_TEXT;
		}
		if (is(name, "initials")) {
			*note = "initials of comment authors";
			return OB_XML_DROP;
		}
		if (is(name, "date") || is(name, "dateUtc")) {
			*note = "dates of comments and tracked changes";
			return OB_XML_DROP;
		}
		if (is(name, "ed") && is(t->name, "permStart")) {
			*note = "user names of editing permissions";
			return OB_XML_DROP;
		}
		return OB_XML_KEEP;
	}
	if (ans == NS_R && is(name, "id") && ens == NS_X &&
	    is(t->name, "pageSetup")) {
		/* Its only use: the printer settings part, left out. */
		*note = "printer settings";
		return OB_XML_DROP;
	}
	if (uri[0] != '\0')
		return OB_XML_KEEP;
	/* Unqualified attributes: by their element. */
	if (ens == NS_X_EXT && is(t->name, "threadedComment") &&
	    is(name, "dT")) {
		*note = "dates of comments";
		return OB_XML_DROP;
	}
	if (ens == NS_X_EXT && is(t->name, "person")) {
		if (is(name, "displayName")) {
			*text = AUTHOR;
			*note = "names of comment authors";
			return OB_XML_TEXT;
		}
		if (is(name, "userId") || is(name, "providerId")) {
			*note = "accounts of comment authors";
			return OB_XML_DROP;
		}
	}
	if (ens == NS_X && is(t->name, "pivotCacheDefinition") &&
	    (is(name, "refreshedBy") || is(name, "refreshedDate") ||
		is(name, "refreshedDateIso"))) {
		*note = "who refreshed a pivot table, and when";
		return OB_XML_DROP;
	}
	if (ens == NS_P && is(t->name, "cmAuthor")) {
		if (is(name, "name") || is(name, "initials")) {
			*text = is(name, "name") ? AUTHOR : INITIALS;
			*note = "names of comment authors";
			return OB_XML_TEXT;
		}
	}
	if (ens == NS_P && is(t->name, "cm") && is(name, "dt")) {
		*note = "dates of comments";
		return OB_XML_DROP;
	}
	if (ens == NS_P_EXT && is(t->name, "author")) {
		/* Modern comments: all four are required. */
		*note = "names and accounts of comment authors";
		if (is(name, "name") || is(name, "userId")) {
			*text = AUTHOR;
			return OB_XML_TEXT;
		}
		if (is(name, "initials")) {
			*text = INITIALS;
			return OB_XML_TEXT;
		}
		if (is(name, "providerId")) {
			*text = "None";
			return OB_XML_TEXT;
		}
	}
	if (ens == NS_P_EXT && (is(t->name, "cm") || is(t->name, "reply")) &&
	    is(name, "created")) {
		*text = FIXED_DATE;
		*note = "dates of comments";
		return OB_XML_TEXT;
	}
	return OB_XML_KEEP;
}

static void
setup(struct ob_office_part *p)
{
	const char *dot = strrchr(p->name, '.');

	if (strcasecmp(p->name, "[Content_Types].xml") == 0)
		p->what = PART_TYPES;
	else if (dot != NULL && strcasecmp(dot, ".rels") == 0)
		p->what = PART_RELS;
	else if (strcasecmp(p->name, "docProps/core.xml") == 0)
		p->what = PART_CORE;
	else if (strcasecmp(p->name, "docProps/app.xml") == 0)
		p->what = PART_APP;
	else
		p->what = PART_OTHER;
	p->rules.element = element;
	p->rules.attribute = attribute;
	p->rules.ctx = p;
}

static const char *const first[] = { "[Content_Types].xml", NULL };

static const struct ob_office_family ooxml = {
	.first = first,
	.required = first,
	.classify = classify,
	.setup = setup,
	.store_ok = NULL,
};

int
ob_scrub_ooxml(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep)
{
	return ob_office_scrub(in, out, lim, rep, &ooxml);
}

bool
ob_sniff_ooxml(const unsigned char *head, size_t n)
{
	static const char *const names[] = { "[Content_Types].xml",
		"_rels/.rels", "docProps/app.xml", "docProps/core.xml" };

	for (size_t i = 0; i < OB_NELEM(names); i++)
		if (ob_office_first_member(head, n, names[i], strlen(names[i])))
			return true;
	return false;
}
