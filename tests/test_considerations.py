"""Answer quality (pre-training loss of the answering model) and the user data each paradigm sends off the device."""
import json
import math

import numpy as np
import pytest
from contract import run_cli

from genai_edge import catalog, considerations, metrics, network, paradigms, scaling, scenario
from genai_edge.arrays import ScenarioArrays
from genai_edge.scenario import ScenarioError
from genai_edge.sweep import sweep

OURS = ("quality_loss_nats", "bytes_off_device", "bytes_to_cloud")

# Besiroglu et al. 2024 (arXiv:2404.10102), refit of Chinchilla Approach 3: L = E + A/N^alpha + B/D^beta
E, A, B, ALPHA, BETA = 1.8172, 482.01, 2085.43, 0.3478, 0.3658


def _chinchilla(n, d):
    return E + A / n ** ALPHA + B / d ** BETA


def _uplink(scn):
    """Uplink bytes of one request from the scenario: prompt x bytes per token + payload + request overhead."""
    w = scn.workload
    return w.prompt_tokens * network.DEFAULT_BYTES_PER_TOKEN + w.payload_bytes + network.DEFAULT_REQUEST_OVERHEAD_BYTES


def _values(scn):
    """paradigm -> our three metrics, through the registry (the path evaluate and sweep take)."""
    ctx = paradigms.Context(ScenarioArrays(scn))
    values = metrics.compute_all(ctx, paradigms.paradigm_paths(ctx), selected=OURS)
    return {p: {m: float(v) for m, v in values[p].items()} for p in values}


@pytest.fixture(scope="module")
def chatbot():
    return scenario.load("chatbot")


@pytest.fixture(scope="module")
def chatbot_values(chatbot):
    return _values(chatbot)


def test_compare_json_reports_the_three_metrics_for_every_paradigm(capsys):
    code, out, _ = run_cli(capsys, "compare", "--scenario", "chatbot", "--json")
    data = json.loads(out)
    assert code == 0
    for m in OURS:
        assert data["metrics"][m]["family"] == "considerations" and data["metrics"][m]["direction"] == "lower"
        assert not metrics.get(m).headline
    for p in paradigms.PARADIGMS:
        for m in OURS:
            assert isinstance(data["paradigms"][p][m], float) and math.isfinite(data["paradigms"][p][m]), (p, m)


def test_bytes_follow_where_each_paradigm_sends_the_request(chatbot, chatbot_values):
    up = _uplink(chatbot)
    assert up == 500 * 4 + 1000                     # chatbot: 500 prompt tokens, text only
    v = chatbot_values
    assert v["cloud"]["bytes_to_cloud"] == pytest.approx(up, rel=1e-12)
    assert v["cloud"]["bytes_off_device"] == pytest.approx(up, rel=1e-12)
    assert v["mec"]["bytes_to_cloud"] == 0.0
    assert v["mec"]["bytes_off_device"] == pytest.approx(up, rel=1e-12)
    assert v["on_device"]["bytes_off_device"] == 0.0 and v["on_device"]["bytes_to_cloud"] == 0.0
    p = chatbot.edge_cloud.edge_fraction            # routing: a share p stays at the MEC site
    assert chatbot.edge_cloud.strategy == "routing"
    assert v["edge_cloud"]["bytes_to_cloud"] == pytest.approx((1 - p) * up, rel=1e-12)
    assert v["edge_cloud"]["bytes_off_device"] == pytest.approx(up, rel=1e-12)


def test_payload_counts_in_the_uplink(chatbot):
    scn = chatbot.replace(**{"workload.payload_bytes": 250_000.0, "workload.prompt_tokens": 120})
    v = _values(scn)
    assert v["cloud"]["bytes_to_cloud"] == pytest.approx(120 * 4 + 250_000 + 1000, rel=1e-12)


