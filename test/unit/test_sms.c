#include "lib/sms.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util.h"
#include "test/unit/check.h"

static char dir[] = "/tmp/ombud-test-sms-XXXXXX";

static int
load(const char *text, struct ob_config **cfg, struct ob_sms_config *c,
    struct ob_buf *err)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ombud.conf", dir);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	ob_buf_reset(err);
	ob_config_free(*cfg);
	*cfg = NULL;
	if (ob_config_load(path, cfg, err) != 0)
		return -100;
	return ob_sms_config_load(*cfg, c, err);
}

static size_t
content_length(const char *p)
{
	size_t n = strspn(p, "0123456789");
	uint64_t v = 0;

	return ob_parse_u64n(p, n, 0, 1 << 20, &v) == 0 ? (size_t)v : 0;
}

/*
 * A one-request HTTP server in a child: answers status, and writes what
 * it received to the pipe.  Returns its port.
 */
static int
serve_once(int status, int pipefd, pid_t *pid)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    listen(s, 1) != 0 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) != 0)
		abort();
	*pid = fork();
	if (*pid == 0) {
		char buf[8192], reply[128];
		size_t got = 0;
		int c = accept(s, NULL, NULL);
		ssize_t k;

		/* Headers, then as much body as Content-Length says. */
		while (got < sizeof(buf) - 1 &&
		    (k = read(c, buf + got, sizeof(buf) - 1 - got)) > 0) {
			char *end, *cl;

			got += (size_t)k;
			buf[got] = '\0';
			end = strstr(buf, "\r\n\r\n");
			if (end == NULL)
				continue;
			cl = strcasestr(buf, "Content-Length: ");
			if (cl == NULL ||
			    got - (size_t)(end + 4 - buf) >=
				content_length(cl + 16))
				break;
		}
		snprintf(reply, sizeof(reply),
		    "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: "
		    "close\r\n\r\nok",
		    status);
		if (write(c, reply, strlen(reply)) < 0 ||
		    write(pipefd, buf, got) < 0)
			_exit(1);
		_exit(0);
	}
	close(s);
	return ntohs(sin.sin_port);
}

static void
test_http(void)
{
	struct ob_sms_config c = { OB_SMS_HTTP, NULL, NULL, "POST",
		"Authorization: Bearer s3cret", "application/json",
		"{\"to\":\"{to}\",\"text\":\"{text}\",\"flash\":{flash}}", true,
		5 };
	struct ob_buf err = OB_BUF_INIT(256);
	char url[64], got[8192];
	int p[2];
	pid_t pid;
	ssize_t n;
	int status;

	CHECK(pipe(p) == 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/send",
	    serve_once(200, p[1], &pid));
	c.url = url;
	CHECK_INT(ob_sms_send(&c, "+4512345678", "Code 123456", &err), 0);
	n = read(p[0], got, sizeof(got) - 1);
	got[n > 0 ? n : 0] = '\0';
	waitpid(pid, &status, 0);
	CHECK(strncmp(got, "POST /send HTTP/1.1\r\n", 21) == 0);
	CHECK(strstr(got, "\r\nAuthorization: Bearer s3cret\r\n") != NULL);
	CHECK(strstr(got, "\r\nContent-Type: application/json\r\n") != NULL);
	CHECK(strstr(got,
		  "{\"to\":\"+4512345678\",\"text\":\"Code 123456\","
		  "\"flash\":true}") != NULL);

	/* A gateway that refuses, and one that is not there. */
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/send",
	    serve_once(500, p[1], &pid));
	CHECK_INT(ob_sms_send(&c, "+4512345678", "x", &err), OB_EIO);
	CHECK(strstr(ob_buf_cstr(&err), "500") != NULL);
	CHECK(strstr(ob_buf_cstr(&err), "4512345678") == NULL);
	waitpid(pid, &status, 0);
	CHECK_INT(ob_sms_send(&c, "+4512345678", "x", &err), OB_EIO);
	close(p[0]);
	close(p[1]);
	ob_buf_release(&err);
}

