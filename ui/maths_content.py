"""Text of the maths page (pure Python, no Streamlit): what differs, defaults, errata.

Written from ``shared/optimizer-math.md`` (the project's specification):
§3 per-optimizer rules, §4 defaults, §2 the common Keras machinery, §7 the
errata of the two source documents in ``shared/seeds/``. The update rules
themselves are NOT here: the page reads them from the engine
(``optimizers.get_class(name).LATEX``), and the Keras 3 defaults are read
from ``optimizers.spec(name)`` by :func:`keras_defaults`, so the page cannot
disagree with what the app computes.
"""
from __future__ import annotations

from dataclasses import dataclass

import optimizers
from ui.settings import _fmt

DEFAULT_OPT = "Adam"

# One line per optimizer: what it is, in plain words.
SUMMARY = {
    "GradientDescent": "The oldest rule: step against the gradient, scaled by the learning rate.",
    "SGD": "Gradient descent with an optional velocity (momentum) that remembers past steps, "
           "and Nesterov's look-ahead variant.",
    "Adagrad": "Divides each coordinate's step by the root of the sum of all its squared gradients "
               "so far: steps only ever shrink.",
    "RMSprop": "Like Adagrad, but the squared gradients are averaged with exponential forgetting, "
               "so the steps do not shrink for good.",
    "Adadelta": "Sets the step's size from the ratio of two running RMS values (of past steps and of "
                "gradients), so the paper needs no learning rate.",
    "Adam": "Momentum (an average of gradients) divided by the root of an average of squared "
            "gradients, with both averages bias-corrected.",
    "AdamW": "Adam plus decoupled weight decay: the weights shrink by a fraction each step, "
             "separately from the gradient step.",
    "Adamax": "Adam with the infinity norm: the denominator is a decaying maximum of |g| instead of "
              "an RMS.",
    "Nadam": "Adam with Nesterov momentum and a warm-up schedule for the momentum coefficient.",
    "Lion": "Moves every coordinate by exactly ±η: the sign of an interpolation between the old "
            "momentum and the gradient.",
    "Adafactor": "Adam without momentum and with a factored second moment (a matrix keeps only row and column "
                 "averages of g²); each step is sized relative to the weights, ρ_t·RMS(w), and clipped.",
    "Ftrl": "Follow-the-regularised-leader: the weights are recomputed every step from two sums per coordinate "
            "(of gradients, z, and of squared gradients, n); L1 sets small coordinates to exactly 0.",
    "Lamb": "Adam's direction rescaled per variable (per layer) by a trust ratio ‖w‖/‖r‖, so every layer moves "
            "by η times its own size.",
    "Muon": "For weight matrices: momentum orthogonalised by a Newton–Schulz iteration (every singular value of "
            "the step near 1). Every other variable, a landscape's 2-vector included, takes Keras's Adam step.",
    "ScheduleFreeAdamW": "No learning-rate schedule: AdamW-style steps on a sequence z, a running average x of "
                         "it, and the gradient taken at y, between the two.",
}

