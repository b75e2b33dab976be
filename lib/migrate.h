/*
 * migrate.h - applies sql/NNNN_name.sql migrations in order, once each.
 *
 * Each migration runs in its own transaction together with the row that
 * records it in ombud_migrations (version, name, SHA-256 of the file),
 * so a failed migration leaves nothing behind.  An advisory lock keeps
 * two runners from racing.  A migration that was applied and whose file
 * has changed since is refused: migrations are append-only history.
 *
 * This is the one place that sends SQL text (the migration files, which
 * are ours) with PQexec; nothing else may.
 */
#ifndef OB_MIGRATE_H
#define OB_MIGRATE_H

#include <libpq-fe.h>
#include <stdio.h>

#include "lib/buf.h"
#include "lib/ob.h"

/*
 * Applies pending migrations from dir over conn, printing one line per
 * applied migration to progress (may be NULL).  *applied counts them.
 * Errors (OB_EIO, OB_EDB, OB_EINVAL) carry a message in err naming the
 * file.
 */
int ob_migrate_run(PGconn *conn, const char *dir, FILE *progress, int *applied,
    struct ob_buf *err) OB_MUST_CHECK;

#endif
