"""Edge feasibility: the largest model a device holds, and when the frontier outgrows it.

A model of N parameters fits a device when its weights and KV cache fit in
the memory a runtime may use::

    N · b_w / 8  +  κ(N) · T · B · b_kv / 16  ≤  f · M

with b_w the precision's bits per weight, T the context length, B the batch,
b_kv the KV-cache bits, M the device memory and f the usable fraction (the
rest holds activations, the runtime and, on unified-memory SoCs, the
operating system). κ(N), the 16-bit KV-cache bytes per token of a future
model, is an ASSUMPTION: a power law fitted to the dense grouped-query
attention architectures in the model catalog (`kv_bytes_per_token`).

The horizon is the year in which the trend of the largest language models
(top five per year by parameters in Epoch AI's notable-models data, see
`genai_edge.growth`) passes the largest fitting model, with the years in
which a new frontier model of that size falls inside the 90 % prediction
interval. The loss gap is what the best fitting model gives up against the
frontier model at a given year when both see the same training tokens, from
a Chinchilla-form loss law: A·(N_fit^-α − N_frontier^-α) (the data term
cancels).

References
----------
.. [1] vLLM engine arguments, ``gpu_memory_utilization`` (default 0.9).
   https://docs.vllm.ai/en/latest/serving/engine_args.html
.. [2] Apple, MTLDevice.recommendedMaxWorkingSetSize: about 2/3 to 3/4 of
   unified memory (e.g. 10922.67 MB on a 16 GB M1, llama.cpp Metal log in
   abetlen/llama-cpp-python#687; ~47 GB usable of 64 GB, ggml-org/llama.cpp#1870).
.. [3] Epoch AI, "Data on Notable AI Models" (CC BY 4.0).
   https://epoch.ai/data/notable-ai-models
"""
from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from . import _validate as v
from . import catalog, growth, scaling

__all__ = [
    "MEMORY_FRACTION", "DEVICE_CLASS_EXAMPLES", "kv_bytes_per_token", "largest_model",
    "frontier_trend", "Horizon", "horizon", "feasibility_table", "verdict",
]

MEMORY_FRACTION = {
    # device class -> (usable fraction of device memory, source)
    "datacenter_gpu": (0.9, "vLLM gpu_memory_utilization default 0.9 [1]"),
    "edge_server_gpu": (0.9, "vLLM gpu_memory_utilization default 0.9 [1]"),
    "consumer_gpu": (0.9, "vLLM gpu_memory_utilization default 0.9 [1]"),
    "laptop_soc": (0.75, "Metal recommendedMaxWorkingSetSize, ~3/4 of unified memory [2]"),
    "desktop_soc": (0.75, "Metal recommendedMaxWorkingSetSize, ~3/4 of unified memory [2]"),
    "edge_soc": (0.75, "ASSUMPTION: unified memory shared with the OS, as on Apple SoCs [2]"),
    "phone_soc": (0.5, "ASSUMPTION: the OS and other apps stay resident on a phone"),
}
"""Usable share of device memory for weights and KV cache, per device class."""

DEVICE_CLASS_EXAMPLES = ("snapdragon-8-gen-3", "jetson-orin-nano-super-8gb", "jetson-agx-orin-64gb",
                         "l4-24gb", "rtx4090-24gb", "apple-m2-ultra-76c", "h100-sxm5-80gb")
"""One catalog device per class: phone SoC, Jetsons, L4, RTX 4090, Apple SoC, H100."""

_N_MIN, _N_MAX = 1e6, 1e16    # search range of the largest model [-]


KV_LAW_MODELS = ("llama-2-70b", "llama-3-70b", "llama-3.1-70b", "llama-3.1-405b", "llama-3-8b", "llama-3.1-8b",
                 "mistral-7b", "qwen2.5-7b", "gemma-2b")
"""The dense grouped-query architectures the KV-cache law is fitted on (a fixed, stated set)."""


@functools.cache
def _kv_law() -> tuple[float, float, int]:
    """(coefficient, exponent, rows) of log10 κ = log10 c + k·log10 N on
    :data:`KV_LAW_MODELS`, one row per distinct architecture."""
    rows = {}
    for mid in KV_LAW_MODELS:
        m = catalog.model(mid)
        if m.n_experts == 1 and m.n_kv_heads < m.n_heads:
            kv = 2 * m.n_layers * m.n_kv_heads * m.head_dim * 2
            rows[(m.params, kv)] = None
    n, kv = np.array(list(rows)).T
    k, log_c = np.polyfit(np.log10(n), np.log10(kv), 1)
    return float(10.0 ** log_c), float(k), len(rows)


