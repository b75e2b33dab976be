"""Case handling through the real stack: a report filed through intake
reaches exactly the handlers of its tenant, is read decrypted, answered,
acknowledged, investigated and closed, with deadlines, history, the
reporter's view and the audit log following; and every /cases/ route
refuses everyone else."""

import re
import subprocess
import time

import pytest
from bs4 import BeautifulSoup

from conftest import BUILD, page_token
from test_signin import latest_code, sms_lines

PASSWORD = "Harbour-Lantern-47!"
CANARY = "canary-cases-4Hq9-description"


def ctl(stack, *args, stdin=None):
    return subprocess.run(
        [str(BUILD / "services" / "ombudctl" / "ombudctl"), "--config",
         stack.info["OMBUD_CONFIG"], *args],
        input=stdin, text=True, capture_output=True, timeout=120)


def page(r):
    return BeautifulSoup(r.text, "html.parser")


def token(stack, s, path):
    r = s.get(stack.url + path, allow_redirects=False)
    assert r.status_code == 200, (path, r.status_code)
    return page_token(r.text)


def post(stack, s, path, form_path, **data):
    data["csrf"] = token(stack, s, form_path)
    return s.post(stack.url + path, data=data, allow_redirects=False)


def sign_in(stack, email, phone):
    s = stack.session()
    before = sms_lines(stack)
    r = s.post(stack.url + "/auth/login", allow_redirects=False,
               data={"email": email, "password": PASSWORD,
                     "csrf": token(stack, s, "/auth/login")})
    assert r.status_code == 303, r.text
    r = s.post(stack.url + "/auth/otp", allow_redirects=False,
               data={"code": latest_code(stack, phone, before),
                     "csrf": token(stack, s, "/auth/otp")})
    assert r.status_code == 303
    return s


def add_handler(stack, email, phone, role, tenants=(), keys=None):
    """ombudctl user add, then a grant of each tenant in tenants with its
    recovery key file, keys[slug]."""
    r = ctl(stack, "user", "add", "--email", email, "--role", role,
            "--phone", phone, "--password-stdin", stdin=PASSWORD + "\n")
    assert r.returncode == 0, r.stderr
    for slug in tenants:
        r = ctl(stack, "user", "grant", "--email", email, "--tenant", slug,
                "--recovery-key-file", str(keys[slug]))
        assert r.returncode == 0, r.stderr


def file_report(stack, slug, description=CANARY):
    s = stack.session()
    r = s.post(stack.url + f"/t/{slug}/report",
               data={"category": "fraud", "description": description,
                     "csrf": token(stack, s, f"/t/{slug}/report")})
    assert r.status_code == 200, r.text
    receipt = page(r).find(id="receipt").text.strip()
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT id, number FROM cases ORDER BY id DESC LIMIT 1")
        case_id, number = cur.fetchone()
    return receipt, case_id, number


def reporter(stack, slug, receipt):
    s = stack.session()
    r = s.post(stack.url + f"/t/{slug}/followup", allow_redirects=False,
               data={"receipt": receipt,
                     "csrf": token(stack, s, f"/t/{slug}/followup")})
    assert r.status_code == 303
    return s


@pytest.fixture(scope="module")
def org(stack):
    keys = {}
    for slug in ("alpha", "beta", "gamma"):
        keys[slug] = stack.var / f"{slug}-cases.key"
        r = ctl(stack, "tenant", "add", slug, "--name", f"{slug.title()} A/S",
                "--recovery-key-file", str(keys[slug]))
        assert r.returncode == 0, r.stderr
    people = {}
    for n, (name, role, tenants) in enumerate((
            ("contact-a", "tenant-user", ["alpha"]),
            ("contact-b", "tenant-user", ["beta"]),
            ("lawyer", "lawyer", ["alpha", "beta"]),
            ("lawyer-g", "lawyer", ["gamma"]),
            ("admin", "admin", []))):
        email, phone = f"{name}@cases.example", f"+4550{n:06d}"
        add_handler(stack, email, phone, role, tenants, keys)
        people[name] = (email, phone)
    return people


