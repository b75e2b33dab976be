#include "lib/filestore.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/form.h"
#include "lib/util.h"

#define HEX(n) (2 * (n) + 3)
#define META_MAX (128 * 1024)

const struct ob_stmt ob_filestore_stmts[] = {
	{ "fs_id", "SELECT nextval('files_id_seq')", 0 },
	{ "fs_file",
	    "INSERT INTO files (tenant_id, case_id, id, side, author_id, "
	    "key_sealed, meta_ciphertext, size_bytes) VALUES ($1, $2, $3, "
	    "$4::author_side, $5, $6, $7, 0)",
	    7 },
	{ "fs_chunk",
	    "INSERT INTO file_chunks (tenant_id, file_id, seq, data) "
	    "VALUES ($1, $2, $3, $4)",
	    4 },
	{ "fs_done",
	    "UPDATE files SET size_bytes = $3, chunks = $4, complete = true "
	    "WHERE tenant_id = $1 AND id = $2",
	    4 },
	{ "fs_meta",
	    "SELECT key_sealed, meta_ciphertext, size_bytes, chunks, complete "
	    "FROM files WHERE tenant_id = $1 AND case_id = $2 AND id = $3",
	    3 },
	{ "fs_read_chunk",
	    "SELECT data FROM file_chunks WHERE tenant_id = $1 AND file_id = "
	    "$2 AND seq = $3",
	    3 },
};
const size_t ob_filestore_nstmts = OB_NELEM(ob_filestore_stmts);

/* A bytea parameter for n bytes at p: "\x..." in a malloc'd string. */
static char *
hex_param(const void *p, size_t n)
{
	char *h = ob_xmalloc(HEX(n));

	if (ob_db_hex(p, n, h, HEX(n)) != 0) {
		free(h);
		return NULL;
	}
	return h;
}

