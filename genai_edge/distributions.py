"""Random parts of a request's latency: queue waits, answer lengths, and mixtures of paths.

A path (branch) through a paradigm takes a fixed time ``a`` plus two
independent random parts:

- the wait for a batch slot, W, with ``P(W > t) = Σ_m w_m exp(−θ_m t)``
  (an atom of mass ``1 − Σ w_m`` at zero; one term for M/M/c and M/G/c,
  several for the MAP queue of the overflow strategy), see :class:`Wait`;
- the decode time of the answer beyond its first token, X = (N − 1)·τ, with
  N the number of output tokens and τ the time per token, see
  :class:`AnswerTime`. N − 1 has a shifted exponential law when its
  coefficient of variation is at most 1 and a balanced two-phase
  hyperexponential law above (both match mean and variance) [1]_.

Everything here is numpy arrays that broadcast: each field is an array over
the points of a sweep, with a trailing axis for the terms. The joint law of
W and W + X has a closed form (:func:`joint_cdf`), so means, survival
functions, SLO attainment and percentiles need no simulation; a mixture of
paths is inverted numerically (:func:`mixture_quantile`).

References
----------
.. [1] H. C. Tijms, *A First Course in Stochastic Models*. Wiley, 2003,
   Sec. 5.9 (fitting a phase-type law to two moments).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

__all__ = ["Wait", "AnswerTime", "answer_length_law", "extra_tokens", "joint_cdf", "wait_sf", "mixture_quantile"]


@dataclass(frozen=True)
class Wait:
    """Queue wait W: ``P(W > t) = Σ_m weights[..., m]·exp(−decays[..., m]·t)``.

    An unstable queue is one term of weight 1 and decay 0 (W is infinite).
    """
    weights: np.ndarray   # [-], shape (..., K)
    decays: np.ndarray    # [s^-1], shape (..., K)

    @staticmethod
    def single(prob_wait, decay) -> "Wait":
        """One exponential term (M/M/c, M/G/c): ``P(W > t) = prob_wait·exp(−decay·t)``."""
        return Wait(np.asarray(prob_wait, dtype=float)[..., None], np.asarray(decay, dtype=float)[..., None])

    @property
    def mean(self) -> np.ndarray:
        """E[W]; inf for an unstable queue. [s]"""
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(self.weights == 0, 0.0, self.weights / self.decays)
        return terms.sum(axis=-1)

    @property
    def stable(self) -> np.ndarray:
        return ~np.any((self.decays == 0) & (self.weights != 0), axis=-1)


@dataclass(frozen=True)
class AnswerTime:
    """X = shift + a mixture of exponentials: ``P(X − shift > x) = Σ_j probs[..., j]·exp(−rates[..., j]·x)``."""
    shift: np.ndarray     # [s]
    probs: np.ndarray     # [-], shape (..., J), sums to 1 (or 0 when X is deterministic)
    rates: np.ndarray     # [s^-1], shape (..., J)

    @property
    def mean(self) -> np.ndarray:
        return self.shift + (self.probs / self.rates).sum(axis=-1)


def answer_length_law(mean_tokens, cv):
    """Law of N − 1 for answers of mean length ``mean_tokens`` and coefficient of variation ``cv``.

    Parameters
    ----------
    mean_tokens : array_like
        Mean output tokens E[N], >= 1. [token]
    cv : array_like
        Coefficient of variation of N, std(N)/E[N], >= 0. [-]

    Returns
    -------
    shift, probs, means : ndarray
        N − 1 = shift + Exp(means[j]) with probability probs[j] (J = 2
        terms; the second has probability 0 when the cv of N − 1 is at most 1). [token]

    Notes
    -----
    With m = E[N] − 1 and c = cv·E[N]/m the cv of N − 1: for c <= 1 a shifted
    exponential, shift m(1 − c) and exponential mean m·c; for c > 1 the
    balanced-means hyperexponential, p_1 = (1 + sqrt((c² − 1)/(c² + 1)))/2,
    means m/(2p_j) [1]_.

    References
    ----------
    .. [1] H. C. Tijms, *A First Course in Stochastic Models*. Wiley, 2003,
       Sec. 5.9.
    """
    n = np.asarray(mean_tokens, dtype=float)
    cv = np.asarray(cv, dtype=float)
    m = n - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        c = np.where(m > 0, cv * n / m, 0.0)
    low = c <= 1.0
    p1 = np.where(low, 1.0, 0.5 * (1.0 + np.sqrt(np.maximum(c * c - 1.0, 0.0) / (c * c + 1.0))))
    p2 = 1.0 - p1
    with np.errstate(divide="ignore", invalid="ignore"):
        mean1 = np.where(low, m * c, m / (2.0 * p1))
        mean2 = np.where(low, 0.0, m / (2.0 * np.where(p2 > 0, p2, 1.0)))
    shift = np.where(low, m * (1.0 - c), 0.0)
    random = mean1 > 0
    probs = np.stack(np.broadcast_arrays(np.where(random, p1, 0.0), np.where(random, p2, 0.0)), axis=-1)
    means = np.stack(np.broadcast_arrays(np.where(random, mean1, 1.0), np.where(mean2 > 0, mean2, 1.0)), axis=-1)
    if np.all(low):          # one exponential term is enough everywhere
        probs, means = probs[..., :1], means[..., :1]
    return shift, probs, means


def extra_tokens(law):
    """E[N − 1] of an :func:`answer_length_law` result ``(shift, probs, means)``. [token]"""
    shift, probs, means = law
    return shift + (probs * means).sum(axis=-1)


def _phi(z):
    """(1 − e^{−z})/z, 1 at z = 0, for z >= 0."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(z > 1e-8, -np.expm1(-z) / z, 1.0 - 0.5 * z)


