"""Neural scaling laws: loss from parameters and data, compute-optimal sizing.

Two families of laws, each with its published constants:

* Kaplan et al. 2020 power laws in parameters N (non-embedding), tokens D and
  compute C, and their joint form L(N, D) [1]_;
* the Chinchilla form L(N, D) = E + A/N^α + B/D^β [2]_ with selectable fits
  (`FITS`: Hoffmann et al.'s rounded constants, Epoch AI's refit [3]_, or
  constants of your own through `LossFit`), plus the Llama 3 tokens law
  D*(C) = A·C^α [4]_, which gives the compute-optimal size but no loss.

Training costs 6·N·D FLOP; inference 2·N FLOP per token plus attention [1]_.
For an L(N, D) fit the compute-optimal allocation has a closed form
(Hoffmann et al. Eq. 4): N_opt = G·(C/6)^a, D_opt = (C/6)^b / G with
G = (αA / (βB))^(1/(α+β)), a = β/(α+β), b = α/(α+β); the loss reached is
L*(C) = E + K·(C/6)^(−αβ/(α+β)), K = A·G^(−α) + B·G^β, which inverts in
closed form to the budget for a target loss. `inference_aware_optimal` adds
2·N FLOP per served token over a lifetime token count (Sardana et al. [5]_).

Losses are in nats per token on each paper's own data; they compare models
under one fit, not across fits.

References
----------
.. [1] J. Kaplan et al., "Scaling laws for neural language models," 2020.
   arXiv:2001.08361 (Eqs. 1.1-1.5, Table 1)
.. [2] J. Hoffmann et al., "Training compute-optimal large language models,"
   NeurIPS 2022. arXiv:2203.15556 (Eqs. 2, 4, 10; Table 3)
.. [3] T. Besiroglu, E. Erdil, M. Barnett, J. You, "Chinchilla scaling: a
   replication attempt," 2024. arXiv:2404.10102
.. [4] Llama Team, AI @ Meta, "The Llama 3 herd of models," 2024.
   arXiv:2407.21783 (Section 3.2.1)
.. [5] N. Sardana, J. Portes, S. Doubov, J. Frankle, "Beyond Chinchilla-optimal:
   accounting for inference in language model scaling laws," ICML 2024.
   arXiv:2401.00448
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from . import _validate as v

__all__ = [
    "LossFit", "TokensLaw", "FITS", "get_fit", "fit_names",
    "kaplan_loss_params", "kaplan_loss_data", "kaplan_loss_compute", "kaplan_loss",
    "loss", "training_flops", "inference_flops_per_token",
    "ComputeOptimal", "compute_optimal", "compute_for_loss", "optimal_tokens_for_params",
    "InferenceAware", "inference_aware_optimal", "PF_DAY",
]

PF_DAY = 1e15 * 86400.0
"""One petaFLOP/s-day [FLOP] (Kaplan et al.'s compute unit)."""

# Kaplan et al. 2020, Eqs. 1.1-1.3 and 1.5 (non-embedding parameters; loss in nats/token)
KAPLAN_N_C, KAPLAN_ALPHA_N = 8.8e13, 0.076
KAPLAN_D_C, KAPLAN_ALPHA_D = 5.4e13, 0.095
KAPLAN_C_C, KAPLAN_ALPHA_C = 3.1e8 * PF_DAY, 0.050


@dataclass(frozen=True)
class LossFit:
    """Constants of L(N, D) = E + A/N^α + B/D^β [nat/token]; N in parameters, D in tokens."""

    name: str
    E: float
    A: float
    B: float
    alpha: float
    beta: float
    source: str = "user-supplied constants"

    def __post_init__(self):
        for key in ("A", "B", "alpha", "beta"):
            value = getattr(self, key)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"LossFit {key} must be a finite number > 0, got {value!r}")
        if not (isinstance(self.E, (int, float)) and math.isfinite(self.E) and self.E >= 0):
            raise ValueError(f"LossFit E must be a finite number >= 0, got {self.E!r}")

    @property
    def G(self) -> float:
        """Scale of the optimal allocation, (αA/(βB))^(1/(α+β)) [-]."""
        return (self.alpha * self.A / (self.beta * self.B)) ** (1.0 / (self.alpha + self.beta))

    @property
    def a(self) -> float:
        """Exponent of N_opt in C/6, β/(α+β) [-]."""
        return self.beta / (self.alpha + self.beta)

    @property
    def b(self) -> float:
        """Exponent of D_opt in C/6, α/(α+β) [-]."""
        return self.alpha / (self.alpha + self.beta)


