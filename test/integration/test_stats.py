"""Statistics through the real stack: reports filed through intake for two
tenants, handled through the cases pool's own routes, their dates then
moved in the database so that every number is known; /cases/stats and
/cases/stats.csv must show exactly those numbers, to exactly the
handlers of each tenant, with a tenant's hostile category name drawn as
text in the SVG and defused in the CSV."""

import csv
import io
import re

import pytest

from test_cases import add_handler, ctl, page, post, sign_in, token

ONE, TWO = "stats-one", "stats-two"
XSS = '</text><script>alert("stats")</script><text>'
FORMULA = '=HYPERLINK("http://evil.example","x"), "quoted"'
CATEGORIES = [("money", "Money matters"), ("evil", XSS),
              ("formula", FORMULA)]
FRAUD = "Fraud, theft or other financial wrongdoing"
SAFETY = "Danger to health, safety or the environment"
PERIOD = "from=2024-01-01&to=2024-06-30"


def file_report(stack, slug, category):
    s = stack.session()
    r = s.post(stack.url + f"/t/{slug}/report",
               data={"category": category, "description": "canary-stats",
                     "csrf": token(stack, s, f"/t/{slug}/report")})
    assert r.status_code == 200, r.text
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT id FROM cases ORDER BY id DESC LIMIT 1")
        return cur.fetchone()[0]


def handle(stack, s, case_id, *steps):
    """Acknowledge, reply (the feedback), investigate or close a case
    through the handlers' routes."""
    path = f"/cases/{case_id}"
    for step in steps:
        if step == "ack":
            r = post(stack, s, path + "/acknowledge", path)
        elif step == "reply":
            r = post(stack, s, path + "/reply", path, body="We are on it.")
        elif step == "investigate":
            r = post(stack, s, path + "/status", path, status="investigating")
        else:
            r = post(stack, s, path + "/status", path, status="closed",
                     outcome="action-taken")
        assert r.status_code == 303, (step, r.status_code)


def set_dates(stack, case_id, opened, ack=None, feedback=None, closed=None):
    with stack.db() as c, c.cursor() as cur:
        cur.execute("UPDATE cases SET opened_on = %s, acknowledged_on = %s, "
                    "feedback_on = %s, closed_on = %s WHERE id = %s",
                    (opened, ack, feedback, closed, case_id))
        assert cur.rowcount == 1


@pytest.fixture(scope="module")
def org(stack):
    keys = {}
    for slug in (ONE, TWO):
        keys[slug] = stack.var / f"{slug}.key"
        r = ctl(stack, "tenant", "add", slug, "--name",
                f"{slug.title()} ApS", "--recovery-key-file", str(keys[slug]))
        assert r.returncode == 0, r.stderr
    # Tenant one's own categories, two of them hostile.
    with stack.db() as c, c.cursor() as cur:
        for pos, (key, label) in enumerate(CATEGORIES):
            cur.execute("INSERT INTO report_categories (tenant_id, key, "
                        "lang, position, label) SELECT id, %s, 'en', %s, %s "
                        "FROM tenants WHERE slug = %s",
                        (key, pos, label, ONE))
    people = {}
    for n, (name, role, tenants) in enumerate((
            ("contact-one", "tenant-user", [ONE]),
            ("contact-two", "tenant-user", [TWO]),
            ("lawyer", "lawyer", [ONE, TWO]),
            ("admin", "admin", []))):
        email, phone = f"{name}@stats.example", f"+4561{n:06d}"
        add_handler(stack, email, phone, role, tenants, keys)
        people[name] = sign_in(stack, email, phone)
    return people


