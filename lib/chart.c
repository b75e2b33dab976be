#include "lib/chart.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "lib/form.h"

/*
 * Layout in viewBox units.  Columns: a plot with the axis labels on the
 * left, room for the values above the bars and the labels below.  Rows:
 * each row a label line and a bar below it, the value after the bar,
 * the axis labels at the bottom.
 */
#define COL_HEIGHT 260
#define COL_LEFT 48
#define COL_RIGHT 8
#define COL_TOP 20
#define COL_BOTTOM 28
#define COL_LABEL_GAP 48 /* least distance between two column labels */
#define COL_VALUE_SLOT 28 /* narrowest column that shows its value */
#define ROW_STEP 36
#define ROW_LEFT 8
#define ROW_RIGHT 72
#define ROW_TOP 8
#define ROW_BOTTOM 24
#define ROW_BAR 14
#define TIP_LABEL 200
#define TICKS 4 /* at most TICKS + 1 grid lines */
#define BAR_FILL "#0b5cad"

/* Writes the literal attribute name="<number>". */
#define NUM_ATTR(h, name, v)                                                   \
	do {                                                                   \
		ob_html_literal((h), " " name "=\"");                          \
		num((h), (v));                                                 \
		ob_html_literal((h), "\"");                                    \
	} while (0)

/* A number, through the escaper like every other byte of text. */
static void
num(struct ob_html *h, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%llu", (unsigned long long)v);
	ob_html_text(h, s);
}

static bool
valid_id(const char *id)
{
	size_t n;

	if (id == NULL || !(id[0] >= 'a' && id[0] <= 'z'))
		return false;
	n = strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789-");
	return id[n] == '\0' && n <= 32;
}

static bool
valid_text(const char *s)
{
	return s != NULL && ob_utf8_valid(s, strlen(s));
}

/*
 * Text of at most max characters (max <= TIP_LABEL), escaped: cut to
 * max - 1 characters and "…" when longer, control characters as spaces.
 */
static void
text(struct ob_html *h, const char *s, size_t max)
{
	char out[TIP_LABEL * 4 + 4];
	size_t chars = 0, len = 0, i, cut = 0;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];

		if ((ch & 0xc0) != 0x80) {
			if (chars == max - 1)
				cut = len; /* where "…" goes if needed */
			if (chars == max)
				break;
			chars++;
		}
		out[len++] = ch < 0x20 || ch == 0x7f ? ' ' : (char)ch;
	}
	if (s[i] != '\0') {
		len = cut;
		memcpy(out + len, "\xe2\x80\xa6", 3);
		len += 3;
	}
	out[len] = '\0';
	ob_html_text(h, out);
}

/* The grid step: the least 1, 2 or 5 times 10^k with TICKS steps >= max. */
static uint64_t
grid_step(uint64_t max)
{
	static const uint64_t m[3] = { 1, 2, 5 };

	for (uint64_t p = 1;; p *= 10)
		for (size_t i = 0; i < 3; i++)
			if (m[i] * p * TICKS >= max)
				return m[i] * p;
}

struct scale {
	uint64_t step, top; /* the axis runs 0..top in steps of step */
};

static struct scale
scale_of(const struct ob_chart *c)
{
	struct scale s;
	uint64_t max = 0;

	for (size_t i = 0; i < c->nbars; i++)
		if (c->bars[i].value > max)
			max = c->bars[i].value;
	s.step = grid_step(max);
	s.top = (max + s.step - 1) / s.step * s.step;
	if (s.top == 0)
		s.top = s.step;
	return s;
}

/* The length of v on an axis of len units for 0..top; 1 at least for v > 0. */
static uint64_t
length(uint64_t v, uint64_t top, uint64_t len)
{
	uint64_t l = v * len / top; /* v <= 10^12, len < 10^5: no overflow */

	return l == 0 && v > 0 ? 1 : l;
}

