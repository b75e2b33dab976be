#include "lib/chart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/form.h"
#include "lib/util.h"
#include "test/unit/check.h"

/*
 * The chart is markup: the test reads it the way a page does, through a
 * template that writes {{svg}} out as it is.
 */
static struct ob_tmpl_set *set;
static struct ob_arena arena;

static void
load_set(void)
{
	char dir[] = "/tmp/ob-chart-XXXXXX", path[256];
	struct ob_buf err = OB_BUF_INIT(1024);
	FILE *f;

	if (mkdtemp(dir) == NULL)
		ob_die("mkdtemp");
	snprintf(path, sizeof(path), "%s/svg.html", dir);
	if ((f = fopen(path, "wb")) == NULL)
		ob_die("fopen");
	fputs("{{svg}}", f);
	fclose(f);
	if (ob_tmpl_load(dir, &set, &err) != 0)
		ob_die("ob_tmpl_load");
	unlink(path);
	rmdir(dir);
	ob_buf_release(&err);
}

/* The markup of h as a string (static, overwritten by the next call). */
static const char *
markup(const struct ob_html *h)
{
	static struct ob_buf out = OB_BUF_INIT(4 * 1024 * 1024);
	struct ob_tctx *c = ob_tctx_new(&arena);

	ob_buf_reset(&out);
	ob_tctx_set_html(c, "svg", h);
	if (ob_tmpl_render(set, "svg", c, NULL, NULL, &out, NULL) != 0)
		ob_die("render");
	return ob_buf_cstr(&out);
}

/* Draws c; "" when ob_chart_svg refused (then want_rc is checked). */
static const char *
draw(const struct ob_chart *c, int want_rc)
{
	struct ob_html *h = ob_html_new(&arena);

	CHECK_INT(ob_chart_svg(h, c), want_rc);
	return markup(h);
}

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

/*
 * The number in attribute attr of the nth (0-based) element that starts
 * with tag (e.g. "<rect"); -1 when there is none.
 */
static long long
attr(const char *s, const char *tag, size_t nth, const char *attr)
{
	char key[32];
	const char *p = s, *end, *a;
	uint64_t v;

	for (size_t i = 0; i <= nth; i++, p++)
		if ((p = strstr(p, tag)) == NULL)
			return -1;
	p--;
	end = strchr(p, '>');
	snprintf(key, sizeof(key), " %s=\"", attr);
	if ((a = strstr(p, key)) == NULL || a > end)
		return -1;
	a += strlen(key);
	if (ob_parse_u64n(a, strcspn(a, "\""), 0, UINT64_MAX, &v) != 0)
		return -1;
	return (long long)v;
}

/* True when s has an attribute on...="" (an event handler). */
static bool
event_attr(const char *s)
{
	for (const char *p = s; (p = strstr(p, " on")) != NULL; p++) {
		size_t n = strspn(p + 3, "abcdefghijklmnopqrstuvwxyz");

		if (n > 0 && strncmp(p + 3 + n, "=\"", 2) == 0)
			return true;
	}
	return false;
}

/* No way out of the SVG: no script, style, link or event handler. */
static void
check_inert(const char *s)
{
	CHECK(strncmp(s, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) == 0);
	CHECK_INT(count(s, "<svg"), 1);
	CHECK_INT(count(s, "</svg>"), 1);
	CHECK(strcmp(s + strlen(s) - 6, "</svg>") == 0);
	CHECK(strstr(s, "<script") == NULL);
	CHECK(strstr(s, "style") == NULL);
	CHECK(strstr(s, "href") == NULL);
	CHECK(strstr(s, "url(") == NULL);
	CHECK(!event_attr(s));
	CHECK(strstr(s, "<foreignObject") == NULL);
	CHECK(strstr(s, "<image") == NULL);
	CHECK(strstr(s, "role=\"img\"") != NULL);
	/* Every element opened is closed, or closes itself. */
	CHECK_INT(count(s, "<g>"), count(s, "</g>"));
	CHECK_INT(count(s, "<text"), count(s, "</text>"));
	CHECK_INT(count(s, "<title"), count(s, "</title>"));
	CHECK_INT(count(s, "/>"), count(s, "<rect") + count(s, "<line"));
}