@pytest.fixture(scope="module")
def case(stack, org):
    receipt, case_id, number = file_report(stack, "alpha")
    return {"receipt": receipt, "id": case_id, "number": number}


def audit_actions(stack, case_id):
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT action FROM audit_log WHERE case_id = %s",
                    (case_id,))
        return [r[0] for r in cur.fetchall()]


def test_the_case_reaches_its_tenants_handlers_only(stack, org, case):
    for who, sees in (("contact-a", True), ("lawyer", True),
                      ("contact-b", False), ("lawyer-g", False),
                      ("admin", False)):
        s = sign_in(stack, *org[who])
        r = s.get(stack.url + "/cases/?status=")
        assert r.status_code == 200
        numbers = [a.text for a in page(r).select("table.cases a")]
        assert (case["number"] in numbers) == sees, who
        r = s.get(stack.url + f"/cases/{case['id']}")
        assert r.status_code == (200 if sees else 404), who
        assert (CANARY in r.text) == sees, who


def test_read_reply_acknowledge_investigate_close(stack, org, case):
    s = sign_in(stack, *org["contact-a"])
    path = f"/cases/{case['id']}"
    doc = page(s.get(stack.url + path))
    assert CANARY in doc.find(id="report").text
    assert doc.find(id="status").text.strip() == "New"

    r = post(stack, s, path + "/reply", path, body="Thank you, canary-reply-77")
    assert r.status_code == 303
    r = post(stack, s, path + "/notes", path, body="internal canary-note-31")
    assert r.status_code == 303
    # Closing before acknowledging is refused and changes nothing.
    r = post(stack, s, path + "/status", path, status="closed",
             outcome="unfounded")
    assert r.status_code == 409 and page(r).find(id="error-summary")
    r = post(stack, s, path + "/acknowledge", path)
    assert r.status_code == 303
    r = post(stack, s, path + "/status", path, status="investigating")
    assert r.status_code == 303

    # The reporter sees the reply and the status, never the note.
    rs = reporter(stack, "alpha", case["receipt"])
    doc = page(rs.get(stack.url + "/t/alpha/case"))
    assert "Being looked into" in doc.find(id="case-status").text
    texts = [m.text for m in doc.select(".message")]
    assert any("canary-reply-77" in t and "Case handler" in t for t in texts)
    assert "canary-note-31" not in doc.text

    # The reporter writes back: unread on the list until viewed.
    r = rs.post(stack.url + "/t/alpha/case/messages", allow_redirects=False,
                data={"body": "reporter canary-back-55",
                      "csrf": token(stack, rs, "/t/alpha/case")})
    assert r.status_code == 303
    row = [tr for tr in page(s.get(stack.url + "/cases/")).select("tr.case")
           if case["number"] in tr.text][0]
    assert row.find(class_="unread").text.strip() == "1"
    doc = page(s.get(stack.url + path))
    assert "canary-back-55" in doc.find(id="thread").parent.text
    row = [tr for tr in page(s.get(stack.url + "/cases/")).select("tr.case")
           if case["number"] in tr.text][0]
    assert row.find(class_="unread").text.strip() == ""

    r = post(stack, s, path + "/status", path, status="closed",
             outcome="no-such-outcome")
    assert r.status_code == 409
    r = post(stack, s, path + "/status", path, status="closed",
             outcome="action-taken")
    assert r.status_code == 303
    doc = page(s.get(stack.url + path))
    assert "Closed" in doc.find(id="status").text
    history = [[td.text for td in tr.find_all("td")]
               for tr in doc.select("tr.event")]
    fields = [h[2] for h in history]
    assert fields.count("status") == 3
    assert {"acknowledged_on", "feedback_on", "closed_on", "outcome"} <= \
        set(fields)
    assert all(h[1] == org["contact-a"][0] for h in history)
    doc = page(rs.get(stack.url + "/t/alpha/case"))
    assert "Closed" in doc.find(id="case-status").text
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT status, acknowledged_on = current_date, "
                    "feedback_on = current_date, closed_on = current_date, "
                    "outcome FROM cases WHERE id = %s", (case["id"],))
        assert cur.fetchone() == ("closed", True, True, True, "action-taken")

    actions = audit_actions(stack, case["id"])
    for a in ("case.view", "case.reply", "case.note", "case.status"):
        assert a in actions, a
    r = ctl(stack, "audit", "verify")
    assert r.returncode == 0, r.stderr


