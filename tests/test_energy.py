"""Power, energy and carbon: published training footprints, measured GPU energy, boundaries, errors."""
import json

import numpy as np
import pytest
from contract import run_cli

from genai_edge import energy, power, validation


# ---------------------------------------------------------------- training
def test_llama_65b_training_footprint():
    # Touvron et al. 2023 (arXiv:2302.13971) Table 15: LLaMA-65B, 1,022,362 A100-80GB
    # hours at 400 W, PUE 1.1, US average 0.385 kg CO2e/kWh -> 449 MWh, 173 tCO2e.
    j = energy.training_energy_j(1_022_362, 400.0, 1.1)
    assert j / energy.J_PER_KWH / 1e3 == pytest.approx(449, rel=0.02)
    assert energy.co2e_g(j, energy.grid_intensity("us-2022-llama")) / 1e6 == pytest.approx(173, rel=0.02)


def test_llama_2_7b_training_carbon_from_the_model_card(capsys):
    # Llama 2 model card (github.com/meta-llama/llama/blob/main/MODEL_CARD.md): 7B,
    # 184,320 GPU hours, 400 W, 31.22 tCO2eq. PUE 1.1 and 0.385 kg/kWh are the LLaMA
    # paper's (ASSUMPTION: the card does not restate them).
    code, out, _ = run_cli(capsys, "energy", "training", "--hardware", "a100-sxm4-80gb", "--gpu-hours", "184320",
                           "--power-w", "400", "--pue", "1.1", "--grid-kg-per-kwh", "0.385", "--json")
    assert code == 0
    assert json.loads(out)["tco2e"] == pytest.approx(31.22, rel=0.02)


def test_gpt3_training_energy_from_its_flops(capsys):
    # Patterson et al. 2021 (arXiv:2104.10350) Table 4: GPT-3, 3.14e23 FLOP on V100s,
    # 1,287 MWh at PUE 1.1. ASSUMPTIONS: MFU 0.2 (Table 4's 24.6 TFLOP/s per V100 is
    # 19.7 % of the 125 TFLOP/s peak) and the 300 W TDP as the average power.
    code, out, _ = run_cli(capsys, "energy", "training", "--hardware", "v100-sxm2-32gb", "--flops", "3.14e23",
                           "--mfu", "0.2", "--precision", "fp16", "--pue", "1.1", "--json")
    assert code == 0
    assert json.loads(out)["energy_mwh"] == pytest.approx(1287, rel=0.15)


# --------------------------------------------------------------- inference
def test_cross_validated_gpu_energy_per_token_within_20_percent():
    # ML.ENERGY Leaderboard v3 (vLLM, GPU energy per output token), batch 8-512: each
    # model's rows are predicted by a power law fitted on the other models only.
    s = validation.energy_summary()
    assert s["band_rows"] >= 60 and s["models"] >= 4
    assert s["cv_median_abs_error"] <= 0.20


def test_small_batch_power_is_far_above_a_flop_linear_model():
    # ML.ENERGY v3: Llama 3.1 8B on one H100 draws 486 W at 8 sequences (69 % of TDP).
    e = power.inference_energy("llama-3.1-8b", "h100-sxm5-80gb", "bf16", "vllm-v1", 1, 8, 512, 350)
    assert e.decode_power_w == pytest.approx(486, rel=0.2)
    flop_linear = 70 + (700 - 70) * e.estimate.decode_flop_utilization
    assert flop_linear < 0.5 * e.decode_power_w


def test_energy_per_token_falls_with_batch_and_power_stays_within_the_catalog_bounds():
    b = np.array([1, 8, 64, 512])
    e = power.inference_energy("llama-3.1-8b", "h100-sxm5-80gb", "bf16", "vllm-v1", 1, b, 512, 350)
    assert np.all(np.diff(e.energy_per_output_token_j) < 0)
    assert np.all((e.decode_power_w >= 70) & (e.decode_power_w <= 700))


def test_energy_grows_with_output_tokens():
    out = np.array([16, 128, 1024])
    e = power.inference_energy("llama-3.1-8b", "h100-sxm5-80gb", "bf16", "vllm-v1", 1, 16, 512, out)
    assert np.all(np.diff(e.energy_per_request_j) > 0)


def test_boundaries_nest_and_pue_scales_only_the_facility():
    gpu = 10.0
    server = energy.boundary_energy(gpu, "server", "datacenter_gpu")
    facility = energy.boundary_energy(gpu, "facility", "datacenter_gpu", pue=1.2)
    assert gpu < server < facility
    doubled = energy.boundary_energy(gpu, "facility", "datacenter_gpu", pue=1.4)   # PUE - 1 doubled
    assert doubled - server == pytest.approx(2 * (facility - server), rel=1e-12)
    assert energy.boundary_energy(gpu, "device", "phone_soc") == gpu


