"""Power of an accelerator while it serves, and the energy of LLM and diffusion inference.

A device's power follows what the compute model says it does:

.. math::

    P = P_{idle} + (P_{max} - P_{idle})\\,\\min(1,\\; k_0 + k_W u_W + k_F u_F)

where u_W is the share of the memory bandwidth and u_F the share of the
matrix peak that a pass uses (:class:`genai_edge.compute.ComputeEstimate`),
P_idle and P_max the catalog's idle floor and board power (TDP). The three
constants k are fitted per device group (``tools/calibrate_power.py``) on
measured GPU energy per output token. The min() is the board power limit:
at large batch, measured power sits at the TDP. A linear-in-FLOP-utilization
model [1]_ has only the k_F term; it underestimates small batches, where
decode streams the weights at most of the bandwidth and the GPU draws
60–70 % of its TDP [2]_.

Energy of a pass = devices × P × time; an output token at batch B costs
1/B of a decode step's energy, and a request its prefill (batch 1) plus N
tokens. Everything here is the accelerator boundary; :mod:`genai_edge.energy`
adds the server, the facility and the idle capacity.

References
----------
.. [1] A. Beloglazov and R. Buyya, "Optimal online deterministic algorithms
   and adaptive heuristics for energy and performance efficient dynamic
   consolidation of virtual machines in cloud data centers," CCPE 24(13),
   2012 (P = P_idle + (P_max − P_idle)·u).
.. [2] J.-W. Chung et al., "The ML.ENERGY Benchmark: toward automated
   inference energy measurement and optimization," NeurIPS Datasets and
   Benchmarks 2025. arXiv:2505.06371; leaderboard data
   https://github.com/ml-energy/leaderboard (public/data)
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np

from . import _validate as v
from . import catalog, compute

__all__ = ["PowerFactors", "power_factors", "device_power", "pass_energies", "InferenceEnergy", "inference_energy",
           "diffusion_energy"]


@dataclass(frozen=True)
class PowerFactors:
    """Fitted constants of the power law for one device group."""
    device_group: str
    static: float        # k_0, share of (P_max − P_idle) drawn whenever kernels run [-]
    bandwidth: float     # k_W, per unit share of the memory bandwidth in use [-]
    compute: float       # k_F, per unit share of the matrix peak in use [-]
    fitted_on: str       # what the constants were fitted on
    source: str


@functools.cache
def _table() -> dict:
    return {r["device_group"]: PowerFactors(r["device_group"], float(r["static"]), float(r["bandwidth"]),
                                            float(r["compute"]), r["fitted_on"], r["source"])
            for r in catalog.read_csv("power_calibration.csv")}


def power_factors(device_class="datacenter_gpu") -> PowerFactors:
    """The fitted power constants of a device class's group (``default`` where the group has no fit)."""
    group = compute.device_group(device_class)
    table = _table()
    return table.get(group) or table["default"]


def device_power(hardware, flop_utilization, bandwidth_utilization, factors: PowerFactors | None = None):
    """Power of one device running passes at the given utilizations.

    Parameters
    ----------
    hardware : str or catalog.Accelerator
        Accelerator id; gives P_idle and P_max.
    flop_utilization : array_like
        Share of the matrix peak in use, ≥ 0. [-]
    bandwidth_utilization : array_like
        Share of the memory bandwidth in use, ≥ 0. [-]
    factors : PowerFactors, optional
        Override the fitted constants (used by the calibration).

    Returns
    -------
    float or ndarray
        Power between P_idle and P_max. [W]
    """
    hw = catalog.hardware(hardware)
    f = factors or power_factors(hw.device_class)
    uf = v.nonnegative(flop_utilization, "flop_utilization", allow_inf=False)
    uw = v.nonnegative(bandwidth_utilization, "bandwidth_utilization", allow_inf=False)
    load = np.minimum(1.0, f.static + f.bandwidth * uw + f.compute * uf)
    return v.scalar_or_array(hw.power_idle + (hw.power_max - hw.power_idle) * load)


def pass_energies(hardware, prefill: compute.ComputeEstimate, decode: compute.ComputeEstimate, devices, batch,
                  factors: PowerFactors | None = None):
    """(prefill energy, energy per output token, prefill power, decode power) of one replica.

    ``prefill`` is the estimate at batch 1 (its prefill pass), ``decode`` the
    one at ``batch`` (its decode step, shared by the batch's sequences);
    powers are all ``devices`` together. [J, J token^-1, W, W]
    """
    n = np.asarray(devices, dtype=float)
    p_pre = n * device_power(hardware, prefill.prefill_flop_utilization, prefill.prefill_bandwidth_utilization,
                             factors)
    p_dec = n * device_power(hardware, decode.decode_flop_utilization, decode.decode_bandwidth_utilization, factors)
    return p_pre * prefill.prefill_s, p_dec * decode.tpot_s / np.asarray(batch, dtype=float), p_pre, p_dec