def wait_sf(wait: Wait, t):
    """P(W > t); 1 for t < 0."""
    t = np.asarray(t, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        terms = (wait.weights * np.exp(-wait.decays * np.maximum(t, 0.0)[..., None])).sum(axis=-1)
    return np.where(t < 0, 1.0, np.clip(terms, 0.0, 1.0))


def joint_cdf(wait: Wait, answer: AnswerTime, u, v):
    """P(W <= u and W + X <= v) for independent W and X.

    ``u = inf`` gives the law of W + X (end to end), ``v = inf`` the law of W
    (first token). Closed form: for each wait term θ and answer term β,
    ∫_0^U θe^{−θw} e^{−β(R−w)} dw with R = v − shift and U = min(u, R).
    """
    u = np.asarray(u, dtype=float)
    r = np.asarray(v, dtype=float) - answer.shift
    upper = np.maximum(np.minimum(u, r), 0.0)
    ok = (r >= 0) & (u >= 0)  # W >= 0 and X >= shift: nothing below either
    rr = np.where(ok, r, 0.0)
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        fx = 1.0 - (answer.probs * np.exp(-answer.rates * rr[..., None])).sum(axis=-1)
        theta = wait.decays[..., :, None]
        beta = answer.rates[..., None, :]
        uu, r3 = upper[..., None, None], rr[..., None, None]
        finite_r = np.isfinite(r3)
        expo = np.where(beta <= theta, -beta * r3,
                        -beta * np.where(finite_r, r3 - uu, np.inf) - theta * uu)
        j = np.exp(expo) * np.where(np.isfinite(uu), uu * _phi(np.abs(beta - theta) * uu), 0.0)
        j = np.where(np.isfinite(expo) | (expo > 0), j, 0.0)
        inner = -np.expm1(-wait.decays * upper[..., None]) - (answer.probs[..., None, :] * theta * j).sum(axis=-1)
        atom = 1.0 - wait.weights.sum(axis=-1)
        g = atom * fx + (wait.weights * inner).sum(axis=-1)
    return np.where(ok, np.clip(g, 0.0, 1.0), 0.0)


def mixture_quantile(branches, q: float, first_token: bool):
    """q-quantile of a mixture of paths, vectorized over points.

    Parameters
    ----------
    branches : list of (weight, fixed, wait, answer)
        Path probability [-], fixed time [s], :class:`Wait` and
        :class:`AnswerTime`; all broadcast over points.
    q : float
        Probability level in (0, 1). [-]
    first_token : bool
        True: quantile of fixed + W (time to first token; the answer's time
        is ignored). False: of fixed + W + X (end to end).

    Returns
    -------
    ndarray
        Smallest t with P(T > t) <= 1 − q; inf when paths heavier than
        1 − q never finish (unstable queues). [s]

    Notes
    -----
    One path: fixed + the quantile of its random part, computed on that
    part's own broadcast shape (closed form for a one-term wait). Several:
    a compiled kernel per point locates the quantile at a path's start
    (where the survival function jumps) or between two starts, where
    Newton's method on log P(T > t) with a bisection safeguard stops once a
    step is below 1e-7 of t (convergence is quadratic: about 1e-13 relative
    against a solve to a 1e-13 bracket).
    """
    live = [b for b in branches if np.any(np.asarray(b[0]) > 0)]
    per_branch = [np.asarray(fixed) + _random_quantile(wait, answer, q, first_token)
                  for _, fixed, wait, answer in live]
    if len(live) == 1:
        return per_branch[0]
    # the mixture's quantile lies between its paths' own quantiles
    lower = functools.reduce(np.minimum, [np.where(np.asarray(b[0]) > 0, p, np.inf) for b, p in zip(live, per_branch)])
    upper = functools.reduce(np.maximum, [np.where(np.asarray(b[0]) > 0, p, -np.inf) for b, p in zip(live, per_branch)])
    return _kernel_quantile(live, q, first_token, lower, upper)


def _stacked(fields, tail: int, pad: float):
    """Per-branch arrays stacked on a branch axis (then ``tail`` term axes, padded with ``pad``)."""
    fields = [np.asarray(f, dtype=float) for f in fields]
    lead = np.broadcast_shapes(*(f.shape[:f.ndim - tail] for f in fields))
    terms = tuple(max(f.shape[f.ndim - tail + i] for f in fields) for i in range(tail))
    out = np.full(lead + (len(fields),) + terms, pad)
    for b, f in enumerate(fields):
        out[(Ellipsis, b) + tuple(slice(0, f.shape[f.ndim - tail + i]) for i in range(tail))] = f
    return out


def _kernel_quantile(branches, q: float, first_token: bool, lower=-np.inf, upper=np.inf):
    """q-quantile of a mixture of paths by the compiled per-point kernel (bracket optional)."""
    from ._quantile_kernel import mixture_quantile_kernel

    n = len(branches)
    weight = _stacked([b[0] for b in branches], 0, 0.0)
    ww = _stacked([b[2].weights for b in branches], 1, 0.0)
    wd = _stacked([b[2].decays for b in branches], 1, 1.0)
    if first_token:           # the answer plays no part: keep its axes out of the result's shape
        start = _stacked([b[1] for b in branches], 0, 0.0)
        probs, rates = np.zeros((n, 1)), np.ones((n, 1))
    else:
        start = _stacked([np.asarray(b[1]) + b[3].shift for b in branches], 0, 0.0)
        probs = _stacked([b[3].probs for b in branches], 1, 0.0)
        rates = _stacked([b[3].rates for b in branches], 1, 1.0)
    inputs = [(weight, 1), (start, 1), (ww, 2), (wd, 2), (probs, 2), (rates, 2),
              (np.asarray(lower, dtype=float), 0), (np.asarray(upper, dtype=float), 0)]
    points = np.broadcast_shapes(*(x.shape[:x.ndim - core] for x, core in inputs))
    cores = (n, ww.shape[-1], probs.shape[-1])
    bases, strides = [], np.zeros((len(inputs), len(points) + 2), dtype=np.int64)
    for a, (x, core) in enumerate(inputs):
        x = np.asarray(x, order="C")
        view = np.broadcast_to(x, points + x.shape[x.ndim - core:])
        strides[a, :view.ndim] = np.asarray(view.strides, dtype=np.int64) // x.itemsize
        bases.append(x.reshape(-1))
    out = np.empty(points)
    with np.errstate(all="ignore"):
        mixture_quantile_kernel(*bases, strides, np.asarray(points + cores, dtype=np.int64), float(q),
                                not first_token, out.reshape(-1))
    return out


def _random_quantile(wait: Wait, answer: AnswerTime, q: float, first_token: bool):
    """q-quantile of W (first token) or W + X, on the parameters' own broadcast shape."""
    if first_token and wait.weights.shape[-1] == 1:
        w, th = wait.weights[..., 0], wait.decays[..., 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.log(w / (1.0 - q)) / th
        return np.where(w > 1.0 - q, np.where(th > 0, t, np.inf), 0.0)
    return _kernel_quantile([(1.0, 0.0, wait, answer)], q, first_token)
