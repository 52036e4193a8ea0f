"""Personalization cost: the compute, time and energy of adapting a model where it runs.

A fine-tuning job on D tokens of a model with N parameters costs, per token,
a forward pass (2·N FLOP, two per multiply-accumulate) and a backward pass
of twice that [1]_, "since we need to calculate the gradients with respect to
both input and weight tensors" [2]_: 2·N for the activation gradients
(which carry the error to the layer below) and 2·N for the weight gradients
(needed only for weights that train). Hence

============================  =========================================
full fine-tuning              6·N·D
LoRA / any frozen base        4·N·D + 6·N_a·D   (N_a adapter parameters)
gradient checkpointing        + 2·(N + N_a)·D   (the forward pass again [2]_)
attention (no weights)        + 3·A·D, A = 2·n_layer·n_ctx·d_attn (+ A·D recomputed)
validation passes             + (2·(N + N_a) + A)·D_eval (forward only)
============================  =========================================

The 6·N·D rule is Kaplan et al. [1]_ (Section 2.1). That a frozen weight
skips its weight-gradient product is stated by the LoRA paper [3]_ ("we do
not need to calculate the gradient for the vast majority of the parameters";
a 25 % speed-up on GPT-3 175B) and by QLoRA [5]_ ("we dequantize the storage
data type to the computation data type to perform the forward and backward
pass, but we only compute weight gradients for the LoRA parameters"), so a
4-bit base costs the FLOP of a bf16 one. NVIDIA's NeMo performance tables
count LoRA at 4·N FLOP per token against 6·N for full fine-tuning (their
"Model TFLOP/s" column is 4·N or 6·N times the tokens per second they report)
[4]_. The attention term is Kaplan's forward count 2·n_layer·n_ctx·d_attn
(the house convention of :func:`genai_edge.scaling.inference_flops_per_token`;
Narayanan et al. [2]_ count QKᵀ and the value product apart, twice this)
with the same 1 + 2 split; it has no weights, so LoRA and full fine-tuning
pay it alike. Optimizer updates (O(N_a) or O(N) per step, not per token)
are left out.

Time is FLOP / (devices × MFU × peak) and energy is that time at the
accelerators' full-load power, carried to a boundary with
:func:`genai_edge.energy.boundary_energy`. :data:`DEFAULT_MFU` is derived from
one published throughput, the NeMo Llama 2 70B LoRA row on H100 [4]_;
``data/finetune_validation.csv`` holds it (``fit = 1``) and the held-out
measurements it is checked against: MLPerf Training v4.0 Llama 2 70B LoRA
runs (time and node energy) [6]_ and LoRA-to-full throughput ratios [3]_ [4]_.
:func:`validation_table` reports every row's error.

References
----------
.. [1] J. Kaplan et al., "Scaling laws for neural language models," 2020,
   Section 2.1 and Table 1. arXiv:2001.08361
.. [2] D. Narayanan et al., "Efficient large-scale language model training on
   GPU clusters using Megatron-LM," SC '21, Appendix (FLOPs calculation).
   doi:10.1145/3458817.3476209, arXiv:2104.04473
.. [3] E. J. Hu et al., "LoRA: low-rank adaptation of large language models,"
   ICLR 2022, Section 4.2 and footnote 5. arXiv:2106.09685
.. [4] NVIDIA, NeMo Framework User Guide 24.09/24.12, "Performance summary",
   fine-tuning table (Llama 2, SQuAD packed to 4096 tokens, FP8).
   https://docs.nvidia.com/nemo-framework/user-guide/24.12/nemotoolkit/performance/performance_summary.html
.. [5] T. Dettmers et al., "QLoRA: efficient finetuning of quantized LLMs,"
   NeurIPS 2023, Section 3. arXiv:2305.14314
.. [6] MLCommons, MLPerf Training v4.0 results, Llama 2 70B LoRA (GovReport,
   8,192-token sequences, target eval loss 0.925), 2024.
   https://github.com/mlcommons/training_results_v4.0
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from . import _validate as v
from . import catalog, energy

__all__ = ["METHODS", "DEFAULT_MFU", "QUANTITIES", "finetune_flops", "finetune_time", "finetune_energy_j",
           "RefreshCost", "adapter_refresh_cost_per_request", "validation_cases", "validation_table"]

METHODS = ("full", "lora")
"""``full``: every weight trains; ``lora``: the base is frozen, ``trainable_params`` adapters train."""

DEFAULT_MFU = 0.387
"""Model FLOP utilization of a tuned LoRA run: NeMo's Llama 2 70B LoRA row on
8 H100 at FP8 (2,621 tokens per second per GPU, 4,096-token packed sequences)
[4]_ under this module's accounting, (4·N + 6·n_layer·n_ctx·d_attn) × 2,621 /
1,979 TFLOP/s = 0.387. The fit row of ``data/finetune_validation.csv``. On
other hardware and software stacks it is an ASSUMPTION (an optimistic one for
phones and modules, whose training software is less tuned than NeMo on H100).
"""

QUANTITIES = {
    "time_s": "wall-clock time of the job [s]",
    "energy_j": "energy of the job at the row's boundary [J]",
    "tokens_per_s_per_device": "training tokens per second per accelerator [token s^-1]",
    "time_ratio_lora_full": "time of LoRA over time of full fine-tuning, same tokens and hardware [-]",
}


def finetune_flops(n_params, n_tokens, method: str = "lora", trainable_params=0.0, recompute: bool = False,
                   n_layers=0, context_tokens=0, attention_dim=0, eval_tokens=0):
    """Fine-tuning compute of a dense transformer. [FLOP]

    Parameters
    ----------
    n_params : array_like
        Parameters of the model being adapted (the frozen base for ``lora``), >= 0. [-]
    n_tokens : array_like
        Training tokens processed, epochs included, >= 0. [token]
    method : {'lora', 'full'}
        ``full`` trains every weight (6·N per token); ``lora`` freezes the base
        and trains ``trainable_params`` adapter weights (4·N + 6·N_a per token).
    trainable_params : array_like, default 0
        Adapter parameters N_a for ``lora`` (must be 0 for ``full``, where
        every parameter already trains), >= 0. [-]
    recompute : bool, default False
        Gradient (activation) checkpointing: the forward pass runs again
        during the backward pass, + 2·(N + N_a) per token (and the attention
        forward once more).
    n_layers, context_tokens, attention_dim : array_like, default 0
        Layers, training sequence length n_ctx [token] and attention width
        d_attn (query heads × head dimension) for Kaplan's attention term;
        any of them 0 leaves it out. [-]
    eval_tokens : array_like, default 0
        Tokens of validation passes run during the job, forward only. [token]

    Returns
    -------
    float or ndarray
        Compute of the job. [FLOP]

    Notes
    -----
    Per training token, with A = 2·n_layer·n_ctx·d_attn the attention forward:

    full: 6·N + 3·A;  lora: 4·N + 6·N_a + 3·A;  recompute adds 2·(N + N_a) + A;
    each validation token costs 2·(N + N_a) + A.

    Examples
    --------
    >>> finetune_flops(7e9, 1e6, method="full")      # 6·N·D
    4.2e+16
    >>> finetune_flops(7e9, 1e6, method="lora")      # 4·N·D, adapters negligible
    2.8e+16
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if not isinstance(recompute, (bool, np.bool_)):
        raise ValueError(f"recompute must be True or False, got {recompute!r}")
    n, d, na, layers, ctx, dattn, de = v.broadcast(
        ("n_params", v.nonnegative(n_params, "n_params", allow_inf=False)),
        ("n_tokens", v.nonnegative(n_tokens, "n_tokens", allow_inf=False)),
        ("trainable_params", v.nonnegative(trainable_params, "trainable_params", allow_inf=False)),
        ("n_layers", v.nonnegative(n_layers, "n_layers", allow_inf=False)),
        ("context_tokens", v.nonnegative(context_tokens, "context_tokens", allow_inf=False)),
        ("attention_dim", v.nonnegative(attention_dim, "attention_dim", allow_inf=False)),
        ("eval_tokens", v.nonnegative(eval_tokens, "eval_tokens", allow_inf=False)))
    if method == "full" and np.any(na > 0):
        raise ValueError("trainable_params applies to method='lora'; with method='full' every one of n_params "
                         "trains already: leave trainable_params at 0")
    attn = 2.0 * layers * ctx * dattn                      # attention forward per token [FLOP]
    if method == "full":
        per_token = 6.0 * n + 3.0 * attn
    else:
        per_token = 4.0 * n + 6.0 * na + 3.0 * attn
    if recompute:
        per_token = per_token + 2.0 * (n + na) + attn
    eval_per_token = 2.0 * (n + na) + attn
    return v.scalar_or_array(per_token * d + eval_per_token * de)


