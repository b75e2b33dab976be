#include "lib/mail.h"

#include <curl/curl.h>
#include <errno.h>
#include <glib.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/crypto.h"
#include "lib/util.h"

#define ADDR_MAX 254
#define ID_MAX 64
#define PASSWORD_MAX 1024
/* An OAuth 2.0 access token: Entra ID's are 1.5-3 KB. */
#define TOKEN_MAX (16 * 1024)
/* RFC 5322 2.1.1: lines SHOULD stay within 78 characters, MUST within
 * 998; RFC 2045 6.7: quoted-printable lines within 76. */
#define FOLD 78
#define LINE_MAX_7BIT 998
#define QP_LINE 76
/*
 * UTF-8 bytes per RFC 2047 encoded word: 42 bytes are 56 base64
 * characters, so "Subject: =?UTF-8?B?...?=" is 77 columns and every
 * word stays under the 75-character limit of RFC 2047 2.
 */
#define EW_BYTES 42
/* A word of a plain subject longer than this is sent encoded, which
 * can be folded anywhere. */
#define PLAIN_WORD_MAX 60

static int
url_problem(const char *url, bool *implicit_tls, const char **why)
{
	CURLU *u = curl_url();
	char *part = NULL;
	int rc = OB_ECONFIG;

	if (u == NULL)
		ob_die("curl_url");
	*implicit_tls = ob_startswith(url, "smtps://");
	if (!*implicit_tls && !ob_startswith(url, "smtp://")) {
		*why = "smtp:// or smtps:// only";
		goto out;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		*why = "not a URL";
		goto out;
	}
	/* The config text is no place for a secret (password_file is). */
	if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_OPTIONS, &part, 0) == CURLUE_OK) {
		*why = "no user or password in the URL: use user and "
		       "password_file";
		goto out;
	}
	if (curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
		*why = "no query or fragment";
		goto out;
	}
	rc = 0;
out:
	curl_free(part);
	curl_url_cleanup(u);
	return rc;
}

/*
 * Reads a one-line secret (a password, a bearer token) of at most cap
 * bytes into guarded memory at *out, without its newline.  *out is set
 * even on error: free it with sodium_free.
 */
static int
read_secret_line(const char *path, size_t cap, char **out, struct ob_buf *why)
{
	size_t len = 0;
	char *s;
	int rc;

	s = *out = sodium_malloc(cap + 1);
	if (s == NULL)
		ob_die("sodium_malloc");
	if ((rc = ob_secret_file_read(path, s, cap, &len, why)) != 0) {
		s[0] = '\0';
		return rc;
	}
	if (len > 0 && s[len - 1] == '\n')
		len--;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	s[len] = '\0';
	if (len == 0 || strlen(s) != len || strpbrk(s, "\r\n") != NULL) {
		ob_buf_errf(why, "%s: one line, not empty, no NUL bytes", path);
		sodium_memzero(s, cap + 1);
		return OB_EINVAL;
	}
	return 0;
}