# "What differs" between Keras 3, the paper, Kerasy and PyTorch (spec §3).
DIFFERENCES = {
    "GradientDescent": [
        "Keras 3 has no class of this name: it is `SGD(momentum=0.0)`, default learning rate 0.01. "
        "Kerasy's `GradientDescent(learning_rate=0.01)` is the same rule.",
        "The rule is the same in every source. Only Keras's common arguments (weight decay, "
        "clipping, schedules; see below) can change it.",
        "PyTorch's `SGD` defaults to `lr=1e-3`.",
    ],
    "SGD": [
        "Keras keeps the learning rate inside the velocity: v ← μv − ηg, w ← w + v. PyTorch's buffer "
        "holds raw gradients (b ← μb + g, w ← w − ηb): identical for a constant η, different under a "
        "schedule, because Keras's velocity keeps each past step's own η.",
        "Nesterov in Keras, Kerasy and PyTorch is the look-ahead re-parametrisation: the gradient is "
        "taken at the stored w and the step is μ·v_new − η·g (with the NEW v). Sutskever's form takes "
        "the gradient at w + μv; both produce the same sequence of look-ahead points.",
        "`momentum` must be a float in [0, 1]; the velocity slot exists only when μ ≠ 0, and "
        "`nesterov` is ignored when μ = 0.",
        "Keras's `weight_decay` is decoupled. It equals PyTorch's L2 `weight_decay` only without "
        "momentum. Keras has no `dampening`.",
    ],
    "Adagrad": [
        "Keras starts the accumulator at `initial_accumulator_value = 0.1`, not 0.",
        "Keras puts ε inside the root, √(a + ε); the paper, Kerasy and PyTorch add it outside, δ + √a.",
        "Default learning rate: Keras 0.001; Kerasy and PyTorch 0.01 (PyTorch also has `lr_decay`, "
        "ε = 1e-10).",
        "The Keras docstring's advice 'use learning_rate=1.0 to match the paper' is still not exact, "
        "because of a₀ = 0.1 and ε's place.",
    ],
    "RMSprop": [
        "Keras puts ε inside the root and η inside the momentum buffer: m ← μm + ηg/√(v + ε), "
        "w ← w − m (as Graves 2013 and TF1 do).",
        "PyTorch puts ε outside the root and η outside the buffer (b ← μb + g/(√v + ε), w ← w − ηb), "
        "and its defaults differ: lr 0.01, α 0.99, ε 1e-8. With ε = 0 and a constant η the two agree.",
        "Hinton's lecture gives MS ← 0.9·MS + 0.1·g² and divides the gradient by √MS, with no ε; so the "
        "textbook flavour in this app computes the same numbers as Keras.",
        "Kerasy adds ε outside the root and has no `momentum`, `centered` or `epsilon` arguments.",
    ],
    "Adadelta": [
        "Zeiler's rule has no learning rate (η ≡ 1). Keras multiplies the applied step by η with "
        "default **0.001**, so default Keras steps are 1000× smaller than the paper's.",
        "ε: 1e-7 in Keras and Kerasy, 1e-6 in the paper and PyTorch; inside both roots everywhere.",
        "In every implementation the Δ accumulated into E[Δ²] is the learning-rate-free step.",
        "Kerasy and PyTorch default to η = 1.0 (PyTorch also to ρ = 0.9).",
    ],
    "Adam": [
        "Keras folds both bias corrections into the step size, α_t = η·√(1−β₂ᵗ)/(1−β₁ᵗ), and adds ε̂ "
        "to the UNcorrected √v: Kingma & Ba's own 'efficient' form. It is identical to the textbook "
        "rule except for ε: ε̂ acts as a textbook ε_t = ε̂/√(1−β₂ᵗ) (3.2e-6 at t = 1 for ε̂ = 1e-7).",
        "Default ε: 1e-7 in Keras (and Kerasy), 1e-8 in the paper and PyTorch.",
        "β₁ and β₂ are constants; the powers βᵗ are only the bias correction.",
        "AMSGrad: Keras and PyTorch take the max of the raw v and keep the √(1−β₂ᵗ) factor; Reddi et "
        "al. use no bias correction.",
        "PyTorch's `Adam(weight_decay=λ)` is coupled L2; Keras's `Adam(weight_decay=λ)` is decoupled "
        "and exactly `AdamW(weight_decay=λ)`.",
        "Keras counts steps with one global counter; PyTorch counts per parameter.",
    ],
    "AdamW": [
        "In Keras, AdamW is only Adam with `weight_decay` defaulting to 0.004; the decay itself is the "
        "base-class rule w ← w·(1 − η·wd), applied before the Adam step, on every optimizer.",
        "Keras and PyTorch decay by lr·wd per step (so the decay follows the schedule); the paper by "
        "η_t·λ, where η_t is only the schedule multiplier: wd_keras = λ_paper / α.",
        "PyTorch's default `weight_decay` is 0.01 (Keras 0.004), and it adds ε outside the root as "
        "the paper does.",
        "Otherwise as Adam (ε̂ vs ε).",
    ],
    "Adamax": [
        "Keras adds ε (1e-7) to u: w ← w − η·m/((1−β₁ᵗ)(u + ε)). The paper has no ε; PyTorch puts it "
        "inside the max, u ← max(β₂u, |g| + ε).",
        "Default learning rate: Keras **0.001**; the paper, Kerasy and PyTorch 0.002 (the Keras "
        "docstring's 'defaults follow the paper' is wrong for the learning rate).",
        "u ← max(β₂u, |g|) is the p → ∞ limit of the p-norm average (β₂ → β₂ᵖ, p-th root outside).",
    ],
    "Nadam": [
        r"Momentum schedule: Keras 3 uses $\mu_t = \beta_1(1 - \frac12\,0.96^{t})$; Dozat, PyTorch "
        r"(`momentum_decay=0.004`), legacy tf.keras and Kerasy use $0.96^{0.004\,t} = 0.96^{t/250}$. Keras's "
        r"$\mu_t$ reaches $0.75\,\beta_1$ at t ≈ 17; Dozat's only at t ≈ 4245.",
        r"Both $\mu_t$ and $\mu_{t+1}$ use β₁ (never β₂); the m-average uses a constant β₁.",
        r"The product $\Pi_t = \prod_{i \le t} \mu_i$ is one scalar shared by all variables, starting at 1 and "
        "advanced once per step before any variable is updated.",
        "ε is added to the bias-corrected √v̂ (the textbook place), unlike Keras Adam; the Keras "
        "docstring's 'epsilon hat' is wrong.",
        "Keras Nadam equals PyTorch `NAdam(momentum_decay=1.0)`. Defaults: Keras lr 0.001, ε 1e-7; the "
        "paper and PyTorch lr 0.002, ε 1e-8.",
        "Kerasy never updates its product (it stays 1.0).",
    ],
    "Lion": [
        "Keras computes the paper's rule in the paper's order, with its defaults (β₁ 0.9, β₂ 0.99): the "
        "sign of the interpolation with the OLD m, then the weight step, then the momentum update.",
        "It keeps ONE momentum slot per weight: half of Adam's state, not none.",
        "β₁ must be in (0, 1]; Keras's error message says [0, 1], but 0 is rejected.",
        "With `weight_decay` Keras computes exactly the paper's θ ← θ − η(sign(c) + λθ).",
        "The paper advises a learning rate 3–10× smaller than AdamW's and a λ 3–10× larger.",
        "Kerasy and `torch.optim` (2.13) have no Lion.",
    ],
    "Adafactor": [
        "Keras keeps row and column *means* r, c of g² + ε₁ where the paper keeps *sums* R, C; the "
        "reconstruction v̂ = r cᵀ/mean(r) = R C/1ᵀR is the same, so are the steps (the stored factors differ by "
        "the factors m and n).",
        "The relative step is ρ_t = min(η, 1/√t): Keras's learning_rate (0.001) is the cap the paper sets to "
        "10⁻². Any η ≥ 1 gives the same run as η = 1.",
        "Keras's `relative_step` has no effect: ρ_t = min(η, 1/√t) is applied whatever its value, and α_t is "
        "always max(ε₂, RMS(w))·ρ_t.",
        "Variables with more than two axes are factored over their last two, in Keras and PyTorch; vectors keep "
        "the full v̂ (Algorithm 5).",
        "Keras on JAX computes the means and RMS values in float32 even for float64 weights (its `ops.mean`); "
        "the engine computes them in float64: differences of about 1e-7 of a step.",
        "PyTorch's `Adafactor` (lr 0.01) clamps v̂ at ε₁² (ε₁ = machine ε) instead of adding ε₁ to g², takes "
        "α_t from the weights before its decay w(1 − η·wd), and needs d ≥ 1. Kerasy has no Adafactor.",
    ],
    "Ftrl": [
        "Keras's L2 term is 2·`l2_regularization_strength`: Keras's ℓ₂ is half the paper's λ₂.",
        "n starts at `initial_accumulator_value` = 0.1 (the paper: 0), and Keras's β defaults to 0; the paper "
        "takes α, β, λ₁, λ₂ as inputs without defaults.",
        "`learning_rate_power` (the rate η·n^p; the paper's is always p = −½) and "
        "`l2_shrinkage_regularization_strength` are TensorFlow extensions, not in the paper.",
        "Coordinates with |z| ≤ ℓ₁ are exactly 0: the closed form (clip(z, −ℓ₁, ℓ₁) − z)/q is the paper's "
        "case-wise formula.",
        "Kerasy and `torch.optim` (2.13) have no Ftrl.",
    ],
    "Lamb": [
        "Keras puts ε on the bias-corrected √v̂, the paper's placement (unlike Keras Adam).",
        "Weight decay: Keras decays w ← w − η·wd·w before the step, outside the trust ratio; the paper adds λw "
        "to the direction inside it, u = r + λw. Identical without decay.",
        "The ratio is 1 when ‖w‖ or ‖r‖ is 0 (the paper leaves it undefined), and φ is the identity.",
        "Norms are over each whole variable (a layer's kernel, its bias), not per coordinate.",
        "Kerasy and `torch.optim` (2.13) have no Lamb.",
    ],
    "Muon": [
        "Keras follows Liu et al. (2025): the matrix step is scaled by `rms_rate`·√max(n, m) = 0.2·√max(n, m), "
        "and weight decay 0.004 comes first. Jordan et al.'s pseudocode has no scaling (their code: √max(1, n/m)), "
        "no decay, η = 0.02.",
        "Keras's momentum is m ← μm + g, orthogonalised as g + μm (Nesterov, the default); PyTorch keeps an EMA "
        "b ← μb + (1 − μ)g, which the Frobenius normalisation makes almost the same.",
        "Every variable that is not 2-D takes Keras's Adam step (ε̂ on the uncorrected √v) with η·"
        "`adam_lr_ratio` and `adam_weight_decay`; on the 2-D landscapes that is the point itself. Treating "
        "the point as a 1×2 matrix makes the step the normalised momentum instead.",
        "Keras on JAX takes the Frobenius norm in float32; the engine in float64.",
        "PyTorch's `Muon` (lr 1e-3, weight_decay 0.1, √max(1, n/m) or 0.2·√max(n, m)) accepts matrices only and "
        "runs Newton–Schulz in bfloat16. Kerasy has no Muon.",
    ],
    "ScheduleFreeAdamW": [
        "The variable Keras trains is y = (1 − β₁) z + β₁ x; the average x is what converges, and Keras only "
        "implies it: x = (y − (1 − β₁) z)/β₁, so β₁ must be > 0.",
        "Keras averages with weight 1/t; the paper with γ_t²/Σγ_i², where γ_t includes the warm-up and "
        "√(1 − β₂ᵗ).",
        "Keras adds ε to the bias-corrected √v̂; the paper folds √(1 − β₂ᵗ) into γ_t and adds ε to √v.",
        "Weight decay: Keras decays y by η·wd before the step; the paper adds γ_t·λ·y to the z step.",
        "Kerasy has no Schedule-Free optimizer, and neither has `torch.optim` (the reference code is "
        "facebookresearch/schedule_free).",
    ],
}

