#include "lib/mail.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/crypto.h"
#include "lib/util.h"
#include "test/unit/check.h"

#define FROM "ombud@example.org"
#define TO "handler@example.com"

static char dir[] = "/tmp/ombud-test-mail-XXXXXX";

static int
build(const char *subject, const char *body, struct ob_buf *out)
{
	ob_buf_reset(out);
	return ob_mail_build(FROM, TO, subject, body, 0, "abc123", out);
}

/* Every line ends in CRLF, and none is longer than max. */
static bool
lines_ok(const char *m, size_t max)
{
	size_t col = 0;

	for (const char *p = m; *p != '\0'; p++) {
		if (*p == '\r') {
			if (p[1] != '\n')
				return false;
			continue;
		}
		if (*p == '\n') {
			if (p == m || p[-1] != '\r')
				return false;
			col = 0;
			continue;
		}
		if (++col > max)
			return false;
	}
	return col == 0;
}

/* The Subject header of message m, unfolded (CRLF removed). */
static void
subject_of(const char *m, char *out, size_t n)
{
	const char *p = strstr(m, "\r\nSubject: ");
	size_t k = 0;

	out[0] = '\0';
	if (p == NULL)
		return;
	for (p += 11; *p != '\0' && k + 1 < n; p++) {
		if (p[0] == '\r' && p[1] == '\n') {
			if (p[2] != ' ')
				break;
			p++;
			continue;
		}
		out[k++] = *p;
	}
	out[k] = '\0';
}

/* Decodes a run of "=?UTF-8?B?...?=" words separated by spaces. */
static void
decode_words(const char *s, char *out, size_t n)
{
	size_t k = 0;

	out[0] = '\0';
	while (*s != '\0') {
		const char *end;
		size_t got = 0;

		while (*s == ' ')
			s++;
		if (strncmp(s, "=?UTF-8?B?", 10) != 0)
			return;
		s += 10;
		end = strstr(s, "?=");
		if (end == NULL ||
		    sodium_base642bin((unsigned char *)out + k, n - k - 1, s,
			(size_t)(end - s), NULL, &got, NULL,
			sodium_base64_VARIANT_ORIGINAL) != 0)
			return;
		CHECK((size_t)(end - s) + 12 <= 75);
		k += got;
		out[k] = '\0';
		s = end + 2;
	}
}

static void
test_addresses(void)
{
	CHECK(ob_mail_addr_valid("a@b"));
	CHECK(ob_mail_addr_valid("first.last+tag@example.co.uk"));
	CHECK(!ob_mail_addr_valid(""));
	CHECK(!ob_mail_addr_valid("@b"));
	CHECK(!ob_mail_addr_valid("a@"));
	CHECK(!ob_mail_addr_valid("a@b@c"));
	CHECK(!ob_mail_addr_valid("a b@c"));
	CHECK(!ob_mail_addr_valid("a@b\r\nBcc: x@y"));
	CHECK(!ob_mail_addr_valid("a@b\n"));
	CHECK(!ob_mail_addr_valid("a@b>"));
	CHECK(!ob_mail_addr_valid("a@b,c@d"));
	CHECK(!ob_mail_addr_valid("\"a\"@b"));
	CHECK(!ob_mail_addr_valid("\xc3\xa6@b"));
}

