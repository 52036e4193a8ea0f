"""Reliability and checkpointing as sympy expressions, with Young's interval derived.

Each closed form of :mod:`genai_edge.reliability` stated once: the
availability algebra (one unit, three in series or in parallel, k of n
identical units as a binomial tail with symbolic k and n), downtime,
synchronous-job failure rates, and the checkpoint intervals of Young, Daly,
the exact Lambert W optimum and Saxena et al., with Daly's goodput.
:func:`derive_young` minimises the first-order waste δ/τ + τ/(2M) and gives
the rhs of ``young_interval``.

References
----------
.. [1] M. Rausand and A. Høyland, *System Reliability Theory*, 2nd ed.,
   Wiley, 2004 (series, parallel and k-out-of-n structures).
.. [2] J. W. Young, "A first order approximation to the optimum checkpoint
   interval," Commun. ACM 17(9), 530-531, 1974. doi:10.1145/361147.361115
.. [3] J. T. Daly, "A higher order estimate of the optimum checkpoint
   interval for restart dumps," Future Gener. Comput. Syst. 22(3), 303-312,
   2006. doi:10.1016/j.future.2004.11.016
.. [4] Saxena et al., 2024. arXiv:2410.18124
"""
from __future__ import annotations

import sympy as sp

from .. import reliability as rel
from .base import Formula, fraction, positive, register, whole

__all__ = ["derive_young", "waste_first_order", "MONTH", "YEAR"]

MONTH = sp.Rational("365.2425") / 12 * 86400   # mean Gregorian month, 2,629,746 [s]
YEAR = sp.Rational("365.2425") * 86400         # mean Gregorian year, 31,556,952 [s]

# ------------------------------------------------------------------ symbols
A, A_1, A_2, A_3 = sp.symbols("A A_1 A_2 A_3", positive=True)           # availabilities [-]
M, R = sp.symbols("M R", positive=True)                                   # MTBF, MTTR [s]
k, n, i = sp.symbols("k n i", integer=True, nonnegative=True)            # units needed, present; index [-]
N_u = sp.Symbol("N", positive=True)                                       # units of a synchronous job [-]
r = sp.Symbol("r", positive=True)                                         # failure rate of one unit [s^-1]
lam_job = sp.Symbol("lambda_job", positive=True)                          # job interruption rate [s^-1]
M_job = sp.Symbol("M_job", positive=True)                                 # job MTBF [s]
tau, delta = sp.symbols("tau delta", positive=True)                      # compute interval, write time [s]
R_s, T_d = sp.symbols("R_s T_d", positive=True)                           # restart, detection time [s]
T_c = sp.Symbol("T_c", positive=True)                                     # checkpoint period [s]
P_up, P_down = sp.symbols("P_up P_down", positive=True)                   # k-of-n probabilities [-]
A_s, A_p = sp.symbols("A_s A_p", positive=True)                           # series, parallel [-]
T_month, T_year = sp.symbols("T_month T_year", positive=True)             # downtime [s]
tau_Y, tau_D, tau_opt = sp.symbols("tau_Y tau_D tau_opt", positive=True)  # intervals [s]
G_p = sp.Symbol("G", positive=True)                                       # goodput [-]


# -------------------------------------------------------------- derivation
def waste_first_order(interval=tau, write=delta, mtbf=M) -> sp.Expr:
    """Young's first-order waste per unit of compute time, δ/τ + τ/(2M). [-]

    δ/τ: one checkpoint write per interval; τ/(2M): on average half an
    interval of work is lost per interruption, at rate 1/M.
    """
    return write / interval + interval / (2 * mtbf)


def derive_young() -> sp.Expr:
    """The interval τ > 0 that minimises :func:`waste_first_order`: solves dw/dτ = 0. [s]

    Returns
    -------
    sympy.Expr
        The positive root, sqrt(2·δ·M), in the symbols ``delta`` and ``M``.

    References
    ----------
    .. [1] Young 1974. doi:10.1145/361147.361115
    """
    t = sp.Symbol("tau", real=True)
    w = waste_first_order(t, delta, M)
    roots = [s for s in sp.solve(sp.Eq(sp.diff(w, t), 0), t) if s.is_positive]
    if len(roots) != 1:
        raise ArithmeticError(f"expected one positive stationary point, got {roots}")
    return roots[0]


def _binomial_term(a, index, units):
    return sp.binomial(units, index) * a ** index * (1 - a) ** (units - index)


# ---------------------------------------------------------------- formulas
_U = {A: "-", M: "s", R: "s", k: "-", n: "-", N_u: "-", r: "s^-1", tau: "s", delta: "s", R_s: "s", T_d: "s"}


def _units(lhs, unit, *args):
    return {lhs: unit, **{s: _U[s] for s in args}}


