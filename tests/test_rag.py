"""Retrieval-augmented requests: the context added at the site, the retrieval step, the index's age."""
import math

import pytest

import genai_edge as ge
from genai_edge import retrieval

RAG = {"workload.retrieved_tokens": 1280}


def _evaluate(name="chatbot", **overrides):
    return ge.evaluate(ge.load_scenario(name).replace(**overrides))


def test_no_retrieval_no_staleness_and_no_retrieval_time():
    for r in _evaluate().values():
        assert math.isnan(r.index_staleness_s) and r.breakdown["retrieval"] == 0.0


def test_retrieved_context_is_prefilled_at_the_site_not_uploaded():
    base = ge.load_scenario("chatbot")
    rag = _evaluate(**RAG)
    longer = _evaluate(**{"workload.prompt_tokens": base.workload.prompt_tokens + 1280})
    plain = _evaluate()
    for p in ("cloud", "mec", "on_device"):
        assert rag[p].breakdown["prefill"] == pytest.approx(longer[p].breakdown["prefill"], rel=1e-12)
        assert rag[p].breakdown["access"] == pytest.approx(plain[p].breakdown["access"], rel=1e-12)
        assert rag[p].bytes_off_device == plain[p].bytes_off_device


def test_staleness_is_half_the_answering_sites_refresh_interval():
    scn = ge.load_scenario("rag_news_assistant")
    r = ge.evaluate(scn)
    assert r["cloud"].index_staleness_s == pytest.approx(scn.cloud.index_refresh_h * 3600 / 2, rel=1e-12)
    assert r["mec"].index_staleness_s == pytest.approx(scn.mec.index_refresh_h * 3600 / 2, rel=1e-12)
    assert r["on_device"].index_staleness_s == pytest.approx(scn.device.index_refresh_h * 3600 / 2, rel=1e-12)
    p = scn.edge_cloud.edge_fraction      # routing: the share each side answers
    expected = p * r["mec"].index_staleness_s + (1 - p) * r["cloud"].index_staleness_s
    assert r["edge_cloud"].index_staleness_s == pytest.approx(expected, rel=1e-12)


def test_speculative_answers_from_the_cloud_index():
    r = _evaluate("rag_news_assistant", **{"edge_cloud.strategy": "speculative"})
    assert r["edge_cloud"].index_staleness_s == pytest.approx(r["cloud"].index_staleness_s, rel=1e-12)


def test_sweep_matches_evaluate_with_retrieval():
    table = ge.sweep("rag_news_assistant", {"mec.index_refresh_h": [0.5, 6.0], "workload.retrieved_tokens": [0, 512]},
                     metrics=["index_staleness_s", "ttft_s"], progress=False)
    for _, row in table.iterrows():
        one = _evaluate("rag_news_assistant", **{"mec.index_refresh_h": row["mec.index_refresh_h"],
                                                 "workload.retrieved_tokens": int(row["workload.retrieved_tokens"])})
        want = one[row.paradigm]
        assert row.ttft_s == pytest.approx(want.ttft_s, rel=1e-9)
        if math.isnan(want.index_staleness_s):
            assert math.isnan(row.index_staleness_s)
        else:
            assert row.index_staleness_s == pytest.approx(want.index_staleness_s, rel=1e-12)


def test_retrieval_step_costs_time_and_energy_at_the_site():
    rag, plain = _evaluate("rag_news_assistant"), _evaluate()
    for p in ("cloud", "mec", "on_device"):
        assert rag[p].breakdown["retrieval"] > 0
    # a phone streams the index from slower memory (catalog: Snapdragon 8 Gen 3 76.8 GB/s, H100 SXM 3.35 TB/s)
    assert rag["on_device"].breakdown["retrieval"] > 10 * rag["cloud"].breakdown["retrieval"]
    bigger = _evaluate("rag_news_assistant", **{"workload.index_vectors": 1e8})
    assert bigger["mec"].breakdown["retrieval"] > rag["mec"].breakdown["retrieval"]
    assert rag["mec"].energy_edge_it_j > plain["mec"].energy_edge_it_j


def test_each_sites_retrieval_is_costed_once_per_evaluation(monkeypatch):
    # every paradigm, path and outage state through a site reads the same retrieval cost:
    # one computation per site (each site has one hardware id here)
    calls = []
    real = retrieval.retrieval_time
    monkeypatch.setattr(retrieval, "retrieval_time", lambda *a, **k: calls.append(a[4]) or real(*a, **k))
    scn = ge.load_scenario("rag_news_assistant")
    ge.evaluate(scn)
    assert sorted(calls) == sorted([scn.cloud.hardware, scn.mec.hardware, scn.device.hardware])
