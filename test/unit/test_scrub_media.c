/*
 * The audio and video scrubbers (lib/scrub/mp3.c, mp4.c, riff.c) and
 * their reader and writer (lib/scrub/sio.c) on files built here byte
 * by byte: what goes, what stays exactly, and the refusals of lying
 * lengths, missing parts and the limits.  Real files from ffmpeg and
 * exiftool are in test/integration/test_scrub_media.py.
 */
#include "lib/scrub/sio.h"
#include "lib/scrub/sniff.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/buf.h"
#include "test/unit/check.h"

#define CANARY "Canary Person"

/* --- Building files ------------------------------------------------- */

static void
put(struct ob_buf *b, const void *p, size_t n)
{
	CHECK(ob_buf_append(b, p, n) == 0);
}

static void
puts_(struct ob_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void
put_be32(struct ob_buf *b, uint32_t v)
{
	unsigned char p[4];

	ob_put_be32(p, v);
	put(b, p, 4);
}

static void
put_le32(struct ob_buf *b, uint32_t v)
{
	unsigned char p[4];

	ob_put_le32(p, v);
	put(b, p, 4);
}

static void
put_zeros(struct ob_buf *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(b, "", 1);
}

/* Starts a box (MP4) of type t; box_end writes its size. */
static size_t
box_begin(struct ob_buf *b, const char *t)
{
	size_t at = b->len;

	put_be32(b, 0);
	put(b, t, 4);
	return at;
}

static void
box_end(struct ob_buf *b, size_t at)
{
	ob_put_be32((unsigned char *)b->data + at, (uint32_t)(b->len - at));
}

/* Starts a RIFF chunk; chunk_end writes its size and pads it. */
static size_t
chunk_begin(struct ob_buf *b, const char *id)
{
	size_t at = b->len;

	put(b, id, 4);
	put_le32(b, 0);
	return at;
}

static void
chunk_end(struct ob_buf *b, size_t at)
{
	size_t n = b->len - at - 8;

	ob_put_le32((unsigned char *)b->data + at + 4, (uint32_t)n);
	if (n & 1)
		put(b, "", 1);
}

static void
chunk(struct ob_buf *b, const char *id, const void *p, size_t n)
{
	size_t at = chunk_begin(b, id);

	put(b, p, n);
	chunk_end(b, at);
}

/* --- Running a scrubber --------------------------------------------- */

struct result {
	int rc;
	struct ob_buf out;
	struct ob_scrub_report rep;
};

static void check_again(ob_scrub_fn fn, const struct result *r);
static void result_release(struct result *r);

static void
scrub_(ob_scrub_fn fn, const struct ob_buf *in,
    const struct ob_scrub_limits *lim, struct result *r, bool again)
{
	int fin = memfd_create("in", MFD_CLOEXEC);
	int fout = memfd_create("out", MFD_CLOEXEC);
	char tmp[4096];
	ssize_t n;

	ob_buf_init(&r->out, 64u << 20);
	ob_buf_init(&r->rep.lines, 16 * 1024);
	r->rep.removed = r->rep.not_checked = 0;
	CHECK(fin >= 0 && fout >= 0);
	CHECK(write(fin, in->data, in->len) == (ssize_t)in->len);
	CHECK(lseek(fin, 0, SEEK_SET) == 0);
	r->rc = fn(fin, fout, lim ? lim : &ob_scrub_default_limits, &r->rep);
	CHECK(lseek(fout, 0, SEEK_SET) == 0);
	while ((n = read(fout, tmp, sizeof(tmp))) > 0)
		put(&r->out, tmp, (size_t)n);
	close(fin);
	close(fout);
	if (r->rc == 0 && again)
		check_again(fn, r);
}

/* A scrubbed file scrubs to itself. */
static void
check_again(ob_scrub_fn fn, const struct result *r)
{
	struct result r2;

	scrub_(fn, &r->out, NULL, &r2, false);
	CHECK_INT(r2.rc, 0);
	CHECK(r2.out.len == r->out.len &&
	    memcmp(r2.out.data, r->out.data, r->out.len) == 0);
	result_release(&r2);
}

static void
scrub(ob_scrub_fn fn, const struct ob_buf *in,
    const struct ob_scrub_limits *lim, struct result *r)
{
	scrub_(fn, in, lim, r, true);
}

static void
result_release(struct result *r)
{
	ob_buf_release(&r->out);
	ob_scrub_report_release(&r->rep);
}

static bool
has(const struct ob_buf *b, const char *s)
{
	return b->len > 0 && memmem(b->data, b->len, s, strlen(s)) != NULL;
}

static bool
is_zero_at(const struct ob_buf *b, size_t off, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (off + i >= b->len || b->data[off + i] != 0)
			return false;
	return true;
}

static bool
noted(const struct result *r, const char *line)
{
	return strstr(ob_buf_cstr(&r->rep.lines), line) != NULL;
}

/* A refusal: the code, and a "refused" line and no "removed" one. */
static void
check_refused(const struct result *r, int rc, const char *why)
{
	CHECK_INT(r->rc, rc);
	CHECK(noted(r, "refused: "));
	CHECK(!noted(r, "removed: "));
	if (why != NULL && !noted(r, why))
		fprintf(stderr, "wanted \"%s\"; report was:\n%s", why,
		    ob_buf_cstr(&r->rep.lines));
	CHECK(why == NULL || noted(r, why));
}

/* --- MP3 ------------------------------------------------------------- */

/* MPEG-1 layer III, 128 kbit/s, 44.1 kHz: 417 bytes a frame. */
#define FRAME_LEN 417

static void
mp3_frames(struct ob_buf *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		put(b, "\xff\xfb\x90\x00", 4);
		for (unsigned j = 4; j < FRAME_LEN; j++)
			put(b, (const char[]){ (char)(i + j) }, 1);
	}
}

