#include "lib/otp.h"

#include <liboath/oath.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/buf.h"
#include "lib/crypto.h"
#include "lib/i18n.h"
#include "lib/util.h"
#include "test/unit/check.h"

#define LOCALEDIR OB_BUILD_ROOT "/po"

/* RFC 6238 appendix B: the SHA1 seed. */
static const unsigned char rfc_secret[OB_TOTP_SECRET_BYTES] =
    "12345678901234567890";

static void
test_code_new(void)
{
	int seen[OB_OTP_DIGITS][10];
	char code[OB_OTP_DIGITS + 1];
	bool shape = true, all = true;

	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < 10000; i++) {
		uint64_t v = 0;

		ob_otp_code_new(code);
		if (strlen(code) != OB_OTP_DIGITS ||
		    strspn(code, "0123456789") != OB_OTP_DIGITS ||
		    ob_parse_u64(code, 0, 999999, &v) != 0) {
			shape = false;
			continue;
		}
		for (int k = 0; k < OB_OTP_DIGITS; k++)
			seen[k][code[k] - '0']++;
	}
	CHECK(shape);
	/* About 1000 each; a missing one means a biased generator. */
	for (int k = 0; k < OB_OTP_DIGITS; k++)
		for (int d = 0; d < 10; d++)
			all = all && seen[k][d] > 0;
	CHECK(all);
	sodium_memzero(code, sizeof(code));
}

static void
test_code_hash(void)
{
	unsigned char s1[OB_OTP_HASH_BYTES], s2[OB_OTP_HASH_BYTES];
	unsigned char h[OB_OTP_HASH_BYTES], h2[OB_OTP_HASH_BYTES];
	char code[OB_OTP_DIGITS + 1];

	randombytes_buf(s1, sizeof(s1));
	randombytes_buf(s2, sizeof(s2));
	CHECK_INT(ob_otp_code_hash("123456", s1, h), 0);
	CHECK_INT(ob_otp_code_hash("123456", s1, h2), 0);
	CHECK(sodium_memcmp(h, h2, sizeof(h)) == 0);
	CHECK_INT(ob_otp_code_hash("123456", s2, h2), 0);
	CHECK(sodium_memcmp(h, h2, sizeof(h)) != 0);

	CHECK_INT(ob_otp_code_check("123456", s1, h), 0);
	/* The same code in another session does not match. */
	CHECK_INT(ob_otp_code_check("123456", s2, h), OB_EPERM);
	CHECK_INT(ob_otp_code_check("123457", s1, h), OB_EPERM);
	CHECK_INT(ob_otp_code_check("000000", s1, h), OB_EPERM);

	/* What people type. */
	CHECK_INT(ob_otp_code_check("123 456", s1, h), 0);
	CHECK_INT(ob_otp_code_check("123-456", s1, h), 0);
	CHECK_INT(ob_otp_code_check(" 12-34 56 ", s1, h), 0);
	CHECK_INT(ob_otp_code_check("12345", s1, h), OB_EINVAL);
	CHECK_INT(ob_otp_code_check("1234567", s1, h), OB_EINVAL);
	CHECK_INT(ob_otp_code_check("12a456", s1, h), OB_EINVAL);
	CHECK_INT(ob_otp_code_check("", s1, h), OB_EINVAL);
	CHECK_INT(ob_otp_code_check("   ", s1, h), OB_EINVAL);
	CHECK_INT(ob_otp_code_check("123\t456", s1, h), OB_EINVAL);
	CHECK_INT(ob_otp_code_check("123456\n", s1, h), OB_EINVAL);
	CHECK_INT(ob_otp_code_check("\xd9\xa1"
				    "23456",
		      s1, h),
	    OB_EINVAL);
	CHECK_INT(ob_otp_code_check(NULL, s1, h), OB_EINVAL);
	CHECK_INT(ob_otp_code_check("123456", NULL, h), OB_EINVAL);
	CHECK_INT(ob_otp_code_check("123456", s1, NULL), OB_EINVAL);
	{
		/* Past OB_OTP_INPUT_MAX, even if it is mostly spaces. */
		char lng[OB_OTP_INPUT_MAX + 2];

		memset(lng, ' ', sizeof(lng));
		memcpy(lng, "123456", 6);
		lng[OB_OTP_INPUT_MAX] = '\0';
		CHECK_INT(ob_otp_code_check(lng, s1, h), 0);
		lng[OB_OTP_INPUT_MAX] = ' ';
		lng[OB_OTP_INPUT_MAX + 1] = '\0';
		CHECK_INT(ob_otp_code_check(lng, s1, h), OB_EINVAL);
	}

	/* A malformed code leaves no hash behind. */
	memset(h2, 0xaa, sizeof(h2));
	CHECK_INT(ob_otp_code_hash("12x456", s1, h2), OB_EINVAL);
	CHECK(sodium_is_zero(h2, sizeof(h2)));

	/* A fresh code round-trips. */
	ob_otp_code_new(code);
	CHECK_INT(ob_otp_code_hash(code, s2, h), 0);
	CHECK_INT(ob_otp_code_check(code, s2, h), 0);
	sodium_memzero(code, sizeof(code));
}

