"""The moons page builds its eight optimizer editors only while their box is open (a warm script run spent about
half its time building them, load/results.md). Closed, the line-up comes from ``ui.slots.closed_slots``: these
tests check it is exactly what the editors return, that the link and the training are the same whether the box is
open or not, and that edited values survive closing and reopening it."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import open_app_page

PAGE = "app_pages/moons.py"


def _editor_vs_closed_script():
    """One script run: every optimizer in every flavour (defaults, every hyperparameter moved off its default, an
    unknown flavour), every preset's and line-up's choices, under each option set a page uses; each drawn by
    ``optimizer_editor`` (fresh widgets, seeded from the choice) and computed by ``closed_choice``."""
    import streamlit as st

    import optimizers
    from ui.controls import closed_choice, optimizer_editor
    from ui.presets import PRESETS
    from ui.settings import OptChoice, slider_grid

    cases = []
    for name in optimizers.available():
        cls = optimizers.get_class(name)
        for flavor in cls.flavors():
            cases.append(OptChoice(name, flavor, ()))
            moved = {}
            for hp in optimizers.settings_spec(name, flavor):
                if hp.kind == "bool":
                    moved[hp.name] = not hp.default
                else:
                    grid = [v for v in slider_grid(hp) if v != hp.default]
                    moved[hp.name] = grid[len(grid) // 2] if grid else hp.default
            cases.append(OptChoice(name, flavor, tuple(sorted(moved.items()))))
        cases.append(OptChoice(name, "no-such-flavour", ()))
    for preset in PRESETS:
        for k, v in preset.params.items():
            if k[:1] == "o" and k[1:].isdigit():
                cases.append(OptChoice.decode(v))
    cases.append(OptChoice("Adadelta", "keras", (("learning_rate", 1),)))  # an int from code, not from a link
    results = []
    for i, choice in enumerate(cases):
        for j, opts in enumerate(({}, {"options": False}, {"hide": ("learning_rate",)})):
            drawn = optimizer_editor(f"k{i}_{j}", choice, **opts)
            closed = closed_choice(choice, **opts)
            results.append((repr(choice), repr(opts), repr(drawn), repr(closed),
                            [type(v).__name__ for _, v in drawn.params],
                            [type(v).__name__ for _, v in closed.params]))
    st.session_state["results"] = results


def test_closed_choice_is_what_the_editor_returns():
    at = AppTest.from_function(_editor_vs_closed_script, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    results = at.session_state["results"]
    assert len(results) > 150
    wrong = [r for r in results if r[2] != r[3] or r[4] != r[5]]
    assert not wrong, wrong[:5]


def _open_editors(at):
    at.session_state["moons_editors"] = True
    at.run()
    assert not at.exception, at.exception
    return at


def _close_editors(at):
    at.session_state["moons_editors"] = False
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("params", [
    {"epochs": "2", "samples": "60"},  # the article's line-up (the page default)
    {"epochs": "2", "samples": "60", "o1": "Adadelta;learning_rate=1", "o2": "Muon;as_matrix=1",
     "o3": "Adam;flavor=textbook;beta_2=0.99", "o4": "SGD;momentum=0.95;nesterov=1", "o5": "Lion;flavor=nope"},
])
def test_closed_and_open_editors_run_and_link_the_same(params):
    at = open_app_page(PAGE, **params)
    assert not at.select_slider  # closed: no editor built
    closed_link, closed_key = dict(at.query_params), repr(at.session_state["moons_key"])
    _open_editors(at)
    assert at.select_slider, "the open box shows the editors"
    assert dict(at.query_params) == closed_link
    assert repr(at.session_state["moons_key"]) == closed_key  # the same training (the same cache entry)


def test_edits_survive_closing_and_reopening_the_editors():
    at = _open_editors(open_app_page(PAGE, epochs="2", samples="60", o1="Adam;learning_rate=0.01", o2="Lion"))
    at.select_slider(key="moons_o1_Adam_keras_learning_rate").set_value(0.05).run()
    at.select_slider(key="moons_o2_Lion_keras_beta_1").set_value(0.8).run()
    edited_link, edited_key = dict(at.query_params), repr(at.session_state["moons_key"])
    assert edited_link["o1"] == "Adam;learning_rate=0.05" and "beta_1=0.8" in edited_link["o2"]
    _close_editors(at)
    assert not at.select_slider
    assert dict(at.query_params) == edited_link and repr(at.session_state["moons_key"]) == edited_key
    _open_editors(at)
    assert at.select_slider(key="moons_o1_Adam_keras_learning_rate").value == 0.05
    assert at.select_slider(key="moons_o2_Lion_keras_beta_1").value == 0.8
    assert dict(at.query_params) == edited_link
    # A new link in the same session replaces the line-up, open or closed.
    _close_editors(at)
    at.query_params.clear()
    at.query_params.update({"epochs": "2", "samples": "60", "o1": "SGD;momentum=0.9"})
    at.switch_page("app_pages/home.py").run()
    at.switch_page(PAGE).run()
    assert dict(at.query_params) == {"epochs": "2", "samples": "60", "o1": "SGD;momentum=0.9"}


# The race: the same closed box (issue 15: building the editors was a third of a warm race run under a class).
RACE = "app_pages/race.py"


def _race_paths(at):
    from tests.helpers import chart_spec
    return {t["name"]: (t["x"], t["y"]) for t in chart_spec(at, "race_chart")["data"]
            if t.get("mode") == "lines" and t.get("showlegend", True)}


@pytest.mark.parametrize("params", [
    {"steps": "40"},  # the default line-up
    {"steps": "40", "o1": "Adam;flavor=textbook;learning_rate=0.05", "o2": "Muon;as_matrix=1", "o3": "Lion;flavor=nope",
     "o4": "SGD;momentum=0.95;nesterov=1"},
])
def test_race_editors_closed_and_open_run_and_link_the_same(params):
    at = open_app_page(RACE, **params)
    assert not at.select_slider  # closed: no editor built
    closed_link, closed_paths = dict(at.query_params), _race_paths(at)
    at.session_state["race_editors"] = True
    at.run()
    assert not at.exception and at.select_slider, "the open box shows the editors"
    assert dict(at.query_params) == closed_link
    assert _race_paths(at) == closed_paths  # the same runs drawn


def test_race_edits_survive_closing_the_box_and_it_stays_open_when_an_optimizer_is_added():
    at = open_app_page(RACE, steps="40", o1="Adam;learning_rate=0.01")
    at.session_state["race_editors"] = True
    at.run()
    at.select_slider(key="race_o1_Adam_keras_learning_rate").set_value(0.05).run()
    at.button(key="race_add").click().run()
    assert not at.exception and at.button(key="race_add")  # still open after the add
    edited = dict(at.query_params)
    assert edited["o1"] == "Adam;learning_rate=0.05" and "o2" in edited
    at.session_state["race_editors"] = False
    at.run()
    assert not at.select_slider and dict(at.query_params) == edited
    assert "Adam (lr 0.05)" in _race_paths(at)
