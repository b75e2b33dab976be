/*
 * settings.h - what every pool and ombudctl read from the configuration
 * at start (docs/config.md).  Loaded once, checked completely: the first
 * bad or missing key is an error naming file, group and key.
 */
#ifndef OB_SETTINGS_H
#define OB_SETTINGS_H

#include <stdint.h>

#include "lib/buf.h"
#include "lib/config.h"
#include "lib/db.h"
#include "lib/health.h"
#include "lib/ob.h"

/* Settings every service reads from the configuration. */
struct ob_settings {
	const char *templates_dir;
	const char *locale_dir;
	const char *data_dir;
	struct ob_health_limits health; /* [health] */
	struct ob_db_config db;
	char db_port[8];
	const char *socket;
	uint64_t processes;
	unsigned socket_mode;
	uint64_t max_body_bytes;
};

/*
 * Reads [database] and the database role from [role_group] user into
 * s->db (used by ombudctl too).  Errors name file, group and key.
 */
int ob_settings_load_db(const struct ob_config *cfg, const char *role_group,
    struct ob_settings *s, struct ob_buf *err) OB_MUST_CHECK;

/*
 * Reads everything a pool needs from cfg for service name ([paths],
 * [health], [database] and the [name] group).  extra_keys (NULL-ended,
 * or NULL) are further keys the service itself reads from its group;
 * any other key there is an error.
 */
int ob_settings_load(const struct ob_config *cfg, const char *name,
    uint64_t default_max_body, const char *const *extra_keys,
    struct ob_settings *s, struct ob_buf *err) OB_MUST_CHECK;

#endif