@dataclass(frozen=True)
class TokensLaw:
    """Compute-optimal tokens D*(C) = A·C^α with N = C/(6·D); no loss law."""

    name: str
    A: float
    alpha: float
    source: str


FITS: dict[str, LossFit | TokensLaw] = {
    "hoffmann2022": LossFit(
        "hoffmann2022", E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28,
        source="Hoffmann et al. 2022 Eq. 10 (rounded constants), arXiv:2203.15556. "
               "Warning: the rounded constants give ~93 tokens per parameter at the "
               "Chinchilla budget (5.76e23 FLOP), not the paper's ~20"),
    "besiroglu2024": LossFit(
        "besiroglu2024", E=1.8172, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658,
        source="Besiroglu et al. 2024 refit of Chinchilla Approach 3, arXiv:2404.10102 "
               "(~20 tokens per parameter, consistent with Chinchilla)"),
    "llama3": TokensLaw(
        "llama3", A=0.29, alpha=0.53,
        source="Llama 3, arXiv:2407.21783 Section 3.2.1: N*(C) = A C^alpha, "
               "(alpha, A) = (0.53, 0.29). As printed these give 10.5T tokens and 605B "
               "parameters at 3.8e25 FLOP, where the paper quotes 16.55T and 402B"),
}
"""Named fits; ``besiroglu2024`` is the default (it reproduces Chinchilla's ~20 tokens/parameter)."""

DEFAULT_FIT = "besiroglu2024"


def fit_names() -> list[str]:
    """Names accepted wherever a fit is asked for."""
    return list(FITS)


def get_fit(name: str | LossFit | TokensLaw = DEFAULT_FIT) -> LossFit | TokensLaw:
    """The fit called ``name`` (a `LossFit` or `TokensLaw` passes through)."""
    if isinstance(name, (LossFit, TokensLaw)):
        return name
    key = str(name).strip().lower()
    if key not in FITS:
        raise ValueError(f"fit must be one of {', '.join(FITS)} (or a LossFit), got {name!r}")
    return FITS[key]


def _loss_fit(name) -> LossFit:
    f = get_fit(name)
    if not isinstance(f, LossFit):
        losses = ", ".join(k for k, x in FITS.items() if isinstance(x, LossFit))
        raise ValueError(f"fit {f.name!r} gives compute-optimal tokens but no loss; "
                         f"use one of {losses} (or a LossFit)")
    return f


# ----------------------------------------------------------------- Kaplan 2020
def kaplan_loss_params(n_params):
    """Loss of a model trained to convergence on ample data, L(N) = (N_c/N)^α_N.

    Parameters
    ----------
    n_params : array_like
        Non-embedding parameters, > 0. [-]

    Returns
    -------
    float or ndarray
        Test loss [nat/token].

    References
    ----------
    .. [1] Kaplan et al. 2020, Eq. 1.1 (N_c = 8.8e13, α_N = 0.076). arXiv:2001.08361
    """
    n = v.positive(n_params, "n_params")
    return v.scalar_or_array((KAPLAN_N_C / n) ** KAPLAN_ALPHA_N)


def kaplan_loss_data(n_tokens):
    """Loss of a large model trained with early stopping, L(D) = (D_c/D)^α_D.

    Parameters
    ----------
    n_tokens : array_like
        Training tokens, > 0. [token]

    Returns
    -------
    float or ndarray
        Test loss [nat/token].

    References
    ----------
    .. [1] Kaplan et al. 2020, Eq. 1.2 (D_c = 5.4e13, α_D = 0.095). arXiv:2001.08361
    """
    d = v.positive(n_tokens, "n_tokens")
    return v.scalar_or_array((KAPLAN_D_C / d) ** KAPLAN_ALPHA_D)


