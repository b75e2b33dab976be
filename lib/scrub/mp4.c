/*
 * mp4.c - ISO base media files (MP4, M4A, MOV, 3GP): metadata boxes are
 * replaced by 'free' boxes of the same size, so every box keeps its
 * offset and the chunk offset tables (stco, co64), which point into
 * mdat by absolute file offset, stay right without being rewritten.
 * The output is exactly as long as the input and mdat is copied byte
 * for byte, through a fixed buffer.
 *
 * Three passes:
 *   1. the top-level box headers are checked (each size against the
 *      file) and moov is found (exactly one);
 *   2. moov is read into memory (at most lim->max_in_memory; a larger
 *      one is refused) and walked: metadata boxes become 'free', the
 *      dates in mvhd, tkhd and mdhd become 0, names of handlers and
 *      encoders are blanked, and a timed metadata track (GoPro GPMF
 *      GPS, Google CAMM, Apple 'mebx', ISO 'mett'/'metx'/'urim' or any
 *      track whose handler is 'meta') is turned into 'free' and the
 *      byte ranges of its samples are listed;
 *   3. the file is written: moov from memory, each moof read, walked
 *      and written the same way, mdat copied with the listed ranges
 *      zeroed, free space (free, skip, wide) zeroed, and every other
 *      top-level box but ftyp, styp, sidx, ssix, mfra and pdin - meta,
 *      uuid (XMP and vendors'), emsg (may carry ID3), prft (wall-clock
 *      time), PICT/pnot previews, anything unknown - replaced by 'free'.
 *
 * Removed anywhere in moov or moof: udta (titles, authors, '\xa9xyz'
 * locations, '\xa9mak'/'\xa9mod' device, GoPro FIRM/LENS/CAME/SETT/MUID/
 * GPMF, Canon CNCV/CNTH, Nikon NCDT, Microsoft Xtra, XMP_), meta (ilst,
 * 'mdta' keys such as com.apple.quicktime.location.ISO6709), XMP uuid
 * boxes, and in moov and its tracks every uuid box and every box we do
 * not know.  Refused: a second moov, a compressed (cmov) or reference
 * (rmra) movie, media in other files (dref not self-contained), HEIF
 * and AVIF images and Canon CR3 raw files (OB_EUNSUPP: their 'meta'
 * and 'uuid' boxes are the image), a fragmented file with a timed
 * metadata track (its samples are in moof runs we do not follow).
 * Not checked: what encoders write inside the compressed streams,
 * timecode tracks, and text or subtitle tracks (content to us, but some
 * drones write their position there).
 */
#include "lib/scrub/sniff.h"

#include <stdlib.h>
#include <string.h>

#include "lib/scrub/sio.h"
#include "lib/util.h"

#define FCC(a, b, c, d)                                                        \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 |      \
	    (uint32_t)(d))

/* The XMP box: uuid BE7ACFCB-97A9-42E8-9C71-999491E3AFAC. */
static const unsigned char xmp_uuid[16] = { 0xbe, 0x7a, 0xcf, 0xcb, 0x97, 0xa9,
	0x42, 0xe8, 0x9c, 0x71, 0x99, 0x94, 0x91, 0xe3, 0xaf, 0xac };

struct box {
	uint64_t size; /* header included */
	uint32_t hlen; /* 8, 16 with a 64-bit size, 16 more for a uuid */
	uint32_t type;
	bool large; /* the size is in the 64-bit field */
	unsigned char uuid[16];
};

/* Bytes of samples a removed track left in mdat. */
struct range {
	uint64_t off, len;
};

struct mp4 {
	struct ob_sio io;
	const struct ob_scrub_limits *lim;
	struct ob_scrub_report *rep;
	uint64_t entries;
	uint64_t end; /* of the last top-level box */
	uint64_t moov_off;
	struct box moov;
	unsigned char *moov_buf; /* walked in pass 2, written in pass 3 */
	bool have_moof;
	unsigned removed_tracks;
	struct range *zero;
	size_t nzero, zcap;
};

/* What a track is, learnt while walking it. */
struct track {
	uint32_t handler; /* mdia/hdlr handler type */
	uint32_t format; /* the first sample entry's type */
	unsigned char *stbl; /* its sample table, in the moov buffer */
	size_t stbl_len;
};

bool
ob_scrub_mp4_sniff(const unsigned char *head, size_t n)
{
	uint32_t size, type, brand;

	if (n < 12)
		return false;
	size = ob_be32(head);
	type = ob_be32(head + 4);
	if (type == FCC('f', 't', 'y', 'p')) {
		brand = ob_be32(head + 8);
		/* Still images in the same box format are not ours. */
		return size >= 16 && size <= 4096 &&
		    brand != FCC('h', 'e', 'i', 'c') &&
		    brand != FCC('h', 'e', 'i', 'x') &&
		    brand != FCC('m', 'i', 'f', '1') &&
		    brand != FCC('a', 'v', 'i', 'f') &&
		    brand != FCC('c', 'r', 'x', ' ') &&
		    brand != FCC('j', 'p', '2', ' ');
	}
	/* QuickTime files older than 'ftyp'. */
	if (type == FCC('m', 'o', 'o', 'v') ||
	    type == FCC('m', 'd', 'a', 't') ||
	    type == FCC('w', 'i', 'd', 'e') ||
	    type == FCC('f', 'r', 'e', 'e') || type == FCC('s', 'k', 'i', 'p'))
		return size == 1 || size >= 8;
	return false;
}

