"""A shared link that is the very first request after a server start still goes through app.py.

Streamlit starts an app that has a app_pages/ folder in its old folder mode until app.py calls
st.navigation (see ui/__init__.py); a teacher's link opened right after a restart used to
show file names in the sidebar and skip app.py's page set-up.
"""
import subprocess
import sys
import time
import urllib.request

from playwright.sync_api import expect

from tests.conftest import ROOT, _free_port


def test_first_request_is_a_deep_link(page, artifacts_dir):
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--browser.serverAddress", "localhost", "--server.fileWatcherType", "none"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(240):
            try:
                if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.25)
        page.goto(f"{url}/maths?opt=Lion")   # nobody has opened "/" on this server yet
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav.get_by_text("The maths")).to_be_visible(timeout=60_000)   # app.py's titles...
        expect(nav.get_by_text("Optimizer race")).to_be_visible()
        assert nav.get_by_text("maths", exact=True).count() == 0               # ...not file names
        assert page.get_by_text("Page not found").count() == 0
        assert page.get_by_test_id("stException").count() == 0
        assert "opt=Lion" in page.url
        page.screenshot(path=str(artifacts_dir / "cold_shared_link.png"))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
