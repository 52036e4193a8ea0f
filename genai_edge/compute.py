"""Compute time of LLM inference on accelerators: a calibrated roofline.

Building blocks (pure, numpy-vectorized, SI units):

- :func:`weights_bytes`, :func:`kv_cache_bytes` — memory footprint;
- :func:`prefill_flops`, :func:`decode_flops` — work of one forward pass;
- :func:`roofline_time` — time of a pass limited by compute or memory;
- :func:`ring_allreduce_time` — tensor-parallel communication;
- :func:`moe_expected_experts` — distinct MoE experts read by a batch.

:func:`estimate` wires them together for a catalog model on catalog hardware
and returns a :class:`ComputeEstimate` (TTFT, TPOT, decode rate, memory fit).

The time of one forward pass on each of ``devices`` tensor-parallel devices
is a roofline with imperfect overlap (:func:`pass_time`)

.. math::

    t = \\left[\\left(\\frac{F/n}{P\\,\\eta_F}\\right)^p
        + \\left(\\frac{B/n}{W\\,\\eta_W}\\right)^p\\right]^{1/p}
        + L\\,t_\\ell + n_{AR}\\,(t_{AR} + t_{xfer})

with F the pass's FLOPs, B the bytes it reads (layer weights, LM head, KV
cache; MoE: the experts the batch touches), P the peak throughput of the
compute unit the runtime uses for that precision, W the memory bandwidth, L
layers, t_ℓ a fixed per-layer overhead (kernel launches, framework), n_AR = 2L
all-reduces when n > 1, each with a fixed latency t_AR plus its ring transfer
time. p → ∞ is the ideal roofline; short prefills, neither compute- nor
memory-saturated, are slower than either bound, which a finite p describes.
The efficiencies, overheads and p are fitted by ``tools/calibrate.py`` on a
stated subset of ``validation.csv`` with shared factors per device group and
runtime family, and shipped in ``data/calibration.csv`` (see
:func:`efficiency_factors`).

Glossary: ``params`` parameter count [-]; ``bits_per_weight`` [bit];
``prompt_tokens``, ``context_tokens``, ``output_tokens`` [token]; ``batch``
concurrent sequences [-]; ``peak_flops`` [FLOP s^-1]; ``memory_bandwidth``
[byte s^-1]; times [s]; sizes [byte].

References
----------
.. [1] S. Williams, A. Waterman and D. Patterson, "Roofline: an insightful
   visual performance model for multicore architectures," Commun. ACM 52(4),
   2009. doi:10.1145/1498765.1498785
.. [2] J. Kaplan et al., "Scaling laws for neural language models," 2020,
   Sec. 2.1 (forward FLOPs ≈ 2N + 2 n_layer n_ctx d_attn per token).
   arXiv:2001.08361
.. [3] R. Pope et al., "Efficiently scaling transformer inference," MLSys
   2023. arXiv:2211.05102
.. [4] P. Patarasuk and X. Yuan, "Bandwidth optimal all-reduce algorithms for
   clusters of workstations," J. Parallel Distrib. Comput. 69(2), 2009.
   doi:10.1016/j.jpdc.2008.09.002
"""
from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np

from . import _validate as v
from . import catalog

__all__ = [
    "weights_bytes", "kv_cache_bytes", "prefill_flops", "decode_flops",
    "roofline_time", "decode_ridge_batch", "ring_allreduce_time", "moe_expected_experts",
    "diffusion_time", "DiffusionFactors", "diffusion_factors", "transformer_denoiser_factors",
    "diffusion_estimate",
    "EfficiencyFactors", "efficiency_factors", "device_group",
    "resolve_runtime", "PassWork", "pass_work", "pass_time", "ComputeEstimate", "estimate",
    "MemoryWarning", "UnknownRuntimeWarning",
]

UNFUSED_SCORE_BYTES = 16
"""Memory traffic per attention-score element of an unfused runtime: the
fp32 score matrix is written by the K·Q product, read and written by the
masked softmax and read by the product with V (4 passes × 4 bytes; the
llama.cpp graph ``ggml_mul_mat`` → ``ggml_soft_max_ext`` → ``ggml_mul_mat``,
ggml-org/llama.cpp src/llama.cpp ``llm_build_kqv``). [byte]"""
UNFUSED_UBATCH = 512
"""Prompt tokens per forward pass of an unfused runtime: each micro-batch's
scores span the whole context so far, so a prompt of s tokens makes
s·(s + u)/2 score elements per head (llama.cpp default ``n_ubatch`` = 512,
common/common.h). [token]"""
DEQUANTIZED_BYTES = 4
"""A runtime that dequantizes weights for prompt micro-batches writes each
weight once in fp16 and the GEMM reads it back (2 + 2 bytes). [byte]"""
DEQUANT_OPS_PER_WEIGHT = 4
"""Vector-unit operations to expand one weight-only-quantized weight in a
decode mat-vec (unpack, mask, convert, scale): an ASSUMPTION, counted at the
hardware's fp32 rate once per weight per step, whatever the batch. [op]"""
ALLREDUCE_BITS = 16
"""Tensor-parallel all-reduces carry 16-bit activations (as in TensorRT-LLM
and vLLM, whatever the weight precision). [bit]"""


class MemoryWarning(UserWarning):
    """The model's weights and KV cache do not fit in device memory."""


# ----------------------------------------------------------------- footprint
def weights_bytes(params, bits_per_weight):
    """Memory taken by the weights.

    Parameters
    ----------
    params : array_like
        Number of parameters stored. [-]
    bits_per_weight : array_like
        Storage per weight including block scales (e.g. 16 for fp16, 4.5 for
        GGUF q4_0). [bit]

    Returns
    -------
    float or ndarray
        Weight memory. [byte]
    """
    params = v.nonnegative(params, "params")
    bits = v.positive(bits_per_weight, "bits_per_weight", allow_inf=False)
    return v.scalar_or_array(params * bits / 8.0)


