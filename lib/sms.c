#include "lib/sms.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

#define MESSAGE_MAX 640
#define BODY_MAX 4096

int
ob_sms_config_load(
    const struct ob_config *cfg, struct ob_sms_config *out, struct ob_buf *err)
{
	static const char *const keys[] = { "transport", "file", "url",
		"method", "auth_header", "content_type", "body_template",
		"flash", "timeout_s", NULL };
	const char *transport = NULL, *flash = NULL;
	uint64_t timeout = 10;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = ob_config_only_keys(cfg, "sms", keys, err)) != 0 ||
	    (rc = ob_config_str(cfg, "sms", "transport", &transport, err)) != 0)
		return rc;
	if (strcmp(transport, "file") == 0) {
		out->transport = OB_SMS_FILE;
		return ob_config_str(cfg, "sms", "file", &out->file, err);
	}
	if (strcmp(transport, "http") != 0) {
		ob_buf_seterr(err,
		    "config %s: [sms] transport: \"%s\" is not "
		    "file or http",
		    ob_config_file(cfg), transport);
		return OB_ECONFIG;
	}
	out->transport = OB_SMS_HTTP;
	if ((rc = ob_config_str(cfg, "sms", "url", &out->url, err)) != 0 ||
	    (rc = ob_config_str_opt(
		 cfg, "sms", "method", "POST", &out->method, err)) != 0 ||
	    (rc = ob_config_str_opt(
		 cfg, "sms", "auth_header", "", &out->auth_header, err)) != 0 ||
	    (rc = ob_config_str_opt(cfg, "sms", "content_type",
		 "application/json", &out->content_type, err)) != 0 ||
	    (rc = ob_config_str(
		 cfg, "sms", "body_template", &out->body_template, err)) != 0 ||
	    (rc = ob_config_str_opt(
		 cfg, "sms", "flash", "false", &flash, err)) != 0 ||
	    (rc = ob_config_uint_opt(
		 cfg, "sms", "timeout_s", 1, 120, 10, &timeout, err)) != 0)
		return rc;
	if (strncmp(out->url, "https://", 8) != 0 &&
	    strncmp(out->url, "http://", 7) != 0) {
		ob_buf_seterr(err,
		    "config %s: [sms] url: http:// or https:// "
		    "only",
		    ob_config_file(cfg));
		return OB_ECONFIG;
	}
	if (strcmp(out->method, "POST") != 0 &&
	    strcmp(out->method, "GET") != 0) {
		ob_buf_seterr(err, "config %s: [sms] method: POST or GET",
		    ob_config_file(cfg));
		return OB_ECONFIG;
	}
	if (strcmp(flash, "true") != 0 && strcmp(flash, "false") != 0) {
		ob_buf_seterr(err, "config %s: [sms] flash: true or false",
		    ob_config_file(cfg));
		return OB_ECONFIG;
	}
	out->flash = strcmp(flash, "true") == 0;
	out->timeout_s = (unsigned)timeout;
	if (out->auth_header[0] == '\0')
		out->auth_header = NULL;
	return 0;
}

bool
ob_sms_phone_valid(const char *p)
{
	size_t n = strlen(p);

	if (n < 7 || n > 16 || p[0] != '+')
		return false;
	for (size_t i = 1; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	return true;
}

static bool
valid_text(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > MESSAGE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
			return false;
	return true;
}

/* Appends v escaped for the body's content type. */
static int
put_value(struct ob_buf *out, const char *v, bool json)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	for (const unsigned char *p = (const unsigned char *)v;
	     *p != '\0' && rc == 0; p++) {
		if (json) {
			if (*p == '"' || *p == '\\') {
				char e[2] = { '\\', (char)*p };

				rc = ob_buf_append(out, e, 2);
			} else {
				rc = ob_buf_putc(out, (char)*p);
			}
		} else if ((*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			rc = ob_buf_putc(out, (char)*p);
		} else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };

			rc = ob_buf_append(out, e, 3);
		}
	}
	return rc;
}

