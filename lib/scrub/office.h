/*
 * office.h - what the OOXML and ODF scrubbers share: a zip of XML parts
 * and embedded files, rewritten member by member (lib/scrub/zip.h for
 * the archive, lib/scrub/xml.h for the parts).
 *
 * A family says, for each member name, whether the member is an XML
 * part (rewritten with the family's rules), an embedded file (cleaned
 * by the scrubber its bytes call for, through ob_scrub_embedded), a
 * member copied as it is after a check (ODF's mimetype), or one left
 * out (with the kind of data it held, for the report).  A relationships
 * part (X/_rels/Y.rels) of a part left out is left out too.
 *
 * Embedded files: one a scrubber knows is cleaned, and the document is
 * refused when that fails (a damaged picture is no reason to keep its
 * metadata).  One no scrubber knows (EMF pictures, OLE objects, fonts,
 * and pictures until their scrubbers exist) is kept, because leaving it
 * out would break the document, and reported as "not-checked" with its
 * kind.  scrub.h's "the container leaves such a file out" is followed
 * for what the document can do without: the families drop those parts
 * by name.
 *
 * Members are written in the archive's order, except that the family's
 * `first` names come first (ODF's mimetype must; a sniffer looks for
 * OOXML's [Content_Types].xml there).  Members are inflated one at a
 * time and streamed: XML parts through the rewriter, unknown files
 * straight through; only a file a scrubber takes goes through two memfd
 * temporaries (scrubbers read and write descriptors), so the sandbox
 * around a scrubber must allow memfd_create.  Memory does not grow with
 * the document.
 */
#ifndef OB_SCRUB_OFFICE_H
#define OB_SCRUB_OFFICE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/scrub/scrub.h"
#include "lib/scrub/xml.h"

enum ob_office_kind {
	OB_OFFICE_EMBED, /* anything not said otherwise */
	OB_OFFICE_XML,
	OB_OFFICE_STORE, /* copied, stored, after family->store_ok */
	OB_OFFICE_DROP,
};

struct ob_office_pkg;

/* One XML part being rewritten, for the family's rules. */
struct ob_office_part {
	const char *name; /* member name */
	const struct ob_office_pkg *pkg;
	struct ob_scrub_report *rep;
	struct ob_xml_rules rules; /* set by family->setup */
	unsigned what; /* the family's own tag for the part */
	unsigned seen; /* the family's own flags while rewriting */
	int err; /* a rule's reason to refuse; it notes why */
};

struct ob_office_family {
	const char *const *first; /* NULL-terminated */
	const char *const *required; /* NULL-terminated */
	/* The kind of a member by its name; *note for OB_OFFICE_DROP. */
	enum ob_office_kind (*classify)(const char *name, const char **note);
	/* Rules for an XML part (p->name is set). */
	void (*setup)(struct ob_office_part *p);
	/* For OB_OFFICE_STORE members, at most 1 KiB. */
	bool (*store_ok)(const unsigned char *p, size_t n);
};

int ob_office_scrub(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep,
    const struct ob_office_family *fam) OB_MUST_CHECK;

/* Whether the member called name (n bytes, ASCII case ignored) is left
 * out of the output. */
bool ob_office_dropped(
    const struct ob_office_pkg *pkg, const char *name, size_t n);

/*
 * Whether a relationship of part p (a .rels part) with this Target (n
 * bytes; relative to the source part's folder, or absolute from the
 * package root) points at a member left out.
 */
bool ob_office_target_dropped(
    const struct ob_office_part *p, const char *target, size_t n);

/* s (n bytes, not NUL-terminated) equals lit, ASCII case ignored. */
bool ob_office_eq(const char *s, size_t n, const char *lit);

/* Whether a zip's first member, in the n bytes of head, is called
 * name; for the families' sniff functions. */
bool ob_office_first_member(
    const unsigned char *head, size_t n, const char *name, size_t len);

/* The registry's sniff functions (lib/scrub/registry.c): a zip whose
 * first member is OOXML's, or ODF's stored mimetype. */
bool ob_sniff_ooxml(const unsigned char *head, size_t n);
bool ob_sniff_odf(const unsigned char *head, size_t n);

#endif