static void
test_sms_text(void)
{
	static const char *const langs[] = { "en", "da", NULL };
	struct ob_buf b = OB_BUF_INIT(512), err = OB_BUF_INIT(512);
	struct ob_buf tiny = OB_BUF_INIT(20);

	CHECK_INT(ob_otp_sms_text("012345", NULL, &b), 0);
	CHECK_STR(ob_buf_cstr(&b),
	    "Ombud sign-in code: 012345. It expires in 5 minutes. "
	    "Never share it.");
	ob_buf_reset(&b);
	CHECK_INT(ob_otp_sms_text("012345", "da", &b), 0);
	CHECK(strstr(ob_buf_cstr(&b), "Ombud sign-in code: 012345") != NULL);
	ob_buf_reset(&b);
	CHECK_INT(ob_otp_sms_text("01234", NULL, &b), OB_EINVAL);
	CHECK_INT(ob_otp_sms_text("0123456", NULL, &b), OB_EINVAL);
	CHECK_INT(b.len, 0);
	CHECK_INT(ob_otp_sms_text("012345", NULL, &tiny), OB_ETOOBIG);
	CHECK_INT(tiny.len, 0);

	CHECK_INT(ob_i18n_load(LOCALEDIR, langs, &err), 0);
	CHECK_INT(ob_otp_sms_text("654321", "da", &b), 0);
	CHECK_STR(ob_buf_cstr(&b),
	    "Ombud-loginkode: 654321. Den udløber om 5 minutter. "
	    "Del den aldrig med nogen.");
	/* The request's language is left as it was. */
	CHECK_STR(ob_i18n_current(), "en");
	ob_buf_reset(&b);
	CHECK_INT(ob_i18n_set("da"), 0);
	CHECK_INT(ob_otp_sms_text("654321", "en", &b), 0);
	CHECK_STR(ob_buf_cstr(&b),
	    "Ombud sign-in code: 654321. It expires in 5 minutes. "
	    "Never share it.");
	CHECK_STR(ob_i18n_current(), "da");
	ob_buf_reset(&b);
	/* Unknown or no language: the current one. */
	CHECK_INT(ob_otp_sms_text("654321", "fr", &b), 0);
	CHECK(strncmp(ob_buf_cstr(&b), "Ombud-loginkode: 654321", 23) == 0);
	CHECK_STR(ob_i18n_current(), "da");
	ob_i18n_free();

	ob_buf_release_secret(&b);
	ob_buf_release(&err);
	ob_buf_release(&tiny);
}

