"""Real browser: the maths page renders its formulas with KaTeX, jumps via ?opt= and survives bad links."""
import re

from playwright.sync_api import expect


def wait_idle(page, timeout=60_000):
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-testid=stApp]');"
        " return a && a.getAttribute('data-test-script-state') === 'notRunning'; }", timeout=timeout)


def open_maths(page, url, query=""):
    page.goto(f"{url}/maths{query}")
    expect(page.get_by_text("What differs", exact=True)).to_be_visible(timeout=60_000)
    wait_idle(page)


def rendered_formulas(page):
    """KaTeX output inside st.latex blocks, and any KaTeX parse errors anywhere."""
    return page.evaluate("""() => ({
        blocks: document.querySelectorAll('[data-testid=stMarkdownContainer] .katex-display').length,
        errors: document.querySelectorAll('.katex-error').length,
        mathml: Array.from(document.querySelectorAll('.katex-display .katex-mathml annotation'))
                     .map(a => a.textContent)})""")


def test_nadam_link_renders_both_flavours_with_katex(page, app_url, artifacts_dir):
    open_maths(page, app_url, "?opt=Nadam")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("heading", name="Nadam", exact=True)).to_be_visible()
    # KaTeX renders after the script finishes (lazily loaded): wait for the blocks instead of racing them.
    page.wait_for_function("() => document.querySelectorAll("
                           "'[data-testid=stMarkdownContainer] .katex-display').length >= 5", timeout=30_000)
    f = rendered_formulas(page)
    assert f["errors"] == 0
    assert f["blocks"] >= 5  # Keras 3, textbook, 3 for the common machinery (PyTorch sits in a closed expander)
    assert any("0.96^{t}" in m for m in f["mathml"])       # Keras 3 schedule
    assert any("0.96^{t/250}" in m for m in f["mathml"])   # Dozat's schedule
    # The hyperparameter table renders its symbols with KaTeX too.
    expect(page.get_by_test_id("stTable")).to_have_count(1)
    assert re.search(r"[?&]opt=Nadam", page.url)
    page.screenshot(path=str(artifacts_dir / "maths.png"))
    page.set_viewport_size({"width": 1400, "height": 5200})  # the app scrolls inside its own container
    page.screenshot(path=str(artifacts_dir / "maths_full.png"))


def test_selector_changes_optimizer_and_url(page, app_url):
    open_maths(page, app_url)
    expect(page.get_by_role("heading", name="Adam", exact=True)).to_be_visible()
    page.get_by_test_id("stSelectbox").click()
    page.get_by_role("option", name="Lion", exact=True).click()
    expect(page.get_by_role("heading", name="Lion", exact=True)).to_be_visible(timeout=30_000)
    wait_idle(page)
    assert re.search(r"[?&]opt=Lion", page.url)
    assert rendered_formulas(page)["errors"] == 0


def test_bad_link_shows_a_notice_not_a_traceback(page, app_url):
    open_maths(page, app_url, "?opt=NotAnOptimizer")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    notice = page.get_by_test_id("stAlert").filter(has_text="Ignored")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("opt = “NotAnOptimizer”")
    expect(page.get_by_role("heading", name="Adam", exact=True)).to_be_visible()
    wait_idle(page)
    assert re.search(r"[?&]opt=Adam", page.url)


FIT = """() => { const d = Array.from(document.querySelectorAll(
    '.st-key-rule_keras .katex-display, .st-key-rule_textbook .katex-display'));
    return d.length === 2 && d.every(e => e.clientWidth > 0 && e.scrollWidth <= e.clientWidth + 3); }"""
SIZES = """() => Array.from(document.querySelectorAll(
    '.st-key-rule_keras .katex-display, .st-key-rule_textbook .katex-display'))
    .map(e => [e.scrollWidth, e.clientWidth])"""


def test_longest_rules_fit_their_column(page, app_url):
    """Side by side, the widest rules (AdamW, Adam, RMSprop, Nadam) must not be cut off at 1400 px."""
    for name in ("AdamW", "Adam", "RMSprop", "Nadam"):
        open_maths(page, app_url, f"?opt={name}")
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
        page.evaluate("() => document.fonts.ready.then(() => true)")
        try:  # poll: the page may still be settling (a rerun, fonts)
            page.wait_for_function(FIT, timeout=10_000)
        except Exception:  # noqa: BLE001 - report the measured sizes instead of a bare timeout
            raise AssertionError(f"{name}: formula wider than its column: {page.evaluate(SIZES)}") from None
