"""Availability and SLO attainment of each paradigm, counting outages.

A request is served when every tier on its path is up: the user's device,
the access network, the fibre segment(s) and a compute site with enough
working replicas for the load. Availability here is the share of requests
served; ``slo_attainment`` the share served *and* meeting the latency
targets, weighting each failure state by its probability and using the
latency distribution of that state.

Tiers (scenario keys):

- device: ``device.site_availability``;
- access network: ``network.access_availability``;
- fibre (metro to the MEC site, wide area to the cloud): cuts per length
  and time over the routed length, each repaired in ``network.fibre_repair_h``,
  with ``network.fibre_paths`` disjoint paths in parallel;
- a site: a common-cause part (``<site>.site_availability``: power,
  cooling, the site network, an attack) in series with k of n replicas,
  where a replica of d accelerators fails when any of them does (rate
  d / ``gpu_mtbf_h``) and is back after ``replica_mttr_h``, and k is the
  fewest replicas that keep the site's queue stable at its load.

Capacity states of a site: all replicas up; *degraded* (fewer, but >= k),
evaluated at its representative replica count
(:func:`genai_edge.reliability.replica_states`); down. Edge-cloud: when
both sides are usable, the strategy runs with each side in its state; when
only one is (its fibre or site is down), every request fails over to it —
the cloud paradigm's path or the MEC paradigm's path, with all the load —
provided it has replicas for all of it (otherwise those requests are
counted as not served, even the ones it could have taken).

Sites, fibre and devices fail independently (ASSUMPTION); users of one MEC
or cloud site do not move to another site of the same tier.
"""
from __future__ import annotations

import copy
import dataclasses

import numpy as np

from . import reliability as rel
from . import units as u

__all__ = ["paradigm_availability", "fibre_availability"]


def fibre_availability(length, cuts_per_length_time, repair, paths=1):
    """Availability of a fibre route with ``paths`` disjoint paths in parallel.

    One path of length L is cut at rate λ·L and repaired in MTTR:
    A₁ = 1/(1 + λ·L·MTTR); ``paths`` disjoint paths: 1 − (1 − A₁)^paths.
    Unchecked arrays (the scenario loader checks the keys). [-]
    """
    down = cuts_per_length_time * length * repair
    return 1.0 - (down / (1.0 + down)) ** paths


def _segments(ctx):
    a = ctx.arrays
    lam = a.num("network.fibre_cuts_per_1000km_year") / (1000.0 * u.km * rel.YEAR)
    repair = a.num("network.fibre_repair_h") * rel.HOUR
    paths = a.num("network.fibre_paths")
    route = a.num("network.route_factor")

    def seg(name):
        return fibre_availability(a.num(f"network.{name}_distance_km") * u.km * route, lam, repair, paths)
    return {"mec": seg("mec"), "cloud": seg("cloud")}


def _replicas(ctx, site):
    a = ctx.arrays
    mtbf = a.num(f"{site}.gpu_mtbf_h") * rel.HOUR / a.num(f"{site}.devices")
    mttr = a.num(f"{site}.replica_mttr_h") * rel.HOUR
    return mtbf / (mtbf + mttr), a.num(f"{site}.replicas"), a.num(f"{site}.site_availability")


def _needed(load, replicas):
    """Fewest replicas that keep a site stable at its load (inf when it does not fit). [-]"""
    x = np.asarray(load.utilization, dtype=float) * replicas
    fits = np.asarray(load.fits, dtype=bool)
    return np.where(np.isfinite(x) & fits, np.floor(x) + 1.0, np.inf)


def _states(ctx, site, load):
    """(p_full, p_degraded, j_degraded) of ``site`` carrying ``load``."""
    rep, n, common = _replicas(ctx, site)
    k = _needed(load, n)
    p_full, p_deg, j = rel.replica_states(rep, n, np.where(np.isfinite(k), k, n + 1.0), common)
    return p_full, p_deg, np.where(np.isfinite(j), j, n)


def _with_replicas(ctx, replicas: dict):
    """The context with some sites' replica counts replaced (their servers scale with them)."""
    new = copy.copy(ctx)
    new.services = dict(ctx.services)
    for site, j in replicas.items():
        svc = ctx.services[site]
        per_replica = svc.servers / ctx.arrays.num(f"{site}.replicas")
        new.services[site] = dataclasses.replace(svc, servers=per_replica * j)
    return new


def _attainment(paths, ctx):
    from .metrics import _attainment as latency_attainment
    return latency_attainment(paths, ctx)


def _single_site(ctx, site, paths, users):
    """(served share of the site's states, SLO-weighted share) for one site carrying all the load."""
    from .paradigms import BUILDERS
    p_full, p_deg, j = _states(ctx, site, paths.sites[0])
    slo = p_full * _attainment(paths, ctx)
    if np.any(p_deg > 0):
        slo = slo + p_deg * _attainment(BUILDERS[site](_with_replicas(ctx, {site: j}), users), ctx)
    return p_full + p_deg, slo


