"""Reliability and availability: algebra, failure rates, checkpointing, sites, per-paradigm metrics.

Expected values come from the published counts (Llama 3, arXiv:2407.21783
§3.3.4 and Table 5), from scipy's distributions (computed independently of
the library's log-space sums and gamma inverses) and from brute-force
searches.
"""
import json
import math

import numpy as np
import pytest
from scipy import stats

from genai_edge import cli, paradigms
from genai_edge import reliability as rel
from genai_edge import scenario as scenario_mod
from genai_edge.scenario import ScenarioError

HOUR = 3600.0
LLAMA3_HOURS = 54 * 24        # §3.3.4: a 54-day snapshot
LLAMA3_GPUS = 16384
LLAMA3_UNEXPECTED = 419


# ----------------------------------------------------------- failure rates
def test_llama3_job_mtbf_and_per_gpu_mtbf_with_their_intervals():
    """Llama 3 405B: 419 unexpected interruptions in 54 days on 16,384 H100s (arXiv:2407.21783 §3.3.4)."""
    job = rel.failure_rate(LLAMA3_UNEXPECTED, 1, LLAMA3_HOURS * HOUR)
    assert job.mtbf / HOUR == pytest.approx(3.09, abs=0.005)
    lo, hi = (x / HOUR for x in job.mtbf_interval)
    # exact Poisson interval: the observed count sits at the 5 % tails of the bounding rates
    assert stats.poisson.sf(LLAMA3_UNEXPECTED - 1, LLAMA3_HOURS / hi) == pytest.approx(0.05, rel=1e-6)
    assert stats.poisson.cdf(LLAMA3_UNEXPECTED, LLAMA3_HOURS / lo) == pytest.approx(0.05, rel=1e-6)
    assert 2.8 < lo < 2.9 and 3.3 < hi < 3.4

    table = rel.failure_events()
    row = table[(table.component == "all") & (table.quantity == "job_interruption_unexpected")].iloc[0]
    assert row.mtbf_per_unit_h == pytest.approx(LLAMA3_GPUS * LLAMA3_HOURS / LLAMA3_UNEXPECTED, rel=1e-12)
    assert row.mtbf_per_unit_h == pytest.approx(50_677, rel=1e-4)
    assert row.mtbf_low_h == pytest.approx(LLAMA3_GPUS * lo, rel=1e-9)
    assert row.mtbf_high_h == pytest.approx(LLAMA3_GPUS * hi, rel=1e-9)
    # the same rate scaled to the whole job
    assert float(rel.failure_rate(419, LLAMA3_GPUS, LLAMA3_HOURS * HOUR).over(LLAMA3_GPUS).mtbf) / HOUR \
        == pytest.approx(3.0931, abs=1e-4)


def test_llama3_table_keeps_its_components_and_quantities_apart():
    table = rel.failure_events()
    parts = table[(table.quantity == "job_interruption_unexpected") & (table.component != "all")]
    assert parts.events.sum() == LLAMA3_UNEXPECTED                    # Table 5 rows sum to 419
    assert parts.set_index("component").events["faulty_gpu"] == 148
    assert parts.set_index("component").events["gpu_hbm3_memory"] == 72
    assert parts.groupby("category").events.sum()["gpu"] == 268
    total = table[table.component == "all"].set_index("quantity").events
    assert total["job_interruption_all"] == total["job_interruption_unexpected"] + total["job_interruption_planned"]
    assert (parts.rate_low_per_unit_h < parts.rate_per_unit_h).all()
    assert (parts.rate_per_unit_h < parts.rate_high_per_unit_h).all()
    # commitments and designs are a different quantity, kept in their own table
    sla = rel.service_availability().set_index("id")
    assert sla.loc["aws-ec2-region", "downtime_min_per_month"] == pytest.approx(4.383, abs=1e-3)
    assert set(sla.quantity) == {"service_commitment", "site_design", "requirement"}


def test_zero_failures_give_a_one_sided_interval():
    fit = rel.failure_rate(0, 100, 1000 * HOUR)
    assert fit.rate == 0 and fit.low == 0 and math.isinf(fit.mtbf)
    # upper 95 % bound of a zero count: -ln(0.05) / exposure
    assert fit.high * 100 * 1000 * HOUR == pytest.approx(-math.log(0.05), rel=1e-9)


# ---------------------------------------------------------------- algebra
def test_series_parallel_and_availability():
    assert rel.availability(999.0, 1.0) == pytest.approx(0.999)
    assert rel.availability(np.inf, 5.0) == 1.0
    assert rel.series(0.99, 0.98) == pytest.approx(0.99 * 0.98)
    assert rel.parallel(0.9, 0.8) == pytest.approx(1 - 0.1 * 0.2)
    assert rel.downtime_per_month(0.999) / 60 == pytest.approx(43.8291, abs=1e-4)
    assert rel.downtime_per_year(0.99999) / 60 == pytest.approx(5.2595, abs=1e-4)
    np.testing.assert_allclose(rel.series([0.9, 0.5], 0.5), [0.45, 0.25])


