/*
 * password.h - the password policy for handler accounts.
 *
 * Enforced wherever a password is set: `ombudctl user add`, password
 * change and reset.  The rules, each reported on its own so the user
 * sees one clear message per unmet rule:
 *   - at least 8 characters (code points, not bytes), at most 1024 bytes;
 *   - an upper-case letter, a lower-case letter, a digit and a special
 *     character (anything that is not a letter or digit) -- unless the
 *     password is a passphrase of 20 characters or more, which may drop
 *     these four;
 *   - not a common password: not in the dictionary (Debian's cracklib
 *     word list, which holds common passwords and words), and not a
 *     dictionary word dressed up with case, leading or trailing digits
 *     and symbols, or the usual letter-for-digit swaps ("Passw0rd!");
 *   - not containing the local part of the user's e-mail address.
 */
#ifndef OB_PASSWORD_H
#define OB_PASSWORD_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/crypto.h"
#include "lib/ob.h"

#define OB_PW_MIN_CHARS 8
#define OB_PW_PASSPHRASE_CHARS 20
#define OB_PW_MAX_BYTES 1024
#define OB_PW_DICT_DEFAULT "/usr/share/dict/cracklib-small"

enum {
	OB_PW_TOO_SHORT = 1u << 0,
	OB_PW_TOO_LONG = 1u << 1,
	OB_PW_NO_UPPER = 1u << 2,
	OB_PW_NO_LOWER = 1u << 3,
	OB_PW_NO_DIGIT = 1u << 4,
	OB_PW_NO_SPECIAL = 1u << 5,
	OB_PW_COMMON = 1u << 6,
	OB_PW_HAS_EMAIL = 1u << 7,
	OB_PW_NOT_UTF8 = 1u << 8,
};
#define OB_PW_ALL_PROBLEMS 0x1ffu

struct ob_pwdict;

/*
 * Loads a word list (one word per line) into memory.  Words shorter than
 * 4 characters are skipped (they would refuse every password).  The
 * caller frees *out with ob_pwdict_free.  OB_EIO with a message in err
 * when the file cannot be read.
 */
int ob_pwdict_load(
    const char *path, struct ob_pwdict **out, struct ob_buf *err) OB_MUST_CHECK;
void ob_pwdict_free(struct ob_pwdict *d);

/* How many words were loaded. */
size_t ob_pwdict_size(const struct ob_pwdict *d);

/*
 * Checks pw against the policy.  email may be NULL; dict may be NULL
 * (then the common-password rule is not applied: only for tests).
 * Returns 0 when the password is acceptable, else the OB_PW_* bits of
 * every unmet rule.
 */
unsigned ob_password_check(
    const char *pw, const char *email, const struct ob_pwdict *dict);

/*
 * The English message (a gettext msgid) for one OB_PW_* bit, for the
 * user; NULL for an unknown bit.
 */
const char *ob_password_message(unsigned problem);

/*
 * The Argon2id cost of every credential made from now on ([passwords]
 * opslimit 1..32, default 3; memlimit_kib 8..1048576, default 65536:
 * ob_pwparams_default), read by the auth pool and ombudctl alike.  A
 * credential made with other values is rehashed at its next sign-in,
 * so raising the cost reaches every active account.  Other keys in
 * [passwords] are an error naming them.
 */
int ob_pwparams_load(const struct ob_config *cfg, struct ob_pwparams *out,
    struct ob_buf *err) OB_MUST_CHECK;

#endif
