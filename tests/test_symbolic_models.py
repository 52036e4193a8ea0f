"""The reliability, scaling and energy derivations in sympy reproduce the published results."""
from __future__ import annotations

import pytest
import sympy as sp
from contract import formula_grid

from genai_edge.symbolic import energy as se
from genai_edge.symbolic import reliability as sr
from genai_edge.symbolic import scaling as ss
from genai_edge.symbolic.base import _REGISTRY


# ------------------------------------------------------------- reliability
@pytest.mark.parametrize("name", ["k_of_n", "k_of_n_unavailability"])
def test_binomial_sum_exact(name):
    """The symbolic-bound sum evaluated exactly (subs + doit) at a few points agrees with the library."""
    f = _REGISTRY[name]
    grid = [c[:12] for c in formula_grid(f, seed=7)]
    for a, k, n in zip(*grid):
        k, n = int(k), int(n)
        exact = f.rhs.subs({sr.A: sp.Rational(a), sr.k: k, sr.n: n}).doit()
        assert float(exact) == pytest.approx(float(f.numeric(a, k, n)), rel=1e-9, abs=0)


def test_k_of_n_limits():
    """n of n is the series of n units, 1 of n their parallel, and the two tails sum to one."""
    up, down = _REGISTRY["k_of_n"].rhs, _REGISTRY["k_of_n_unavailability"].rhs
    a = sr.A
    for units in range(1, 7):
        at = {sr.n: units}
        assert sp.expand(up.subs(at).subs(sr.k, units).doit() - a ** units) == 0
        assert sp.expand(up.subs(at).subs(sr.k, 1).doit() - (1 - (1 - a) ** units)) == 0
        assert up.subs(at).subs(sr.k, 0).doit().expand() == 1
        for needed in range(units + 1):
            total = (up + down).subs(at).subs(sr.k, needed).doit()
            assert sp.expand(total) == 1


def test_series_parallel_two_units():
    """Two units in series: A1·A2; in parallel: A1 + A2 − A1·A2 (a third part that is always up / down)."""
    a1, a2 = sr.A_1, sr.A_2
    assert sp.simplify(_REGISTRY["series"].rhs.subs(sr.A_3, 1) - a1 * a2) == 0
    assert sp.simplify(_REGISTRY["parallel"].rhs.subs(sr.A_3, 0) - (a1 + a2 - a1 * a2)) == 0
    m1, r1, m2, r2 = sp.symbols("M_1 R_1 M_2 R_2", positive=True)
    unit = _REGISTRY["availability"].rhs
    both = _REGISTRY["series"].rhs.subs({a1: unit.subs({sr.M: m1, sr.R: r1}),
                                         a2: unit.subs({sr.M: m2, sr.R: r2}), sr.A_3: 1})
    assert sp.simplify(both - m1 * m2 / ((m1 + r1) * (m2 + r2))) == 0


def test_downtime_constants():
    """A mean Gregorian month is 2,629,746 s and a year 31,556,952 s (365.2425 days of 86,400 s)."""
    assert _REGISTRY["downtime_per_month"].rhs.subs(sr.A, 0) == 2_629_746
    assert _REGISTRY["downtime_per_year"].rhs.subs(sr.A, 0) == 31_556_952


def test_young_derivation():
    """dw/dτ = 0 at τ = sqrt(2δM) (Young 1974), a minimum, and the registered formula is the derived one."""
    tau_star = sr.derive_young()
    d, m, t = sr.delta, sr.M, sr.tau
    assert sp.simplify(tau_star - sp.sqrt(2 * d * m)) == 0
    w = d / t + t / (2 * m)
    assert sp.simplify(sp.diff(w, t).subs(t, tau_star)) == 0
    curvature = sp.simplify(sp.diff(w, t, 2).subs(t, tau_star))
    assert curvature.is_positive
    assert sp.simplify(_REGISTRY["young_interval"].rhs - sp.sqrt(2 * d * m)) == 0


def test_daly_tends_to_young():
    """Daly's interval / Young's → 1 as δ/M → 0 (Daly 2006: Young's is the first-order term)."""
    d, m = sr.delta, sr.M
    daly = _REGISTRY["daly_interval"].rhs.args[0][0]
    assert sp.limit(daly / sp.sqrt(2 * d * m), d, 0) == 1


def test_optimal_interval_is_stationary_point_of_goodput():
    """d(goodput)/dτ = 0 at the Lambert W interval, and it approaches sqrt(2δM) for δ << M (Daly 2006)."""
    good = _REGISTRY["goodput"].rhs
    tau_opt = _REGISTRY["optimal_interval"].rhs
    slope = sp.diff(good, sr.tau)
    for delta, mtbf in [(60.0, 3600.0), (600.0, 86400.0), (1.0, 1e5), (5e3, 1e4)]:
        at = {sr.delta: sp.Float(delta, 40), sr.M: sp.Float(mtbf, 40), sr.R_s: sp.Float(300, 40),
              sr.T_d: sp.Float(30, 40)}
        t_opt = tau_opt.subs(at).evalf(40)
        at_opt = {**at, sr.tau: sp.re(t_opt)}
        scale = good.subs(at_opt).evalf(40) / sp.re(t_opt)
        assert abs(slope.subs(at_opt).evalf(40)) < 1e-25 * scale
    small = {sr.delta: sp.Float(1e-3, 40), sr.M: sp.Float(1e3, 40)}
    ratio = sp.re(tau_opt.subs(small).evalf(40)) / sp.sqrt(2 * sr.delta * sr.M).subs(small)
    assert abs(float(ratio) - 1.0) < 1e-3


# ----------------------------------------------------------------- scaling
def _log_equal(x, y):
    return sp.simplify(sp.expand_log(sp.log(x), force=True) - sp.expand_log(sp.log(y), force=True)) == 0