@pytest.mark.parametrize("a,k,n", [(0.9999, 9990, 10_000), (0.999, 9990, 10_000), (0.99, 9850, 10_000),
                                   (0.5, 5100, 10_000), (0.9, 1, 10_000), (0.99999, 10_000, 10_000),
                                   (0.3, 7, 10), (0.999, 3, 4)])
def test_k_of_n_matches_scipy_binomial_survival(a, k, n):
    got = rel.k_of_n(a, k, n)
    want = stats.binom.sf(k - 1, n, a)
    assert math.isfinite(got)
    assert got == pytest.approx(want, rel=1e-9, abs=1e-300)
    assert rel.k_of_n_unavailability(a, k, n) == pytest.approx(stats.binom.cdf(k - 1, n, a), rel=1e-8, abs=1e-300)


def test_k_of_n_closed_cases_and_arrays():
    a = np.array([0.5, 0.9, 0.999])
    np.testing.assert_allclose(rel.k_of_n(a, 3, 3), a ** 3, rtol=1e-12)
    np.testing.assert_allclose(rel.k_of_n(a, 1, 3), 1 - (1 - a) ** 3, rtol=1e-12)
    np.testing.assert_allclose(rel.k_of_n(a, 0, 3), 1.0)
    # a tiny unavailability is not lost to cancellation
    assert rel.k_of_n_unavailability(0.9999, 1, 3) == pytest.approx(1e-12, rel=1e-6)


# ---------------------------------------------------------- checkpointing
def test_young_interval_is_sqrt_2_delta_m_and_the_optimum_is_brute_force():
    write, mtbf = 60.0, 3.09 * HOUR
    assert rel.young_interval(write, mtbf) == pytest.approx(math.sqrt(2 * write * mtbf), rel=1e-12)
    for write, mtbf, restart in ((60.0, 3.09 * HOUR, 600.0), (600.0, 3.0 * HOUR, 300.0), (5.0, 40 * HOUR, 0.0),
                                 (1800.0, 2 * HOUR, 900.0)):
        tau = np.linspace(1.0, 4 * mtbf, 400_001)
        g = rel.goodput(tau, write, mtbf, restart)
        best_tau, best_g = tau[np.argmax(g)], g.max()
        opt = rel.optimal_interval(write, mtbf)
        assert opt == pytest.approx(best_tau, rel=0.01)
        assert rel.goodput(opt, write, mtbf, restart) == pytest.approx(best_g, rel=1e-6)
        assert rel.goodput(opt, write, mtbf, restart) >= best_g * (1 - 1e-9)
        # Daly's higher-order form is closer to the exact optimum than Young's
        assert abs(rel.daly_interval(write, mtbf) - opt) <= abs(rel.young_interval(write, mtbf) - opt)
    # when writes are cheap the exact optimum tends to Young's
    assert rel.optimal_interval(1.0, 1e6) == pytest.approx(math.sqrt(2e6), rel=1e-3)


def test_goodput_counts_restarts_and_detection():
    g0 = rel.goodput(1800.0, 60.0, 3 * HOUR)
    g1 = rel.goodput(1800.0, 60.0, 3 * HOUR, restart=600.0)
    g2 = rel.goodput(1800.0, 60.0, 3 * HOUR, restart=600.0, detection=300.0)
    assert 0 < g2 < g1 < g0 < 1
    assert g1 == pytest.approx(g0 * math.exp(-600 / (3 * HOUR)), rel=1e-12)
    # without failures the only loss is the checkpoint write
    assert rel.goodput(1800.0, 60.0, 1e12) == pytest.approx(1800 / 1860, rel=1e-6)


def test_saxena_availability_optimal_period():
    ts, tf, tr = 60.0, 3 * HOUR, 300.0
    tc = rel.availability_optimal_interval(ts, tf, tr)
    assert tc == pytest.approx(ts + math.sqrt(2 * (tf + tr) * ts + ts ** 2), rel=1e-12)
    # it maximises (Tc - Ts) / (Tc + (Tc / Tf)(Tc / 2 + Tr)), the availability it is derived from
    grid = np.linspace(ts + 1, 10 * tc, 200_001)
    avail = (grid - ts) / (grid + grid / tf * (grid / 2 + tr))
    assert tc == pytest.approx(grid[np.argmax(avail)], rel=1e-3)