# Defaults in the other three sources (spec §4). Keras 3's come from the engine.
OTHER_DEFAULTS = {
    "GradientDescent": {"Kerasy": "GradientDescent: learning_rate=0.01",
                        "Paper": "—",
                        "PyTorch 2.13": "SGD: lr=1e-3"},
    "SGD": {"Kerasy": "learning_rate=0.01, momentum=0, nesterov=False",
            "Paper": "—",
            "PyTorch 2.13": "lr=1e-3, momentum=0, dampening=0, nesterov=False"},
    "Adagrad": {"Kerasy": "learning_rate=0.01, a₀=0, ε=1e-7 outside the root (not settable)",
                "Paper": "a₀=0, δ outside the root (no default rate)",
                "PyTorch 2.13": "lr=0.01, a₀=0, eps=1e-10 outside the root, lr_decay=0"},
    "RMSprop": {"Kerasy": "learning_rate=0.001, rho=0.9, ε=1e-7 outside the root",
                "Paper": "ρ=0.9 (Hinton's lecture; no ε given)",
                "PyTorch 2.13": "lr=0.01, alpha=0.99, eps=1e-8 outside the root, η outside momentum"},
    "Adadelta": {"Kerasy": "learning_rate=1.0, rho=0.95, ε=1e-7",
                 "Paper": "no learning rate, ρ=0.95, ε=1e-6",
                 "PyTorch 2.13": "lr=1.0, rho=0.9, eps=1e-6"},
    "Adam": {"Kerasy": "learning_rate=0.001, beta_1=0.9, beta_2=0.999, ε̂=1e-7 (fixed)",
             "Paper": "α=1e-3, β₁=0.9, β₂=0.999, ε=1e-8",
             "PyTorch 2.13": "lr=1e-3, betas=(0.9, 0.999), eps=1e-8 (textbook placement)"},
    "AdamW": {"Kerasy": "— (no AdamW)",
              "Paper": "decay λ × schedule multiplier η_t (not × the base rate α)",
              "PyTorch 2.13": "lr=1e-3, weight_decay=0.01 (× lr), eps=1e-8"},
    "Adamax": {"Kerasy": "learning_rate=0.002, ε=1e-7 on u",
               "Paper": "α=2e-3, β₁=0.9, β₂=0.999, no ε",
               "PyTorch 2.13": "lr=2e-3, eps=1e-8 inside the max"},
    "Nadam": {"Kerasy": "learning_rate=0.001, schedule 0.96^(0.004t) (product never updated), ε=1e-7",
              "Paper": "η=2e-3, β₂=0.999, ε=1e-8, schedule 0.96^(t/250)",
              "PyTorch 2.13": "lr=2e-3, betas=(0.9, 0.999), eps=1e-8, momentum_decay=0.004"},
    "Lion": {"Kerasy": "— (no Lion)",
             "Paper": "β₁=0.9, β₂=0.99; lr 3–10× smaller than AdamW's",
             "PyTorch 2.13": "— (no Lion in torch.optim)"},
    "Adafactor": {"Kerasy": "— (no Adafactor)",
                  "Paper": "ρ_t = min(10⁻², 1/√t), β̂₂ₜ = 1 − t^(−0.8), ε₁=1e-30, ε₂=1e-3, d=1, no momentum",
                  "PyTorch 2.13": "lr=1e-2, beta2_decay=-0.8, eps=(None → machine ε, 1e-3), d=1.0, weight_decay=0.0"},
    "Ftrl": {"Kerasy": "— (no Ftrl)",
             "Paper": "α, β, λ₁, λ₂ are inputs (no defaults); n₀ = z₀ = 0; rate α/(β + √n)",
             "PyTorch 2.13": "— (no Ftrl in torch.optim)"},
    "Lamb": {"Kerasy": "— (no Lamb)",
             "Paper": "η, β₁, β₂, ε, λ are inputs (Algorithm 2); λw inside the trust ratio",
             "PyTorch 2.13": "— (no Lamb in torch.optim)"},
    "Muon": {"Kerasy": "— (no Muon)",
             "Paper": "Jordan et al. (code): lr=0.02, momentum=0.95, Nesterov, 5 steps of (3.4445, −4.7750, 2.0315); "
                      "Liu et al.: step × 0.2·√max(n, m), decay λ",
             "PyTorch 2.13": "lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True, ns_steps=5, eps=1e-7, "
                             "adjust_lr_fn=None (√max(1, n/m)); matrices only"},
    "ScheduleFreeAdamW": {"Kerasy": "— (no Schedule-Free)",
                          "Paper": "lr=0.0025, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, warmup_steps=0 "
                                   "(reference code)",
                          "PyTorch 2.13": "— (not in torch.optim)"},
}