static void
id3v23(struct ob_buf *b, const char *text)
{
	size_t n = strlen(text) + 1 + 10;

	put(b, "ID3\x03\x00\x00", 6);
	put(b, (const char[]){ 0, 0, (char)(n >> 7), (char)(n & 0x7f) }, 4);
	put(b, "TIT2", 4);
	put_be32(b, (uint32_t)strlen(text) + 1);
	put(b, "\0\0\0", 3);
	puts_(b, text);
}

static void
id3v1(struct ob_buf *b, const char *text)
{
	char tag[128] = "TAG";

	memcpy(tag + 3, text, strlen(text));
	put(b, tag, sizeof(tag));
}

static void
test_mp3(void)
{
	struct ob_buf in = OB_BUF_INIT(1u << 20),
		      frames = OB_BUF_INIT(1u << 20);
	struct ob_scrub_limits lim = ob_scrub_default_limits;
	struct result r;

	mp3_frames(&frames, 10);
	CHECK(ob_scrub_mp3_sniff((const unsigned char *)frames.data, 256));
	CHECK(
	    !ob_scrub_mp3_sniff((const unsigned char *)"\xff\xd8\xff\xe0", 4));

	/* Tags at both ends and between frames go; frames stay exactly. */
	id3v23(&in, CANARY);
	put_zeros(&in, 7); /* padding after the tag */
	mp3_frames(&in, 5);
	id3v23(&in, CANARY " again");
	put(&in, frames.data + 5 * FRAME_LEN, 5 * FRAME_LEN);
	id3v1(&in, CANARY);
	scrub(ob_scrub_mp3, &in, NULL, &r);
	CHECK_INT(r.rc, 0);
	CHECK_INT(r.out.len, frames.len);
	CHECK(r.out.len == frames.len &&
	    memcmp(r.out.data, frames.data, frames.len) == 0);
	CHECK(!has(&r.out, "Canary"));
	CHECK(noted(&r, "removed: ID3v2 titles\n"));
	CHECK(noted(&r, "removed: ID3v1 tag"));
	result_release(&r);

	/* Bytes between frames that are not audio are dropped. */
	ob_buf_reset(&in);
	mp3_frames(&in, 5);
	puts_(&in, "hidden " CANARY);
	put(&in, frames.data + 5 * FRAME_LEN, 5 * FRAME_LEN);
	scrub(ob_scrub_mp3, &in, NULL, &r);
	CHECK_INT(r.rc, 0);
	CHECK(r.out.len == frames.len &&
	    memcmp(r.out.data, frames.data, frames.len) == 0);
	CHECK(noted(&r, "removed: bytes between audio frames"));
	result_release(&r);

	/* An ID3v2 size past the end. */
	ob_buf_reset(&in);
	put(&in, "ID3\x03\x00\x00\x7f\x7f\x7f\x7f", 10);
	mp3_frames(&in, 4);
	scrub(ob_scrub_mp3, &in, NULL, &r);
	check_refused(&r, OB_EINVAL, "longer than the file");
	result_release(&r);

	/* No frames at all; free format. */
	ob_buf_reset(&in);
	id3v23(&in, CANARY);
	puts_(&in, "this is not audio, only text pretending to be");
	scrub(ob_scrub_mp3, &in, NULL, &r);
	check_refused(&r, OB_EINVAL, "no MPEG audio frames");
	result_release(&r);
	ob_buf_reset(&in);
	put(&in, "\xff\xfb\x00\x00", 4);
	put_zeros(&in, 600);
	scrub(ob_scrub_mp3, &in, NULL, &r);
	check_refused(&r, OB_EUNSUPP, "free-format");
	result_release(&r);

	/* An APE footer whose size lies. */
	ob_buf_reset(&in);
	mp3_frames(&in, 4);
	put(&in, "APETAGEX", 8);
	put_le32(&in, 2000);
	put_le32(&in, 0x7fffffff);
	put_le32(&in, 1);
	put_le32(&in, 0);
	put_zeros(&in, 8);
	/* Not a tag then, and not frames either: dropped. */
	scrub(ob_scrub_mp3, &in, NULL, &r);
	CHECK_INT(r.rc, 0);
	CHECK(r.out.len == 4 * FRAME_LEN &&
	    memcmp(r.out.data, frames.data, r.out.len) == 0);
	CHECK(noted(&r, "removed: bytes between audio frames"));
	result_release(&r);

	/* The output limit. */
	ob_buf_reset(&in);
	mp3_frames(&in, 10);
	lim.max_output = 1000;
	scrub(ob_scrub_mp3, &in, &lim, &r);
	check_refused(&r, OB_ETOOBIG,
	    "refused: the cleaned file would be larger than allowed");
	result_release(&r);

	ob_buf_release(&in);
	ob_buf_release(&frames);
}

