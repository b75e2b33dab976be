#include "lib/tmpl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/buf.h"
#include "lib/i18n.h"
#include "lib/util.h"
#include "test/unit/check.h"

#define FIXTURES OB_SOURCE_ROOT "/test/unit/tmpl"

struct file {
	const char *name;
	const char *content;
	size_t len; /* 0: strlen(content) */
};

/*
 * Writes files into a fresh temporary directory, loads it as a template
 * set and removes it again.  Returns what ob_tmpl_load() returned; err
 * gets its message.
 */
static int
load_files(const struct file *files, size_t n, struct ob_tmpl_set **set,
    struct ob_buf *err)
{
	char dir[] = "/tmp/ob-tmpl-XXXXXX", path[256];
	FILE *f;
	int rc;

	if (mkdtemp(dir) == NULL)
		ob_die("mkdtemp");
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
		if ((f = fopen(path, "wb")) == NULL)
			ob_die("fopen");
		fwrite(files[i].content, 1,
		    files[i].len ? files[i].len : strlen(files[i].content), f);
		fclose(f);
	}
	rc = ob_tmpl_load(dir, set, err);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
		unlink(path);
	}
	rmdir(dir);
	return rc;
}

/* Loads one file, page.html, and expects failure rc with want in err. */
static void
check_load_error(const char *content, int rc, const char *want)
{
	struct file f = { "page.html", content, 0 };
	struct ob_buf err = OB_BUF_INIT(1024);
	struct ob_tmpl_set *set = (struct ob_tmpl_set *)&err;
	int got = load_files(&f, 1, &set, &err);

	CHECK_INT(got, rc);
	CHECK(set == NULL);
	if (strstr(ob_buf_cstr(&err), want) == NULL) {
		fprintf(stderr, "  error \"%s\" lacks \"%s\"\n",
		    ob_buf_cstr(&err), want);
		CHECK(0);
	}
	ob_buf_release(&err);
}

static bool
contains(const struct ob_buf *b, const char *s)
{
	return strstr(ob_buf_cstr(b), s) != NULL;
}

static const char *
tr_test(void *arg, const char *msgid)
{
	int *calls = arg;

	(*calls)++;
	if (strcmp(msgid, "Hello <world> again") == 0)
		return "Hej \"verden\" & <igen>";
	return NULL;
}

/* Renders name into a fresh buffer and returns its contents (static). */
static int
render(const struct ob_tmpl_set *set, const char *name, const struct ob_tctx *c,
    struct ob_buf *out, struct ob_buf *err)
{
	ob_buf_reset(out);
	return ob_tmpl_render(set, name, c, NULL, NULL, out, err);
}