static void
test_base32(void)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		/* RFC 4648 section 10, without the padding. */
		{ "", "" },
		{ "f", "MY" },
		{ "fo", "MZXQ" },
		{ "foo", "MZXW6" },
		{ "foob", "MZXW6YQ" },
		{ "fooba", "MZXW6YTB" },
		{ "foobar", "MZXW6YTBOI" },
	};
	char out[OB_TOTP_BASE32_LEN + 1], small[4];
	unsigned char all[OB_TOTP_SECRET_BYTES];

	for (size_t i = 0; i < OB_NELEM(t); i++) {
		CHECK_INT(ob_base32_encode(
			      t[i].in, strlen(t[i].in), out, sizeof(out)),
		    0);
		CHECK_STR(out, t[i].want);
	}
	CHECK_INT(ob_base32_encode("foo", 3, small, sizeof(small)), OB_ETOOBIG);
	CHECK_STR(small, "");
	CHECK_INT(ob_base32_encode("fo", 2, small, sizeof(small)), OB_ETOOBIG);
	CHECK_INT(ob_base32_encode("f", 1, small, sizeof(small)), 0);
	CHECK_STR(small, "MY");

	ob_totp_secret_base32(rfc_secret, out);
	CHECK_STR(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	/* Every symbol of the alphabet comes out right (no table). */
	memset(all, 0, sizeof(all));
	ob_totp_secret_base32(all, out);
	CHECK_STR(out, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	memset(all, 0xff, sizeof(all));
	ob_totp_secret_base32(all, out);
	CHECK_STR(out, "77777777777777777777777777777777");
	{
		/* 00000 00001 ... 11111: the whole alphabet in order. */
		static const unsigned char seq[20] = { 0x00, 0x44, 0x32, 0x14,
			0xc7, 0x42, 0x54, 0xb6, 0x35, 0xcf, 0x84, 0x65, 0x3a,
			0x56, 0xd7, 0xc6, 0x75, 0xbe, 0x77, 0xdf };

		ob_totp_secret_base32(seq, out);
		CHECK_STR(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
	}

	ob_totp_secret_new(all);
	ob_totp_secret_base32(all, out);
	CHECK_INT(strlen(out), OB_TOTP_BASE32_LEN);
	CHECK(strspn(out, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") ==
	    OB_TOTP_BASE32_LEN);
	sodium_memzero(all, sizeof(all));
	sodium_memzero(out, sizeof(out));
}

static void
test_uri(void)
{
	struct ob_buf b = OB_BUF_INIT(4096), tiny = OB_BUF_INIT(64);
	char lng[300];

	CHECK_INT(
	    ob_totp_uri("Ombud Demo", "jane+x@example.org", rfc_secret, &b), 0);
	CHECK_STR(ob_buf_cstr(&b),
	    "otpauth://totp/Ombud%20Demo:jane%2Bx%40example.org"
	    "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Ombud%20Demo"
	    "&algorithm=SHA1&digits=6&period=30");
	ob_buf_reset(&b);
	CHECK_INT(ob_totp_uri("A:B&c=d?", "\xc3\xa6~._-", rfc_secret, &b), 0);
	CHECK(ob_startswith(ob_buf_cstr(&b),
	    "otpauth://totp/A%3AB%26c%3Dd%3F:%C3%A6~._-?secret="));
	ob_buf_reset(&b);

	CHECK_INT(ob_totp_uri("", "a", rfc_secret, &b), OB_EINVAL);
	CHECK_INT(ob_totp_uri("a", "", rfc_secret, &b), OB_EINVAL);
	CHECK_INT(ob_totp_uri(NULL, "a", rfc_secret, &b), OB_EINVAL);
	CHECK_INT(ob_totp_uri("a", "a", NULL, &b), OB_EINVAL);
	memset(lng, 'x', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	CHECK_INT(ob_totp_uri("a", lng, rfc_secret, &b), OB_EINVAL);
	CHECK_INT(b.len, 0);
	CHECK_INT(ob_totp_uri("Ombud", "jane", rfc_secret, &tiny), OB_ETOOBIG);
	CHECK_INT(tiny.len, 0);
	ob_buf_release_secret(&b);
	ob_buf_release(&tiny);
}

/* The code of one step, by liboath directly. */
static void
code_at(time_t t, char out[OB_OTP_DIGITS + 1])
{
	CHECK_INT(
	    oath_totp_generate((const char *)rfc_secret, sizeof(rfc_secret), t,
		OB_TOTP_STEP_S, 0, OB_OTP_DIGITS, out),
	    OATH_OK);
}

static void
test_totp_rfc(void)
{
	static const struct {
		time_t t;
		const char *code; /* last six of the published eight */
	} v[] = {
		{ 59, "287082" },
		{ 1111111109, "081804" },
		{ 1111111111, "050471" },
		{ 1234567890, "005924" },
		{ 2000000000, "279037" },
		{ 20000000000, "353130" },
	};

	for (size_t i = 0; i < OB_NELEM(v); i++) {
		int64_t last = -1;

		CHECK_INT(
		    ob_totp_check(rfc_secret, v[i].code, v[i].t, 0, &last), 0);
		CHECK_INT(last, (int64_t)v[i].t / 30);
		last = -1;
		CHECK_INT(ob_totp_check(
			      rfc_secret, v[i].code, v[i].t + 3 * 30, 1, &last),
		    OB_EPERM);
		CHECK_INT(last, -1);
	}
}

static void
test_totp_window(void)
{
	const time_t now = 1234567890;
	const int64_t step = now / 30;
	char c[OB_OTP_DIGITS + 1];
	int64_t last;

	/* One step either side is accepted with window 1 ... */
	for (int d = -1; d <= 1; d++) {
		code_at(now + d * 30, c);
		last = -1;
		CHECK_INT(ob_totp_check(rfc_secret, c, now, 1, &last), 0);
		CHECK_INT(last, step + d);
	}
	/* ... two steps are not, unless the window is 2. */
	for (int d = -2; d <= 2; d += 4) {
		code_at(now + d * 30, c);
		last = -1;
		CHECK_INT(
		    ob_totp_check(rfc_secret, c, now, 1, &last), OB_EPERM);
		CHECK_INT(last, -1);
		CHECK_INT(ob_totp_check(rfc_secret, c, now, 2, &last), 0);
		CHECK_INT(last, step + d);
	}
	code_at(now + 30, c);
	last = -1;
	CHECK_INT(ob_totp_check(rfc_secret, c, now, 0, &last), OB_EPERM);

	/* Typed with a space or a dash. */
	code_at(now, c);
	{
		char typed[16] = { c[0], c[1], c[2], ' ', c[3], c[4], c[5] };

		last = -1;
		CHECK_INT(ob_totp_check(rfc_secret, typed, now, 1, &last), 0);
		typed[3] = '-';
		last = -1;
		CHECK_INT(ob_totp_check(rfc_secret, typed, now, 1, &last), 0);
	}

	/* Malformed. */
	last = -1;
	CHECK_INT(ob_totp_check(rfc_secret, "12345", now, 1, &last), OB_EINVAL);
	CHECK_INT(
	    ob_totp_check(rfc_secret, "1234567", now, 1, &last), OB_EINVAL);
	CHECK_INT(
	    ob_totp_check(rfc_secret, "12a456", now, 1, &last), OB_EINVAL);
	CHECK_INT(ob_totp_check(rfc_secret, NULL, now, 1, &last), OB_EINVAL);
	CHECK_INT(ob_totp_check(NULL, c, now, 1, &last), OB_EINVAL);
	CHECK_INT(ob_totp_check(rfc_secret, c, now, 1, NULL), OB_EINVAL);
	CHECK_INT(ob_totp_check(rfc_secret, c, now, -1, &last), OB_EINVAL);
	CHECK_INT(
	    ob_totp_check(rfc_secret, c, now, OB_TOTP_WINDOW_MAX + 1, &last),
	    OB_EINVAL);
	CHECK_INT(ob_totp_check(rfc_secret, c, -1, 1, &last), OB_EINVAL);
	CHECK_INT(last, -1);
	/* Near the epoch the window is cut at step 0. */
	code_at(0, c);
	CHECK_INT(ob_totp_check(rfc_secret, c, 0, 3, &last), 0);
	CHECK_INT(last, 0);
	sodium_memzero(c, sizeof(c));
}

static void
test_totp_replay(void)
{
	const time_t now = 1111111111;
	const int64_t step = now / 30;
	char c[OB_OTP_DIGITS + 1], older[OB_OTP_DIGITS + 1];
	int64_t last = -1;

	code_at(now, c);
	CHECK_INT(ob_totp_check(rfc_secret, c, now, 1, &last), 0);
	CHECK_INT(last, step);
	/* The same code again, even a second later: refused. */
	CHECK_INT(ob_totp_check(rfc_secret, c, now, 1, &last), OB_EPERM);
	CHECK_INT(ob_totp_check(rfc_secret, c, now + 1, 1, &last), OB_EPERM);
	CHECK_INT(last, step);
	/* An older step, still inside the window: refused. */
	code_at(now - 30, older);
	CHECK_INT(ob_totp_check(rfc_secret, older, now, 1, &last), OB_EPERM);
	CHECK_INT(last, step);
	/* The next step is fine, once. */
	code_at(now + 30, c);
	CHECK_INT(ob_totp_check(rfc_secret, c, now + 30, 1, &last), 0);
	CHECK_INT(last, step + 1);
	CHECK_INT(ob_totp_check(rfc_secret, c, now + 30, 1, &last), OB_EPERM);
	/* A wrong secret never matches. */
	{
		unsigned char other[OB_TOTP_SECRET_BYTES];

		ob_totp_secret_new(other);
		code_at(now + 60, c);
		last = -1;
		CHECK_INT(
		    ob_totp_check(other, c, now + 60, 0, &last), OB_EPERM);
		sodium_memzero(other, sizeof(other));
	}
}

/* The side of the viewBox "0 0 N N", or -1. */
static long
viewbox_side(const char *svg)
{
	const char *p = strstr(svg, "viewBox=\"0 0 ");
	long n = 0;

	if (p == NULL)
		return -1;
	for (p += strlen("viewBox=\"0 0 "); *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (*p - '0');
	return n;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void
test_qr(void)
{
	struct ob_buf a = OB_BUF_INIT(1 << 20), b = OB_BUF_INIT(1 << 20);
	struct ob_buf big = OB_BUF_INIT(1 << 20), tiny = OB_BUF_INIT(100);
	const char *s;
	char lng[600];

	CHECK_INT(
	    ob_totp_uri("Ombud Demo", "jane+x@example.org", rfc_secret, &a), 0);
	CHECK_INT(ob_qr_svg(ob_buf_cstr(&a), &b), 0);
	s = ob_buf_cstr(&b);
	CHECK(ob_startswith(s, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	CHECK(ends_with(s, "</svg>"));
	CHECK(strstr(s, "<path ") != NULL);
	CHECK(strstr(s, " d=\"M") != NULL);
	CHECK(strstr(s, "<script") == NULL);
	CHECK(strstr(s, "href") == NULL);
	CHECK(strstr(s, "style=") == NULL);
	CHECK(strstr(s, "secret") == NULL);
	/* Only the characters this module writes. */
	CHECK(strspn(s,
		  "<>/=\"#:. -abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
		  "WXYZ0123456789") == strlen(s));
	/* Version 4 or more for a URI this long: 33 + 8 modules at least. */
	CHECK(viewbox_side(s) >= 41);

	/* Deterministic. */
	ob_buf_reset(&a);
	CHECK_INT(
	    ob_totp_uri("Ombud Demo", "jane+x@example.org", rfc_secret, &a), 0);
	CHECK_INT(ob_qr_svg(ob_buf_cstr(&a), &big), 0);
	CHECK_STR(ob_buf_cstr(&big), ob_buf_cstr(&b));

	/* Larger text, larger symbol. */
	ob_buf_reset(&a);
	ob_buf_reset(&big);
	CHECK_INT(ob_qr_svg("x", &a), 0);
	CHECK_INT(viewbox_side(ob_buf_cstr(&a)), 21 + 8);
	memset(lng, 'q', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	CHECK_INT(ob_qr_svg(lng, &big), 0);
	CHECK(viewbox_side(ob_buf_cstr(&big)) > viewbox_side(ob_buf_cstr(&b)));
	CHECK(viewbox_side(ob_buf_cstr(&b)) > viewbox_side(ob_buf_cstr(&a)));

	/* Refused: empty, too long for any QR code, past the cap. */
	ob_buf_reset(&a);
	CHECK_INT(ob_qr_svg("", &a), OB_EINVAL);
	CHECK_INT(ob_qr_svg(NULL, &a), OB_EINVAL);
	{
		char *huge = malloc(5000);

		CHECK(huge != NULL);
		if (huge != NULL) {
			memset(huge, 'z', 4999);
			huge[4999] = '\0';
			CHECK_INT(ob_qr_svg(huge, &a), OB_ETOOBIG);
			free(huge);
		}
	}
	CHECK_INT(a.len, 0);
	CHECK_INT(ob_qr_svg("hello", &tiny), OB_ETOOBIG);
	CHECK_INT(tiny.len, 0);

	ob_buf_release_secret(&a);
	ob_buf_release_secret(&b);
	ob_buf_release(&big);
	ob_buf_release(&tiny);
}

int
main(void)
{
	if (ob_crypto_init() != 0 || ob_otp_init() != 0 || ob_otp_init() != 0)
		return 1;
	test_code_new();
	test_code_hash();
	test_sms_text();
	test_base32();
	test_uri();
	test_totp_rfc();
	test_totp_window();
	test_totp_replay();
	test_qr();
	return CHECK_DONE();
}