static int
refuse(struct mp4 *c, int rc, const char *why)
{
	return ob_scrub_refuse(c->rep, rc, why);
}

static int
count_entry(struct mp4 *c)
{
	if (++c->entries > c->lim->max_entries)
		return refuse(c, OB_ETOOBIG, "too many boxes");
	return 0;
}

/*
 * Reads the box header at p (avail bytes of it readable) in room bytes
 * of its parent.  Size 0 ("to the end") only at the top level.
 */
static int
box_header(const unsigned char *p, uint64_t avail, uint64_t room, bool top,
    struct box *b)
{
	uint32_t s32;

	if (avail < 8 || room < 8)
		return OB_EINVAL;
	s32 = ob_be32(p);
	b->type = ob_be32(p + 4);
	b->hlen = 8;
	b->large = false;
	if (s32 == 1) {
		if (avail < 16)
			return OB_EINVAL;
		b->size = ob_be64(p + 8);
		b->hlen = 16;
		b->large = true;
	} else if (s32 == 0) {
		if (!top)
			return OB_EINVAL;
		b->size = room;
	} else {
		b->size = s32;
	}
	if (b->type == FCC('u', 'u', 'i', 'd')) {
		if (avail < b->hlen + 16u)
			return OB_EINVAL;
		memcpy(b->uuid, p + b->hlen, 16);
		b->hlen += 16;
	}
	if (b->size < b->hlen || b->size > room)
		return OB_EINVAL;
	return 0;
}

static bool
is_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* A 'free' box header for a box of size bytes; its length. */
static size_t
free_header(unsigned char *h, uint64_t size, bool large)
{
	if (large || size > UINT32_MAX) {
		ob_put_be32(h, 1);
		ob_put_be32(h + 4, FCC('f', 'r', 'e', 'e'));
		ob_put_be32(h + 8, (uint32_t)(size >> 32));
		ob_put_be32(h + 12, (uint32_t)size);
		return 16;
	}
	ob_put_be32(h, (uint32_t)size);
	ob_put_be32(h + 4, FCC('f', 'r', 'e', 'e'));
	return 8;
}

/* Turns the box at q, in memory, into zero-filled free space. */
static void
free_in_place(unsigned char *q, const struct box *b)
{
	unsigned char h[16];
	size_t hl = free_header(h, b->size, b->large);

	memset(q, 0, (size_t)b->size);
	memcpy(q, h, hl);
}

/* --- The report: what a udta or meta box held ----------------------- */

/* What a key name of a QuickTime 'keys' box says, roughly. */
static const char *
key_kind(const unsigned char *k, size_t n)
{
	static const struct {
		const char *needle, *kind;
	} kinds[] = {
		{ "location", "recording location (GPS)" },
		{ "ISO6709", "recording location (GPS)" },
		{ "make", "device make and model" },
		{ "model", "device make and model" },
		{ "creation", "recording date" },
		{ "date", "recording date" },
		{ "software", "software name" },
		{ "encoder", "software name" },
		{ "author", "names of authors or artists" },
		{ "artist", "names of authors or artists" },
		{ "title", "titles" },
		{ "comment", "comments and descriptions" },
		{ "description", "comments and descriptions" },
	};

	for (size_t i = 0; i < OB_NELEM(kinds); i++)
		if (memmem(k, n, kinds[i].needle, strlen(kinds[i].needle)))
			return kinds[i].kind;
	return "other tags";
}

/* What a box inside udta, meta or ilst holds, by its type. */
static const char *
tag_kind(uint32_t t)
{
	static const struct {
		char t[5];
		const char *kind;
	} kinds[] = {
		{ "\251xyz", "recording location (GPS)" },
		{ "loci", "recording location (GPS)" },
		{ "\251mak", "device make and model" },
		{ "\251mod", "device make and model" },
		{ "\251day", "recording date" },
		{ "date", "recording date" },
		{ "\251too", "software name" },
		{ "\251swr", "software name" },
		{ "\251enc", "software name" },
		{ "\251ART", "names of authors or artists" },
		{ "\251aut", "names of authors or artists" },
		{ "\251wrt", "names of authors or artists" },
		{ "\251com", "names of authors or artists" },
		{ "aART", "names of authors or artists" },
		{ "auth", "names of authors or artists" },
		{ "perf", "names of authors or artists" },
		{ "\251nam", "titles" },
		{ "\251alb", "titles" },
		{ "titl", "titles" },
		{ "\251cmt", "comments and descriptions" },
		{ "\251des", "comments and descriptions" },
		{ "cmmt", "comments and descriptions" },
		{ "dscp", "comments and descriptions" },
		{ "desc", "comments and descriptions" },
		{ "ldes", "comments and descriptions" },
		{ "covr", "cover picture" },
		{ "XMP_", "XMP metadata" },
		{ "FIRM", "camera settings and identifiers (GoPro)" },
		{ "LENS", "camera settings and identifiers (GoPro)" },
		{ "CAME", "camera settings and identifiers (GoPro)" },
		{ "SETT", "camera settings and identifiers (GoPro)" },
		{ "MUID", "camera settings and identifiers (GoPro)" },
		{ "HMMT", "camera settings and identifiers (GoPro)" },
		{ "BCID", "camera settings and identifiers (GoPro)" },
		{ "GUMI", "camera settings and identifiers (GoPro)" },
		{ "GPMF", "camera settings and identifiers (GoPro)" },
		{ "NCDT", "camera maker data (Nikon)" },
		{ "CNCV", "camera maker data (Canon)" },
		{ "CNTH", "camera maker data (Canon)" },
		{ "CNMN", "camera maker data (Canon)" },
		{ "TAGS", "camera maker data" },
		{ "PANA", "camera maker data (Panasonic)" },
		{ "Xtra", "Windows media tags" },
		{ "name", "track name" },
		{ "chpl", "chapter titles" },
		{ "hnti", "streaming session information" },
	};

	for (size_t i = 0; i < OB_NELEM(kinds); i++)
		if (t == ob_be32((const unsigned char *)kinds[i].t))
			return kinds[i].kind;
	return NULL;
}

