"""ui.settings.OptChoice helpers used by the comparison page (pure Python, no Streamlit)."""
import optimizers
from ui.settings import OptChoice


def test_learning_rate_replaced_and_removed():
    c = OptChoice.make("SGD", learning_rate=0.02, momentum=0.9)
    assert c.with_value("learning_rate", 0.5).kwargs == {"learning_rate": 0.5, "momentum": 0.9}
    assert c.without("learning_rate") == OptChoice("SGD", "keras", (("momentum", 0.9),))
    assert c.without("learning_rate").value("learning_rate") == 0.01  # back to the Keras default
    assert OptChoice.make("Adam").with_value("beta_1", 0.8).with_value("learning_rate", 0.1).params == \
        (("beta_1", 0.8), ("learning_rate", 0.1))  # sorted, so equal choices cache equal


def test_has_learning_rate():
    assert OptChoice.make("Adam").has_learning_rate
    assert OptChoice.make("Adadelta").has_learning_rate
    assert not OptChoice.make("Adadelta", flavor="textbook").has_learning_rate


def test_as_linked_rounds_to_what_the_link_holds():
    c = OptChoice.make("Adam", learning_rate=0.084139514164519651234, amsgrad=True)
    linked = c.as_linked()
    assert linked.value("learning_rate") == 0.08413951416 and linked.value("amsgrad") is True
    assert OptChoice.decode(linked.encode()) == linked  # the link reproduces it exactly


def test_labels_for_sweeps_and_tuned_rates():
    c = OptChoice.make("SGD", learning_rate=0.0123456789, momentum=0.9)
    assert c.label() == "SGD (lr 0.0123456789, μ 0.9)"
    assert c.label(lr_digits=4) == "SGD (lr 0.01235, μ 0.9)"
    assert c.label(show_lr=False) == "SGD (μ 0.9)"
    assert OptChoice.make("Adam", learning_rate=0.05).label(show_lr=False) == "Adam"


def test_config_is_every_hyperparameter_the_optimizer_uses():
    c = OptChoice.make("SGD", flavor="pytorch", learning_rate=0.05, nesterov=True, momentum=0.9)
    cfg = c.config()
    assert cfg == optimizers.full_config("SGD", "pytorch", c.kwargs)
    assert set(cfg) == {hp.name for hp in optimizers.spec("SGD", "pytorch")}
    assert cfg["nesterov"] is True and cfg["learning_rate"] == 0.05
    assert optimizers.get("SGD", flavor="pytorch", **cfg).hp == c.build().hp  # it re-runs as the same optimizer
