/*
 * otp.h - the second factor of a handler sign-in: one-time codes sent
 * by SMS, TOTP (RFC 6238) from an authenticator app, and the QR code
 * that enrols the app.
 *
 * SMS codes.  ob_otp_code_new draws six uniform decimal digits; the
 * code is sent (ob_otp_sms_text) and only its hash is stored, in the
 * otp_challenges row of the half-signed-in session.  The hash is keyed
 * with that session's sessions.token_hash (ob_token_lookup), so a code
 * sent to one session never matches in another.  The caller enforces,
 * with that row:
 *   - a code is valid for OB_OTP_TTL_S seconds from when it was made;
 *   - at most OB_OTP_MAX_TRIES checks per code, counted before the
 *     check (increment, then compare), whatever the outcome; at the
 *     limit the challenge is dead and a new code must be sent;
 *   - a code that matched is deleted at once: it is single use;
 *   - a new code replaces the previous one (one live code per session).
 *
 * TOTP.  A 20-byte secret (HMAC-SHA1, 6 digits, 30 s steps: what every
 * authenticator app assumes), shown once as a QR code of ob_totp_uri
 * and as base32 for manual entry.  ob_totp_check accepts a code of a
 * step within +-window of now that is later than the last step used,
 * and moves that mark forward: a code is good once.  The caller
 * stores the mark and the secret, and limits attempts like SMS codes.
 *
 * Typed codes.  What a person types is normalised: spaces and dashes
 * are dropped; what remains must be exactly six ASCII digits (at most
 * OB_OTP_INPUT_MAX bytes in all), or the call is OB_EINVAL.
 *
 * Secrets.  Codes, TOTP secrets, the base32 form and the URI are
 * secrets: never log them.  Arrays the caller passes in are the
 * caller's to wipe (sodium_memzero); buffers that receive a secret
 * (ob_otp_sms_text, ob_totp_uri, ob_qr_svg of a URI) are released with
 * ob_buf_release_secret.  Every copy made in here is wiped before
 * returning, on every path (liboath's and libqrencode's own working
 * copies excepted: they free without wiping).
 *
 * Call ob_otp_init() once at start, after ob_crypto_init().
 */
#ifndef OB_OTP_H
#define OB_OTP_H

#include <stdint.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/ob.h"

#define OB_OTP_DIGITS 6
#define OB_OTP_TTL_S 300 /* an SMS code lives five minutes */
#define OB_OTP_MAX_TRIES 5 /* checks per SMS code */
#define OB_OTP_HASH_BYTES 32
#define OB_OTP_INPUT_MAX 64 /* longest typed code read */

#define OB_TOTP_SECRET_BYTES 20
#define OB_TOTP_BASE32_LEN 32 /* 20 bytes, no padding */
#define OB_TOTP_STEP_S 30
#define OB_TOTP_WINDOW_MAX 10 /* largest window ob_totp_check takes */

/*
 * Start-up: initialises liboath (oath_init).  Idempotent; the TOTP
 * functions call it themselves if it was not called.  OB_EINTERNAL if
 * liboath cannot start.
 */
int ob_otp_init(void) OB_MUST_CHECK;

/*
 * A fresh SMS code: six digits from randombytes_uniform(1000000),
 * zero-padded, and a NUL.  The caller wipes code.
 */
void ob_otp_code_new(char code[OB_OTP_DIGITS + 1]);

/*
 * otp_challenges.code_hash: BLAKE2b-256 keyed with the session's
 * token hash, over a purpose label and the six digits.  code may be
 * typed input (normalised as above).  OB_EINVAL for a malformed code,
 * with out zeroed.
 */
int ob_otp_code_hash(const char *code,
    const unsigned char session_token_hash[OB_OTP_HASH_BYTES],
    unsigned char out[OB_OTP_HASH_BYTES]) OB_MUST_CHECK;

/*
 * Checks a typed code against the stored hash in constant time: 0 when
 * it matches, OB_EPERM when it does not (or belongs to another
 * session), OB_EINVAL when typed is not a code (NULL, too long, not six
 * digits).  The caller counts the try in every case.
 */
