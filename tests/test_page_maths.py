"""The maths page: formulas from the engine, defaults from the engine's specs, each optimizer's teaching
text from its own module, and the errata of the two source documents, errors, omissions and notes apart."""
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import landscapes
import numpy as np
import optimizers
from ui import maths_content as mc
from tests.helpers import shown

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
NAMES = optimizers.available()


def open_maths(opt=None):
    at = AppTest.from_file(APP, default_timeout=30)
    if opt is not None:
        at.query_params["opt"] = opt
    at.run()
    at.switch_page("app_pages/maths.py").run()
    assert not at.exception, at.exception
    return at


def latex_bodies(at):
    return [e.value.strip().strip("$").strip() for e in at.latex]


def warnings(at):
    return [shown(w.value) for w in at.warning]


def parse_defaults(text):
    """'learning_rate=0.001, amsgrad=False' -> {'learning_rate': 0.001, 'amsgrad': False}."""
    out = {}
    for part in text.split(", "):
        k, v = part.split("=", 1)
        out[k] = {"True": True, "False": False}.get(v, None) if v in ("True", "False") else float(v)
    return out


# --------------------------------------------------------------------------- #
# AppTest                                                                       #
# --------------------------------------------------------------------------- #
def test_default_run_shows_adam_and_writes_the_url():
    at = open_maths()
    assert at.selectbox(key="maths_opt").value == "Adam"
    assert at.query_params["opt"] == "Adam"
    assert at.header[0].value == "Adam"
    assert not warnings(at)
    assert [h.value for h in at.header] == ["Adam", "The common Keras 3 machinery", "Errata"]


@pytest.mark.parametrize("name", NAMES)
def test_each_optimizer_shows_engine_formulas_defaults_and_hyperparameters(name):
    at = open_maths(name)
    cls = optimizers.get_class(name)
    assert at.selectbox(key="maths_opt").value == name
    assert at.header[0].value == name
    assert not warnings(at)
    # Both flavours' update rules, exactly as the engine writes them, first and side by side.
    bodies = latex_bodies(at)
    assert bodies[0] == cls.LATEX["keras"].strip()
    assert bodies[1] == cls.LATEX["textbook"].strip()
    assert [s.value for s in at.subheader][:2] == ["Keras 3", "Textbook"]
    assert at.info[0].value == cls.NOTES["textbook"]
    # What differs: every bullet of the spec-derived list is on the page.
    md = "\n".join(m.value for m in at.markdown)
    for line in mc.DIFFERENCES[name]:
        assert line in md
    # Defaults table: the Keras row is the engine's spec.
    rows = at.table[0].value.to_dict("records")
    assert [r["source"] for r in rows] == list(mc.SOURCES)
    keras = parse_defaults(rows[0]["defaults"])
    assert keras == {hp.name: hp.default for hp in optimizers.spec(name, "keras")}
    # Hyperparameter tables, one tab per flavour, generated from the specs.
    assert [t.label for t in at.tabs] == [{"keras": "Keras 3", "textbook": "textbook",
                                           "pytorch": "PyTorch"}[f] for f in cls.flavors()]
    for flavor in cls.flavors():
        table = mc.hyperparameter_markdown(name, flavor)
        assert table in md
        for hp in optimizers.spec(name, flavor):
            assert f"`{hp.name}`" in table and hp.range_text() in table
    # Its errata are attached to it.
    for e in mc.errata_for(name):
        assert f"{mc.erratum_label(e)}: {e.title}." in md


def test_aliases_are_accepted_without_a_notice():
    at = open_maths("nadam")
    assert at.selectbox(key="maths_opt").value == "Nadam"
    assert at.query_params["opt"] == "Nadam"
    assert not warnings(at)


@pytest.mark.parametrize("bad", ["Bogus", "", "x" * 300, "Adam;flavor=textbook", "<script>"])
def test_bad_opt_shows_a_notice_and_the_default(bad):
    at = open_maths(bad)
    assert at.selectbox(key="maths_opt").value == "Adam"
    assert at.query_params["opt"] == "Adam"
    if bad:
        notes = warnings(at)
        assert len(notes) == 1 and "Ignored opt = “" in shown(notes[0]) and "Showing Adam" in notes[0]
        assert len(notes[0]) < 400  # a long value is shortened in the message
    else:
        assert not warnings(at)


