"""Compose network, compute and queueing into cloud / MEC / edge-cloud / on-device paths.

Each paradigm is a mixture of branches (:mod:`genai_edge.paths`): the
access link, fibre segments and compute sites a request crosses, and the
wait for a batch slot at its queue. Everything is computed on numpy arrays
over the points of a sweep (:class:`genai_edge.arrays.ScenarioArrays`);
:func:`evaluate` is the one-point case of :func:`genai_edge.sweep.sweep`.

Queues. A site with ``replicas`` replicas of ``batch`` continuous-batching
slots is a c-server queue, c = replicas·batch; one slot holds a request for
prefill + (N − 1)·TPOT(batch), N the answer length (mean
``workload.output_tokens``, spread ``workload.output_tokens_cv``). The wait
is the M/G/c approximation of :func:`queueing.mgc_wait` (Erlang C
probability of waiting, Allen–Cunneen mean, exponential tail; exact for
exponential holding times), checked against Ciw simulations.

Edge-cloud strategies (``edge_cloud.strategy``):

- ``routing``: a fraction p of requests (simple ones) is served by the MEC
  model, the rest by the cloud model;
- ``overflow``: each MEC site is a loss system; a request that finds all
  slots busy (Erlang B) goes on to the cloud. Overflow comes in bursts, so
  the cloud queues a Markovian arrival process built from each site's exact
  overflow-interval law (:mod:`genai_edge.overflow`; exponential holding
  times ASSUMED there), solved once per distinct configuration;
- ``speculative``: the MEC draft model proposes k tokens, the cloud model
  verifies them; each verification yields (1 − α^{k+1})/(1 − α) tokens [2]_
  and costs one MEC↔cloud round trip. Draft queueing is not modelled.

References
----------
.. [1] L. Kleinrock, *Queueing Systems, Vol. 1: Theory*. Wiley, 1975.
.. [2] Y. Leviathan, M. Kalman and Y. Matias, "Fast inference from
   transformers via speculative decoding," ICML 2023. arXiv:2211.17192
"""
from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from . import catalog, compute, considerations, energy, network, overflow, power, queueing, retrieval
from . import units as u
from .arrays import ScenarioArrays, check_kind
from .distributions import AnswerTime, Wait, answer_length_law, extra_tokens, joint_cdf, mixture_quantile
from .paths import COMPONENTS, FIRST_TOKEN_COMPONENTS, AccessLink, Bits, Branch, ComputeSite, FibreSegment
from .scenario import MEDIA_KINDS, Scenario, ScenarioError

__all__ = ["PARADIGMS", "PARADIGM_LABELS", "SITES", "COMPONENTS", "FIRST_TOKEN_COMPONENTS", "ParadigmResult",
           "SiteStatus",
           "evaluate", "compare", "speculative_tokens_per_verification"]

PARADIGMS = ("cloud", "mec", "edge_cloud", "on_device")
PARADIGM_LABELS = {"cloud": "Cloud", "mec": "MEC", "edge_cloud": "Edge–cloud", "on_device": "On-device"}
SITES = ("cloud", "mec", "device")
STRATEGIES = ("routing", "overflow", "speculative")
# The overflow strategy's cloud queue costs ~ cloud slots x phases^3 flops; beyond
# these limits (~1 s) it uses fewer interval terms, then Poisson, and says so.
_OVERFLOW_WORK_LIMIT = 2e9
_OVERFLOW_MAX_COMPOSITIONS = 50_000


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
    return v.scalar_or_array(_tokens_per_verification(a, g))


def _tokens_per_verification(a, g):
    return (1.0 - a ** (g + 1.0)) / (1.0 - a)


# ------------------------------------------------------------------ services
@dataclass(frozen=True)
class Service:
    """Compute at one replica of a site, as arrays over points."""
    site: str
    prefill: np.ndarray      # [s]
    tpot: np.ndarray         # decode step at full batch [s]
    servers: np.ndarray      # replicas x batch slots [-]
    fits: np.ndarray         # weights + KV cache fit the replica [bool]
    required: np.ndarray     # [byte]
    capacity: np.ndarray     # [byte]
    prefill_j: np.ndarray    # IT energy of one request's prefill (an image for diffusion) [J]
    token_j: np.ndarray      # IT energy per output token of one sequence at full batch [J]
    idle_w: np.ndarray       # idle power of one replica's accelerators, with their host [W]


