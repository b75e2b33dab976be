/*
 * mp3.c - MPEG audio files (MP3, and layers I and II): every tag goes,
 * the audio frames stay byte for byte.
 *
 * A file is read as: tags at the start (ID3v2, any number, and an APE
 * tag with a header), then MPEG audio frames, then tags at the end in
 * any order (APEv1/v2, Lyrics3 v1/v2, ID3v1, the enhanced "TAG+" block,
 * ID3v2 with a "3DI" footer).  Only what parses as frames of one stream
 * is kept: the first frame must start a run of CHAIN frames of the same
 * version, layer and sample rate, and after that each frame must follow
 * the last.  An ID3v2 tag between frames (streams cut together) is
 * removed; any other bytes that are not frames are dropped and the
 * report says so, so nothing we did not understand reaches the output.
 * The tags at the end are found from the end backwards but only taken
 * for tags where the frames stop (see frames()), so that a file of
 * frames alone - our own output - scrubs to itself.
 *
 * Kept: the Xing/Info/LAME or VBRI header frame, which is shaped like an
 * audio frame and which decoders use for seeking and gapless playback.
 * It names the encoder (e.g. "LAME3.100"): reported as not checked.
 * Whatever a frame carries inside (ancillary data) is kept with it.
 * Refused: a stream without frames (OB_EINVAL), free-format bitrate
 * (OB_EUNSUPP: frame lengths cannot be known without decoding).
 */
#include "lib/scrub/sniff.h"

#include <string.h>

#include "lib/scrub/sio.h"

#define CHAIN 4 /* frames in a row that make a stream start credible */
#define TAIL_TAGS 32 /* tags at the end of one file, at most */
#define ID3V1_LEN 128
#define ID3V1_PLUS_LEN 227
#define APE_LEN 32 /* an APE header or footer */
#define LYRICS3V1_MAX 5100

/* A tag found at the end of the file. */
enum tail_kind { T_ID3V1, T_ID3V1_PLUS, T_APE, T_LYRICS3, T_ID3V2 };

struct seg {
	uint64_t off, len;
	enum tail_kind kind;
};

struct mp3 {
	struct ob_sio io;
	const struct ob_scrub_limits *lim;
	struct ob_scrub_report *rep;
	uint64_t entries;
	struct seg segs[TAIL_TAGS]; /* tags at the end, in file order */
	unsigned nsegs;
};

/* One MPEG audio frame header. */
struct mpa {
	unsigned version; /* the two header bits: 0 2.5, 2 MPEG-2, 3 MPEG-1 */
	unsigned layer; /* 1, 2 or 3 */
	unsigned rate; /* samples per second */
	uint32_t len; /* bytes, header included */
};

/* kbit/s by [MPEG-2 or 2.5][layer - 1][index]; 0 is free format. */
static const unsigned short bitrates[2][3][15] = {
	{
	    { 0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416,
		448 },
	    { 0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320,
		384 },
	    { 0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256,
		320 },
	},
	{
	    { 0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224,
		256 },
	    { 0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160 },
	    { 0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160 },
	},
};

static const unsigned rates[3] = { 44100, 48000, 32000 };

enum hdr { HDR_NO, HDR_OK, HDR_FREE };

/* Reads the four bytes at p as a frame header. */
static enum hdr
mpa_header(const unsigned char *p, struct mpa *h)
{
	unsigned ver, lbits, bri, sri, pad, lsf, br;

	if (p[0] != 0xff || (p[1] & 0xe0) != 0xe0)
		return HDR_NO;
	ver = (p[1] >> 3) & 3;
	lbits = (p[1] >> 1) & 3;
	bri = p[2] >> 4;
	sri = (p[2] >> 2) & 3;
	pad = (p[2] >> 1) & 1;
	/* Reserved values; emphasis 2 is reserved too, and refusing it
	 * makes a false sync in other data less likely. */
	if (ver == 1 || lbits == 0 || bri == 15 || sri == 3 || (p[3] & 3) == 2)
		return HDR_NO;
	h->version = ver;
	h->layer = 4 - lbits;
	h->rate = rates[sri] >> (ver == 3 ? 0 : ver == 2 ? 1 : 2);
	if (bri == 0)
		return HDR_FREE;
	lsf = ver != 3;
	br = bitrates[lsf][h->layer - 1][bri] * 1000u;
	if (h->layer == 1)
		h->len = (12 * br / h->rate + pad) * 4;
	else if (h->layer == 3 && lsf)
		h->len = 72 * br / h->rate + pad;
	else
		h->len = 144 * br / h->rate + pad;
	return h->len >= 4 ? HDR_OK : HDR_NO;
}

