#include "lib/buf.h"

#include <stdlib.h>

#include "test/unit/check.h"

int
main(void)
{
	struct ob_buf b = OB_BUF_INIT(10);
	char *p;
	size_t n;

	CHECK_STR(ob_buf_cstr(&b), "");
	CHECK_INT(ob_buf_puts(&b, "hello"), 0);
	CHECK_INT(ob_buf_putc(&b, ' '), 0);
	CHECK_INT(ob_buf_printf(&b, "%d", 123), 0);
	CHECK_STR(ob_buf_cstr(&b), "hello 123");
	CHECK_INT(b.len, 9);
	/* A failed append leaves the buffer as it was. */
	CHECK_INT(ob_buf_puts(&b, "xy"), OB_ETOOBIG);
	CHECK_INT(ob_buf_printf(&b, "%s", "xy"), OB_ETOOBIG);
	CHECK_STR(ob_buf_cstr(&b), "hello 123");
	CHECK_INT(ob_buf_putc(&b, '!'), 0);
	CHECK_INT(b.len, 10);
	CHECK_INT(ob_buf_putc(&b, '!'), OB_ETOOBIG);
	CHECK_INT(ob_buf_append(&b, "", 0), 0);

	ob_buf_reset(&b);
	CHECK_STR(ob_buf_cstr(&b), "");
	CHECK_INT(ob_buf_append(&b, "a\0b", 3), 0);
	CHECK_INT(b.len, 3);

	p = ob_buf_detach(&b, &n);
	CHECK_INT(n, 3);
	CHECK(p[0] == 'a' && p[1] == '\0' && p[2] == 'b' && p[3] == '\0');
	free(p);
	CHECK(b.data == NULL && b.len == 0 && b.max == 10);

	p = ob_buf_detach(&b, NULL);
	CHECK_STR(p, "");
	free(p);

	CHECK_INT(ob_buf_puts(&b, "secret"), 0);
	ob_buf_release_secret(&b);
	CHECK(b.data == NULL);

	/* Growth across many appends. */
	{
		struct ob_buf big = OB_BUF_INIT(100000);
		int rc = 0;

		for (int i = 0; i < 10000 && rc == 0; i++)
			rc = ob_buf_puts(&big, "0123456789");
		CHECK_INT(rc, 0);
		CHECK_INT(big.len, 100000);
		CHECK_INT(ob_buf_putc(&big, 'x'), OB_ETOOBIG);
		ob_buf_release(&big);
	}
	return CHECK_DONE();
}