static void
test_build(void)
{
	struct ob_buf m = OB_BUF_INIT(OB_MAIL_MAX);
	char got[1024], decoded[1024], body[2048];
	const char *danish = "Ombud: a new report is waiting in "
			     "\xc3\x86\x62legr\xc3\xa5rden A/S";
	const char *p;

	/* An ASCII message, whole. */
	CHECK_INT(build("Ombud: account locked",
		      "An account was locked.\n.\nSign in: https://x/\n", &m),
	    0);
	CHECK_STR(ob_buf_cstr(&m),
	    "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"
	    "From: ombud@example.org\r\n"
	    "To: handler@example.com\r\n"
	    "Subject: Ombud: account locked\r\n"
	    "Message-ID: <abc123@example.org>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "\r\n"
	    "An account was locked.\r\n"
	    ".\r\n" /* libcurl doubles it on the wire */
	    "Sign in: https://x/\r\n");

	/* Any line end becomes CRLF; a last line gets one. */
	CHECK_INT(build(NULL, "a\r\nb\rc\n\nd", &m), 0);
	CHECK(strstr(ob_buf_cstr(&m), "\r\nSubject:") == NULL);
	p = strstr(ob_buf_cstr(&m), "\r\n\r\n");
	CHECK(p != NULL && strcmp(p + 4, "a\r\nb\r\nc\r\n\r\nd\r\n") == 0);
	CHECK(lines_ok(ob_buf_cstr(&m), 998));

	/* A subject naming a Danish tenant: RFC 2047 words of UTF-8. */
	CHECK_INT(build(danish, "x", &m), 0);
	CHECK(lines_ok(ob_buf_cstr(&m), 78));
	subject_of(ob_buf_cstr(&m), got, sizeof(got));
	CHECK(strncmp(got, "=?UTF-8?B?", 10) == 0);
	decode_words(got, decoded, sizeof(decoded));
	CHECK_STR(decoded, danish);

	/* Long ones are split between characters, never inside one. */
	snprintf(body, sizeof(body), "%s %s %s %s", danish, danish, danish,
	    "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac");
	CHECK_INT(build(body, "x", &m), 0);
	CHECK(lines_ok(ob_buf_cstr(&m), 78));
	subject_of(ob_buf_cstr(&m), got, sizeof(got));
	decode_words(got, decoded, sizeof(decoded));
	CHECK_STR(decoded, body);
	p = strstr(ob_buf_cstr(&m), "Subject: ");
	CHECK(p != NULL && strstr(p, "?=\r\n =?UTF-8?B?") != NULL);

	/* ASCII that looks like an encoded word is encoded itself. */
	CHECK_INT(build("=?UTF-8?B?eA==?=", "x", &m), 0);
	subject_of(ob_buf_cstr(&m), got, sizeof(got));
	decode_words(got, decoded, sizeof(decoded));
	CHECK_STR(decoded, "=?UTF-8?B?eA==?=");

	/* A long ASCII subject is folded at spaces and unfolds as it was. */
	snprintf(body, sizeof(body),
	    "Ombud: the reporter of case %s has written, and %s", "2026-0042",
	    "this subject is longer than seventy-eight columns by far");
	CHECK_INT(build(body, "x", &m), 0);
	CHECK(lines_ok(ob_buf_cstr(&m), 78));
	subject_of(ob_buf_cstr(&m), got, sizeof(got));
	CHECK_STR(got, body);
	CHECK(strstr(ob_buf_cstr(&m), "\r\n ") != NULL);

	/* Non-ASCII bodies are quoted-printable. */
	CHECK_INT(build("s",
		      "Bl\xc3\xa5"
		      "b\xc3\xa6r = 1 \nend\t\n",
		      &m),
	    0);
	CHECK(strstr(ob_buf_cstr(&m),
		  "Content-Transfer-Encoding: quoted-printable\r\n") != NULL);
	p = strstr(ob_buf_cstr(&m), "\r\n\r\n");
	CHECK(p != NULL &&
	    strcmp(p + 4, "Bl=C3=A5b=C3=A6r =3D 1=20\r\nend=09\r\n") == 0);

	/* ... and so are long lines, with soft breaks within 76. */
	memset(body, 'x', 2000);
	body[2000] = '\0';
	CHECK_INT(build("s", body, &m), 0);
	CHECK(strstr(ob_buf_cstr(&m), "quoted-printable") != NULL);
	CHECK(lines_ok(strstr(ob_buf_cstr(&m), "\r\n\r\n") + 4, 76));
	CHECK(strstr(ob_buf_cstr(&m), "=\r\nxxx") != NULL);

	/* Header injection and broken text: refused, whatever the field. */
	CHECK_INT(ob_mail_build(FROM, "a@b\r\nBcc: x@y", "s", "x", 0, "i", &m),
	    OB_EINVAL);
	CHECK_INT(ob_mail_build("o@x\nBcc: y@z", TO, "s", "x", 0, "i", &m),
	    OB_EINVAL);
	CHECK_INT(build("hi\r\nBcc: x@y", "x", &m), OB_EINVAL);
	CHECK_INT(build("hi\nBcc: x@y", "x", &m), OB_EINVAL);
	CHECK_INT(build("hi\rthere", "x", &m), OB_EINVAL);
	CHECK_INT(build("tab\there", "x", &m), OB_EINVAL);
	CHECK_INT(build("bad \xc3", "x", &m), OB_EINVAL);
	CHECK_INT(build("s", "bad \xff\xfe", &m), OB_EINVAL);
	CHECK_INT(ob_mail_build(FROM, TO, "s", "x", 0, "a>b", &m), OB_EINVAL);
	CHECK_INT(ob_mail_build(FROM, TO, "s", "x", 0, "", &m), OB_EINVAL);

	/* The cap holds. */
	{
		struct ob_buf small = OB_BUF_INIT(100);

		CHECK_INT(ob_mail_build(FROM, TO, "s", "x", 0, "i", &small),
		    OB_ETOOBIG);
		ob_buf_release(&small);
	}
	ob_buf_release(&m);
}

