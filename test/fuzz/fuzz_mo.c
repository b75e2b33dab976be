/*
 * fuzz_mo.c - arbitrary bytes as a compiled gettext catalog.  A parse
 * must either fail cleanly or give a catalog whose every lookup is safe.
 */
#include <stdint.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/i18n.h"
#include "lib/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ob_i18n_mo *mo = NULL;
	struct ob_buf err = OB_BUF_INIT(256);
	char key[64];
	size_t n = size < sizeof(key) - 1 ? size : sizeof(key) - 1;
	const char *t;

	if (ob_i18n_parse_mo(data, size, &mo, &err) == 0) {
		/* A known msgid, "", and the input's own start as a key. */
		t = ob_i18n_mo_lookup(mo, "Page not found");
		if (t != NULL && strlen(t) > size)
			ob_die("fuzz_mo: translation longer than the input");
		(void)ob_i18n_mo_lookup(mo, "");
		memcpy(key, data, n);
		key[n] = '\0';
		(void)ob_i18n_mo_lookup(mo, key);
		if (ob_i18n_mo_count(mo) > size / 8)
			ob_die("fuzz_mo: more entries than could fit");
		ob_i18n_mo_free(mo);
	} else if (mo != NULL) {
		ob_die("fuzz_mo: failed parse left a catalog");
	}
	ob_buf_release(&err);
	return 0;
}
