r"""Queueing delay as sympy expressions: M/M/1, Erlang B and C, M/M/c, M/G/1 and M/D/1.

The M/M/1 means are derived here rather than quoted (:func:`derive_mm1`):
the birth-death balance equations give the geometric distribution of the
number in system, its mean follows by summation and Little's law turns it
into the mean sojourn :math:`1/(\mu-\lambda)`. The wait quantiles are
solved from the exponential tails (:func:`derive_mm1_quantiles`) and the
Pollaczek-Khinchine mean from the mean-value argument (:func:`derive_pk`).
Erlang B and C keep the server count :math:`c` a symbol: their sums are
``sympy.Sum`` over :math:`k`, which a lambdified function evaluates for one
whole :math:`c` at a time.

References
----------
.. [1] L. Kleinrock, *Queueing Systems, Volume 1: Theory*. New York, NY,
   USA: Wiley, 1975, ISBN 978-0-471-49110-1, Sec. 3.2 and Ch. 5.
.. [2] D. Gross, J. F. Shortle, J. M. Thompson and C. M. Harris,
   *Fundamentals of Queueing Theory*, 4th ed. Hoboken, NJ, USA: Wiley,
   2008, ISBN 978-0-471-79127-0, Sec. 2.3.
.. [3] J. D. C. Little, "A proof for the queuing formula: L = λW,"
   *Oper. Res.*, vol. 9, no. 3, pp. 383-387, 1961, doi:10.1287/opre.9.3.383.
"""
from __future__ import annotations

import sympy as sp

from .. import queueing as qn
from .base import Formula, fraction, positive, register, whole

__all__ = ["derive_mm1", "derive_mm1_quantiles", "derive_pk", "erlang_b_expr", "erlang_c_expr"]

_KLEINROCK_32 = "L. Kleinrock, Queueing Systems, Vol. 1: Theory, Wiley, 1975, Sec. 3.2"
_KLEINROCK_5 = "L. Kleinrock, Queueing Systems, Vol. 1: Theory, Wiley, 1975, Ch. 5"
_GROSS = ("D. Gross, J. F. Shortle, J. M. Thompson and C. M. Harris, Fundamentals of Queueing Theory, "
          "4th ed., Wiley, 2008, Sec. 2.3")
_LITTLE = "J. D. C. Little, Oper. Res. 9(3), 383-387, 1961, doi:10.1287/opre.9.3.383"

lam = sp.Symbol("lambda", positive=True)   # arrival rate [s^-1]
mu = sp.Symbol("mu", positive=True)        # service rate of one server [s^-1]
c = sp.Symbol("c", integer=True, positive=True)   # servers [-]
A = sp.Symbol("A", positive=True)          # offered load lambda/mu [-]
q = sp.Symbol("q", positive=True)          # probability level [-]
t = sp.Symbol("t", positive=True)          # time [s]
rho = sp.Symbol("rho", positive=True)      # utilisation [-]
ES = sp.Symbol("E[S]", positive=True)      # mean service time [s]
cs2 = sp.Symbol("c_s^2", nonnegative=True)  # squared coefficient of variation of service [-]
D = sp.Symbol("D", positive=True)          # constant service time [s]
_k = sp.Symbol("k", integer=True, nonnegative=True)
_n = sp.Symbol("n", integer=True, nonnegative=True)

W_q = sp.Symbol("W_q", positive=True)
T_s = sp.Symbol("T", positive=True)
t_q = sp.Symbol("t_q", nonnegative=True)
B_loss = sp.Symbol("B", positive=True)
C_wait = sp.Symbol("C", positive=True)


def _converged(expr: sp.Expr, condition) -> sp.Expr:
    """``expr`` with every Piecewise that sympy returns for a series replaced by its branch under ``condition``."""
    def branch(pw):
        for e, cond in pw.args:
            if cond == condition:
                return e
        raise ValueError(f"no branch of {pw} holds under {condition}")
    return expr.replace(lambda e: isinstance(e, sp.Piecewise), branch)


