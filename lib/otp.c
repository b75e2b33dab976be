#include "lib/otp.h"

#include <errno.h>
#include <liboath/oath.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "lib/util.h"

#define CODE_LABEL "ombud otp sms code v1"
#define CODE_PLACEHOLDER "{code}"
#define URI_PART_MAX 256
#define QR_QUIET 4
#define TOTP_NOW_MAX ((time_t)1 << 40)

_Static_assert(OB_OTP_TTL_S == 300, "the SMS text says 5 minutes");
_Static_assert(OB_OTP_HASH_BYTES == crypto_generichash_BYTES &&
	OB_OTP_HASH_BYTES >= crypto_generichash_KEYBYTES_MIN &&
	OB_OTP_HASH_BYTES <= crypto_generichash_KEYBYTES_MAX,
    "code hash and key sizes");
_Static_assert(
    OB_TOTP_BASE32_LEN == (OB_TOTP_SECRET_BYTES * 8 + 4) / 5, "base32 length");

/* The template goes to translators; "{code}" is replaced, once. */
static const char *const sms_msgid =
    N_("Ombud sign-in code: {code}. It expires in 5 minutes. Never share it.");

static bool oath_ready;

/*
 * Output that is a secret (or may be) is measured first and then
 * written into one allocation and appended to the caller's buffer in
 * one step: a buffer grown piecemeal by realloc would leave copies of
 * the secret behind in freed memory.
 */
struct emit {
	char *p; /* NULL while measuring */
	size_t len;
};

static void
emit_mem(struct emit *e, const void *s, size_t n)
{
	if (e->p != NULL)
		memcpy(e->p + e->len, s, n);
	e->len += n;
}

static void
emit_str(struct emit *e, const char *s)
{
	emit_mem(e, s, strlen(s));
}

static void
emit_uint(struct emit *e, unsigned v)
{
	char d[16];
	size_t n = 0;

	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		emit_mem(e, &d[--n], 1);
}

static int
emit_to_buf(void (*fn)(struct emit *, const void *), const void *arg,
    struct ob_buf *out)
{
	struct emit e = { NULL, 0 };
	size_t n;
	int rc;

	fn(&e, arg);
	n = e.len;
	e.p = ob_xmalloc(n + 1);
	e.len = 0;
	fn(&e, arg);
	if (e.len != n) {
		rc = OB_EINTERNAL;
		goto out;
	}
	rc = ob_buf_append(out, e.p, n);
out:
	sodium_memzero(e.p, n + 1);
	free(e.p);
	return rc;
}

int
ob_otp_init(void)
{
	if (oath_ready)
		return 0;
	if (oath_init() != OATH_OK)
		return OB_EINTERNAL;
	oath_ready = true;
	return 0;
}

/*
 * Reads a typed code into six digits and a NUL: spaces and dashes are
 * dropped, anything else but a digit is refused.  code is wiped on
 * error.
 */
static int
normalise(const char *in, char code[OB_OTP_DIGITS + 1])
{
	size_t k = 0;
	int rc = OB_EINVAL;

	if (in == NULL || strnlen(in, OB_OTP_INPUT_MAX + 1) > OB_OTP_INPUT_MAX)
		goto out;
	for (const char *p = in; *p != '\0'; p++) {
		if (*p == ' ' || *p == '-')
			continue;
		if (*p < '0' || *p > '9' || k == OB_OTP_DIGITS)
			goto out;
		code[k++] = *p;
	}
	if (k != OB_OTP_DIGITS)
		goto out;
	code[k] = '\0';
	rc = 0;
out:
	if (rc != 0)
		sodium_memzero(code, OB_OTP_DIGITS + 1);
	return rc;
}

void
ob_otp_code_new(char code[OB_OTP_DIGITS + 1])
{
	uint32_t v = randombytes_uniform(1000000);

	for (int i = OB_OTP_DIGITS - 1; i >= 0; i--) {
		code[i] = (char)('0' + v % 10);
		v /= 10;
	}
	code[OB_OTP_DIGITS] = '\0';
	sodium_memzero(&v, sizeof(v));
}

