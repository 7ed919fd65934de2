"""Text of the maths page (pure Python, no Streamlit): what differs, defaults, errata.

Each optimizer's own teaching text (its summary, what differs between Keras 3,
the paper, Kerasy and PyTorch, the defaults of the other sources) lives with its
update rule and is read here through ``optimizers.teaching(name)``; the update
rules come from the engine (``LATEX``, ``NOTES``) and the Keras 3 defaults from
``optimizers.spec(name)``, so the page cannot disagree with what the app
computes. What is here: the errata of the two source documents the project
started from (``ERRATA``) and the text about Keras 3's common machinery.
``docs/maths.md`` describes the same conventions in prose.
"""
from __future__ import annotations

from dataclasses import dataclass

import optimizers
from optimizers.nadam import DOZAT_PSI, KERAS_PSI, steps_to_reach
from ui.settings import _fmt

DEFAULT_OPT = "Adam"
NAMES = optimizers.available()

# Read from each optimizer's teaching record (its own module); kept as tables for the page.
SUMMARY = {name: optimizers.teaching(name).summary for name in NAMES}
DIFFERENCES = {name: list(optimizers.teaching(name).differences) for name in NAMES}
OTHER_DEFAULTS = {name: dict(optimizers.teaching(name).other_defaults) for name in NAMES}
KERAS_NOTES = {name: optimizers.teaching(name).keras_note for name in NAMES}

SOURCES = ("Keras 3", "Kerasy", "Paper", "PyTorch 2.13")


def keras_defaults(name: str) -> str:
    """The Keras 3 defaults of ``name``, read from the engine's spec (never typed by hand)."""
    return ", ".join(f"{hp.name}={_fmt(hp.default) if hp.kind != 'bool' else hp.default}"
                     for hp in optimizers.spec(name, "keras"))


def defaults_rows(name: str) -> list[dict]:
    """Rows of the defaults table: source, defaults, note."""
    rows = [{"source": "Keras 3", "defaults": keras_defaults(name), "note": KERAS_NOTES[name]}]
    for source in SOURCES[1:]:
        rows.append({"source": source, "defaults": OTHER_DEFAULTS[name][source], "note": ""})
    return rows


def hyperparameter_rows(name: str, flavor: str) -> list[dict]:
    """name, symbol (LaTeX), default, valid range, meaning: generated from ``optimizers.spec``."""
    rows = []
    for hp in optimizers.spec(name, flavor):
        default = hp.default if hp.kind == "bool" else _fmt(hp.default)
        rows.append({"name": hp.name, "symbol": hp.symbol, "default": str(default),
                     "range": hp.range_text(), "meaning": hp.help})
    return rows


def hyperparameter_markdown(name: str, flavor: str) -> str:
    """The hyperparameter table as Markdown (symbols rendered by KaTeX)."""
    lines = ["| argument | symbol | default | valid values | meaning |", "|---|---|---|---|---|"]
    for r in hyperparameter_rows(name, flavor):
        sym = f"${r['symbol']}$" if r["symbol"] else ""
        meaning = r["meaning"].replace("|", "\\|")
        lines.append(f"| `{r['name']}` | {sym} | `{r['default']}` | {r['range']} | {meaning} |")
    return "\n".join(lines)


# --------------------------------------------------------------------------- #
# Errata of the two source documents the project started from                 #
# --------------------------------------------------------------------------- #
ERROR, OMISSION, NOTE = "error", "omission", "note"
KINDS = (ERROR, OMISSION, NOTE)
KIND_TITLES = {ERROR: "Errors: what the document says is wrong",
               OMISSION: "Omissions: right as far as it goes, but something that matters is left out",
               NOTE: "Notes: the document is right; context for the reader"}


@dataclass(frozen=True)
class Erratum:
    source: str           # "kerasy" | "article"
    number: int
    kind: str             # "error" | "omission" | "note"
    title: str
    text: str
    optimizers: tuple = ()  # the optimizers it concerns (empty: the whole document)


KERASY = "kerasy"
ARTICLE = "article"
SOURCE_TITLES = {
    KERASY: "The Kerasy documentation page “Optimizers”",
    ARTICLE: "The article “The Math Behind Keras 3 Optimizers”",
}