def derive_mm1() -> dict:
    r"""M/M/1 stationary distribution, mean number and mean times, derived symbolically.

    Returns
    -------
    dict
        ``'p'``: :math:`p_n` as a function of the symbol ``n`` and
        :math:`\rho`; ``'L'``: mean number in system :math:`E[N]`;
        ``'Lq'``: mean number waiting; ``'T'``: mean sojourn :math:`E[T]`;
        ``'W'``: mean wait in queue :math:`E[W_q]` (``L``, ``Lq`` in
        :math:`\rho`; ``T``, ``W`` in :math:`\lambda, \mu`).

    Notes
    -----
    Cutting the birth-death chain between states :math:`n` and
    :math:`n+1` gives :math:`\lambda p_n = \mu p_{n+1}`, hence
    :math:`p_n = \rho^n p_0`; normalising (:math:`\rho < 1`) gives
    :math:`p_0 = 1-\rho`. Then :math:`E[N] = \sum_n n p_n` and
    :math:`E[N_q] = \sum_{n\ge1} (n-1) p_n`, and Little's law [1]_
    :math:`E[T] = E[N]/\lambda`, :math:`E[W_q] = E[N_q]/\lambda`.

    References
    ----------
    .. [1] J. D. C. Little, "A proof for the queuing formula: L = λW,"
       *Oper. Res.*, vol. 9, no. 3, pp. 383-387, 1961.
    """
    stable = rho < 1
    p0 = sp.Symbol("p_0", positive=True)
    # balance across the cut between n and n+1: lambda p_n = mu p_{n+1}, i.e. p_{n+1} = rho p_n
    p_n = p0 * rho ** _n
    if sp.simplify(p_n.subs(_n, _n + 1) - rho * p_n) != 0:
        raise ArithmeticError("p_n does not satisfy the balance equations")
    # the series are summed with the constant factor p_0 outside (sympy sums rho^n and n rho^n directly)
    total = p0 * _converged(sp.summation(rho ** _n, (_n, 0, sp.oo)), stable)
    p0_value = sp.solve(sp.Eq(total, 1), p0)[0]
    p_n = p_n.subs(p0, p0_value)
    mean_n = sp.simplify(p0_value * _converged(sp.summation(_n * rho ** _n, (_n, 0, sp.oo)), stable))
    # E[N_q] = sum_{n>=1} (n - 1) p_n = E[N] - P(N >= 1) = E[N] - (1 - p_0)
    mean_nq = sp.simplify(mean_n - (1 - p0_value))
    at_rates = {rho: lam / mu}
    return {
        "p": p_n,
        "L": mean_n,
        "Lq": mean_nq,
        "T": sp.simplify(mean_n.subs(at_rates) / lam),
        "W": sp.simplify(mean_nq.subs(at_rates) / lam),
    }


def derive_mm1_quantiles() -> dict:
    r"""M/M/1 wait and sojourn quantiles, solved from their exponential tails.

    Returns
    -------
    dict
        ``'wait'``: :math:`t_q` of the wait in queue, 0 for
        :math:`q \le 1-\rho` (the atom at zero); ``'response'``: :math:`t_q`
        of the sojourn time. Both in :math:`\lambda, \mu, q`.

    Notes
    -----
    :math:`P(W_q > t) = \rho e^{-(\mu-\lambda)t}` and
    :math:`P(T > t) = e^{-(\mu-\lambda)t}` (Kleinrock 1975, Sec. 3.2);
    each is set equal to :math:`1-q` and solved for :math:`t`. The wait's
    root is negative below the atom, where the smallest :math:`t` with
    :math:`P(W_q \le t) \ge q` is 0; ``Max(0, root)`` states both cases.
    """
    r = lam / mu
    wait_root, = sp.solve(sp.Eq(r * sp.exp(-(mu - lam) * t), 1 - q), t)
    resp_root, = sp.solve(sp.Eq(sp.exp(-(mu - lam) * t), 1 - q), t)
    return {"wait": sp.Max(0, wait_root), "response": resp_root}


def derive_pk() -> sp.Expr:
    r"""Pollaczek-Khinchine mean wait of M/G/1 by the mean-value argument.

    Returns
    -------
    sympy.Expr
        :math:`E[W_q]` in :math:`\lambda`, :math:`E[S]` and :math:`c_s^2`.

    Notes
    -----
    A Poisson arrival (PASTA) waits for the :math:`E[N_q]` customers ahead
    of it, :math:`E[S]` each, plus the residual service of the one in
    service, :math:`\lambda E[S^2]/2`:
    :math:`E[W_q] = E[N_q] E[S] + \lambda E[S^2]/2` with Little's law
    :math:`E[N_q] = \lambda E[W_q]` and
    :math:`E[S^2] = E[S]^2 (1 + c_s^2)`; solved for :math:`E[W_q]`
    (Kleinrock 1975, Ch. 5).
    """
    w = sp.Symbol("w")
    es2 = ES ** 2 * (1 + cs2)
    root, = sp.solve(sp.Eq(w, (lam * w) * ES + lam * es2 / 2), w)
    return sp.factor(root)


