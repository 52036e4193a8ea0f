"""The answer in words: who wins, by how much, where it flips.

:func:`verdict` turns one scenario's results into a short markdown text for
the comparison report: the winner on each headline metric with its margin
(values within 1 % are a tie), which paradigms meet the latency SLO, each
paradigm's goodput, and the crossover points — the cloud distance at which
MEC overtakes the cloud on mean time to first token and the user count at
which the TTFT winner changes — found by root search on sweeps.
"""
from __future__ import annotations

import math

import numpy as np

from . import metrics as metrics_mod
from .paradigms import PARADIGM_LABELS, PARADIGMS, evaluate, resolve
from .scenario import MEDIA_KINDS

__all__ = ["ranking", "crossover", "difference", "verdict", "energy_verdict", "reliability_verdict",
           "considerations_verdict", "TIE"]

TIE = 0.01   # relative difference below which two paradigms tie


def ranking(results: dict, metric: str):
    """(winners, runner-up, margin) on one metric; margin relative to the winner's value [-].

    Winners are every paradigm within 1 % of the best; the runner-up is the
    best of the rest (None when every paradigm ties or nothing is finite).
    """
    m = metrics_mod.get(metric)
    values = {p: r.metrics[metric] for p, r in results.items() if not math.isnan(r.metrics[metric])}
    finite = {p: v for p, v in values.items() if math.isfinite(v)}
    if not finite:
        return [], None, math.nan
    sign = -1.0 if m.higher_is_better else 1.0
    best = min(finite.values(), key=lambda v: sign * v)
    winners = [p for p, v in finite.items() if abs(v - best) <= TIE * abs(best)]
    rest = {p: v for p, v in values.items() if p not in winners}
    if not rest:
        return winners, None, 0.0
    runner = min(rest, key=lambda p: sign * rest[p])
    margin = abs(rest[runner] - best) / abs(best) if best else math.inf
    return winners, runner, margin


def difference(scenario, key: str, a: str, b: str, metric: str):
    """``values → metric(a) − metric(b)`` at each value of ``key``: one vectorized sweep per call."""
    from .sweep import sweep
    scn = resolve(scenario)

    def diff(values):
        table = sweep(scn, {key: values}, mode="zip", metrics=[metric], progress=False)
        va = table[table.paradigm == a][metric].to_numpy()
        vb = table[table.paradigm == b][metric].to_numpy()
        with np.errstate(invalid="ignore"):
            return va - vb
    return diff


def crossover(scenario, key: str, a: str, b: str, metric: str, lo: float, hi: float,
              points: int = 201, iterations: int = 50, grid=None) -> list:
    """Values of ``key`` in [lo, hi] where paradigms ``a`` and ``b`` swap places on ``metric``.

    A sweep of ``points`` evenly spaced values (or the values of ``grid``)
    brackets every sign change of the difference; each is then refined by
    bisection, all brackets at once, to a relative width of ~1e-12. [unit of the key]
    """
    from .arrays import sweep_keys
    field = sweep_keys().get(key)
    integer = bool(field is not None and field.metadata["integer"])
    diff = difference(scenario, key, a, b, metric)
    grid = np.linspace(lo, hi, points) if grid is None else np.asarray(grid, dtype=float)
    d = diff(grid)
    valid = np.isfinite(d)
    change = np.flatnonzero(valid[:-1] & valid[1:] & (np.sign(d[:-1]) != np.sign(d[1:])) & (d[:-1] != 0))
    if change.size == 0:
        return []
    left, right = grid[change], grid[change + 1]
    d_left = d[change]
    for _ in range(iterations):
        mid = 0.5 * (left + right)
        if integer:
            mid = np.round(mid)
        dm = diff(mid)
        same = np.sign(dm) == np.sign(d_left)
        left, right = np.where(same, mid, left), np.where(same, right, mid)
        d_left = np.where(same, dm, d_left)
        if np.all(right - left <= 1e-12 * np.maximum(np.abs(right), 1.0)) or (integer and np.all(right - left <= 1)):
            break
    return [float(x) for x in 0.5 * (left + right)]


def _fmt(value: float, metric) -> str:
    if not math.isfinite(value):
        return "unbounded" if value > 0 else "—"
    x = value * metric.scale
    unit = metric.shown_unit
    if unit == "%":
        return f"{x:.{metric.digits or 1}f} %"
    text = f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"
    return f"{text} {unit}"


def _label(p):
    return PARADIGM_LABELS[p]


