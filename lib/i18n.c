#include "lib/i18n.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/util.h"

/*
 * GNU .mo layout: a 28-byte header (magic, revision, string count N,
 * offsets of the original and translation tables, hash table size and
 * offset), then two tables of N (length, offset) pairs pointing at
 * NUL-terminated strings.  msgfmt sorts the originals, so a binary search
 * finds a msgid; the hash table is not used.
 */
#define MO_MAGIC 0x950412deu
#define MO_MAGIC_SWAPPED 0xde120495u
#define MO_HEADER_SIZE 28

struct ob_i18n_mo {
	char *data; /* our copy of the file */
	size_t n;
	const char **orig;
	const char **trans;
	size_t *trans_len;
};

struct lang {
	char code[8];
	struct ob_i18n_mo *mo; /* NULL: identity (English) */
};

static struct lang langs_loaded[OB_I18N_MAX_LANGS];
static size_t nlangs;
static size_t current;

/* ---- Parsing ---- */

static uint32_t
read_u32(const unsigned char *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return swap ? __builtin_bswap32(v) : v;
}

/* UTF-8 check of each NUL-separated part of s[0..n). */
static bool
valid_utf8(const char *s, size_t n)
{
	const char *nul;

	while ((nul = memchr(s, '\0', n)) != NULL) {
		if (!g_utf8_validate_len(s, (gsize)(nul - s), NULL))
			return false;
		n -= (size_t)(nul - s) + 1;
		s = nul + 1;
	}
	return g_utf8_validate_len(s, n, NULL);
}

/*
 * Reads entry i of the table at table_off: the string's offset and
 * length, checked to lie inside the data with a NUL after it.
 */
static int
read_entry(const unsigned char *data, size_t len, bool swap, uint32_t table_off,
    uint32_t i, const char *which, const char **s, size_t *slen,
    struct ob_buf *err)
{
	uint64_t at = (uint64_t)table_off + (uint64_t)i * 8;
	uint32_t n, off;

	/* The table as a whole was bounds-checked by the caller. */
	n = read_u32(data + at, swap);
	off = read_u32(data + at + 4, swap);
	if ((uint64_t)off + n + 1 > len) {
		ob_buf_seterr(err, "%s string %u out of range", which, i);
		return OB_EINVAL;
	}
	if (data[(uint64_t)off + n] != '\0') {
		ob_buf_seterr(err, "%s string %u not NUL-terminated", which, i);
		return OB_EINVAL;
	}
	if (!valid_utf8((const char *)data + off, n)) {
		ob_buf_seterr(err, "%s string %u is not UTF-8", which, i);
		return OB_EINVAL;
	}
	*s = (const char *)data + off;
	*slen = n;
	return 0;
}

/* The header must not declare a charset other than UTF-8. */
static int
check_header(const char *h, struct ob_buf *err)
{
	const char *cs = strstr(h, "charset=");
	size_t n;

	if (cs == NULL)
		return 0;
	cs += strlen("charset=");
	n = strcspn(cs, " ;\n");
	if ((n == 5 && strncasecmp(cs, "UTF-8", 5) == 0) ||
	    (n == 4 && strncasecmp(cs, "UTF8", 4) == 0))
		return 0;
	ob_buf_seterr(err, "charset is not UTF-8");
	return OB_EINVAL;
}