# Notes on the Keras 3 row that the spec list alone cannot show (spec §4).
KERAS_NOTES = {
    "GradientDescent": "keras.optimizers.SGD(momentum=0.0)",
    "SGD": "velocity stores η·g; Nesterov uses the new v",
    "Adagrad": "a₀ = 0.1; ε inside the root",
    "RMSprop": "ε inside the root; η inside the momentum buffer",
    "Adadelta": "η = 0.001 makes steps 1000× smaller than the paper's",
    "Adam": "ε̂ on the uncorrected √v (efficient form)",
    "AdamW": "decay = learning rate × wd, before the Adam step",
    "Adamax": "ε added to u; lr is not the paper's 0.002",
    "Nadam": "μ-schedule 0.96ᵗ; ε on the corrected √v̂",
    "Lion": "same as the paper",
    "Adafactor": "means where the paper sums; relative_step has no effect",
    "Ftrl": "ℓ₂ is half the paper's λ₂; n₀ = 0.1",
    "Lamb": "weight decay outside the trust ratio",
    "Muon": "step × 0.2·√max(n, m); Adam step for non-matrices",
    "ScheduleFreeAdamW": "averaging weight 1/t; ε on the corrected √v̂",
}

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
# Errata of the two source documents (spec §7)                                  #
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class Erratum:
    source: str           # "kerasy" | "article"
    number: int
    title: str
    text: str
    optimizers: tuple = ()  # the optimizers it concerns (empty: the whole document)


