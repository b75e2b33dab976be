/* fuzz_scrub_odf.c - ob_scrub_odf on any bytes (see scrub_harness.h). */
#include "test/fuzz/scrub_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return harness_run(ob_scrub_odf, data, size);
}
