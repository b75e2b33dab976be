/*
 * fuzz_csrf.c - the CSRF checks on hostile input.  Input: a Cookie
 * header line ('\n'-terminated), then the form field.  Both checks must
 * refuse anything but the one right token, never crash, and agree with
 * the token the same request hands out.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/csrf.h"
#include "test/unit/fakereq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static struct ob_arena arena;
static struct ob_token session;

static void
setup(void)
{
	unsigned char key[OB_CSRF_KEY_BYTES];

	if (ob_crypto_init() != 0)
		abort();
	ob_arena_init(&arena, 16 << 20);
	/* Fixed secrets, so that a crash reproduces. */
	memset(key, 0x5a, sizeof(key));
	ob_csrf_anon_init(key);
	memset(session.b, 0x33, sizeof(session.b));
}

static void
check_session(const char *field)
{
	char want[OB_CSRF_STRLEN + 1];
	int rc = ob_csrf_check_session(&session, field);

	ob_csrf_for_session(&session, want);
	REQUIRE(rc == 0 || rc == OB_EPERM);
	REQUIRE((rc == 0) == (strcmp(field, want) == 0));
}

static void
check_anon(const char *cookie, const char *field)
{
	const char *params[] = { "REQUEST_METHOD", "POST", "REQUEST_URI", "/",
		"HTTP_COOKIE", cookie, NULL };
	char tok[OB_CSRF_STRLEN + 1];
	struct ob_req r;
	struct fake f;
	int rc;

	fake_init(&f, params, NULL, 0);
	if (ob_req_begin(&r, &arena, &f.io, 1024) != 0)
		goto out;
	rc = ob_csrf_anon_check(&r, field);
	REQUIRE(rc == 0 || rc == OB_EPERM);
	REQUIRE(ob_csrf_anon_token(&r, tok) == 0);
	REQUIRE(strlen(tok) == OB_CSRF_STRLEN);
	/* Accepted only when the cookie was kept and the field is its token. */
	if (rc == 0) {
		REQUIRE(strcmp(tok, field) == 0);
		REQUIRE(strstr(ob_buf_cstr(&r.headers), "Set-Cookie") == NULL);
	}
	/* The token handed out validates in the same request. */
	REQUIRE(ob_csrf_anon_check(&r, tok) == 0);
out:
	ob_buf_release(&f.out);
	ob_req_end(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	const char *nl;
	char *cookie, *field;

	if (size > 65536)
		return 0;
	if (!ready) {
		setup();
		ready = 1;
	}
	ob_arena_reset(&arena);
	nl = memchr(data, '\n', size);
	if (nl == NULL) {
		cookie = ob_arena_strdup(&arena, "");
		field = ob_arena_strndup(&arena, (const char *)data, size);
	} else {
		size_t n = (size_t)(nl - (const char *)data);

		cookie = ob_arena_strndup(&arena, (const char *)data, n);
		field = ob_arena_strndup(&arena, nl + 1, size - n - 1);
	}
	check_session(field);
	check_anon(cookie, field);
	return 0;
}