static ssize_t
read_full(int fd, unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* The meta data as urlencoded text, encrypted into ct. */
static int
meta_encrypt(const struct ob_file_new *f, const struct ob_item_key *k,
    const struct ob_ad *ad, struct ob_buf *ct)
{
	struct ob_buf text = OB_BUF_INIT(META_MAX);
	int rc;

	if ((rc = ob_form_append(&text, "name", f->name)) == 0 &&
	    (rc = ob_form_append(&text, "type", f->type)) == 0 &&
	    (rc = ob_form_append(&text, "report", f->report)) == 0)
		rc = ob_text_encrypt(k, ad, text.data, text.len, ct);
	ob_buf_release_secret(&text);
	return rc;
}

/* Pushes everything in f->fd through the stream into chunk rows. */
static int
store_chunks(struct ob_db *db, const struct ob_file_new *f, const char *id,
    const struct ob_item_key *k, uint64_t *size, uint64_t *chunks)
{
	unsigned char *in = ob_xmalloc(OB_STREAM_CHUNK_MAX);
	unsigned char *next = ob_xmalloc(OB_STREAM_CHUNK_MAX);
	unsigned char *out = ob_xmalloc(OB_STREAM_OUT_MAX);
	struct ob_stream *s = NULL;
	char seq[24], *h = NULL;
	const char *params[4] = { f->tenant_id, id, seq, NULL };
	struct ob_ad ad;
	ssize_t n, ahead;
	size_t outlen;
	int rc;

	*size = *chunks = 0;
	ob_ad_item(&ad, f->tenant_id, f->case_id, id, "file");
	if ((rc = ob_stream_push_new(k, &ad, &s)) != 0)
		goto out;
	/* One chunk of look-ahead: the last chunk is pushed as final. */
	if ((n = read_full(f->fd, in, OB_STREAM_CHUNK_MAX)) < 0) {
		rc = OB_EIO;
		goto out;
	}
	for (;;) {
		bool final;

		ahead = n == OB_STREAM_CHUNK_MAX
		    ? read_full(f->fd, next, OB_STREAM_CHUNK_MAX)
		    : 0;
		if (ahead < 0) {
			rc = OB_EIO;
			goto out;
		}
		final = ahead == 0;
		*size += (uint64_t)n;
		if (*size > f->max_bytes) {
			rc = OB_ETOOBIG;
			goto out;
		}
		if ((rc = ob_stream_push(s, in, (size_t)n, final, out,
			 OB_STREAM_OUT_MAX, &outlen)) != 0)
			goto out;
		snprintf(seq, sizeof(seq), "%" PRIu64, *chunks);
		if ((h = hex_param(out, outlen)) == NULL) {
			rc = OB_EINTERNAL;
			goto out;
		}
		params[3] = h;
		if ((rc = ob_db_run(db, "fs_chunk", 4, params)) != 0)
			goto out;
		free(h);
		h = NULL;
		(*chunks)++;
		if (final)
			break;
		memcpy(in, next, (size_t)ahead);
		n = ahead;
	}
	rc = ob_stream_end(s);
out:
	sodium_memzero(in, OB_STREAM_CHUNK_MAX);
	sodium_memzero(next, OB_STREAM_CHUNK_MAX);
	free(in);
	free(next);
	free(out);
	free(h);
	ob_stream_free(s);
	return rc;
}

int
ob_file_store(struct ob_db *db, const struct ob_file_new *f, char id_out[24])
{
	struct ob_buf meta = OB_BUF_INIT(META_MAX + OB_TEXT_OVERHEAD);
	unsigned char sealed[OB_SEALED_BYTES];
	char id[24], size[24], count[24];
	char *sealed_h = NULL, *meta_h = NULL;
	const char *params[7];
	uint64_t bytes = 0, chunks = 0;
	struct ob_item_key k;
	PGresult *res = NULL;
	struct ob_ad ad;
	int rc;

	ob_item_key_new(&k);
	if ((rc = ob_db_exec(db, "fs_id", 0, NULL, &res)) != 0 ||
	    (rc = ob_strlcpy(id, PQgetvalue(res, 0, 0), sizeof(id))) != 0)
		goto out;
	ob_ad_item(&ad, f->tenant_id, f->case_id, id, "file");
	if ((rc = ob_item_key_seal(&k, f->case_pk, &ad, sealed)) != 0)
		goto out;
	ob_ad_item(&ad, f->tenant_id, f->case_id, id, "file-meta");
	if ((rc = meta_encrypt(f, &k, &ad, &meta)) != 0)
		goto out;
	if ((sealed_h = hex_param(sealed, sizeof(sealed))) == NULL ||
	    (meta_h = hex_param(meta.data, meta.len)) == NULL) {
		rc = OB_EINTERNAL;
		goto out;
	}
	params[0] = f->tenant_id;
	params[1] = f->case_id;
	params[2] = id;
	params[3] = f->side;
	params[4] = f->author_id;
	params[5] = sealed_h;
	params[6] = meta_h;
	if ((rc = ob_db_run(db, "fs_file", 7, params)) != 0 ||
	    (rc = store_chunks(db, f, id, &k, &bytes, &chunks)) != 0)
		goto out;
	snprintf(size, sizeof(size), "%" PRIu64, bytes);
	snprintf(count, sizeof(count), "%" PRIu64, chunks);
	params[1] = id;
	params[2] = size;
	params[3] = count;
	if ((rc = ob_db_run(db, "fs_done", 4, params)) != 0)
		goto out;
	memcpy(id_out, id, sizeof(id));
out:
	ob_item_key_wipe(&k);
	ob_buf_release(&meta);
	free(sealed_h);
	free(meta_h);
	PQclear(res);
	return rc;
}

/* The file key of a files row (columns 0 and 1 of fs_meta). */
static int
file_key(const struct ob_keypair *case_kp, PGresult *res, const char *tid,
    const char *cid, const char *fid, struct ob_item_key *k)
{
	unsigned char sealed[OB_SEALED_BYTES];
	struct ob_ad ad;

	if (ob_db_unhex(PQgetvalue(res, 0, 0), sealed, sizeof(sealed)) != 0)
		return OB_EINVAL;
	ob_ad_item(&ad, tid, cid, fid, "file");
	return ob_item_key_open(case_kp, sealed, sizeof(sealed), &ad, k) == 0
	    ? 0
	    : OB_EPERM;
}

static int
load(struct ob_db *db, const char *tid, const char *cid, const char *fid,
    PGresult **res)
{
	const char *params[3] = { tid, cid, fid };
	int rc;

	if ((rc = ob_db_exec(db, "fs_meta", 3, params, res)) != 0)
		return rc;
	return PQntuples(*res) == 1 ? 0 : OB_ENOENT;
}

int
ob_file_meta(struct ob_db *db, struct ob_arena *a,
    const struct ob_keypair *case_kp, const char *tenant_id,
    const char *case_id, const char *file_id, struct ob_file_meta *out)
{
	struct ob_buf plain = OB_BUF_INIT(META_MAX);
	unsigned char *ct = NULL;
	struct ob_form form = { NULL, 0 };
	struct ob_item_key k;
	PGresult *res = NULL;
	struct ob_ad ad;
	size_t ct_len = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&k, 0, sizeof(k));
	if ((rc = load(db, tenant_id, case_id, file_id, &res)) != 0 ||
	    (rc = file_key(case_kp, res, tenant_id, case_id, file_id, &k)) != 0)
		goto out;
	ct_len = strlen(PQgetvalue(res, 0, 1));
	ct_len = ct_len > 2 ? (ct_len - 2) / 2 : 0;
	ct = ob_xmalloc(ct_len + 1);
	ob_ad_item(&ad, tenant_id, case_id, file_id, "file-meta");
	if (ob_db_unhex(PQgetvalue(res, 0, 1), ct, ct_len) != 0 ||
	    ob_text_decrypt(&k, &ad, ct, ct_len, &plain) != 0) {
		rc = OB_EPERM;
		goto out;
	}
	if ((rc = ob_form_parse(a, plain.data, plain.len, NULL, &form)) != 0 ||
	    ob_parse_u64(PQgetvalue(res, 0, 2), 0, INT64_MAX, &out->size) !=
		0) {
		rc = OB_EINVAL;
		goto out;
	}
	out->name = ob_form_get(&form, "name");
	out->type = ob_form_get(&form, "type");
	out->report = ob_form_get(&form, "report");
	out->complete = strcmp(PQgetvalue(res, 0, 4), "t") == 0;
	if (out->name == NULL || out->type == NULL || out->report == NULL)
		rc = OB_EINVAL;
out:
	ob_item_key_wipe(&k);
	ob_buf_release_secret(&plain);
	free(ct);
	PQclear(res);
	return rc;
}

