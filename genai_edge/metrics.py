"""The metric registry: every number a comparison reports, defined once.

Each :class:`Metric` has a name (the column in tables and the key in JSON),
an SI unit, a label, a direction (is lower or higher better), a family, how
to show it, and how to compute it from a paradigm's paths. ``compare``, the
sweep's table, ``genai-edge compare`` (text and JSON), the report index and
the notebooks all read this registry; :func:`register` adds a metric to all
of them.

References
----------
.. [1] Y. Zhong et al., "DistServe: disaggregating prefill and decoding for
   goodput-optimized large language model serving," OSDI 2024.
   arXiv:2401.09670 (goodput: the most load served within the SLOs)
.. [2] MLCommons, MLPerf Inference rules and ``loadgen/mlperf.conf``
   (99th-percentile TTFT and TPOT bounds).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import considerations
from .paths import COMPONENTS, ENERGY_COMPONENTS, FIRST_TOKEN_COMPONENTS

__all__ = ["Metric", "registry", "register", "unregister", "get", "names", "headline", "compute_all",
           "goodput_users"]


@dataclass(frozen=True)
class Metric:
    """One reported quantity and how to compute and show it."""
    name: str
    label: str
    unit: str                    # SI unit of the value ('s', '-', 'users')
    family: str                  # 'latency', 'slo', 'breakdown', 'load', ...
    direction: str               # 'lower' or 'higher' is better
    compute: Callable            # (paths, ctx) -> array over points
    display_unit: str = ""       # unit shown in tables (default: unit)
    scale: float = 1.0           # shown = value × scale
    digits: int | None = None    # fixed decimals; None: about 3 significant digits
    headline: bool = False       # shown in the CLI table and the report index
    doc: str = ""

    def __post_init__(self):
        if self.direction not in ("lower", "higher"):
            raise ValueError(f"Metric {self.name!r}: direction must be 'lower' or 'higher', got {self.direction!r}")

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"

    @property
    def shown_unit(self) -> str:
        return self.display_unit or self.unit


def _target(ctx, key):
    """A latency target in seconds; 0 in the scenario means no target (inf)."""
    t = ctx.arrays.num(f"workload.{key}")
    return np.where(t > 0, t, np.inf)


def _attainment(paths, ctx):
    return paths.attainment(_target(ctx, "ttft_slo_s"), _target(ctx, "tpot_slo_s"), _target(ctx, "e2e_slo_s"))


def goodput_users(ctx, paradigm: str, bits: int = 26):
    """Most active users at which a paradigm's SLO attainment stays >= the scenario's target.

    Bisection in log(users) between 1 user and the load at which the
    paradigm's most loaded site saturates (beyond it every path through a
    saturated site misses its targets), vectorized over points, 26 halvings:
    a relative precision of about 2e-6, the same steps for a point alone or
    in a sweep. inf when load does not matter (on the device) and the
    targets are met; 0 when one user already misses them. [users]
    """
    from .paradigms import BUILDERS
    level = ctx.arrays.num("workload.slo_attainment_target")

    def attainment(users):
        return _attainment(BUILDERS[paradigm](ctx, users), ctx)

    one = BUILDERS[paradigm](ctx, np.asarray(1.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        saturation = [np.where(np.asarray(s.per_user) > 0, s.servers / (np.asarray(s.hold) * s.per_user), np.inf)
                      for s in one.sites]
    hi = np.asarray(functools.reduce(np.maximum, saturation))
    ok_one = _attainment(one, ctx) >= level
    unbounded = ~np.isfinite(hi)
    lo_log = np.zeros(hi.shape)
    hi_log = np.log(np.where(unbounded, 2.0, np.maximum(hi, 1.0)))
    for _ in range(bits):
        mid = 0.5 * (lo_log + hi_log)
        ok = attainment(np.exp(mid)) >= level
        lo_log, hi_log = np.where(ok, mid, lo_log), np.where(ok, hi_log, mid)
    found = np.exp(lo_log)
    return np.where(ok_one, np.where(unbounded, np.inf, found), 0.0)


_MONTH_MIN = 365.2425 / 12 * 1440.0   # minutes in a mean Gregorian month


def _availability(paths, ctx):
    from .outages import paradigm_availability
    return paradigm_availability(ctx, paths)


def _site_utilization(site):
    def compute(paths, ctx):
        for s in paths.sites:
            if s.site == site:
                return s.utilization
        return np.nan
    return compute


_REGISTRY: dict[str, Metric] = {}


def register(metric: Metric, replace: bool = False) -> Metric:
    """Add a metric to every table, JSON document and index that reads the registry."""
    if metric.name in _REGISTRY and not replace:
        raise ValueError(f"metric {metric.name!r} is already registered")
    _REGISTRY[metric.name] = metric
    return metric


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def registry() -> tuple[Metric, ...]:
    return tuple(_REGISTRY.values())


def names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def get(name: str) -> Metric:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; registered: {', '.join(_REGISTRY)}") from None


def headline() -> tuple[Metric, ...]:
    return tuple(m for m in _REGISTRY.values() if m.headline)


def compute_all(ctx, paths: dict, selected=None) -> dict:
    """paradigm → metric name → array, for the ``selected`` metric names (default: all)."""
    chosen = [get(n) for n in (selected or names())]
    return {p: {m.name: m.compute(paths[p], ctx) for m in chosen} for p in paths}


for _m in (
    Metric("ttft_s", "TTFT", "s", "latency", "lower", lambda p, c: sum(p.mean(k) for k in
           FIRST_TOKEN_COMPONENTS), "ms", 1e3, headline=True,
           doc="Mean time to first token."),
    Metric("ttft_p99_s", "TTFT p99", "s", "latency", "lower", lambda p, c: p.quantile(0.99, True),
           "ms", 1e3, headline=True, doc="99th percentile of the time to first token (mixture of paths)."),
    Metric("tpot_s", "TPOT", "s", "latency", "lower", lambda p, c: p.token_time(), "ms", 1e3, headline=True,
           doc="Mean time per output token after the first, as delivered to the user."),
    Metric("e2e_s", "E2E", "s", "latency", "lower", lambda p, c: sum(p.mean(k) for k in COMPONENTS),
           "ms", 1e3, headline=True, doc="Mean end-to-end time of a request."),
    Metric("e2e_p99_s", "E2E p99", "s", "latency", "lower", lambda p, c: p.quantile(0.99, False),
           "ms", 1e3, headline=True, doc="99th percentile of the end-to-end time (answer lengths vary)."),
    Metric("latency_slo_attainment", "SLO attainment", "-", "slo", "higher", _attainment, "%", 100.0, 2,
           headline=True, doc="Share of requests that meet every latency target (TTFT, TPOT, E2E)."),
    Metric("goodput_users", "Goodput", "users", "slo", "higher",
           lambda p, c: goodput_users(c, p.paradigm), "users", headline=True,
           doc="Most active users served while the SLO attainment stays at its target."),
    *(Metric(f"breakdown_{k}_s", f"{k} (mean)", "s", "breakdown", "lower",
             (lambda kk: lambda p, c: p.mean(kk))(k), "ms", 1e3, doc=f"Mean {k} time; the breakdown sums to E2E.")
      for k in COMPONENTS),
    Metric("energy_per_request_j", "Energy", "J", "energy", "lower",
           lambda p, c: sum(p.energy(k) for k in ENERGY_COMPONENTS), "J", headline=True,
           doc="Mean energy per request: device, radio, networks, sites (IT and facility) and idle capacity."),
    Metric("co2e_per_request_g", "CO2e", "g", "energy", "lower", lambda p, c: p.co2e(), "g", headline=True,
           doc="Mean emissions per request: each part's energy at its grid's intensity."),
    *(Metric(f"energy_{k}_j", f"{k.replace('_', ' ')} energy", "J", "energy_breakdown", "lower",
             (lambda kk: lambda p, c: p.energy(kk))(k), "J",
             doc=f"Mean {k.replace('_', ' ')} energy per request; the energy breakdown sums to energy_per_request_j.")
      for k in ENERGY_COMPONENTS),
    Metric("availability", "Availability", "-", "reliability", "higher",
           lambda p, c: _availability(p, c)[0], "%", 100.0, 3, headline=True,
           doc="Share of requests served: device, access, fibre and a site with enough working replicas up, "
               "with edge-cloud failover."),
    Metric("downtime_min_per_month", "Downtime", "min", "reliability", "lower",
           lambda p, c: (1.0 - _availability(p, c)[0]) * _MONTH_MIN, "min/month", headline=True,
           doc="Expected minutes per mean month (30.44 days) in which requests are not served: "
               "(1 − availability) x month."),
    Metric("slo_attainment", "SLO attainment (outages)", "-", "reliability", "higher",
           lambda p, c: _availability(p, c)[1], "%", 100.0, 2, headline=True,
           doc="Share of requests that are served and meet every latency target, each failure state "
               "weighted by its probability with its own latency distribution."),
    *(Metric(f"{s}_utilization", f"{s} utilisation", "-", "load", "lower", _site_utilization(s), "%", 100.0, 1,
             doc=f"Busy share of the {s} site's batch slots (NaN where the paradigm does not use it).")
      for s in ("cloud", "mec", "device")),
    Metric("quality_loss_nats", "Answer loss", "nat", "considerations", "lower", considerations.quality_loss,
           "nat/token", digits=3,
           doc="Answer quality proxy: pre-training loss per token of the model that answers, L(N, D) of the "
               "default Chinchilla-form fit at the model's published parameters and training tokens, mixed by "
               "branch weight (speculative decoding: the cloud target's, it is lossless). Not defined (NaN) for "
               "diffusion workloads or a model without published training tokens."),
    Metric("bytes_off_device", "Data off device", "byte", "considerations", "lower", considerations.bytes_off_device,
           "kB", 1e-3,
           doc="User data leaving the user's device per request: the uplink (prompt tokens x bytes per token + "
               "payload + request overhead) x share of requests sent off the device x workload.sensitive_share; "
               "0 on the device."),
    Metric("bytes_to_cloud", "Data to cloud", "byte", "considerations", "lower", considerations.bytes_to_cloud,
           "kB", 1e-3,
           doc="User data reaching a cloud region per request: the uplink x share of requests whose path reaches "
               "the cloud, plus the draft tokens speculative decoding sends for verification, x "
               "workload.sensitive_share; 0 for MEC and on the device."),
    Metric("personalization_j_per_request", "Personalization energy", "J", "considerations", "lower",
           considerations.personalization_energy, "J",
           doc="Energy of refreshing the user's personal adapter (LoRA or full fine-tuning on "
               "workload.adapter_tokens) at every site that serves the user, shared by the user's requests "
               "between refreshes (workload.adapter_refresh_days); facility boundary on servers, whole device "
               "on the device; 0 without personalization."),
    Metric("index_staleness_s", "Index staleness", "s", "considerations", "lower", considerations.index_staleness,
           "h", 1 / 3600,
           doc="Mean age of the retrieval index a request reads: half the answering site's "
               "<site>.index_refresh_h, mixed by branch weight (NaN without retrieval)."),
    Metric("adapter_refresh_s", "Adapter refresh time", "s", "considerations", "lower",
           considerations.adapter_job_time, "h", 1 / 3600,
           doc="Time of one user's adapter refresh on one replica of the slowest site serving the paradigm "
               "(NaN without personalization)."),
):
    register(_m)