def kaplan_loss_compute(compute):
    """Loss at compute-efficient training, L(C_min) = (C_c/C_min)^α_C.

    Parameters
    ----------
    compute : array_like
        Minimum training compute, > 0. [FLOP]

    Returns
    -------
    float or ndarray
        Test loss [nat/token].

    References
    ----------
    .. [1] Kaplan et al. 2020, Eq. 1.3 (C_c = 3.1e8 PF-days, α_C = 0.050). arXiv:2001.08361
    """
    c = v.positive(compute, "compute")
    return v.scalar_or_array((KAPLAN_C_C / c) ** KAPLAN_ALPHA_C)


def kaplan_loss(n_params, n_tokens):
    """Joint law L(N, D) = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D.

    Parameters
    ----------
    n_params : array_like
        Non-embedding parameters, > 0. [-]
    n_tokens : array_like
        Training tokens, > 0 (inf: the L(N) limit). [token]

    Returns
    -------
    float or ndarray
        Test loss [nat/token].

    References
    ----------
    .. [1] Kaplan et al. 2020, Eq. 1.5. arXiv:2001.08361
    """
    n, d = v.broadcast(("n_params", v.positive(n_params, "n_params")),
                       ("n_tokens", v.positive(n_tokens, "n_tokens")))
    return v.scalar_or_array(
        ((KAPLAN_N_C / n) ** (KAPLAN_ALPHA_N / KAPLAN_ALPHA_D) + KAPLAN_D_C / d) ** KAPLAN_ALPHA_D)


# ------------------------------------------------------------- Chinchilla form
def loss(n_params, n_tokens, fit: str | LossFit = DEFAULT_FIT):
    """Pre-training loss L(N, D) = E + A/N^α + B/D^β of a Chinchilla-form fit.

    Parameters
    ----------
    n_params : array_like
        Parameters, > 0. [-]
    n_tokens : array_like
        Training tokens, > 0. [token]
    fit : str or LossFit
        One of `FITS` with a loss law, or your own constants.

    Returns
    -------
    float or ndarray
        Loss [nat/token].

    References
    ----------
    .. [1] Hoffmann et al. 2022, Eq. 2. arXiv:2203.15556
    """
    f = _loss_fit(fit)
    n, d = v.broadcast(("n_params", v.positive(n_params, "n_params")),
                       ("n_tokens", v.positive(n_tokens, "n_tokens")))
    return v.scalar_or_array(f.E + f.A / n ** f.alpha + f.B / d ** f.beta)


def training_flops(n_params, n_tokens):
    """Training compute C = 6·N·D (forward and backward pass per token).

    Parameters
    ----------
    n_params : array_like
        Parameters, >= 0. [-]
    n_tokens : array_like
        Training tokens, >= 0. [token]

    Returns
    -------
    float or ndarray
        Training compute [FLOP].

    References
    ----------
    .. [1] Kaplan et al. 2020, Section 2.1. arXiv:2001.08361
    """
    n, d = v.broadcast(("n_params", v.nonnegative(n_params, "n_params")),
                       ("n_tokens", v.nonnegative(n_tokens, "n_tokens")))
    return v.scalar_or_array(6.0 * n * d)


def inference_flops_per_token(n_params, n_layers=0, context_tokens=0, attention_dim=0):
    """Forward-pass compute per generated token, 2·N + 2·n_layer·n_ctx·d_attn.

    Parameters
    ----------
    n_params : array_like
        Parameters used per token (active parameters for MoE), >= 0. [-]
    n_layers : array_like, default 0
        Transformer layers (0: leave attention out). [-]
    context_tokens : array_like, default 0
        Tokens attended to. [token]
    attention_dim : array_like, default 0
        Query width n_heads·head_dim. [-]

    Returns
    -------
    float or ndarray
        Compute per token [FLOP].

    References
    ----------
    .. [1] Kaplan et al. 2020, Table 1. arXiv:2001.08361
    """
    parts = v.broadcast(("n_params", v.nonnegative(n_params, "n_params")),
                        ("n_layers", v.nonnegative(n_layers, "n_layers")),
                        ("context_tokens", v.nonnegative(context_tokens, "context_tokens")),
                        ("attention_dim", v.nonnegative(attention_dim, "attention_dim")))
    n, layers, ctx, width = parts
    return v.scalar_or_array(2.0 * n + 2.0 * layers * ctx * width)


