/*
 * fakereq.h - drives a struct ob_req without libfcgi: parameters from a
 * table, the body from memory, the response into a buffer.
 */
#ifndef OB_FAKEREQ_H
#define OB_FAKEREQ_H

#include <string.h>
#include <sys/types.h>

#include "lib/buf.h"
#include "lib/req.h"

struct fake {
	const char *const *params; /* name, value, ..., NULL */
	const char *body;
	size_t body_len, body_off;
	size_t read_chunk; /* 0: as much as asked */
	struct ob_buf out;
	struct ob_req_io io;
};

static const char *
fake_param(void *arg, const char *name)
{
	struct fake *f = arg;

	for (size_t i = 0; f->params[i] != NULL; i += 2)
		if (strcmp(f->params[i], name) == 0)
			return f->params[i + 1];
	return NULL;
}

static ssize_t
fake_read(void *arg, char *buf, size_t n)
{
	struct fake *f = arg;
	size_t left = f->body_len - f->body_off;

	if (f->read_chunk && n > f->read_chunk)
		n = f->read_chunk;
	if (n > left)
		n = left;
	memcpy(buf, f->body + f->body_off, n);
	f->body_off += n;
	return (ssize_t)n;
}

static int
fake_write(void *arg, const char *buf, size_t n)
{
	struct fake *f = arg;

	return ob_buf_append(&f->out, buf, n) == 0 ? 0 : -1;
}

static void
fake_init(struct fake *f, const char *const *params, const char *body,
    size_t body_len)
{
	memset(f, 0, sizeof(*f));
	f->params = params;
	f->body = body ? body : "";
	f->body_len = body_len;
	ob_buf_init(&f->out, 1 << 20);
	f->io.param = fake_param;
	f->io.read = fake_read;
	f->io.write = fake_write;
	f->io.arg = f;
}

#endif
