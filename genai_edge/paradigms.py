"""Compose network, queueing and compute into cloud / MEC / edge-cloud / on-device results.

Each paradigm is a mixture of *branches*: paths a request may take (the
cloud, the MEC site, the device). A branch has fixed latency components —

============  =========================================================
access        prompt uplink serialization + access-network latency both ways
transport     fibre propagation and router hops, both ways (RTT)
queue         mean wait for a free batch slot at the site (M/M/c, or
              MAP/M/c for the overflow strategy's cloud)
prefill       prompt processing on the site's accelerators
decode        (n_out − 1) · TPOT
streaming     extra time when token delivery is slower than TPOT, the
              per-token MEC↔cloud round trips of speculative decoding, and
              the download of a response payload (an image)
============  =========================================================

— plus a random queue wait W: P(W > t) = C·exp(−θt) (Erlang C, θ = cμ − λ), or
a sum of such terms for the MAP queue (:class:`queueing.QueueWait`).
Means add up: the breakdown sums to ``e2e_s`` exactly. Percentiles of a
paradigm come from the mixture distribution of its branches (inverted
numerically), never from a weighted average of percentiles.

A site with ``replicas`` model replicas of ``batch`` continuous-batching
slots each is an M/M/c queue with c = replicas·batch servers; one slot holds a
request for prefill + (n_out − 1)·TPOT(batch). Exponential service is an
ASSUMPTION standing for the spread of output lengths.

Edge-cloud strategies (``scenario.edge_cloud.strategy``):

- ``routing``: a fraction p of requests (simple ones) is served by the MEC
  model, the rest by the cloud model;
- ``overflow``: the MEC site is a loss system (no queue); a request that finds
  all slots busy (probability Erlang B) goes on to the cloud. Overflow
  traffic is peaked — it comes in bursts while a site is full — and merging
  the streams of ten sites does not smooth it: queued as if Poisson (M/M/c),
  the cloud wait would be ~4x too low. The cloud therefore queues a
  Markovian arrival process built from each site's exact overflow-interval
  law (:mod:`genai_edge.overflow`), checked against an exact Markov chain of
  small networks and a Ciw loss-network simulation;
- ``speculative``: the MEC draft model proposes k tokens, the cloud model
  verifies them; each verification yields (1 − α^{k+1})/(1 − α) tokens [2]_
  and costs one MEC↔cloud round trip.

References
----------
.. [1] L. Kleinrock, *Queueing Systems, Vol. 1: Theory*. Wiley, 1975.
.. [2] Y. Leviathan, M. Kalman and Y. Matias, "Fast inference from
   transformers via speculative decoding," ICML 2023. arXiv:2211.17192
"""
from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import catalog, compute, network, overflow, queueing
from . import units as u
from .scenario import Scenario, ScenarioError, Site

__all__ = ["PARADIGMS", "COMPONENTS", "ParadigmResult", "SiteStatus", "evaluate", "compare", "sweep",
           "speculative_tokens_per_verification"]

PARADIGMS = ("cloud", "mec", "edge_cloud", "on_device")
COMPONENTS = ("access", "transport", "queue", "prefill", "decode", "streaming")
TTFT_COMPONENTS = ("access", "transport", "queue", "prefill")
# The overflow strategy's cloud queue costs ~ cloud slots x phases^3 flops; beyond
# these limits (~1 s) it uses fewer interval terms, then Poisson, and says so.
_OVERFLOW_WORK_LIMIT = 2e9
_OVERFLOW_MAX_COMPOSITIONS = 50_000


@dataclass(frozen=True)
class SiteStatus:
    """Load and memory of one site in a paradigm."""
    site: str                    # 'cloud', 'mec' or 'device'
    model: str
    hardware: str
    arrival_rate: float          # requests per second at one site [s^-1]
    servers: int                 # replicas × batch slots [-]
    service_time: float          # slot holding time per request [s]
    utilization: float           # λ/(cμ) [-]
    stable: bool                 # utilization < 1
    fits_in_memory: bool
    memory_required_gb: float    # per replica [GB]
    memory_capacity_gb: float    # per replica [GB]


@dataclass(frozen=True)
class ParadigmResult:
    """Latency of one paradigm; times in seconds."""
    paradigm: str
    ttft_s: float
    ttft_p99_s: float
    tpot_s: float
    e2e_s: float
    e2e_p99_s: float
    breakdown: dict               # component → mean seconds; sums to e2e_s
    sites: list = field(default_factory=list)
    notes: str = ""
    branches: tuple = field(default=(), repr=False, compare=False)  # for distributions

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d.pop("branches")
        return d

    def survival(self, t, which: str = "ttft"):
        """P(latency > t) of the paradigm's mixture, for ``which`` = 'ttft' or 'e2e'.

        Parameters
        ----------
        t : array_like
            Latency thresholds. [s]
        """
        parts = TTFT_COMPONENTS if which == "ttft" else [k for k in COMPONENTS if k != "queue"]
        return _mixture_survival(self.branches, parts, np.asarray(t, dtype=float))


