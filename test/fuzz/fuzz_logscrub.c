/*
 * fuzz_logscrub.c - ob_logscrub_line on arbitrary bytes.
 *
 * Invariants: it succeeds whenever out may hold 2 * n + 8 bytes, the
 * result fits that bound, and no dotted quad (d.d.d.d, each d one to
 * three digits) survives anywhere in it.
 */
#include <stdint.h>
#include <stdlib.h>

#include "lib/logscrub.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Length of the run of 1 to 3 digits at s[i], or 0. */
static size_t
digits(const char *s, size_t n, size_t i)
{
	size_t k = 0;

	while (i + k < n && k < 3 && is_digit(s[i + k]))
		k++;
	return k;
}

/* True when a dotted quad starts at s[i]. */
static int
quad_at(const char *s, size_t n, size_t i)
{
	for (int g = 0; g < 4; g++) {
		size_t k = digits(s, n, i);

		if (k == 0)
			return 0;
		i += k;
		if (g < 3) {
			if (i >= n || s[i] != '.')
				return 0;
			i++;
		}
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ob_buf out = OB_BUF_INIT(2 * size + 8);

	if (ob_logscrub_line((const char *)data, size, &out) != 0)
		abort();
	if (out.len > 2 * size + 8)
		abort();
	/* Every start position, so "1234.5.6.7" is caught at "234". */
	for (size_t i = 0; i < out.len; i++)
		if (quad_at(out.data, out.len, i))
			abort();
	ob_buf_release(&out);
	return 0;
}