@pytest.mark.parametrize("call, name", [
    (lambda: energy.boundary_energy(1.0, "facility", "datacenter_gpu", pue=0.9), "pue"),
    (lambda: energy.training_energy_j(100, 0.0), "power_w"),
    (lambda: energy.training_energy_j(100, -5.0), "power_w"),
    (lambda: energy.co2e_g(1.0, -0.1), "kg_per_kwh"),
    (lambda: energy.grid_intensity(-0.2), "grid intensity"),
    (lambda: energy.grid_intensity("atlantis"), "grid must be one of"),
    (lambda: energy.boundary_energy(1.0, "rack", "datacenter_gpu"), "boundary must be one of"),
    (lambda: energy.boundary_energy(1.0, "device", "datacenter_gpu"), "boundary 'device'"),
])
def test_bad_arguments_name_the_parameter(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_cli_energy_inference_json(capsys):
    code, out, _ = run_cli(capsys, "energy", "inference", "--model", "llama-3.1-8b", "--hardware", "h100-sxm5-80gb",
                           "--precision", "bf16", "--runtime", "vllm-v1", "--batch", "64", "--prompt-tokens", "512",
                           "--output-tokens", "350", "--boundary", "gpu", "--json")
    assert code == 0
    d = json.loads(out)
    assert d["boundary"] == "gpu"
    # ML.ENERGY v3: 0.119 J per output token at 64 sequences on one H100
    assert d["energy_per_output_token_j"] == pytest.approx(0.119, rel=0.25)
    assert d["energy_per_request_j"] > 350 * d["energy_per_output_token_j"]


def test_cli_energy_errors_are_one_line(capsys):
    code, out, err = run_cli(capsys, "energy", "inference", "--model", "llama-3.1-8b", "--hardware",
                             "h100-sxm5-80gb", "--pue", "0.5")
    assert code == 2 and err.count("\n") == 1 and "pue" in err
    code, out, err = run_cli(capsys, "energy", "training", "--hardware", "a100-sxm4-80gb", "--gpu-hours", "10",
                             "--power-w", "0")
    assert code == 2 and "power_w" in err


# ---------------------------------------------------------------- paradigms
from genai_edge import paradigms, scenario  # noqa: E402
from genai_edge.paths import ENERGY_COMPONENTS  # noqa: E402


@pytest.mark.parametrize("name", scenario.builtin_names())
def test_energy_breakdown_sums_to_the_total_in_every_builtin_scenario(name):
    for res in paradigms.evaluate(scenario.load(name), check_memory=False).values():
        parts = [res.metrics[f"energy_{k}_j"] for k in ENERGY_COMPONENTS]
        assert all(p >= 0 for p in parts)
        assert sum(parts) == pytest.approx(res.energy_per_request_j, rel=1e-12)
        assert res.co2e_per_request_g > 0


def test_energy_breakdown_sums_in_a_random_sweep():
    from genai_edge import sweep
    rng = np.random.default_rng(3)
    axes = {"network.cloud_distance_km": rng.uniform(0, 5000, 30), "workload.users": rng.uniform(100, 30000, 30),
            "cloud.pue": rng.uniform(1.0, 2.0, 30), "mec.grid_kg_per_kwh": rng.uniform(0, 1, 30),
            "edge_cloud.strategy": rng.choice(["routing", "overflow", "speculative"], 30).tolist()}
    t = sweep("chatbot", axes, mode="zip")
    total = sum(t[f"energy_{k}_j"] for k in ENERGY_COMPONENTS)
    assert np.allclose(total, t["energy_per_request_j"], rtol=1e-12)
    assert (t["energy_per_request_j"] > 0).all()


def test_doubling_pue_doubles_only_the_facility_share():
    base = paradigms.evaluate(scenario.load("chatbot", {"cloud.pue": 1.2, "cloud.idle_energy": "busy"}))["cloud"]
    more = paradigms.evaluate(scenario.load("chatbot", {"cloud.pue": 1.4, "cloud.idle_energy": "busy"}))["cloud"]
    assert more.energy_facility_overhead_j == pytest.approx(2 * base.energy_facility_overhead_j, rel=1e-12)
    for k in ENERGY_COMPONENTS:
        if k != "facility_overhead":
            assert more.metrics[f"energy_{k}_j"] == pytest.approx(base.metrics[f"energy_{k}_j"], rel=1e-12)


def test_request_energy_grows_with_output_tokens_in_every_paradigm():
    short = paradigms.evaluate(scenario.load("chatbot", {"workload.output_tokens": 100}))
    long = paradigms.evaluate(scenario.load("chatbot", {"workload.output_tokens": 400}))
    for p in paradigms.PARADIGMS:
        assert long[p].energy_per_request_j > short[p].energy_per_request_j


def test_idle_rule_busy_drops_only_the_idle_share():
    amortized = paradigms.evaluate(scenario.load("chatbot"))["mec"]
    busy = paradigms.evaluate(scenario.load("chatbot", {"mec.idle_energy": "busy"}))["mec"]
    assert amortized.energy_idle_j > 0 and busy.energy_idle_j == 0
    assert busy.energy_per_request_j == pytest.approx(amortized.energy_per_request_j - amortized.energy_idle_j)


def test_on_device_has_no_network_or_site_energy_and_cloud_has_no_device_compute():
    r = paradigms.evaluate(scenario.load("chatbot"))
    assert r["on_device"].energy_network_j == 0 and r["on_device"].energy_cloud_it_j == 0
    assert r["on_device"].energy_device_compute_j > 0
    assert r["cloud"].energy_device_compute_j == 0 and r["cloud"].energy_device_radio_j > 0


@pytest.mark.parametrize("key, value, allowed", [
    ("cloud.pue", 0.8, "[1.0, 3.0]"), ("mec.grid_kg_per_kwh", -0.1, "[0, 2]"),
    ("network.grid_kg_per_kwh", -1, "[0, 2]"), ("mec.idle_energy", "sometimes", "amortized, busy")])
def test_bad_energy_keys_name_the_key_and_the_allowed_values(key, value, allowed):
    with pytest.raises(scenario.ScenarioError, match=key.replace(".", r"\.")) as exc:
        scenario.load("chatbot", {key: value})
    assert allowed in str(exc.value)


def test_device_energy_rows_are_reported_with_their_errors():
    t = validation.device_energy_table()
    assert len(t) >= 8 and t.error.notna().all()
    assert set(t.hardware) >= {"jetson-orin-nano-super-8gb", "snapdragon-8-elite"}
