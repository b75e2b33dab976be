/*
 * The format families Ombud scrubs, in the order ob_scrub_sniff tries
 * them (lib/scrub/scrub.h).  A family is added here with its module.
 */
#include "lib/scrub/scrub.h"

const struct ob_scrub_family ob_scrub_families[] = {
	{ NULL, NULL, NULL, NULL },
};
const size_t ob_scrub_nfamilies = 0;
