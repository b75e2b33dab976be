/*
 * sniff.h - the magic-number tests of the image (jpeg, png, gif, webp,
 * tiff, bmp) and media (mp3, mp4, riff) families for the registry
 * (lib/scrub/registry.c).  Each looks at the first n bytes of a file
 * only and says whether its scrubber should be tried; the scrubber then
 * checks everything else.  The office and PDF families have theirs in
 * lib/scrub/office.h and lib/scrub/scrub.h.
 */
#ifndef OB_SCRUB_SNIFF_H
#define OB_SCRUB_SNIFF_H

#include <stdbool.h>
#include <stddef.h>

bool ob_scrub_jpeg_sniff(const unsigned char *head, size_t n);
bool ob_scrub_png_sniff(const unsigned char *head, size_t n);
bool ob_scrub_gif_sniff(const unsigned char *head, size_t n);
bool ob_scrub_webp_sniff(const unsigned char *head, size_t n);
bool ob_scrub_tiff_sniff(const unsigned char *head, size_t n);
bool ob_scrub_bmp_sniff(const unsigned char *head, size_t n);
bool ob_scrub_mp3_sniff(const unsigned char *head, size_t n);
bool ob_scrub_mp4_sniff(const unsigned char *head, size_t n);
bool ob_scrub_riff_sniff(const unsigned char *head, size_t n);

#endif