int
ob_sms_render_body(const struct ob_sms_config *c, const char *phone,
    const char *text, struct ob_buf *out)
{
	bool json = strstr(c->content_type, "json") != NULL;
	const char *t = c->body_template;
	int rc = 0;

	while (*t != '\0' && rc == 0) {
		const char *open = strchr(t, '{'), *close;
		size_t n;

		if (open == NULL || (close = strchr(open, '}')) == NULL) {
			rc = ob_buf_puts(out, t);
			break;
		}
		/* JSON templates have their own braces: only {name} with a
		 * known name is a placeholder. */
		n = (size_t)(close - open - 1);
		if ((rc = ob_buf_append(out, t, (size_t)(open - t))) != 0)
			break;
		if (n == 2 && strncmp(open + 1, "to", 2) == 0)
			rc = put_value(out, phone, json);
		else if (n == 4 && strncmp(open + 1, "text", 4) == 0)
			rc = put_value(out, text, json);
		else if (n == 5 && strncmp(open + 1, "flash", 5) == 0)
			rc = ob_buf_puts(out, c->flash ? "true" : "false");
		else {
			rc = ob_buf_putc(out, '{');
			t = open + 1;
			continue;
		}
		t = close + 1;
	}
	return rc;
}

static int
send_file(const struct ob_sms_config *c, const char *phone, const char *text,
    struct ob_buf *err)
{
	struct ob_buf line = OB_BUF_INIT(MESSAGE_MAX + 128);
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	ssize_t w;
	int fd, rc;

	gmtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((rc = ob_buf_printf(&line, "%s\t%s\t%s\n", when, phone, text)) != 0)
		goto out;
	fd = open(c->file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		ob_buf_seterr(
		    err, "sms: cannot open %s: %s", c->file, strerror(errno));
		rc = OB_EIO;
		goto out;
	}
	w = write(fd, line.data, line.len);
	if (w < 0 || (size_t)w != line.len) {
		ob_buf_seterr(err, "sms: cannot write %s", c->file);
		rc = OB_EIO;
	}
	close(fd);
out:
	ob_buf_release_secret(&line);
	return rc;
}

static size_t
discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static int
send_http(const struct ob_sms_config *c, const char *phone, const char *text,
    struct ob_buf *err)
{
	struct ob_buf body = OB_BUF_INIT(BODY_MAX), url = OB_BUF_INIT(BODY_MAX);
	struct ob_buf ct = OB_BUF_INIT(256);
	struct curl_slist *headers = NULL;
	CURL *curl = NULL;
	CURLcode cc;
	long status = 0;
	int rc;

	if ((rc = ob_sms_render_body(c, phone, text, &body)) != 0) {
		ob_buf_seterr(err, "sms: the message does not fit the body");
		goto out;
	}
	if ((rc = ob_buf_printf(&ct, "Content-Type: %s", c->content_type)) != 0)
		goto out;
	if ((curl = curl_easy_init()) == NULL) {
		rc = OB_EIO;
		goto out;
	}
	headers = curl_slist_append(headers, ob_buf_cstr(&ct));
	if (c->auth_header != NULL)
		headers = curl_slist_append(headers, c->auth_header);
	if (strcmp(c->method, "GET") == 0) {
		/* The rendered template is the query string. */
		if ((rc = ob_buf_printf(&url, "%s%s%s", c->url,
			 strchr(c->url, '?') ? "&" : "?",
			 ob_buf_cstr(&body))) != 0)
			goto out;
		curl_easy_setopt(curl, CURLOPT_URL, ob_buf_cstr(&url));
	} else {
		curl_easy_setopt(curl, CURLOPT_URL, c->url);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, ob_buf_cstr(&body));
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body.len);
	}
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)c->timeout_s);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)c->timeout_s);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "ombud");
	cc = curl_easy_perform(curl);
	if (cc != CURLE_OK) {
		ob_buf_seterr(err, "sms: gateway: %s", curl_easy_strerror(cc));
		rc = OB_EIO;
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status > 299) {
		ob_buf_seterr(err, "sms: gateway answered %ld", status);
		rc = OB_EIO;
	}
out:
	curl_slist_free_all(headers);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	ob_buf_release_secret(&body);
	ob_buf_release_secret(&url);
	ob_buf_release(&ct);
	return rc;
}

int
ob_sms_send(const struct ob_sms_config *c, const char *phone, const char *text,
    struct ob_buf *err)
{
	if (!ob_sms_phone_valid(phone) || !valid_text(text)) {
		ob_buf_seterr(err, "sms: not a phone number, or not a message");
		return OB_EINVAL;
	}
	return c->transport == OB_SMS_FILE ? send_file(c, phone, text, err)
					   : send_http(c, phone, text, err);
}