# ------------------------------------------------------------------ sites
def test_mega_site_against_distributed_sites_crosses_over_in_outage_probability():
    a, units, needed, sites = 0.999, 400, 290, 4          # 3 of 4 sites carry the load
    q_star = rel.outage_crossover(a, units, needed, sites)
    # units that never fail: 3-of-4 sites equals one site where (1-q)^3 + 4q(1-q)^2 = 1, q = 1 - (1 + sqrt 13)/6
    assert rel.outage_crossover(1.0, units, 300, sites) == pytest.approx(1 - (1 + math.sqrt(13)) / 6, rel=1e-9)
    assert 0.01 < q_star < 0.5

    def gap(q):
        return (rel.distributed_availability(a, units, needed, sites, q)
                - rel.mega_site_availability(a, units, needed, q))
    assert abs(gap(q_star)) < 1e-9
    assert gap(q_star / 3) > 0 and gap(1e-4) > 0               # rare site outages: spread out wins
    assert gap(min(0.99, q_star * 2)) < 0                      # frequent ones: one site wins
    # the distributed sum is the k-of-n structure over sites when units never fail
    q = 0.05
    assert rel.distributed_availability(1.0, units, needed, sites, q) == pytest.approx(
        stats.binom.sf(2, 4, 1 - q), rel=1e-12)
    # with no spare site there is no crossover: one site is better at every q
    assert math.isnan(rel.outage_crossover(a, 400, 400, 4))


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="availability must be in"):
        rel.k_of_n(1.2, 1, 3)
    with pytest.raises(ValueError, match="k must be <= n"):
        rel.k_of_n(0.9, 4, 3)
    with pytest.raises(ValueError, match="mtbf must be > 0"):
        rel.availability(-5.0, 1.0)
    with pytest.raises(ValueError, match="mttr must be >= 0"):
        rel.availability(5.0, -1.0)
    with pytest.raises(ValueError, match="outage_probability must be in"):
        rel.mega_site_availability(0.9, 4, 3, -0.1)
    with pytest.raises(ValueError, match=r"availabilities\[1\] must be in"):
        rel.series(0.9, 1.5)
    with pytest.raises(ValueError, match="n must be <= 10,000,000"):
        rel.k_of_n(0.9, 1, 1e8)
    with pytest.raises(ValueError, match="events must be a whole number"):
        rel.failure_rate(-1, 10, 10)
    with pytest.raises(ValueError, match="mtbf must be > 0"):
        rel.young_interval(60.0, -1.0)
    with pytest.raises(ScenarioError, match=r"network.access_availability.*out of range"):
        scenario_mod.load("chatbot", {"network.access_availability": 1.5})
    with pytest.raises(ScenarioError, match=r"cloud.gpu_mtbf_h.*out of range"):
        scenario_mod.load("chatbot", {"cloud.gpu_mtbf_h": -10})


# ------------------------------------------------------------- paradigms
def _metrics(name, **overrides):
    return {p: r.metrics for p, r in paradigms.evaluate(scenario_mod.load(name, overrides)).items()}