/* --- RIFF ------------------------------------------------------------ */

static void
wav_fmt(struct ob_buf *b)
{
	size_t at = chunk_begin(b, "fmt ");

	put(b,
	    "\x01\x00\x01\x00\x40\x1f\x00\x00\x40\x1f\x00\x00\x01\x00\x08\x00",
	    16);
	chunk_end(b, at);
}

static void
test_wav(void)
{
	struct ob_buf in = OB_BUF_INIT(1u << 20);
	struct ob_scrub_limits lim = ob_scrub_default_limits;
	struct result r;
	size_t riff, list;

	riff = chunk_begin(&in, "RIFF");
	puts_(&in, "WAVE");
	wav_fmt(&in);
	list = chunk_begin(&in, "LIST");
	puts_(&in, "INFO");
	chunk(&in, "IART", CANARY, strlen(CANARY));
	chunk(&in, "ICRD", "2021-02-03", 10);
	chunk_end(&in, list);
	chunk(&in, "bext", CANARY, strlen(CANARY));
	chunk(&in, "data", "\x80\x81\x82", 3);
	chunk(&in, "_PMX", "<x:xmpmeta>" CANARY, 11 + strlen(CANARY));
	chunk_end(&in, riff);
	CHECK(ob_scrub_riff_sniff((const unsigned char *)in.data, in.len));
	scrub(ob_scrub_riff, &in, NULL, &r);
	CHECK_INT(r.rc, 0);
	/* RIFF, WAVE, fmt (24), data (8 + 3 + pad). */
	CHECK_INT(r.out.len, 12 + 24 + 12);
	CHECK(r.out.len >= 8 &&
	    ob_le32((const unsigned char *)r.out.data + 4) == r.out.len - 8);
	CHECK(!has(&r.out, "Canary") && !has(&r.out, "2021"));
	CHECK(has(&r.out, "data\x03\x00\x00\x00\x80\x81\x82"));
	CHECK(noted(&r, "removed: artist (RIFF INFO)"));
	CHECK(noted(&r, "removed: creation date (RIFF INFO)"));
	CHECK(noted(&r, "removed: Broadcast WAV"));
	CHECK(noted(&r, "removed: XMP metadata"));
	result_release(&r);

	/* Too many chunks. */
	lim.max_entries = 3;
	scrub(ob_scrub_riff, &in, &lim, &r);
	check_refused(&r, OB_ETOOBIG, "too many chunks");
	result_release(&r);

	/* A chunk longer than the file. */
	ob_put_le32((unsigned char *)in.data + 16, 0x7ffffff0);
	scrub(ob_scrub_riff, &in, NULL, &r);
	check_refused(&r, OB_EINVAL, "longer than its list");
	result_release(&r);

	/* No data chunk. */
	ob_buf_reset(&in);
	riff = chunk_begin(&in, "RIFF");
	puts_(&in, "WAVE");
	wav_fmt(&in);
	chunk_end(&in, riff);
	scrub(ob_scrub_riff, &in, NULL, &r);
	check_refused(&r, OB_EINVAL, "one data chunk");
	result_release(&r);

	/* RF64, and a RIFF size past the end. */
	memcpy(in.data, "RF64", 4);
	scrub(ob_scrub_riff, &in, NULL, &r);
	check_refused(&r, OB_EUNSUPP, "RF64");
	result_release(&r);
	memcpy(in.data, "RIFF", 4);
	ob_put_le32((unsigned char *)in.data + 4, 1000);
	scrub(ob_scrub_riff, &in, NULL, &r);
	check_refused(&r, OB_EINVAL, "shorter than its header says");
	result_release(&r);
	ob_buf_release(&in);
}

