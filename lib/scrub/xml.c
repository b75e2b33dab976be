/*
 * Streaming XML rewriting with rules (lib/scrub/xml.h): libxml2's SAX2
 * push parser reads, the callbacks here write.  No tree is built, so a
 * 100 MB spreadsheet part costs what a 1 KB one does.
 */
#include "lib/scrub/xml.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <string.h>

#include "lib/util.h"

#define OUTBUF 16384
#define MAX_NOTED 16

struct frame {
	const char *uri;
	const char *name;
};

struct ob_xml {
	xmlParserCtxtPtr ctxt;
	xmlSAXHandler sax;
	const struct ob_xml_rules *rules;
	int (*out)(void *outctx, const void *p, size_t n);
	void *outctx;
	struct ob_scrub_report *rep;
	int err;
	unsigned depth;
	unsigned drop_at; /* depth of a dropped element, or 0 */
	unsigned hold_at; /* depth of an emptied or replaced one, or 0 */
	const char *hold_text;
	const char *hold_note;
	size_t hold_match;
	bool hold_differs;
	bool open_tag; /* a start tag is written but not its '>' */
	const char *noted[MAX_NOTED];
	unsigned nnoted;
	struct frame stack[OB_XML_MAX_DEPTH + 1];
	size_t blen;
	char buf[OUTBUF];
};

static void
fail(struct ob_xml *x, int rc, const char *why)
{
	if (x->err != 0)
		return;
	x->err = rc;
	if (why != NULL)
		ob_scrub_note(x->rep, "refused", "%s", why);
	xmlStopParser(x->ctxt);
}

static void
note(struct ob_xml *x, const char *what)
{
	if (what == NULL)
		return;
	for (unsigned i = 0; i < x->nnoted; i++)
		if (x->noted[i] == what)
			return;
	if (x->nnoted < MAX_NOTED)
		x->noted[x->nnoted++] = what;
	ob_scrub_note(x->rep, "removed", "%s", what);
}

static void
flush(struct ob_xml *x)
{
	int rc;

	if (x->blen == 0 || x->err != 0)
		return;
	if ((rc = x->out(x->outctx, x->buf, x->blen)) != 0)
		fail(x, rc, NULL);
	x->blen = 0;
}

static void
put(struct ob_xml *x, const char *p, size_t n)
{
	while (n > 0 && x->err == 0) {
		size_t room = sizeof(x->buf) - x->blen;
		size_t k = n < room ? n : room;

		memcpy(x->buf + x->blen, p, k);
		x->blen += k;
		p += k;
		n -= k;
		if (x->blen == sizeof(x->buf))
			flush(x);
	}
}

static void
puts_(struct ob_xml *x, const char *s)
{
	put(x, s, strlen(s));
}

/* Text and attribute values, escaped for where they go. */
static void
escaped(struct ob_xml *x, const char *p, size_t n, bool attr)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		const char *rep = NULL;
		size_t skip = 0;

		switch (p[i]) {
		case '&':
			/* libxml2 hands an attribute's '&' on as "&#38;"
			 * when it substitutes no entities: one character. */
			if (attr && n - i >= 5 &&
			    memcmp(p + i, "&#38;", 5) == 0)
				skip = 4;
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = attr ? "&quot;" : NULL;
			break;
		case '\t':
			rep = attr ? "&#9;" : NULL;
			break;
		case '\n':
			rep = attr ? "&#10;" : NULL;
			break;
		case '\r':
			rep = "&#13;";
			break;
		default:
			break;
		}
		if (rep == NULL)
			continue;
		put(x, p + start, i - start);
		puts_(x, rep);
		i += skip;
		start = i + 1;
	}
	put(x, p + start, n - start);
}

static void
close_tag(struct ob_xml *x)
{
	if (x->open_tag) {
		put(x, ">", 1);
		x->open_tag = false;
	}
}

static void
qname(struct ob_xml *x, const xmlChar *prefix, const xmlChar *local)
{
	if (prefix != NULL) {
		puts_(x, (const char *)prefix);
		put(x, ":", 1);
	}
	puts_(x, (const char *)local);
}

const char *
ob_xml_attr(const struct ob_xml_tag *t, const char *name, size_t *len)
{
	for (int i = 0; i < t->nattr; i++) {
		const unsigned char **a = t->attrs + 5 * i;

		if (strcmp((const char *)a[0], name) == 0) {
			*len = (size_t)(a[4] - a[3]);
			return (const char *)a[3];
		}
	}
	return NULL;
}

