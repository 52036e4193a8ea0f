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
    ok = r >= 0
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


def _solve(h, lo, hi, rtol=1e-12, max_iter=200):
    """Smallest t in [lo, hi] with h(t, idx) <= 0 for a decreasing h (Illinois regula falsi).

    ``h(t, idx)`` evaluates at the flat element indices ``idx``; ``lo`` and
    ``hi`` are flat arrays with h(lo) > 0 >= h(hi). Elements whose bracket
    is already narrow are not evaluated again.
    """
    a, b = lo.astype(float).copy(), hi.astype(float).copy()
    idx = np.arange(a.size)
    fa, fb = h(a, idx), h(b, idx)
    out = b.copy()
    side = np.zeros(a.size, dtype=np.int8)
    for _ in range(max_iter):
        live = (b - a > rtol * np.abs(b)) & (fb != 0)
        if not live.all():
            idx, a, b, fa, fb, side = (x[live] for x in (idx, a, b, fa, fb, side))
        if idx.size == 0:
            break
        with np.errstate(all="ignore"):
            c = b - fb * (b - a) / (fb - fa)
        bad = ~((c > a) & (c < b)) | ~np.isfinite(c)
        c = np.where(bad, 0.5 * (a + b), c)
        fc = h(c, idx)
        right = fc <= 0           # the root is at or left of c
        out[idx[right]] = c[right]
        # Illinois: halve the stale end's value when the same end is kept twice
        fa = np.where(right & (side == 1), 0.5 * fa, fa)
        fb = np.where(~right & (side == -1), 0.5 * fb, fb)
        a, fa = np.where(right, a, c), np.where(right, fa, fc)
        b, fb = np.where(right, c, b), np.where(right, fc, fb)
        side = np.where(right, 1, -1).astype(np.int8)
    return out


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
    One path: fixed + the quantile of its random part, solved once per
    distinct random part (its broadcast shape, not the full grid). Several:
    each path's own quantile brackets the mixture's, which is then found by
    Illinois regula falsi on log P(T > t).
    """
    live = [b for b in branches if np.any(np.asarray(b[0]) > 0)]
    if len(live) == 1:
        w, fixed, wait, answer = live[0]
        return fixed + _random_quantile(wait, answer, q, first_token)
    per_branch = [fixed + _random_quantile(wait, answer, q, first_token) for _, fixed, wait, answer in live]
    shape = np.broadcast_shapes(*(np.shape(p) for p in per_branch), *(np.shape(b[0]) for b in live))
    qs = [np.broadcast_to(p, shape) for p in per_branch]
    weights = [np.broadcast_to(np.asarray(b[0], dtype=float), shape) for b in live]
    lo = np.minimum.reduce([np.where(w > 0, p, np.inf) for w, p in zip(weights, qs)])
    hi = np.maximum.reduce([np.where(w > 0, p, -np.inf) for w, p in zip(weights, qs)])
    # an unstable path heavier than 1 − q keeps the mixture above 1 − q forever
    stuck = sum(np.where(np.broadcast_to(~b[2].stable, shape), w, 0.0) for b, w in zip(live, weights))
    infinite = stuck >= 1.0 - q
    if np.all(infinite):
        return np.full(shape, np.inf)
    infinite_f = infinite.reshape(-1)
    lo_f, hi_f = lo.reshape(-1), hi.reshape(-1)
    out = np.where(infinite_f, np.inf, hi_f)
    todo = np.flatnonzero(~infinite_f & ~(hi_f <= lo_f))
    if todo.size == 0:
        return out.reshape(shape)
    grid = shape or (1,)
    where = np.unravel_index(todo, grid)
    flat = [_FlatBranch(b, where, len(grid)) for b in live]
    target = np.log1p(-q)

    def sf(t, i):
        return sum(fb.sf(t, i, first_token) for fb in flat)

    lo_t = lo_f[todo]
    lo_t = np.nextafter(lo_t, -np.inf) - 1e-12 * np.abs(lo_t)  # P(T > lo) > 1 − q strictly
    hi_t = hi_f[todo]
    # Where a path starts the survival function jumps (an atom: no wait, a fixed answer)
    # or bends; the root is either at such a start or between two, where it is smooth.
    every = np.arange(todo.size)
    exact = np.full(todo.size, np.nan)
    for fb in flat:
        start = fb.fixed + (0.0 if first_token else fb.answer.shift)
        jump = fb.weight * (1.0 - fb.wait.weights.sum(axis=-1))
        if not first_token:
            jump = jump * (1.0 - fb.answer.probs.sum(axis=-1))
        right = sf(start, every)
        at_jump = (right <= 1.0 - q) & (right + jump > 1.0 - q)
        exact = np.where(at_jump & np.isnan(exact), start, exact)
        lo_t = np.where(right > 1.0 - q, np.maximum(lo_t, start), lo_t)
        hi_t = np.where(right <= 1.0 - q, np.minimum(hi_t, start), hi_t)
    grow = np.flatnonzero(~np.isfinite(hi_t))   # an unstable path lighter than 1 − q: doubling search
    if grow.size:
        hi_g = np.maximum(lo_t[grow], 1.0) * 2.0
        for _ in range(1100):
            high = sf(hi_g, grow) > 1.0 - q
            if not high.any():
                break
            hi_g = np.where(high, hi_g * 2.0, hi_g)
        hi_t[grow] = hi_g
    smooth = np.flatnonzero(np.isnan(exact))
    exact[smooth] = _solve(lambda t, i: np.log(np.maximum(sf(t, smooth[i]), 1e-300)) - target,
                           lo_t[smooth], hi_t[smooth])
    out[todo] = exact
    return out.reshape(shape)


def _gather(x, where, ndim: int, tail: int = 0):
    """Elements of ``x`` (broadcastable to the point shape, plus ``tail`` term axes) at points ``where``."""
    x = np.asarray(x, dtype=float)
    lead = x.ndim - tail
    x = x.reshape((1,) * (ndim - lead) + x.shape)
    index = tuple(w if x.shape[d] > 1 else np.zeros_like(w) for d, w in enumerate(where))
    return x[index]


class _FlatBranch:
    """One path's parameters at a set of points (flat)."""

    def __init__(self, branch, where, ndim):
        weight, fixed, wait, answer = branch
        self.weight = _gather(weight, where, ndim)
        self.fixed = _gather(fixed, where, ndim)
        self.wait = Wait(_gather(wait.weights, where, ndim, 1), _gather(wait.decays, where, ndim, 1))
        self.answer = AnswerTime(_gather(answer.shift, where, ndim), _gather(answer.probs, where, ndim, 1),
                                 _gather(answer.rates, where, ndim, 1))

    def sf(self, t, idx, first_token):
        wait = Wait(self.wait.weights[idx], self.wait.decays[idx])
        s = t - self.fixed[idx]
        if first_token:
            p = wait_sf(wait, s)
        else:
            ans = AnswerTime(self.answer.shift[idx], self.answer.probs[idx], self.answer.rates[idx])
            p = 1.0 - joint_cdf(wait, ans, np.inf, s)
        return self.weight[idx] * p


