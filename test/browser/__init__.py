"""A package only so that pytest gives these modules their own names
(browser.test_reporting beside test/integration's test_reporting): with
the default "prepend" import mode two test files of the same name in
directories without __init__.py collide in one session."""
