"""Real browser: the moons page's "Optimizers" box builds its editors when it is opened (on_change="rerun"), an edit
there reaches the link and the training, and closing the box keeps it."""
from urllib.parse import unquote

from playwright.sync_api import expect

from tests.helpers import wait_idle


def test_opening_the_box_shows_the_editors_and_an_edit_reaches_the_link(page, server):
    page.goto(f"{server}/moons?epochs=2&samples=60&o1=Adam;learning_rate=0.01&o2=Lion")
    expect(page.get_by_text("Decision boundaries and loss, epoch by epoch")).to_be_visible(timeout=120_000)
    wait_idle(page, 120_000)
    box = page.get_by_test_id("stExpander").filter(has_text="Optimizers (up to 8)")
    expect(box).to_have_count(1)
    sliders = box.get_by_test_id("stSlider")  # Streamlit draws a select-slider as a slider
    expect(sliders).to_have_count(0)  # closed: no editor built
    box.locator("summary").click()
    expect(sliders.first).to_be_visible(timeout=60_000)
    wait_idle(page, 120_000)
    assert sliders.count() >= 5  # Adam's and Lion's hyperparameters
    # Move Adam's first hyperparameter one notch with the keyboard: the link follows.
    before = page.url
    thumb = sliders.first.get_by_role("slider")
    thumb.focus()
    thumb.press("ArrowRight")
    page.wait_for_function("u => location.href !== u", arg=before, timeout=60_000)
    wait_idle(page, 120_000)
    edited = unquote(page.url)
    o1 = edited.split("o1=")[1].split("&")[0]
    assert o1.startswith("Adam;") and o1 != "Adam;learning_rate=0.01", edited
    # Close the box: the editors go, the edited line-up stays (link and training).
    box.locator("summary").click()
    expect(sliders).to_have_count(0, timeout=60_000)
    wait_idle(page, 120_000)
    assert unquote(page.url) == edited
    expect(page.get_by_test_id("stException")).to_have_count(0)