/* ---- configuration ---- */

static int
load(const char *text, struct ob_config **cfg, struct ob_mail_config *c,
    struct ob_buf *err)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ombud.conf", dir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	ob_buf_reset(err);
	ob_mail_config_release(c);
	ob_config_free(*cfg);
	*cfg = NULL;
	if (ob_config_load(path, cfg, err) != 0)
		return -100;
	return ob_mail_config_load(*cfg, c, err);
}

static void
test_config(void)
{
	struct ob_buf err = OB_BUF_INIT(512);
	struct ob_config *cfg = NULL;
	struct ob_mail_config c;
	char text[512], pw[128], tok[128];
	FILE *f;

	memset(&c, 0, sizeof(c));
	CHECK_INT(load("[mail]\nurl = smtp://127.0.0.1:2525\n"
		       "from = ombud@localhost\nstarttls = none\n",
		      &cfg, &c, &err),
	    0);
	CHECK(!c.starttls && c.user == NULL && c.password == NULL &&
	    c.ca_file == NULL && c.timeout_s == 10);
	CHECK_INT(load("[mail]\nurl = smtp://mx.example.org:587\n"
		       "from = ombud@example.org\n",
		      &cfg, &c, &err),
	    0);
	CHECK(c.starttls);

	/* Each mistake named by file, group and key. */
	CHECK_INT(load("[mail]\nfrom = a@b\n", &cfg, &c, &err), OB_ENOENT);
	CHECK(strstr(ob_buf_cstr(&err), "[mail] url") != NULL);
	CHECK(strstr(ob_buf_cstr(&err), "ombud.conf") != NULL);
	CHECK_INT(load("[mail]\nurl = smtp://x\nfrom = a@b\nport = 25\n", &cfg,
		      &c, &err),
	    OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "[mail] port: unknown key") != NULL);
	CHECK_INT(load("[mail]\nurl = https://x\nfrom = a@b\n", &cfg, &c, &err),
	    OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "[mail] url") != NULL);
	CHECK_INT(load("[mail]\nurl = smtp://u:hunter2@x\nfrom = a@b\n", &cfg,
		      &c, &err),
	    OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "[mail] url") != NULL);
	CHECK(strstr(ob_buf_cstr(&err), "hunter2") == NULL);
	CHECK_INT(
	    load("[mail]\nurl = smtp://x\nfrom = nobody\n", &cfg, &c, &err),
	    OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "[mail] from") != NULL);
	CHECK_INT(load("[mail]\nurl = smtp://x\nfrom = a@b\nstarttls = maybe\n",
		      &cfg, &c, &err),
	    OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "[mail] starttls") != NULL);
	CHECK_INT(load("[mail]\nurl = smtp://x\nfrom = a@b\ntimeout_s = 0\n",
		      &cfg, &c, &err),
	    OB_ECONFIG);
	CHECK_INT(load("[mail]\nurl = smtp://x\nfrom = a@b\nuser = u\n", &cfg,
		      &c, &err),
	    OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "[mail] password_file") != NULL);
	CHECK_INT(load("[mail]\nurl = smtp://x\nfrom = a@b\n"
		       "ca_file = /nonexistent/ca.pem\n",
		      &cfg, &c, &err),
	    OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "[mail] ca_file") != NULL);

	/* The password: from a 0600 file, never over plain SMTP. */
	snprintf(pw, sizeof(pw), "%s/smtp-password", dir);
	f = fopen(pw, "w");
	fputs("s3cret pass\n", f);
	fclose(f);
	chmod(pw, 0644);
	snprintf(text, sizeof(text),
	    "[mail]\nurl = smtp://x\nfrom = a@b\nuser = u\n"
	    "password_file = %s\n",
	    pw);
	CHECK_INT(load(text, &cfg, &c, &err), OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "[mail] password_file") != NULL);
	CHECK(strstr(ob_buf_cstr(&err), "chmod") != NULL);
	chmod(pw, 0600);
	CHECK_INT(load(text, &cfg, &c, &err), 0);
	CHECK_STR(c.user, "u");
	CHECK_STR(c.password, "s3cret pass");
	snprintf(text, sizeof(text),
	    "[mail]\nurl = smtp://x\nfrom = a@b\nuser = u\nstarttls = none\n"
	    "password_file = %s\n",
	    pw);
	CHECK_INT(load(text, &cfg, &c, &err), OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "in clear") != NULL);
	CHECK(c.password == NULL);
	snprintf(text, sizeof(text),
	    "[mail]\nurl = smtps://x\nfrom = a@b\nuser = u\nstarttls = none\n"
	    "password_file = %s\n",
	    pw);
	CHECK_INT(load(text, &cfg, &c, &err), 0);
	CHECK_STR(c.password, "s3cret pass");
	CHECK(c.bearer_file == NULL);

	/* An OAuth 2.0 token file: the same rules, and not both. */
	snprintf(tok, sizeof(tok), "%s/smtp-token", dir);
	f = fopen(tok, "w");
	fputs("eyJ0eXAiOiJKV1Qi.token\n", f);
	fclose(f);
	chmod(tok, 0640);
	snprintf(text, sizeof(text),
	    "[mail]\nurl = smtp://x\nfrom = a@b\nuser = u\n"
	    "bearer_file = %s\n",
	    tok);
	CHECK_INT(load(text, &cfg, &c, &err), OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "[mail] bearer_file") != NULL);
	chmod(tok, 0600);
	CHECK_INT(load(text, &cfg, &c, &err), 0);
	CHECK_STR(c.user, "u");
	CHECK_STR(c.bearer_file, tok);
	CHECK(c.password == NULL);
	snprintf(text, sizeof(text),
	    "[mail]\nurl = smtp://x\nfrom = a@b\nbearer_file = %s\n", tok);
	CHECK_INT(load(text, &cfg, &c, &err), OB_ECONFIG);
	CHECK(
	    strstr(ob_buf_cstr(&err), "[mail] user: needed with bearer_file"));
	snprintf(text, sizeof(text),
	    "[mail]\nurl = smtp://x\nfrom = a@b\nuser = u\nstarttls = none\n"
	    "bearer_file = %s\n",
	    tok);
	CHECK_INT(load(text, &cfg, &c, &err), OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err),
		  "token would cross the network in "
		  "clear") != NULL);
	snprintf(text, sizeof(text),
	    "[mail]\nurl = smtp://x\nfrom = a@b\nuser = u\n"
	    "password_file = %s\nbearer_file = %s\n",
	    pw, tok);
	CHECK_INT(load(text, &cfg, &c, &err), OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "not both") != NULL);
	f = fopen(tok, "w");
	fclose(f);
	snprintf(text, sizeof(text),
	    "[mail]\nurl = smtp://x\nfrom = a@b\nuser = u\n"
	    "bearer_file = %s\n",
	    tok);
	CHECK_INT(load(text, &cfg, &c, &err), OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "one line, not empty") != NULL);
	unlink(tok);
	ob_mail_config_release(&c);
	ob_mail_config_release(&c);
	unlink(pw);
	snprintf(pw, sizeof(pw), "%s/ombud.conf", dir);
	unlink(pw);
	ob_config_free(cfg);
	ob_buf_release(&err);
}

