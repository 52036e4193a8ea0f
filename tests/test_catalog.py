"""Catalog data: coverage of the reference ids, sources on every row, lookups."""
import csv
from pathlib import Path

import pytest

from genai_edge import catalog

REFERENCE = Path(__file__).resolve().parent / "reference"
REQUIRED_MODELS = [
    "llama-7b", "llama-13b", "llama-65b", "llama-2-7b", "llama-2-13b", "llama-2-70b",
    "llama-3-8b", "llama-3-70b", "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b",
    "llama-3.3-70b", "mistral-7b", "mixtral-8x7b", "phi-3-mini", "gemma-2b", "qwen2.5-7b",
    "gpt-13b"]


def _reference_hardware():
    path = REFERENCE / "hardware_specs.csv"
    return list(csv.DictReader(path.open()))


def test_every_reference_hardware_id_is_in_the_catalog_with_same_specs():
    for ref in _reference_hardware():
        hw = catalog.hardware(ref["id"])
        assert hw.memory == pytest.approx(float(ref["memory_gb"]) * 1e9)
        assert hw.memory_bandwidth == pytest.approx(float(ref["memory_bandwidth_gbs"]) * 1e9)
        if ref["dense_bf16_tflops"]:
            assert hw.peak_bf16 == pytest.approx(float(ref["dense_bf16_tflops"]) * 1e12)
        if ref["power_w_max"]:
            assert hw.power_max == pytest.approx(float(ref["power_w_max"]))


@pytest.mark.parametrize("model_id", REQUIRED_MODELS)
def test_required_models_present_and_architecture_matches_published_size(model_id):
    m = catalog.model(model_id)
    # Parameter count from the architecture vs the model card: within 0.5 %
    # (norm weights and biases are not counted).
    assert m.params_from_architecture == pytest.approx(m.params, rel=5e-3)


def test_moe_active_parameters_match_mixtral_paper():
    # Jiang et al. 2024: 46.7B total, 12.9B active per token.
    m = catalog.model("mixtral-8x7b")
    assert m.active_params == pytest.approx(12.9e9, rel=0.01)


def test_alias_resolves_and_is_documented():
    assert catalog.model("llama-70b").id == "llama-2-70b"
    row = next(r for r in catalog.read_csv("models.csv") if r["id"] == "llama-2-70b")
    assert "llama-70b" in row["source"]


@pytest.mark.parametrize("name", ["hardware.csv", "models.csv", "precisions.csv", "runtimes.csv",
                                  "validation.csv", "calibration.csv"])
def test_every_row_has_a_source(name):
    for row in catalog.read_csv(name):
        assert row["source"].strip(), f"{name}: row {row} has no source"


def test_precision_bits_per_weight():
    bits = {p: catalog.precision(p).bits_per_weight for p in catalog.precision_ids()}
    assert bits["fp32"] == 32 and bits["fp16"] == bits["bf16"] == 16
    assert bits["fp8"] == bits["int8"] == 8
    assert bits["q4_0"] == 4.5            # 32 x 4 bit + fp16 scale per block
    assert bits["q4_k_m"] == pytest.approx(4.85)
    assert 4.0 < bits["w4a16"] < 4.3


def test_precision_falls_back_to_bf16_peak_without_fp8_units():
    a100 = catalog.hardware("a100-sxm4-80gb")
    assert a100.peak(catalog.precision("fp8").compute_peak) == a100.peak_bf16
    h100 = catalog.hardware("h100-sxm5-80gb")
    assert h100.peak(catalog.precision("fp8").compute_peak) == pytest.approx(1979e12)


@pytest.mark.parametrize("lookup, bad, close", [
    (catalog.model, "llama-2-7", "llama-2-7b"),
    (catalog.hardware, "h100-sxm-80gb", "h100-sxm5-80gb"),
    (catalog.precision, "q4km", "q4_k_m"),
    (catalog.runtime, "llamacpp", "llama.cpp"),
])
def test_unknown_ids_list_close_matches(lookup, bad, close):
    with pytest.raises(KeyError) as err:
        lookup(bad)
    assert close in str(err.value) and "Did you mean" in str(err.value)


def test_image_generation_measurements_cite_their_cell():
    """Published time-per-image rows: each with steps, resolution, a URL and the quoted cell."""
    rows = catalog.read_csv("diffusion_validation.csv")
    assert len(rows) >= 12
    for r in rows:
        assert r["source"].startswith("https://") and r["quote"].strip(), r["case_id"]
        assert int(r["steps"]) >= 1 and int(r["width"]) >= 256 and float(r["measured"]) > 0, r["case_id"]
        assert r["unit"] in ("s", "it/s", "J"), r["case_id"]


# Rows added with their published totals; architectures with shared experts, dense
# layers or MLA are folded into the uniform-layer columns (see each row's source).
NEW_MODELS = [
    "qwen3-8b", "qwen3-14b", "qwen3-32b", "qwen3-30b-a3b", "gemma-3-27b", "gemma-3-12b",
    "gpt-oss-20b", "gpt-oss-120b", "llama-4-scout", "llama-4-maverick", "llama-3.2-1b",
    "llama-3.2-3b", "qwen2.5-0.5b", "qwen2.5-1.5b", "qwen2.5-3b", "gemma-2-9b", "olmoe-1b-7b",
    "deepseek-v3"]


@pytest.mark.parametrize("model_id", NEW_MODELS)
def test_new_models_total_parameters_match_published(model_id):
    m = catalog.model(model_id)
    assert m.params_from_architecture == pytest.approx(m.params, rel=0.015)


@pytest.mark.parametrize("model_id, published, counted", [
    ("qwen3-30b-a3b", 3.3e9, "active_params"),        # Qwen3-30B-A3B model card
    ("olmoe-1b-7b", 1.3e9, "active_params"),          # OLMoE paper
    ("llama-4-scout", 17e9, "active_params"),         # Meta Llama 4 release
    ("llama-4-maverick", 17e9, "active_params"),
    ("deepseek-v3", 37e9, "active_params"),           # DeepSeek-V3 README
    # gpt-oss model card counts the unembedding but not the embedding table.
    ("gpt-oss-20b", 3.61e9, "matmul_params_per_token"),
    ("gpt-oss-120b", 5.13e9, "matmul_params_per_token"),
])
def test_new_moe_active_parameters_match_published(model_id, published, counted):
    assert getattr(catalog.model(model_id), counted) == pytest.approx(published, rel=0.05)


def test_deepseek_v3_kv_cache_matches_mla_latent():
    # MLA caches kv_lora_rank 512 + rope key 64 = 576 values per token per layer.
    m = catalog.model("deepseek-v3")
    assert 2 * m.n_kv_heads * m.head_dim == 576


def test_mxfp4_is_weight_only_at_4_25_bits():
    p = catalog.precision("mxfp4")
    assert p.bits_per_weight == 4 + 8 / 32      # E2M1 elements + one E8M0 scale per 32
    assert p.activation_bits == 16 and p.compute_peak == catalog.precision("w4a16").compute_peak