int
main(void)
{
	struct ob_buf err = OB_BUF_INIT(512), body = OB_BUF_INIT(1024);
	struct ob_config *cfg = NULL;
	struct ob_sms_config c;
	char text[512], path[128], line[256];
	struct stat st;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/sms.log", dir);

	/* Configuration. */
	snprintf(
	    text, sizeof(text), "[sms]\ntransport = file\nfile = %s\n", path);
	CHECK_INT(load(text, &cfg, &c, &err), 0);
	CHECK_INT(c.transport, OB_SMS_FILE);
	CHECK_INT(
	    load("[sms]\ntransport = pigeon\n", &cfg, &c, &err), OB_ECONFIG);
	CHECK(strstr(ob_buf_cstr(&err), "[sms] transport") != NULL);
	CHECK_INT(load("[sms]\ntransport = http\n", &cfg, &c, &err), OB_ENOENT);
	CHECK(strstr(ob_buf_cstr(&err), "[sms] url") != NULL);
	CHECK_INT(load("[sms]\ntransport = http\nurl = ftp://x\n"
		       "body_template = x\n",
		      &cfg, &c, &err),
	    OB_ECONFIG);
	CHECK_INT(load("[sms]\ntransport = http\nurl = https://x\n"
		       "body_template = x\nmethod = PUT\n",
		      &cfg, &c, &err),
	    OB_ECONFIG);
	CHECK_INT(load("[sms]\ntransport = http\nurl = https://x\n"
		       "body_template = x\nflash = maybe\n",
		      &cfg, &c, &err),
	    OB_ECONFIG);
	CHECK_INT(load("[sms]\ntransport = http\nurl = https://gw/x\n"
		       "body_template = to={to}&msg={text}\n"
		       "content_type = application/x-www-form-urlencoded\n",
		      &cfg, &c, &err),
	    0);
	CHECK_STR(c.method, "POST");
	CHECK(c.auth_header == NULL && !c.flash && c.timeout_s == 10);

	/* Bodies: values escaped for the content type. */
	CHECK_INT(ob_sms_render_body(&c, "+4512", "a b&c=\xc3\xa6", &body), 0);
	CHECK_STR(ob_buf_cstr(&body), "to=%2B4512&msg=a%20b%26c%3D%C3%A6");
	c.content_type = "application/json";
	c.body_template = "{\"to\":\"{to}\",\"m\":\"{text}\",\"x\":{\"y\":1}}";
	ob_buf_reset(&body);
	CHECK_INT(ob_sms_render_body(&c, "+45", "say \"hi\" \\", &body), 0);
	CHECK_STR(ob_buf_cstr(&body),
	    "{\"to\":\"+45\",\"m\":\"say \\\"hi\\\" \\\\\",\"x\":{\"y\":1}}");

	/* The file transport. */
	snprintf(
	    text, sizeof(text), "[sms]\ntransport = file\nfile = %s\n", path);
	CHECK_INT(load(text, &cfg, &c, &err), 0);
	CHECK_INT(ob_sms_send(&c, "+4512345678", "Ombud code 123456", &err), 0);
	CHECK_INT(ob_sms_send(&c, "+4587654321", "second", &err), 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	f = fopen(path, "r");
	CHECK(fgets(line, sizeof(line), f) != NULL);
	CHECK(strstr(line, "\t+4512345678\tOmbud code 123456\n") != NULL);
	CHECK(line[4] == '-' && line[10] == 'T' && line[19] == 'Z');
	CHECK(fgets(line, sizeof(line), f) != NULL);
	CHECK(strstr(line, "\t+4587654321\tsecond\n") != NULL);
	fclose(f);

	/* Refused input. */
	CHECK_INT(ob_sms_send(&c, "4512345678", "x", &err), OB_EINVAL);
	CHECK_INT(ob_sms_send(&c, "+45123a5678", "x", &err), OB_EINVAL);
	CHECK_INT(
	    ob_sms_send(&c, "+4512345678", "two\nlines", &err), OB_EINVAL);
	CHECK_INT(ob_sms_send(&c, "+4512345678", "", &err), OB_EINVAL);

	test_http();

	unlink(path);
	snprintf(path, sizeof(path), "%s/ombud.conf", dir);
	unlink(path);
	rmdir(dir);
	ob_config_free(cfg);
	ob_buf_release(&err);
	ob_buf_release(&body);
	return CHECK_DONE();
}
