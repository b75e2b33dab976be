#include "lib/util.h"

#include "test/unit/check.h"

int
main(void)
{
	uint64_t v = 7;
	char small[4];

	CHECK_INT(ob_parse_u64("0", 0, 10, &v), 0);
	CHECK_INT(v, 0);
	CHECK_INT(ob_parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0);
	CHECK(v == UINT64_MAX);
	v = 7;
	CHECK_INT(
	    ob_parse_u64("18446744073709551616", 0, UINT64_MAX, &v), OB_EINVAL);
	CHECK_INT(ob_parse_u64("", 0, 10, &v), OB_EINVAL);
	CHECK_INT(ob_parse_u64("-1", 0, 10, &v), OB_EINVAL);
	CHECK_INT(ob_parse_u64("+1", 0, 10, &v), OB_EINVAL);
	CHECK_INT(ob_parse_u64(" 1", 0, 10, &v), OB_EINVAL);
	CHECK_INT(ob_parse_u64("1 ", 0, 10, &v), OB_EINVAL);
	CHECK_INT(ob_parse_u64("0x1", 0, 10, &v), OB_EINVAL);
	CHECK_INT(ob_parse_u64("11", 0, 10, &v), OB_EINVAL);
	CHECK_INT(ob_parse_u64("4", 5, 10, &v), OB_EINVAL);
	CHECK_INT(v, 7);
	CHECK_INT(ob_parse_u64n("12abc", 2, 0, 100, &v), 0);
	CHECK_INT(v, 12);

	CHECK(ob_startswith("/t/acme", "/t/"));
	CHECK(!ob_startswith("/t", "/t/"));

	CHECK_INT(ob_strlcpy(small, "abc", sizeof(small)), 0);
	CHECK_STR(small, "abc");
	CHECK_INT(ob_strlcpy(small, "abcd", sizeof(small)), OB_ETOOBIG);
	CHECK_STR(small, "abc");

	CHECK_STR(ob_strerror(OB_ETOOBIG), "too big");
	CHECK_STR(ob_strerror(-1000), "unknown error");
	return CHECK_DONE();
}
