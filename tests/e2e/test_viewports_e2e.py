"""Every page as a class and a student see it: a 1440×900 laptop and a 390-px phone. Screenshots go to
artifacts/ (look at them); the page must render without an exception, never scroll sideways, and never cut a
link's label (the maths links once all read "The maths of Ada…")."""
import pytest
from playwright.sync_api import expect

from tests.helpers import wait_idle

PAGES = ["", "race", "learning_rate", "moons?epochs=40", "inspector", "compare", "maths"]
VIEWPORTS = {"laptop": (1440, 900), "phone": (390, 844)}

# The page's sideways overflow, and what sticks out (elements inside their own scroll box do not count).
OVERFLOW = """() => {
  const s = document.scrollingElement, w = window.innerWidth, out = [];
  for (const e of document.querySelectorAll('[data-testid=stMain] *')) {
    if (e.closest('svg') || e.closest('.katex-mathml')) continue;
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.right <= w + 1) continue;
    let p = e.parentElement, clipped = false;
    for (; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o !== 'visible' && p.getBoundingClientRect().right <= w + 1) { clipped = true; break; }
    }
    if (!clipped) out.push(`${e.tagName}.${String(e.className).slice(0, 40)} ${e.getAttribute('data-testid') || ''}`
                           + ` right=${Math.round(r.right)}`);
  }
  return {excess: s.scrollWidth - s.clientWidth, out: out.slice(0, 10)};
}"""

# Typesetting done: every formula Streamlit drew with KaTeX has its HTML, and the fonts are in.
TYPESET = """async () => { await document.fonts.ready;
  return [...document.querySelectorAll('[data-testid=stMain] .katex')].every(k => k.querySelector('.katex-html')); }"""


@pytest.mark.parametrize("view", sorted(VIEWPORTS))
@pytest.mark.parametrize("path", PAGES)
def test_page_renders_at_viewport(page, app_url, artifacts_dir, path, view):
    w, h = VIEWPORTS[view]
    page.set_viewport_size({"width": w, "height": h})
    page.goto(f"{app_url}/{path}")
    expect(page.get_by_test_id("stMain")).to_be_visible(timeout=60_000)
    wait_idle(page, timeout=180_000)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.wait_for_function(TYPESET, timeout=120_000)
    name = (path.split("?")[0] or "home")
    page.screenshot(path=str(artifacts_dir / f"view_{name}_{view}.png"), timeout=120_000)  # a loaded machine
    # No sideways scroll once the page has settled (a state: waited for, never a fixed sleep).
    try:
        page.wait_for_function(
            "() => document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth", timeout=60_000)
    except Exception:
        pytest.fail(f"{path or 'home'} at {w} px scrolls sideways: {page.evaluate(OVERFLOW)}")
    # Every page link shows its whole label (no "The maths of Ada…").
    cut = page.evaluate("""() => [...document.querySelectorAll('[data-testid=stPageLink-NavLink] span, [data-testid=stPageLink] p')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)""")
    assert not cut, cut


# Text boxes of a drawn figure (Plotly's SVG), in page pixels: title lines, annotations (the maps' titles) and
# legend entries.
TEXT_BOXES = """(key) => {
    const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
    if (!gd || !gd._fullLayout) return null;
    const box = e => { const b = e.getBoundingClientRect();
                       return {l: b.left, t: b.top, r: b.right, b: b.bottom, text: e.textContent}; };
    const all = sel => [...gd.querySelectorAll(sel)].filter(e => e.getBoundingClientRect().width > 0).map(box);
    return {W: gd.getBoundingClientRect().right, L: gd.getBoundingClientRect().left,
            heads: all('.annotation').filter(a => a.text.includes('diverged')),
            legend: all('.legend .legendtext'), title: all('.g-gtitle .gtitle')}; }"""


def test_basin_maps_on_a_phone_never_overlap_or_run_off(page, server, artifacts_dir):
    """Seen at 390 px: each map's "diverged … · elsewhere …" ran into its neighbour's, the legend's two fixed
    columns overlapped, and the settings line was cut ("… the same grid and st"); then the four maps, one figure,
    were shrunk to ~140 px each with empty rows between them. Now one figure per map, stacked on a phone."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{server}/compare?view=basins&land=himmelblau")
    wait_idle(page, timeout=240_000)
    keys = [f"cmp_basin_chart_{i}" for i in range(4)]
    page.wait_for_function("(keys) => keys.every(k => { const g = document.querySelector(`.st-key-${k} .js-plotly-plot`);"
                           " return !!(g && g._fullLayout); })", arg=keys, timeout=120_000)
    page.screenshot(path=str(artifacts_dir / "view_compare_basins_phone.png"), full_page=True)
    meets = lambda x, y: x["l"] < y["r"] - 1 and y["l"] < x["r"] - 1 and x["t"] < y["b"] - 1 and y["t"] < x["b"] - 1  # noqa: E731
    maps = []
    for key in keys:
        b = page.evaluate(TEXT_BOXES, key)
        heads, legend = b["heads"], b["legend"]
        assert len(heads) == 1 and len(legend) >= 4
        assert not [(x["text"], y["text"]) for i, x in enumerate(legend) for y in legend[i + 1:] if meets(x, y)]
        cut = [t["text"] for t in heads + legend + b["title"] if t["r"] > b["W"] + 1 or t["l"] < b["L"] - 1]
        assert not cut, cut
        maps.append(page.evaluate("(k) => { const r = document.querySelector(`.st-key-${k} .js-plotly-plot .nsewdrag`)"
                                  ".getBoundingClientRect(); return {l: r.left, t: r.top, r: r.right, b: r.bottom}; }",
                                  key))
    # stacked: one map a row, each as wide as the phone allows (≥ 250 px of the 390), one under the other
    assert all(m["r"] - m["l"] >= 250 for m in maps), maps
    assert all(abs(m["l"] - maps[0]["l"]) <= 1 for m in maps), maps
    assert all(b["t"] >= a["b"] for a, b in zip(maps, maps[1:])), maps