int
ob_file_read(struct ob_db *db, const struct ob_keypair *case_kp,
    const char *tenant_id, const char *case_id, const char *file_id,
    int (*emit)(void *arg, const void *p, size_t n), void *arg)
{
	unsigned char *in = NULL, *plain = NULL;
	struct ob_stream *s = NULL;
	PGresult *res = NULL, *chunk = NULL;
	char seq[24];
	const char *params[3] = { tenant_id, file_id, seq };
	struct ob_item_key k;
	uint64_t nchunks;
	struct ob_ad ad;
	int rc;

	memset(&k, 0, sizeof(k));
	if ((rc = load(db, tenant_id, case_id, file_id, &res)) != 0 ||
	    (rc = file_key(case_kp, res, tenant_id, case_id, file_id, &k)) != 0)
		goto out;
	if (strcmp(PQgetvalue(res, 0, 4), "t") != 0 ||
	    ob_parse_u64(PQgetvalue(res, 0, 3), 1, INT32_MAX, &nchunks) != 0) {
		rc = OB_EPERM; /* never finished: not a file */
		goto out;
	}
	ob_ad_item(&ad, tenant_id, case_id, file_id, "file");
	if ((rc = ob_stream_pull_new(&k, &ad, &s)) != 0)
		goto out;
	in = ob_xmalloc(OB_STREAM_OUT_MAX);
	plain = ob_xmalloc(OB_STREAM_CHUNK_MAX);
	for (uint64_t i = 0; i < nchunks; i++) {
		const char *h;
		size_t len, outlen;

		snprintf(seq, sizeof(seq), "%" PRIu64, i);
		PQclear(chunk);
		chunk = NULL;
		if ((rc = ob_db_exec(db, "fs_read_chunk", 3, params, &chunk)) !=
		    0)
			goto out;
		if (PQntuples(chunk) != 1) {
			rc = OB_EPERM;
			goto out;
		}
		h = PQgetvalue(chunk, 0, 0);
		len = strlen(h) > 2 ? (strlen(h) - 2) / 2 : 0;
		if (len > OB_STREAM_OUT_MAX || ob_db_unhex(h, in, len) != 0 ||
		    ob_stream_pull(
			s, in, len, plain, OB_STREAM_CHUNK_MAX, &outlen) != 0) {
			rc = OB_EPERM;
			goto out;
		}
		rc = emit(arg, plain, outlen);
		sodium_memzero(plain, OB_STREAM_CHUNK_MAX);
		if (rc != 0)
			goto out;
	}
	rc = ob_stream_end(s) == 0 ? 0 : OB_EPERM;
out:
	ob_item_key_wipe(&k);
	if (plain != NULL)
		sodium_memzero(plain, OB_STREAM_CHUNK_MAX);
	free(in);
	free(plain);
	ob_stream_free(s);
	PQclear(res);
	PQclear(chunk);
	return rc;
}