@dataclass(frozen=True)
class _Branch:
    weight: float
    parts: dict                  # component → deterministic seconds (queue excluded)
    wait: queueing.QueueWait     # random wait for a batch slot
    tpot: float


@dataclass(frozen=True)
class _Service:
    prefill: float
    tpot: float
    hold: float          # slot holding time per request [s]
    servers: int
    status_args: dict


# ------------------------------------------------------------------ helpers
def speculative_tokens_per_verification(acceptance_rate, draft_tokens):
    """Expected tokens produced per target-model verification.

    Parameters
    ----------
    acceptance_rate : array_like
        Probability α that the target accepts a draft token, in [0, 1). [-]
    draft_tokens : array_like
        Tokens γ proposed per verification. [-]

    Returns
    -------
    float or ndarray
        (1 − α^{γ+1})/(1 − α). [token]

    References
    ----------
    .. [1] Y. Leviathan, M. Kalman and Y. Matias, "Fast inference from
       transformers via speculative decoding," ICML 2023, Eq. (1).
       arXiv:2211.17192
    """
    from . import _validate as v
    a = v.fraction(acceptance_rate, "acceptance_rate", high_open=True)
    g = v.integer(draft_tokens, "draft_tokens", minimum=1)
    return v.scalar_or_array((1.0 - a ** (g + 1.0)) / (1.0 - a))


def _service(scn: Scenario, site: Site, kind: str) -> _Service:
    """Per-request compute at one replica of a site."""
    wl = scn.workload
    hw = catalog.hardware(site.hardware)
    if kind == "diffusion":
        dm = catalog.diffusion_model(site.model)
        f = compute.efficiency_factors(site.runtime, hw.device_class)
        peak = hw.peak(catalog.precision(site.precision).compute_peak) * site.devices
        t = compute.diffusion_time(wl.diffusion_steps, dm.evals_per_step * dm.flops_per_eval,
                                   dm.vae_decoder_flops, peak, f.compute_efficiency)
        required = compute.weights_bytes(dm.unet_params, catalog.precision(site.precision).bits_per_weight)
        capacity = hw.memory * site.devices
        # compute-bound: batching images does not shorten the time per image
        return _Service(t, 0.0, t, site.replicas,
                        dict(model=dm.id, required=required, capacity=capacity))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", compute.MemoryWarning)
        one = compute.estimate(site.model, hw, site.precision, site.runtime, site.devices, 1,
                               wl.prompt_tokens, wl.output_tokens)
        full = compute.estimate(site.model, hw, site.precision, site.runtime, site.devices, site.batch,
                                wl.prompt_tokens, wl.output_tokens)
    hold = one.prefill_s + (wl.output_tokens - 1) * full.tpot_s
    return _Service(one.prefill_s, full.tpot_s, hold, site.replicas * site.batch,
                    dict(model=one.model, required=full.memory_required_bytes,
                         capacity=full.memory_capacity_bytes))


def _queue(lam: float, svc: _Service) -> queueing.QueueWait:
    """Wait at a site fed by Poisson arrivals: M/M/c."""
    return queueing.mmc_wait(lam, 1.0 / svc.hold, svc.servers)


