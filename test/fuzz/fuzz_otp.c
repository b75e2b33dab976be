/*
 * fuzz_otp.c - what a handler may type as a second factor, given to
 * ob_otp_code_check and ob_totp_check.  Neither may crash or return
 * anything but 0, OB_EPERM or OB_EINVAL; both read a typed code the
 * same way, so they agree on what is malformed; a refused TOTP code
 * leaves the replay mark alone and an accepted one moves it forward.
 * The first byte picks the window and the time; the rest is typed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/otp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static const unsigned char secret[OB_TOTP_SECRET_BYTES] =
    "12345678901234567890";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char token_hash[OB_OTP_HASH_BYTES] = { 1, 2, 3 };
	unsigned char stored[OB_OTP_HASH_BYTES];
	char typed[256];
	time_t now;
	int64_t last, was;
	int window, crc, trc;

	if (size == 0 || size > sizeof(typed))
		return 0;
	window = data[0] % (OB_TOTP_WINDOW_MAX + 1);
	/* The RFC 6238 times, near the epoch and far in the future. */
	now = (data[0] & 0x80) ? 1111111111 : (time_t)(data[0] & 0x7f) * 7;
	last = (data[0] & 0x40) ? (int64_t)now / 30 - 1 : -1;
	memcpy(typed, data + 1, size - 1);
	typed[size - 1] = '\0';

	REQUIRE(ob_otp_code_hash("123456", token_hash, stored) == 0);
	crc = ob_otp_code_check(typed, token_hash, stored);
	REQUIRE(crc == 0 || crc == OB_EPERM || crc == OB_EINVAL);

	was = last;
	trc = ob_totp_check(secret, typed, now, window, &last);
	REQUIRE(trc == 0 || trc == OB_EPERM || trc == OB_EINVAL);
	REQUIRE((crc == OB_EINVAL) == (trc == OB_EINVAL));
	if (trc == 0) {
		REQUIRE(last > was);
		REQUIRE(last >= (int64_t)now / 30 - window &&
		    last <= (int64_t)now / 30 + window);
		/* Single use. */
		REQUIRE(ob_totp_check(secret, typed, now, window, &last) ==
		    OB_EPERM);
	} else {
		REQUIRE(last == was);
	}
	return 0;
}
