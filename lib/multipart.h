/*
 * multipart.h - a streaming multipart/form-data parser (RFC 7578, with
 * the boundaries of RFC 2046) for uploads that never sit whole in
 * memory.
 *
 * The body is fed in chunks of any size as it arrives from
 * ob_req_read(); the parser calls back at the start of each part (with
 * its parsed headers), for every run of body bytes, and at its end.
 * Parts are never buffered: body bytes go to the data callback as soon
 * as they cannot be the start of a delimiter, so the parser holds the
 * current header line (at most max_header_bytes) and nothing else that
 * grows.  All its memory is allocated by ob_multipart_new(); feeding
 * allocates nothing, whatever the size of the body.  How the bytes are
 * split into chunks never changes what the callbacks see, apart from
 * how the data of one part is cut into runs.
 *
 * What is accepted (everything else is an error, never a guess):
 *   - Line ends are CRLF.  A bare LF or CR in a delimiter line or a
 *     header block is OB_EINVAL; inside a part's body any byte is data,
 *     so "\n--boundary" there is data, not a delimiter.
 *   - A delimiter is "--" boundary at the start of the body or right
 *     after CRLF, followed by transport padding (spaces and tabs) and
 *     CRLF; the close delimiter is followed by "--".  The CRLF before a
 *     delimiter belongs to it, not to the part, and the CRLF of the
 *     blank line after a part's headers cannot double as it: an empty
 *     part is headers, CRLF, CRLF "--boundary", as browsers send it.
 *     "--boundary" anywhere else is data.  A delimiter followed by
 *     anything else ("--boundaryX") is OB_EINVAL: RFC 2046 forbids the
 *     boundary inside a part, and two parsers guessing differently is
 *     how uploads get smuggled past checks.
 *   - The preamble (before the first delimiter) and the epilogue (after
 *     the close delimiter) are skipped, but count towards max_total.
 *     A body of just the close delimiter has zero parts.
 *   - Header lines are "Name: value" with a token name (no space before
 *     the colon), matched case-insensitively; folded lines are refused.
 *     Values may hold tabs, visible ASCII and bytes >= 0x80; NUL, other
 *     controls and DEL are refused.  Only these headers mean anything:
 *       Content-Disposition: form-data; name="..."[; filename="..."]
 *         required, once; the type is form-data (any case); parameter
 *         names are case-insensitive, values a token or a quoted-string;
 *         name is required, non-empty and valid UTF-8; each parameter
 *         at most once; other parameters are ignored.  filename* (RFC
 *         5987) is refused: RFC 7578 section 4.2 forbids it, no browser
 *         or curl sends it, and a part with two names for one file is an
 *         ambiguity to refuse, not to resolve.
 *       Content-Type: at most once, visible ASCII, kept as sent
 *         (trimmed) for the caller, who must not trust it.
 *       Content-Transfer-Encoding: at most once; 7bit, 8bit and binary
 *         are accepted and change nothing, anything else is OB_EUNSUPP.
 *     Other headers are checked for syntax and otherwise ignored.
 *   - Quoted-strings: a backslash escapes '"' and '\'; before any other
 *     byte it is kept as a backslash.  Browsers do not escape a
 *     backslash (old IE sends "C:\Users\x\file.txt"), and they send '"'
 *     as %22, which is left as it is.
 *   - A filename is handed out raw: any bytes but NUL and controls other
 *     than TAB, not necessarily UTF-8, possibly empty (browsers send
 *     filename="" for a file input left empty), possibly a path.  Pass
 *     it through ob_multipart_safe_filename() before showing or storing
 *     it.
 *
 * Errors are sticky: once a feed or a callback fails, the parser makes
 * no more callbacks and every later call returns the same code.  The
 * part in progress then never gets its end callback; the caller throws
 * away whatever it kept of it.
 */
#ifndef OB_MULTIPART_H
#define OB_MULTIPART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/ob.h"

/* RFC 2046: a boundary is 1 to 70 characters. */
#define OB_MULTIPART_BOUNDARY_MAX 70
/* Longest Content-Type a part may declare, in bytes. */
#define OB_MULTIPART_CTYPE_MAX 255
/* Upper bound for max_header_bytes (it sizes a buffer). */
#define OB_MULTIPART_HEADER_BYTES_MAX (64 * 1024)

/*
 * Caps on one body.  Lengths count bytes (of names after unquoting).
 * Passing any of them makes the parser fail with OB_ETOOBIG.
 */
struct ob_multipart_limits {
	size_t max_parts; /* parts in the body */
	size_t max_header_bytes; /* a part's header block, CRLFs included */
	size_t max_header_lines; /* header lines in one part */
	size_t max_name_len; /* the name parameter */
	size_t max_filename_len; /* the filename parameter */
	size_t max_field_len; /* the body of a part without filename */
	uint64_t max_total; /* every byte fed, preamble and epilogue too */
};

/*
 * 32 parts, 8 KiB and 8 lines of headers per part, 64-byte names,
 * 255-byte filenames, 64 KiB for a part that is not a file, 64 MiB in
 * all.  Files have no cap of their own beyond max_total: the data
 * callback enforces whatever the caller wants.
 */
extern const struct ob_multipart_limits ob_multipart_default_limits;

