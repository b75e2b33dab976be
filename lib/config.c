#include "lib/config.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

struct ob_config {
	GKeyFile *kf;
	char *path;
	/* Strings handed out stay valid as long as the configuration. */
	GPtrArray *strings;
};

/* err is best effort: a message that does not fit is cut short. */
#define ERRF(err, ...) (ob_buf_errf((err), __VA_ARGS__))

int
ob_config_path(const char *opt, const char **out, struct ob_buf *err)
{
	const char *env = getenv("OMBUD_CONFIG");

	if (opt != NULL && opt[0] != '\0') {
		*out = opt;
		return 0;
	}
	if (env != NULL && env[0] != '\0') {
		*out = env;
		return 0;
	}
	ERRF(err,
	    "no configuration file: pass --config FILE or set "
	    "OMBUD_CONFIG");
	return OB_ENOENT;
}

int
ob_config_load(const char *path, struct ob_config **out, struct ob_buf *err)
{
	GKeyFile *kf = g_key_file_new();
	GError *gerr = NULL;
	struct ob_config *c;

	if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &gerr)) {
		int rc = g_error_matches(gerr, G_FILE_ERROR, G_FILE_ERROR_NOENT)
		    ? OB_ENOENT
		    : OB_ECONFIG;

		ERRF(err, "config %s: %s", path, gerr->message);
		g_error_free(gerr);
		g_key_file_free(kf);
		return rc;
	}
	c = ob_xcalloc(1, sizeof(*c));
	c->kf = kf;
	c->path = ob_xstrdup(path);
	c->strings = g_ptr_array_new_with_free_func(g_free);
	*out = c;
	return 0;
}

void
ob_config_free(struct ob_config *c)
{
	if (c == NULL)
		return;
	g_key_file_free(c->kf);
	g_ptr_array_free(c->strings, TRUE);
	free(c->path);
	free(c);
}

const char *
ob_config_file(const struct ob_config *c)
{
	return c->path;
}

/* Fetches the raw string or says why not; *present tells missing keys. */
static int
raw(const struct ob_config *c, const char *group, const char *key, char **out,
    bool *present, struct ob_buf *err)
{
	GError *gerr = NULL;
	char *v;

	*present = g_key_file_has_key(c->kf, group, key, NULL);
	if (!*present)
		return 0;
	v = g_key_file_get_string(c->kf, group, key, &gerr);
	if (v == NULL) {
		ERRF(err, "config %s: [%s] %s: %s", c->path, group, key,
		    gerr->message);
		g_error_free(gerr);
		return OB_ECONFIG;
	}
	g_strstrip(v);
	*out = v;
	return 0;
}

static int
missing(const struct ob_config *c, const char *group, const char *key,
    struct ob_buf *err)
{
	ERRF(
	    err, "config %s: [%s] %s: missing (required)", c->path, group, key);
	return OB_ENOENT;
}

int
ob_config_str_opt(const struct ob_config *c, const char *group, const char *key,
    const char *def, const char **out, struct ob_buf *err)
{
	char *v = NULL;
	bool present;
	int rc;

	if ((rc = raw(c, group, key, &v, &present, err)) != 0)
		return rc;
	if (!present) {
		if (def == NULL)
			return missing(c, group, key, err);
		*out = def;
		return 0;
	}
	if (v[0] == '\0') {
		g_free(v);
		ERRF(err, "config %s: [%s] %s: empty value", c->path, group,
		    key);
		return OB_ECONFIG;
	}
	g_ptr_array_add(c->strings, v);
	*out = v;
	return 0;
}

int
ob_config_str(const struct ob_config *c, const char *group, const char *key,
    const char **out, struct ob_buf *err)
{
	return ob_config_str_opt(c, group, key, NULL, out, err);
}

static int
get_uint(const struct ob_config *c, const char *group, const char *key,
    uint64_t min, uint64_t max, const uint64_t *def, uint64_t *out,
    struct ob_buf *err)
{
	char *v = NULL;
	bool present;
	int rc;

	if ((rc = raw(c, group, key, &v, &present, err)) != 0)
		return rc;
	if (!present) {
		if (def == NULL)
			return missing(c, group, key, err);
		*out = *def;
		return 0;
	}
	rc = ob_parse_u64(v, min, max, out);
	if (rc != 0) {
		ERRF(err,
		    "config %s: [%s] %s: \"%s\" is not a whole number from "
		    "%llu to %llu",
		    c->path, group, key, v, (unsigned long long)min,
		    (unsigned long long)max);
		rc = OB_ECONFIG;
	}
	g_free(v);
	return rc;
}

int
ob_config_uint(const struct ob_config *c, const char *group, const char *key,
    uint64_t min, uint64_t max, uint64_t *out, struct ob_buf *err)
{
	return get_uint(c, group, key, min, max, NULL, out, err);
}

int
ob_config_uint_opt(const struct ob_config *c, const char *group,
    const char *key, uint64_t min, uint64_t max, uint64_t def, uint64_t *out,
    struct ob_buf *err)
{
	return get_uint(c, group, key, min, max, &def, out, err);
}

int
ob_config_mode_opt(const struct ob_config *c, const char *group,
    const char *key, unsigned def, unsigned *out, struct ob_buf *err)
{
	char *v = NULL;
	bool present;
	unsigned m = 0;
	size_t i;
	int rc;

	if ((rc = raw(c, group, key, &v, &present, err)) != 0)
		return rc;
	if (!present) {
		*out = def;
		return 0;
	}
	for (i = 0; v[i] != '\0' && i < 4; i++) {
		if (v[i] < '0' || v[i] > '7')
			break;
		m = m * 8 + (unsigned)(v[i] - '0');
	}
	if (i == 0 || v[i] != '\0') {
		ERRF(err,
		    "config %s: [%s] %s: \"%s\" is not an octal mode such as "
		    "0660",
		    c->path, group, key, v);
		g_free(v);
		return OB_ECONFIG;
	}
	g_free(v);
	*out = m;
	return 0;
}

bool
ob_config_has_group(const struct ob_config *c, const char *group)
{
	return g_key_file_has_group(c->kf, group);
}

int
ob_config_only_keys(const struct ob_config *c, const char *group,
    const char *const *known, struct ob_buf *err)
{
	gchar **keys;
	gsize n = 0;
	int rc = 0;

	keys = g_key_file_get_keys(c->kf, group, &n, NULL);
	if (keys == NULL)
		return 0;
	for (gsize i = 0; i < n && rc == 0; i++) {
		bool ok = false;

		for (size_t j = 0; known[j] != NULL; j++)
			if (strcmp(keys[i], known[j]) == 0)
				ok = true;
		if (!ok) {
			ERRF(err, "config %s: [%s] %s: unknown key", c->path,
			    group, keys[i]);
			rc = OB_ECONFIG;
		}
	}
	g_strfreev(keys);
	return rc;
}
