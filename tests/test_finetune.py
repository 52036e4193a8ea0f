"""Fine-tuning compute, time, energy and per-request amortisation (genai_edge.finetune)."""
import math

import numpy as np
import pytest

from genai_edge import catalog, finetune

H100_FP8 = 1979e12    # H100 SXM dense FP8 tensor peak, NVIDIA H100 datasheet [FLOP/s]
H100_W = 700.0        # H100 SXM maximum power, NVIDIA H100 datasheet [W]
N70, L70, D70 = 68.98e9, 80, 8192      # Llama 2 70B parameters, layers, 64 heads x 128 (config.json)


# ------------------------------------------------------------------ FLOP accounting
def test_full_fine_tuning_is_six_n_d():
    # Kaplan et al. 2020 (arXiv:2001.08361) Section 2.1: forward 2N, backward 4N per token
    assert finetune.finetune_flops(7e9, 2e6, method="full") == pytest.approx(6 * 7e9 * 2e6, rel=1e-12)


def test_lora_is_four_n_d_plus_six_adapter_d():
    # frozen base: forward 2N + activation gradients 2N; adapters: 2 + 2 + 2 (their weight gradients)
    got = finetune.finetune_flops(7e9, 2e6, method="lora", trainable_params=4e6)
    assert got == pytest.approx(4 * 7e9 * 2e6 + 6 * 4e6 * 2e6, rel=1e-12)


@pytest.mark.parametrize("n, d", [(1e6, 1.0), (7e9, 1e6), (4.05e11, 1.5e10)])
def test_lora_costs_less_than_full(n, d):
    assert finetune.finetune_flops(n, d, "lora", trainable_params=0.01 * n) < finetune.finetune_flops(n, d, "full")


def test_recompute_adds_one_forward_pass():
    n, d, na = 7e9, 3e5, 2e7
    full = finetune.finetune_flops(n, d, "full", recompute=True) - finetune.finetune_flops(n, d, "full")
    lora = (finetune.finetune_flops(n, d, "lora", trainable_params=na, recompute=True)
            - finetune.finetune_flops(n, d, "lora", trainable_params=na))
    assert full == pytest.approx(2 * n * d, rel=1e-12)
    assert lora == pytest.approx(2 * (n + na) * d, rel=1e-12)


def test_attention_and_validation_terms():
    n, d, de, layers, ctx, dattn = 6.74e9, 1e5, 2e4, 32, 4096, 4096
    a = 2 * layers * ctx * dattn                       # Kaplan Table 1: attention forward per token
    got = finetune.finetune_flops(n, d, "full", n_layers=layers, context_tokens=ctx, attention_dim=dattn,
                                  eval_tokens=de)
    assert got == pytest.approx((6 * n + 3 * a) * d + (2 * n + a) * de, rel=1e-12)
    rec = finetune.finetune_flops(n, d, "lora", recompute=True, n_layers=layers, context_tokens=ctx,
                                  attention_dim=dattn)
    assert rec == pytest.approx((4 * n + 3 * a + 2 * n + a) * d, rel=1e-12)


def test_scalars_give_floats_and_arrays_broadcast():
    assert isinstance(finetune.finetune_flops(1e9, 1e6), float)
    n = np.array([1e9, 7e9, 70e9])
    d = np.array([[1e6], [2e6]])
    got = finetune.finetune_flops(n, d, "full")
    assert got.shape == (2, 3)
    np.testing.assert_allclose(got, 6 * n * d, rtol=1e-12)
    t = finetune.finetune_time(np.array([1e18, 2e18]), "h100-sxm5-80gb", "fp8", devices=[1, 2], mfu=0.5)
    np.testing.assert_allclose(t, [1e18 / (0.5 * H100_FP8), 2e18 / (2 * 0.5 * H100_FP8)], rtol=1e-12)


