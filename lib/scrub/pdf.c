/*
 * pdf.c - PDF (issue 7; DESIGN "File scrubbing"): the document
 * information dictionary, XMP metadata at every level, embedded files,
 * JavaScript and other actions that run or send something, authors and
 * dates of annotations, thumbnails, application private data and
 * signatures go; the file is written anew by libqpdf as one revision
 * (no incremental updates, no unused objects, no comments, a new /ID).
 *
 * libqpdf's C API reads a PDF only from a file name or from memory, and
 * writes only to a file name or to memory.  A scrubber opens no files
 * by name, so the input is read into memory (at most
 * lim->max_in_memory bytes: a larger PDF is refused with OB_ETOOBIG)
 * and the output is made in memory and then written to `out`.  qpdf
 * reads stream data from that buffer as it writes, so nothing else of
 * the file's size is held twice; streams are copied without being
 * decoded (qpdf_dl_none), so a compression bomb in a stream is never
 * expanded.  Object and cross-reference streams are decoded by qpdf to
 * read the file at all: there the sandbox's memory rlimit is the bound.
 *
 * What is kept is chosen by allow-lists where the PDF standard names
 * every key (trailer, catalog, name dictionary, pages): anything else
 * there goes.  Every other object that the written file can reach is
 * visited (the same objects qpdf writes), and keys that carry metadata
 * are removed wherever they appear.
 *
 * The per-tenant "flatten" mode, which draws every page into a picture,
 * is ob_scrub_pdf_flatten in lib/scrub/pdf_flatten.c.
 */
#include "lib/scrub/scrub.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include <qpdf/qpdf-c.h>

#include "lib/scrub/sio.h"
#include "lib/util.h"

/*
 * Direct objects nested deeper than this are refused.  It bounds the
 * walker's recursion (indirect objects are queued, not recursed into);
 * real files nest a handful of levels, and qpdf itself stops parsing
 * at 500.
 */
#define PDF_MAX_NEST 64

/* Longest name whose value we look at (/Type, /S, /Subtype ...). */
#define PDF_NAME_MAX 32

static const unsigned char pdf_magic[] = "%PDF-";

bool
ob_scrub_sniff_pdf(const unsigned char *head, size_t n)
{
	return n >= sizeof(pdf_magic) - 1 &&
	    memcmp(head, pdf_magic, sizeof(pdf_magic) - 1) == 0;
}

/*
 * Every refusal says why: a failure no step explained (a read or write
 * that failed, say) gets a plain line.
 */
static void
note_refusal(struct ob_scrub_report *rep, int rc)
{
	(void)ob_scrub_refuse_once(rep, rc,
	    rc == OB_EIO ? ob_scrub_refusal_text(OB_EIO)
			 : "the PDF could not be cleaned");
}

/* ---- the set of visited objects ---------------------------------- */

/*
 * Open addressing over (id << 32 | generation); id is at least 1, so
 * 0 marks a free slot.  Grows to twice the count, and the caller stops
 * at lim->max_entries.
 */
struct idset {
	uint64_t *slot;
	size_t cap; /* a power of two, or 0 */
	size_t count;
};

static uint64_t
idset_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= UINT64_C(0xff51afd7ed558ccd);
	k ^= k >> 33;
	return k;
}

/* Adds k; *added says whether it was new. */
static void
idset_add(struct idset *s, uint64_t k, bool *added)
{
	size_t i;

	if (s->count * 2 >= s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 1024;
		uint64_t *nslot = ob_xcalloc(ncap, sizeof(*nslot));

		for (size_t j = 0; j < s->cap; j++) {
			if (s->slot[j] == 0)
				continue;
			i = idset_hash(s->slot[j]) & (ncap - 1);
			while (nslot[i] != 0)
				i = (i + 1) & (ncap - 1);
			nslot[i] = s->slot[j];
		}
		free(s->slot);
		s->slot = nslot;
		s->cap = ncap;
	}
	i = idset_hash(k) & (s->cap - 1);
	while (s->slot[i] != 0) {
		if (s->slot[i] == k) {
			*added = false;
			return;
		}
		i = (i + 1) & (s->cap - 1);
	}
	s->slot[i] = k;
	s->count++;
	*added = true;
}

/* ---- the walk ---------------------------------------------------- */

struct walk {
	qpdf_data q;
	const struct ob_scrub_limits *lim;
	struct ob_scrub_report *rep;
	struct idset seen;
	struct ob_buf todo; /* pairs of int: id, generation */
};

/* A qpdf call failed: damaged input (qpdf's own text is not shown). */
static int
qpdf_failed(struct walk *w)
{
	if (!qpdf_has_error(w->q))
		return 0;
	(void)qpdf_get_error(w->q); /* clears it */
	ob_scrub_note(w->rep, "refused", "the PDF is damaged beyond repair");
	return OB_EINVAL;
}

/*
 * The value of a name (or "" when oh is not a name or the name is
 * longer than we compare with).
 */
static void
name_of(qpdf_data q, qpdf_oh oh, char out[PDF_NAME_MAX])
{
	const char *v = NULL;
	size_t n = 0;

	out[0] = '\0';
	if (!qpdf_oh_get_value_as_name(q, oh, &v, &n) || v == NULL ||
	    n >= PDF_NAME_MAX || memchr(v, '\0', n) != NULL)
		return;
	memcpy(out, v, n);
	out[n] = '\0';
}

