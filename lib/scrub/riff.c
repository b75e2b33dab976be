/*
 * riff.c - RIFF files: WAV audio and AVI video.
 *
 * WAV: the chunks a player needs are kept (fmt, data, fact); every
 * other chunk goes - LIST INFO (title, artist, comments, software,
 * dates), LIST adtl (cue labels and notes), 'id3 '/'ID3 ' tags, bext
 * (Broadcast WAV originator, dates, history), iXML, axml, '_PMX' (XMP),
 * cart, DISP, umid, cue and plst (edit marks), smpl and inst (sampler
 * settings, with a maker and product code), padding and anything
 * unknown - and the RIFF size is rewritten.  Nothing in a WAV
 * file points at byte offsets, so chunks can really be taken out.  The
 * output size is counted in a first pass, so the header is written
 * first and out is never seeked.
 *
 * AVI: idx1 (relative to movi or absolute, depending on the writer) and
 * the OpenDML indexes (absolute) point into the file, so nothing moves:
 * a removed chunk becomes a 'JUNK' chunk of the same size, zero-filled,
 * which every AVI reader skips.  Kept: hdrl (avih, strl with strh,
 * strf, strd, indx, vprp; odml), movi as it is, idx1, and the movi of
 * the OpenDML 'AVIX' extensions.  Removed: LIST INFO wherever it is,
 * IDIT (date), ISMP (timecode), strn (stream names), a strd holding
 * camera EXIF, every unknown chunk (camera maker lists such as Nikon's
 * 'ncdt'); existing JUNK is zeroed.
 *
 * Refused: RF64/BW64 and big-endian RIFX (OB_EUNSUPP), a chunk longer
 * than its list, a WAV without exactly one fmt before one data chunk,
 * an AVI without hdrl and movi (OB_EINVAL).
 */
#include "lib/scrub/sniff.h"

#include <string.h>

#include "lib/scrub/sio.h"

#define FCC(a, b, c, d)                                                        \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 |      \
	    (uint32_t)(d))

struct riff {
	struct ob_sio io;
	const struct ob_scrub_limits *lim;
	struct ob_scrub_report *rep;
	uint64_t entries;
	uint64_t cursor; /* AVI: the input before this is written */
	bool hdrl, movi; /* seen in the first AVI RIFF */
};

struct chunk {
	uint64_t off; /* of the header */
	uint64_t end; /* after the payload and its pad byte */
	uint32_t id; /* the four bytes, first in the high byte */
	uint32_t size; /* payload, as declared */
	uint32_t form; /* a RIFF's or LIST's type, else 0 */
};

bool
ob_scrub_riff_sniff(const unsigned char *head, size_t n)
{
	if (n < 12)
		return false;
	if (memcmp(head, "RIFF", 4) == 0)
		return memcmp(head + 8, "WAVE", 4) == 0 ||
		    memcmp(head + 8, "AVI ", 4) == 0;
	/* Sniffed only to be refused with a reason. */
	return (memcmp(head, "RF64", 4) == 0 || memcmp(head, "BW64", 4) == 0) &&
	    memcmp(head + 8, "WAVE", 4) == 0;
}

static int
refuse(struct riff *c, int rc, const char *why)
{
	return ob_scrub_refuse(c->rep, rc, why);
}

/*
 * Reads the chunk header at off in a list ending at end.  The pad byte
 * after an odd payload may be missing at the very end of the list (a
 * common writer's slip); the chunk then ends with its payload.
 */