int
ob_mail_config_load(
    const struct ob_config *cfg, struct ob_mail_config *out, struct ob_buf *err)
{
	static const char *const keys[] = { "url", "from", "starttls", "user",
		"password_file", "bearer_file", "ca_file", "timeout_s", NULL };
	const char *file = ob_config_file(cfg), *starttls = NULL,
		   *pwfile = NULL, *bearer = NULL, *why = NULL;
	char *token = NULL;
	struct ob_buf reason = OB_BUF_INIT(512);
	bool implicit_tls = false;
	uint64_t timeout = 10;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = ob_config_only_keys(cfg, "mail", keys, err)) != 0 ||
	    (rc = ob_config_str(cfg, "mail", "url", &out->url, err)) != 0 ||
	    (rc = ob_config_str(cfg, "mail", "from", &out->from, err)) != 0 ||
	    (rc = ob_config_str_opt(
		 cfg, "mail", "starttls", "required", &starttls, err)) != 0 ||
	    (rc = ob_config_str_opt(
		 cfg, "mail", "user", "", &out->user, err)) != 0 ||
	    (rc = ob_config_str_opt(
		 cfg, "mail", "password_file", "", &pwfile, err)) != 0 ||
	    (rc = ob_config_str_opt(
		 cfg, "mail", "bearer_file", "", &bearer, err)) != 0 ||
	    (rc = ob_config_str_opt(
		 cfg, "mail", "ca_file", "", &out->ca_file, err)) != 0 ||
	    (rc = ob_config_uint_opt(
		 cfg, "mail", "timeout_s", 1, 120, 10, &timeout, err)) != 0)
		goto out;
	rc = OB_ECONFIG;
	/* The URL is not repeated: a mistaken one may hold a password. */
	if (url_problem(out->url, &implicit_tls, &why) != 0) {
		ob_buf_seterr(err, "config %s: [mail] url: %s", file, why);
		goto out;
	}
	if (!ob_mail_addr_valid(out->from)) {
		ob_buf_seterr(err,
		    "config %s: [mail] from: \"%s\" is not an address such "
		    "as ombud@example.org",
		    file, out->from);
		goto out;
	}
	if (strcmp(starttls, "required") != 0 &&
	    strcmp(starttls, "none") != 0) {
		ob_buf_seterr(err,
		    "config %s: [mail] starttls: \"%s\" is not required or "
		    "none",
		    file, starttls);
		goto out;
	}
	out->starttls = strcmp(starttls, "required") == 0;
	if (pwfile[0] != '\0' && bearer[0] != '\0') {
		ob_buf_seterr(err,
		    "config %s: [mail] bearer_file: either password_file or "
		    "bearer_file, not both",
		    file);
		goto out;
	}
	if ((out->user[0] == '\0') !=
	    (pwfile[0] == '\0' && bearer[0] == '\0')) {
		ob_buf_seterr(err, "config %s: [mail] %s: needed with %s", file,
		    out->user[0] == '\0' ? "user"
					 : "password_file (or bearer_file)",
		    out->user[0] == '\0'
			? (pwfile[0] ? "password_file" : "bearer_file")
			: "user");
		goto out;
	}
	if (out->user[0] != '\0' && !implicit_tls && !out->starttls) {
		ob_buf_seterr(err,
		    "config %s: [mail] %s: the %s would cross the network in "
		    "clear: use starttls = required or an smtps:// url",
		    file, pwfile[0] ? "password_file" : "bearer_file",
		    pwfile[0] ? "password" : "token");
		goto out;
	}
	if (out->ca_file[0] != '\0' && access(out->ca_file, R_OK) != 0) {
		ob_buf_seterr(err, "config %s: [mail] ca_file: %s: %s", file,
		    out->ca_file, strerror(errno));
		goto out;
	}
	if (pwfile[0] != '\0' &&
	    read_secret_line(pwfile, PASSWORD_MAX, &out->password, &reason) !=
		0) {
		ob_buf_seterr(err, "config %s: [mail] password_file: %s", file,
		    ob_buf_cstr(&reason));
		goto out;
	}
	/* Read now to catch a mistake at start; again for every message,
	 * since a job outside replaces the token before it expires. */
	if (bearer[0] != '\0' &&
	    read_secret_line(bearer, TOKEN_MAX, &token, &reason) != 0) {
		ob_buf_seterr(err, "config %s: [mail] bearer_file: %s", file,
		    ob_buf_cstr(&reason));
		goto out;
	}
	out->bearer_file = bearer[0] != '\0' ? bearer : NULL;
	if (out->user[0] == '\0')
		out->user = NULL;
	if (out->ca_file[0] == '\0')
		out->ca_file = NULL;
	out->timeout_s = (unsigned)timeout;
	rc = 0;
out:
	if (token != NULL)
		sodium_free(token);
	ob_buf_release(&reason);
	if (rc != 0)
		ob_mail_config_release(out);
	return rc;
}

