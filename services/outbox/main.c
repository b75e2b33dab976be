/*
 * ombud-outbox - sends what the pools queue in the outbox table
 * (lib/outbox.h): sign-in codes by SMS ([sms], lib/sms.h) and notices
 * by mail ([mail], lib/mail.h).
 *
 *	ombud-outbox [--config FILE] [--once]
 *
 * Connects as the [outbox] user, looks for due messages every second,
 * and stops cleanly on SIGTERM or SIGINT.  Once a day, from [outbox]
 * digest_hour (local time, default 7), it queues the digest of
 * deadlines and deletes messages sent or expired a day ago
 * (ob_outbox_daily).  --once sends what is due and
 * exits (for tests and cron).  Without a [mail] group mail stays
 * queued (it says so once, at start); a [mail] group with a mistake
 * stops the start like any other configuration error.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/crypto.h"
#include "lib/db.h"
#include "lib/log.h"
#include "lib/mail.h"
#include "lib/outbox.h"
#include "lib/settings.h"
#include "lib/sms.h"

#define BATCH 50

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* The once-a-day work, on the first pass from digest_hour on. */
static void
daily(struct ob_db *db, const char *link, int hour, long *last_day)
{
	time_t now = time(NULL);
	struct tm tm;
	int digests = 0, pruned = 0;
	long today;

	if (localtime_r(&now, &tm) == NULL || tm.tm_hour < hour)
		return;
	today = (long)(tm.tm_year * 400 + tm.tm_yday);
	if (today == *last_day)
		return;
	if (ob_outbox_daily(db, link, &digests, &pruned) != 0) {
		ob_log_warn(NULL, "outbox: daily digest not queued");
		return;
	}
	*last_day = today;
	ob_log_info(NULL, "outbox: %d digests queued, %d old messages deleted",
	    digests, pruned);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const outbox_keys[] = { "user", "digest_hour",
		NULL };
	const char *config_opt = NULL, *path = NULL;
	struct ob_buf err = OB_BUF_INIT(1024);
	struct ob_config *cfg = NULL;
	struct ob_settings settings;
	struct ob_sms_config sms;
	struct ob_mail_config mail;
	bool have_mail = false;
	struct sigaction sa;
	struct ob_db *db = NULL;
	bool once = false;
	const char *site = NULL;
	char link[256];
	uint64_t digest_hour = 7;
	long last_day = -1;
	int opt, rc = 1;

	ob_log_init("outbox");
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_opt = optarg;
			break;
		case 'o':
			once = true;
			break;
		default:
			fputs("usage: ombud-outbox [--config FILE] [--once]\n",
			    opt == 'h' ? stdout : stderr);
			return opt == 'h' ? 0 : 2;
		}
	}
	memset(&settings, 0, sizeof(settings));
	memset(&mail, 0, sizeof(mail));
	if (ob_crypto_init() != 0 ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fputs("ombud-outbox: libsodium or libcurl cannot start\n",
		    stderr);
		return 1;
	}
	if (ob_config_path(config_opt, &path, &err) != 0 ||
	    ob_config_load(path, &cfg, &err) != 0 ||
	    ob_config_only_keys(cfg, "outbox", outbox_keys, &err) != 0 ||
	    ob_settings_load_db(cfg, "outbox", &settings, &err) != 0 ||
	    ob_sms_config_load(cfg, &sms, &err) != 0 ||
	    ob_config_uint_opt(cfg, "outbox", "digest_hour", 0, 23, 7,
		&digest_hour, &err) != 0 ||
	    ob_config_str_opt(cfg, "site", "url", "https://localhost:8443",
		&site, &err) != 0 ||
	    ((have_mail = ob_config_has_group(cfg, "mail")) &&
		ob_mail_config_load(cfg, &mail, &err) != 0)) {
		fprintf(stderr, "ombud-outbox: %s\n", ob_buf_cstr(&err));
		goto out;
	}
	if (snprintf(link, sizeof(link), "%s/cases/", site) >=
	    (int)sizeof(link)) {
		fputs("ombud-outbox: [site] url is too long\n", stderr);
		goto out;
	}
	settings.db.application_name = "ombud-outbox";
	db = ob_db_new(
	    &settings.db, ob_outbox_send_stmts, ob_outbox_send_nstmts);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	ob_log_info(NULL, "outbox: started");
	if (!have_mail)
		ob_log_warn(NULL,
		    "outbox: mail is not configured ([mail]); mail stays "
		    "queued");
	do {
		int sent = 0, failed = 0;

		if (ob_outbox_send_due(db, &sms, have_mail ? &mail : NULL,
			BATCH, &sent, &failed) != 0)
			ob_log_warn(NULL, "outbox: database unavailable");
		else if (sent + failed > 0)
			ob_log_info(
			    NULL, "outbox: %d sent, %d failed", sent, failed);
		daily(db, link, (int)digest_hour, &last_day);
		if (!once && sent + failed < BATCH)
			sleep(1);
	} while (!once && !stopping);
	ob_log_info(NULL, "outbox: stopped");
	rc = 0;
out:
	ob_db_free(db);
	ob_mail_config_release(&mail);
	ob_config_free(cfg);
	curl_global_cleanup();
	ob_buf_release(&err);
	return rc;
}