static int
read_chunk(struct riff *c, uint64_t off, uint64_t end, struct chunk *ch)
{
	const unsigned char *p;
	uint64_t room = end - off;
	int rc;

	if (room < 8)
		return refuse(c, OB_EINVAL, "a chunk is cut short");
	if ((rc = ob_sio_peek(&c->io, off, room < 12 ? 8 : 12, &p)) != 0)
		return rc;
	ch->off = off;
	ch->id = ob_be32(p);
	ch->size = ob_le32(p + 4);
	ch->form = 0;
	if (ch->size > room - 8)
		return refuse(c, OB_EINVAL, "a chunk is longer than its list");
	ch->end = off + 8 + ch->size;
	if ((ch->size & 1) && ch->end < end)
		ch->end++;
	if (ch->id == FCC('R', 'I', 'F', 'F') ||
	    ch->id == FCC('L', 'I', 'S', 'T')) {
		if (ch->size < 4)
			return refuse(
			    c, OB_EINVAL, "a list chunk is cut short");
		ch->form = ob_be32(p + 8);
	}
	if (++c->entries > c->lim->max_entries)
		return refuse(c, OB_ETOOBIG, "too many chunks");
	return 0;
}

/* What one field of a LIST INFO holds, for the report. */
static const char *
info_kind(uint32_t id)
{
	static const struct {
		char id[5];
		const char *kind;
	} kinds[] = {
		{ "IART", "artist" },
		{ "ICMT", "comments" },
		{ "INAM", "title" },
		{ "ISFT", "software name" },
		{ "ICRD", "creation date" },
		{ "IDIT", "creation date" },
		{ "IENG", "engineer's name" },
		{ "ITCH", "technician's name" },
		{ "ICMS", "commissioner's name" },
		{ "ICOP", "copyright holder" },
		{ "ISRC", "source" },
		{ "ISRF", "source" },
		{ "IPRD", "product or album" },
		{ "ISBJ", "subject" },
		{ "IKEY", "keywords" },
		{ "IGNR", "genre" },
	};

	for (size_t i = 0; i < OB_NELEM(kinds); i++)
		if (id == ob_be32((const unsigned char *)kinds[i].id))
			return kinds[i].kind;
	return "text information";
}

/* Names the fields of a LIST INFO in the report (best effort). */
static int
info_notes(struct riff *c, const struct chunk *ch)
{
	uint64_t pos = ch->off + 12, end = ch->off + 8 + ch->size;
	bool named = false;
	int rc;

	while (end - pos >= 8 && end > pos) {
		const unsigned char *p;
		uint32_t size;

		if ((rc = ob_sio_peek(&c->io, pos, 8, &p)) != 0)
			return rc;
		ob_scrub_note(
		    c->rep, "removed", "%s (RIFF INFO)", info_kind(ob_be32(p)));
		named = true;
		size = ob_le32(p + 4);
		if (size > end - pos - 8)
			break;
		pos += 8 + (uint64_t)size + (size & 1);
	}
	if (!named)
		ob_scrub_note(c->rep, "removed", "RIFF INFO list");
	return 0;
}

/* The report line for a chunk that is not kept, "" to say nothing. */
static const char *
removal(uint32_t id, uint32_t form)
{
	switch (id) {
	case FCC('J', 'U', 'N', 'K'):
	case FCC('j', 'u', 'n', 'k'):
	case FCC('J', 'U', 'N', 'Q'):
	case FCC('P', 'A', 'D', ' '):
	case FCC('p', 'a', 'd', ' '):
	case FCC('F', 'L', 'L', 'R'):
		return ""; /* padding, zeroed */
	case FCC('L', 'I', 'S', 'T'):
		if (form == FCC('a', 'd', 't', 'l'))
			return "cue point labels and notes";
		return "unknown list of chunks";
	case FCC('i', 'd', '3', ' '):
	case FCC('I', 'D', '3', ' '):
		return "ID3 tag (title, artist, comments, pictures)";
	case FCC('b', 'e', 'x', 't'):
		return "Broadcast WAV description (originator, dates, history)";
	case FCC('i', 'X', 'M', 'L'):
		return "iXML production metadata";
	case FCC('a', 'x', 'm', 'l'):
		return "XML metadata (axml)";
	case FCC('_', 'P', 'M', 'X'):
		return "XMP metadata";
	case FCC('c', 'a', 'r', 't'):
		return "broadcast cart chunk (title, artist, dates)";
	case FCC('D', 'I', 'S', 'P'):
		return "display title or picture";
	case FCC('u', 'm', 'i', 'd'):
		return "unique material identifier (UMID)";
	case FCC('I', 'D', 'I', 'T'):
		return "recording date";
	case FCC('I', 'S', 'M', 'P'):
		return "recording timecode";
	case FCC('s', 't', 'r', 'n'):
		return "stream name";
	case FCC('c', 'u', 'e', ' '):
	case FCC('p', 'l', 's', 't'):
		return "cue points (marks set while editing)";
	case FCC('s', 'm', 'p', 'l'):
	case FCC('i', 'n', 's', 't'):
		return "sampler loop and instrument data";
	default:
		return "unknown chunk";
	}
}