register(Formula(
    name="availability", lhs=A, rhs=M / (M + R), args=(M, R),
    numeric=rel.availability,
    domain={M: positive(1.0, 1e9), R: positive(1e-3, 1e7)},
    units=_units(A, "-", M, R),
    source="Rausand and Høyland, System Reliability Theory, 2nd ed., Wiley 2004, §5",
    note="Steady state of one unit alternating up periods of mean M and repairs of mean R; holds for any "
         "up and repair distributions with those means (renewal-reward)."))

register(Formula(
    name="series", lhs=A_s, rhs=A_1 * A_2 * A_3, args=(A_1, A_2, A_3),
    numeric=rel.series,
    domain={A_1: fraction(), A_2: fraction(), A_3: fraction()},
    units={A_s: "-", A_1: "-", A_2: "-", A_3: "-"},
    source="Rausand and Høyland, System Reliability Theory, 2nd ed., Wiley 2004, §6.2",
    note="Three independent parts, all needed; reliability.series takes any number of parts."))

register(Formula(
    name="parallel", lhs=A_p, rhs=1 - (1 - A_1) * (1 - A_2) * (1 - A_3), args=(A_1, A_2, A_3),
    numeric=rel.parallel,
    domain={A_1: fraction(), A_2: fraction(), A_3: fraction()},
    units={A_p: "-", A_1: "-", A_2: "-", A_3: "-"},
    source="Rausand and Høyland, System Reliability Theory, 2nd ed., Wiley 2004, §6.2",
    note="Three independent parts, any one suffices; reliability.parallel takes any number of parts."))

register(Formula(
    name="k_of_n", lhs=P_up, rhs=sp.Sum(_binomial_term(A, i, n), (i, k, n)), args=(A, k, n),
    numeric=rel.k_of_n,
    domain={A: fraction(), k: whole(0, 30), n: whole(1, 30)},
    units={P_up: "-", A: "-", k: "-", n: "-"},
    constraint=lambda a, kk, nn: kk <= nn,
    source="Rausand and Høyland, System Reliability Theory, 2nd ed., Wiley 2004, §6.4",
    note="At least k of n independent identical units, each up with probability A: the binomial upper "
         "tail P(X >= k), X ~ Bin(n, A). The bounds are symbolic: evaluate point by point at whole k and n "
         "(lambdified, or .subs(...).doit())."))

register(Formula(
    name="k_of_n_unavailability", lhs=P_down, rhs=sp.Sum(_binomial_term(A, i, n), (i, 0, k - 1)),
    args=(A, k, n),
    numeric=rel.k_of_n_unavailability,
    domain={A: fraction(), k: whole(0, 30), n: whole(1, 30)},
    units={P_down: "-", A: "-", k: "-", n: "-"},
    constraint=lambda a, kk, nn: kk <= nn,
    source="Rausand and Høyland, System Reliability Theory, 2nd ed., Wiley 2004, §6.4",
    note="Fewer than k of n units up: the binomial lower tail P(X <= k - 1), empty (0) for k = 0."))

register(Formula(
    name="downtime_per_month", lhs=T_month, rhs=(1 - A) * MONTH, args=(A,),
    numeric=rel.downtime_per_month,
    domain={A: fraction()},
    units={T_month: "s", A: "-"},
    source="Rausand and Høyland, System Reliability Theory, 2nd ed., Wiley 2004, §5 (unavailability x time)",
    note="Expected downtime over a mean Gregorian month, 365.2425/12 days."))

register(Formula(
    name="downtime_per_year", lhs=T_year, rhs=(1 - A) * YEAR, args=(A,),
    numeric=rel.downtime_per_year,
    domain={A: fraction()},
    units={T_year: "s", A: "-"},
    source="Rausand and Høyland, System Reliability Theory, 2nd ed., Wiley 2004, §5 (unavailability x time)",
    note="Expected downtime over a mean Gregorian year, 365.2425 days."))

register(Formula(
    name="job_failure_rate", lhs=lam_job, rhs=N_u * r, args=(N_u, r),
    numeric=rel.job_failure_rate,
    domain={N_u: positive(1.0, 1e6), r: positive(1e-12, 1e-3)},
    units=_units(lam_job, "s^-1", N_u, r),
    source="A. Grattafiori et al., The Llama 3 herd of models, 2024, §3.3.4. arXiv:2407.21783",
    note="A synchronous job stops when any of its N units fails; independent exponential failures add."))