static bool
same_stream(const struct mpa *a, const struct mpa *b)
{
	return a->version == b->version && a->layer == b->layer &&
	    a->rate == b->rate;
}

/* The length of an ID3v2 tag whose header is the 10 bytes at p, or 0. */
static uint64_t
id3v2_len(const unsigned char *p)
{
	uint64_t size;

	if (memcmp(p, "ID3", 3) != 0 || p[3] < 2 || p[3] > 4 || p[4] == 0xff)
		return 0;
	if ((p[6] | p[7] | p[8] | p[9]) & 0x80)
		return 0;
	size = (uint64_t)p[6] << 21 | (uint64_t)p[7] << 14 |
	    (uint64_t)p[8] << 7 | p[9];
	/* A footer (version 4 only) repeats the header after the frames. */
	return 10 + size + (p[3] == 4 && (p[5] & 0x10) ? 10 : 0);
}

bool
ob_scrub_mp3_sniff(const unsigned char *head, size_t n)
{
	struct mpa h, h2;

	if (n >= 10 && id3v2_len(head) != 0)
		return true;
	if (n < 4 || mpa_header(head, &h) != HDR_OK)
		return false;
	/* A second frame where the first says, when we can see it. */
	if (n >= (size_t)h.len + 4)
		return mpa_header(head + h.len, &h2) == HDR_OK &&
		    same_stream(&h, &h2);
	return true;
}

static int
count_entry(struct mp3 *c)
{
	if (++c->entries > c->lim->max_entries)
		return ob_scrub_refuse(c->rep, OB_ETOOBIG, "too many tags");
	return 0;
}

/* What an ID3v2 frame holds, by its identifier, for the report. */
static const char *
frame_kind(const char *id)
{
	static const struct {
		const char *id, *kind;
	} kinds[] = {
		{ "APIC", "attached picture" },
		{ "PIC", "attached picture" },
		{ "COMM", "comment" },
		{ "COM", "comment" },
		{ "TXXX", "user-defined text" },
		{ "TXX", "user-defined text" },
		{ "WXXX", "web address" },
		{ "WXX", "web address" },
		{ "PRIV", "private data" },
		{ "GEOB", "embedded object" },
		{ "GEO", "embedded object" },
		{ "USLT", "lyrics" },
		{ "ULT", "lyrics" },
		{ "SYLT", "lyrics" },
		{ "SLT", "lyrics" },
		{ "UFID", "unique file identifier" },
		{ "UFI", "unique file identifier" },
		{ "MCDI", "CD identifier" },
		{ "MCI", "CD identifier" },
		{ "POPM", "rating with e-mail address" },
		{ "POP", "rating with e-mail address" },
		{ "PCNT", "play counter" },
		{ "CNT", "play counter" },
		{ "TENC", "encoder or software name" },
		{ "TSSE", "encoder or software name" },
		{ "TEN", "encoder or software name" },
		{ "TSS", "encoder or software name" },
		{ "TDRC", "dates" },
		{ "TYER", "dates" },
		{ "TDAT", "dates" },
		{ "TIME", "dates" },
		{ "TDRL", "dates" },
		{ "TDEN", "dates" },
		{ "TDTG", "dates" },
		{ "TORY", "dates" },
		{ "TDOR", "dates" },
		{ "TYE", "dates" },
		{ "TDA", "dates" },
		{ "TIM", "dates" },
		{ "TOR", "dates" },
		{ "TPE1", "names of artists or authors" },
		{ "TPE2", "names of artists or authors" },
		{ "TPE3", "names of artists or authors" },
		{ "TPE4", "names of artists or authors" },
		{ "TCOM", "names of artists or authors" },
		{ "TEXT", "names of artists or authors" },
		{ "TOLY", "names of artists or authors" },
		{ "TOPE", "names of artists or authors" },
		{ "TOWN", "names of artists or authors" },
		{ "TP1", "names of artists or authors" },
		{ "TP2", "names of artists or authors" },
		{ "TCM", "names of artists or authors" },
		{ "TXT", "names of artists or authors" },
		{ "TIT1", "titles" },
		{ "TIT2", "titles" },
		{ "TIT3", "titles" },
		{ "TALB", "titles" },
		{ "TT2", "titles" },
		{ "TAL", "titles" },
	};

	for (size_t i = 0; i < OB_NELEM(kinds); i++)
		if (strcmp(id, kinds[i].id) == 0)
			return kinds[i].kind;
	if (id[0] == 'T')
		return "text information";
	if (id[0] == 'W')
		return "web address";
	return "other data";
}

