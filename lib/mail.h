/*
 * mail.h - sending one mail through an SMTP server with libcurl
 * ([mail] in the configuration, docs/config.md).
 *
 *   url            smtp://host[:port][/ehlo-name] or smtps://...; no user
 *                  or password in it (they belong in user and
 *                  password_file);
 *   from           the sender address (envelope and From:);
 *   starttls       required (default: CURLUSESSL_ALL, the transfer fails
 *                  before MAIL FROM if the server offers no STARTTLS) or
 *                  none (plain SMTP, or the implicit TLS of smtps://);
 *   user           optional; with password_file or bearer_file, for
 *                  SMTP AUTH;
 *   password_file  a file of mode 0600 holding the password (a trailing
 *                  newline is dropped); refused over plain smtp:// with
 *                  starttls none, where it would cross the network in
 *                  clear;
 *   bearer_file    instead of password_file: a file of mode 0600 holding
 *                  an OAuth 2.0 access token (SASL XOAUTH2/OAUTHBEARER,
 *                  Office 365), read again for every message so that a
 *                  job outside can replace it before it expires; the
 *                  same rules;
 *   ca_file        optional CA bundle; certificates are always verified;
 *   timeout_s      connect and total time per message (default 10).
 *
 * Messages carry no case content (DESIGN.md), but a subject names a
 * tenant and an address names a handler: errors and log lines built
 * from this module hold curl and SMTP codes only, never an address, a
 * subject or a body.
 */
#ifndef OB_MAIL_H
#define OB_MAIL_H

#include <stdbool.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/ob.h"

/* Largest message ob_mail_build makes (headers and encoded body). */
#define OB_MAIL_MAX (64 * 1024)

struct ob_mail_config {
	const char *url;
	const char *from;
	bool starttls; /* true: STARTTLS required */
	const char *user; /* NULL: no SMTP AUTH */
	char *password; /* sodium_malloc'd; NULL without password_file */
	const char *bearer_file; /* NULL: no OAuth 2.0 token */
	const char *ca_file; /* NULL: the system's CA store */
	unsigned timeout_s;
};

/*
 * Reads and checks [mail] (ob_crypto_init must have run: the password
 * lives in guarded memory).  Strings other than password belong to
 * cfg; release out with ob_mail_config_release, also after an error.
 * A missing group is a missing url (OB_ENOENT): callers that treat mail
 * as optional ask ob_config_has_group first.  Errors name the file,
 * [mail] and the key.
 */
int ob_mail_config_load(const struct ob_config *cfg, struct ob_mail_config *out,
    struct ob_buf *err) OB_MUST_CHECK;

/* Wipes and frees the password; c may be released twice. */
void ob_mail_config_release(struct ob_mail_config *c);

/*
 * True for an address Ombud sends to or from: local@domain, at most 254
 * bytes, printable ASCII without spaces and without any of
 * < > ( ) [ ] \ , ; : " (so it can stand in a header and an SMTP
 * command as it is).
 */
bool ob_mail_addr_valid(const char *addr);

/*
 * Builds the RFC 5322 message into out (appending): Date (date, in
 * UTC), From, To, Subject (omitted when subject is NULL or ""; RFC 2047
 * UTF-8 "B" encoded words when it is not plain ASCII; folded at 78
 * columns), Message-ID <id@from's domain>, MIME-Version, Content-Type
 * text/plain; charset=utf-8, Content-Transfer-Encoding (7bit for ASCII
 * text with lines of at most 998 bytes, quoted-printable otherwise),
 * Auto-Submitted: auto-generated, then the body.  Every line ends in
 * CRLF (body line ends of LF, CR or CRLF become CRLF).  Leading dots are
 * not doubled: libcurl does that on the wire.
 *
 * OB_EINVAL when from or to is not ob_mail_addr_valid (which refuses CR
 * and LF), subject holds a control character (CR and LF included) or
 * is not UTF-8, body is not UTF-8, or id is not 1 to 64 letters and
 * digits; OB_ETOOBIG when out's cap is reached.  out may hold part of a
 * message after an error.
 */
int ob_mail_build(const char *from, const char *to, const char *subject,
    const char *body, time_t date, const char *id,
    struct ob_buf *out) OB_MUST_CHECK;

/*
 * Sends one message to one recipient, with a fresh random Message-ID.
 * OB_EINVAL as for ob_mail_build (nothing is sent); OB_EAGAIN when the
 * server cannot be used at all (not resolved, not reached, timed out,
 * TLS or STARTTLS failed, login refused, bearer_file unreadable): the
 * next message would fail the same way; OB_EIO when the server took part but the message was
 * not accepted.  err gets a reason with curl's and the server's codes,
 * never the address, the subject or the body.
 */
int ob_mail_send(const struct ob_mail_config *c, const char *to,
    const char *subject, const char *body, struct ob_buf *err) OB_MUST_CHECK;

#endif