static void
test_avi(void)
{
	struct ob_buf in = OB_BUF_INIT(1u << 20);
	struct ob_scrub_limits lim = ob_scrub_default_limits;
	struct result r;
	size_t riff, hdrl, strl, info, movi;

	riff = chunk_begin(&in, "RIFF");
	puts_(&in, "AVI ");
	hdrl = chunk_begin(&in, "LIST");
	puts_(&in, "hdrl");
	chunk(&in, "avih", "\0\0\0\0\0\0\0\0", 8);
	strl = chunk_begin(&in, "LIST");
	puts_(&in, "strl");
	chunk(&in, "strh", "vidsFMP4", 8);
	chunk(&in, "strn", CANARY, strlen(CANARY));
	chunk_end(&in, strl);
	chunk(&in, "IDIT", "Wed Feb 03 2021", 15);
	chunk_end(&in, hdrl);
	info = chunk_begin(&in, "LIST");
	puts_(&in, "INFO");
	chunk(&in, "ISFT", CANARY, strlen(CANARY));
	chunk_end(&in, info);
	chunk(&in, "JUNK", "leftover " CANARY, 9 + strlen(CANARY));
	movi = chunk_begin(&in, "LIST");
	puts_(&in, "movi");
	chunk(&in, "00dc", "frame", 5);
	chunk_end(&in, movi);
	chunk(&in, "idx1", "00dc\0\0\0\0\x04\0\0\0\x05\0\0\0", 16);
	chunk_end(&in, riff);
	scrub(ob_scrub_riff, &in, NULL, &r);
	CHECK_INT(r.rc, 0);
	/* Nothing moves: the same length, movi and idx1 where they were. */
	CHECK_INT(r.out.len, in.len);
	CHECK(r.out.len == in.len &&
	    memcmp(r.out.data + movi, in.data + movi, in.len - movi) == 0);
	CHECK(!has(&r.out, "Canary") && !has(&r.out, "2021"));
	CHECK(has(&r.out, "JUNK"));
	CHECK(noted(&r, "removed: stream name"));
	CHECK(noted(&r, "removed: recording date"));
	CHECK(noted(&r, "removed: software name (RIFF INFO)"));
	result_release(&r);

	lim.max_depth = 1;
	scrub(ob_scrub_riff, &in, &lim, &r);
	check_refused(&r, OB_ETOOBIG, "nested too deeply");
	result_release(&r);

	/* Without movi. */
	memcpy(in.data + movi + 8, "mova", 4);
	scrub(ob_scrub_riff, &in, NULL, &r);
	check_refused(&r, OB_EINVAL, "no movie data");
	result_release(&r);
	ob_buf_release(&in);
}

