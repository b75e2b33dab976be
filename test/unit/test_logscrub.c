#include "lib/logscrub.h"

#include <string.h>

#include "test/unit/check.h"

/* Scrubs s into a fresh buffer; the caller releases it. */
static const char *
scrub(struct ob_buf *b, const char *s)
{
	ob_buf_init(b, 1 << 16);
	if (ob_logscrub_line(s, strlen(s), b) != 0)
		return NULL;
	return ob_buf_cstr(b);
}

struct tcase {
	const char *in;
	const char *want;
};

/*
 * Lines as nginx 1.22 writes them (taken from the stack's error log
 * before filtering, with documentation addresses swapped in).
 */
static const struct tcase cases[] = {
	/* A pool is down: the line every stopped pool produces. */
	{ "2024/05/06 10:11:12 [error] 1234#1234: *5 connect() to "
	  "unix:/srv/ombud/var/run/cases.sock failed (111: Connection "
	  "refused) while connecting to upstream, client: 127.0.0.1, "
	  "server: localhost, request: \"GET /cases/12?sort=date&q=fraud "
	  "HTTP/1.1\", upstream: "
	  "\"fastcgi://unix:/srv/ombud/var/run/cases.sock:\", host: "
	  "\"localhost:8443\", referrer: "
	  "\"https://localhost:8443/cases?x=1\"",
	    "2024/05/06 10:11:12 [error] 1234#1234: *5 connect() to "
	    "unix:/srv/ombud/var/run/cases.sock failed (111: Connection "
	    "refused) while connecting to upstream, server: localhost, "
	    "request: \"GET /cases/12 HTTP/1.1\", upstream: "
	    "\"fastcgi://unix:/srv/ombud/var/run/cases.sock:\", host: "
	    "\"localhost:8443\"" },
	{ "2024/05/06 10:11:13 [error] 1234#1234: *7 client intended to "
	  "send too large body: 2097152 bytes, client: 203.0.113.77, "
	  "server: localhost, request: \"POST /t/acme/case HTTP/1.1\", "
	  "host: \"localhost:8443\"\n",
	    "2024/05/06 10:11:13 [error] 1234#1234: *7 client intended to "
	    "send too large body: 2097152 bytes, server: localhost, "
	    "request: \"POST /t/acme/case HTTP/1.1\", host: "
	    "\"localhost:8443\"\n" },
	/* TLS errors carry the client and the listening address. */
	{ "2024/05/06 10:11:14 [crit] 1234#1234: *9 SSL_do_handshake() "
	  "failed (SSL: error:0A00006C:SSL routines::bad key share) while "
	  "SSL handshaking, client: 2001:db8::77, server: [::1]:8443",
	    "2024/05/06 10:11:14 [crit] 1234#1234: *9 SSL_do_handshake() "
	    "failed (SSL: error:0A00006C:SSL routines::bad key share) while "
	    "SSL handshaking, server: [addr]:8443" },
	{ "2024/05/06 10:11:14 [info] 99#99: *2 SSL_do_handshake() failed "
	  "(SSL: error:0A000102:SSL routines::unsupported protocol) while "
	  "SSL handshaking, client: 198.51.100.23, server: 127.0.0.1:8443",
	    "2024/05/06 10:11:14 [info] 99#99: *2 SSL_do_handshake() failed "
	    "(SSL: error:0A000102:SSL routines::unsupported protocol) while "
	    "SSL handshaking, server: [addr]:8443" },
	/* IPv6 client, and a referrer trying to fake further fields. */
	{ "2024/05/06 10:11:15 [error] 7#7: *3 upstream prematurely closed "
	  "FastCGI stdout while reading response header from upstream, "
	  "client: ::1, server: localhost, request: \"POST /auth/login "
	  "HTTP/1.1\", upstream: \"fastcgi://unix:/v/run/auth.sock:\", "
	  "host: \"localhost:8443\", referrer: \"https://evil.example/\", "
	  "client: x\", host: \"a\"",
	    "2024/05/06 10:11:15 [error] 7#7: *3 upstream prematurely closed "
	    "FastCGI stdout while reading response header from upstream, "
	    "server: localhost, request: \"POST /auth/login HTTP/1.1\", "
	    "upstream: \"fastcgi://unix:/v/run/auth.sock:\", host: "
	    "\"localhost:8443\"" },
	{ "2024/05/06 10:11:16 [warn] 7#7: *4 a client request body is "
	  "buffered to a temporary file /v/nginx/tmp/body/0000000001, "
	  "client: ::ffff:192.0.2.9, server: localhost, request: \"POST "
	  "/t/acme/case/files?step=2 HTTP/1.1\", host: \"localhost:8443\"",
	    "2024/05/06 10:11:16 [warn] 7#7: *4 a client request body is "
	    "buffered to a temporary file /v/nginx/tmp/body/0000000001, "
	    "server: localhost, request: \"POST /t/acme/case/files "
	    "HTTP/1.1\", host: \"localhost:8443\"" },
	/* Formats without "client:" are caught by the address pass. */
	{ "2024/05/06 10:11:17 [info] 7#7: *6 client 192.0.2.1 closed "
	  "keepalive connection",
	    "2024/05/06 10:11:17 [info] 7#7: *6 client [addr] closed "
	    "keepalive connection" },
	{ "2024/05/06 10:11:17 [info] 7#7: *6 client 2001:db8:0:1::5 closed "
	  "keepalive connection (104: Connection reset by peer)",
	    "2024/05/06 10:11:17 [info] 7#7: *6 client [addr] closed "
	    "keepalive connection (104: Connection reset by peer)" },
	{ "connect() to [2001:db8::5]:9000 failed",
	    "connect() to [addr]:9000 failed" },
	{ "peer fe80::1%eth0 and ::ffff:198.51.100.4 reset",
	    "peer [addr] and [addr] reset" },
	{ "glued client:2001:db8::1, next", "glued client:[addr], next" },
	{ "bound 0.0.0.0:8443 and [::]:8443",
	    "bound [addr]:8443 and [::]:8443" },
	/* HTTP/0.9-style request line without protocol. */
	{ "x, request: \"GET /a?receipt=ABCD-EFGH\", host: \"h\"",
	    "x, request: \"GET /a\", host: \"h\"" },
	{ "x, request: \"GET /a?b", "x, request: \"GET /a" },
	{ "x, subrequest: \"/s?q=1\"", "x, subrequest: \"/s\"" },
	/* Dotted quads however embedded; the whole digit run goes. */
	{ "v1.2.3.4.5 x1234.5.6.78y 10.0.0.1:80",
	    "v[addr] x[addr]y [addr]:80" },
	/* Not addresses: kept. */
	{ "nginx/1.22.1 at 12:34:56 on 2024/05/06 ids a:b 1.2.3 ::",
	    "nginx/1.22.1 at 12:34:56 on 2024/05/06 ids a:b 1.2.3 ::" },
	{ "std::bad_alloc beef::cafe", "std::bad_alloc [addr]" },
	{ "", "" },
	{ "\n", "\n" },
	{ ", client: ", "" },
	{ ", client: 1.2.3.4", "" },
};