@dataclass(frozen=True)
class InferenceEnergy:
    """Accelerator energy of serving LLM requests; arrays broadcast over the inputs."""
    prefill_j: object                   # prefill of one request, batch 1, all devices [J]
    energy_per_output_token_j: object   # one sequence's share of a decode step at the batch [J token^-1]
    energy_per_prompt_token_j: object   # prefill_j / prompt tokens [J token^-1]
    energy_per_request_j: object        # prefill + output tokens x per-token energy [J]
    decode_power_w: object              # all devices during decode [W]
    prefill_power_w: object             # all devices during prefill [W]
    idle_power_w: object                # all devices idle [W]
    estimate: compute.ComputeEstimate   # the latency estimate the energy is based on


def inference_energy(model, hardware, precision="fp16", runtime="default", devices=1, batch=1,
                     prompt_tokens=512, output_tokens=128, kv_precision="fp16",
                     factors: PowerFactors | None = None) -> InferenceEnergy:
    """Accelerator energy per output token, per prompt token and per request.

    Parameters are those of :func:`genai_edge.compute.estimate`: ``devices``
    [-], ``batch`` [-], ``prompt_tokens`` [token], ``output_tokens`` [token].
    Decode runs at ``batch`` sequences (each token costs 1/batch of a step);
    the prefill of a request runs alone (batch 1).

    Returns
    -------
    InferenceEnergy
        Energies [J], powers [W] and the underlying latency estimate.
    """
    hw = catalog.hardware(hardware)
    f = factors or power_factors(hw.device_class)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", compute.MemoryWarning)
        dec = compute.estimate(model, hw, precision, runtime, devices, batch, prompt_tokens, output_tokens,
                               kv_precision=kv_precision)
        pre = compute.estimate(model, hw, precision, runtime, devices, 1, prompt_tokens, output_tokens,
                               kv_precision=kv_precision, warn=False)
    n = np.asarray(devices, dtype=float)
    prefill_j, token_j, p_pre, p_dec = pass_energies(hw, pre, dec, n, batch, f)
    s = np.asarray(prompt_tokens, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_prompt = np.where(s > 0, prefill_j / np.where(s > 0, s, 1.0), 0.0)
    request = prefill_j + np.asarray(output_tokens, dtype=float) * token_j
    sa = v.scalar_or_array
    return InferenceEnergy(sa(prefill_j), sa(token_j), sa(per_prompt), sa(request), sa(p_dec), sa(p_pre),
                           sa(n * hw.power_idle + 0.0 * p_dec), dec)


def diffusion_energy(model, hardware, precision="fp16", runtime="default", devices=1, steps=25,
                     factors: PowerFactors | None = None):
    """Accelerator energy of one image or clip: devices × power × time. [J]

    A U-Net's denoising steps are matrix-bound: the FLOP share of the peak
    is the model's matrix work over the peak and the time; the memory term
    is left out (an ASSUMPTION: weights stay resident in caches across a
    step's tokens, so traffic is small beside the arithmetic), and the
    power law gives the power. A diffusion transformer's steps are GEMMs
    and attention over 10^4 to 10^5 tokens, the compute-bound regime of
    fine-tuning: its devices draw their full-load power (catalog
    ``power_max``, as :func:`genai_edge.finetune.finetune_energy_j`;
    ASSUMPTION, ``factors`` unused). Published video runs draw 95 to 98 %
    of an H100's and 78 to 84 % of a B200's (ML.ENERGY Benchmark v3 rows of
    ``data/diffusion_validation.csv``).
    """
    hw = catalog.hardware(hardware)
    dm = catalog.diffusion_model(model)
    prec = catalog.precision(precision)
    t = np.asarray(compute.diffusion_estimate(dm, hw, precision, runtime, devices, steps), dtype=float)
    n = np.asarray(devices, dtype=float)
    if dm.denoiser == "transformer":
        return v.scalar_or_array(n * hw.power_max * t)
    steps_ = np.asarray(steps, dtype=float)
    ideal = (steps_ * dm.evals_per_step * dm.flops_per_eval + dm.vae_decoder_flops) / (n * hw.peak(prec.compute_peak))
    with np.errstate(invalid="ignore", divide="ignore"):
        uf = np.where(t > 0, ideal / np.where(t > 0, t, 1.0), 0.0)
    return v.scalar_or_array(n * device_power(hw, uf, 0.0 * uf, factors) * t)
