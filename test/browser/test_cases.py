"""A handler's way through the pages in a real browser (issue 6):
headless Chromium with JavaScript disabled signs in with the password
and the SMS code from the dev stack's log, finds a report on the case
list, opens it decrypted, replies, and sees the reply in the thread.
Screenshots of the list and the case are kept as test artefacts."""

import re
import subprocess
import time

from selenium.webdriver.common.by import By

from conftest import BUILD, page_token

from .conftest import (WAIT, click_and_wait, csp_violations, requests_made,
                       screenshot)

PASSWORD = "Harbour-Lantern-47!"
EMAIL, PHONE = "browser@handler.example", "+4570000001"
CANARY = "canary-handler-browser-8Kp1: the invoices were split"
REPLY = "canary-handler-reply-2Xw: thank you, we are looking into it"


def ctl(stack, *args, stdin=None):
    subprocess.run([str(BUILD / "services" / "ombudctl" / "ombudctl"),
                    "--config", stack.info["OMBUD_CONFIG"], *args],
                   input=stdin, text=True, check=True, capture_output=True,
                   timeout=120)


def sms_code(stack, after):
    log = stack.var / "log" / "sms.log"
    deadline = time.time() + WAIT
    while time.time() < deadline:
        lines = log.read_text().splitlines()[after:] if log.exists() else []
        mine = [l for l in lines if f"\t{PHONE}\t" in l]
        if mine:
            return re.search(r"\b(\d{6})\b", mine[-1]).group(1)
        time.sleep(0.2)
    raise AssertionError("no SMS arrived")


def test_a_handler_reads_and_answers_a_report(stack, browser, artifacts):
    key = stack.var / "harbour-browser.key"
    ctl(stack, "tenant", "add", "harbour", "--name", "Harbour & Co",
        "--recovery-key-file", str(key))
    ctl(stack, "user", "add", "--email", EMAIL, "--role", "tenant-user",
        "--phone", PHONE, "--tenant", "harbour", "--recovery-key-file",
        str(key), "--password-stdin", stdin=PASSWORD + "\n")
    s = stack.session()
    r = s.post(stack.url + "/t/harbour/report",
               data={"category": "fraud", "description": CANARY,
                     "csrf": page_token(
                         s.get(stack.url + "/t/harbour/report").text)})
    assert r.status_code == 200
    with stack.db() as c, c.cursor() as cur:
        cur.execute("SELECT id, number FROM cases ORDER BY id DESC LIMIT 1")
        case_id, number = cur.fetchone()

    log = stack.var / "log" / "sms.log"
    before = len(log.read_text().splitlines()) if log.exists() else 0
    browser.set_window_size(1024, 768)
    requests_made(browser)      # what the browser did before is not ours
    browser.get(stack.url + "/auth/login")
    browser.find_element(By.ID, "email").send_keys(EMAIL)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    click_and_wait(browser, "main form button[type=submit]")
    assert browser.current_url.endswith("/auth/otp")
    browser.find_element(By.ID, "code").send_keys(sms_code(stack, before))
    click_and_wait(browser, "main form button[type=submit]")
    assert browser.current_url.endswith("/cases/")

    rows = browser.find_elements(By.CSS_SELECTOR, "tr.case")
    assert any(number in row.text for row in rows)
    screenshot(browser, artifacts / "handler-01-case-list.png")

    browser.find_element(By.LINK_TEXT, number).click()
    assert browser.current_url.endswith(f"/cases/{case_id}")
    assert CANARY in browser.find_element(By.ID, "report").text
    screenshot(browser, artifacts / "handler-02-case.png")

    browser.find_element(By.ID, "reply").send_keys(REPLY)
    click_and_wait(browser, "form[action$='/reply'] button")
    thread = browser.find_elements(By.CSS_SELECTOR, "li.message")
    assert any(REPLY in m.text for m in thread)
    screenshot(browser, artifacts / "handler-03-case-replied.png")

    assert csp_violations(browser) == []
    origin = stack.url.rstrip("/")
    foreign = [u for u in requests_made(browser)
               if not u.startswith(origin + "/")]
    assert foreign == [], foreign
    for name in ("handler-01-case-list.png", "handler-02-case.png",
                 "handler-03-case-replied.png"):
        assert (artifacts / name).stat().st_size > 0
