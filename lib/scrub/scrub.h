/*
 * scrub.h - removing from a file what could identify the person who made
 * it (issue 7; DESIGN "File scrubbing").
 *
 * One scrubber per format family (lib/scrub/<family>.c), all with the
 * same shape: read one file from `in`, write the cleaned file to `out`,
 * and say in the report what was removed and what could not be checked.
 *
 *   in    a file descriptor of a regular file (a memfd or a file on
 *         disk) holding the whole input, positioned at 0; scrubbers may
 *         pread/lseek it freely and must not write to it;
 *   out   a file descriptor of an empty regular file open for writing
 *         (and reading: ZIP and PDF writers may need to seek back);
 *         on error its contents are undefined - the caller discards it.
 *
 * Memory: a scrubber works in bounded buffers (at most a few MiB at
 * once, never the whole file unless the format forces it and then only
 * up to lim->max_in_memory), so a 1 GB video is cleaned in constant
 * memory.  Time: the caller runs each scrubber in a forked child with
 * CPU, memory and file-size rlimits and a seccomp filter
 * (lib/sandbox.h); a scrubber itself only reads, writes, seeks and
 * allocates - no files by name, no network, no threads.
 *
 * Faithful: the output is a valid file of the same type that shows the
 * same content (pixels, pages, text, sound).  What only describes the
 * file - authors, dates, devices, places, software, comments, thumbnails,
 * edit history - goes.  What rendering needs stays (an image's
 * orientation, colour profile, a PDF's fonts).  When unsure, remove.
 *
 * Errors (negative OB_E*; the caller refuses the file and shows the
 * reason, and nothing is stored):
 *   OB_EINVAL   the bytes are not a valid file of this family: truncated,
 *               inconsistent lengths, a header that lies;
 *   OB_ETOOBIG  a limit of lim was reached (a zip bomb, an XML bomb,
 *               too many pages, objects, boxes, entries, or nesting);
 *   OB_EUNSUPP  valid, but uses something this scrubber does not handle
 *               safely (an encrypted PDF, an unknown compression);
 *   OB_EIO      reading or writing failed.
 * The report says why in a line the reporter can read.
 */
#ifndef OB_SCRUB_H
#define OB_SCRUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/ob.h"

/* Caps on what one file may make a scrubber do. */
struct ob_scrub_limits {
	uint64_t max_output; /* bytes written to out */
	uint64_t max_in_memory; /* bytes a scrubber may hold at once */
	uint64_t max_entries; /* zip members, PDF objects, boxes, chunks */
	uint64_t max_expanded; /* decompressed bytes in all (zip, streams) */
	unsigned max_depth; /* nesting: boxes in boxes, files in files */
	unsigned max_pages; /* PDF pages */
};

/* 4 GiB out, 32 MiB in memory, 100 000 entries, 2 GiB expanded,
 * depth 16, 5000 pages. */
extern const struct ob_scrub_limits ob_scrub_default_limits;

/*
 * What happened to one file, for the reporter and the handlers.  Each
 * note is one line "<kind>: <text>", kind one of
 *   removed       something that could identify someone was taken out
 *                 ("removed: EXIF GPS position", "removed: author");
 *   changed       something was rewritten to keep the file faithful
 *                 ("changed: orientation applied to the pixels");
 *   not-checked   something that could not be looked into and stays
 *                 ("not-checked: embedded font names");
 *   refused       why the file was refused (set with the error).
 * Text is ASCII, no newline, at most 200 bytes; notes of the same text
 * are kept once.  Never put file content in a note (no author's name,
 * no coordinates): say what kind of thing was removed, not its value.
 */
struct ob_scrub_report {
	struct ob_buf lines; /* "kind: text\n" ... */
	unsigned removed;
	unsigned not_checked;
};

#define OB_SCRUB_REPORT_INIT                                                   \
	{                                                                      \
		OB_BUF_INIT(16 * 1024), 0, 0                                   \
	}

void ob_scrub_note(struct ob_scrub_report *r, const char *kind, const char *fmt,
    ...) OB_PRINTF(3, 4);
void ob_scrub_report_release(struct ob_scrub_report *r);

