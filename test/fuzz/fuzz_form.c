/*
 * fuzz_form.c - ob_form_parse (tight and default limits), ob_pct_decode
 * both ways and ob_utf8_valid, with the invariants callers rely on.
 */
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct ob_form_limits tight = { 8, 16, 64 };

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

/* What every decoded string must be: sized, clean, UTF-8. */
static void
check_clean(const char *s, size_t n, size_t cap)
{
	REQUIRE(s != NULL);
	REQUIRE(strlen(s) == n);
	REQUIRE(n <= cap);
	REQUIRE(ob_utf8_valid(s, n));
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		REQUIRE(c >= 0x20 || c == '\t' || c == '\n' || c == '\r');
		REQUIRE(c != 0x7f);
	}
}

static void
check_form(const struct ob_form *f, const struct ob_form_limits *lim)
{
	REQUIRE(f->n <= lim->max_fields);
	REQUIRE((f->n == 0) == (f->fields == NULL));
	for (size_t i = 0; i < f->n; i++) {
		const struct ob_field *fl = &f->fields[i];

		check_clean(fl->name, strlen(fl->name), lim->max_name_len);
		REQUIRE(fl->name[0] != '\0');
		check_clean(fl->value, fl->value_len, lim->max_value_len);
		REQUIRE(ob_form_get(f, fl->name) != NULL);
		REQUIRE(ob_form_count(f, fl->name) >= 1);
	}
}

static bool
same_form(const struct ob_form *a, const struct ob_form *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->fields[i].name, b->fields[i].name) != 0 ||
		    a->fields[i].value_len != b->fields[i].value_len ||
		    memcmp(a->fields[i].value, b->fields[i].value,
			a->fields[i].value_len) != 0)
			return false;
	return true;
}

/* Percent-encodes every byte of s and checks that decoding gives s back. */
static void
check_roundtrip(struct ob_arena *a, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	char *enc = ob_arena_alloc(a, 3 * n + 1), *back = NULL;
	size_t blen = 0;

	for (size_t i = 0; i < n; i++) {
		enc[3 * i] = '%';
		enc[3 * i + 1] = hex[(unsigned char)s[i] >> 4];
		enc[3 * i + 2] = hex[(unsigned char)s[i] & 15];
	}
	REQUIRE(ob_pct_decode(a, enc, 3 * n, true, &back, &blen) == 0);
	REQUIRE(blen == n && memcmp(back, s, n) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ob_arena arena;
	static bool ready;
	const char *in = (const char *)data;
	struct ob_form ft = { NULL, 0 }, fd = { NULL, 0 };
	char *p1 = NULL, *p0 = NULL;
	size_t l1 = 0, l0 = 0, pct = 0;
	int rt, rd, r1, r0;

	if (size > (1 << 20))
		return 0;
	if (!ready) {
		ob_arena_init(&arena, 64 << 20);
		ready = true;
	}
	ob_arena_reset(&arena);

	rt = ob_form_parse(&arena, in, size, &tight, &ft);
	rd = ob_form_parse(&arena, in, size, NULL, &fd);
	REQUIRE(rt == 0 || rt == OB_EINVAL || rt == OB_ETOOBIG);
	REQUIRE(rd == 0 || rd == OB_EINVAL || rd == OB_ETOOBIG);
	if (rt == 0) {
		check_form(&ft, &tight);
		/* Looser caps cannot change the answer. */
		REQUIRE(rd == 0 && same_form(&ft, &fd));
	}
	if (rd == 0)
		check_form(&fd, &ob_form_default_limits);
	if (rd == OB_ETOOBIG)
		REQUIRE(rt == OB_ETOOBIG);

	r1 = ob_pct_decode(&arena, in, size, true, &p1, &l1);
	r0 = ob_pct_decode(&arena, in, size, false, &p0, &l0);
	REQUIRE(r1 == 0 || r1 == OB_EINVAL);
	/* '+' and ' ' are both allowed, so only the bytes differ. */
	REQUIRE(r1 == r0);
	if (r1 == 0) {
		size_t plus = 0, diff = 0;

		for (size_t i = 0; i < size; i++) {
			pct += in[i] == '%';
			plus += in[i] == '+';
		}
		check_clean(p1, l1, size);
		check_clean(p0, l0, size);
		REQUIRE(l1 == l0 && l1 == size - 2 * pct);
		/* Only literal '+' differ; "%2B" is '+' both ways. */
		for (size_t i = 0; i < l0; i++) {
			if (p1[i] == p0[i])
				continue;
			REQUIRE(p0[i] == '+' && p1[i] == ' ');
			diff++;
		}
		REQUIRE(diff == plus);
		check_roundtrip(&arena, p0, l0);
	}

	/* A second opinion on UTF-8 (glib refuses NUL bytes outright). */
	if (memchr(in, 0, size) == NULL)
		REQUIRE(ob_utf8_valid(in, size) ==
		    (bool)g_utf8_validate_len(in, size, NULL));
	return 0;
}
