/*
 * filestore.h - a case's files, encrypted as they are stored and
 * decrypted as they are read, in constant memory (DESIGN "crypto_
 * secretstream for files, in chunks"; issue 7, items 5 and 7).
 *
 * A file is a files row and its file_chunks rows.  ob_file_store draws
 * the id (files_id_seq), a random file key sealed to the case's public
 * key (AD: ob_ad_item(tenant, case, file, "file")), encrypts the meta
 * data - original name, detected type, the scrub report - as one text
 * (AD kind "file-meta"), then reads the plaintext from a descriptor and
 * writes one chunk row per OB_STREAM_CHUNK_MAX bytes, the stream's
 * header in the first.  The files row is complete only when the final
 * chunk is in; run it in the caller's transaction so that a failure
 * leaves nothing.  Only the case's public key is needed: the scrub pool
 * stores files into cases it cannot read.
 *
 * ob_file_meta and ob_file_read reverse it with the case keypair: the
 * meta data, and the content chunk by chunk to a callback (a download
 * streams to the client).  A chunk that is missing, repeated, altered
 * or out of order, or a file without its final chunk, is OB_EPERM.
 *
 * Register ob_filestore_stmts.  Storing needs INSERT on files and
 * file_chunks, UPDATE (size_bytes, chunks, complete) on files and USAGE
 * on files_id_seq; reading needs SELECT on both.
 */
#ifndef OB_FILESTORE_H
#define OB_FILESTORE_H

#include <stdint.h>

#include "lib/arena.h"
#include "lib/crypto.h"
#include "lib/db.h"

extern const struct ob_stmt ob_filestore_stmts[];
extern const size_t ob_filestore_nstmts;

struct ob_file_new {
	const char *tenant_id, *case_id;
	const unsigned char *case_pk; /* OB_KEY_BYTES */
	const char *side; /* reporter | handler */
	const char *author_id; /* NULL for the reporter */
	const char *name; /* the original name, already made safe */
	const char *type; /* what was detected, e.g. "image/jpeg" */
	const char *report; /* the scrub report's lines */
	int fd; /* the scrubbed bytes, read from its current offset */
	uint64_t max_bytes; /* more than this in fd: OB_ETOOBIG */
};

/* Stores it; *id_out (24 bytes) gets the files.id. */
int ob_file_store(struct ob_db *db, const struct ob_file_new *f,
    char id_out[24]) OB_MUST_CHECK;

struct ob_file_meta {
	const char *name, *type, *report; /* in the arena, wiped with it */
	uint64_t size;
	bool complete;
};

/* The meta data of file_id in case case_id of tenant_id. */
int ob_file_meta(struct ob_db *db, struct ob_arena *a,
    const struct ob_keypair *case_kp, const char *tenant_id,
    const char *case_id, const char *file_id,
    struct ob_file_meta *out) OB_MUST_CHECK;

/*
 * The content of the file, decrypted chunk by chunk into emit (which
 * returns 0 to go on).  Plaintext passed to emit is wiped afterwards;
 * emit copies what it keeps.
 */
int ob_file_read(struct ob_db *db, const struct ob_keypair *case_kp,
    const char *tenant_id, const char *case_id, const char *file_id,
    int (*emit)(void *arg, const void *p, size_t n), void *arg) OB_MUST_CHECK;

#endif
