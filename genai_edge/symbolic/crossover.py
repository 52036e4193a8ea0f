"""Where two paradigms tie: the value of one scenario key at which their metric curves cross.

For the keys that act only through the fibre round trips (distances, hops,
per-hop delay, route factor) and the mean metrics (TTFT, E2E, energy,
CO2e), the tie is solved in closed form: each paradigm's metric is composed
from the core's tiers (:mod:`~genai_edge.symbolic.paradigms`), the round
trips are replaced by their expression in the key
(:func:`genai_edge.network.round_trip_time`), and ``sympy.solve`` gives the
key's value as an expression in the tier quantities. The expression is
evaluated at the scenario and checked against the numpy model.

Every other key or metric (users, routing fraction, p99, SLO attainment, …)
is solved by a vectorized root search on the numpy model: a sweep over the
key's allowed range brackets each sign change, bisection refines all of
them at once (:func:`genai_edge.verdict.crossover`).

When the curves do not meet, the result says why: the difference does not
depend on the key, the tie lies outside the key's allowed range, or one
paradigm is ahead at every value searched.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import sympy as sp

from .. import metrics as metrics_mod
from ..paradigms import PARADIGM_LABELS, PARADIGMS, resolve
from .paradigms import METRICS, paradigm_expressions
from .render import latex

__all__ = ["Crossover", "crossover", "METRIC_ALIASES", "CLOSED_FORM_KEYS"]

#: Short metric names accepted besides the registry's.
METRIC_ALIASES = {"ttft": "ttft_s", "e2e": "e2e_s", "tpot": "tpot_s", "p99": "ttft_p99_s",
                  "ttft_p99": "ttft_p99_s", "e2e_p99": "e2e_p99_s", "energy": "energy_per_request_j",
                  "co2e": "co2e_per_request_g", "slo": "latency_slo_attainment",
                  "availability": "availability"}

# The keys that act only through the fibre round trips, and their symbols.
CLOSED_FORM_KEYS = {"network.cloud_distance_km": "L_cloud", "network.mec_distance_km": "L_mec",
                    "network.cloud_hops": "H_cloud", "network.mec_hops": "H_mec",
                    "network.per_hop_delay_s": "t_hop", "network.route_factor": "k_route"}
_ROUND_TRIP = {"cloud": "R_wan", "mec": "R_metro"}
_NETWORK_SYMBOLS = {"L_cloud": ("great-circle distance to the cloud region", "km"),
                    "L_mec": ("great-circle distance to the MEC site", "km"),
                    "H_cloud": ("routers on the path to the cloud", "1"),
                    "H_mec": ("routers on the path to the MEC site", "1"),
                    "t_hop": ("delay per router", "s"), "k_route": ("fibre route length / great-circle distance", "1"),
                    "v_fibre": ("signal speed in fibre", "m/s")}
_KM = sp.Integer(1000)


@dataclass(frozen=True)
class Crossover:
    """The tie of two paradigms on one metric along one scenario key.

    ``value`` is in the key's unit (None when the curves do not meet, with
    the ``reason``); ``winner_below`` and ``winner_above`` are the better
    paradigm just below and above it (the same paradigm on both sides
    when there is no crossover).
    """
    scenario: str
    metric: str
    key: str
    unit: str
    between: tuple
    value: float | None
    expression: str
    latex: str
    winner_below: str | None
    winner_above: str | None
    reason: str
    method: str                      # 'closed form' or 'root search'
    current: float                   # the scenario's own value of the key
    low: float                       # searched range [unit of the key]
    high: float
    others: list = field(default_factory=list)   # further crossovers in the range
    symbols: dict = field(default_factory=dict)  # symbol → value used in the expression [SI]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["between"] = list(self.between)
        return d

    def legend(self) -> list:
        """(symbol, meaning, unit, value) of each symbol of the expression, by name."""
        from .paradigms import describe
        out = []
        for name, value in self.symbols.items():
            meaning, unit = _NETWORK_SYMBOLS.get(name) or describe(name)
            out.append((sp.Symbol(name), meaning, unit, value))
        return out

    def sentence(self) -> str:
        """The crossover in words, for a verdict paragraph."""
        m = metrics_mod.get(self.metric)
        a, b = (PARADIGM_LABELS[p] for p in self.between)
        if self.value is None:
            return f"{a} and {b} do not cross on {m.label} along {self.key}: {self.reason}."
        below, above = PARADIGM_LABELS.get(self.winner_below, "—"), PARADIGM_LABELS.get(self.winner_above, "—")
        return (f"{a} and {b} tie on {m.label} at {self.key} = {_num(self.value)} {self.unit} "
                f"({self.method}); {below} is better below, {above} above "
                f"(this scenario: {_num(self.current)} {self.unit}).")


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.4g}"


def _metric_name(metric: str) -> str:
    name = METRIC_ALIASES.get(metric, metric)
    try:
        return metrics_mod.get(name).name
    except KeyError:
        allowed = ", ".join(list(METRIC_ALIASES) + [n for n in metrics_mod.names() if n not in METRIC_ALIASES])
        raise ValueError(f"metric: unknown {metric!r}; allowed: {allowed}") from None


def _field(key: str):
    from ..arrays import sweep_keys
    f = sweep_keys().get(key)
    if f is None:
        from ..scenario import ScenarioError, _suggest
        raise ScenarioError(f"key {key!r} is not a scenario key.{_suggest(key, sweep_keys())}")
    if f.metadata["choices"] or f.type in ("str", str):
        raise ValueError(f"key {key!r} takes a name, not a number; a crossover needs a numeric key")
    return f


def _round_trip(scn, segment: str) -> tuple:
    """The fibre round trip of ``segment`` ('cloud' or 'mec') in the network keys' symbols, and their values.

    :func:`genai_edge.network.round_trip_time` with the distance in km and the
    signal speed in fibre as a symbol ``v_fibre``. [s]
    """
    from .base import formula
    from .network import SPEED_IN_FIBRE
    rtt = formula("round_trip_time")
    net = scn.network
    names = {key: CLOSED_FORM_KEYS[key] for key in (f"network.{segment}_distance_km", "network.route_factor",
                                                          f"network.{segment}_hops", "network.per_hop_delay_s")}
    syms = {key: sp.Symbol(n, nonnegative=True) for key, n in names.items()}
    v = sp.Symbol("v_fibre", positive=True)
    distance = syms[f"network.{segment}_distance_km"] * _KM * SPEED_IN_FIBRE / v
    args = [distance] + [syms[k] for k in list(names)[1:]]
    values = {syms[k]: float(getattr(net, k.split(".")[1])) for k in names}
    values[v] = float(SPEED_IN_FIBRE)
    return rtt.rhs.subs(dict(zip(rtt.args, args))), values


def _sign_winner(diff: float, a: str, b: str, higher: bool):
    if not math.isfinite(diff) or diff == 0:
        return None
    a_better = (diff > 0) if higher else (diff < 0)
    return a if a_better else b


def crossover(scenario, metric: str, key: str, between: tuple, low: float | None = None,
              high: float | None = None) -> Crossover:
    """The value of ``key`` at which two paradigms tie on ``metric``, with its expression.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, a built-in name or a YAML path.
    metric : str
        A registry metric (``'ttft_s'``) or a short name (``'ttft'``,
        ``'e2e'``, ``'p99'``, ``'energy'``, ``'slo'``; see
        :data:`METRIC_ALIASES`).
    key : str
        A numeric scenario key, e.g. ``'network.cloud_distance_km'``.
    between : tuple of str
        Two paradigms, e.g. ``('cloud', 'mec')``.
    low, high : float, optional
        The range searched [unit of the key]; default: the key's allowed range.

    Returns
    -------
    Crossover

    Raises
    ------
    ValueError
        An unknown metric or paradigm, a key that takes names, or a range
        outside the key's allowed values.
    """
    name = _metric_name(metric)
    a, b = between
    for p in (a, b):
        if p not in PARADIGMS:
            raise ValueError(f"between: unknown paradigm {p!r}; allowed: {', '.join(PARADIGMS)}")
    if a == b:
        raise ValueError("between: name two different paradigms")
    f = _field(key)
    md = f.metadata
    lo = float(md["low"]) if low is None else float(low)
    hi = float(md["high"]) if high is None else float(high)
    if not (md["low"] <= lo < hi <= md["high"]):
        raise ValueError(f"range: [{lo:g}, {hi:g}] must be increasing and inside {key}'s allowed "
                         f"[{md['low']:g}, {md['high']:g}] {md['unit']}")
    scn = resolve(scenario)
    common = dict(scenario=scn.name, metric=name, key=key, unit=md["unit"], between=(a, b),
                  current=_current(scn, key), low=lo, high=hi)
    if name in METRICS and key in CLOSED_FORM_KEYS:
        found = _closed_form(scn, name, key, a, b, lo, hi, bool(md["integer"]))
        if found is not None:
            return Crossover(**common, **found)
    return Crossover(**common, **_root_search(scn, name, key, a, b, lo, hi))


def _closed_form(scn, metric, key, a, b, lo, hi, integer):
    higher = metrics_mod.get(metric).higher_is_better
    x_name = CLOSED_FORM_KEYS[key]
    current = _current(scn, key)
    x = sp.Symbol(x_name, nonnegative=True)
    exprs = paradigm_expressions(scn, keep=tuple(_ROUND_TRIP.values()))
    values = {**exprs[a].values, **exprs[b].values}
    rtts = {}
    for s in ("cloud", "mec"):
        rtts[sp.Symbol(_ROUND_TRIP[s], nonnegative=True)], network_values = _round_trip(scn, s)
        values.update(network_values)
    values.pop(x)
    diff = exprs[a].metrics[metric] - exprs[b].metrics[metric]
    condition = ""
    # A token interval's floor, max(decode, delivery), is fixed by the branch the scenario is on;
    # the solution is checked against the full expression below.
    for m in sorted(diff.atoms(sp.Max), key=sp.default_sort_key):
        arg = max(m.args, key=lambda e: float(e.subs(rtts).subs({x: current}).subs(values)))
        others = [e for e in m.args if e != arg]
        condition = (condition + "; " if condition else "") + f"{arg} >= {', '.join(map(str, others))}"
        diff = diff.subs(m, arg)
    in_x = sp.nsimplify(diff.subs(rtts), rational=True)
    numeric_diff = sp.lambdify(x, (exprs[a].metrics[metric] - exprs[b].metrics[metric]).subs(rtts).subs(values))
    if x not in in_x.free_symbols:
        gap = float(in_x.subs(values))   # x absent
        win = _sign_winner(gap, a, b, higher)
        label = f"{metrics_mod.get(metric).label}_{a} - {metrics_mod.get(metric).label}_{b}"
        return dict(value=None, expression=f"{label} = {in_x}", latex="", winner_below=win, winner_above=win,
                    method="closed form", symbols=_symbols(in_x, values),
                    reason=_constant_reason(metric, key, a, b, gap, exprs))
    try:
        roots = sp.solve(sp.Eq(in_x, 0), x)
    except NotImplementedError:
        return None
    if len(roots) != 1:
        return None
    root = _readable(roots[0])
    value = float(root.subs(values))
    text = f"{x_name} = {root}" + (f", where {condition}" if condition else "")
    tex = f"{latex(x)} = {latex(root)}"
    sym = _symbols(root, values)
    if not math.isfinite(value) or abs(numeric_diff(value)) > 1e-9 * max(1.0, _scale(exprs, metric, a, b, values)):
        return None   # the token interval's floor switches branch before the tie: search the full model
    if not lo <= value <= hi:
        side = lo if value < lo else hi
        win = _sign_winner(float(numeric_diff(side)), a, b, higher)
        where = "below" if value < lo else "above"
        reason = (f"the curves would meet at {key} = {_with_unit(value, key)}, {where} the range searched "
                  f"[{_num(lo)}, {_num(hi)}]; {PARADIGM_LABELS.get(win, 'neither')} is better at every value in it")
        return dict(value=None, expression=text, latex=tex, winner_below=win, winner_above=win, reason=reason,
                    method="closed form", symbols=sym)
    if integer:
        text += " (hops are whole numbers: the tie falls between two)"
    step = 1e-6 * max(abs(value), 1.0)
    below = _sign_winner(float(numeric_diff(max(lo, value - step))), a, b, higher) if value > lo else None
    above = _sign_winner(float(numeric_diff(min(hi, value + step))), a, b, higher) if value < hi else None
    return dict(value=value, expression=text, latex=tex, winner_below=below, winner_above=above, reason="",
                method="closed form", symbols=sym)


def _readable(expr):
    """The shortest of: ``expr`` factored, or collected in one of its symbols with each coefficient factored."""
    expanded = sp.expand(expr)
    forms = [sp.factor(expr)]
    for s in sorted(expr.free_symbols, key=lambda s: s.name):
        parts = sp.collect(expanded, s, evaluate=False)
        forms.append(sp.Add(*(sp.factor(c) * f for f, c in parts.items())))
    return min(forms, key=lambda e: (sp.count_ops(e), len(str(e))))


def _current(scn, key):
    section, attr = key.split(".")
    return float(getattr(getattr(scn, section), attr))


def _with_unit(x, key) -> str:
    unit = _field(key).metadata["unit"]
    return _num(x) if unit == "-" else f"{_num(x)} {unit}"


def _scale(exprs, metric, a, b, values):
    return max(abs(exprs[a].value(metric)), abs(exprs[b].value(metric)))


def _symbols(expr, values) -> dict:
    return {s.name: values[s] for s in sorted(expr.free_symbols, key=lambda s: s.name) if s in values}


def _constant_reason(metric, key, a, b, gap, exprs) -> str:
    m = metrics_mod.get(metric)
    uses = [p for p in (a, b) if any(s.name in _ROUND_TRIP.values() for s in exprs[p].metrics[metric].free_symbols)]
    if not uses:
        head = f"neither paradigm's {m.label} depends on {key}"
    else:
        head = f"{key} changes both paradigms' {m.label} by the same amount"
    if gap == 0:
        return f"{head}, and they are equal"
    win = _sign_winner(gap, a, b, m.higher_is_better)
    return f"{head}: {PARADIGM_LABELS[win]} is better at every value, by {_num(abs(gap) * m.scale)} {m.shown_unit}"


def _grid(lo: float, hi: float, integer: bool, points: int = 201) -> np.ndarray:
    """Values searched: log-spaced over ranges wider than 1000x, whole numbers for integer keys."""
    if lo > 0 and hi / lo > 1e3:
        g = np.geomspace(lo, hi, points)
    elif lo == 0 and hi > 1e3:
        g = np.concatenate([[0.0], np.geomspace(hi * 1e-6, hi, points - 1)])
    else:
        g = np.linspace(lo, hi, points)
    if integer:
        g = np.unique(np.round(g))
    return g


def _root_search(scn, metric, key, a, b, lo, hi):
    from ..verdict import crossover as roots_of
    from ..verdict import difference
    m = metrics_mod.get(metric)
    integer = bool(_field(key).metadata["integer"])
    grid = _grid(lo, hi, integer)
    try:
        roots = roots_of(scn, key, a, b, metric, lo, hi, grid=grid)
    except ValueError as exc:   # e.g. a prompt longer than the model's context window
        raise ValueError(f"{exc}; searching {key} over [{_num(lo)}, {_num(hi)}]: give a range where "
                         "the scenario is valid (low, high)") from None
    diff = difference(scn, key, a, b, metric)
    label = m.label
    expression = f"{label}_{a}({key}) = {label}_{b}({key})"
    tex = ""
    if metric in METRICS:
        exprs = paradigm_expressions(scn)
        expression = f"{exprs[a].metrics[metric]} = {exprs[b].metrics[metric]}"
        tex = f"{latex(exprs[a].metrics[metric])} = {latex(exprs[b].metrics[metric])}"
        used = exprs[a].metrics[metric].free_symbols | exprs[b].metrics[metric].free_symbols
        moved = [n for n in _dependent_symbols(scn, key, {p: exprs[p] for p in (a, b)}, lo, hi)
                 if n in {s.name for s in used}]
        if moved:
            expression += f", where {', '.join(moved)} depend on {key}"
    if roots:
        value = roots[0]
        step = 1e-6 * max(abs(value), 1.0)
        sides = diff(np.array([max(lo, value - step), min(hi, value + step)]))
        below = _sign_winner(float(sides[0]), a, b, m.higher_is_better) if value > lo else None
        above = _sign_winner(float(sides[1]), a, b, m.higher_is_better) if value < hi else None
        return dict(value=value, expression=expression, latex=tex, winner_below=below, winner_above=above,
                    reason="", method="root search", others=roots[1:])
    d = diff(grid)
    finite = d[np.isfinite(d)]
    if finite.size == 0:
        return dict(value=None, expression=expression, latex=tex, winner_below=None, winner_above=None,
                    method="root search",
                    reason=f"neither paradigm's {label} is finite anywhere in [{_num(lo)}, {_with_unit(hi, key)}]")
    if np.all(finite == 0):
        reason = f"the two paradigms' {label} are equal at every value searched"
        win = None
    else:
        win = _sign_winner(float(finite[np.argmax(np.abs(finite))]), a, b, m.higher_is_better)
        closest = float(np.min(np.abs(finite)))
        reason = (f"{PARADIGM_LABELS[win]} is better at every one of the {grid.size} values searched in "
                  f"[{_num(lo)}, {_with_unit(hi, key)}] (closest gap {_num(closest * m.scale)} {m.shown_unit})")
        if finite.size < d.size:
            reason += f"; {d.size - finite.size} values leave a metric undefined or unbounded"
    return dict(value=None, expression=expression, latex=tex, winner_below=win, winner_above=win, reason=reason,
                method="root search")


def _dependent_symbols(scn, key, exprs, lo, hi) -> list:
    """Symbols of the two expressions whose values change when ``key`` moves within [lo, hi]."""
    here = _current(scn, key)
    other = hi if abs(hi - here) > abs(here - lo) else lo
    moved = set()
    try:
        there = paradigm_expressions(scn.replace(**{key: other}))
    except Exception:  # noqa: BLE001 - a key value that breaks the scenario elsewhere: name none
        return []
    for p, e in exprs.items():
        for s, v in e.values.items():
            w = there[p].values.get(s)
            if w is None or not math.isclose(v, w, rel_tol=1e-12):
                moved.add(s.name)
    return sorted(moved)
