#include "lib/log.h"

#include <string.h>

#include "test/unit/check.h"

int
main(void)
{
	char line[512];
	size_t n;

	ob_log_init("intake");
	n = ob_log_format_request(line, sizeof(line), "00ff00ff00ff00ff", "GET",
	    "/t/{slug}/", 200, 1234);
	CHECK_STR(line,
	    "svc=intake level=info rid=00ff00ff00ff00ff "
	    "method=\"GET\" route=\"/t/{slug}/\" status=200 "
	    "dur_ms=1.234");
	CHECK_INT(n, strlen(line));

	/* A value can never break the line or forge a key. */
	ob_log_format_request(line, sizeof(line), "r", "G\nET",
	    "/x\" status=999\r\nfake=1", 404, 0);
	CHECK(strchr(line, '\n') == NULL && strchr(line, '\r') == NULL);
	CHECK(strstr(line, "route=\"/x? status=999??fake=1\"") != NULL);
	CHECK(strstr(line, "status=404") != NULL);

	/* Truncation keeps the buffer terminated. */
	n = ob_log_format_request(line, 20, "r", "GET", "/", 200, 0);
	CHECK(n < 20);
	CHECK_INT(strlen(line), n);
	return CHECK_DONE();
}
