#include "lib/settings.h"

#include <stdio.h>
#include <string.h>

int
ob_settings_load_db(const struct ob_config *cfg, const char *role_group,
    struct ob_settings *s, struct ob_buf *err)
{
	static const char *const db_keys[] = { "host", "port", "name",
		"statement_timeout_ms", "connect_timeout_s", NULL };
	uint64_t port, timeout, connect;
	int rc;

	if ((rc = ob_config_only_keys(cfg, "database", db_keys, err)) != 0 ||
	    (rc = ob_config_str(cfg, "database", "host", &s->db.host, err)) !=
		0 ||
	    (rc = ob_config_uint_opt(
		 cfg, "database", "port", 1, 65535, 5432, &port, err)) != 0 ||
	    (rc = ob_config_str(cfg, "database", "name", &s->db.dbname, err)) !=
		0 ||
	    (rc = ob_config_uint_opt(cfg, "database", "statement_timeout_ms", 1,
		 3600000, 5000, &timeout, err)) != 0 ||
	    (rc = ob_config_uint_opt(cfg, "database", "connect_timeout_s", 1,
		 300, 5, &connect, err)) != 0 ||
	    (rc = ob_config_str(cfg, role_group, "user", &s->db.user, err)) !=
		0)
		return rc;
	snprintf(s->db_port, sizeof(s->db_port), "%u", (unsigned)port);
	s->db.port = s->db_port;
	s->db.statement_timeout_ms = (unsigned)timeout;
	s->db.connect_timeout_s = (unsigned)connect;
	return 0;
}

int
ob_settings_load(const struct ob_config *cfg, const char *name,
    uint64_t default_max_body, const char *const *extra_keys,
    struct ob_settings *s, struct ob_buf *err)
{
	static const char *const path_keys[] = { "templates", "locale", "sql",
		"data", "password_dictionary", NULL };
	static const char *const health_keys[] = { "disk_free_min_mb",
		"mem_available_min_mb", "outbox_overdue_max_s", NULL };
	const char *svc_keys[24] = { "user", "socket", "processes",
		"socket_mode", "max_body_bytes", NULL };
	size_t nk = 5;
	int rc;

	/* The service's own keys in its group, read by the service. */
	for (size_t i = 0; extra_keys && extra_keys[i] && nk + 1 < 24; i++)
		svc_keys[nk++] = extra_keys[i];
	svc_keys[nk] = NULL;
	memset(s, 0, sizeof(*s));
	if ((rc = ob_config_only_keys(cfg, "paths", path_keys, err)) != 0 ||
	    (rc = ob_config_only_keys(cfg, "health", health_keys, err)) != 0 ||
	    (rc = ob_config_only_keys(cfg, name, svc_keys, err)) != 0 ||
	    (rc = ob_config_str(
		 cfg, "paths", "templates", &s->templates_dir, err)) != 0 ||
	    (rc = ob_config_str(cfg, "paths", "locale", &s->locale_dir, err)) !=
		0 ||
	    (rc = ob_config_str(cfg, "paths", "data", &s->data_dir, err)) !=
		0 ||
	    (rc = ob_config_uint_opt(cfg, "health", "disk_free_min_mb", 0,
		 UINT32_MAX, 256, &s->health.disk_free_min_mb, err)) != 0 ||
	    (rc = ob_config_uint_opt(cfg, "health", "mem_available_min_mb", 0,
		 UINT32_MAX, 128, &s->health.mem_available_min_mb, err)) != 0 ||
	    (rc = ob_config_uint_opt(cfg, "health", "outbox_overdue_max_s", 0,
		 86400, 180, &s->health.outbox_overdue_max_s, err)) != 0 ||
	    (rc = ob_settings_load_db(cfg, name, s, err)) != 0 ||
	    (rc = ob_config_str_opt(
		 cfg, name, "socket", "", &s->socket, err)) != 0 ||
	    (rc = ob_config_uint_opt(
		 cfg, name, "processes", 1, 256, 2, &s->processes, err)) != 0 ||
	    (rc = ob_config_mode_opt(
		 cfg, name, "socket_mode", 0660, &s->socket_mode, err)) != 0 ||
	    (rc = ob_config_uint_opt(cfg, name, "max_body_bytes", 0,
		 UINT64_C(1) << 40, default_max_body, &s->max_body_bytes,
		 err)) != 0)
		return rc;
	return 0;
}
