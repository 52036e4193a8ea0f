"""Growth trends on Epoch AI's notable-models data, back-tests, and edge feasibility."""
import json

import numpy as np
import pytest
from contract import run_cli

from genai_edge import catalog, feasibility, growth


# ------------------------------------------------------------------ loader
def test_loader_types_columns_and_counts_rows():
    df = growth.notable_models()
    assert len(df) == 976            # rows in the shipped Epoch AI snapshot
    assert str(df["date"].dtype).startswith("datetime64")
    assert df["parameters"].dtype == float and df["frontier"].dtype == bool
    kept = growth.notable_models(require=("parameters", "training_compute_flop"))
    both = df["parameters"].notna() & df["training_compute_flop"].notna()
    assert len(kept) == both.sum() and len(kept) + sum(kept.attrs["dropped"].values()) == len(df)
    assert kept.attrs["dropped"]["parameters"] == df["parameters"].isna().sum()
    with pytest.raises(ValueError, match="require: unknown column"):
        growth.notable_models(require=("flops",))
    assert "CC BY 4.0" in growth.ATTRIBUTION and "Epoch AI" in growth.__doc__


def test_trend_data_reports_rows_dropped_for_missing_values():
    df = growth.trend_data("compute", since=2010)
    assert df.attrs["dropped"]["training_compute_flop"] > 0
    assert df["year"].min() >= 2010 and df["training_compute_flop"].notna().all()


# ------------------------------------------------------------ trend fitting
def test_synthetic_growth_rate_is_recovered_inside_its_interval():
    rng = np.random.default_rng(7)
    years = rng.uniform(2010, 2025, 400)
    values = 1e20 * 3.0 ** (years - 2010) * 10 ** rng.normal(0, 0.5, years.size)
    t = growth.fit_trend(years, values, "synthetic")
    lo, hi = t.factor_per_year_ci
    assert lo < 3.0 < hi and hi / lo < 1.2
    assert t.doubling_months == pytest.approx(12 * np.log(2) / np.log(t.factor_per_year))
    # the 90 % prediction interval covers ~90 % of new draws from the same process
    new = rng.uniform(2010, 2025, 4000)
    obs = 1e20 * 3.0 ** (new - 2010) * 10 ** rng.normal(0, 0.5, new.size)
    plo, phi = t.prediction_interval(new)
    assert 0.87 < np.mean((obs >= plo) & (obs <= phi)) < 0.93


def test_year_reaching_inverts_the_trend_and_its_interval():
    rng = np.random.default_rng(3)
    years = rng.uniform(2015, 2025, 200)
    t = growth.fit_trend(years, 10 ** (0.4 * (years - 2015) + 9 + rng.normal(0, 0.3, 200)))
    year, lo, hi = t.year_reaching(1e12)
    assert t.predict(year) == pytest.approx(1e12, rel=1e-9)
    assert t.prediction_interval(lo)[1] == pytest.approx(1e12, rel=1e-6)
    assert t.prediction_interval(hi)[0] == pytest.approx(1e12, rel=1e-6)


def test_break_test_detects_a_slope_change_and_not_a_straight_line():
    rng = np.random.default_rng(11)
    x = np.sort(rng.uniform(2000, 2020, 300))
    noise = rng.normal(0, 0.3, x.size)
    kinked = np.where(x < 2010, 0.1 * (x - 2010), 0.6 * (x - 2010)) + noise
    straight = 0.3 * (x - 2010) + noise
    from scipy import stats

    def chow(y):
        first = x < 2010
        parts = [np.polyfit(x[m], y[m], 1, full=True)[1][0] for m in (first, ~first)]
        pooled = np.polyfit(x, y, 1, full=True)[1][0]
        f = ((pooled - sum(parts)) / 2) / (sum(parts) / (x.size - 4))
        return stats.f.sf(f, 2, x.size - 4)
    assert chow(kinked) < 1e-6 and chow(straight) > 0.01
    real = growth.break_test("compute", split=2010, since=1950)
    assert real.after.factor_per_year > 2 * real.before.factor_per_year and real.p_value < 1e-6


def test_compute_trend_since_2010_matches_epochs_published_rate():
    # Epoch AI (epoch.ai/trends, 2024): training compute of notable models has
    # grown 4-5x per year since 2010.
    t = growth.growth_trend("compute", since=2010)
    lo, hi = t.factor_per_year_ci
    assert 3.5 < lo < t.factor_per_year < hi < 5.5 and t.n > 300


def test_frontier_subsets_select_the_largest_models():
    top = growth.trend_data("parameters", domain="Language", since=2018, top_per_year=3)
    assert top.groupby(top["date"].dt.year).size().max() == 3
    above = growth.growth_trend("compute", since=2010, residual_above=0.5)
    everything = growth.growth_trend("compute", since=2010)
    assert above.n < everything.n
    assert above.predict(2020) > everything.predict(2020)


def test_backtest_frozen_at_2020_scores_only_later_models():
    b = growth.backtest("compute", freeze_year=2020)
    assert b.trend.last_year < 2021 and b.test["year"].min() >= 2021
    assert b.n_test == len(growth.trend_data("compute", since=2021))
    assert b.coverage == pytest.approx(1 - (b.n_above + b.n_below) / b.n_test)
    years = b.by_year()
    assert years.index.min() == 2021 and years["n"].sum() == b.n_test


