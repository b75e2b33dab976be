"""Mail through a relay that takes an OAuth 2.0 bearer token (Office
365's SMTP AUTH XOAUTH2): ombud-outbox says STARTTLS, verifies the
certificate, logs in with the token from [mail] bearer_file - read again
for every batch, so a job outside can replace it - and sends.  A token
the server refuses leaves the message queued for its retry, and no log
line holds the token.  The server is aiosmtpd (as scripts/smtp-sink.py)
with the stack's own localhost certificate."""

import base64
import re
import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from conftest import BUILD, free_port

OUTBOX = BUILD / "services" / "outbox" / "ombud-outbox"
USER = "ombud@example.org"
GOOD = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.oauth-good-token-4711"
OLD = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.oauth-expired-token-0815"


class Relay:
    """Accepts AUTH XOAUTH2 for USER with GOOD only, after STARTTLS."""

    def __init__(self):
        self.logins = []
        self.mails = []

    async def auth_XOAUTH2(self, server, args):
        if len(args) > 1:
            blob = base64.b64decode(args[1])
        else:
            blob = await server.challenge_auth("")
            if not isinstance(blob, bytes):
                return AuthResult(success=False)
        m = re.fullmatch(rb"user=([^\x01]*)\x01auth=Bearer ([^\x01]*)\x01\x01",
                         blob)
        self.logins.append((m.group(1).decode(), m.group(2).decode())
                           if m else blob)
        ok = m is not None and m.group(1) == USER.encode() and \
            m.group(2) == GOOD.encode()
        return AuthResult(success=ok, handled=False)

    async def handle_DATA(self, server, session, envelope):
        if not session.authenticated:
            return "530 5.7.0 Authentication required"
        self.mails.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def relay(stack):
    tls = stack.var / "nginx" / "tls"
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(tls / "cert.pem", tls / "key.pem")
    handler = Relay()
    port = free_port()
    ctl = Controller(handler, hostname="127.0.0.1", port=port,
                     tls_context=ctx, require_starttls=True,
                     auth_require_tls=True, auth_required=True,
                     auth_exclude_mechanism=["LOGIN", "PLAIN"])
    ctl.start()
    handler.port = port
    handler.ca = tls / "cert.pem"
    yield handler
    ctl.stop()


def run_outbox(conf):
    return subprocess.run([str(OUTBOX), "--config", str(conf), "--once"],
                          capture_output=True, text=True, timeout=120)


def test_office365_style_bearer_token(stack, scratch_db, tmp_path, relay):
    token = tmp_path / "mail-token"
    token.write_text(OLD + "\n")
    token.chmod(0o600)
    text = re.sub(r"(?ms)^\[mail\]\n.*?(?=^\[|\Z)", "",
                  scratch_db.config.read_text())
    conf = tmp_path / "oauth.conf"
    conf.write_text(text + f"""
[mail]
url = smtp://localhost:{relay.port}/ombud.example.org
from = {USER}
starttls = required
user = {USER}
bearer_file = {token}
ca_file = {relay.ca}
timeout_s = 10
""")
    c = scratch_db.connect()
    cur = c.cursor()
    cur.execute("DELETE FROM outbox")
    cur.execute("""INSERT INTO outbox (channel, recipient, subject, body)
                   VALUES ('mail', 'handler-oauth@example.org',
                           'Ombud: a test', 'oauth body marker 9931')
                   RETURNING id""")
    row_id = cur.fetchone()[0]

    # An expired token: refused, the message waits for its retry.
    r = run_outbox(conf)
    assert r.returncode == 0, r.stderr
    assert relay.logins == [(USER, OLD)]
    assert relay.mails == []
    cur.execute("SELECT attempts, sent_at IS NULL FROM outbox WHERE id = %s",
                (row_id,))
    assert cur.fetchone() == (1, True)
    assert f"mail message {row_id} not sent" in r.stderr
    assert "curl 67" in r.stderr            # CURLE_LOGIN_DENIED

    # The job outside writes a fresh token; no restart needed.
    token.write_text(GOOD + "\n")
    cur.execute("UPDATE outbox SET next_attempt_at = now() WHERE id = %s",
                (row_id,))
    r = run_outbox(conf)
    assert r.returncode == 0, r.stderr
    assert relay.logins[-1] == (USER, GOOD)
    assert len(relay.mails) == 1
    rcpts, content = relay.mails[0]
    assert rcpts == ["handler-oauth@example.org"]
    assert b"oauth body marker 9931" in content
    cur.execute("SELECT sent_at IS NOT NULL FROM outbox WHERE id = %s",
                (row_id,))
    assert cur.fetchone() == (True,)
    for secret in (GOOD, OLD, "oauth-"):
        assert secret not in r.stderr
    c.close()


def test_a_bearer_file_others_can_read_stops_the_start(
        stack, scratch_db, tmp_path):
    token = tmp_path / "mail-token"
    token.write_text(GOOD + "\n")
    token.chmod(0o644)
    text = re.sub(r"(?ms)^\[mail\]\n.*?(?=^\[|\Z)", "",
                  scratch_db.config.read_text())
    conf = tmp_path / "oauth.conf"
    conf.write_text(text + f"""
[mail]
url = smtp://localhost:25
from = {USER}
user = {USER}
bearer_file = {token}
""")
    r = run_outbox(conf)
    assert r.returncode == 1
    assert f"config {conf}: [mail] bearer_file:" in r.stderr
    assert GOOD not in r.stderr