_NADAM_CLOSE = 0.99  # "within 1 % of β₁"

ERRATA = (
    # ---- the Kerasy documentation page (checked against Kerasy's optimizers.py) -----
    Erratum(KERASY, 1, ERROR, "Adam's heading names the wrong class",
            "The signature under “Adam” reads `kerasy.optimizers.Adadelta(learning_rate=0.001, beta_1=…, "
            "amsgrad=False)`. It should be `kerasy.optimizers.Adam(…)`.", ("Adam",)),
    Erratum(KERASY, 2, ERROR, "Adagrad's ε is in the wrong place",
            "The page divides by √(v + ε); Kerasy's own code divides by √v + ε. (The page's v⁰ = 0 is right "
            "for Kerasy.)", ("Adagrad",)),
    Erratum(KERASY, 3, ERROR, "RMSprop's ε is in the wrong place",
            "The page has √(v + ε); Kerasy's own code uses √v + ε.", ("RMSprop",)),
    Erratum(KERASY, 4, OMISSION, "Adadelta's formula leaves out the learning rate",
            "Kerasy multiplies the step by `learning_rate`, which the formula does not show. Its default, 1.0, "
            "makes the page's formula exact at the default (it is then Zeiler's rule), and the accumulated Δw "
            "is the learning-rate-free step, as in Zeiler. The page's indexing (s^t built from Δw^(t−1), used "
            "for Δw^t) is consistent with Zeiler's RMS[Δx]_(t−1).", ("Adadelta",)),
    Erratum(KERASY, 5, ERROR, "Adam's formula is not what the code computes",
            "The page shows the textbook η·m̂/(√v̂ + ε). Kerasy (like Keras 3) computes "
            "η·√(1−β₂ᵗ)/(1−β₁ᵗ) · m/(√v + ε), the ε̂ form; the effective ε differs by a factor "
            "1/√(1−β₂ᵗ). The second moment is an RMSprop-style moving average, not “Adagrad using the "
            "square of the gradient”, as the page's own equation shows. And `amsgrad` is listed but no "
            "AMSGrad rule is given (the code takes a max over the raw v).", ("Adam",)),
    Erratum(KERASY, 6, ERROR, "Adamax: an identity that does not hold, and ε left out",
            "The line β₂^∞·v + (1−β₂^∞)|g|^∞ = max(β₂·v, |g|) is not a valid identity: the limit needs u^p "
            "inside, a p-th root outside and β₂ → β₂^p. The update also leaves out ε (Kerasy's code divides by "
            "u + ε) and does not state u⁰ = 0. (m̂ is the Adam section's m/(1−β₁ᵗ), and the default 0.002 is "
            "Kerasy's own, as in the paper.)", ("Adamax",)),
    Erratum(KERASY, 7, OMISSION, "Nadam's update rule is missing",
            "The section shows only classical momentum vs Nesterov's. Kerasy's actual rule (the momentum "
            "schedule β₁(1 − ½·0.96^(0.004t)) with a hidden `schedule_decay=0.004`, then ĝ, m̂ and m̄ as in "
            "Dozat's paper) is never stated, nor that Kerasy's momentum product is never updated (it stays 1).",
            ("Nadam",)),
    Erratum(KERASY, 8, ERROR, "The notation is off by one",
            "g^t is defined as the gradient at w^(t−1), yet every update computes w^(t+1) from w^t using "
            "g^t: read literally, each step uses the gradient of the previous point.", ()),
    Erratum(KERASY, 9, OMISSION, "The SGD Nesterov line leaves out a time index",
            "It writes `momentum ∗ v` without a time index; it is the NEW v^t. It is also the look-ahead "
            "re-parametrisation, not Sutskever's gradient-at-the-look-ahead-point form.", ("SGD",)),
    Erratum(KERASY, 10, OMISSION, "Undocumented behaviour that makes the page's usage pattern unsafe",
            "`epsilon` can be set only through a misspelt keyword, `eosukib` (`epsilon=` raises a TypeError), "
            "so in practice ε is 1e-7; `clipnorm` and `clipvalue` are accepted but silently ignored; and "
            "calling `get_updates` directly, as the page's example does, never advances `iterations`, so Adam, "
            "Adamax and Nadam would stay at t = 1 and `decay` would never act (harmless in the example itself: "
            "plain gradient descent without decay).", ("Adam", "Adamax", "Nadam")),
    Erratum(KERASY, 11, ERROR, "The noise is N(0, 1/100), not N(0, 1/10)",
            "The regression's noise is written N(0, 1/10), but the code draws it with `scale=1/10`, a standard "
            "deviation σ = 0.1: in the usual N(μ, σ²) notation that is N(0, 1/100).", ()),
    Erratum(KERASY, 12, ERROR, "Nadam's second moment is not Adagrad's",
            "Like Adam, Nadam is described as combining momentum with “Adagrad using the square of the "
            "gradient”; its second moment is an RMSprop-style moving average (Kerasy's code: "
            "v ← β₂v + (1 − β₂)g²), not Adagrad's running sum.", ("Nadam",)),
    # ---- the article “The Math Behind Keras 3 Optimizers” ---------------------------
    Erratum(ARTICLE, 1, ERROR, "Adam has not “evolved”: β₁ and β₂ are constants",
            "The article says Keras 3 “adjusts beta_1 and beta_2 exponentially based on the current step”, "
            "making Adam suited to “time-sensitive scenarios like speech recognition”. In fact β₁ and β₂ "
            "are constants: β₁ᵗ and β₂ᵗ are Kingma & Ba's bias correction folded into the step size (the "
            "paper's own efficient form). The speech sentence paraphrases the Adamax docstring. The "
            "formula the article gives is correct for Keras.", ("Adam",)),
    Erratum(ARTICLE, 2, OMISSION, "Adam: ε̂, its default 1e-7 and AMSGrad are not mentioned",
            "The article does not say that adding ε to √v with UNcorrected v means ε acts as "
            "ε/√(1−β₂ᵗ) in textbook terms. It also omits that the default is 1e-7 (not the paper's 1e-8), "
            "and that AMSGrad exists.", ("Adam",)),
    Erratum(ARTICLE, 3, ERROR, "Nadam: `u_t_1 = beta_2 * (…)` is wrong",
            "Keras uses β₁ for both μ_t and μ_(t+1): the line should read "
            "`u_t_1 = beta_1 * (1.0 - 0.5 * power(decay, next_step))`. β₂ never enters the momentum schedule.",
            ("Nadam",)),
    Erratum(ARTICLE, 4, OMISSION, "Nadam: `decay = 0.96` departs from the paper, unflagged",
            "`decay = 0.96` is exactly Keras 3's code: its μ_t uses 0.96ᵗ. What the article leaves out is that "
            "Dozat, PyTorch (`momentum_decay=0.004`), legacy tf.keras and Kerasy use 0.96^(0.004t), so Keras's "
            f"μ_t is within 1 % of β₁ after {steps_to_reach(_NADAM_CLOSE, KERAS_PSI)} steps instead of "
            f"{steps_to_reach(_NADAM_CLOSE, DOZAT_PSI):,}. That schedule is the real way Keras Nadam differs "
            "from the book.", ("Nadam",)),
    Erratum(ARTICLE, 5, ERROR, "Nadam: only the first moment is scheduled",
            "“Combines these two effects on the beta_1 and beta_2 parameters” is wrong: only the "
            "first-moment coefficients are scheduled; β₂ appears only in v/(1 − β₂ᵗ).", ("Nadam",)),
    Erratum(ARTICLE, 6, OMISSION, "Nadam: the product state and ε are described loosely",
            "`u_product` is a single scalar (initially 1.0) advanced once per step BEFORE the per-variable "
            "updates; the `u_product_t` used in `m_hat` already includes μ_t, and `u_product_t_1` is never "
            "stored. ε is added to √v̂ (bias-corrected: the textbook place, unlike Keras Adam).",
            ("Nadam",)),
    Erratum(ARTICLE, 7, OMISSION, "SGD with momentum is incomplete",
            "It gives only `m = momentum*m − lr*g` and leaves out the weight update `w = w + m`.",
            ("SGD",)),
    Erratum(ARTICLE, 8, ERROR, "Adagrad: “divides by this sum”, and missing defaults",
            "It says Adagrad divides the learning rate “by this sum”: the division is by the SQUARE ROOT of the "
            "accumulator, as the article's own formula shows. It also omits that the accumulator starts at "
            "`initial_accumulator_value = 0.1`, and the defaults learning rate 0.001 and ε = 1e-7 (inside the "
            "root).", ("Adagrad",)),
    Erratum(ARTICLE, 9, ERROR, "AdamW's decay is not a “constant decay amount”",
            "The decay is multiplicative, w ← w·(1 − lr·wd), proportional to w, scaled by the SCHEDULED "
            "learning rate and applied before the Adam step; the default `weight_decay = 0.004` is not "
            "given. AdamW does merely subclass Adam, but the decay lives in the base optimizer, so "
            "`Adam(weight_decay=…)`, `SGD(weight_decay=…)`, `Lion(weight_decay=…)` and the others all use "
            "the same decoupled rule. That differs from PyTorch's `Adam(weight_decay)` (L2) and from the "
            "paper's λ·η_t scaling.", ("AdamW",)),
    Erratum(ARTICLE, 10, ERROR, "Lion does keep an accumulation",
            "“Doesn't calculate accumulations, so it uses less memory” is wrong: Lion keeps one momentum "
            "average per weight; the saving comes from having no second moment. The article's update order "
            "is correct (sign of the interpolation with the old m, then the weight step, then the "
            "average), but it omits β₂ = 0.99, the check β₁ ∈ (0, 1] and the advice to use a 3–10× "
            "smaller learning rate than AdamW.", ("Lion",)),
    Erratum(ARTICLE, 11, NOTE, "RMSprop: right formulas, differences unstated",
            "Both formulas (plain, and centred with momentum) are correct for Keras 3. The article does not "
            "say that ε is inside the root and η inside the momentum buffer: the two ways Keras differs "
            "from PyTorch.", ("RMSprop",)),
    Erratum(ARTICLE, 12, NOTE, "Nesterov: right formula, loose explanation",
            "The formula is correct for Keras 3 (it uses the updated m). “Predict the next direction and "
            "add this prediction to the current weight” is a loose description of the look-ahead "
            "re-parametrisation.", ("SGD",)),
    Erratum(ARTICLE, 13, OMISSION, "`t = 0` is hard-coded",
            "t stands for the optimizer's completed-step counter, which advances by one per update (per "
            "batch in `fit`); with gradient accumulation it counts real updates.", ("Adam", "Nadam")),
    Erratum(ARTICLE, 14, OMISSION, "The real differences from the books are missed",
            "The article's only explanation of the book-vs-Keras gap is Adam's “evolution” (#1), a form that "
            "equals the book's except for ε. It misses the real deviations: Adagrad's a₀ = 0.1 and ε inside the "
            "root; RMSprop's ε inside the root and η inside the momentum; Adadelta's default learning rate "
            "0.001; Adamax's learning rate 0.001; Nadam's 0.96ᵗ schedule; decoupled `weight_decay` on "
            "every optimizer.", ()),
    Erratum(ARTICLE, 15, ERROR, "Lion's prose contradicts its formula",
            "It says Lion takes “a sign based on the current gradient”; its own (correct) formula takes the "
            "sign of β₁m + (1 − β₁)g, an interpolation between the old momentum and the gradient.", ("Lion",)),
    Erratum(ARTICLE, 16, ERROR, "ε is not always “added to the denominator”",
            "The variable list says ε is “added to the denominator”; for Adagrad and RMSprop Keras adds it "
            "inside the square root, √(v + ε), as the article's own formulas show.", ("Adagrad", "RMSprop")),
)


