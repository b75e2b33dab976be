"""Anonymous reporting through the real stack: the tenant page, the
report form and its receipt, the follow-up, the reporter's case page
and messages, and everything that must be refused on the way."""

import re
import subprocess
import time

import pytest
from bs4 import BeautifulSoup

from conftest import BUILD, page_token

CANARY = "canary-7Qe2-report-description"
RECEIPT_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$")


def ctl(stack, *args, stdin=None):
    return subprocess.run(
        [str(BUILD / "services" / "ombudctl" / "ombudctl"), "--config",
         stack.info["OMBUD_CONFIG"], *args],
        input=stdin, text=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def tenant(stack):
    key = stack.var / "reporting-test.key"
    r = ctl(stack, "tenant", "add", "acme", "--name", "Acme A/S",
            "--recovery-key-file", str(key))
    assert r.returncode == 0, r.stderr
    r = ctl(stack, "user", "add", "--email", "handler@acme.example",
            "--role", "tenant-user", "--phone", "+4540000001", "--tenant",
            "acme", "--recovery-key-file", str(key), "--password-stdin",
            stdin="Harbour-Lantern-47!\n")
    assert r.returncode == 0, r.stderr
    return "acme"


def page(r):
    return BeautifulSoup(r.text, "html.parser")


def token(stack, s, path):
    r = s.get(stack.url + path)
    assert r.status_code == 200, (path, r.status_code)
    return page_token(r.text)


def submit(stack, slug, s=None, **fields):
    s = s or stack.session()
    data = {"category": "fraud", "description": CANARY}
    data.update(fields)
    data.setdefault("csrf", token(stack, s, f"/t/{slug}/report"))
    return s, s.post(stack.url + f"/t/{slug}/report", data=data,
                     allow_redirects=False)


def follow_up(stack, slug, receipt, s=None):
    s = s or stack.session()
    r = s.post(stack.url + f"/t/{slug}/followup", allow_redirects=False,
               data={"receipt": receipt,
                     "csrf": token(stack, s, f"/t/{slug}/followup")})
    return s, r


def count(stack, sql, *args):
    with stack.db() as c, c.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()[0]


def test_tenant_page(stack, tenant):
    r = stack.get(f"/t/{tenant}/")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    doc = page(r)
    assert "Acme A/S" in doc.find("h1").text
    links = {a["href"] for a in doc.find_all("a")}
    assert {f"/t/{tenant}/report", f"/t/{tenant}/followup"} <= links
    text = doc.get_text(" ", strip=True)
    assert "IP address" in text and "receipt" in text
    assert "authorities" in text          # external channels (art. 9(1)(g))
    assert stack.get("/t/no-such-tenant/").status_code == 404
    # The tenant's own channels replace the default text.
    with stack.db() as c, c.cursor() as cur:
        cur.execute("UPDATE tenants SET external_channels = %s "
                    "WHERE slug = %s",
                    ("The Danish Data Protection Agency runs an external "
                     "whistleblower scheme.\n\nSecond paragraph.", tenant))
    doc = page(stack.get(f"/t/{tenant}/"))
    paras = [p.text for p in doc.find_all("p")]
    assert any("external whistleblower scheme" in p for p in paras)
    assert "Second paragraph." in paras
    # Danish too.
    s = stack.session()
    r = s.post(stack.url + "/lang", allow_redirects=False,
               data={"lang": "da", "return": f"/t/{tenant}/",
                     "csrf": token(stack, s, f"/t/{tenant}/")})
    assert r.status_code == 303
    doc = page(s.get(stack.url + f"/t/{tenant}/"))
    assert doc.find("html")["lang"] == "da"
    assert "Indberet" in doc.get_text()


def test_round_trip(stack, tenant):
    cases = count(stack, "SELECT count(*) FROM cases")
    queued = count(stack, "SELECT count(*) FROM outbox WHERE channel = 'mail'")
    s, r = submit(stack, tenant, when="last spring", who="the CFO")
    assert r.status_code == 200, r.text
    doc = page(r)
    receipt = doc.find(id="receipt").text.strip()
    assert RECEIPT_RE.match(receipt)
    # Nothing else on the page or in the headers names the case.
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT number, id FROM cases ORDER BY id DESC LIMIT 1")
        number, case_id = cur.fetchone()
    assert number not in r.text and "set-cookie" not in {
        k.lower() for k in r.headers if "ombud-r" in r.headers[k]}
    assert r.headers["cache-control"] == "no-store"
    assert count(stack, "SELECT count(*) FROM cases") == cases + 1
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT opened_on, ack_due - opened_on, status, category "
                    "FROM cases WHERE id = %s", (case_id,))
        opened, ack_days, status, category = cur.fetchone()
    assert ack_days == 7 and status == "new" and category == "fraud"
    # One content-free notice for the handler, sent later, dated by day.
    assert count(stack, "SELECT count(*) FROM outbox WHERE channel = 'mail'") \
        == queued + 1
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT subject, body, created_at = date_trunc('day', "
                    "created_at), next_attempt_at > now() + interval "
                    "'4 minutes' FROM outbox WHERE channel = 'mail' "
                    "ORDER BY id DESC LIMIT 1")
        subject, body, by_day, later = cur.fetchone()
    assert "Acme A/S" in subject and CANARY not in body and by_day and later

    # Follow up in a new browser: lower case, spaces, no dashes.
    typed = receipt.replace("-", " ").lower()
    s2, r = follow_up(stack, tenant, typed)
    assert r.status_code == 303 and r.headers["location"] == f"/t/{tenant}/case"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("__Host-ombud-r=")
    for attr in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
        assert attr in cookie
    r = s2.get(stack.url + f"/t/{tenant}/case")
    assert r.status_code == 200
    doc = page(r)
    assert CANARY in doc.get_text()
    assert "last spring" in doc.get_text() and "the CFO" in doc.get_text()
    assert "Received" in doc.find(id="case-status").text
    assert not doc.select(".message")

    # A message, shown with the day, not the time.
    r = s2.post(stack.url + f"/t/{tenant}/case/messages",
                allow_redirects=False,
                data={"body": "more details: canary-message-91",
                      "csrf": token(stack, s2, f"/t/{tenant}/case")})
    assert r.status_code == 303
    doc = page(s2.get(stack.url + f"/t/{tenant}/case"))
    msgs = doc.select(".message")
    assert len(msgs) == 1 and "canary-message-91" in msgs[0].text
    assert "You" in msgs[0].text
    assert re.search(r"\b\d{4}-\d{2}-\d{2}\b", msgs[0].text)
    assert not re.search(r"\d{1,2}:\d{2}", msgs[0].text)
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT count(*) FROM outbox WHERE subject LIKE "
                    "%s", (f"%case {number} has written%",))
        assert cur.fetchone()[0] == 1

    # Sign out ends the session server-side.
    r = s2.post(stack.url + f"/t/{tenant}/case/logout", allow_redirects=False,
                data={"csrf": token(stack, s2, f"/t/{tenant}/case")})
    assert r.status_code == 303
    replay = stack.session()
    replay.cookies.set("__Host-ombud-r", cookie.split(";")[0].split("=", 1)[1],
                       domain="localhost")
    r = replay.get(stack.url + f"/t/{tenant}/case", allow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/t/{tenant}/followup"

    # Neither the receipt nor the canary is readable anywhere.
    dump = subprocess.run(
        ["pg_dump", "-h", stack.info["PGHOST"], "-p", stack.info["PGPORT"],
         "-U", stack.info["PGUSER"], "-d", "ombud"],
        capture_output=True, timeout=120).stdout
    needles = [CANARY.encode(), b"canary-message-91", b"last spring",
               receipt.encode(), receipt.replace("-", "").encode()]
    for needle in needles:
        assert needle not in dump, needle
    # Nor in any file: logs, PostgreSQL's tables and WAL after a
    # checkpoint, nginx's temporary files.
    with stack.db() as c, c.cursor() as cur:
        c.autocommit = True
        cur.execute("CHECKPOINT")
    for f in stack.var.rglob("*"):
        if f.is_file() and not f.is_symlink() and f.stat().st_size < 64 << 20:
            data = f.read_bytes()
            for needle in needles:
                assert needle not in data, (f, needle)


def test_receipts_are_random(stack, tenant):
    """20 symbols of a 32-symbol alphabet are 100 bits if each is drawn
    uniformly.  Samples cannot prove that, but they catch a receipt made
    from a counter, a clock or a short seed: every receipt differs, no
    group of four repeats at its place, and the symbols spread over the
    alphabet (160 uniform draws cover ~32 symbols; fewer than 24 would
    be a one-in-a-billion event)."""
    receipts = []
    for _ in range(8):
        _, r = submit(stack, tenant)
        assert r.status_code == 200
        receipts.append(page(r).find(id="receipt").text.strip())
    assert all(RECEIPT_RE.match(x) for x in receipts)
    assert len(set(receipts)) == len(receipts)
    for place in range(5):
        groups = [x.split("-")[place] for x in receipts]
        assert len(set(groups)) == len(groups)
    symbols = set("".join(receipts).replace("-", ""))
    assert len(symbols) >= 24, sorted(symbols)


def test_wrong_and_near_miss_receipts(stack, tenant):
    _, r = submit(stack, tenant)
    receipt = page(r).find(id="receipt").text.strip()
    last = receipt[-1]
    near = receipt[:-1] + ("0" if last != "0" else "1")
    msgs = set()
    for typed in (near, "ABCD-EFGH-JKMN-PQRS-TVWX"):
        _, r = follow_up(stack, tenant, typed)
        assert r.status_code == 401
        assert "__Host-ombud-r" not in r.headers.get("set-cookie", "")
        msgs.add(page(r).find(class_="error-summary").text.strip())
    assert len(msgs) == 1
    # A receipt of another tenant's case opens nothing here.
    ctl(stack, "tenant", "add", "other", "--name", "Other ApS",
        "--recovery-key-file", str(stack.var / "other-test.key"))
    _, r = follow_up(stack, "other", receipt)
    assert r.status_code == 401
    # Not a receipt at all.
    _, r = follow_up(stack, tenant, "hello")
    assert r.status_code == 400


def test_invalid_reports_store_nothing(stack, tenant):
    before = count(stack, "SELECT count(*) FROM cases")
    items = count(stack, "SELECT count(*) FROM items")
    _, r = submit(stack, tenant, description="   ", when="keep me")
    assert r.status_code == 400
    doc = page(r)
    assert doc.find(id="error-summary")
    assert doc.find(id="description-error")
    assert doc.find(id="when")["value"] == "keep me"
    _, r = submit(stack, tenant, category="no-such-category")
    assert r.status_code == 400 and page(r).find(id="category-error")
    assert page(r).find(id="description").text == CANARY
    _, r = submit(stack, tenant, description="x" * 20001)
    assert r.status_code == 400 and page(r).find(id="description-error")
    _, r = submit(stack, tenant, name="n" * 201)
    assert r.status_code == 400 and page(r).find(id="name-error")
    _, r = submit(stack, tenant, description="y" * 100000)
    assert r.status_code == 400
    _, r = submit(stack, tenant, csrf="forged")
    assert r.status_code == 403
    # Invalid UTF-8 cannot come through requests' encoder: send raw.
    s = stack.session()
    csrf = token(stack, s, f"/t/{tenant}/report")
    r = s.post(stack.url + f"/t/{tenant}/report",
               data=b"category=fraud&description=%FF%FE&csrf=" + csrf.encode(),
               headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400
    assert count(stack, "SELECT count(*) FROM cases") == before
    assert count(stack, "SELECT count(*) FROM items") == items


def test_case_pages_need_a_reporter_session(stack, tenant):
    r = stack.get(f"/t/{tenant}/case", allow_redirects=False)
    assert r.status_code == 303
    s = stack.session()
    t = token(stack, s, f"/t/{tenant}/")
    r = s.post(stack.url + f"/t/{tenant}/case/messages", allow_redirects=False,
               data={"body": "hi", "csrf": t})
    assert r.status_code == 403
    # A session of one tenant does not open another's pages.
    _, r = submit(stack, tenant)
    receipt = page(r).find(id="receipt").text.strip()
    s, r = follow_up(stack, tenant, receipt)
    assert r.status_code == 303
    assert s.get(stack.url + "/t/other/case",
                 allow_redirects=False).status_code == 303
    # The session's own form token, not another browser's.
    r = s.post(stack.url + f"/t/{tenant}/case/messages", allow_redirects=False,
               data={"body": "hi", "csrf": t})
    assert r.status_code == 403
    r = s.post(stack.url + f"/t/{tenant}/case/messages",
               data={"body": " ", "csrf": token(stack, s, f"/t/{tenant}/case")})
    assert r.status_code == 400 and page(r).find(id="error-summary")


def test_receipt_throttle_answers_429_and_recovers(stack, tenant):
    s = stack.session()
    csrf = token(stack, s, f"/t/{tenant}/followup")
    statuses = []
    for _ in range(40):
        r = s.post(stack.url + f"/t/{tenant}/followup", allow_redirects=False,
                   data={"receipt": "nope", "csrf": csrf})
        statuses.append(r.status_code)
        if r.status_code == 429:
            assert int(r.headers["retry-after"]) >= 1
            break
    assert 429 in statuses
    time.sleep(3)
    r = s.post(stack.url + f"/t/{tenant}/followup", allow_redirects=False,
               data={"receipt": "nope", "csrf": csrf})
    assert r.status_code == 400


def test_a_tenant_questionnaire_of_its_own(stack, tenant):
    ctl(stack, "tenant", "add", "own-cats", "--name", "Own Categories",
        "--recovery-key-file", str(stack.var / "own-cats-test.key"))
    with stack.db() as c, c.cursor() as cur:
        cur.execute("INSERT INTO report_categories (tenant_id, key, lang, "
                    "position, label) SELECT id, k, l, p, t FROM tenants, "
                    "(VALUES ('tax', 'en', 1, 'Tax evasion'), "
                    "('tax', 'da', 1, 'Skatteunddragelse'), "
                    "('food', 'en', 2, 'Food safety')) v(k, l, p, t) "
                    "WHERE slug = 'own-cats'")
    doc = page(stack.get("/t/own-cats/report"))
    options = [(o["value"], o.text) for o in doc.select("#category option")]
    assert options == [("", "Choose one"), ("tax", "Tax evasion"),
                       ("food", "Food safety")]
    # The built-in keys are not the tenant's.
    _, r = submit(stack, "own-cats")
    assert r.status_code == 400 and page(r).find(id="category-error")
    _, r = submit(stack, "own-cats", category="food")
    assert r.status_code == 200 and page(r).find(id="receipt")
    # Other tenants keep the built-in list, in Danish too.
    doc = page(stack.get(f"/t/{tenant}/report"))
    assert "fraud" in [o["value"] for o in doc.select("#category option")]
