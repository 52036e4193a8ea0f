"""ge.sweep: the array-first evaluation agrees with evaluate() point by point, flags, blocks, dask."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import genai_edge as ge
from genai_edge import metrics, paradigms, scenario
from genai_edge.sweep import Uncertain, sweep

MODELS = ["llama-3.1-8b", "qwen2.5-7b", "mistral-7b", "llama-2-7b", "llama-3.1-70b"]
HARDWARE = ["l4-24gb", "h100-sxm5-80gb", "a100-sxm4-80gb", "l40s-48gb"]


def _random_axes(n, rng):
    return {
        "network.cloud_distance_km": rng.uniform(0, 6000, n),
        "network.mec_distance_km": rng.uniform(1, 100, n),
        "workload.users": rng.uniform(1000, 20000, n).round(),
        "workload.output_tokens": rng.integers(20, 600, n),
        "workload.output_tokens_cv": rng.uniform(0, 1.6, n),
        "mec.batch": rng.integers(1, 12, n),
        "mec.sites": rng.integers(1, 5, n),          # small merges keep the overflow MAP solves quick
        "cloud.replicas": rng.integers(1, 9, n),
        "edge_cloud.edge_fraction": rng.uniform(0, 1, n),
        "mec.model": rng.choice(["llama-3.1-8b", "qwen2.5-7b", "gemma-2b"], n),
        "cloud.hardware": rng.choice(["h100-sxm5-80gb", "h200-sxm-141gb", "a100-sxm4-80gb"], n),
        "network.access": rng.choice(["5g", "lte", "wifi"], n),
        "edge_cloud.strategy": rng.choice(["routing", "overflow", "speculative"], n),
    }


@pytest.mark.slow
def test_sweep_matches_evaluate_on_400_random_points():
    """The same numbers whether a point is evaluated alone or inside a zipped sweep (1e-9 relative)."""
    base = scenario.load("chatbot")
    rng = np.random.default_rng(20261201)
    n = 400   # two blocks of up to 300 points
    axes = _random_axes(n, rng)
    table = sweep(base, axes, mode="zip", block_points=300)
    assert len(table) == 4 * n
    names = metrics.names()
    worst = 0.0
    for i in range(n):
        point = {k: (v[i].item() if hasattr(v[i], "item") else v[i]) for k, v in axes.items()}
        results = paradigms.evaluate(base.replace(**point), check_memory=False)
        rows = table.iloc[4 * i:4 * i + 4]
        assert list(rows.paradigm) == list(paradigms.PARADIGMS)
        for k, v in point.items():
            got = rows[k].iloc[0]
            assert got == v if isinstance(v, str) else math.isclose(got, v, rel_tol=1e-12)
        for (_, row), p in zip(rows.iterrows(), paradigms.PARADIGMS):
            for m in names:
                a, b = row[m], results[p].metrics[m]
                if math.isnan(b) or math.isinf(b):
                    assert (math.isnan(a) and math.isnan(b)) or a == b, (i, p, m, a, b)
                    continue
                err = abs(a - b) / max(abs(b), 1e-300)
                worst = max(worst, err)
                assert err <= 1e-9, (i, p, m, a, b)
            assert row.stable == all(s.stable for s in results[p].sites)
            assert row.fits_in_memory == all(s.fits_in_memory for s in results[p].sites)
    assert worst <= 1e-9


def test_grid_over_model_hardware_distance_users_flags_unfit_and_unstable_points():
    axes = {"cloud.model": MODELS, "cloud.hardware": HARDWARE,
            "network.cloud_distance_km": [100, 2000, 5000], "workload.users": [2000, 20000, 80000]}
    table = sweep("chatbot", axes)
    assert len(table) == 5 * 4 * 3 * 3 * 4
    assert set(table.columns) >= {*axes, "paradigm", "stable", "fits_in_memory", *metrics.names()}
    cloud = table[table.paradigm == "cloud"]
    # a 70B model in fp8 on one 24 GB L4 pair does not fit: flagged, not dropped
    unfit = cloud[(cloud["cloud.model"] == "llama-3.1-70b") & (cloud["cloud.hardware"] == "l4-24gb")]
    assert len(unfit) == 9 and not unfit.fits_in_memory.any()
    # 20,000 and 80,000 users saturate the cloud replicas for the slow configurations: inf latency, flagged
    over = cloud[~cloud.stable]
    assert len(over) > 0 and np.isinf(over.ttft_p99_s).all()
    assert (over["workload.users"] >= 20000).sum() > (over["workload.users"] == 2000).sum()
    fast = cloud[(cloud["cloud.model"] == "llama-3.1-8b") & (cloud["cloud.hardware"] == "h100-sxm5-80gb")]
    assert fast[fast["workload.users"] <= 20000].stable.all()
    assert cloud[cloud.stable].ttft_s.notna().all()
    # grid points agree with evaluate() too (each quantity broadcast from the axes it depends on)
    base = scenario.load("chatbot")
    for i in (0, 57, 131, 179):
        row = cloud.iloc[i]
        point = {k: (row[k] if isinstance(row[k], str) else float(row[k])) for k in axes}
        alone = paradigms.evaluate(base.replace(**point), check_memory=False)
        for p in paradigms.PARADIGMS:
            got = table[(table.paradigm == p) & np.logical_and.reduce([table[k] == v for k, v in point.items()])]
            for m in ("goodput_users", "e2e_p99_s", "latency_slo_attainment"):
                a, b = got[m].item(), alone[p].metrics[m]
                assert a == b or math.isclose(a, b, rel_tol=1e-9), (point, p, m, a, b)
    # the cloud TTFT grows with distance by the extra round trip, other paradigms do not move
    mec = table[(table.paradigm == "mec")]
    assert mec.groupby(["cloud.model", "cloud.hardware", "workload.users"]).ttft_s.nunique().max() == 1


def test_blocks_and_backends_give_identical_numbers(tmp_path):
    axes = {"network.cloud_distance_km": np.linspace(0, 4000, 7), "workload.users": [3000, 9000, 15000],
            "cloud.model": ["llama-3.1-70b", "llama-3.1-8b"]}
    whole = sweep("chatbot", axes)
    parts = sweep("chatbot", axes, block_points=5)
    pd.testing.assert_frame_equal(whole, parts)
    folder = sweep("chatbot", axes, backend="dask", out=tmp_path / "grid", block_points=10, n_workers=1,
                   progress=False)
    back = pd.read_parquet(folder)
    assert len(list(folder.glob("part-*.parquet"))) > 1
    cols = [c for c in whole.columns if whole[c].dtype.kind == "f"]
    np.testing.assert_array_equal(back[cols].to_numpy(), whole[cols].to_numpy())


def test_uncertain_compute_scale_gives_ordered_bands():
    table = sweep("chatbot", {"network.cloud_distance_km": [500, 3000],
                              "cloud.compute_scale": Uncertain("lognormal", 1.0, 0.15)},
                  samples=64, percentiles=(5, 50, 95))
    assert set(table.percentile) == {5.0, 50.0, 95.0}
    cloud = table[table.paradigm == "cloud"].pivot_table(index="network.cloud_distance_km",
                                                         columns="percentile", values="e2e_s")
    assert (cloud[5.0] < cloud[50.0]).all() and (cloud[50.0] < cloud[95.0]).all()


@pytest.mark.parametrize("axes, fragment", [
    ({"network.cloud_distnce_km": [1]}, "did you mean"),
    ({"network.cloud_distance_km": [-5]}, "out of range"),
    ({"cloud.model": ["llama-9"]}, "llama"),
    ({"workload.kind": ["llm"]}, "cannot be swept"),
    ({"mec.batch": [1.5]}, "whole numbers"),
])
def test_bad_axes_name_the_key_and_what_is_allowed(axes, fragment):
    with pytest.raises(ValueError, match=f"(?i){fragment}"):
        sweep("chatbot", axes)


def test_a_registered_metric_appears_in_compare_sweep_cli_and_index(capsys, tmp_path):
    from genai_edge import cli, report
    m = metrics.register(metrics.Metric("ttft_plus_one_s", "TTFT + 1 s", "s", "latency", "lower",
                                        lambda p, c: p.mean("access") + p.mean("transport") + p.mean("queue")
                                        + p.mean("prefill") + 1.0, "ms", 1e3, headline=True))
    try:
        df = ge.compare("chatbot")
        row = df[(df.paradigm == "cloud") & (df.metric == "ttft_plus_one_s")].value.item()
        assert row == pytest.approx(df[(df.paradigm == "cloud") & (df.metric == "ttft_s")].value.item() + 1)
        assert "ttft_plus_one_s" in sweep("chatbot", {"workload.users": [5000]}).columns
        assert cli.main(["compare", "--scenario", "chatbot"]) == 0
        assert "TTFT + 1 s [ms]" in capsys.readouterr().out
        assert cli.main(["compare", "--scenario", "chatbot", "--json"]) == 0
        assert '"ttft_plus_one_s"' in capsys.readouterr().out
        col = report._Column("chatbot", "chatbot", report._tidy_rows(df))
        assert "TTFT + 1 s [ms]" in report.build_index(tmp_path, [col], [])
    finally:
        metrics.unregister(m.name)
    assert "ttft_plus_one_s" not in metrics.names()
