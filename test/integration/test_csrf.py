"""Every state-changing route of every pool refuses a POST without its
form token, or with another browser's or session's, with 403 and no
change anywhere (issue 4, item 5).  The routes are listed here; the
list is checked against the pools' own route tables, so a POST added
later without a line here fails this test."""

import re

import pytest

from conftest import ROOT, page_token
from test_cases import PASSWORD, ctl, file_report, reporter, sign_in, token

# (pool, path pattern, what the session must be, form fields)
POSTS = [
    ("intake", "/lang", "anonymous", {"lang": "da", "return": "/"}),
    ("intake", "/t/{slug}/report", "anonymous",
     {"category": "fraud", "description": "canary-csrf"}),
    ("intake", "/t/{slug}/followup", "anonymous", {"receipt": "{receipt}"}),
    ("intake", "/t/{slug}/case/messages", "reporter",
     {"body": "canary-csrf"}),
    ("intake", "/t/{slug}/case/logout", "reporter", {}),
    ("auth", "/auth/login", "anonymous",
     {"email": "{email}", "password": PASSWORD}),
    ("auth", "/auth/otp", "half", {"code": "123456"}),
    ("auth", "/auth/logout", "handler", {}),
    ("auth", "/auth/password", "handler",
     {"current": PASSWORD, "new": "Another-Password-93!"}),
    ("auth", "/auth/totp/start", "handler", {}),
    ("auth", "/auth/totp", "handler", {"code": "123456"}),
    ("cases", "/cases/{id}/acknowledge", "handler", {}),
    ("cases", "/cases/{id}/status", "handler", {"status": "investigating"}),
    ("cases", "/cases/{id}/assign", "handler", {"assignee": ""}),
    ("cases", "/cases/{id}/category", "handler", {"category": "other"}),
    ("cases", "/cases/{id}/reply", "handler", {"body": "canary-csrf"}),
    ("cases", "/cases/{id}/notes", "handler", {"body": "canary-csrf"}),
    ("cases", "/admin/tenants", "admin",
     {"slug": "csrf-made", "name": "x", "retention_days": "60"}),
    ("cases", "/admin/tenants/{slug}", "admin",
     {"name": "Renamed", "retention_days": "1", "external_channels": "",
      "categories_en": "", "categories_da": ""}),
    ("cases", "/admin/users", "admin",
     {"email": "csrf@made.example", "role": "lawyer",
      "password": "Another-Password-93!"}),
    ("cases", "/admin/users/{uid}/{what}", "admin", {}),
]

# Every table a POST could change, with a digest of its rows.
TABLES = ("tenants", "users", "memberships", "cases", "items",
          "case_events", "report_categories", "sessions", "reporter_sessions",
          "otp_challenges", "outbox", "audit_log")


def snapshot(stack):
    out = {}
    with stack.db() as c, c.cursor() as cur:
        for t in TABLES:
            # Touch times move with every request; leave them out.
            cols = {"sessions": "id, user_id, token_hash, mfa_done",
                    "reporter_sessions": "tenant_id, case_id, token_hash",
                    "users": "id, email, pw_verifier, sk_wrapped, disabled, "
                             "mfa, totp_pending, failed_logins"}.get(t, "*")
            cur.execute(f"SELECT md5(string_agg(x::text, ',' ORDER BY x::text))"
                        f" FROM (SELECT {cols} FROM {t}) x")  # noqa: S608
            out[t] = cur.fetchone()[0]
    return out


# Multipart uploads check their token inside the body (services/scrub):
# test_uploads.py refuses them without it, with another's, and with a
# file before it.
TESTED_IN_UPLOADS = {("scrub", "/t/{}/case/files"), ("scrub", "/cases/{}/files")}


def test_every_post_route_is_listed():
    """The pools' route tables hold no POST this test does not try."""
    listed = {(pool, re.sub(r"\{[a-z]+\}", "{}", path))
              for pool, path, _, _ in POSTS} | TESTED_IN_UPLOADS
    found = set()
    for pool in ("intake", "auth", "cases", "scrub"):
        for f in (ROOT / "services" / pool).glob("*.c"):
            for m in re.finditer(r'OB_ROUTE(?:_RAW)?\(\s*POST,\s*"([^"]+)"',
                                 f.read_text()):
                found.add((pool, re.sub(r"\{[a-z]+\}", "{}", m.group(1))))
    assert found == listed, found ^ listed


@pytest.fixture(scope="module")
def world(stack):
    key = stack.var / "csrf-test.key"
    ctl(stack, "tenant", "add", "csrf", "--name", "CSRF A/S",
        "--recovery-key-file", str(key))
    people = {}
    for n, (name, role) in enumerate((("handler", "tenant-user"),
                                      ("admin", "admin"))):
        email, phone = f"{name}@csrf.example", f"+4580{n:06d}"
        args = ["user", "add", "--email", email, "--role", role, "--phone",
                phone, "--password-stdin"]
        if role != "admin":
            args += ["--tenant", "csrf", "--recovery-key-file", str(key)]
        ctl(stack, *args, stdin=PASSWORD + "\n")
        people[name] = (email, phone)
    receipt, case_id, _ = file_report(stack, "csrf", "canary-csrf-case")
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT id FROM users WHERE email = %s",
                    (people["handler"][0],))
        uid = cur.fetchone()[0]
    return {"people": people, "receipt": receipt, "id": case_id, "uid": uid}


def session_for(stack, world, kind):
    if kind == "anonymous":
        s = stack.session()
        return s, token(stack, s, "/t/csrf/")
    if kind == "reporter":
        s = reporter(stack, "csrf", world["receipt"])
        return s, token(stack, s, "/t/csrf/case")
    if kind == "half":
        s = stack.session()
        email = world["people"]["handler"][0]
        r = s.post(stack.url + "/auth/login", allow_redirects=False,
                   data={"email": email, "password": PASSWORD,
                         "csrf": token(stack, s, "/auth/login")})
        assert r.status_code == 303
        return s, token(stack, s, "/auth/otp")
    who = "admin" if kind == "admin" else "handler"
    s = sign_in(stack, *world["people"][who])
    return s, page_token(s.get(stack.url + "/cases/").text)


@pytest.mark.parametrize("pool,path,kind,data", POSTS,
                         ids=[p[1] for p in POSTS])
def test_a_post_without_its_token_changes_nothing(stack, world, pool, path,
                                                  kind, data):
    s, good = session_for(stack, world, kind)
    other, other_token = session_for(stack, world, "anonymous")
    url = stack.url + path.format(slug="csrf", id=world["id"],
                                  uid=world["uid"], what="disable")
    form = {k: v.format(receipt=world["receipt"],
                        email=world["people"]["handler"][0])
            for k, v in data.items()}
    before = snapshot(stack)
    for forged in (None, "", "A" * 43, good[:-1] + ("A" if good[-1] != "A"
                                                    else "B"), other_token):
        body = dict(form)
        if forged is not None:
            body["csrf"] = forged
        r = s.post(url, data=body, allow_redirects=False)
        assert r.status_code == 403, (path, forged, r.status_code)
        assert "canary" not in r.text
        assert "__Host-ombud=" not in r.headers.get("set-cookie", "")
    assert snapshot(stack) == before, path