/*
 * Says in the report what the ID3v2 tag of len bytes at off held, by
 * walking its frame headers.  Only for the report: the whole tag goes
 * whatever this finds, so a tag it cannot walk (unsynchronised version
 * 2.3, a broken frame) is named as a whole.
 */
static int
id3v2_notes(struct mp3 *c, uint64_t off, uint64_t len)
{
	const unsigned char *p;
	unsigned char h[10];
	unsigned ver, hlen, idlen;
	uint64_t pos, end = off + len;
	bool named = false;
	int rc;

	if ((rc = ob_sio_pread(&c->io, off, h, 10)) != 0)
		return rc;
	ver = h[3];
	pos = off + 10;
	end -= ver == 4 && (h[5] & 0x10) ? 10 : 0;
	if (ver == 3 && (h[5] & 0x80))
		goto whole; /* frame headers are unsynchronised too */
	if ((ver == 3 || ver == 4) && (h[5] & 0x40)) {
		uint64_t ext;

		if (pos + 4 > end || ob_sio_peek(&c->io, pos, 4, &p) != 0)
			goto whole;
		ext = ver == 3 ? 4 + (uint64_t)ob_be32(p)
			       : ((uint64_t)p[0] << 21 | (uint64_t)p[1] << 14 |
				     (uint64_t)p[2] << 7 | p[3]);
		pos += ext;
	}
	hlen = ver == 2 ? 6 : 10;
	idlen = ver == 2 ? 3 : 4;
	while (pos < end && end - pos >= hlen) {
		char id[5] = { 0 };
		uint64_t size;

		if ((rc = ob_sio_peek(&c->io, pos, hlen, &p)) != 0)
			return rc;
		if (p[0] == 0)
			break; /* padding */
		for (unsigned i = 0; i < idlen; i++) {
			if (!((p[i] >= 'A' && p[i] <= 'Z') ||
				(p[i] >= '0' && p[i] <= '9')))
				goto whole;
			id[i] = (char)p[i];
		}
		if (ver == 2)
			size =
			    (uint64_t)p[3] << 16 | (uint64_t)p[4] << 8 | p[5];
		else if (ver == 3)
			size = ob_be32(p + 4);
		else
			size = (uint64_t)(p[4] & 0x7f) << 21 |
			    (uint64_t)(p[5] & 0x7f) << 14 |
			    (uint64_t)(p[6] & 0x7f) << 7 | (p[7] & 0x7f);
		if ((rc = count_entry(c)) != 0)
			return rc;
		ob_scrub_note(c->rep, "removed", "ID3v2 %s", frame_kind(id));
		named = true;
		if (size > end - pos - hlen)
			break;
		pos += hlen + size;
	}
	if (named)
		return 0;
whole:
	ob_scrub_note(c->rep, "removed", "ID3v2 tag");
	return 0;
}

/* Tags before the first frame: ID3v2 tags, an APE tag with a header. */
static int
head_tags(struct mp3 *c, uint64_t *startp, uint64_t end)
{
	const unsigned char *p;
	uint64_t start = *startp, len;
	int rc;

	for (;;) {
		if (end - start >= 10) {
			if ((rc = ob_sio_peek(&c->io, start, 10, &p)) != 0)
				return rc;
			if ((len = id3v2_len(p)) != 0) {
				if (len > end - start)
					return ob_scrub_refuse(c->rep,
					    OB_EINVAL,
					    "an ID3v2 tag is longer than the "
					    "file");
				if ((rc = count_entry(c)) != 0 ||
				    (rc = id3v2_notes(c, start, len)) != 0)
					return rc;
				start += len;
				continue;
			}
		}
		if (end - start >= APE_LEN) {
			if ((rc = ob_sio_peek(&c->io, start, APE_LEN, &p)) != 0)
				return rc;
			/* A header says so in its flags (bit 29). */
			if (memcmp(p, "APETAGEX", 8) == 0 &&
			    (ob_le32(p + 20) & (1u << 29))) {
				len = (uint64_t)ob_le32(p + 12) + APE_LEN;
				if (len > end - start)
					return ob_scrub_refuse(c->rep,
					    OB_EINVAL,
					    "an APE tag is longer than the "
					    "file");
				if ((rc = count_entry(c)) != 0)
					return rc;
				ob_scrub_note(c->rep, "removed", "APE tag");
				start += len;
				continue;
			}
		}
		break;
	}
	*startp = start;
	return 0;
}

