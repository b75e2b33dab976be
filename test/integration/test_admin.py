"""The admin pages through the real stack: tenants (create, retention,
external channels, questionnaire), handlers (create, grant, disable,
enable, reset the second factor), the audit log; who may use them; and
the database's own wall behind them."""

import re
import subprocess

import psycopg2
import pytest
from bs4 import BeautifulSoup
from psycopg2 import sql

from conftest import BUILD, page_token
from test_cases import PASSWORD, ctl, page, sign_in, token

NEW_PASSWORD = "Lantern-Harbour-83?"


@pytest.fixture(scope="module")
def people(stack):
    out = {}
    for n, (name, role) in enumerate((("root", "admin"),
                                      ("plain", "lawyer"))):
        email, phone = f"{name}@admin.example", f"+4560{n:06d}"
        r = ctl(stack, "user", "add", "--email", email, "--role", role,
                "--phone", phone, "--password-stdin", stdin=PASSWORD + "\n")
        assert r.returncode == 0, r.stderr
        out[name] = (email, phone)
    return out


@pytest.fixture(scope="module")
def admin(stack, people):
    return sign_in(stack, *people["root"])


def post(stack, s, path, **data):
    """POSTs data with the token of the page the form is on."""
    form = path.rsplit("/", 1)[0] if re.match(r"^/admin/users/\d+/", path) \
        else path
    data["csrf"] = token(stack, s, form)
    return s.post(stack.url + path, data=data, allow_redirects=False)


def audit_rows(stack, action):
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT u.email, a.detail FROM audit_log a LEFT JOIN "
                    "users u ON u.id = a.actor_id WHERE a.action = %s "
                    "ORDER BY a.id", (action,))
        return cur.fetchall()


def test_only_admins_reach_the_admin_pages(stack, people):
    assert stack.get("/admin/", allow_redirects=False).status_code == 303
    plain = sign_in(stack, *people["plain"])
    for path in ("/admin/", "/admin/tenants", "/admin/users",
                 "/admin/audit", "/admin/users/1"):
        assert plain.get(stack.url + path).status_code == 403, path
    r = plain.post(stack.url + "/admin/tenants", allow_redirects=False,
                   data={"slug": "sneaky", "name": "Sneaky",
                         "retention_days": "60",
                         "csrf": token(stack, plain, "/cases/")})
    assert r.status_code == 403
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM tenants WHERE slug = 'sneaky'")
        assert cur.fetchone()[0] == 0


def test_create_and_edit_a_tenant(stack, admin, people):
    r = post(stack, admin, "/admin/tenants", slug="Bad Slug", name="x",
             retention_days="60")
    assert r.status_code == 400 and page(r).find(id="error-summary")
    r = post(stack, admin, "/admin/tenants", slug="delta", name="Delta A/S",
             retention_days="90")
    assert r.status_code == 200
    key = page(r).find(id="recovery-key").text.strip()
    assert key.startswith("OMBUD-RK1-")
    assert "recovery-key" not in stack.get("/admin/tenants").text
    assert audit_rows(stack, "tenant.add")[-1] == (people["root"][0], "delta")
    # The key is not stored: only what was sealed to it.
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT retention_days FROM tenants WHERE slug = 'delta'")
        assert cur.fetchone()[0] == 90
    (stack.var / "delta.key").write_text(key)

    path = "/admin/tenants/delta"
    r = post(stack, admin, path, name="Delta A/S", retention_days="30",
             external_channels="The Danish Financial Supervisory Authority.",
             categories_en="tax: Tax evasion\nfood: Food safety",
             categories_da="tax: Skatteunddragelse")
    assert r.status_code == 200 and page(r).find(id="saved")
    doc = page(stack.get("/t/delta/report"))
    assert [o["value"] for o in doc.select("#category option")] == \
        ["", "tax", "food"]
    assert "Financial Supervisory" in stack.get("/t/delta/").text
    # A bad line changes nothing.
    r = post(stack, admin, path, name="Delta A/S", retention_days="30",
             external_channels="", categories_en="Tax Evasion\n",
             categories_da="")
    assert r.status_code == 400 and page(r).find(id="error-summary")
    doc = page(admin.get(stack.url + path))
    assert "tax: Tax evasion" in doc.find(id="categories_en").text
    assert "Financial" in doc.find(id="external_channels").text
    assert audit_rows(stack, "admin.tenant.edit")[-1][0] == people["root"][0]