def _names(ps) -> str:
    labels = [_label(p) for p in ps]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _winner_sentence(results, metric) -> str:
    m = metrics_mod.get(metric)
    winners, runner, _ = ranking(results, metric)
    if not winners:
        return f"No paradigm has a finite {m.label}."
    if runner is None:
        return f"All paradigms tie on {m.label} (within 1 %)."
    verb = "tie for the best" if len(winners) > 1 else "has the best"
    value = results[winners[0]].metrics[metric]
    other = results[runner].metrics[metric]
    if not math.isfinite(other):
        return f"{_names(winners)} {verb} {m.label}, {_fmt(value, m)}; {_label(runner)}'s is unbounded."
    gap = abs(other - value) / abs(other)
    side = "above" if m.higher_is_better else "below"
    return (f"{_names(winners)} {verb} {m.label}, {_fmt(value, m)}: {gap:.0%} {side} the next best, "
            f"{_label(runner)} ({_fmt(other, m)}).")


def verdict(scenario, results: dict | None = None) -> str:
    """Markdown paragraphs stating the comparison's answer for one scenario."""
    scn = resolve(scenario)
    results = results or evaluate(scn)
    first = [_winner_sentence(results, "ttft_s"), _winner_sentence(results, "e2e_s")]
    if scn.workload.kind in MEDIA_KINDS:
        item = "clip" if scn.workload.kind == "video" else "image"
        first.insert(0, f"A request here returns one {item}: its TTFT is the time until the {item} is generated, "
                        f"its E2E the time until it is downloaded.")
    from .symbolic import crossover as tie_of
    tie = tie_of(scn, "ttft", "network.cloud_distance_km", ("cloud", "mec"))
    first.append(_distance_sentence(scn, tie))
    closed = ""
    if tie.value is not None and tie.latex:
        from .symbolic import latex
        values = "; ".join(f"{meaning} ${latex(s)}$ = {v:.4g}{'' if unit in ('1', '-') else ' ' + unit}"
                           for s, meaning, unit, v in tie.legend())
        closed = (f"In closed form, from the two paths' composed mean TTFT:\n\n$$ {tie.latex} $$\n\n"
                  f"with {values}.")
    wl = scn.workload
    target = wl.slo_attainment_target
    set_targets = [f"{name} {value:g} s" for name, value in
                   (("TTFT", wl.ttft_slo_s), ("TPOT", wl.tpot_slo_s), ("E2E", wl.e2e_slo_s)) if value > 0]
    meet = [p for p in PARADIGMS if results[p].latency_slo_attainment >= target]
    slo = (f"Latency targets ({', '.join(set_targets) or 'none'}; met by at least {target:.0%} of requests): "
           + (", ".join(_label(p) for p in meet) + (" meets them" if len(meet) == 1 else " meet them")
              if meet else "no paradigm meets them")
           + ". Goodput, the most active users served at that attainment: "
           + "; ".join(f"{_label(p)} {_users(results[p].goodput_users)}" for p in PARADIGMS) + ".")
    users = wl.users
    winner_now = ranking(results, "ttft_s")[0]
    load = ""
    if winner_now:
        w = winner_now[0]
        low, high = max(1.0, 0.05 * users), 4.0 * users
        below, above = (low, None), (high, None)
        for r in (p for p in PARADIGMS if p != w):
            for x in crossover(scn, "workload.users", w, r, "ttft_s", low, high, 101, 40):
                if x < users and x >= below[0]:
                    below = (x, r)
                elif x > users and x <= above[0]:
                    above = (x, r)
        parts = [f"With load: {_label(w)} has the best mean TTFT from "
                 f"{'about ' if below[1] else ''}{below[0]:,.0f} to {'about ' if above[1] else ''}{above[0]:,.0f} "
                 f"active users (this scenario: {users:,.0f})"]
        if below[1]:
            parts.append(f"below, {_label(below[1])} is faster")
        if above[1]:
            parts.append(f"above, {_label(above[1])} is")
        load = "; ".join(parts) + "."
    return "\n\n".join(p for p in (" ".join(first), closed, slo, load) if p).strip()


def _distance_sentence(scn, tie) -> str:
    """Where the cloud and MEC swap places on mean TTFT as the cloud region moves away."""
    d_now = scn.network.cloud_distance_km
    if tie.value is None:
        return (f"On mean TTFT the cloud and MEC do not cross at any cloud distance up to {tie.high:,.0f} km: "
                f"{tie.reason}.")
    closer = "the cloud" if tie.winner_below == "cloud" else "MEC"
    beyond = "MEC" if closer == "the cloud" else "the cloud"
    return (f"On mean TTFT the cloud and MEC cross at a cloud distance of {tie.value:,.0f} km: {closer} is faster "
            f"closer than that, {beyond} beyond (this scenario: {d_now:,.0f} km).")