def _group_apply(codes, numeric: dict, fn):
    """Call ``fn(combo, **numeric_subset)`` once per distinct combination of codes; scatter the results.

    ``codes`` is a tuple of int arrays (one per categorical key); ``numeric``
    arrays broadcast with them. ``fn`` returns a dict of arrays shaped like
    its numeric inputs.
    """
    shape = np.broadcast_shapes(*(np.shape(c) for c in codes), *(np.shape(x) for x in numeric.values()))
    flat_codes = np.stack([np.broadcast_to(c, shape).reshape(-1) for c in codes], axis=-1)
    combos, inverse = np.unique(flat_codes, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    if all(np.ndim(x) == 0 for x in numeric.values()):
        rows = [fn(tuple(int(x) for x in combo), **numeric) for combo in combos]
        return {k: np.asarray([np.asarray(r[k]) for r in rows])[inverse].reshape(shape) for k in rows[0]}
    out = None
    flat_num = {k: np.broadcast_to(x, shape).reshape(-1) for k, x in numeric.items()}
    for i, combo in enumerate(combos):
        sel = np.flatnonzero(inverse == i)
        res = fn(tuple(int(x) for x in combo), **{k: x[sel] for k, x in flat_num.items()})
        if out is None:
            out = {k: np.empty(inverse.size, dtype=np.asarray(val).dtype) for k, val in res.items()}
        for k, val in res.items():
            out[k][sel] = val
    return {k: val.reshape(shape) for k, val in out.items()}


def diffusion_steps(a: ScenarioArrays, site: str):
    """Denoising steps at ``site``: its own ``<site>.diffusion_steps``, else the workload's [-]."""
    own = a.num(f"{site}.diffusion_steps")
    return np.where(own > 0, own, a.num("workload.diffusion_steps"))


def _service(a: ScenarioArrays, site: str) -> Service:
    """Compute per request at one replica of ``site``, once per distinct configuration."""
    keys = ("model", "hardware", "precision", "runtime", "kv_precision")
    cats = [a.cat(f"{site}.{k}") for k in keys]
    codes = tuple(c for c, _ in cats)
    levels = [lv for _, lv in cats]
    numeric = dict(devices=a.num(f"{site}.devices"), batch=a.num(f"{site}.batch"),
                   prompt=a.num("workload.prompt_tokens") + a.num("workload.retrieved_tokens"),
                   output=a.num("workload.output_tokens"),
                   steps=diffusion_steps(a, site))
    kind = a.kind

    def one(combo, devices, batch, prompt, output, steps):
        model, hw_id, prec_id, rt_id, kv_id = (levels[i][combo[i]] for i in range(len(keys)))
        hw = catalog.hardware(hw_id)
        prec = catalog.precision(prec_id)
        no_link = (devices > 1) & math.isnan(hw.interconnect_bandwidth)
        if np.any(no_link):
            if not a.shape:
                raise ScenarioError(f"{a.scenario.source}: key '{site}.devices': {hw_id} has no device "
                                    "interconnect in the catalog; allowed: 1")
            # in a sweep such points are flagged (nothing fits) with undefined times
            res = one(combo, np.where(no_link, 1.0, devices), batch, prompt, output, steps)
            nan = np.where(no_link, np.nan, 1.0)
            return dict(res, prefill=res["prefill"] * nan, tpot=res["tpot"] * nan,
                        capacity=np.where(no_link, 0.0, res["capacity"]),
                        prefill_j=res["prefill_j"] * nan, token_j=res["token_j"] * nan)
        it = 1.0 + energy.SERVER_OVERHEAD if hw.device_class in energy.SERVER_CLASSES else 1.0
        factors = power.power_factors(hw.device_class)
        idle_w = it * devices * hw.power_idle
        if kind in MEDIA_KINDS:
            dm = catalog.diffusion_model(model)
            t = compute.diffusion_estimate(dm, hw_id, prec_id, rt_id, devices, steps)
            required = compute.weights_bytes(dm.unet_params, prec.bits_per_weight) + 0.0 * t
            image_j = power.diffusion_energy(dm, hw, prec_id, rt_id, devices, steps, factors)
            return dict(prefill=t, tpot=0.0 * t, required=required, capacity=hw.memory * devices + 0.0 * t,
                        prefill_j=it * image_j + 0.0 * t, token_j=0.0 * t, idle_w=idle_w + 0.0 * t)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", compute.MemoryWarning)
            one_seq = compute.estimate(model, hw, prec_id, rt_id, devices, 1, prompt, output,
                                       kv_precision=kv_id)
            full = compute.estimate(model, hw, prec_id, rt_id, devices, batch, prompt, output,
                                    kv_precision=kv_id)
        prefill_j, token_j, _, _ = power.pass_energies(hw, one_seq, full, devices, batch, factors)
        return dict(prefill=one_seq.prefill_s, tpot=full.tpot_s, required=full.memory_required_bytes,
                    capacity=full.memory_capacity_bytes, prefill_j=it * prefill_j, token_j=it * token_j,
                    idle_w=idle_w + 0.0 * full.tpot_s)

    res = _group_apply(codes, numeric, one)
    scale = a.num(f"{site}.compute_scale")
    servers = a.num(f"{site}.replicas") * (1.0 if kind in MEDIA_KINDS else a.num(f"{site}.batch"))
    return Service(site, res["prefill"] * scale, res["tpot"] * scale, servers,
                   res["required"] <= res["capacity"], res["required"], res["capacity"],
                   res["prefill_j"] * scale, res["token_j"] * scale, res["idle_w"])


# ------------------------------------------------------------------- network
@dataclass(frozen=True)
class _Network:
    access: AccessLink
    mec_rtt: np.ndarray
    cloud_rtt: np.ndarray
    bits: Bits
    metro_j_per_bit: np.ndarray
    wan_j_per_bit: np.ndarray
    grid: np.ndarray

    def metro(self, **kw) -> FibreSegment:
        return FibreSegment("metro", self.mec_rtt, bits=self.bits, j_per_bit=self.metro_j_per_bit, grid=self.grid, **kw)

    def wan(self, **kw) -> FibreSegment:
        return FibreSegment("wan", self.cloud_rtt, bits=self.bits, j_per_bit=self.wan_j_per_bit, grid=self.grid, **kw)


def _network(a: ScenarioArrays) -> _Network:
    codes, ids = a.cat("network.access")
    nets = [network.access_network(i) for i in ids]
    up = np.array([n.uplink_rate for n in nets])[codes]
    down = np.array([n.downlink_rate for n in nets])[codes]
    one_way = np.array([n.one_way_latency for n in nets])[codes]
    uplink = network.uplink_time(a.num("workload.prompt_tokens"), up, payload_bytes=a.num("workload.payload_bytes"))
    token_interval = network.token_stream_interval(down) if a.kind == "llm" else 0.0
    response = network.serialization_delay(a.num("workload.response_bytes") * 8, down)
    route, hop = a.num("network.route_factor"), a.num("network.per_hop_delay_s")

    def rtt(name):
        return network.round_trip_time(a.num(f"network.{name}_distance_km") * u.km, route,
                                       a.num(f"network.{name}_hops"), hop)

    per_bit = [energy.network_energy(i) for i in ids]
    chunk = 8.0 * network.DEFAULT_STREAM_CHUNK_BYTES if a.kind == "llm" else 0.0
    bits = Bits(up=8.0 * (a.num("workload.prompt_tokens") * network.DEFAULT_BYTES_PER_TOKEN
                          + a.num("workload.payload_bytes") + network.DEFAULT_REQUEST_OVERHEAD_BYTES),
                down=8.0 * a.num("workload.response_bytes") + chunk, down_per_token=chunk)
    grid = a.num("network.grid_kg_per_kwh")
    access = AccessLink(np.asarray(uplink), np.asarray(one_way), np.asarray(token_interval), np.asarray(response),
                        bits, np.array([e.radio_uplink for e in per_bit])[codes],
                        np.array([e.radio_downlink for e in per_bit])[codes],
                        np.array([e.radio_tail for e in per_bit])[codes], np.array([e.access for e in per_bit])[codes],
                        a.num("device.grid_kg_per_kwh"), grid)
    return _Network(access, np.asarray(rtt("mec")), np.asarray(rtt("cloud")), bits,
                    np.asarray(per_bit[0].metro), np.asarray(per_bit[0].wan), grid)


# ------------------------------------------------------------------- results
@dataclass(frozen=True)
class SiteLoad:
    """Load of one site in a paradigm, arrays over points."""
    site: str
    arrival_rate: object     # requests per second at one site [s^-1]
    servers: object          # replicas x batch slots [-]
    hold: object             # mean slot holding time per request [s]
    utilization: object      # λ·hold/c [-]
    fits: object             # the model fits the site's memory [bool]
    required: object         # per replica [byte]
    capacity: object         # per replica [byte]
    per_user: object         # arrival_rate per active user [s^-1]

    @property
    def stable(self):
        return np.asarray(self.utilization) < 1


@dataclass
class Paths:
    """One paradigm over the points: its composed branches, the sites it loads, notes."""
    paradigm: str
    branches: list           # ComposedPath
    sites: list              # SiteLoad
    answer_law: tuple        # (shift, probs, means) of N − 1 [token]
    notes: list = field(default_factory=list)
    routes: list = field(default_factory=list)   # the Branches before composition (one strategy only)

    def _weights(self):
        total = sum(np.asarray(b.weight, dtype=float) for b in self.branches)
        return [np.asarray(b.weight, dtype=float) / total for b in self.branches]

    def mean(self, component: str):
        """Mean seconds of one component over the mixture. [s]"""
        extra = extra_tokens(self.answer_law)
        out = 0.0
        for w, b in zip(self._weights(), self.branches):
            if component == "queue":
                value = b.wait.mean
            else:
                value = b.once[component] + b.per_token[component] * extra
            with np.errstate(invalid="ignore"):      # 0 x inf of a path never taken
                out = out + np.where(w > 0, w * value, 0.0)
        return out

    def energy(self, component: str):
        """Mean energy of one component per request over the mixture. [J]"""
        extra = extra_tokens(self.answer_law)
        out = 0.0
        for w, b in zip(self._weights(), self.branches):
            with np.errstate(invalid="ignore"):
                value = b.energy_once[component] + b.energy_per_token[component] * extra
                out = out + np.where(w > 0, w * value, 0.0)
        return out

    def co2e(self):
        """Mean emissions per request over the mixture. [g CO2e]"""
        extra = extra_tokens(self.answer_law)
        out = 0.0
        for w, b in zip(self._weights(), self.branches):
            with np.errstate(invalid="ignore"):
                out = out + np.where(w > 0, w * (b.co2e_once + b.co2e_per_token * extra), 0.0)
        return out

    def token_time(self):
        return sum(np.where(w > 0, w * b.token_time, 0.0) for w, b in zip(self._weights(), self.branches))

    def _answer(self, b):
        shift, probs, means = self.answer_law
        tau = np.asarray(b.token_time, dtype=float)
        with np.errstate(divide="ignore"):
            rates = 1.0 / (means * tau[..., None])
        return AnswerTime(shift * tau, probs, np.where(np.isfinite(rates), rates, 1.0))

    def _mixture(self, first_token: bool):
        out = []
        for w, b in zip(self._weights(), self.branches):
            fixed = b.first_token_fixed() if first_token else b.end_to_end_fixed()
            out.append((w, fixed, b.wait, self._answer(b)))
        return out

    def quantile(self, q: float, first_token: bool):
        """q-quantile of the time to first token or end to end. [s]"""
        return mixture_quantile(self._mixture(first_token), q, first_token)

    def attainment(self, ttft_slo, tpot_slo, e2e_slo):
        """P(a request meets every target); a target of inf is no target. [-]"""
        out = 0.0
        for w, b in zip(self._weights(), self.branches):
            ok_tpot = np.asarray(b.token_time) <= tpot_slo
            g = joint_cdf(b.wait, self._answer(b), ttft_slo - b.first_token_fixed(),
                          e2e_slo - b.end_to_end_fixed())
            out = out + np.where(w > 0, w * np.where(ok_tpot, g, 0.0), 0.0)
        return out

    @property
    def stable(self):
        return functools.reduce(np.logical_and, (s.stable for s in self.sites))

    @property
    def fits(self):
        return functools.reduce(np.logical_and, (np.asarray(s.fits) for s in self.sites))


# --------------------------------------------------------------- paradigms
class Context:
    """What every paradigm of one evaluation shares: services, network, answer law."""

    def __init__(self, a: ScenarioArrays):
        check_kind(a)
        self.arrays = a
        self.kind = a.kind
        self.services = {s: _service(a, s) for s in SITES}
        self.net = _network(a)
        n_mean = a.num("workload.output_tokens")
        cv = a.num("workload.output_tokens_cv") if self.kind == "llm" else np.asarray(0.0)
        self.answer_law = answer_length_law(n_mean, cv)
        shift, probs, means = self.answer_law
        self.extra_tokens = extra_tokens(self.answer_law)                            # E[N − 1]
        second = shift ** 2 + 2 * shift * (probs * means).sum(-1) + (probs * 2 * means ** 2).sum(-1)
        self.var_tokens = second - self.extra_tokens ** 2                           # Var(N)
        self.rate_per_user = a.num("workload.rate_per_user_per_h") / 3600.0
        self._once = {}

    def once(self, key, compute):
        """``compute()`` the first time ``key`` is asked for in this evaluation, the stored result after.

        For per-site costs that every paradigm and path through the site
        would otherwise recompute from the same arrays. Only for values
        that depend on ``arrays`` alone: copies with other services (the
        outage states' replica counts) share what is stored.
        """
        if key not in self._once:
            self._once[key] = compute()
        return self._once[key]

    def users(self):
        return self.arrays.num("workload.users")

    def hold(self, svc: Service, tpot=None):
        """Mean and squared coefficient of variation of a slot's holding time."""
        tpot = svc.tpot if tpot is None else tpot
        mean = svc.prefill + self.extra_tokens * tpot
        with np.errstate(invalid="ignore", divide="ignore"):
            scv = np.where(mean > 0, self.var_tokens * tpot ** 2 / mean ** 2, 0.0)
        return mean, scv

    def queue(self, lam, svc: Service, tpot=None) -> tuple:
        hold, scv = self.hold(svc, tpot)
        pw, decay = queueing._mgc_tail(lam, hold, svc.servers, scv)
        return Wait.single(np.where(lam > 0, pw, 0.0), decay), hold

    def site(self, name, svc: Service, lam, utilization, prefill=None, per_token=None, prefill_j=None,
             token_j=None, retrieves=True) -> ComputeSite:
        """The compute tier of ``name`` with its energy: IT energy busy, facility overhead, idle share.

        With ``retrieves`` (and ``workload.retrieved_tokens`` > 0) the site also embeds the query and
        searches its index before the prefill, and its index is half a refresh interval old on average.
        """
        a = self.arrays
        rag = dict(zip(("retrieval", "retrieval_j", "index_age"), self.retrieval(name) if retrieves
                       else (0.0, 0.0, np.nan)))
        if name == "device":
            return ComputeSite(name, svc.prefill if prefill is None else prefill,
                               svc.tpot if per_token is None else per_token,
                               svc.prefill_j if prefill_j is None else prefill_j,
                               svc.token_j if token_j is None else token_j, 0.0, 1.0,
                               a.num("device.grid_kg_per_kwh"), **rag)
        pue = a.num(f"{name}.pue")
        codes, rules = a.cat(f"{name}.idle_energy")
        amortized = np.asarray([r == "amortized" for r in rules])[codes]
        idle_j = energy.idle_energy_per_request(svc.idle_w * a.num(f"{name}.replicas"), utilization, lam) * pue
        return ComputeSite(name, svc.prefill if prefill is None else prefill,
                           svc.tpot if per_token is None else per_token,
                           svc.prefill_j if prefill_j is None else prefill_j,
                           svc.token_j if token_j is None else token_j,
                           np.where(amortized, idle_j, 0.0), pue, a.num(f"{name}.grid_kg_per_kwh"), **rag)

    def retrieval(self, name) -> tuple:
        """(time [s], IT energy [J], mean index age [s]) of the retrieval step at site ``name``; 0, 0, NaN without."""
        a = self.arrays
        tokens = a.num("workload.retrieved_tokens")
        on = tokens > 0
        age = np.where(on, 0.5 * a.num(f"{name}.index_refresh_h") * 3600.0, np.nan)
        if not np.any(on):
            return 0.0, 0.0, age
        t, e = self.retrieval_cost(name)
        return np.where(on, t, 0.0), np.where(on, e, 0.0), age

    def retrieval_cost(self, name) -> tuple:
        """Time [s] and IT energy [J] of embedding the query and searching the index at site ``name``.

        :func:`genai_edge.retrieval.retrieval_time` on one of the site's
        accelerators: the prompt (at most the encoder's 512 positions, BERT's
        window) through a base-size encoder, an IVF search of
        ``workload.index_vectors`` chunks, the top chunks fetched; energy by
        :func:`genai_edge.retrieval.retrieval_energy_j`, with the server's host
        share as for the model's own passes.
        """
        return self.once(("retrieval", name), lambda: self._retrieval_cost(name))

    def _retrieval_cost(self, name) -> tuple:
        a = self.arrays
        codes, ids = a.cat(f"{name}.hardware")
        query = np.minimum(a.num("workload.prompt_tokens"), 512.0)
        vectors = a.num("workload.index_vectors")
        d = retrieval.DEFAULTS
        times, energies = [], []
        for hw_id in ids:
            t = retrieval.retrieval_time(query, d["encoder_params"], vectors, d["dim"], hw_id)
            it = 1.0 + energy.SERVER_OVERHEAD if catalog.hardware(hw_id).device_class in energy.SERVER_CLASSES \
                else 1.0
            times.append(np.asarray(t, dtype=float))
            energies.append(it * np.asarray(retrieval.retrieval_energy_j(t, hw_id), dtype=float))
        shape = np.broadcast_shapes(np.shape(codes), *(np.shape(t) for t in times))
        pick = np.broadcast_to(codes, shape)
        t = np.choose(pick, [np.broadcast_to(x, shape) for x in times])
        e = np.choose(pick, [np.broadcast_to(x, shape) for x in energies])
        return t, e

    def load(self, site, lam, svc, hold, per_user, utilization=None) -> SiteLoad:
        rho = lam * hold / svc.servers if utilization is None else utilization
        return SiteLoad(site, lam, svc.servers, hold, rho, svc.fits, svc.required, svc.capacity, per_user)


def _single_site(ctx: Context, name: str, users) -> Paths:
    a = ctx.arrays
    svc = ctx.services[name]
    sites = a.num(f"{name}.sites")
    per_user = ctx.rate_per_user / sites
    lam = users * per_user
    wait, hold = ctx.queue(lam, svc)
    load = ctx.load(name, lam, svc, hold, per_user)
    segment = ctx.net.wan() if name == "cloud" else ctx.net.metro()
    branch = Branch(1.0, (ctx.net.access, segment, ctx.site(name, svc, lam, load.utilization)), wait,
                    answer_loss=considerations.site_loss(a, name))
    return Paths(name, [branch.compose()], [load], ctx.answer_law, routes=[branch])


def _on_device(ctx: Context, users) -> Paths:
    svc = ctx.services["device"]
    rate = ctx.rate_per_user + 0.0 * np.asarray(users)
    hold, _ = ctx.hold(svc)
    idle = Wait.single(np.zeros_like(hold), np.ones_like(hold))
    branch = Branch(1.0, (ctx.site("device", svc, rate, rate * hold),), idle,
                    answer_loss=considerations.site_loss(ctx.arrays, "device"))
    return Paths("on_device", [branch.compose()],
                 [ctx.load("device", rate, svc, hold, 0.0, utilization=rate * hold)], ctx.answer_law,
                 ["one user per device: no network, no queue"], [branch])


def _edge_cloud(ctx: Context, users) -> Paths:
    codes, strategies = ctx.arrays.cat("edge_cloud.strategy")
    if len(strategies) == 1:
        return _STRATEGY[strategies[0]](ctx, users)
    options = [(_overflow(ctx, users, used=codes == k) if s == "overflow" else _STRATEGY[s](ctx, users))
               for k, s in enumerate(strategies)]
    return _select(codes, options)


def _routing(ctx: Context, users) -> Paths:
    a, net = ctx.arrays, ctx.net
    edge, cloud = ctx.services["mec"], ctx.services["cloud"]
    p = a.num("edge_cloud.edge_fraction")
    per_e, per_c = p * ctx.rate_per_user / a.num("mec.sites"), (1 - p) * ctx.rate_per_user / a.num("cloud.sites")
    lam_e, lam_c = users * per_e, users * per_c
    wait_e, hold_e = ctx.queue(lam_e, edge)
    wait_c, hold_c = ctx.queue(lam_c, cloud)
    load_e, load_c = ctx.load("mec", lam_e, edge, hold_e, per_e), ctx.load("cloud", lam_c, cloud, hold_c, per_c)
    branches = [Branch(p, (net.access, net.metro(), ctx.site("mec", edge, lam_e, load_e.utilization)), wait_e,
                       answer_loss=considerations.site_loss(a, "mec")),
                Branch(1 - p, (net.access, net.wan(), ctx.site("cloud", cloud, lam_c, load_c.utilization)), wait_c,
                       answer_loss=considerations.site_loss(a, "cloud"))]
    share = f"{float(p):.0%}" if np.ndim(p) == 0 else "edge_cloud.edge_fraction"
    notes = [f"routing: {share} of requests served by the MEC model"]
    return Paths("edge_cloud", [b.compose() for b in branches], [load_e, load_c], ctx.answer_law, notes, branches)


def _speculative(ctx: Context, users) -> Paths:
    a, net = ctx.arrays, ctx.net
    if ctx.kind in MEDIA_KINDS:
        raise ScenarioError(f"{a.scenario.source}: key 'edge_cloud.strategy': 'speculative' applies to "
                            f"LLM workloads only; use 'routing' or 'overflow' for {ctx.kind}")
    edge, cloud = ctx.services["mec"], ctx.services["cloud"]
    k, alpha = a.num("edge_cloud.draft_tokens"), a.num("edge_cloud.acceptance_rate")
    tau = _tokens_per_verification(alpha, k)
    draft, verify = k * edge.tpot / tau, cloud.tpot / tau
    tpot = draft + verify + net.cloud_rtt / tau          # slot time per token at the cloud
    per_c, per_e = ctx.rate_per_user / a.num("cloud.sites"), ctx.rate_per_user / a.num("mec.sites")
    lam_c, lam_e = users * per_c, users * per_e
    wait_c, hold_c = ctx.queue(lam_c, cloud, tpot)
    rho_e = lam_e * ctx.extra_tokens / tau * k * edge.tpot / edge.servers
    hold_e = ctx.extra_tokens / tau * k * edge.tpot
    load_c = ctx.load("cloud", lam_c, cloud, hold_c, per_c)
    # a verification pass costs about one decode step's share; the draft k edge tokens
    branch = Branch(1.0, (net.access, net.metro(), net.wan(round_trips_per_token=1.0 / tau),
                          ctx.site("cloud", cloud, lam_c, load_c.utilization, per_token=verify,
                                   token_j=cloud.token_j / tau),
                          ctx.site("mec", edge, lam_e, rho_e, prefill=0.0, per_token=draft, prefill_j=0.0,
                                   token_j=k * edge.token_j / tau, retrieves=False)), wait_c,
                    # the cloud target answers (speculative decoding is lossless) and receives the drafts
                    answer_loss=considerations.site_loss(a, "cloud"),
                    cloud_bytes_per_token=k / tau * network.DEFAULT_BYTES_PER_TOKEN)
    notes = [f"speculative: {float(np.max(k)):.0f} draft tokens, acceptance {float(np.max(alpha))}, "
             f"{float(np.max(tau)):.2f} tokens per verification; edge draft queueing not modelled"
             if np.size(tau) == 1 else "speculative: edge draft queueing not modelled"]
    return Paths("edge_cloud", [branch.compose()],
                 [ctx.load("mec", lam_e, edge, hold_e, per_e, utilization=rho_e), load_c], ctx.answer_law, notes,
                 [branch])


def _overflow(ctx: Context, users, used=True) -> Paths:
    """``used``: the points that take this strategy; the MAP queue is solved for those only."""
    a, net = ctx.arrays, ctx.net
    edge, cloud = ctx.services["mec"], ctx.services["cloud"]
    n_mec, n_cloud = a.num("mec.sites"), a.num("cloud.sites")
    per_e = ctx.rate_per_user / n_mec
    lam_e = users * per_e
    hold_e, _ = ctx.hold(edge)
    hold_c, _ = ctx.hold(cloud)
    inputs = np.broadcast_arrays(lam_e, hold_e, edge.servers, n_mec, n_cloud, hold_c, cloud.servers,
                                 np.asarray(used, dtype=float))
    shape = inputs[0].shape
    rows = np.stack([x.reshape(-1) for x in inputs], axis=-1)
    rows[rows[:, -1] == 0, :-1] = 0.0          # points on another strategy share one dummy row
    uniq, inverse = np.unique(rows, axis=0, return_inverse=True)
    solved = [_overflow_queue(*map(float, r[:-1])) if r[-1] else (0.0, np.zeros(1), np.ones(1), "")
              for r in uniq]
    k = max(1, max(len(s[1]) for s in solved))
    w = np.zeros((len(solved), k))
    d = np.ones((len(solved), k))
    for i, (_, weights, decays, _) in enumerate(solved):
        w[i, :len(weights)], d[i, :len(decays)] = weights, decays
    inverse = inverse.reshape(-1)
    blocked = np.array([s[0] for s in solved])[inverse].reshape(shape)
    wait_c = Wait(w[inverse].reshape(shape + (k,)), d[inverse].reshape(shape + (k,)))
    notes = list(dict.fromkeys(s[3] for s in solved if s[3]))
    per_c = blocked * ctx.rate_per_user / n_cloud
    lam_c = users * per_c
    idle = Wait.single(np.zeros(shape), np.ones(shape))
    rho_e = lam_e * (1 - blocked) * hold_e / edge.servers
    load_c = ctx.load("cloud", lam_c, cloud, hold_c, per_c)
    served_e = lam_e * (1 - blocked)
    branches = [Branch(1 - blocked, (net.access, net.metro(), ctx.site("mec", edge, served_e, rho_e)), idle,
                       answer_loss=considerations.site_loss(a, "mec")),
                Branch(blocked, (net.access, net.metro(), net.wan(),
                                 ctx.site("cloud", cloud, lam_c, load_c.utilization)), wait_c,
                       answer_loss=considerations.site_loss(a, "cloud"))]
    return Paths("edge_cloud", [b.compose() for b in branches],
                 [ctx.load("mec", lam_e, edge, hold_e, per_e, utilization=rho_e), load_c], ctx.answer_law, notes,
                 branches)


@functools.lru_cache(maxsize=65536)
def _overflow_queue(lam_e, hold_e, c_e, n_sites, cloud_sites, hold_c, c_c):
    """(blocked share, wait weights, wait decays, note) of the cloud fed by MEC overflow.

    Each MEC site's overflow is a renewal process with an exactly known
    interval law, reduced to 3 exponential terms; the sites' streams are
    split at random over the cloud sites (ASSUMPTION: a global load
    balancer) and merged into a MAP that feeds the cloud's slots. Very large
    merges drop to 2 terms, then to a Poisson stream, and say so.
    """
    n, c_e, c_c = int(n_sites), int(c_e), int(c_c)
    blocked = float(queueing.erlang_b(lam_e * hold_e, c_e))
    lam_c = blocked * lam_e * n / cloud_sites
    note = (f"overflow: {blocked:.2%} of requests overflow to the cloud (Erlang B)"
            if lam_e > 0 else "overflow: no load")
    poisson = queueing.mmc_wait(lam_c, 1.0 / hold_c, c_c)

    def terms(wait):
        if not np.isfinite(wait.mean):
            return np.array([1.0]), np.array([0.0])
        return np.asarray(wait.weights, dtype=float), np.asarray(wait.decays, dtype=float)

    if blocked * n * lam_e * hold_c < 1e-12 or poisson.utilization >= 1:
        return (blocked, *terms(poisson), note)
    try:
        interval = overflow.overflow_interval(lam_e, 1.0 / hold_e, c_e)
    except ValueError as exc:  # a site too large for the exact interval law
        return (blocked, *terms(poisson), f"{note}; the cloud takes the overflow as Poisson, which "
                                          f"UNDERESTIMATES its wait ({exc})")
    max_phases = int((_OVERFLOW_WORK_LIMIT / c_c) ** (1 / 3))
    for order in (3, 2):
        if math.comb(n + order - 1, order - 1) > _OVERFLOW_MAX_COMPOSITIONS:
            continue
        arrivals = overflow.superpose(interval.reduced(order), n, share=1.0 / cloud_sites, max_phases=max_phases)
        if arrivals is not None:
            wait = overflow.map_queue_wait(arrivals, 1.0 / hold_c, c_c)
            return (blocked, *terms(wait), f"{note}; the merged overflow of {n} MEC site{'s' * (n > 1)} "
                                           f"queues at the cloud as a MAP ({order}-term intervals)")
    return (blocked, *terms(poisson), f"{note}; too many MEC sites x cloud slots for the MAP queue: the cloud "
                                      "takes the overflow as Poisson, which UNDERESTIMATES its wait")


_STRATEGY = {"routing": _routing, "overflow": _overflow, "speculative": _speculative}
BUILDERS = {"cloud": lambda ctx, n: _single_site(ctx, "cloud", n),
            "mec": lambda ctx, n: _single_site(ctx, "mec", n),
            "edge_cloud": _edge_cloud, "on_device": _on_device}


def _select(codes, options: list) -> Paths:
    """Per point, the strategy's paths: branches padded to the same count, weights 0 elsewhere."""
    n_branches = max(len(p.branches) for p in options)
    branches = []
    for i in range(n_branches):
        chosen = None
        for k, p in enumerate(options):
            if i >= len(p.branches):
                continue
            b = p.branches[i]
            b = dataclasses.replace(b, weight=np.where(codes == k, b.weight, 0.0))
            chosen = b if chosen is None else _merge(codes == k, b, chosen)
        branches.append(chosen)
    sites = []
    for j, name in enumerate(("mec", "cloud")):
        s = options[0].sites[j]
        fields_ = {f.name: getattr(s, f.name) for f in dataclasses.fields(SiteLoad) if f.name != "site"}
        for k, p in enumerate(options[1:], start=1):
            other = p.sites[j]
            fields_ = {key: np.where(codes == k, getattr(other, key), val) for key, val in fields_.items()}
        sites.append(SiteLoad(name, **fields_))
    notes = [n for p in options for n in p.notes]
    return Paths("edge_cloud", branches, sites, options[0].answer_law, notes)


def _merge(mask, b, other):
    """Composed path ``b`` where mask, ``other`` elsewhere (waits padded to the same terms)."""
    def pick(x, y):
        return np.where(mask, x, y)
    kb, ko = b.wait.weights.shape[-1], other.wait.weights.shape[-1]
    k = max(kb, ko)

    def pad(w, value):
        extra = k - w.shape[-1]
        return np.concatenate([w, np.full(w.shape[:-1] + (extra,), value)], axis=-1) if extra else w
    wait = Wait(np.where(mask[..., None], pad(b.wait.weights, 0.0), pad(other.wait.weights, 0.0)),
                np.where(mask[..., None], pad(b.wait.decays, 1.0), pad(other.wait.decays, 1.0)))
    return dataclasses.replace(
        b, weight=pick(b.weight, other.weight), once={c: pick(b.once[c], other.once[c]) for c in b.once},
        per_token={c: pick(b.per_token[c], other.per_token[c]) for c in b.per_token},
        token_time=pick(b.token_time, other.token_time), wait=wait,
        energy_once={c: pick(b.energy_once[c], other.energy_once[c]) for c in b.energy_once},
        energy_per_token={c: pick(b.energy_per_token[c], other.energy_per_token[c]) for c in b.energy_per_token},
        co2e_once=pick(b.co2e_once, other.co2e_once), co2e_per_token=pick(b.co2e_per_token, other.co2e_per_token),
        bytes_off_device=pick(b.bytes_off_device, other.bytes_off_device),
        bytes_to_cloud=pick(b.bytes_to_cloud, other.bytes_to_cloud),
        bytes_to_cloud_per_token=pick(b.bytes_to_cloud_per_token, other.bytes_to_cloud_per_token),
        answer_loss=pick(b.answer_loss, other.answer_loss), index_age=pick(b.index_age, other.index_age))


def paradigm_paths(ctx: Context, users=None) -> dict:
    """Paths of every paradigm at ``users`` (default: the scenario's). [-]"""
    users = ctx.users() if users is None else users
    return {p: BUILDERS[p](ctx, users) for p in PARADIGMS}


# -------------------------------------------------------- one-point results
@dataclass(frozen=True)
class SiteStatus:
    """Load and memory of one site in a paradigm."""
    site: str                    # 'cloud', 'mec' or 'device'
    model: str
    hardware: str
    arrival_rate: float          # requests per second at one site [s^-1]
    servers: int                 # replicas × batch slots [-]
    service_time: float          # mean slot holding time per request [s]
    utilization: float           # λ·hold/c [-]
    stable: bool                 # utilization < 1
    fits_in_memory: bool
    memory_required_gb: float    # per replica [GB]
    memory_capacity_gb: float    # per replica [GB]


@dataclass(frozen=True)
class ParadigmResult:
    """One paradigm at one scenario: every registry metric, the breakdown, sites and notes.

    Metrics are attributes too (``result.ttft_s``); times in seconds.
    """
    paradigm: str
    metrics: dict                 # registry metric name → value
    breakdown: dict               # component → mean seconds; sums to e2e_s
    sites: list = field(default_factory=list)
    notes: str = ""
    paths: Paths | None = field(default=None, repr=False, compare=False)

    def __getattr__(self, name):
        metrics = self.__dict__.get("metrics", {})
        if name in metrics:
            return metrics[name]
        raise AttributeError(name)

    def to_dict(self) -> dict:
        shown = {k: v for k, v in self.metrics.items() if not (isinstance(v, float) and math.isnan(v))}
        d = {"paradigm": self.paradigm, **shown, "breakdown": self.breakdown,
             "sites": [dataclasses.asdict(s) for s in self.sites], "notes": self.notes}
        return d

    def survival(self, t, which: str = "ttft"):
        """P(latency > t) of the paradigm's mixture, for ``which`` = 'ttft' or 'e2e'.

        Parameters
        ----------
        t : array_like
            Latency thresholds. [s]
        """
        t = np.asarray(t, dtype=float)
        out = 0.0
        for w, fixed, wait, answer in self.paths._mixture(which == "ttft"):
            if which == "ttft":
                p = 1.0 - joint_cdf(wait, answer, t - fixed, np.inf)
            else:
                p = 1.0 - joint_cdf(wait, answer, np.inf, t - fixed)
            out = out + w * p
        return out


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


def evaluate(scenario: Scenario, check_memory: bool = True) -> dict:
    """All four paradigms for one scenario (the one-point case of :func:`genai_edge.sweep.sweep`).

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
    from . import metrics as metrics_mod
    ctx = Context(ScenarioArrays(scenario))
    paths = paradigm_paths(ctx)
    values = metrics_mod.compute_all(ctx, paths)
    results = {}
    for p in PARADIGMS:
        sites = []
        for s in paths[p].sites:
            site = getattr(scenario, s.site)
            sites.append(SiteStatus(
                site=s.site, model=site.model, hardware=site.hardware, arrival_rate=float(s.arrival_rate),
                servers=int(s.servers), service_time=float(s.hold), utilization=float(s.utilization),
                stable=bool(s.stable), fits_in_memory=bool(s.fits),
                memory_required_gb=float(s.required) / u.GB, memory_capacity_gb=float(s.capacity) / u.GB))
        metrics = {m: float(values[p][m]) for m in metrics_mod.names()}
        breakdown = {c: float(paths[p].mean(c)) for c in COMPONENTS}
        results[p] = ParadigmResult(p, metrics, breakdown, sites, "; ".join(paths[p].notes), paths[p])
    if check_memory:
        _check_fits(scenario, results)
    return results


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
        Columns ``paradigm, metric, value, unit``: every metric of the
        registry (:mod:`genai_edge.metrics`) that applies to the paradigm,
        and per site ``<site>_stable``.
    """
    import pandas as pd

    from . import metrics as metrics_mod
    scn = resolve(scenario, overrides, **kw_overrides)
    rows = []
    for name, res in evaluate(scn).items():
        for m in metrics_mod.registry():
            value = res.metrics[m.name]
            if not (isinstance(value, float) and math.isnan(value)):
                rows.append((name, m.name, value, m.unit))
        for s in res.sites:
            rows.append((name, f"{s.site}_stable", float(s.stable), "bool"))
    return pd.DataFrame(rows, columns=["paradigm", "metric", "value", "unit"])


def resolve(scenario, overrides: dict | None = None, **kw_overrides) -> Scenario:
    """A Scenario from a Scenario, a built-in name or a YAML path, with dotted-key overrides."""
    from . import scenario as scenario_mod
    merged = dict(overrides or {})
    merged.update({k.replace("__", "."): v for k, v in kw_overrides.items()})
    scn = scenario if isinstance(scenario, Scenario) else scenario_mod.load(scenario)
    return scn.replace(**merged) if merged else scn
