/*
 * chart.h - bar charts drawn on the server as inline SVG (no script).
 *
 * A chart is appended to a piece of markup (struct ob_html, lib/tmpl.h)
 * that a template then writes out as it is.  It is built with nothing
 * but the two things that may make markup: string literals
 * (ob_html_literal) for the fixed SVG syntax, and the escaper
 * (ob_html_text) for everything else - the id, the title and
 * description, every label and every number.  So no byte of a label
 * (category names are chosen by tenants: "</text><script>" is a label
 * like any other) can end an element or an attribute, and this module
 * needs no way of its own around the escaper: lib/tmpl offers none and
 * needs none added.
 *
 * What comes out:
 *   - one <svg> element with a fixed width and height and a matching
 *     viewBox (CSS may scale it down: max-width 100%, height auto);
 *   - role="img", named by its <title> and described by its <desc>
 *     (aria-labelledby, aria-describedby); screen readers read those,
 *     not the bars, so the caller puts the same numbers in an HTML
 *     table next to the chart;
 *   - presentation attributes only (fill=, stroke=, font-size=): no
 *     style attribute, no <style>, no script, no link or image and no
 *     reference to anything outside the element, so a CSP of
 *     "default-src 'none'; style-src 'self'" lets it through untouched.
 *     Text takes currentColor; bars carry class="bar" and a default
 *     fill that the site's stylesheet may override (dark mode).
 *
 * Scale: the axis runs from 0 to a round number at or above the largest
 * value (a multiple of 1, 2 or 5 times a power of ten, in at most five
 * steps), with a grid line and a label at each step; all zero values
 * draw an axis from 0 to 1 and no bars.  A value above 0 is at least
 * one unit long, so it never vanishes.  Coordinates are whole numbers
 * (integer arithmetic: no locale can turn a point into a comma).
 *
 * Labels are shortened in the picture (a column's to
 * OB_CHART_COLUMN_LABEL characters, a row's to OB_CHART_ROW_LABEL, with
 * "…" at the cut); each bar's tooltip (<title>) has the label up to 200
 * characters and its value.  Control characters in labels become
 * spaces.  Columns too narrow for every label get every k-th one.
 */
#ifndef OB_CHART_H
#define OB_CHART_H

#include <stddef.h>
#include <stdint.h>

#include "lib/ob.h"
#include "lib/tmpl.h"

#define OB_CHART_WIDTH 640
#define OB_CHART_MAX_BARS 120
#define OB_CHART_MAX_VALUE 1000000000000ULL /* 10^12 */
#define OB_CHART_COLUMN_LABEL 10
#define OB_CHART_ROW_LABEL 80

enum ob_chart_kind {
	/* Vertical bars side by side, labels below: short labels (months). */
	OB_CHART_COLUMNS = 1,
	/* Horizontal bars one below the other, each label above its bar:
	 * long labels (categories).  The height grows with the bars. */
	OB_CHART_ROWS,
};

struct ob_chart_bar {
	const char *label; /* UTF-8 */
	uint64_t value; /* 0..OB_CHART_MAX_VALUE */
};

struct ob_chart {
	enum ob_chart_kind kind;
	/*
	 * The svg element's id, [a-z][a-z0-9-]{0,31}, unique on the page:
	 * its <title> and <desc> get id-title and id-desc.
	 */
	const char *id;
	const char *title; /* UTF-8: the accessible name */
	const char *desc; /* UTF-8: what it shows, for screen readers */
	const struct ob_chart_bar *bars; /* nbars of them, in order */
	size_t nbars; /* 0..OB_CHART_MAX_BARS */
};

/*
 * Appends chart c as one <svg> element to out.  Checks everything
 * before writing anything: OB_EINVAL for an unknown kind, an id that
 * does not match, a NULL string, text that is not valid UTF-8, more
 * than OB_CHART_MAX_BARS bars (or bars NULL with nbars > 0) or a value
 * above OB_CHART_MAX_VALUE; out is untouched then.  The output grows
 * with the bars and the length of title and desc (it lives in out's
 * arena; a few hundred bytes a bar).
 */
int ob_chart_svg(struct ob_html *out, const struct ob_chart *c) OB_MUST_CHECK;

#endif
