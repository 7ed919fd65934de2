"""AppTest (browser-less) tests of the "See the theory" page: each view, widget changes, links, bad links."""
import functools
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.components.v2 import manifest_scanner
from streamlit.testing.v1 import AppTest

from tests.helpers import decode, shown, chart_spec, open_app_page
from tests.test_link_injection import PAYLOADS, dangerous

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGE = "app_pages/theory.py"


@pytest.fixture(scope="module", autouse=True)
def _scan_components_once():
    original = manifest_scanner.scan_component_manifests
    manifest_scanner.scan_component_manifests = functools.cache(original)
    yield
    manifest_scanner.scan_component_manifests = original


def open_theory(**params):
    return open_app_page(PAGE, timeout=300, **params)


def chart(at, key):
    return chart_spec(at, key)


def warnings(at):
    return " ".join(shown(w.value) for w in at.warning)


def texts(at):
    return " ".join(shown(str(m.value)) for m in list(at.markdown) + list(at.caption))


def page_links(at):
    return [el.proto for el in at.get("page_link")]


@pytest.fixture(scope="module")
def default_at():
    return open_theory()


# --------------------------------------------------------------------------- phase diagram
def test_default_is_the_phase_diagram_with_theory(default_at):
    at = default_at
    spec = chart(at, "theory_phase")
    heat = spec["data"][0]
    assert heat["type"] == "heatmap"
    z = decode(heat["z"], float)
    assert z.shape == (200, 200)                       # 40,000 cells
    names = " ".join(t.get("name", "") for t in spec["data"])
    assert "edge of convergence" in names and "optimum" in names and "contours" in names
    assert "κ = 10" in spec["layout"]["title"]["text"]
    assert "40,000 runs" in spec["layout"]["annotations"][0]["text"]
    # The theory's optimum for κ = 10 (μ = 0.2, L = 2) is in the legend.
    assert "η* = 1.15" in names and "β* = 0.27" in names
    assert at.query_params["view"] == ["phase"] or at.query_params["view"] == "phase"
    assert not at.warning


def test_race_link_runs_the_pair(default_at):
    links = [p for p in page_links(default_at) if "race" in p.page]
    assert links, page_links(default_at)
    link = links[0]
    assert "land=quadratic" in link.query_string
    assert "o1=SGD%3Blearning_rate%3D1.154%3Bmomentum%3D0.2699" in link.query_string   # the optimum by default
    assert "o3=SGD%3Blearning_rate%3D0.9091" in link.query_string                      # GD at 2/(μ+L)


def test_a_cell_from_the_link_is_selected_and_raced():
    at = open_theory(cell="1.5,0.8")
    spec = chart(at, "theory_phase")
    ring = [t for t in spec["data"] if t.get("name") == "selected"]
    assert ring and ring[0]["x"] == [1.5] and ring[0]["y"] == [0.8]
    assert "the selected cell: η = 1.5, β = 0.8" in texts(at).lower().replace("**", "")
    link = [p for p in page_links(at) if "race" in p.page][0]
    assert "o1=SGD%3Blearning_rate%3D1.5%3Bmomentum%3D0.8" in link.query_string
    cell = chart(at, "theory_cell_fig")
    assert "η = 1.5, β = 0.8" in cell["layout"]["title"]["text"]
    # The theory's rate of that pair: max over λ ∈ {0.2, 2} of |roots| (complex here, so √β).
    assert f"ρ = {np.sqrt(0.8):.4f}" in cell["data"][1]["name"]
    assert at.query_params["cell"] in ("1.5,0.8", ["1.5,0.8"])


def test_changing_kappa_and_method_recomputes():
    at = open_theory()
    at.number_input(key="theory_kappa").set_value(100.0).run()
    assert not at.exception
    spec = chart(at, "theory_phase")
    assert "κ = 100" in spec["layout"]["title"]["text"]
    assert "kappa" in at.query_params
    assert not [p for p in page_links(at) if "race" in p.page]          # the race's quadratic has κ = 10
    assert "set κ = 10 here to race" in texts(at)
    at.radio(key="theory_method").set_value("nesterov").run()
    spec = chart(at, "theory_phase")
    assert "Nesterov" in spec["layout"]["title"]["text"]
    names = " ".join(t.get("name", "") for t in spec["data"])
    assert "η* = 0.664" in names                                         # 4/(3L + μ) with L = 2, μ = 0.02


@pytest.mark.parametrize("params, key", [({"kappa": "abc"}, "kappa"), ({"kappa": "0.5"}, "kappa"),
                                         ({"cell": "9,9"}, "cell"), ({"cell": "x"}, "cell"),
                                         ({"view": "surface"}, "view"), ({"psteps": "5"}, "psteps")])
def test_bad_link_values_give_a_notice(params, key):
    at = open_theory(**params)
    w = warnings(at)
    assert f"Ignored {key} = " in w, w
    assert chart(at, "theory_phase")                                    # the page still draws, with defaults


