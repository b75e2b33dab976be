#include "lib/scrub/scrub.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
	ssize_t n;

	if (lim->max_depth == 0) {
		ob_scrub_note(rep, "refused", "files nested too deeply");
		return OB_ETOOBIG;
	}
	do
		n = pread(in, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return OB_EIO;
	f = ob_scrub_sniff(head, (size_t)n);
	if (f == NULL)
		return OB_EUNSUPP;
	if (lseek(in, 0, SEEK_SET) != 0)
		return OB_EIO;
	deeper.max_depth--;
	return f->scrub(in, out, &deeper, rep);
}