def test_assign_and_category(stack, org):
    _, case_id, number = file_report(stack, "alpha", "canary-assign")
    s = sign_in(stack, *org["lawyer"])
    path = f"/cases/{case_id}"
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT id FROM users WHERE email = %s",
                    (org["contact-a"][0],))
        contact = cur.fetchone()[0]
        cur.execute("SELECT id FROM users WHERE email = %s",
                    (org["contact-b"][0],))
        outsider = cur.fetchone()[0]
    r = post(stack, s, path + "/assign", path, assignee=str(outsider))
    assert r.status_code == 409
    r = post(stack, s, path + "/assign", path, assignee=str(contact))
    assert r.status_code == 303
    r = post(stack, s, path + "/category", path, category="not-a-category")
    assert r.status_code == 409
    r = post(stack, s, path + "/category", path, category="safety")
    assert r.status_code == 303
    doc = page(s.get(stack.url + path))
    text = doc.find(class_="facts").text
    assert org["contact-a"][0] in text and "safety" in text.lower()
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT assignee_id, category FROM cases WHERE id = %s",
                    (case_id,))
        assert cur.fetchone() == (contact, "safety")
    assert {"case.assign", "case.category"} <= set(audit_actions(stack,
                                                                 case_id))


def test_deadlines_are_marked(stack, org):
    _, late_id, late = file_report(stack, "beta", "canary-late")
    _, soon_id, soon = file_report(stack, "beta", "canary-soon")
    with stack.db() as c, c.cursor() as cur:
        cur.execute("UPDATE cases SET opened_on = current_date - 8 "
                    "WHERE id = %s", (late_id,))
        cur.execute("UPDATE cases SET opened_on = current_date - 6 "
                    "WHERE id = %s", (soon_id,))
    s = sign_in(stack, *org["contact-b"])
    rows = {tr.find("a").text: tr for tr in
            page(s.get(stack.url + "/cases/?sort=due")).select("tr.case")}
    assert "overdue" in rows[late].text and "late" in rows[late]["class"]
    assert "due soon" in rows[soon].text and "overdue" not in rows[soon].text
    # Due first, then the overdue filter.
    order = [tr.find("a").text for tr in
             page(s.get(stack.url + "/cases/?sort=due")).select("tr.case")]
    assert order.index(late) < order.index(soon)
    only = [tr.find("a").text for tr in
            page(s.get(stack.url + "/cases/?overdue=1")).select("tr.case")]
    assert late in only and soon not in only
    # Feedback: 3 months after the acknowledgement.
    path = f"/cases/{late_id}"
    post(stack, s, path + "/acknowledge", path)
    with stack.db() as c, c.cursor() as cur:
        cur.execute("UPDATE cases SET acknowledged_on = current_date - "
                    "interval '3 months' - interval '1 day' WHERE id = %s",
                    (late_id,))
    rows = {tr.find("a").text: tr for tr in
            page(s.get(stack.url + "/cases/")).select("tr.case")}
    cells = rows[late].find_all("td")
    assert "done" in cells[5].text and "overdue" in cells[6].text


ROUTES = [("GET", "/cases/{id}", {}),
          ("POST", "/cases/{id}/acknowledge", {}),
          ("POST", "/cases/{id}/status", {"status": "investigating"}),
          ("POST", "/cases/{id}/assign", {"assignee": ""}),
          ("POST", "/cases/{id}/category", {"category": "other"}),
          ("POST", "/cases/{id}/reply", {"body": "canary-intruder"}),
          ("POST", "/cases/{id}/notes", {"body": "canary-intruder"})]