/*
 * Refusals: every refused file says why, in a "refused" line.
 *   ob_scrub_refuse       notes "refused: <why>" and returns rc, for
 *                         `return ob_scrub_refuse(rep, OB_EINVAL, "...")`;
 *   ob_scrub_refuse_once  the same unless rc is 0 or r already says why
 *                         (the first reason is the cause, later ones
 *                         are consequences);
 *   ob_scrub_refused      whether r has a "refused" line;
 *   ob_scrub_refusal_text the general line for a failure rc that carries
 *                         no reason of its own (an OB_EIO, say);
 *   ob_scrub_refuse_size  a refusal that names a size limit, in the unit
 *                         a reader expects ("<what> larger than 32 MiB").
 * why must not carry file content (see above).
 */
int ob_scrub_refuse(struct ob_scrub_report *r, int rc, const char *why);
int ob_scrub_refuse_once(struct ob_scrub_report *r, int rc, const char *why);
bool ob_scrub_refused(const struct ob_scrub_report *r);
const char *ob_scrub_refusal_text(int rc);
void ob_scrub_refuse_size(
    struct ob_scrub_report *r, const char *what, uint64_t max);

/*
 * Ends a scrub whose notes went into a report of its own (local): a
 * failed scrub keeps nothing of the file, so on failure only why it was
 * refused reaches rep (ob_scrub_refusal_text's line if local has none),
 * on success (rc 0) every line does.  Releases local and returns rc.
 */
int ob_scrub_report_end(
    struct ob_scrub_report *rep, struct ob_scrub_report *local, int rc);

/* A scrubber.  See the top of this file. */
typedef int (*ob_scrub_fn)(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep);

/*
 * The format families.  Each name is also its module's file name
 * (lib/scrub/<name>.c) and its fuzz target (test/fuzz/fuzz_scrub_<name>).
 */
int ob_scrub_jpeg(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep) OB_MUST_CHECK;
int ob_scrub_png(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep) OB_MUST_CHECK;
int ob_scrub_gif(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep) OB_MUST_CHECK;
int ob_scrub_webp(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep) OB_MUST_CHECK;
int ob_scrub_tiff(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep) OB_MUST_CHECK;
int ob_scrub_bmp(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep) OB_MUST_CHECK;
int ob_scrub_mp3(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep) OB_MUST_CHECK;
int ob_scrub_mp4(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep) OB_MUST_CHECK;
int ob_scrub_riff(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep) OB_MUST_CHECK; /* WAV, AVI */
int ob_scrub_pdf(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep) OB_MUST_CHECK;
/* The tenant setting "flatten": each page becomes a picture of itself. */
int ob_scrub_pdf_flatten(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep) OB_MUST_CHECK;
bool ob_scrub_sniff_pdf(const unsigned char *head, size_t n);
int ob_scrub_ooxml(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep) OB_MUST_CHECK; /* docx xlsx pptx */
int ob_scrub_odf(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep) OB_MUST_CHECK; /* odt ods odp */

/*
 * The registry (lib/scrub/registry.c): each family's name, the MIME
 * type it reports, its scrubber, and a test on the first bytes of a
 * file (magic numbers only, never a name or a declared type).  One row
 * per family; ob_scrub_sniff tries them in order.
 */
struct ob_scrub_family {
	const char *name; /* "jpeg": lib/scrub/jpeg.c */
	const char *mime; /* what the report says was found */
	ob_scrub_fn scrub;
	bool (*sniff)(const unsigned char *head, size_t n);
};

extern const struct ob_scrub_family ob_scrub_families[];
extern const size_t ob_scrub_nfamilies;

/*
 * For containers (OOXML, ODF, PDF): scrubs an embedded file the same way
 * as an upload, choosing the scrubber from its bytes (ob_scrub_sniff),
 * with lim->max_depth one less (OB_ETOOBIG at 0).  OB_EUNSUPP for a
 * type no scrubber knows: the container decides - office documents
 * keep it, reported "not-checked" with its kind, where leaving it out
 * would break the document (lib/scrub/office.h), and leave out by name
 * what the document can do without.
 */
int ob_scrub_embedded(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep) OB_MUST_CHECK;

/*
 * The family of the first bytes of a file (head, n bytes; 256 are
 * enough for every family here: a zip's first member name tells ODF
 * from OOXML), or NULL.  Magic numbers only, never a
 * name or a declared type.  The upload path uses libmagic for the
 * type it shows (lib/filetype.h) and this for the choice.
 */
const struct ob_scrub_family *ob_scrub_sniff(
    const unsigned char *head, size_t n);

/* Bytes of a file's head ob_scrub_sniff looks at, at most. */
#define OB_SCRUB_SNIFF_BYTES 256

#endif
