#include "lib/csrf.h"

#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/cookie.h"
#include "lib/util.h"

#define CTX_SESSION "ombudcsr" /* crypto_kdf context, 8 bytes */
#define SUB_SESSION 1

/* BLAKE2b personalisation of the anonymous token: 16 bytes. */
static const unsigned char
    anon_personal[crypto_generichash_blake2b_PERSONALBYTES] =
	"ombud-csrf-anon1";

/* sodium_malloc'd, read-only between writes. */
static unsigned char *anon_key;

static void
encode(const unsigned char b[32], char out[OB_CSRF_STRLEN + 1])
{
	sodium_bin2base64(out, OB_CSRF_STRLEN + 1, b, 32,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Constant-time in the contents; the length alone is not secret. */
static int
same_token(const char *want, const char *field)
{
	if (field == NULL ||
	    strnlen(field, OB_CSRF_STRLEN + 1) != OB_CSRF_STRLEN)
		return OB_EPERM;
	return sodium_memcmp(want, field, OB_CSRF_STRLEN) == 0 ? 0 : OB_EPERM;
}

void
ob_csrf_for_session(
    const struct ob_token *session, char out[OB_CSRF_STRLEN + 1])
{
	unsigned char k[32];

	crypto_kdf_derive_from_key(
	    k, sizeof(k), SUB_SESSION, CTX_SESSION, session->b);
	encode(k, out);
	sodium_memzero(k, sizeof(k));
}

int
ob_csrf_check_session(const struct ob_token *session, const char *field)
{
	char want[OB_CSRF_STRLEN + 1];
	int rc;

	ob_csrf_for_session(session, want);
	rc = same_token(want, field);
	sodium_memzero(want, sizeof(want));
	return rc;
}

void
ob_csrf_anon_init(const unsigned char key[OB_CSRF_KEY_BYTES])
{
	if (anon_key == NULL &&
	    (anon_key = sodium_malloc(OB_CSRF_KEY_BYTES)) == NULL)
		ob_die("out of memory (sodium_malloc)");
	sodium_mprotect_readwrite(anon_key);
	memcpy(anon_key, key, OB_CSRF_KEY_BYTES);
	sodium_mprotect_readonly(anon_key);
}

int
ob_csrf_anon_load(const char *path, struct ob_buf *err)
{
	unsigned char key[OB_CSRF_KEY_BYTES];
	int rc = ob_key_file_read(path, "CSRF key", key, err);

	if (rc == 0)
		ob_csrf_anon_init(key);
	sodium_memzero(key, sizeof(key));
	return rc;
}

int
ob_csrf_anon_create(const char *path, struct ob_buf *err)
{
	return ob_key_file_create(path, err);
}

/* The form token for the cookie value v (32 bytes). */
static void
anon_mac(const struct ob_token *v, char out[OB_CSRF_STRLEN + 1])
{
	unsigned char h[32];

	crypto_generichash_blake2b_salt_personal(h, sizeof(h), v->b,
	    sizeof(v->b), anon_key, OB_CSRF_KEY_BYTES, NULL, anon_personal);
	encode(h, out);
	sodium_memzero(h, sizeof(h));
}

/*
 * Makes the request look as if it had come with cookie value: later
 * ob_req_cookie calls (and a second ob_csrf_anon_token) see it first.
 */
static void
remember_cookie(struct ob_req *r, const char *value)
{
	struct ob_cookie *list;
	size_t n = r->cookies.n;

	list = ob_arena_alloc(r->arena, (n + 1) * sizeof(*list));
	list[0].name = OB_CSRF_COOKIE;
	list[0].value = ob_arena_strdup(r->arena, value);
	if (n > 0)
		memcpy(list + 1, r->cookies.list, n * sizeof(*list));
	r->cookies.list = list;
	r->cookies.n = n + 1;
	r->cookies_parsed = true;
}

int
ob_csrf_anon_token(struct ob_req *r, char out[OB_CSRF_STRLEN + 1])
{
	struct ob_buf hdr = OB_BUF_INIT(256);
	struct ob_token v;
	char enc[OB_TOKEN_STRLEN + 1];
	const char *have;
	int rc = 0;

	memset(&v, 0, sizeof(v));
	enc[0] = '\0';
	if (anon_key == NULL) {
		rc = OB_EINTERNAL;
		goto out;
	}
	have = ob_req_cookie(r, OB_CSRF_COOKIE);
	if (have == NULL || ob_token_parse(have, &v) != 0) {
		/* None yet, or junk: this browser gets a fresh value. */
		ob_token_new(&v);
		ob_token_encode(&v, enc);
		if ((rc = ob_cookie_format(&hdr, OB_CSRF_COOKIE, enc, "/", -1,
			 OB_COOKIE_SECURE | OB_COOKIE_HTTPONLY |
			     OB_COOKIE_SAMESITE_STRICT)) != 0 ||
		    (rc = ob_req_header(r, "Set-Cookie", ob_buf_cstr(&hdr))) !=
			0)
			goto out;
		remember_cookie(r, enc);
	}
	anon_mac(&v, out);
out:
	if (rc != 0)
		sodium_memzero(out, OB_CSRF_STRLEN + 1);
	ob_token_wipe(&v);
	sodium_memzero(enc, sizeof(enc));
	ob_buf_release_secret(&hdr);
	return rc;
}

int
ob_csrf_anon_check(struct ob_req *r, const char *field)
{
	struct ob_token v;
	char want[OB_CSRF_STRLEN + 1];
	const char *have;
	int rc = OB_EPERM;

	memset(&v, 0, sizeof(v));
	memset(want, 0, sizeof(want));
	if (anon_key == NULL) {
		rc = OB_EINTERNAL;
		goto out;
	}
	have = ob_req_cookie(r, OB_CSRF_COOKIE);
	if (have == NULL || ob_token_parse(have, &v) != 0)
		goto out;
	anon_mac(&v, want);
	rc = same_token(want, field);
out:
	ob_token_wipe(&v);
	sodium_memzero(want, sizeof(want));
	return rc;
}
