"""Neural scaling laws as sympy expressions, with the Chinchilla optimum derived.

The closed forms of :mod:`genai_edge.scaling` stated once: Kaplan et al.'s
power laws, the Chinchilla-form loss L(N, D) = E + A/N^α + B/D^β, the
training and inference compute, and the compute-optimal allocation, which
:func:`derive_chinchilla` obtains by minimising the loss at fixed compute
C = 6·N·D with a Lagrange multiplier.

References
----------
.. [1] J. Kaplan et al., "Scaling laws for neural language models," 2020.
   arXiv:2001.08361 (Eqs. 1.1-1.5, Table 1)
.. [2] J. Hoffmann et al., "Training compute-optimal large language models,"
   NeurIPS 2022. arXiv:2203.15556 (Eqs. 2 and 4, Appendix D.2)
"""
from __future__ import annotations

import functools

import sympy as sp

from .. import scaling
from .base import Formula, fraction, pointwise, positive, register

__all__ = ["derive_chinchilla", "chinchilla_loss"]

# ------------------------------------------------------------------ symbols
N, D, C = sp.symbols("N D C", positive=True)                   # parameters [-], tokens [token], compute [FLOP]
E, A, B = sp.symbols("E A B", positive=True)                   # loss-fit constants [nat/token]
alpha, beta = sp.symbols("alpha beta", positive=True)          # loss-fit exponents [-]
L, L_target = sp.symbols("L L_target", positive=True)          # loss [nat/token]
N_opt, D_opt, C_loss = sp.symbols("N_opt D_opt C_L", positive=True)
F_tok = sp.Symbol("F_token", positive=True)                    # inference compute per token [FLOP token^-1]
n_layer, n_ctx, d_attn = sp.symbols("n_layer n_ctx d_attn", positive=True)
lam = sp.Symbol("lambda", real=True)                            # Lagrange multiplier [nat/token FLOP^-1]

# Kaplan et al. 2020 constants, exact as published (Eqs. 1.1-1.3)
N_c, alpha_N = sp.Rational("8.8e13"), sp.Rational("0.076")
D_c, alpha_D = sp.Rational("5.4e13"), sp.Rational("0.095")
C_c, alpha_C = sp.Rational("3.1e8") * 10 ** 15 * 86400, sp.Rational("0.050")


def chinchilla_loss(n_params=N, n_tokens=D) -> sp.Expr:
    """L(N, D) = E + A/N^α + B/D^β (Hoffmann et al. Eq. 2). [nat/token]"""
    return E + A / n_params ** alpha + B / n_tokens ** beta


# -------------------------------------------------------------- derivation
def derive_chinchilla() -> dict:
    """Minimise :func:`chinchilla_loss` subject to C = 6·N·D with a Lagrange multiplier.

    The stationarity conditions of Λ = L(N, D) + λ(6·N·D − C) in N and D
    give λ from ∂Λ/∂N = 0; substituted into ∂Λ/∂D = 0 they say
    αA/N^α = βB/D^β. With D = C/(6N) and both sides' logarithms this is
    linear in ln N, solved for N > 0.

    Returns
    -------
    dict
        ``N_opt`` and ``D_opt`` in C, A, B, α, β; ``a`` and ``b``, their
        exponents in C (d ln N_opt / d ln C); ``G``, the scale
        N_opt/(C/6)^a; ``D_scale``, D_opt/(C/6)^b (which is 1/G).

    References
    ----------
    .. [1] Hoffmann et al. 2022, Eq. 4 and Appendix D.2. arXiv:2203.15556
    """
    return dict(_derive_chinchilla())


@functools.cache
def _derive_chinchilla() -> dict:
    lagrangian = chinchilla_loss(N, D) + lam * (6 * N * D - C)
    d_n, d_d = sp.diff(lagrangian, N), sp.diff(lagrangian, D)
    (multiplier,) = sp.solve(d_n, lam)
    terms = sp.Add.make_args(sp.expand(d_d.subs(lam, multiplier)))
    gain = [t for t in terms if t.is_positive]
    cost = [t for t in terms if t.is_negative]
    if len(gain) != 1 or len(cost) != 1 or len(terms) != 2:
        raise ArithmeticError(f"expected one positive and one negative term, got {terms}")
    n_side, d_side = (x.subs(D, C / (6 * N)) for x in (gain[0], -cost[0]))
    log_n = sp.Symbol("u", real=True)
    linear = (sp.expand_log(sp.log(n_side), force=True)
              - sp.expand_log(sp.log(d_side), force=True)).subs(sp.log(N), log_n)
    if linear.has(N):
        raise ArithmeticError(f"the stationarity condition is not linear in ln N: {linear}")
    roots = sp.solve(linear, log_n)
    if len(roots) != 1:
        raise ArithmeticError(f"expected one stationary point, got {roots}")
    n_opt = _tidy(sp.exp(roots[0]))
    d_opt = _tidy(C / (6 * n_opt))
    x = C / 6
    a = sp.simplify(C * sp.diff(n_opt, C) / n_opt)
    b = sp.simplify(C * sp.diff(d_opt, C) / d_opt)
    g = _tidy(n_opt / x ** a)
    d_scale = _tidy(d_opt / x ** b)
    return {"N_opt": n_opt, "D_opt": d_opt, "G": g, "a": a, "b": b, "D_scale": d_scale}