def _peak(hardware, precision: str) -> tuple[catalog.Accelerator, float]:
    hw = catalog.hardware(hardware)
    peak = hw.peak(catalog.precision(precision).compute_peak)
    if not peak > 0:
        raise ValueError(f"hardware {hw.id} has no {precision} peak in the catalog; choose another precision")
    return hw, peak


def finetune_time(flops, hardware, precision: str = "bf16", devices=1, mfu=DEFAULT_MFU):
    """Wall-clock time of a fine-tuning job: FLOP / (devices × MFU × peak). [s]

    Parameters
    ----------
    flops : array_like
        Compute of the job (:func:`finetune_flops`), >= 0. [FLOP]
    hardware : str or Accelerator
        Catalog hardware id (``'h100-sxm5-80gb'``, ``'jetson-agx-orin-64gb'``,
        ``'snapdragon-8-elite'`` ...).
    precision : str, default 'bf16'
        Catalog precision of the matrix products; its compute column picks
        the peak (fp8 falls back to bf16 on hardware without FP8 units).
    devices : array_like, default 1
        Accelerators sharing the job, whole number >= 1. [-]
    mfu : array_like, default :data:`DEFAULT_MFU`
        Model FLOP utilization in (0, 1]. [-]

    Returns
    -------
    float or ndarray
        Time. [s]

    Examples
    --------
    >>> round(finetune_time(1.979e15 * 0.387 * 8 * 100, "h100-sxm5-80gb", "fp8", devices=8), 6)
    100.0
    """
    f = v.nonnegative(flops, "flops", allow_inf=False)
    n = v.integer(devices, "devices", minimum=1)
    u = v.fraction(mfu, "mfu", low_open=True)
    _, peak = _peak(hardware, precision)
    f, n, u = v.broadcast(("flops", f), ("devices", n), ("mfu", u))
    return v.scalar_or_array(f / (n * u * peak))