/* --- MP4 ------------------------------------------------------------- */

static const unsigned char xmp_uuid[16] = { 0xbe, 0x7a, 0xcf, 0xcb, 0x97, 0xa9,
	0x42, 0xe8, 0x9c, 0x71, 0x99, 0x94, 0x91, 0xe3, 0xaf, 0xac };

/* A track: its handler type, a sample entry, one chunk at off. */
static void
mp4_trak(struct ob_buf *b, const char *handler, const char *format,
    uint32_t off, uint32_t len)
{
	size_t trak, mdia, minf, stbl, stsd, e, dinf, dref;

	trak = box_begin(b, "trak");
	e = box_begin(b, "tkhd");
	put_be32(b, 0);
	put_be32(b, 0x7a000000); /* creation */
	put_be32(b, 0x7a000001); /* modification */
	put_zeros(b, 72);
	box_end(b, e);
	mdia = box_begin(b, "mdia");
	e = box_begin(b, "mdhd");
	put_be32(b, 0);
	put_be32(b, 0x7a000000);
	put_be32(b, 0x7a000001);
	put_zeros(b, 12);
	box_end(b, e);
	e = box_begin(b, "hdlr");
	put_zeros(b, 8);
	put(b, handler, 4);
	put_zeros(b, 12);
	puts_(b, CANARY " handler");
	put(b, "", 1);
	box_end(b, e);
	minf = box_begin(b, "minf");
	dinf = box_begin(b, "dinf");
	dref = box_begin(b, "dref");
	put_be32(b, 0);
	put_be32(b, 1);
	e = box_begin(b, "url ");
	put_be32(b, 1);
	box_end(b, e);
	box_end(b, dref);
	box_end(b, dinf);
	stbl = box_begin(b, "stbl");
	stsd = box_begin(b, "stsd");
	put_be32(b, 0);
	put_be32(b, 1);
	e = box_begin(b, format);
	put_zeros(b, 6);
	put(b, "\0\1", 2);
	put_zeros(b, 34);
	put(b,
	    "\x06"
	    "Canary",
	    7); /* compressor name */
	put_zeros(b, 25 + 4);
	box_end(b, e);
	box_end(b, stsd);
	e = box_begin(b, "stsc");
	put_be32(b, 0);
	put_be32(b, 1);
	put_be32(b, 1);
	put_be32(b, 1);
	put_be32(b, 1);
	box_end(b, e);
	e = box_begin(b, "stsz");
	put_be32(b, 0);
	put_be32(b, len);
	put_be32(b, 1);
	box_end(b, e);
	e = box_begin(b, "stco");
	put_be32(b, 0);
	put_be32(b, 1);
	put_be32(b, off);
	box_end(b, e);
	box_end(b, stbl);
	box_end(b, minf);
	box_end(b, mdia);
	e = box_begin(b, "udta");
	box_end(b, box_begin(b, "\251nam"));
	box_end(b, e);
	box_end(b, trak);
}

