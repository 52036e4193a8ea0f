"""Energy and carbon at four boundaries, of the network, of the user's device, and of training.

Boundaries (:data:`BOUNDARIES`), each containing the one before:

============  =================================================================
``gpu``       the accelerators only (what NVML reports; :mod:`genai_edge.power`)
``server``    plus the host: CPUs, DRAM, NICs, fans (a cited ratio per class)
``facility``  plus the site's cooling and power distribution (× PUE)
``device``    on-device runs: the whole phone, laptop or module
============  =================================================================

Idle capacity is reported apart: a site's provisioned accelerators draw
P_idle whenever their slots are not busy; ``idle='amortized'`` spreads that
over the requests served (idle power × (1 − utilization) / request rate),
``idle='busy'`` counts busy time only.

Network: bits × energy per bit of the user's radio (uplink, downlink) and of
the access, metro and wide-area networks (``data/network_energy.csv``).

Carbon: energy × the grid's intensity (``data/grid_intensity.csv``,
location-based by default; a market-based figure is a number the user
passes). Training: GPU-hours × power × PUE, or 6·N·D FLOP at an assumed
model FLOP utilization.

References
----------
.. [1] C. Elsworth et al., "Measuring the environmental impact of delivering
   AI at Google scale," 2025. arXiv:2508.15734 (boundary shares of a median
   Gemini prompt; fleet PUE 1.09)
.. [2] Uptime Institute, Global Data Center Survey 2023 (average PUE 1.58).
.. [3] H. Touvron et al., "LLaMA: open and efficient foundation language
   models," 2023, Table 15. arXiv:2302.13971
.. [4] D. Patterson et al., "Carbon emissions and large neural network
   training," 2021, Table 4. arXiv:2104.10350
.. [5] Greenhouse Gas Protocol, Scope 2 Guidance, 2015 (location- and
   market-based methods).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from . import _validate as v
from . import catalog

__all__ = ["BOUNDARIES", "SERVER_CLASSES", "SERVER_OVERHEAD", "PUE_CLOUD", "PUE_EDGE", "J_PER_KWH",
           "boundary_energy", "idle_energy_per_request", "grid_intensity", "grid_ids", "co2e_g",
           "network_energy", "NetworkEnergy", "training_energy_j", "training_flops_energy_j",
           "battery_share", "BATTERY_WH"]

J_PER_KWH = 3.6e6
BOUNDARIES = ("gpu", "server", "facility", "device")
SERVER_CLASSES = ("datacenter_gpu", "edge_server_gpu")
"""Device classes that sit in a server with its own host; the others are whole devices."""
SERVER_OVERHEAD = 25.0 / 58.0
"""Host CPU and DRAM energy per unit of accelerator energy: 25 % vs 58 % of a
median Gemini prompt's energy [1]_ (0.43). Applied to edge servers too (ASSUMPTION)."""
PUE_CLOUD = 1.09
"""Google fleet-wide trailing-twelve-month PUE [1]_."""
PUE_EDGE = 1.58
"""ASSUMPTION: no published PUE for MEC sites; the industry-average data centre [2]_."""
BATTERY_WH = 15.06
"""Samsung Galaxy S25 (and S24) battery, rated 15.06 Wh (3,881 mAh at 3.88 V; 4,000 mAh
typical), from the certification listing as reported before launch (a secondary source)."""


def boundary_energy(accelerator_j, boundary: str, device_class: str, pue=None):
    """Energy at a boundary from the accelerators' energy.

    Parameters
    ----------
    accelerator_j : array_like
        Accelerator energy (the ``gpu`` boundary). [J]
    boundary : str
        One of :data:`BOUNDARIES`. ``server`` and ``facility`` apply to
        device classes in :data:`SERVER_CLASSES`; ``device`` to the others.
    device_class : str
        The accelerator's catalog class.
    pue : array_like, optional
        Power usage effectiveness ≥ 1 for ``facility``; default
        :data:`PUE_CLOUD` for datacenter GPUs, :data:`PUE_EDGE` for edge
        servers. [-]

    Returns
    -------
    float or ndarray
        Energy at the boundary. [J]
    """
    if boundary not in BOUNDARIES:
        raise ValueError(f"boundary must be one of {', '.join(BOUNDARIES)}, got {boundary!r}")
    e = v.nonnegative(accelerator_j, "accelerator_j")
    server = device_class in SERVER_CLASSES
    if boundary == "gpu":
        return v.scalar_or_array(e)
    if boundary == "device":
        if server:
            raise ValueError(f"boundary 'device' is for on-device hardware; {device_class} sits in a server: "
                             "use gpu, server or facility")
        return v.scalar_or_array(e)
    if not server:
        raise ValueError(f"boundary {boundary!r} is for server hardware; {device_class} is a whole device: "
                         "use gpu or device")
    e = e * (1.0 + SERVER_OVERHEAD)
    if boundary == "facility":
        default = PUE_CLOUD if device_class == "datacenter_gpu" else PUE_EDGE
        e = e * check_pue(default if pue is None else pue)
    return v.scalar_or_array(e)


def check_pue(pue):
    """PUE as an array, ≥ 1 (a site cannot use less than its IT energy). [-]"""
    p = v.as_float(pue, "pue")
    if np.any(~(p >= 1.0)) or np.any(~np.isfinite(p)):
        raise ValueError(f"pue must be a finite number >= 1 (facility energy / IT energy), got {v.show(p)}")
    return p