/*
 * Names in the report what the children of a udta, meta or ilst box
 * (body, len bytes) hold.  Best effort and only for the report: the
 * box is freed whatever this finds.  Returns how many were named.
 */
static unsigned
tag_notes(struct mp4 *c, const unsigned char *p, size_t len, uint32_t parent,
    unsigned depth)
{
	unsigned named = 0;
	size_t pos = 0;

	/* An ISO meta box is a full box: version and flags (zero) come
	 * first; a QuickTime one starts with its first child's size. */
	if (parent == FCC('m', 'e', 't', 'a') && len >= 4 && is_zero(p, 4))
		pos = 4;
	while (depth < 4 && len - pos >= 8) {
		struct box b;
		const unsigned char *body;
		const char *kind;

		if (box_header(p + pos, len - pos, len - pos, false, &b) != 0)
			break;
		body = p + pos + b.hlen;
		if (b.type == FCC('m', 'e', 't', 'a') ||
		    b.type == FCC('i', 'l', 's', 't')) {
			named += tag_notes(c, body, (size_t)(b.size - b.hlen),
			    b.type, depth + 1);
		} else if (b.type == FCC('k', 'e', 'y', 's') &&
		    b.size - b.hlen >= 8) {
			/* Version, flags, count, then (size, namespace,
			 * name) entries. */
			size_t kl = (size_t)(b.size - b.hlen), kp = 8;

			while (kl - kp >= 8) {
				uint32_t es = ob_be32(body + kp);

				if (es < 8 || es > kl - kp)
					break;
				ob_scrub_note(c->rep, "removed", "%s",
				    key_kind(body + kp + 8, es - 8));
				named++;
				kp += es;
			}
		} else if ((kind = tag_kind(b.type)) != NULL) {
			ob_scrub_note(c->rep, "removed", "%s", kind);
			named++;
		} else if (parent == FCC('i', 'l', 's', 't') && b.type >= 1 &&
		    b.type < 0x10000) {
			/* Items numbered after the keys: named there. */
		} else if (b.type != FCC('h', 'd', 'l', 'r') &&
		    b.type != FCC('f', 'r', 'e', 'e')) {
			ob_scrub_note(c->rep, "removed", "other tags");
			named++;
		}
		pos += (size_t)b.size;
	}
	return named;
}

/* --- Moov and moof, in memory --------------------------------------- */

/* Sets the creation and modification times of mvhd, tkhd or mdhd to 0. */
static int
clear_dates(struct mp4 *c, unsigned char *body, size_t len)
{
	size_t n;

	if (len < 4)
		return refuse(c, OB_EINVAL,
		    "a movie or track header is cut "
		    "short");
	n = body[0] == 1 ? 16 : 8;
	if (len < 4 + n)
		return refuse(c, OB_EINVAL,
		    "a movie or track header is cut "
		    "short");
	if (!is_zero(body + 4, n)) {
		memset(body + 4, 0, n);
		ob_scrub_note(c->rep, "removed",
		    "creation and modification dates of the movie and its "
		    "tracks");
	}
	return 0;
}

/*
 * A handler box: its type tells what a track is (in mdia), and its name
 * ("GoPro AVC", "Core Media Video") is blanked: zeros are an empty C
 * string (ISO) and an empty Pascal string (QuickTime) alike.
 */
static void
handler(
    struct mp4 *c, unsigned char *body, size_t len, struct track *t, bool media)
{
	if (len >= 12 && media)
		t->handler = ob_be32(body + 8);
	if (len > 24 && !is_zero(body + 24, len - 24)) {
		memset(body + 24, 0, len - 24);
		ob_scrub_note(c->rep, "removed",
		    "handler names (may name the device or software)");
	}
}

/* Data references: only media inside this file is accepted. */
static int
dref(struct mp4 *c, unsigned char *body, size_t len)
{
	size_t pos = 8;
	int rc;

	if (len < 8)
		return refuse(
		    c, OB_EINVAL, "a data reference box is cut short");
	while (pos < len) {
		struct box b;
		unsigned char *e = body + pos;

		if (box_header(e, len - pos, len - pos, false, &b) != 0 ||
		    b.size - b.hlen < 4)
			return refuse(
			    c, OB_EINVAL, "a data reference box is malformed");
		if ((rc = count_entry(c)) != 0)
			return rc;
		/* Flag 1: the media is in this file. */
		if (!(e[b.hlen + 3] & 1))
			return refuse(c, OB_EUNSUPP,
			    "the video refers to media in other files");
		/* Nothing should follow the flags then; a path might. */
		memset(e + b.hlen + 4, 0, (size_t)(b.size - b.hlen - 4));
		pos += (size_t)b.size;
	}
	return 0;
}

