"""AppTest: every page where an optimizer can be picked runs with each of the five newer Keras rules,
in every flavour: no exception, no traceback, and a clear message where a rule cannot run."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import optimizers
from tests.helpers import shown

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
ZOO = ("Adafactor", "Ftrl", "Lamb", "Muon", "ScheduleFreeAdamW")
PAGES = {
    "race": ("app_pages/race.py", {"steps": "30"}),
    "inspector": ("app_pages/inspector.py", {"steps": "10", "k": "3"}),
    "compare": ("app_pages/compare.py", {"steps": "30", "view": "fair"}),
    "moons": ("app_pages/moons.py", {"epochs": "3", "samples": "60"}),
    "learning_rate": ("app_pages/learning_rate.py", {"epochs": "3", "lrs": "0.01,0.1"}),
    "theory": ("app_pages/theory.py", {"view": "plane", "epochs": "3"}),  # the network's loss plane
}
CASES = [(page, name, flavor) for page in PAGES for name in ZOO for flavor in optimizers.get_class(name).flavors()]


def open_page(page, o1):
    path, params = PAGES[page]
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in {**params, "o1": o1}.items():
        at.query_params[k] = v
    at.switch_page(path)
    at.run()
    return at


@pytest.mark.parametrize("page, name, flavor", CASES, ids=[f"{p}-{n}-{f}" for p, n, f in CASES])
def test_page_runs_with_each_new_rule(page, name, flavor):
    at = open_page(page, name if flavor == "keras" else f"{name};flavor={flavor}")
    assert not at.exception, at.exception
    errors = " ".join(shown(e.value) for e in at.error)
    if (name, flavor) == ("Muon", "pytorch"):
        # torch's Muon takes weight matrices only: a clear sentence saying what to pick instead, no traceback.
        assert "only supports 2-D parameters" in errors and "Keras 3 or textbook flavour" in errors, errors
        assert "Traceback" not in errors
        return
    assert not errors, errors
    if page == "inspector":  # the rule's equations with this step's numbers, ending in the new point
        lines = [e.value.strip().strip("$").strip() for e in at.latex]
        traj_opt = optimizers.get(name, flavor=flavor)
        assert traj_opt.latex in lines
        assert any(line.startswith(r"\Delta w = w_t") for line in lines), lines
        assert sum(" = " in line for line in lines) >= 4
