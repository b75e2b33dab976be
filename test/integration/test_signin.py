"""Handler sign-in through the real stack: password, the SMS code from
the outbox's file transport, the session, and everything that must be
refused on the way."""

import re
import statistics
import subprocess
import time
import urllib.parse

import pytest
from bs4 import BeautifulSoup

import fcgi
from conftest import BUILD, page_token

PASSWORD = "Harbour-Lantern-47!"


@pytest.fixture(scope="module")
def accounts(stack):
    ctl = [str(BUILD / "services" / "ombudctl" / "ombudctl"), "--config",
           stack.info["OMBUD_CONFIG"]]
    key = stack.var / "signin-test.key"
    subprocess.run(ctl + ["tenant", "add", "signin", "--name", "Sign-in A/S",
                          "--recovery-key-file", str(key)],
                   check=True, capture_output=True, timeout=60)
    users = {}
    for name, role in (("handler", "lawyer"), ("locked", "tenant-user"),
                       ("admin", "admin")):
        email = f"{name}@signin.example"
        phone = "+45" + str(31000000 + len(users))
        args = ["user", "add", "--email", email, "--role", role,
                "--phone", phone, "--password-stdin"]
        if role != "admin":
            args += ["--tenant", "signin", "--recovery-key-file", str(key)]
        subprocess.run(ctl + args, input=PASSWORD + "\n", text=True,
                       check=True, capture_output=True, timeout=60)
        users[name] = (email, phone)
    return users


def form_token(stack, s, path):
    r = s.get(stack.url + path, allow_redirects=False)
    return page_token(r.text)


def latest_code(stack, phone, after=0, timeout=15):
    """The newest code the outbox wrote to sms.log for phone."""
    log = stack.var / "log" / "sms.log"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if log.exists():
            lines = [l for l in log.read_text().splitlines()[after:]
                     if f"\t{phone}\t" in l]
            if lines:
                return re.search(r"\b(\d{6})\b", lines[-1]).group(1)
        time.sleep(0.2)
    raise AssertionError("no SMS arrived")


def sms_lines(stack):
    """Lines in sms.log once the outbox has sent every live code: a code
    of an earlier sign-in still on its way must not count as the next
    one's."""
    deadline = time.time() + 15
    while time.time() < deadline:
        with stack.db() as c, c.cursor() as cur:
            cur.execute("SELECT count(*) FROM outbox WHERE channel = 'sms' "
                        "AND sent_at IS NULL AND expires_at > now()")
            if cur.fetchone()[0] == 0:
                break
        time.sleep(0.1)
    log = stack.var / "log" / "sms.log"
    return len(log.read_text().splitlines()) if log.exists() else 0


def password_step(stack, email, password=PASSWORD, s=None):
    s = s or stack.session()
    token = form_token(stack, s, "/auth/login")
    r = s.post(stack.url + "/auth/login", allow_redirects=False,
               data={"email": email, "password": password, "csrf": token})
    return s, r


