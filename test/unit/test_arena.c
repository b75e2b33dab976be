#include "lib/arena.h"

#include <stdint.h>
#include <stdalign.h>

#include "test/unit/check.h"

int
main(void)
{
	struct ob_arena a;
	char *s, *big;
	void *p;

	ob_arena_init(&a, 1 << 20);
	s = ob_arena_strdup(&a, "hello");
	CHECK_STR(s, "hello");
	CHECK_STR(ob_arena_strndup(&a, "hello", 3), "hel");
	CHECK_STR(ob_arena_printf(&a, "%s-%d", "x", 42), "x-42");
	p = ob_arena_alloc(&a, 3);
	p = ob_arena_alloc(&a, 8);
	CHECK(((uintptr_t)p % alignof(max_align_t)) == 0);

	big = ob_arena_alloc(&a, 100000);
	CHECK(big != NULL);
	for (int i = 0; i < 100000; i++)
		CHECK(big[i] == 0);
	big[99999] = 1;
	CHECK(a.total >= 100000);

	ob_arena_reset(&a);
	CHECK(a.total <= 100000 + 16384);
	s = ob_arena_strdup(&a, "again");
	CHECK_STR(s, "again");
	ob_arena_release(&a);
	CHECK(a.head == NULL && a.total == 0);
	return CHECK_DONE();
}
