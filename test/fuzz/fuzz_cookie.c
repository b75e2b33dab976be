/*
 * fuzz_cookie.c - ob_cookies_parse on the input as a header, and
 * ob_cookie_format on the input split as flags byte, name '\n' value
 * '\n' path, checking that what is formatted parses back.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/cookie.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static bool
is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool
is_octet(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '"' && c != ',' && c != ';' &&
	    c != '\\';
}

static void
check_parse(struct ob_arena *a, const char *h)
{
	struct ob_cookies c = { NULL, 0 };
	int rc = ob_cookies_parse(a, h, &c);

	REQUIRE(rc == 0 || rc == OB_ETOOBIG);
	if (strlen(h) > OB_COOKIE_HEADER_MAX)
		REQUIRE(rc == OB_ETOOBIG);
	if (rc != 0)
		return;
	REQUIRE(c.n <= OB_COOKIES_MAX);
	REQUIRE((c.n == 0) == (c.list == NULL));
	for (size_t i = 0; i < c.n; i++) {
		const char *n = c.list[i].name, *v = c.list[i].value;

		REQUIRE(n[0] != '\0');
		for (const char *p = n; *p != '\0'; p++)
			REQUIRE(is_tchar((unsigned char)*p));
		for (const char *p = v; *p != '\0'; p++)
			REQUIRE(is_octet((unsigned char)*p));
		REQUIRE(ob_cookies_get(&c, n) != NULL);
	}
}

static void
check_format(struct ob_arena *a, const char *in, size_t size)
{
	struct ob_buf b = OB_BUF_INIT(512);
	struct ob_cookies c = { NULL, 0 };
	const char *name, *value, *path, *nl1, *nl2;
	unsigned flags, top;
	long max_age;
	int rc;

	if (size < 1)
		return;
	/* The first byte: five flag bits (one unknown), three for Max-Age. */
	flags = (unsigned char)in[0] & 0x1fu;
	top = (unsigned char)in[0] >> 5;
	max_age = top == 7 ? -1 : (long)top * 3600;
	in++;
	size--;
	if ((nl1 = memchr(in, '\n', size)) == NULL)
		return;
	if ((nl2 = memchr(nl1 + 1, '\n', size - (size_t)(nl1 + 1 - in))) ==
	    NULL)
		return;
	name = ob_arena_strndup(a, in, (size_t)(nl1 - in));
	value = ob_arena_strndup(a, nl1 + 1, (size_t)(nl2 - nl1 - 1));
	path = ob_arena_strndup(a, nl2 + 1, size - (size_t)(nl2 + 1 - in));

	rc = ob_cookie_format(&b, name, value, path, max_age, flags);
	REQUIRE(rc == 0 || rc == OB_EINVAL || rc == OB_ETOOBIG);
	if (rc != 0) {
		REQUIRE(b.len == 0);
		goto out;
	}
	/* Nothing that could split a header or inject an attribute. */
	for (size_t i = 0; i < b.len; i++)
		REQUIRE((unsigned char)b.data[i] >= 0x20 &&
		    (unsigned char)b.data[i] < 0x7f);
	REQUIRE(strncmp(b.data, name, strlen(name)) == 0);
	REQUIRE(ob_cookies_parse(a, b.data, &c) == 0);
	REQUIRE(c.n >= 1);
	REQUIRE(strcmp(c.list[0].name, name) == 0);
	REQUIRE(strcmp(c.list[0].value, value) == 0);
out:
	ob_buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ob_arena arena;
	static bool ready;
	char *h;

	if (size > 65536)
		return 0;
	if (!ready) {
		ob_arena_init(&arena, 16 << 20);
		ready = true;
	}
	ob_arena_reset(&arena);
	h = ob_arena_strndup(&arena, (const char *)data, size);
	check_parse(&arena, h);
	check_format(&arena, (const char *)data, size);
	return 0;
}
