/*
 * proc.h - running another program (pg_dump, age, an operator's
 * upload hook) without a shell: posix_spawnp with an argument vector,
 * its standard input and output taken from descriptors the caller
 * names, its standard error shared with ours so the operator sees the
 * program's own messages.
 *
 * The child starts with SIGPIPE at its default (a program whose reader
 * is gone should die of it, as under a shell) whatever our disposition
 * is, and with every other descriptor of ours closed: the callers open
 * everything O_CLOEXEC.
 */
#ifndef OB_PROC_H
#define OB_PROC_H

#include <sys/types.h>

#include "lib/buf.h"
#include "lib/ob.h"

/*
 * Starts argv[0] (looked up in PATH when it has no slash) with argv
 * and envp (NULL: our environment).  in_fd and out_fd become the
 * child's descriptors 0 and 1; -1 leaves ours.  On success *pid is the
 * child to pass to ob_proc_wait.  OB_EIO with a message in err when
 * the program cannot be started (not found, not executable).
 */
int ob_proc_spawn(char *const *argv, char *const *envp, int in_fd, int out_fd,
    pid_t *pid, struct ob_buf *err) OB_MUST_CHECK;

/*
 * Waits for pid.  0 when it exited with status 0; otherwise OB_EIO and
 * a message naming what ("pg_dump exited with status 1", "age was
 * killed by signal 13") in err.
 */
int ob_proc_wait(pid_t pid, const char *what, struct ob_buf *err) OB_MUST_CHECK;

#endif
