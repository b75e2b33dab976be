/*
 * fuzz_scrub_riff.c - ob_scrub_riff on arbitrary bytes, through the shared
 * harness (scrub_harness.h): no crash, leak or undefined behaviour, and
 * what it accepts it accepts again after scrubbing.
 */
#include <stddef.h>
#include <stdint.h>

#include "test/fuzz/scrub_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return harness_run(ob_scrub_riff, data, size);
}