def errata(source: str | None = None, kind: str | None = None) -> list[Erratum]:
    return [e for e in ERRATA if (source is None or e.source == source) and (kind is None or e.kind == kind)]


def errata_for(name: str) -> list[Erratum]:
    """The errata that concern optimizer ``name``."""
    return [e for e in ERRATA if name in e.optimizers]


def erratum_label(e: Erratum) -> str:
    return f"{'Kerasy page' if e.source == KERASY else 'Article'} #{e.number} ({e.kind})"


def errata_counts(source: str) -> str:
    """``12 items: 8 errors, 4 omissions`` (kinds with no item left out)."""
    items = errata(source)
    parts = []
    for kind in KINDS:
        n = len(errata(source, kind))
        if n:
            parts.append(f"{n} {kind}{'s' if n != 1 else ''}")
    return f"{len(items)} items: {', '.join(parts)}"


def errata_sections(source: str) -> list[tuple[str, str]]:
    """(heading, Markdown list) for each kind of erratum of ``source`` that has items, errors first.

    Items keep their numbers (``#5``), so a reference to an erratum stays valid."""
    out = []
    for kind in KINDS:
        items = errata(source, kind)
        if items:
            out.append((KIND_TITLES[kind], "\n".join(
                f"- **#{e.number} {e.title}.** {e.text}"
                + (f" *(Concerns: {', '.join(e.optimizers)}.)*" if e.optimizers else " *(Whole document.)*")
                for e in items)))
    return out