int
ob_otp_code_hash(const char *code,
    const unsigned char session_token_hash[OB_OTP_HASH_BYTES],
    unsigned char out[OB_OTP_HASH_BYTES])
{
	crypto_generichash_state st;
	char c[OB_OTP_DIGITS + 1];
	int rc;

	sodium_memzero(out, OB_OTP_HASH_BYTES);
	if (session_token_hash == NULL) {
		rc = OB_EINVAL;
		goto out;
	}
	if ((rc = normalise(code, c)) != 0)
		goto out;
	/* The label is fixed-length and the code six bytes: no ambiguity. */
	if (crypto_generichash_init(&st, session_token_hash, OB_OTP_HASH_BYTES,
		OB_OTP_HASH_BYTES) != 0 ||
	    crypto_generichash_update(&st, (const unsigned char *)CODE_LABEL,
		sizeof(CODE_LABEL)) != 0 ||
	    crypto_generichash_update(
		&st, (const unsigned char *)c, OB_OTP_DIGITS) != 0 ||
	    crypto_generichash_final(&st, out, OB_OTP_HASH_BYTES) != 0) {
		sodium_memzero(out, OB_OTP_HASH_BYTES);
		rc = OB_EINTERNAL;
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(c, sizeof(c));
	return rc;
}

int
ob_otp_code_check(const char *typed,
    const unsigned char session_token_hash[OB_OTP_HASH_BYTES],
    const unsigned char stored[OB_OTP_HASH_BYTES])
{
	unsigned char h[OB_OTP_HASH_BYTES];
	int rc;

	if (stored == NULL) {
		rc = OB_EINVAL;
		goto out;
	}
	if ((rc = ob_otp_code_hash(typed, session_token_hash, h)) != 0)
		goto out;
	rc = crypto_verify_32(h, stored) == 0 ? 0 : OB_EPERM;
out:
	sodium_memzero(h, sizeof(h));
	return rc;
}

struct sms_parts {
	const char *pre;
	size_t prelen;
	const char *code;
	const char *post;
};

static void
emit_sms(struct emit *e, const void *arg)
{
	const struct sms_parts *s = arg;

	emit_mem(e, s->pre, s->prelen);
	emit_mem(e, s->code, OB_OTP_DIGITS);
	emit_str(e, s->post);
}

/* The placeholder in t, if it is there exactly once; else NULL. */
static const char *
placeholder(const char *t)
{
	const char *p = strstr(t, CODE_PLACEHOLDER);

	if (p == NULL || strstr(p + 1, CODE_PLACEHOLDER) != NULL)
		return NULL;
	return p;
}

int
ob_otp_sms_text(const char *code, const char *lang, struct ob_buf *out)
{
	const char *was = ob_i18n_current(), *t, *p;
	struct sms_parts s;
	char c[OB_OTP_DIGITS + 1];
	int rc;

	if ((rc = normalise(code, c)) != 0)
		goto out;
	/* An unknown language keeps the current one (ob_i18n_set). */
	if (lang != NULL && ob_i18n_set(lang) != 0)
		lang = NULL;
	t = _(sms_msgid);
	if (lang != NULL && ob_i18n_set(was) != 0)
		ob_i18n_set_default();
	if ((p = placeholder(t)) == NULL) {
		t = sms_msgid;
		p = placeholder(t);
	}
	s.pre = t;
	s.prelen = (size_t)(p - t);
	s.code = c;
	s.post = p + strlen(CODE_PLACEHOLDER);
	rc = emit_to_buf(emit_sms, &s, out);
out:
	sodium_memzero(c, sizeof(c));
	return rc;
}

void
ob_totp_secret_new(unsigned char secret[OB_TOTP_SECRET_BYTES])
{
	randombytes_buf(secret, OB_TOTP_SECRET_BYTES);
}

/* The base32 symbol of v < 32 without a table lookup or a branch. */
static char
b32_symbol(unsigned v)
{
	/* All ones when v > 25: then '2' + (v - 26), else 'A' + v. */
	unsigned over = (unsigned)((25 - (int)v) >> 8);

	return (char)('A' + v + (over & (unsigned)('2' - 'A' - 26)));
}

int
ob_base32_encode(const void *in, size_t len, char *out, size_t outsz)
{
	const unsigned char *b = in;
	size_t n = 0, need;
	unsigned acc = 0;
	int bits = 0;

	if (outsz == 0)
		return OB_ETOOBIG;
	need = len / 5 * 8 + (len % 5 * 8 + 4) / 5;
	if (len > SIZE_MAX / 2 || need >= outsz) {
		out[0] = '\0';
		return OB_ETOOBIG;
	}
	for (size_t i = 0; i < len; i++) {
		acc = (acc << 8 | b[i]) & 0xfffu;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[n++] = b32_symbol(acc >> bits & 31u);
		}
	}
	if (bits > 0)
		out[n++] = b32_symbol(acc << (5 - bits) & 31u);
	out[n] = '\0';
	sodium_memzero(&acc, sizeof(acc));
	return 0;
}

