/*
 * auth.h - who is asking: the handler behind a request's session.
 *
 * ob_auth_authorize is the authorize hook of the handler pools (auth,
 * cases).  It finds the session of the __Host-ombud cookie
 * (lib/session.h) and the user it belongs to, and decides by the
 * route's level:
 *   OB_AUTH_SIGNIN   any live session: the second-factor pages, logout;
 *   OB_AUTH_HANDLER  a finished sign-in (second factor done) of an
 *                    enabled user;
 *   OB_AUTH_ADMIN    the same, and the user is an admin.
 * Without what the route needs, a GET is sent to the sign-in page (303)
 * and anything else gets 403.  With it, the request's forms carry the
 * session's anti-forgery token (r->csrf_session) and ob_auth_current
 * names the user.  Register ob_auth_stmts and ob_session_stmts.
 */
#ifndef OB_AUTH_H
#define OB_AUTH_H

#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/req.h"
#include "lib/session.h"

#define OB_AUTH_LOGIN_PATH "/auth/login"

extern const struct ob_stmt ob_auth_stmts[];
extern const size_t ob_auth_nstmts;

struct ob_auth_user {
	struct ob_session session; /* holds the token: secret */
	char email[256];
	char role[16];
	unsigned char public_key[OB_KEY_BYTES];
};

int ob_auth_authorize(struct ob_req *r);

/* The user ob_auth_authorize found, or NULL. */
struct ob_auth_user *ob_auth_current(const struct ob_req *r);

#endif
