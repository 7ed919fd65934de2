"""The classroom presets of the newer Keras rules (Muon, Lamb, Ftrl): each claim run on the engine with the
preset's own parameters, decoded as the race page decodes them (tests/test_presets.py checks their form)."""
import numpy as np

import optimizers
from tests.test_presets import race_runs
from ui.presets import BY_ID, SLANTED_BOWL
from ui.settings import OptChoice


def _lr(preset_id, key="o1"):
    return OptChoice.decode(BY_ID[preset_id].params[key]).value("learning_rate")


def _steps(traj):
    return np.linalg.norm(np.diff(traj.params, axis=0), axis=-1)


def test_muon_row_steps_are_normalised_whatever_the_gradient_size():
    row, keras = race_runs("muon-row-steps")
    assert OptChoice.decode(BY_ID["muon-row-steps"].params["o1"]).value("as_matrix") is True
    assert row.diverged_at is None and keras.diverged_at is None
    lr = _lr("muon-row-steps")
    d = _steps(row) / lr
    assert np.all(np.abs(d - 0.197) < 5e-4), (d.min(), d.max())        # "0.197·η long"
    assert d.max() / d.min() < 1 + 1e-4                                  # the same length, to 4 digits
    g = np.linalg.norm(row.grads, axis=-1)
    assert g.max() / g.min() > 1e4                                        # "four orders of magnitude"
    # Keras's own Muon: the Adam step on the point (velocity slot, ≈ η per coordinate at t = 1), lengths vary.
    assert "velocity" in keras.slots and "velocity" not in row.slots
    np.testing.assert_allclose(np.abs(keras.params[1] - keras.params[0]), lr, rtol=1e-5)
    dk = _steps(keras)
    assert dk.max() / dk.min() > 10


def test_lamb_steps_are_eta_times_the_norm_of_w():
    lamb, adam = race_runs("lamb-trust-ratio")
    lr = _lr("lamb-trust-ratio")
    assert lr == _lr("lamb-trust-ratio", "o2")                            # "same η"
    w_norm = np.linalg.norm(lamb.params[:-1], axis=-1)
    np.testing.assert_allclose(_steps(lamb), lr * w_norm, rtol=1e-12)    # "exactly η·‖w‖ long"
    assert np.linalg.norm([3.0, 2.0]) == np.float64(np.sqrt(13)) and round(np.sqrt(13), 1) == 3.6
    tail = _steps(lamb)[-50:]
    assert np.all((tail > 0.09) & (tail < 0.13)), tail                    # "about 0.1 long"
    dist = lambda t: np.linalg.norm(t.params - np.array([3.0, 2.0]), axis=-1)  # noqa: E731
    assert 0.005 < dist(lamb)[-50:].min() and dist(lamb)[-50:].max() < 0.3   # hops around (3, 2)
    assert dist(adam)[-1] < 1e-4                                          # Adam settles in it
    assert lamb.diverged_at is None and adam.diverged_at is None


def test_ftrl_l1_keeps_x_at_exactly_zero_while_z_is_within_l1():
    plain, l1_one, l1_two = race_runs("ftrl-l1-zeros")
    assert BY_ID["ftrl-l1-zeros"].params["expr"] == SLANTED_BOWL
    for traj, last in ((l1_one, 17), (l1_two, 27)):
        zero = np.flatnonzero(traj.params[:, 0] == 0.0)
        np.testing.assert_array_equal(zero, np.arange(1, last + 1))       # "steps 1–17", "1–27": exactly 0.0
        l1 = float(traj.optimizer.hp["l1_regularization_strength"])
        z = traj.slots["linear"][:, 0]                                   # row j: z before update j
        np.testing.assert_array_equal(np.abs(z[1:]) <= l1, traj.params[1:, 0] == 0.0)  # the engine's own rule
    assert not np.any(plain.params[:, 0] == 0.0)                          # "never without L1"
    for traj in (plain, l1_one, l1_two):                                  # "all three reach (0.5, 1)"
        np.testing.assert_allclose(traj.params[-1], [0.5, 1.0], atol=1e-6)
        assert traj.diverged_at is None


def test_new_presets_name_the_newer_rules_for_the_maths_links():
    assert BY_ID["muon-row-steps"].optimizer_names() == ["Muon"]
    assert BY_ID["lamb-trust-ratio"].optimizer_names() == ["Lamb", "Adam"]
    assert BY_ID["ftrl-l1-zeros"].optimizer_names() == ["Ftrl"]
    assert all(optimizers.get_class(n) for p in ("muon-row-steps", "lamb-trust-ratio", "ftrl-l1-zeros")
               for n in BY_ID[p].optimizer_names())