def erlang_b_expr(a=A, servers=c) -> sp.Expr:
    r"""Erlang B, :math:`B(A, c) = \frac{A^c/c!}{\sum_{k=0}^{c} A^k/k!}`, with ``servers`` symbolic or whole."""
    return (a ** servers / sp.factorial(servers)) / sp.Sum(a ** _k / sp.factorial(_k), (_k, 0, servers))


def erlang_c_expr(a=A, servers=c) -> sp.Expr:
    r"""Erlang C, :math:`\frac{A^c}{c!}\frac{c}{c-A}\big/\big(\sum_{k<c} A^k/k! + \frac{A^c}{c!}\frac{c}{c-A}\big)`."""
    top = a ** servers / sp.factorial(servers) * servers / (servers - a)
    return top / (sp.Sum(a ** _k / sp.factorial(_k), (_k, 0, servers - 1)) + top)


def _stable_mm1(lam_, mu_, *_):
    return lam_ < mu_


def _stable_mmc(lam_, mu_, c_, *_):
    return lam_ < c_ * mu_


_RATE = positive(1e-3, 1e3)
# M/M/c: loads A = lambda/mu from 1e-3 up, so that A^c/c! (c <= 64) stays a normal float
_RATE_C = positive(1e-1, 1e2)
_LEVEL = fraction(1e-3, 0.999)
_SERVERS = whole(1, 64)

_mm1 = derive_mm1()
_mm1_q = derive_mm1_quantiles()

register(Formula(
    name="mm1_mean_wait", lhs=W_q, rhs=_mm1["W"], args=(lam, mu), numeric=qn.mm1_mean_wait,
    domain={lam: _RATE, mu: _RATE}, units={W_q: "s", lam: "s^-1", mu: "s^-1"},
    source=f"{_KLEINROCK_32}; {_LITTLE}", constraint=_stable_mm1,
    note="Poisson arrivals, exponential service, one FCFS server, infinite room, rho = lambda/mu < 1; "
         "derived from the geometric stationary distribution and Little's law."))

register(Formula(
    name="mm1_mean_response", lhs=T_s, rhs=_mm1["T"], args=(lam, mu), numeric=qn.mm1_mean_response,
    domain={lam: _RATE, mu: _RATE}, units={T_s: "s", lam: "s^-1", mu: "s^-1"},
    source=f"{_KLEINROCK_32}; {_LITTLE}", constraint=_stable_mm1,
    note="Mean sojourn (wait plus service) of the stable M/M/1 queue, derived as E[N]/lambda."))

register(Formula(
    name="mm1_wait_quantile", lhs=t_q, rhs=_mm1_q["wait"], args=(lam, mu, q), numeric=qn.mm1_wait_quantile,
    domain={lam: _RATE, mu: _RATE, q: _LEVEL}, units={t_q: "s", lam: "s^-1", mu: "s^-1", q: "-"},
    source=_KLEINROCK_32, constraint=_stable_mm1,
    note="Smallest t with P(W_q <= t) >= q under FCFS: 0 up to the atom 1 - rho at zero, "
         "then the inverse of the exponential tail rho exp(-(mu - lambda) t)."))

register(Formula(
    name="mm1_response_quantile", lhs=t_q, rhs=_mm1_q["response"], args=(lam, mu, q),
    numeric=qn.mm1_response_quantile,
    domain={lam: _RATE, mu: _RATE, q: _LEVEL}, units={t_q: "s", lam: "s^-1", mu: "s^-1", q: "-"},
    source=_KLEINROCK_32, constraint=_stable_mm1,
    note="Under FCFS the M/M/1 sojourn time is exponential with rate mu - lambda."))

