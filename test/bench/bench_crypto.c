/*
 * bench_crypto - what the key hierarchy costs, for scripts/bench (not a
 * test): one Argon2id derivation at the default parameters (a handler's
 * sign-in, a reporter's receipt), and reading one item through the
 * whole chain -- once from the password, as at sign-in, and once from a
 * session token, as on every request of a signed-in handler.
 */
#include <stdio.h>
#include <string.h>

#include "lib/crypto.h"
#include "lib/util.h"

#define ROUNDS 2000

static double
ms_since(uint64_t t0)
{
	return (double)(ob_now_us() - t0) / 1000.0;
}

static void
die_if(int rc, const char *what)
{
	if (rc != 0) {
		fprintf(stderr, "bench_crypto: %s failed: %s\n", what,
		    ob_strerror(rc));
		ob_die("benchmark setup");
	}
}

int
main(void)
{
	static const char pw[] = "Harbour-Lantern-47!";
	struct ob_keypair *handler, *tenant, *kase, *kp;
	struct ob_keypair *t2, *c2;
	struct ob_handler_cred cred;
	unsigned char tsealed[OB_SEALED_BYTES], csealed[OB_SEALED_BYTES];
	unsigned char isealed[OB_SEALED_BYTES], swrapped[OB_WRAPPED_SK_BYTES];
	struct ob_buf ct = OB_BUF_INIT(1 << 16), text = OB_BUF_INIT(1 << 16);
	struct ob_item_key ik, k2;
	struct ob_token tok;
	struct ob_ad ad_user, ad_mem, ad_case, ad_item, ad_sess;
	const char report[] = "What happened, where and who was there: a "
			      "report of a few hundred bytes, typical of a "
			      "first submission.";
	uint64_t t0;
	double argon, full, session;

	die_if(ob_crypto_init(), "init");
	handler = ob_keypair_new();
	tenant = ob_keypair_new();
	kase = ob_keypair_new();
	ob_ad_user(&ad_user, "1");
	ob_ad_membership(&ad_mem, "1", "1");
	ob_ad_case(&ad_case, "1", "1");
	ob_ad_item(&ad_item, "1", "1", "1", "report");
	ob_ad_handler_session(&ad_sess, "1");

	t0 = ob_now_us();
	die_if(ob_handler_cred_set(pw, strlen(pw), handler,
		   &ob_pwparams_default, &ad_user, &cred),
	    "cred_set");
	argon = ms_since(t0);
	die_if(ob_sk_seal(tenant, ob_keypair_pk(handler), &ad_mem, tsealed),
	    "seal tenant");
	die_if(ob_sk_seal(kase, ob_keypair_pk(tenant), &ad_case, csealed),
	    "seal case");
	ob_item_key_new(&ik);
	die_if(ob_item_key_seal(&ik, ob_keypair_pk(kase), &ad_item, isealed),
	    "seal item");
	die_if(ob_text_encrypt(&ik, &ad_item, report, sizeof(report) - 1, &ct),
	    "encrypt");
	ob_token_new(&tok);
	die_if(ob_token_wrap_sk(&tok, handler, &ad_sess, swrapped), "wrap");

	/* Sign-in: password -> handler -> tenant -> case -> item. */
	t0 = ob_now_us();
	die_if(ob_handler_cred_open(pw, strlen(pw), &cred,
		   ob_keypair_pk(handler), &ad_user, &kp),
	    "cred_open");
	die_if(ob_sk_open(kp, tsealed, sizeof(tsealed), ob_keypair_pk(tenant),
		   &ad_mem, &t2),
	    "open tenant");
	die_if(ob_sk_open(t2, csealed, sizeof(csealed), ob_keypair_pk(kase),
		   &ad_case, &c2),
	    "open case");
	die_if(ob_item_key_open(c2, isealed, sizeof(isealed), &ad_item, &k2),
	    "open item");
	die_if(
	    ob_text_decrypt(&k2, &ad_item, ct.data, ct.len, &text), "decrypt");
	full = ms_since(t0);
	ob_keypair_free(kp);
	ob_keypair_free(t2);
	ob_keypair_free(c2);

	/* A request in a session: token -> handler -> ... -> item. */
	t0 = ob_now_us();
	for (int i = 0; i < ROUNDS; i++) {
		ob_buf_reset(&text);
		die_if(ob_token_unwrap_sk(&tok, swrapped, sizeof(swrapped),
			   ob_keypair_pk(handler), &ad_sess, &kp),
		    "unwrap");
		die_if(ob_sk_open(kp, tsealed, sizeof(tsealed),
			   ob_keypair_pk(tenant), &ad_mem, &t2),
		    "open tenant");
		die_if(ob_sk_open(t2, csealed, sizeof(csealed),
			   ob_keypair_pk(kase), &ad_case, &c2),
		    "open case");
		die_if(ob_item_key_open(
			   c2, isealed, sizeof(isealed), &ad_item, &k2),
		    "open item");
		die_if(ob_text_decrypt(&k2, &ad_item, ct.data, ct.len, &text),
		    "decrypt");
		ob_keypair_free(kp);
		ob_keypair_free(t2);
		ob_keypair_free(c2);
	}
	session = ms_since(t0) / ROUNDS;

	printf("argon2id (ops %llu, %llu MiB):      %8.1f ms\n",
	    (unsigned long long)ob_pwparams_default.opslimit,
	    (unsigned long long)(ob_pwparams_default.memlimit >> 20), argon);
	printf("one item from the password:       %8.1f ms\n", full);
	printf("one item from a session token:    %8.3f ms\n", session);
	ob_item_key_wipe(&ik);
	ob_item_key_wipe(&k2);
	ob_token_wipe(&tok);
	ob_buf_release(&ct);
	ob_buf_release_secret(&text);
	ob_keypair_free(handler);
	ob_keypair_free(tenant);
	ob_keypair_free(kase);
	return 0;
}
