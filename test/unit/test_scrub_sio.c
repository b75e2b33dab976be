/*
 * Scrubber I/O (lib/scrub/sio.c) on memfds: byte order, the descriptor
 * loops, the reader across window boundaries, the buffered writer with
 * patches on both sides of a flush, max_output, and which refusal line
 * a failure leaves.  The scrubbers built on it are tested with real
 * files in test_scrub_images.c and test_scrub_media.c.
 */
#include "lib/scrub/sio.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test/unit/check.h"

/* A memfd holding n bytes of p, at offset 0. */
static int
memfd_with(const void *p, size_t n)
{
	int fd = memfd_create("sio-test", MFD_CLOEXEC);

	CHECK(fd >= 0);
	CHECK(ob_sio_write_full(fd, p, n) == 0);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	return fd;
}

/* n bytes of a pattern with no 0xFF in it. */
static unsigned char *
pattern(size_t n)
{
	unsigned char *p = malloc(n);

	CHECK(p != NULL);
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 7 % 251);
	return p;
}

static void
test_byte_order(void)
{
	const unsigned char b[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	unsigned char o[4];

	CHECK_INT(ob_be16(b), 0x0102);
	CHECK_INT(ob_le16(b), 0x0201);
	CHECK(ob_be32(b) == 0x01020304u);
	CHECK(ob_le32(b) == 0x04030201u);
	CHECK(ob_be64(b) == UINT64_C(0x0102030405060708));
	CHECK(ob_le64(b) == UINT64_C(0x0807060504030201));
	ob_put_be16(o, 0xA1B2);
	CHECK(o[0] == 0xA1 && o[1] == 0xB2);
	ob_put_le16(o, 0xA1B2);
	CHECK(o[0] == 0xB2 && o[1] == 0xA1);
	ob_put_be32(o, 0xA1B2C3D4);
	CHECK(memcmp(o, "\xA1\xB2\xC3\xD4", 4) == 0);
	ob_put_le32(o, 0xA1B2C3D4);
	CHECK(memcmp(o, "\xD4\xC3\xB2\xA1", 4) == 0);
}

static void
test_descriptors(void)
{
	unsigned char buf[16], *data;
	int fd = memfd_with("hello, world", 12), pipefd[2];
	uint64_t size;
	size_t got, len;

	CHECK(ob_sio_pread_full(fd, buf, sizeof(buf), 7, &got) == 0);
	CHECK(got == 5 && memcmp(buf, "world", 5) == 0);
	CHECK(ob_sio_pwrite_full(fd, "W", 1, 7) == 0);
	CHECK(ob_sio_fd_size(fd, &size) == 0 && size == 12);
	CHECK(ob_sio_slurp(fd, 12, &data, &len) == 0);
	CHECK(len == 12 && strcmp((char *)data, "hello, World") == 0);
	free(data);
	CHECK_INT(ob_sio_slurp(fd, 11, &data, &len), OB_ETOOBIG);
	CHECK(data == NULL);
	CHECK(pipe(pipefd) == 0);
	CHECK_INT(ob_sio_fd_size(pipefd[0], &size), OB_EINVAL);
	CHECK_INT(ob_sio_slurp(pipefd[0], 100, &data, &len), OB_EINVAL);
	close(pipefd[0]);
	close(pipefd[1]);
	close(fd);
}

static void
test_init(void)
{
	struct ob_scrub_report r = OB_SCRUB_REPORT_INIT;
	struct ob_sio io;
	int empty = memfd_create("empty", MFD_CLOEXEC), pipefd[2];

	CHECK_INT(ob_sio_init(&io, empty, -1, &ob_scrub_default_limits, &r),
	    OB_EINVAL);
	CHECK_INT(ob_sio_end(&io, OB_EINVAL), OB_EINVAL);
	ob_sio_release(&io);
	CHECK_STR(ob_buf_cstr(&r.lines), "refused: the file is empty\n");
	ob_scrub_report_release(&r);

	CHECK(pipe(pipefd) == 0);
	CHECK_INT(ob_sio_init(&io, pipefd[0], -1, &ob_scrub_default_limits, &r),
	    OB_EIO);
	CHECK_INT(ob_sio_end(&io, OB_EIO), OB_EIO);
	ob_sio_release(&io);
	CHECK_STR(
	    ob_buf_cstr(&r.lines), "refused: the file could not be read\n");
	ob_scrub_report_release(&r);
	close(pipefd[0]);
	close(pipefd[1]);
	close(empty);
}

#define BIG (200 * 1024)

static void
test_reader(void)
{
	struct ob_scrub_report r = OB_SCRUB_REPORT_INIT;
	unsigned char *want = pattern(BIG), *got = malloc(100000), c;
	const unsigned char *p;
	struct ob_sio io;
	int fd;

	want[150000] = 0xFF;
	fd = memfd_with(want, BIG);
	CHECK(ob_sio_init(&io, fd, -1, &ob_scrub_default_limits, &r) == 0);
	CHECK(io.size == BIG);

	/* Front to back, across the window's end. */
	ob_sio_seek(&io, 1000);
	CHECK(ob_sio_byte(&io, &c) == 0 && c == want[1000]);
	CHECK(ob_sio_read(&io, got, 100000) == 0);
	CHECK(memcmp(got, want + 1001, 100000) == 0);
	CHECK(ob_sio_tell(&io) == 101001);
	CHECK(ob_sio_find(&io, 0xFF) == 0 && ob_sio_tell(&io) == 150000);
	CHECK(ob_sio_byte(&io, &c) == 0 && c == 0xFF);
	CHECK(ob_sio_skip(&io, BIG - 150001) == 0);
	CHECK(ob_sio_tell(&io) == BIG);

	/* Peeks, in the window and out of it. */
	CHECK(ob_sio_peek(&io, BIG - 10, 10, &p) == 0);
	CHECK(memcmp(p, want + BIG - 10, 10) == 0);
	CHECK(ob_sio_peek(&io, 5, OB_SIO_WINDOW, &p) == 0);
	CHECK(memcmp(p, want + 5, OB_SIO_WINDOW) == 0);
	CHECK(ob_sio_peek(&io, 70000, 16, &p) == 0);
	CHECK(memcmp(p, want + 70000, 16) == 0);
	CHECK(ob_sio_pread(&io, 199990, got, 10) == 0);
	CHECK(memcmp(got, want + 199990, 10) == 0);
	CHECK(io.why == NULL);

	/* Past the end: OB_EINVAL, and the first reason is kept. */
	CHECK_INT(ob_sio_byte(&io, &c), OB_EINVAL);
	CHECK(io.why != NULL && strstr(io.why, "truncated") != NULL);
	CHECK_INT(ob_sio_fail(&io, OB_EUNSUPP, "a later reason"), OB_EUNSUPP);
	ob_sio_seek(&io, 10);
	CHECK_INT(ob_sio_skip(&io, BIG), OB_EINVAL);
	CHECK_INT(ob_sio_read(&io, got, 100000), 0);
	ob_sio_seek(&io, BIG - 5);
	CHECK_INT(ob_sio_read(&io, got, 6), OB_EINVAL);
	CHECK_INT(ob_sio_find(&io, 0xFF), OB_EINVAL);
	CHECK_INT(ob_sio_peek(&io, BIG - 10, 11, &p), OB_EINVAL);
	CHECK_INT(ob_sio_peek(&io, 0, OB_SIO_WINDOW + 1, &p), OB_EINVAL);
	CHECK_INT(ob_sio_pread(&io, BIG + 1, got, 0), OB_EINVAL);
	CHECK_INT(ob_sio_end(&io, OB_EINVAL), OB_EINVAL);
	CHECK_STR(ob_buf_cstr(&r.lines),
	    "refused: the file is truncated or points outside itself\n");
	ob_sio_release(&io);
	ob_scrub_report_release(&r);
	close(fd);
	free(want);
	free(got);
}

static void
test_writer(void)
{
	struct ob_scrub_report r = OB_SCRUB_REPORT_INIT;
	unsigned char *in = pattern(BIG), *want = calloc(1, 3 * BIG), *data;
	int fd = memfd_with(in, BIG);
	int out = memfd_create("out", MFD_CLOEXEC);
	struct ob_sio io;
	size_t len, n = 0;

	CHECK(ob_sio_init(&io, fd, out, &ob_scrub_default_limits, &r) == 0);
	/* 100 bytes written, BIG copied, 1000 zeros, BIG-100 copied. */
	CHECK(ob_sio_write(&io, "0123456789", 10) == 0);
	memcpy(want, "0123456789", 10);
	n = 10;
	CHECK(ob_sio_copy(&io, 0, BIG) == 0);
	memcpy(want + n, in, BIG);
	n += BIG;
	CHECK(ob_sio_zeros(&io, 1000) == 0);
	n += 1000;
	CHECK(ob_sio_copy(&io, 100, BIG - 100) == 0);
	memcpy(want + n, in + 100, BIG - 100);
	n += BIG - 100;
	CHECK(io.written == n);
	/* Some of it went out already: patches on both sides, and one
	 * across the line between them. */
	CHECK(io.written - io.wlen > 0 && io.wlen > 0);
	CHECK(ob_sio_patch(&io, 2, "ab", 2) == 0);
	memcpy(want + 2, "ab", 2);
	CHECK(ob_sio_patch(&io, n - 3, "xyz", 3) == 0);
	memcpy(want + n - 3, "xyz", 3);
	{
		uint64_t line = io.written - io.wlen;

		CHECK(ob_sio_patch(&io, line - 2, "PQRS", 4) == 0);
		memcpy(want + line - 2, "PQRS", 4);
	}
	CHECK_INT(ob_sio_patch(&io, n - 1, "zz", 2), OB_EINTERNAL);
	io.why = NULL;
	CHECK_INT(ob_sio_copy(&io, BIG - 1, 2), OB_EINVAL);
	io.why = NULL;
	CHECK(io.written == n);
	CHECK(ob_sio_end(&io, 0) == 0);
	ob_sio_release(&io);
	CHECK(ob_sio_slurp(out, 3 * BIG, &data, &len) == 0);
	CHECK(len == n && memcmp(data, want, n) == 0);
	free(data);
	CHECK_STR(ob_buf_cstr(&r.lines), "");
	close(out);
	close(fd);
	free(in);
	free(want);
}

static void
test_limits_and_failures(void)
{
	struct ob_scrub_limits lim = ob_scrub_default_limits;
	struct ob_scrub_report r = OB_SCRUB_REPORT_INIT;
	int fd = memfd_with("some input bytes", 16);
	int out = memfd_create("out", MFD_CLOEXEC);
	int ro = open("/dev/null", O_RDONLY | O_CLOEXEC);
	unsigned char *data;
	struct ob_sio io;
	size_t len;

	/* max_output: nothing past it is appended, and the report says so. */
	lim.max_output = 20;
	CHECK(ob_sio_init(&io, fd, out, &lim, &r) == 0);
	CHECK(ob_sio_copy(&io, 0, 16) == 0);
	CHECK_INT(ob_sio_zeros(&io, 5), OB_ETOOBIG);
	CHECK_INT(ob_sio_write(&io, "abcde", 5), OB_ETOOBIG);
	CHECK(ob_sio_write(&io, "abcd", 4) == 0);
	CHECK_INT(ob_sio_end(&io, OB_ETOOBIG), OB_ETOOBIG);
	ob_sio_release(&io);
	CHECK_STR(ob_buf_cstr(&r.lines),
	    "refused: the cleaned file would be larger than allowed\n");
	ob_scrub_report_release(&r);
	/* A failure only buffered: nothing reached out. */
	CHECK(ob_sio_slurp(out, 100, &data, &len) == 0 && len == 0);
	free(data);

	/* A scrubber's own refusal line stays the only one. */
	CHECK(ob_sio_init(&io, fd, out, &lim, &r) == 0);
	CHECK_INT(ob_sio_fail(&io, OB_EINVAL, "reader reason"), OB_EINVAL);
	ob_scrub_note(&r, "refused", "the scrubber's reason");
	CHECK_INT(ob_sio_end(&io, OB_EINVAL), OB_EINVAL);
	ob_sio_release(&io);
	CHECK_STR(ob_buf_cstr(&r.lines), "refused: the scrubber's reason\n");
	ob_scrub_report_release(&r);

	/* No reason at all: the general line for the code. */
	CHECK(ob_sio_init(&io, fd, out, &lim, &r) == 0);
	CHECK_INT(ob_sio_end(&io, OB_EUNSUPP), OB_EUNSUPP);
	ob_sio_release(&io);
	CHECK_STR(ob_buf_cstr(&r.lines),
	    "refused: the file uses a feature that cannot be cleaned "
	    "safely\n");
	ob_scrub_report_release(&r);

	/* Writing fails when the buffer goes out, at the end. */
	CHECK(ro >= 0);
	CHECK(ob_sio_init(&io, fd, ro, &lim, &r) == 0);
	CHECK(ob_sio_write(&io, "abc", 3) == 0);
	CHECK_INT(ob_sio_end(&io, 0), OB_EIO);
	ob_sio_release(&io);
	CHECK_STR(ob_buf_cstr(&r.lines),
	    "refused: the cleaned file could not be written\n");
	ob_scrub_report_release(&r);
	close(ro);
	close(out);
	close(fd);
}

int
main(void)
{
	test_byte_order();
	test_descriptors();
	test_init();
	test_reader();
	test_writer();
	test_limits_and_failures();
	return CHECK_DONE();
}