int
ob_i18n_parse_mo(
    const void *data, size_t len, struct ob_i18n_mo **out, struct ob_buf *err)
{
	struct ob_i18n_mo *mo = NULL;
	const unsigned char *d;
	uint32_t magic, rev, n, orig_off, trans_off;
	size_t slen;
	bool swap;
	int rc = OB_EINVAL;

	*out = NULL;
	if (len > OB_I18N_MAX_MO_SIZE) {
		ob_buf_seterr(err, "larger than %d bytes", OB_I18N_MAX_MO_SIZE);
		rc = OB_ETOOBIG;
		goto out;
	}
	if (len < MO_HEADER_SIZE) {
		ob_buf_seterr(err, "too short for a .mo header");
		goto out;
	}
	magic = read_u32(data, false);
	if (magic != MO_MAGIC && magic != MO_MAGIC_SWAPPED) {
		ob_buf_seterr(err, "not a .mo file (bad magic)");
		goto out;
	}
	swap = magic == MO_MAGIC_SWAPPED;

	mo = ob_xcalloc(1, sizeof(*mo));
	mo->data = ob_xmalloc(len);
	memcpy(mo->data, data, len);
	d = (const unsigned char *)mo->data;

	rev = read_u32(d + 4, swap);
	n = read_u32(d + 8, swap);
	orig_off = read_u32(d + 12, swap);
	trans_off = read_u32(d + 16, swap);
	if (rev >> 16 > 1) {
		ob_buf_seterr(err, "unsupported .mo revision %u", rev >> 16);
		goto out;
	}
	if ((uint64_t)n * 8 > len ||
	    (uint64_t)orig_off + (uint64_t)n * 8 > len ||
	    (uint64_t)trans_off + (uint64_t)n * 8 > len) {
		ob_buf_seterr(err, "string tables out of range");
		goto out;
	}
	mo->n = n;
	mo->orig = ob_xcalloc(n, sizeof(*mo->orig));
	mo->trans = ob_xcalloc(n, sizeof(*mo->trans));
	mo->trans_len = ob_xcalloc(n, sizeof(*mo->trans_len));
	for (uint32_t i = 0; i < n; i++) {
		if ((rc = read_entry(d, len, swap, orig_off, i, "original",
			 &mo->orig[i], &slen, err)) != 0 ||
		    (rc = read_entry(d, len, swap, trans_off, i, "translated",
			 &mo->trans[i], &mo->trans_len[i], err)) != 0)
			goto out;
		/* Binary search needs strictly sorted originals. */
		if (i > 0 && strcmp(mo->orig[i - 1], mo->orig[i]) >= 0) {
			ob_buf_seterr(
			    err, "original strings not sorted at %u", i);
			rc = OB_EINVAL;
			goto out;
		}
	}
	if (n > 0 && mo->orig[0][0] == '\0' &&
	    (rc = check_header(mo->trans[0], err)) != 0)
		goto out;
	*out = mo;
	mo = NULL;
	rc = 0;
out:
	ob_i18n_mo_free(mo);
	return rc;
}