def test_selector_change_updates_the_url_and_a_new_link_still_jumps():
    at = open_maths("SGD")
    at.selectbox(key="maths_opt").set_value("Lion").run()
    assert at.header[0].value == "Lion" and at.query_params["opt"] == "Lion"
    at.run()  # a plain rerun keeps the user's choice
    assert at.header[0].value == "Lion"
    at.query_params["opt"] = "Adagrad"  # arriving again with another ?opt=
    at.run()
    assert at.header[0].value == "Adagrad" and at.selectbox(key="maths_opt").value == "Adagrad"


def test_page_shows_both_flavours_as_latex_for_every_optimizer_and_the_machinery():
    at = open_maths("AdamW")
    bodies = latex_bodies(at)
    assert mc.WEIGHT_DECAY_LATEX in bodies and mc.CLIPPING_LATEX in bodies and mc.SCHEDULE_LATEX in bodies
    md = "\n".join(m.value for m in at.markdown)
    for line in mc.ORDER_OF_OPERATIONS:
        assert line in md
    assert "t = iterations + 1" in md


def test_errata_sections_keep_errors_omissions_and_notes_apart():
    at = open_maths()
    subs = [s.value for s in at.subheader]
    assert f"{mc.SOURCE_TITLES[mc.KERASY]}: 12 items: 8 errors, 4 omissions" in subs
    assert f"{mc.SOURCE_TITLES[mc.ARTICLE]}: 16 items: 8 errors, 6 omissions, 2 notes" in subs
    md = [m.value for m in at.markdown]
    headings = [m for m in md if m.strip("*") in mc.KIND_TITLES.values()]
    assert [h.strip("*") for h in headings] == [mc.KIND_TITLES[k] for k in (mc.ERROR, mc.OMISSION)] + [
        mc.KIND_TITLES[k] for k in mc.KINDS]
    # Each list follows its heading and holds exactly that kind's items, with their own numbers.
    for source in (mc.KERASY, mc.ARTICLE):
        for heading, items in mc.errata_sections(source):
            i = md.index(items)
            assert md[i - 1] == f"**{heading}**"
            kind = next(k for k, t in mc.KIND_TITLES.items() if t == heading)
            assert re.findall(r"^- \*\*#(\d+) ", items, flags=re.M) == [str(e.number) for e in mc.errata(source, kind)]
    assert any("u_t_1 = beta_1" in m for m in md)


# --------------------------------------------------------------------------- #
# Content (pure)                                                                #
# --------------------------------------------------------------------------- #
def test_every_optimizer_has_content():
    for table in (mc.SUMMARY, mc.DIFFERENCES, mc.OTHER_DEFAULTS, mc.KERAS_NOTES):
        assert list(table) == NAMES
    for name in NAMES:
        assert set(mc.OTHER_DEFAULTS[name]) == set(mc.SOURCES[1:])
        assert len(mc.DIFFERENCES[name]) >= 3


