/*
 * The zip containers of office documents: a checked reader over libzip
 * and a writer of our own over zlib (lib/scrub/zip.h).
 *
 * Why our own writer: libzip writes through a temporary file it names
 * itself (or a writable source we would have to emulate), keeps every
 * member's source open until zip_close, and decides on extra fields
 * and times itself.  Writing the format directly is a few dozen lines,
 * streams one member at a time in constant memory, and puts in the
 * output exactly the bytes we want there and nothing else.
 */
#include "lib/scrub/zip.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zip.h>
#include <zlib.h>

#include "lib/scrub/sio.h"
#include "lib/util.h"

#define CHUNK (64 * 1024)
/* End of central directory record, without its comment. */
#define EOCD_LEN 22
#define EOCD_SEARCH (EOCD_LEN + 0xffff)
#define ZIP64_LOC_LEN 20
#define ZIP64_EOCD_LEN 56
#define CDIR_MIN 46 /* one central directory entry without its name */
/* Members larger than this may not be compressed more than RATIO:1. */
#define RATIO_FLOOR (UINT64_C(1) << 20)
#define RATIO 100

/* The one date every member gets: 1980-01-01 00:00:00 in MS-DOS form. */
#define DOS_TIME 0
#define DOS_DATE ((0 << 9) | (1 << 5) | 1)

/* ---- reading ---- */

struct src {
	int fd;
	uint64_t size;
	uint64_t pos;
	zip_error_t err;
};

struct ob_zipr {
	struct src src;
	zip_t *za;
	const struct ob_scrub_limits *lim;
	struct ob_scrub_report *rep;
	uint64_t n;
	struct ob_zip_entry *ents;
	uint64_t expanded;
	unsigned char buf[CHUNK];
};

