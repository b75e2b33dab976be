#include "lib/page.h"

#include <stdio.h>
#include <string.h>

#include "lib/cookie.h"
#include "lib/csrf.h"
#include "lib/i18n.h"
#include "lib/log.h"
#include "lib/service.h"

#define LANG_COOKIE "__Host-ombud-lang"
#define PAGE_MAX (2u * 1024 * 1024)

const char *const ob_page_languages[] = { "en", "da", NULL };

int
ob_http_status_for(int err)
{
	switch (err) {
	case OB_EINVAL:
		return 400;
	case OB_EPERM:
		return 403;
	case OB_ENOENT:
		return 404;
	case OB_EMETHOD:
		return 405;
	case OB_ETOOBIG:
		return 413;
	case OB_EUNSUPP:
		return 415;
	case OB_ECSRF:
		return 403;
	case OB_ELIMIT:
		return 429;
	case OB_ECONFLICT:
		return 409;
	case OB_EAGAIN:
		return 503;
	case OB_EIO:
		return 400; /* the client's body broke off */
	default:
		return 500;
	}
}

int
ob_page_render(
    struct ob_req *r, int status, const char *name, struct ob_tctx *ctx)
{
	struct ob_app *app = r->app;
	struct ob_buf out = OB_BUF_INIT(PAGE_MAX), err = OB_BUF_INIT(512);
	char csrf[OB_CSRF_STRLEN + 1], anon[OB_CSRF_STRLEN + 1];
	int rc;

	/* The language form goes to the intake pool's POST /lang, which
	 * knows no session: it always carries the per-browser token. */
	if ((rc = ob_csrf_anon_token(r, anon)) != 0) {
		ob_log_error(
		    r->rid, "no anti-forgery token: %s", ob_strerror(rc));
		rc = OB_EINTERNAL;
		goto out;
	}
	if (r->csrf_session != NULL)
		ob_csrf_for_session(r->csrf_session, csrf);
	else
		memcpy(csrf, anon, sizeof(csrf));
	ob_tctx_set(ctx, "csrf", csrf);
	ob_tctx_set(ctx, "lang_csrf", anon);
	ob_tctx_set(ctx, "lang", ob_i18n_current());
	ob_tctx_set_bool(ctx, "lang_en", strcmp(ob_i18n_current(), "en") == 0);
	ob_tctx_set_bool(ctx, "lang_da", strcmp(ob_i18n_current(), "da") == 0);
	ob_tctx_set(ctx, "return_path", ob_local_path(r->uri) ? r->uri : "/");
	rc = ob_tmpl_render(app->tmpl, name, ctx, ob_i18n_tr, NULL, &out, &err);
	if (rc != 0) {
		/* A missing variable or template is our bug, never a 404. */
		ob_log_error(r->rid, "render %s: %s", name, ob_buf_cstr(&err));
		rc = OB_EINTERNAL;
		goto out;
	}
	ob_req_status(r, status);
	ob_req_header_must(r, "Content-Type", "text/html; charset=utf-8");
	rc = ob_req_write(r, out.data, out.len);
out:
	ob_buf_release(&out);
	ob_buf_release(&err);
	return rc;
}

struct error_text {
	int status;
	const char *title;
	const char *message;
};

static const struct error_text error_texts[] = {
	{ 400, N_("Bad request"),
	    N_("The request could not be understood. Please go back and "
	       "try again.") },
	{ 403, N_("Forbidden"), N_("You are not allowed to see this page.") },
	{ 429, N_("Too many attempts"),
	    N_("Too many attempts were made in a short time. Please wait a "
	       "moment and try again.") },
	{ 404, N_("Page not found"),
	    N_("The page you asked for does not exist.") },
	{ 405, N_("Method not allowed"),
	    N_("This address does not accept that kind of request.") },
	{ 409, N_("Not possible now"),
	    N_("That cannot be done in the state this is in. Go back, "
	       "reload the page and try again.") },
	{ 413, N_("Request too large"),
	    N_("What you sent is larger than this site accepts.") },
	{ 415, N_("Unsupported form"),
	    N_("The form was sent in a way this site does not accept.") },
	{ 500, N_("Internal error"),
	    N_("Something went wrong on our side. Nothing you sent has been "
	       "stored.") },
	{ 503, N_("Service unavailable"),
	    N_("The service is busy or down for maintenance. Please try "
	       "again in a few minutes.") },
};