def test_speculative_sends_the_prompt_and_every_draft_to_the_cloud(chatbot):
    scn = chatbot.replace(**{"edge_cloud.strategy": "speculative"})
    v = _values(scn)["edge_cloud"]
    k, alpha = scn.edge_cloud.draft_tokens, scn.edge_cloud.acceptance_rate
    tau = (1 - alpha ** (k + 1)) / (1 - alpha)       # Leviathan et al. 2023, Eq. (1)
    verifications = (scn.workload.output_tokens - 1) / tau
    drafts = verifications * k * network.DEFAULT_BYTES_PER_TOKEN
    assert v["bytes_to_cloud"] == pytest.approx(_uplink(scn) + drafts, rel=1e-9)
    assert v["bytes_off_device"] == pytest.approx(_uplink(scn), rel=1e-12)
    # lossless: the cloud target's answer quality
    cloud = catalog.model(scn.cloud.model)
    assert v["quality_loss_nats"] == pytest.approx(_chinchilla(cloud.params, cloud.training_tokens), rel=1e-12)


def test_overflow_sends_the_blocked_share_to_the_cloud(chatbot):
    scn = chatbot.replace(**{"edge_cloud.strategy": "overflow", "workload.users": 30000})
    res = paradigms.evaluate(scn)["edge_cloud"]
    cloud_site = next(s for s in res.sites if s.site == "cloud")
    # requests reaching the cloud: its arrival rate over all sites / all requests
    blocked = cloud_site.arrival_rate * scn.cloud.sites / (scn.workload.users * scn.workload.rate_per_user_per_h / 3600)
    assert 0.0 < blocked < 1.0
    assert res.bytes_to_cloud == pytest.approx(blocked * _uplink(scn), rel=1e-9)
    lm = _chinchilla(catalog.model(scn.mec.model).params, catalog.model(scn.mec.model).training_tokens)
    lc = _chinchilla(catalog.model(scn.cloud.model).params, catalog.model(scn.cloud.model).training_tokens)
    assert res.quality_loss_nats == pytest.approx(blocked * lc + (1 - blocked) * lm, rel=1e-9)


def test_sensitive_share_scales_the_bytes_linearly(chatbot, chatbot_values):
    scaled = _values(chatbot.replace(**{"workload.sensitive_share": 0.25}))
    for p in paradigms.PARADIGMS:
        for m in ("bytes_off_device", "bytes_to_cloud"):
            assert scaled[p][m] == pytest.approx(0.25 * chatbot_values[p][m], rel=1e-12, abs=0.0), (p, m)
        assert scaled[p]["quality_loss_nats"] == chatbot_values[p]["quality_loss_nats"]
    none = _values(chatbot.replace(**{"workload.sensitive_share": 0.0}))
    assert all(none[p][m] == 0.0 for p in paradigms.PARADIGMS for m in ("bytes_off_device", "bytes_to_cloud"))


def test_sensitive_share_is_a_documented_bounded_key(chatbot):
    row = next(r for r in scenario.describe_fields() if r["key"] == "workload.sensitive_share")
    assert row["default"] == 1.0 and row["low"] == 0 and row["high"] == 1 and row["unit"] == "-"
    assert row["source"].startswith("ASSUMPTION")
    for bad in (-0.1, 1.5):
        with pytest.raises(ScenarioError, match="sensitive_share"):
            chatbot.replace(**{"workload.sensitive_share": bad})