const char *
ob_i18n_mo_lookup(const struct ob_i18n_mo *mo, const char *msgid)
{
	size_t lo = 0, hi = mo->n, mid;
	int c;

	if (msgid[0] == '\0')
		return NULL; /* "" is the header, not a message */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(mo->orig[mid], msgid);
		if (c == 0)
			return mo->trans_len[mid] > 0 ? mo->trans[mid] : NULL;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

size_t
ob_i18n_mo_count(const struct ob_i18n_mo *mo)
{
	return mo->n;
}

void
ob_i18n_mo_free(struct ob_i18n_mo *mo)
{
	if (mo == NULL)
		return;
	free(mo->orig);
	free(mo->trans);
	free(mo->trans_len);
	free(mo->data);
	free(mo);
}

/* ---- Languages ---- */

/* [a-z]{2,3}, optionally _[A-Z]{2}: never a path component trick. */
static bool
valid_lang(const char *s)
{
	size_t n = 0;

	while (s[n] >= 'a' && s[n] <= 'z')
		n++;
	if (n < 2 || n > 3)
		return false;
	if (s[n] == '\0')
		return true;
	return s[n] == '_' && s[n + 1] >= 'A' && s[n + 1] <= 'Z' &&
	    s[n + 2] >= 'A' && s[n + 2] <= 'Z' && s[n + 3] == '\0';
}

/* Reads path whole into *data; OB_ENOENT when it does not exist. */
static int
read_catalog(const char *path, char **data, size_t *lenp, struct ob_buf *err)
{
	struct stat st;
	char *p = NULL;
	size_t len = 0;
	ssize_t r;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) != 0) {
		rc = errno == ENOENT ? OB_ENOENT : OB_EIO;
		ob_buf_seterr(err, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ob_buf_seterr(err, "%s: not a regular file", path);
		rc = OB_EIO;
		goto out;
	}
	if (st.st_size > OB_I18N_MAX_MO_SIZE) {
		ob_buf_seterr(
		    err, "%s: larger than %d bytes", path, OB_I18N_MAX_MO_SIZE);
		rc = OB_ETOOBIG;
		goto out;
	}
	/* Read at most one byte more than the limit, whatever fstat said. */
	p = ob_xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size + 1) {
		r = read(fd, p + len, (size_t)st.st_size + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ob_buf_seterr(err, "%s: %s", path, strerror(errno));
			rc = OB_EIO;
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	if (len != (size_t)st.st_size) {
		ob_buf_seterr(err, "%s: changed while being read", path);
		rc = OB_EIO;
		goto out;
	}
	*data = p;
	*lenp = len;
	p = NULL;
out:
	free(p);
	if (fd >= 0)
		close(fd);
	return rc;
}

void
ob_i18n_free(void)
{
	for (size_t i = 0; i < nlangs; i++) {
		ob_i18n_mo_free(langs_loaded[i].mo);
		memset(&langs_loaded[i], 0, sizeof(langs_loaded[i]));
	}
	nlangs = 0;
	current = 0;
}

int
ob_i18n_load(
    const char *localedir, const char *const *langs, struct ob_buf *err)
{
	struct ob_buf path = OB_BUF_INIT(4096), why = OB_BUF_INIT(256);
	char *data = NULL;
	size_t len, i;
	int rc = 0;

	ob_i18n_free();
	for (i = 0; langs[i] != NULL; i++) {
		struct lang *l;

		if (i == OB_I18N_MAX_LANGS) {
			ob_buf_seterr(
			    err, "more than %d languages", OB_I18N_MAX_LANGS);
			rc = OB_ETOOBIG;
			goto out;
		}
		l = &langs_loaded[i];
		if (!valid_lang(langs[i])) {
			ob_buf_seterr(err, "invalid language code");
			rc = OB_EINVAL;
			goto out;
		}
		if (ob_i18n_known(langs[i])) {
			ob_buf_seterr(
			    err, "language %s listed twice", langs[i]);
			rc = OB_EINVAL;
			goto out;
		}
		ob_buf_reset(&path);
		if ((rc = ob_buf_printf(&path, "%s/%s/LC_MESSAGES/ombud.mo",
			 localedir, langs[i])) != 0) {
			ob_buf_seterr(err, "%s: path too long", localedir);
			goto out;
		}
		rc = read_catalog(ob_buf_cstr(&path), &data, &len, err);
		if (rc == OB_ENOENT && strcmp(langs[i], "en") == 0) {
			/* The source language needs no catalog. */
			rc = 0;
			if (err != NULL)
				ob_buf_reset(err);
		} else if (rc != 0) {
			goto out;
		} else if ((rc = ob_i18n_parse_mo(data, len, &l->mo, &why)) !=
		    0) {
			ob_buf_seterr(err, "%s: %s", ob_buf_cstr(&path),
			    ob_buf_cstr(&why));
			goto out;
		}
		free(data);
		data = NULL;
		/* valid_lang() bounds the code to 6 characters. */
		memcpy(l->code, langs[i], strlen(langs[i]) + 1);
		nlangs = i + 1;
	}
	if (i == 0) {
		ob_buf_seterr(err, "no languages");
		rc = OB_EINVAL;
	}
out:
	free(data);
	ob_buf_release(&path);
	ob_buf_release(&why);
	if (rc != 0)
		ob_i18n_free();
	return rc;
}

bool
ob_i18n_known(const char *lang)
{
	if (lang == NULL)
		return false;
	for (size_t i = 0; i < nlangs; i++)
		if (strcmp(langs_loaded[i].code, lang) == 0)
			return true;
	return false;
}

int
ob_i18n_set(const char *lang)
{
	if (lang == NULL)
		return OB_ENOENT;
	for (size_t i = 0; i < nlangs; i++) {
		if (strcmp(langs_loaded[i].code, lang) == 0) {
			current = i;
			return 0;
		}
	}
	return OB_ENOENT;
}

void
ob_i18n_set_default(void)
{
	current = 0;
}

const char *
ob_i18n_current(void)
{
	return nlangs > 0 ? langs_loaded[current].code : "en";
}

const char *
ob_gettext(const char *msgid)
{
	const char *t;

	if (nlangs == 0 || langs_loaded[current].mo == NULL)
		return msgid;
	t = ob_i18n_mo_lookup(langs_loaded[current].mo, msgid);
	return t != NULL ? t : msgid;
}

const char *
ob_i18n_tr(void *arg, const char *msgid)
{
	(void)arg;
	return ob_gettext(msgid);
}
