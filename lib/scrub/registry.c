/*
 * The format families Ombud scrubs, in the order ob_scrub_sniff tries
 * them (lib/scrub/scrub.h).  A family is added here with its module.
 * More specific magic numbers first: MP3's frame sync is the weakest
 * test, so it comes last.
 */
#include "lib/scrub/media.h"
#include "lib/scrub/scrub.h"

const struct ob_scrub_family ob_scrub_families[] = {
	{ "mp4", "video/mp4", ob_scrub_mp4, ob_scrub_mp4_sniff },
	{ "riff", "audio/wav, video/x-msvideo", ob_scrub_riff,
	    ob_scrub_riff_sniff },
	{ "mp3", "audio/mpeg", ob_scrub_mp3, ob_scrub_mp3_sniff },
};
const size_t ob_scrub_nfamilies = OB_NELEM(ob_scrub_families);