def test_quality_is_the_chinchilla_loss_of_the_answering_model(chatbot, chatbot_values):
    assert scaling.DEFAULT_FIT == "besiroglu2024"
    # published sizes and tokens: Llama 3.1 70B (70.55B, 15T+), Llama 3.1 8B (8.03B, 15T+), Gemma 2B (2.51B, 3T)
    l70, l8, g2 = _chinchilla(70.55e9, 15e12), _chinchilla(8.03e9, 15e12), _chinchilla(2.51e9, 3e12)
    v = chatbot_values
    assert (chatbot.cloud.model, chatbot.mec.model, chatbot.device.model) == ("llama-3.1-70b", "llama-3.1-8b",
                                                                               "gemma-2b")
    assert v["cloud"]["quality_loss_nats"] == pytest.approx(l70, rel=1e-12)
    assert v["mec"]["quality_loss_nats"] == pytest.approx(l8, rel=1e-12)
    assert v["on_device"]["quality_loss_nats"] == pytest.approx(g2, rel=1e-12)
    p = chatbot.edge_cloud.edge_fraction
    mixed = p * scaling.loss(8.03e9, 15e12) + (1 - p) * scaling.loss(70.55e9, 15e12)
    assert v["edge_cloud"]["quality_loss_nats"] == pytest.approx(mixed, rel=1e-12)
    # the bigger model trained on more tokens answers better
    assert v["cloud"]["quality_loss_nats"] < v["mec"]["quality_loss_nats"] < v["on_device"]["quality_loss_nats"]
    assert considerations.model_loss("llama-65b") < considerations.model_loss("llama-7b")


def test_published_training_tokens_and_their_sources():
    published = {"llama-7b": 1.0e12, "llama-13b": 1.0e12, "llama-65b": 1.4e12,      # Touvron et al. 2023, Table 2
                 "llama-2-7b": 2.0e12, "llama-2-70b": 2.0e12,                       # Llama 2 paper, Table 1
                 "phi-3-mini": 3.3e12, "qwen2.5-7b": 18e12, "deepseek-v3": 14.8e12}  # their papers' abstracts
    for model_id, tokens in published.items():
        assert catalog.model(model_id).training_tokens == tokens, model_id
    for row in catalog.read_csv("models.csv"):
        assert "training tokens:" in row["source"], row["id"]
    assert math.isnan(catalog.model("mistral-7b").training_tokens)       # Mistral publishes none
    assert math.isnan(considerations.model_loss("mistral-7b"))


def test_quality_is_undefined_without_published_tokens_or_for_diffusion(chatbot):
    v = _values(chatbot.replace(**{"mec.model": "mistral-7b"}))
    assert math.isnan(v["mec"]["quality_loss_nats"]) and math.isnan(v["edge_cloud"]["quality_loss_nats"])
    assert math.isfinite(v["cloud"]["quality_loss_nats"])
    # with all requests in the cloud the MEC model's missing tokens do not matter
    allcloud = _values(chatbot.replace(**{"mec.model": "mistral-7b", "edge_cloud.edge_fraction": 0.0}))
    assert allcloud["edge_cloud"]["quality_loss_nats"] == pytest.approx(v["cloud"]["quality_loss_nats"], rel=1e-12)
    image = scenario.load("text_to_image")
    d = _values(image)
    for p in paradigms.PARADIGMS:
        assert math.isnan(d[p]["quality_loss_nats"])
    assert d["cloud"]["bytes_to_cloud"] == pytest.approx(_uplink(image), rel=1e-12)
    assert d["on_device"]["bytes_off_device"] == 0.0


def test_mixed_strategies_in_a_sweep_equal_each_strategy_alone(chatbot):
    strategies = ["routing", "overflow", "speculative"]
    table = sweep(chatbot, {"edge_cloud.strategy": strategies, "workload.sensitive_share": [0.5, 1.0]},
                  metrics=list(OURS))
    for s in strategies:
        for share in (0.5, 1.0):
            alone = _values(chatbot.replace(**{"edge_cloud.strategy": s, "workload.sensitive_share": share}))
            rows = table[(table["edge_cloud.strategy"] == s) & (table["workload.sensitive_share"] == share)]
            assert list(rows.paradigm) == list(paradigms.PARADIGMS)
            for _, row in rows.iterrows():
                for m in OURS:
                    assert row[m] == pytest.approx(alone[row.paradigm][m], rel=1e-9, abs=1e-12), (s, share, m)
    ec = table[table.paradigm == "edge_cloud"].set_index(["edge_cloud.strategy", "workload.sensitive_share"])
    assert np.isclose(ec.loc[("routing", 1.0), "bytes_to_cloud"], 0.4 * _uplink(chatbot))
