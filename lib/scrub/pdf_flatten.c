/*
 * pdf_flatten.c - the PDF family's "flatten" mode (the per-tenant
 * setting; lib/scrub/scrub.h): the file is cleaned with ob_scrub_pdf,
 * each page is rendered with poppler into a picture, a new PDF of those
 * pictures is built with cairo, and that is cleaned with ob_scrub_pdf
 * too (cairo writes its own name and the time into it).  Nothing of the
 * original survives but what a page looks like: no text layer, links,
 * forms or bookmarks.  A font the PDF names but does not include
 * (Helvetica, Times) is drawn with a font file of the system's: the
 * sandbox lets poppler and fontconfig read the font directories, read
 * only, where the kernel has Landlock (lib/scrub/run.c, read_dirs in
 * lib/sandbox.h).  Where no font file can be opened, such a file is
 * refused (OB_EUNSUPP) rather than drawn without its text.
 */
#include "lib/scrub/scrub.h"

#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <poppler.h>

#include "lib/scrub/sio.h"

/* Page rendering: 150 dpi, and a picture of a page takes at most
 * lim->max_in_memory (4 bytes a pixel): larger pages are drawn at a
 * lower resolution. */
#define FLAT_DPI 150.0
/* Pages larger than 200 inches on a side are refused (PDF's own cap). */
#define FLAT_MAX_POINTS 14400.0

struct flat_sink {
	int fd;
	uint64_t written, max;
	int err;
};

static cairo_status_t
flat_write(void *closure, const unsigned char *p, unsigned int n)
{
	struct flat_sink *s = closure;

	if (s->err != 0)
		return CAIRO_STATUS_WRITE_ERROR;
	if (n > s->max - s->written) {
		s->err = OB_ETOOBIG;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	if ((s->err = ob_sio_write_full(s->fd, p, n)) != 0)
		return CAIRO_STATUS_WRITE_ERROR;
	s->written += n;
	return CAIRO_STATUS_SUCCESS;
}

/*
 * Renders one page into an image and paints it on the PDF surface as a
 * page of the same size in points.
 */
static int
flat_page(PopplerPage *page, cairo_surface_t *pdf,
    const struct ob_scrub_limits *lim, struct ob_scrub_report *rep)
{
	double wpt, hpt, scale = FLAT_DPI / 72.0;
	double max_pixels = (double)(lim->max_in_memory / 4);
	cairo_surface_t *img = NULL;
	cairo_t *cr = NULL;
	int wpx, hpx, rc = 0;

	poppler_page_get_size(page, &wpt, &hpt);
	if (!isfinite(wpt) || !isfinite(hpt) || wpt < 1 || hpt < 1 ||
	    wpt > FLAT_MAX_POINTS || hpt > FLAT_MAX_POINTS) {
		ob_scrub_note(rep, "refused", "a page has an impossible size");
		return OB_EINVAL;
	}
	if (wpt * scale * hpt * scale > max_pixels) {
		scale = sqrt(max_pixels / (wpt * hpt));
		ob_scrub_note(rep, "changed",
		    "a very large page was drawn at a lower resolution");
	}
	wpx = (int)ceil(wpt * scale);
	hpx = (int)ceil(hpt * scale);
	img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, wpx, hpx);
	if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
		rc = OB_ETOOBIG;
		goto out;
	}
	cr = cairo_create(img);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, scale, scale);
	poppler_page_render(page, cr);
	cairo_destroy(cr);
	cr = NULL;
	cairo_surface_flush(img);

	cairo_pdf_surface_set_size(pdf, wpt, hpt);
	cr = cairo_create(pdf);
	cairo_scale(cr, 1 / scale, 1 / scale);
	cairo_set_source_surface(cr, img, 0, 0);
	cairo_paint(cr);
	cairo_show_page(cr);
	if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
		rc = OB_EIO;
out:
	if (cr != NULL)
		cairo_destroy(cr);
	/* Finished here, so the PDF surface keeps no copy of the pixels
	 * for the rest of the document. */
	cairo_surface_finish(img);
	cairo_surface_destroy(img);
	return rc;
}

/*
 * Whether every font the pages use can be drawn.  A font the PDF names
 * but does not include is drawn with a font file of this system's; where
 * none can be found (no such font installed, or a sandbox without
 * Landlock, which then opens no files at all) poppler would draw the
 * page without that text, and a picture that lost its words must not
 * pass for the page.
 */
static bool
fonts_drawable(PopplerDocument *doc, int pages)
{
	PopplerFontInfo *fi = poppler_font_info_new(doc);
	PopplerFontsIter *it = NULL;
	bool ok = true;

	/* All pages in one scan: a scan of pages without fonts says "no
	 * more" even when later pages have some. */
	if (poppler_font_info_scan(fi, pages, &it) && it != NULL) {
		do {
			if (!poppler_fonts_iter_is_embedded(it) &&
			    poppler_fonts_iter_get_font_type(it) !=
				POPPLER_FONT_TYPE_TYPE3 &&
			    poppler_fonts_iter_get_file_name(it) == NULL)
				ok = false;
		} while (ok && poppler_fonts_iter_next(it));
		poppler_fonts_iter_free(it);
	}
	poppler_font_info_free(fi);
	return ok;
}