def _overflow_queue(scn: Scenario, edge_svc: _Service, cloud_svc: _Service):
    """Wait at a cloud site fed by the overflow of the MEC loss sites, and a note.

    Each MEC site's overflow is a renewal process with an exactly known
    interval law, reduced to 3 exponential terms; the ``mec.sites`` streams
    are split at random over ``cloud.sites`` (ASSUMPTION: a global load
    balancer) and merged into a MAP that feeds the cloud's slots
    (:mod:`genai_edge.overflow`). Very large merges drop to 2 terms, then to
    a Poisson stream, and say so in the note.
    """
    n = scn.mec.sites
    lam_e = scn.arrival_rate / n
    blocked = float(queueing.erlang_b(lam_e * edge_svc.hold, edge_svc.servers))
    lam_c = blocked * scn.arrival_rate / scn.cloud.sites
    note = f"overflow: {blocked:.2%} of requests overflow to the cloud (Erlang B)"
    poisson = _queue(lam_c, cloud_svc)
    if blocked * n * lam_e * cloud_svc.hold < 1e-12 or poisson.utilization >= 1:
        return blocked, poisson, note     # no overflow to speak of, or no steady state
    interval = overflow.overflow_interval(lam_e, 1.0 / edge_svc.hold, edge_svc.servers)
    max_phases = int((_OVERFLOW_WORK_LIMIT / cloud_svc.servers) ** (1 / 3))
    for order in (3, 2):
        if math.comb(n + order - 1, order - 1) > _OVERFLOW_MAX_COMPOSITIONS:
            continue
        arrivals = overflow.superpose(interval.reduced(order), n, share=1.0 / scn.cloud.sites,
                                      max_phases=max_phases)
        if arrivals is not None:
            wait = overflow.map_queue_wait(arrivals, 1.0 / cloud_svc.hold, cloud_svc.servers)
            return blocked, wait, (f"{note}; the merged overflow of {n} MEC site{'s' * (n > 1)} "
                                   f"queues at the cloud as a MAP ({order}-term intervals)")
    return blocked, poisson, (
        f"{note}; too many MEC sites x cloud slots for the MAP queue: the cloud takes the overflow "
        "as Poisson, which UNDERESTIMATES its wait")


def _status(site_name, site, svc, lam, rho) -> SiteStatus:
    a = svc.status_args
    return SiteStatus(site=site_name, model=a["model"], hardware=site.hardware,
                      arrival_rate=lam, servers=svc.servers, service_time=svc.hold,
                      utilization=rho, stable=bool(rho < 1), fits_in_memory=bool(a["required"] <= a["capacity"]),
                      memory_required_gb=a["required"] / u.GB, memory_capacity_gb=a["capacity"] / u.GB)


def _network(scn: Scenario, distance_km: float, hops: int):
    """Access time (uplink + latency both ways), transport RTT, per-token pacing, response time."""
    wl, net = scn.workload, scn.network
    acc = network.access_network(net.access)
    access = (network.uplink_time(wl.prompt_tokens, acc.uplink_rate, payload_bytes=wl.payload_bytes)
              + 2 * acc.one_way_latency)
    transport = network.round_trip_time(distance_km * u.km, net.route_factor, hops, net.per_hop_delay_s)
    pacing = network.token_stream_interval(acc.downlink_rate)
    response = network.serialization_delay(wl.response_bytes * 8, acc.downlink_rate)
    return access, transport, pacing, response


def _branch(scn, weight, access, transport, svc, wait, pacing, response,
            token_network=0.0) -> _Branch:
    """One path; ``token_network`` is network time per output token already inside svc.tpot."""
    n = scn.workload.output_tokens
    streaming = (n - 1) * (max(0.0, pacing - svc.tpot) + token_network) + response
    parts = dict(access=access, transport=transport, queue=0.0, prefill=svc.prefill,
                 decode=(n - 1) * (svc.tpot - token_network), streaming=streaming)
    return _Branch(weight, parts, wait, svc.tpot)


def _mixture_survival(branches, key_parts, t):
    """P(Σ parts + W > t) over a mixture of branches, vectorized over t."""
    t = np.asarray(t, dtype=float)
    total = sum(b.weight for b in branches)
    return sum(b.weight * b.wait.sf(t - sum(b.parts[k] for k in key_parts)) for b in branches) / total


def _mixture_quantile(branches, key_parts, q=0.99) -> float:
    """q-quantile of Σ parts + W over a mixture of branches (bisection on the survival)."""
    def sf(t):
        return float(_mixture_survival(branches, key_parts, t))

    lo = 0.0
    hi = max(sum(b.parts[k] for k in key_parts) for b in branches) + 1.0
    while sf(hi) > 1 - q:  # an unstable branch heavier than 1 − q never drops below
        hi *= 2
        if hi > 1e12:
            return np.inf
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if sf(mid) > 1 - q else (lo, mid)
        if hi - lo <= 1e-12 * max(hi, 1e-9):
            break
    return hi


def _result(paradigm, branches, sites, notes="") -> ParadigmResult:
    live = [b for b in branches if b.weight > 0]
    total_w = sum(b.weight for b in live)
    breakdown = {}
    for k in COMPONENTS:
        if k == "queue":
            breakdown[k] = sum(b.weight * b.wait.mean for b in live) / total_w
        else:
            breakdown[k] = sum(b.weight * b.parts[k] for b in live) / total_w
    ttft = sum(breakdown[k] for k in TTFT_COMPONENTS)
    e2e = sum(breakdown.values())
    tpot = sum(b.weight * b.tpot for b in live) / total_w
    return ParadigmResult(
        paradigm=paradigm, ttft_s=float(ttft), ttft_p99_s=_mixture_quantile(live, TTFT_COMPONENTS),
        tpot_s=float(tpot), e2e_s=float(e2e),
        e2e_p99_s=_mixture_quantile(live, [k for k in COMPONENTS if k != "queue"]),
        breakdown={k: float(v) for k, v in breakdown.items()}, sites=sites, notes=notes,
        branches=tuple(live))