/* Says in the report what a chunk that goes held. */
static int
note_removal(struct riff *c, const struct chunk *ch)
{
	const char *why;

	if (ch->id == FCC('L', 'I', 'S', 'T') &&
	    ch->form == FCC('I', 'N', 'F', 'O'))
		return info_notes(c, ch);
	why = removal(ch->id, ch->form);
	if (*why != '\0')
		ob_scrub_note(c->rep, "removed", "%s", why);
	return 0;
}

/* --- WAV ------------------------------------------------------------- */

static bool
wav_keeps(const struct chunk *ch)
{
	switch (ch->id) {
	case FCC('f', 'm', 't', ' '):
	case FCC('d', 'a', 't', 'a'):
	case FCC('f', 'a', 'c', 't'):
		return true;
	default:
		return false;
	}
}

/* The chunks of a WAV's RIFF (12 to end), kept or noted. */
static int
wav_pass(struct riff *c, uint64_t end, bool write, uint64_t *out_size)
{
	uint64_t pos = 12, total = 4;
	unsigned nfmt = 0, ndata = 0;
	int rc;

	c->entries = 0; /* the second pass counts the same chunks again */
	while (pos < end) {
		struct chunk ch;

		if (end - pos < 8) {
			/* A stray pad byte or two: dropped. */
			break;
		}
		if ((rc = read_chunk(c, pos, end, &ch)) != 0)
			return rc;
		if (!wav_keeps(&ch)) {
			if (write && (rc = note_removal(c, &ch)) != 0)
				return rc;
			pos = ch.end;
			continue;
		}
		if (ch.id == FCC('f', 'm', 't', ' ')) {
			if (ch.size < 16 || ndata > 0)
				return refuse(c, OB_EINVAL,
				    "the WAV audio format is malformed");
			nfmt++;
		}
		if (ch.id == FCC('d', 'a', 't', 'a'))
			ndata++;
		total += 8 + (uint64_t)ch.size + (ch.size & 1);
		if (write) {
			if ((rc = ob_sio_copy(
				 &c->io, pos, 8 + (uint64_t)ch.size)) != 0)
				return rc;
			if ((ch.size & 1) &&
			    (rc = ob_sio_zeros(&c->io, 1)) != 0)
				return rc;
		}
		pos = ch.end;
	}
	if (nfmt != 1 || ndata != 1)
		return refuse(c, OB_EINVAL,
		    "a WAV file needs one format chunk and one data chunk");
	if (total > UINT32_MAX)
		return refuse(c, OB_EUNSUPP, "WAV data over 4 GB");
	*out_size = total;
	return 0;
}

static int
wav(struct riff *c, uint64_t end)
{
	unsigned char h[12];
	uint64_t size;
	int rc;

	if ((rc = wav_pass(c, end, false, &size)) != 0)
		return rc;
	memcpy(h, "RIFF", 4);
	ob_put_le32(h + 4, (uint32_t)size);
	memcpy(h + 8, "WAVE", 4);
	if ((rc = ob_sio_write(&c->io, h, sizeof(h))) != 0)
		return rc;
	return wav_pass(c, end, true, &size);
}

/* --- AVI ------------------------------------------------------------- */

/* Writes the input up to off, as it is. */
static int
emit_to(struct riff *c, uint64_t off)
{
	int rc;

	if (off < c->cursor)
		return OB_EINTERNAL;
	if ((rc = ob_sio_copy(&c->io, c->cursor, off - c->cursor)) != 0)
		return rc;
	c->cursor = off;
	return 0;
}

