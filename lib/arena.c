#include "lib/arena.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/util.h"

#define BLOCK_MIN 16384

struct ob_arena_block {
	struct ob_arena_block *next;
	size_t size;
	size_t used;
	alignas(max_align_t) unsigned char mem[];
};

void
ob_arena_init(struct ob_arena *a, size_t cap)
{
	a->head = NULL;
	a->total = 0;
	a->cap = cap;
}

void *
ob_arena_alloc(struct ob_arena *a, size_t n)
{
	const size_t align = alignof(max_align_t);
	struct ob_arena_block *b = a->head;
	size_t off, size;

	if (n > SIZE_MAX / 2)
		ob_die("arena: allocation too large");
	if (b != NULL) {
		off = (b->used + align - 1) & ~(align - 1);
		if (off <= b->size && n <= b->size - off) {
			b->used = off + n;
			memset(b->mem + off, 0, n);
			return b->mem + off;
		}
	}
	size = n > BLOCK_MIN ? n : BLOCK_MIN;
	if (size > a->cap || a->total > a->cap - size)
		ob_die("arena: request memory cap reached");
	b = ob_xmalloc(sizeof(*b) + size);
	b->size = size;
	b->used = n;
	b->next = a->head;
	a->head = b;
	a->total += size;
	memset(b->mem, 0, n);
	return b->mem;
}

char *
ob_arena_strndup(struct ob_arena *a, const char *s, size_t n)
{
	char *p = ob_arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
ob_arena_strdup(struct ob_arena *a, const char *s)
{
	return ob_arena_strndup(a, s, strlen(s));
}

char *
ob_arena_vprintf(struct ob_arena *a, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	char *p;

	/*
	 * GCC 12 with -fsanitize=nonnull-attribute otherwise warns of a
	 * "null format string" on a path its instrumentation made up.
	 */
	if (fmt == NULL)
		ob_die("arena: null format");
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		ob_die("arena: bad format");
	p = ob_arena_alloc(a, (size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
ob_arena_printf(struct ob_arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = ob_arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

void
ob_arena_reset(struct ob_arena *a)
{
	struct ob_arena_block *b = a->head, *next;

	if (b == NULL)
		return;
	/* Keep the oldest block for the next request; free the rest. */
	while (b->next != NULL) {
		next = b->next;
		sodium_memzero(b->mem, b->used);
		a->total -= b->size;
		free(b);
		b = next;
	}
	sodium_memzero(b->mem, b->used);
	b->used = 0;
	a->head = b;
}

void
ob_arena_release(struct ob_arena *a)
{
	struct ob_arena_block *b = a->head, *next;

	while (b != NULL) {
		next = b->next;
		sodium_memzero(b->mem, b->used);
		free(b);
		b = next;
	}
	ob_arena_init(a, a->cap);
}
