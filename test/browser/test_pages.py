"""Pages in a real browser: headless Chromium with JavaScript disabled,
as a reporter in Tor Browser's "Safest" mode would see them."""

from selenium.webdriver.common.by import By

from .conftest import click_and_wait, csp_violations


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


def test_language_buttons_work_without_javascript(stack, browser):
    browser.get(stack.url + "/no-such-page")
    click_and_wait(browser, "button[value=da]")
    assert browser.current_url == stack.url + "/no-such-page"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "da"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Side ikke fundet"
    click_and_wait(browser, "button[value=en]")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Page not found"
    assert csp_violations(browser) == []