@pytest.mark.parametrize("name", scenario_mod.builtin_names())
def test_compare_json_has_availability_downtime_and_slo_attainment(name, capsys):
    assert cli.main(["compare", "--scenario", name, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for paradigm, row in doc["paradigms"].items():
        assert 0 <= row["availability"] <= 1, paradigm
        assert row["downtime_min_per_month"] == pytest.approx((1 - row["availability"]) * 43829.1, rel=1e-4)
        assert 0 <= row["slo_attainment"] <= row["availability"] + 1e-15
        assert row["slo_attainment"] <= row["latency_slo_attainment"] + 1e-12
    a = {p: r["availability"] for p, r in doc["paradigms"].items()}
    # failover: edge-cloud is at least as available as the better of its two paths
    assert a["edge_cloud"] >= max(a["cloud"], a["mec"]) - 1e-15


def test_chatbot_cloud_availability_by_hand():
    scn = scenario_mod.load("chatbot")
    m = _metrics("chatbot")["cloud"]
    c, n = scn.cloud, scn.network
    length = n.cloud_distance_km * n.route_factor
    cut = n.fibre_cuts_per_1000km_year * length / 1000 * n.fibre_repair_h / 8765.82
    wan = 1 - (cut / (1 + cut)) ** n.fibre_paths
    replica = (c.gpu_mtbf_h / c.devices) / (c.gpu_mtbf_h / c.devices + c.replica_mttr_h)
    res = paradigms.evaluate(scn)["cloud"].sites[0]
    needed = math.floor(res.utilization * c.replicas) + 1
    want = n.access_availability * wan * c.site_availability * stats.binom.sf(needed - 1, c.replicas, replica)
    assert m["availability"] == pytest.approx(want, rel=1e-12)


def test_perfect_infrastructure_leaves_latency_attainment():
    keys = {"network.access_availability": 1, "network.fibre_cuts_per_1000km_year": 0}
    for site in ("cloud", "mec"):
        keys.update({f"{site}.site_availability": 1, f"{site}.replica_mttr_h": 0})
    for p, m in _metrics("chatbot", **keys).items():
        assert m["availability"] == 1.0, p
        assert m["downtime_min_per_month"] == 0.0
        assert m["slo_attainment"] == pytest.approx(m["latency_slo_attainment"], rel=1e-12, abs=1e-15)


def test_failover_adds_availability_and_capacity_limits_it():
    base = _metrics("chatbot")
    # an unreliable MEC site: the edge-cloud paradigm fails over to the cloud and keeps the cloud's level
    weak = _metrics("chatbot", **{"mec.site_availability": 0.9})
    assert weak["mec"]["availability"] < 0.9
    assert weak["edge_cloud"]["availability"] >= weak["cloud"]["availability"]
    assert weak["edge_cloud"]["availability"] < base["edge_cloud"]["availability"]
    # a cloud too small for all the load cannot take the failover: edge-cloud falls below the cloud alone
    small = _metrics("chatbot", **{"mec.site_availability": 0.9, "cloud.replicas": 4})
    assert small["edge_cloud"]["availability"] < weak["edge_cloud"]["availability"]


def test_degraded_replicas_cost_attainment_not_availability():
    # 3 MEC replicas that fail often: with all needed for the load, losing one is an outage
    m = _metrics("chatbot", **{"mec.gpu_mtbf_h": 100, "mec.replica_mttr_h": 10})["mec"]
    assert m["availability"] < 0.99
    assert m["slo_attainment"] <= m["availability"]


# -------------------------------------------------------------------- CLI
def test_cli_job_and_fit(capsys):
    assert cli.main(["reliability", "job", "--gpus", "16384", "--checkpoint-write-s", "60", "--restart-s",
                     "600", "--json"]) == 0
    job = json.loads(capsys.readouterr().out)
    assert job["job_mttf_h"] == pytest.approx(54 * 24 / 419, rel=1e-9)       # Llama 3: 3.09 h
    tau = np.linspace(10, 20_000, 200_001)
    g = rel.goodput(tau, 60.0, job["job_mttf_h"] * HOUR, 600.0)
    assert job["optimal_interval_s"] == pytest.approx(tau[np.argmax(g)], rel=0.01)
    assert job["goodput"] == pytest.approx(g.max(), rel=1e-6)
    assert job["young_interval_s"] == pytest.approx(math.sqrt(2 * 60 * job["job_mttf_h"] * HOUR), rel=1e-12)

    assert cli.main(["reliability", "fit", "--failures", "419", "--units", "16384", "--hours", "1296",
                     "--json"]) == 0
    fit = json.loads(capsys.readouterr().out)
    assert fit["mtbf_per_unit_h"] == pytest.approx(16384 * 1296 / 419, rel=1e-12)
    lo, hi = fit["ci90"]
    assert lo < fit["rate_per_unit_h"] < hi
    assert stats.poisson.cdf(419, hi * 16384 * 1296) == pytest.approx(0.05, rel=1e-6)
    assert stats.poisson.sf(418, lo * 16384 * 1296) == pytest.approx(0.05, rel=1e-6)


def test_cli_errors_are_one_line(capsys):
    assert cli.main(["reliability", "fit", "--failures", "3", "--units", "-2", "--hours", "10"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "genai-edge reliability: error: units must be > 0, got -2.0"
    assert cli.main(["reliability", "job", "--gpus", "8", "--checkpoint-write-s", "0"]) == 2
    assert "--checkpoint-write-s must be > 0" in capsys.readouterr().err
    assert cli.main(["reliability", "job", "--gpus", "8", "--gpu-mtbf-h", "-1"]) == 2
    assert "unit_mtbf must be > 0" in capsys.readouterr().err


def test_optimal_interval_near_the_branch_point_matches_mpmath():
    # 1 + W0(-e^{-1-x}) evaluated with 40 digits: the library Lambert W alone
    # returns nan or loses all digits for x = delta/M below ~1e-8.
    import mpmath as mp
    mp.mp.dps = 40
    for x in (1e-300, 1e-20, 1e-12, 1e-8, 5e-5, 9.9e-5, 1.1e-4, 1e-2):
        exact = float(1 + mp.lambertw(-mp.e ** (-1 - mp.mpf(x))))
        assert rel.optimal_interval(x * 3600.0, 3600.0) == pytest.approx(exact * 3600.0, rel=1e-11), x
    assert rel.optimal_interval(0.0, 3600.0) == 0.0


def test_infinite_products_with_zero_are_defined_or_refused():
    import genai_edge.energy as energy
    assert energy.co2e_g(np.inf, 0.0) == 0.0
    with pytest.raises(ValueError, match="units"):
        rel.job_failure_rate(np.inf, 0.0)
    with pytest.raises(ValueError, match="idle_power_w"):
        energy.idle_energy_per_request(np.inf, 0.0, np.inf)
