"""The authenticator app (TOTP) as second factor, the admin actions on
accounts (reset MFA, disable, unlock, reset a lost password by granting
again), and the rehash of credentials when the Argon2id cost changes,
all through the real stack and ombudctl."""

import base64
import hashlib
import hmac
import re
import struct
import subprocess
import time

import pytest
from bs4 import BeautifulSoup

from conftest import BUILD
from test_signin import form_token, latest_code, sms_lines

PASSWORD = "Harbour-Lantern-47!"
NEW_PASSWORD = "Copper-Orchard-38?"


def ctl(stack, *args, stdin=None, config=None):
    return subprocess.run(
        [str(BUILD / "services" / "ombudctl" / "ombudctl"), "--config",
         str(config or stack.info["OMBUD_CONFIG"]), *args],
        input=stdin, text=True, capture_output=True, timeout=120)


def totp(secret, step_offset=0, now=None):
    """RFC 6238 with SHA-1, 6 digits, 30 s steps: what the apps do."""
    key = base64.b32decode(secret.replace(" ", ""))
    counter = int((now or time.time()) // 30) + step_offset
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1000000)


@pytest.fixture(scope="module")
def people(stack):
    keys = {}
    for slug in ("mfa", "mfa-two"):
        keys[slug] = stack.var / f"{slug}-test.key"
        r = ctl(stack, "tenant", "add", slug, "--name", f"Tenant {slug}",
                "--recovery-key-file", str(keys[slug]))
        assert r.returncode == 0, r.stderr
    users = {}
    for n, name in enumerate(("app", "reset", "lost", "locked", "off")):
        email, phone = f"{name}@mfa.example", f"+4532{n:06d}"
        r = ctl(stack, "user", "add", "--email", email, "--role", "lawyer",
                "--phone", phone, "--tenant", "mfa", "--recovery-key-file",
                str(keys["mfa"]), "--password-stdin", stdin=PASSWORD + "\n")
        assert r.returncode == 0, r.stderr
        users[name] = (email, phone)
    r = ctl(stack, "user", "grant", "--email", users["lost"][0], "--tenant",
            "mfa-two", "--recovery-key-file", str(keys["mfa-two"]))
    assert r.returncode == 0, r.stderr
    return {"users": users, "keys": keys}


def password_step(stack, email, password=PASSWORD):
    s = stack.session()
    token = form_token(stack, s, "/auth/login")
    r = s.post(stack.url + "/auth/login", allow_redirects=False,
               data={"email": email, "password": password, "csrf": token})
    return s, r


def send_code(stack, s, code):
    token = form_token(stack, s, "/auth/otp")
    return s.post(stack.url + "/auth/otp", allow_redirects=False,
                  data={"code": code, "csrf": token})


def sms_sign_in(stack, email, phone, password=PASSWORD):
    before = sms_lines(stack)
    s, r = password_step(stack, email, password)
    assert r.status_code == 303, r.text
    r = send_code(stack, s, latest_code(stack, phone, before))
    assert r.status_code == 303 and r.headers["location"] == "/cases/"
    return s


def user_row(stack, email, *cols):
    with stack.db() as c, c.cursor() as cur:
        cur.execute(f"SELECT {', '.join(cols)} FROM users WHERE email = %s",
                    (email,))
        return cur.fetchone()


def queued_sms(stack, phone):
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM outbox WHERE channel = 'sms' "
                    "AND recipient = %s", (phone,))
        return cur.fetchone()[0]


def post(stack, s, path, form_path, **data):
    data["csrf"] = form_token(stack, s, form_path)
    return s.post(stack.url + path, data=data, allow_redirects=False)


def enrol(stack, s):
    """Starts the set-up and returns the secret the page shows."""
    r = post(stack, s, "/auth/totp/start", "/auth/totp")
    assert r.status_code == 200
    return BeautifulSoup(r.text, "html.parser").find(
        id="totp-secret").get_text(strip=True)


