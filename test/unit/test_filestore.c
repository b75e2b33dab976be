/*
 * Files in a real database: stored from a descriptor in chunks, read
 * back the same (meta data and bytes), and refused when a chunk is
 * altered, reordered or missing, when the key is another case's, and
 * when the file is larger than allowed.  Needs OMBUD_TEST_PG* naming a
 * migrated database (testdb.h).
 */
#include "lib/filestore.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/util.h"
#include "test/unit/check.h"
#include "test/unit/testdb.h"

#define HEX(n) (2 * (n) + 3)
#define SIZE (3 * 65536 + 1234) /* four chunks, the last short */

static const struct ob_stmt stmts[] = {
	{ "t_tenant",
	    "INSERT INTO tenants (slug, name, public_key, recovery_public_key, "
	    "recovery_sealed) VALUES ('files', 'Files', decode(repeat('00', "
	    "32), 'hex'), decode(repeat('00', 32), 'hex'), "
	    "decode(repeat('00', 97), 'hex')) RETURNING id",
	    0 },
	{ "t_case",
	    "INSERT INTO cases (tenant_id, number, category, public_key, "
	    "sk_sealed_tenant, receipt_lookup, receipt_salt, "
	    "receipt_opslimit, receipt_memlimit, sk_wrapped_receipt) "
	    "VALUES ($1, 'F-1', 'other', $2, decode(repeat('00', 97), 'hex'), "
	    "decode(repeat('00', 32), 'hex'), decode(repeat('00', 16), "
	    "'hex'), 1, 8192, decode(repeat('00', 73), 'hex')) RETURNING id",
	    2 },
	/* Chunks 1 and 2 trade places (their data: seq is the key). */
	{ "t_swap",
	    "UPDATE file_chunks c SET data = (SELECT o.data FROM file_chunks "
	    "o WHERE o.file_id = c.file_id AND o.seq = 3 - c.seq) "
	    "WHERE c.file_id = $1 AND c.seq IN (1, 2)",
	    1 },
	{ "t_flip",
	    "UPDATE file_chunks SET data = overlay(data placing '\\xff' from "
	    "40 for 1) WHERE file_id = $1 AND seq = 0",
	    1 },
	{ "t_drop", "DELETE FROM file_chunks WHERE file_id = $1 AND seq = 3",
	    1 },
	{ "t_clean",
	    "TRUNCATE file_chunks, files, items, cases, tenants CASCADE", 0 },
};

struct sink {
	struct ob_buf got;
};

static int
collect(void *arg, const void *p, size_t n)
{
	struct sink *s = arg;

	return ob_buf_append(&s->got, p, n);
}

static void
one(struct ob_db *db, const char *stmt, int n, const char *const *p,
    char out[24])
{
	PGresult *res = NULL;

	CHECK_INT(ob_db_exec(db, stmt, n, p, &res), 0);
	if (out != NULL)
		CHECK_INT(ob_strlcpy(out, PQgetvalue(res, 0, 0), 24), 0);
	PQclear(res);
}

static int
read_into(struct ob_db *db, const struct ob_keypair *kp, const char *tid,
    const char *cid, const char *fid, struct sink *s)
{
	ob_buf_reset(&s->got);
	return ob_file_read(db, kp, tid, cid, fid, collect, s);
}

