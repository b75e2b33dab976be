#include "lib/csv.h"

#include <stdbool.h>
#include <string.h>

/* True for a first character that a spreadsheet may take for a formula. */
static bool
formula_start(char ch)
{
	return ch == '=' || ch == '+' || ch == '-' || ch == '@' || ch == '\t' ||
	    ch == '\r';
}

static int
field(struct ob_buf *out, const char *s)
{
	const char *q;
	int rc;

	if ((rc = ob_buf_putc(out, '"')) != 0 ||
	    (formula_start(s[0]) && (rc = ob_buf_putc(out, '\'')) != 0))
		return rc;
	while ((q = strchr(s, '"')) != NULL) {
		/* Up to and with the quote, then the quote again. */
		if ((rc = ob_buf_append(out, s, (size_t)(q - s) + 1)) != 0 ||
		    (rc = ob_buf_putc(out, '"')) != 0)
			return rc;
		s = q + 1;
	}
	if ((rc = ob_buf_puts(out, s)) != 0)
		return rc;
	return ob_buf_putc(out, '"');
}

int
ob_csv_row(struct ob_buf *out, const char *const *fields, size_t n)
{
	size_t start = out->len;
	int rc = 0;

	if (n == 0)
		return OB_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (fields[i] == NULL)
			return OB_EINVAL;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i > 0)
			rc = ob_buf_putc(out, ',');
		if (rc == 0)
			rc = field(out, fields[i]);
	}
	if (rc == 0)
		rc = ob_buf_puts(out, "\r\n");
	if (rc != 0)
		ob_buf_truncate(out, start);
	return rc;
}