static const struct error_text stale_form = { 403, N_("This form has expired"),
	N_("The form was too old, or was not sent from this site. Go back, "
	   "reload the page and try again. Nothing has been changed.") };

void
ob_page_error(struct ob_req *r, int status, int err)
{
	const struct error_text *t = NULL;
	struct ob_tctx *ctx;
	char code[8];

	for (size_t i = 0; i < OB_NELEM(error_texts); i++)
		if (error_texts[i].status == status ||
		    (t == NULL && error_texts[i].status == 500))
			t = &error_texts[i];
	if (err == OB_ECSRF)
		t = &stale_form;
	ob_req_discard(r);
	ctx = ob_tctx_new(r->arena);
	snprintf(code, sizeof(code), "%d", status);
	ob_tctx_set(ctx, "status", code);
	ob_tctx_set(ctx, "title", _(t->title));
	ob_tctx_set(ctx, "message", _(t->message));
	if (ob_page_render(r, status, "error", ctx) != 0) {
		/* Last resort: plain text that needs no template. */
		ob_req_discard(r);
		ob_req_status(r, status);
		ob_req_header_must(
		    r, "Content-Type", "text/plain; charset=utf-8");
		if (ob_req_puts(r, _(t->title)) != 0 ||
		    ob_req_puts(r, "\n") != 0)
			ob_log_error(r->rid, "error page not written");
	}
}

bool
ob_local_path(const char *p)
{
	if (p == NULL || p[0] != '/' || p[1] == '/' || strlen(p) > 1024)
		return false;
	for (; *p != '\0'; p++)
		if (*p == '\\' || (unsigned char)*p <= 0x20 ||
		    (unsigned char)*p >= 0x7f)
			return false;
	return true;
}

int
ob_page_redirect(struct ob_req *r, const char *path)
{
	int rc;

	if (!ob_local_path(path))
		return OB_EINVAL;
	ob_req_status(r, 303);
	if ((rc = ob_req_header(r, "Location", path)) != 0)
		return rc;
	return 0;
}

const struct ob_field_spec ob_lang_fields[] = {
	{ "lang", 8 },
	{ "return", 1024 },
	{ NULL, 0 },
};

int
ob_lang_handler(struct ob_req *r)
{
	const char *lang = ob_form_get(&r->form, "lang");
	const char *ret = ob_form_get(&r->form, "return");
	struct ob_buf cookie = OB_BUF_INIT(256);
	int rc;

	if (lang == NULL || !ob_i18n_known(lang))
		return OB_EINVAL;
	if (ret == NULL || !ob_local_path(ret))
		ret = "/";
	rc = ob_cookie_format(&cookie, LANG_COOKIE, lang, "/", 365L * 24 * 3600,
	    OB_COOKIE_SECURE | OB_COOKIE_HTTPONLY | OB_COOKIE_SAMESITE_LAX);
	if (rc == 0)
		rc = ob_req_header(r, "Set-Cookie", ob_buf_cstr(&cookie));
	if (rc == 0)
		rc = ob_page_redirect(r, ret);
	ob_buf_release(&cookie);
	return rc;
}

void
ob_page_pick_language(struct ob_req *r)
{
	const char *lang = ob_req_cookie(r, LANG_COOKIE);

	if (lang == NULL || ob_i18n_set(lang) != 0)
		ob_i18n_set_default();
}
