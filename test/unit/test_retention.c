#include "lib/retention.h"

#include <string.h>

#include "test/unit/check.h"

/* The link is the one thing a run puts in mail that comes from the
 * configuration: only a plain https:// address gets through. */
static void
test_link(void)
{
	char longest[8 + 200 + 1], too_long[8 + 201 + 1];

	CHECK(ob_retention_link_ok("https://ombud.example.org/cases/"));
	CHECK(ob_retention_link_ok("https://localhost:8443/cases/"));
	CHECK(ob_retention_link_ok("https://a_b-c.example/x"));
	CHECK(!ob_retention_link_ok("http://ombud.example.org/cases/"));
	CHECK(!ob_retention_link_ok("https://"));
	CHECK(!ob_retention_link_ok(""));
	CHECK(!ob_retention_link_ok("javascript:alert(1)"));
	CHECK(!ob_retention_link_ok("https://evil.example/?a=b"));
	CHECK(!ob_retention_link_ok("https://x.example/\nBcc: y"));
	CHECK(!ob_retention_link_ok("https://x.example/ cases"));
	CHECK(!ob_retention_link_ok("https://x.example/<b>"));
	CHECK(!ob_retention_link_ok("https://us\xc3\xa6r.example/"));
	memcpy(longest, "https://", 8);
	memset(longest + 8, 'a', 200);
	longest[208] = '\0';
	CHECK(ob_retention_link_ok(longest));
	memcpy(too_long, "https://", 8);
	memset(too_long + 8, 'a', 201);
	too_long[209] = '\0';
	CHECK(!ob_retention_link_ok(too_long));
}

/* A bad link is refused before the database is touched: the handle
 * here could not connect anywhere. */
static void
test_bad_link_changes_nothing(void)
{
	static const struct ob_db_config cfg = { "/nonexistent", "1", "none",
		"none", "test", 1000, 1 };
	struct ob_db *db =
	    ob_db_new(&cfg, ob_retention_stmts, ob_retention_nstmts);
	struct ob_retention_counts n;
	struct ob_buf err = OB_BUF_INIT(512);

	memset(&n, 0xff, sizeof(n));
	CHECK_INT(ob_retention_run(
		      db, "http://x.example/", false, NULL, NULL, &n, &err),
	    OB_EINVAL);
	CHECK(strstr(ob_buf_cstr(&err), "https://") != NULL);
	CHECK_INT(n.cases, 0);
	CHECK_INT(n.outbox, 0);
	ob_buf_release(&err);
	ob_db_free(db);
}

int
main(void)
{
	test_link();
	test_bad_link_changes_nothing();
	return CHECK_DONE();
}