def finetune_energy_j(flops, hardware, precision: str = "bf16", devices=1, mfu=DEFAULT_MFU,
                      boundary: str = "gpu", pue=None):
    """Energy of a fine-tuning job at a boundary. [J]

    The accelerators draw their full-load power (catalog ``power_max``) for
    the job's time (ASSUMPTION: a compute-bound job; idle and host draw are
    added by the boundary): devices × power × time, which equals
    FLOP / (MFU × peak) × power (:func:`genai_edge.energy.training_flops_energy_j`),
    then :func:`genai_edge.energy.boundary_energy`.

    Parameters
    ----------
    flops : array_like
        Compute of the job (:func:`finetune_flops`), > 0. [FLOP]
    hardware : str or Accelerator
        Catalog hardware id.
    precision : str, default 'bf16'
        Catalog precision of the matrix products.
    devices : array_like, default 1
        Accelerators sharing the job, whole number >= 1 (the energy does not
        depend on it: more devices, shorter time). [-]
    mfu : array_like, default :data:`DEFAULT_MFU`
        Model FLOP utilization in (0, 1]. [-]
    boundary : str, default 'gpu'
        ``gpu`` (accelerators), ``server`` and ``facility`` for server
        hardware, ``device`` for phones, modules and laptops
        (:data:`genai_edge.energy.BOUNDARIES`).
    pue : array_like, optional
        Power usage effectiveness for ``facility``; default by device class. [-]

    Returns
    -------
    float or ndarray
        Energy. [J]

    Examples
    --------
    >>> round(finetune_energy_j(1.979e15 * 0.387 * 100, "h100-sxm5-80gb", "fp8"))   # 100 s at 700 W
    70000
    """
    n = v.integer(devices, "devices", minimum=1)
    hw, peak = _peak(hardware, precision)
    gpu_j = energy.training_flops_energy_j(flops, peak, mfu, hw.power_max)
    gpu_j, _ = v.broadcast(("flops", v.as_float(gpu_j, "flops")), ("devices", n))
    return energy.boundary_energy(gpu_j, boundary, hw.device_class, pue)


@dataclass(frozen=True)
class RefreshCost:
    """One adapter refresh amortised over the requests served until the next."""
    energy_j: object       # fine-tuning energy per request [J]
    device_s: object       # fine-tuning device time per request [s]
    duty: object           # share of the refresh interval the hardware spends fine-tuning [-]

    def to_dict(self) -> dict:
        return {"energy_j": self.energy_j, "device_s": self.device_s, "duty": self.duty}


