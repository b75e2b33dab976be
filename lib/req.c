#include "lib/req.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "lib/router.h"
#include "lib/util.h"

#define HEADERS_MAX (16 * 1024)
#define BODY_BUF_MAX (4u * 1024 * 1024)
#define URI_MAX 8192

static bool
is_tchar(unsigned char c)
{
	/* RFC 9110 token characters. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

static bool
is_token(const char *s, size_t max)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if (n >= max || !is_tchar((unsigned char)s[n]))
			return false;
	return n > 0;
}

static const char *
param_or_empty(struct ob_req *r, const char *name)
{
	const char *v = r->io->param(r->io->arg, name);

	return v ? v : "";
}

/*
 * Request ids: a random number drawn once per process, then a counter,
 * so that ids are unique across children without a getrandom(2) per
 * request.  Children never share the draw: it happens on their first
 * request, after the fork.
 */
static void
make_rid(char rid[17])
{
	static uint32_t prefix, counter;
	static bool drawn;

	if (!drawn) {
		prefix = randombytes_random();
		drawn = true;
	}
	snprintf(rid, 17, "%08" PRIx32 "%08" PRIx32, prefix, ++counter);
}

int
ob_req_begin(struct ob_req *r, struct ob_arena *a, const struct ob_req_io *io,
    uint64_t body_max)
{
	const char *uri, *q, *cl;

	memset(r, 0, sizeof(*r));
	r->arena = a;
	r->io = io;
	r->status = 200;
	r->body_max = body_max;
	ob_buf_init(&r->headers, HEADERS_MAX);
	ob_buf_init(&r->body, BODY_BUF_MAX);
	make_rid(r->rid);
	r->method = "-";
	r->uri = r->path = "/";
	r->query = r->content_type = "";

	r->method = ob_arena_strdup(a, param_or_empty(r, "REQUEST_METHOD"));
	if (!is_token(r->method, 16))
		return OB_EINVAL;
	r->head_only = strcmp(r->method, "HEAD") == 0;

	uri = param_or_empty(r, "REQUEST_URI");
	if (uri[0] != '/' || strlen(uri) > URI_MAX)
		return OB_EINVAL;
	for (const char *p = uri; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return OB_EINVAL;
	r->uri = ob_arena_strdup(a, uri);
	q = strchr(r->uri, '?');
	if (q != NULL) {
		r->path = ob_arena_strndup(a, r->uri, (size_t)(q - r->uri));
		r->query = q + 1;
	} else {
		r->path = r->uri;
	}

	r->content_type = ob_arena_strdup(a, param_or_empty(r, "CONTENT_TYPE"));
	cl = param_or_empty(r, "CONTENT_LENGTH");
	if (cl[0] != '\0' &&
	    ob_parse_u64(cl, 0, UINT64_MAX / 2, &r->content_length) != 0)
		return OB_EINVAL;
	return 0;
}

void
ob_req_end(struct ob_req *r)
{
	ob_buf_release(&r->headers);
	ob_buf_release_secret(&r->body);
}

const char *
ob_req_param(const struct ob_req *r, const char *name)
{
	return r->io->param(r->io->arg, name);
}

const char *
ob_req_path_param(const struct ob_req *r, const char *name)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (strcmp(r->param_names[i], name) == 0)
			return r->param_values[i];
	return NULL;
}

const char *
ob_req_cookie(struct ob_req *r, const char *name)
{
	if (!r->cookies_parsed) {
		const char *h = r->io->param(r->io->arg, "HTTP_COOKIE");

		r->cookies_parsed = true;
		if (h == NULL ||
		    ob_cookies_parse(r->arena, h, &r->cookies) != 0) {
			r->cookies.list = NULL;
			r->cookies.n = 0;
		}
	}
	return ob_cookies_get(&r->cookies, name);
}

int
ob_req_read(struct ob_req *r, char *buf, size_t n, size_t *got)
{
	uint64_t left;
	ssize_t k;

	*got = 0;
	if (r->content_length > r->body_max)
		return OB_ETOOBIG;
	left = r->content_length - r->body_read;
	if (left == 0 || n == 0)
		return 0;
	if (n > left)
		n = (size_t)left;
	k = r->io->read(r->io->arg, buf, n);
	if (k < 0)
		return OB_EIO;
	if (k == 0) {
		/* The body ended before Content-Length: a broken request. */
		return OB_EIO;
	}
	r->body_read += (uint64_t)k;
	*got = (size_t)k;
	return 0;
}

int
ob_req_read_body(struct ob_req *r, size_t max, char **out, size_t *len)
{
	size_t want, have = 0, got;
	char *data;
	int rc;

	if (r->content_length > max || r->content_length > r->body_max)
		return OB_ETOOBIG;
	want = (size_t)r->content_length;
	data = ob_arena_alloc(r->arena, want + 1);
	while (have < want) {
		if ((rc = ob_req_read(r, data + have, want - have, &got)) != 0)
			return rc;
		if (got == 0)
			return OB_EIO;
		have += got;
	}
	data[have] = '\0';
	*out = data;
	*len = have;
	return 0;
}

void
ob_req_status(struct ob_req *r, int status)
{
	r->status = status;
}

int
ob_req_header(struct ob_req *r, const char *name, const char *value)
{
	int rc;

	if (r->headers_sent || !is_token(name, 64))
		return OB_EINVAL;
	for (const char *p = value; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return OB_EINVAL;
	if ((rc = ob_buf_printf(&r->headers, "%s: %s\r\n", name, value)) != 0)
		return rc;
	return 0;
}

void
ob_req_header_must(struct ob_req *r, const char *name, const char *value)
{
	if (ob_req_header(r, name, value) != 0)
		ob_log_error(r->rid, "response header %s refused", name);
}

static int
out(struct ob_req *r, const char *p, size_t n)
{
	if (r->io_failed)
		return OB_EIO;
	if (n > 0 && r->io->write(r->io->arg, p, n) != 0) {
		r->io_failed = true;
		return OB_EIO;
	}
	return 0;
}

static int
send_head(struct ob_req *r, bool with_length)
{
	struct ob_buf h = OB_BUF_INIT(HEADERS_MAX + 256);
	int rc;

	rc = ob_buf_printf(
	    &h, "Status: %d %s\r\n", r->status, ob_status_text(r->status));
	if (rc == 0 && with_length)
		rc = ob_buf_printf(&h, "Content-Length: %zu\r\n", r->body.len);
	if (rc == 0)
		rc = ob_buf_append(
		    &h, r->headers.data ? r->headers.data : "", r->headers.len);
	if (rc == 0)
		rc = ob_buf_puts(&h, "\r\n");
	if (rc == 0)
		rc = out(r, h.data, h.len);
	ob_buf_release(&h);
	r->headers_sent = true;
	return rc;
}

int
ob_req_send_headers(struct ob_req *r)
{
	int rc;

	if (r->headers_sent)
		return 0;
	if ((rc = send_head(r, false)) != 0)
		return rc;
	if (r->body.len > 0 && !r->head_only)
		rc = out(r, r->body.data, r->body.len);
	ob_buf_reset(&r->body);
	return rc;
}

int
ob_req_write(struct ob_req *r, const void *p, size_t n)
{
	if (r->headers_sent)
		return r->head_only ? 0 : out(r, p, n);
	return ob_buf_append(&r->body, p, n);
}

int
ob_req_puts(struct ob_req *r, const char *s)
{
	return ob_req_write(r, s, strlen(s));
}

int
ob_req_finish(struct ob_req *r)
{
	int rc;

	if (r->headers_sent)
		return r->io_failed ? OB_EIO : 0;
	if ((rc = send_head(r, true)) != 0)
		return rc;
	if (!r->head_only && r->body.len > 0)
		rc = out(r, r->body.data, r->body.len);
	ob_buf_reset(&r->body);
	return rc;
}

void
ob_req_discard(struct ob_req *r)
{
	if (r->headers_sent)
		return;
	ob_buf_reset(&r->headers);
	ob_buf_reset(&r->body);
	r->status = 200;
}

const char *
ob_status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 204:
		return "No Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 422:
		return "Unprocessable Content";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Unknown";
	}
}