def kv_bytes_per_token(n_params):
    """16-bit KV-cache bytes per token of a dense grouped-query model of ``n_params``.

    An ASSUMPTION for models not yet built: a power law fitted to the dense
    GQA architectures in the model catalog (Llama 2/3 70B and 405B, Llama 3
    8B, Mistral 7B, Qwen2.5 7B, Gemma 2B).

    Parameters
    ----------
    n_params : array_like
        Parameter count, > 0. [-]

    Returns
    -------
    ndarray or float
        KV bytes per token at 16 bits. [byte]
    """
    n = v.positive(n_params, "n_params")
    c, k, _ = _kv_law()
    return v.scalar_or_array(c * n ** k)


def _memory_fraction(acc: catalog.Accelerator, memory_fraction):
    if memory_fraction is not None:
        return v.fraction(memory_fraction, "memory_fraction", low_open=True)
    if acc.device_class not in MEMORY_FRACTION:
        raise ValueError(f"memory_fraction: no default for device class {acc.device_class!r}; "
                         f"pass one in (0, 1]")
    return np.asarray(MEMORY_FRACTION[acc.device_class][0])


def largest_model(hardware, precision="w4a16", context_tokens=4096, batch=1, kv_bits=16,
                  devices=1, memory_fraction=None):
    """Parameters of the largest dense model whose weights and KV cache fit.

    Parameters
    ----------
    hardware : str or Accelerator
        Catalog device id.
    precision : str
        Catalog precision id (sets bits per weight).
    context_tokens : array_like
        Tokens held in the KV cache per sequence, >= 0. [token]
    batch : array_like
        Concurrent sequences, >= 1. [-]
    kv_bits : array_like
        Bits per KV-cache element, > 0. [bit]
    devices : int
        Devices whose memory is pooled (tensor parallel), >= 1. [-]
    memory_fraction : array_like, optional
        Usable share of memory, in (0, 1]; default per device class from
        `MEMORY_FRACTION`. [-]

    Returns
    -------
    ndarray or float
        Largest parameter count [-]; NaN where not even 1e6 parameters fit.
    """
    acc = catalog.hardware(hardware)
    bits = catalog.precision(precision).bits_per_weight
    t = v.nonnegative(context_tokens, "context_tokens", allow_inf=False)
    b = v.integer(batch, "batch", minimum=1)
    kvb = v.positive(kv_bits, "kv_bits", allow_inf=False)
    d = v.scalar(devices, v.integer, "devices", minimum=1)
    usable = _memory_fraction(acc, memory_fraction) * acc.memory * d
    tokens = t * b * kvb / 16.0
    usable, tokens = np.broadcast_arrays(usable, tokens)
    c, k, _ = _kv_law()

    def need(n):
        return n * bits / 8.0 + c * n ** k * tokens

    lo = np.full(usable.shape, math.log(_N_MIN))
    hi = np.full(usable.shape, math.log(_N_MAX))
    for _ in range(60):                       # bracket shrinks 2^-60: exact to float precision
        mid = 0.5 * (lo + hi)
        fits = need(np.exp(mid)) <= usable
        lo, hi = np.where(fits, mid, lo), np.where(fits, hi, mid)
    out = np.where(need(_N_MIN) <= usable, np.exp(lo), np.nan)
    return v.scalar_or_array(out)


@functools.cache
def frontier_trend(top_per_year: int = 5, since: float = 2018,
                   open_weights: bool = False) -> growth.Trend:
    """Parameter trend of the ``top_per_year`` largest language models per year
    (of those with published weights if ``open_weights``)."""
    return growth.growth_trend("parameters", domain="Language", since=since,
                               top_per_year=top_per_year, open_weights=open_weights)


@dataclass(frozen=True)
class Horizon:
    """A device's largest model, the year the frontier outgrows it, and the loss gap."""

    hardware: str
    precision: str
    context_tokens: float
    memory_fraction: float
    largest_params: float            # [-]
    horizon_year: float              # trend passes largest_params [yr]
    horizon_year_ci90: tuple         # a new frontier model of that size inside the 90 % PI [yr]
    at_year: float                   # year of the comparison below [yr]
    frontier_params: float           # trend's frontier model at at_year [-]
    size_ratio: float                # frontier_params / largest_params [-]
    loss_gap: float                  # same training tokens, loss law `fit` [nat token^-1]
    fit: str

    def to_dict(self) -> dict:
        d = asdict(self)
        d["horizon_year_ci90"] = list(self.horizon_year_ci90)
        return d