void
ob_totp_secret_base32(const unsigned char secret[OB_TOTP_SECRET_BYTES],
    char out[OB_TOTP_BASE32_LEN + 1])
{
	/* Cannot fail: the size is checked at compile time above. */
	if (ob_base32_encode(
		secret, OB_TOTP_SECRET_BYTES, out, OB_TOTP_BASE32_LEN + 1) != 0)
		ob_die("ob_totp_secret_base32: base32 does not fit");
}

static bool
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

static void
emit_pct(struct emit *e, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';
	     p++) {
		if (unreserved(*p)) {
			emit_mem(e, p, 1);
		} else {
			char t[3] = { '%', hex[*p >> 4], hex[*p & 15] };

			emit_mem(e, t, sizeof(t));
		}
	}
}

struct uri_parts {
	const char *issuer;
	const char *account;
	const char *b32;
};

static void
emit_uri(struct emit *e, const void *arg)
{
	const struct uri_parts *u = arg;

	emit_str(e, "otpauth://totp/");
	emit_pct(e, u->issuer);
	emit_str(e, ":");
	emit_pct(e, u->account);
	emit_str(e, "?secret=");
	emit_str(e, u->b32);
	emit_str(e, "&issuer=");
	emit_pct(e, u->issuer);
	emit_str(e, "&algorithm=SHA1&digits=");
	emit_uint(e, OB_OTP_DIGITS);
	emit_str(e, "&period=");
	emit_uint(e, OB_TOTP_STEP_S);
}

static bool
uri_part_ok(const char *s)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strnlen(s, URI_PART_MAX + 1);
	return n > 0 && n <= URI_PART_MAX;
}

int
ob_totp_uri(const char *issuer, const char *account,
    const unsigned char secret[OB_TOTP_SECRET_BYTES], struct ob_buf *out)
{
	char b32[OB_TOTP_BASE32_LEN + 1];
	struct uri_parts u;
	int rc;

	if (!uri_part_ok(issuer) || !uri_part_ok(account) || secret == NULL) {
		rc = OB_EINVAL;
		goto out;
	}
	ob_totp_secret_base32(secret, b32);
	u.issuer = issuer;
	u.account = account;
	u.b32 = b32;
	rc = emit_to_buf(emit_uri, &u, out);
out:
	sodium_memzero(b32, sizeof(b32));
	return rc;
}