def _random_quantile(wait: Wait, answer: AnswerTime, q: float, first_token: bool):
    """q-quantile of W (first token) or W + X, on the parameters' own broadcast shape."""
    if first_token and wait.weights.shape[-1] == 1:
        w, th = wait.weights[..., 0], wait.decays[..., 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.log(w / (1.0 - q)) / th
        return np.where(w > 1.0 - q, np.where(th > 0, t, np.inf), 0.0)
    parts = (wait.weights, wait.decays) if first_token else (
        wait.weights, wait.decays, answer.shift[..., None], answer.probs, answer.rates)
    shape = np.broadcast_shapes(*(np.shape(p)[:-1] for p in parts))
    grid = shape or (1,)
    where = np.unravel_index(np.arange(int(np.prod(grid))), grid)
    fb = _FlatBranch((1.0, 0.0, wait, answer), where, len(grid))
    unstable = np.broadcast_to(~wait.stable, shape).reshape(-1)
    lo = np.full(unstable.size, -1e-300)
    hi = _upper_bound(fb, q, first_token)
    target = np.log1p(-q)

    def h(t, idx):
        return np.log(np.maximum(fb.sf(t, idx, first_token), 1e-300)) - target

    out = np.full(unstable.size, np.inf)
    ok = np.flatnonzero(~unstable)
    if ok.size:
        # where no random part is left above 1 − q the quantile is the atom: 0 (or the shift)
        out[ok] = _solve(lambda t, i: h(t, ok[i]), lo[ok], hi[ok])
    return out.reshape(shape)


def _upper_bound(fb: _FlatBranch, q: float, first_token: bool):
    """A t with P(random part > t) <= 1 − q: each term below (1 − q)/(2·terms) (union bound)."""
    eps = 1.0 - q
    w, th = fb.wait.weights, fb.wait.decays
    k = w.shape[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        tw = np.where(w > 0, np.log(np.maximum(2.0 * k * w / eps, 1.0)) / th, 0.0).max(axis=-1)
        if first_token:
            return np.where(np.isfinite(tw), tw, 0.0) * 1.000001 + 1e-12
        p, r = fb.answer.probs, fb.answer.rates
        jn = p.shape[-1]
        tx = np.where(p > 0, np.log(np.maximum(2.0 * jn * p / eps, 1.0)) / r, 0.0).max(axis=-1)
    return (np.where(np.isfinite(tw), tw, 0.0) + fb.answer.shift + tx) * 1.000001 + 1e-12
