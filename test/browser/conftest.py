"""What the browser tests share: headless Chromium with JavaScript
disabled, as a reporter in Tor Browser's "Safest" mode would see the
pages, and helpers to drive it and read what it logged."""

import json
import struct
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import (StaleElementReferenceException,
                                        WebDriverException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import BUILD

# Generous: a slow CI machine runs Argon2id on every report and
# follow-up, beside a sanitizer build.
WAIT = 30


@pytest.fixture(scope="module")
def browser():
    profile = tempfile.mkdtemp(prefix="ombud-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-dev-shm-usage",
                f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    opts.accept_insecure_certs = True   # the stack's self-signed cert
    opts.add_experimental_option(
        "prefs", {"profile.managed_default_content_settings.javascript": 2})
    # "performance" carries the DevTools network events: every URL the
    # browser asked for (requests_made).
    opts.set_capability("goog:loggingPrefs",
                        {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                              options=opts)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def artifacts():
    """Where screenshots go: $OMBUD_ARTIFACTS, else the build's
    test-artifacts/browser (so CI can keep them per build)."""
    path = Path(os.environ.get("OMBUD_ARTIFACTS")
                or BUILD / "test-artifacts" / "browser")
    path.mkdir(parents=True, exist_ok=True)
    return path


def csp_violations(driver):
    return [e["message"] for e in driver.get_log("browser")
            if "Content Security Policy" in e["message"]
            or "Refused to" in e["message"]]


def requests_made(driver):
    """The URLs the browser requested since the last call (the log is
    drained by reading it)."""
    urls = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    return urls


def replaced(element):
    """Whether the page element was on has been replaced.  While the
    old document is torn down, Chromium may answer "node does not belong
    to the document" instead of "stale element"; both mean gone."""
    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as e:
        if "does not belong to the document" in str(e):
            return True
        raise
    return False


def click_and_wait(browser, selector):
    """Clicks what selector finds and waits until a new page replaced
    the current one."""
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(browser, WAIT).until(lambda _: replaced(old))


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def check_png(path, width):
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path} is not a PNG"
    w, h = struct.unpack(">II", data[16:24])      # IHDR
    assert w == width and h > 0, (path, w, h)


def screenshot(driver, path):
    """A PNG of the whole page at the window's width: the window is
    made as tall as the page (plus what the browser's frame takes) for
    the shot, then put back."""
    size = driver.get_window_size()
    height = driver.execute_script(
        "return document.documentElement.scrollHeight"
        " + outerHeight - innerHeight")
    driver.set_window_size(size["width"],
                           min(max(height, size["height"]), 8000))
    path.unlink(missing_ok=True)    # a stale file must not pass as new
    try:
        width = driver.execute_script(
            "return Math.round(innerWidth * devicePixelRatio)")
        assert driver.save_screenshot(str(path)), path
    finally:
        driver.set_window_size(size["width"], size["height"])
    check_png(path, width)