def kv_cache_bytes(n_layers, n_kv_heads, head_dim, tokens, batch=1, kv_bits=16):
    """Memory of the key-value cache, aware of grouped-query attention.

    Parameters
    ----------
    n_layers : array_like
        Transformer layers. [-]
    n_kv_heads : array_like
        Key/value heads (equal to the query heads without GQA/MQA). [-]
    head_dim : array_like
        Dimension of one head. [-]
    tokens : array_like
        Tokens held per sequence (prompt plus generated). [token]
    batch : array_like, default 1
        Concurrent sequences. [-]
    kv_bits : array_like, default 16
        Bits per cached element. [bit]

    Returns
    -------
    float or ndarray
        KV cache size, 2·L·h_kv·d_head·tokens·batch·bits/8. [byte]

    References
    ----------
    .. [1] J. Ainslie et al., "GQA: training generalized multi-query
       transformer models from multi-head checkpoints," EMNLP 2023.
       arXiv:2305.13245
    """
    n_layers = v.nonnegative(n_layers, "n_layers")
    n_kv_heads = v.nonnegative(n_kv_heads, "n_kv_heads")
    head_dim = v.nonnegative(head_dim, "head_dim")
    tokens = v.nonnegative(tokens, "tokens")
    batch = v.nonnegative(batch, "batch")
    kv_bits = v.positive(kv_bits, "kv_bits", allow_inf=False)
    return v.scalar_or_array(2.0 * n_layers * n_kv_heads * head_dim * tokens * batch * kv_bits / 8.0)


# ---------------------------------------------------------------------- work
def prefill_flops(layer_params, lm_head_params, n_layers, attention_dim, prompt_tokens,
                  context_tokens=0, batch=1):
    """FLOPs of the prefill pass over a prompt (causal attention).

    Parameters
    ----------
    layer_params : array_like
        Parameters in the per-token matrix products of all layers (active
        experts only for MoE). [-]
    lm_head_params : array_like
        Output projection, evaluated for the last prompt token only. [-]
    n_layers : array_like
        Transformer layers. [-]
    attention_dim : array_like
        Query heads × head dimension. [-]
    prompt_tokens : array_like
        New tokens processed. [token]
    context_tokens : array_like, default 0
        Tokens already in the KV cache before the prompt. [token]
    batch : array_like, default 1
        Sequences. [-]

    Returns
    -------
    float or ndarray
        2·N·s + 2·N_head + 2·L·d_attn·(s² + 2·s·c), times batch. [FLOP]

    Notes
    -----
    Token i of the prompt attends to c + i keys: QKᵀ and AV cost
    4·d_attn·(c + i) FLOPs per layer; summed over the prompt this is
    2·d_attn·(s² + 2sc) (the s/2 term is dropped) [1]_.

    References
    ----------
    .. [1] J. Kaplan et al., "Scaling laws for neural language models," 2020.
       arXiv:2001.08361
    """
    layer_params = v.nonnegative(layer_params, "layer_params")
    lm_head_params = v.nonnegative(lm_head_params, "lm_head_params")
    n_layers = v.nonnegative(n_layers, "n_layers")
    attention_dim = v.nonnegative(attention_dim, "attention_dim")
    s = v.nonnegative(prompt_tokens, "prompt_tokens")
    c = v.nonnegative(context_tokens, "context_tokens")
    batch = v.nonnegative(batch, "batch")
    head = np.where(s > 0, 2.0 * lm_head_params, 0.0)
    flops = 2.0 * layer_params * s + head + 2.0 * n_layers * attention_dim * (s * s + 2.0 * s * c)
    return v.scalar_or_array(batch * flops)


def decode_flops(matmul_params, n_layers, attention_dim, context_tokens, batch=1):
    """FLOPs of one decode step (one new token per sequence).

    Parameters
    ----------
    matmul_params : array_like
        Parameters in matrix products per token, LM head included. [-]
    n_layers : array_like
        Transformer layers. [-]
    attention_dim : array_like
        Query heads × head dimension. [-]
    context_tokens : array_like
        Tokens attended to (KV cache length). [token]
    batch : array_like, default 1
        Sequences decoded together. [-]

    Returns
    -------
    float or ndarray
        batch·(2·N + 4·L·d_attn·c). [FLOP]

    References
    ----------
    .. [1] J. Kaplan et al., "Scaling laws for neural language models," 2020.
       arXiv:2001.08361
    """
    matmul_params = v.nonnegative(matmul_params, "matmul_params")
    n_layers = v.nonnegative(n_layers, "n_layers")
    attention_dim = v.nonnegative(attention_dim, "attention_dim")
    c = v.nonnegative(context_tokens, "context_tokens")
    batch = v.nonnegative(batch, "batch")
    return v.scalar_or_array(batch * (2.0 * matmul_params + 4.0 * n_layers * attention_dim * c))


