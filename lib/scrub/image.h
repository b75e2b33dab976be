/*
 * image.h - the magic-number tests of the image families (jpeg, png,
 * gif, webp, tiff, bmp) for the registry (lib/scrub/registry.c).  Each
 * looks at the first n bytes of a file only and says whether its
 * scrubber should be tried; the scrubber then checks everything else.
 */
#ifndef OB_SCRUB_IMAGE_H
#define OB_SCRUB_IMAGE_H

#include <stdbool.h>
#include <stddef.h>

bool ob_scrub_jpeg_sniff(const unsigned char *head, size_t n);
bool ob_scrub_png_sniff(const unsigned char *head, size_t n);
bool ob_scrub_gif_sniff(const unsigned char *head, size_t n);
bool ob_scrub_webp_sniff(const unsigned char *head, size_t n);
bool ob_scrub_tiff_sniff(const unsigned char *head, size_t n);
bool ob_scrub_bmp_sniff(const unsigned char *head, size_t n);

#endif
