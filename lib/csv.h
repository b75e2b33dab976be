/*
 * csv.h - rows of CSV (RFC 4180) that are safe to open in a spreadsheet.
 *
 * Every field is written in double quotes, with a quote inside doubled
 * ("say ""hi"""), so commas, quotes, CR and LF stay inside their cell
 * whatever the field holds; rows end in CRLF.
 *
 * CSV injection: a spreadsheet runs a cell that begins with = + - or @
 * as a formula (and some treat a leading TAB or CR the same way), so a
 * field beginning with one of = + - @ TAB CR is written with an
 * apostrophe in front ('=1+1), which spreadsheets show as text.  This
 * holds for every field, numbers included: a negative number comes out
 * as text.  Callers never need to think about which cells hold text
 * someone else chose (a tenant's category names, say); there is no way
 * around the guard.
 */
#ifndef OB_CSV_H
#define OB_CSV_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/ob.h"

/*
 * Appends one row of n fields (n >= 1), each a NUL-terminated string,
 * then CRLF.  OB_EINVAL for n == 0 or a NULL field; OB_ETOOBIG when out
 * would pass its max.  On error out is as it was.
 */
int ob_csv_row(
    struct ob_buf *out, const char *const *fields, size_t n) OB_MUST_CHECK;

#endif