# The Keras 3 column: what Keras 3.15 really defaults to. If the engine drifts, the page
# (which reads the engine) would teach the drift: catch it here.
SPEC_KERAS_DEFAULTS = {
    "GradientDescent": {"learning_rate": 0.01},
    "SGD": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "Adagrad": {"learning_rate": 1e-3, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    "RMSprop": {"learning_rate": 1e-3, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False},
    "Adadelta": {"learning_rate": 1e-3, "rho": 0.95, "epsilon": 1e-7},
    "Adam": {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False},
    "AdamW": {"learning_rate": 1e-3, "weight_decay": 0.004, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
              "amsgrad": False},
    "Adamax": {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "Nadam": {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "Lion": {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.99},
    "Adafactor": {"learning_rate": 1e-3, "beta_2_decay": -0.8, "epsilon_1": 1e-30, "epsilon_2": 1e-3,
                  "clip_threshold": 1.0, "relative_step": True},
    "Ftrl": {"learning_rate": 1e-3, "learning_rate_power": -0.5, "initial_accumulator_value": 0.1,
             "l1_regularization_strength": 0.0, "l2_regularization_strength": 0.0,
             "l2_shrinkage_regularization_strength": 0.0, "beta": 0.0},
    "Lamb": {"learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "Muon": {"learning_rate": 1e-3, "adam_beta_1": 0.9, "adam_beta_2": 0.999, "adam_weight_decay": 0.004,
             "epsilon": 1e-7, "weight_decay": 0.004, "muon_a": 3.4445, "muon_b": -4.775, "muon_c": 2.0315,
             "adam_lr_ratio": 1.0, "momentum": 0.95, "ns_steps": 5, "nesterov": True, "rms_rate": 0.2},
    "ScheduleFreeAdamW": {"learning_rate": 2.5e-3, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8,
                          "warmup_steps": 0},
}


@pytest.mark.parametrize("name", NAMES)
def test_keras_defaults_column_equals_engine_spec_and_keras(name):
    engine = {hp.name: hp.default for hp in optimizers.spec(name, "keras")}
    assert parse_defaults(mc.keras_defaults(name)) == engine
    assert engine == SPEC_KERAS_DEFAULTS[name]
    assert mc.defaults_rows(name)[0]["defaults"] == mc.keras_defaults(name)


@pytest.mark.parametrize("name", [n for n in NAMES if "pytorch" in optimizers.get_class(n).flavors()])
def test_pytorch_column_agrees_with_the_engine_pytorch_learning_rate(name):
    lr = {hp.name: hp.default for hp in optimizers.spec(name, "pytorch")}["learning_rate"]
    text = mc.OTHER_DEFAULTS[name]["PyTorch 2.13"]
    assert re.search(r"lr=([0-9.e-]+)", text) and float(re.search(r"lr=([0-9.e-]+)", text).group(1)) == lr


def test_hyperparameter_rows_come_from_the_spec():
    for name in NAMES:
        for flavor in optimizers.get_class(name).flavors():
            rows = mc.hyperparameter_rows(name, flavor)
            spec = optimizers.spec(name, flavor)
            assert [r["name"] for r in rows] == [hp.name for hp in spec]
            assert [r["meaning"] for r in rows] == [hp.help for hp in spec]
            assert [r["symbol"] for r in rows] == [hp.symbol for hp in spec]


def test_errata_counts_numbering_and_kinds():
    kerasy, article = mc.errata(mc.KERASY), mc.errata(mc.ARTICLE)
    assert [e.number for e in kerasy] == list(range(1, 13))
    assert [e.number for e in article] == list(range(1, 17))
    assert len(mc.ERRATA) == 28
    for e in mc.ERRATA:
        assert set(e.optimizers) <= set(NAMES), e
        assert e.kind in mc.KINDS and e.title and len(e.text) > 40
    kinds = {(e.source, e.number): e.kind for e in mc.ERRATA}
    assert [n for n in range(1, 13) if kinds[(mc.KERASY, n)] == mc.ERROR] == [1, 2, 3, 5, 6, 8, 11, 12]
    assert [n for n in range(1, 17) if kinds[(mc.ARTICLE, n)] == mc.ERROR] == [1, 3, 5, 8, 9, 10, 15, 16]
    assert [n for n in range(1, 17) if kinds[(mc.ARTICLE, n)] == mc.NOTE] == [11, 12]  # the article is right
    for n in (2, 4, 6, 13):  # omissions, not errors
        assert kinds[(mc.ARTICLE, n)] == mc.OMISSION


def _erratum(source, number):
    return next(e for e in mc.errata(source) if e.number == number)


def test_errata_accuse_only_what_is_wrong():
    # Kerasy #7: the "infinity norm" wording for beta_2 is in Kerasy's code, not on the page.
    assert "infinity norm" not in _erratum(mc.KERASY, 7).text
    # Kerasy #6: m̂ is defined on the page (Adam section), and 0.002 is right for Kerasy.
    six = _erratum(mc.KERASY, 6).text
    assert "never defined" not in six and "Adam section" in six and "Kerasy's own" in six
    # Kerasy #10: ε can be set, through the misspelt keyword; "always 1e-7" was overstated.
    ten = _erratum(mc.KERASY, 10).text
    assert "eosukib" in ten and "always 1e-7" not in ten
    # Kerasy #2 (and #3): Keras 3 context is not an error of the page.
    assert "Keras 3" not in _erratum(mc.KERASY, 2).text and "Keras 3" not in _erratum(mc.KERASY, 3).text
    # Article #4: `decay = 0.96` is Keras 3's code; what is missing is that it departs from the paper.
    four = _erratum(mc.ARTICLE, 4)
    assert four.kind == mc.OMISSION and "exactly Keras 3's code" in four.text


def test_errata_miss_nothing_the_audit_found():
    noise = _erratum(mc.KERASY, 11)
    assert "N(0, 1/10)" in noise.text and "N(0, 1/100)" in noise.text and "σ = 0.1" in noise.text
    assert "Adagrad using the square of the gradient" in _erratum(mc.KERASY, 12).text
    assert "Nadam" in _erratum(mc.KERASY, 12).optimizers
    lion = _erratum(mc.ARTICLE, 15)
    assert "sign based on the current gradient" in lion.text and "β₁m + (1 − β₁)g" in lion.text
    eps = _erratum(mc.ARTICLE, 16)
    assert "added to the denominator" in eps.text and "√(v + ε)" in eps.text
    assert set(eps.optimizers) == {"Adagrad", "RMSprop"}


def test_kerasy_noise_erratum_matches_the_data():
    # The Kerasy data (reproduced by the regression landscape) has residual variance ≈ 1/100, not 1/10.
    land = landscapes.get("regression")
    residual = land.y - land.X @ np.array([2.0, 1.0])
    assert 0.007 < float(np.var(residual)) < 0.013


def test_errata_key_facts():
    nadam_beta = _erratum(mc.ARTICLE, 3)
    assert "Nadam" in nadam_beta.optimizers
    assert "β₁" in nadam_beta.text and "u_t_1 = beta_1" in nadam_beta.text
    assert "beta_2" in nadam_beta.title  # the wrong line is quoted as the article has it
    adadelta = _erratum(mc.KERASY, 4)
    assert adadelta.optimizers == ("Adadelta",) and "1.0" in adadelta.text and "1000×" not in adadelta.text
    assert "Adadelta's default learning rate 0.001" in _erratum(mc.ARTICLE, 14).text
    assert "0.96ᵗ" in _erratum(mc.ARTICLE, 4).text and "0.96^(0.004t)" in _erratum(mc.ARTICLE, 4).text
    assert "Adadelta" in _erratum(mc.KERASY, 1).text and "Adam(" in _erratum(mc.KERASY, 1).text
    assert "one momentum" in _erratum(mc.ARTICLE, 10).text
    assert "0.004" in _erratum(mc.ARTICLE, 9).text
    assert "SQUARE ROOT" in _erratum(mc.ARTICLE, 8).text and "0.1" in _erratum(mc.ARTICLE, 8).text
    # Attached to the optimizers they concern.
    assert {e.number for e in mc.errata_for("Nadam") if e.source == mc.ARTICLE} >= {3, 4, 5, 6}
    assert {(e.source, e.number) for e in mc.errata_for("Adam")} >= {(mc.KERASY, 1), (mc.KERASY, 5),
                                                                     (mc.ARTICLE, 1), (mc.ARTICLE, 2)}
    assert mc.errata_for("GradientDescent") == []


def test_numbers_in_the_errata_are_computed():
    # Article #4: "within 1 % of β₁ after 96 steps instead of 23,958", from the engine's own μ_t.
    text = _erratum(mc.ARTICLE, 4).text
    for flavor in ("keras", "textbook"):
        opt = optimizers.get("nadam", flavor=flavor)
        t = next(t for t in range(1, 10**6) if opt._mu(t) >= 0.99 * 0.9)
        assert f"{t:,}" in text


def test_differences_state_the_key_deviations():
    d = {k: " ".join(v) for k, v in mc.DIFFERENCES.items()}
    assert "0.1" in d["Adagrad"] and "inside the root" in d["Adagrad"]
    assert "0.001" in d["Adadelta"] and "3,162×" in d["Adadelta"] and "2,915×" in d["Adadelta"]
    assert "1000×" not in d["Adadelta"] and "steps only ever shrink" not in mc.SUMMARY["Adagrad"]
    assert "no ε, no momentum, no centring" in d["RMSprop"]
    assert "unverified" in d["Nadam"] and "warmup cannot switch the decay off" in d["AdamW"]
    assert "0.96^{t}" in d["Nadam"] and "0.96^{t/250}" in d["Nadam"] and "never β₂" in d["Nadam"]
    assert "ε̂" in d["Adam"] and "1e-8" in d["Adam"]
    assert "0.004" in d["AdamW"]
    assert "0.002" in d["Adamax"]
