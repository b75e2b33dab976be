/*
 * fuzz_scrub_pdf.c - ob_scrub_pdf on arbitrary bytes (scrub_harness.h:
 * small limits, and a PDF it writes must scrub again).
 */
#include "test/fuzz/scrub_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return harness_run(ob_scrub_pdf, data, size);
}
