"""Personal adapters: fine-tuning where each paradigm runs its model, amortised over the user's requests."""
import math

import numpy as np
import pytest

import genai_edge as ge
from genai_edge import catalog, finetune

WEEKLY = {"workload.adapter_refresh_days": 7}


def _results(**overrides):
    return ge.evaluate(ge.load_scenario("chatbot").replace(**{**WEEKLY, **overrides}))


def test_no_personalization_costs_nothing():
    for r in ge.evaluate(ge.load_scenario("chatbot")).values():
        assert r.personalization_j_per_request == 0.0 and math.isnan(r.adapter_refresh_s)


def test_cloud_adapter_energy_by_hand():
    scn = ge.load_scenario("chatbot")
    cloud = scn.cloud
    hw = catalog.hardware(cloud.hardware)
    n = catalog.model(cloud.model).params
    # LoRA: forward 2N + activation gradients 2N per token (frozen weights need no weight gradients)
    flops = 4.0 * n * scn.workload.adapter_tokens
    peak = hw.peak(catalog.precision(cloud.precision).compute_peak) * cloud.devices
    seconds = flops / (peak * finetune.DEFAULT_MFU)
    joules = seconds * cloud.devices * hw.power_max * (1 + 25 / 58) * cloud.pue   # host share, then PUE
    requests = scn.workload.rate_per_user_per_h * 24 * 7
    r = _results()["cloud"]
    assert r.adapter_refresh_s == pytest.approx(seconds, rel=1e-12)
    assert r.personalization_j_per_request == pytest.approx(joules / requests, rel=1e-12)


def test_full_fine_tuning_costs_half_again_as_much_as_lora():
    lora, full = _results()["mec"], _results(**{"workload.adapter_method": "full"})["mec"]
    assert full.personalization_j_per_request == pytest.approx(1.5 * lora.personalization_j_per_request, rel=1e-12)


def test_cost_falls_with_the_refresh_interval_and_grows_with_the_data():
    week, month = _results()["on_device"], _results(**{"workload.adapter_refresh_days": 28})["on_device"]
    assert month.personalization_j_per_request == pytest.approx(week.personalization_j_per_request / 4, rel=1e-12)
    more = _results(**{"workload.adapter_tokens": 200_000})["on_device"]
    assert more.adapter_refresh_s == pytest.approx(2 * week.adapter_refresh_s, rel=1e-12)


def test_edge_cloud_routing_refreshes_both_sides():
    r = _results(**{"edge_cloud.strategy": "routing"})
    assert r["edge_cloud"].personalization_j_per_request == pytest.approx(
        r["mec"].personalization_j_per_request + r["cloud"].personalization_j_per_request, rel=1e-12)
    assert r["edge_cloud"].adapter_refresh_s == max(r["mec"].adapter_refresh_s, r["cloud"].adapter_refresh_s)


def test_a_sweep_gives_the_evaluate_values():
    table = ge.sweep("chatbot", {"workload.adapter_refresh_days": [7, 30], "cloud.model": ["llama-3.1-8b",
                                                                                           "llama-3.1-70b"]},
                     metrics=["personalization_j_per_request", "adapter_refresh_s"], progress=False)
    for _, row in table[table.paradigm == "cloud"].iterrows():
        one = ge.evaluate(ge.load_scenario("chatbot").replace(**{
            "workload.adapter_refresh_days": row["workload.adapter_refresh_days"],
            "cloud.model": row["cloud.model"]}))["cloud"]
        assert row.personalization_j_per_request == pytest.approx(one.personalization_j_per_request, rel=1e-12)
        assert np.isclose(row.adapter_refresh_s, one.adapter_refresh_s, rtol=1e-12)


def test_media_workloads_have_no_adapter_cost_defined():
    r = ge.evaluate(ge.load_scenario("text_to_image").replace(**WEEKLY))["cloud"]
    assert math.isnan(r.personalization_j_per_request) or r.personalization_j_per_request == 0.0


def test_considerations_verdict_names_quality_gap_privacy_and_personalization():
    from genai_edge import verdict
    text = verdict.considerations_verdict("chatbot")
    r = ge.evaluate(ge.load_scenario("chatbot"))
    gap = r["mec"].quality_loss_nats - r["cloud"].quality_loss_nats
    faster_ms = 1e3 * (r["cloud"].ttft_s - r["mec"].ttft_s)
    assert f"MEC is {faster_ms:,.0f} ms faster to the first token for {gap:.3f} nat/token more loss" in text
    assert "On-device 0.0 kB off the device, 0.0 kB to a cloud region" in text
    assert "Personalization: none in this scenario" in text
    mine = verdict.considerations_verdict("personal_assistant")
    assert "each user's LoRA adapter refreshed every 7 days on 100,000 tokens" in mine
