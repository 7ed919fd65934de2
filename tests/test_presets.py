"""Classroom presets: well-formed links of the app contract, and honest claims.

Every preset says what to look for ("Adagrad stalls", "1.1 diverges"). The tests below run the engine on
the preset's OWN parameters (decoded as the pages decode them) and check that the claim holds, so a
preset cannot quietly stop teaching what it says.
"""
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest

import landscapes
import optimizers
from charts.race import frame_steps
from tests.helpers import shown
from ui.presets import BY_ID, FLAT_BOWL, PAGE_PARAMS, PAGES, PRESETS, ROTATED_QUADRATIC, link, read_frame
from ui.settings import OptChoice, read_optimizers


# --------------------------------------------------------------------------- #
# Form                                                                          #
# --------------------------------------------------------------------------- #
def test_at_least_eight_presets_with_unique_ids_and_titles():
    assert len(PRESETS) >= 8
    assert len({p.id for p in PRESETS}) == len(PRESETS)
    assert len({p.title for p in PRESETS}) == len(PRESETS)
    assert {p.page_url_path for p in PRESETS} >= {"race", "learning_rate", "moons"}


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.id)
def test_preset_uses_only_contract_params_with_valid_values(preset):
    assert preset.page_url_path in PAGES
    assert set(preset.params) <= PAGE_PARAMS[preset.page_url_path]
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in preset.params.items())
    assert "\n" not in preset.description and 40 < len(preset.description) < 300
    p = preset.params
    # Optimizers decode exactly as the pages decode them, with no notice.
    choices, notices = read_optimizers(p, defaults=[])
    assert not notices
    assert len(choices) == len([k for k in p if k[0] == "o" and k[1:].isdigit()])
    if preset.page_url_path == "race":
        assert p["land"] in landscapes.available()
        land = race_landscape(p)
        assert 1 <= int(p.get("steps", 300)) <= 2000 and 0 <= float(p.get("noise", 0)) <= 10
        if "start" in p:
            x, y = (float(v) for v in p["start"].split(","))
            (x0, x1), (y0, y1) = land.bounds
            assert x0 <= x <= x1 and y0 <= y <= y1
        assert 1 <= len(choices) <= 8
    if preset.page_url_path == "learning_rate":
        lrs = [float(v) for v in p["lrs"].split(",")]
        assert 1 <= len(lrs) <= 6 and all(lr > 0 for lr in lrs)
        assert 1 <= int(p["epochs"]) <= 1000 and p["mode"] in ("full", "mini")
    if preset.page_url_path == "moons":
        assert 1 <= int(p["epochs"]) <= 2000 and 1 <= len(choices) <= 8


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.id)
def test_link_round_trips(preset):
    url = link(preset)
    parts = urlsplit(url)
    assert parts.path == preset.page_url_path and not parts.scheme and not parts.netloc
    assert dict(parse_qsl(parts.query, keep_blank_values=True)) == preset.params
    # Safe in Markdown links and in slides: no raw spaces, parentheses, '+' or ';'.
    assert not set(parts.query) & set(" ()+;")


def test_optimizer_names_for_maths_links():
    assert BY_ID["adagrad-stalls"].optimizer_names() == ["Adagrad", "RMSprop", "Adam"]
    assert BY_ID["lr-diverges"].optimizer_names() == ["GradientDescent"]
    assert BY_ID["adam-epsilon"].optimizer_names() == ["Adam"]


