"""Classroom presets: links that open a page with everything set.

A preset is data: the page it opens (its ``url_path``) and the URL parameters
of the app contract for that page. ``link(preset)`` is the relative URL a
teacher can paste into slides. Optimizer parameters are built with
``OptChoice.make(...).encode()``, so they are exactly what the pages decode.

Each preset claims something ("Adagrad stalls", "1.1 diverges"); the claims
are checked by running the engine on the preset's own parameters in
``tests/test_presets.py``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

from ui.settings import OptChoice
from ui.text import quoted

ROOT = Path(__file__).resolve().parents[1]

# url_path -> (page file, title, icon), as registered in app.py (see the app contract). Presets use only the
# contract's pages (race, learning_rate, moons); the others are listed on the home page.
PAGES = {
    "race": ("app_pages/race.py", "Optimizer race", ":material/flag:"),
    "learning_rate": ("app_pages/learning_rate.py", "Learning rate", ":material/trending_down:"),
    "moons": ("app_pages/moons.py", "Moons network", ":material/bedtime:"),
    "inspector": ("app_pages/inspector.py", "Step inspector", ":material/biotech:"),
    "compare": ("app_pages/compare.py", "Fair comparison", ":material/balance:"),
    "theory": ("app_pages/theory.py", "See the theory", ":material/insights:"),
    "maths": ("app_pages/maths.py", "The maths", ":material/functions:"),
}

# The URL parameters each page reads (the app contract); presets use only these.
PAGE_PARAMS = {
    "race": {"land", "expr", "start", "steps", "noise", "seed", "sched", "sched_steps", "sched_rate", "wd",
             "clip", "clipv", "view", "frame", *(f"o{i}" for i in range(1, 9))},
    "learning_rate": {"lrs", "epochs", "mode", "bs", "seed", "o1"},
    "moons": {"epochs", "bs", "hidden", "samples", "noise", "seed", "log", *(f"o{i}" for i in range(1, 9))},
    "maths": {"opt"},
}


def frame_index(frame_steps, step: int) -> int:
    """The animation frame that shows ``step`` (the nearest drawn frame): ``frame=`` in a race link is a step,
    so a link keeps its meaning however many frames the map draws."""
    import numpy as np

    ks = np.asarray(frame_steps)
    return int(np.argmin(np.abs(ks - int(step))))


def read_frame(raw, frame_steps) -> tuple[int | None, str | None]:
    """``frame=`` from a race link: (frame index, None), or (None, notice) for a value that is not a step of this
    race, in which case the race opens whole (the link's text is shown literally)."""
    steps = int(frame_steps[-1])
    text = str(raw).strip()
    if not text.isdigit() or len(text) > 9:
        return None, (f"The link's frame {quoted(raw)} is not a step number (0 to {steps}), so the race opens "
                      "at its end.")
    step = int(text)
    if step > steps:
        return None, (f"The link's frame {quoted(raw)} is beyond this race's {steps} steps, so the race opens "
                      "at its end.")
    return frame_index(frame_steps, step), None


@dataclass(frozen=True)
class Preset:
    id: str
    title: str
    description: str          # one line: what to look for
    page_url_path: str        # "race", "learning_rate", "moons"
    params: dict              # URL parameters (str -> str) of the app contract

    @property
    def page_file(self) -> str:
        return PAGES[self.page_url_path][0]

    @property
    def page_title(self) -> str:
        return PAGES[self.page_url_path][1]

    @property
    def page_icon(self) -> str:
        return PAGES[self.page_url_path][2]

    def optimizer_names(self) -> list[str]:
        """Class names of the optimizers the preset shows (for links to the maths page)."""
        names = []
        for key in sorted((k for k in self.params if k[0] == "o" and k[1:].isdigit()), key=lambda k: int(k[1:])):
            name = OptChoice.decode(self.params[key]).name
            if name not in names:
                names.append(name)
        if not names and self.page_url_path == "learning_rate":
            names.append("GradientDescent")
        return names


def link(preset: Preset) -> str:
    """The relative URL that opens ``preset``: ``race?land=rosenbrock&o1=…`` (values percent-encoded)."""
    return f"{preset.page_url_path}?{urlencode(preset.params, quote_via=quote, safe=',')}"


def _opts(*choices: OptChoice) -> dict:
    return {f"o{i}": c.encode() for i, c in enumerate(choices, start=1)}


def _o(name, flavor="keras", **params) -> OptChoice:
    return OptChoice.make(name, flavor, **params)


# The ill-conditioned quadratic (κ = 10) rotated by 30°, written out, because the race's URL has no
# landscape options: f = u²/κ + v² with (u, v) = R(30°)(x, y). Equal to landscapes.get("quadratic",
# condition=10, angle=30) (tests/test_presets.py checks it).
ROTATED_QUADRATIC = "0.1*(sqrt(3)/2*x + y/2)**2 + (sqrt(3)/2*y - x/2)**2"
FLAT_BOWL = "1e-7*(x**2 + y**2)"
# A bowl whose x-direction is 10× flatter, minimum (0.5, 1): at x = 0 the gradient in x is only −0.1.
SLANTED_BOWL = "0.1*(x - 0.5)**2 + (y - 1)**2"

PRESETS: tuple[Preset, ...] = (
    Preset(
        "adagrad-stalls", "Adagrad stalls",
        "Same learning rate 0.05 on a narrow bowl. Opens at step 100: RMSprop and Adam, which forget old gradients, "
        "have reached the minimum; Adagrad divides by the sum of all its squared gradients, so its steps keep "
        "shrinking and it is still far away at step 300.",
        "race",
        {"land": "quadratic", "steps": "300", "frame": "100",
         **_opts(_o("Adagrad", learning_rate=0.05), _o("RMSprop", learning_rate=0.05),
                 _o("Adam", learning_rate=0.05))}),
    Preset(
        "momentum-overshoots", "Momentum overshoots",
        "Plain SGD creeps into the Rosenbrock valley; momentum 0.9 runs along it; momentum 0.99 carries so "
        "much speed that it shoots past the minimum at (1, 1) and swings back and forth.",
        "race",
        {"land": "rosenbrock", "steps": "500",
         **_opts(_o("SGD", learning_rate=0.001), _o("SGD", learning_rate=0.001, momentum=0.9),
                 _o("SGD", learning_rate=0.001, momentum=0.99))}),
    Preset(
        "saddle-escape", "Escaping a saddle",
        "Starting almost on the ridge of x² − y² with a little gradient noise. Opens at step 51: momentum and Adam "
        "have slid off the saddle, plain gradient descent still sits at it (it stays three times longer). Momentum "
        "then leaves the map so fast that it is flagged “diverged”.",
        "race",
        {"land": "saddle", "start": "1.5,0.001", "steps": "300", "noise": "0.05", "seed": "0", "frame": "51",
         **_opts(_o("GradientDescent", learning_rate=0.02), _o("SGD", learning_rate=0.02, momentum=0.9),
                 _o("Adam", learning_rate=0.02))}),
    Preset(
        "lr-diverges", "A learning rate that diverges",
        "The Kerasy line fit with plain gradient descent: 0.01 is slow, 0.1 and 0.5 converge, 1.1 is above "
        "the stability limit (≈ 0.81 here) and blows up.",
        "learning_rate",
        {"lrs": "0.01,0.1,0.5,1.1", "epochs": "100", "mode": "full", "o1": _o("GradientDescent").encode()}),
    Preset(
        "kerasy-lr-demo", "The Kerasy learning-rate demo",
        "The document's own experiment (learning rates 0.01, 0.1, 0.5 for 100 epochs): after 100 epochs "
        "0.01 is still far from the data, 0.5 fits it.",
        "learning_rate",
        {"lrs": "0.01,0.1,0.5", "epochs": "100", "mode": "full", "o1": _o("GradientDescent").encode()}),
    Preset(
        "lion-sign-steps", "Lion's sign steps",
        "On a valley rotated 30°, every Lion step moves each coordinate by exactly ±η, so it zig-zags at "
        "45° and never settles: it keeps hopping around the minimum, while Adam settles in it.",
        "race",
        {"land": "custom", "expr": ROTATED_QUADRATIC, "steps": "200",
         **_opts(_o("Lion", learning_rate=0.03), _o("Adam", learning_rate=0.03))}),
    Preset(
        "adam-epsilon", "Keras vs textbook Adam: where ε goes",
        "On a very flat bowl (gradients below 1e-6) Keras's ε̂, added before bias correction, damps the first "
        "steps: the Keras path lags far behind both textbook paths, even the one with the same ε = 1e-7.",
        "race",
        {"land": "custom", "expr": FLAT_BOWL, "steps": "150",
         **_opts(_o("Adam", learning_rate=0.1), _o("Adam", "textbook", learning_rate=0.1),
                 _o("Adam", "textbook", learning_rate=0.1, epsilon=1e-7))}),
    Preset(
        "adadelta-default", "Adadelta's tiny Keras default",
        "Keras's default learning rate 0.001 makes Adadelta's steps 1000× smaller than Zeiler's: it barely "
        "moves. Even learning_rate=1.0 lags the paper's rule, whose ε is 1e-6 instead of 1e-7.",
        "race",
        {"land": "himmelblau", "steps": "500",
         **_opts(_o("Adadelta"), _o("Adadelta", learning_rate=1.0), _o("Adadelta", "textbook"))}),
    Preset(
        "nadam-schedule", "Nadam's momentum schedule",
        "Both with β₁ = 0.99; only the schedule differs. Keras's momentum (0.96ᵗ) is ≈ 0.98 by step 100, Dozat's "
        "(0.96^(t/250)) stays ≈ 0.5. Opens at step 110: the Keras path has swung far past the minimum, Dozat's "
        "sits in it.",
        "race",
        {"land": "quadratic", "steps": "200", "frame": "110",
         **_opts(_o("Nadam", learning_rate=0.1, beta_1=0.99),
                 _o("Nadam", "textbook", learning_rate=0.1, epsilon=1e-7, beta_1=0.99))}),
    Preset(
        "moons-article", "The article's moons race",
        "The article's line-up on its MLP: RMSprop, Adam, AdamW and Nadam drop below 0.05 loss within "
        "~15 epochs, Lion (at a 10× smaller rate) gets there later, plain SGD and Adagrad are still far "
        "above after 100.",
        "moons",
        {"epochs": "100", "bs": "32",
         **_opts(_o("SGD", learning_rate=0.01), _o("SGD", learning_rate=0.01, momentum=0.9),
                 _o("Adagrad", learning_rate=0.01), _o("RMSprop", learning_rate=0.01),
                 _o("Adam", learning_rate=0.01), _o("AdamW", learning_rate=0.01, weight_decay=0.01),
                 _o("Nadam", learning_rate=0.01), _o("Lion", learning_rate=0.001))}),
    # The newer Keras rules (issue 11); each claim is checked on the engine in tests/test_presets_zoo.py.
    Preset(
        "muon-row-steps", "Muon's normalised steps",
        "With the point treated as a 1×2 matrix, Muon steps along its normalised momentum: every step is "
        "0.197·η long while the gradient's size spans four orders of magnitude. Keras's own Muon moves the "
        "point with its Adam step instead.",
        "race",
        {"land": "rosenbrock", "steps": "300",
         **_opts(_o("Muon", learning_rate=0.1, as_matrix=True, weight_decay=0.0),
                 _o("Muon", learning_rate=0.1, weight_decay=0.0, adam_weight_decay=0.0))}),
    Preset(
        "lamb-trust-ratio", "Lamb's trust ratio",
        "Lamb rescales Adam's direction so every step is exactly η·‖w‖ long. The minimum (3, 2) is 3.6 from "
        "the origin, so Lamb's steps stay about 0.1 long and it hops around it; Adam, same η, settles.",
        "race",
        {"land": "himmelblau", "start": "0.5,0.5", "steps": "300",
         **_opts(_o("Lamb", learning_rate=0.03), _o("Adam", learning_rate=0.03))}),
    Preset(
        "ftrl-l1-zeros", "Ftrl's L1 gives exact zeros",
        "With L1 strength λ₁, Ftrl keeps x at exactly 0 while its accumulator z stays within ±λ₁: steps 1–17 "
        "for λ₁ = 1, 1–27 for λ₁ = 2, never without L1. All three still reach the minimum (0.5, 1).",
        "race",
        {"land": "custom", "expr": SLANTED_BOWL, "start": "-2,-2", "steps": "200",
         **_opts(_o("Ftrl", learning_rate=0.5), _o("Ftrl", learning_rate=0.5, l1_regularization_strength=1.0),
                 _o("Ftrl", learning_rate=0.5, l1_regularization_strength=2.0))}),
)

BY_ID = {p.id: p for p in PRESETS}


STORY_KEY = "_preset_story"


def preset_for(url_path: str, params: dict) -> Preset | None:
    """The preset whose link this is (``params`` exactly its parameters, presentation mode aside), or None."""
    params = {k: v for k, v in params.items() if k != "present"}
    return next((p for p in PRESETS if p.page_url_path == url_path and p.params == params), None)


def show_story(url_path: str) -> None:
    """Above the page: what the preset that opened it shows (its title and “look for” line), so the story is
    visible as opened. Called by ``app.py`` before each page; kept while the class stays on that page."""
    import streamlit as st

    ss = st.session_state
    found = preset_for(url_path, {k: st.query_params[k] for k in st.query_params})
    if found is not None:
        ss[STORY_KEY] = found.id
    story = BY_ID.get(ss.get(STORY_KEY, ""))
    if story is None or story.page_url_path != url_path:
        ss.pop(STORY_KEY, None)
        return
    st.info(f"**Preset: {story.title}.** {story.description}", icon=":material/school:")