/* Writes a zero-filled JUNK chunk in place of ch. */
static int
junk(struct riff *c, const struct chunk *ch)
{
	unsigned char h[8];
	int rc;

	if ((rc = emit_to(c, ch->off)) != 0)
		return rc;
	memcpy(h, "JUNK", 4);
	ob_put_le32(h + 4, ch->size);
	if ((rc = ob_sio_write(&c->io, h, 8)) != 0 ||
	    (rc = ob_sio_zeros(&c->io, ch->end - ch->off - 8)) != 0)
		return rc;
	c->cursor = ch->end;
	return 0;
}

/* Whether a strd chunk holds camera EXIF rather than codec data. */
static int
strd_is_exif(struct riff *c, const struct chunk *ch, bool *exif)
{
	unsigned char p[64];
	size_t n = ch->size < sizeof(p) ? ch->size : sizeof(p);
	int rc;

	*exif = false;
	if ((rc = ob_sio_pread(&c->io, ch->off + 8, p, n)) != 0)
		return rc;
	*exif = (n >= 4 && memcmp(p, "AVIF", 4) == 0) ||
	    memmem(p, n, "Exif", 4) != NULL || memmem(p, n, "II*", 4) != NULL ||
	    memmem(p, n, "MM\0*", 4) != NULL;
	return 0;
}

enum act { KEEP, DESCEND, JUNK, REMOVE };

static int
avi_action(struct riff *c, uint32_t parent, const struct chunk *ch, enum act *a)
{
	uint32_t id = ch->id, form = ch->form;
	bool exif;
	int rc;

	*a = REMOVE;
	if (id == FCC('J', 'U', 'N', 'K')) {
		*a = JUNK;
		return 0;
	}
	switch (parent) {
	case FCC('A', 'V', 'I', ' '):
		if (id == FCC('L', 'I', 'S', 'T') &&
		    form == FCC('h', 'd', 'r', 'l') && !c->hdrl) {
			c->hdrl = true;
			*a = DESCEND;
		} else if (id == FCC('L', 'I', 'S', 'T') &&
		    form == FCC('m', 'o', 'v', 'i')) {
			c->movi = true;
			*a = KEEP;
		} else if (id == FCC('i', 'd', 'x', '1'))
			*a = KEEP;
		break;
	case FCC('A', 'V', 'I', 'X'):
		if (id == FCC('L', 'I', 'S', 'T') &&
		    form == FCC('m', 'o', 'v', 'i'))
			*a = KEEP;
		break;
	case FCC('h', 'd', 'r', 'l'):
		if (id == FCC('a', 'v', 'i', 'h') ||
		    (id == FCC('L', 'I', 'S', 'T') &&
			form == FCC('o', 'd', 'm', 'l')))
			*a = KEEP;
		else if (id == FCC('L', 'I', 'S', 'T') &&
		    form == FCC('s', 't', 'r', 'l'))
			*a = DESCEND;
		break;
	case FCC('s', 't', 'r', 'l'):
		if (id == FCC('s', 't', 'r', 'h') ||
		    id == FCC('s', 't', 'r', 'f') ||
		    id == FCC('i', 'n', 'd', 'x') ||
		    id == FCC('v', 'p', 'r', 'p'))
			*a = KEEP;
		else if (id == FCC('s', 't', 'r', 'd')) {
			if ((rc = strd_is_exif(c, ch, &exif)) != 0)
				return rc;
			if (exif)
				ob_scrub_note(c->rep, "removed",
				    "camera EXIF data in a stream header");
			else
				*a = KEEP; /* codec data some decoders need */
		}
		break;
	default:
		break;
	}
	return 0;
}

/* The chunks of a list (pos to end) of an AVI, in place. */
static int
avi_list(
    struct riff *c, uint64_t pos, uint64_t end, uint32_t parent, unsigned depth)
{
	int rc;