/*
 * Sample descriptions: the first one's format says what a track holds;
 * in video and sound entries the vendor code and the compressor name
 * ("Lavc59.37.100 libx264", "GoPro AVC encoder") go.
 */
static int
stsd(struct mp4 *c, unsigned char *body, size_t len, struct track *t)
{
	size_t pos = 8;
	int rc;

	if (len < 8)
		return refuse(
		    c, OB_EINVAL, "a sample description is cut short");
	while (pos < len) {
		struct box b;
		unsigned char *e = body + pos;

		if (box_header(e, len - pos, len - pos, false, &b) != 0)
			return refuse(
			    c, OB_EINVAL, "a sample description is malformed");
		if ((rc = count_entry(c)) != 0)
			return rc;
		if (t->format == 0)
			t->format = b.type;
		if ((t->handler == FCC('v', 'i', 'd', 'e') ||
			t->handler == FCC('s', 'o', 'u', 'n')) &&
		    b.size >= b.hlen + 16)
			memset(e + b.hlen + 12, 0, 4); /* vendor */
		if (t->handler == FCC('v', 'i', 'd', 'e') &&
		    b.size >= b.hlen + 74 && !is_zero(e + b.hlen + 42, 32)) {
			memset(e + b.hlen + 42, 0, 32);
			ob_scrub_note(c->rep, "removed",
			    "encoder name of the video track");
		}
		pos += (size_t)b.size;
	}
	return 0;
}

static int
add_range(struct mp4 *c, uint64_t off, uint64_t len)
{
	struct range *last = c->nzero ? &c->zero[c->nzero - 1] : NULL;
	int rc;

	if (len == 0)
		return 0;
	if (off > c->io.size || len > c->io.size - off)
		return refuse(
		    c, OB_EINVAL, "a track's samples lie outside the file");
	if (last != NULL && last->off + last->len == off) {
		last->len += len;
		return 0;
	}
	if ((rc = count_entry(c)) != 0)
		return rc;
	if (c->nzero == c->zcap) {
		c->zcap = c->zcap ? c->zcap * 2 : 64;
		c->zero = ob_xrealloc(c->zero, c->zcap * sizeof(*c->zero));
	}
	c->zero[c->nzero].off = off;
	c->zero[c->nzero].len = len;
	c->nzero++;
	return 0;
}

/* A table box of the sample table: body and length, or NULL. */
struct table {
	const unsigned char *p;
	size_t len;
};

/*
 * Lists where the samples of a track are, from its sample table: chunk
 * offsets (stco/co64), samples per chunk (stsc) and sample sizes
 * (stsz).  Every count is checked against the box that holds it.
 */
static int
sample_ranges(struct mp4 *c, const struct track *t)
{
	struct table stsc = { 0 }, stsz = { 0 }, stco = { 0 };
	bool co64 = false;
	uint64_t nchunks, nstsc, nsamples, fixed, s = 0;
	size_t pos = 0, j = 0;
	int rc;

	while (pos < t->stbl_len) {
		struct box b;
		const unsigned char *q = t->stbl + pos;
		struct table tb;

		if (t->stbl_len - pos < 8)
			break;
		if (box_header(q, t->stbl_len - pos, t->stbl_len - pos, false,
			&b) != 0)
			return refuse(c, OB_EINVAL, "a sample table is broken");
		tb.p = q + b.hlen;
		tb.len = (size_t)(b.size - b.hlen);
		if (b.type == FCC('s', 't', 's', 'c'))
			stsc = tb;
		else if (b.type == FCC('s', 't', 's', 'z'))
			stsz = tb;
		else if (b.type == FCC('s', 't', 'c', 'o'))
			stco = tb;
		else if (b.type == FCC('c', 'o', '6', '4')) {
			stco = tb;
			co64 = true;
		} else if (b.type == FCC('s', 't', 'z', '2'))
			return refuse(c, OB_EUNSUPP,
			    "a metadata track with compact sample sizes");
		pos += (size_t)b.size;
	}
	if (stco.p == NULL || stsc.p == NULL || stsz.p == NULL)
		return 0; /* no samples in this file */
	if (stco.len < 8 || stsc.len < 8 || stsz.len < 12)
		return refuse(c, OB_EINVAL, "a sample table is cut short");
	nchunks = ob_be32(stco.p + 4);
	nstsc = ob_be32(stsc.p + 4);
	fixed = ob_be32(stsz.p + 4);
	nsamples = ob_be32(stsz.p + 8);
	if (nchunks > (stco.len - 8) / (co64 ? 8 : 4) ||
	    nstsc > (stsc.len - 8) / 12 ||
	    (fixed == 0 && nsamples > (stsz.len - 12) / 4))
		return refuse(c, OB_EINVAL,
		    "a sample table counts more entries than it holds");
	if (nchunks > 0 && (nstsc == 0 || ob_be32(stsc.p + 8) != 1))
		return refuse(c, OB_EINVAL, "a sample table is inconsistent");
	for (uint64_t k = 1; k <= nchunks; k++) {
		const unsigned char *e;
		uint64_t off, spc, len = 0;

		while (
		    j + 1 < nstsc && ob_be32(stsc.p + 8 + (j + 1) * 12) <= k) {
			if (ob_be32(stsc.p + 8 + (j + 1) * 12) <=
			    ob_be32(stsc.p + 8 + j * 12))
				return refuse(c, OB_EINVAL,
				    "a sample table is inconsistent");
			j++;
		}
		e = stsc.p + 8 + j * 12;
		spc = ob_be32(e + 4);
		if (spc > nsamples - s)
			return refuse(c, OB_EINVAL,
			    "a sample table counts more samples than it "
			    "sizes");
		if (fixed != 0)
			len = spc * fixed;
		else
			for (uint64_t i = 0; i < spc; i++)
				len += ob_be32(stsz.p + 12 + (s + i) * 4);
		s += spc;
		off = co64 ? ob_be64(stco.p + 8 + (k - 1) * 8)
			   : ob_be32(stco.p + 8 + (k - 1) * 4);
		if ((rc = add_range(c, off, len)) != 0)
			return rc;
	}
	return 0;
}

