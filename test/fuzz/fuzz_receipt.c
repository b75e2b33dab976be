/*
 * fuzz_receipt.c - ob_b32_normalise and ob_receipt_parse on what a
 * reporter may type, with the invariants the lookup relies on: only
 * alphabet symbols come out, normalising is idempotent, and a receipt
 * accepted once is accepted again, the same, in its shown form.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/receipt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static bool
all_symbols(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0' || strchr(ob_b32_alphabet, s[i]) == NULL)
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char sym[512], again[512];
	const char *in = (const char *)data;
	struct ob_receipt r, r2;
	char shown[OB_RECEIPT_STRLEN + 1];
	size_t n = 0, n2 = 0;
	int rc, prc;

	if (size > 4096)
		return 0;
	rc = ob_b32_normalise(in, size, sym, sizeof(sym), &n);
	REQUIRE(rc == 0 || rc == OB_EINVAL || rc == OB_ETOOBIG);
	if (rc == 0) {
		REQUIRE(n <= size);
		REQUIRE(all_symbols(sym, n));
		REQUIRE(
		    ob_b32_normalise(sym, n, again, sizeof(again), &n2) == 0);
		REQUIRE(n2 == n && memcmp(sym, again, n) == 0);
	}

	prc = ob_receipt_parse(in, size, &r);
	REQUIRE(prc == 0 || prc == OB_EINVAL);
	/* Accepted exactly when it normalises to twenty symbols. */
	REQUIRE((prc == 0) ==
	    (size <= OB_RECEIPT_INPUT_MAX && rc == 0 &&
		n == OB_RECEIPT_SYMBOLS));
	if (prc != 0)
		return 0;
	REQUIRE(strlen(r.sym) == OB_RECEIPT_SYMBOLS);
	REQUIRE(memcmp(r.sym, sym, OB_RECEIPT_SYMBOLS) == 0);
	ob_receipt_format(&r, shown);
	REQUIRE(strlen(shown) == OB_RECEIPT_STRLEN);
	REQUIRE(ob_receipt_parse(shown, strlen(shown), &r2) == 0);
	REQUIRE(strcmp(r.sym, r2.sym) == 0);
	ob_receipt_wipe(&r);
	ob_receipt_wipe(&r2);
	return 0;
}