def test_enrol_an_app_and_sign_in_with_its_codes(stack, people):
    email, phone = people["users"]["app"]
    s = sms_sign_in(stack, email, phone)
    r = s.get(stack.url + "/auth/totp")
    assert r.status_code == 200 and "/auth/totp/start" in r.text
    assert s.get(stack.url + "/auth/totp/qr").status_code == 404

    secret = enrol(stack, s)
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{4}){7}", secret)
    qr = s.get(stack.url + "/auth/totp/qr")
    assert qr.status_code == 200
    assert qr.headers["content-type"] == "image/svg+xml"
    assert qr.headers["cache-control"] == "no-store"
    assert qr.text.startswith("<svg") and "<script" not in qr.text
    # Not yet: SMS stays until one code proves the app has the secret.
    mfa, pending, wrapped = user_row(stack, email, "mfa", "totp_pending",
                                     "totp_wrapped")
    assert mfa == "sms" and pending is not None and wrapped is None
    raw = base64.b32decode(secret.replace(" ", ""))
    assert raw not in bytes(pending)          # sealed, not stored

    wrong = "000000" if totp(secret) != "000000" else "111111"
    r = post(stack, s, "/auth/totp", "/auth/totp", code=wrong)
    assert r.status_code == 400 and "not right" in r.text
    assert user_row(stack, email, "mfa")[0] == "sms"
    enrolled_with = totp(secret)
    r = post(stack, s, "/auth/totp", "/auth/totp", code=enrolled_with)
    assert r.status_code == 200
    assert BeautifulSoup(r.text, "html.parser").find(id="totp-done")
    mfa, pending, wrapped = user_row(stack, email, "mfa", "totp_pending",
                                     "totp_wrapped")
    assert mfa == "totp" and pending is None and raw not in bytes(wrapped)

    # Sign-in now asks the app, and sends no SMS.
    sent = queued_sms(stack, phone)
    s2, r = password_step(stack, email)
    assert r.status_code == 303
    assert "authenticator app" in s2.get(stack.url + "/auth/otp").text
    assert queued_sms(stack, phone) == sent
    # The code used to enrol is spent; the next step's code works.
    assert send_code(stack, s2, enrolled_with).status_code == 401
    later = totp(secret, 1)
    r = send_code(stack, s2, later)
    assert r.status_code == 303 and r.headers["location"] == "/cases/"
    assert s2.get(stack.url + "/cases/").status_code == 200
    # A code is good once, even in another sign-in.
    s3, _ = password_step(stack, email)
    assert send_code(stack, s3, later).status_code == 401
    # Five wrong tries in all end the attempt.
    for _ in range(3):
        assert send_code(stack, s3, wrong).status_code == 401
    r = send_code(stack, s3, wrong)
    assert r.status_code == 401 and "sign in again" in r.text.lower()
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM audit_log a JOIN users u "
                    "ON u.id = a.actor_id WHERE u.email = %s "
                    "AND a.action = 'auth.mfa_enrol'", (email,))
        assert cur.fetchone()[0] == 1


def test_enrolment_needs_a_full_sign_in_and_its_form_token(stack, people):
    email, phone = people["users"]["app"]
    half, _ = password_step(stack, email)
    for path in ("/auth/totp", "/auth/totp/qr"):
        r = half.get(stack.url + path, allow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/auth/login"
    # CSRF: no token, or another session's, changes nothing.
    s = sms_sign_in(stack, people["users"]["off"][0],
                    people["users"]["off"][1])
    before = user_row(stack, people["users"]["off"][0], "totp_pending")
    r = s.post(stack.url + "/auth/totp/start", allow_redirects=False)
    assert r.status_code == 403
    r = s.post(stack.url + "/auth/totp", data={"code": "123456"},
               allow_redirects=False)
    assert r.status_code == 403
    assert user_row(stack, people["users"]["off"][0],
                    "totp_pending") == before


def test_admin_resets_mfa(stack, people):
    email, phone = people["users"]["reset"]
    s = sms_sign_in(stack, email, phone)
    secret = enrol(stack, s)
    r = post(stack, s, "/auth/totp", "/auth/totp", code=totp(secret))
    assert r.status_code == 200
    r = ctl(stack, "user", "reset-mfa", "--email", email)
    assert r.returncode == 0, r.stderr
    assert "SMS" in r.stdout
    # Their session ended; the next sign-in sends an SMS again.
    assert s.get(stack.url + "/cases/", allow_redirects=False).status_code == 303
    assert user_row(stack, email, "mfa", "totp_wrapped") == ("sms", None)
    sms_sign_in(stack, email, phone)
    assert ctl(stack, "user", "reset-mfa", "--email",
               "nobody@mfa.example").returncode == 1


def test_disable_enable_and_unlock(stack, people):
    email, phone = people["users"]["locked"]
    s = sms_sign_in(stack, email, phone)
    assert ctl(stack, "user", "disable", "--email", email).returncode == 0
    assert s.get(stack.url + "/cases/", allow_redirects=False).status_code == 303
    _, r = password_step(stack, email)
    assert r.status_code == 401
    assert ctl(stack, "user", "enable", "--email", email).returncode == 0
    sms_sign_in(stack, email, phone)

    with stack.db() as c, c.cursor() as cur:
        cur.execute("UPDATE users SET failed_logins = 10, locked_until = "
                    "'infinity' WHERE email = %s", (email,))
    _, r = password_step(stack, email)
    assert r.status_code == 401
    listing = ctl(stack, "user", "list").stdout
    assert re.search(rf"{re.escape(email)}.*\blocked\b", listing)
    assert ctl(stack, "user", "unlock", "--email", email).returncode == 0
    sms_sign_in(stack, email, phone)
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT action FROM audit_log WHERE detail = %s",
                    (email,))
        actions = {row[0] for row in cur.fetchall()}
    assert {"user.disable", "user.enable", "user.unlock"} <= actions


