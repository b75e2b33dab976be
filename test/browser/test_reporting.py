"""The anonymous reporter's way through the pages in a real browser
(issue 5): headless Chromium with JavaScript disabled opens a tenant's
page, sends a report (first with a mistake), keeps the receipt, comes
back with it typed carelessly, reads the case, writes a message and
signs out.  Every page is checked at a desktop width and at a 320 px
wide window (no sideways scrolling), for CSP violations and requests to
other origins, and for the basics of accessibility; the same pages'
bytes as sent are checked for HTML5 validity.  A screenshot of each
page at both widths is kept as a test artefact (docs/testing.md)."""

import re
import shutil
import subprocess
from urllib.parse import quote, urlsplit

import html5lib
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import BUILD, page_token

from .conftest import (WAIT, check_png, click_and_wait, csp_violations,
                       requests_made, screenshot)

SLUG = "lantern"
TENANT = "Lantern & Wick ApS"           # escaped on every page
CANARY = "canary-browser-4Hq9: stock counts changed after the audit"
WHEN = "the week of the <stock> audit"  # typed, kept, shown escaped
MESSAGE = "canary-browser-message-7Vd2: the ledger is in room 4"
RECEIPT_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){4}$")
DESKTOP = (1024, 768)
PHONE = (320, 800)
SUBMIT = "main form button[type=submit]"

# Warnings of tidy 5.6 (2017) that are no error in today's HTML
# standard: attributes it added later.  Add one here only with the
# section of the standard that allows it.
TIDY_FALSE_POSITIVES = (
    # "autocapitalize" is a global attribute (WHATWG HTML 6.8.6).
    'proprietary attribute "autocapitalize"',
)