def test_access_control_matrix(stack, org):
    receipt, case_id, _ = file_report(stack, "alpha", "canary-matrix")
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT * FROM cases WHERE id = %s", (case_id,))
        before = cur.fetchone()
        cur.execute("SELECT count(*) FROM items")
        items = cur.fetchone()[0]
    visitors = {"anonymous": stack.session(),
                "reporter": reporter(stack, "alpha", receipt),
                "other tenant's user": sign_in(stack, *org["contact-b"]),
                "lawyer not granted": sign_in(stack, *org["lawyer-g"]),
                "admin without membership": sign_in(stack, *org["admin"])}
    for who, s in visitors.items():
        # A token the visitor's own pages give them, where they have any.
        t = page_token(s.get(stack.url + "/cases/").text or "") or \
            page_token(s.get(stack.url + "/t/alpha/").text)
        for method, route, data in ROUTES:
            path = route.format(id=case_id)
            if method == "GET":
                r = s.get(stack.url + path, allow_redirects=False)
            else:
                r = s.post(stack.url + path, allow_redirects=False,
                           data=dict(data, csrf=t))
            assert r.status_code in (303, 403, 404), (who, path,
                                                      r.status_code)
            if r.status_code == 303:
                assert r.headers["location"] == "/auth/login", (who, path)
            assert "canary-matrix" not in r.text, (who, path)
        assert "canary-matrix" not in s.get(stack.url + "/cases/").text
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT * FROM cases WHERE id = %s", (case_id,))
        assert cur.fetchone() == before
        cur.execute("SELECT count(*) FROM items")
        assert cur.fetchone()[0] == items
    # A case id that is no number, or does not exist, is a 404 as well.
    s = visitors["admin without membership"]
    for path in ("/cases/abc", "/cases/0", "/cases/99999999"):
        assert s.get(stack.url + path).status_code == 404


def test_notices_carry_no_content(stack, org, case):
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT recipient, subject, body FROM outbox "
                    "WHERE channel = 'mail' AND tenant_id = (SELECT id FROM "
                    "tenants WHERE slug = 'alpha')")
        mails = cur.fetchall()
    recipients = {m[0] for m in mails}
    assert org["contact-a"][0] in recipients and org["lawyer"][0] in recipients
    assert org["contact-b"][0] not in recipients
    for _, subject, body in mails:
        assert "canary" not in subject + body
        assert re.search(r"https://\S+/cases/", body)


def test_daily_digest_of_deadlines(stack, org, tmp_path):
    """One mail a day per handler: counts per tenant, no case content."""
    _, case_id, number = file_report(stack, "beta", "canary-digest")
    with stack.db() as c, c.cursor() as cur:
        cur.execute("UPDATE cases SET opened_on = current_date - 10 "
                    "WHERE id = %s", (case_id,))
        cur.execute("DELETE FROM digest_days")
    conf = tmp_path / "digest.conf"
    conf.write_text(re.sub(r"(?m)^\[outbox\]$", "[outbox]\ndigest_hour = 0",
                           open(stack.info["OMBUD_CONFIG"]).read()))
    outbox = [str(BUILD / "services" / "outbox" / "ombud-outbox"),
              "--config", str(conf), "--once"]
    for _ in range(2):          # the second run queues nothing more
        subprocess.run(outbox, check=True, capture_output=True, timeout=60)
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT recipient, body FROM outbox WHERE subject = "
                    "'Ombud: deadlines that need you'")
        digests = cur.fetchall()
    recipients = [d[0] for d in digests]
    assert sorted(set(recipients)) == sorted(recipients)
    assert org["contact-b"][0] in recipients
    for _, body in digests:
        assert "canary" not in body and number not in body
    body = dict(digests)[org["contact-b"][0]]
    assert re.search(r"Beta A/S: [1-9]\d* overdue", body)
    assert "/cases/" in body
    # The stack's own daemon delivers it to the SMTP sink.
    deadline = time.time() + 30
    while time.time() < deadline:
        mails = [p.read_text(errors="replace")
                 for p in (stack.var / "mail").glob("*.eml")]
        mine = [m for m in mails if "deadlines that need you" in m
                and org["contact-b"][0] in m]
        if mine:
            break
        time.sleep(0.5)
    assert mine and "canary" not in mine[0]
