/*
 * i18n.h - gettext catalogs and the language of the current request.
 *
 * A child serves one request at a time and each request may ask for
 * another language, so this module does not use setlocale() or LANGUAGE
 * (locales such as da_DK may not even be installed): it reads the
 * compiled .mo catalogs itself at start-up and switches between them.
 *
 * Catalogs are msgctxt-free and plural forms are not supported: a
 * plural entry yields its first form.  Add ngettext when a page needs it.
 *
 * State is per process (one request at a time); nothing here is
 * thread-safe.
 */
#ifndef OB_I18N_H
#define OB_I18N_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/buf.h"
#include "lib/ob.h"

/* Most languages, and the longest file accepted as a catalog. */
#define OB_I18N_MAX_LANGS 16
#define OB_I18N_MAX_MO_SIZE (16 * 1024 * 1024)

/*
 * Loads <localedir>/<lang>/LC_MESSAGES/ombud.mo for each language in
 * langs (NULL-terminated, codes like "en", "da" or "pt_BR"; the first is
 * the default and current afterwards).  English is the source language:
 * a missing "en" catalog means identity; any other missing catalog is an
 * error.  Replaces what was loaded before.  Returns 0, or OB_ENOENT (a
 * missing catalog), OB_EINVAL (a bad or repeated language code, no
 * languages, a corrupt catalog), OB_ETOOBIG, OB_EIO; err (if not NULL) is
 * then replaced with a message naming the file, and nothing is loaded.
 */
int ob_i18n_load(const char *localedir, const char *const *langs,
    struct ob_buf *err) OB_MUST_CHECK;

/*
 * Selects the language for the current request.  Returns OB_ENOENT when
 * lang is not one of the loaded ones (or NULL), and keeps the current.
 */
int ob_i18n_set(const char *lang) OB_MUST_CHECK;

/* Selects the default language: call at the start of every request. */
void ob_i18n_set_default(void);

/* The current language code; "en" when nothing is loaded.  Static. */
const char *ob_i18n_current(void);

/* True when lang is one of the loaded languages. */
bool ob_i18n_known(const char *lang);

/*
 * The translation of msgid in the current language, or msgid itself
 * when there is none (and for ""). The result lives until ob_i18n_free()
 * or the next ob_i18n_load().
 */
const char *ob_gettext(const char *msgid);

/* ob_gettext() for ob_tmpl_render()'s callback; arg is unused. */
const char *ob_i18n_tr(void *arg, const char *msgid);

/* Frees every catalog; afterwards ob_gettext() is the identity. */
void ob_i18n_free(void);

#define _(s) ob_gettext(s)
#define N_(s) (s)

/*
 * Internal, exposed for the fuzz target and tests: a parsed catalog.
 * ob_i18n_parse_mo() validates data thoroughly (magic in both byte
 * orders, bounds of every table, offset and length, NUL terminators,
 * strictly sorted originals, UTF-8) and copies it; *out owns the copy.
 * OB_EINVAL (err says why) or OB_ETOOBIG for data that is not a usable
 * catalog.
 */
struct ob_i18n_mo;

int ob_i18n_parse_mo(const void *data, size_t len, struct ob_i18n_mo **out,
    struct ob_buf *err) OB_MUST_CHECK;

/* The translation of msgid in mo, or NULL. */
const char *ob_i18n_mo_lookup(const struct ob_i18n_mo *mo, const char *msgid);

/* The number of entries in mo, the header included. */
size_t ob_i18n_mo_count(const struct ob_i18n_mo *mo);

void ob_i18n_mo_free(struct ob_i18n_mo *mo);

#endif
