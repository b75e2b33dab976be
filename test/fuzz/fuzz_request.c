/*
 * fuzz_request - a whole request as a pool child sees it: parameters
 * (method, URI, content type, cookie) and a body, through ob_req_begin,
 * the router and declared-field parsing.  Input: four '\n'-terminated
 * lines (method, URI, content type, cookie header), then the body.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/router.h"
#include "lib/util.h"
#include "test/unit/fakereq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
h(struct ob_req *r)
{
	(void)r;
	return 0;
}

static const struct ob_field_spec fields[] = {
	{ "description", 4096 },
	{ "lang", 8 },
	{ "return", 256 },
	{ NULL, 0 },
};

static const struct ob_route routes[] = {
	OB_ROUTE(GET, "/", h, PUBLIC, NULL),
	OB_ROUTE(POST, "/lang", h, PUBLIC, fields),
	OB_ROUTE(GET, "/t/{slug}/", h, PUBLIC, fields),
	OB_ROUTE(POST, "/t/{slug}/report", h, PUBLIC, fields),
	OB_ROUTE(GET, "/cases/{id}/files/{fid}", h, HANDLER, NULL),
	OB_ROUTE_RAW(POST, "/t/{slug}/case/files", h, REPORTER),
};

static struct ob_arena arena;

/* Takes the next line of [*p, end) as a NUL-terminated copy. */
static char *
line(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	char *s = ob_arena_strndup(&arena, (const char *)*p, n);

	*p = nl ? nl + 1 : end;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	const uint8_t *p = data, *end = data + size;
	const char *params[13];
	char len[24];
	struct ob_buf allow = OB_BUF_INIT(128);
	struct fake f;
	struct ob_req r;

	if (!init) {
		ob_arena_init(&arena, 64u << 20);
		init = true;
	}
	ob_arena_reset(&arena);
	params[0] = "REQUEST_METHOD";
	params[1] = line(&p, end);
	params[2] = "REQUEST_URI";
	params[3] = line(&p, end);
	params[4] = "CONTENT_TYPE";
	params[5] = line(&p, end);
	params[6] = "HTTP_COOKIE";
	params[7] = line(&p, end);
	params[8] = "CONTENT_LENGTH";
	snprintf(len, sizeof(len), "%zu", (size_t)(end - p));
	params[9] = len;
	params[10] = NULL;

	fake_init(&f, params, (const char *)p, (size_t)(end - p));
	if (ob_req_begin(&r, &arena, &f.io, 1 << 20) == 0) {
		(void)ob_req_cookie(&r, "__Host-ombud-lang");
		if (ob_router_match(routes, OB_NELEM(routes), &r, &allow) ==
			0 &&
		    ob_router_fields(&r) == 0) {
			/* Invariant: only declared fields survive, and the
			 * anti-forgery field of a POST. */
			for (size_t i = 0; i < r.form.n; i++) {
				bool declared = strcmp(r.method, "POST") == 0 &&
				    strcmp(r.form.fields[i].name, "csrf") == 0;

				for (size_t j = 0;
				     r.route->fields && r.route->fields[j].name;
				     j++)
					if (strcmp(r.route->fields[j].name,
						r.form.fields[i].name) == 0)
						declared = true;
				if (!declared)
					abort();
			}
		}
	}
	ob_req_end(&r);
	ob_buf_release(&allow);
	ob_buf_release(&f.out);
	return 0;
}