def test_rotated_quadratic_formula_is_the_quadratic_landscape_at_30_degrees():
    custom = landscapes.get("custom", expression=ROTATED_QUADRATIC)
    quad = landscapes.get("quadratic", condition=10, angle=30)
    pts = np.random.default_rng(0).uniform(-3, 3, size=(50, 2))
    np.testing.assert_allclose(custom.value(pts), quad.value(pts), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(custom.grad(pts), quad.grad(pts), rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- #
# Honesty: run the engine on each preset's own parameters                       #
# --------------------------------------------------------------------------- #
def race_landscape(p):
    return landscapes.get("custom", expression=p["expr"]) if p["land"] == "custom" else landscapes.get(p["land"])


def race_runs(preset_id):
    """What the race page computes for a preset: one optimizers.run per optimizer, same start/noise/seed."""
    p = BY_ID[preset_id].params
    land = race_landscape(p)
    start = np.array([float(v) for v in p["start"].split(",")]) if "start" in p else np.asarray(land.start)
    choices, notices = read_optimizers(p, defaults=[])
    assert not notices
    return [optimizers.run(c.build(), land, start=start, steps=int(p.get("steps", 300)),
                           noise=float(p.get("noise", 0.0)), seed=int(p.get("seed", 0))) for c in choices]


def path_length(traj, last=None):
    d = np.linalg.norm(np.diff(traj.params, axis=0), axis=-1)
    return float(d[-last:].sum() if last else d.sum())


def shown_step(preset_id) -> int:
    """The step the race map opens at for a preset: its ``frame=`` snapped to a drawn frame, as the page does."""
    p = BY_ID[preset_id].params
    ks = frame_steps(int(p.get("steps", 300)))
    index, notice = read_frame(p["frame"], ks)
    assert notice is None
    return int(ks[index])


def test_adagrad_stalls():
    adagrad, rmsprop, adam = race_runs("adagrad-stalls")
    o = [OptChoice.decode(BY_ID["adagrad-stalls"].params[f"o{i}"]) for i in (1, 2, 3)]
    assert len({c.value("learning_rate") for c in o}) == 1  # "same learning rate"
    assert all(t.diverged_at is None for t in (adagrad, rmsprop, adam))
    dist = lambda t, k: float(np.linalg.norm(t.params[k]))  # noqa: E731  (the minimum is at the origin)
    # As opened (step 100, and the frame the map shows for it): RMSprop and Adam are at the minimum, Adagrad is not.
    for k in {100, shown_step("adagrad-stalls")}:
        assert dist(rmsprop, k) < 0.1 and dist(adam, k) < 0.1, (dist(rmsprop, k), dist(adam, k))
        assert dist(adagrad, k) > 1.5, dist(adagrad, k)
    # Still far away at the end (step 300), while the others stay at the minimum.
    assert dist(adagrad, -1) > 1.0 and dist(rmsprop, -1) < 0.1 and dist(adam, -1) < 0.01
    # Its steps keep shrinking: the last is < 1/20 of the first, because the accumulator only grows.
    steps = np.linalg.norm(np.diff(adagrad.params, axis=0), axis=-1)
    assert steps[-1] < steps[0] / 20 and np.all(np.diff(steps[50:]) <= 1e-12)
    acc = np.asarray(adagrad.slots["accumulator"]).reshape(len(adagrad.params), -1)
    assert np.all(np.diff(acc, axis=0) >= 0)


def test_momentum_overshoots():
    plain, m09, m099 = race_runs("momentum-overshoots")
    assert all(t.diverged_at is None for t in (plain, m09, m099))
    assert float(plain.final_loss) > 1.0  # creeps
    assert float(m09.final_loss) < 0.01  # runs along the valley
    x_max = m099.params[:, 0].max()
    assert x_max > 1.5, x_max  # shoots past the minimum at x = 1
    assert m09.params[:, 0].max() < 1.05
    ups = lambda t: int((np.diff(t.loss) > 0).sum())  # noqa: E731
    assert ups(plain) == 0 and ups(m099) > 100 and ups(m099) > 5 * ups(m09)


def escape_step(traj, threshold=1.0):
    y = np.abs(traj.params[:, 1])
    return int(np.argmax(y > threshold)) if (y > threshold).any() else None


def test_saddle_escape():
    gd, momentum, adam = race_runs("saddle-escape")
    p = BY_ID["saddle-escape"].params
    assert abs(float(p["start"].split(",")[1])) <= 0.001 and float(p["noise"]) > 0  # almost on the ridge, noisy
    s_gd, s_m, s_a = escape_step(gd), escape_step(momentum), escape_step(adam)
    assert None not in (s_m, s_a)
    assert s_gd is None or s_gd >= 2.5 * max(s_m, s_a), (s_gd, s_m, s_a)
    # As opened (step 51): momentum and Adam have slid off (|y| > 1) and are still on the map; GD sits at the saddle.
    k = shown_step("saddle-escape")
    assert k == 51
    (x0, x1), (y0, y1) = landscapes.get("saddle").bounds
    for t in (momentum, adam):
        x, y = t.params[k]
        assert abs(y) > 1 and x0 <= x <= x1 and y0 <= y <= y1, (x, y)
    assert np.linalg.norm(gd.params[k]) < 0.3, gd.params[k]
    # Momentum leaves the map: the page reports it as diverged, as the description warns.
    assert momentum.diverged_at is not None and momentum.diverged_at > k and gd.diverged_at is None


def lr_page_runs(preset_id):
    """Full-batch learning-rate page: one gradient-descent step per epoch on the Kerasy regression."""
    p = BY_ID[preset_id].params
    land = landscapes.get("regression")
    choice = OptChoice.decode(p["o1"])
    runs = {}
    for lr in (float(v) for v in p["lrs"].split(",")):
        opt = optimizers.get(choice.name, flavor=choice.flavor, **{**choice.kwargs, "learning_rate": lr})
        runs[lr] = optimizers.run(opt, land, steps=int(p["epochs"]))
    return land, runs


def test_learning_rate_that_diverges():
    land, runs = lr_page_runs("lr-diverges")
    assert runs[1.1].diverged_at is not None
    assert all(runs[lr].diverged_at is None for lr in (0.01, 0.1, 0.5))
    # Why: 1.1 is above 2 / (largest Hessian eigenvalue), the limit the description quotes.
    hessian = 2 / land.n_samples * land.X.T @ land.X
    limit = 2 / np.linalg.eigvalsh(hessian).max()
    assert 0.5 < limit < 1.1 and f"{limit:.2f}" in BY_ID["lr-diverges"].description


def test_kerasy_learning_rate_demo():
    land, runs = lr_page_runs("kerasy-lr-demo")
    assert sorted(runs) == [0.01, 0.1, 0.5]  # the document's own rates
    assert int(BY_ID["kerasy-lr-demo"].params["epochs"]) == 100
    best = land.min_value
    assert float(runs[0.01].final_loss) > 10 * best  # still far from the data
    assert float(runs[0.5].final_loss) < 1.01 * best  # fits it
    assert all(t.diverged_at is None for t in runs.values())


def test_lion_sign_steps():
    lion, adam = race_runs("lion-sign-steps")
    lr = OptChoice.decode(BY_ID["lion-sign-steps"].params["o1"]).value("learning_rate")
    steps = np.abs(np.diff(lion.params, axis=0))
    assert np.all(np.isclose(steps, lr, atol=1e-12) | (steps < 1e-15))  # every coordinate moves ±η (or 0)
    assert np.isclose(steps, lr, atol=1e-12).all(axis=-1).mean() > 0.95  # diagonal (45°) steps
    a_steps = np.abs(np.diff(adam.params, axis=0))
    assert np.mean(~np.isclose(a_steps[:, 0], a_steps[:, 1], rtol=1e-6)) > 0.9  # Adam's are not
    # Lion never settles: its loss keeps jumping over the last 50 steps; Adam's has settled.
    tail_l, tail_a = lion.loss[-50:], adam.loss[-50:]
    assert tail_l.max() > 10 * tail_a.max()
    assert (np.diff(tail_l) > 0).sum() >= 10


def test_keras_vs_textbook_adam_epsilon_is_visible():
    keras, textbook, textbook_same_eps = race_runs("adam-epsilon")
    assert BY_ID["adam-epsilon"].params["expr"] == FLAT_BOWL
    g0 = np.linalg.norm(keras.grads[0])
    assert g0 < 1e-6  # "gradients below 1e-6"
    dist = lambda t, k: float(np.linalg.norm(t.params[k]))  # noqa: E731  (the minimum is the origin)
    # Keras lags behind both textbook paths, even with the same ε = 1e-7.
    assert dist(keras, 20) > 2 * dist(textbook_same_eps, 20) > dist(textbook, 20)
    gap = np.linalg.norm(keras.params - textbook_same_eps.params, axis=-1).max()
    assert gap > 1.0, gap  # on a 6-unit-wide map: clearly visible
    # Same ε, different place: the only difference is ε̂ (before bias correction) vs ε (after).
    assert OptChoice.decode(BY_ID["adam-epsilon"].params["o3"]).value("epsilon") == \
        OptChoice.decode(BY_ID["adam-epsilon"].params["o1"]).value("epsilon") == 1e-7


def test_adadelta_tiny_keras_default():
    default, lr1, textbook = race_runs("adadelta-default")
    # The first step of the default is exactly 1000× smaller than with learning_rate=1.0.
    s_default = np.linalg.norm(default.params[1] - default.params[0])
    s_lr1 = np.linalg.norm(lr1.params[1] - lr1.params[0])
    assert np.isclose(s_default / s_lr1, 1e-3, rtol=1e-9)
    assert path_length(default) < 1e-3 * path_length(textbook)  # barely moves
    l0 = float(default.loss[0])
    assert float(default.final_loss) > 0.99 * l0
    assert float(textbook.final_loss) < 0.01 * l0  # the paper's rule reaches a minimum
    assert float(textbook.final_loss) < float(lr1.final_loss) < float(default.final_loss)


def test_nadam_schedule_overshoots_more_in_keras():
    keras, textbook = race_runs("nadam-schedule")
    o1, o2 = (OptChoice.decode(BY_ID["nadam-schedule"].params[k]) for k in ("o1", "o2"))
    for name in ("learning_rate", "epsilon", "beta_1", "beta_2"):
        assert o1.value(name) == o2.value(name), name  # "only the schedule differs"
    assert o1.value("beta_1") == 0.99
    # The schedules the description quotes, read from the engine's product Π μ_i: μ_t = Π_t / Π_(t-1).
    mu = [np.asarray(t.slots["u_product"]).reshape(len(t.params), -1)[:, 0] for t in (keras, textbook)]
    mu_keras, mu_dozat = (m[100] / m[99] for m in mu)
    assert 0.97 < mu_keras < 0.99 and 0.45 < mu_dozat < 0.55, (mu_keras, mu_dozat)
    # The paths really differ: at some step they are more than 15 % of the map apart.
    (x0, x1), _ = landscapes.get("quadratic").bounds
    assert np.linalg.norm(keras.params - textbook.params, axis=1).max() > 0.15 * (x1 - x0)

    def overshoot(t):  # how far from the minimum (the origin) the path swings after first coming within 0.3
        d = np.linalg.norm(t.params, axis=1)
        return float(d[int(np.argmax(d < 0.3)):].max())

    assert overshoot(keras) > 1.0 and overshoot(keras) > 3 * overshoot(textbook), (overshoot(keras), overshoot(textbook))
    # As opened (step 110): the Keras path is far past the minimum, Dozat's sits in it.
    k = shown_step("nadam-schedule")
    assert np.linalg.norm(keras.params[k]) > 1.0 and np.linalg.norm(textbook.params[k]) < 0.35


# --------------------------------------------------------------------------- #
# Openings: frame= in race links, and the default race                          #
# --------------------------------------------------------------------------- #
def test_frame_link_values():
    ks = frame_steps(300)  # 0, 3, …, 300
    assert read_frame("51", ks) == (17, None) and read_frame("0", ks) == (0, None) and read_frame("300", ks)[0] == len(ks) - 1
    assert ks[read_frame("100", ks)[0]] in (99, 102)  # a step between frames: the nearest frame
    for bad in ("abc", "-5", "1.5", "", "301", "9" * 40, "[x](http://evil)"):
        index, notice = read_frame(bad, ks)
        assert index is None and notice and "at its end" in notice, bad
    # The link's text is shown literally (escaped Markdown: no link is created), nothing of it dropped.
    assert shown(read_frame("[x](http://evil)", ks)[1]).count("“[x](http://evil)”") == 1
    assert shown(read_frame("9" * 40, ks)[1]).count("9" * 40) == 1


@pytest.mark.parametrize("seed", [0, 1])
def test_moons_article_lineup(seed):
    from optimizers.training import train

    p = BY_ID["moons-article"].params
    choices, notices = read_optimizers(p, defaults=[])
    assert not notices and [c.name for c in choices] == ["SGD", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW",
                                                         "Nadam", "Lion"]
    task = moons_task()
    results = train([c.build() for c in choices], task, epochs=int(p["epochs"]), batch_size=int(p["bs"]),
                    seed=seed)
    loss = {i: r.history["loss"] for i, r in enumerate(results)}

    def first_below(i, level=0.05):
        hit = np.flatnonzero(loss[i] < level)
        return int(hit[0]) + 1 if hit.size else None

    for i in (3, 4, 5, 6):  # RMSprop, Adam, AdamW, Nadam
        assert first_below(i) is not None and first_below(i) <= 20, (choices[i], first_below(i))
    lion = first_below(7)
    assert lion is not None and lion > first_below(4)  # later than Adam, but gets there
    for i in (0, 2):  # plain SGD, Adagrad
        assert loss[i][-1] > 0.1, (choices[i], loss[i][-1])


def moons_task():
    """The article's task with the moons page's defaults (300 samples, noise 0.1, hidden 12-13-13)."""
    return landscapes.get("moons", n_samples=300, noise=0.1, data_seed=42, hidden=(12, 13, 13))


def test_page_table_matches_app_navigation():
    """ui.presets.PAGES must agree with app.py (url paths change: learning-rate became learning_rate)."""
    import ast
    from pathlib import Path

    tree = ast.parse((Path(__file__).resolve().parents[1] / "app.py").read_text())
    registered = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page":
            kw = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
            registered[node.args[0].value] = kw
    for url_path, (page_file, title, _icon) in PAGES.items():
        if page_file in registered:
            assert registered[page_file].get("url_path") == url_path, page_file
            assert registered[page_file].get("title") == title, page_file
    for p in PRESETS:
        assert p.page_file in registered, f"{p.id}: {p.page_file} is not in app.py"