def idle_energy_per_request(idle_power_w, utilization, request_rate):
    """Idle energy of provisioned capacity charged to each request. [J]

    idle power × (1 − utilization) / request rate: the replicas' idle draw
    while their slots are not busy, shared by the requests served. inf at
    zero load (nothing to share it with); 0 at or above full utilization.

    Parameters
    ----------
    idle_power_w : array_like
        Idle power of all the site's accelerators, finite. [W]
    utilization : array_like
        Busy share of the slots. [-]
    request_rate : array_like
        Requests per second served. [s^-1]
    """
    p = v.nonnegative(idle_power_w, "idle_power_w", allow_inf=False)
    u = v.nonnegative(utilization, "utilization")
    lam = v.nonnegative(request_rate, "request_rate")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(lam > 0, p * np.clip(1.0 - u, 0.0, 1.0) / np.where(lam > 0, lam, 1.0), np.inf)
    return v.scalar_or_array(np.where(p == 0, 0.0, out))


# ------------------------------------------------------------------ carbon
@functools.cache
def _grids() -> dict:
    return {r["id"]: r for r in catalog.read_csv("grid_intensity.csv")}


def grid_ids() -> list[str]:
    """Ids of the shipped grid intensities (``world``, ``us``, ``eu``, ``fr`` ...)."""
    return list(_grids())


def grid_intensity(grid) -> float:
    """Location-based grid intensity of a region id, or a number passed through. [kg CO2e kWh^-1]"""
    if isinstance(grid, str) and grid in _grids():
        return float(_grids()[grid]["kg_per_kwh"])
    try:
        value = float(grid)
    except (TypeError, ValueError):
        raise ValueError(f"grid must be one of {', '.join(_grids())} or a number in kg CO2e per kWh, "
                         f"got {grid!r}") from None
    if not value >= 0 or not np.isfinite(value):
        raise ValueError(f"grid intensity must be a finite number >= 0 kg CO2e per kWh, got {grid!r}")
    return value


def co2e_g(energy_j, kg_per_kwh):
    """Emissions of an energy at a grid intensity. [g CO2e]

    Parameters
    ----------
    energy_j : array_like
        Energy. [J]
    kg_per_kwh : array_like
        Grid intensity, ≥ 0; a zero-carbon grid gives 0 for any energy. [kg CO2e kWh^-1]
    """
    e = v.nonnegative(energy_j, "energy_j")
    g = v.nonnegative(kg_per_kwh, "kg_per_kwh", allow_inf=False)
    with np.errstate(invalid="ignore"):
        return v.scalar_or_array(np.where(g == 0, 0.0, e / J_PER_KWH * g * 1e3))


# ----------------------------------------------------------------- network
@dataclass(frozen=True)
class NetworkEnergy:
    """Energy per bit of the user's radio and of each network segment [J bit^-1]; the radio's tail [J]."""
    radio_uplink: float
    radio_downlink: float
    radio_tail: float      # the radio staying in its high-power state after a transfer, once per request [J]
    access: float
    metro: float
    wan: float


@functools.cache
def network_energy(access: str) -> NetworkEnergy:
    """Energy per bit for a catalog access network (``data/network_energy.csv``)."""
    rows = {r["id"]: r for r in catalog.read_csv("network_energy.csv")}
    if access not in rows:
        raise ValueError(f"access must be one of {', '.join(k for k in rows if k not in ('metro', 'wan'))}, "
                         f"got {access!r}")
    a = rows[access]
    return NetworkEnergy(float(a["radio_uplink_j_per_bit"]), float(a["radio_downlink_j_per_bit"]),
                         float(a["radio_tail_j"]), float(a["network_j_per_bit"]),
                         float(rows["metro"]["network_j_per_bit"]),
                         float(rows["wan"]["network_j_per_bit"]))


# ---------------------------------------------------------------- training
def training_energy_j(gpu_hours, power_w, pue=1.0):
    """Training energy from accelerator-hours: hours × power × PUE. [J]

    Parameters
    ----------
    gpu_hours : array_like
        Accelerator-hours, > 0. [h]
    power_w : array_like
        Average power per accelerator (the LLaMA paper uses the 400 W TDP of
        the A100), > 0. [W]
    pue : array_like, default 1.0
        Power usage effectiveness, ≥ 1. [-]
    """
    h = v.positive(gpu_hours, "gpu_hours", allow_inf=False)
    p = v.positive(power_w, "power_w", allow_inf=False)
    return v.scalar_or_array(h * 3600.0 * p * check_pue(pue))


def training_flops_energy_j(flops, peak_flops, mfu, power_w, pue=1.0):
    """Training energy from its arithmetic: FLOP / (MFU × peak) accelerator-seconds × power × PUE. [J]

    Parameters
    ----------
    flops : array_like
        Training compute (≈ 6·N·D), > 0. [FLOP]
    peak_flops : array_like
        Peak of one accelerator at the training precision, > 0. [FLOP s^-1]
    mfu : array_like
        Model FLOP utilization in (0, 1]. [-]
    power_w : array_like
        Average power per accelerator, > 0. [W]
    pue : array_like, default 1.0
        Power usage effectiveness, ≥ 1. [-]
    """
    f = v.positive(flops, "flops", allow_inf=False)
    peak = v.positive(peak_flops, "peak_flops", allow_inf=False)
    u = v.fraction(mfu, "mfu", low_open=True)
    seconds = f / (u * peak)
    return training_energy_j(seconds / 3600.0, power_w, pue)


def battery_share(energy_j, battery_wh=BATTERY_WH):
    """Share of a phone battery an energy drains. [-]

    Parameters
    ----------
    energy_j : array_like
        Energy drawn from the battery. [J]
    battery_wh : float, default :data:`BATTERY_WH`
        Battery capacity, > 0. [Wh]
    """
    e = v.nonnegative(energy_j, "energy_j")
    wh = v.scalar(battery_wh, v.positive, "battery_wh", allow_inf=False)
    return v.scalar_or_array(e / (wh * 3600.0))