register(Formula(
    name="erlang_b", lhs=B_loss, rhs=erlang_b_expr(), args=(A, c), numeric=qn.erlang_b,
    domain={A: positive(1e-2, 1e2), c: whole(0, 64)}, units={B_loss: "-", A: "-", c: "-"},
    source="D. L. Jagerman, Bell Syst. Tech. J. 53(3), 525-551, 1974, doi:10.1002/j.1538-7305.1974.tb02756.x",
    note="Blocking probability of the M/M/c/c loss system (insensitive to the service distribution); "
         "the Sum needs one whole c per evaluation."))

register(Formula(
    name="erlang_c", lhs=C_wait, rhs=erlang_c_expr(), args=(A, c), numeric=qn.erlang_c,
    domain={A: positive(1e-2, 64.0), c: _SERVERS}, units={C_wait: "-", A: "-", c: "-"},
    source=_GROSS, constraint=lambda a_, c_: a_ < c_,
    note="Probability that an arrival to the stable M/M/c queue (A < c) waits; "
         "the Sum needs one whole c per evaluation."))

_C_rates = erlang_c_expr(lam / mu, c)
_wait_mmc = _C_rates / (c * mu - lam)

register(Formula(
    name="mmc_mean_wait", lhs=W_q, rhs=_wait_mmc, args=(lam, mu, c), numeric=qn.mmc_mean_wait,
    domain={lam: _RATE_C, mu: _RATE_C, c: _SERVERS}, units={W_q: "s", lam: "s^-1", mu: "s^-1", c: "-"},
    source=_GROSS, constraint=_stable_mmc,
    note="M/M/c FCFS with lambda < c mu: an arrival waits with probability C(lambda/mu, c), "
         "then an exponential time of rate c mu - lambda."))

register(Formula(
    name="mmc_mean_response", lhs=T_s, rhs=_wait_mmc + 1 / mu, args=(lam, mu, c), numeric=qn.mmc_mean_response,
    domain={lam: _RATE_C, mu: _RATE_C, c: _SERVERS}, units={T_s: "s", lam: "s^-1", mu: "s^-1", c: "-"},
    source=_GROSS, constraint=_stable_mmc,
    note="Mean wait of the stable M/M/c queue plus one mean service time 1/mu."))

_theta = c * mu - lam
_tail = sp.Symbol("p_tail", positive=True)  # the tail probability 1 - q
_mmc_root, = sp.solve(sp.Eq(C_wait * sp.exp(-_theta * t), _tail), t)
# log(C) - log(1 - q), C kept whole: substituted into log(C/(1-q)) it would be inverted term by term and overflow
_mmc_root = sp.expand_log(_mmc_root).subs(_tail, 1 - q)

register(Formula(
    name="mmc_wait_quantile", lhs=t_q, rhs=sp.Max(0, _mmc_root.subs(C_wait, _C_rates)), args=(lam, mu, c, q),
    numeric=qn.mmc_wait_quantile,
    domain={lam: _RATE_C, mu: _RATE_C, c: _SERVERS, q: _LEVEL},
    units={t_q: "s", lam: "s^-1", mu: "s^-1", c: "-", q: "-"},
    source=_GROSS, constraint=_stable_mmc,
    note="Inverse of P(W_q > t) = C exp(-(c mu - lambda) t), 0 for q <= 1 - C (the atom at zero); "
         "the Sum in C needs one whole c per evaluation."))

register(Formula(
    name="mg1_mean_wait", lhs=W_q, rhs=derive_pk(), args=(lam, ES, cs2), numeric=qn.mg1_mean_wait,
    domain={lam: _RATE, ES: _RATE, cs2: fraction(0.0, 10.0)},
    units={W_q: "s", lam: "s^-1", ES: "s", cs2: "-"},
    source=_KLEINROCK_5, constraint=lambda lam_, es_, *_: lam_ * es_ < 1,
    note="Pollaczek-Khinchine: Poisson arrivals, any service distribution with finite variance, "
         "E[S^2] = E[S]^2 (1 + c_s^2), rho = lambda E[S] < 1."))

register(Formula(
    name="md1_mean_wait", lhs=W_q, rhs=derive_pk().subs({ES: D, cs2: 0}), args=(lam, D), numeric=qn.md1_mean_wait,
    domain={lam: _RATE, D: _RATE}, units={W_q: "s", lam: "s^-1", D: "s"},
    source=_KLEINROCK_5, constraint=lambda lam_, d_: lam_ * d_ < 1,
    note="Pollaczek-Khinchine with constant service D (c_s^2 = 0): half the M/M/1 wait at the same load."))
