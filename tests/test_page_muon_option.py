"""AppTest: Muon's "treat the point as a 1×2 matrix" option on the landscape pages (race, inspector, fair
comparison): a control with the one-sentence explanation, in the link, in the exports; absent on the network pages."""
import pytest

import optimizers
from optimizers.muon import point_note
from tests.helpers import open_app_page, open_editors, shown

LABEL = "Treat the point as a 1×2 matrix"
PAGES = {
    "race": ("app_pages/race.py", {"steps": "20"}),
    "inspector": ("app_pages/inspector.py", {"steps": "10", "k": "3"}),
    "compare": ("app_pages/compare.py", {"steps": "20", "view": "fair"}),
}


# The pages whose optimizer editors sit in a closed box (built only while it is open).
EDITORS = {"race": "race_editors"}


def _boxes(at):
    return [c for c in at.checkbox if c.label == LABEL]


@pytest.mark.parametrize("page", PAGES)
def test_option_from_the_link_is_shown_explained_and_kept_in_the_link(page):
    path, params = PAGES[page]
    at = open_app_page(path, **params, o1="Muon;as_matrix=1;learning_rate=0.05")
    if page in EDITORS:
        open_editors(at, EDITORS[page])
    assert not at.error, [e.value for e in at.error]
    boxes = _boxes(at)
    assert len(boxes) == 1 and boxes[0].value is True
    captions = " ".join(shown(c.value) for c in at.caption)
    assert point_note("keras", optimizers.get("Muon", as_matrix=True).hp) in captions
    assert "as_matrix=1" in at.query_params["o1"][0] if isinstance(at.query_params["o1"], list) \
        else "as_matrix=1" in at.query_params["o1"]
    if page == "inspector":
        # The orthogonalised step of the row and the sentence saying what it is.
        lines = [e.value for e in at.latex]
        assert any(line.strip("$\n ").startswith("O_t") for line in lines)
        assert any("treated as a 1×2 matrix" in shown(m.value) for m in [*at.markdown, *at.info, *at.caption])


def test_ticking_the_option_on_the_race_writes_it_to_the_link_and_the_legend():
    path, params = PAGES["race"]
    at = open_editors(open_app_page(path, **params, o1="Muon;learning_rate=0.05"))
    box = _boxes(at)
    assert len(box) == 1 and box[0].value is False
    assert "as_matrix" not in str(at.query_params["o1"])
    box[0].check().run()
    assert not at.exception
    assert "as_matrix=1" in str(at.query_params["o1"])


def test_network_pages_do_not_offer_it():
    at = open_app_page("app_pages/moons.py", epochs="2", samples="60", o1="Muon")
    at.session_state["moons_editors"] = True  # the moons editors are built while their box is open
    at.run()
    assert not _boxes(at)
    assert [c for c in at.checkbox if c.label == "nesterov"]  # Muon's own switches still are