@pytest.fixture(scope="module")
def cases(stack, org):
    """Tenant one, in the period 2024-01-01..2024-06-30:
      a  money    opened 01-10, ack 01-13 (3 days), feedback 02-10 (28), closed
      b  money    opened 01-20, ack 01-30 (10, late), feedback 06-15 (137,
                  late: due 04-30), investigating
      c  evil     opened 02-05, ack 02-09 (4), no feedback (due 05-09:
                  late, overdue now), acknowledged
      d  formula  opened 03-01, never acknowledged (overdue now), new
    and before it:
      e  money    opened 2023-12-31, new (overdue now).
    Tenant two:
      f  fraud    opened 01-15, ack 01-16 (1), no feedback (overdue now)
      g  safety   opened 05-05, new (overdue now)."""
    s = org["contact-one"]
    ids = {}
    for name, category in (("a", "money"), ("b", "money"), ("c", "evil"),
                           ("d", "formula"), ("e", "money")):
        ids[name] = file_report(stack, ONE, category)
    for name, category in (("f", "fraud"), ("g", "safety")):
        ids[name] = file_report(stack, TWO, category)
    handle(stack, s, ids["a"], "ack", "reply", "close")
    handle(stack, s, ids["b"], "ack", "reply", "investigate")
    handle(stack, s, ids["c"], "ack")
    handle(stack, org["contact-two"], ids["f"], "ack")
    set_dates(stack, ids["a"], "2024-01-10", "2024-01-13", "2024-02-10",
              "2024-02-10")
    set_dates(stack, ids["b"], "2024-01-20", "2024-01-30", "2024-06-15")
    set_dates(stack, ids["c"], "2024-02-05", "2024-02-09")
    set_dates(stack, ids["d"], "2024-03-01")
    set_dates(stack, ids["e"], "2023-12-31")
    set_dates(stack, ids["f"], "2024-01-15", "2024-01-16")
    set_dates(stack, ids["g"], "2024-05-05")
    return ids


def stats(stack, s, query=PERIOD, status=200):
    r = s.get(stack.url + "/cases/stats?" + query, allow_redirects=False)
    assert r.status_code == status, (query, r.status_code, r.text[:500])
    return r


def numbers(r):
    """What the page says, by id and table."""
    doc = page(r)
    out = {k: doc.find(id=k).text.strip() for k in
           ("opened", "median-ack", "median-feedback", "overdue")}
    for duty in ("ack", "feedback"):
        row = doc.find(id=f"compliance-{duty}")
        out[duty] = tuple(row.find(class_=c).text.strip()
                          for c in ("due", "ok", "share"))
    for table in ("by-month", "by-category", "by-status"):
        t = doc.find(id=table)
        out[table] = [(tr.th.text, tr.td.text) for tr in t.tbody("tr")] \
            if t else []
    return out


ONE_EXPECTED = {
    "opened": "4", "median-ack": "4", "median-feedback": "82.5",
    "overdue": "3", "ack": ("4", "2", "50 %"), "feedback": ("4", "1", "25 %"),
    "by-month": [("2024-01", "2"), ("2024-02", "1"), ("2024-03", "1"),
                 ("2024-04", "0"), ("2024-05", "0"), ("2024-06", "0")],
    "by-category": [("Money matters", "2"), (XSS, "1"), (FORMULA, "1")],
    "by-status": [("New", "1"), ("Acknowledged", "1"),
                  ("Investigating", "1"), ("Closed", "1")],
}


def test_numbers_of_one_tenant(stack, org, cases):
    r = stats(stack, org["contact-one"])
    assert numbers(r) == ONE_EXPECTED
    doc = page(r)
    assert [o["value"] for o in doc.select("#tenant option")] == ["", ONE]
    assert doc.find(id="period-from").text == "2024-01-01"
    assert doc.find(id="period-to").text == "2024-06-30"
    # The lawyer picks the same tenant and sees the same.
    r = stats(stack, org["lawyer"], PERIOD + f"&tenant={ONE}")
    assert numbers(r) == ONE_EXPECTED
    assert page(r).find(id="period-tenant").text == "Stats-One ApS"


def test_numbers_over_all_tenants(stack, org, cases):
    got = numbers(stats(stack, org["lawyer"]))
    assert got["opened"] == "6"
    assert got["median-ack"] == "3.5"         # 1, 3, 4, 10
    assert got["median-feedback"] == "82.5"   # 28, 137
    assert got["overdue"] == "5"              # c, d, e, f, g
    assert got["ack"] == ("6", "3", "50 %")   # a, c, f in time
    assert got["feedback"] == ("6", "1", "17 %")
    assert got["by-month"] == [("2024-01", "3"), ("2024-02", "1"),
                               ("2024-03", "1"), ("2024-04", "0"),
                               ("2024-05", "1"), ("2024-06", "0")]
    assert got["by-category"][0] == ("Money matters", "2")
    assert sorted(got["by-category"][1:]) == sorted(
        [(XSS, "1"), (FORMULA, "1"), (FRAUD, "1"), (SAFETY, "1")])
    assert got["by-status"] == [("New", "2"), ("Acknowledged", "2"),
                                ("Investigating", "1"), ("Closed", "1")]