/*
 * ftyp, mdat (video bytes, then a GPS sample), moov (mvhd, a video
 * track, a GoPro GPS track, udta with a location, meta, XMP uuid), and
 * a top-level XMP uuid box.  *gps gets the GPS sample's offset.
 */
static void
mp4_file(struct ob_buf *b, const char *brand, size_t *gps)
{
	size_t at, moov, udta, meta, mdat;

	at = box_begin(b, "ftyp");
	puts_(b, brand);
	put_be32(b, 0x200);
	puts_(b, "isomiso2mp41");
	box_end(b, at);
	mdat = box_begin(b, "mdat");
	puts_(b, "video-bytes-here");
	*gps = b->len;
	puts_(b, "GPS " CANARY " 48.8584");
	box_end(b, mdat);
	moov = box_begin(b, "moov");
	at = box_begin(b, "mvhd");
	put_be32(b, 0);
	put_be32(b, 0x7a000000);
	put_be32(b, 0x7a000001);
	put_zeros(b, 88);
	box_end(b, at);
	mp4_trak(b, "vide", "mp4v", (uint32_t)(mdat + 8), 16);
	mp4_trak(b, "meta", "gpmd", (uint32_t)*gps, 20);
	udta = box_begin(b, "udta");
	at = box_begin(b, "\251xyz");
	puts_(b, "+48.8584+002.2945/");
	box_end(b, at);
	put_be32(b, 0); /* QuickTime's list terminator */
	box_end(b, udta);
	meta = box_begin(b, "meta");
	put_be32(b, 0);
	at = box_begin(b, "ilst");
	puts_(b, CANARY);
	box_end(b, at);
	box_end(b, meta);
	at = box_begin(b, "uuid");
	put(b, xmp_uuid, 16);
	puts_(b, "<x:xmpmeta>" CANARY);
	box_end(b, at);
	box_end(b, moov);
	at = box_begin(b, "free");
	puts_(b, "old header with " CANARY);
	box_end(b, at);
}

static void
test_mp4(void)
{
	struct ob_buf in = OB_BUF_INIT(1u << 20);
	struct ob_scrub_limits lim = ob_scrub_default_limits;
	struct result r;
	size_t gps;

	mp4_file(&in, "isom", &gps);
	CHECK(ob_scrub_mp4_sniff((const unsigned char *)in.data, in.len));
	scrub(ob_scrub_mp4, &in, NULL, &r);
	CHECK_INT(r.rc, 0);
	CHECK_INT(r.out.len, in.len);
	/* The video bytes are where they were; the GPS sample is zeros. */
	CHECK(r.out.len == in.len && memcmp(r.out.data, in.data, gps) == 0);
	CHECK(r.out.len == in.len && is_zero_at(&r.out, gps, 20));
	CHECK(!has(&r.out, "Canary") && !has(&r.out, "48.8584"));
	CHECK(memmem(in.data, in.len, "\x7a\0\0\0\x7a\0\0\x01", 8) != NULL);
	CHECK(
	    memmem(r.out.data, r.out.len, "\x7a\0\0\0\x7a\0\0\x01", 8) == NULL);
	CHECK(has(&r.out, "mp4v"));
	CHECK(noted(&r, "removed: timed metadata track"));
	CHECK(noted(&r, "removed: recording location (GPS)"));
	CHECK(noted(&r, "removed: XMP metadata"));
	CHECK(noted(&r, "removed: creation and modification dates"));
	CHECK(noted(&r, "removed: encoder name of the video track"));
	result_release(&r);

	/* moov bigger than what may be held in memory. */
	lim.max_in_memory = 100;
	scrub(ob_scrub_mp4, &in, &lim, &r);
	check_refused(&r, OB_ETOOBIG, "memory limit");
	result_release(&r);
	lim = ob_scrub_default_limits;
	lim.max_depth = 2;
	scrub(ob_scrub_mp4, &in, &lim, &r);
	check_refused(&r, OB_ETOOBIG, "nested too deeply");
	result_release(&r);
	lim = ob_scrub_default_limits;
	lim.max_entries = 10;
	scrub(ob_scrub_mp4, &in, &lim, &r);
	check_refused(&r, OB_ETOOBIG, "too many boxes");
	result_release(&r);
	ob_buf_release(&in);

	/* A still image in the same box format. */
	mp4_file(&in, "heic", &gps);
	CHECK(!ob_scrub_mp4_sniff((const unsigned char *)in.data, in.len));
	scrub(ob_scrub_mp4, &in, NULL, &r);
	check_refused(&r, OB_EUNSUPP, "HEIF");
	result_release(&r);
	ob_buf_release(&in);

	/* A box larger than its parent; the file cut short. */
	mp4_file(&in, "isom", &gps);
	ob_put_be32((unsigned char *)memmem(in.data, in.len, "mvhd", 4) - 4,
	    0x00ffffff);
	scrub(ob_scrub_mp4, &in, NULL, &r);
	check_refused(&r, OB_EINVAL, "does not fit");
	result_release(&r);
	ob_buf_release(&in);
	mp4_file(&in, "isom", &gps);
	ob_buf_truncate(&in, in.len - 40);
	scrub(ob_scrub_mp4, &in, NULL, &r);
	check_refused(&r, OB_EINVAL, "does not fit in the file");
	result_release(&r);
	ob_buf_release(&in);
}

