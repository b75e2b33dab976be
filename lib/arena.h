/*
 * arena.h - a per-request bump allocator.
 *
 * Everything a request allocates from its arena is freed at once when
 * the request ends (ob_arena_reset).  Allocations never return NULL:
 * running out of memory aborts the child (see util.h).  Callers bound
 * what they allocate by validating input sizes first; the arena itself
 * refuses to grow past its cap, which also aborts, so a missed bound is
 * a crash of one child rather than a process eating the machine.
 */
#ifndef OB_ARENA_H
#define OB_ARENA_H

#include <stdarg.h>
#include <stddef.h>

struct ob_arena_block;

struct ob_arena {
	struct ob_arena_block *head;
	size_t total; /* bytes held in blocks */
	size_t cap; /* most bytes the arena may hold */
};

/* Prepares an empty arena that may hold at most cap bytes. */
void ob_arena_init(struct ob_arena *a, size_t cap);

/* Returns n bytes aligned for any type, zero-filled. */
void *ob_arena_alloc(struct ob_arena *a, size_t n);

/* Copies s (or its first n bytes) into the arena, NUL-terminated. */
char *ob_arena_strdup(struct ob_arena *a, const char *s);
char *ob_arena_strndup(struct ob_arena *a, const char *s, size_t n);

/* Formats into the arena. */
char *ob_arena_printf(struct ob_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
char *ob_arena_vprintf(struct ob_arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Frees every block but the first, and wipes what is kept. */
void ob_arena_reset(struct ob_arena *a);

/* Frees everything. */
void ob_arena_release(struct ob_arena *a);

#endif
