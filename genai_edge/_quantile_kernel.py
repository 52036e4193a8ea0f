"""Compiled kernel: the q-quantile of a mixture of paths, one point at a time.

Imported lazily by :mod:`genai_edge.distributions` (numba is only loaded
when a quantile is first needed). The kernel is a numba generalized ufunc,
so numpy broadcasting feeds it the per-branch parameters on their own
shapes: nothing is expanded to the full grid except the output.

Per point, the survival function of the time T is
``S(t) = Σ_b w_b·P(R_b > t − start_b)``, where a branch's random part R_b
is the wait W (first token) or W + X′ (end to end, X′ the answer's time
beyond its fixed shift). Both have closed forms (see
:mod:`genai_edge.distributions`). S jumps only at branch starts, so the
quantile is either a start (the jump crosses 1 − q) or the root of a smooth
function between two starts, found by Newton's method on log S with a
bisection safeguard. Each evaluation is reused (the bracket's lower end
is Newton's first iterate), so a point costs 2–3 evaluations of S on
typical grids.
"""
from __future__ import annotations

import math

import numpy as np
from numba import guvectorize, njit

_RTOL = 1e-13
_STEP = 1e-7


@njit(cache=True)
def _branch(s, ww, wd, probs, rates, b, end_to_end):
    """(P(R > s), density of R at s) of one branch's random part, s >= 0.

    End to end, each wait term θ and answer term β give
    P(Exp(θ) + Exp(β) > s) = e^{−ms}(1 + m·s·φ(|β − θ|s)), m = min(θ, β),
    φ(z) = (1 − e^{−z})/z, with density θβ·s·e^{−ms}·φ(|β − θ|s); φ reuses
    the two exponentials already computed unless |β − θ|s is small.
    """
    sf, pdf = 0.0, 0.0
    if not end_to_end:
        for k in range(ww.shape[1]):
            if ww[b, k] > 0.0:
                e = math.exp(-wd[b, k] * s)
                sf += ww[b, k] * e
                pdf += ww[b, k] * wd[b, k] * e
        return sf, pdf
    nj = probs.shape[1]
    atom_x, ex0, ex1 = 1.0, 0.0, 0.0
    for j in range(nj):
        if probs[b, j] > 0.0:
            ex = math.exp(-rates[b, j] * s)
            atom_x -= probs[b, j]
            sf += probs[b, j] * ex
            pdf += probs[b, j] * rates[b, j] * ex
            if j == 0:
                ex0 = ex
            elif j == 1:
                ex1 = ex
    atom_w = 1.0
    for k in range(ww.shape[1]):
        atom_w -= ww[b, k]
    sf *= atom_w
    pdf *= atom_w
    for k in range(ww.shape[1]):
        if ww[b, k] <= 0.0:
            continue
        th = wd[b, k]
        e = math.exp(-th * s)
        sf_k = atom_x * e
        pdf_k = atom_x * th * e
        for j in range(nj):
            if probs[b, j] <= 0.0:
                continue
            beta = rates[b, j]
            ex = ex0 if j == 0 else (ex1 if j == 1 else math.exp(-beta * s))
            em, other = (ex, e) if beta < th else (e, ex)
            if em == 0.0:
                continue
            z = abs(beta - th) * s
            if z > 0.5:
                f = (1.0 - other / em) / z
            elif z > 1e-8:
                f = -math.expm1(-z) / z
            else:
                f = 1.0 - 0.5 * z
            m = min(th, beta)
            sf_k += probs[b, j] * em * (1.0 + m * s * f)
            pdf_k += probs[b, j] * th * beta * s * em * f
        sf += ww[b, k] * sf_k
        pdf += ww[b, k] * pdf_k
    return sf, pdf