/* Draws every page of the PDF in fd into a new PDF written to sink. */
static int
flat_render(int fd, struct flat_sink *sink, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep)
{
	PopplerDocument *doc = NULL;
	cairo_surface_t *pdf = NULL;
	GError *err = NULL;
	int pages, rc = 0;

	/* poppler owns the descriptor it is given and reads as it goes. */
	if ((fd = dup(fd)) < 0)
		return OB_EIO;
	doc = poppler_document_new_from_fd(fd, "", &err);
	if (doc == NULL) {
		ob_scrub_note(rep, "refused", "the pages could not be drawn");
		rc = OB_EINVAL;
		goto out;
	}
	pages = poppler_document_get_n_pages(doc);
	if (pages <= 0 || (unsigned)pages > lim->max_pages) {
		ob_scrub_note(rep, "refused", "the pages could not be drawn");
		rc = OB_EINVAL;
		goto out;
	}
	if (!fonts_drawable(doc, pages)) {
		ob_scrub_note(rep, "refused",
		    "the PDF uses fonts it does not include, and they cannot "
		    "be drawn here");
		rc = OB_EUNSUPP;
		goto out;
	}
	pdf = cairo_pdf_surface_create_for_stream(flat_write, sink, 1, 1);
	if (cairo_surface_status(pdf) != CAIRO_STATUS_SUCCESS) {
		rc = OB_EIO;
		goto out;
	}
	for (int i = 0; i < pages && rc == 0; i++) {
		PopplerPage *page = poppler_document_get_page(doc, i);

		if (page == NULL) {
			ob_scrub_note(
			    rep, "refused", "the pages could not be drawn");
			rc = OB_EINVAL;
			break;
		}
		rc = flat_page(page, pdf, lim, rep);
		g_object_unref(page);
		if (rc == 0 && sink->err != 0)
			rc = sink->err;
	}
	cairo_surface_finish(pdf);
	if (rc == 0 && sink->err != 0)
		rc = sink->err;
	if (rc == 0 && cairo_surface_status(pdf) != CAIRO_STATUS_SUCCESS)
		rc = OB_EIO;
	if (rc == OB_ETOOBIG)
		ob_scrub_refuse_size(
		    rep, "the pictures of the pages are", lim->max_in_memory);
out:
	if (pdf != NULL)
		cairo_surface_destroy(pdf);
	if (doc != NULL)
		g_object_unref(doc);
	if (err != NULL)
		g_error_free(err);
	return rc;
}

/*
 * Three passes: ob_scrub_pdf first (the same refusals and limits as the
 * normal mode, and poppler then reads a file qpdf wrote, decrypted and
 * without scripts or attachments), the pages drawn into a new PDF, and
 * ob_scrub_pdf again over that (cairo writes its name and the time).
 * The intermediate files are memfds of at most lim->max_in_memory.
 */
int
ob_scrub_pdf_flatten(int in, int out, const struct ob_scrub_limits *lim,
    struct ob_scrub_report *rep)
{
	struct ob_scrub_report inner = OB_SCRUB_REPORT_INIT;
	struct flat_sink sink = { .fd = -1, .max = lim->max_in_memory };
	int clean = -1, rc;

	if ((clean = memfd_create("ombud-pdf-clean", MFD_CLOEXEC)) < 0 ||
	    (sink.fd = memfd_create("ombud-pdf-flat", MFD_CLOEXEC)) < 0) {
		rc = OB_EIO;
		goto out;
	}
	if ((rc = ob_scrub_pdf(in, clean, lim, &inner)) != 0) {
		/* Its other notes are about an intermediate file. */
		(void)ob_scrub_report_end(rep, &inner, rc);
		goto out;
	}
	if ((rc = flat_render(clean, &sink, lim, rep)) != 0)
		goto out;
	ob_scrub_report_release(&inner);
	if (lseek(sink.fd, 0, SEEK_SET) != 0) {
		rc = OB_EIO;
		goto out;
	}
	if ((rc = ob_scrub_pdf(sink.fd, out, lim, &inner)) != 0) {
		/* Its other notes are about an intermediate file. */
		(void)ob_scrub_report_end(rep, &inner, rc);
		goto out;
	}
	ob_scrub_note(rep, "changed",
	    "every page was replaced by a picture of it (%.0f dpi): text can "
	    "no longer be selected or searched",
	    FLAT_DPI);
	ob_scrub_note(rep, "removed",
	    "everything but what the pages show: document information, "
	    "metadata, attachments, scripts, forms, links, bookmarks and "
	    "earlier revisions");
out:
	if (clean >= 0)
		close(clean);
	if (sink.fd >= 0)
		close(sink.fd);
	ob_scrub_report_release(&inner);
	return ob_scrub_refuse_once(rep, rc,
	    rc == OB_EIO ? ob_scrub_refusal_text(OB_EIO)
			 : "the PDF could not be cleaned");
}
