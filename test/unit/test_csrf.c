#include "lib/csrf.h"

#include <fcntl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/arena.h"
#include "test/unit/check.h"
#include "test/unit/fakereq.h"

static struct ob_arena arena;

static bool
url_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
			(*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
			return false;
	return true;
}

static void
test_session(void)
{
	struct ob_token a, b;
	char ta[OB_CSRF_STRLEN + 1], ta2[OB_CSRF_STRLEN + 1];
	char tb[OB_CSRF_STRLEN + 1], enc[OB_TOKEN_STRLEN + 1];
	char bad[OB_CSRF_STRLEN + 2];

	ob_token_new(&a);
	ob_token_new(&b);
	ob_csrf_for_session(&a, ta);
	ob_csrf_for_session(&a, ta2);
	ob_csrf_for_session(&b, tb);
	CHECK_INT(strlen(ta), OB_CSRF_STRLEN);
	CHECK(url_safe(ta));
	CHECK_STR(ta, ta2); /* stable for the session */
	CHECK(strcmp(ta, tb) != 0);

	CHECK_INT(ob_csrf_check_session(&a, ta), 0);
	CHECK_INT(ob_csrf_check_session(&b, tb), 0);
	/* Another session's token. */
	CHECK_INT(ob_csrf_check_session(&a, tb), OB_EPERM);
	CHECK_INT(ob_csrf_check_session(&b, ta), OB_EPERM);
	/* Missing, empty, truncated, extended, altered. */
	CHECK_INT(ob_csrf_check_session(&a, NULL), OB_EPERM);
	CHECK_INT(ob_csrf_check_session(&a, ""), OB_EPERM);
	memcpy(bad, ta, sizeof(ta));
	bad[OB_CSRF_STRLEN - 1] = '\0';
	CHECK_INT(ob_csrf_check_session(&a, bad), OB_EPERM);
	memcpy(bad, ta, OB_CSRF_STRLEN);
	bad[OB_CSRF_STRLEN] = 'A';
	bad[OB_CSRF_STRLEN + 1] = '\0';
	CHECK_INT(ob_csrf_check_session(&a, bad), OB_EPERM);
	memcpy(bad, ta, sizeof(ta));
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	CHECK_INT(ob_csrf_check_session(&a, bad), OB_EPERM);
	/* The session cookie itself is not the form token. */
	ob_token_encode(&a, enc);
	CHECK_INT(ob_csrf_check_session(&a, enc), OB_EPERM);

	ob_token_wipe(&a);
	ob_token_wipe(&b);
}

/* A request with the given Cookie header (NULL: none). */
static void
begin(struct ob_req *r, struct fake *f, const char **params, const char *cookie)
{
	params[0] = "REQUEST_METHOD";
	params[1] = "POST";
	params[2] = "REQUEST_URI";
	params[3] = "/t/acme/report";
	params[4] = cookie ? "HTTP_COOKIE" : NULL;
	params[5] = cookie;
	params[6] = NULL;
	fake_init(f, params, NULL, 0);
	ob_arena_reset(&arena);
	CHECK_INT(ob_req_begin(r, &arena, &f->io, 1024), 0);
}