@pytest.mark.parametrize("call, name", [
    (lambda: finetune.finetune_flops(-1.0, 1e6), "n_params"),
    (lambda: finetune.finetune_flops(1e9, float("nan")), "n_tokens"),
    (lambda: finetune.finetune_flops(1e9, 1e6, method="qlora4"), "method"),
    (lambda: finetune.finetune_flops(1e9, 1e6, method="full", trainable_params=1e6), "trainable_params"),
    (lambda: finetune.finetune_flops(1e9, 1e6, recompute="yes"), "recompute"),
    (lambda: finetune.finetune_flops(1e9, 1e6, eval_tokens=-5), "eval_tokens"),
    (lambda: finetune.finetune_time(1e18, "h100-sxm5-80gb", devices=0), "devices"),
    (lambda: finetune.finetune_time(1e18, "h100-sxm5-80gb", mfu=0.0), "mfu"),
    (lambda: finetune.finetune_time(1e18, "h100-sxm5-80gb", mfu=1.5), "mfu"),
    (lambda: finetune.finetune_time(-1e18, "h100-sxm5-80gb"), "flops"),
    (lambda: finetune.finetune_energy_j(1e18, "h100-sxm5-80gb", boundary="device"), "device"),
    (lambda: finetune.adapter_refresh_cost_per_request(1e6, 0.0, 1.0), "refresh_interval_s"),
    (lambda: finetune.adapter_refresh_cost_per_request(1e6, 60.0, -1.0), "requests_per_s"),
    (lambda: finetune.adapter_refresh_cost_per_request(-1e6, 60.0, 1.0), "finetune_energy_j"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_unknown_hardware_is_refused():
    with pytest.raises(KeyError):
        finetune.finetune_time(1e18, "no-such-gpu")


# ------------------------------------------------------------------ time and energy
def test_time_is_flops_over_devices_mfu_peak():
    assert finetune.finetune_time(1e19, "h100-sxm5-80gb", "fp8", devices=8, mfu=0.4) == pytest.approx(
        1e19 / (8 * 0.4 * H100_FP8), rel=1e-12)


def test_energy_is_full_power_times_time_at_each_boundary():
    flops, mfu, devices = 1e19, 0.4, 8
    seconds = flops / (devices * mfu * H100_FP8)
    gpu = finetune.finetune_energy_j(flops, "h100-sxm5-80gb", "fp8", devices=devices, mfu=mfu)
    assert gpu == pytest.approx(devices * H100_W * seconds, rel=1e-12)
    # host overhead 25 % vs 58 % of a Gemini prompt, fleet PUE 1.09 (Elsworth et al. 2025, arXiv:2508.15734)
    fac = finetune.finetune_energy_j(flops, "h100-sxm5-80gb", "fp8", devices=devices, mfu=mfu, boundary="facility")
    assert fac == pytest.approx(gpu * (1 + 25 / 58) * 1.09, rel=1e-12)
    assert finetune.finetune_energy_j(flops, "h100-sxm5-80gb", "fp8", devices=1, mfu=mfu) == pytest.approx(gpu)


def test_on_device_fine_tuning_uses_the_device_boundary():
    hw = catalog.hardware("jetson-agx-orin-64gb")
    flops = finetune.finetune_flops(1e9, 1e5, "lora", trainable_params=4e6)
    e = finetune.finetune_energy_j(flops, hw.id, "bf16", mfu=0.2, boundary="device")
    assert e == pytest.approx(flops / (0.2 * hw.peak_bf16) * hw.power_max, rel=1e-12)


def test_default_mfu_reproduces_the_nemo_lora_row():
    # NeMo performance summary 24.09/24.12: Llama 2 70B LoRA, 8 GPUs, FP8, packed 4096: 2621 tokens/s/GPU
    per_token = 4 * N70 + 3 * 2 * L70 * 4096 * D70
    predicted = finetune.DEFAULT_MFU * H100_FP8 / per_token
    assert predicted == pytest.approx(2621, rel=5e-3)   # DEFAULT_MFU is rounded to three digits


# ------------------------------------------------------------------ validation
def _mlperf_run_time(hardware, samples, evals):
    # MLPerf Training v4.0 Llama 2 70B LoRA: 8192-token samples, 173 eval samples per evaluation,
    # rank-16 adapters on QKV (8192 -> 10240) and the output projection of 80 layers
    adapters = 80 * 16 * ((8192 + 10240) + (8192 + 8192))
    flops = finetune.finetune_flops(N70, samples * 8192, "lora", trainable_params=adapters, n_layers=L70,
                                    context_tokens=8192, attention_dim=D70, eval_tokens=evals * 173 * 8192)
    return finetune.finetune_time(flops, hardware, "fp8", devices=8)


def test_mlperf_dgx_h100_lora_time_within_15_percent():
    # training_results_v4.0 NVIDIA/results/eos_ngc24.04_nemo/llama2_70b_lora/result_0.txt:
    # run_start 1714897740668 ms, run_stop 1714899369711 ms, samples_count 3072, 5 evaluations
    measured = (1714899369711 - 1714897740668) / 1e3
    assert _mlperf_run_time("h100-sxm5-80gb", 3072, 5) / measured - 1 == pytest.approx(0, abs=0.15)


def test_mlperf_h200_lora_time_within_15_percent():
    # training_results_v4.0 NVIDIA/results/h200_ngc24.04_nemo/llama2_70b_lora/result_0.txt: 1411.212 s, 3072 samples
    assert _mlperf_run_time("h200-sxm-141gb", 3072, 5) / 1411.212 - 1 == pytest.approx(0, abs=0.15)


def test_mlperf_smc_node_energy_within_15_percent():
    # https://smc.co/mlperfv40/results/llama2-70b-lora: "Total Energy Consumed (Joules) - DC | 11,769,962 J",
    # node DC input of 8 H100 SXM; every power run converged at 3072 samples with 5 evaluations.
    # The model's server boundary overstates this node's power (~15 %) and understates its time (~15 %).
    seconds = _mlperf_run_time("h100-sxm5-80gb", 3072, 5)
    predicted = 8 * H100_W * seconds * (1 + 25 / 58)
    assert predicted / 11_769_962 - 1 == pytest.approx(0, abs=0.15)


@pytest.mark.parametrize("n, layers, dattn, sft, lora", [
    (6.74e9, 32, 4096, 16891, 24824),      # NeMo table, Llama 2 7B, tokens/s/GPU
    (13.0e9, 40, 5120, 10176, 14629),      # Llama 2 13B
    (68.98e9, 80, 8192, 1816, 2621),       # Llama 2 70B
])
def test_lora_to_full_time_ratio_matches_nemo(n, layers, dattn, sft, lora):
    shape = dict(n_layers=layers, context_tokens=4096, attention_dim=dattn)
    ratio = finetune.finetune_flops(n, 1e6, "lora", **shape) / finetune.finetune_flops(n, 1e6, "full", **shape)
    assert ratio == pytest.approx(sft / lora, rel=0.05)


def test_validation_table_reports_every_row():
    t = finetune.validation_table()
    rows = catalog.read_csv("finetune_validation.csv")
    assert len(t) == len(rows) and {"predicted", "error"} <= set(t.columns)
    assert (t["fit"] == 1).sum() == 1                      # one fit row; all others held out
    assert np.isfinite(t["error"]).all()
    assert set(t["quantity"]) <= set(finetune.QUANTITIES)
    for r in rows:
        assert r["source"].startswith("http") and r["quote"]
        catalog.hardware(r["hardware"])
    h100 = t.set_index("case_id").loc["mlperf40-nvidia-dgxh100-r0"]
    assert h100["error"] == pytest.approx(_mlperf_run_time("h100-sxm5-80gb", 3072, 5) / 1629.043 - 1, rel=1e-9)
    held_out = t[t["fit"] == 0]
    assert (held_out["error"].abs() <= 0.15).sum() >= 5


# ------------------------------------------------------------------ amortisation
def test_refresh_cost_is_shared_by_the_requests_of_an_interval():
    c = finetune.adapter_refresh_cost_per_request(3.6e6, 86400.0, 10.0, finetune_time_s=3600.0)
    assert c.energy_j == pytest.approx(3.6e6 / (10 * 86400), rel=1e-12)
    assert c.device_s == pytest.approx(3600 / (10 * 86400), rel=1e-12)
    assert c.duty == pytest.approx(3600 / 86400, rel=1e-12)


def test_refresh_cost_vectorized_and_zero_load():
    c = finetune.adapter_refresh_cost_per_request(np.array([1e6, 0.0, 1e6]), 3600.0, np.array([1.0, 0.0, 0.0]))
    assert c.energy_j[0] == pytest.approx(1e6 / 3600)
    assert c.energy_j[1] == 0.0 and math.isinf(c.energy_j[2])
    assert np.all(c.device_s == 0.0) and np.all(c.duty == 0.0)
    assert isinstance(finetune.adapter_refresh_cost_per_request(1.0, 1.0, 1.0).energy_j, float)