@njit(cache=True)
def _mixture(t, weight, start, ww, wd, probs, rates, end_to_end, left):
    """(S(t), −S′(t)) of the mixture; ``left``: the limit from the left at a start."""
    sf, pdf = 0.0, 0.0
    for b in range(weight.shape[0]):
        if weight[b] <= 0.0:
            continue
        s = t - start[b]
        if s < 0.0 or (left and s == 0.0) or not math.isfinite(start[b]):
            sf += weight[b]
            continue
        f, d = _branch(s, ww, wd, probs, rates, b, end_to_end)
        sf += weight[b] * min(f, 1.0)
        pdf += weight[b] * d
    return sf, pdf


@guvectorize(["void(float64[:], float64[:], float64[:, :], float64[:, :], float64[:, :], float64[:, :], "
              "float64, float64, float64, boolean, float64[:])"],
             "(b),(b),(b,k),(b,k),(b,j),(b,j),(),(),(),()->()", nopython=True, cache=True)
def mixture_quantile_kernel(weight, start, ww, wd, probs, rates, lower, upper, q, end_to_end, out):
    """Smallest t with S(t) <= 1 − q, given S(t) > 1 − q below ``lower`` and S(upper) <= 1 − q.

    ``start``: where each path's random part begins (its fixed time, plus the
    answer's shift end to end); ``lower``/``upper`` may be −inf/inf. inf when
    never-finishing paths weigh at least 1 − q; nan for nan parameters.
    """
    eps = 1.0 - q
    nb = weight.shape[0]
    stuck = 0.0
    for b in range(nb):
        if math.isnan(start[b]) or math.isnan(weight[b]):
            out[0] = np.nan
            return
        if weight[b] <= 0.0:
            continue
        never = not math.isfinite(start[b])
        for k in range(ww.shape[1]):
            if ww[b, k] > 0.0 and wd[b, k] <= 0.0:
                never = True
        if never:
            stuck += weight[b]
    if stuck >= eps:
        out[0] = np.inf
        return
    lo, hi = lower, upper
    t, sf, pdf = lo, 1.0, 0.0       # the last point evaluated, at the bracket's lower end
    if math.isfinite(lo):
        sf, pdf = _mixture(lo, weight, start, ww, wd, probs, rates, end_to_end, False)
        if sf <= eps:
            out[0] = lo
            return
    # the starts inside (lo, hi) in increasing order: S is continuous between two of them
    while True:
        c = np.inf
        for b in range(nb):
            if weight[b] > 0.0 and lo < start[b] < c and start[b] <= hi:
                c = start[b]
        if c == np.inf:
            break
        sf_c, pdf_c = _mixture(c, weight, start, ww, wd, probs, rates, end_to_end, False)
        if sf_c <= eps:
            if _mixture(c, weight, start, ww, wd, probs, rates, end_to_end, True)[0] > eps:
                out[0] = c          # the jump at this start crosses 1 − q
                return
            hi = c
            break
        lo, t, sf, pdf = c, c, sf_c, pdf_c
    # Newton on g(t) = log S(t) − log(1 − q) from the lower end: g decreasing, g(lo) > 0 >= g(hi);
    # steps that leave the bracket bisect it (or, with no upper end yet, double the distance
    # from lo). Convergence is quadratic, so a step below _STEP of t leaves an error ~_STEP².
    target = math.log(eps)
    for _ in range(400):
        g = math.log(max(sf, 1e-300)) - target
        if g > 0.0:
            lo = t
        else:
            hi = t
        if hi < np.inf and hi - lo <= _RTOL * abs(hi):
            break
        slope = pdf / max(sf, 1e-300)          # −g′(t)
        nxt = t + g / slope if slope > 0.0 else np.nan
        if abs(nxt - t) <= _STEP * abs(nxt):      # converged (false for nan)
            out[0] = nxt if lo <= nxt <= hi else t
            return
        if not (lo < nxt < hi):
            nxt = 0.5 * (lo + hi) if hi < np.inf else lo + max(abs(lo), 1e-9)
        t = nxt
        sf, pdf = _mixture(t, weight, start, ww, wd, probs, rates, end_to_end, False)
    out[0] = hi
