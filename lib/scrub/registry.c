/*
 * The format families Ombud scrubs, in the order ob_scrub_sniff tries
 * them (lib/scrub/scrub.h).  A family is added here with its module.
 */
#include "lib/scrub/scrub.h"

#include "lib/scrub/office.h"

const struct ob_scrub_family ob_scrub_families[] = {
	{ "odf", "application/vnd.oasis.opendocument", ob_scrub_odf,
	    ob_sniff_odf },
	{ "ooxml", "application/vnd.openxmlformats-officedocument",
	    ob_scrub_ooxml, ob_sniff_ooxml },
};
const size_t ob_scrub_nfamilies = OB_NELEM(ob_scrub_families);