static void
bar_title(struct ob_html *h, const struct ob_chart_bar *b)
{
	ob_html_literal(h, "<title>");
	text(h, b->label, TIP_LABEL);
	ob_html_literal(h, ": ");
	num(h, b->value);
	ob_html_literal(h, "</title>");
}

static void
rect(struct ob_html *h, uint64_t x, uint64_t y, uint64_t w, uint64_t ht)
{
	ob_html_literal(h, "<rect class=\"bar\" fill=\"" BAR_FILL "\"");
	NUM_ATTR(h, "x", x);
	NUM_ATTR(h, "y", y);
	NUM_ATTR(h, "width", w);
	NUM_ATTR(h, "height", ht);
	ob_html_literal(h, "/>");
}

static void
line(struct ob_html *h, uint64_t x1, uint64_t y1, uint64_t x2, uint64_t y2,
    bool grid)
{
	ob_html_literal(h, "<line");
	NUM_ATTR(h, "x1", x1);
	NUM_ATTR(h, "y1", y1);
	NUM_ATTR(h, "x2", x2);
	NUM_ATTR(h, "y2", y2);
	if (grid)
		ob_html_literal(
		    h, " stroke=\"currentColor\" stroke-opacity=\"0.2\"/>");
	else
		ob_html_literal(h, " stroke=\"currentColor\"/>");
}

/* <text x y [text-anchor]>v</text> for a number. */
static void
num_text(struct ob_html *h, uint64_t x, uint64_t y, bool middle, bool end,
    uint64_t v)
{
	ob_html_literal(h, "<text");
	NUM_ATTR(h, "x", x);
	NUM_ATTR(h, "y", y);
	if (middle)
		ob_html_literal(h, " text-anchor=\"middle\"");
	else if (end)
		ob_html_literal(h, " text-anchor=\"end\"");
	ob_html_literal(h, ">");
	num(h, v);
	ob_html_literal(h, "</text>");
}

static void
columns(struct ob_html *h, const struct ob_chart *c, struct scale s)
{
	const uint64_t left = COL_LEFT, right = OB_CHART_WIDTH - COL_RIGHT;
	const uint64_t top = COL_TOP, base = COL_HEIGHT - COL_BOTTOM;
	const uint64_t pw = right - left, ph = base - top;
	uint64_t every = 1;

	for (uint64_t t = 0; t <= s.top; t += s.step) {
		uint64_t y = base - length(t, s.top, ph);

		line(h, left, y, right, y, true);
		num_text(h, left - 6, y + 4, false, true, t);
	}
	/* Every k-th label, so that labels stay COL_LABEL_GAP apart
	 * (the narrowest slot, pw / OB_CHART_MAX_BARS, is 4). */
	if (c->nbars > 0 && pw / c->nbars < COL_LABEL_GAP)
		every = (COL_LABEL_GAP + pw / c->nbars - 1) / (pw / c->nbars);
	for (size_t i = 0; i < c->nbars; i++) {
		const struct ob_chart_bar *b = &c->bars[i];
		uint64_t x0 = left + i * pw / c->nbars;
		uint64_t x1 = left + (i + 1) * pw / c->nbars;
		uint64_t slot = x1 - x0, w = slot * 3 / 4 ? slot * 3 / 4 : 1;
		uint64_t ht = length(b->value, s.top, ph), mid = x0 + slot / 2;

		ob_html_literal(h, "<g>");
		bar_title(h, b);
		rect(h, x0 + (slot - w) / 2, base - ht, w, ht);
		if (slot >= COL_VALUE_SLOT)
			num_text(h, mid, base - ht - 4, true, false, b->value);
		if (i % every == 0) {
			ob_html_literal(
			    h, "<text text-anchor=\"middle\" font-size=\"10\"");
			NUM_ATTR(h, "x", mid);
			NUM_ATTR(h, "y", base + 18);
			ob_html_literal(h, ">");
			text(h, b->label, OB_CHART_COLUMN_LABEL);
			ob_html_literal(h, "</text>");
		}
		ob_html_literal(h, "</g>");
	}
	line(h, left, base, right, base, false);
}