/* A GPS track whose chunk offset points into moov, not mdat. */
static void
test_mp4_lying_offsets(void)
{
	struct ob_buf in = OB_BUF_INIT(1u << 20);
	struct result r;
	size_t gps, at;
	char *p;

	mp4_file(&in, "isom", &gps);
	/* The second stco's offset: the last "stco" in the file. */
	p = in.data;
	for (char *q = p;
	     (q = memmem(q, in.len - (size_t)(q - in.data), "stco", 4)) != NULL;
	     q++)
		p = q;
	at = (size_t)(p - in.data) + 12;
	ob_put_be32((unsigned char *)in.data + at, (uint32_t)(in.len - 10));
	scrub(ob_scrub_mp4, &in, NULL, &r);
	check_refused(&r, OB_EINVAL, "outside");
	result_release(&r);
	ob_put_be32((unsigned char *)in.data + at, 0xfffffff0);
	scrub(ob_scrub_mp4, &in, NULL, &r);
	check_refused(&r, OB_EINVAL, "outside the file");
	result_release(&r);
	ob_buf_release(&in);
}

static void
test_registry(void)
{
	const struct ob_scrub_family *f;

	f = ob_scrub_sniff((const unsigned char *)"RIFF\0\0\0\0WAVEfmt ", 16);
	CHECK(f != NULL && strcmp(f->name, "riff") == 0);
	f = ob_scrub_sniff((const unsigned char *)"RIFF\0\0\0\0AVI LIST", 16);
	CHECK(f != NULL && strcmp(f->name, "riff") == 0);
	f = ob_scrub_sniff((const unsigned char *)"\0\0\0\x18"
						  "ftypisom\0\0\0\0",
	    16);
	CHECK(f != NULL && strcmp(f->name, "mp4") == 0);
	f = ob_scrub_sniff((const unsigned char *)"ID3\x03\0\0\0\0\0\x10", 10);
	CHECK(f != NULL && strcmp(f->name, "mp3") == 0);
	CHECK(!ob_scrub_riff_sniff(
	    (const unsigned char *)"RIFF\0\0\0\0WEBPVP8 ", 16));
}

int
main(void)
{
	test_mp3();
	test_wav();
	test_avi();
	test_mp4();
	test_mp4_lying_offsets();
	test_registry();
	return CHECK_DONE();
}