# ------------------------------------------------------- compute-optimal sizing
@dataclass(frozen=True)
class ComputeOptimal:
    """Compute-optimal allocation of a training budget (floats or arrays)."""

    fit: str
    compute: object           # [FLOP]
    n_params: object          # [-]
    n_tokens: object          # [token]
    tokens_per_param: object  # [token]
    loss: object              # [nat/token]; NaN for a tokens-only law

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def compute_optimal(compute, fit: str | LossFit | TokensLaw = DEFAULT_FIT) -> ComputeOptimal:
    """Parameters and tokens that minimise the loss for a training budget.

    Parameters
    ----------
    compute : array_like
        Training budget C = 6·N·D, > 0. [FLOP]
    fit : str, LossFit or TokensLaw
        One of `FITS` (default ``besiroglu2024``) or your own constants.

    Returns
    -------
    ComputeOptimal
        N_opt, D_opt, D/N and the loss reached (NaN for ``llama3``, which
        fits tokens only).

    Notes
    -----
    The rounded ``hoffmann2022`` constants give about 93 tokens per
    parameter at 5.76e23 FLOP; they do not reproduce Chinchilla's ~20
    (their Approach 1 and 2 allocations). Use ``besiroglu2024`` for that.

    References
    ----------
    .. [1] Hoffmann et al. 2022, Eq. 4. arXiv:2203.15556
    .. [2] Llama 3, arXiv:2407.21783, Section 3.2.1
    """
    c = v.positive(compute, "compute")
    f = get_fit(fit)
    if isinstance(f, TokensLaw):
        d = f.A * c ** f.alpha
        n = c / (6.0 * d)
        lossv = np.full_like(c, np.nan)
    else:
        x = c / 6.0
        n = f.G * x ** f.a
        d = x ** f.b / f.G
        lossv = f.E + f.A / n ** f.alpha + f.B / d ** f.beta
    sa = v.scalar_or_array
    return ComputeOptimal(f.name, sa(c), sa(n), sa(d), sa(d / n), sa(lossv))


def _optimal_loss_scale(f: LossFit) -> tuple[float, float]:
    """K and the exponent γ of L*(C) = E + K·(C/6)^(−γ)."""
    gamma = f.alpha * f.beta / (f.alpha + f.beta)
    k = f.A * f.G ** (-f.alpha) + f.B * f.G ** f.beta
    return k, gamma


def compute_for_loss(target_loss, fit: str | LossFit = DEFAULT_FIT):
    """Smallest training budget that reaches a target loss (compute-optimal).

    Parameters
    ----------
    target_loss : array_like
        Loss to reach, > 0; at or below the fit's E no budget suffices (inf). [nat/token]
    fit : str or LossFit
        A fit with a loss law.

    Returns
    -------
    float or ndarray
        Training compute [FLOP]; inf where ``target_loss <= E``.

    References
    ----------
    .. [1] Hoffmann et al. 2022, Eq. 4 (inverted). arXiv:2203.15556
    """
    f = _loss_fit(fit)
    target = v.positive(target_loss, "target_loss")
    k, gamma = _optimal_loss_scale(f)
    gap = target - f.E
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(gap > 0, 6.0 * (np.where(gap > 0, gap, 1.0) / k) ** (-1.0 / gamma), np.inf)
    return v.scalar_or_array(c)