/* libzip reads the input through this: pread on the descriptor. */
static zip_int64_t
src_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	struct src *s = ud;
	zip_stat_t *st;
	zip_int64_t to;
	size_t got;

	switch (cmd) {
	case ZIP_SOURCE_OPEN:
		s->pos = 0;
		return 0;
	case ZIP_SOURCE_READ:
		if (s->pos >= s->size)
			return 0;
		if (len > s->size - s->pos)
			len = s->size - s->pos;
		if (len > INT32_MAX)
			len = INT32_MAX;
		if (ob_sio_pread_full(s->fd, data, (size_t)len, s->pos, &got) !=
		    0) {
			zip_error_set(&s->err, ZIP_ER_READ, errno);
			return -1;
		}
		s->pos += got;
		return (zip_int64_t)got;
	case ZIP_SOURCE_CLOSE:
	case ZIP_SOURCE_FREE:
		return 0;
	case ZIP_SOURCE_STAT:
		st = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, len, &s->err);
		if (st == NULL)
			return -1;
		zip_stat_init(st);
		st->size = s->size;
		st->valid |= ZIP_STAT_SIZE;
		return sizeof(*st);
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&s->err, data, len);
	case ZIP_SOURCE_SEEK:
		to = zip_source_seek_compute_offset(
		    s->pos, s->size, data, len, &s->err);
		if (to < 0)
			return -1;
		s->pos = (uint64_t)to;
		return 0;
	case ZIP_SOURCE_TELL:
		return (zip_int64_t)s->pos;
	case ZIP_SOURCE_SUPPORTS:
		return ZIP_SOURCE_SUPPORTS_SEEKABLE;
	default:
		zip_error_set(&s->err, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

/*
 * The end record must end the file and agree with the central
 * directory before libzip reads anything: libzip would allocate for
 * whatever count and size it finds there.
 */
static int
check_end(int fd, uint64_t fsize, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep)
{
	unsigned char *tail = NULL, z[ZIP64_EOCD_LEN], head[4];
	uint64_t base, entries, cdsize, cdoff, cdend;
	size_t tlen, got, at;
	bool found = false;
	int rc;

	if (fsize < EOCD_LEN + 4)
		return ob_scrub_refuse(
		    rep, OB_EINVAL, "not a zip archive (too short)");
	tlen = fsize < EOCD_SEARCH ? (size_t)fsize : EOCD_SEARCH;
	base = fsize - tlen;
	tail = ob_xmalloc(tlen);
	if ((rc = ob_sio_pread_full(fd, tail, tlen, base, &got)) != 0 ||
	    got != tlen ||
	    (rc = ob_sio_pread_full(fd, head, sizeof(head), 0, &got)) != 0 ||
	    got != sizeof(head)) {
		rc = ob_scrub_refuse(rep, OB_EIO, "the file could not be read");
		goto out;
	}
	/* The record whose comment reaches exactly the last byte. */
	for (at = tlen - EOCD_LEN + 1; at-- > 0;) {
		if (memcmp(tail + at, "PK\5\6", 4) == 0 &&
		    at + EOCD_LEN + ob_le16(tail + at + 20) == tlen) {
			found = true;
			break;
		}
	}
	if (!found || memcmp(head, "PK\3\4", 4) != 0) {
		rc = ob_scrub_refuse(rep, OB_EINVAL,
		    "not a zip archive, or one with other data before or "
		    "after it");
		goto out;
	}
	if (ob_le16(tail + at + 4) != 0 || ob_le16(tail + at + 6) != 0 ||
	    ob_le16(tail + at + 8) != ob_le16(tail + at + 10)) {
		rc = ob_scrub_refuse(
		    rep, OB_EUNSUPP, "a zip archive split over disks");
		goto out;
	}
	entries = ob_le16(tail + at + 10);
	cdsize = ob_le32(tail + at + 12);
	cdoff = ob_le32(tail + at + 16);
	cdend = base + at;
	if (entries == 0xffff || cdsize == 0xffffffff || cdoff == 0xffffffff) {
		/* Zip64: the locator sits right before the end record. */
		uint64_t loc = base + at, z64;

		if (loc < ZIP64_LOC_LEN ||
		    (rc = ob_sio_pread_full(fd, z, ZIP64_LOC_LEN,
			 loc - ZIP64_LOC_LEN, &got)) != 0 ||
		    got != ZIP64_LOC_LEN || memcmp(z, "PK\6\7", 4) != 0 ||
		    ob_le32(z + 4) != 0 || ob_le32(z + 16) > 1) {
			rc = ob_scrub_refuse(rep, OB_EINVAL,
			    "the zip archive's end records disagree");
			goto out;
		}
		z64 = ob_le64(z + 8);
		if (z64 > loc - ZIP64_LOC_LEN ||
		    loc - ZIP64_LOC_LEN - z64 < ZIP64_EOCD_LEN ||
		    (rc = ob_sio_pread_full(
			 fd, z, ZIP64_EOCD_LEN, z64, &got)) != 0 ||
		    got != ZIP64_EOCD_LEN || memcmp(z, "PK\6\6", 4) != 0 ||
		    ob_le32(z + 16) != 0 || ob_le32(z + 20) != 0 ||
		    ob_le64(z + 24) != ob_le64(z + 32)) {
			rc = ob_scrub_refuse(rep, OB_EINVAL,
			    "the zip archive's end records disagree");
			goto out;
		}
		entries = ob_le64(z + 32);
		cdsize = ob_le64(z + 40);
		cdoff = ob_le64(z + 48);
		cdend = z64;
	}
	if (entries == 0) {
		rc = ob_scrub_refuse(rep, OB_EINVAL, "an empty zip archive");
		goto out;
	}
	if (entries > lim->max_entries) {
		rc = ob_scrub_refuse(
		    rep, OB_ETOOBIG, "too many files in the archive");
		goto out;
	}
	if (cdsize > lim->max_in_memory) {
		rc = ob_scrub_refuse(
		    rep, OB_ETOOBIG, "the archive's directory is too large");
		goto out;
	}
	if (cdoff > cdend || cdend - cdoff != cdsize ||
	    cdsize / CDIR_MIN < entries) {
		rc = ob_scrub_refuse(rep, OB_EINVAL,
		    "the archive's directory is not where or what its end "
		    "record says");
		goto out;
	}
	rc = 0;
out:
	free(tail);
	return rc;
}

static bool
valid_utf8(const unsigned char *s)
{
	while (*s != '\0') {
		unsigned c = *s++, n, min;
		uint32_t cp;

		if (c < 0x80)
			continue;
		if ((c & 0xe0) == 0xc0)
			n = 1, min = 0x80, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			n = 2, min = 0x800, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			n = 3, min = 0x10000, cp = c & 0x07;
		else
			return false;
		while (n-- > 0) {
			if ((*s & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (*s++ & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
			return false;
	}
	return true;
}

/* Why a member name is refused, or NULL when it is fine. */
static const char *
bad_name(const char *s)
{
	size_t len = strlen(s);
	const char *c;

	if (len == 0)
		return "an archive member without a name";
	if (len > OB_ZIP_NAME_MAX)
		return "an archive member name that is too long";
	if (s[0] == '/' ||
	    (len >= 2 && s[1] == ':' &&
		((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))))
		return "an archive member with an absolute path";
	for (c = s; *c != '\0'; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return "a control character in an archive member name";
		if (*c == '\\')
			return "a backslash in an archive member name";
	}
	if (!valid_utf8((const unsigned char *)s))
		return "an archive member name that is not UTF-8";
	/* Components: no "..", and no "." or empty ones that would give
	 * one member two spellings. */
	for (c = s; *c != '\0';) {
		const char *e = strchr(c, '/');
		size_t n = e ? (size_t)(e - c) : strlen(c);

		if (n == 2 && c[0] == '.' && c[1] == '.')
			return "an archive member name that climbs out of the "
			       "archive (..)";
		if ((n == 1 && c[0] == '.') || (n == 0 && e != NULL))
			return "an archive member name with an empty or '.' "
			       "part";
		if (e == NULL)
			break;
		c = e + 1;
	}
	return NULL;
}

static int
name_cmp(const void *a, const void *b)
{
	const struct ob_zip_entry *x = *(const struct ob_zip_entry *const *)a;
	const struct ob_zip_entry *y = *(const struct ob_zip_entry *const *)b;

	return strcasecmp(x->name, y->name);
}

static int
zip_error_rc(int ze, struct ob_scrub_report *rep)
{
	switch (ze) {
	case ZIP_ER_READ:
	case ZIP_ER_SEEK:
	case ZIP_ER_TELL:
		return ob_scrub_refuse(
		    rep, OB_EIO, "the file could not be read");
	case ZIP_ER_MULTIDISK:
	case ZIP_ER_COMPNOTSUPP:
	case ZIP_ER_ENCRNOTSUPP:
	case ZIP_ER_NOPASSWD:
	case ZIP_ER_WRONGPASSWD:
		return ob_scrub_refuse(rep, OB_EUNSUPP,
		    "an encrypted or unusually compressed archive");
	case ZIP_ER_MEMORY:
		return ob_scrub_refuse(
		    rep, OB_ETOOBIG, "the archive is too large");
	default:
		return ob_scrub_refuse(
		    rep, OB_EINVAL, "a damaged or inconsistent zip archive");
	}
}

/* Every member checked once, before anything is read (zip.h). */
static int
check_entries(struct ob_zipr *r)
{
	const struct ob_scrub_limits *lim = r->lim;
	struct ob_zip_entry **sorted = NULL;
	uint64_t total = 0, ctotal = 0;
	int rc = 0;

	r->ents = ob_xcalloc((size_t)r->n, sizeof(*r->ents));
	for (uint64_t i = 0; i < r->n; i++) {
		struct ob_zip_entry *e = &r->ents[i];
		const char *why;
		zip_stat_t st;

		zip_stat_init(&st);
		if (zip_stat_index(r->za, i, 0, &st) != 0)
			return zip_error_rc(
			    zip_error_code_zip(zip_get_error(r->za)), r->rep);
		if (!(st.valid & ZIP_STAT_NAME) ||
		    !(st.valid & ZIP_STAT_SIZE) ||
		    !(st.valid & ZIP_STAT_COMP_SIZE) ||
		    !(st.valid & ZIP_STAT_COMP_METHOD))
			return ob_scrub_refuse(r->rep, OB_EINVAL,
			    "a damaged or inconsistent zip archive");
		if ((why = bad_name(st.name)) != NULL)
			return ob_scrub_refuse(r->rep, OB_EINVAL, why);
		if ((st.valid & ZIP_STAT_ENCRYPTION_METHOD) &&
		    st.encryption_method != ZIP_EM_NONE)
			return ob_scrub_refuse(r->rep, OB_EUNSUPP,
			    "an encrypted file in the archive");
		if (st.comp_method != ZIP_CM_STORE &&
		    st.comp_method != ZIP_CM_DEFLATE)
			return ob_scrub_refuse(r->rep, OB_EUNSUPP,
			    "an archive member compressed in an unusual way");
		e->name = st.name;
		e->size = st.size;
		e->csize = st.comp_size;
		e->stored = st.comp_method == ZIP_CM_STORE;
		e->dir = st.name[strlen(st.name) - 1] == '/';
		if (e->dir && e->size != 0)
			return ob_scrub_refuse(r->rep, OB_EINVAL,
			    "a folder in the archive that holds data");
		if (e->stored && e->size != e->csize)
			return ob_scrub_refuse(r->rep, OB_EINVAL,
			    "an archive member whose sizes disagree");
		if (e->size > RATIO_FLOOR && e->size / RATIO > e->csize)
			return ob_scrub_refuse(r->rep, OB_ETOOBIG,
			    "an archive member that expands too much (a zip "
			    "bomb?)");
		if (e->size > lim->max_expanded - total)
			return ob_scrub_refuse(r->rep, OB_ETOOBIG,
			    "the archive expands to too much data");
		total += e->size;
		if (e->csize > r->src.size - ctotal)
			return ob_scrub_refuse(r->rep, OB_EINVAL,
			    "archive members that overlap or lie about their "
			    "size");
		ctotal += e->csize;
	}
	sorted = ob_xcalloc((size_t)r->n, sizeof(*sorted));
	for (uint64_t i = 0; i < r->n; i++)
		sorted[i] = &r->ents[i];
	qsort(sorted, (size_t)r->n, sizeof(*sorted), name_cmp);
	for (uint64_t i = 1; i < r->n; i++)
		if (strcasecmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
			rc = ob_scrub_refuse(r->rep, OB_EINVAL,
			    "two files of the same name in the archive");
			break;
		}
	free(sorted);
	return rc;
}

int
ob_zipr_open(struct ob_zipr **rp, int fd, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep)
{
	struct ob_zipr *r = ob_xcalloc(1, sizeof(*r));
	zip_source_t *zs = NULL;
	zip_error_t ze;
	zip_int64_t n;
	int rc;

	*rp = NULL;
	r->lim = lim;
	r->rep = rep;
	r->src.fd = fd;
	zip_error_init(&r->src.err);
	zip_error_init(&ze);
	if (ob_sio_fd_size(fd, &r->src.size) != 0) {
		rc = ob_scrub_refuse(rep, OB_EIO, "the file could not be read");
		goto fail;
	}
	if ((rc = check_end(fd, r->src.size, lim, rep)) != 0)
		goto fail;
	if ((zs = zip_source_function_create(src_cb, &r->src, &ze)) == NULL) {
		rc = ob_scrub_refuse(rep, OB_EIO, "the file could not be read");
		goto fail;
	}
	r->za = zip_open_from_source(zs, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (r->za == NULL) {
		zip_source_free(zs);
		rc = zip_error_rc(zip_error_code_zip(&ze), rep);
		goto fail;
	}
	n = zip_get_num_entries(r->za, 0);
	if (n <= 0 || (uint64_t)n > lim->max_entries) {
		rc = ob_scrub_refuse(rep, n <= 0 ? OB_EINVAL : OB_ETOOBIG,
		    n <= 0 ? "an empty zip archive"
			   : "too many files in the archive");
		goto fail;
	}
	r->n = (uint64_t)n;
	if ((rc = check_entries(r)) != 0)
		goto fail;
	zip_error_fini(&ze);
	*rp = r;
	return 0;
fail:
	zip_error_fini(&ze);
	ob_zipr_close(r);
	return rc;
}

uint64_t
ob_zipr_count(const struct ob_zipr *r)
{
	return r->n;
}

void
ob_zipr_entry(const struct ob_zipr *r, uint64_t i, struct ob_zip_entry *e)
{
	*e = r->ents[i];
}

int64_t
ob_zipr_find(const struct ob_zipr *r, const char *name)
{
	for (uint64_t i = 0; i < r->n; i++)
		if (strcasecmp(r->ents[i].name, name) == 0)
			return (int64_t)i;
	return -1;
}

uint64_t
ob_zipr_expanded(const struct ob_zipr *r)
{
	return r->expanded;
}

int
ob_zipr_read(struct ob_zipr *r, uint64_t i, ob_zip_sink sink, void *ctx)
{
	const struct ob_zip_entry *e = &r->ents[i];
	zip_file_t *zf;
	uint64_t got = 0;
	int rc = 0;

	if ((zf = zip_fopen_index(r->za, i, 0)) == NULL)
		return zip_error_rc(
		    zip_error_code_zip(zip_get_error(r->za)), r->rep);
	for (;;) {
		zip_int64_t n = zip_fread(zf, r->buf, sizeof(r->buf));

		if (n < 0) {
			rc = zip_error_rc(
			    zip_error_code_zip(zip_file_get_error(zf)), r->rep);
			break;
		}
		if (n == 0)
			break;
		/* Counted as inflated: the header is only a claim. */
		if ((uint64_t)n > e->size - got) {
			rc = ob_scrub_refuse(r->rep, OB_EINVAL,
			    "an archive member holds more data than its "
			    "header says (a zip bomb?)");
			break;
		}
		got += (uint64_t)n;
		if ((uint64_t)n > r->lim->max_expanded - r->expanded) {
			rc = ob_scrub_refuse(r->rep, OB_ETOOBIG,
			    "the archive expands to too much data");
			break;
		}
		r->expanded += (uint64_t)n;
		if ((rc = sink(ctx, r->buf, (size_t)n)) != 0)
			break;
	}
	if (rc == 0 && got != e->size)
		rc = ob_scrub_refuse(r->rep, OB_EINVAL,
		    "an archive member is shorter than its header says");
	zip_fclose(zf);
	return rc;
}

void
ob_zipr_close(struct ob_zipr *r)
{
	if (r == NULL)
		return;
	if (r->za != NULL)
		zip_discard(r->za);
	zip_error_fini(&r->src.err);
	free(r->ents);
	free(r);
}

/* ---- writing ---- */

#define LOCAL_LEN 30
#define CENTRAL_LEN 46
#define OUT_MAX UINT64_C(0xffffffff)
#define COUNT_MAX 0xffff

struct ob_zipw {
	int fd;
	uint64_t off; /* next byte to write */
	uint64_t max;
	struct ob_scrub_report *rep;
	struct ob_buf cd;
	uint32_t count;
	z_stream z;
	bool zinit;
	bool in_member;
	bool store;
	bool finished;
	uint16_t flags;
	uint64_t lh_off;
	uint32_t crc;
	uint64_t usize;
	uint64_t csize;
	char name[OB_ZIP_NAME_MAX];
	size_t namelen;
	unsigned char obuf[CHUNK];
};

int
ob_zipw_open(struct ob_zipw **wp, int fd, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep)
{
	struct ob_zipw *w = ob_xcalloc(1, sizeof(*w));
	off_t end;

	*wp = w;
	w->fd = fd;
	w->rep = rep;
	w->max = lim->max_output < OUT_MAX ? lim->max_output : OUT_MAX;
	ob_buf_init(&w->cd,
	    lim->max_in_memory < SIZE_MAX ? (size_t)lim->max_in_memory
					  : SIZE_MAX);
	if ((end = lseek(fd, 0, SEEK_END)) < 0)
		return ob_scrub_refuse(
		    rep, OB_EIO, "the result could not be written");
	w->off = (uint64_t)end;
	if (deflateInit2(&w->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS,
		8, Z_DEFAULT_STRATEGY) != Z_OK)
		return ob_scrub_refuse(rep, OB_EIO, "the compressor failed");
	w->zinit = true;
	return 0;
}

static int
emit(struct ob_zipw *w, const void *p, size_t n)
{
	if (n > w->max || w->off > w->max - n)
		return ob_scrub_refuse(
		    w->rep, OB_ETOOBIG, "the cleaned file is too large");
	if (ob_sio_pwrite_full(w->fd, p, n, w->off) != 0)
		return ob_scrub_refuse(
		    w->rep, OB_EIO, "the result could not be written");
	w->off += n;
	return 0;
}

int
ob_zipw_begin(struct ob_zipw *w, const char *name, bool store)
{
	unsigned char h[LOCAL_LEN];
	size_t len = strlen(name);
	int rc;

	if (w->in_member || w->finished || bad_name(name) != NULL)
		return ob_scrub_refuse(
		    w->rep, OB_EINVAL, "an internal error (zip)");
	if (w->count >= COUNT_MAX)
		return ob_scrub_refuse(
		    w->rep, OB_ETOOBIG, "too many files in the archive");
	w->flags = 0;
	for (const char *c = name; *c != '\0'; c++)
		if ((unsigned char)*c >= 0x80)
			w->flags = 1 << 11; /* the name is UTF-8 */
	w->store = store;
	w->lh_off = w->off;
	w->crc = (uint32_t)crc32(0, Z_NULL, 0);
	w->usize = w->csize = 0;
	memset(h, 0, sizeof(h));
	ob_put_le32(h, 0x04034b50);
	ob_put_le16(h + 4, 20);
	ob_put_le16(h + 6, w->flags);
	ob_put_le16(h + 8, store ? 0 : 8);
	ob_put_le16(h + 10, DOS_TIME);
	ob_put_le16(h + 12, DOS_DATE);
	/* crc and sizes (14..25) come at the end */
	ob_put_le16(h + 26, (uint16_t)len);
	if ((rc = emit(w, h, sizeof(h))) != 0 || (rc = emit(w, name, len)) != 0)
		return rc;
	if (deflateReset(&w->z) != Z_OK)
		return ob_scrub_refuse(w->rep, OB_EIO, "the compressor failed");
	memcpy(w->name, name, len);
	w->namelen = len;
	w->in_member = true;
	return 0;
}

static int
pump(struct ob_zipw *w, int flush)
{
	int zr, rc;

	do {
		size_t have;

		w->z.next_out = w->obuf;
		w->z.avail_out = sizeof(w->obuf);
		zr = deflate(&w->z, flush);
		if (zr == Z_STREAM_ERROR)
			return ob_scrub_refuse(
			    w->rep, OB_EIO, "the compressor failed");
		have = sizeof(w->obuf) - w->z.avail_out;
		if ((rc = emit(w, w->obuf, have)) != 0)
			return rc;
		w->csize += have;
	} while (
	    w->z.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
	return 0;
}

int
ob_zipw_write(struct ob_zipw *w, const void *p, size_t n)
{
	const unsigned char *b = p;
	int rc;

	if (!w->in_member)
		return ob_scrub_refuse(
		    w->rep, OB_EINVAL, "an internal error (zip)");
	while (n > 0) {
		uInt part = n > CHUNK ? CHUNK : (uInt)n;

		if (w->usize + part > OUT_MAX)
			return ob_scrub_refuse(w->rep, OB_ETOOBIG,
			    "the cleaned file is too large");
		w->crc = (uint32_t)crc32(w->crc, b, part);
		w->usize += part;
		if (w->store) {
			if ((rc = emit(w, b, part)) != 0)
				return rc;
			w->csize += part;
		} else {
			w->z.next_in = (Bytef *)(uintptr_t)b;
			w->z.avail_in = part;
			if ((rc = pump(w, Z_NO_FLUSH)) != 0)
				return rc;
		}
		b += part;
		n -= part;
	}
	return 0;
}

int
ob_zipw_sink(void *ctx, const void *p, size_t n)
{
	return ob_zipw_write(ctx, p, n);
}

int
ob_zipw_end(struct ob_zipw *w)
{
	unsigned char h[CENTRAL_LEN], fix[12];
	int rc;

	if (!w->in_member)
		return ob_scrub_refuse(
		    w->rep, OB_EINVAL, "an internal error (zip)");
	if (!w->store) {
		w->z.next_in = Z_NULL;
		w->z.avail_in = 0;
		if ((rc = pump(w, Z_FINISH)) != 0)
			return rc;
	}
	if (w->csize > OUT_MAX)
		return ob_scrub_refuse(
		    w->rep, OB_ETOOBIG, "the cleaned file is too large");
	ob_put_le32(fix, w->crc);
	ob_put_le32(fix + 4, (uint32_t)w->csize);
	ob_put_le32(fix + 8, (uint32_t)w->usize);
	if (ob_sio_pwrite_full(w->fd, fix, sizeof(fix), w->lh_off + 14) != 0)
		return ob_scrub_refuse(
		    w->rep, OB_EIO, "the result could not be written");
	memset(h, 0, sizeof(h));
	ob_put_le32(h, 0x02014b50);
	ob_put_le16(h + 4, 0x0300 | 30); /* made by: Unix, zip 3.0 */
	ob_put_le16(h + 6, 20);
	ob_put_le16(h + 8, w->flags);
	ob_put_le16(h + 10, w->store ? 0 : 8);
	ob_put_le16(h + 12, DOS_TIME);
	ob_put_le16(h + 14, DOS_DATE);
	ob_put_le32(h + 16, w->crc);
	ob_put_le32(h + 20, (uint32_t)w->csize);
	ob_put_le32(h + 24, (uint32_t)w->usize);
	ob_put_le16(h + 28, (uint16_t)w->namelen);
	/* extra field, comment, disk, internal attributes: none */
	ob_put_le32(h + 38, (uint32_t)0100644 << 16);
	ob_put_le32(h + 42, (uint32_t)w->lh_off);
	if (ob_buf_append(&w->cd, h, sizeof(h)) != 0 ||
	    ob_buf_append(&w->cd, w->name, w->namelen) != 0)
		return ob_scrub_refuse(
		    w->rep, OB_ETOOBIG, "too many files in the archive");
	w->count++;
	w->in_member = false;
	return 0;
}

int
ob_zipw_finish(struct ob_zipw *w)
{
	unsigned char e[EOCD_LEN];
	uint64_t cdoff = w->off;
	int rc;

	if (w->in_member || w->finished)
		return ob_scrub_refuse(
		    w->rep, OB_EINVAL, "an internal error (zip)");
	if ((rc = emit(w, w->cd.data, w->cd.len)) != 0)
		return rc;
	memset(e, 0, sizeof(e));
	ob_put_le32(e, 0x06054b50);
	ob_put_le16(e + 8, (uint16_t)w->count);
	ob_put_le16(e + 10, (uint16_t)w->count);
	ob_put_le32(e + 12, (uint32_t)w->cd.len);
	ob_put_le32(e + 16, (uint32_t)cdoff);
	if ((rc = emit(w, e, sizeof(e))) != 0)
		return rc;
	w->finished = true;
	return 0;
}

void
ob_zipw_free(struct ob_zipw *w)
{
	if (w == NULL)
		return;
	if (w->zinit)
		deflateEnd(&w->z);
	ob_buf_release(&w->cd);
	free(w);
}
