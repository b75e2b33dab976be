#include "lib/password.h"

#include <glib.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/i18n.h"
#include "lib/util.h"

#define WORD_MIN 4
#define WORD_MAX 64
#define DICT_MAX_WORDS 2000000

struct ob_pwdict {
	char **words; /* lower case, sorted */
	size_t n;
};

static int
cmp_word(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
ob_pwdict_load(const char *path, struct ob_pwdict **out, struct ob_buf *err)
{
	struct ob_pwdict *d;
	char line[256];
	size_t cap = 0;
	FILE *f = fopen(path, "re");

	if (f == NULL) {
		ob_buf_seterr(
		    err, "password dictionary %s cannot be read", path);
		return OB_EIO;
	}
	d = ob_xcalloc(1, sizeof(*d));
	while (fgets(line, sizeof(line), f) != NULL && d->n < DICT_MAX_WORDS) {
		size_t n = strcspn(line, "\r\n");
		char *w;

		if (n < WORD_MIN || n > WORD_MAX)
			continue;
		w = g_ascii_strdown(line, (gssize)n);
		if (d->n == cap) {
			cap = cap ? cap * 2 : 65536;
			d->words =
			    ob_xrealloc(d->words, cap * sizeof(*d->words));
		}
		d->words[d->n++] = ob_xstrdup(w);
		g_free(w);
	}
	fclose(f);
	qsort(d->words, d->n, sizeof(*d->words), cmp_word);
	*out = d;
	return 0;
}

void
ob_pwdict_free(struct ob_pwdict *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->words[i]);
	free(d->words);
	free(d);
}

size_t
ob_pwdict_size(const struct ob_pwdict *d)
{
	return d->n;
}

static bool
in_dict(const struct ob_pwdict *d, const char *w)
{
	return bsearch(&w, d->words, d->n, sizeof(*d->words), cmp_word) != NULL;
}

/* The usual swaps of digits and symbols for letters, undone. */
static char
unleet(char c)
{
	switch (c) {
	case '0':
		return 'o';
	case '1':
	case '!':
		return 'i';
	case '3':
		return 'e';
	case '4':
	case '@':
		return 'a';
	case '5':
	case '$':
		return 's';
	case '7':
		return 't';
	default:
		return c;
	}
}

static bool
is_ascii_alpha(char c)
{
	return (c >= 'a' && c <= 'z');
}

/*
 * pw (lower case) is common if it, or its core -- without leading and
 * trailing digits and symbols, with swaps undone -- is a dictionary
 * word.
 */
static bool
is_common(const struct ob_pwdict *d, const char *lower)
{
	char core[OB_PW_MAX_BYTES + 1];
	size_t n = strlen(lower), a = 0, b = n, k = 0;
	bool found;

	if (in_dict(d, lower))
		return true;
	if (n > OB_PW_MAX_BYTES)
		return false; /* case folding grew it; only exact matches */
	while (a < n && !is_ascii_alpha(lower[a]))
		a++;
	while (b > a && !is_ascii_alpha(lower[b - 1]))
		b--;
	for (size_t i = a; i < b; i++)
		core[k++] = unleet(lower[i]);
	core[k] = '\0';
	found = k >= WORD_MIN && in_dict(d, core);
	if (!found) {
		/* "p@ssw0rd123": undo swaps first, then trim. */
		for (size_t i = 0; i < n; i++)
			core[i] = unleet(lower[i]);
		core[n] = '\0';
		a = 0;
		b = n;
		while (a < n && !is_ascii_alpha(core[a]))
			a++;
		while (b > a && !is_ascii_alpha(core[b - 1]))
			b--;
		core[b] = '\0';
		found = b - a >= WORD_MIN && in_dict(d, core + a);
	}
	sodium_memzero(core, sizeof(core));
	return found;
}