KERASY = "kerasy"
ARTICLE = "article"
SOURCE_TITLES = {
    KERASY: "The Kerasy documentation page “Optimizers”",
    ARTICLE: "The article “The Math Behind Keras 3 Optimizers”",
}

ERRATA = (
    # ---- seeds/kerasy-optimizers.txt ------------------------------------------------
    Erratum(KERASY, 1, "Adam's heading names the wrong class",
            "The signature under “Adam” reads `kerasy.optimizers.Adadelta(learning_rate=0.001, beta_1=…, "
            "amsgrad=False)`. It should be `kerasy.optimizers.Adam(…)`.", ("Adam",)),
    Erratum(KERASY, 2, "Adagrad's ε is in the wrong place",
            "The page divides by √(v + ε); Kerasy's own code divides by √v + ε. The page's v⁰ = 0 is right "
            "for Kerasy, but Keras 3 starts the accumulator at 0.1 and defaults to learning rate 0.001, "
            "not Kerasy's 0.01.", ("Adagrad",)),
    Erratum(KERASY, 3, "RMSprop's ε is in the wrong place",
            "The page has √(v + ε); Kerasy uses √v + ε. Keras 3 does use √(v + ε), and also has "
            "`momentum`, `centered` and `epsilon` arguments that Kerasy lacks.", ("RMSprop",)),
    Erratum(KERASY, 4, "Adadelta's formula leaves out the learning rate",
            "Kerasy multiplies the step by `learning_rate` (default 1.0, so the default equals Zeiler's "
            "rule). Keras 3 does the same with default 0.001, which gives 1000× smaller steps. In both, "
            "the accumulated Δw is the learning-rate-free step. The page's indexing (s^t built from "
            "Δw^(t−1), used for Δw^t) is consistent with Zeiler's RMS[Δx]_(t−1).", ("Adadelta",)),
    Erratum(KERASY, 5, "Adam's formula is not what the code computes",
            "The page shows the textbook η·m̂/(√v̂ + ε). Kerasy and Keras 3 compute "
            "η·√(1−β₂ᵗ)/(1−β₁ᵗ) · m/(√v + ε), the ε̂ form; the effective ε differs by a factor "
            "1/√(1−β₂ᵗ). `amsgrad` is listed but no AMSGrad rule is given (the code takes a max over the "
            "raw v). And the second moment is an RMSprop-style moving average, not “Adagrad using the "
            "square of the gradient”, as the page's own equation shows.", ("Adam",)),
    Erratum(KERASY, 6, "Adamax is incomplete and partly wrong",
            "m̂ is used but never defined (m is the β₁-average, m̂ = m/(1−β₁ᵗ)). The line "
            "β₂^∞·v + (1−β₂^∞)|g|^∞ = max(β₂·v, |g|) is not a valid identity: it needs u^p inside, a p-th "
            "root outside and β₂ → β₂^p. The update leaves out ε (Kerasy and Keras 3 divide by u + ε), "
            "the start u⁰ = 0 is not stated, and the default learning rate 0.002 is Kerasy's and the "
            "paper's, not Keras 3's (0.001).", ("Adamax",)),
    Erratum(KERASY, 7, "Nadam's update rule is missing",
            "The section shows only classical momentum vs Nesterov's. The real rule (momentum schedule "
            "β₁(1 − ½·0.96^(0.004t)) with a hidden `schedule_decay=0.004`, and ĝ, m̂, m̄ as in the spec) is "
            "never stated. The docstring's description of `beta_2` (“infinity norm”) is copied from "
            "Adamax, and the page does not reveal that Kerasy's momentum product is never updated.",
            ("Nadam",)),
    Erratum(KERASY, 8, "The notation is off by one",
            "g^t is defined as the gradient at w^(t−1), yet every update computes w^(t+1) from w^t using "
            "g^t.", ()),
    Erratum(KERASY, 9, "The SGD Nesterov line is ambiguous",
            "It writes `momentum ∗ v` without a time index; it is the NEW v^t. It is also the look-ahead "
            "re-parametrisation, not Sutskever's gradient-at-the-look-ahead-point form.", ("SGD",)),
    Erratum(KERASY, 10, "Undocumented behaviour makes the page's usage unsafe",
            "`epsilon` cannot be set (the code reads a misspelt keyword, so ε is always 1e-7); `clipnorm` "
            "and `clipvalue` are silently ignored; and calling `get_updates` directly, as the page's own "
            "example does, never advances `iterations`, so Adam, Adamax and Nadam stay at t = 1 and "
            "`decay` never acts.", ("Adam", "Adamax", "Nadam")),
    # ---- seeds/keras3-optimizers-article.txt ----------------------------------------
    Erratum(ARTICLE, 1, "Adam has not “evolved”: β₁ and β₂ are constants",
            "The article says Keras 3 “adjusts beta_1 and beta_2 exponentially based on the current step”, "
            "making Adam suited to “time-sensitive scenarios like speech recognition”. In fact β₁ and β₂ "
            "are constants: β₁ᵗ and β₂ᵗ are Kingma & Ba's bias correction folded into the step size (the "
            "paper's own efficient form). The speech sentence paraphrases the Adamax docstring. The "
            "formula the article gives is correct for Keras.", ("Adam",)),
    Erratum(ARTICLE, 2, "Adam's ε is ε̂, and its default is 1e-7",
            "The article does not say that adding ε to √v with UNcorrected v means ε acts as "
            "ε/√(1−β₂ᵗ) in textbook terms. It also omits that the default is 1e-7 (not the paper's 1e-8), "
            "and that AMSGrad exists.", ("Adam",)),
    Erratum(ARTICLE, 3, "Nadam: `u_t_1 = beta_2 * (…)` is wrong",
            "Keras uses β₁ for both μ_t and μ_(t+1): the line should read "
            "`u_t_1 = beta_1 * (1.0 - 0.5 * power(decay, next_step))`. β₂ never enters the momentum schedule.", ("Nadam",)),
    Erratum(ARTICLE, 4, "Nadam: `decay = 0.96` is not the paper's schedule",
            "Keras 3 uses 0.96ᵗ; Dozat, PyTorch (`momentum_decay=0.004`), legacy tf.keras and Kerasy use "
            "0.96^(0.004t). Keras's μ_t therefore approaches β₁ within about 100 steps instead of "
            "ramping over thousands. The article does not flag this, and it is the real way Keras Nadam "
            "differs from the book.", ("Nadam",)),
    Erratum(ARTICLE, 5, "Nadam: only the first moment is scheduled",
            "“Combines these two effects on the beta_1 and beta_2 parameters” is wrong: only the "
            "first-moment coefficients are scheduled; β₂ appears only in v/(1 − β₂ᵗ).", ("Nadam",)),
    Erratum(ARTICLE, 6, "Nadam: the product state and ε are described loosely",
            "`u_product` is a single scalar (initially 1.0) advanced once per step BEFORE the per-variable "
            "updates; the `u_product_t` used in `m_hat` already includes μ_t, and `u_product_t_1` is never "
            "stored. ε is added to √v̂ (bias-corrected: the textbook place, unlike Keras Adam).",
            ("Nadam",)),
    Erratum(ARTICLE, 7, "SGD with momentum is incomplete",
            "It gives only `m = momentum*m − lr*g` and leaves out the weight update `w = w + m`.",
            ("SGD",)),
    Erratum(ARTICLE, 8, "Adagrad: omissions, and “divides by the sum”",
            "It omits that the accumulator starts at `initial_accumulator_value = 0.1`, and the defaults "
            "learning rate 0.001 and ε = 1e-7 (inside the root). It says Adagrad divides the learning rate "
            "“by this sum”: the division is by the SQUARE ROOT of the accumulator.", ("Adagrad",)),
    Erratum(ARTICLE, 9, "AdamW's decay is not a “constant decay amount”",
            "The decay is multiplicative, w ← w·(1 − lr·wd), proportional to w, scaled by the SCHEDULED "
            "learning rate and applied before the Adam step; the default `weight_decay = 0.004` is not "
            "given. AdamW does merely subclass Adam, but the decay lives in the base optimizer, so "
            "`Adam(weight_decay=…)`, `SGD(weight_decay=…)`, `Lion(weight_decay=…)` and the others all use "
            "the same decoupled rule. That differs from PyTorch's `Adam(weight_decay)` (L2) and from the "
            "paper's λ·η_t scaling.", ("AdamW",)),
    Erratum(ARTICLE, 10, "Lion does keep an accumulation",
            "“Doesn't calculate accumulations, so it uses less memory” is wrong: Lion keeps one momentum "
            "average per weight; the saving comes from having no second moment. The article's update order "
            "is correct (sign of the interpolation with the old m, then the weight step, then the "
            "average), but it omits β₂ = 0.99, the check β₁ ∈ (0, 1] and the advice to use a 3–10× "
            "smaller learning rate than AdamW.", ("Lion",)),
    Erratum(ARTICLE, 11, "RMSprop: right formulas, differences unstated",
            "Both formulas (plain, and centred with momentum) are correct for Keras 3, but the article does "
            "not say that ε is inside the root and η inside the momentum buffer: the two ways Keras differs "
            "from PyTorch.", ("RMSprop",)),
    Erratum(ARTICLE, 12, "Nesterov: right formula, loose explanation",
            "The formula is correct for Keras 3 (it uses the updated m). “Predict the next direction and "
            "add this prediction to the current weight” is a loose description of the look-ahead "
            "re-parametrisation.", ("SGD",)),
    Erratum(ARTICLE, 13, "`t = 0` is hard-coded",
            "t stands for the optimizer's completed-step counter, which advances by one per update (per "
            "batch in `fit`); with gradient accumulation it counts real updates.", ("Adam", "Nadam")),
    Erratum(ARTICLE, 14, "The central thesis blames the wrong thing",
            "The article attributes the book-vs-Keras gap to Adam's bias-correction form, which is "
            "equivalent except for ε. It misses the real deviations: Adagrad's a₀ = 0.1 and ε inside the "
            "root; RMSprop's ε inside the root and η inside the momentum; Adadelta's default learning rate "
            "0.001; Adamax's learning rate 0.001; Nadam's 0.96ᵗ schedule; decoupled `weight_decay` on "
            "every optimizer.", ()),
)