static bool
timed_metadata(const struct track *t)
{
	static const uint32_t formats[] = {
		FCC('g', 'p', 'm', 'd'), /* GoPro GPMF: GPS, sensors */
		FCC('c', 'a', 'm', 'm'), /* Google camera motion */
		FCC('m', 'e', 'b', 'x'), /* Apple boxed metadata */
		FCC('m', 'e', 't', 't'), /* ISO text metadata */
		FCC('m', 'e', 't', 'x'), /* ISO XML metadata */
		FCC('u', 'r', 'i', 'm'), /* ISO URI metadata */
	};

	if (t->handler == FCC('m', 'e', 't', 'a') ||
	    t->handler == FCC('c', 'a', 'm', 'm'))
		return true;
	for (size_t i = 0; i < OB_NELEM(formats); i++)
		if (t->format == formats[i])
			return true;
	return false;
}

static int walk(struct mp4 *c, unsigned char *p, size_t len, uint32_t parent,
    unsigned depth, struct track *t);

static int
trak(struct mp4 *c, unsigned char *q, const struct box *b, unsigned depth)
{
	struct track t = { 0 };
	int rc;

	if ((rc = walk(c, q + b->hlen, (size_t)(b->size - b->hlen),
		 FCC('t', 'r', 'a', 'k'), depth + 1, &t)) != 0)
		return rc;
	if (timed_metadata(&t)) {
		if (t.stbl != NULL && (rc = sample_ranges(c, &t)) != 0)
			return rc;
		free_in_place(q, b);
		c->removed_tracks++;
		ob_scrub_note(c->rep, "removed",
		    "timed metadata track (GPS, sensor or camera data)");
		return 0;
	}
	if (t.handler == FCC('t', 'e', 'x', 't') ||
	    t.handler == FCC('s', 'b', 't', 'l') ||
	    t.handler == FCC('s', 'u', 'b', 't'))
		ob_scrub_note(c->rep, "not-checked",
		    "text or subtitle track (kept as content; some cameras "
		    "and drones write positions there)");
	if (t.handler == FCC('t', 'm', 'c', 'd'))
		ob_scrub_note(c->rep, "not-checked",
		    "timecode track (may hold the time of day of the "
		    "recording)");
	if (t.handler == FCC('v', 'i', 'd', 'e') ||
	    t.handler == FCC('s', 'o', 'u', 'n'))
		ob_scrub_note(c->rep, "not-checked",
		    "encoder information inside the compressed audio or video "
		    "stream");
	return 0;
}

/* Frees a metadata box and says what it held. */
static void
remove_box(
    struct mp4 *c, unsigned char *q, const struct box *b, const char *whole)
{
	unsigned named = 0;

	if (b->type == FCC('u', 'd', 't', 'a') ||
	    b->type == FCC('m', 'e', 't', 'a'))
		named = tag_notes(
		    c, q + b->hlen, (size_t)(b->size - b->hlen), b->type, 0);
	if (named == 0)
		ob_scrub_note(c->rep, "removed", "%s", whole);
	free_in_place(q, b);
}

static bool
one_of(uint32_t t, const uint32_t *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == t)
			return true;
	return false;
}

/* The children of each container we keep without looking inside. */
static const uint32_t keep_moov[] = { FCC('m', 'v', 'e', 'x'),
	FCC('i', 'o', 'd', 's'), FCC('p', 's', 's', 'h'),
	FCC('c', 't', 'a', 'b') };
static const uint32_t keep_trak[] = { FCC('e', 'd', 't', 's'),
	FCC('t', 'r', 'e', 'f'), FCC('t', 'a', 'p', 't'),
	FCC('c', 'l', 'i', 'p'), FCC('m', 'a', 't', 't'),
	FCC('l', 'o', 'a', 'd'), FCC('i', 'm', 'a', 'p'),
	FCC('t', 'x', 'a', 's'), FCC('t', 'r', 'g', 'r') };
static const uint32_t keep_mdia[] = { FCC('e', 'l', 'n', 'g') };
static const uint32_t keep_minf[] = { FCC('v', 'm', 'h', 'd'),
	FCC('s', 'm', 'h', 'd'), FCC('h', 'm', 'h', 'd'),
	FCC('n', 'm', 'h', 'd'), FCC('s', 't', 'h', 'd'),
	FCC('g', 'm', 'h', 'd') };