static void
test_structure(void)
{
	const struct ob_chart_bar bars[] = { { "2025-01", 3 },
		{ "2025-02", 0 } };
	struct ob_chart c = { OB_CHART_COLUMNS, "chart-months",
		"Cases opened per month", "A bar for each month.", bars, 2 };
	const char *s = draw(&c, 0);

	check_inert(s);
	CHECK(strstr(s, " id=\"chart-months\"") != NULL);
	CHECK(strstr(s, "aria-labelledby=\"chart-months-title\"") != NULL);
	CHECK(strstr(s, "aria-describedby=\"chart-months-desc\"") != NULL);
	CHECK(strstr(s,
		  "<title id=\"chart-months-title\">Cases opened per "
		  "month</title>") != NULL);
	CHECK(strstr(s,
		  "<desc id=\"chart-months-desc\">A bar for each "
		  "month.</desc>") != NULL);
	CHECK(strstr(s,
		  " width=\"640\" height=\"260\" viewBox=\"0 0 640 "
		  "260\"") != NULL);
	CHECK(strstr(s, "<title>2025-01: 3</title>") != NULL);
	CHECK(strstr(s, ">2025-02</text>") != NULL);
	CHECK_INT(count(s, "<rect"), 2);

	c.kind = OB_CHART_ROWS;
	s = draw(&c, 0);
	check_inert(s);
	/* Rows: the height grows with the bars (8 + 2 * 36 + 24). */
	CHECK(strstr(s,
		  " width=\"640\" height=\"104\" viewBox=\"0 0 640 "
		  "104\"") != NULL);
}

static void
test_hostile_labels(void)
{
	const char *evil = "</text><script>alert(1)</script>";
	const struct ob_chart_bar bars[] = {
		{ evil, 2 },
		{ "\" onload=\"alert(2)", 1 },
		{ "a & b 'c' <d>", 1 },
		{ "]]><x/>\x01\x1f\x7f", 1 },
	};
	struct ob_chart c = { OB_CHART_ROWS, "chart-categories",
		"</title><script>t()</script>", "</desc><svg onload=x>", bars,
		4 };
	const char *s = draw(&c, 0);

	check_inert(s);
	CHECK(strstr(s, "&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;") !=
	    NULL);
	CHECK(strstr(s, "&quot; onload=&quot;alert(2)") != NULL);
	CHECK(strstr(s, "a &amp; b &#39;c&#39; &lt;d&gt;") != NULL);
	CHECK(strstr(s, "]]&gt;&lt;x/&gt;   <") != NULL);
	CHECK(strstr(s, "&lt;/title&gt;&lt;script&gt;t()&lt;/script&gt;") !=
	    NULL);
	CHECK(strstr(s, "&lt;/desc&gt;&lt;svg onload=x&gt;") != NULL);
	CHECK(strchr(s, '\x01') == NULL && strchr(s, '\x7f') == NULL);
	/* Exactly the elements the chart writes, no more. */
	CHECK_INT(count(s, "<text"), 4 + 4 + 3 /* labels, values, ticks */);
	CHECK_INT(count(s, "<title"), 1 + 4);
	CHECK_INT(count(s, "<desc"), 1);

	c.kind = OB_CHART_COLUMNS;
	s = draw(&c, 0);
	check_inert(s);
	CHECK(strstr(s, "<script") == NULL);
	/* The column label is cut to 10 characters: escaped after the cut. */
	CHECK(strstr(s, ">&lt;/text&gt;&lt;s\xe2\x80\xa6</text>") != NULL);
}

static void
test_zero_values(void)
{
	const struct ob_chart_bar bars[] = { { "a", 0 }, { "b", 0 },
		{ "c", 0 } };
	struct ob_chart c = { OB_CHART_COLUMNS, "z", "Nothing", "All zero.",
		bars, 3 };
	const char *s = draw(&c, 0);

	check_inert(s);
	/* An axis from 0 to 1, bars of no height on the base line. */
	CHECK_INT(count(s, "<line"), 3);
	CHECK(strstr(s, ">0</text>") != NULL && strstr(s, ">1</text>") != NULL);
	for (size_t i = 0; i < 3; i++) {
		CHECK_INT(attr(s, "<rect", i, "height"), 0);
		CHECK_INT(attr(s, "<rect", i, "y"), 232);
	}

	/* No bars at all: the frame, the name and the description. */
	c.nbars = 0;
	c.bars = NULL;
	s = draw(&c, 0);
	check_inert(s);
	CHECK_INT(count(s, "<rect"), 0);
	CHECK(strstr(s, "<title id=\"z-title\">Nothing</title>") != NULL);
	c.kind = OB_CHART_ROWS;
	s = draw(&c, 0);
	check_inert(s);
	CHECK(strstr(s, " height=\"32\"") != NULL);
}