@pytest.fixture(scope="module")
def tenant(stack):
    r = subprocess.run(
        [str(BUILD / "services" / "ombudctl" / "ombudctl"), "--config",
         stack.info["OMBUD_CONFIG"], "tenant", "add", SLUG, "--name",
         TENANT, "--recovery-key-file", str(stack.var / f"{SLUG}.key")],
        capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return SLUG


# -- what is checked on every page --

def describe(el):
    ident = el.get_attribute("id")
    name = el.get_attribute("name")
    return (f"<{el.tag_name}" + (f' id="{ident}"' if ident else "")
            + (f' name="{name}"' if name else "") + ">")


def labelled(driver, el):
    ident = el.get_attribute("id")
    if ident:
        for label in driver.find_elements(By.CSS_SELECTOR,
                                          f'label[for="{ident}"]'):
            if label.get_attribute("textContent").strip():
                return True
    if el.find_elements(By.XPATH, "ancestor::label[normalize-space()]"):
        return True
    # A legend names a group of choices; it is no name for a text field.
    return el.get_attribute("type") in ("radio", "checkbox") and \
        bool(el.find_elements(
            By.XPATH, "ancestor::fieldset[legend[normalize-space()]]"))


def accessibility_problems(driver):
    """What a screen reader would miss: the page's language, its one
    main heading, a name for every control a user can reach."""
    problems = []
    html = driver.find_element(By.TAG_NAME, "html")
    if not (html.get_attribute("lang") or "").strip():
        problems.append("<html> has no lang")
    h1s = driver.find_elements(By.TAG_NAME, "h1")
    if len(h1s) != 1:
        problems.append(f"{len(h1s)} <h1> elements, not one")
    for label in driver.find_elements(By.CSS_SELECTOR, "label[for]"):
        target = label.get_attribute("for")
        if not driver.find_elements(By.ID, target):
            problems.append(f'<label for="{target}"> names no element')
    for el in driver.find_elements(By.CSS_SELECTOR,
                                   "input, select, textarea"):
        if el.get_attribute("type") == "hidden" or not el.is_displayed():
            continue
        if not labelled(driver, el):
            problems.append(f"{describe(el)} has no label")
    for el in driver.find_elements(By.TAG_NAME, "button"):
        if el.is_displayed() and not el.text.strip():
            problems.append(f"{describe(el)} has no text")
    return problems


# Every element whose right edge lies beyond the viewport, and the
# page's own scroll width.  WebDriver runs this through DevTools, which
# the page's JavaScript setting does not govern: the pages' scripts stay
# off (test_checks_catch_what_they_look_for shows both).  The skip link
# sits far to the left on purpose; a left overflow cannot be scrolled
# to, so only the right edge counts.
WIDE_ELEMENTS = """
const vw = document.documentElement.clientWidth, wide = [];
for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && r.right > vw + 0.5)
        wide.push('<' + el.localName + (el.id ? ' id="' + el.id + '"' : '')
            + (el.getAttribute('class') ? ' class="'
               + el.getAttribute('class') + '"' : '')
            + '> ' + Math.round(r.left) + '..' + Math.round(r.right));
}
return {viewport: vw, scroll: document.documentElement.scrollWidth,
        wide: wide};
"""


def overflow_problems(driver):
    m = driver.execute_script(WIDE_ELEMENTS)
    problems = [f"{w} px, beyond the {m['viewport']} px viewport"
                for w in m["wide"]]
    if m["scroll"] > m["viewport"]:
        problems.append(f"the page scrolls sideways: {m['scroll']} px "
                        f"wide in a {m['viewport']} px viewport")
    return problems


def html_problems(html):
    """Errors in a page as sent.  html5lib parses as the HTML standard
    says and lists every parse error (strict=True would stop at the
    first); tidy knows rules a parser does not check (attributes that do
    not exist, ids used twice, an <img> without alt).  tidy's warnings
    count too, except the false positives above; empty elements are
    valid HTML, so it is told not to drop (and warn about) them."""
    problems = []
    parser = html5lib.HTMLParser()
    parser.parse(html)
    for (line, col), code, data in parser.errors:
        problems.append(f"html5lib line {line} column {col}: {code} {data}")
    tidy = shutil.which("tidy")
    assert tidy, "tidy is not installed: scripts/deps install test"
    r = subprocess.run([tidy, "-q", "-e", "--show-info", "no",
                        "--drop-empty-elements", "no", "-"],
                       input=html.encode(), capture_output=True, timeout=60)
    for line in r.stderr.decode("utf-8", "replace").splitlines():
        if line.strip() and not any(f in line for f in TIDY_FALSE_POSITIVES):
            problems.append(f"tidy {line}")
    if r.returncode not in (0, 1, 2):
        problems.append(f"tidy exited with {r.returncode}")
    return problems


class Visit:
    """Checks each page the reporter sees and keeps its screenshots;
    what it finds is gathered, so that one run lists every page's
    problems, and asserted at the end."""

    def __init__(self, driver, origin, artifacts):
        self.driver, self.origin, self.artifacts = driver, origin, artifacts
        self.problems = []
        self.shots = []
        driver.set_window_size(*DESKTOP)
        driver.get("about:blank")
        csp_violations(driver)      # drain what earlier tests left
        requests_made(driver)

    def page(self, name):
        d = self.driver
        found = [f"CSP: {m}" for m in csp_violations(d)]
        found += [f"request to another origin: {u}"
                  for u in requests_made(d)
                  if urlsplit(u)[:2] != urlsplit(self.origin)[:2]]
        found += accessibility_problems(d)
        self.shoot(f"{name}.png")
        d.set_window_size(*PHONE)
        try:
            # Chromium could keep a window wider than asked for; then
            # the check below would be looking at the wrong width.
            assert d.execute_script("return innerWidth") == PHONE[0]
            found += [f"at {PHONE[0]} px: {p}" for p in overflow_problems(d)]
            self.shoot(f"{name}-{PHONE[0]}.png")
        finally:
            d.set_window_size(*DESKTOP)
        self.problems += [f"{name} ({d.current_url}): {p}" for p in found]

    def shoot(self, filename):
        path = self.artifacts / filename
        screenshot(self.driver, path)
        self.shots.append(path)


# -- the tests --

def test_checks_catch_what_they_look_for(browser):
    """The page checks find what they exist to find, and the browser
    runs no page script while WebDriver's own scripts still work."""
    bad = ("<!doctype html><html><head><title>bad</title></head><body>"
           "<h1>One</h1><h1>Two</h1><form><input id=a type=text>"
           "<label for=ghost>Ghost</label><div style='width:400px'>"
           "wide</div><button></button></form>"
           "<script>document.title = 'script ran'</script></body></html>")
    browser.set_window_size(*PHONE)
    try:
        browser.get("data:text/html;charset=utf-8," + quote(bad))
        assert browser.title == "bad"
        assert browser.execute_script("return 6 * 7") == 42
        assert sorted(accessibility_problems(browser)) == sorted([
            "<html> has no lang", "2 <h1> elements, not one",
            '<label for="ghost"> names no element',
            '<input id="a"> has no label', "<button> has no text"])
        wide = overflow_problems(browser)
        assert any(p.startswith("<div> ") for p in wide), wide
        assert any("scrolls sideways" in p for p in wide), wide
    finally:
        browser.set_window_size(*DESKTOP)
    assert any("html5lib" in p and "end-tag" in p
               for p in html_problems(bad.replace("</form>", "</div>")))
    assert any("tidy" in p and 'anchor "a" already defined' in p
               for p in html_problems(bad.replace("<h1>Two", "<h1 id=a>Two")))


def test_report_and_follow_up_without_javascript(stack, tenant, browser,
                                                 artifacts):
    visit = Visit(browser, stack.url, artifacts)
    base = f"{stack.url}/t/{tenant}"

    browser.get(base + "/")
    assert TENANT in browser.find_element(By.TAG_NAME, "h1").text
    visit.page("01-tenant")

    click_and_wait(browser, f'main a[href="/t/{tenant}/report"]')
    assert browser.current_url == base + "/report"
    visit.page("02-report-form")

    # A mistake first: no description.  Nothing is sent, the mistake is
    # named in the summary and beside the field, what was typed stays.
    category = Select(browser.find_element(By.ID, "category"))
    category.select_by_value("fraud")
    about = category.first_selected_option.text
    browser.find_element(By.ID, "when").send_keys(WHEN)
    click_and_wait(browser, SUBMIT)
    summary = browser.find_element(By.ID, "error-summary")
    assert summary.is_displayed()
    assert summary.find_elements(By.CSS_SELECTOR, 'a[href="#description"]')
    error = browser.find_element(By.ID, "description-error")
    assert error.is_displayed() and error.text.strip()
    assert browser.find_element(By.ID, "when").get_attribute("value") == WHEN
    assert Select(browser.find_element(By.ID, "category")) \
        .first_selected_option.get_attribute("value") == "fraud"
    visit.page("03-report-errors")

    browser.find_element(By.ID, "description").send_keys(CANARY)
    click_and_wait(browser, SUBMIT)
    assert not browser.find_elements(By.ID, "error-summary")
    receipt = browser.find_element(By.ID, "receipt").text.strip()
    assert RECEIPT_RE.match(receipt), receipt
    visit.page("04-receipt")

    # Back as a careless typist: lower case, spaces for dashes.
    click_and_wait(browser, f'main a[href="/t/{tenant}/followup"]')
    assert browser.current_url == base + "/followup"
    visit.page("05-followup")
    browser.find_element(By.ID, "receipt").send_keys(
        receipt.replace("-", " ").lower())
    click_and_wait(browser, SUBMIT)
    assert browser.current_url == base + "/case"
    assert "Received" in browser.find_element(By.ID, "case-status").text
    report = browser.find_element(By.CSS_SELECTOR, "main .report").text
    assert CANARY in report and WHEN in report
    assert about in browser.find_element(By.TAG_NAME, "main").text
    assert not browser.find_elements(By.CSS_SELECTOR, ".message")
    # The upload form is there (another pool serves it: not sent here).
    assert browser.find_elements(
        By.CSS_SELECTOR, f'form[action="/t/{tenant}/case/files"]'
        '[enctype="multipart/form-data"] input[type=file]')
    visit.page("06-case")

    browser.find_element(By.ID, "body").send_keys(MESSAGE)
    click_and_wait(browser, f'form[action="/t/{tenant}/case/messages"] '
                   'button[type=submit]')
    assert browser.current_url == base + "/case"
    messages = [m.text for m in
                browser.find_elements(By.CSS_SELECTOR, ".message")]
    assert len(messages) == 1 and MESSAGE in messages[0], messages
    visit.page("07-case-message")

    # Signing out ends the session: the case page sends back to the
    # follow-up form.
    click_and_wait(browser, f'form[action="/t/{tenant}/case/logout"] '
                   'button[type=submit]')
    assert browser.current_url == base + "/"
    visit.page("08-signed-out")
    browser.get(base + "/case")
    assert browser.current_url == base + "/followup"
    visit.page("09-case-after-sign-out")

    assert not visit.problems, "\n".join(visit.problems)
    # Two screenshots a page, all new this run (screenshot() checks
    # each is a PNG of the window's width).
    assert len(visit.shots) == 18
    for path in visit.shots:
        assert path.stat().st_size > 0, path


def test_reporter_pages_are_valid_html(stack, tenant):
    """The pages of the browser test, and their error states, fetched
    with requests: driver.page_source is the DOM the browser built,
    with any error already repaired."""
    s = stack.session()
    base = f"{stack.url}/t/{tenant}"
    pages = {}

    def fetch(name, method, path, status, **data):
        r = s.request(method, base + path, data=data or None,
                      allow_redirects=False, timeout=WAIT)
        assert r.status_code == status, (name, r.status_code, r.text)
        if status != 303:
            pages[name] = r.text
        return r

    fetch("tenant", "GET", "/", 200)
    csrf = page_token(fetch("report", "GET", "/report", 200).text)
    fetch("report-errors", "POST", "/report", 400, csrf=csrf,
          category="", description="", when=WHEN)
    r = fetch("receipt", "POST", "/report", 200, csrf=csrf,
              category="fraud", description=CANARY, when=WHEN)
    receipt = re.search(r'id="receipt">([^<]+)<', r.text).group(1)
    csrf = page_token(fetch("followup", "GET", "/followup", 200).text)
    fetch("followup-error", "POST", "/followup", 400, csrf=csrf,
          receipt="0000-0000")
    fetch("followup-done", "POST", "/followup", 303, csrf=csrf,
          receipt=receipt)
    csrf = page_token(fetch("case", "GET", "/case", 200).text)
    fetch("case-error", "POST", "/case/messages", 400, csrf=csrf, body=" ")
    fetch("message-sent", "POST", "/case/messages", 303, csrf=csrf,
          body=MESSAGE)
    fetch("case-message", "GET", "/case", 200)

    assert len(pages) == 9
    problems = [f"{name}: {p}" for name, html in pages.items()
                for p in html_problems(html)]
    assert not problems, "\n".join(problems)