int
main(void)
{
	struct ob_buf b;

	for (size_t i = 0; i < OB_NELEM(cases); i++) {
		const char *got = scrub(&b, cases[i].in);

		if (got == NULL || strcmp(got, cases[i].want) != 0)
			fprintf(stderr, "case %zu\n", i);
		CHECK_STR(got, cases[i].want);
		ob_buf_release(&b);
	}

	/* Bytes are bytes: NULs pass through, the length says where. */
	{
		static const char in[] = "a\0b 192.0.2.1\0c";

		ob_buf_init(&b, 100);
		CHECK_INT(ob_logscrub_line(in, sizeof(in) - 1, &b), 0);
		CHECK_INT(b.len, 12);
		CHECK(memcmp(b.data, "a\0b [addr]\0c", 12) == 0);
		ob_buf_release(&b);
	}

	/* Appends; on ETOOBIG out is left as it was. */
	{
		ob_buf_init(&b, 16);
		CHECK_INT(ob_buf_puts(&b, "keep|"), 0);
		CHECK_INT(ob_logscrub_line("10.0.0.1", 8, &b), 0);
		CHECK_STR(ob_buf_cstr(&b), "keep|[addr]");
		CHECK_INT(ob_logscrub_line("0123456789", 10, &b), OB_ETOOBIG);
		CHECK_STR(ob_buf_cstr(&b), "keep|[addr]");
		ob_buf_release(&b);
	}

	/* Worst-case growth stays within the documented 2 * n + 8. */
	{
		static const char in[] = "::1 ::1 ::1 ::1";

		ob_buf_init(&b, 2 * (sizeof(in) - 1) + 8);
		CHECK_INT(ob_logscrub_line(in, sizeof(in) - 1, &b), 0);
		CHECK_STR(ob_buf_cstr(&b), "[addr] [addr] [addr] [addr]");
		ob_buf_release(&b);
	}
	return CHECK_DONE();
}