def _edge_cloud(ctx, paths, users, alone: dict, seg: dict):
    from .paradigms import BUILDERS
    mec_load, cloud_load = paths.sites
    e_full, e_deg, e_j = _states(ctx, "mec", mec_load)
    c_full, c_deg, c_j = _states(ctx, "cloud", cloud_load)
    m, w = seg["mec"], seg["cloud"]
    a_e, a_c = e_full + e_deg, c_full + c_deg
    (e_all, e_slo), (c_all, c_slo) = alone["mec"], alone["cloud"]
    served = m * w * a_e * a_c + w * c_all * (1.0 - m * a_e) + m * e_all * (1.0 - w * a_c)
    slo = w * c_slo * (1.0 - m * a_e) + m * e_slo * (1.0 - w * a_c)
    slo = slo + m * w * e_full * c_full * _attainment(paths, ctx)
    n_e, n_c = ctx.arrays.num("mec.replicas"), ctx.arrays.num("cloud.replicas")
    for pe, je, pc, jc in ((e_deg, e_j, c_full, n_c), (e_full, n_e, c_deg, c_j), (e_deg, e_j, c_deg, c_j)):
        p = m * w * pe * pc
        if np.any(p > 0):
            state = BUILDERS["edge_cloud"](_with_replicas(ctx, {"mec": je, "cloud": jc}), users)
            slo = slo + p * _attainment(state, ctx)
    return served, slo


def paradigm_availability(ctx, paths) -> tuple:
    """(availability, slo_attainment) of one paradigm, arrays over the points, at the scenario's users.

    ``paths`` is the paradigm's :class:`~genai_edge.paradigms.Paths` at
    ``ctx.users()`` (the one the latency metrics use). Cached on ``ctx``:
    the availability metrics share one computation.
    """
    from .paradigms import BUILDERS
    cache = ctx.__dict__.setdefault("_availability", {})
    if paths.paradigm in cache:
        return cache[paths.paradigm]
    a = ctx.arrays
    users = ctx.users()
    device = a.num("device.site_availability")
    if paths.paradigm == "on_device":
        cache["on_device"] = (device + 0.0 * np.asarray(users), device * _attainment(paths, ctx))
        return cache["on_device"]
    entry = device * a.num("network.access_availability")
    seg = _segments(ctx)
    alone = cache.setdefault("_alone", {})
    for s in ("mec", "cloud"):
        if s not in alone and (paths.paradigm in (s, "edge_cloud")):
            alone[s] = _single_site(ctx, s, paths if paths.paradigm == s else BUILDERS[s](ctx, users), users)
    if paths.paradigm == "edge_cloud":
        served, slo = _edge_cloud(ctx, paths, users, alone, seg)
        out = (entry * served, entry * slo)
    else:
        served, slo = alone[paths.paradigm]
        out = (entry * seg[paths.paradigm] * served, entry * seg[paths.paradigm] * slo)
    cache[paths.paradigm] = out
    return out


def tier_table(scenario):
    """Each tier's availability and downtime for one scenario, and the paradigms that cross it.

    The replica rows are k of n for the load each site carries in its own
    paradigm (the MEC or the cloud paradigm). A paradigm's availability is
    about the product of the tiers it crosses (exactly so for the cloud and
    MEC paradigms; edge-cloud fails over between its two sides).

    Returns
    -------
    pandas.DataFrame
        tier, availability [-], downtime_min_per_month [min], paradigms,
        detail.
    """
    import pandas as pd

    from .arrays import ScenarioArrays
    from .paradigms import Context, paradigm_paths, resolve
    scn = resolve(scenario)
    ctx = Context(ScenarioArrays(scn))
    paths = paradigm_paths(ctx)
    seg = _segments(ctx)
    net = scn.network
    rows = [("device", scn.device.site_availability, "all", "the user's device"),
            ("access network", net.access_availability, "cloud, mec, edge_cloud", net.access),
            ("metro fibre", float(seg["mec"]), "mec, edge_cloud",
             f"{net.mec_distance_km * net.route_factor:,.0f} km routed, {net.fibre_paths} path(s)"),
            ("wide-area fibre", float(seg["cloud"]), "cloud, edge_cloud",
             f"{net.cloud_distance_km * net.route_factor:,.0f} km routed, {net.fibre_paths} path(s)")]
    for site in ("mec", "cloud"):
        rep, n, common = _replicas(ctx, site)
        k = float(_needed(paths[site].sites[0], n))
        up = 0.0 if k > n else float(rel.k_of_n(float(rep), k, float(n)))
        rows.append((f"{site} site", float(common), f"{site}, edge_cloud", "power, cooling, site network"))
        rows.append((f"{site} replicas", up, f"{site}, edge_cloud",
                     f"{k:.0f} of {float(n):.0f} needed for the load" if k <= n else
                     f"the load needs more than its {float(n):.0f} replicas"))
    df = pd.DataFrame(rows, columns=["tier", "availability", "paradigms", "detail"])
    df.insert(2, "downtime_min_per_month", (1.0 - df["availability"]) * rel.MONTH / 60.0)
    return df