def test_a_lost_password_is_reset_by_granting_again(stack, people):
    email, phone = people["users"]["lost"]
    s = sms_sign_in(stack, email, phone)
    home = s.get(stack.url + "/cases/").text
    assert "Tenant mfa-two" in home and "Tenant mfa" in home
    old_pk = user_row(stack, email, "public_key")[0]

    weak = ctl(stack, "user", "reset-password", "--email", email,
               "--password-stdin", stdin="password\n")
    assert weak.returncode == 1 and "upper-case" in weak.stderr
    assert user_row(stack, email, "public_key")[0] == old_pk

    r = ctl(stack, "user", "reset-password", "--email", email,
            "--recovery-key-file", str(people["keys"]["mfa"]),
            "--password-stdin", stdin=NEW_PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    assert "granted again: mfa\n" in r.stdout
    assert "not granted again: mfa-two\n" in r.stdout
    # A new key; the session that held the old one has ended.
    assert user_row(stack, email, "public_key")[0] != old_pk
    assert s.get(stack.url + "/cases/", allow_redirects=False).status_code == 303
    _, r = password_step(stack, email)
    assert r.status_code == 401
    time.sleep(1.2)  # the failure's delay
    s = sms_sign_in(stack, email, phone, NEW_PASSWORD)
    home = s.get(stack.url + "/cases/").text
    assert "Tenant mfa" in home and "Tenant mfa-two" not in home
    # The membership was sealed to the new key: granting mfa-two again
    # from its holder works.
    r = ctl(stack, "user", "grant", "--email", email, "--tenant", "mfa-two",
            "--recovery-key-file", str(people["keys"]["mfa-two"]))
    assert r.returncode == 0, r.stderr
    assert "Tenant mfa-two" in s.get(stack.url + "/cases/").text
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM audit_log WHERE detail = %s "
                    "AND action = 'user.reset_password'", (email,))
        assert cur.fetchone()[0] == 1


def test_a_credential_is_rehashed_when_the_cost_changes(stack, people,
                                                        tmp_path):
    cheap = tmp_path / "cheap.conf"
    cheap.write_text(open(stack.info["OMBUD_CONFIG"]).read() +
                     "\n[passwords]\nopslimit = 1\nmemlimit_kib = 8192\n")
    email, phone = "rehash@mfa.example", "+4533000001"
    r = ctl(stack, "user", "add", "--email", email, "--role", "lawyer",
            "--phone", phone, "--password-stdin", stdin=PASSWORD + "\n",
            config=cheap)
    assert r.returncode == 0, r.stderr
    assert user_row(stack, email, "pw_opslimit", "pw_memlimit") == (1, 8192 * 1024)
    old_salt = bytes(user_row(stack, email, "pw_salt")[0])
    # The stack runs with the default cost: signing in rehashes.
    sms_sign_in(stack, email, phone)
    assert user_row(stack, email, "pw_opslimit", "pw_memlimit") == (3, 64 << 20)
    assert bytes(user_row(stack, email, "pw_salt")[0]) != old_salt
    sms_sign_in(stack, email, phone)
    bad = tmp_path / "bad.conf"
    bad.write_text(open(stack.info["OMBUD_CONFIG"]).read() +
                   "\n[passwords]\nopslimit = 0\n")
    r = ctl(stack, "user", "add", "--email", "x@mfa.example", "--role",
            "lawyer", "--password-stdin", stdin=PASSWORD + "\n", config=bad)
    assert r.returncode == 1 and "[passwords] opslimit" in r.stderr


def test_who_may_see_which_tenant(scratch_db):
    """test/unit/test_auth.c against a scratch database: the authorize
    levels, and membership (not role) deciding tenant access, with the
    cases pool's role under row-level security."""
    r = subprocess.run([str(BUILD / "test" / "unit" / "test_auth")],
                       env=scratch_db.env(), capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert "0 failed" in r.stderr
