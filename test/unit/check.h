/*
 * check.h - the smallest useful unit-test harness.
 *
 * CHECK(cond) records a failure with file and line and carries on, so
 * one run reports every broken expectation; CHECK_DONE() returns the
 * exit status meson test reads.
 */
#ifndef OB_CHECK_H
#define OB_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                            \
	do {                                                                   \
		check_count++;                                                 \
		if (!(cond)) {                                                 \
			check_failures++;                                      \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
			    __LINE__, #cond);                                  \
		}                                                              \
	} while (0)

#define CHECK_STR(got, want)                                                   \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		check_count++;                                                 \
		if (g_ == NULL || strcmp(g_, w_) != 0) {                       \
			check_failures++;                                      \
			fprintf(stderr,                                        \
			    "%s:%d: CHECK_STR failed: %s\n  got:  %s\n"        \
			    "  want: %s\n",                                    \
			    __FILE__, __LINE__, #got, g_ ? g_ : "(null)", w_); \
		}                                                              \
	} while (0)

#define CHECK_INT(got, want)                                                   \
	do {                                                                   \
		long long g_ = (long long)(got), w_ = (long long)(want);       \
		check_count++;                                                 \
		if (g_ != w_) {                                                \
			check_failures++;                                      \
			fprintf(stderr,                                        \
			    "%s:%d: CHECK_INT failed: %s: got %lld, "          \
			    "want %lld\n",                                     \
			    __FILE__, __LINE__, #got, g_, w_);                 \
		}                                                              \
	} while (0)

#define CHECK_DONE()                                                           \
	(fprintf(                                                              \
	     stderr, "%d checks, %d failed\n", check_count, check_failures),   \
	    check_failures ? 1 : 0)

#endif