/* ---- sending, to a scripted SMTP server ---- */

struct fake {
	bool starttls; /* offer STARTTLS (and then refuse it) */
	int rcpt_code;
};

static bool
read_line(int c, char *line, size_t n)
{
	size_t k = 0;

	while (k + 1 < n && read(c, line + k, 1) == 1)
		if (line[k++] == '\n')
			break;
	line[k] = '\0';
	return k > 0;
}

static void
say(int c, const char *s)
{
	if (write(c, s, strlen(s)) < 0)
		_exit(1);
}

/* One SMTP session in a child; what the client sent goes to the pipe. */
static int
serve_smtp(const struct fake *f, int *rd, pid_t *pid)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int s = socket(AF_INET, SOCK_STREAM, 0), p[2];

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (pipe(p) != 0 ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(s, 1) != 0 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) != 0)
		abort();
	*pid = fork();
	if (*pid == 0) {
		char line[2048];
		bool data = false;
		int c = accept(s, NULL, NULL);

		close(p[0]);
		say(c, "220 fake ESMTP\r\n");
		while (read_line(c, line, sizeof(line))) {
			if (write(p[1], line, strlen(line)) < 0)
				_exit(1);
			if (data) {
				if (strcmp(line, ".\r\n") == 0) {
					data = false;
					say(c, "250 queued\r\n");
				}
			} else if (strncmp(line, "EHLO", 4) == 0) {
				say(c,
				    f->starttls ? "250-fake\r\n250-STARTTLS\r\n"
						  "250 SIZE 100000\r\n"
						: "250-fake\r\n"
						  "250 SIZE 100000\r\n");
			} else if (strncmp(line, "STARTTLS", 8) == 0) {
				say(c, "454 not today\r\n");
			} else if (strncmp(line, "RCPT", 4) == 0) {
				say(c,
				    f->rcpt_code == 250
					? "250 ok\r\n"
					: "550 no such user here\r\n");
			} else if (strncmp(line, "DATA", 4) == 0) {
				data = true;
				say(c, "354 go on\r\n");
			} else if (strncmp(line, "QUIT", 4) == 0) {
				say(c, "221 bye\r\n");
				break;
			} else {
				say(c, "250 ok\r\n");
			}
		}
		_exit(0);
	}
	close(s);
	close(p[1]);
	*rd = p[0];
	return ntohs(sin.sin_port);
}

