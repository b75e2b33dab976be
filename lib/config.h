/*
 * config.h - the one INI configuration file (GLib GKeyFile).
 *
 * The path comes from --config or OMBUD_CONFIG.  Every getter names the
 * file, group and key in its error message, so an operator can fix a
 * broken deployment from the first line it prints.  Services read every
 * key they need at start and exit non-zero on the first bad one; nothing
 * is looked up lazily while serving.
 */
#ifndef OB_CONFIG_H
#define OB_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/buf.h"
#include "lib/ob.h"

struct ob_config;

/*
 * Resolves the configuration path: opt (from --config) if not NULL,
 * else $OMBUD_CONFIG.  OB_ENOENT with a message in err when neither is
 * set.  *out points into opt or the environment; do not free it.
 */
int ob_config_path(
    const char *opt, const char **out, struct ob_buf *err) OB_MUST_CHECK;

/*
 * Loads and parses path.  On success the caller owns *out and frees it
 * with ob_config_free().  Errors (OB_ENOENT, OB_ECONFIG) come with a
 * message in err.
 */
int ob_config_load(
    const char *path, struct ob_config **out, struct ob_buf *err) OB_MUST_CHECK;
void ob_config_free(struct ob_config *c);

/* The file the configuration was read from. */
const char *ob_config_file(const struct ob_config *c);

/*
 * Typed getters.  A missing key is OB_ENOENT unless a default is given
 * (the _opt variants); a present but invalid value is always
 * OB_ECONFIG.  Strings are owned by the configuration.
 */
int ob_config_str(const struct ob_config *c, const char *group, const char *key,
    const char **out, struct ob_buf *err) OB_MUST_CHECK;
int ob_config_str_opt(const struct ob_config *c, const char *group,
    const char *key, const char *def, const char **out,
    struct ob_buf *err) OB_MUST_CHECK;
int ob_config_uint(const struct ob_config *c, const char *group,
    const char *key, uint64_t min, uint64_t max, uint64_t *out,
    struct ob_buf *err) OB_MUST_CHECK;
int ob_config_uint_opt(const struct ob_config *c, const char *group,
    const char *key, uint64_t min, uint64_t max, uint64_t def, uint64_t *out,
    struct ob_buf *err) OB_MUST_CHECK;
/* An octal file mode such as 0660 (at most 0777). */
int ob_config_mode_opt(const struct ob_config *c, const char *group,
    const char *key, unsigned def, unsigned *out,
    struct ob_buf *err) OB_MUST_CHECK;

/* True when the file has group (even an empty one): for optional
 * groups such as [mail]. */
bool ob_config_has_group(const struct ob_config *c, const char *group);

/*
 * Refuses keys in group that are not in known (NULL-terminated): a
 * misspelt key would otherwise be silently ignored.  A missing group is
 * fine.
 */
int ob_config_only_keys(const struct ob_config *c, const char *group,
    const char *const *known, struct ob_buf *err) OB_MUST_CHECK;

#endif