/*
 * A part, as the callbacks see it.  The struct and its strings belong to
 * the parser and stay valid from the begin callback through the end
 * callback of the same part; copy what is needed for longer.
 */
struct ob_multipart_part {
	size_t index; /* 0 for the first part */
	const char *name; /* non-empty, valid UTF-8, no controls */
	size_t name_len;
	/* NULL for a plain field; else raw, perhaps "" (see above). */
	const char *filename;
	size_t filename_len;
	/* As declared, trimmed; "" when absent.  Never trust it. */
	const char *content_type;
	/* Body bytes delivered so far; at the end callback, the size. */
	uint64_t len;
};

/*
 * Callbacks; any may be NULL.  Each returns 0 to go on, or a negative
 * OB_E* code that stops the parser: the feed in progress returns it and
 * so does every later call (a positive return counts as OB_EINTERNAL).
 * data: n >= 1 bytes of the part's body at d, valid during the call
 * only.  A part's body may arrive in any number of runs, split
 * anywhere.  Callbacks must not call back into the parser.
 */
struct ob_multipart_cb {
	int (*begin)(void *arg, const struct ob_multipart_part *part);
	int (*data)(void *arg, const struct ob_multipart_part *part,
	    const char *d, size_t n);
	int (*end)(void *arg, const struct ob_multipart_part *part);
};

struct ob_multipart;

/*
 * Extracts the boundary from a Content-Type header value such as
 * "multipart/form-data; boundary=----x".  The media type must be
 * multipart/form-data (any case); parameters are ";"-separated, names
 * case-insensitive, with no space around "="; boundary must occur
 * exactly once, as a token or a quoted-string without backslashes, and
 * be 1 to 70 of RFC 2046's bchars (letters, digits, and '()+_,-./:=?
 * and space, but not ending in a space).  Other parameters are checked
 * for syntax and ignored.
 *
 * Returns 0 with the boundary NUL-terminated in out, or OB_EINVAL for
 * anything else (content_type NULL included; out is then untouched),
 * or OB_ETOOBIG when out has no room (outsz > OB_MULTIPART_BOUNDARY_MAX
 * is always enough).
 */
int ob_multipart_boundary(
    const char *content_type, char *out, size_t outsz) OB_MUST_CHECK;

/*
 * Makes a parser for a body with the given boundary (checked again as
 * above).  lim NULL means ob_multipart_default_limits; cb (NULL: no
 * callbacks) is copied; arg is passed to every callback.  OB_EINVAL
 * for a bad boundary, or limits with max_parts, max_header_bytes,
 * max_header_lines or max_name_len at 0, or max_header_bytes above
 * OB_MULTIPART_HEADER_BYTES_MAX.  On success the caller owns *out and
 * frees it with ob_multipart_free(); this is the parser's only
 * allocation (about max_header_bytes plus the name buffers).
 */
int ob_multipart_new(const char *boundary,
    const struct ob_multipart_limits *lim, const struct ob_multipart_cb *cb,
    void *arg, struct ob_multipart **out) OB_MUST_CHECK;

/* Frees p; NULL is fine. */
void ob_multipart_free(struct ob_multipart *p);

/*
 * Parses the next len bytes of the body (data may be NULL when len is
 * 0), making the callbacks they complete.  Returns 0, or:
 *   OB_EINVAL   the body breaks the rules above;
 *   OB_ETOOBIG  a limit was passed (the bytes within it were parsed
 *               first, so the outcome does not depend on chunking);
 *   OB_EUNSUPP  a Content-Transfer-Encoding other than 7bit, 8bit or
 *               binary;
 *   a callback's code.
 * Bytes after the close delimiter are counted and ignored.
 */
int ob_multipart_feed(
    struct ob_multipart *p, const void *data, size_t len) OB_MUST_CHECK;

/*
 * Says the body is complete: 0 when the close delimiter was seen and
 * nothing failed, else the sticky error, or OB_EINVAL for a body that
 * stopped early (in the preamble, a header block or a part).
 */
int ob_multipart_finish(struct ob_multipart *p) OB_MUST_CHECK;

/* Parts begun so far. */
size_t ob_multipart_nparts(const struct ob_multipart *p);

/*
 * Makes a raw filename fit to show and to send back in a
 * Content-Disposition: keeps what follows the last '/' or '\'; drops
 * C0 and C1 controls, DEL, and invisible or direction-changing
 * characters (U+061C, U+200B..U+200F, U+2028..U+202E, U+2060..U+2064,
 * U+2066..U+2069, U+FEFF) that can disguise an extension; replaces '"'
 * and every byte that is not part of valid UTF-8 with '_'; trims
 * leading spaces and trailing spaces and dots.
 *
 * Writes the NUL-terminated result (valid UTF-8, at most outsz - 1
 * bytes) to out.  A name too long for out is cut at a character
 * boundary, keeping an extension of up to 16 bytes.  Returns 0, or
 * OB_EINVAL when nothing usable is left ("", ".", "..", only dots and
 * spaces, a path ending in a separator), or OB_ETOOBIG when outsz is
 * too small to hold even one character.  out is "" on error (when
 * outsz > 0).
 */
int ob_multipart_safe_filename(
    const char *in, char *out, size_t outsz) OB_MUST_CHECK;

#endif