def roofline_time(flops, bytes_moved, peak_flops, memory_bandwidth,
                  compute_efficiency=1.0, bandwidth_efficiency=1.0):
    """Time of a kernel limited by compute or by memory traffic.

    Parameters
    ----------
    flops : array_like
        Floating-point operations. [FLOP]
    bytes_moved : array_like
        Bytes read from and written to device memory. [byte]
    peak_flops : array_like
        Peak throughput of the compute unit used. [FLOP s^-1]
    memory_bandwidth : array_like
        Peak memory bandwidth. [byte s^-1]
    compute_efficiency : array_like, default 1
        Achieved fraction of ``peak_flops``, in (0, 1]. [-]
    bandwidth_efficiency : array_like, default 1
        Achieved fraction of ``memory_bandwidth``, in (0, 1]. [-]

    Returns
    -------
    float or ndarray
        max(flops/(peak·η_F), bytes/(bandwidth·η_W)). [s]

    References
    ----------
    .. [1] S. Williams, A. Waterman and D. Patterson, "Roofline: an
       insightful visual performance model for multicore architectures,"
       Commun. ACM 52(4), 2009. doi:10.1145/1498765.1498785
    """
    flops = v.nonnegative(flops, "flops")
    bytes_moved = v.nonnegative(bytes_moved, "bytes_moved")
    peak = v.positive(peak_flops, "peak_flops")
    bw = v.positive(memory_bandwidth, "memory_bandwidth")
    eta_f = v.fraction(compute_efficiency, "compute_efficiency", low_open=True)
    eta_w = v.fraction(bandwidth_efficiency, "bandwidth_efficiency", low_open=True)
    return v.scalar_or_array(np.maximum(flops / (peak * eta_f), bytes_moved / (bw * eta_w)))


def ring_allreduce_time(message_bytes, devices, link_bandwidth, step_latency=0.0):
    """Time of one ring all-reduce across ``devices``.

    Parameters
    ----------
    message_bytes : array_like
        Size of the buffer reduced on every device. [byte]
    devices : array_like
        Devices in the ring (1 means no communication). [-]
    link_bandwidth : array_like
        Per-direction bandwidth between neighbours. [byte s^-1]
    step_latency : array_like, default 0
        Fixed latency of each of the 2(n−1) ring steps. [s]

    Returns
    -------
    float or ndarray
        2(n−1)/n · S / BW + 2(n−1)·α; 0 for one device. [s]

    References
    ----------
    .. [1] P. Patarasuk and X. Yuan, "Bandwidth optimal all-reduce algorithms
       for clusters of workstations," J. Parallel Distrib. Comput. 69(2),
       2009. doi:10.1016/j.jpdc.2008.09.002
    """
    size = v.nonnegative(message_bytes, "message_bytes")
    n = v.integer(devices, "devices", minimum=1)
    bw = v.positive(link_bandwidth, "link_bandwidth")
    alpha = v.nonnegative(step_latency, "step_latency")
    steps = 2.0 * (n - 1.0)
    return v.scalar_or_array(steps / n * size / bw + steps * alpha)


def moe_expected_experts(n_experts, n_active_experts, batch):
    """Expected distinct experts a batch reads in one MoE layer.

    Parameters
    ----------
    n_experts : array_like
        Experts per layer. [-]
    n_active_experts : array_like
        Experts routed per token (top-k). [-]
    batch : array_like
        Tokens routed together. [-]

    Returns
    -------
    float or ndarray
        E·(1 − (1 − k/E)^b), assuming uniform independent routing. [-]

    References
    ----------
    .. [1] W. Fedus, B. Zoph and N. Shazeer, "Switch transformers," JMLR 23,
       2022. arXiv:2101.03961
    """
    e = v.positive(n_experts, "n_experts")
    k = v.nonnegative(n_active_experts, "n_active_experts")
    if (k > e).any():
        raise ValueError("n_active_experts must be <= n_experts")
    b = v.nonnegative(batch, "batch")
    return v.scalar_or_array(e * (1.0 - (1.0 - k / e) ** b))


def diffusion_time(steps, flops_per_step, decoder_flops, peak_flops, compute_efficiency=1.0,
                   vector_flops=math.inf, vector_work=0.0, step_overhead=0.0):
    """Time to generate one batch of images with a latent diffusion model.

    Each denoising step runs the U-Net's matrix work on the matrix units at
    a fraction η of their peak P, plus the non-matrix work (normalisations,
    activations, element-wise steps), which runs on the vector units of
    peak V and is charged as ``vector_work`` times the step's FLOPs at V,
    plus a fixed ``step_overhead`` (kernel launches, scheduler, host
    synchronisation). The VAE decoder runs once per image.

    Parameters
    ----------
    steps : array_like
        Denoising steps. [-]
    flops_per_step : array_like
        U-Net work per step for the whole batch (both evaluations under
        classifier-free guidance). [FLOP]
    decoder_flops : array_like
        VAE decoder work for the whole batch. [FLOP]
    peak_flops : array_like
        Peak of the matrix units at the precision used. [FLOP s^-1]
    compute_efficiency : array_like, default 1
        η, achieved fraction of ``peak_flops``, in (0, 1]. [-]
    vector_flops : array_like, default inf
        V, peak of the vector (non-matrix) units; fp32 FMA rate on GPUs. [FLOP s^-1]
    vector_work : array_like, default 0
        w, non-matrix work per matrix FLOP, in FLOP-equivalents at V. [-]
    step_overhead : array_like, default 0
        Fixed time per denoising step. [s]

    Returns
    -------
    float or ndarray
        steps·(g(F_step) + t_o) + g(F_dec), g(F) = F/(P·η) + w·F/V. [s]

    References
    ----------
    .. [1] R. Rombach et al., "High-resolution image synthesis with latent
       diffusion models," CVPR 2022. arXiv:2112.10752
    """
    steps = v.nonnegative(steps, "steps")
    f_step = v.nonnegative(flops_per_step, "flops_per_step")
    f_dec = v.nonnegative(decoder_flops, "decoder_flops")
    peak = v.positive(peak_flops, "peak_flops")
    eta = v.fraction(compute_efficiency, "compute_efficiency", low_open=True)
    vec = v.positive(vector_flops, "vector_flops")
    w = v.nonnegative(vector_work, "vector_work", allow_inf=False)
    t_o = v.nonnegative(step_overhead, "step_overhead", allow_inf=False)

    def g(flops):
        return flops / (peak * eta) + w * flops / vec
    return v.scalar_or_array(steps * (g(f_step) + t_o) + g(f_dec))