static void
on_start_document(void *ctx)
{
	struct ob_xml *x = ctx;

	puts_(x,
	    x->ctxt->standalone == 1
		? "<?xml version=\"1.0\" encoding=\"UTF-8\" "
		  "standalone=\"yes\"?>\n"
		: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
}

static void
on_start(void *ctx, const xmlChar *local, const xmlChar *prefix,
    const xmlChar *uri, int nns, const xmlChar **ns, int nattr, int ndef,
    const xmlChar **attrs)
{
	struct ob_xml *x = ctx;
	const struct ob_xml_rules *r = x->rules;
	struct ob_xml_tag t;
	enum ob_xml_do act;
	const char *text = NULL, *why = NULL;

	if (x->err != 0)
		return;
	if (x->depth >= OB_XML_MAX_DEPTH) {
		fail(x, OB_ETOOBIG, "XML nested too deeply in the document");
		return;
	}
	x->depth++;
	x->stack[x->depth].uri = uri ? (const char *)uri : "";
	x->stack[x->depth].name = (const char *)local;
	if (x->drop_at != 0)
		return;
	if (x->hold_at != 0) {
		x->hold_differs = true;
		return;
	}
	t.uri = x->stack[x->depth].uri;
	t.name = x->stack[x->depth].name;
	t.puri = x->depth > 1 ? x->stack[x->depth - 1].uri : "";
	t.pname = x->depth > 1 ? x->stack[x->depth - 1].name : "";
	t.depth = x->depth;
	t.nattr = nattr;
	t.attrs = attrs;
	act = r->element ? r->element(r->ctx, &t, &text, &why) : OB_XML_KEEP;
	/* A part keeps its root element, or it is no XML at all. */
	if (act == OB_XML_DROP && x->depth == 1)
		act = OB_XML_EMPTY;
	if (act == OB_XML_DROP) {
		x->drop_at = x->depth;
		note(x, why);
		return;
	}
	close_tag(x);
	put(x, "<", 1);
	qname(x, prefix, local);
	for (int i = 0; i < nns; i++) {
		puts_(x, " xmlns");
		if (ns[2 * i] != NULL) {
			put(x, ":", 1);
			puts_(x, (const char *)ns[2 * i]);
		}
		put(x, "=\"", 2);
		escaped(x, (const char *)ns[2 * i + 1],
		    strlen((const char *)ns[2 * i + 1]), true);
		put(x, "\"", 1);
	}
	(void)ndef; /* defaulted attributes come from a DTD: none here */
	for (int i = 0; i < nattr; i++) {
		const xmlChar **a = attrs + 5 * i;
		const char *v = (const char *)a[3], *atext = NULL;
		size_t vlen = (size_t)(a[4] - a[3]);
		const char *awhy = NULL;
		enum ob_xml_do aact = OB_XML_KEEP;

		if (r->attribute)
			aact = r->attribute(r->ctx, &t,
			    a[2] ? (const char *)a[2] : "", (const char *)a[0],
			    v, vlen, &atext, &awhy);
		if (aact == OB_XML_DROP) {
			note(x, awhy);
			continue;
		}
		if (aact == OB_XML_TEXT && atext != NULL) {
			if (strlen(atext) != vlen ||
			    memcmp(atext, v, vlen) != 0)
				note(x, awhy);
			v = atext;
			vlen = strlen(atext);
		}
		put(x, " ", 1);
		qname(x, a[1], a[0]);
		put(x, "=\"", 2);
		escaped(x, v, vlen, true);
		put(x, "\"", 1);
	}
	x->open_tag = true;
	if (act == OB_XML_EMPTY || act == OB_XML_TEXT) {
		x->hold_at = x->depth;
		x->hold_text = act == OB_XML_TEXT ? text : NULL;
		x->hold_note = why;
		x->hold_match = 0;
		x->hold_differs = false;
		if (x->hold_text != NULL && x->hold_text[0] != '\0') {
			close_tag(x);
			escaped(x, x->hold_text, strlen(x->hold_text), false);
		}
	}
}

static void
on_end(
    void *ctx, const xmlChar *local, const xmlChar *prefix, const xmlChar *uri)
{
	struct ob_xml *x = ctx;
	unsigned d = x->depth;

	(void)uri;
	if (x->err != 0 || d == 0)
		return;
	x->depth--;
	if (x->drop_at != 0) {
		if (d == x->drop_at)
			x->drop_at = 0;
		return;
	}
	if (x->hold_at != 0) {
		if (d > x->hold_at)
			return;
		if (x->hold_text != NULL &&
		    x->hold_match != strlen(x->hold_text))
			x->hold_differs = true;
		if (x->hold_differs)
			note(x, x->hold_note);
		x->hold_at = 0;
	}
	if (x->open_tag) {
		put(x, "/>", 2);
		x->open_tag = false;
		return;
	}
	put(x, "</", 2);
	qname(x, prefix, local);
	put(x, ">", 1);
}

static void
on_text(void *ctx, const xmlChar *p, int n)
{
	struct ob_xml *x = ctx;
	const char *s = (const char *)p;

	if (x->err != 0 || n <= 0 || x->drop_at != 0)
		return;
	if (x->hold_at != 0) {
		const char *want = x->hold_text;

		for (int i = 0; i < n && !x->hold_differs; i++) {
			if (want != NULL && want[x->hold_match] == s[i])
				x->hold_match++;
			else if (want != NULL ||
			    (s[i] != ' ' && s[i] != '\n' && s[i] != '\t' &&
				s[i] != '\r'))
				x->hold_differs = true;
		}
		return;
	}
	close_tag(x);
	escaped(x, s, (size_t)n, false);
}

static void
on_comment(void *ctx, const xmlChar *p)
{
	(void)p;
	note(ctx, "comments hidden in the document's XML");
}

static void
on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
	(void)target;
	(void)data;
	note(ctx, "processing instructions in the document's XML");
}