def _tidy(expr):
    """Split powers of products, merge powers of one base, simplify the exponents (all symbols > 0)."""
    expr = sp.expand_power_base(expr, force=True)
    return sp.simplify(sp.powsimp(sp.powdenest(expr, force=True), force=True))


def _fit(E_, A_, B_, alpha_, beta_):
    return scaling.LossFit("sampled", E=E_, A=A_, B=B_, alpha=alpha_, beta=beta_)


# ---------------------------------------------------------------- formulas
_FIT_DOMAIN = {E: fraction(0.5, 3.0), A: positive(10.0, 1e4), B: positive(10.0, 1e4),
               alpha: fraction(0.1, 0.9), beta: fraction(0.1, 0.9)}
_FIT_UNITS = {E: "nat/token", A: "nat/token", B: "nat/token", alpha: "-", beta: "-"}
_HOFFMANN = "J. Hoffmann et al., Training compute-optimal large language models, NeurIPS 2022. arXiv:2203.15556"
_KAPLAN = "J. Kaplan et al., Scaling laws for neural language models, 2020. arXiv:2001.08361"
_FIT_NOTE = ("A, B carry the loss unit times N^α and D^β; the fit's constants are sampled as symbols "
             "and passed to the library as a LossFit.")

_optimum = derive_chinchilla()

register(Formula(
    name="kaplan_loss_params", lhs=L, rhs=(N_c / N) ** alpha_N, args=(N,),
    numeric=scaling.kaplan_loss_params,
    domain={N: positive(1e3, 1e13)},
    units={L: "nat/token", N: "-"},
    source=_KAPLAN + ", Eq. 1.1",
    note="Non-embedding parameters N, trained to convergence on ample data; N_c = 8.8e13, α_N = 0.076."))

register(Formula(
    name="kaplan_loss_data", lhs=L, rhs=(D_c / D) ** alpha_D, args=(D,),
    numeric=scaling.kaplan_loss_data,
    domain={D: positive(1e6, 1e14)},
    units={L: "nat/token", D: "token"},
    source=_KAPLAN + ", Eq. 1.2",
    note="A large model trained with early stopping on D tokens; D_c = 5.4e13, α_D = 0.095."))

register(Formula(
    name="kaplan_loss_compute", lhs=L, rhs=(C_c / C) ** alpha_C, args=(C,),
    numeric=scaling.kaplan_loss_compute,
    domain={C: positive(1e15, 1e27)},
    units={L: "nat/token", C: "FLOP"},
    source=_KAPLAN + ", Eq. 1.3",
    note="Compute-efficient training; C_c = 3.1e8 PF-days (1 PF-day = 8.64e19 FLOP), α_C = 0.050."))

register(Formula(
    name="kaplan_loss", lhs=L, rhs=((N_c / N) ** (alpha_N / alpha_D) + D_c / D) ** alpha_D, args=(N, D),
    numeric=scaling.kaplan_loss,
    domain={N: positive(1e3, 1e13), D: positive(1e6, 1e14)},
    units={L: "nat/token", N: "-", D: "token"},
    source=_KAPLAN + ", Eq. 1.5",
    note="Joint law in non-embedding parameters and tokens with the constants of Eqs. 1.1-1.2."))

register(Formula(
    name="loss", lhs=L, rhs=chinchilla_loss(N, D), args=(N, D, E, A, B, alpha, beta),
    numeric=pointwise(lambda n, d, e, a, b, al, be: scaling.loss(n, d, _fit(e, a, b, al, be))),
    domain={N: positive(1e6, 1e13), D: positive(1e8, 1e14), **_FIT_DOMAIN},
    units={L: "nat/token", N: "-", D: "token", **_FIT_UNITS},
    source=_HOFFMANN + ", Eq. 2",
    note="Parametric fit: irreducible loss E plus finite-model and finite-data terms. " + _FIT_NOTE))