# --------------------------------------------------------- efficiency factors
@dataclass(frozen=True)
class EfficiencyFactors:
    """Calibrated factors of one runtime family on one device group."""
    runtime_family: str
    device_group: str
    compute_efficiency: float      # fraction of peak FLOP/s achieved [-]
    bandwidth_efficiency: float    # fraction of memory bandwidth achieved [-]
    prefill_layer_overhead: float  # fixed time per layer per prefill pass [s]
    decode_layer_overhead: float   # fixed time per layer per decode step [s]
    decode_sequence_overhead: float  # time per layer per sequence of the batch in a decode step [s]
    allreduce_latency: float       # fixed latency of one tensor-parallel all-reduce [s]
    overlap_exponent: float        # p of the p-norm joining compute and memory time [-]
    expert_efficiency: float       # mixture-of-experts GEMMs relative to dense ones [-]
    fitted_on: str                 # validation case ids used by the fit
    source: str


DEVICE_GROUPS = {
    "datacenter_gpu": "datacenter_gpu", "edge_server_gpu": "datacenter_gpu",
    "consumer_gpu": "consumer_gpu", "edge_soc": "edge_soc",
    "laptop_soc": "laptop_desktop_soc", "desktop_soc": "laptop_desktop_soc",
    "phone_soc": "phone_soc",
}
"""Device class → calibration group: classes in one group share efficiency
factors (the memory systems of laptop and desktop SoCs are alike)."""


class UnknownRuntimeWarning(UserWarning):
    """The runtime is not in the catalog: documented default factors are used."""


def device_group(device_class: str) -> str:
    """Calibration group of a device class (see :data:`DEVICE_GROUPS`)."""
    try:
        return DEVICE_GROUPS[device_class]
    except KeyError:
        raise ValueError(f"device_class must be one of {sorted(DEVICE_GROUPS)}, got {device_class!r}") from None


@functools.cache
def _calibration_table() -> dict:
    table = {}
    for r in catalog.read_csv("calibration.csv"):
        f = EfficiencyFactors(
            runtime_family=r["runtime_family"], device_group=r["device_group"],
            compute_efficiency=float(r["compute_efficiency"]),
            bandwidth_efficiency=float(r["bandwidth_efficiency"]),
            prefill_layer_overhead=float(r["prefill_layer_overhead_s"]),
            decode_layer_overhead=float(r["decode_layer_overhead_s"]),
            decode_sequence_overhead=float(r["decode_sequence_overhead_s"]),
            allreduce_latency=float(r["allreduce_latency_s"]),
            overlap_exponent=float(r["overlap_exponent"]),
            expert_efficiency=float(r["expert_efficiency"]),
            fitted_on=r["fitted_on"], source=r["source"])
        table[(f.runtime_family, f.device_group)] = f
    return table


def resolve_runtime(runtime) -> catalog.Runtime:
    """The catalog runtime, or for an unknown id a runtime of the ``default`` family.

    Unknown runtimes are not an error: they get the default factors of the
    device group, and :func:`estimate` warns which ones.
    """
    try:
        return catalog.runtime(runtime)
    except catalog.CatalogKeyError:
        return catalog.Runtime(id=str(runtime), family="default", accelerator="gpu",
                               quantized_prefill="native", attention="fused", known=False,
                               description="not in the catalog: default factors", source="")


def efficiency_factors(runtime="default", device_class="datacenter_gpu") -> EfficiencyFactors:
    """Calibrated factors for a runtime on a device class.

    The runtime's family (``tensorrt``, ``llama.cpp``, ``vllm`` ...) is looked
    up in ``data/runtimes.csv``. A family without its own calibration
    (too few rows), and an unknown runtime, get the ``default`` factors of the
    device group: the group's fit with no runtime adjustment.
    """
    family = resolve_runtime(runtime).family
    group = device_group(device_class)
    table = _calibration_table()
    return table.get((family, group)) or table[("default", group)]


@dataclass(frozen=True)
class DiffusionFactors:
    """Calibrated factors of :func:`diffusion_time` for one runtime family."""
    runtime_family: str
    compute_efficiency: float   # η, fraction of the matrix peak [-]
    vector_work: float          # w, non-matrix work per matrix FLOP at the vector peak [-]
    step_overhead: float        # fixed time per denoising step [s]
    fitted_on: str              # diffusion validation case ids used by the fit
    source: str


@functools.cache
def _diffusion_calibration_table() -> dict:
    return {r["runtime_family"]: DiffusionFactors(
        runtime_family=r["runtime_family"], compute_efficiency=float(r["compute_efficiency"]),
        vector_work=float(r["vector_work"]), step_overhead=float(r["step_overhead_s"]),
        fitted_on=r["fitted_on"], source=r["source"])
        for r in catalog.read_csv("diffusion_calibration.csv")}


def diffusion_factors(runtime="default") -> DiffusionFactors:
    """Calibrated diffusion factors of a runtime's family (``default`` without its own fit)."""
    table = _diffusion_calibration_table()
    return table.get(resolve_runtime(runtime).family) or table["default"]


def transformer_denoiser_factors(runtime="default", device_class="datacenter_gpu") -> DiffusionFactors:
    """Diffusion factors of a transformer denoiser (DiT): the LLM calibration's matrix efficiency.

    A DiT step is a transformer forward pass over thousands of latent
    tokens, the work an LLM prefill does, so it runs at the compute
    efficiency η that :func:`efficiency_factors` fits on measured prefill
    times of the device group; that η already absorbs the passes'
    normalisations, softmax and activations, so no separate vector work is
    charged. The fixed time per step (scheduler, launches, host
    synchronisation) is the runtime's image fit, taken as independent of
    the denoiser. No video measurement enters either factor.
    """
    llm = efficiency_factors(runtime, device_class)
    image = diffusion_factors(runtime)
    return DiffusionFactors(
        runtime_family=llm.runtime_family, compute_efficiency=llm.compute_efficiency, vector_work=0.0,
        step_overhead=image.step_overhead,
        fitted_on=f"compute efficiency: {llm.fitted_on}; step overhead: {image.fitted_on}",
        source=f"LLM prefill calibration ({llm.device_group}) and the image diffusion fit ({image.runtime_family})")