static void
rows(struct ob_html *h, const struct ob_chart *c, struct scale s,
    uint64_t height)
{
	const uint64_t left = ROW_LEFT, right = OB_CHART_WIDTH - ROW_RIGHT;
	const uint64_t base = height - ROW_BOTTOM, pw = right - left;

	for (uint64_t t = 0; t <= s.top; t += s.step) {
		uint64_t x = left + length(t, s.top, pw);

		line(h, x, ROW_TOP, x, base, true);
		num_text(h, x, height - 8, true, false, t);
	}
	for (size_t i = 0; i < c->nbars; i++) {
		const struct ob_chart_bar *b = &c->bars[i];
		uint64_t y = ROW_TOP + i * ROW_STEP;
		uint64_t w = length(b->value, s.top, pw);

		ob_html_literal(h, "<g>");
		bar_title(h, b);
		ob_html_literal(h, "<text");
		NUM_ATTR(h, "x", left + 3); /* clear of the axis */
		NUM_ATTR(h, "y", y + 13);
		ob_html_literal(h, ">");
		text(h, b->label, OB_CHART_ROW_LABEL);
		ob_html_literal(h, "</text>");
		rect(h, left, y + 17, w, ROW_BAR);
		num_text(h, left + w + 6, y + 17 + 12, false, false, b->value);
		ob_html_literal(h, "</g>");
	}
	line(h, left, ROW_TOP, left, base, false);
}

int
ob_chart_svg(struct ob_html *out, const struct ob_chart *c)
{
	uint64_t height;

	if ((c->kind != OB_CHART_COLUMNS && c->kind != OB_CHART_ROWS) ||
	    !valid_id(c->id) || !valid_text(c->title) || !valid_text(c->desc) ||
	    c->nbars > OB_CHART_MAX_BARS || (c->nbars > 0 && c->bars == NULL))
		return OB_EINVAL;
	for (size_t i = 0; i < c->nbars; i++)
		if (!valid_text(c->bars[i].label) ||
		    c->bars[i].value > OB_CHART_MAX_VALUE)
			return OB_EINVAL;
	height = c->kind == OB_CHART_COLUMNS
	    ? COL_HEIGHT
	    : ROW_TOP + c->nbars * ROW_STEP + ROW_BOTTOM;

	ob_html_literal(out,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" "
	    "role=\"img\" id=\"");
	ob_html_text(out, c->id);
	ob_html_literal(out, "\" aria-labelledby=\"");
	ob_html_text(out, c->id);
	ob_html_literal(out, "-title\" aria-describedby=\"");
	ob_html_text(out, c->id);
	ob_html_literal(out, "-desc\"");
	NUM_ATTR(out, "width", OB_CHART_WIDTH);
	NUM_ATTR(out, "height", height);
	ob_html_literal(out, " viewBox=\"0 0 ");
	num(out, OB_CHART_WIDTH);
	ob_html_literal(out, " ");
	num(out, height);
	ob_html_literal(out,
	    "\" fill=\"currentColor\" font-family=\"sans-serif\" "
	    "font-size=\"12\">\n<title id=\"");
	ob_html_text(out, c->id);
	ob_html_literal(out, "-title\">");
	ob_html_text(out, c->title);
	ob_html_literal(out, "</title>\n<desc id=\"");
	ob_html_text(out, c->id);
	ob_html_literal(out, "-desc\">");
	ob_html_text(out, c->desc);
	ob_html_literal(out, "</desc>\n");
	if (c->kind == OB_CHART_COLUMNS)
		columns(out, c, scale_of(c));
	else
		rows(out, c, scale_of(c), height);
	ob_html_literal(out, "\n</svg>");
	return 0;
}