static void
test_one_bar(void)
{
	const struct ob_chart_bar bar = { "only", 3 };
	struct ob_chart c = { OB_CHART_COLUMNS, "one", "One", "One bar.", &bar,
		1 };
	const char *s = draw(&c, 0);

	/* Steps of 1 up to 3: the bar fills the plot (232 - 20 = 212). */
	check_inert(s);
	CHECK_INT(count(s, "<rect"), 1);
	CHECK_INT(attr(s, "<rect", 0, "height"), 212);
	CHECK_INT(attr(s, "<rect", 0, "y"), 20);
	/* The whole width is its slot: 584, the bar three quarters. */
	CHECK_INT(attr(s, "<rect", 0, "width"), 438);
	CHECK_INT(attr(s, "<rect", 0, "x"), 48 + 73);
	CHECK_INT(count(s, "<line"), 4 + 1); /* 0, 1, 2, 3 and the base */
	CHECK(strstr(s, ">only</text>") != NULL);
	CHECK(strstr(s, ">3</text>") != NULL);
}

static void
test_scaling(void)
{
	const struct ob_chart_bar bars[] = { { "ten", 10 }, { "five", 5 },
		{ "one", 1 } };
	struct ob_chart c = { OB_CHART_ROWS, "scale", "Scale", "Scaled.", bars,
		3 };
	const struct ob_chart_bar tiny[] = { { "big", OB_CHART_MAX_VALUE },
		{ "small", 1 } };
	const char *s = draw(&c, 0);

	/* 10 in steps of 5 (at most four steps): 10 is the whole 560. */
	CHECK_INT(attr(s, "<rect", 0, "width"), 560);
	CHECK_INT(attr(s, "<rect", 1, "width"), 280);
	CHECK_INT(attr(s, "<rect", 2, "width"), 56);
	CHECK(strstr(s, ">5</text>") != NULL && strstr(s, ">10</text>"));
	CHECK_INT(count(s, "<line"), 3 + 1);

	c.kind = OB_CHART_COLUMNS;
	s = draw(&c, 0);
	CHECK_INT(attr(s, "<rect", 0, "height"), 212);
	CHECK_INT(attr(s, "<rect", 1, "height"), 106);
	CHECK_INT(attr(s, "<rect", 1, "y"), 232 - 106);

	/* 7 rounds up to 8 in steps of 2; 101 to 150 in steps of 50. */
	{
		const struct ob_chart_bar b[] = { { "x", 7 } };
		const struct ob_chart_bar b2[] = { { "x", 101 } };

		c.bars = b;
		c.nbars = 1;
		s = draw(&c, 0);
		CHECK_INT(attr(s, "<rect", 0, "height"), 7 * 212 / 8);
		CHECK(strstr(s, ">8</text>") != NULL);
		CHECK(strstr(s, ">6</text>") != NULL);
		c.bars = b2;
		s = draw(&c, 0);
		CHECK_INT(attr(s, "<rect", 0, "height"), 101 * 212 / 150);
		CHECK(strstr(s, ">150</text>") != NULL);
	}

	/* A value above zero stays visible next to a huge one. */
	c.bars = tiny;
	c.nbars = 2;
	s = draw(&c, 0);
	CHECK_INT(attr(s, "<rect", 0, "height"), 212);
	CHECK_INT(attr(s, "<rect", 1, "height"), 1);
	CHECK(strstr(s, ">1000000000000</text>") != NULL);
}

static void
test_many_bars(void)
{
	static struct ob_chart_bar bars[OB_CHART_MAX_BARS + 1];
	static char labels[OB_CHART_MAX_BARS + 1][16];
	struct ob_chart c = { OB_CHART_COLUMNS, "many", "Many", "Many bars.",
		bars, OB_CHART_MAX_BARS };
	const char *s;
	struct ob_html *h;

	for (size_t i = 0; i <= OB_CHART_MAX_BARS; i++) {
		snprintf(labels[i], sizeof(labels[i]), "m%zu", i);
		bars[i].label = labels[i];
		bars[i].value = i;
	}
	s = draw(&c, 0);
	check_inert(s);
	CHECK_INT(count(s, "<rect"), OB_CHART_MAX_BARS);
	/* Slots of 584/120 = 4: every 12th column has its label, and the
	 * columns are too narrow for values above them. */
	CHECK(strstr(s, ">m0</text>") != NULL);
	CHECK(strstr(s, ">m12</text>") != NULL);
	CHECK(strstr(s, ">m1</text>") == NULL);
	CHECK(strstr(s, "<title>m1: 1</title>") != NULL);
	CHECK_INT(count(s, "<text"), (OB_CHART_MAX_BARS + 11) / 12 + 4);
	/* Bars stay inside the plot and in order. */
	for (size_t i = 1; i < OB_CHART_MAX_BARS; i++)
		CHECK(attr(s, "<rect", i, "x") > attr(s, "<rect", i - 1, "x"));
	CHECK(attr(s, "<rect", OB_CHART_MAX_BARS - 1, "x") +
		attr(s, "<rect", OB_CHART_MAX_BARS - 1, "width") <=
	    640 - 8);

	/* One more is refused, and nothing is written. */
	c.nbars = OB_CHART_MAX_BARS + 1;
	h = ob_html_new(&arena);
	CHECK_INT(ob_chart_svg(h, &c), OB_EINVAL);
	CHECK_STR(markup(h), "");

	/* Rows: one below the other, 36 apart. */
	c.kind = OB_CHART_ROWS;
	c.nbars = 50;
	s = draw(&c, 0);
	check_inert(s);
	CHECK_INT(count(s, "<rect"), 50);
	CHECK_INT(
	    attr(s, "<rect", 49, "y") - attr(s, "<rect", 0, "y"), 49 * 36);
}