def sign_in(stack, accounts, who="handler", password=PASSWORD):
    email, phone = accounts[who]
    before = sms_lines(stack)
    s, r = password_step(stack, email, password)
    assert r.status_code == 303 and r.headers["location"] == "/auth/otp", r.text
    code = latest_code(stack, phone, before)
    token = form_token(stack, s, "/auth/otp")
    r = s.post(stack.url + "/auth/otp", data={"code": code, "csrf": token},
               allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/cases/"
    return s


def test_sign_in_with_password_and_sms_code(stack, accounts):
    email, phone = accounts["handler"]
    before = sms_lines(stack)
    s, r = password_step(stack, email)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("__Host-ombud=")
    for attr in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert attr in cookie
    assert "Max-Age" not in cookie and "Expires" not in cookie
    half = s.cookies.get("__Host-ombud")

    # Half signed in: nothing under /cases/.
    r = s.get(stack.url + "/cases/", allow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/auth/login"

    code = latest_code(stack, phone, before)
    sms = (stack.var / "log" / "sms.log").read_text()
    assert "sign" in sms.lower() and "Demo" not in sms   # no case content
    token = form_token(stack, s, "/auth/otp")
    r = s.post(stack.url + "/auth/otp", data={"code": code, "csrf": token},
               allow_redirects=False)
    assert r.status_code == 303
    full = s.cookies.get("__Host-ombud")
    assert full and full != half            # no fixation
    r = s.get(stack.url + "/cases/")
    text = BeautifulSoup(r.text, "html.parser").get_text(" ", strip=True)
    assert r.status_code == 200 and email in text and "Sign-in A/S" in text

    # The pre-sign-in token is dead.
    old = stack.session()
    old.cookies.set("__Host-ombud", half, domain="localhost")
    r = old.get(stack.url + "/cases/", allow_redirects=False)
    assert r.status_code == 303
    # The code is single use.
    s2, r = password_step(stack, email)
    token = form_token(stack, s2, "/auth/otp")
    r = s2.post(stack.url + "/auth/otp", data={"code": code, "csrf": token},
                allow_redirects=False)
    assert r.status_code == 401


def test_logout_ends_the_session(stack, accounts):
    s = sign_in(stack, accounts)
    cookie = s.cookies.get("__Host-ombud")
    token = form_token(stack, s, "/cases/")
    r = s.post(stack.url + "/auth/logout", data={"csrf": token},
               allow_redirects=False)
    assert r.status_code == 303 and "Max-Age=0" in r.headers["set-cookie"]
    replay = stack.session()
    replay.cookies.set("__Host-ombud", cookie, domain="localhost")
    assert replay.get(stack.url + "/cases/",
                      allow_redirects=False).status_code == 303


def test_wrong_codes_and_codes_of_other_sessions(stack, accounts):
    email, phone = accounts["handler"]
    before = sms_lines(stack)
    a, _ = password_step(stack, email)
    code_a = latest_code(stack, phone, before)
    before = sms_lines(stack)
    b, _ = password_step(stack, email)
    code_b = latest_code(stack, phone, before)
    # A's code does not sign in B.
    if code_a != code_b:
        token = form_token(stack, b, "/auth/otp")
        r = b.post(stack.url + "/auth/otp", data={"code": code_a, "csrf": token},
                   allow_redirects=False)
        assert r.status_code == 401
    # Four more wrong codes kill B's challenge (five tries in all).
    for i in range(4):
        token = form_token(stack, b, "/auth/otp")
        r = b.post(stack.url + "/auth/otp", data={"code": "000000" if i else "12x",
                                                  "csrf": token},
                   allow_redirects=False)
        assert r.status_code == 401
    assert "sign in again" in r.text.lower()
    # B's right code now opens nothing: the session is gone.
    r = b.post(stack.url + "/auth/otp", data={"code": code_b, "csrf": token},
               allow_redirects=False)
    assert r.status_code in (303, 403)
    assert b.get(stack.url + "/cases/", allow_redirects=False).status_code == 303


def test_state_changes_need_their_form_token(stack, accounts):
    email, _ = accounts["handler"]
    s = stack.session()
    form_token(stack, s, "/auth/login")
    r = s.post(stack.url + "/auth/login", allow_redirects=False,
               data={"email": email, "password": PASSWORD})
    assert r.status_code == 403 and "__Host-ombud=" not in r.headers.get("set-cookie", "")
    s = sign_in(stack, accounts)
    for path, data in (("/auth/logout", {}), ("/auth/otp", {"code": "1"})):
        r = s.post(stack.url + path, data=data, allow_redirects=False)
        assert r.status_code == 403, path
    # A token of another session is refused too.
    other = sign_in(stack, accounts)
    r = s.post(stack.url + "/auth/logout", allow_redirects=False,
               data={"csrf": form_token(stack, other, "/cases/")})
    assert r.status_code == 403
    assert s.get(stack.url + "/cases/").status_code == 200


def test_no_difference_for_an_unknown_address(stack, accounts):
    def attempt(email):
        s = stack.session()
        token = form_token(stack, s, "/auth/login")
        t0 = time.perf_counter()
        r = s.post(stack.url + "/auth/login", allow_redirects=False,
                   data={"email": email, "password": "Wrong-pass-1!",
                         "csrf": token})
        dt = time.perf_counter() - t0
        body = BeautifulSoup(r.text, "html.parser")
        body.find("input", {"name": "email"})["value"] = ""
        for field in body.find_all("input", {"name": "csrf"}):
            field["value"] = ""
        return r.status_code, str(body), dt

    admin = accounts["admin"][0]
    known, unknown = [], []
    for _ in range(6):
        known.append(attempt(admin))
        time.sleep(1.1)   # past the growing delay
        unknown.append(attempt("nobody@signin.example"))
    assert {k[0] for k in known} == {u[0] for u in unknown} == {401}
    assert known[0][1] == unknown[0][1]
    tk = statistics.median(k[2] for k in known)
    tu = statistics.median(u[2] for u in unknown)
    assert abs(tk - tu) < 0.5 * max(tk, tu), (tk, tu)
    with stack.db() as c, c.cursor() as cur:
        cur.execute("UPDATE users SET failed_logins = 0, locked_until = NULL "
                    "WHERE email = %s", (admin,))


def test_failures_delay_then_lock_and_notify(stack, accounts):
    email, _ = accounts["locked"]
    s, r = password_step(stack, email, "Wrong-pass-1!")
    assert r.status_code == 401
    # Right away even the right password is refused (the delay)...
    s, r = password_step(stack, email)
    assert r.status_code == 401
    time.sleep(1.2)
    # ...and after it, it works.
    s, r = password_step(stack, email)
    assert r.status_code == 303
    # The tenth failure locks the account and tells the user and admins.
    with stack.db() as c, c.cursor() as cur:
        cur.execute("UPDATE users SET failed_logins = 9, locked_until = NULL "
                    "WHERE email = %s", (email,))
    s, r = password_step(stack, email, "Wrong-pass-1!")
    assert r.status_code == 401
    time.sleep(1.2)
    s, r = password_step(stack, email)
    assert r.status_code == 401
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT recipient FROM outbox WHERE channel = 'mail' "
                    "AND subject LIKE '%%locked%%'")
        recipients = {r[0] for r in cur.fetchall()}
        cur.execute("SELECT count(*) FROM audit_log WHERE action = 'auth.lock'")
        assert cur.fetchone()[0] >= 1
    assert {email, accounts["admin"][0]} <= recipients


def test_sign_in_throttle_answers_429_and_recovers(stack, tmp_path):
    """A pool of its own with a tight throttle, spoken to over FastCGI."""
    conf = tmp_path / "auth.conf"
    conf.write_text(open(stack.info["OMBUD_CONFIG"]).read().replace(
        "[auth]\n", "[auth]\nsignin_per_second = 1\nsignin_burst = 2\n", 1))
    sock = tmp_path / "auth.sock"
    pool = subprocess.Popen([str(BUILD / "services" / "auth" / "ombud-auth"),
                             "--config", str(conf), "--socket", str(sock),
                             "--processes", "1"],
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while not sock.exists() and time.time() < deadline:
            time.sleep(0.1)
        status, headers, body = fcgi.get(str(sock), "/auth/login")
        assert status == 200
        cookie = headers["set-cookie"].split(";")[0]
        token = BeautifulSoup(body, "html.parser").find(
            "input", {"name": "csrf"})["value"]
        form = urllib.parse.urlencode({"email": "nobody@signin.example",
                                       "password": "Wrong-pass-1!",
                                       "csrf": token}).encode()

        def attempt():
            return fcgi.get(str(sock), "/auth/login", method="POST", body=form,
                            extra={"HTTP_COOKIE": cookie})

        results = [attempt() for _ in range(5)]
        codes = [r[0] for r in results]
        assert codes[:2] == [401, 401], codes
        assert 429 in codes[2:], codes
        limited = next(r for r in results if r[0] == 429)
        retry = int(limited[1]["retry-after"])
        assert retry >= 1
        assert b"Too many attempts" in limited[2]
        time.sleep(retry + 0.2)
        assert attempt()[0] == 401
    finally:
        pool.terminate()
        pool.wait(timeout=30)


def test_sign_in_is_in_the_audit_log(stack, accounts):
    sign_in(stack, accounts)
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT DISTINCT action FROM audit_log "
                    "WHERE action LIKE 'auth.%%'")
        actions = {r[0] for r in cur.fetchall()}
    assert {"auth.password", "auth.signin", "auth.fail",
            "auth.code_fail", "auth.logout"} <= actions


def test_password_change_keeps_the_keys_and_ends_other_sessions(stack, accounts):
    email, _ = accounts["handler"]
    s = sign_in(stack, accounts)
    other = sign_in(stack, accounts)

    def change(current, new):
        token = form_token(stack, s, "/auth/password")
        return s.post(stack.url + "/auth/password", allow_redirects=False,
                      data={"current": current, "new": new, "csrf": token})

    r = change("Not-the-password-9!", "Quiet-Meadow-62#")
    assert r.status_code == 401 and "current password is wrong" in r.text
    r = change(PASSWORD, "password")
    assert r.status_code == 400
    text = BeautifulSoup(r.text, "html.parser").get_text(" ", strip=True)
    for rule in ("upper-case", "digit", "special", "too common"):
        assert rule in text
    r = change(PASSWORD, "Quiet-Meadow-62#")
    assert r.status_code == 200 and "password is changed" in r.text
    # This session lives on; the other one has ended.
    assert s.get(stack.url + "/cases/").status_code == 200
    assert other.get(stack.url + "/cases/",
                     allow_redirects=False).status_code == 303
    # The old password is dead; the new one opens the same keys (the
    # second step unwraps the handler's key and checks it).
    _, r = password_step(stack, email)
    assert r.status_code == 401
    time.sleep(1.2)
    s = sign_in(stack, accounts, password="Quiet-Meadow-62#")
    assert "Sign-in A/S" in s.get(stack.url + "/cases/").text
    assert change("Quiet-Meadow-62#", PASSWORD).status_code == 200
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM audit_log "
                    "WHERE action = 'auth.password_change'")
        assert cur.fetchone()[0] >= 2


def test_an_expired_code_is_refused_and_ends_the_attempt(stack, accounts):
    email, phone = accounts["handler"]
    before = sms_lines(stack)
    s, r = password_step(stack, email)
    assert r.status_code == 303
    code = latest_code(stack, phone, before)
    half = s.cookies.get("__Host-ombud")
    with stack.db() as c, c.cursor() as cur:
        cur.execute("UPDATE otp_challenges SET expires_at = now() - "
                    "interval '1 second' WHERE session_id = (SELECT id FROM "
                    "sessions WHERE token_hash = (SELECT token_hash FROM "
                    "sessions ORDER BY id DESC LIMIT 1))")
        assert cur.rowcount == 1
    token = form_token(stack, s, "/auth/otp")
    r = s.post(stack.url + "/auth/otp", data={"code": code, "csrf": token},
               allow_redirects=False)
    assert r.status_code == 401 and "expired" in r.text
    # The half-signed-in session is gone with it.
    replay = stack.session()
    replay.cookies.set("__Host-ombud", half, domain="localhost")
    assert replay.get(stack.url + "/auth/otp",
                      allow_redirects=False).status_code == 303
