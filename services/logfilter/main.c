/*
 * ombud-logfilter - copies log lines from stdin to a file (or stdout),
 * with client addresses, referrers and query strings removed
 * (lib/logscrub.h).
 *
 *	ombud-logfilter [FILE]
 *
 * The stack runs nginx with its error log on stderr piped through this
 * (and the SMTP sink's stderr), so that no address ever reaches the
 * disk.  Each line is written with one write(2) as soon as it is read;
 * a line longer than 16 KiB is cut there and marked " [truncated]".
 * Exits 0 at the end of input, 1 on a usage or I/O error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/logscrub.h"

#define LINE_MAX_BYTES (16 * 1024)
#define TRUNCATED " [truncated]"

static const char dropped[] = "ombud-logfilter: line dropped\n";

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return OB_EIO;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static bool
is_addr_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

/* Scrubs line[0, n) and writes it, with a newline, to fd. */
static int
emit(int fd, char *line, size_t n, bool truncated, struct ob_buf *out)
{
	int rc;

	if (truncated) {
		/*
		 * The cut may have split an address, and half an address
		 * is no longer recognised as one: drop the partial token.
		 */
		while (n > 0 && is_addr_char(line[n - 1]))
			n--;
	}
	ob_buf_reset(out);
	if ((rc = ob_logscrub_line(line, n, out)) != 0 ||
	    (truncated && (rc = ob_buf_puts(out, TRUNCATED)) != 0) ||
	    (rc = ob_buf_putc(out, '\n')) != 0)
		return write_all(fd, dropped, sizeof(dropped) - 1);
	return write_all(fd, out->data, out->len);
}

int
main(int argc, char **argv)
{
	/* Scrubbing can grow a line at most to 2 * n + 8 bytes. */
	struct ob_buf out = OB_BUF_INIT(2 * LINE_MAX_BYTES + 64);
	static char line[LINE_MAX_BYTES];
	size_t n = 0;
	bool truncated = false;
	int fd = STDOUT_FILENO, c, rc = 0;

	if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
		fputs("usage: ombud-logfilter [FILE]\n", stderr);
		return 1;
	}
	/*
	 * The writer decides when we stop (end of input); a terminal's
	 * SIGINT or SIGHUP must not cut off its last lines.
	 */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (argc == 2) {
		fd = open(argv[1],
		    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
		if (fd < 0) {
			perror(argv[1]);
			return 1;
		}
	}
	while ((c = getchar_unlocked()) != EOF) {
		if (c != '\n') {
			if (n < sizeof(line))
				line[n++] = (char)c;
			else
				truncated = true;
			continue;
		}
		if ((rc = emit(fd, line, n, truncated, &out)) != 0)
			break;
		n = 0;
		truncated = false;
	}
	/* A last line without its newline still counts. */
	if (rc == 0 && (n > 0 || truncated))
		rc = emit(fd, line, n, truncated, &out);
	ob_buf_release(&out);
	if (rc != 0) {
		perror("ombud-logfilter: write");
		return 1;
	}
	if (ferror(stdin)) {
		perror("ombud-logfilter: read");
		return 1;
	}
	if (fd != STDOUT_FILENO && close(fd) != 0) {
		perror("ombud-logfilter: close");
		return 1;
	}
	return 0;
}