register(Formula(
    name="job_mtbf", lhs=M_job, rhs=M / N_u, args=(N_u, M),
    numeric=rel.job_mtbf,
    domain={N_u: positive(1.0, 1e6), M: positive(1e3, 1e12)},
    units=_units(M_job, "s", N_u, M),
    source="A. Grattafiori et al., The Llama 3 herd of models, 2024, §3.3.4. arXiv:2407.21783",
    note="Mean time between interruptions of a job on N units of MTBF M each (exponential failures)."))

register(Formula(
    name="young_interval", lhs=tau_Y, rhs=derive_young(), args=(delta, M),
    numeric=rel.young_interval,
    domain={delta: positive(1e-2, 1e4), M: positive(1e2, 1e8)},
    units=_units(tau_Y, "s", delta, M),
    source="J. W. Young, Commun. ACM 17(9), 530-531, 1974. doi:10.1145/361147.361115",
    note="Minimises the first-order waste δ/τ + τ/(2M) (derive_young): at most one failure per interval, "
         "no failure during the write or the restart; accurate for δ << M."))

_x = delta / (2 * M)
register(Formula(
    name="daly_interval", lhs=tau_D,
    rhs=sp.Piecewise((sp.sqrt(2 * delta * M) * (1 + sp.sqrt(_x) / 3 + _x / 9) - delta, delta < 2 * M),
                     (M, True)),
    args=(delta, M),
    numeric=rel.daly_interval,
    domain={delta: positive(1e-2, 1e6), M: positive(1e1, 1e7)},
    units=_units(tau_D, "s", delta, M),
    source="J. T. Daly, Future Gener. Comput. Syst. 22(3), 303-312, 2006, Eq. (37). "
           "doi:10.1016/j.future.2004.11.016",
    note="Daly's higher-order estimate: the first terms of the series of the exact optimum in sqrt(δ/(2M)), "
         "an approximation of the optimum (the numpy function states the same truncated series, so the "
         "two agree to rounding); M when δ >= 2M."))

register(Formula(
    name="optimal_interval", lhs=tau_opt, rhs=M * (1 + sp.LambertW(-sp.exp(-1 - delta / M))), args=(delta, M),
    numeric=rel.optimal_interval,
    domain={delta: positive(1e-1, 1e6), M: positive(1e1, 1e6)},
    units=_units(tau_opt, "s", delta, M),
    constraint=lambda d, m: d / m >= 1e-4,
    source="J. T. Daly, Future Gener. Comput. Syst. 22(3), 2006, Eq. (13) (the wall-time model maximised); "
           "R. M. Corless et al., Adv. Comput. Math. 5, 329-359, 1996 (Lambert W). doi:10.1007/BF02124750",
    note="Root of e^{(τ+δ)/M}(1 − τ/M) = 1, the stationary point of the goodput, on the principal branch W0. "
         "Near δ = 0 the argument approaches W0's branch point −1/e, where W0 in double precision loses "
         "digits and the library switches to the branch-point series for δ/M < 1e-4; the domain is "
         "δ/M >= 1e-4, where both evaluate W0."))

register(Formula(
    name="availability_optimal_interval", lhs=T_c, rhs=delta + sp.sqrt(2 * (M + R_s) * delta + delta ** 2),
    args=(delta, M, R_s),
    numeric=rel.availability_optimal_interval,
    domain={delta: positive(1e-2, 1e4), M: positive(1e2, 1e8), R_s: positive(1e-2, 1e4)},
    units=_units(T_c, "s", delta, M, R_s),
    source="Saxena et al., 2024. arXiv:2410.18124",
    note="Period between checkpoint starts (write included) that maximises availability, with save time δ, "
         "MTTF M and recovery time R."))

register(Formula(
    name="goodput", lhs=G_p,
    rhs=tau / (M * sp.exp((R_s + T_d) / M) * (sp.exp((tau + delta) / M) - 1)),
    args=(tau, delta, M, R_s, T_d),
    numeric=rel.goodput,
    domain={tau: positive(1.0, 1e5), delta: positive(1e-1, 1e3), M: positive(1e2, 1e7),
            R_s: positive(1e-1, 1e3), T_d: positive(1e-1, 1e3)},
    units=_units(G_p, "-", tau, delta, M, R_s, T_d),
    constraint=lambda t, d, m, rs, td: ((t + d) / m >= 1e-3) & ((t + d) / m <= 50) & ((rs + td) / m <= 50),
    source="J. T. Daly, Future Gener. Comput. Syst. 22(3), 303-312, 2006, Eq. (13). "
           "doi:10.1016/j.future.2004.11.016",
    note="Exponential interruptions of mean M; each segment of τ compute and δ write repeats until it runs "
         "without an interruption; every interruption costs a restart R plus detection T_d. The domain keeps "
         "(τ+δ)/M >= 1e-3, where exp(x) − 1 written as such loses no more than ~1e-13 to cancellation (the "
         "library uses expm1)."))