void
ob_mail_config_release(struct ob_mail_config *c)
{
	if (c->password != NULL)
		sodium_free(c->password);
	c->password = NULL;
}

bool
ob_mail_addr_valid(const char *a)
{
	const char *at = strchr(a, '@');

	if (at == NULL || at == a || at[1] == '\0' ||
	    strchr(at + 1, '@') != NULL || strlen(a) > ADDR_MAX)
		return false;
	for (const char *p = a; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    strchr("<>()[]\\,;:\"", *p) != NULL)
			return false;
	return true;
}

static bool
valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= '0' && id[i] <= '9') ||
			(id[i] >= 'a' && id[i] <= 'z') ||
			(id[i] >= 'A' && id[i] <= 'Z')))
			return false;
	return true;
}

/* UTF-8 without control characters: CR and LF would start a header. */
static bool
valid_subject(const char *s)
{
	for (const char *p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return false;
	return g_utf8_validate(s, -1, NULL);
}

static int
put_date(struct ob_buf *out, time_t t)
{
	/* Not strftime: %a and %b follow the locale. */
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
		"Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
		"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		return OB_EINVAL;
	return ob_buf_printf(out,
	    "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
	    tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
}

/*
 * True when the subject can go as it is: printable ASCII, single spaces
 * between words of at most PLAIN_WORD_MAX, and nothing a reader would
 * take for an encoded word ("=?").
 */
static bool
subject_plain(const char *s)
{
	size_t word = 0;

	if (s[0] == ' ')
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		if ((unsigned char)*p >= 0x7f || (p[0] == '=' && p[1] == '?'))
			return false;
		if (*p == ' ' && (p[1] == ' ' || p[1] == '\0'))
			return false;
		word = *p == ' ' ? 0 : word + 1;
		if (word > PLAIN_WORD_MAX)
			return false;
	}
	return true;
}

/* Folds before a space (RFC 5322 2.2.3): unfolding restores the text. */
static int
put_subject_plain(struct ob_buf *out, const char *s)
{
	size_t col = strlen("Subject:");
	int rc = ob_buf_puts(out, "Subject:");

	while (rc == 0) {
		const char *sp = strchr(s, ' ');
		size_t n = sp != NULL ? (size_t)(sp - s) : strlen(s);

		if (col + 1 + n > FOLD) {
			rc = ob_buf_puts(out, "\r\n");
			col = 0;
		}
		if (rc == 0 && (rc = ob_buf_putc(out, ' ')) == 0)
			rc = ob_buf_append(out, s, n);
		col += 1 + n;
		if (sp == NULL)
			break;
		s = sp + 1;
	}
	return rc != 0 ? rc : ob_buf_puts(out, "\r\n");
}

/*
 * RFC 2047 "B" encoded words of at most EW_BYTES of UTF-8 each, one per
 * line; the folding white space between them is not part of the text
 * (RFC 2047 6.2), and no word splits a character (5 (3)).
 */
static int
put_subject_encoded(struct ob_buf *out, const char *s)
{
	char b64[sodium_base64_ENCODED_LEN(
	    EW_BYTES, sodium_base64_VARIANT_ORIGINAL)];
	size_t n = strlen(s);
	bool first = true;
	int rc = ob_buf_puts(out, "Subject:");

	while (rc == 0 && n > 0) {
		size_t k = n < EW_BYTES ? n : EW_BYTES;

		while (k < n && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)s, k,
		    sodium_base64_VARIANT_ORIGINAL);
		rc = ob_buf_printf(
		    out, "%s=?UTF-8?B?%s?=", first ? " " : "\r\n ", b64);
		first = false;
		s += k;
		n -= k;
	}
	return rc != 0 ? rc : ob_buf_puts(out, "\r\n");
}

