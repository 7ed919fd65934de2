"""Browser tests are skipped (not failed) where Debian's chromium is missing; CI installs it."""
import pytest

from tests.conftest import chromium_available


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            if not chromium_available():
                item.add_marker(pytest.mark.skip(reason="needs Debian's /usr/bin/chromium (CI installs it)"))