def test_other_handlers_do_not_see_them(stack, org, cases):
    r = stats(stack, org["contact-two"])
    got = numbers(r)
    assert got["opened"] == "2" and got["overdue"] == "2"
    assert got["ack"] == ("2", "1", "50 %")
    assert sorted(got["by-category"]) == [(SAFETY, "1"), (FRAUD, "1")]
    assert "Money matters" not in r.text and "HYPERLINK" not in r.text
    assert [o["value"] for o in page(r).select("#tenant option")] == ["", TWO]
    # Not theirs: refused, the same as a tenant that does not exist.
    for slug in (ONE, "no-such-tenant"):
        r = stats(stack, org["contact-two"], PERIOD + f"&tenant={slug}", 400)
        assert page(r).find(id="error-summary")
        assert "Money matters" not in r.text
        r = org["contact-two"].get(
            stack.url + f"/cases/stats.csv?{PERIOD}&tenant={slug}")
        assert r.status_code == 400 and "Money matters" not in r.text
    # An admin without a membership sees nothing at all.
    r = stats(stack, org["admin"])
    got = numbers(r)
    assert got["opened"] == "0" and got["overdue"] == "0"
    assert got["ack"] == ("0", "0", "–")
    assert got["by-category"] == []
    assert all(n == "0" for _, n in got["by-month"] + got["by-status"])
    assert "do not handle cases" in r.text
    stats(stack, org["admin"], PERIOD + f"&tenant={ONE}", 400)
    # Anonymous visitors are sent to sign in.
    for path in ("/cases/stats", "/cases/stats.csv"):
        r = stack.get(path + "?" + PERIOD)
        assert r.status_code == 303
        assert r.headers["location"] == "/auth/login"


def test_charts_are_svg_with_hostile_labels_as_text(stack, org, cases):
    r = stats(stack, org["contact-one"])
    assert XSS not in r.text
    assert "<script" not in r.text
    assert 'alert("stats")' not in r.text
    assert "&lt;/text&gt;&lt;script&gt;alert(&quot;stats&quot;)" in r.text
    doc = page(r)
    charts = doc.select("div.chart > svg")
    assert [c["id"] for c in charts] == ["chart-months", "chart-categories",
                                         "chart-statuses"]
    for svg in charts:
        assert svg["role"] == "img"
        assert svg["viewbox"].startswith("0 0 640 ")
        title = svg.find("title", recursive=False)
        desc = svg.find("desc", recursive=False)
        assert title and title.text and desc and desc.text
        assert svg["aria-labelledby"] == title["id"]
        assert svg["aria-describedby"] == desc["id"]
        # Only the chart's own elements, and no styles, links or handlers.
        assert {t.name for t in svg.find_all(True)} <= {
            "title", "desc", "g", "rect", "line", "text"}
        for el in [svg] + svg.find_all(True):
            for a in el.attrs:
                assert a != "style" and "href" not in a \
                    and not a.startswith("on"), (el.name, a)
    months, categories, statuses = charts
    assert len(months.find_all("rect")) == 6
    assert len(categories.find_all("rect")) == 3
    assert len(statuses.find_all("rect")) == 4
    # The hostile label is the text of a text element, whole in the
    # tooltip, escaped: the browser shows it as it was typed.
    texts = [t.text for t in categories.find_all("text")]
    assert XSS in texts
    tips = [t.text for t in categories.find_all("title")]
    assert f"{XSS}: 1" in tips and "Money matters: 2" in tips
    # Bars scale: 2 of an axis to 2 fills the plot, 1 fills half.
    widths = [int(r["width"]) for r in categories.find_all("rect")]
    assert widths == [560, 280, 280]
    # The page's CSP allows no inline style: the charts need none.
    assert "style=" not in r.text