/* ASCII text whose lines fit SMTP without 8BITMIME (RFC 5321 4.5.3.1.6). */
static bool
body_7bit(const char *b)
{
	size_t line = 0;

	for (const unsigned char *p = (const unsigned char *)b; *p != '\0';
	     p++) {
		if (*p == '\r' || *p == '\n') {
			line = 0;
			continue;
		}
		if (*p >= 0x7f || (*p < 0x20 && *p != '\t'))
			return false;
		if (++line > LINE_MAX_7BIT)
			return false;
	}
	return true;
}

/* Length of the line break at p (CRLF, LF or a lone CR), or 0. */
static size_t
line_break(const char *p)
{
	if (p[0] == '\r' && p[1] == '\n')
		return 2;
	return p[0] == '\r' || p[0] == '\n' ? 1 : 0;
}

static int
put_7bit(struct ob_buf *out, const char *b)
{
	int rc = 0;

	while (*b != '\0' && rc == 0) {
		size_t n = strcspn(b, "\r\n");

		if ((rc = ob_buf_append(out, b, n)) == 0)
			rc = ob_buf_puts(out, "\r\n");
		b += n;
		b += line_break(b);
	}
	return rc;
}

/* RFC 2045 6.7: quoted-printable, soft breaks within 76 columns. */
static int
put_qp(struct ob_buf *out, const char *b)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)b;
	size_t col = 0;
	int rc = 0;

	while (*p != '\0' && rc == 0) {
		size_t br = line_break((const char *)p), n = 1;
		char tok[3];

		if (br > 0) {
			rc = ob_buf_puts(out, "\r\n");
			col = 0;
			p += br;
			continue;
		}
		tok[0] = (char)*p;
		/* White space before a line end would be lost in transit. */
		if (!((*p >= 33 && *p <= 126 && *p != '=') ||
			((*p == ' ' || *p == '\t') && p[1] != '\0' &&
			    line_break((const char *)p + 1) == 0))) {
			tok[0] = '=';
			tok[1] = hex[*p >> 4];
			tok[2] = hex[*p & 15];
			n = 3;
		}
		if (col + n > QP_LINE - 1) {
			rc = ob_buf_puts(out, "=\r\n");
			col = 0;
		}
		if (rc == 0)
			rc = ob_buf_append(out, tok, n);
		col += n;
		p++;
	}
	if (rc == 0 && col > 0)
		rc = ob_buf_puts(out, "\r\n");
	return rc;
}

int
ob_mail_build(const char *from, const char *to, const char *subject,
    const char *body, time_t date, const char *id, struct ob_buf *out)
{
	bool plain;
	int rc;

	if (!ob_mail_addr_valid(from) || !ob_mail_addr_valid(to) ||
	    !valid_id(id) || (subject != NULL && !valid_subject(subject)) ||
	    !g_utf8_validate(body, -1, NULL))
		return OB_EINVAL;
	plain = body_7bit(body);
	if ((rc = put_date(out, date)) != 0 ||
	    (rc = ob_buf_printf(out, "From: %s\r\nTo: %s\r\n", from, to)) != 0)
		return rc;
	if (subject != NULL && subject[0] != '\0' &&
	    (rc = subject_plain(subject)
		    ? put_subject_plain(out, subject)
		    : put_subject_encoded(out, subject)) != 0)
		return rc;
	if ((rc = ob_buf_printf(out,
		 "Message-ID: <%s@%s>\r\n"
		 "MIME-Version: 1.0\r\n"
		 "Content-Type: text/plain; charset=utf-8\r\n"
		 "Content-Transfer-Encoding: %s\r\n"
		 "Auto-Submitted: auto-generated\r\n"
		 "\r\n",
		 id, strchr(from, '@') + 1,
		 plain ? "7bit" : "quoted-printable")) != 0)
		return rc;
	return plain ? put_7bit(out, body) : put_qp(out, body);
}

struct reader {
	const char *p;
	size_t left;
};

