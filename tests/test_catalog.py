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
        assert r["unit"] in ("s", "it/s"), r["case_id"]