@pytest.mark.parametrize("call, text", [
    (lambda: growth.growth_trend("compute", domain="Langauge"), "Language"),
    (lambda: growth.growth_trend("flops"), "compute, parameters, data"),
    (lambda: growth.backtest("compute", freeze_year=2030), "freeze_year"),
    (lambda: growth.fit_trend([2020, 2021], [1.0, 2.0]), "at least 3"),
    (lambda: growth.fit_trend([2020, 2021, 2022], [1.0, -2.0, 3.0]), "values"),
])
def test_growth_errors(call, text):
    with pytest.raises(ValueError, match=text):
        call()


def test_cli_growth_json(capsys):
    code, out, _ = run_cli(capsys, "scaling", "growth", "--quantity", "compute", "--since", "2010", "--json")
    d = json.loads(out)
    assert code == 0 and d["n"] > 300
    lo, hi = d["factor_per_year_ci90"]
    assert lo < d["factor_per_year"] < hi and d["doubling_months"] > 0


def test_cli_unknown_domain_is_one_line(capsys):
    code, _, err = run_cli(capsys, "scaling", "growth", "--domain", "Cooking")
    assert code == 2 and "domain must be one of" in err and err.count("\n") == 1


# -------------------------------------------------------------- feasibility
def test_kv_law_is_close_to_the_catalog_architectures():
    for mid in ("llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b"):
        m = catalog.model(mid)
        kv = 2 * m.n_layers * m.n_kv_heads * m.head_dim * 2
        assert feasibility.kv_bytes_per_token(m.params) == pytest.approx(kv, rel=0.5)


@pytest.mark.parametrize("hw, precision, model, fits", [
    ("rtx4090-24gb", "fp16", "llama-3.1-8b", True),        # 16 GB of weights in 24 GB
    ("rtx4090-24gb", "w4a16", "llama-3.1-70b", False),     # ~37 GB at 4 bits
    ("h100-sxm5-80gb", "fp16", "llama-3.1-70b", False),    # 141 GB
    ("h100-sxm5-80gb", "w4a16", "llama-3.1-70b", True),
    ("jetson-orin-nano-super-8gb", "w4a16", "llama-3.1-8b", True),
    ("jetson-orin-nano-super-8gb", "fp16", "llama-3.1-8b", False),
])
def test_largest_model_agrees_with_known_deployments(hw, precision, model, fits):
    assert (feasibility.largest_model(hw, precision, 4096) >= catalog.model(model).params) == fits


def test_largest_model_exactly_fills_the_usable_memory():
    acc = catalog.hardware("l4-24gb")
    n = feasibility.largest_model(acc, "w4a16", 8192)
    used = n * 4.156 / 8 + feasibility.kv_bytes_per_token(n) * 8192
    assert used == pytest.approx(0.9 * acc.memory, rel=1e-9)


def test_largest_model_is_vectorized_and_shrinks_with_context():
    n = feasibility.largest_model("jetson-agx-orin-64gb", "w4a16", np.array([0, 4096, 131072]))
    assert n.shape == (3,) and np.all(np.diff(n) < 0)
    assert np.isnan(feasibility.largest_model("snapdragon-8-gen-3", "fp16", 4096, batch=1,
                                              memory_fraction=1e-6))


def test_horizon_is_where_the_frontier_trend_passes_the_device():
    h = feasibility.horizon("h100-sxm5-80gb", "w4a16")
    trend = feasibility.frontier_trend()
    assert trend.predict(h.horizon_year) == pytest.approx(h.largest_params, rel=1e-9)
    lo, hi = h.horizon_year_ci90
    assert lo < h.horizon_year < hi
    assert h.loss_gap > 0 and h.size_ratio > 1


def test_feasibility_table_covers_the_device_classes():
    t = feasibility.feasibility_table(precisions=("w4a16",))
    assert set(t["device_class"]) >= {"phone_soc", "edge_soc", "edge_server_gpu", "consumer_gpu",
                                      "desktop_soc", "datacenter_gpu"}
    # more memory, later horizon
    t = t.sort_values("largest_params")
    assert t["horizon_year"].is_monotonic_increasing


def test_cli_horizon_for_jetson_agx_orin(capsys):
    code, out, _ = run_cli(capsys, "scaling", "horizon", "--hardware", "jetson-agx-orin-64gb",
                       "--precision", "w4a16", "--json")
    d = json.loads(out)
    assert code == 0 and 70e9 < d["largest_params"] < 130e9    # 64 GB at ~4.2 bits per weight
    lo, hi = d["horizon_year_ci90"]
    assert lo < d["horizon_year"] < hi


@pytest.mark.parametrize("argv, text", [
    (["--hardware", "jetson-xx"], "unknown hardware"),
    (["--hardware", "l4-24gb", "--precision", "int3"], "unknown precision"),
    (["--hardware", "l4-24gb", "--memory-fraction", "0"],
     "--memory-fraction: '0' is out of range; allowed: a number in (0, 1]"),
])
def test_cli_horizon_errors(capsys, argv, text):
    code, _, err = run_cli(capsys, "scaling", "horizon", *argv)
    assert code == 2 and text in err and err.count("\n") == 1


def test_open_weights_frontier_is_smaller_and_passes_devices_later():
    data = growth.trend_data("parameters", domain="Language", since=2018, top_per_year=5,
                             open_weights=True)
    assert data["accessibility"].str.startswith("Open weights").all()
    everything = feasibility.horizon("jetson-agx-orin-64gb", "w4a16")
    open_ = feasibility.horizon("jetson-agx-orin-64gb", "w4a16", open_weights=True)
    assert open_.largest_params == everything.largest_params
    assert open_.frontier_params < everything.frontier_params
    assert open_.horizon_year > everything.horizon_year
