"""The maths behind the three views of "See the theory": formulas, papers, what each figure shows and where
the app's measurement departs from the theory (pure text, no Streamlit)."""

PHASE_LATEX = r"""\begin{aligned}
&v_t = \beta v_{t-1} - \eta \nabla f(w_{t-1}),\qquad w_t = w_{t-1} + v_t
\qquad\text{(heavy ball; Keras SGD with momentum } \beta\text{)}\\
&\text{along an eigenvector of } A \text{ with eigenvalue } \lambda:\quad
\begin{pmatrix} w_t \\ w_{t-1} \end{pmatrix} =
\begin{pmatrix} 1 + \beta - \eta\lambda & -\beta \\ 1 & 0 \end{pmatrix}
\begin{pmatrix} w_{t-1} \\ w_{t-2} \end{pmatrix}\\
&\rho(\eta, \beta) = \max_{\lambda \in \{\mu, L\}} \bigl|\text{roots of } z^2 - (1 + \beta - \eta\lambda)\,z + \beta\bigr|,
\qquad \text{converges} \iff 0 < \eta L < 2(1 + \beta),\ 0 \le \beta < 1\\
&\eta^* = \frac{4}{(\sqrt{L} + \sqrt{\mu})^2},\quad \beta^* = \Bigl(\frac{\sqrt{\kappa} - 1}{\sqrt{\kappa} + 1}\Bigr)^2,
\quad \rho^* = \frac{\sqrt{\kappa} - 1}{\sqrt{\kappa} + 1}\qquad(\kappa = L/\mu)\\
&\beta = 0:\ \rho = \max_\lambda |1 - \eta\lambda|,\quad \text{best } \eta = \frac{2}{\mu + L},\ \rho = \frac{\kappa - 1}{\kappa + 1}\\
&\text{Nesterov: } z^2 - (1+\beta)(1-\eta\lambda)\,z + \beta(1-\eta\lambda),\quad
\text{converges} \iff 0 < \eta L < \frac{2(1+\beta)}{1+2\beta},\ 0 \le \beta < 1\\
&\text{Nesterov's optimum: } \eta^* = \frac{4}{3L + \mu},\quad \beta^* = \frac{\sqrt{3\kappa+1} - 2}{\sqrt{3\kappa+1} + 2},
\quad \rho^* = 1 - \frac{2}{\sqrt{3\kappa + 1}}
\end{aligned}"""

PHASE_TEXT = """
**Papers.** B. T. Polyak (1964), *Some methods of speeding up the convergence of iteration methods*
(the heavy ball and its optimal η, β); G. Goh (2017), *Why Momentum Really Works*, Distill (the picture of the
(η, β) plane for one quadratic); L. Lessard, B. Recht, A. Packard (2016), *Analysis and design of optimization
algorithms via integral quadratic constraints*, SIAM J. Optim. (Nesterov's optimal tuning on quadratics).

**What the figure shows.** The landscape is the app's ill-conditioned quadratic f = u²/κ + v², whose Hessian has
exactly two eigenvalues, μ = 2/κ and L = 2. Every cell is one run of the engine's SGD (Keras's rule above) from
the quadratic's start (−2.5, 2), all 40,000 cells in one vectorized computation. Its colour is the rate measured
from that run; grey cells diverged. Overlaid is the theory: the red line is the exact edge ηL = 2(1 + β) (Nesterov:
2(1 + β)/(1 + 2β)), the dotted white lines are contours of ρ = max|eigenvalues of the iteration matrix|, the star
is the optimal pair and the diamond on the bottom row (β = 0, plain gradient descent) is η = 2/(μ + L).
Click a cell to run that pair.

**Where the measurement departs from the theory.** The rate is measured from a finite run: the largest norm of
the state (w, v) over steps (3T/4, T] divided by the largest over (T/4, T/2], to the power 1/(T/2). Taking maxima
over windows removes the phase of the oscillating (complex-root) modes, and skipping the first quarter lets the
start's transient die out, but two departures remain. Where the two roots of a mode nearly coincide (the
critical-damping curve through the optimum) the error decays like t·ρᵗ rather than ρᵗ, so the measured rate
differs from ρ by up to about 0.01. And where ρ is within about 1/T of 1 (along the edge, and at the top rows,
β → 1, where ρ ≥ √β) a slowly converging run and a slowly diverging one look alike within T steps: more steps
sharpen the edge. The tests check that the measured edge is the theoretical one to one grid cell on every row.
"""

EOS_LATEX = r"""\begin{aligned}
&\text{gradient descent on } \tfrac12\lambda w^2:\quad w_{t} = (1 - \eta\lambda)\, w_{t-1}
\ \text{ shrinks iff } \lambda < \frac{2}{\eta}\\
&\text{sharpness } S(w) = \lambda_{\max}\bigl(\nabla^2 L(w)\bigr)\ \text{(full-batch Hessian)},\qquad
\text{threshold } \frac{2}{\eta}\ \bigl(\text{momentum } \mu:\ \tfrac{2+2\mu}{\eta};\ \text{Nesterov: }
\tfrac{2+2\mu}{(1+2\mu)\eta}\bigr)\\
&\text{adaptive: } w_{t} = w_{t-1} - \eta P_t^{-1} m_t,\qquad
\text{preconditioned sharpness } \lambda_{\max}(P_t^{-1} H_t)\ \text{vs}\ \frac{2 + 2\beta_1}{(1 - \beta_1)\,\eta}
= \frac{38}{\eta}\ (\beta_1 = 0.9)\\
&\text{Adam (Keras): } P_t = \frac{1 - \beta_1^{\,t}}{\sqrt{1 - \beta_2^{\,t}}}\,(\sqrt{v_t} + \hat\epsilon),\qquad
\text{RMSprop (Keras): } P_t = \sqrt{v_t + \epsilon},\ \text{threshold } \frac{2}{\eta}
\end{aligned}"""