	if (depth > c->lim->max_depth)
		return refuse(c, OB_ETOOBIG, "lists nested too deeply");
	while (pos < end) {
		struct chunk ch;
		enum act a;

		if (end - pos < 8)
			return refuse(c, OB_EINVAL, "a chunk is cut short");
		if ((rc = read_chunk(c, pos, end, &ch)) != 0 ||
		    (rc = avi_action(c, parent, &ch, &a)) != 0)
			return rc;
		switch (a) {
		case KEEP:
			break;
		case DESCEND:
			if ((rc = avi_list(c, ch.off + 12, ch.off + 8 + ch.size,
				 ch.form, depth + 1)) != 0)
				return rc;
			break;
		case JUNK:
			if ((rc = junk(c, &ch)) != 0)
				return rc;
			break;
		case REMOVE:
			if (ch.id != FCC('s', 't', 'r', 'd') &&
			    (rc = note_removal(c, &ch)) != 0)
				return rc;
			if ((rc = junk(c, &ch)) != 0)
				return rc;
			break;
		}
		pos = ch.end;
	}
	return 0;
}

static int
avi(struct riff *c)
{
	uint64_t pos = 0;
	int rc;

	while (pos < c->io.size) {
		struct chunk ch;
		const unsigned char *p;
		bool first = pos == 0;

		if (c->io.size - pos >= 12) {
			if ((rc = ob_sio_peek(&c->io, pos, 12, &p)) != 0)
				return rc;
			if (!first &&
			    (memcmp(p, "RIFF", 4) != 0 ||
				memcmp(p + 8, "AVIX", 4) != 0))
				break;
		} else if (!first)
			break;
		if ((rc = read_chunk(c, pos, c->io.size, &ch)) != 0)
			return rc;
		if ((rc = avi_list(
			 c, pos + 12, pos + 8 + ch.size, ch.form, 1)) != 0)
			return rc;
		if (first && (!c->hdrl || !c->movi))
			return refuse(c, OB_EINVAL,
			    "the AVI file has no header or no movie data");
		pos = ch.end;
	}
	if (pos < c->io.size)
		ob_scrub_note(
		    c->rep, "removed", "data after the end of the file");
	return emit_to(c, pos);
}

static int
run(void *ctx)
{
	struct riff *c = ctx;
	unsigned char h[12];
	uint64_t end;
	int rc;

	if (c->io.size < 12)
		return refuse(c, OB_EINVAL, "not a RIFF file");
	if ((rc = ob_sio_pread(&c->io, 0, h, sizeof(h))) != 0)
		return rc;
	if (memcmp(h, "RF64", 4) == 0 || memcmp(h, "BW64", 4) == 0)
		return refuse(c, OB_EUNSUPP, "RF64 and BW64 (WAV over 4 GB)");
	if (memcmp(h, "RIFX", 4) == 0)
		return refuse(c, OB_EUNSUPP, "big-endian RIFF (RIFX)");
	if (memcmp(h, "RIFF", 4) != 0)
		return refuse(c, OB_EINVAL, "not a RIFF file");
	if (memcmp(h + 8, "AVI ", 4) == 0)
		return avi(c);
	if (memcmp(h + 8, "WAVE", 4) != 0)
		return refuse(c, OB_EINVAL, "neither a WAV nor an AVI file");
	end = 8 + (uint64_t)ob_le32(h + 4);
	if (end > c->io.size)
		return refuse(
		    c, OB_EINVAL, "the file is shorter than its header says");
	if ((rc = wav(c, end)) != 0)
		return rc;
	if (end < c->io.size)
		ob_scrub_note(
		    c->rep, "removed", "data after the end of the file");
	return 0;
}

int
ob_scrub_riff(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep)
{
	struct ob_scrub_report local = OB_SCRUB_REPORT_INIT;
	struct riff c = { .lim = lim, .rep = &local };
	int rc = ob_sio_run(&c.io, in, out, lim, &local, run, &c);

	return ob_scrub_report_end(rep, &local, rc);
}