def _users(x: float) -> str:
    if math.isinf(x):
        return "unbounded (one user per device)"
    return f"{x:,.0f}"


def energy_verdict(scenario, results: dict | None = None) -> str:
    """Markdown paragraphs on energy and carbon: who uses least, by how much, what dominates, where it flips.

    The flip is the active-user count at which the energy winner changes
    (idle capacity is shared by fewer requests at low load), searched over
    5 %–400 % of the scenario's users.
    """
    from .paths import ENERGY_COMPONENTS
    scn = resolve(scenario)
    results = results or evaluate(scn)
    lines = [_winner_sentence(results, "energy_per_request_j"), _winner_sentence(results, "co2e_per_request_g")]
    served = {p: r for p, r in results.items() if p != "on_device"}
    if "on_device" in ranking(results, "energy_per_request_j")[0]:
        lines[1] += " Among the served paradigms: " + _winner_sentence(served, "energy_per_request_j")
    parts = []
    for p in PARADIGMS:
        total = results[p].energy_per_request_j
        if not (math.isfinite(total) and total > 0):
            continue
        top = max(ENERGY_COMPONENTS, key=lambda k: results[p].metrics[f"energy_{k}_j"])
        share = results[p].metrics[f"energy_{top}_j"] / total
        parts.append(f"{_label(p)} {share:.0%} {top.replace('_', ' ')}")
    if parts:
        lines.append("Largest share of each paradigm's energy: " + "; ".join(parts) + ".")
    winners = ranking(results, "energy_per_request_j")[0]
    users = scn.workload.users
    if winners:
        w = winners[0]
        low, high = max(1.0, 0.05 * users), 4.0 * users
        flips = sorted((x, r) for r in PARADIGMS if r != w
                       for x in crossover(scn, "workload.users", w, r, "energy_per_request_j", low, high, 61, 40))
        if flips:
            x, r = min(flips, key=lambda f: abs(math.log(f[0] / users)))
            side = "fewer" if x < users else "more"
            lines.append(f"With load: the energy winner changes at about {x:,.0f} active users (this scenario: "
                         f"{users:,.0f}); with {side} users {_label(r)} uses less.")
        else:
            lines.append(f"With load: {_label(w)} uses the least energy per request from {low:,.0f} to "
                         f"{high:,.0f} active users.")
    return " ".join(lines[:2]) + "\n\n" + "\n\n".join(lines[2:])


def reliability_verdict(scenario, results: dict | None = None) -> str:
    """Markdown paragraphs on availability: who is down least, SLO attainment counting outages, what dominates.

    Availabilities all sit near 1, so paradigms are ranked on downtime per
    month and on missed requests (1 − SLO attainment), not on the 1 % tie
    rule of the latency metrics.
    """
    from .outages import tier_table
    scn = resolve(scenario)
    results = results or evaluate(scn)
    down = {p: r.downtime_min_per_month for p, r in results.items()}
    order = sorted(down, key=down.get)
    parts = [f"{_label(p)} {100 * results[p].availability:.3f} % ({down[p]:,.1f} min/month)" for p in order]
    lines = [f"Availability, most to least available: {'; '.join(parts)}."]
    if scn.device.site_availability == 1.0:
        lines[0] += " (On the device nothing but the device itself can fail, and it is taken to be up.)"
    served = [p for p in order if p != "on_device"]
    best, worst = served[0], served[-1]
    if down[best] > 0:
        runner = served[1]
        lines.append(f"Among the served paradigms {_label(best)} is down least: {1 - down[best] / down[runner]:.0%} "
                     f"less than {_label(runner)}" + (f", {down[worst] / down[best]:.1f}x less than {_label(worst)}."
                                                      if worst != runner else "."))
    miss = {p: 1.0 - r.slo_attainment for p, r in results.items()}
    ranked = sorted(miss, key=miss.get)
    text = "; ".join(f"{_label(p)} {100 * results[p].slo_attainment:.2f} %" for p in ranked)
    lines.append(f"Requests served and meeting the latency targets, outages counted: {text}.")
    b, w = min(served, key=miss.get), max(served, key=miss.get)
    if miss[b] > 0 and miss[w] > miss[b]:
        lines.append(f"{_label(b)} misses {miss[w] / miss[b]:.1f}x fewer requests than {_label(w)}.")
    tiers = tier_table(scn)
    shares = []
    for p in ("cloud", "mec"):
        crossed = tiers[[p in t.split(", ") or t == "all" for t in tiers.paradigms]]
        top = crossed.loc[crossed.downtime_min_per_month.idxmax()]
        if down[p] > 0:
            shares.append(f"{top.tier} ({top.downtime_min_per_month:,.1f} of {_label(p)}'s {down[p]:,.1f} min)")
    if shares:
        lines.append("The largest part of the downtime: " + "; ".join(shares) + ".")
    lines.append(f"{_label('edge_cloud')} fails over to the side that is still up when that side has replicas "
                 f"for all the load: {tiers.set_index('tier').loc['cloud replicas', 'detail']} at the cloud "
                 f"in its own paradigm, {tiers.set_index('tier').loc['mec replicas', 'detail']} at each MEC site.")
    return " ".join(lines[:2]) + "\n\n" + " ".join(lines[2:4]) + "\n\n" + "\n\n".join(lines[4:])


