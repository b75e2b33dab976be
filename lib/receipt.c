#include "lib/receipt.h"

#include <sodium.h>
#include <string.h>

#include "lib/crypto.h"
#include "lib/util.h"

_Static_assert(OB_RECEIPT_BITS == OB_RECEIPT_SYMBOLS * 5, "receipt bits");
_Static_assert(OB_RECEIPT_BITS >= 80, "DESIGN.md: at least 80 bits");
_Static_assert(OB_RECEIPT_HASH_BYTES >= crypto_generichash_BYTES_MIN &&
	OB_RECEIPT_HASH_BYTES <= crypto_generichash_BYTES_MAX,
    "lookup hash size");
_Static_assert(OB_PEPPER_BYTES >= crypto_generichash_KEYBYTES_MIN &&
	OB_PEPPER_BYTES <= crypto_generichash_KEYBYTES_MAX,
    "pepper size");

const char ob_b32_alphabet[33] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

struct ob_pepper {
	unsigned char k[OB_PEPPER_BYTES];
};

int
ob_b32_normalise(const char *in, size_t len, char *out, size_t max, size_t *n)
{
	size_t k = 0;

	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		if (c == ' ' || c == '-' || c == '.' || c == '_')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c == 'O')
			c = '0';
		else if (c == 'I' || c == 'L')
			c = '1';
		/* strchr would find the terminating NUL. */
		if (c == '\0' || strchr(ob_b32_alphabet, c) == NULL)
			return OB_EINVAL;
		if (k == max)
			return OB_ETOOBIG;
		out[k++] = c;
	}
	*n = k;
	return 0;
}

void
ob_receipt_new(struct ob_receipt *r)
{
	unsigned char rnd[OB_RECEIPT_SYMBOLS];

	/* 256 is a multiple of 32: five bits of each byte are uniform. */
	randombytes_buf(rnd, sizeof(rnd));
	for (size_t i = 0; i < OB_RECEIPT_SYMBOLS; i++)
		r->sym[i] = ob_b32_alphabet[rnd[i] & 31u];
	r->sym[OB_RECEIPT_SYMBOLS] = '\0';
	sodium_memzero(rnd, sizeof(rnd));
}

int
ob_receipt_parse(const char *in, size_t len, struct ob_receipt *r)
{
	size_t n = 0;

	if (in == NULL || len > OB_RECEIPT_INPUT_MAX ||
	    ob_b32_normalise(in, len, r->sym, OB_RECEIPT_SYMBOLS, &n) != 0 ||
	    n != OB_RECEIPT_SYMBOLS) {
		ob_receipt_wipe(r);
		return OB_EINVAL;
	}
	r->sym[OB_RECEIPT_SYMBOLS] = '\0';
	return 0;
}

void
ob_receipt_format(const struct ob_receipt *r, char out[OB_RECEIPT_STRLEN + 1])
{
	size_t o = 0;

	for (size_t i = 0; i < OB_RECEIPT_SYMBOLS; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = '-';
		out[o++] = r->sym[i];
	}
	out[o] = '\0';
}

void
ob_receipt_wipe(struct ob_receipt *r)
{
	sodium_memzero(r, sizeof(*r));
}

void
ob_receipt_lookup(const struct ob_receipt *r, const struct ob_pepper *p,
    unsigned char out[OB_RECEIPT_HASH_BYTES])
{
	if (crypto_generichash(out, OB_RECEIPT_HASH_BYTES,
		(const unsigned char *)r->sym, OB_RECEIPT_SYMBOLS, p->k,
		sizeof(p->k)) != 0)
		ob_die("crypto_generichash failed");
}

int
ob_pepper_load(const char *path, struct ob_pepper **out, struct ob_buf *err)
{
	struct ob_pepper *p;
	int rc;

	*out = NULL;
	if ((p = sodium_malloc(sizeof(*p))) == NULL)
		ob_die("out of memory (sodium_malloc)");
	if ((rc = ob_key_file_read(path, "pepper", p->k, err)) != 0) {
		ob_pepper_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

int
ob_pepper_load_config(
    const struct ob_config *cfg, struct ob_pepper **out, struct ob_buf *err)
{
	static const char *const keys[] = { "pepper_file", NULL };
	const char *path = NULL;
	int rc;

	*out = NULL;
	if ((rc = ob_config_only_keys(cfg, "receipt", keys, err)) != 0 ||
	    (rc = ob_config_str(cfg, "receipt", "pepper_file", &path, err)) !=
		0)
		return rc;
	return ob_pepper_load(path, out, err);
}

int
ob_pepper_create(const char *path, struct ob_buf *err)
{
	return ob_key_file_create(path, err);
}

void
ob_pepper_free(struct ob_pepper *p)
{
	if (p == NULL)
		return;
	sodium_memzero(p, sizeof(*p));
	sodium_free(p);
}
