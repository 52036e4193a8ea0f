"""The symbolic layer against the numpy models: formulas, paradigm compositions, crossovers, rendering."""
import json
import math
import subprocess
import sys
import zlib

import numpy as np
import pytest
from contract import FORMULA_POINTS, formula_grid, formula_values, run_cli
from scipy.optimize import brentq

from genai_edge import evaluate, load_scenario
from genai_edge.paradigms import PARADIGMS
from genai_edge.scenario import builtin_names

sp = pytest.importorskip("sympy")
from genai_edge import symbolic  # noqa: E402
from genai_edge.symbolic.paradigms import METRICS  # noqa: E402

# Formulas the layer must state (more may be registered; every registered one is checked below).
REQUIRED = ["propagation_delay", "serialization_delay", "round_trip_time", "mm1_mean_response", "mm1_wait_quantile",
            "erlang_c", "mmc_mean_wait", "mmc_wait_quantile", "mg1_mean_wait", "roofline_time", "prefill_flops",
            "decode_flops", "decode_ridge_batch", "idle_energy_per_request", "co2e_g", "availability", "series",
            "parallel", "k_of_n", "young_interval", "loss", "compute_optimal_n_params", "compute_optimal_n_tokens"]


def test_required_formulas_are_registered():
    names = [f.name for f in symbolic.formulas()]
    assert set(REQUIRED) <= set(names), sorted(set(REQUIRED) - set(names))
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", sorted(f.name for f in symbolic.formulas()))
def test_every_formula_matches_its_numpy_function(name):
    f = symbolic.formula(name)
    grid = formula_grid(f, seed=zlib.crc32(name.encode()))
    assert grid[0].size >= FORMULA_POINTS // 5, f"{name}: the constraint leaves too few points"
    expected = np.asarray(f.numeric(*grid), dtype=float)
    assert np.all(np.isfinite(expected)), name
    np.testing.assert_allclose(formula_values(f, grid), expected, rtol=f.rtol, atol=0)


@pytest.mark.parametrize("name", sorted(f.name for f in symbolic.formulas()))
def test_every_formula_is_documented(name):
    f = symbolic.formula(name)
    assert f.source.strip() and f.note.strip(), name
    assert set(f.domain) == set(f.args) and len(set(f.args)) == len(f.args), name
    for s in (f.lhs, *f.args):
        assert isinstance(f.units.get(s), str) and f.units[s].strip(), f"{name}: no unit for {s}"
    assert f.rhs.free_symbols <= set(f.args), f"{name}: {f.rhs.free_symbols - set(f.args)} are not arguments"
    assert f.latex() and symbolic.mathml(f).startswith("<math"), name


def test_import_genai_edge_does_not_import_sympy():
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import genai_edge"], capture_output=True,
                         text=True, check=True)
    modules = [line.rsplit("|", 1)[-1].strip() for line in out.stderr.splitlines() if "|" in line]
    assert "genai_edge" in modules
    assert not [m for m in modules if m.split(".")[0] == "sympy"]


def test_symbolic_is_reachable_as_an_attribute():
    code = "import sys, genai_edge; assert 'sympy' not in sys.modules; genai_edge.symbolic.formulas(); " \
           "assert 'sympy' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------ paradigms
def _scenarios():
    names = list(builtin_names())
    variants = [("chatbot", {"edge_cloud.strategy": s}) for s in ("routing", "overflow", "speculative")]
    variants += [("chatbot", {"workload.users": 30_000, "network.cloud_hops": 0, "mec.idle_energy": "amortized"})]
    return [(n, {}) for n in names] + variants


@pytest.mark.parametrize("name,overrides", _scenarios())
def test_paradigm_expressions_reproduce_evaluate(name, overrides):
    scn = load_scenario(name).replace(**overrides) if overrides else load_scenario(name)
    results = evaluate(scn, check_memory=False)
    exprs = symbolic.paradigm_expressions(scn)
    for p in PARADIGMS:
        for m in METRICS:
            expected = results[p].metrics[m]
            got = exprs[p].value(m)
            if not math.isfinite(expected):
                assert got == expected or (math.isnan(got) and math.isnan(expected)), (p, m)
            else:
                assert got == pytest.approx(expected, rel=1e-9, abs=1e-300), (p, m)


def test_paradigm_compositions_read_as_the_textbook_sums():
    e = symbolic.paradigm_expressions("chatbot")
    s = {x.name: x for x in e["cloud"].metrics["ttft_s"].free_symbols}
    # mean TTFT over one path: upload, access both ways, fibre round trip, wait, prefill
    expected = s["T_up"] + 2 * s["d_acc"] + s["R_wan"] + s["W_cloud"] + s["T_pf_cloud"]
    assert sp.simplify(e["cloud"].metrics["ttft_s"] - expected) == 0
    mec = {x.name: x for x in e["edge_cloud"].metrics["ttft_s"].free_symbols}
    assert "w_mec" in mec and "w_cloud" not in mec, "the two routing shares sum to one"
    # no network on the device: its TTFT is its prefill alone
    assert [x.name for x in e["on_device"].metrics["ttft_s"].free_symbols] == ["T_pf_device"]


def test_every_symbol_has_a_meaning_and_unit():
    for p, e in symbolic.paradigm_expressions("chatbot").items():
        for m in METRICS:
            for s, meaning, unit, value in e.symbols(m):
                assert meaning and unit and math.isfinite(value), (p, m, s)


# ------------------------------------------------------------ crossovers
def _gap(scn, key, a, b, metric):
    def f(x):
        r = evaluate(scn.replace(**{key: x}), check_memory=False)
        return r[a].metrics[metric] - r[b].metrics[metric]
    return f