def optimal_tokens_for_params(n_params, fit: str | LossFit | TokensLaw = DEFAULT_FIT):
    """Training tokens of the compute-optimal model that has ``n_params`` parameters.

    Parameters
    ----------
    n_params : array_like
        Parameters, > 0. [-]
    fit : str, LossFit or TokensLaw
        Allocation to invert.

    Returns
    -------
    float or ndarray
        Tokens D_opt at the budget whose N_opt is ``n_params`` [token].
    """
    n = v.positive(n_params, "n_params")
    f = get_fit(fit)
    if isinstance(f, TokensLaw):
        # N = C^(1-α) / (6A)  =>  C = (6·A·N)^(1/(1-α))
        c = (6.0 * f.A * n) ** (1.0 / (1.0 - f.alpha))
        return v.scalar_or_array(f.A * c ** f.alpha)
    x = (n / f.G) ** (1.0 / f.a)          # C/6
    return v.scalar_or_array(x ** f.b / f.G)


@dataclass(frozen=True)
class InferenceAware:
    """Size that minimises training plus lifetime inference compute for a target loss."""

    fit: str
    target_loss: object         # [nat/token]
    lifetime_tokens: object     # [token]
    n_params: object            # [-]
    n_tokens: object            # [token]
    training_flops: object      # [FLOP]
    inference_flops: object     # [FLOP]
    total_flops: object         # [FLOP]


def inference_aware_optimal(target_loss, lifetime_tokens,
                            fit: str | LossFit = DEFAULT_FIT) -> InferenceAware:
    """Minimise 6·N·D + 2·N·T_inf subject to L(N, D) = target (Sardana et al.).

    Parameters
    ----------
    target_loss : array_like
        Loss to reach, > E of the fit (else NaN results). [nat/token]
    lifetime_tokens : array_like
        Tokens served over the model's lifetime T_inf, >= 0 (0: Chinchilla). [token]
    fit : str or LossFit
        A fit with a loss law.

    Returns
    -------
    InferenceAware
        N, D, training, inference and total compute at the optimum.

    Notes
    -----
    With r = target − E − A/N^α the data needed is D = (B/r)^(1/β), and the
    optimum satisfies 6·D·(α·A·N^(−α)/(β·r) − 1) = 2·T_inf. The left side
    falls monotonically in r, so a vectorized bisection on log r finds the
    unique root (80 halvings of a bracket 60 e-folds wide: ~1e-22 relative).
    Larger T_inf gives a smaller model trained on more tokens.

    References
    ----------
    .. [1] Sardana et al., ICML 2024, Section 2. arXiv:2401.00448
    """
    f = _loss_fit(fit)
    target, t_inf = v.broadcast(("target_loss", v.positive(target_loss, "target_loss")),
                                ("lifetime_tokens", v.nonnegative(lifetime_tokens, "lifetime_tokens",
                                                                  allow_inf=False)))
    gap = target - f.E
    ok = gap > 0
    gap = np.where(ok, gap, 1.0)
    r0 = f.alpha * gap / (f.alpha + f.beta)           # the Chinchilla point (T_inf = 0)

    def log_lhs(log_r):          # log of 6·D·(α·x/(β·r) − 1), x = gap − r
        r = np.exp(log_r)
        excess = f.alpha * (gap - r) / (f.beta * r) - 1.0
        with np.errstate(divide="ignore"):
            return math.log(6.0) + (math.log(f.B) - log_r) / f.beta + np.log(np.maximum(excess, 0.0))

    with np.errstate(divide="ignore"):
        goal = np.log(2.0 * t_inf)
    hi = np.log(r0)                    # lhs = 0 (log -inf) here
    lo = hi - 60.0                     # lhs astronomically large here
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        above = log_lhs(mid) > goal
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    r = np.where(t_inf > 0, np.exp(0.5 * (lo + hi)), r0)
    n = (f.A / (gap - r)) ** (1.0 / f.alpha)
    d = (f.B / r) ** (1.0 / f.beta)
    nan = np.where(ok, 1.0, np.nan)
    n, d = n * nan, d * nan
    train = 6.0 * n * d
    infer = 2.0 * n * t_inf
    sa = v.scalar_or_array
    return InferenceAware(f.name, sa(target), sa(t_inf), sa(n), sa(d), sa(train), sa(infer),
                          sa(train + infer))