def adapter_refresh_cost_per_request(finetune_energy_j, refresh_interval_s, requests_per_s, finetune_time_s=0.0):
    """Fine-tuning cost charged to each request when an adapter is retrained periodically.

    Every ``refresh_interval_s`` the adapter is fine-tuned again; the
    requests served in the interval, rate × interval, share that job:
    energy / (rate × interval) and time / (rate × interval) each, and the
    hardware is busy fine-tuning time / interval of the time (above 1 the
    refreshes cannot keep up). No requests: inf per request (nothing to share
    it with), except for a free job (0).

    Parameters
    ----------
    finetune_energy_j : array_like
        Energy of one fine-tuning job (:func:`finetune_energy_j`), >= 0. [J]
    refresh_interval_s : array_like
        Time between refreshes, > 0. [s]
    requests_per_s : array_like
        Requests served per second by the adapted model, >= 0. [s^-1]
    finetune_time_s : array_like, default 0
        Time of one fine-tuning job (:func:`finetune_time`), >= 0. [s]

    Returns
    -------
    RefreshCost
        ``energy_j`` [J] and ``device_s`` [s] per request, ``duty`` [-].

    Examples
    --------
    >>> c = adapter_refresh_cost_per_request(3.6e6, 86400.0, 10.0, finetune_time_s=3600.0)
    >>> round(c.energy_j, 3), round(c.device_s, 6), round(c.duty, 4)
    (4.167, 0.004167, 0.0417)
    """
    e = v.nonnegative(finetune_energy_j, "finetune_energy_j", allow_inf=False)
    t = v.nonnegative(finetune_time_s, "finetune_time_s", allow_inf=False)
    interval = v.positive(refresh_interval_s, "refresh_interval_s", allow_inf=False)
    lam = v.nonnegative(requests_per_s, "requests_per_s", allow_inf=False)
    e, t, interval, lam = v.broadcast(("finetune_energy_j", e), ("finetune_time_s", t),
                                      ("refresh_interval_s", interval), ("requests_per_s", lam))
    served = lam * interval
    with np.errstate(divide="ignore", invalid="ignore"):
        per_e = np.where(served > 0, e / np.where(served > 0, served, 1.0), np.inf)
        per_t = np.where(served > 0, t / np.where(served > 0, served, 1.0), np.inf)
    return RefreshCost(energy_j=v.scalar_or_array(np.where(e == 0, 0.0, per_e)),
                       device_s=v.scalar_or_array(np.where(t == 0, 0.0, per_t)),
                       duty=v.scalar_or_array(t / interval))


# -------------------------------------------------------------- validation
_NUMERIC = ("params", "trainable_params", "n_layers", "attention_dim", "seq_len", "tokens", "eval_tokens",
            "devices", "measured", "fit")


@functools.cache
def validation_cases() -> tuple[dict, ...]:
    """Rows of ``data/finetune_validation.csv`` with their numbers as floats."""
    rows = []
    for r in catalog.read_csv("finetune_validation.csv"):
        row = dict(r)
        for k in _NUMERIC:
            row[k] = float(r[k])
        row["fit"] = int(row["fit"])
        row["recompute"] = r["recompute"] == "1"
        rows.append(row)
    return tuple(rows)


def _predict(row: dict) -> float:
    shape = dict(n_params=row["params"], n_tokens=row["tokens"], recompute=row["recompute"],
                 n_layers=row["n_layers"], context_tokens=row["seq_len"], attention_dim=row["attention_dim"])
    if row["quantity"] == "time_ratio_lora_full":
        return finetune_flops(method="lora", **shape) / finetune_flops(method="full", **shape)
    flops = finetune_flops(method=row["method"], trainable_params=row["trainable_params"],
                           eval_tokens=row["eval_tokens"], **shape)
    args = (flops, row["hardware"], row["precision"], row["devices"])
    if row["quantity"] == "energy_j":
        return finetune_energy_j(*args, boundary=row["boundary"])
    seconds = finetune_time(*args)
    if row["quantity"] == "time_s":
        return seconds
    if row["quantity"] == "tokens_per_s_per_device":
        return row["tokens"] / seconds / row["devices"]
    raise ValueError(f"quantity must be one of {', '.join(QUANTITIES)}, got {row['quantity']!r}")


def validation_table():
    """Published fine-tuning measurements against the model, one row each.

    ``fit`` marks the row :data:`DEFAULT_MFU` comes from; every other row is
    held out (no constant was tuned to it). ``error`` is predicted / measured − 1.

    Returns
    -------
    pandas.DataFrame
        The CSV's columns plus ``predicted`` and ``error`` [-].
    """
    import pandas as pd

    rows = []
    for r in validation_cases():
        p = _predict(r)
        rows.append({**r, "predicted": p, "error": p / r["measured"] - 1.0})
    return pd.DataFrame(rows)