EOS_TEXT = """
**Papers.** J. Cohen, S. Kaur, Y. Li, J. Z. Kolter, A. Talwalkar (2021), *Gradient Descent on Neural Networks
Typically Occurs at the Edge of Stability*, ICLR; J. Cohen, B. Ghorbani, S. Krishnan, N. Agarwal, S. Medapati,
M. Badura, D. Suo, D. Cardoze, Z. Nado, G. Dahl, J. Gilmer (2022), *Adaptive Gradient Methods at the Edge of
Stability*.

**What the figure shows.** Left: the loss on the full training data at every step. Right: the sharpness (for
Adam and RMSprop the preconditioned sharpness, with P read from the optimizer's own state) every few steps,
against the dashed threshold of the same colour. On a quadratic the sharpness is a constant and gradient descent
simply converges below the threshold and diverges above it. On the network the sharpness first *rises*
(progressive sharpening) until it reaches the threshold, then hovers there while the loss keeps falling, with
spikes: the run does not diverge although the quadratic theory says it is at its limit.

**How it is measured.** For the moons network the Hessian-vector products are exact: every quantity of the
forward and backward pass is differentiated along v (forward-over-reverse, Pearlmutter's R-operator), checked
against jax's Hessian in the tests. For the regression and the quadratic they are a central difference of the
analytic gradient, exact for a quadratic up to rounding. The top eigenvalue comes from power iteration on those
products, warm-started from the previous eigenvector, stopped when the Rayleigh quotient changes by less than
0.1 % (checked against numpy's eigvalsh of the full Hessian).

**Where the measurement departs from the theory.** The threshold is exact for a quadratic with a fixed
preconditioner. The network's Hessian changes at every step, so the sharpness settles *near* the threshold,
typically a little above it for gradient descent, as in Cohen et al. (2021), and mostly a little below it for Adam
here. Adam's P changes slowly (β₂ = 0.999) and is read after each step. ReLU networks are piecewise smooth: the
Hessian is that of the piece the weights are on (the kinks have measure zero). With cross-entropy on data that
can be separated, the sharpness falls again once the loss approaches zero, so the presets use noisier moons.
With mini-batches the figure still shows the full-batch sharpness, but the 2/η threshold is a full-batch result.
"""

PLANE_LATEX = r"""\begin{aligned}
&L(a, b) = L(\theta_0 + a\, d_1 + b\, d_2),\qquad \theta_0 = \text{the common start}\\
&\text{PCA: } D = \bigl[\theta^{(k)}_e - \theta_0\bigr]_{\text{every optimizer } k,\ \text{epoch } e} = U \Sigma V^\top,
\quad d_1, d_2 = \text{the first two rows of } V^\top\\
&\text{random (Li et al.): } d_{\ell,j} \leftarrow \frac{d_{\ell,j}}{\lVert d_{\ell,j}\rVert}\,\lVert \theta_{0,\ell,j} \rVert
\ \text{for unit } j \text{ of layer } \ell,\quad d_{\text{bias}} = 0\\
&(a_e, b_e) = \arg\min_{a,b} \lVert \theta_e - \theta_0 - a d_1 - b d_2 \rVert,\qquad
\text{captured} = \frac{\sum_e \lVert \mathrm{proj}(\theta_e - \theta_0)\rVert^2}{\sum_e \lVert \theta_e - \theta_0 \rVert^2}
\end{aligned}"""

PLANE_TEXT = """
**Papers.** H. Li, Z. Xu, G. Taylor, C. Studer, T. Goldstein (2018), *Visualizing the Loss Landscape of Neural
Nets*, NeurIPS (filter-normalised random directions; PCA directions of one trajectory). The
loss-landscape-anim project draws one optimizer's path this way; its issue #8 asks for several optimizers on one
plot, which the PCA of a single path cannot give: here the PCA is of all the paths together.

**What the figure shows.** The moons network (the article's 12-13-13 MLP, 415 weights) trained by every optimizer
from the same start on the same batches; the colours are the full-data training loss at each point of a grid of
at least 60 × 60 points of the plane (every grid point is one network, all evaluated as one stacked computation);
each optimizer's weights after every epoch are projected onto the plane and animated over the epochs. The legend
gives the share of each path's squared displacement from the start that lies in the plane.

**Where the picture departs from the truth.** It is a 2-D slice of a 415-dimensional function. A projected path
is not a path on the slice: the network was off the plane (by the share the legend does not capture), so the
colour under a path is not the loss the network had; the panel under the map compares the two. The PCA plane is
fitted to the paths, so it captures much of their movement but nothing guarantees the loss between them; random
directions capture almost none of it (Li et al. make the same point), so their paths barely leave the start.
"""