def test_csv(stack, org, cases):
    r = org["contact-one"].get(stack.url + "/cases/stats.csv?" + PERIOD)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == (
        'attachment; filename="ombud-statistics-all-2024-01-01-'
        '2024-06-30.csv"')
    assert r.content.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in r.content
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"),
                                       newline="")))
    assert rows[0] == ["section", "key", "label", "value"]
    got = {(s, k): v for s, k, _, v in rows[1:]}
    labels = {(s, k): l for s, k, l, _ in rows[1:]}
    assert got[("period", "organisation")] == "All your organisations"
    assert got[("period", "from")] == "2024-01-01"
    assert got[("period", "to")] == "2024-06-30"
    assert got[("summary", "opened")] == "4"
    assert got[("summary", "acknowledged")] == "3"
    assert got[("summary", "median_days_to_acknowledgement")] == "4"
    assert got[("summary", "with_feedback")] == "2"
    assert got[("summary", "median_days_to_feedback")] == "82.5"
    assert got[("compliance", "acknowledgement_due")] == "4"
    assert got[("compliance", "acknowledged_within_7_days")] == "2"
    assert got[("compliance", "acknowledged_within_7_days_percent")] == "50"
    assert got[("compliance", "feedback_due")] == "4"
    assert got[("compliance", "feedback_within_3_months")] == "1"
    assert got[("compliance", "feedback_within_3_months_percent")] == "25"
    assert got[("compliance", "open_overdue_today")] == "3"
    assert [(k, v) for (s, k), v in got.items() if s == "month"] == [
        ("2024-01", "2"), ("2024-02", "1"), ("2024-03", "1"),
        ("2024-04", "0"), ("2024-05", "0"), ("2024-06", "0")]
    assert [(k, v) for (s, k), v in got.items() if s == "status"] == [
        ("new", "1"), ("acknowledged", "1"), ("investigating", "1"),
        ("closed", "1")]
    assert [(k, labels[("category", k)], v) for (s, k), v in got.items()
            if s == "category"] == [
        ("money", "Money matters", "2"), ("evil", XSS, "1"),
        # The formula is defused: a spreadsheet shows it as text.
        ("formula", "'" + FORMULA, "1")]
    # Quotes inside a field are doubled, the field quoted.
    assert b'"\'=HYPERLINK(""http://evil.example"",""x""), ""quoted"""' \
        in r.content
    # The same numbers as the page, for one tenant too.
    r = org["lawyer"].get(stack.url + f"/cases/stats.csv?{PERIOD}"
                          f"&tenant={TWO}")
    assert r.status_code == 200
    assert f'filename="ombud-statistics-{TWO}-2024-01-01-2024-06-30.csv"' \
        in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"),
                                       newline="")))
    got = {(s, k): v for s, k, _, v in rows[1:]}
    assert got[("period", "organisation")] == "Stats-Two ApS"
    assert got[("summary", "opened")] == "2"
    assert "Money matters" not in r.text


# (query, answered by the page with the form and the reason): a field
# longer than declared or holding a control character is refused before
# the handler runs, with the plain 400 page.
@pytest.mark.parametrize("query,form", [
    ("from=2024-02-30&to=2024-06-30", True),      # no such day
    ("from=2023-02-29&to=2024-06-30", True),      # not a leap year
    ("from=2024-1-01&to=2024-06-30", True),
    ("from=01-01-2024", True),
    ("to=yesterday", True),
    ("from=2024-00-10", True),
    ("from=1899-12-31&to=1900-01-31", True),
    ("from=2024-07-01&to=2024-06-30", True),      # from after to
    ("from=2019-01-01&to=2024-01-01", True),      # 61 months
    ("from=2024-01-01&from=2024-02-01&to=2024-06-30", True),
    ("tenant=stats-one&tenant=stats-one", True),
    ("from=2024-01-01T00:00", False),
    ("from=%2B2024-01-01", False),
    ("from=+2024-01-01", False),
    ("from=2024-01-0%00", False),
    ("from=" + "2" * 11, False),
])
def test_garbage_is_refused(stack, org, cases, query, form):
    for path in ("/cases/stats", "/cases/stats.csv"):
        r = org["contact-one"].get(stack.url + path + "?" + query,
                                   allow_redirects=False)
        assert r.status_code == 400, (path, query)
        assert "Money matters" not in r.text
        assert not r.headers["content-type"].startswith("text/csv")
        if path == "/cases/stats":
            doc = page(r)
            assert bool(doc.find(id="error-summary")) == form
            assert bool(doc.find(id="tenant")) == form


