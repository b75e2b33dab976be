"""ombud-outbox sends queued text messages through the configured
transport (the dev stack's: a file) and queued mail through SMTP (the
dev stack's sink, scripts/smtp-sink.py), marks them sent, skips expired
ones, backs off when a server cannot be reached, and never logs a
number, an address, a subject or a body."""

import email
import email.policy
import re
import subprocess
import time

from conftest import BUILD, free_port

OUTBOX = BUILD / "services" / "outbox" / "ombud-outbox"
TENANT = "\u00c6blegaarden A/S"          # the subject names a tenant
SUBJECT = f"Ombud: a new report is waiting in {TENANT}"
MARKER = "mail-body-marker-5521"  # not "canary": test_privacy hunts that
BODY = (f"A new report is waiting in {TENANT}.\n"
        ".\n"                           # a lone dot: curl must stuff it
        "Sign in to read it: https://localhost/cases/\n"
        f"{MARKER} \u00e6\u00f8\u00e5")


def wait_for(pred, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.2)
    return False


def test_queued_sms_is_sent_once_and_not_logged(stack):
    sms_log = stack.var / "log" / "sms.log"
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SET ROLE ombud_auth")
        cur.execute("""INSERT INTO outbox (channel, recipient, body, expires_at)
                       VALUES ('sms', '+4599887766', 'Ombud code 424242',
                               now() + interval '5 minutes')""")
        cur.execute("""INSERT INTO outbox (channel, recipient, body, expires_at)
                       VALUES ('sms', '+4511110000', 'Ombud code 999000',
                               now() - interval '1 second')""")
        cur.execute("RESET ROLE")
    assert wait_for(lambda: sms_log.exists() and
                    "+4599887766\tOmbud code 424242" in sms_log.read_text())
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT sent_at IS NOT NULL FROM outbox "
                    "WHERE recipient = '+4599887766'")
        assert cur.fetchone()[0] is True
        cur.execute("SELECT sent_at FROM outbox WHERE recipient = '+4511110000'")
        assert cur.fetchone()[0] is None
    time.sleep(1.5)
    text = sms_log.read_text()
    assert text.count("424242") == 1
    assert "999000" not in text
    log = stack.log("outbox")
    for secret in ("424242", "9988", "999000"):
        assert secret not in log


# ---- mail ----

def sink_message(stack, rcpt):
    """The raw message the SMTP sink saved for rcpt, or None."""
    for p in sorted((stack.var / "mail").glob("*.eml")):
        raw = p.read_bytes()
        if f"X-Envelope-To: <{rcpt}>\r\n".encode() in raw:
            return raw
    return None


def queue_mail(cur, rcpt, expires="1 hour"):
    cur.execute("""INSERT INTO outbox (channel, recipient, subject, body,
                                       next_attempt_at, expires_at)
                   VALUES ('mail', %s, %s, %s, now(),
                           now() + %s::interval) RETURNING id""",
                (rcpt, SUBJECT, BODY, expires))
    return cur.fetchone()[0]


def outbox_row(cur, row_id):
    cur.execute("""SELECT attempts, sent_at IS NOT NULL,
                          extract(epoch FROM next_attempt_at - now())
                   FROM outbox WHERE id = %s""", (row_id,))
    return cur.fetchone()


def test_queued_mail_reaches_the_smtp_sink(stack):
    rcpt = "mail-test-sink@example.org"
    with stack.db() as c, c.cursor() as cur:
        row_id = queue_mail(cur, rcpt)
    assert wait_for(lambda: sink_message(stack, rcpt) is not None)
    raw = sink_message(stack, rcpt)
    # CRLF everywhere, and the subject travels as RFC 2047 words.
    assert b"\n" not in raw.replace(b"\r\n", b"")
    head = raw.partition(b"\r\n\r\n")[0]
    assert b"Subject: =?UTF-8?B?" in head and TENANT.encode() not in head
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["X-Envelope-From"] == "<ombud@localhost>"
    assert msg["From"] == "ombud@localhost"
    assert msg["To"] == rcpt
    assert msg["Subject"] == SUBJECT
    assert re.fullmatch(r"<[0-9a-f]{32}@localhost>", msg["Message-ID"])
    assert msg["Date"].datetime is not None
    assert msg["MIME-Version"] == "1.0"
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert msg["Content-Transfer-Encoding"] == "quoted-printable"
    assert msg.get_content().replace("\r\n", "\n") == BODY + "\n"

    def sent():
        with stack.db() as c, c.cursor() as cur:
            return outbox_row(cur, row_id)[1]
    assert wait_for(sent)
    time.sleep(1.5)
    assert len([p for p in (stack.var / "mail").glob("*.eml")
                if f"<{rcpt}>".encode() in p.read_bytes()]) == 1
    # No log has the body or the subject; the outbox log not the address.
    for p in (stack.var / "log").glob("*"):
        data = p.read_bytes()
        assert MARKER.encode() not in data, p.name
        assert TENANT.encode() not in data, p.name
    assert rcpt not in stack.log("outbox")
    assert f"mail message {row_id}" not in stack.log("outbox")


