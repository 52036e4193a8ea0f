"""The network, queueing and roofline derivations in sympy reproduce the textbook results.

The derivations are checked against the
textbook results (M/M/1 sojourn 1/(mu - lambda), Pollaczek-Khinchine,
Erlang C at one server, the ridge-point batch of the roofline).
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from contract import formula_grid, formula_values

from genai_edge import compute
from genai_edge.queueing import erlang_b, erlang_c, mm1_wait_quantile
from genai_edge.symbolic import network as sn  # noqa: F401  (registers the network formulas)
from genai_edge.symbolic import queueing as sq
from genai_edge.symbolic import roofline as sr
from genai_edge.symbolic.base import _REGISTRY

# ------------------------------------------------------------------ M/M/1
lam, mu, rho = sp.symbols("lambda mu rho", positive=True)
q = sp.Symbol("q", positive=True)


def test_mm1_sojourn_is_derived():
    d = sq.derive_mm1()
    assert sp.simplify(d["T"] - 1 / (mu - lam)) == 0
    assert sp.simplify(d["L"] - rho / (1 - rho)) == 0
    assert sp.simplify(d["W"] - lam / (mu * (mu - lam))) == 0
    assert sp.simplify(d["Lq"] - rho ** 2 / (1 - rho)) == 0          # Kleinrock 1975, Sec. 3.2
    n = sp.Symbol("n", integer=True, nonnegative=True)
    p = d["p"].subs(rho, lam / mu)
    assert sp.simplify(lam * p - mu * p.subs(n, n + 1)) == 0       # cut balance between n and n+1
    assert d["p"].subs({n: 0, rho: sp.Rational(1, 2)}) == sp.Rational(1, 2)   # p0 = 1 - rho
    assert sp.summation(d["p"].subs(rho, sp.Rational(1, 3)), (n, 0, sp.oo)) == 1


def test_mm1_quantiles_invert_the_tails():
    d = sq.derive_mm1_quantiles()
    wait = d["wait"]
    assert isinstance(wait, sp.Max)
    root = next(a for a in wait.args if a != 0)
    tail = sp.Symbol("p", positive=True)   # 1 - q, positive for 0 < q < 1
    level = {q: 1 - tail}
    # Kleinrock 1975, Sec. 3.2: P(W_q > t) = rho exp(-(mu - lambda) t)
    assert sp.simplify((root - sp.log(lam / mu / (1 - q)) / (mu - lam)).subs(level)) == 0
    assert sp.simplify((lam / mu * sp.exp(-(mu - lam) * root) - (1 - q)).subs(level)) == 0
    resp = d["response"]
    assert sp.simplify((resp + sp.log(1 - q) / (mu - lam)).subs(level)) == 0
    assert sp.simplify((sp.exp(-(mu - lam) * resp) - (1 - q)).subs(level)) == 0
    # at the atom q = 1 - rho the quantile is 0, below it 0 as well
    assert sp.simplify(wait.subs(q, 1 - lam / mu)) == 0
    assert wait.subs({lam: 1, mu: 2, q: sp.Rational(1, 4)}) == 0


def test_mm1_wait_quantile_at_the_atom():
    fn = _REGISTRY["mm1_wait_quantile"].lambdify()
    # rho = 1/2 exactly: the atom at zero has mass 1/2
    for level in (0.25, 0.5):
        assert fn(0.5, 1.0, level) == 0.0 == mm1_wait_quantile(0.5, 1.0, level)
    level = 0.5 + 1e-6
    expected = np.log(0.5 / (1 - level)) / 0.5
    assert fn(0.5, 1.0, level) == pytest.approx(expected, rel=1e-9)
    assert mm1_wait_quantile(0.5, 1.0, level) == pytest.approx(expected, rel=1e-9)


def test_mm1_wait_quantile_grid_covers_both_branches():
    f = _REGISTRY["mm1_wait_quantile"]
    grid = formula_grid(f, seed=sum(map(ord, f.name)))
    values = formula_values(f, grid)
    assert np.any(values == 0) and np.any(values > 0)


# ------------------------------------------------------------------ Erlang, M/G/1
A = sp.Symbol("A", positive=True)


def test_erlang_c_with_one_server_is_the_load():
    assert sp.simplify(sq.erlang_c_expr(A, 1).doit() - A) == 0
    assert erlang_c(0.3, 1) == pytest.approx(0.3, rel=1e-12)


def test_erlang_b_with_one_server():
    assert sp.simplify(sq.erlang_b_expr(A, 1).doit() - A / (1 + A)) == 0
    assert erlang_b(0.3, 1) == pytest.approx(0.3 / 1.3, rel=1e-12)


@pytest.mark.parametrize("servers", [2, 3, 5])
def test_erlang_c_from_erlang_b(servers):
    """C = B / (1 - rho (1 - B)), rho = A/c (Gross et al. 2008, Sec. 2.3)."""
    b = sq.erlang_b_expr(A, servers).doit()
    r = A / servers
    assert sp.simplify(sq.erlang_c_expr(A, servers).doit() - b / (1 - r * (1 - b))) == 0


def test_erlang_c_textbook_value():
    # Gross et al.: A = 2, c = 3 gives C = 4/9
    assert sq.erlang_c_expr(2, 3).doit() == sp.Rational(4, 9)


def test_pollaczek_khinchine():
    es, cs2 = sp.Symbol("E[S]", positive=True), sp.Symbol("c_s^2", nonnegative=True)
    pk = sq.derive_pk()
    es2 = es ** 2 * (1 + cs2)
    assert sp.simplify(pk - lam * es2 / (2 * (1 - lam * es))) == 0
    # exponential service (c_s^2 = 1, E[S] = 1/mu) is the M/M/1 wait rho/(mu - lambda)
    assert sp.simplify(pk.subs({cs2: 1, es: 1 / mu}) - (lam / mu) / (mu - lam)) == 0


# ------------------------------------------------------------------ roofline
def test_prefill_of_an_empty_prompt_is_free():
    f = _REGISTRY["prefill_flops"]
    fn = f.lambdify()
    # N, N_head, L, d_attn, s, n_ctx, batch
    assert fn(7e9, 1e8, 32, 4096, 0, 100, 2) == 0.0 == compute.prefill_flops(7e9, 1e8, 32, 4096, 0, 100, 2)
    # one token, no context: 2N + 2 N_head + 2 L d_attn per sequence
    expected = 2 * (2 * 7e9 + 2 * 1e8 + 2 * 32 * 4096)
    assert fn(7e9, 1e8, 32, 4096, 1, 0, 2) == pytest.approx(expected, rel=1e-12)


def test_ridge_batch_closed_form():
    W_b, K, f = sp.symbols("W_b K f", nonnegative=True)
    P, BW, eF, eW = sp.symbols("P BW eta_F eta_W", positive=True)
    textbook = W_b * P * eF / (f * BW * eW - K * P * eF)
    assert sp.simplify(sr.derive_ridge_batch() - textbook) == 0


def test_ridge_batch_is_where_the_roofline_turns():
    rng = np.random.default_rng(7)
    n = 200
    w = np.exp(rng.uniform(np.log(1e8), np.log(1e12), n))
    k = np.exp(rng.uniform(np.log(1e4), np.log(1e9), n))
    peak = np.exp(rng.uniform(np.log(1e12), np.log(1e16), n))
    bw = np.exp(rng.uniform(np.log(1e10), np.log(1e13), n))
    ef, ew = rng.uniform(0.1, 1.0, n), rng.uniform(0.1, 1.0, n)
    # per-sequence intensity f/K 1.5 to 1000 times the machine balance: a crossover exists
    f = k * peak * ef / (bw * ew) * np.exp(rng.uniform(np.log(1.5), np.log(1e3), n))
    b_star = compute.decode_ridge_batch(w, k, f, peak, bw, ef, ew)
    assert np.all(np.isfinite(b_star)) and np.all(b_star > 0)
    for scale, compute_wins in ((0.99, False), (1.01, True)):
        b = scale * b_star
        compute_s = compute.roofline_time(b * f, 0.0, peak, bw, ef, ew)
        memory_s = compute.roofline_time(0.0, w + b * k, peak, bw, ef, ew)
        both = compute.roofline_time(b * f, w + b * k, peak, bw, ef, ew)
        assert np.all((compute_s > memory_s) == compute_wins)
        np.testing.assert_array_equal(both, np.maximum(compute_s, memory_s))
    # at b* itself the two terms are equal
    np.testing.assert_allclose(compute.roofline_time(b_star * f, 0.0, peak, bw, ef, ew),
                               compute.roofline_time(0.0, w + b_star * k, peak, bw, ef, ew), rtol=1e-9)


def test_ridge_batch_is_inf_when_always_memory_bound():
    # f/K = 100 FLOP/byte below a balance of 1e15/2e12 = 500 FLOP/byte: no batch is compute-bound
    assert compute.decode_ridge_batch(14e9, 1e8, 1e10, 1e15, 2e12) == np.inf
    assert compute.decode_ridge_batch(14e9, 1e8, 0.0, 1e15, 2e12) == np.inf
    fn = _REGISTRY["decode_ridge_batch"].lambdify()
    assert fn(14e9, 1e8, 1e10, 1e15, 2e12, 1.0, 1.0) == np.inf
    # the same step with no KV traffic: b* = W_b / (f / 500) = 700
    assert compute.decode_ridge_batch(14e9, 0.0, 1e10, 1e15, 2e12) == pytest.approx(700.0, rel=1e-12)
    out = compute.decode_ridge_batch([14e9, 14e9], [1e8, 0.0], 1e10, 1e15, 2e12)
    assert out[0] == np.inf and out[1] == pytest.approx(700.0, rel=1e-12)


def test_ridge_batch_rejects_bad_arguments():
    with pytest.raises(ValueError, match="peak_flops"):
        compute.decode_ridge_batch(1e9, 1e6, 1e9, 0.0, 1e12)
    with pytest.raises(ValueError, match="compute_efficiency"):
        compute.decode_ridge_batch(1e9, 1e6, 1e9, 1e15, 1e12, compute_efficiency=0.0)
    with pytest.raises(ValueError, match="kv_bytes_per_sequence"):
        compute.decode_ridge_batch(1e9, -1.0, 1e9, 1e15, 1e12)