static int
child(struct mp4 *c, unsigned char *q, const struct box *b, uint32_t parent,
    unsigned depth, struct track *t)
{
	unsigned char *body = q + b->hlen;
	size_t blen = (size_t)(b->size - b->hlen);
	uint32_t type = b->type;

	if (type == FCC('f', 'r', 'e', 'e') ||
	    type == FCC('s', 'k', 'i', 'p') ||
	    type == FCC('w', 'i', 'd', 'e')) {
		memset(body, 0, blen); /* may hold an older header */
		return 0;
	}
	if (type == FCC('u', 'd', 't', 'a')) {
		remove_box(c, q, b, "user data (udta)");
		return 0;
	}
	if (type == FCC('m', 'e', 't', 'a')) {
		remove_box(c, q, b, "metadata box (meta)");
		return 0;
	}
	if (type == FCC('u', 'u', 'i', 'd')) {
		if (memcmp(b->uuid, xmp_uuid, 16) == 0)
			remove_box(c, q, b, "XMP metadata");
		else if (parent != FCC('m', 'o', 'o', 'f') &&
		    parent != FCC('t', 'r', 'a', 'f'))
			remove_box(c, q, b, "vendor data box (uuid)");
		return 0; /* in fragments: stream data (PIFF) */
	}
	switch (parent) {
	case FCC('m', 'o', 'o', 'v'):
		if (type == FCC('m', 'v', 'h', 'd'))
			return clear_dates(c, body, blen);
		if (type == FCC('t', 'r', 'a', 'k'))
			return trak(c, q, b, depth);
		if (type == FCC('c', 'm', 'o', 'v'))
			return refuse(
			    c, OB_EUNSUPP, "a compressed movie header (cmov)");
		if (type == FCC('r', 'm', 'r', 'a'))
			return refuse(c, OB_EUNSUPP,
			    "a reference movie (the media is in other files)");
		if (one_of(type, keep_moov, OB_NELEM(keep_moov)))
			return 0;
		break;
	case FCC('t', 'r', 'a', 'k'):
		if (type == FCC('t', 'k', 'h', 'd'))
			return clear_dates(c, body, blen);
		if (type == FCC('m', 'd', 'i', 'a'))
			return walk(c, body, blen, type, depth + 1, t);
		if (one_of(type, keep_trak, OB_NELEM(keep_trak)))
			return 0;
		break;
	case FCC('m', 'd', 'i', 'a'):
		if (type == FCC('m', 'd', 'h', 'd'))
			return clear_dates(c, body, blen);
		if (type == FCC('h', 'd', 'l', 'r')) {
			handler(c, body, blen, t, true);
			return 0;
		}
		if (type == FCC('m', 'i', 'n', 'f'))
			return walk(c, body, blen, type, depth + 1, t);
		if (one_of(type, keep_mdia, OB_NELEM(keep_mdia)))
			return 0;
		break;
	case FCC('m', 'i', 'n', 'f'):
		if (type == FCC('h', 'd', 'l', 'r')) {
			handler(c, body, blen, t, false);
			return 0;
		}
		if (type == FCC('d', 'i', 'n', 'f'))
			return walk(c, body, blen, type, depth + 1, t);
		if (type == FCC('s', 't', 'b', 'l')) {
			t->stbl = body;
			t->stbl_len = blen;
			return walk(c, body, blen, type, depth + 1, t);
		}
		if (one_of(type, keep_minf, OB_NELEM(keep_minf)))
			return 0;
		break;
	case FCC('d', 'i', 'n', 'f'):
		if (type == FCC('d', 'r', 'e', 'f'))
			return dref(c, body, blen);
		break;
	case FCC('s', 't', 'b', 'l'):
		if (type == FCC('s', 't', 's', 'd'))
			return stsd(c, body, blen, t);
		return 0; /* sample tables */
	case FCC('m', 'o', 'o', 'f'):
		if (type == FCC('t', 'r', 'a', 'f'))
			return walk(c, body, blen, type, depth + 1, t);
		return 0;
	default:
		return 0; /* traf: sample runs */
	}
	/* When unsure, remove: nothing a player needs is left out above. */
	remove_box(c, q, b, "unknown box in the movie header");
	return 0;
}

/*
 * Walks the boxes of a container (len bytes at p), changing them.
 * depth counts the containers opened below moov or moof: stbl's boxes
 * are at 4, the deepest this walker goes.
 */
static int
walk(struct mp4 *c, unsigned char *p, size_t len, uint32_t parent,
    unsigned depth, struct track *t)
{
	size_t pos = 0;
	int rc;

	if (depth > c->lim->max_depth)
		return refuse(c, OB_ETOOBIG, "boxes nested too deeply");
	while (pos < len) {
		struct box b;

		/* QuickTime may end a list with four zero bytes. */
		if (len - pos < 8 && is_zero(p + pos, len - pos))
			break;
		if (box_header(p + pos, len - pos, len - pos, false, &b) != 0)
			return refuse(c, OB_EINVAL,
			    "a box's size does not fit in its parent");
		if ((rc = count_entry(c)) != 0 ||
		    (rc = child(c, p + pos, &b, parent, depth, t)) != 0)
			return rc;
		pos += (size_t)b.size;
	}
	return 0;
}

/*
 * Reads a top-level box (moov or moof) into memory: the two together
 * within the limit, as moov stays in memory while each moof is written.
 */
static int
load(struct mp4 *c, uint64_t off, const struct box *b, unsigned char **out)
{
	uint64_t held = c->moov_buf != NULL ? c->moov.size : 0;
	unsigned char *p;
	int rc;

	if (b->size > c->lim->max_in_memory - held || b->size > SIZE_MAX)
		return refuse(c, OB_ETOOBIG,
		    "the movie header is larger than the memory limit");
	p = ob_xmalloc((size_t)b->size);
	if ((rc = ob_sio_pread(&c->io, off, p, (size_t)b->size)) != 0) {
		free(p);
		return rc;
	}
	*out = p;
	return 0;
}

