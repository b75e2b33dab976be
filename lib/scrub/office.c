/*
 * The package walk the OOXML and ODF scrubbers share
 * (lib/scrub/office.h).
 */
#include "lib/scrub/office.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/scrub/sio.h"
#include "lib/scrub/zip.h"
#include "lib/util.h"

#define STORE_MAX 1024

struct ob_office_pkg {
	const struct ob_office_family *fam;
	const struct ob_scrub_limits *lim;
	struct ob_scrub_report *rep;
	struct ob_zipr *zr;
	struct ob_zipw *zw;
	int out;
	uint64_t n;
	unsigned char *kind; /* enum ob_office_kind per member */
	bool *done;
	const char **dropped; /* sorted, case ignored */
	size_t ndropped;
};

bool
ob_office_eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

static int
cmp_n(const char *a, size_t an, const char *b)
{
	size_t bn = strlen(b);
	int c = strncasecmp(a, b, an < bn ? an : bn);

	if (c != 0)
		return c;
	return an < bn ? -1 : an > bn ? 1 : 0;
}

bool
ob_office_dropped(const struct ob_office_pkg *pkg, const char *name, size_t n)
{
	size_t lo = 0, hi = pkg->ndropped;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_n(name, n, pkg->dropped[mid]);

		if (c == 0)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

bool
ob_office_target_dropped(
    const struct ob_office_part *p, const char *target, size_t n)
{
	char path[OB_ZIP_NAME_MAX + 1];
	size_t len = 0;
	const char *rels, *c, *end = target + n;

	if (n > 0 && target[0] == '/') {
		target++;
	} else {
		/* "word/_rels/document.xml.rels" is about "word/". */
		rels = strstr(p->name, "_rels/");
		len = rels ? (size_t)(rels - p->name) : 0;
		if (len > OB_ZIP_NAME_MAX)
			return false;
		memcpy(path, p->name, len);
	}
	for (c = target; c < end;) {
		const char *e = memchr(c, '/', (size_t)(end - c));
		size_t k = e ? (size_t)(e - c) : (size_t)(end - c);

		if (k == 2 && c[0] == '.' && c[1] == '.') {
			/* Up one folder: back past the previous '/'. */
			if (len == 0)
				return false;
			len--;
			while (len > 0 && path[len - 1] != '/')
				len--;
		} else if (!(k == 1 && c[0] == '.') && k > 0) {
			if (len + k + 1 > OB_ZIP_NAME_MAX)
				return false;
			memcpy(path + len, c, k);
			len += k;
			if (e != NULL)
				path[len++] = '/';
		}
		if (e == NULL)
			break;
		c = e + 1;
	}
	return ob_office_dropped(p->pkg, path, len);
}

bool
ob_office_first_member(
    const unsigned char *head, size_t n, const char *name, size_t len)
{
	return n >= 30 + len && memcmp(head, "PK\3\4", 4) == 0 &&
	    (size_t)(head[26] | head[27] << 8) == len &&
	    memcmp(head + 30, name, len) == 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcasecmp(*(const char *const *)a, *(const char *const *)b);
}

/* Pass one: every member's kind, from its name only. */
static int
classify(struct ob_office_pkg *pkg)
{
	const struct ob_office_family *fam = pkg->fam;
	struct ob_zip_entry e;

	for (const char *const *r = fam->required; *r != NULL; r++)
		if (ob_zipr_find(pkg->zr, *r) < 0) {
			ob_scrub_note(pkg->rep, "refused",
			    "not an office document: a required part is "
			    "missing");
			return OB_EINVAL;
		}
	pkg->kind = ob_xcalloc((size_t)pkg->n, 1);
	pkg->done = ob_xcalloc((size_t)pkg->n, sizeof(*pkg->done));
	pkg->dropped = ob_xcalloc((size_t)pkg->n, sizeof(*pkg->dropped));
	for (uint64_t i = 0; i < pkg->n; i++) {
		const char *note = NULL;

		ob_zipr_entry(pkg->zr, i, &e);
		if (e.dir) {
			pkg->kind[i] = OB_OFFICE_DROP;
			continue;
		}
		pkg->kind[i] = (unsigned char)fam->classify(e.name, &note);
		if (pkg->kind[i] == OB_OFFICE_DROP) {
			pkg->dropped[pkg->ndropped++] = e.name;
			if (note != NULL)
				ob_scrub_note(pkg->rep, "removed", "%s", note);
		}
	}
	qsort(pkg->dropped, pkg->ndropped, sizeof(*pkg->dropped), cmp_names);
	/* X/_rels/Y.rels describes X/Y: it goes with it. */
	for (uint64_t i = 0; i < pkg->n; i++) {
		char src[OB_ZIP_NAME_MAX + 1];
		const char *r;
		size_t dlen, flen;

		ob_zipr_entry(pkg->zr, i, &e);
		if (pkg->kind[i] == OB_OFFICE_DROP ||
		    (r = strstr(e.name, "_rels/")) == NULL ||
		    (r != e.name && r[-1] != '/'))
			continue;
		dlen = (size_t)(r - e.name);
		flen = strlen(r + 6);
		if (flen <= 5 || strcasecmp(r + 6 + flen - 5, ".rels") != 0)
			continue;
		memcpy(src, e.name, dlen);
		memcpy(src + dlen, r + 6, flen - 5);
		if (ob_office_dropped(pkg, src, dlen + flen - 5))
			pkg->kind[i] = OB_OFFICE_DROP;
	}
	return 0;
}

static int
rewrite_xml(struct ob_office_pkg *pkg, uint64_t i, const char *name)
{
	struct ob_office_part part;
	struct ob_xml *x;
	int rc;

	memset(&part, 0, sizeof(part));
	part.name = name;
	part.pkg = pkg;
	part.rep = pkg->rep;
	pkg->fam->setup(&part);
	x = ob_xml_new(&part.rules, ob_zipw_sink, pkg->zw, pkg->rep);
	rc = ob_zipr_read(pkg->zr, i, ob_xml_sink, x);
	if (rc == 0)
		rc = ob_xml_end(x);
	if (rc == 0 && part.err != 0)
		rc = part.err;
	ob_xml_free(x);
	return rc;
}

static int
fd_sink(void *ctx, const void *p, size_t n)
{
	int *fd = ctx;

	return ob_sio_write_full(*fd, p, n);
}

/* Copies all of fd into the member being written. */
static int
copy_fd(struct ob_office_pkg *pkg, int fd)
{
	unsigned char buf[16384];
	uint64_t off = 0;
	size_t got;
	int rc;

	do {
		if (ob_sio_pread_full(fd, buf, sizeof(buf), off, &got) != 0) {
			ob_scrub_note(pkg->rep, "refused",
			    "a temporary file could not be read");
			return OB_EIO;
		}
		if ((rc = ob_zipw_write(pkg->zw, buf, got)) != 0)
			return rc;
		off += got;
	} while (got == sizeof(buf));
	return 0;
}

/* What an embedded file no scrubber knows is, for the report. */
static const char *
unknown_kind(const unsigned char *h, size_t n, const char *name)
{
	const char *dot = strrchr(name, '.');

	if (n >= 8 && memcmp(h, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8) == 0)
		return "embedded OLE objects or macros (they may hold their "
		       "own author and dates)";
	if ((n >= 4 && memcmp(h, "\xd7\xcd\xc6\x9a", 4) == 0) ||
	    (n >= 44 && h[0] == 1 && h[1] == 0 && h[2] == 0 && h[3] == 0 &&
		memcmp(h + 40, " EMF", 4) == 0))
		return "embedded vector pictures (EMF/WMF)";
	if (n >= 6 && memcmp(h, "VCLMTF", 6) == 0)
		return "embedded vector pictures (SVM)";
	if ((n >= 3 && memcmp(h, "\xff\xd8\xff", 3) == 0) ||
	    (n >= 8 && memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0) ||
	    (n >= 4 && memcmp(h, "GIF8", 4) == 0) ||
	    (n >= 4 &&
		(memcmp(h, "II*\0", 4) == 0 || memcmp(h, "MM\0*", 4) == 0)) ||
	    (n >= 2 && memcmp(h, "BM", 2) == 0) ||
	    (n >= 12 && memcmp(h, "RIFF", 4) == 0 &&
		memcmp(h + 8, "WEBP", 4) == 0))
		return "embedded pictures (no cleaner for their type yet)";
	if (dot != NULL &&
	    (strcasecmp(dot, ".odttf") == 0 || strcasecmp(dot, ".ttf") == 0 ||
		strcasecmp(dot, ".otf") == 0 ||
		strcasecmp(dot, ".fntdata") == 0))
		return "embedded fonts";
	return "embedded files of a type no cleaner knows";
}

/*
 * An embedded member on its way out.  Its first bytes decide: a file
 * no scrubber knows streams straight into the output; one a scrubber
 * knows goes to a memfd first, because scrubbers read a descriptor.
 */
struct emb {
	struct ob_office_pkg *pkg;
	const char *name;
	unsigned char head[OB_SCRUB_SNIFF_BYTES];
	size_t hlen;
	bool decided;
	const struct ob_scrub_family *f;
	int tmp;
};

static int
emb_decide(struct emb *m)
{
	struct ob_office_pkg *pkg = m->pkg;

	m->decided = true;
	m->f = ob_scrub_sniff(m->head, m->hlen);
	if (m->f == NULL) {
		ob_scrub_note(pkg->rep, "not-checked", "%s",
		    unknown_kind(m->head, m->hlen, m->name));
		return ob_zipw_write(pkg->zw, m->head, m->hlen);
	}
	if ((m->tmp = memfd_create("ob-embedded", MFD_CLOEXEC)) < 0) {
		ob_scrub_note(
		    pkg->rep, "refused", "a temporary file could not be made");
		return OB_EIO;
	}
	return fd_sink(&m->tmp, m->head, m->hlen);
}

static int
emb_sink(void *ctx, const void *p, size_t n)
{
	struct emb *m = ctx;
	int rc;

	if (!m->decided) {
		size_t k = sizeof(m->head) - m->hlen;

		if (k > n)
			k = n;
		memcpy(m->head + m->hlen, p, k);
		m->hlen += k;
		p = (const char *)p + k;
		n -= k;
		if (m->hlen < sizeof(m->head))
			return 0;
		if ((rc = emb_decide(m)) != 0)
			return rc;
	}
	if (n == 0)
		return 0;
	if (m->f == NULL)
		return ob_zipw_write(m->pkg->zw, p, n);
	return fd_sink(&m->tmp, p, n);
}

static int
embedded(struct ob_office_pkg *pkg, uint64_t i, const struct ob_zip_entry *e)
{
	struct ob_scrub_limits deeper = *pkg->lim;
	struct emb m;
	int tout = -1, rc;

	if (e->size == 0)
		return 0;
	memset(&m, 0, sizeof(m));
	m.pkg = pkg;
	m.name = e->name;
	m.tmp = -1;
	if ((rc = ob_zipr_read(pkg->zr, i, emb_sink, &m)) != 0 ||
	    (!m.decided && (rc = emb_decide(&m)) != 0) || m.f == NULL)
		goto out;
	if ((tout = memfd_create("ob-embedded-out", MFD_CLOEXEC)) < 0) {
		ob_scrub_note(
		    pkg->rep, "refused", "a temporary file could not be made");
		rc = OB_EIO;
		goto out;
	}
	/* What is left of this document's budget, not a fresh one. */
	deeper.max_expanded -= ob_zipr_expanded(pkg->zr);
	rc = ob_scrub_embedded(m.tmp, tout, &deeper, pkg->rep);
	if (rc != 0) {
		ob_scrub_note(pkg->rep, "refused",
		    "an embedded file (%s) could not be cleaned", m.f->mime);
		goto out;
	}
	rc = copy_fd(pkg, tout);
out:
	if (m.tmp >= 0)
		close(m.tmp);
	if (tout >= 0)
		close(tout);
	return rc;
}

static int
buf_sink(void *ctx, const void *p, size_t n)
{
	return ob_buf_append(ctx, p, n);
}

static int
store(struct ob_office_pkg *pkg, uint64_t i, const struct ob_zip_entry *e)
{
	struct ob_buf b = OB_BUF_INIT(STORE_MAX);
	int rc;

	if (e->size > STORE_MAX) {
		ob_scrub_note(pkg->rep, "refused",
		    "not an office document: a part is not what it should "
		    "be");
		return OB_EINVAL;
	}
	rc = ob_zipr_read(pkg->zr, i, buf_sink, &b);
	if (rc == 0 &&
	    !pkg->fam->store_ok((const unsigned char *)b.data, b.len)) {
		ob_scrub_note(pkg->rep, "refused",
		    "not an office document: a part is not what it should "
		    "be");
		rc = OB_EINVAL;
	}
	if (rc == 0)
		rc = ob_zipw_write(pkg->zw, b.data, b.len);
	ob_buf_release(&b);
	return rc;
}

static int
member(struct ob_office_pkg *pkg, uint64_t i)
{
	struct ob_zip_entry e;
	int rc;

	pkg->done[i] = true;
	if (pkg->kind[i] == OB_OFFICE_DROP)
		return 0;
	ob_zipr_entry(pkg->zr, i, &e);
	if ((rc = ob_zipw_begin(
		 pkg->zw, e.name, pkg->kind[i] == OB_OFFICE_STORE)) != 0)
		return rc;
	switch (pkg->kind[i]) {
	case OB_OFFICE_XML:
		/* An empty part (LibreOffice writes some) stays empty. */
		rc = e.size == 0 ? 0 : rewrite_xml(pkg, i, e.name);
		break;
	case OB_OFFICE_STORE:
		rc = store(pkg, i, &e);
		break;
	default:
		rc = embedded(pkg, i, &e);
		break;
	}
	if (rc != 0)
		return rc;
	return ob_zipw_end(pkg->zw);
}

int
ob_office_scrub(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep, const struct ob_office_family *fam)
{
	struct ob_office_pkg pkg;
	int rc;

	memset(&pkg, 0, sizeof(pkg));
	pkg.fam = fam;
	pkg.lim = lim;
	pkg.rep = rep;
	pkg.out = out;
	if ((rc = ob_zipr_open(&pkg.zr, in, lim, rep)) != 0)
		goto out;
	pkg.n = ob_zipr_count(pkg.zr);
	if ((rc = classify(&pkg)) != 0 ||
	    (rc = ob_zipw_open(&pkg.zw, out, lim, rep)) != 0)
		goto out;
	for (const char *const *f = fam->first; *f != NULL; f++) {
		int64_t i = ob_zipr_find(pkg.zr, *f);

		if (i >= 0 && (rc = member(&pkg, (uint64_t)i)) != 0)
			goto out;
	}
	for (uint64_t i = 0; i < pkg.n; i++)
		if (!pkg.done[i] && (rc = member(&pkg, i)) != 0)
			goto out;
	rc = ob_zipw_finish(pkg.zw);
out:
	ob_zipw_free(pkg.zw);
	ob_zipr_close(pkg.zr);
	free(pkg.kind);
	free(pkg.done);
	free(pkg.dropped);
	return rc;
}