int ob_otp_code_check(const char *typed,
    const unsigned char session_token_hash[OB_OTP_HASH_BYTES],
    const unsigned char stored[OB_OTP_HASH_BYTES]) OB_MUST_CHECK;

/*
 * Appends the SMS text to out: "Ombud sign-in code: 123456. It expires
 * in 5 minutes. Never share it." in the language lang (a loaded
 * catalog, lib/i18n.h; NULL or an unknown code: the request's current
 * language).  The request's language is unchanged afterwards.  The
 * text says nothing about a case or a tenant.  A translation without
 * exactly one "{code}" placeholder is ignored (English is used).
 * OB_EINVAL for a code that is not six digits; OB_ETOOBIG when out's
 * cap is reached (nothing of the code is left in out then).  The text
 * holds the code: release out with ob_buf_release_secret.
 */
int ob_otp_sms_text(
    const char *code, const char *lang, struct ob_buf *out) OB_MUST_CHECK;

/* A fresh TOTP secret from randombytes_buf.  The caller wipes it. */
void ob_totp_secret_new(unsigned char secret[OB_TOTP_SECRET_BYTES]);

/*
 * RFC 4648 base32 (A-Z 2-7) without padding: writes ceil(len * 8 / 5)
 * characters and a NUL to out, of size outsz.
 * OB_ETOOBIG (out holds "") when that does not fit.  Branch-free in
 * the data: it encodes secrets.
 */
int ob_base32_encode(
    const void *in, size_t len, char *out, size_t outsz) OB_MUST_CHECK;

/*
 * The secret as 32 base32 characters and a NUL, for people who type
 * it into their app.  The caller wipes out.
 */
void ob_totp_secret_base32(const unsigned char secret[OB_TOTP_SECRET_BYTES],
    char out[OB_TOTP_BASE32_LEN + 1]);

/*
 * Appends the Key URI an authenticator app reads from the QR code:
 *   otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>
 *       &algorithm=SHA1&digits=6&period=30
 * with issuer and account percent-encoded (everything but A-Z a-z 0-9
 * - . _ ~).  OB_EINVAL for a NULL or empty issuer or account, or one
 * longer than 256 bytes; OB_ETOOBIG at out's cap.  On error out is as
 * it was (what was appended is wiped).  The URI holds the secret:
 * release out with ob_buf_release_secret.
 */
int ob_totp_uri(const char *issuer, const char *account,
    const unsigned char secret[OB_TOTP_SECRET_BYTES],
    struct ob_buf *out) OB_MUST_CHECK;

/*
 * Checks a typed TOTP code at time now (seconds since the epoch, 0 up
 * to 2^40) against the steps now/30 - window .. now/30 + window
 * (0 <= window <= OB_TOTP_WINDOW_MAX; 1 is the usual choice: clocks
 * drift).  Every step is computed and compared in constant time.  0
 * when the code matches a step later than *last_used_step: that step
 * is then written to *last_used_step, which the caller stores (start
 * a new enrolment at -1).  OB_EPERM when no such step matches,
 * including a replay of a code already used or of an older one;
 * *last_used_step is unchanged.  OB_EINVAL for malformed input (typed
 * not a code, window or now out of range, NULL pointers).
 * OB_EINTERNAL if liboath fails.
 */
int ob_totp_check(const unsigned char secret[OB_TOTP_SECRET_BYTES],
    const char *typed, time_t now, int window,
    int64_t *last_used_step) OB_MUST_CHECK;

/*
 * Appends a standalone SVG of text as a QR code (error correction
 * level M, 8-bit mode, quiet zone of 4 modules): one <svg> element
 * with xmlns and a viewBox in module units, a white <rect> behind,
 * and one <path> of the dark modules; colours as fill attributes, no
 * style, script, link or other reference.  The output is only ASCII
 * markup written here (no byte of text appears in it), so it can be
 * inlined in a page as is; size it with the page's stylesheet.
 * OB_EINVAL for NULL or empty text, OB_ETOOBIG when text does not fit
 * in a QR code or the SVG passes out's cap (out is as it was then).
 * Release out with ob_buf_release_secret when text was secret.
 */
int ob_qr_svg(const char *text, struct ob_buf *out) OB_MUST_CHECK;

#endif
