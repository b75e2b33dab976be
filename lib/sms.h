/*
 * sms.h - sending one text message through the transport the
 * configuration names ([sms] transport):
 *
 *   file   development: appends "<time>\t<phone>\t<text>\n" to [sms] file
 *          (one write(2) per message, O_APPEND, mode 0600);
 *   http   a gateway: [sms] url, method (POST or GET), auth_header (a
 *          whole header line such as "Authorization: Bearer ..."),
 *          content_type (default application/json), body_template with
 *          the placeholders {to}, {text} and {flash} (values escaped for
 *          the content type: JSON string escapes, or percent-encoding
 *          for application/x-www-form-urlencoded), flash (true|false,
 *          for gateways that can send "class 0" messages that are shown
 *          and not stored), timeout_s (default 10).  Any 2xx answer is
 *          success; redirects are not followed; only http and https.
 *
 * Messages carry no case content (DESIGN.md): the caller passes a
 * sign-in code or a content-free notice.  Errors never repeat the phone
 * number or the text, so they can be logged.
 */
#ifndef OB_SMS_H
#define OB_SMS_H

#include <stdbool.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/ob.h"

enum ob_sms_transport {
	OB_SMS_FILE = 1,
	OB_SMS_HTTP,
};

struct ob_sms_config {
	enum ob_sms_transport transport;
	const char *file;
	const char *url;
	const char *method;
	const char *auth_header; /* may be NULL */
	const char *content_type;
	const char *body_template;
	bool flash;
	unsigned timeout_s;
};

/* True for an E.164 number as Ombud stores them: "+" and 6 to 15
 * digits. */
bool ob_sms_phone_valid(const char *phone);

/* Reads and checks [sms]; strings belong to cfg. */
int ob_sms_config_load(const struct ob_config *cfg, struct ob_sms_config *out,
    struct ob_buf *err) OB_MUST_CHECK;

/*
 * Fills the body template for one message into out (exposed for
 * tests).  OB_EINVAL for an unknown placeholder.
 */
int ob_sms_render_body(const struct ob_sms_config *c, const char *phone,
    const char *text, struct ob_buf *out) OB_MUST_CHECK;

/*
 * Sends text to phone (E.164).  OB_EINVAL for a phone number that is
 * not "+" and 6 to 15 digits or text with control characters; OB_EIO
 * (with a reason in err) when the transport fails.
 */
int ob_sms_send(const struct ob_sms_config *c, const char *phone,
    const char *text, struct ob_buf *err) OB_MUST_CHECK;

#endif