def diffusion_estimate(model, hardware, precision, runtime, devices=1, steps=25, batch=1,
                       guidance=None, factors: DiffusionFactors | None = None):
    """Time for one batch of images of a catalog diffusion model on catalog hardware.

    Parameters
    ----------
    model, hardware, precision, runtime : str
        Catalog ids (an unknown runtime gets the ``default`` factors).
    devices : array_like, default 1
        Devices sharing the work (data parallel across the batch). [-]
    steps : array_like, default 25
        Denoising steps. [-]
    batch : array_like, default 1
        Images generated together. [-]
    guidance : bool, optional
        Classifier-free guidance (two U-Net evaluations per step); default
        the model's own setting. [-]
    factors : DiffusionFactors, optional
        Overrides the calibrated factors (used by the calibration itself).
        By default a U-Net gets its runtime family's image fit
        (:func:`diffusion_factors`) and a transformer denoiser
        :func:`transformer_denoiser_factors`.

    Returns
    -------
    float or ndarray
        Time to the batch's images. [s]
    """
    dm = catalog.diffusion_model(model)
    hw = catalog.hardware(hardware)
    prec = catalog.precision(precision)
    rt = resolve_runtime(runtime)
    if factors is not None:
        f = factors
    elif dm.denoiser == "transformer":
        f = transformer_denoiser_factors(runtime, hw.device_class)
    else:
        f = diffusion_factors(runtime)
    peak, vector = hw.peak(prec.compute_peak), hw.peak_fp32
    if rt.accelerator == "npu" and not math.isnan(hw.peak_npu):
        peak = vector = hw.peak_npu
    if math.isnan(vector):
        vector = peak
    evals = dm.evals_per_step if guidance is None else (2 if guidance else 1)
    n = v.positive(devices, "devices", allow_inf=False)
    b = v.positive(batch, "batch", allow_inf=False)
    return diffusion_time(steps, b * evals * dm.flops_per_eval, b * dm.vae_decoder_flops, peak * n,
                          f.compute_efficiency, vector * n, f.vector_work, f.step_overhead)


# ------------------------------------------------------------ pass timing
@dataclass(frozen=True)
class PassWork:
    """What one forward pass does on each of the tensor-parallel devices.

    Times are at 100 % of the peak and of the bandwidth; :func:`pass_time`
    applies the efficiencies and overheads.
    """
    compute_s: object      # FLOPs per device / peak [s]
    expert_compute_s: object  # the part of compute_s in mixture-of-experts GEMMs [s]
    memory_s: object       # bytes per device / memory bandwidth [s]
    layers: object         # transformer layers (per-layer overheads) [-]
    sequences: object      # sequences in the batch (per-sequence overheads) [-]
    allreduces: object     # all-reduces in the pass (0 without tensor parallelism) [-]
    transfer_s: object     # bandwidth part of all the all-reduces [s]
    unfused_s: object      # traffic of unfused steps (attention scores, dequantized weights) / bandwidth [s]
    flops: object          # whole pass, all devices [FLOP]
    bytes: object          # whole pass, all devices [byte]


def pass_time(work: PassWork, factors: EfficiencyFactors, layer_overhead, sequence_overhead=0.0):
    """Time of one pass: a p-norm roofline plus overheads and communication.

    .. math::

        t = \\left[(t_F/\\eta_F)^p + (t_W/\\eta_W)^p\\right]^{1/p}
            + t_S/\\eta_W + L\\,(t_\\ell + B\\,t_{seq}) + n_{AR}\\,t_{AR} + t_{xfer}

    p → ∞ is the ideal roofline (compute and memory traffic fully
    overlapped), p = 1 no overlap; the calibration fits one p. Expert GEMMs
    of mixture-of-experts layers (each expert gets a slice of the tokens)
    run at a further fraction η_E of the dense compute efficiency. The traffic
    t_S of unfused steps (attention scores, weights dequantized to fp16) runs
    between the matrix multiplications, so it adds rather than overlaps. Each
    of the B sequences of a decode step costs a fixed t_seq per layer beyond its
    bytes and FLOPs (its own attention kernel work, sampling and batch
    bookkeeping); measured throughput at batch 64–1024 needs it, batch-1
    latency does not. Factor fields
    may be arrays (one per pass) as well as floats. [s]
    """
    p = factors.overlap_exponent
    dense_s = work.compute_s - work.expert_compute_s
    a = (dense_s + work.expert_compute_s / factors.expert_efficiency) / factors.compute_efficiency
    b = work.memory_s / factors.bandwidth_efficiency
    top = np.maximum(a, b)
    roof = top * (1.0 + (np.minimum(a, b) / np.where(top > 0, top, 1.0)) ** p) ** (1.0 / p)
    return (roof + work.unfused_s / factors.bandwidth_efficiency
            + work.layers * (layer_overhead + work.sequences * sequence_overhead)
            + work.allreduces * factors.allreduce_latency + work.transfer_s)