static void
transcript(int rd, pid_t pid, char *out, size_t n)
{
	size_t k = 0;
	ssize_t r;
	int status;

	while (k + 1 < n && (r = read(rd, out + k, n - 1 - k)) > 0)
		k += (size_t)r;
	out[k] = '\0';
	close(rd);
	waitpid(pid, &status, 0);
}

static void
test_send(void)
{
	struct ob_mail_config c = { .from = FROM, .timeout_s = 5 };
	struct fake f = { false, 250 };
	struct ob_buf err = OB_BUF_INIT(256);
	char url[64], got[16384];
	int rd, s;
	pid_t pid;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);

	/* The whole conversation, leading dots doubled by curl. */
	snprintf(
	    url, sizeof(url), "smtp://127.0.0.1:%d", serve_smtp(&f, &rd, &pid));
	c.url = url;
	CHECK_INT(
	    ob_mail_send(&c, TO, "Ombud: hello", "line\n.\n..two\nend\n", &err),
	    0);
	transcript(rd, pid, got, sizeof(got));
	CHECK(strncmp(got, "EHLO ", 5) == 0);
	CHECK(strstr(got, "\r\nMAIL FROM:<ombud@example.org>") != NULL);
	CHECK(strstr(got, "\r\nRCPT TO:<handler@example.com>\r\n") != NULL);
	CHECK(strstr(got, "\r\nDATA\r\n") != NULL);
	CHECK(strstr(got, "\r\nSubject: Ombud: hello\r\n") != NULL);
	CHECK(strstr(got, "\r\n\r\nline\r\n..\r\n...two\r\nend\r\n.\r\n") !=
	    NULL);
	CHECK(strstr(got, "Message-ID: <") != NULL &&
	    strstr(got, "@example.org>\r\n") != NULL);
	CHECK(strstr(got, "\r\nQUIT\r\n") != NULL);

	/* STARTTLS required, and the server cannot: no MAIL FROM at all. */
	f.starttls = true;
	c.starttls = true;
	snprintf(
	    url, sizeof(url), "smtp://127.0.0.1:%d", serve_smtp(&f, &rd, &pid));
	CHECK_INT(ob_mail_send(&c, TO, "s", "secret body", &err), OB_EAGAIN);
	transcript(rd, pid, got, sizeof(got));
	CHECK(strstr(got, "STARTTLS") != NULL);
	CHECK(strstr(got, "MAIL FROM") == NULL);
	f.starttls = false;
	snprintf(
	    url, sizeof(url), "smtp://127.0.0.1:%d", serve_smtp(&f, &rd, &pid));
	CHECK_INT(ob_mail_send(&c, TO, "s", "secret body", &err), OB_EAGAIN);
	transcript(rd, pid, got, sizeof(got));
	CHECK(strstr(got, "MAIL FROM") == NULL);
	CHECK(strstr(got, "secret body") == NULL);
	c.starttls = false;

	/* A recipient refused: this message's failure, codes only. */
	f.rcpt_code = 550;
	snprintf(
	    url, sizeof(url), "smtp://127.0.0.1:%d", serve_smtp(&f, &rd, &pid));
	ob_buf_reset(&err);
	CHECK_INT(ob_mail_send(&c, TO, "s", "x", &err), OB_EIO);
	transcript(rd, pid, got, sizeof(got));
	CHECK(strstr(ob_buf_cstr(&err), "550") != NULL);
	CHECK(strstr(ob_buf_cstr(&err), "handler") == NULL);
	CHECK(strstr(ob_buf_cstr(&err), "no such user") == NULL);

	/* Nobody listening: the server as a whole is unusable. */
	s = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(s, (struct sockaddr *)&sin, &len) == 0);
	close(s);
	snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", ntohs(sin.sin_port));
	ob_buf_reset(&err);
	CHECK_INT(ob_mail_send(&c, TO, "s", "x", &err), OB_EAGAIN);
	CHECK(strstr(ob_buf_cstr(&err), "curl 7") != NULL);
	CHECK(strstr(ob_buf_cstr(&err), "handler") == NULL);

	/* Refused before any connection. */
	CHECK_INT(
	    ob_mail_send(&c, "x@y\r\nBcc: z@w", "s", "x", &err), OB_EINVAL);
	CHECK(strstr(ob_buf_cstr(&err), "Bcc") == NULL);
	ob_buf_release(&err);
}

int
main(void)
{
	CHECK(ob_crypto_init() == 0);
	CHECK(mkdtemp(dir) != NULL);
	test_addresses();
	test_build();
	test_config();
	test_send();
	rmdir(dir);
	return CHECK_DONE();
}
