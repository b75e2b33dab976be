/*
 * scrub.h - the scrub pool (issue 7): what its files share.  main.c
 * sets the state up in the master, before the children fork.
 */
#ifndef OB_SCRUB_SERVICE_H
#define OB_SCRUB_SERVICE_H

#include <magic.h>
#include <stdbool.h>

#include "lib/db.h"
#include "lib/req.h"
#include "lib/sandbox.h"

struct scrub_state {
	/* libmagic's database, loaded once: it names the type found. */
	magic_t magic;
	/* The child's limits for one file. */
	struct ob_sandbox_limits sandbox;
	/* Where handlers sign in, for the notices ([site] url). */
	char handler_link[256];
};

extern const struct ob_stmt upload_stmts[];
extern const size_t upload_nstmts;

int h_reporter_upload(struct ob_req *r);
int h_handler_upload(struct ob_req *r);

#endif