# ------------------------------------------------------------------ estimate
@dataclass(frozen=True)
class ComputeEstimate:
    """Compute-only latency of serving one request batch on one device group.

    Times exclude network and queueing. Array fields broadcast over the
    numeric inputs of :func:`estimate`.
    """
    model: str
    hardware: str
    precision: str
    runtime: str
    kv_precision: str
    devices: object
    batch: object
    prefill_s: object             # prefill pass, prompt → first token [s]
    ttft_s: object                # compute time to first token (= prefill_s) [s]
    tpot_s: object                # time per output token at the mean context [s]
    decode_tokens_per_s: object   # tokens per second over the batch, batch/TPOT [token s^-1]
    e2e_s: object                 # prefill + (output_tokens − 1)·TPOT [s]
    prefill_flops: object         # prefill pass, all devices [FLOP]
    prefill_bytes: object         # bytes the prefill pass reads and writes, all devices [byte]
    decode_flops: object          # one decode step, all devices [FLOP]
    decode_bytes: object          # bytes one decode step reads, all devices [byte]
    weights_bytes: object         # all weights [byte]
    kv_cache_bytes: object        # KV cache at prompt + output tokens, whole batch [byte]
    memory_required_bytes: object  # weights + KV cache [byte]
    memory_capacity_bytes: object  # devices × device memory [byte]
    fits_in_memory: object        # required ≤ capacity [bool]
    bound: object                 # decode limited by 'compute' or 'memory'
    prefill_bound: object         # prefill limited by 'compute' or 'memory'
    factors: EfficiencyFactors
    prefill_flop_utilization: object = 0.0       # prefill FLOPs per device / (peak x prefill_s) [-]
    prefill_bandwidth_utilization: object = 0.0  # prefill bytes per device / (bandwidth x prefill_s) [-]
    decode_flop_utilization: object = 0.0        # decode step, the same share of the peak [-]
    decode_bandwidth_utilization: object = 0.0   # decode step, the same share of the bandwidth [-]

    def to_dict(self) -> dict:
        """JSON-friendly dict (arrays become lists)."""
        out = {}
        for key, value in self.__dict__.items():
            if key == "factors":
                value = dict(value.__dict__)
            elif isinstance(value, np.ndarray):
                value = value.tolist()
            elif isinstance(value, np.generic):
                value = value.item()
            out[key] = value
        return out


def _label(is_compute):
    lab = np.where(is_compute, "compute", "memory")
    return str(lab) if lab.ndim == 0 else lab


def pass_work(model, hardware, precision="fp16", runtime="default", devices=1, batch=1,
              prompt_tokens=512, context_tokens=512.0, kv_precision="fp16"):
    """Work of the prefill pass and of one decode step: ``(prefill, decode)`` :class:`PassWork`.

    Prefill reads the weights once (MoE: the experts that the prompt's
    tokens touch) and writes the prompt's KV cache; a decode step reads the
    layer weights (MoE: the expected distinct experts the batch touches), the
    LM head and the KV cache. An untied input embedding is a table lookup:
    only the batch's rows are read, which is negligible, so it is not
    counted. Each layer has two all-reduces of the batch's activations
    (after attention and after the FFN) when ``devices`` > 1 [1]_.

    Parameters are those of :func:`estimate`; ``context_tokens`` is the KV
    length the decode step attends to. [token]

    References
    ----------
    .. [1] M. Shoeybi et al., "Megatron-LM: training multi-billion parameter
       language models using model parallelism," 2019. arXiv:1909.08053
    """
    m, hw, prec, rt = (catalog.model(model), catalog.hardware(hardware),
                       catalog.precision(precision), resolve_runtime(runtime))
    kv_bits = catalog.precision(kv_precision).bits_per_weight
    n, b, s, ctx = (np.asarray(x, dtype=float) for x in (devices, batch, prompt_tokens, context_tokens))
    bpw = prec.bits_per_weight
    lm_head = m.vocab * m.d_model
    attn_dim = m.n_heads * m.head_dim
    kv_per_token = kv_cache_bytes(m.n_layers, m.n_kv_heads, m.head_dim, 1.0, 1.0, kv_bits)
    shared_per_layer = m.attention_params_per_layer

    def weight_params(tokens):
        experts = moe_expected_experts(m.n_experts, m.n_active_experts, tokens)
        return m.n_layers * (shared_per_layer + experts * m.expert_params) + lm_head

    peak = hw.peak(prec.compute_peak)
    if rt.accelerator == "npu" and not math.isnan(hw.peak_npu):
        peak = hw.peak_npu
    weight_only = bpw < prec.activation_bits
    layer_params = m.matmul_params_per_token - lm_head

    def expert_flops(tokens):
        return 2.0 * m.n_layers * m.n_active_experts * m.expert_params * tokens if m.n_experts > 1 else 0.0 * tokens

    def work(flops, params_read, extra_bytes, tokens, dequant_ops, unfused_bytes, moe_flops):
        allreduces = np.where(n > 1, 2.0 * m.n_layers, 0.0)
        message = b * tokens * m.d_model * ALLREDUCE_BITS / 8.0
        link = hw.interconnect_bandwidth if n.max() > 1 else 1.0
        transfer = allreduces * ring_allreduce_time(message, n, link)
        bytes_moved = params_read * bpw / 8.0 + extra_bytes
        return PassWork(compute_s=(flops / peak + dequant_ops / hw.peak_fp32) / n,
                        expert_compute_s=moe_flops / peak / n,
                        memory_s=bytes_moved / n / hw.memory_bandwidth,
                        layers=float(m.n_layers), sequences=b * 1.0, allreduces=allreduces, transfer_s=transfer,
                        unfused_s=unfused_bytes / n / hw.memory_bandwidth, flops=flops, bytes=bytes_moved)

    unfused = rt.attention == "unfused"
    prompt_tokens_total = b * np.maximum(s, 1)
    prefill_params = weight_params(prompt_tokens_total)
    prefill_unfused = (m.n_layers * m.n_heads * b * s * (s + UNFUSED_UBATCH) / 2.0 * UNFUSED_SCORE_BYTES
                       if unfused else 0.0 * b)
    if weight_only and rt.quantized_prefill == "dequantize":
        micro_batches = np.ceil(prompt_tokens_total / UNFUSED_UBATCH)
        prefill_unfused = prefill_unfused + micro_batches * prefill_params * DEQUANTIZED_BYTES
    pf = prefill_flops(layer_params, lm_head, m.n_layers, attn_dim, s, 0.0, b)
    prefill = work(pf, prefill_params, b * s * kv_per_token, s, 0.0 * b, prefill_unfused,
                   expert_flops(b * s))
    df = decode_flops(m.matmul_params_per_token, m.n_layers, attn_dim, ctx, b)
    decode_params = weight_params(b)
    decode = work(df, decode_params, b * ctx * kv_per_token, 1.0,
                  DEQUANT_OPS_PER_WEIGHT * decode_params if weight_only else 0.0 * b,
                  m.n_layers * m.n_heads * b * ctx * UNFUSED_SCORE_BYTES if unfused else 0.0 * b,
                  expert_flops(b))
    return prefill, decode


