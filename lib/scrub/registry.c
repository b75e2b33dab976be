/*
 * The format families Ombud scrubs, in the order ob_scrub_sniff tries
 * them (lib/scrub/scrub.h).  A family is added here with its module.
 * Longer, more specific magic numbers come first; BMP's two letters
 * and MP3's frame sync, the weakest tests, come last.
 */
#include "lib/scrub/office.h"
#include "lib/scrub/scrub.h"
#include "lib/scrub/sniff.h"

const struct ob_scrub_family ob_scrub_families[] = {
	{ "odf", "application/vnd.oasis.opendocument", ob_scrub_odf,
	    ob_sniff_odf },
	{ "ooxml", "application/vnd.openxmlformats-officedocument",
	    ob_scrub_ooxml, ob_sniff_ooxml },
	{ "pdf", "application/pdf", ob_scrub_pdf, ob_scrub_sniff_pdf },
	{ "webp", "image/webp", ob_scrub_webp, ob_scrub_webp_sniff },
	{ "png", "image/png", ob_scrub_png, ob_scrub_png_sniff },
	{ "gif", "image/gif", ob_scrub_gif, ob_scrub_gif_sniff },
	{ "tiff", "image/tiff", ob_scrub_tiff, ob_scrub_tiff_sniff },
	{ "jpeg", "image/jpeg", ob_scrub_jpeg, ob_scrub_jpeg_sniff },
	{ "mp4", "video/mp4", ob_scrub_mp4, ob_scrub_mp4_sniff },
	{ "riff", "audio/wav, video/x-msvideo", ob_scrub_riff,
	    ob_scrub_riff_sniff },
	{ "bmp", "image/bmp", ob_scrub_bmp, ob_scrub_bmp_sniff },
	{ "mp3", "audio/mpeg", ob_scrub_mp3, ob_scrub_mp3_sniff },
};
const size_t ob_scrub_nfamilies = OB_NELEM(ob_scrub_families);