# ---------------------------------------------------------------- paradigms
def _single_site(scn, name, kind) -> ParadigmResult:
    """Every request served at one kind of site (``cloud`` or ``mec``)."""
    site = getattr(scn, name)
    distance_km = getattr(scn.network, f"{name}_distance_km")
    hops = getattr(scn.network, f"{name}_hops")
    svc = _service(scn, site, kind)
    lam = scn.arrival_rate / site.sites
    wait = _queue(lam, svc)
    access, transport, pacing, response = _network(scn, distance_km, hops)
    return _result(name, [_branch(scn, 1.0, access, transport, svc, wait, pacing, response)],
                   [_status(name, site, svc, lam, wait.utilization)])


def _on_device(scn, kind) -> ParadigmResult:
    svc = _service(scn, scn.device, kind)
    branch = _branch(scn, 1.0, 0.0, 0.0, svc, _queue(0.0, svc), 0.0, 0.0)
    rate = scn.workload.rate_per_user_per_h / 3600.0
    rho = rate * svc.hold
    return _result("on_device", [branch], [_status("device", scn.device, svc, rate, rho)],
                   notes="one user per device: no network, no queue")


def _edge_cloud(scn, kind) -> ParadigmResult:
    ec, net, lam = scn.edge_cloud, scn.network, scn.arrival_rate
    edge_svc = _service(scn, scn.mec, kind)
    cloud_svc = _service(scn, scn.cloud, kind)
    e_acc, e_tr, pace, resp = _network(scn, net.mec_distance_km, net.mec_hops)
    _, c_tr, _, _ = _network(scn, net.cloud_distance_km, net.cloud_hops)

    if ec.strategy == "routing":
        p = ec.edge_fraction
        lam_e, lam_c = p * lam / scn.mec.sites, (1 - p) * lam / scn.cloud.sites
        wait_e, wait_c = _queue(lam_e, edge_svc), _queue(lam_c, cloud_svc)
        rho_e = wait_e.utilization
        branches = [_branch(scn, p, e_acc, e_tr, edge_svc, wait_e, pace, resp),
                    _branch(scn, 1 - p, e_acc, c_tr, cloud_svc, wait_c, pace, resp)]
        notes = f"routing: {p:.0%} of requests served by the MEC model"
    elif ec.strategy == "overflow":
        lam_e = lam / scn.mec.sites
        blocked, wait_c, notes = _overflow_queue(scn, edge_svc, cloud_svc)
        rho_e = lam_e * (1 - blocked) * edge_svc.hold / edge_svc.servers
        lam_c = blocked * lam / scn.cloud.sites
        branches = [_branch(scn, 1 - blocked, e_acc, e_tr, edge_svc, _queue(0.0, edge_svc), pace, resp),
                    _branch(scn, blocked, e_acc, e_tr + c_tr, cloud_svc, wait_c, pace, resp)]
    else:  # speculative
        if kind == "diffusion":
            raise ScenarioError(f"{scn.source}: key 'edge_cloud.strategy': 'speculative' applies to "
                                "LLM workloads only; use 'routing' or 'overflow' for diffusion")
        tau = speculative_tokens_per_verification(ec.acceptance_rate, ec.draft_tokens)
        iteration_compute = ec.draft_tokens * edge_svc.tpot + cloud_svc.tpot
        tpot = (iteration_compute + c_tr) / tau
        n = scn.workload.output_tokens
        hold = cloud_svc.prefill + (n - 1) * tpot
        cloud_svc = dataclasses.replace(cloud_svc, tpot=tpot, hold=hold)
        lam_c, lam_e = lam / scn.cloud.sites, lam / scn.mec.sites
        wait_c = _queue(lam_c, cloud_svc)
        rho_e = lam_e * (n - 1) / tau * ec.draft_tokens * edge_svc.tpot / edge_svc.servers
        branches = [_branch(scn, 1.0, e_acc, e_tr + c_tr, cloud_svc, wait_c, pace, resp,
                            token_network=c_tr / tau)]
        notes = (f"speculative: {ec.draft_tokens} draft tokens, acceptance {ec.acceptance_rate}, "
                 f"{tau:.2f} tokens per verification; edge draft queueing not modelled")
    sites = [_status("mec", scn.mec, edge_svc, lam_e, rho_e),
             _status("cloud", scn.cloud, cloud_svc, lam_c, wait_c.utilization)]
    return _result("edge_cloud", branches, sites, notes)