def estimate(model, hardware, precision="fp16", runtime="default", devices=1, batch=1,
             prompt_tokens=512, output_tokens=128, context_tokens=None, kv_precision="fp16",
             factors: EfficiencyFactors | None = None, warn=True) -> ComputeEstimate:
    """Estimate prefill, TTFT, TPOT and memory fit of an LLM on accelerators.

    Parameters
    ----------
    model : str or catalog.LLM
        Model id (``llama-3.1-8b``) or architecture.
    hardware : str or catalog.Accelerator
        Accelerator id (``h100-sxm5-80gb``).
    precision : str, default 'fp16'
        Weight precision id (``fp16``, ``fp8``, ``int8``, ``w4a16``, ``q4_0`` ...).
    runtime : str, default 'default'
        Runtime id; selects calibrated efficiency factors. An id not in the
        catalog gets the device group's default factors with an
        :class:`UnknownRuntimeWarning`.
    devices : array_like, default 1
        Tensor-parallel devices (weights and KV cache sharded evenly). [-]
    batch : array_like, default 1
        Sequences processed together. [-]
    prompt_tokens : array_like, default 512
        Prompt length. [token]
    output_tokens : array_like, default 128
        Generated tokens, ≥ 1; prompt + output − 1 must fit the model's
        context window (the last token is never fed back). [token]
    context_tokens : array_like, optional
        KV-cache length at which TPOT is evaluated; default the mean over the
        generation, prompt + output/2. [token]
    kv_precision : str, default 'fp16'
        Number format of the KV cache (``fp16``, ``fp8``, ``int8``): FP8 KV is
        the default of TensorRT-LLM FP8 deployments.
    factors : EfficiencyFactors, optional
        Override the calibrated factors (used by the calibration itself).
    warn : bool, default True
        Emit :class:`MemoryWarning` when the model does not fit.

    Returns
    -------
    ComputeEstimate
        Times [s], sizes [byte], rate [token s^-1], flags.

    Notes
    -----
    See :func:`pass_work` for what each pass reads and computes and
    :func:`pass_time` for how it becomes time.

    References
    ----------
    .. [1] R. Pope et al., "Efficiently scaling transformer inference," MLSys
       2023. arXiv:2211.05102
    """
    m = catalog.model(model)
    hw = catalog.hardware(hardware)
    prec = catalog.precision(precision)
    kv_prec = catalog.precision(kv_precision)
    rt = resolve_runtime(runtime)
    f = factors or efficiency_factors(rt.id, hw.device_class)
    if not rt.known and factors is None:
        warnings.warn(
            f"runtime {rt.id!r} is not in the catalog (see `genai-edge catalog runtimes`): using the "
            f"default factors of {f.device_group} devices: compute efficiency {f.compute_efficiency:.2f}, "
            f"bandwidth efficiency {f.bandwidth_efficiency:.2f}, per-layer overhead "
            f"{f.decode_layer_overhead * 1e6:.0f} us (decode) and {f.prefill_layer_overhead * 1e6:.0f} us "
            "(prefill)", UnknownRuntimeWarning, stacklevel=2)

    n = v.integer(devices, "devices", minimum=1)
    b = v.integer(batch, "batch", minimum=1)
    s = v.integer(prompt_tokens, "prompt_tokens", minimum=0)
    out = v.integer(output_tokens, "output_tokens", minimum=1)
    ctx = s + out / 2.0 if context_tokens is None else v.nonnegative(context_tokens, "context_tokens")
    if n.max() > 1 and math.isnan(hw.interconnect_bandwidth):
        raise ValueError(f"devices must be 1 for {hw.id}: it has no device interconnect in the catalog")
    needed = s + out - 1.0
    if needed.max() > m.max_context:
        raise ValueError(
            f"prompt_tokens + output_tokens - 1 = {int(needed.max())} exceeds the context window of "
            f"{m.id}, {m.max_context} tokens")

    prefill, decode = pass_work(m, hw, prec, rt, n, b, s, ctx, kv_prec)
    prefill_s = pass_time(prefill, f, f.prefill_layer_overhead)
    tpot = pass_time(decode, f, f.decode_layer_overhead, f.decode_sequence_overhead)

    kv_per_token = kv_cache_bytes(m.n_layers, m.n_kv_heads, m.head_dim, 1.0, 1.0, kv_prec.bits_per_weight)
    w_total = weights_bytes(m.params_from_architecture, prec.bits_per_weight)
    kv_total = b * (s + out) * kv_per_token
    required = w_total + kv_total
    capacity = n * hw.memory
    fits = required <= capacity
    if warn and not np.all(fits):
        short = np.max(required - capacity) / 1e9
        warnings.warn(
            f"{m.id} at {prec.id} needs {np.max(required) / 1e9:.1f} GB (weights + KV cache) but "
            f"{int(n.min())} x {hw.id} hold {hw.memory * n.min() / 1e9:.0f} GB: short by {short:.1f} GB; "
            "times assume it fits", MemoryWarning, stacklevel=2)

    sa = v.scalar_or_array
    return ComputeEstimate(
        model=m.id, hardware=hw.id, precision=prec.id, runtime=rt.id, kv_precision=kv_prec.id,
        devices=int(n) if n.ndim == 0 else n, batch=int(b) if b.ndim == 0 else b,
        prefill_s=sa(prefill_s), ttft_s=sa(prefill_s), tpot_s=sa(tpot),
        decode_tokens_per_s=sa(b / tpot), e2e_s=sa(prefill_s + (out - 1.0) * tpot),
        prefill_flops=sa(prefill.flops + 0.0 * prefill_s), prefill_bytes=sa(prefill.bytes + 0.0 * prefill_s),
        decode_flops=sa(decode.flops + 0.0 * tpot), decode_bytes=sa(decode.bytes + 0.0 * tpot),
        weights_bytes=sa(w_total), kv_cache_bytes=sa(kv_total),
        memory_required_bytes=sa(required), memory_capacity_bytes=sa(capacity),
        fits_in_memory=bool(fits) if np.ndim(fits) == 0 else fits,
        bound=_label(decode.compute_s / f.compute_efficiency > decode.memory_s / f.bandwidth_efficiency),
        prefill_bound=_label(prefill.compute_s / f.compute_efficiency
                             > prefill.memory_s / f.bandwidth_efficiency),
        factors=f,
        prefill_flop_utilization=sa(_share(prefill.compute_s, prefill_s)),
        prefill_bandwidth_utilization=sa(_share(prefill.memory_s, prefill_s)),
        decode_flop_utilization=sa(_share(decode.compute_s, tpot)),
        decode_bandwidth_utilization=sa(_share(decode.memory_s, tpot)))