int
main(void)
{
	struct ob_db_config cfg = { 0 };
	struct ob_keypair *kp, *other;
	struct sink s = { OB_BUF_INIT(SIZE + 1) };
	struct ob_arena a;
	struct ob_file_meta meta;
	unsigned char *data;
	char tid[24], cid[24], fid[24], fid2[24], pk[HEX(OB_KEY_BYTES)];
	const char *p[2];
	struct ob_db *db;
	int fd;

	if (!testdb_config(&cfg, "test_filestore"))
		return TESTDB_SKIP;
	CHECK_INT(ob_crypto_init(), 0);
	ob_arena_init(&a, 1 << 20);
	kp = ob_keypair_new();
	other = ob_keypair_new();
	db = ob_db_new(&cfg, stmts, OB_NELEM(stmts));
	ob_db_add_stmts(db, ob_filestore_stmts, ob_filestore_nstmts);
	CHECK_INT(ob_db_connect(db), 0);
	one(db, "t_clean", 0, NULL, NULL);
	one(db, "t_tenant", 0, NULL, tid);
	CHECK_INT(
	    ob_db_hex(ob_keypair_pk(kp), OB_KEY_BYTES, pk, sizeof(pk)), 0);
	p[0] = tid;
	p[1] = pk;
	one(db, "t_case", 2, p, cid);

	data = ob_xmalloc(SIZE);
	randombytes_buf(data, SIZE);
	fd = memfd_create("plain", MFD_CLOEXEC);
	CHECK_INT((int)write(fd, data, SIZE), SIZE);
	CHECK_INT((int)lseek(fd, 0, SEEK_SET), 0);
	{
		struct ob_file_new f = { tid, cid, ob_keypair_pk(kp),
			"reporter", NULL, "r\xc3\xa6kning & \"plan\".pdf",
			"application/pdf", "removed: author\n", fd, SIZE };

		CHECK_INT(ob_file_store(db, &f, fid), 0);
		/* The same again, one byte over its cap: refused. */
		CHECK_INT((int)lseek(fd, 0, SEEK_SET), 0);
		f.max_bytes = SIZE - 1;
		CHECK_INT(ob_file_store(db, &f, fid2), OB_ETOOBIG);
		/* An empty file is one empty final chunk. */
		CHECK_INT((int)lseek(fd, 0, SEEK_END), SIZE);
		f.max_bytes = SIZE;
		CHECK_INT(ob_file_store(db, &f, fid2), 0);
	}

	CHECK_INT(ob_file_meta(db, &a, kp, tid, cid, fid, &meta), 0);
	CHECK_STR(meta.name, "r\xc3\xa6kning & \"plan\".pdf");
	CHECK_STR(meta.type, "application/pdf");
	CHECK_STR(meta.report, "removed: author\n");
	CHECK_INT((int)meta.size, SIZE);
	CHECK(meta.complete);
	CHECK_INT(read_into(db, kp, tid, cid, fid, &s), 0);
	CHECK_INT((int)s.got.len, SIZE);
	CHECK(memcmp(s.got.data, data, SIZE) == 0);
	CHECK_INT(read_into(db, kp, tid, cid, fid2, &s), 0);
	CHECK_INT((int)s.got.len, 0);

	/* Another case's key, another case's id: nothing. */
	CHECK_INT(ob_file_meta(db, &a, other, tid, cid, fid, &meta), OB_EPERM);
	CHECK_INT(read_into(db, other, tid, cid, fid, &s), OB_EPERM);
	CHECK_INT(read_into(db, kp, tid, "999999", fid, &s), OB_ENOENT);

	/* Reordered, altered, truncated. */
	p[0] = fid;
	one(db, "t_swap", 1, p, NULL);
	CHECK_INT(read_into(db, kp, tid, cid, fid, &s), OB_EPERM);
	one(db, "t_swap", 1, p, NULL);
	CHECK_INT(read_into(db, kp, tid, cid, fid, &s), 0);
	one(db, "t_drop", 1, p, NULL);
	CHECK_INT(read_into(db, kp, tid, cid, fid, &s), OB_EPERM);
	one(db, "t_flip", 1, p, NULL);
	CHECK_INT(read_into(db, kp, tid, cid, fid, &s), OB_EPERM);

	one(db, "t_clean", 0, NULL, NULL);
	close(fd);
	free(data);
	ob_buf_release(&s.got);
	ob_keypair_free(kp);
	ob_keypair_free(other);
	ob_arena_release(&a);
	ob_db_free(db);
	return CHECK_DONE();
}