static void
end(struct ob_req *r, struct fake *f)
{
	ob_buf_release(&f->out);
	ob_req_end(r);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* The value of the CSRF cookie the response sets, into out. */
static bool
set_cookie_value(const struct ob_req *r, char out[OB_TOKEN_STRLEN + 1])
{
	const char *h = ob_buf_cstr(&r->headers);
	const char *p = strstr(h, "Set-Cookie: " OB_CSRF_COOKIE "=");
	const char *e;

	if (p == NULL)
		return false;
	p += strlen("Set-Cookie: " OB_CSRF_COOKIE "=");
	if ((e = strchr(p, ';')) == NULL || e - p != OB_TOKEN_STRLEN)
		return false;
	memcpy(out, p, OB_TOKEN_STRLEN);
	out[OB_TOKEN_STRLEN] = '\0';
	return true;
}

static void
test_anon(void)
{
	const char *params[8];
	char cookie[OB_TOKEN_STRLEN + 1], hdr[256];
	char tok[OB_CSRF_STRLEN + 1], tok2[OB_CSRF_STRLEN + 1];
	char other[OB_CSRF_STRLEN + 1];
	unsigned char key[OB_CSRF_KEY_BYTES];
	struct ob_req r;
	struct fake f;
	const char *h;

	randombytes_buf(key, sizeof(key));
	ob_csrf_anon_init(key);

	/* First visit: a new cookie with every attribute, and a token. */
	begin(&r, &f, params, NULL);
	CHECK_INT(ob_csrf_anon_check(&r, "x"), OB_EPERM);
	CHECK_INT(ob_csrf_anon_token(&r, tok), 0);
	CHECK_INT(strlen(tok), OB_CSRF_STRLEN);
	CHECK(url_safe(tok));
	h = ob_buf_cstr(&r.headers);
	CHECK(set_cookie_value(&r, cookie));
	CHECK(strstr(h, "; Path=/; Secure; HttpOnly; SameSite=Strict\r\n") !=
	    NULL);
	CHECK(strstr(h, "Max-Age") == NULL); /* a session cookie */
	CHECK(strstr(h, "Domain") == NULL);
	CHECK(strstr(cookie, tok) == NULL);
	/* A second form on the same page: same token, one header. */
	CHECK_INT(ob_csrf_anon_token(&r, tok2), 0);
	CHECK_STR(tok2, tok);
	CHECK_INT(count(ob_buf_cstr(&r.headers), "Set-Cookie:"), 1);
	end(&r, &f);

	/* Coming back with that cookie: the token validates, no new cookie. */
	snprintf(hdr, sizeof(hdr), "lang=da; %s=%s", OB_CSRF_COOKIE, cookie);
	begin(&r, &f, params, hdr);
	CHECK_INT(ob_csrf_anon_check(&r, tok), 0);
	CHECK_INT(ob_csrf_anon_token(&r, tok2), 0);
	CHECK_STR(tok2, tok);
	CHECK(strstr(ob_buf_cstr(&r.headers), "Set-Cookie") == NULL);
	/* Wrong, missing, truncated tokens. */
	CHECK_INT(ob_csrf_anon_check(&r, NULL), OB_EPERM);
	CHECK_INT(ob_csrf_anon_check(&r, ""), OB_EPERM);
	CHECK_INT(ob_csrf_anon_check(&r, cookie), OB_EPERM);
	memcpy(tok2, tok, sizeof(tok));
	tok2[OB_CSRF_STRLEN - 1] = '\0';
	CHECK_INT(ob_csrf_anon_check(&r, tok2), OB_EPERM);
	end(&r, &f);

	/* Another browser's cookie: its own token, and not ours. */
	begin(&r, &f, params, NULL);
	CHECK_INT(ob_csrf_anon_token(&r, other), 0);
	CHECK(strcmp(other, tok) != 0);
	end(&r, &f);
	begin(&r, &f, params, hdr);
	CHECK_INT(ob_csrf_anon_check(&r, other), OB_EPERM);
	end(&r, &f);

	/* An attacker-chosen cookie value with a token made for another. */
	snprintf(hdr, sizeof(hdr), "%s=%s", OB_CSRF_COOKIE,
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	begin(&r, &f, params, hdr);
	CHECK_INT(ob_csrf_anon_check(&r, tok), OB_EPERM);
	CHECK_INT(ob_csrf_anon_check(&r, other), OB_EPERM);
	/* A well-formed cookie is kept, whoever chose it. */
	CHECK_INT(ob_csrf_anon_token(&r, tok2), 0);
	CHECK(strstr(ob_buf_cstr(&r.headers), "Set-Cookie") == NULL);
	CHECK_INT(ob_csrf_anon_check(&r, tok2), 0);
	end(&r, &f);

	/* A malformed cookie is replaced and never validates. */
	snprintf(hdr, sizeof(hdr), "%s=short", OB_CSRF_COOKIE);
	begin(&r, &f, params, hdr);
	CHECK_INT(ob_csrf_anon_check(&r, tok), OB_EPERM);
	CHECK_INT(ob_csrf_anon_token(&r, tok2), 0);
	CHECK(set_cookie_value(&r, cookie));
	CHECK_INT(ob_csrf_anon_check(&r, tok2), 0);
	end(&r, &f);

	/* Tokens do not survive a new key (or come from another one). */
	snprintf(hdr, sizeof(hdr), "%s=%s", OB_CSRF_COOKIE, cookie);
	key[0] ^= 1;
	ob_csrf_anon_init(key);
	begin(&r, &f, params, hdr);
	CHECK_INT(ob_csrf_anon_check(&r, tok2), OB_EPERM);
	end(&r, &f);
	sodium_memzero(key, sizeof(key));
}

static void
test_key_file(void)
{
	char dir[] = "/tmp/ob-csrf-XXXXXX", path[256];
	struct ob_buf err = OB_BUF_INIT(512);
	unsigned char raw[OB_CSRF_KEY_BYTES];
	int fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/csrf.key", dir);
	CHECK_INT(ob_csrf_anon_load(path, &err), OB_ENOENT);
	CHECK_INT(ob_csrf_anon_create(path, &err), 0);
	CHECK_INT(ob_csrf_anon_create(path, &err), OB_EIO);
	ob_buf_reset(&err);
	CHECK_INT(ob_csrf_anon_load(path, &err), 0);
	CHECK(chmod(path, 0640) == 0);
	CHECK_INT(ob_csrf_anon_load(path, &err), OB_EPERM);
	CHECK(unlink(path) == 0);

	/* 32 raw bytes load; all zeros and other sizes do not. */
	randombytes_buf(raw, sizeof(raw));
	raw[0] = 0xff; /* not hex */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0 && write(fd, raw, sizeof(raw)) == (ssize_t)sizeof(raw));
	close(fd);
	CHECK_INT(ob_csrf_anon_load(path, &err), 0);
	CHECK(unlink(path) == 0);
	memset(raw, 0, sizeof(raw));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0 && write(fd, raw, sizeof(raw)) == (ssize_t)sizeof(raw));
	close(fd);
	CHECK_INT(ob_csrf_anon_load(path, &err), OB_EINVAL);
	CHECK(unlink(path) == 0);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0 && write(fd, "abc\n", 4) == 4);
	close(fd);
	CHECK_INT(ob_csrf_anon_load(path, &err), OB_EINVAL);
	CHECK(strstr(ob_buf_cstr(&err), path) != NULL);
	CHECK(unlink(path) == 0);
	CHECK(rmdir(dir) == 0);
	ob_buf_release(&err);
}

int
main(void)
{
	if (ob_crypto_init() != 0)
		return 1;
	ob_arena_init(&arena, 1 << 20);
	test_session();
	test_anon();
	test_key_file();
	ob_arena_release(&arena);
	return CHECK_DONE();
}