static size_t
read_message(char *dst, size_t size, size_t nmemb, void *arg)
{
	struct reader *r = arg;
	size_t n = size * nmemb < r->left ? size * nmemb : r->left;

	memcpy(dst, r->p, n);
	r->p += n;
	r->left -= n;
	return n;
}

/* Failures of the server or the way to it, not of one message. */
static bool
server_unusable(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_USE_SSL_FAILED:
	case CURLE_LOGIN_DENIED:
	case CURLE_AUTH_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
		return true;
	default:
		return false;
	}
}

int
ob_mail_send(const struct ob_mail_config *c, const char *to,
    const char *subject, const char *body, struct ob_buf *err)
{
	struct ob_buf msg = OB_BUF_INIT(OB_MAIL_MAX);
	struct ob_buf mfrom = OB_BUF_INIT(ADDR_MAX + 3);
	struct ob_buf rcpt = OB_BUF_INIT(ADDR_MAX + 3);
	struct curl_slist *rcpts = NULL;
	struct ob_buf why = OB_BUF_INIT(512);
	char *token = NULL;
	unsigned char rnd[16];
	char id[2 * sizeof(rnd) + 1];
	struct reader r;
	CURL *curl = NULL;
	CURLcode cc;
	long code = 0;
	int rc;

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(id, sizeof(id), rnd, sizeof(rnd));
	rc = ob_mail_build(c->from, to, subject, body, time(NULL), id, &msg);
	if (rc != 0) {
		ob_buf_seterr(err, "mail: %s",
		    rc == OB_ETOOBIG ? "the message is too long"
				     : "not an address, or not a message");
		goto out;
	}
	if ((rc = ob_buf_printf(&mfrom, "<%s>", c->from)) != 0 ||
	    (rc = ob_buf_printf(&rcpt, "<%s>", to)) != 0)
		goto out;
	if (c->bearer_file != NULL &&
	    read_secret_line(c->bearer_file, TOKEN_MAX, &token, &why) != 0) {
		/* Every message would fail the same way: put them off. */
		ob_buf_seterr(err, "mail: bearer_file: %s", ob_buf_cstr(&why));
		rc = OB_EAGAIN;
		goto out;
	}
	if ((curl = curl_easy_init()) == NULL ||
	    (rcpts = curl_slist_append(NULL, ob_buf_cstr(&rcpt))) == NULL) {
		ob_buf_seterr(err, "mail: curl cannot start");
		rc = OB_EIO;
		goto out;
	}
	r.p = msg.data;
	r.left = msg.len;
	curl_easy_setopt(curl, CURLOPT_URL, c->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(curl, CURLOPT_USE_SSL,
	    c->starttls ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	curl_easy_setopt(curl, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (c->ca_file != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, c->ca_file);
	if (c->user != NULL)
		curl_easy_setopt(curl, CURLOPT_USERNAME, c->user);
	if (c->password != NULL)
		curl_easy_setopt(curl, CURLOPT_PASSWORD, c->password);
	/* SASL XOAUTH2 or OAUTHBEARER, whichever the server offers. */
	if (token != NULL)
		curl_easy_setopt(curl, CURLOPT_XOAUTH2_BEARER, token);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, ob_buf_cstr(&mfrom));
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_message);
	curl_easy_setopt(curl, CURLOPT_READDATA, &r);
	curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)c->timeout_s);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)c->timeout_s);
	cc = curl_easy_perform(curl);
	if (cc != CURLE_OK) {
		/* curl's error buffer may quote the server, which may quote
		 * the address: only the codes go out. */
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
		ob_buf_seterr(err, "mail: smtp: %s (curl %d, server %ld)",
		    curl_easy_strerror(cc), (int)cc, code);
		rc = server_unusable(cc) ? OB_EAGAIN : OB_EIO;
	}
out:
	curl_slist_free_all(rcpts);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	if (token != NULL)
		sodium_free(token);
	ob_buf_release(&why);
	ob_buf_release_secret(&msg);
	ob_buf_release(&mfrom);
	ob_buf_release(&rcpt);
	return rc;
}