static void
test_long_labels(void)
{
	char label[701];
	const struct ob_chart_bar bar = { label, 1 };
	struct ob_chart c = { OB_CHART_ROWS, "long", "Long", "Long.", &bar, 1 };
	const char *s;

	/* 300 characters of two bytes each: cut to 79 and "…" on the
	 * row, 199 and "…" in the tooltip, never inside a character. */
	for (size_t i = 0; i < 300; i++)
		memcpy(label + 2 * i, "\xc3\xa6", 2); /* æ */
	label[600] = '\0';
	s = draw(&c, 0);
	{
		char want[400];
		size_t n = 0;

		want[n++] = '>';
		for (size_t i = 0; i < OB_CHART_ROW_LABEL - 1; i++, n += 2)
			memcpy(want + n, "\xc3\xa6", 2);
		memcpy(want + n, "\xe2\x80\xa6</text>", 10);
		want[n + 10] = '\0';
		CHECK(strstr(s, want) != NULL);
	}
	CHECK(strstr(s, "\xe2\x80\xa6: 1</title>") != NULL);
	CHECK(ob_utf8_valid(s, strlen(s)));
}

static void
test_refusals(void)
{
	const struct ob_chart_bar ok = { "ok", 1 };
	const struct ob_chart_bar null_label = { NULL, 1 };
	const struct ob_chart_bar bad_utf8 = { "\xc3(", 1 };
	const struct ob_chart_bar too_big = { "x", OB_CHART_MAX_VALUE + 1 };
	const char *bad_ids[] = { "", "A", "1a", "a b", "a\"b", "a_b",
		"abcdefghijklmnopqrstuvwxyz0123456" };
	struct ob_chart c = { OB_CHART_ROWS, "ok", "T", "D", &ok, 1 };
	struct ob_chart b;
	struct ob_html *h;

	for (size_t i = 0; i < OB_NELEM(bad_ids); i++) {
		b = c;
		b.id = bad_ids[i];
		h = ob_html_new(&arena);
		CHECK_INT(ob_chart_svg(h, &b), OB_EINVAL);
		CHECK_STR(markup(h), "");
	}
	b = c;
	b.id = "abcdefghijklmnopqrstuvwxyz012345"; /* 32: the most */
	(void)draw(&b, 0);
	b = c;
	b.id = NULL;
	(void)draw(&b, OB_EINVAL);
	b = c;
	b.title = NULL;
	(void)draw(&b, OB_EINVAL);
	b = c;
	b.desc = "\xff";
	(void)draw(&b, OB_EINVAL);
	b = c;
	b.kind = 0;
	(void)draw(&b, OB_EINVAL);
	b = c;
	b.bars = NULL;
	(void)draw(&b, OB_EINVAL);
	b = c;
	b.bars = &null_label;
	(void)draw(&b, OB_EINVAL);
	b = c;
	b.bars = &bad_utf8;
	(void)draw(&b, OB_EINVAL);
	b = c;
	b.bars = &too_big;
	(void)draw(&b, OB_EINVAL);
}

int
main(void)
{
	ob_arena_init(&arena, 64 * 1024 * 1024);
	load_set();
	test_structure();
	test_hostile_labels();
	test_zero_values();
	test_one_bar();
	test_scaling();
	test_many_bars();
	test_long_labels();
	test_refusals();
	ob_tmpl_free(set);
	ob_arena_release(&arena);
	return CHECK_DONE();
}
