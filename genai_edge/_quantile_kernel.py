"""Compiled kernel: the q-quantile of a mixture of paths at every point of a grid.

Imported lazily by :mod:`genai_edge.distributions` (numba is only loaded
when a quantile is first needed). The inputs come on their own broadcast
shapes, read through element strides (0 along axes they do not vary on):
nothing is expanded to the full grid except the output.

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
from numba import njit

_RTOL = 1e-13
_STEP = 1e-7
_LANES = 64
_UNDERFLOW = -745.2     # exp(x) is exactly 0 below; libm's path to that 0 is slow


# what a point's pending evaluation of S is for
_AT_LOWER, _AT_START, _LEFT_OF_START, _NEWTON = 0, 1, 2, 3


@njit(cache=True)
def mixture_quantile_kernel(weight_in, start_in, ww_in, wd_in, probs_in, rates_in, lower_in, upper_in,
                            strides, shape, q, end_to_end, out):
    """Smallest t with S(t) <= 1 − q at every point, given S > 1 − q below ``lower`` and S(upper) <= 1 − q.

    The first eight arguments are the inputs' contiguous data; ``strides[a]``
    holds input a's element strides over the point axes (0 where it
    broadcasts), then over its branch and term axes; ``shape`` the point
    axes, then (branches, wait terms, answer terms). ``start`` is where each
    path's random part begins (its fixed time, plus the answer's shift end to
    end); lower/upper may be −inf/inf. Writes inf where never-finishing paths
    weigh at least 1 − q and nan for nan parameters into ``out`` (flat).

    Points are solved in chunks of ``_LANES``; each pass evaluates S once for
    every unfinished point of the chunk, so independent evaluations overlap in
    the processor. All in one function: helpers taking arrays would cost two
    atomic reference counts per array per call, more than the arithmetic.

    End to end, each wait term θ and answer term β of a branch give
    P(Exp(θ) + Exp(β) > s) = e^{−ms}(1 + m·s·φ(|β − θ|s)), m = min(θ, β),
    φ(z) = (1 − e^{−z})/z, with density θβ·s·e^{−ms}·φ(|β − θ|s); φ reuses
    the two exponentials already computed unless |β − θ|s is small.
    """
    nd = shape.shape[0] - 3
    nb, nk, nj = shape[nd], shape[nd + 1], shape[nd + 2]
    n = out.shape[0]
    eps = 1.0 - q
    target = math.log(eps)
    L = _LANES
    weight, start = np.empty((L, nb)), np.empty((L, nb))
    ww, wd = np.empty((L, nb, nk)), np.empty((L, nb, nk))
    probs, rates = np.empty((L, nb, nj)), np.empty((L, nb, nj))
    lo, hi, t, sf, pdf, at = np.empty(L), np.empty(L), np.empty(L), np.empty(L), np.empty(L), np.empty(L)
    res = np.empty(L)
    why = np.empty(L, dtype=np.int64)
    steps = np.empty(L, dtype=np.int64)
    active = np.empty(L, dtype=np.int64)
    index = np.zeros(nd, dtype=np.int64)
    offset = np.zeros(8, dtype=np.int64)
    for first in range(0, n, L):
        m = min(L, n - first)
        n_active = 0
        for i in range(m):
            # gather the point's parameters, then step the point index
            o = offset
            for b in range(nb):
                weight[i, b] = weight_in[o[0] + b * strides[0, nd]]
                start[i, b] = start_in[o[1] + b * strides[1, nd]]
                for k in range(nk):
                    ww[i, b, k] = ww_in[o[2] + b * strides[2, nd] + k * strides[2, nd + 1]]
                    wd[i, b, k] = wd_in[o[3] + b * strides[3, nd] + k * strides[3, nd + 1]]
                for j in range(nj):
                    probs[i, b, j] = probs_in[o[4] + b * strides[4, nd] + j * strides[4, nd + 1]]
                    rates[i, b, j] = rates_in[o[5] + b * strides[5, nd] + j * strides[5, nd + 1]]
            lo[i] = lower_in[o[6]]
            hi[i] = upper_in[o[7]]
            d = nd - 1
            while d >= 0:
                index[d] += 1
                for a in range(8):
                    offset[a] += strides[a, d]
                if index[d] < shape[d]:
                    break
                for a in range(8):
                    offset[a] -= shape[d] * strides[a, d]
                index[d] = 0
                d -= 1
            # nan parameters, and paths that never finish
            stuck = 0.0
            done = False
            for b in range(nb):
                if math.isnan(start[i, b]) or math.isnan(weight[i, b]):
                    res[i] = np.nan
                    done = True
                    break
                if weight[i, b] <= 0.0:
                    continue
                never = not math.isfinite(start[i, b])
                for k in range(nk):
                    if ww[i, b, k] > 0.0 and wd[i, b, k] <= 0.0:
                        never = True
                if never:
                    stuck += weight[i, b]
            if not done and stuck >= eps:
                res[i] = np.inf
                done = True
            if done:
                continue
            t[i], sf[i], pdf[i], steps[i] = lo[i], 1.0, 0.0, 0
            if math.isfinite(lo[i]):
                at[i], why[i] = lo[i], _AT_LOWER
            else:
                at[i], why[i] = np.nan, _AT_START      # no evaluation yet: look for the first start
            active[n_active] = i
            n_active += 1
        while n_active > 0:
            still = 0
            for a in range(n_active):
                i = active[a]
                # S(at) and −S′(at); from the left of a start for _LEFT_OF_START
                sf_e, pdf_e = 0.0, 0.0
                if not math.isnan(at[i]):
                    x = at[i]
                    left = why[i] == _LEFT_OF_START
                    for b in range(nb):
                        wb = weight[i, b]
                        if wb <= 0.0:
                            continue
                        s = x - start[i, b]
                        if s < 0.0 or (left and s == 0.0) or not math.isfinite(start[i, b]):
                            sf_e += wb
                            continue
                        f, dens = 0.0, 0.0
                        if not end_to_end:
                            for k in range(nk):
                                if ww[i, b, k] > 0.0:
                                    u = -wd[i, b, k] * s
                                    e = math.exp(u) if u > _UNDERFLOW else 0.0
                                    f += ww[i, b, k] * e
                                    dens += ww[i, b, k] * wd[i, b, k] * e
                        else:
                            atom_x, ex0, ex1 = 1.0, 0.0, 0.0
                            for j in range(nj):
                                if probs[i, b, j] > 0.0:
                                    u = -rates[i, b, j] * s
                                    ex = math.exp(u) if u > _UNDERFLOW else 0.0
                                    atom_x -= probs[i, b, j]
                                    f += probs[i, b, j] * ex
                                    dens += probs[i, b, j] * rates[i, b, j] * ex
                                    if j == 0:
                                        ex0 = ex
                                    elif j == 1:
                                        ex1 = ex
                            atom_w = 1.0
                            for k in range(nk):
                                atom_w -= ww[i, b, k]
                            f *= atom_w
                            dens *= atom_w
                            for k in range(nk):
                                if ww[i, b, k] <= 0.0:
                                    continue
                                th = wd[i, b, k]
                                u = -th * s
                                e = math.exp(u) if u > _UNDERFLOW else 0.0
                                sf_k = atom_x * e
                                pdf_k = atom_x * th * e
                                for j in range(nj):
                                    if probs[i, b, j] <= 0.0:
                                        continue
                                    beta = rates[i, b, j]
                                    ex = ex0 if j == 0 else (ex1 if j == 1 else math.exp(-beta * s))
                                    em, other = (ex, e) if beta < th else (e, ex)
                                    if em == 0.0:
                                        continue
                                    z = abs(beta - th) * s
                                    if z > 0.5:
                                        phi = (1.0 - other / em) / z
                                    elif z > 1e-8:
                                        phi = -math.expm1(-z) / z
                                    else:
                                        phi = 1.0 - 0.5 * z
                                    mm = min(th, beta)
                                    sf_k += probs[i, b, j] * em * (1.0 + mm * s * phi)
                                    pdf_k += probs[i, b, j] * th * beta * s * em * phi
                                f += ww[i, b, k] * sf_k
                                dens += ww[i, b, k] * pdf_k
                        sf_e += wb * min(f, 1.0)
                        pdf_e += wb * dens
                # what the evaluation means, and the next one (or the answer)
                w = why[i]
                if w == _AT_LOWER:
                    if sf_e <= eps:
                        res[i] = lo[i]
                        continue
                    sf[i], pdf[i], w = sf_e, pdf_e, _AT_START
                    at[i] = np.nan
                elif w == _LEFT_OF_START:
                    if sf_e > eps:
                        res[i] = at[i]          # the jump at this start crosses 1 − q
                        continue
                    hi[i], w = at[i], _NEWTON
                elif w == _AT_START and not math.isnan(at[i]):
                    if sf_e <= eps:
                        why[i] = _LEFT_OF_START
                        active[still] = i
                        still += 1
                        continue
                    lo[i], t[i], sf[i], pdf[i] = at[i], at[i], sf_e, pdf_e
                    at[i] = np.nan
                elif w == _NEWTON:
                    sf[i], pdf[i] = sf_e, pdf_e
                if w == _AT_START:
                    # the next start inside (lo, hi]: S is continuous between two of them
                    c = np.inf
                    for b in range(nb):
                        if weight[i, b] > 0.0 and lo[i] < start[i, b] < c and start[i, b] <= hi[i]:
                            c = start[i, b]
                    if c < np.inf:
                        at[i], why[i] = c, _AT_START
                        active[still] = i
                        still += 1
                        continue
                    w = _NEWTON
                # Newton on g(t) = log S(t) − log(1 − q), from the bracket's lower end: g
                # decreasing, g(lo) > 0 >= g(hi); steps that leave the bracket bisect it (or,
                # with no upper end yet, double the distance from lo). Convergence is
                # quadratic, so a step below _STEP of t leaves an error ~_STEP².
                if steps[i] == 400:
                    res[i] = hi[i]
                    continue
                steps[i] += 1
                g = math.log(max(sf[i], 1e-300)) - target
                if g > 0.0:
                    lo[i] = t[i]
                else:
                    hi[i] = t[i]
                if hi[i] < np.inf and hi[i] - lo[i] <= _RTOL * abs(hi[i]):
                    res[i] = hi[i]
                    continue
                slope = pdf[i] / max(sf[i], 1e-300)          # −g′(t)
                nxt = t[i] + g / slope if slope > 0.0 else np.nan
                if abs(nxt - t[i]) <= _STEP * abs(nxt):      # converged (false for nan)
                    res[i] = nxt if lo[i] <= nxt <= hi[i] else t[i]
                    continue
                if not (lo[i] < nxt < hi[i]):
                    nxt = 0.5 * (lo[i] + hi[i]) if hi[i] < np.inf else lo[i] + max(abs(lo[i]), 1e-9)
                t[i], at[i], why[i] = nxt, nxt, _NEWTON
                active[still] = i
                still += 1
            n_active = still
        out[first:first + m] = res[:m]
