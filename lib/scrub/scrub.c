#include "lib/scrub/scrub.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/scrub/sio.h"

const struct ob_scrub_limits ob_scrub_default_limits = {
	.max_output = UINT64_C(4) << 30,
	.max_in_memory = UINT64_C(32) << 20,
	.max_entries = 100000,
	.max_expanded = UINT64_C(2) << 30,
	.max_depth = 16,
	.max_pages = 5000,
};

#define NOTE_MAX 200

void
ob_scrub_note(struct ob_scrub_report *r, const char *kind, const char *fmt, ...)
{
	char line[NOTE_MAX + 32], text[NOTE_MAX + 1];
	const char *have = ob_buf_cstr(&r->lines);
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* One line of ASCII: anything else would be a way into the page. */
	for (char *p = text; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	n = (size_t)snprintf(line, sizeof(line), "%s: %s\n", kind, text);
	if (n >= sizeof(line))
		return;
	/* Once per text: a thousand EXIF blocks are one line. */
	for (const char *p = have; (p = strstr(p, line)) != NULL; p++)
		if (p == have || p[-1] == '\n')
			return;
	if (ob_buf_append(&r->lines, line, n) != 0)
		return; /* a full report keeps what it has */
	if (strcmp(kind, "removed") == 0)
		r->removed++;
	else if (strcmp(kind, "not-checked") == 0)
		r->not_checked++;
}

void
ob_scrub_report_release(struct ob_scrub_report *r)
{
	ob_buf_release(&r->lines);
	r->removed = r->not_checked = 0;
}

int
ob_scrub_refuse(struct ob_scrub_report *r, int rc, const char *why)
{
	ob_scrub_note(r, "refused", "%s", why);
	return rc;
}

bool
ob_scrub_refused(const struct ob_scrub_report *r)
{
	const char *have = ob_buf_cstr(&r->lines);

	return strncmp(have, "refused: ", 9) == 0 ||
	    strstr(have, "\nrefused: ") != NULL;
}

int
ob_scrub_refuse_once(struct ob_scrub_report *r, int rc, const char *why)
{
	if (rc != 0 && !ob_scrub_refused(r))
		ob_scrub_note(r, "refused", "%s", why);
	return rc;
}

const char *
ob_scrub_refusal_text(int rc)
{
	switch (rc) {
	case OB_ETOOBIG:
		return "the file is too large or too complex";
	case OB_EUNSUPP:
		return "the file uses a feature that cannot be cleaned safely";
	case OB_EIO:
		return "the file could not be read or written";
	default:
		return "the file is damaged or not what it claims to be";
	}
}

void
ob_scrub_refuse_size(struct ob_scrub_report *r, const char *what, uint64_t max)
{
	if (max >= 1u << 20)
		ob_scrub_note(r, "refused", "%s larger than %llu MiB", what,
		    (unsigned long long)(max >> 20));
	else
		ob_scrub_note(r, "refused", "%s larger than %llu KiB", what,
		    (unsigned long long)(max >> 10));
}

int
ob_scrub_report_end(
    struct ob_scrub_report *rep, struct ob_scrub_report *local, int rc)
{
	const char *line;

	ob_scrub_refuse_once(local, rc, ob_scrub_refusal_text(rc));
	line = ob_buf_cstr(&local->lines);
	while (*line != '\0') {
		const char *nl = strchr(line, '\n'), *colon;
		size_t n = nl != NULL ? (size_t)(nl - line) : strlen(line);
		char kind[32];

		colon = memchr(line, ':', n);
		if (colon != NULL && (size_t)(colon - line) < sizeof(kind) &&
		    n - (size_t)(colon - line) >= 2) {
			size_t kl = (size_t)(colon - line);

			memcpy(kind, line, kl);
			kind[kl] = '\0';
			if (rc == 0 || strcmp(kind, "refused") == 0)
				ob_scrub_note(rep, kind, "%.*s",
				    (int)(n - kl - 2), colon + 2);
		}
		line += n + (nl != NULL);
	}
	ob_scrub_report_release(local);
	return rc;
}

const struct ob_scrub_family *
ob_scrub_sniff(const unsigned char *head, size_t n)
{
	for (size_t i = 0; i < ob_scrub_nfamilies; i++)
		if (ob_scrub_families[i].sniff(head, n))
			return &ob_scrub_families[i];
	return NULL;
}

int
ob_scrub_embedded(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep)
{
	unsigned char head[OB_SCRUB_SNIFF_BYTES];
	const struct ob_scrub_family *f;
	struct ob_scrub_limits deeper = *lim;
	size_t n;

	if (lim->max_depth == 0)
		return ob_scrub_refuse(
		    rep, OB_ETOOBIG, "files nested too deeply");
	if (ob_sio_pread_full(in, head, sizeof(head), 0, &n) != 0)
		return OB_EIO;
	f = ob_scrub_sniff(head, n);
	if (f == NULL)
		return OB_EUNSUPP;
	if (lseek(in, 0, SEEK_SET) != 0)
		return OB_EIO;
	deeper.max_depth--;
	return f->scrub(in, out, &deeper, rep);
}