/* A run of ASCII digits as a number; false if any byte is not one. */
static bool
digits(const unsigned char *p, size_t n, uint64_t *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		*v = *v * 10 + (uint64_t)(p[i] - '0');
	}
	return true;
}

/*
 * Finds one tag at the end (before *endp), if there is one: it is added
 * to c->segs and *endp moves back over it.  Bytes that only look like a
 * tag (a size that does not add up) are not refused but left to the
 * frame walk.
 */
static int
tail_tag(struct mp3 *c, uint64_t start, uint64_t *endp, bool *found)
{
	const unsigned char *p;
	uint64_t end = *endp, room = end - start, len = 0;
	enum tail_kind kind = T_ID3V1;
	int rc;

	*found = false;
	if (room >= ID3V1_LEN) {
		if ((rc = ob_sio_peek(&c->io, end - ID3V1_LEN, 4, &p)) != 0)
			return rc;
		if (memcmp(p, "TAG", 3) == 0) {
			len = ID3V1_LEN;
			goto found;
		}
	}
	if (room >= ID3V1_PLUS_LEN) {
		if ((rc = ob_sio_peek(&c->io, end - ID3V1_PLUS_LEN, 4, &p)) !=
		    0)
			return rc;
		if (memcmp(p, "TAG+", 4) == 0) {
			kind = T_ID3V1_PLUS;
			len = ID3V1_PLUS_LEN;
			goto found;
		}
	}
	if (room >= APE_LEN) {
		if ((rc = ob_sio_peek(&c->io, end - APE_LEN, APE_LEN, &p)) != 0)
			return rc;
		if (memcmp(p, "APETAGEX", 8) == 0 &&
		    !(ob_le32(p + 20) & (1u << 29))) {
			/* The size counts the items and this footer. */
			len = ob_le32(p + 12);
			if (ob_le32(p + 20) & (1u << 31))
				len += APE_LEN;
			if (len < APE_LEN || len > room)
				return 0;
			kind = T_APE;
			goto found;
		}
	}
	if (room >= 15 + 11) {
		if ((rc = ob_sio_peek(&c->io, end - 15, 15, &p)) != 0)
			return rc;
		if (memcmp(p + 6, "LYRICS200", 9) == 0) {
			/* Six digits: the size from LYRICSBEGIN to them. */
			if (!digits(p, 6, &len) || len < 11 || len + 15 > room)
				return 0;
			len += 15;
			if ((rc = ob_sio_peek(&c->io, end - len, 11, &p)) != 0)
				return rc;
			if (memcmp(p, "LYRICSBEGIN", 11) != 0)
				return 0;
			kind = T_LYRICS3;
			goto found;
		}
		if (memcmp(p + 6, "LYRICSEND", 9) == 0) {
			/* Version 1 has no size: its start is searched for
			 * in the most it can hold. */
			uint64_t w = room < LYRICS3V1_MAX + 20
			    ? room
			    : LYRICS3V1_MAX + 20;
			const unsigned char *hit;

			if ((rc = ob_sio_peek(
				 &c->io, end - w, (size_t)w, &p)) != 0)
				return rc;
			hit = memmem(p, (size_t)w - 9, "LYRICSBEGIN", 11);
			if (hit == NULL)
				return 0;
			len = w - (uint64_t)(hit - p);
			kind = T_LYRICS3;
			goto found;
		}
	}
	if (room >= 20) {
		if ((rc = ob_sio_peek(&c->io, end - 10, 10, &p)) != 0)
			return rc;
		if (memcmp(p, "3DI", 3) == 0 && p[3] == 4 &&
		    !((p[6] | p[7] | p[8] | p[9]) & 0x80)) {
			len = 20 +
			    ((uint64_t)p[6] << 21 | (uint64_t)p[7] << 14 |
				(uint64_t)p[8] << 7 | p[9]);
			if (len > room)
				return 0;
			if ((rc = ob_sio_peek(&c->io, end - len, 10, &p)) != 0)
				return rc;
			if (id3v2_len(p) != len)
				return 0;
			kind = T_ID3V2;
			goto found;
		}
	}
	return 0;
found:
	if (c->nsegs == TAIL_TAGS)
		return 0; /* the rest is left to the frame walk */
	c->segs[c->nsegs].off = end - len;
	c->segs[c->nsegs].len = len;
	c->segs[c->nsegs].kind = kind;
	c->nsegs++;
	*found = true;
	*endp = end - len;
	return count_entry(c);
}

