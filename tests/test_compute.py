"""Compute model: building blocks, estimate(), published values, properties."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from genai_edge import catalog, compute


# ---------------------------------------------------------------- footprint
def test_weights_bytes_scalar_array_broadcast():
    assert compute.weights_bytes(7e9, 16) == 14e9
    assert isinstance(compute.weights_bytes(7e9, 16), float)
    out = compute.weights_bytes(np.array([7e9, 70e9])[:, None], np.array([16, 8, 4.5]))
    assert out.shape == (2, 3)
    assert out[1, 2] == pytest.approx(70e9 * 4.5 / 8)


def test_kv_cache_gqa_llama_2_70b():
    # Llama 2 70B (80 layers, 8 KV heads of 128) in fp16: 2*80*8*128*2 B
    # = 327,680 bytes per token (Ainslie et al. 2023, GQA) -> 1.34 GB at 4096.
    per_token = compute.kv_cache_bytes(80, 8, 128, 1)
    assert per_token == 327_680
    assert compute.kv_cache_bytes(80, 8, 128, 4096) == pytest.approx(1.342e9, rel=1e-3)
    # MHA Llama 2 7B: 0.5 MiB per token (widely quoted figure).
    assert compute.kv_cache_bytes(32, 32, 128, 1) == 2 ** 19


@pytest.mark.parametrize("func, kwargs, name", [
    (compute.weights_bytes, dict(params=-1, bits_per_weight=16), "params"),
    (compute.weights_bytes, dict(params=1, bits_per_weight=0), "bits_per_weight"),
    (compute.kv_cache_bytes, dict(n_layers=1, n_kv_heads=1, head_dim=1, tokens=-5), "tokens"),
    (compute.prefill_flops, dict(layer_params=1, lm_head_params=1, n_layers=1, attention_dim=1,
                                 prompt_tokens=float("nan")), "prompt_tokens"),
    (compute.decode_flops, dict(matmul_params=1, n_layers=1, attention_dim=1, context_tokens=-1),
     "context_tokens"),
    (compute.roofline_time, dict(flops=1, bytes_moved=1, peak_flops=0, memory_bandwidth=1), "peak_flops"),
    (compute.roofline_time, dict(flops=1, bytes_moved=1, peak_flops=1, memory_bandwidth=1,
                                 compute_efficiency=1.5), "compute_efficiency"),
    (compute.ring_allreduce_time, dict(message_bytes=1, devices=1.5, link_bandwidth=1), "devices"),
    (compute.moe_expected_experts, dict(n_experts=8, n_active_experts=9, batch=1), "n_active_experts"),
])
def test_bad_arguments_name_the_argument(func, kwargs, name):
    with pytest.raises(ValueError, match=name):
        func(**kwargs)


# --------------------------------------------------------------------- work
def test_prefill_flops_dense_term_is_2N_per_token():
    # Kaplan et al. 2020: forward pass ≈ 2N FLOPs per token (+ attention).
    f = compute.prefill_flops(1e9, 0, 0, 0, prompt_tokens=100)
    assert f == 2e11
    with_attention = compute.prefill_flops(1e9, 0, 10, 1000, prompt_tokens=100)
    assert with_attention == pytest.approx(2e11 + 2 * 10 * 1000 * 100 ** 2)


def test_prefill_with_cached_context_costs_more_attention():
    a = compute.prefill_flops(1e9, 1e6, 32, 4096, 128, context_tokens=0)
    b = compute.prefill_flops(1e9, 1e6, 32, 4096, 128, context_tokens=1000)
    assert b > a
    assert compute.prefill_flops(1e9, 1e6, 32, 4096, 0) == 0.0


def test_decode_flops_broadcasts_over_context_and_batch():
    out = compute.decode_flops(7e9, 32, 4096, np.array([0, 1024, 4096]), batch=np.array([[1], [8]]))
    assert out.shape == (2, 3)
    assert out[0, 0] == pytest.approx(14e9)
    assert out[1, 0] == pytest.approx(8 * 14e9)


def test_roofline_picks_the_slower_resource():
    assert compute.roofline_time(1e12, 1e9, 1e12, 1e12) == 1.0          # compute-bound
    assert compute.roofline_time(1e9, 1e12, 1e12, 1e12) == 1.0          # memory-bound
    assert compute.roofline_time(1e12, 0, 1e12, 1e12, 0.5) == 2.0
    assert compute.roofline_time(1e12, 0, np.inf, 1e12) == 0.0


def test_ring_allreduce():
    assert compute.ring_allreduce_time(1e9, 1, 1e9, 1e-5) == 0.0
    # 2(n-1)/n * S/B: n=4, 1 GB over 100 GB/s -> 15 ms, plus 6 steps of 10 us
    assert compute.ring_allreduce_time(1e9, 4, 100e9, 1e-5) == pytest.approx(0.015 + 6e-5)
    out = compute.ring_allreduce_time(np.array([1e6, 1e9]), np.array([[2], [8]]), 100e9)
    assert out.shape == (2, 2)


def test_moe_expected_experts_limits():
    assert compute.moe_expected_experts(8, 2, 1) == pytest.approx(2)
    assert compute.moe_expected_experts(8, 2, 10_000) == pytest.approx(8)
    assert compute.moe_expected_experts(1, 1, 5) == 1


# ----------------------------------------------------------------- estimate
def test_estimate_keys_and_types():
    e = compute.estimate("llama-2-7b", "a100-sxm4-80gb", "fp16", prompt_tokens=2048, output_tokens=1)
    d = e.to_dict()
    for key in ["prefill_s", "ttft_s", "tpot_s", "decode_tokens_per_s", "weights_bytes",
                "kv_cache_bytes", "fits_in_memory", "bound"]:
        assert key in d
    assert isinstance(d["prefill_s"], float) and d["fits_in_memory"] is True
    assert d["bound"] == "memory" and d["prefill_bound"] == "compute"
    assert d["weights_bytes"] == pytest.approx(2 * 6.738e9, rel=1e-3)


def test_estimate_vectorized_over_tokens_and_batch():
    e = compute.estimate("llama-3.1-8b", "h100-sxm5-80gb", "bf16",
                         batch=np.array([[1], [64]]), prompt_tokens=np.array([128, 1024, 8192]), warn=False)
    assert np.shape(e.prefill_s) == (2, 3) and np.shape(e.tpot_s) == (2, 3)
    assert np.all(np.diff(e.prefill_s, axis=1) > 0)
    assert np.all(e.decode_tokens_per_s[1] > e.decode_tokens_per_s[0])


def test_decode_turns_compute_bound_at_large_batch():
    e = compute.estimate("llama-3.1-8b", "h100-sxm5-80gb", "bf16", "tensorrt-llm",
                         batch=np.array([1, 1024]), prompt_tokens=16, output_tokens=2,
                         context_tokens=16, warn=False)
    assert list(e.bound) == ["memory", "compute"]


def test_quantization_speeds_up_memory_bound_decode():
    tp = [compute.estimate("llama-2-7b", "jetson-agx-orin-64gb", p, "llama.cpp").tpot_s
          for p in ("fp16", "int8", "q4_k_m", "q4_0")]
    assert tp[0] > tp[1] > tp[2] > tp[3]


def test_tensor_parallel_shards_memory_and_adds_allreduce():
    one = compute.estimate("llama-2-70b", "h100-sxm5-80gb", "fp8", "tensorrt-llm", devices=1)
    two = compute.estimate("llama-2-70b", "h100-sxm5-80gb", "fp8", "tensorrt-llm", devices=2)
    assert two.memory_capacity_bytes == 2 * one.memory_capacity_bytes
    assert one.tpot_s / 2 < two.tpot_s < one.tpot_s      # faster, but not 2x (all-reduce)


def test_model_that_does_not_fit_warns_and_flags():
    with pytest.warns(compute.MemoryWarning, match=r"short by .* GB"):
        e = compute.estimate("llama-3.1-405b", "l4-24gb", "fp16")
    assert e.fits_in_memory is False


def test_device_without_interconnect_rejects_tensor_parallel():
    with pytest.raises(ValueError, match="devices"):
        compute.estimate("llama-2-7b", "jetson-agx-orin-64gb", devices=2)


def test_estimate_bad_tokens_name_the_argument():
    with pytest.raises(ValueError, match="prompt_tokens"):
        compute.estimate("llama-2-7b", "a100-sxm4-80gb", prompt_tokens=-1)
    with pytest.raises(ValueError, match="output_tokens"):
        compute.estimate("llama-2-7b", "a100-sxm4-80gb", output_tokens=0)


def test_runtime_family_without_calibration_uses_default_factors():
    fitted = {r["runtime_family"] for r in catalog.read_csv("calibration.csv")}
    unfitted = [r for r in catalog.runtime_ids() if catalog.runtime(r).family not in fitted]
    assert unfitted, "every runtime family has its own factors: pick another test case"
    f = compute.efficiency_factors(unfitted[0], "datacenter_gpu")
    assert f.runtime_family == "default" and f.fitted_on
    with pytest.raises(ValueError, match="device_class"):
        compute.device_group("mainframe")


def test_unknown_runtime_warns_and_names_the_default_factors():
    with pytest.warns(compute.UnknownRuntimeWarning, match=r"bandwidth efficiency 0\.\d\d"):
        e = compute.estimate("llama-3.1-8b", "h100-sxm5-80gb", "bf16", "some-new-runtime")
    d = compute.estimate("llama-3.1-8b", "h100-sxm5-80gb", "bf16", "default")
    assert e.tpot_s == d.tpot_s and e.factors.runtime_family == "default"


def test_prompt_beyond_the_context_window_names_both_numbers():
    with pytest.raises(ValueError, match=r"10127 .*llama-3-8b, 8192 tokens"):
        compute.estimate("llama-3-8b", "h100-sxm5-80gb", prompt_tokens=10_000, output_tokens=128)
    # exactly the window: prompt + output - 1 positions are fed to the model
    compute.estimate("llama-3-8b", "h100-sxm5-80gb", prompt_tokens=8192 - 127, output_tokens=128)


def test_untied_input_embedding_is_not_read_per_decode_step():
    # llama-3.1-8b: 128256 x 4096 input table (untied) must not be in the decode bytes;
    # an independent count: layer matrices + LM head, 16-bit, plus the KV cache.
    m = catalog.model("llama-3.1-8b")
    e = compute.estimate(m, "h100-sxm5-80gb", "bf16", batch=1, prompt_tokens=0, output_tokens=1,
                         context_tokens=0)
    layer = 4096 * 4096 * 2 + 4096 * 1024 * 2 + 3 * 4096 * 14336
    assert e.decode_bytes == pytest.approx((32 * layer + 128256 * 4096) * 2, rel=1e-9)
    assert e.decode_bytes < 2 * m.params_from_architecture * 0.95


def test_fp8_kv_cache_halves_kv_bytes():
    a = compute.estimate("llama-3.1-8b", "h100-sxm5-80gb", "fp8", prompt_tokens=4096, batch=8)
    b = compute.estimate("llama-3.1-8b", "h100-sxm5-80gb", "fp8", prompt_tokens=4096, batch=8,
                         kv_precision="fp8")
    assert b.kv_cache_bytes == pytest.approx(a.kv_cache_bytes / 2)
    assert b.tpot_s < a.tpot_s


def test_moe_small_batch_decode_reads_the_expected_distinct_experts():
    # Mixtral 8x7B, top-2 of 8 experts: 4 tokens touch 8(1 - (6/8)^4) = 5.47 experts per layer
    m = catalog.model("mixtral-8x7b")
    e1 = compute.estimate(m, "h200-sxm-141gb", "fp16", batch=1, prompt_tokens=0, output_tokens=1,
                          context_tokens=0)
    e4 = compute.estimate(m, "h200-sxm-141gb", "fp16", batch=4, prompt_tokens=0, output_tokens=1,
                          context_tokens=0)
    expert_bytes = 3 * 4096 * 14336 * 2 * 32          # one expert in every layer, 16-bit
    assert e4.decode_bytes - e1.decode_bytes == pytest.approx((8 * (1 - 0.75 ** 4) - 2) * expert_bytes)
    active_bytes = 2 * m.matmul_params_per_token
    assert e4.decode_bytes > 2.5 * active_bytes - 2 * expert_bytes


def test_tp8_decode_of_a_7b_model_on_nvlink_is_faster_than_tp2_as_published():
    # gpt-fast README, Tensor Parallelism table (8xA100-80GB, NVLink, batch 1):
    # Llama-2-7B 1 GPU 104.9, 2 GPUs 168.84, 4 GPUs 254.02, 8 GPUs 328.43 tokens/s
    # https://github.com/pytorch-labs/gpt-fast/blob/32971d3129541c5bfb4f715abc33d1c5f408d204/README.md
    published = {1: 104.9, 2: 168.84, 4: 254.02, 8: 328.43}
    rate = {n: compute.estimate("llama-2-7b", "a100-sxm4-80gb", "bf16", "gpt-fast", devices=n,
                                prompt_tokens=5, output_tokens=100).decode_tokens_per_s
            for n in published}
    assert rate[1] < rate[2] < rate[4] < rate[8]
    for n in (2, 4, 8):
        assert rate[n] / rate[1] == pytest.approx(published[n] / published[1], rel=0.2), n


def test_unfused_attention_scores_slow_long_prompts_as_published():
    # llama.cpp (no -fa) on an RTX 4090, Llama 3 8B Q4_K_M: pp 512 7138.99 and
    # pp 8192 4039.68 tokens/s (XiongjieDai/GPU-Benchmarks-on-LLM-Inference README,
    # commit aa72e0ec86c356c41f8281c9733e9a13c3675800): the rate falls by 43 %.
    def rate(s, runtime):
        e = compute.estimate("llama-3-8b", "rtx4090-24gb", "q4_k_m", runtime, prompt_tokens=s,
                             output_tokens=1)
        return s / e.prefill_s
    drop = 1 - rate(8192, "llama.cpp") / rate(512, "llama.cpp")
    assert drop == pytest.approx(1 - 4039.68 / 7138.99, abs=0.15)
    fused_drop = 1 - rate(8192, "tensorrt-llm") / rate(512, "tensorrt-llm")
    assert fused_drop < drop / 2


def test_dequantizing_runtime_makes_4_bit_prompts_slower_than_fp16_as_published():
    # same table: pp 512 of Llama 3 8B on an RTX 4090 is 9382.00 tokens/s at F16
    # and 7138.99 at Q4_K_M (weights expanded to fp16 for every 512-token micro-batch)
    f16, q4 = (compute.estimate("llama-3-8b", "rtx4090-24gb", p, "llama.cpp", prompt_tokens=512).prefill_s
               for p in ("fp16", "q4_k_m"))
    assert q4 > f16
    assert f16 / q4 == pytest.approx(7138.99 / 9382.00, rel=0.15)


# --------------------------------------------------------------- properties
models = st.sampled_from(["llama-2-7b", "llama-3.1-8b", "mixtral-8x7b", "gemma-2b"])
hardware = st.sampled_from(["a100-sxm4-80gb", "h100-sxm5-80gb", "l4-24gb", "jetson-agx-orin-64gb"])


@settings(max_examples=40, deadline=None)
@given(models, hardware, st.integers(1, 2048), st.integers(1, 2048), st.integers(1, 64))
def test_latency_rises_with_tokens(model, hw, a, b, batch):
    lo, hi = sorted((a, b))     # prompt + output <= 4096: every sampled model's context window
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", compute.MemoryWarning)
        e = compute.estimate(model, hw, "fp16", batch=batch, prompt_tokens=np.array([lo, hi]),
                             output_tokens=np.array([lo, hi]))
    assert e.prefill_s[0] <= e.prefill_s[1]
    assert e.tpot_s[0] <= e.tpot_s[1]
    assert e.e2e_s[0] <= e.e2e_s[1]


@settings(max_examples=40, deadline=None)
@given(models, st.floats(0.1, 10), st.floats(0.1, 10))
def test_latency_falls_with_bandwidth_and_peak(model, bw_scale, peak_scale):
    import dataclasses
    base = catalog.hardware("a100-sxm4-80gb")
    faster = dataclasses.replace(base, memory_bandwidth=base.memory_bandwidth * (1 + bw_scale),
                                 peak_bf16=base.peak_bf16 * (1 + peak_scale))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", compute.MemoryWarning)
        slow = compute.estimate(model, base, prompt_tokens=1024)
        fast = compute.estimate(model, faster, prompt_tokens=1024)
    assert fast.prefill_s <= slow.prefill_s and fast.tpot_s <= slow.tpot_s


@settings(max_examples=60, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
       st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_only_value_errors_on_finite_input(x, y):
    for call in (lambda: compute.weights_bytes(x, y), lambda: compute.kv_cache_bytes(x, y, 1, 1),
                 lambda: compute.roofline_time(x, y, 1e12, 1e12),
                 lambda: compute.ring_allreduce_time(x, y, 1e9)):
        try:
            call()
        except ValueError:
            pass