def _share(ideal_s, actual_s):
    """Ideal time at 100 % of a peak over the modelled time: the share of that peak in use. [-]"""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(actual_s > 0, ideal_s / np.where(actual_s > 0, actual_s, 1.0), 0.0)


def decode_ridge_batch(weight_bytes, kv_bytes_per_sequence, flops_per_sequence, peak_flops, memory_bandwidth,
                       compute_efficiency=1.0, bandwidth_efficiency=1.0):
    """Batch at which a decode step turns from memory-bound to compute-bound (the roofline ridge).

    Parameters
    ----------
    weight_bytes : array_like
        Weight bytes read once per decode step, whatever the batch. [byte]
    kv_bytes_per_sequence : array_like
        KV-cache bytes read per sequence per step. [byte]
    flops_per_sequence : array_like
        FLOPs of one decode step of one sequence. [FLOP]
    peak_flops : array_like
        Peak throughput of the compute unit used. [FLOP s^-1]
    memory_bandwidth : array_like
        Peak memory bandwidth. [byte s^-1]
    compute_efficiency : array_like, default 1
        Achieved fraction of ``peak_flops``, in (0, 1]. [-]
    bandwidth_efficiency : array_like, default 1
        Achieved fraction of ``memory_bandwidth``, in (0, 1]. [-]

    Returns
    -------
    float or ndarray
        Batch b* (a real number; round up for whole sequences) at which the
        compute and memory terms of :func:`roofline_time` are equal;
        ``inf`` where a sequence's arithmetic intensity f/K does not exceed
        the machine balance P·η_F/(BW·η_W), so that every batch is
        memory-bound. [-]

    Notes
    -----
    A step of batch b does b·f FLOPs and moves W_b + b·K bytes; setting
    b·f/(P·η_F) = (W_b + b·K)/(BW·η_W) gives

    .. math:: b^* = \\frac{W_b\\,P\\,\\eta_F}{f\\,BW\\,\\eta_W - K\\,P\\,\\eta_F}

    for a positive denominator [1]_. Below b* the step takes the memory
    time, above it the compute time.

    References
    ----------
    .. [1] S. Williams, A. Waterman and D. Patterson, "Roofline: an
       insightful visual performance model for multicore architectures,"
       Commun. ACM 52(4), 2009. doi:10.1145/1498765.1498785

    Examples
    --------
    >>> decode_ridge_batch(14e9, 0.0, 14e9, 1e15, 2e12)  # P/W = 500 FLOP/byte, f/W_b = 1
    500.0
    """
    w = v.nonnegative(weight_bytes, "weight_bytes", allow_inf=False)
    k = v.nonnegative(kv_bytes_per_sequence, "kv_bytes_per_sequence", allow_inf=False)
    f = v.nonnegative(flops_per_sequence, "flops_per_sequence", allow_inf=False)
    peak = v.positive(peak_flops, "peak_flops", allow_inf=False)
    bw = v.positive(memory_bandwidth, "memory_bandwidth", allow_inf=False)
    eta_f = v.fraction(compute_efficiency, "compute_efficiency", low_open=True)
    eta_w = v.fraction(bandwidth_efficiency, "bandwidth_efficiency", low_open=True)
    w, k, f, peak, bw, eta_f, eta_w = v.broadcast(
        ("weight_bytes", w), ("kv_bytes_per_sequence", k), ("flops_per_sequence", f), ("peak_flops", peak),
        ("memory_bandwidth", bw), ("compute_efficiency", eta_f), ("bandwidth_efficiency", eta_w))
    with np.errstate(all="ignore"):
        balance = peak * eta_f / (bw * eta_w)  # machine balance [FLOP byte^-1]
        gap = f / balance - k  # bytes per sequence below the intensity of the ridge [byte]
        b = np.where(gap > 0, w / np.where(gap > 0, gap, 1.0), np.inf)
    return v.scalar_or_array(b)