/* Says in the report what a tag at the end held. */
static int
note_tail(struct mp3 *c, const struct seg *t)
{
	switch (t->kind) {
	case T_ID3V1:
		ob_scrub_note(c->rep, "removed",
		    "ID3v1 tag (title, artist, album, year, comment)");
		break;
	case T_ID3V1_PLUS:
		ob_scrub_note(c->rep, "removed", "enhanced ID3v1 tag (TAG+)");
		break;
	case T_APE:
		ob_scrub_note(c->rep, "removed", "APE tag");
		break;
	case T_LYRICS3:
		ob_scrub_note(c->rep, "removed", "Lyrics3 tag");
		break;
	case T_ID3V2:
		return id3v2_notes(c, t->off, t->len);
	}
	return 0;
}

/*
 * Whether a stream of frames of the same kind as *ref (or as the first,
 * for no ref) starts at pos: CHAIN frames in a row, or fewer that end
 * exactly at end.  *first gets the first frame's header.
 */
static int
chain_at(struct mp3 *c, uint64_t pos, uint64_t end, const struct mpa *ref,
    struct mpa *first, bool *ok)
{
	const unsigned char *p;
	struct mpa h;
	int rc;

	*ok = false;
	for (unsigned i = 0; i < CHAIN; i++) {
		if (end - pos < 4)
			return 0;
		if ((rc = ob_sio_peek(&c->io, pos, 4, &p)) != 0)
			return rc;
		if (mpa_header(p, &h) != HDR_OK ||
		    (ref != NULL && !same_stream(ref, &h)) ||
		    (i > 0 && !same_stream(first, &h)) || h.len > end - pos)
			return 0;
		if (i == 0)
			*first = h;
		pos += h.len;
		if (pos == end)
			break;
	}
	*ok = true;
	return 0;
}

/*
 * The first stream start at or after pos and before limit (the chain
 * may run on to end), or limit if there is none.
 */
static int
resync(struct mp3 *c, uint64_t pos, uint64_t limit, uint64_t end,
    const struct mpa *ref, struct mpa *h, uint64_t *at)
{
	const unsigned char *p;
	bool ok;
	int rc;

	for (; pos < limit && end - pos >= 4; pos++) {
		if ((rc = ob_sio_peek(&c->io, pos, 2, &p)) != 0)
			return rc;
		if (p[0] != 0xff || (p[1] & 0xe0) != 0xe0)
			continue;
		if ((rc = chain_at(c, pos, end, ref, h, &ok)) != 0)
			return rc;
		if (ok) {
			*at = pos;
			return 0;
		}
	}
	*at = limit;
	return 0;
}

/* Whether the frames go on at pos: the end, or another frame. */
static int
continues(struct mp3 *c, uint64_t pos, const struct mpa *ref, bool *yes)
{
	const unsigned char *p;
	struct mpa h;
	int rc;

	*yes = pos == c->io.size;
	if (*yes || c->io.size - pos < 4)
		return 0;
	if ((rc = ob_sio_peek(&c->io, pos, 4, &p)) != 0)
		return rc;
	*yes = mpa_header(p, &h) == HDR_OK && same_stream(ref, &h);
	return 0;
}

/* The report line for an encoder header in the first frame, if any. */
static int
note_encoder_header(struct mp3 *c, uint64_t pos, const struct mpa *h)
{
	const unsigned char *p;
	size_t n = h->len < 200 ? h->len : 200;
	int rc;

	if ((rc = ob_sio_peek(&c->io, pos, n, &p)) != 0)
		return rc;
	if (memmem(p, n, "Xing", 4) != NULL || memmem(p, n, "Info", 4) != NULL)
		ob_scrub_note(c->rep, "not-checked",
		    "encoder name in the Xing/LAME header (kept: players use "
		    "it for seeking and gapless playback)");
	return 0;
}

/*
 * Copies the frames from start to the end of the file, dropping what is
 * not one.  A tag found at the end (c->segs) is only taken for one where
 * the frames stop: if a frame of the stream starts where the tag would,
 * or a frame runs over its start and the frames go on after it, those
 * bytes are audio that happens to look like a tag.  So a file that is
 * all frames - our own output - comes out unchanged.
 */