int
ob_totp_check(const unsigned char secret[OB_TOTP_SECRET_BYTES],
    const char *typed, time_t now, int window, int64_t *last_used_step)
{
	char c[OB_OTP_DIGITS + 1], gen[OB_OTP_DIGITS + 1];
	int64_t base, best;
	unsigned found = 0;
	int rc;

	sodium_memzero(c, sizeof(c));
	sodium_memzero(gen, sizeof(gen));
	if (secret == NULL || last_used_step == NULL || now < 0 ||
	    now > TOTP_NOW_MAX || window < 0 || window > OB_TOTP_WINDOW_MAX) {
		rc = OB_EINVAL;
		goto out;
	}
	if ((rc = normalise(typed, c)) != 0)
		goto out;
	if ((rc = ob_otp_init()) != 0)
		goto out;
	base = (int64_t)now / OB_TOTP_STEP_S;
	best = *last_used_step;
	/*
	 * Every step of the window is computed and compared, without an
	 * early exit; best ends as the latest matching step after the mark.
	 */
	for (int d = -window; d <= window; d++) {
		int64_t step = base + d, take;
		unsigned match;

		if (step < 0)
			continue;
		if (oath_totp_generate((const char *)secret,
			OB_TOTP_SECRET_BYTES, (time_t)(step * OB_TOTP_STEP_S),
			OB_TOTP_STEP_S, 0, OB_OTP_DIGITS, gen) != OATH_OK) {
			rc = OB_EINTERNAL;
			goto out;
		}
		match = (unsigned)(sodium_memcmp(gen, c, OB_OTP_DIGITS) + 1);
		match &= (unsigned)(step > best);
		take = -(int64_t)match;
		best = (best & ~take) | (step & take);
		found |= match;
	}
	if (found == 0) {
		rc = OB_EPERM;
		goto out;
	}
	*last_used_step = best;
	rc = 0;
out:
	sodium_memzero(c, sizeof(c));
	sodium_memzero(gen, sizeof(gen));
	return rc;
}

static bool
dark(const QRcode *qr, int x, int y)
{
	return (qr->data[y * qr->width + x] & 1) != 0;
}

static void
emit_svg(struct emit *e, const void *arg)
{
	const QRcode *qr = arg;
	unsigned side = (unsigned)qr->width + 2 * QR_QUIET;

	emit_str(e, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ");
	emit_uint(e, side);
	emit_str(e, " ");
	emit_uint(e, side);
	emit_str(e, "\" shape-rendering=\"crispEdges\"><rect width=\"");
	emit_uint(e, side);
	emit_str(e, "\" height=\"");
	emit_uint(e, side);
	emit_str(e, "\" fill=\"#fff\"/><path fill=\"#000\" d=\"");
	/* One subpath per horizontal run of dark modules. */
	for (int y = 0; y < qr->width; y++) {
		for (int x = 0; x < qr->width;) {
			int run = 0;

			while (x + run < qr->width && dark(qr, x + run, y))
				run++;
			if (run == 0) {
				x++;
				continue;
			}
			emit_str(e, "M");
			emit_uint(e, (unsigned)(x + QR_QUIET));
			emit_str(e, " ");
			emit_uint(e, (unsigned)(y + QR_QUIET));
			emit_str(e, "h");
			emit_uint(e, (unsigned)run);
			emit_str(e, "v1h-");
			emit_uint(e, (unsigned)run);
			emit_str(e, "z");
			x += run;
		}
	}
	emit_str(e, "\"/></svg>");
}

int
ob_qr_svg(const char *text, struct ob_buf *out)
{
	QRcode *qr = NULL;
	int rc;

	if (text == NULL || text[0] == '\0') {
		rc = OB_EINVAL;
		goto out;
	}
	errno = 0;
	qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (qr == NULL) {
		if (errno == ENOMEM)
			ob_die("ob_qr_svg: out of memory");
		rc = errno == ERANGE ? OB_ETOOBIG : OB_EINVAL;
		goto out;
	}
	rc = emit_to_buf(emit_svg, qr, out);
out:
	if (qr != NULL) {
		/* The modules spell out the text (a secret, for a URI). */
		sodium_memzero(qr->data, (size_t)qr->width * (size_t)qr->width);
		QRcode_free(qr);
	}
	return rc;
}