register(Formula(
    name="training_flops", lhs=C, rhs=6 * N * D, args=(N, D),
    numeric=scaling.training_flops,
    domain={N: positive(1e6, 1e13), D: positive(1e8, 1e14)},
    units={C: "FLOP", N: "-", D: "token"},
    source=_KAPLAN + ", Section 2.1",
    note="2 FLOP per parameter and token forward, 4 backward; attention and embeddings left out."))

register(Formula(
    name="inference_flops_per_token", lhs=F_tok, rhs=2 * N + 2 * n_layer * n_ctx * d_attn,
    args=(N, n_layer, n_ctx, d_attn),
    numeric=scaling.inference_flops_per_token,
    domain={N: positive(1e6, 1e13), n_layer: positive(1.0, 200.0), n_ctx: positive(1.0, 1e6),
            d_attn: positive(64.0, 3e4)},
    units={F_tok: "FLOP token^-1", N: "-", n_layer: "-", n_ctx: "token", d_attn: "-"},
    source=_KAPLAN + ", Table 1",
    note="Forward pass per token: 2 FLOP per (active) parameter plus attention over n_ctx tokens."))

register(Formula(
    name="compute_optimal_n_params", lhs=N_opt, rhs=_optimum["N_opt"], args=(C, A, B, alpha, beta),
    numeric=pointwise(lambda c, a, b, al, be: scaling.compute_optimal(c, _fit(1.0, a, b, al, be)).n_params),
    domain={C: positive(1e15, 1e27), **{s: _FIT_DOMAIN[s] for s in (A, B, alpha, beta)}},
    units={N_opt: "-", C: "FLOP", **{s: _FIT_UNITS[s] for s in (A, B, alpha, beta)}},
    source=_HOFFMANN + ", Eq. 4 and Appendix D.2",
    note="Stationary point of L(N, D) on C = 6·N·D (derive_chinchilla); unrounded (the library does not "
         "round to whole parameters); E does not enter. " + _FIT_NOTE))

register(Formula(
    name="compute_optimal_n_tokens", lhs=D_opt, rhs=_optimum["D_opt"], args=(C, A, B, alpha, beta),
    numeric=pointwise(lambda c, a, b, al, be: scaling.compute_optimal(c, _fit(1.0, a, b, al, be)).n_tokens),
    domain={C: positive(1e15, 1e27), **{s: _FIT_DOMAIN[s] for s in (A, B, alpha, beta)}},
    units={D_opt: "token", C: "FLOP", **{s: _FIT_UNITS[s] for s in (A, B, alpha, beta)}},
    source=_HOFFMANN + ", Eq. 4 and Appendix D.2",
    note="D_opt = C/(6·N_opt) at the stationary point (derive_chinchilla); E does not enter. " + _FIT_NOTE))

register(Formula(
    name="compute_optimal_loss", lhs=L,
    rhs=chinchilla_loss(_optimum["N_opt"], _optimum["D_opt"]), args=(C, E, A, B, alpha, beta),
    numeric=pointwise(lambda c, e, a, b, al, be: scaling.compute_optimal(c, _fit(e, a, b, al, be)).loss),
    domain={C: positive(1e15, 1e27), **_FIT_DOMAIN},
    units={L: "nat/token", C: "FLOP", **_FIT_UNITS},
    source=_HOFFMANN + ", Eqs. 2 and 4",
    note="The loss reached at the compute-optimal allocation. " + _FIT_NOTE))

_gamma = alpha * beta / (alpha + beta)
_K = A * _optimum["G"] ** (-alpha) + B * _optimum["G"] ** beta
register(Formula(
    name="compute_for_loss", lhs=C_loss, rhs=6 * ((L_target - E) / _K) ** (-1 / _gamma),
    args=(L_target, E, A, B, alpha, beta),
    numeric=pointwise(lambda t, e, a, b, al, be: scaling.compute_for_loss(t, _fit(e, a, b, al, be))),
    domain={L_target: fraction(0.6, 6.0), **_FIT_DOMAIN},
    units={C_loss: "FLOP", L_target: "nat/token", **_FIT_UNITS},
    constraint=lambda t, e, a, b, al, be: t > e * (1 + 1e-3),
    source=_HOFFMANN + ", Eq. 4 (the optimal loss E + K·(C/6)^(−αβ/(α+β)) inverted)",
    note="Smallest compute-optimal budget reaching L_target > E, with K = A·G^(−α) + B·G^β; the library "
         "gives inf at or below E, outside this domain. " + _FIT_NOTE))
