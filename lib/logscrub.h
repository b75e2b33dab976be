/*
 * logscrub.h - removes client identity from nginx error-log lines.
 *
 * nginx writes the client's address (", client: 203.0.113.7"), the
 * Referer header (", referrer: \"...\"") and the raw request line with
 * its query string into error lines at every level, even "crit".  The
 * anonymity rules (docs/stack.md) forbid any of that on disk, so the
 * stack pipes nginx's stderr through ombud-logfilter, which calls this
 * for each line.
 *
 * What is removed, in order:
 *   1. every ", client: X" up to the next ',' (or the end of the line);
 *   2. ", referrer: \"..." and everything after it (nginx always writes
 *      the referrer last; its value is raw client text and may itself
 *      contain quotes, so there is no safe end but the end of the line);
 *   3. the query of every "request: \"METHOD /path?query HTTP/1.1\"":
 *      from the '?' to the next space or '"' (the method, path and
 *      protocol stay);
 *   4. any IPv6 literal that inet_pton(3) accepts (with an optional
 *      "%zone", and with its brackets when it is written "[...]") becomes
 *      "[addr]";
 *   5. any remaining dotted quad (four groups of 1 to 3 digits, whatever
 *      their values) becomes "[addr]": the whole run of digits and dots
 *      around it is replaced, so the output never contains a substring
 *      of the form d.d.d.d (the fuzz target checks this invariant).
 * ", host: ..." and ", server: ..." are kept (an address in them is
 * still masked by 4 and 5).
 */
#ifndef OB_LOGSCRUB_H
#define OB_LOGSCRUB_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/ob.h"

/*
 * Scrubs one line of n bytes (it need not be NUL-terminated and may
 * contain NULs; a final '\n' is kept) and appends the result to out.
 * The result is at most 2 * n + 8 bytes long.
 *
 * Returns 0, or OB_ETOOBIG when out's cap is reached; out then holds
 * what it held before the call.
 */
int ob_logscrub_line(
    const char *in, size_t n, struct ob_buf *out) OB_MUST_CHECK;

#endif
