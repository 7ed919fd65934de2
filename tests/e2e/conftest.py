"""Browser tests are skipped (not failed) where Debian's chromium is missing; CI installs it."""
import pytest
from playwright.sync_api import expect

from tests.conftest import chromium_available


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            if not chromium_available():
                item.add_marker(pytest.mark.skip(reason="needs Debian's /usr/bin/chromium (CI installs it)"))


@pytest.fixture(scope="module")
def server(app_url, browser):
    """The app's URL, after one session has run app.py: until then Streamlit 1.67 serves the app_pages/ folder
    in its old multipage mode, and a deep link like /race runs app_pages/race.py without app.py (no wide
    layout, file-name navigation)."""
    ctx = browser.new_context()
    p = ctx.new_page()
    p.goto(app_url)
    expect(p.get_by_test_id("stSidebarNav")).to_contain_text("Optimizer race", timeout=60_000)
    ctx.close()
    return app_url
