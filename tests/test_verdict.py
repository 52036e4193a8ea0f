"""The comparison's answer in words, and its crossover points, against brute force on evaluate()."""
from __future__ import annotations

import html
import re
from pathlib import Path

import numpy as np
import pytest

from genai_edge import paradigms, report, scenario, verdict

ROOT = Path(__file__).resolve().parents[1]


def _brute_force_crossover(scn, lo=0.0, hi=20000.0, step=500.0):
    """Cloud distance where mean TTFT of cloud and MEC are equal: a scan, then bisection, on evaluate()."""
    def diff(d):
        r = paradigms.evaluate(scn.replace(**{"network.cloud_distance_km": float(d)}))
        return r["cloud"].ttft_s - r["mec"].ttft_s
    grid = np.arange(lo, hi + step, step)
    values = [diff(d) for d in grid]
    i = next(k for k in range(len(grid) - 1) if np.sign(values[k]) != np.sign(values[k + 1]))
    a, b, fa = grid[i], grid[i + 1], values[i]
    for _ in range(30):
        m = 0.5 * (a + b)
        fm = diff(m)
        a, b, fa = (m, b, fm) if np.sign(fm) == np.sign(fa) else (a, m, fa)
    return 0.5 * (a + b)


@pytest.mark.slow
def test_cloud_mec_ttft_crossover_matches_brute_force_on_evaluate():
    scn = scenario.load("chatbot")
    expected = _brute_force_crossover(scn)
    (got,) = verdict.crossover(scn, "network.cloud_distance_km", "cloud", "mec", "ttft_s", 0.0, 20000.0)
    assert got == pytest.approx(expected, rel=0.005)
    assert f"{got:,.0f} km" in verdict.verdict(scn)


def test_ranking_ties_within_one_percent_and_margins():
    scn = scenario.load("chatbot")
    results = paradigms.evaluate(scn)
    winners, runner, margin = verdict.ranking(results, "e2e_s")
    e2e = {p: r.e2e_s for p, r in results.items()}
    assert winners == [min(e2e, key=e2e.get)]
    second = sorted(e2e.values())[1]
    assert margin == pytest.approx(second / min(e2e.values()) - 1.0)
    # without MEC, the chatbot's cloud and edge-cloud TTFT p99 are the cloud branch's fixed delay: a tie
    tie, _, _ = verdict.ranking({p: r for p, r in results.items() if p != "mec"}, "ttft_p99_s")
    assert set(tie) >= {"cloud", "edge_cloud"}


@pytest.mark.slow
def test_chatbot_report_opens_with_the_answer(tmp_path):
    comparison = ROOT / "genai_edge" / "notebooks" / "comparison.ipynb"
    summary = report.run_reports(["chatbot"], tmp_path, notebooks=[comparison],
                                 jobs=1, echo=lambda *a, **k: None)
    assert summary.exit_code == 0
    page = (tmp_path / "chatbot" / "comparison.html").read_text(encoding="utf-8")
    first = html.unescape(re.sub(r"<[^>]+>", "", re.search(r"<p>(.*?)</p>", page, re.S).group(1)))
    scn = scenario.load("chatbot")
    (d,) = verdict.crossover(scn, "network.cloud_distance_km", "cloud", "mec", "ttft_s", 0.0, 20000.0)
    results = paradigms.evaluate(scn)
    for metric, label in (("ttft_s", "TTFT"), ("e2e_s", "E2E")):
        winners, _, _ = verdict.ranking(results, metric)
        verb = "tie for the best" if len(winners) > 1 else "has the best"
        assert f"{verb} {label}" in first
    assert re.search(r"\d+% below the next best", first)
    assert f"{d:,.0f} km" in first
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "SLO attainment [%]" in index and "Goodput [users]" in index


@pytest.mark.parametrize("name, item", [("video_generation", "clip"), ("text_to_image", "image")])
def test_media_verdict_says_what_ttft_means(name, item):
    text = verdict.verdict(name)
    assert text.startswith(f"A request here returns one {item}: its TTFT is the time until the {item} is generated")
    assert "returns one" not in verdict.verdict("chatbot")