def errata(source: str | None = None) -> list[Erratum]:
    return [e for e in ERRATA if source is None or e.source == source]


def errata_for(name: str) -> list[Erratum]:
    """The errata that concern optimizer ``name``."""
    return [e for e in ERRATA if name in e.optimizers]


def erratum_label(e: Erratum) -> str:
    return f"{'Kerasy page' if e.source == KERASY else 'Article'} #{e.number}"


# --------------------------------------------------------------------------- #
# The common Keras 3 machinery (spec §2), shown once below the optimizer        #
# --------------------------------------------------------------------------- #
ORDER_OF_OPERATIONS = [
    "If `loss_scale_factor` is set, divide the gradients by it.",
    "Gradient accumulation (if on): either add the gradient to the accumulator and stop here, or "
    "replace it by the mean of the last n gradients.",
    "Clipping: `clipnorm`, `global_clipnorm` or `clipvalue` (at most one).",
    "Decoupled weight decay on the pre-update weights: w ← w − η·wd·w.",
    "The optimizer's own update rule (the formulas above), with the same η and t = iterations + 1. "
    "Nadam first advances its momentum product, once per step.",
    "The moving average of the weights (`use_ema`), if on.",
    "Variable constraints, then the step counter advances by one.",
]

WEIGHT_DECAY_LATEX = r"w \leftarrow w - \eta\,\mathrm{wd}\; w = w\,(1 - \eta\,\mathrm{wd})"
CLIPPING_LATEX = r"""\begin{aligned}
\text{clipnorm:}\ & g \leftarrow g\,\frac{c}{\max(\lVert g\rVert_2,\, c)}\\
\text{global\_clipnorm:}\ & g \leftarrow g\,c\,\min\!\Big(\frac{1}{N}, \frac{1}{c}\Big),\\
& N = \sqrt{\textstyle\sum_{\text{tensors}} \sum g^2}\\
\text{clipvalue:}\ & g \leftarrow \operatorname{clip}(g, -c, c)
\end{aligned}"""
SCHEDULE_LATEX = r"\eta_k = \text{schedule}(k),\quad k = 0, 1, 2, \dots\ \text{(completed raw steps)}"

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