/* --- The top level -------------------------------------------------- */

static int
top_header(struct mp4 *c, uint64_t pos, struct box *b)
{
	unsigned char h[32];
	uint64_t room = c->io.size - pos;
	size_t n = room < sizeof(h) ? (size_t)room : sizeof(h);
	int rc;

	if ((rc = ob_sio_pread(&c->io, pos, h, n)) != 0)
		return rc;
	if (box_header(h, n, room, true, b) != 0)
		return refuse(
		    c, OB_EINVAL, "a box's size does not fit in the file");
	return 0;
}

/* Image and raw-photo brands: their meta and uuid boxes are the image. */
static int
check_brands(struct mp4 *c, uint64_t off, const struct box *b)
{
	static const uint32_t images[] = { FCC('h', 'e', 'i', 'c'),
		FCC('h', 'e', 'i', 'x'), FCC('h', 'e', 'i', 'm'),
		FCC('h', 'e', 'i', 's'), FCC('h', 'e', 'v', 'c'),
		FCC('h', 'e', 'v', 'x'), FCC('m', 'i', 'f', '1'),
		FCC('m', 's', 'f', '1'), FCC('a', 'v', 'i', 'f'),
		FCC('a', 'v', 'i', 's'), FCC('c', 'r', 'x', ' '),
		FCC('j', 'p', '2', ' ') };
	unsigned char p[4096];
	uint64_t len = b->size - b->hlen;
	int rc;

	if (len < 8 || len > sizeof(p))
		return refuse(c, OB_EINVAL, "the file type box is malformed");
	if ((rc = ob_sio_pread(&c->io, off + b->hlen, p, (size_t)len)) != 0)
		return rc;
	for (size_t i = 0; i + 4 <= len; i += i == 0 ? 8 : 4)
		if (one_of(ob_be32(p + i), images, OB_NELEM(images)))
			return refuse(c, OB_EUNSUPP,
			    "HEIF, AVIF and camera raw images are not "
			    "handled as video");
	return 0;
}