unsigned
ob_password_check(
    const char *pw, const char *email, const struct ob_pwdict *dict)
{
	bool upper = false, lower = false, digit = false, special = false;
	size_t bytes = strlen(pw), chars = 0;
	unsigned problems = 0;
	char *folded;

	if (bytes > OB_PW_MAX_BYTES)
		return OB_PW_TOO_LONG;
	if (!g_utf8_validate(pw, (gssize)bytes, NULL))
		return OB_PW_NOT_UTF8;
	for (const char *p = pw; *p != '\0';
	     p += g_utf8_skip[(unsigned char)*p]) {
		gunichar c = g_utf8_get_char(p);

		chars++;
		if (g_unichar_isupper(c))
			upper = true;
		else if (g_unichar_islower(c))
			lower = true;
		else if (g_unichar_isdigit(c))
			digit = true;
		else if (!g_unichar_isalpha(c))
			special = true;
	}
	if (chars < OB_PW_MIN_CHARS)
		problems |= OB_PW_TOO_SHORT;
	if (chars < OB_PW_PASSPHRASE_CHARS) {
		problems |= upper ? 0 : OB_PW_NO_UPPER;
		problems |= lower ? 0 : OB_PW_NO_LOWER;
		problems |= digit ? 0 : OB_PW_NO_DIGIT;
		problems |= special ? 0 : OB_PW_NO_SPECIAL;
	}
	folded = g_utf8_strdown(pw, (gssize)bytes);
	if (dict != NULL && is_common(dict, folded))
		problems |= OB_PW_COMMON;
	if (email != NULL) {
		size_t local = strcspn(email, "@");
		char *name = g_utf8_strdown(email, (gssize)local);

		if (local >= 3 && strstr(folded, name) != NULL)
			problems |= OB_PW_HAS_EMAIL;
		g_free(name);
	}
	sodium_memzero(folded, strlen(folded));
	g_free(folded);
	return problems;
}

const char *
ob_password_message(unsigned problem)
{
	switch (problem) {
	case OB_PW_TOO_SHORT:
		return N_("Use at least 8 characters.");
	case OB_PW_TOO_LONG:
		return N_("Use at most 1024 characters.");
	case OB_PW_NO_UPPER:
		return N_("Add an upper-case letter (or use a passphrase of 20 "
			  "characters or more).");
	case OB_PW_NO_LOWER:
		return N_("Add a lower-case letter (or use a passphrase of 20 "
			  "characters or more).");
	case OB_PW_NO_DIGIT:
		return N_("Add a digit (or use a passphrase of 20 characters "
			  "or more).");
	case OB_PW_NO_SPECIAL:
		return N_("Add a special character such as ! ? # or a space "
			  "(or use a passphrase of 20 characters or more).");
	case OB_PW_COMMON:
		return N_("This password is too common: it is a known password "
			  "or a dictionary word with a few changes.");
	case OB_PW_HAS_EMAIL:
		return N_("Do not use your e-mail name in your password.");
	case OB_PW_NOT_UTF8:
		return N_("The password contains characters that cannot be "
			  "read.");
	default:
		return NULL;
	}
}

int
ob_pwparams_load(
    const struct ob_config *cfg, struct ob_pwparams *out, struct ob_buf *err)
{
	static const char *const keys[] = { "opslimit", "memlimit_kib", NULL };
	uint64_t ops, kib;
	int rc;

	*out = ob_pwparams_default;
	if ((rc = ob_config_only_keys(cfg, "passwords", keys, err)) != 0 ||
	    (rc = ob_config_uint_opt(cfg, "passwords", "opslimit", 1, 32,
		 ob_pwparams_default.opslimit, &ops, err)) != 0 ||
	    (rc = ob_config_uint_opt(cfg, "passwords", "memlimit_kib", 8,
		 1024 * 1024, ob_pwparams_default.memlimit / 1024, &kib,
		 err)) != 0)
		return rc;
	out->opslimit = ops;
	out->memlimit = kib * 1024;
	return 0;
}