def considerations_verdict(scenario, results: dict | None = None) -> str:
    """Markdown on what decides beyond latency and energy: quality, data exposure, recency, personalization.

    The quality gap is the predicted pre-training loss of each paradigm's
    answering model against the best one, named next to its TTFT gain;
    data exposure is the user data leaving the device and reaching a cloud
    region per request; recency is the mean age of the retrieval index a
    request reads; personalization is the energy of refreshing each
    user's adapter per request and the time of one refresh.
    """
    scn = resolve(scenario)
    results = results or evaluate(scn)
    lines = []
    loss = {p: r.quality_loss_nats for p, r in results.items() if math.isfinite(r.quality_loss_nats)}
    if loss:
        best = min(loss, key=loss.get)
        gaps = [f"{_label(p)} +{loss[p] - loss[best]:.3f} ({(loss[p] - loss[best]) / loss[best]:.1%})"
                for p in sorted(loss, key=loss.get) if p != best]
        ttft = {p: r.ttft_s for p, r in results.items()}
        faster = [p for p in loss if p != best and ttft[p] < ttft[best]]
        text = (f"Answer quality (predicted pre-training loss of the answering model, lower is better): "
                f"{_label(best)} is best at {loss[best]:.3f} nat/token; " + "; ".join(gaps) + ".")
        if faster:
            text += " The faster answers pay for their speed in quality: " + "; ".join(
                f"{_label(p)} is {1e3 * (ttft[best] - ttft[p]):,.0f} ms faster to the first token for "
                f"{loss[p] - loss[best]:.3f} nat/token more loss" for p in faster) + "."
        lines.append(text)
    else:
        lines.append("Answer quality: not defined for this workload (no loss fit for its models).")
    off = {p: r.bytes_off_device for p, r in results.items()}
    cloud = {p: r.bytes_to_cloud for p, r in results.items()}
    lines.append("Privacy, user data per request: " + "; ".join(
        f"{_label(p)} {off[p] / 1e3:,.1f} kB off the device, {cloud[p] / 1e3:,.1f} kB to a cloud region"
        for p in PARADIGMS) + ".")
    if scn.workload.retrieved_tokens > 0:
        age = {p: r.index_staleness_s for p, r in results.items()}
        fresh = min(age, key=age.get)
        lines.append(f"Information recency (each request retrieves {scn.workload.retrieved_tokens:,} tokens; the "
                     "index it reads is on average half its site's refresh interval old): "
                     + "; ".join(f"{_label(p)} {age[p] / 60:,.3g} min" for p in sorted(age, key=age.get))
                     + f". {_label(fresh)} answers from the freshest index.")
    days = scn.workload.adapter_refresh_days
    if days > 0:
        parts = []
        for p in PARADIGMS:
            r = results[p]
            if math.isfinite(r.personalization_j_per_request):
                share = r.personalization_j_per_request / r.energy_per_request_j if r.energy_per_request_j else 0
                parts.append(f"{_label(p)} {r.personalization_j_per_request:,.3g} J per request "
                             f"({share:.0%} of serving), {r.adapter_refresh_s / 60:,.3g} min per refresh")
        method = {"lora": "LoRA", "full": "fully fine-tuned"}[scn.workload.adapter_method]
        lines.append(f"Personalization (each user's {method} adapter refreshed every {days:g} days on "
                     f"{scn.workload.adapter_tokens:,.0f} tokens, where the paradigm runs its model): "
                     + "; ".join(parts) + ".")
    else:
        lines.append("Personalization: none in this scenario (workload.adapter_refresh_days is 0).")
    return "\n\n".join(lines)