/* Pass 1: the top-level boxes, and where moov is. */
static int
scan(struct mp4 *c)
{
	uint64_t pos = 0;
	unsigned nmoov = 0;
	int rc;

	while (pos < c->io.size) {
		struct box b;

		if (c->io.size - pos < 8) {
			unsigned char tail[8];
			size_t n = (size_t)(c->io.size - pos);

			if ((rc = ob_sio_pread(&c->io, pos, tail, n)) != 0)
				return rc;
			if (!is_zero(tail, n))
				return refuse(
				    c, OB_EINVAL, "data after the last box");
			break;
		}
		if ((rc = top_header(c, pos, &b)) != 0 ||
		    (rc = count_entry(c)) != 0)
			return rc;
		if (b.type == FCC('f', 't', 'y', 'p') &&
		    (rc = check_brands(c, pos, &b)) != 0)
			return rc;
		if (b.type == FCC('m', 'o', 'o', 'v')) {
			if (++nmoov > 1)
				return refuse(c, OB_EINVAL,
				    "two movie headers (moov) in one file");
			c->moov = b;
			c->moov_off = pos;
		}
		if (b.type == FCC('m', 'o', 'o', 'f'))
			c->have_moof = true;
		pos += b.size;
	}
	if (nmoov == 0)
		return refuse(c, OB_EINVAL, "no movie header (moov)");
	c->end = pos;
	return 0;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

/* Sorts the ranges to zero and merges those that overlap. */
static void
sort_ranges(struct mp4 *c)
{
	size_t n = 0;

	if (c->nzero == 0)
		return;
	qsort(c->zero, c->nzero, sizeof(*c->zero), range_cmp);
	for (size_t i = 1; i < c->nzero; i++) {
		struct range *last = &c->zero[n];
		uint64_t end = last->off + last->len;

		if (c->zero[i].off <= end) {
			uint64_t e2 = c->zero[i].off + c->zero[i].len;

			if (e2 > end)
				last->len = e2 - last->off;
		} else {
			c->zero[++n] = c->zero[i];
		}
	}
	c->nzero = n + 1;
}

/* No range to zero may start before `before`: only mdat holds them. */
static int
no_range_before(struct mp4 *c, size_t zi, uint64_t before)
{
	if (zi < c->nzero && c->zero[zi].off < before)
		return refuse(c, OB_EINVAL,
		    "a metadata track's samples lie outside the media data");
	return 0;
}

/* Copies len bytes at off, with the listed ranges in them zeroed. */
static int
copy_zeroing(struct mp4 *c, uint64_t off, uint64_t len, size_t *zi)
{
	uint64_t end = off + len;
	int rc;

	if ((rc = no_range_before(c, *zi, off)) != 0)
		return rc;
	while (off < end) {
		const struct range *r = *zi < c->nzero ? &c->zero[*zi] : NULL;

		if (r != NULL && r->off < end) {
			if (r->len > end - r->off)
				return refuse(c, OB_EINVAL,
				    "a metadata track's samples lie outside "
				    "the media data");
			if ((rc = ob_sio_copy(&c->io, off, r->off - off)) !=
				0 ||
			    (rc = ob_sio_zeros(&c->io, r->len)) != 0)
				return rc;
			off = r->off + r->len;
			(*zi)++;
		} else {
			if ((rc = ob_sio_copy(&c->io, off, end - off)) != 0)
				return rc;
			off = end;
		}
	}
	return 0;
}

/* A movie fragment, walked like moov and written back from memory. */
static int
put_moof(struct mp4 *c, uint64_t off, const struct box *b)
{
	unsigned char *p = NULL;
	struct track t = { 0 };
	int rc;

	if ((rc = load(c, off, b, &p)) != 0)
		goto out;
	if ((rc = walk(c, p + b->hlen, (size_t)(b->size - b->hlen),
		 FCC('m', 'o', 'o', 'f'), 0, &t)) != 0)
		goto out;
	rc = ob_sio_write(&c->io, p, (size_t)b->size);
out:
	free(p);
	return rc;
}

/* Replaces a top-level box by zero-filled free space of its size. */
static int
put_free(struct mp4 *c, const struct box *b)
{
	unsigned char h[16];
	size_t hl = free_header(h, b->size, b->large);
	int rc;

	if ((rc = ob_sio_write(&c->io, h, hl)) != 0)
		return rc;
	return ob_sio_zeros(&c->io, b->size - hl);
}

/* The report line for a top-level box we replace, or NULL to keep it. */
static const char *
top_removal(const struct box *b)
{
	static const uint32_t keep[] = { FCC('f', 't', 'y', 'p'),
		FCC('s', 't', 'y', 'p'), FCC('s', 'i', 'd', 'x'),
		FCC('s', 's', 'i', 'x'), FCC('m', 'f', 'r', 'a'),
		FCC('p', 'd', 'i', 'n') };

	if (one_of(b->type, keep, OB_NELEM(keep)))
		return NULL;
	switch (b->type) {
	case FCC('m', 'e', 't', 'a'):
		return "metadata box (meta)";
	case FCC('u', 'u', 'i', 'd'):
		return memcmp(b->uuid, xmp_uuid, 16) == 0
		    ? "XMP metadata"
		    : "vendor data box (uuid)";
	case FCC('e', 'm', 's', 'g'):
		return "event message box (may carry ID3 tags)";
	case FCC('p', 'r', 'f', 't'):
		return "producer reference time (date of the recording)";
	case FCC('P', 'I', 'C', 'T'):
	case FCC('p', 'n', 'o', 't'):
		return "preview picture";
	default:
		return "unknown top-level box";
	}
}

/* Pass 3: the file, box by box. */
static int
write_all(struct mp4 *c)
{
	uint64_t pos = 0;
	size_t zi = 0;
	int rc;

	while (pos < c->end) {
		struct box b;
		const char *why;

		if ((rc = top_header(c, pos, &b)) != 0)
			return rc;
		if (b.type == FCC('m', 'd', 'a', 't')) {
			if ((rc = no_range_before(c, zi, pos + b.hlen)) != 0 ||
			    (rc = ob_sio_copy(&c->io, pos, b.hlen)) != 0 ||
			    (rc = copy_zeroing(
				 c, pos + b.hlen, b.size - b.hlen, &zi)) != 0)
				return rc;
			pos += b.size;
			continue;
		}
		if ((rc = no_range_before(c, zi, pos + b.size)) != 0)
			return rc;
		if (b.type == FCC('m', 'o', 'o', 'v') && pos == c->moov_off &&
		    b.size == c->moov.size)
			rc = ob_sio_write(&c->io, c->moov_buf, (size_t)b.size);
		else if (b.type == FCC('m', 'o', 'o', 'f'))
			rc = put_moof(c, pos, &b);
		else if (b.type == FCC('f', 'r', 'e', 'e') ||
		    b.type == FCC('s', 'k', 'i', 'p') ||
		    b.type == FCC('w', 'i', 'd', 'e')) {
			if ((rc = ob_sio_copy(&c->io, pos, b.hlen)) == 0)
				rc = ob_sio_zeros(&c->io, b.size - b.hlen);
		} else if ((why = top_removal(&b)) != NULL) {
			ob_scrub_note(c->rep, "removed", "%s", why);
			rc = put_free(c, &b);
		} else
			rc = ob_sio_copy(&c->io, pos, b.size);
		if (rc != 0)
			return rc;
		pos += b.size;
	}
	if (zi != c->nzero)
		return refuse(c, OB_EINVAL,
		    "a metadata track's samples lie outside the media data");
	return 0;
}

static int
run(void *ctx)
{
	struct mp4 *c = ctx;
	unsigned char *moov = NULL;
	struct track t = { 0 };
	int rc;

	if ((rc = scan(c)) != 0)
		return rc;
	if ((rc = load(c, c->moov_off, &c->moov, &moov)) != 0)
		return rc;
	c->moov_buf = moov;
	if ((rc = walk(c, moov + c->moov.hlen,
		 (size_t)(c->moov.size - c->moov.hlen), FCC('m', 'o', 'o', 'v'),
		 0, &t)) != 0)
		return rc;
	if (c->have_moof && c->removed_tracks > 0)
		return refuse(c, OB_EUNSUPP,
		    "a fragmented video with a timed metadata track");
	sort_ranges(c);
	return write_all(c);
}

int
ob_scrub_mp4(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep)
{
	struct ob_scrub_report local = OB_SCRUB_REPORT_INIT;
	struct mp4 c = { .lim = lim, .rep = &local };
	int rc = ob_sio_run(&c.io, in, out, lim, &local, run, &c);

	free(c.zero);
	free(c.moov_buf);
	return ob_scrub_report_end(rep, &local, rc);
}