def outbox_config(scratch_db, tmp_path, mail_group):
    """The scratch database's config with mail_group as its [mail]."""
    text = re.sub(r"(?ms)^\[mail\]\n.*?(?=^\[|\Z)", "",
                  scratch_db.config.read_text())
    if mail_group is not None:
        text += "\n" + mail_group
    conf = tmp_path / "outbox.conf"
    conf.write_text(text)
    return conf


def run_outbox(conf):
    return subprocess.run([str(OUTBOX), "--config", str(conf), "--once"],
                          capture_output=True, text=True, timeout=120)


def assert_quiet(text, *secrets):
    for secret in (MARKER, TENANT, "Ombud: a new report", *secrets):
        assert secret not in text


def test_unreachable_smtp_server_backs_off_until_it_answers(
        stack, scratch_db, tmp_path):
    """A separate daemon on a scratch database: the dev stack's own
    daemon never sees these rows."""
    closed = free_port()                # nothing listens there
    conf = outbox_config(scratch_db, tmp_path, f"""[mail]
url = smtp://127.0.0.1:{closed}
from = ombud@localhost
starttls = none
timeout_s = 5
""")
    c = scratch_db.connect()
    cur = c.cursor()
    cur.execute("DELETE FROM outbox")
    first = queue_mail(cur, "mail-test-down-1@example.org")
    second = queue_mail(cur, "mail-test-down-2@example.org")
    expired = queue_mail(cur, "mail-test-down-3@example.org",
                         expires="-1 second")

    r = run_outbox(conf)
    assert r.returncode == 0, r.stderr
    # Both kept, tried once (the second not even tried: the server had
    # just failed), and put off by the first backoff step, 30 s.
    for row_id in (first, second):
        attempts, sent, wait = outbox_row(cur, row_id)
        assert (attempts, sent) == (1, False)
        assert 20 < wait <= 31
    assert outbox_row(cur, expired)[:2] == (0, False)
    assert f"mail message {first} not sent" in r.stderr
    assert "curl 7," in r.stderr        # CURLE_COULDNT_CONNECT
    assert f"mail message {second} not sent" in r.stderr
    assert f"mail message {expired}" not in r.stderr
    assert_quiet(r.stderr, "mail-test-down")

    # Not due yet: a second run leaves them alone.
    r = run_outbox(conf)
    assert r.returncode == 0, r.stderr
    assert outbox_row(cur, first)[0] == 1

    # Due again and still down: the wait doubles.
    cur.execute("UPDATE outbox SET next_attempt_at = now() WHERE id = %s",
                (first,))
    r = run_outbox(conf)
    attempts, sent, wait = outbox_row(cur, first)
    assert (attempts, sent) == (2, False) and 50 < wait <= 61

    # The server answers again: the kept message goes out once.
    conf = outbox_config(scratch_db, tmp_path, f"""[mail]
url = smtp://127.0.0.1:{stack.info["OMBUD_SMTP_PORT"]}
from = ombud@localhost
starttls = none
""")
    cur.execute("UPDATE outbox SET next_attempt_at = now()")
    r = run_outbox(conf)
    assert r.returncode == 0, r.stderr
    assert outbox_row(cur, first)[1] is True
    assert outbox_row(cur, second)[1] is True
    assert outbox_row(cur, expired)[1] is False
    assert sink_message(stack, "mail-test-down-1@example.org") is not None
    assert sink_message(stack, "mail-test-down-3@example.org") is None
    assert_quiet(r.stderr, "mail-test-down")
    c.close()


def test_mail_stays_queued_without_a_mail_group(scratch_db, tmp_path):
    conf = outbox_config(scratch_db, tmp_path, None)
    c = scratch_db.connect()
    cur = c.cursor()
    cur.execute("DELETE FROM outbox")
    row_id = queue_mail(cur, "mail-test-unconfigured@example.org")
    r = run_outbox(conf)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("mail is not configured") == 1
    assert outbox_row(cur, row_id)[:2] == (0, False)
    c.close()


def test_a_mistake_in_the_mail_group_stops_the_start(scratch_db, tmp_path):
    conf = outbox_config(scratch_db, tmp_path, """[mail]
url = smtp://ombud:hunter2@127.0.0.1:25
from = ombud@localhost
""")
    r = run_outbox(conf)
    assert r.returncode == 1
    assert f"config {conf}: [mail] url:" in r.stderr
    assert "hunter2" not in r.stderr
    conf = outbox_config(scratch_db, tmp_path, """[mail]
url = smtp://127.0.0.1:25
from = ombud@localhost
starttls = none
password = hunter2
""")
    r = run_outbox(conf)
    assert r.returncode == 1
    assert "[mail] password: unknown key" in r.stderr
