/*
 * scrub_harness.h - what every scrubber's fuzz target does: the input
 * in a memfd, the scrubber run over it into another, with small limits
 * so a bomb is caught quickly.  Any return is fine; a crash, a leak or
 * undefined behaviour is the bug.  When the scrubber says it succeeded,
 * its output is scrubbed again, which must succeed too (an output we
 * would store must be a file we would accept).
 */
#ifndef OB_SCRUB_HARNESS_H
#define OB_SCRUB_HARNESS_H

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/scrub/scrub.h"

static int
harness_memfd(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0)
		abort();
	for (size_t off = 0; off < size;) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

static int
harness_run(ob_scrub_fn fn, const uint8_t *data, size_t size)
{
	struct ob_scrub_limits lim = ob_scrub_default_limits;
	struct ob_scrub_report rep = OB_SCRUB_REPORT_INIT;
	int in = harness_memfd(data, size);
	int out = memfd_create("fuzz-out", MFD_CLOEXEC);
	int again, rc;

	lim.max_output = 16u << 20;
	lim.max_in_memory = 8u << 20;
	lim.max_entries = 2000;
	lim.max_expanded = 32u << 20;
	lim.max_depth = 4;
	lim.max_pages = 50;
	if (out < 0)
		abort();
	rc = fn(in, out, &lim, &rep);
	if (rc == 0) {
		int out2 = memfd_create("fuzz-out2", MFD_CLOEXEC);

		if (out2 < 0 || lseek(out, 0, SEEK_SET) != 0)
			abort();
		again = fn(out, out2, &lim, &rep);
		if (again != 0)
			abort(); /* we stored something we would refuse */
		close(out2);
	}
	ob_scrub_report_release(&rep);
	close(in);
	close(out);
	return 0;
}

#endif