def test_cli_crossover_agrees_with_brute_force_root_search(capsys):
    code, out, err = run_cli(capsys, "crossover", "--scenario", "chatbot", "--metric", "ttft", "--vary",
                             "network.cloud_distance_km", "--between", "cloud", "mec", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["method"] == "closed form" and doc["expression"].startswith("L_cloud = ")
    scn = load_scenario("chatbot")
    f = _gap(scn, "network.cloud_distance_km", "cloud", "mec", "ttft_s")
    assert f(0.0) < 0 < f(20_040.0)     # the cloud is faster next door, MEC far away
    brute = brentq(f, 0.0, 20_040.0, xtol=1e-12, rtol=1e-14)
    assert doc["value"] == pytest.approx(brute, rel=1e-6)
    assert (doc["winner_below"], doc["winner_above"]) == ("cloud", "mec")
    # the expression, evaluated at the values it lists, gives the value
    expr = sp.sympify(doc["expression"].split(" = ", 1)[1])
    assert float(expr.subs(doc["symbols"])) == pytest.approx(doc["value"], rel=1e-12)


@pytest.mark.parametrize("key,a,b", [("network.mec_distance_km", "cloud", "mec"),
                                     ("network.route_factor", "cloud", "mec"),
                                     ("network.per_hop_delay_s", "cloud", "mec"),
                                     ("network.cloud_distance_km", "cloud", "edge_cloud")])
def test_closed_form_crossovers_tie_in_the_numpy_model(key, a, b):
    scn = load_scenario("chatbot")
    x = symbolic.crossover(scn, "ttft", key, (a, b))
    if x.value is None:
        assert x.reason and x.winner_below == x.winner_above
        lo, hi = x.low, x.high
        f = _gap(scn, key, a, b, "ttft_s")
        assert np.sign(f(lo)) == np.sign(f(hi)), "no tie claimed, yet the ends differ in sign"
        return
    assert x.method == "closed form"
    r = evaluate(scn.replace(**{key: x.value}), check_memory=False)
    va, vb = r[a].ttft_s, r[b].ttft_s
    assert abs(va - vb) <= 1e-9 * max(va, vb)


def test_root_search_crossover_over_users_agrees_with_brute_force():
    scn = load_scenario("chatbot")
    x = symbolic.crossover(scn, "ttft", "workload.users", ("cloud", "mec"))
    assert x.method == "root search" and "W_mec" in x.expression
    f = _gap(scn, "workload.users", "cloud", "mec", "ttft_s")
    brute = brentq(f, 2_000, 16_000, xtol=1e-9, rtol=1e-14)
    assert x.value == pytest.approx(brute, rel=1e-6)
    assert {x.winner_below, x.winner_above} == {"cloud", "mec"}


def test_no_crossover_states_why(capsys):
    # energy does not depend on the distance in the model: no tie, and it says so
    x = symbolic.crossover("chatbot", "energy", "network.cloud_distance_km", ("cloud", "mec"))
    assert x.value is None and "depends on network.cloud_distance_km" in x.reason
    assert x.winner_below == x.winner_above == "mec"
    # the mean E2E lines meet only beyond the antipode
    code, out, _ = run_cli(capsys, "crossover", "--scenario", "chatbot", "--metric", "e2e", "--vary",
                           "network.cloud_distance_km", "--between", "cloud", "mec", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["value"] is None and "above the range searched" in doc["reason"]
    scn = load_scenario("chatbot")
    f = _gap(scn, "network.cloud_distance_km", "cloud", "mec", "e2e_s")
    assert f(0.0) < 0 and f(20_040.0) < 0
    # by root search: the device's energy stays below the cloud's at any load
    x = symbolic.crossover("chatbot", "energy", "workload.users", ("on_device", "cloud"))
    assert x.method == "root search" and x.value is None
    assert x.winner_below == x.winner_above == "on_device" and "better at every one of the" in x.reason
    g = _gap(scn, "workload.users", "on_device", "cloud", "energy_per_request_j")
    assert all(g(u) < 0 for u in (1.0, 1e3, 1e5))


def test_crossover_refuses_bad_arguments_in_one_line(capsys):
    base = ["crossover", "--scenario", "chatbot", "--between", "cloud", "mec"]
    for extra, words in [(["--vary", "cloud.hardware"], "takes a name"),
                         (["--vary", "network.cloud_distanc_km"], "Did you mean"),
                         (["--vary", "workload.users", "--metric", "speed"], "allowed: ttft"),
                         (["--vary", "workload.users", "--range", "10", "1"], "must be increasing")]:
        code, out, err = run_cli(capsys, *base, *extra)
        assert code == 2 and words in err and len(err.strip().splitlines()) == 1, (extra, err)


# ------------------------------------------------------------ rendering
def test_equations_render_as_mathml():
    e = symbolic.paradigm_expressions("chatbot")
    for p in PARADIGMS:
        for m in METRICS:
            html = symbolic.mathml(e[p].equation(m))
            assert html.startswith("<math") and "ge-tex" not in html, (p, m)
    md = e["cloud"].equation("ttft_s")._repr_markdown_()
    assert md.startswith("$$") and "R_{wan}" in md and "fibre round-trip" in md


def test_verdict_quotes_the_crossover_with_its_expression():
    from genai_edge import verdict
    text = verdict.verdict("chatbot")
    tie = symbolic.crossover("chatbot", "ttft", "network.cloud_distance_km", ("cloud", "mec"))
    assert f"cross at a cloud distance of {tie.value:,.0f} km" in text
    assert f"$$ {tie.latex} $$" in text and "signal speed in fibre" in text
    far = verdict.verdict("enterprise")
    assert "do not cross at any cloud distance" in far and "above the range searched" in far