def test_edges_of_the_period(stack, org, cases):
    # 60 months is the most; one day is a period too.
    got = numbers(stats(stack, org["contact-one"],
                        "from=2019-07-01&to=2024-06-30"))
    assert len(got["by-month"]) == 60 and got["opened"] == "5"
    got = numbers(stats(stack, org["contact-one"],
                        "from=2024-01-10&to=2024-01-10"))
    assert got["opened"] == "1" and got["by-month"] == [("2024-01", "1")]
    assert got["median-ack"] == "3" and got["median-feedback"] == "28"
    # Only to: from is the first of the month 11 months before.
    doc = page(stats(stack, org["contact-one"], "to=2024-06-15"))
    assert doc.find(id="period-from").text == "2023-07-01"
    # Nothing given: the last 12 months up to today.
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT to_char(date_trunc('month', current_date) - "
                    "interval '11 months', 'YYYY-MM-DD'), "
                    "to_char(current_date, 'YYYY-MM-DD')")
        want_from, want_to = cur.fetchone()
    r = stats(stack, org["contact-one"], "")
    doc = page(r)
    assert doc.find(id="period-from").text == want_from
    assert doc.find(id="period-to").text == want_to
    assert len(numbers(r)["by-month"]) == 12
    assert doc.find(id="csv")["href"] == (
        f"/cases/stats.csv?tenant=&from={want_from}&to={want_to}")
    # Nothing in a period: no category chart, zeros and dashes.
    got = numbers(stats(stack, org["contact-one"],
                        "from=2020-01-01&to=2020-01-31"))
    assert got["opened"] == "0" and got["by-category"] == []
    assert got["median-ack"] == "none acknowledged"
    assert got["feedback"] == ("0", "0", "–")


def test_linked_from_the_list_and_translated(stack, org, cases):
    s = org["contact-one"]
    doc = page(s.get(stack.url + "/cases/"))
    assert doc.find(id="stats-link")["href"] == "/cases/stats"
    r = s.post(stack.url + "/lang", allow_redirects=False,
               data={"lang": "da", "return": "/cases/stats",
                     "csrf": page(s.get(stack.url + "/cases/stats")).select_one(
                         'form[action="/lang"] input[name="csrf"]')["value"]})
    assert r.status_code == 303
    try:
        r = stats(stack, s)
        doc = page(r)
        assert doc.find("h1").text == "Statistik"
        assert numbers(r)["by-status"][0] == ("Ny", "1")
        svg = doc.find(id="chart-months")
        assert re.search(r"[æøå]|måned", svg.find("title").text)
        r = s.get(stack.url + "/cases/stats.csv?" + PERIOD)
        assert "Sager oprettet" in r.content.decode("utf-8-sig")
    finally:
        s.post(stack.url + "/lang", allow_redirects=False,
               data={"lang": "en", "return": "/cases/",
                     "csrf": page(s.get(stack.url + "/cases/")).select_one(
                         'form[action="/lang"] input[name="csrf"]')["value"]})


def test_a_category_no_longer_listed_shows_its_key(stack, org, cases):
    with stack.db() as c, c.cursor() as cur:
        cur.execute("UPDATE cases SET category = 'retired-key' "
                    "WHERE id = %s", (cases["e"],))
    try:
        got = numbers(stats(stack, org["contact-one"],
                            "from=2023-12-01&to=2023-12-31"))
        assert got["by-category"] == [("retired-key", "1")]
    finally:
        with stack.db() as c, c.cursor() as cur:
            cur.execute("UPDATE cases SET category = 'money' "
                        "WHERE id = %s", (cases["e"],))