def horizon(hardware, precision="w4a16", context_tokens=4096, *, batch=1, kv_bits=16,
            devices=1, memory_fraction=None, at_year=None, top_per_year=5, since=2018,
            open_weights=False, fit=scaling.DEFAULT_FIT) -> Horizon:
    """When does the frontier language model stop fitting on ``hardware``?

    Parameters
    ----------
    hardware, precision, context_tokens, batch, kv_bits, devices, memory_fraction
        As in `largest_model` (scalars).
    at_year : float, optional
        Year of the frontier comparison; default the end of the data. [yr]
    top_per_year : int, default 5
        Frontier definition: the largest language models per year. [-]
    since : float, default 2018
        First year of the trend fit. [yr]
    open_weights : bool, default False
        Frontier of the models with published weights (what a device could
        actually run) instead of all models.
    fit : str, default `scaling.DEFAULT_FIT`
        Chinchilla-form loss law for the loss gap.

    Returns
    -------
    Horizon
        ``horizon_year`` earlier than today means the frontier already no
        longer fits.
    """
    acc = catalog.hardware(hardware)
    n_fit = float(largest_model(acc, precision, context_tokens, batch, kv_bits, devices,
                                memory_fraction))
    frac = float(_memory_fraction(acc, memory_fraction))
    trend = frontier_trend(int(v.scalar(top_per_year, v.integer, "top_per_year", minimum=1)),
                           float(v.scalar(since, v.as_float, "since")), bool(open_weights))
    if math.isnan(n_fit):
        year, lo, hi = -math.inf, -math.inf, -math.inf
    else:
        year, lo, hi = trend.year_reaching(n_fit)
    at = trend.last_year if at_year is None else float(v.scalar(at_year, v.as_float, "at_year"))
    n_front = float(trend.predict(at))
    law = scaling._loss_fit(fit)
    gap = law.A * (n_fit ** -law.alpha - n_front ** -law.alpha)
    return Horizon(acc.id, catalog.precision(precision).id, float(context_tokens), frac, n_fit,
                   float(year), (float(lo), float(hi)), at, n_front, n_front / n_fit,
                   float(gap), law.name)


def feasibility_table(hardware_ids=DEVICE_CLASS_EXAMPLES, precisions=("w4a16", "fp16"),
                      context_tokens=4096, **kw) -> pd.DataFrame:
    """`horizon` for each device and precision, one row each."""
    rows = []
    for hw in hardware_ids:
        for p in precisions:
            h = horizon(hw, p, context_tokens, **kw).to_dict()
            lo, hi = h.pop("horizon_year_ci90")
            rows.append({**h, "horizon_year_lo": lo, "horizon_year_hi": hi,
                         "device_class": catalog.hardware(hw).device_class,
                         "memory_gb": catalog.hardware(hw).memory / 1e9})
    return pd.DataFrame(rows)


def verdict(table: pd.DataFrame, trend: growth.Trend | None = None) -> str:
    """The feasibility table's answer in words (Markdown).

    Parameters
    ----------
    table : pandas.DataFrame
        From `feasibility_table`, one precision.
    trend : Trend, optional
        The frontier trend the table used; default `frontier_trend`.
    """
    if table["precision"].nunique() != 1:
        raise ValueError("table: verdict needs the rows of one precision, got "
                         + ", ".join(sorted(table["precision"].unique())))
    trend = trend or frontier_trend()
    t = table.sort_values("largest_params")
    first, last = t.iloc[0], t.iloc[-1]
    lo, hi = trend.factor_per_year_ci
    past = t[t["horizon_year"] <= trend.last_year]

    def when(row) -> str:
        return (f"{row.horizon_year:.1f} (90 % interval {row.horizon_year_lo:.1f}–"
                f"{row.horizon_year_hi:.1f})")

    lines = [
        f"At {first.precision} weights and a {first.context_tokens:.0f}-token context, the "
        f"largest model that fits ranges from {first.largest_params / 1e9:.1f} B parameters "
        f"on {first.hardware} to {last.largest_params / 1e9:.0f} B on {last.hardware}. "
        f"The frontier trend ({trend.label}) "
        f"grows {trend.factor_per_year:.2f}x per year (90 % interval {lo:.2f}–{hi:.2f}x, "
        f"n = {trend.n}), doubling every {trend.doubling_months:.1f} months.",
        f"It passed {len(past)} of the {len(t)} devices before the end of the data "
        f"({trend.last_year:.1f}): {first.hardware} first, in {when(first)}, and "
        f"{last.hardware} last, in {when(last)}." if len(past) else
        f"It passes {first.hardware} first, in {when(first)}.",
        f"At {first.at_year:.1f} the trend's frontier model has "
        f"{first.frontier_params / 1e12:.1f} T parameters, {last.size_ratio:.0f}x to "
        f"{first.size_ratio:.0f}x more than fits; trained on the same tokens, the best "
        f"model that fits loses {last.loss_gap:.3f} to {first.loss_gap:.3f} nat/token "
        f"against it ({first.fit} loss law), a gap that widens as long as the trend holds.",
    ]
    return " ".join(lines)