def _check_fits(scn: Scenario, results: dict) -> None:
    for res in results.values():
        for s in res.sites:
            if not s.fits_in_memory:
                short = s.memory_required_gb - s.memory_capacity_gb
                raise ScenarioError(
                    f"{scn.source}: key '{s.site}.model': {s.model} needs {s.memory_required_gb:.1f} GB "
                    f"(weights + KV cache for batch {getattr(scn, s.site).batch}) but "
                    f"{getattr(scn, s.site).devices} x {s.hardware} hold {s.memory_capacity_gb:.1f} GB: "
                    f"short by {short:.1f} GB. Use a smaller model or precision, more devices, "
                    "or a smaller batch.")


def _check_models(scn: Scenario) -> str:
    kind = scn.workload.kind
    lookup = catalog.diffusion_model if kind == "diffusion" else catalog.model
    for name in ("cloud", "mec", "device"):
        try:
            lookup(getattr(scn, name).model)
        except KeyError as exc:
            raise ScenarioError(f"{scn.source}: key '{name}.model' (workload.kind {kind!r}): "
                                f"{exc.args[0]}") from None
    return kind


def evaluate(scenario: Scenario, check_memory: bool = True) -> dict:
    """All four paradigms for a scenario.

    Returns
    -------
    dict
        paradigm name → :class:`ParadigmResult`.

    Raises
    ------
    ScenarioError
        A model that does not fit its site (with the shortfall in GB) when
        ``check_memory``, or a model id of the wrong kind.
    """
    kind = _check_models(scenario)
    results = {"cloud": _single_site(scenario, "cloud", kind), "mec": _single_site(scenario, "mec", kind),
               "edge_cloud": _edge_cloud(scenario, kind), "on_device": _on_device(scenario, kind)}
    if check_memory:
        _check_fits(scenario, results)
    return results


METRICS = {"ttft_s": "s", "ttft_p99_s": "s", "tpot_s": "s", "e2e_s": "s", "e2e_p99_s": "s"}


def compare(scenario, overrides: dict | None = None, **kw_overrides):
    """Tidy comparison of the four paradigms.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, a built-in name (``'chatbot'``) or a YAML path.
    overrides : dict, optional
        Dotted keys to values, e.g. ``{'network.cloud_distance_km': 3000}``.
    **kw_overrides
        The same with ``__`` for the dot: ``network__cloud_distance_km=3000``.

    Returns
    -------
    pandas.DataFrame
        Columns ``paradigm, metric, value, unit``: latency metrics, the
        breakdown (``breakdown_<component>_s``), and per site
        ``<site>_utilization`` and ``<site>_stable``.
    """
    import pandas as pd

    from . import scenario as scenario_mod

    merged = dict(overrides or {})
    merged.update({k.replace("__", "."): v for k, v in kw_overrides.items()})
    scn = scenario if isinstance(scenario, Scenario) else scenario_mod.load(scenario)
    if merged:
        scn = scn.replace(**merged)
    rows = []
    for name, res in evaluate(scn).items():
        for metric, unit in METRICS.items():
            rows.append((name, metric, getattr(res, metric), unit))
        for comp, value in res.breakdown.items():
            rows.append((name, f"breakdown_{comp}_s", value, "s"))
        for s in res.sites:
            rows.append((name, f"{s.site}_utilization", s.utilization, "-"))
            rows.append((name, f"{s.site}_stable", float(s.stable), "bool"))
    return pd.DataFrame(rows, columns=["paradigm", "metric", "value", "unit"])


def sweep(scenario: Scenario, key: str, values) -> "pandas.DataFrame":
    """:func:`compare` over values of one scenario key, as one tidy frame.

    Parameters
    ----------
    scenario : Scenario
        Base scenario.
    key : str
        Dotted key, e.g. ``'network.cloud_distance_km'`` or ``'workload.users'``.
    values : iterable
        Values of the key, in its file unit.

    Returns
    -------
    pandas.DataFrame
        ``compare`` rows with an extra column named ``key``. Sites that
        become unstable give ``inf``; a model that stops fitting raises.
    """
    import pandas as pd

    frames = [compare(scenario.replace(**{key: value})).assign(**{key: value}) for value in values]
    return pd.concat(frames, ignore_index=True)