# --------------------------------------------------------------------------- #
# The common Keras 3 machinery, shown once below the optimizer                  #
# --------------------------------------------------------------------------- #
ORDER_OF_OPERATIONS = [
    "If `loss_scale_factor` is set, divide the gradients by it.",
    "Gradient accumulation (if on): on a micro-step, add the gradient to the accumulator and skip steps 3–5 "
    "(the weights and the optimizer's state stay as they are), but still do steps 6 and 7; on every n-th step, "
    "replace the gradient by the mean of the last n and empty the accumulator.",
    "Clipping: `clipnorm`, `global_clipnorm` or `clipvalue` (at most one).",
    "Decoupled weight decay on the pre-update weights: w ← w − η·wd·w.",
    "The optimizer's own update rule (the formulas above), with the same η and t = iterations + 1. "
    "Nadam first advances its momentum product, once per step.",
    "The moving average of the weights (`use_ema`), if on.",
    "Variable constraints, then the step counter advances by one (on micro-steps too: learning-rate "
    "schedules see this raw count).",
]

WEIGHT_DECAY_LATEX = r"w \leftarrow w - \eta\,\mathrm{wd}\; w = w\,(1 - \eta\,\mathrm{wd})"
CLIPPING_LATEX = r"""\begin{aligned}
\text{clipnorm:}\ & g \leftarrow g\,\frac{c}{\max(\lVert g\rVert_2,\, c)}\\
\text{global\_clipnorm:}\ & g \leftarrow g\,c\,\min\!\Big(\frac{1}{N}, \frac{1}{c}\Big),\\
& N = \sqrt{\textstyle\sum_{\text{tensors}} \sum g^2}\\
\text{clipvalue:}\ & g \leftarrow \operatorname{clip}(g, -c, c)
\end{aligned}"""
SCHEDULE_LATEX = r"\eta_k = \text{schedule}(k),\quad k = 0, 1, 2, \dots"