static void
test_escape(void)
{
	struct ob_buf b = OB_BUF_INIT(64);

	CHECK_INT(ob_html_escape(&b, "a&b<c>d\"e'f", 11), 0);
	CHECK_STR(ob_buf_cstr(&b), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
	ob_buf_reset(&b);
	CHECK_INT(ob_html_escape(&b, "x\0y", 3), 0);
	CHECK_STR(ob_buf_cstr(&b), "x\xef\xbf\xbdy");
	ob_buf_reset(&b);
	CHECK_INT(ob_html_escape(&b, "plain", 5), 0);
	CHECK_STR(ob_buf_cstr(&b), "plain");
	CHECK_INT(ob_html_escape(&b, "", 0), 0);
	ob_buf_release(&b);

	/* Past the cap: nothing of the escaped text is left behind. */
	{
		struct ob_buf small = OB_BUF_INIT(8);

		CHECK_INT(ob_buf_puts(&small, "ab"), 0);
		CHECK_INT(ob_html_escape(&small, "<<", 2), OB_ETOOBIG);
		CHECK_STR(ob_buf_cstr(&small), "ab");
		CHECK_INT(small.len, 2);
		CHECK_INT(ob_html_escape(&small, "&", 1), 0);
		CHECK_STR(ob_buf_cstr(&small), "ab&amp;");
		ob_buf_release(&small);
	}
}

static void
test_render_fixtures(void)
{
	struct ob_tmpl_set *set = NULL;
	struct ob_buf out = OB_BUF_INIT(4096), err = OB_BUF_INIT(512);
	struct ob_arena a;
	struct ob_tctx *c, *item, *grp, *cs;
	struct ob_html *h;
	int calls = 0;

	ob_arena_init(&a, 1 << 20);
	CHECK_INT(ob_tmpl_load(FIXTURES "/good", &set, &err), 0);
	if (set == NULL) {
		fprintf(stderr, "load: %s\n", ob_buf_cstr(&err));
		return;
	}
	CHECK(ob_tmpl_has(set, "escape"));
	CHECK(ob_tmpl_has(set, "part"));
	CHECK(!ob_tmpl_has(set, "escape.html"));
	CHECK(!ob_tmpl_has(set, "nope"));

	/* Every one of the five characters, in text and in an attribute. */
	c = ob_tctx_new(&a);
	ob_tctx_set(c, "v", "<a href='x'>&\"");
	CHECK_INT(render(set, "escape", c, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out),
	    "<a title=\"&lt;a href=&#39;x&#39;&gt;&amp;&quot;\">"
	    "&lt;a href=&#39;x&#39;&gt;&amp;&quot;</a>\n");

	/* Template text itself is not escaped. */
	CHECK_INT(render(set, "plain", c, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out), "plain & simple");

	/* Lists, and an empty list declared as such. */
	c = ob_tctx_new(&a);
	ob_tctx_set(ob_tctx_add_item(c, "items"), "name", "a");
	ob_tctx_set(ob_tctx_add_item(c, "items"), "name", "b<");
	CHECK_INT(render(set, "list", c, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out), "[a][b&lt;]\n");
	c = ob_tctx_new(&a);
	ob_tctx_set_list(c, "items");
	CHECK_INT(render(set, "list", c, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out), "none\n");
	/* set_list on an existing list keeps its items. */
	ob_tctx_set(ob_tctx_add_item(c, "items"), "name", "z");
	ob_tctx_set_list(c, "items");
	CHECK_INT(render(set, "list", c, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out), "[z]\n");

	/* Booleans. */
	c = ob_tctx_new(&a);
	ob_tctx_set_bool(c, "flag", true);
	CHECK_INT(render(set, "bool", c, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out), "yes\n");
	ob_tctx_set_bool(c, "flag", false);
	CHECK_INT(render(set, "bool", c, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out), "no\n");

	/* Strings as sections. */
	c = ob_tctx_new(&a);
	ob_tctx_set(c, "s", "x");
	CHECK_INT(render(set, "str", c, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out), "<x>\n");
	ob_tctx_set(c, "s", "");
	CHECK_INT(render(set, "str", c, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out), "empty\n");
	/* Setting a name again replaces it, whatever the type. */
	ob_tctx_set_bool(c, "s", true);
	CHECK_INT(render(set, "str", c, &out, &err), OB_EINVAL);
	CHECK(contains(&err, "str.html:1: {{s}} is a boolean"));

	/* Nested lists; inner items fall back to outer contexts. */
	c = ob_tctx_new(&a);
	ob_tctx_set(c, "site", "S");
	grp = ob_tctx_add_item(c, "groups");
	ob_tctx_set(grp, "title", "G1");
	ob_tctx_set(ob_tctx_add_item(grp, "members"), "name", "A");
	item = ob_tctx_add_item(grp, "members");
	ob_tctx_set(item, "name", "B");
	ob_tctx_set(item, "title", "T2");
	grp = ob_tctx_add_item(c, "groups");
	ob_tctx_setf(grp, "title", "G%d", 2);
	ob_tctx_set_list(grp, "members");
	CHECK_INT(render(set, "nested", c, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out), "  G1: A@G1/S B@T2/S\n  G2:\nend\n");
	/* A name only the outer context lacks is still an error. */
	grp = ob_tctx_add_item(c, "groups");
	ob_tctx_set(ob_tctx_add_item(grp, "members"), "name", "C");
	CHECK_INT(render(set, "nested", c, &out, &err), OB_ENOENT);
	CHECK(contains(&err, "nested.html:3: title is not set"));
	CHECK_STR(ob_buf_cstr(&out), "");

	/* Dotted names and nested contexts as sections. */
	c = ob_tctx_new(&a);
	cs = ob_tctx_child(c, "case");
	ob_tctx_set(cs, "number", "42");
	ob_tctx_set(ob_tctx_child(cs, "status"), "label", "open");
	CHECK(ob_tctx_child(c, "case") == cs);
	CHECK_INT(render(set, "dotted", c, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out), "42 open 42\n");
	/* The rest of a dotted name does not fall back outwards. */
	c = ob_tctx_new(&a);
	ob_tctx_set(c, "number", "1");
	cs = ob_tctx_child(c, "case");
	ob_tctx_set(ob_tctx_child(cs, "status"), "label", "open");
	CHECK_INT(render(set, "dotted", c, &out, &err), OB_ENOENT);
	CHECK(contains(&err, "dotted.html:1: case.number is not set"));
	c = ob_tctx_new(&a);
	ob_tctx_set(c, "case", "flat");
	CHECK_INT(render(set, "dotted", c, &out, &err), OB_EINVAL);
	CHECK(contains(&err, "case is not a nested context"));

	/* Includes; a standalone tag line leaves no blank line. */
	c = ob_tctx_new(&a);
	ob_tctx_set(c, "v", "<X>");
	CHECK_INT(render(set, "include", c, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out), "<div>\npart &lt;X&gt;\n</div>\n");
	/* Errors in an included template name that template. */
	c = ob_tctx_new(&a);
	CHECK_INT(render(set, "include", c, &out, &err), OB_ENOENT);
	CHECK(contains(&err, "part.html:1: v is not set"));

	/* Translation: folded msgid, callback result escaped. */
	c = ob_tctx_new(&a);
	CHECK_INT(
	    ob_tmpl_render(set, "trans", c, tr_test, &calls, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out),
	    "<p>Hej &quot;verden&quot; &amp; &lt;igen&gt;</p>\n");
	CHECK_INT(calls, 1);
	CHECK_INT(render(set, "trans", c, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out), "<p>Hello &lt;world&gt; again</p>\n");
	ob_buf_reset(&out);
	CHECK_INT(
	    ob_tmpl_render(set, "comment", c, tr_test, &calls, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out), "ab\nc\n");
	CHECK_INT(calls, 1);

	/* Markup: escaper output and literals only. */
	c = ob_tctx_new(&a);
	h = ob_html_new(&a);
	ob_html_text(h, "<b>");
	ob_html_literal(h, "<i>x</i>");
	ob_tctx_set_html(c, "raw", h);
	ob_tctx_set_html_literal(c, "lit", "<br>");
	ob_tctx_set_html(c, "empty_html", ob_html_new(&a));
	CHECK_INT(render(set, "html", c, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out), "&lt;b&gt;<i>x</i>|<br>|yn\n");
	/* Longer markup grows in the arena. */
	h = ob_html_new(&a);
	for (int i = 0; i < 200; i++)
		ob_html_text(h, "&");
	ob_tctx_set_html(c, "raw", h);
	CHECK_INT(render(set, "html", c, &out, &err), 0);
	CHECK_INT(out.len, 200 * 5 + strlen("|<br>|yn\n"));

	/* Spaces inside tags. */
	c = ob_tctx_new(&a);
	ob_tctx_set(c, "v", "v");
	ob_tctx_set_bool(c, "flag", true);
	CHECK_INT(render(set, "spaces", c, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out), "v!\n");

	/* Unset names are errors, never empty strings. */
	c = ob_tctx_new(&a);
	CHECK_INT(render(set, "unknown", c, &out, &err), OB_ENOENT);
	CHECK(contains(&err, "unknown.html:2: missing is not set"));
	CHECK_STR(ob_buf_cstr(&out), "");
	CHECK_INT(render(set, "bool", c, &out, &err), OB_ENOENT);
	CHECK(contains(&err, "bool.html:1: flag is not set"));
	CHECK_INT(render(set, "unknown", NULL, &out, NULL), OB_ENOENT);
	ob_tctx_set_list(c, "list_as_var");
	CHECK_INT(render(set, "types", c, &out, &err), OB_EINVAL);
	CHECK(contains(&err, "{{list_as_var}} is a list"));
	CHECK_INT(render(set, "no_such_template", c, &out, &err), OB_ENOENT);
	CHECK(contains(&err, "no_such_template"));

	/* The output cap; out is cut back to where it was. */
	{
		struct ob_buf small = OB_BUF_INIT(50);

		c = ob_tctx_new(&a);
		for (int i = 0; i < 10; i++)
			(void)ob_tctx_add_item(c, "items");
		CHECK_INT(ob_buf_puts(&small, "pre"), 0);
		CHECK_INT(
		    ob_tmpl_render(set, "big", c, NULL, NULL, &small, &err),
		    OB_ETOOBIG);
		CHECK_STR(ob_buf_cstr(&small), "pre");
		CHECK(contains(&err, "big.html:1: output larger than 50"));
		ob_buf_release(&small);
		ob_buf_init(&small, 103);
		CHECK_INT(ob_buf_puts(&small, "pre"), 0);
		CHECK_INT(
		    ob_tmpl_render(set, "big", c, NULL, NULL, &small, &err), 0);
		CHECK_INT(small.len, 103);
		ob_buf_release(&small);
	}

	ob_tmpl_free(set);
	ob_arena_release(&a);
	ob_buf_release(&out);
	ob_buf_release(&err);
}

static void
test_load_errors(void)
{
	struct ob_tmpl_set *set = NULL;
	struct ob_buf err = OB_BUF_INIT(1024);
	struct ob_buf big = OB_BUF_INIT(OB_TMPL_MAX_SIZE + 10);
	int rc;

	/* Fixture directories. */
	CHECK_INT(
	    ob_tmpl_load(FIXTURES "/missing_include", &set, &err), OB_EINVAL);
	CHECK(set == NULL);
	CHECK(contains(&err, "missing_include/page.html:2:"));
	CHECK(contains(&err, "nope.html"));

	CHECK_INT(ob_tmpl_load(FIXTURES "/cycle", &set, &err), OB_EINVAL);
	CHECK(contains(&err, "include cycle: a -> b -> c -> a"));
	CHECK(contains(&err, "cycle/c.html:1:"));

	CHECK_INT(ob_tmpl_load(FIXTURES "/unbalanced", &set, &err), OB_EINVAL);
	CHECK(contains(&err,
	    "unbalanced/page.html:3: {{/a}} does not close "
	    "{{#b}} opened on line 2"));

	CHECK_INT(ob_tmpl_load(FIXTURES "/no_such_dir", &set, &err), OB_EIO);
	CHECK(contains(&err, "no_such_dir"));

	/* Syntax. */
	check_load_error(
	    "a\nb {{name\n", OB_EINVAL, "page.html:2: {{ without }}");
	check_load_error(
	    "a\n{{x}\n{{y}}\n", OB_EINVAL, "page.html:3: {{ inside a tag");
	check_load_error(
	    "{{&x}}", OB_EINVAL, "page.html:1: unknown tag syntax");
	check_load_error("\n{{{x}}}", OB_EINVAL, "page.html:2: unknown tag");
	check_load_error(
	    "{{{x}}", OB_EINVAL, "page.html:1: unknown tag syntax");
	check_load_error("{{=<% %>=}}", OB_EINVAL, "unknown tag syntax");
	check_load_error("{{}}", OB_EINVAL, "unknown tag syntax");
	check_load_error("{{Name}}", OB_EINVAL, "unknown tag syntax");
	check_load_error("{{a..b}}", OB_EINVAL, "unknown tag syntax");
	check_load_error("{{.a}}", OB_EINVAL, "unknown tag syntax");
	check_load_error("{{a.}}", OB_EINVAL, "unknown tag syntax");
	check_load_error("{{a b}}", OB_EINVAL, "unknown tag syntax");
	check_load_error("{{>a.b}}", OB_EINVAL, "unknown tag syntax");
	check_load_error("{{>../x}}", OB_EINVAL, "unknown tag syntax");
	check_load_error("{{_ \n }}", OB_EINVAL, "page.html:1: empty {{_ }}");
	check_load_error(
	    "x\n\n{{/a}}", OB_EINVAL, "page.html:3: {{/a}} closes no section");
	check_load_error("{{#a}}\n{{^b}}\n{{/b}}", OB_EINVAL,
	    "page.html:1: {{#a}} is never closed");
	check_load_error("{{>page}}", OB_EINVAL, "include cycle: page -> page");

	/* A NUL byte needs an explicit length. */
	{
		struct file f = { "page.html", "a\n\0b", 4 };

		CHECK_INT(load_files(&f, 1, &set, &err), OB_EINVAL);
		CHECK(contains(&err, "page.html:2: NUL byte"));
	}

	/* Nesting limits. */
	{
		struct ob_buf deep = OB_BUF_INIT(4096);

		for (int i = 0; i < OB_TMPL_MAX_DEPTH; i++)
			CHECK_INT(ob_buf_puts(&deep, "{{#a}}"), 0);
		for (int i = 0; i < OB_TMPL_MAX_DEPTH; i++)
			CHECK_INT(ob_buf_puts(&deep, "{{/a}}"), 0);
		{
			struct file f = { "page.html", ob_buf_cstr(&deep), 0 };

			CHECK_INT(load_files(&f, 1, &set, &err), 0);
			ob_tmpl_free(set);
		}
		CHECK_INT(ob_buf_puts(&deep, "{{#a}}{{#a}}"), 0);
		for (int i = 0; i < OB_TMPL_MAX_DEPTH; i++)
			CHECK_INT(ob_buf_puts(&deep, "{{#a}}"), 0);
		check_load_error(ob_buf_cstr(&deep), OB_ETOOBIG,
		    "sections nested too deeply");
		ob_buf_release(&deep);
	}
	{
		/* t00 includes t01 ... includes t16: one too many. */
		struct file files[OB_TMPL_MAX_INCLUDE_DEPTH + 1];
		char names[OB_TMPL_MAX_INCLUDE_DEPTH + 1][16];
		char bodies[OB_TMPL_MAX_INCLUDE_DEPTH + 1][16];
		size_t n = OB_TMPL_MAX_INCLUDE_DEPTH + 1;

		for (size_t i = 0; i < n; i++) {
			snprintf(names[i], sizeof(names[i]), "t%02zu.html", i);
			snprintf(bodies[i], sizeof(bodies[i]),
			    i + 1 < n ? "{{>t%02zu}}" : "end", i + 1);
			files[i].name = names[i];
			files[i].content = bodies[i];
			files[i].len = 0;
		}
		CHECK_INT(load_files(files, n, &set, &err), OB_ETOOBIG);
		CHECK(contains(&err, "includes nested deeper than"));
		/* Without t00 the chain is just short enough. */
		CHECK_INT(load_files(files + 1, n - 1, &set, &err), 0);
		ob_tmpl_free(set);
	}

	/* Size: exactly the limit loads, one byte more does not. */
	rc = 0;
	for (int i = 0; i < OB_TMPL_MAX_SIZE / 8 && rc == 0; i++)
		rc = ob_buf_puts(&big, "abcdefg\n");
	CHECK_INT(rc, 0);
	{
		struct file f = { "page.html", ob_buf_cstr(&big), 0 };

		CHECK_INT(load_files(&f, 1, &set, &err), 0);
		ob_tmpl_free(set);
		CHECK_INT(ob_buf_putc(&big, 'x'), 0);
		f.content = ob_buf_cstr(&big);
		rc = load_files(&f, 1, &set, &err);
		CHECK_INT(rc, OB_ETOOBIG);
		CHECK(contains(&err, "page.html:131073: template larger than"));
	}

	/* File names. */
	{
		struct file f[] = { { "Bad Name.html", "x", 0 } };

		CHECK_INT(load_files(f, 1, &set, &err), OB_EINVAL);
		CHECK(contains(&err, "Bad Name.html: template names"));
	}
	{
		struct file f[] = { { "README", "x", 0 },
			{ ".hidden.html", "{{", 0 } };

		CHECK_INT(load_files(f, 2, &set, &err), OB_ENOENT);
		CHECK(contains(&err, "no templates"));
	}
	{
		struct file f[] = { { "README", "{{", 0 },
			{ "a-b.html", "{{>c_d}}", 0 }, { "c_d.html", "x", 0 } };
		struct ob_buf out = OB_BUF_INIT(16);

		CHECK_INT(load_files(f, 3, &set, &err), 0);
		CHECK(ob_tmpl_has(set, "a-b"));
		CHECK_INT(
		    ob_tmpl_render(set, "a-b", NULL, NULL, NULL, &out, NULL),
		    0);
		CHECK_STR(ob_buf_cstr(&out), "x");
		ob_tmpl_free(set);
		ob_buf_release(&out);
	}

	ob_tmpl_free(NULL);
	ob_buf_release(&big);
	ob_buf_release(&err);
}

struct tr_check {
	int calls;
	int missing;
};

/* ob_i18n_tr(), counting msgids without a translation. */
static const char *
tr_counting(void *arg, const char *msgid)
{
	struct tr_check *t = arg;
	const char *s = ob_i18n_tr(NULL, msgid);

	t->calls++;
	if (s == msgid) {
		t->missing++;
		fprintf(stderr, "  no %s translation: %s\n", ob_i18n_current(),
		    msgid);
	}
	return s;
}

static struct ob_tctx *
page_ctx(struct ob_arena *a, const char *lang, const char *title)
{
	struct ob_tctx *c = ob_tctx_new(a);

	ob_tctx_set(c, "lang", lang);
	ob_tctx_set(c, "title", title);
	ob_tctx_set(c, "return_path", "/some/path?x=1&y=\"2\"");
	ob_tctx_set(c, "csrf", "token");
	ob_tctx_set(c, "lang_csrf", "browser-token");
	ob_tctx_set_bool(c, "lang_en", strcmp(lang, "en") == 0);
	ob_tctx_set_bool(c, "lang_da", strcmp(lang, "da") == 0);
	return c;
}

/* ob_tctx_split: one item per piece, empty pieces skipped. */
static void
test_split(void)
{
	struct ob_tmpl_set *set = NULL;
	struct ob_buf out = OB_BUF_INIT(1024), err = OB_BUF_INIT(256);
	struct ob_arena a;
	struct ob_tctx *c;
	char dir[] = "/tmp/ombud-test-split-XXXXXX", path[64];
	FILE *f;

	ob_arena_init(&a, 1 << 16);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/t.html", dir);
	f = fopen(path, "w");
	fputs("{{#l}}[{{text}}]{{/l}}{{^l}}none{{/l}}", f);
	fclose(f);
	CHECK_INT(ob_tmpl_load(dir, &set, &err), 0);
	c = ob_tctx_new(&a);
	ob_tctx_split(c, "l", "removed: a\n\nnot-checked: <b>\n", "\n");
	CHECK_INT(ob_tmpl_render(set, "t", c, NULL, NULL, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out), "[removed: a][not-checked: &lt;b&gt;]");
	ob_buf_reset(&out);
	c = ob_tctx_new(&a);
	ob_tctx_split(c, "l", "one\ntwo\n\nthree", "\n\n");
	CHECK_INT(ob_tmpl_render(set, "t", c, NULL, NULL, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out), "[one\ntwo][three]");
	ob_buf_reset(&out);
	c = ob_tctx_new(&a);
	ob_tctx_split(c, "l", NULL, "\n");
	CHECK_INT(ob_tmpl_render(set, "t", c, NULL, NULL, &out, &err), 0);
	CHECK_STR(ob_buf_cstr(&out), "none");
	ob_tmpl_free(set);
	unlink(path);
	rmdir(dir);
	ob_arena_release(&a);
	ob_buf_release(&out);
	ob_buf_release(&err);
}

/* The real templates/ directory renders with the context pages give. */
static void
test_real_templates(void)
{
	static const char *const langs[] = { "en", "da", NULL };
	struct ob_tmpl_set *set = NULL;
	struct ob_buf out = OB_BUF_INIT(1 << 20), err = OB_BUF_INIT(512);
	struct ob_arena a;
	struct ob_tctx *c;
	struct tr_check tc = { 0, 0 };

	ob_arena_init(&a, 1 << 20);
	CHECK_INT(ob_tmpl_load(OB_SOURCE_ROOT "/templates", &set, &err), 0);
	if (set == NULL) {
		fprintf(stderr, "load: %s\n", ob_buf_cstr(&err));
		return;
	}
	CHECK(ob_tmpl_has(set, "home"));
	CHECK(ob_tmpl_has(set, "error"));
	CHECK(ob_tmpl_has(set, "layout_head"));
	CHECK(ob_tmpl_has(set, "layout_foot"));

	c = page_ctx(&a, "en", "Ombud");
	CHECK_INT(ob_tmpl_render(set, "home", c, NULL, NULL, &out, &err), 0);
	CHECK(ob_startswith(ob_buf_cstr(&out), "<!doctype html>\n"));
	CHECK(contains(&out, "<html lang=\"en\">"));
	CHECK(contains(&out, "<title>Ombud</title>"));
	CHECK(contains(&out, "href=\"/static/ombud.css\""));
	CHECK(contains(&out, "<form method=\"post\" action=\"/lang\">"));
	CHECK(contains(&out,
	    "name=\"return\" value=\"/some/path?x=1&amp;"
	    "y=&quot;2&quot;\""));
	CHECK(contains(&out, "name=\"lang\" value=\"da\""));
	/* The language form goes to intake: the per-browser token. */
	CHECK(contains(&out, "name=\"csrf\" value=\"browser-token\""));
	CHECK(contains(&out, "lang=\"en\" aria-pressed=\"true\""));
	CHECK(contains(&out, "lang=\"da\" aria-pressed=\"false\""));
	CHECK(contains(&out, "anonymously"));
	CHECK(contains(&out, "</html>\n"));
	CHECK(!contains(&out, "{{"));
	CHECK(!contains(&out, "<script"));

	/* Every page fails loudly without its variables. */
	ob_buf_reset(&out);
	c = ob_tctx_new(&a);
	ob_tctx_set(c, "lang", "en");
	ob_tctx_set(c, "title", "x");
	ob_tctx_set(c, "csrf", "t");
	ob_tctx_set(c, "lang_csrf", "t");
	ob_tctx_set_bool(c, "lang_en", true);
	ob_tctx_set_bool(c, "lang_da", false);
	CHECK_INT(
	    ob_tmpl_render(set, "home", c, NULL, NULL, &out, &err), OB_ENOENT);
	CHECK(contains(&err, "layout_head.html"));
	CHECK(contains(&err, "return_path is not set"));

	/* Both pages in Danish, every string translated. */
	CHECK_INT(ob_i18n_load(OB_BUILD_ROOT "/po", langs, &err), 0);
	CHECK_INT(ob_i18n_set("da"), 0);
	c = page_ctx(&a, "da", _("Page not found"));
	ob_tctx_setf(c, "status", "%d", 404);
	ob_tctx_set(c, "message", _("The page you asked for does not exist."));
	ob_buf_reset(&out);
	CHECK_INT(
	    ob_tmpl_render(set, "error", c, tr_counting, &tc, &out, &err), 0);
	CHECK(contains(&out, "<html lang=\"da\">"));
	CHECK(contains(&out, "<title>Side ikke fundet</title>"));
	CHECK(contains(&out, "<h1>Side ikke fundet</h1>"));
	CHECK(contains(&out, "Fejl 404"));
	CHECK(contains(&out, "<a href=\"/\">Forside</a>"));
	c = page_ctx(&a, "da", "Ombud");
	ob_buf_reset(&out);
	CHECK_INT(
	    ob_tmpl_render(set, "home", c, tr_counting, &tc, &out, &err), 0);
	CHECK(contains(&out, "anonymt"));
	CHECK(tc.calls > 10);
	CHECK_INT(tc.missing, 0);
	ob_i18n_free();

	ob_tmpl_free(set);
	ob_arena_release(&a);
	ob_buf_release(&out);
	ob_buf_release(&err);
}

int
main(void)
{
	test_escape();
	test_render_fixtures();
	test_load_errors();
	test_split();
	test_real_templates();
	return CHECK_DONE();
}