def test_link_values_are_literal():
    for payload in PAYLOADS.values():
        at = open_theory(kappa=payload, cell=payload)
        for w in at.warning:
            assert dangerous(str(w.value)) == [], w.value


# --------------------------------------------------------------------------- edge of stability
def test_edge_of_stability_view_and_a_widget_change():
    at = open_theory(view="eos", esteps="200", every="20")
    spec = chart(at, "theory_eos")
    names = [t.get("name", "") for t in spec["data"]]
    assert "η = 0.1" in names and "2/η = 20" in names
    note = spec["layout"]["annotations"][-1]["text"]
    assert "power iteration on exact Hessian-vector products" in note
    assert "Preset claim" not in note                                   # 200 steps is not the preset
    sharp = [t for t in spec["data"] if t.get("yaxis") == "y2" and t.get("mode") == "lines+markers"][0]
    s = decode(sharp["y"], float)
    assert len(s) == 11 and 2 < s[0] < 3                                # λ_max ≈ 2.5 at the start
    at.selectbox(key="theory_eopt").set_value("Adam").run()
    assert not at.exception
    spec = chart(at, "theory_eos")
    names = [t.get("name", "") for t in spec["data"]]
    assert "(2+2β₁)/((1−β₁)η) = 380" in names                           # 38/η at η = 0.1
    assert spec["layout"]["annotations"][1]["text"].startswith("Preconditioned sharpness λ_max(P⁻¹H)")
    assert at.query_params["eopt"] in ("Adam", ["Adam"])


def test_the_preset_prints_its_tested_claim():
    at = open_theory(view="eos")
    spec = chart(at, "theory_eos")
    note = spec["layout"]["annotations"][-1]["text"]
    assert "Preset claim, checked by the tests" in note
    assert "η = 0.1: first within ±15 % of the threshold 20 at step" in note
    assert "second half: 100 % of the measurements within ±15 %" in note


def test_edge_of_stability_on_the_quadratic_diverges_above_2_over_eta():
    at = open_theory(view="eos", eland="quadratic", elr="1.1", elr2="0.5", esteps="300", every="50")
    assert "η = 1.1 diverged at step" in warnings(at)
    spec = chart(at, "theory_eos")
    sharp = [t for t in spec["data"] if t.get("yaxis") == "y2" and t.get("mode") == "lines+markers"]
    np.testing.assert_allclose(decode(sharp[1]["y"], float), 2.0, rtol=1e-6)   # the quadratic's L = 2, constant


def test_bad_eos_settings_give_a_message_not_a_traceback():
    at = open_theory(view="eos", eland="quadratic", ebs="16", esteps="50")
    assert not at.exception                                             # batch size is ignored on the quadratic
    at = open_theory(view="eos", eopt="RMSprop", elr="abc")
    assert "Ignored elr = " in warnings(at)


# --------------------------------------------------------------------------- the network's plane
def test_plane_view_animates_every_optimizer():
    at = open_theory(view="plane", epochs="6")
    spec = chart(at, "theory_plane")
    paths = [t for t in spec["data"] if t.get("mode") == "lines"]
    assert len(paths) == 8                                              # the moons page's line-up
    assert all("% in plane" in t["name"] for t in paths)
    assert len(spec["frames"]) == 7 and spec["layout"]["sliders"][0]["steps"][-1]["label"] == "6"
    assert spec["layout"]["images"][0]["source"].startswith("data:image/png;base64,")
    assert "PC 1" in spec["layout"]["xaxis"]["title"]["text"]
    assert "not</b> a path on this slice" in spec["layout"]["annotations"][0]["text"]
    loss = chart(at, "theory_plane_loss")
    assert len(loss["data"]) == 16                                      # real and slice loss per optimizer
    at.radio(key="theory_kind").set_value("random").run()
    assert not at.exception
    spec = chart(at, "theory_plane")
    assert "filter-normalised" in spec["layout"]["xaxis"]["title"]["text"]
    assert at.query_params["kind"] in ("random", ["random"])


def test_plane_view_with_optimizers_from_the_link():
    at = open_theory(view="plane", epochs="4", o1="Adam;learning_rate=0.01", o2="SGD;learning_rate=0.05",
                     o3="NotAnOptimizer")
    assert "Ignored optimizer o3 = " in warnings(at)
    spec = chart(at, "theory_plane")
    paths = [t for t in spec["data"] if t.get("mode") == "lines"]
    assert [p["name"].split(" · ")[0] for p in paths] == ["Adam (lr 0.01)", "SGD (lr 0.05)"]


def test_a_new_link_replaces_the_line_up_last_drawn():
    at = open_theory(view="plane", epochs="3")
    at.query_params.clear()
    for k, v in {"view": "phase", "o1": "Adam;learning_rate=0.02"}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception
    assert at.query_params["o1"] in ("Adam;learning_rate=0.02", ["Adam;learning_rate=0.02"])
    assert "o2" not in at.query_params
