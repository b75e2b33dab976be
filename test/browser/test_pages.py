"""Pages in a real browser: headless Chromium with JavaScript disabled,
as a reporter in Tor Browser's "Safest" mode would see them."""

import shutil
import tempfile

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


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
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                              options=opts)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def csp_violations(driver):
    return [e["message"] for e in driver.get_log("browser")
            if "Content Security Policy" in e["message"]
            or "Refused to" in e["message"]]


def test_home_page_renders_styled_without_javascript(stack, browser):
    browser.get(stack.url + "/")
    html = browser.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("lang") == "en"
    h1 = browser.find_element(By.TAG_NAME, "h1")
    assert "anonymous" in h1.text.lower()
    # The stylesheet loaded under the CSP: the page is not unstyled.
    body = browser.find_element(By.TAG_NAME, "body")
    assert "Times" not in body.value_of_css_property("font-family")
    assert csp_violations(browser) == []


def click_and_wait(browser, selector):
    old = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(browser, 15).until(EC.staleness_of(old))


def test_language_buttons_work_without_javascript(stack, browser):
    browser.get(stack.url + "/no-such-page")
    click_and_wait(browser, "button[value=da]")
    assert browser.current_url == stack.url + "/no-such-page"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "da"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Side ikke fundet"
    click_and_wait(browser, "button[value=en]")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Page not found"
    assert csp_violations(browser) == []
