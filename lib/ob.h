/*
 * ob.h - shared conventions of libombud.
 *
 * Every fallible function returns int: 0 on success or a negative OB_E*
 * code, and hands results out through pointers.  Such functions carry
 * OB_MUST_CHECK so that an ignored error is a compile-time warning (an
 * error in CI).  Allocation failure is not an error code: the ob_x*
 * allocators abort the child, and the pool master starts a fresh one.
 */
#ifndef OB_H
#define OB_H

#include <stddef.h>

#define OB_MUST_CHECK __attribute__((warn_unused_result))
#define OB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define OB_NORETURN __attribute__((noreturn))
#define OB_NELEM(a) (sizeof(a) / sizeof((a)[0]))

enum ob_err {
	OB_OK = 0,
	OB_EINVAL = -1, /* malformed input */
	OB_ETOOBIG = -2, /* a size or count cap was reached */
	OB_ENOENT = -3, /* no such thing (file, key, route, field) */
	OB_EIO = -4, /* a system call failed; errno says why */
	OB_EDB = -5, /* the database failed or refused */
	OB_EAGAIN = -6, /* try again later */
	OB_ECONFIG = -7, /* configuration is invalid */
	OB_EUNSUPP = -8, /* valid but not supported */
	OB_EMETHOD = -9, /* path known, method not allowed */
	OB_EPERM = -10, /* not allowed */
	OB_EINTERNAL = -11, /* a bug: our data or code is wrong */
	OB_ECSRF = -12, /* a form without its anti-forgery token */
	OB_ELIMIT = -13, /* throttled: try again after Retry-After */
	OB_EDONE = -14, /* not an error: the response is already made */
	OB_ECONFLICT = -15, /* refused in the state things are in (409) */
};

/*
 * Returns a short lowercase description of an OB_E* code, for logs.
 * Never NULL; never contains input data.
 */
const char *ob_strerror(int err);

#endif