/* The name value of dict's key, as name_of. */
static void
key_name(qpdf_data q, qpdf_oh dict, const char *key, char out[PDF_NAME_MAX])
{
	qpdf_oh v = qpdf_oh_get_key(q, dict, key);

	name_of(q, v, out);
	qpdf_oh_release(q, v);
}

static bool
in_list(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* What a dictionary is, as far as the rules below care. */
enum role {
	ROLE_OTHER,
	ROLE_CATALOG,
	ROLE_NAMES, /* the catalog's /Names */
	ROLE_PAGE, /* /Type /Page or /Pages */
	ROLE_ACROFORM, /* the catalog's /AcroForm */
};

/* Keys the standard defines for each role; the rest is removed. */
static const char *const catalog_keys[] = { "/Type", "/Version", "/Extensions",
	"/Pages", "/PageLabels", "/Names", "/Dests", "/ViewerPreferences",
	"/PageLayout", "/PageMode", "/Outlines", "/OpenAction", "/AcroForm",
	"/StructTreeRoot", "/MarkInfo", "/Lang", "/OCProperties",
	"/OutputIntents", "/Requirements", NULL };
static const char *const names_keys[] = { "/Dests", "/AP", "/Pages",
	"/Templates", NULL };
static const char *const page_keys[] = { "/Type", "/Parent", "/Kids", "/Count",
	"/Resources", "/MediaBox", "/CropBox", "/BleedBox", "/TrimBox",
	"/ArtBox", "/BoxColorInfo", "/Contents", "/Rotate", "/Group", "/Annots",
	"/Dur", "/Trans", "/StructParents", "/Tabs", "/UserUnit", "/VP", "/PZ",
	"/SeparationInfo", "/TemplateInstantiated", "/PresSteps",
	"/OutputIntents", NULL };
static const char *const acroform_keys[] = { "/Fields", "/NeedAppearances",
	"/SigFlags", "/CO", "/DR", "/DA", "/Q", NULL };

/*
 * Why a key of a role's allow-list was left out, for the report (NULL:
 * "unknown entries").
 */
struct why {
	const char *key;
	const char *note;
};

static const struct why known_removals[] = {
	{ "/Metadata", "XMP metadata" },
	{ "/PieceInfo", "application private data" },
	{ "/LastModified", "modification dates" },
	{ "/AA", "automatic actions (run on opening, closing or printing)" },
	{ "/Thumb", "page thumbnails" },
	{ "/AF", "associated files" },
	{ "/ID", "web capture identifiers" },
	{ "/SpiderInfo", "web capture information (addresses of pages)" },
	{ "/Threads", "article threads and their information" },
	{ "/B", "article threads and their information" },
	{ "/URI", "base address of links" },
	{ "/Perms", "usage rights and certification signatures" },
	{ "/DSS", "signature certificates and revocation data" },
	{ "/Collection", "portfolio of embedded files" },
	{ "/Legal", "legal attestation" },
	{ "/DPartRoot", "document part metadata" },
	{ "/NeedsRendering", "XFA form data" },
	{ "/XFA", "XFA form data (the form's fields remain)" },
	{ "/EmbeddedFiles", "embedded files" },
	{ "/JavaScript", "JavaScript" },
	{ "/IDS", "web capture identifiers" },
	{ "/URLS", "web capture information (addresses of pages)" },
	{ "/AlternatePresentations", "slide shows (may hold scripts)" },
	{ "/Renditions", "media renditions" },
	{ NULL, NULL },
};

/* Keys removed from any dictionary, with what they are. */
static const struct why everywhere[] = {
	{ "/Metadata", "XMP metadata" },
	{ "/PieceInfo", "application private data" },
	{ "/LastModified", "modification dates" },
	{ "/CreationDate", "creation and modification dates" },
	{ "/ModDate", "creation and modification dates" },
	{ "/AA", "automatic actions (run on opening, closing or printing)" },
	{ "/JS", "JavaScript" },
	{ "/Thumb", "page thumbnails" },
	{ "/OPI", "prepress links to original image files" },
	{ "/EF", "embedded files" },
	{ "/RF", "embedded files" },
	{ "/AF", "associated files" },
	{ "/CreatorInfo", "names of the software that made a layer" },
	{ "/User", "names of the people a layer is meant for" },
	{ "/Ref", "links to files on the author's computer" },
	{ NULL, NULL },
};

static const char *
why_of(const struct why *list, const char *key)
{
	for (; list->key != NULL; list++)
		if (strcmp(list->key, key) == 0)
			return list->note;
	return NULL;
}

/* Annotations that hold a file, a sound or media: dropped entirely. */
static const struct why dropped_annots[] = {
	{ "/FileAttachment", "file attachment annotations" },
	{ "/Sound", "sound annotations" },
	{ "/Movie", "movie annotations" },
	{ "/Screen", "media annotations" },
	{ "/RichMedia", "media annotations (may hold scripts and files)" },
	{ NULL, NULL },
};

/* The file names of a file specification. */
static const char *const filespec_names[] = { "/F", "/UF", "/DOS", "/Mac",
	"/Unix", "/Desc", "/CI", NULL };

/* Markup annotations (and their pop-ups): /T is their author. */
static const char *const markup_annots[] = { "/Popup", "/Text", "/FreeText",
	"/Line", "/Square", "/Circle", "/Polygon", "/PolyLine", "/Highlight",
	"/Underline", "/Squiggly", "/StrikeOut", "/Stamp", "/Caret", "/Ink",
	"/FileAttachment", "/Sound", "/Redact", "/Projection", NULL };

/* Actions that run code, open or send files, or play embedded media. */
static const struct why dropped_actions[] = {
	{ "/JavaScript", "JavaScript" },
	{ "/Launch", "actions that start programs" },
	{ "/SubmitForm", "actions that send form data" },
	{ "/ImportData", "actions that read other files" },
	{ "/GoToR", "links to files on the author's computer" },
	{ "/GoToE", "links to embedded files" },
	{ "/Rendition", "media actions (may hold scripts)" },
	{ "/Sound", "media actions (may hold scripts)" },
	{ "/Movie", "media actions (may hold scripts)" },
	{ "/RichMediaExecute", "media actions (may hold scripts)" },
	{ NULL, NULL },
};

/*
 * Whether a URI action's address is a file: a link a word processor
 * made to a document on the author's disk names their folders.
 */
static bool
local_uri(struct walk *w, qpdf_oh action)
{
	static const char file[] = "file:";
	qpdf_oh u = qpdf_oh_get_key(w->q, action, "/URI");
	const char *p = NULL;
	size_t n = 0;
	bool local = false;

	if (qpdf_oh_get_value_as_string(w->q, u, &p, &n) && p != NULL) {
		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		local = (n >= sizeof(file) - 1 &&
			    strncasecmp(p, file, sizeof(file) - 1) == 0) ||
		    (n >= 2 && p[0] == '\\' && p[1] == '\\');
	}
	qpdf_oh_release(w->q, u);
	return local;
}

/*
 * Whether a value must go wherever it is referenced (a dictionary key
 * or an array item): an action above, an annotation above, or a
 * signature (the rewrite invalidates it, and it names the signer).
 * Says why in *note.
 */
static bool
unwanted(struct walk *w, qpdf_oh v, const char **note)
{
	char type[PDF_NAME_MAX], sub[PDF_NAME_MAX], s[PDF_NAME_MAX];
	qpdf_oh d = v;
	bool stream = false;

	*note = NULL;
	if (qpdf_oh_is_stream(w->q, v)) {
		d = qpdf_oh_get_dict(w->q, v);
		stream = true;
	} else if (!qpdf_oh_is_dictionary(w->q, v)) {
		return false;
	}
	key_name(w->q, d, "/Type", type);
	key_name(w->q, d, "/Subtype", sub);
	key_name(w->q, d, "/S", s);
	if (!stream && s[0] != '\0' &&
	    (type[0] == '\0' || strcmp(type, "/Action") == 0)) {
		*note = why_of(dropped_actions, s);
		if (strcmp(s, "/URI") == 0 && local_uri(w, d))
			*note = "links to files on the author's computer";
	}
	if (*note == NULL && !stream &&
	    (type[0] == '\0' || strcmp(type, "/Annot") == 0))
		*note = why_of(dropped_annots, sub);
	if (*note == NULL &&
	    (strcmp(type, "/Sig") == 0 || strcmp(type, "/DocTimeStamp") == 0 ||
		qpdf_oh_has_key(w->q, d, "/ByteRange")))
		*note = "digital signatures (the rewrite would break them, "
			"and they name the signer)";
	if (stream)
		qpdf_oh_release(w->q, d);
	return *note != NULL;
}

static int walk_value(struct walk *w, qpdf_oh v, unsigned depth);

/*
 * Records an indirect object as visited; *fresh says whether it was
 * new.  A direct object is never "seen" (it has one parent).
 */
static int
mark_seen(struct walk *w, qpdf_oh v, bool *fresh)
{
	int id = qpdf_oh_get_object_id(w->q, v);
	int gen = qpdf_oh_get_generation(w->q, v);

	*fresh = true;
	if (id <= 0 || gen < 0)
		return 0;
	idset_add(&w->seen, (uint64_t)id << 32 | (uint32_t)gen, fresh);
	if (*fresh && w->seen.count > w->lim->max_entries) {
		ob_scrub_note(w->rep, "refused",
		    "the PDF has too many objects (more than %llu)",
		    (unsigned long long)w->lim->max_entries);
		return OB_ETOOBIG;
	}
	return 0;
}

/* Queues an indirect object unless it was seen before. */
static int
enqueue(struct walk *w, qpdf_oh v)
{
	int pair[2] = { qpdf_oh_get_object_id(w->q, v),
		qpdf_oh_get_generation(w->q, v) };
	bool fresh;
	int rc;

	if (pair[0] <= 0 || pair[1] < 0)
		return 0; /* a dangling reference: qpdf writes null */
	if ((rc = mark_seen(w, v, &fresh)) != 0 || !fresh)
		return rc;
	return ob_buf_append(&w->todo, pair, sizeof(pair));
}

static int
walk_array(struct walk *w, qpdf_oh a, unsigned depth)
{
	int n = qpdf_oh_get_array_n_items(w->q, a);
	int rc = 0;

	if (depth > PDF_MAX_NEST) {
		ob_scrub_note(w->rep, "refused", "objects nested too deeply");
		return OB_ETOOBIG;
	}
	/* Backwards, so that erasing an item leaves the rest in place. */
	for (int i = n - 1; i >= 0 && rc == 0; i--) {
		qpdf_oh item = qpdf_oh_get_array_item(w->q, a, i);
		const char *note;

		if (unwanted(w, item, &note)) {
			qpdf_oh_erase_item(w->q, a, i);
			ob_scrub_note(w->rep, "removed", "%s", note);
		} else {
			rc = walk_value(w, item, depth + 1);
		}
		qpdf_oh_release(w->q, item);
	}
	return rc != 0 ? rc : qpdf_failed(w);
}

/* The keys of a dictionary, NUL-separated (the C API's key iterator is
 * one per qpdf_data, so it cannot stay open while we recurse). */
static int
dict_keys(struct walk *w, qpdf_oh d, struct ob_buf *keys, size_t *n)
{
	int rc;

	*n = 0;
	qpdf_oh_begin_dict_key_iter(w->q, d);
	while (qpdf_oh_dict_more_keys(w->q)) {
		const char *k = qpdf_oh_dict_next_key(w->q);

		if ((rc = ob_buf_append(keys, k, strlen(k) + 1)) != 0) {
			ob_scrub_note(
			    w->rep, "refused", "a dictionary is too large");
			return rc;
		}
		(*n)++;
	}
	return qpdf_failed(w);
}

/*
 * Replaces a markup annotation's author by an empty string (viewers
 * show "" where they showed a name).
 */
static void
blank_string(struct walk *w, qpdf_oh d, const char *key)
{
	qpdf_oh e = qpdf_oh_new_string(w->q, "");

	qpdf_oh_replace_key(w->q, d, key, e);
	qpdf_oh_release(w->q, e);
}

static bool
empty_string(struct walk *w, qpdf_oh v)
{
	const char *s = NULL;
	size_t n = 0;

	return qpdf_oh_get_value_as_string(w->q, v, &s, &n) && n == 0;
}

/* After the allow-list was applied: nothing else may be left. */
static int
check_allowed(struct walk *w, qpdf_oh d, const char *const *allow)
{
	qpdf_oh_begin_dict_key_iter(w->q, d);
	while (qpdf_oh_dict_more_keys(w->q))
		if (!in_list(qpdf_oh_dict_next_key(w->q), allow)) {
			/* A key the C API cannot name (a NUL inside). */
			ob_scrub_note(
			    w->rep, "refused", "the PDF has a malformed key");
			return OB_EINVAL;
		}
	return qpdf_failed(w);
}

static int scrub_image(struct walk *w, qpdf_oh stream, qpdf_oh dict);

/*
 * Cleans one dictionary (or a stream's dictionary; stream is then its
 * stream, else 0) and walks what it holds.
 */
static int
clean_dict(
    struct walk *w, qpdf_oh d, qpdf_oh stream, enum role role, unsigned depth)
{
	struct ob_buf keys = OB_BUF_INIT(w->lim->max_in_memory);
	char type[PDF_NAME_MAX], sub[PDF_NAME_MAX], ft[PDF_NAME_MAX];
	const char *const *allow = NULL;
	bool markup, web, filespec;
	size_t nkeys;
	const char *k;
	int rc;

	if (depth > PDF_MAX_NEST) {
		ob_scrub_note(w->rep, "refused", "objects nested too deeply");
		return OB_ETOOBIG;
	}
	key_name(w->q, d, "/Type", type);
	key_name(w->q, d, "/Subtype", sub);
	key_name(w->q, d, "/FT", ft);
	/* The name dictionary and the form have no /Type: a file that
	 * points there at something else gets no allow-list for it. */
	if ((role == ROLE_NAMES || role == ROLE_ACROFORM) && type[0] != '\0')
		role = ROLE_OTHER;
	if (role == ROLE_OTHER &&
	    (strcmp(type, "/Page") == 0 || strcmp(type, "/Pages") == 0))
		role = ROLE_PAGE;
	switch (role) {
	case ROLE_CATALOG:
		allow = catalog_keys;
		break;
	case ROLE_NAMES:
		allow = names_keys;
		break;
	case ROLE_PAGE:
		allow = page_keys;
		break;
	case ROLE_ACROFORM:
		allow = acroform_keys;
		break;
	case ROLE_OTHER:
		break;
	}
	/* /T is the author of a markup annotation, a field's name else. */
	markup = in_list(sub, markup_annots) && ft[0] == '\0' &&
	    (type[0] == '\0' || strcmp(type, "/Annot") == 0);
	/* What is left of an embedded file once its data went. */
	filespec =
	    qpdf_oh_has_key(w->q, d, "/EF") || qpdf_oh_has_key(w->q, d, "/RF");
	/* Pages and XObjects of web captures carry an /ID. */
	web = role == ROLE_PAGE ||
	    (stream != 0 &&
		(strcmp(sub, "/Image") == 0 || strcmp(sub, "/Form") == 0));

	if ((rc = dict_keys(w, d, &keys, &nkeys)) != 0)
		goto out;
	k = ob_buf_cstr(&keys);
	for (size_t i = 0; i < nkeys && rc == 0; i++, k += strlen(k) + 1) {
		const char *note = NULL;
		qpdf_oh v;

		if (allow != NULL && !in_list(k, allow)) {
			note = why_of(known_removals, k);
			qpdf_oh_remove_key(w->q, d, k);
			if (note != NULL)
				ob_scrub_note(w->rep, "removed", "%s", note);
			else if (role == ROLE_CATALOG)
				ob_scrub_note(w->rep, "removed",
				    "unknown entries of the document "
				    "catalog");
			else
				ob_scrub_note(w->rep, "removed",
				    "unknown entries of %s",
				    role == ROLE_PAGE ? "pages"
						      : "the document's lists");
			continue;
		}
		if ((note = why_of(everywhere, k)) != NULL) {
			qpdf_oh_remove_key(w->q, d, k);
			ob_scrub_note(w->rep, "removed", "%s", note);
			continue;
		}
		if (filespec && in_list(k, filespec_names)) {
			qpdf_oh_remove_key(w->q, d, k);
			ob_scrub_note(
			    w->rep, "removed", "names of embedded files");
			continue;
		}
		v = qpdf_oh_get_key(w->q, d, k);
		if (strcmp(k, "/M") == 0 && qpdf_oh_is_string(w->q, v)) {
			/* A date (annotations, signatures); /M of a page
			 * transition is a name and stays. */
			qpdf_oh_remove_key(w->q, d, k);
			ob_scrub_note(w->rep, "removed",
			    "creation and modification dates");
		} else if (web && strcmp(k, "/ID") == 0) {
			qpdf_oh_remove_key(w->q, d, k);
			ob_scrub_note(
			    w->rep, "removed", "web capture identifiers");
		} else if (markup && strcmp(k, "/T") == 0) {
			if (!empty_string(w, v)) {
				blank_string(w, d, k);
				ob_scrub_note(w->rep, "removed",
				    "authors of annotations");
			}
		} else if (markup && strcmp(k, "/NM") == 0) {
			qpdf_oh_remove_key(w->q, d, k);
			ob_scrub_note(
			    w->rep, "removed", "identifiers of annotations");
		} else if (unwanted(w, v, &note)) {
			qpdf_oh_remove_key(w->q, d, k);
			ob_scrub_note(w->rep, "removed", "%s", note);
		} else if (role == ROLE_CATALOG &&
		    (strcmp(k, "/Names") == 0 || strcmp(k, "/AcroForm") == 0)) {
			/* Cleaned before the catalog (walk_all). */
		} else {
			rc = walk_value(w, v, depth + 1);
		}
		qpdf_oh_release(w->q, v);
	}
	if (rc == 0 && (rc = qpdf_failed(w)) == 0 && allow != NULL)
		rc = check_allowed(w, d, allow);
	if (rc == 0 && stream != 0 && strcmp(sub, "/Image") == 0)
		rc = scrub_image(w, stream, d);
out:
	ob_buf_release(&keys);
	return rc;
}

static int
walk_value(struct walk *w, qpdf_oh v, unsigned depth)
{
	if (qpdf_oh_is_indirect(w->q, v))
		return enqueue(w, v);
	switch (qpdf_oh_get_type_code(w->q, v)) {
	case ot_dictionary:
		return clean_dict(w, v, 0, ROLE_OTHER, depth);
	case ot_array:
		return walk_array(w, v, depth);
	default:
		return 0;
	}
}

/* Walks one queued indirect object. */
static int
walk_object(struct walk *w, qpdf_oh o)
{
	qpdf_oh d;
	int rc;

	switch (qpdf_oh_get_type_code(w->q, o)) {
	case ot_stream:
		d = qpdf_oh_get_dict(w->q, o);
		rc = clean_dict(w, d, o, ROLE_OTHER, 0);
		qpdf_oh_release(w->q, d);
		return rc;
	case ot_dictionary:
		return clean_dict(w, o, 0, ROLE_OTHER, 0);
	case ot_array:
		return walk_array(w, o, 0);
	default:
		return qpdf_failed(w);
	}
}

/* Cleans the catalog's key (a dictionary) with its role's allow-list;
 * once marked seen, no other path walks it again. */
static int
clean_part(struct walk *w, qpdf_oh root, const char *key, enum role role)
{
	qpdf_oh v = qpdf_oh_get_key(w->q, root, key);
	bool fresh = false;
	int rc = 0;

	if (qpdf_oh_is_dictionary(w->q, v))
		rc = mark_seen(w, v, &fresh);
	if (rc == 0 && fresh)
		rc = clean_dict(w, v, 0, role, 1);
	qpdf_oh_release(w->q, v);
	return rc;
}

/*
 * Visits everything reachable from the catalog: the objects qpdf will
 * write.  Each object is walked once; handles are dropped after each.
 */
static int
walk_all(struct walk *w)
{
	qpdf_oh root = qpdf_get_root(w->q);
	bool fresh;
	int rc;

	if ((rc = qpdf_failed(w)) != 0)
		return rc;
	if (!qpdf_oh_is_dictionary(w->q, root)) {
		ob_scrub_note(w->rep, "refused", "the PDF has no catalog");
		return OB_EINVAL;
	}
	/*
	 * The catalog first, with its allow-list, and before it the name
	 * dictionary and the form with theirs (before any other path can
	 * reach them); then the queue.
	 */
	if ((rc = mark_seen(w, root, &fresh)) != 0 ||
	    (rc = clean_part(w, root, "/Names", ROLE_NAMES)) != 0 ||
	    (rc = clean_part(w, root, "/AcroForm", ROLE_ACROFORM)) != 0)
		return rc;
	rc = clean_dict(w, root, 0, ROLE_CATALOG, 0);
	qpdf_oh_release_all(w->q);
	while (rc == 0 && w->todo.len >= 2 * sizeof(int)) {
		int pair[2];
		qpdf_oh o;

		memcpy(pair, w->todo.data + w->todo.len - sizeof(pair),
		    sizeof(pair));
		ob_buf_truncate(&w->todo, w->todo.len - sizeof(pair));
		o = qpdf_get_object_by_id(w->q, pair[0], pair[1]);
		rc = walk_object(w, o);
		qpdf_oh_release_all(w->q);
	}
	return rc;
}

/* ---- JPEG images ------------------------------------------------- */

/* Width and height of a JPEG's frame, or false. */
static bool
jpeg_dims(const unsigned char *p, size_t n, unsigned *wd, unsigned *ht)
{
	size_t i = 2;

	if (n < 4 || p[0] != 0xff || p[1] != 0xd8)
		return false;
	while (i + 4 <= n) {
		unsigned m, len;

		if (p[i] != 0xff)
			return false;
		m = p[i + 1];
		if (m == 0xff) { /* fill byte */
			i++;
			continue;
		}
		if (m == 0xd8 || m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
			i += 2;
			continue;
		}
		len = (unsigned)p[i + 2] << 8 | p[i + 3];
		if (len < 2 || len > n - i - 2)
			return false;
		if (m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 &&
		    m != 0xcc) {
			if (len < 7)
				return false;
			*ht = (unsigned)p[i + 5] << 8 | p[i + 6];
			*wd = (unsigned)p[i + 7] << 8 | p[i + 8];
			return true;
		}
		if (m == 0xda || m == 0xd9)
			return false; /* scan data before any frame */
		i += 2 + len;
	}
	return false;
}

/* A memfd holding n bytes of p, positioned at 0. */
static int
memfd_with(const void *p, size_t n, int *fd)
{
	int rc;

	*fd = memfd_create("ombud-pdf-part", MFD_CLOEXEC);
	if (*fd < 0)
		return OB_EIO;
	if ((rc = ob_sio_write_full(*fd, p, n)) != 0 ||
	    lseek(*fd, 0, SEEK_SET) != 0) {
		close(*fd);
		*fd = -1;
		return rc != 0 ? rc : OB_EIO;
	}
	return 0;
}

/*
 * An image stream: a JPEG (DCTDecode alone) goes through the scrubber
 * of its own family (ob_scrub_embedded: EXIF, XMP, comments, maker
 * notes); the pixels stay as they are.  What cannot be looked into is
 * noted.
 */
static int
scrub_image(struct walk *w, qpdf_oh stream, qpdf_oh dict)
{
	char filter[PDF_NAME_MAX];
	qpdf_oh f = qpdf_oh_get_key(w->q, dict, "/Filter");
	qpdf_oh parms = 0, fname = 0;
	const struct ob_scrub_family *fam = NULL;
	unsigned char *raw = NULL, *clean = NULL;
	size_t rawlen = 0, cleanlen = 0;
	unsigned w0, h0, w1, h1;
	int in = -1, out = -1, rc = 0;

	if (qpdf_oh_is_array(w->q, f) &&
	    qpdf_oh_get_array_n_items(w->q, f) == 1) {
		qpdf_oh f0 = qpdf_oh_get_array_item(w->q, f, 0);

		name_of(w->q, f0, filter);
		qpdf_oh_release(w->q, f0);
	} else {
		name_of(w->q, f, filter);
	}
	if (strcmp(filter, "/JPXDecode") == 0) {
		ob_scrub_note(
		    w->rep, "not-checked", "metadata inside JPEG 2000 images");
		goto out;
	}
	if (strcmp(filter, "/DCTDecode") != 0) {
		char any[PDF_NAME_MAX];

		/* A JPEG under another filter: not decoded (no bombs). */
		if (qpdf_oh_is_array(w->q, f)) {
			for (int i = 0; i < qpdf_oh_get_array_n_items(w->q, f);
			     i++) {
				qpdf_oh fi = qpdf_oh_get_array_item(w->q, f, i);

				name_of(w->q, fi, any);
				qpdf_oh_release(w->q, fi);
				if (strcmp(any, "/DCTDecode") == 0 ||
				    strcmp(any, "/JPXDecode") == 0)
					ob_scrub_note(w->rep, "not-checked",
					    "metadata inside JPEG images "
					    "that are compressed again");
			}
		}
		goto out;
	}
	if (qpdf_oh_get_stream_data(
		w->q, stream, qpdf_dl_none, NULL, &raw, &rawlen) &
	    QPDF_ERRORS) {
		rc = qpdf_failed(w);
		goto out;
	}
	if (raw != NULL && rawlen >= 4)
		fam = ob_scrub_sniff(raw,
		    rawlen < OB_SCRUB_SNIFF_BYTES ? rawlen
						  : OB_SCRUB_SNIFF_BYTES);
	if (fam == NULL || strcmp(fam->name, "jpeg") != 0) {
		/* No JPEG scrubber, or bytes no scrubber knows. */
		ob_scrub_note(w->rep, "not-checked",
		    "metadata inside embedded JPEG images");
		goto out;
	}
	if ((rc = memfd_with(raw, rawlen, &in)) != 0)
		goto out;
	if ((out = memfd_create("ombud-pdf-part", MFD_CLOEXEC)) < 0) {
		rc = OB_EIO;
		goto out;
	}
	rc = ob_scrub_embedded(in, out, w->lim, w->rep);
	if (rc == OB_EUNSUPP) {
		ob_scrub_note(w->rep, "not-checked",
		    "metadata inside embedded JPEG images");
		rc = 0;
		goto out;
	}
	if (rc != 0)
		goto out;
	if ((rc = ob_sio_slurp(
		 out, w->lim->max_in_memory, &clean, &cleanlen)) != 0)
		goto out;
	/*
	 * A PDF shows a JPEG's pixels as they are stored and ignores EXIF
	 * orientation: a scrubber that turned the pixels would turn the
	 * picture on the page.
	 */
	if (!jpeg_dims(raw, rawlen, &w0, &h0) ||
	    !jpeg_dims(clean, cleanlen, &w1, &h1) || w0 != w1 || h0 != h1) {
		ob_scrub_note(w->rep, "refused",
		    "an embedded JPEG image changed shape when cleaned");
		rc = OB_EINVAL;
		goto out;
	}
	parms = qpdf_oh_get_key(w->q, dict, "/DecodeParms");
	fname = qpdf_oh_new_name(w->q, "/DCTDecode");
	qpdf_oh_replace_stream_data(
	    w->q, stream, clean, cleanlen, fname, parms);
	rc = qpdf_failed(w);
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	free(raw);
	free(clean);
	qpdf_oh_release(w->q, f);
	if (parms != 0)
		qpdf_oh_release(w->q, parms);
	if (fname != 0)
		qpdf_oh_release(w->q, fname);
	return rc;
}

/* ---- the file as a whole ----------------------------------------- */

/* Whether bytes follow the last %%EOF (a file appended: a polyglot). */
static bool
trailing_data(const unsigned char *p, size_t n)
{
	static const char eof[] = "%%EOF";
	size_t i;

	if (n < sizeof(eof) - 1)
		return false;
	for (i = n - (sizeof(eof) - 1);; i--) {
		if (memcmp(p + i, eof, sizeof(eof) - 1) == 0)
			break;
		if (i == 0)
			return false;
	}
	for (i += sizeof(eof) - 1; i < n; i++)
		if (p[i] != '\r' && p[i] != '\n' && p[i] != ' ' &&
		    p[i] != '\t' && p[i] != '\f' && p[i] != '\0')
			return true;
	return false;
}

/* Keys of a trailer (or a cross-reference stream) about the file's
 * layout: qpdf writes its own. */
static const char *const xref_keys[] = { "/Prev", "/Encrypt", "/XRefStm",
	"/Type", "/W", "/Index", "/Length", "/Filter", "/DecodeParms", NULL };

/* The trailer keeps /Root only: qpdf writes /Size and a new /ID. */
static int
clean_trailer(struct walk *w)
{
	struct ob_buf keys = OB_BUF_INIT(1 << 20);
	qpdf_oh t = qpdf_get_trailer(w->q), size;
	size_t n;
	const char *k;
	int rc;

	if ((rc = dict_keys(w, t, &keys, &n)) != 0)
		goto out;
	k = ob_buf_cstr(&keys);
	for (size_t i = 0; i < n; i++, k += strlen(k) + 1) {
		if (strcmp(k, "/Root") == 0 || strcmp(k, "/Size") == 0)
			continue;
		qpdf_oh_remove_key(w->q, t, k);
		if (strcmp(k, "/Info") == 0)
			ob_scrub_note(w->rep, "removed",
			    "document information (author, title, dates, "
			    "software)");
		else if (strcmp(k, "/ID") == 0)
			ob_scrub_note(w->rep, "removed",
			    "document identifier (it could link this file to "
			    "its original)");
		else if (strcmp(k, "/Prev") == 0 && !qpdf_is_linearized(w->q))
			ob_scrub_note(w->rep, "removed",
			    "earlier revisions of the document (incremental "
			    "updates)");
		else if (!in_list(k, xref_keys))
			ob_scrub_note(w->rep, "removed",
			    "unknown entries of the trailer");
	}
	/* qpdf writes /Size only where the trailer has one (any value). */
	size = qpdf_oh_new_integer(w->q, 0);
	qpdf_oh_replace_key(w->q, t, "/Size", size);
	qpdf_oh_release(w->q, size);
	rc = qpdf_failed(w);
out:
	qpdf_oh_release(w->q, t);
	ob_buf_release(&keys);
	return rc;
}

/* Says once, without qpdf's text (it quotes the file), that qpdf
 * repaired something. */
static void
note_warnings(struct walk *w)
{
	unsigned n = 0;

	while (qpdf_more_warnings(w->q)) {
		(void)qpdf_next_warning(w->q);
		n++;
	}
	if (n > 0)
		ob_scrub_note(w->rep, "changed",
		    "damaged parts of the PDF were repaired");
}

static int
write_pdf(struct walk *w, int out)
{
	const unsigned char *p;
	size_t n;

	if (qpdf_init_write_memory(w->q) & QPDF_ERRORS)
		return qpdf_failed(w) != 0 ? OB_EINVAL : OB_EINTERNAL;
	/* One revision, unused objects left out (qpdf's default), streams
	 * copied as they are (never decoded), object streams rebuilt. */
	qpdf_set_object_stream_mode(w->q, qpdf_o_generate);
	qpdf_set_decode_level(w->q, qpdf_dl_none);
	qpdf_set_compress_streams(w->q, QPDF_TRUE);
	qpdf_set_preserve_unreferenced_objects(w->q, QPDF_FALSE);
	qpdf_set_preserve_encryption(w->q, QPDF_FALSE);
	qpdf_set_linearization(w->q, QPDF_FALSE);
	qpdf_set_qdf_mode(w->q, QPDF_FALSE);
	qpdf_set_suppress_original_object_IDs(w->q, QPDF_TRUE);
	/* An /ID from the content alone: no time, no name, no link to the
	 * original's (which clean_trailer removed). */
	qpdf_set_deterministic_ID(w->q, QPDF_TRUE);
	if (qpdf_write(w->q) & QPDF_ERRORS)
		return qpdf_failed(w) != 0 ? OB_EINVAL : OB_EINTERNAL;
	p = qpdf_get_buffer(w->q);
	n = qpdf_get_buffer_length(w->q);
	if (p == NULL || n == 0)
		return OB_EINTERNAL;
	if (n > w->lim->max_output) {
		ob_scrub_note(
		    w->rep, "refused", "the cleaned PDF is too large");
		return OB_ETOOBIG;
	}
	return ob_sio_write_full(out, p, n);
}

int
ob_scrub_pdf(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep)
{
	struct walk w = { .lim = lim, .rep = rep };
	qpdflogger_handle log;
	unsigned char *data = NULL;
	size_t len = 0;
	int pages, rc;

	ob_buf_init(&w.todo,
	    lim->max_entries < SIZE_MAX / 16
		? (size_t)lim->max_entries * 2 * sizeof(int) + 64
		: SIZE_MAX);
	rc = ob_sio_slurp(in, lim->max_in_memory, &data, &len);
	if (rc == OB_ETOOBIG) {
		ob_scrub_refuse_size(rep, "the PDF is", lim->max_in_memory);
		goto out;
	}
	if (rc != 0)
		goto out;
	/* A PDF may start up to 1 KiB in, after anything: a file that is
	 * two types at once.  We take only a PDF from its first byte. */
	if (!ob_scrub_sniff_pdf(data, len)) {
		ob_scrub_note(rep, "refused",
		    "not a PDF from its first byte (it may also be a file of "
		    "another type)");
		rc = OB_EINVAL;
		goto out;
	}

	/* qpdf's messages quote the file: none may reach a log. */
	w.q = qpdf_init();
	qpdf_silence_errors(w.q);
	qpdf_set_suppress_warnings(w.q, QPDF_TRUE);
	log = qpdflogger_create();
	qpdflogger_set_info(log, qpdf_log_dest_discard, NULL, NULL);
	qpdflogger_set_warn(log, qpdf_log_dest_discard, NULL, NULL);
	qpdflogger_set_error(log, qpdf_log_dest_discard, NULL, NULL);
	qpdf_set_logger(w.q, log);
	qpdflogger_cleanup(&log);
	if (qpdf_read_memory(w.q, "upload", (const char *)data, len, "") &
	    QPDF_ERRORS) {
		qpdf_error e = qpdf_get_error(w.q);

		if (e != NULL &&
		    qpdf_get_error_code(w.q, e) == qpdf_e_password) {
			ob_scrub_note(rep, "refused",
			    "the PDF is protected by a password");
			rc = OB_EUNSUPP;
		} else {
			ob_scrub_note(
			    rep, "refused", "the PDF is damaged beyond repair");
			rc = OB_EINVAL;
		}
		goto out;
	}
	if (trailing_data(data, len))
		ob_scrub_note(rep, "removed", "data after the end of the PDF");
	if (qpdf_is_encrypted(w.q))
		ob_scrub_note(rep, "changed",
		    "encryption removed (the PDF opened without a password)");
	pages = qpdf_get_num_pages(w.q);
	if ((rc = qpdf_failed(&w)) != 0)
		goto out;
	if (pages < 0) {
		ob_scrub_note(
		    rep, "refused", "the PDF is damaged beyond repair");
		rc = OB_EINVAL;
		goto out;
	}
	if ((unsigned)pages > lim->max_pages) {
		ob_scrub_note(rep, "refused", "the PDF has more than %u pages",
		    lim->max_pages);
		rc = OB_ETOOBIG;
		goto out;
	}
	if ((rc = walk_all(&w)) != 0 || (rc = clean_trailer(&w)) != 0)
		goto out;
	ob_scrub_note(rep, "changed",
	    "the PDF was rewritten as a single revision without unused "
	    "objects");
	rc = write_pdf(&w, out);
	note_warnings(&w);
out:
	if (w.q != NULL) {
		/* An error left unread makes qpdf_cleanup print it. */
		if (qpdf_has_error(w.q))
			(void)qpdf_get_error(w.q);
		qpdf_cleanup(&w.q);
	}
	free(data);
	free(w.seen.slot);
	ob_buf_release(&w.todo);
	note_refusal(rep, rc);
	return rc;
}