def test_chinchilla_derivation():
    """N_opt = G(C/6)^a, D_opt = G^-1 (C/6)^b, G = (αA/(βB))^(1/(α+β)), a = β/(α+β), b = α/(α+β)
    (Hoffmann et al. 2022, Eq. 4 and Appendix D.2)."""
    A, B, C, al, be = ss.A, ss.B, ss.C, ss.alpha, ss.beta
    out = ss.derive_chinchilla()
    g = (al * A / (be * B)) ** (1 / (al + be))
    a, b = be / (al + be), al / (al + be)
    assert sp.simplify(out["a"] - a) == 0
    assert sp.simplify(out["b"] - b) == 0
    assert _log_equal(out["G"], g)
    assert _log_equal(out["D_scale"], 1 / g)
    assert _log_equal(out["N_opt"], g * (C / 6) ** a)
    assert _log_equal(out["D_opt"], (C / 6) ** b / g)
    assert _log_equal(6 * out["N_opt"] * out["D_opt"], C)
    assert _log_equal(_REGISTRY["compute_optimal_n_params"].rhs, g * (C / 6) ** a)
    assert _log_equal(_REGISTRY["compute_optimal_n_tokens"].rhs, (C / 6) ** b / g)


def test_chinchilla_optimum_is_a_minimum_on_the_budget():
    """Along D = C/(6N) the loss is stationary at N_opt and curves upward there (checked at 40 digits)."""
    N, C = ss.N, ss.C
    along = ss.chinchilla_loss(N, C / (6 * N))
    first, second = sp.diff(along, N), sp.diff(along, N, 2)
    n_opt = ss.derive_chinchilla()["N_opt"]
    for e, a, b, al, be, c in [(1.8172, 482.01, 2085.43, 0.3478, 0.3658, 5.76e23),
                               (1.69, 406.4, 410.7, 0.34, 0.28, 1e21), (2.0, 50.0, 5e3, 0.7, 0.2, 1e18)]:
        at = {ss.E: e, ss.A: a, ss.B: b, ss.alpha: al, ss.beta: be, C: c}
        at = {k: sp.Float(x, 40) for k, x in at.items()}
        n = n_opt.subs(at).evalf(40)
        at_n = {**at, N: n}
        assert abs(first.subs(at_n).evalf(40)) < sp.Float(1e-30) * along.subs(at_n).evalf(40) / n
        assert second.subs(at_n).evalf(40) > 0


def test_chinchilla_tokens_per_parameter_besiroglu():
    """Besiroglu et al. 2024's refit gives about 20 tokens per parameter at Chinchilla's 5.76e23 FLOP."""
    out = ss.derive_chinchilla()
    at = {ss.A: 482.01, ss.B: 2085.43, ss.alpha: 0.3478, ss.beta: 0.3658, ss.C: 5.76e23}
    ratio = float((out["D_opt"] / out["N_opt"]).subs(at))
    assert 15.0 < ratio < 30.0


def test_compute_for_loss_inverts_the_optimal_loss():
    """The budget for the optimal loss at C is C (40-digit evaluation at sampled fits)."""
    loss_at = _REGISTRY["compute_optimal_loss"].rhs
    budget = _REGISTRY["compute_for_loss"].rhs
    for c, e, a, b, al, be in [(1e20, 1.7, 400.0, 400.0, 0.34, 0.28), (3e24, 1.8, 482.0, 2085.0, 0.35, 0.37)]:
        at = {k: sp.Float(x, 40) for k, x in {ss.E: e, ss.A: a, ss.B: b, ss.alpha: al, ss.beta: be}.items()}
        target = loss_at.subs({**at, ss.C: sp.Float(c, 40)}).evalf(40)
        assert float(budget.subs({**at, ss.L_target: target}).evalf(40)) == pytest.approx(c, rel=1e-20)


def test_kaplan_joint_limits():
    """Kaplan's L(N, D) tends to L(N) as D → ∞ and to L(D) as N → ∞ (Kaplan et al. 2020, Eq. 1.5)."""
    joint = _REGISTRY["kaplan_loss"].rhs
    assert sp.simplify(sp.limit(joint, ss.D, sp.oo) - _REGISTRY["kaplan_loss_params"].rhs) == 0
    assert sp.simplify(sp.limit(joint, ss.N, sp.oo) - _REGISTRY["kaplan_loss_data"].rhs) == 0


# ------------------------------------------------------------------ energy
def test_device_power_limits():
    """Idle power with no static draw and no load; board power once the load share reaches one."""
    p = _REGISTRY["device_power"].rhs
    assert p.subs({se.k_0: 0, se.u_F: 0, se.u_W: 0}) == se.P_idle
    assert p.subs({se.k_0: 1, se.u_F: sp.Rational(1, 2)}) == se.P_max


def test_energy_identities():
    """No idle energy per request at full utilization; 1 kWh at 1 kg/kWh is 1000 g; 15.06 Wh is 54,216 J."""
    assert _REGISTRY["idle_energy_per_request"].rhs.subs(se.u, 1) == 0
    assert _REGISTRY["co2e_g"].rhs.subs({se.E: 3_600_000, se.g_grid: 1}) == 1000
    assert _REGISTRY["battery_share"].rhs.subs({se.E: 54_216, se.Q_bat: sp.Rational("15.06")}) == 1
    # the facility boundary is the server boundary times PUE
    server, facility = _REGISTRY["boundary_energy_server"].rhs, _REGISTRY["boundary_energy_facility"].rhs
    assert sp.simplify(facility - server * se.PUE) == 0
    assert sp.simplify(server - se.E_acc * sp.Rational(83, 58)) == 0