static void
on_doctype(
    void *ctx, const xmlChar *name, const xmlChar *eid, const xmlChar *sid)
{
	(void)name;
	(void)eid;
	(void)sid;
	fail(ctx, OB_EINVAL,
	    "a document type declaration in the document's XML (an XML "
	    "bomb or a way to read other files)");
}

static void
on_error(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
on_serror(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

struct ob_xml *
ob_xml_new(const struct ob_xml_rules *rules,
    int (*out)(void *outctx, const void *p, size_t n), void *outctx,
    struct ob_scrub_report *rep)
{
	struct ob_xml *x = ob_xcalloc(1, sizeof(*x));

	xmlInitParser();
	x->rules = rules;
	x->out = out;
	x->outctx = outctx;
	x->rep = rep;
	memset(&x->sax, 0, sizeof(x->sax));
	x->sax.initialized = XML_SAX2_MAGIC;
	x->sax.startDocument = on_start_document;
	x->sax.startElementNs = on_start;
	x->sax.endElementNs = on_end;
	x->sax.characters = on_text;
	x->sax.cdataBlock = on_text;
	x->sax.comment = on_comment;
	x->sax.processingInstruction = on_pi;
	x->sax.internalSubset = on_doctype;
	x->sax.externalSubset = on_doctype;
	x->sax.warning = on_error;
	x->sax.error = on_error;
	x->sax.fatalError = on_error;
	x->sax.serror = on_serror;
	x->ctxt = xmlCreatePushParserCtxt(&x->sax, x, NULL, 0, NULL);
	if (x->ctxt == NULL)
		ob_die("xmlCreatePushParserCtxt");
	/* Not NOENT, not DTDLOAD, not HUGE: see xml.h. */
	xmlCtxtUseOptions(x->ctxt, XML_PARSE_NONET);
	return x;
}

static int
parse(struct ob_xml *x, const void *p, size_t n, int last)
{
	const char *c = p;

	if (x->err != 0)
		return x->err;
	do {
		int part = n > 65536 ? 65536 : (int)n;

		xmlParseChunk(x->ctxt, c, part, last && (size_t)part == n);
		if (x->err != 0)
			return x->err;
		if (!x->ctxt->wellFormed || !x->ctxt->nsWellFormed) {
			fail(x, OB_EINVAL,
			    "a part of the document is not well-formed XML");
			return x->err;
		}
		c += part;
		n -= (size_t)part;
	} while (n > 0);
	return 0;
}

int
ob_xml_feed(struct ob_xml *x, const void *p, size_t n)
{
	if (n == 0)
		return x->err;
	return parse(x, p, n, 0);
}

int
ob_xml_sink(void *ctx, const void *p, size_t n)
{
	return ob_xml_feed(ctx, p, n);
}

int
ob_xml_end(struct ob_xml *x)
{
	int rc;

	if ((rc = parse(x, "", 0, 1)) != 0)
		return rc;
	if (x->depth != 0 || x->stack[1].name == NULL) {
		fail(x, OB_EINVAL,
		    "a part of the document is not well-formed XML");
		return x->err;
	}
	put(x, "\n", 1);
	flush(x);
	return x->err;
}

void
ob_xml_free(struct ob_xml *x)
{
	if (x == NULL)
		return;
	if (x->ctxt != NULL) {
		if (x->ctxt->myDoc != NULL)
			xmlFreeDoc(x->ctxt->myDoc);
		xmlFreeParserCtxt(x->ctxt);
	}
	free(x);
}
