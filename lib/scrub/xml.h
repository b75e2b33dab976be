/*
 * xml.h - rewriting one XML part of an office document as it streams
 * by, dropping or replacing what a rule table says (libxml2's SAX2 push
 * parser in, our own serialiser out), for lib/scrub/office.c.
 *
 * Hostile XML: no DTD is ever loaded, no entity is ever substituted and
 * nothing is fetched (XML_PARSE_NONET); a part with a DOCTYPE at all is
 * refused before its internal subset is read (office parts never have
 * one, and that is where billion laughs and XXE live); nesting deeper
 * than OB_XML_MAX_DEPTH is refused; libxml2's own caps on names, text
 * and lookahead stay on (no XML_PARSE_HUGE).  Memory does not grow with
 * the part: only the parser's window and one open element are held.
 *
 * The output is UTF-8 XML with the same elements, attributes, namespace
 * declarations and text, except what the rules took out.  Comments and
 * processing instructions are dropped (nothing an office program needs,
 * and a place to hide a name).
 */
#ifndef OB_SCRUB_XML_H
#define OB_SCRUB_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/scrub/scrub.h"

#define OB_XML_MAX_DEPTH 200

/* An element as the rules see it: names in their namespaces. */
struct ob_xml_tag {
	const char *uri; /* namespace URI, "" for none */
	const char *name; /* local name */
	const char *puri, *pname; /* the parent's, "" at the root */
	unsigned depth; /* 1 for the root element */
	int nattr;
	const unsigned char **attrs; /* libxml2's (local, prefix, URI,
					value, end) tuples */
};

enum ob_xml_do {
	OB_XML_KEEP,
	OB_XML_DROP, /* the element and all it holds; the attribute */
	OB_XML_EMPTY, /* the element stays, what it holds goes */
	OB_XML_TEXT, /* the element (attribute) holds only *text now */
};

/*
 * The rules of one part.  element is asked for each element (not inside
 * a dropped or emptied one), attribute for each attribute of an element
 * kept.  When the answer takes something out, *note (set by the rule)
 * names the kind of data for a "removed" note, given once per part and
 * only when something was really taken out (replacing a value by the
 * same value is not a removal).
 */
struct ob_xml_rules {
	enum ob_xml_do (*element)(void *ctx, const struct ob_xml_tag *t,
	    const char **text, const char **note);
	enum ob_xml_do (*attribute)(void *ctx, const struct ob_xml_tag *t,
	    const char *uri, const char *name, const char *value, size_t vlen,
	    const char **text, const char **note);
	void *ctx;
};

/* Value of the attribute of local name `name` (any namespace) of t, or
 * NULL; *len is its length (values are not NUL-terminated). */
const char *ob_xml_attr(
    const struct ob_xml_tag *t, const char *name, size_t *len);

struct ob_xml;

/*
 * Starts rewriting a part: what comes out goes to out(outctx, ...).
 * Feed the part's bytes in any chunks, then ob_xml_end, which returns
 * 0 or why the part was refused (OB_EINVAL: not well-formed, a DOCTYPE;
 * OB_ETOOBIG: nesting; or the first error out returned), with a
 * "refused" note in rep.  ob_xml_free frees after either.
 */
struct ob_xml *ob_xml_new(const struct ob_xml_rules *rules,
    int (*out)(void *outctx, const void *p, size_t n), void *outctx,
    struct ob_scrub_report *rep);
int ob_xml_feed(struct ob_xml *x, const void *p, size_t n) OB_MUST_CHECK;
int ob_xml_end(struct ob_xml *x) OB_MUST_CHECK;
void ob_xml_free(struct ob_xml *x);

/* ob_xml_feed as an ob_zip_sink. */
int ob_xml_sink(void *ctx, const void *p, size_t n) OB_MUST_CHECK;

#endif