def test_create_grant_and_manage_a_handler(stack, admin, people):
    r = post(stack, admin, "/admin/users", email="new@admin.example",
             role="tenant-user", phone="+4561000001", password="password")
    assert r.status_code == 400
    text = page(r).find(id="error-summary").text
    assert "upper-case" in text and "digit" in text
    r = post(stack, admin, "/admin/users", email="new@admin.example",
             role="tenant-user", phone="+4561000001", password=NEW_PASSWORD)
    assert r.status_code == 200 and page(r).find(id="created")
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT id FROM users WHERE email = 'new@admin.example'")
        uid = cur.fetchone()[0]
    path = f"/admin/users/{uid}"

    # The admin is no member of delta: a grant needs its recovery key.
    r = post(stack, admin, path + "/grant", tenant="delta", recovery="")
    assert r.status_code == 400 and "recovery key" in r.text
    r = post(stack, admin, path + "/grant", tenant="delta",
             recovery="OMBUD-RK1-0000")
    assert r.status_code == 400
    key = (stack.var / "delta.key").read_text()
    r = post(stack, admin, path + "/grant", tenant="delta",
             recovery=key.lower())
    assert r.status_code == 200 and page(r).find(id="done")
    new = sign_in_as(stack, "new@admin.example", "+4561000001", NEW_PASSWORD)
    assert "Delta A/S" in new.get(stack.url + "/cases/").text

    r = post(stack, admin, path + "/disable")
    assert r.status_code == 200 and page(r).find(id="state").text == "disabled"
    assert new.get(stack.url + "/cases/",
                   allow_redirects=False).status_code == 303
    r = post(stack, admin, path + "/enable")
    assert page(r).find(id="state").text == "active"
    r = post(stack, admin, path + "/reset-mfa")
    assert r.status_code == 200
    r = post(stack, admin, path + "/nonsense")
    assert r.status_code == 404
    for action in ("user.add", "user.grant", "user.disable", "user.enable",
                   "user.reset_mfa"):
        assert audit_rows(stack, action)[-1][0] == people["root"][0], action
    r = ctl(stack, "audit", "verify")
    assert r.returncode == 0, r.stderr


def sign_in_as(stack, email, phone, password):
    from test_signin import latest_code, sms_lines
    s = stack.session()
    before = sms_lines(stack)
    r = s.post(stack.url + "/auth/login", allow_redirects=False,
               data={"email": email, "password": password,
                     "csrf": token(stack, s, "/auth/login")})
    assert r.status_code == 303, r.text
    r = s.post(stack.url + "/auth/otp", allow_redirects=False,
               data={"code": latest_code(stack, phone, before),
                     "csrf": token(stack, s, "/auth/otp")})
    assert r.status_code == 303
    return s


def test_the_audit_log_page(stack, admin, people):
    doc = page(admin.get(stack.url + "/admin/audit"))
    rows = doc.select("tr.audit")
    assert rows and any("tenant.add" in r.text for r in rows)
    ids = [int(r.find("td").text) for r in rows]
    assert ids == sorted(ids, reverse=True)
    doc = page(admin.get(stack.url + "/admin/audit?action=user.&actor=" +
                         people["root"][0]))
    actions = [r.find_all("td")[5].text for r in doc.select("tr.audit")]
    assert actions and all(a.startswith("user.") for a in actions)
    # Hostile input is only ever text.
    r = admin.get(stack.url + "/admin/audit?action=%3Cscript%3E")
    assert r.status_code == 200 and "<script>" not in r.text


def test_the_database_refuses_a_handler_session_too(stack, people):
    """The wall behind the routes: under the cases role, only an admin's
    live session may write tenants, handlers or grants."""
    plain = sign_in(stack, *people["plain"])
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT encode(token_hash, 'hex') FROM sessions s JOIN "
                    "users u ON u.id = s.user_id WHERE u.email = %s AND "
                    "s.mfa_done ORDER BY s.id DESC LIMIT 1",
                    (people["plain"][0],))
        session = cur.fetchone()[0]
    conn = stack.db()
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SELECT set_config('ombud.session', %s, false)", (session,))
    cur.execute(sql.SQL("SET ROLE {}").format(sql.Identifier("ombud_cases")))
    for query in ("UPDATE users SET disabled = true",
                  "UPDATE tenants SET retention_days = 1",
                  "DELETE FROM report_categories",
                  "DELETE FROM sessions"):
        cur.execute(query)
        assert cur.rowcount == 0, query
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        cur.execute("INSERT INTO tenants (slug, name, public_key, "
                    "recovery_public_key, recovery_sealed) VALUES ('x', 'x', "
                    "'\\x00', '\\x00', '\\x00')")
    conn.close()
    assert plain.get(stack.url + "/cases/").status_code == 200
