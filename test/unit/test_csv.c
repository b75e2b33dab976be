#include "lib/csv.h"

#include <string.h>

#include "lib/buf.h"
#include "test/unit/check.h"

/* One row of n fields, as written. */
static const char *
row(struct ob_buf *b, const char *const *f, size_t n)
{
	ob_buf_reset(b);
	CHECK_INT(ob_csv_row(b, f, n), 0);
	return ob_buf_cstr(b);
}

static void
test_quoting(struct ob_buf *b)
{
	const char *plain[] = { "section", "key", "", "42" };
	const char *comma[] = { "a,b", "c;d" };
	const char *quotes[] = { "say \"hi\"", "\"", "\"\"" };
	const char *lines[] = { "one\ntwo", "three\r\nfour", "x" };
	const char *utf8[] = {
		"Bestyrelse og ledelse \xc3\xa6\xc3\xb8\xc3\xa5"
	};

	CHECK_STR(row(b, plain, 4), "\"section\",\"key\",\"\",\"42\"\r\n");
	CHECK_STR(row(b, comma, 2), "\"a,b\",\"c;d\"\r\n");
	CHECK_STR(
	    row(b, quotes, 3), "\"say \"\"hi\"\"\",\"\"\"\",\"\"\"\"\"\"\r\n");
	/* Line breaks stay inside the quotes: still one record. */
	CHECK_STR(row(b, lines, 3), "\"one\ntwo\",\"three\r\nfour\",\"x\"\r\n");
	CHECK_STR(row(b, utf8, 1),
	    "\"Bestyrelse og ledelse \xc3\xa6\xc3\xb8\xc3\xa5\"\r\n");
	/* Rows append. */
	ob_buf_reset(b);
	CHECK_INT(ob_csv_row(b, comma, 1), 0);
	CHECK_INT(ob_csv_row(b, comma + 1, 1), 0);
	CHECK_STR(ob_buf_cstr(b), "\"a,b\"\r\n\"c;d\"\r\n");
}

static void
test_formula_injection(struct ob_buf *b)
{
	const char *f[] = { "=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx",
		"=HYPERLINK(\"http://x\",\"y\")" };
	const char *safe[] = { "a=1", " =1", "1-2", "'already", "\nx" };

	CHECK_STR(row(b, f, 7),
	    "\"'=1+1\",\"'+SUM(A1)\",\"'-2+3\",\"'@cmd\",\"'\tx\",\"'\rx\","
	    "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\r\n");
	/* Only the first character counts. */
	CHECK_STR(row(b, safe, 5),
	    "\"a=1\",\" =1\",\"1-2\",\"'already\",\"\nx\"\r\n");
	/* Numbers are fields like any other: a negative one becomes text. */
	{
		const char *neg[] = { "-3" };

		CHECK_STR(row(b, neg, 1), "\"'-3\"\r\n");
	}
}

static void
test_errors(void)
{
	struct ob_buf small = OB_BUF_INIT(11);
	const char *f[] = { "abc", NULL };
	const char *big[] = { "0123456789" };
	const char *fits[] = { "12345678" };

	CHECK_INT(ob_csv_row(&small, f, 0), OB_EINVAL);
	CHECK_INT(ob_csv_row(&small, f, 2), OB_EINVAL);
	CHECK_INT(small.len, 0);
	/* Quotes and CRLF around 7 bytes make 11, the cap: 8 do not fit,
	 * and a refused row leaves what was there. */
	CHECK_INT(ob_csv_row(&small, fits, 1), OB_ETOOBIG);
	CHECK_INT(small.len, 0);
	fits[0] = "1234567";
	CHECK_INT(ob_csv_row(&small, fits, 1), 0);
	CHECK_INT(small.len, 11);
	CHECK_INT(ob_csv_row(&small, big, 1), OB_ETOOBIG);
	CHECK_STR(ob_buf_cstr(&small), "\"1234567\"\r\n");
	ob_buf_release(&small);
}

int
main(void)
{
	struct ob_buf b = OB_BUF_INIT(4096);

	test_quoting(&b);
	test_formula_injection(&b);
	test_errors();
	ob_buf_release(&b);
	return CHECK_DONE();
}