static int
frames(struct mp3 *c, uint64_t start)
{
	const unsigned char *p;
	struct mpa ref = { 0 }, h;
	uint64_t size = c->io.size, pos = start, run = start, at, len, limit;
	unsigned si = 0;
	bool have_ref = false, synced = false, dropped = false, ok;
	int rc;

	/* Without a bitrate a frame's length is only known by decoding. */
	if (size - start >= 4) {
		if ((rc = ob_sio_peek(&c->io, start, 4, &p)) != 0)
			return rc;
		if (mpa_header(p, &h) == HDR_FREE)
			return ob_scrub_refuse(c->rep, OB_EUNSUPP,
			    "MP3 with a free-format bitrate");
	}
	while (pos < size) {
		while (si < c->nsegs && c->segs[si].off < pos)
			si++;
		if (si < c->nsegs && c->segs[si].off == pos) {
			if ((rc = chain_at(c, pos, size, have_ref ? &ref : NULL,
				 &h, &ok)) != 0)
				return rc;
			if (ok) {
				si++; /* frames, not a tag */
				continue;
			}
			if ((rc = ob_sio_copy(&c->io, run, pos - run)) != 0 ||
			    (rc = note_tail(c, &c->segs[si])) != 0)
				return rc;
			pos = run = pos + c->segs[si].len;
			synced = false;
			continue;
		}
		if (synced && size - pos >= 4) {
			if ((rc = ob_sio_peek(&c->io, pos, 4, &p)) != 0)
				return rc;
			if (mpa_header(p, &h) == HDR_OK &&
			    same_stream(&ref, &h) && h.len <= size - pos) {
				if (si < c->nsegs &&
				    c->segs[si].off < pos + h.len) {
					if ((rc = continues(c, pos + h.len,
						 &ref, &ok)) != 0)
						return rc;
					if (!ok) {
						/* Cut short by the tag. */
						if ((rc = ob_sio_copy(&c->io,
							 run, pos - run)) != 0)
							return rc;
						dropped = true;
						pos = run = c->segs[si].off;
						synced = false;
						continue;
					}
				}
				pos += h.len;
				continue;
			}
		}
		synced = false;
		if ((rc = ob_sio_copy(&c->io, run, pos - run)) != 0)
			return rc;
		if (size - pos >= 10) {
			if ((rc = ob_sio_peek(&c->io, pos, 10, &p)) != 0)
				return rc;
			if ((len = id3v2_len(p)) != 0 && len <= size - pos) {
				if ((rc = count_entry(c)) != 0 ||
				    (rc = id3v2_notes(c, pos, len)) != 0)
					return rc;
				pos = run = pos + len;
				continue;
			}
		}
		limit = si < c->nsegs ? c->segs[si].off : size;
		if ((rc = resync(c, pos, limit, size, have_ref ? &ref : NULL,
			 &h, &at)) != 0)
			return rc;
		if (at != pos)
			dropped = true;
		pos = run = at;
		if (at == limit)
			continue;
		if (!have_ref) {
			ref = h;
			have_ref = true;
			if ((rc = note_encoder_header(c, at, &h)) != 0)
				return rc;
		}
		synced = true;
	}
	if (!have_ref)
		return ob_scrub_refuse(
		    c->rep, OB_EINVAL, "no MPEG audio frames in the file");
	if ((rc = ob_sio_copy(&c->io, run, pos - run)) != 0)
		return rc;
	if (dropped)
		ob_scrub_note(c->rep, "removed",
		    "bytes between audio frames that were not audio");
	return 0;
}

static int
run(void *ctx)
{
	struct mp3 *c = ctx;
	uint64_t start = 0, end = c->io.size;
	bool found = true;
	int rc;

	if ((rc = head_tags(c, &start, end)) != 0)
		return rc;
	while (found)
		if ((rc = tail_tag(c, start, &end, &found)) != 0)
			return rc;
	/* Found from the end backwards; the frame walk goes forwards. */
	for (unsigned i = 0; i < c->nsegs / 2; i++) {
		struct seg t = c->segs[i];

		c->segs[i] = c->segs[c->nsegs - 1 - i];
		c->segs[c->nsegs - 1 - i] = t;
	}
	return frames(c, start);
}

int
ob_scrub_mp3(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep)
{
	struct ob_scrub_report local = OB_SCRUB_REPORT_INIT;
	struct mp3 c = { .lim = lim, .rep = &local };
	int rc = ob_sio_run(&c.io, in, out, lim, &local, run, &c);

	return ob_scrub_report_end(rep, &local, rc);
}