WEIGHT_DECAY_TEXT = (
    "Every Keras 3 optimizer accepts `weight_decay`, and it is always **decoupled**: the weights shrink "
    "by the fraction η·wd before the update rule runs (η includes any schedule). So "
    "`Adam(weight_decay=λ)` is exactly `AdamW(weight_decay=λ)`. `SGD(weight_decay=λ)` without momentum "
    "equals L2 regularisation (PyTorch's `weight_decay`); with momentum or any adaptive optimizer the two "
    "differ. The AdamW paper scales the decay by the schedule multiplier instead of the learning rate, so "
    "wd_keras = λ_paper / α."
)
CLIPPING_TEXT = (
    "Clipping happens after unscaling and accumulation and before weight decay. `clipnorm = c` rescales "
    "each tensor separately; `global_clipnorm = c` rescales all tensors together; `clipvalue = c` clips "
    "each entry. At most one may be set, and each is used only if it is > 0."
)
SCHEDULE_TEXT = (
    "A learning-rate schedule is evaluated at the optimizer's **raw** step counter k, the number of "
    "updates completed before this one: the first update uses schedule(0). With gradient accumulation, "
    "schedules see the micro-steps, while bias corrections use the count of real updates. A plain "
    "callable is called with no arguments. Example: `ExponentialDecay` gives "
    "η_k = η₀·rate^(k / decay_steps); `PiecewiseConstantDecay` uses v₀ while k ≤ b₀ (boundaries "
    "inclusive on the left interval)."
)
