"""ombud-outbox sends queued text messages through the configured
transport (the dev stack's: a file), marks them sent, skips expired
ones, and never logs a number or a body."""

import time


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
