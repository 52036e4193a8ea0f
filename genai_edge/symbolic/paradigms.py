"""Each paradigm's mean TTFT, E2E, energy and emissions as expressions, composed from the core's tiers.

Nothing here restates how a paradigm is built. :func:`paradigm_expressions`
evaluates a scenario with the numpy core, takes the tiers every branch
crosses (:class:`genai_edge.paths.Branch`), replaces each non-zero tier
quantity by a symbol, and adds the tiers up with the core's own
:meth:`~genai_edge.paths.Branch.compose` (``sympy.Max`` for the token
interval's floor). The mixture of branches is then

.. math::

   \\mathrm{TTFT} = \\sum_i w_i (F_i + W_i), \\qquad
   \\mathrm{E2E} = \\sum_i w_i (F_i + S_i + W_i + \\bar n\\,\\tau_i), \\qquad
   E = \\sum_i w_i (E^{once}_i + \\bar n\\,E^{tok}_i),

with :math:`F_i` the fixed first-token time of branch *i*, :math:`S_i` its
response download, :math:`W_i` its mean wait for a batch slot,
:math:`\\tau_i` its token interval and :math:`\\bar n = E[N-1]` the output
tokens after the first. Each expression comes with the values of its
symbols at the scenario, so substituting them gives the core's numbers.

References
----------
.. [1] L. Kleinrock, *Queueing Systems, Vol. 1: Theory*. Wiley, 1975
   (mean sojourn as the sum of the mean delays along the path).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import sympy as sp

from ..paths import COMPONENTS, FIRST_TOKEN_COMPONENTS, AccessLink, Bits, Branch, ComputeSite, FibreSegment

__all__ = ["PathExpressions", "paradigm_expressions", "GLOSSARY", "METRICS"]

METRICS = ("ttft_s", "e2e_s", "energy_per_request_j", "co2e_per_request_g")
_LATEX_NAMES = {"ttft_s": r"\mathrm{TTFT}", "e2e_s": r"\mathrm{E2E}", "energy_per_request_j": "E",
                "co2e_per_request_g": r"\mathrm{CO_2e}"}

# Symbol of each tier quantity: (name, meaning, unit); {n} is the fibre segment's or the site's name.
_ACCESS = {"uplink": ("T_up", "prompt (and payload) upload over the access link", "s"),
           "one_way": ("d_acc", "access-network latency, one way", "s"),
           "token_interval": ("t_chunk", "downlink time of one streamed token chunk", "s"),
           "response": ("T_resp", "download of the response payload", "s"),
           "radio_up_j_per_bit": ("e_radio_up", "device radio energy per bit sent", "J/bit"),
           "radio_down_j_per_bit": ("e_radio_down", "device radio energy per bit received", "J/bit"),
           "radio_tail_j": ("E_tail", "device radio tail energy after a transfer", "J"),
           "network_j_per_bit": ("e_acc", "access-network energy per bit", "J/bit"),
           "device_grid": ("g_device", "grid intensity of the device's electricity", "kg/kWh"),
           "network_grid": ("g_net", "grid intensity of the networks' electricity", "kg/kWh")}
_FIBRE = {"round_trip": ("R_{n}", "{n} fibre round-trip time (propagation and router hops)", "s"),
          "round_trips_per_token": ("k_{n}", "{n} round trips per output token", "1"),
          "j_per_bit": ("e_{n}", "{n} network energy per bit", "J/bit"),
          "grid": ("g_net", "grid intensity of the networks' electricity", "kg/kWh")}
_SITE = {"prefill": ("T_pf_{n}", "prefill time at the {n} site", "s"),
         "per_token": ("t_tok_{n}", "decode time per output token at the {n} site", "s"),
         "prefill_j": ("E_pf_{n}", "IT energy of the prefill at the {n} site", "J"),
         "token_j": ("e_tok_{n}", "IT energy per output token at the {n} site", "J"),
         "idle_j": ("E_idle_{n}", "idle energy charged per request at the {n} site", "J"),
         "pue": ("PUE_{n}", "power usage effectiveness of the {n} site", "1"),
         "grid": ("g_{n}", "grid intensity of the {n} site's electricity", "kg/kWh"),
         "retrieval": ("T_rag_{n}", "query embedding and index search at the {n} site", "s"),
         "retrieval_j": ("E_rag_{n}", "IT energy of the retrieval at the {n} site", "J")}
_BITS = {"up": ("b_up", "bits sent per request", "bit"),
         "down": ("b_down", "bits received per request, once", "bit"),
         "down_per_token": ("b_tok", "bits received per output token", "bit")}
_OTHER = {"W": ("W_{n}", "mean wait for a batch slot at the {n} site", "s"),
          "w": ("w_{n}", "share of requests served by the {n} site's branch", "1"),
          "n": ("n_tok", "mean output tokens after the first, E[N - 1]", "token")}
# unit "1": a plain number

_SHOWN = {"mec": "MEC", "wan": "wide-area"}

#: symbol name → (meaning, unit) of every symbol the expressions may use.
GLOSSARY: dict = {}
for _table in (_ACCESS, _FIBRE, _SITE, _BITS, _OTHER):
    for _name, _meaning, _unit in _table.values():
        GLOSSARY[_name] = (_meaning, _unit)


@dataclass(frozen=True)
class PathExpressions:
    """One paradigm's mean metrics as expressions, with the values of their symbols at a scenario."""
    paradigm: str
    metrics: dict        # metric name (METRICS) → sympy expression
    values: dict         # sympy Symbol → value at the scenario [SI unit of the symbol]

    def value(self, metric: str) -> float:
        """The metric with every symbol at its scenario value. [SI unit of the metric]"""
        return float(self.metrics[metric].subs(self.values))

    def latex(self, metric: str) -> str:
        from .render import latex
        return latex(self.metrics[metric])

    def equation(self, metric: str):
        """``metric_paradigm = expression`` with a legend of its symbols and their values (an Equation)."""
        from .render import Equation
        name = _LATEX_NAMES[metric]
        return Equation(rf"{name}_{{\mathrm{{{self.paradigm.replace('_', '-')}}}}}", self.metrics[metric],
                        self.symbols(metric))

    def symbols(self, metric: str) -> list:
        """(symbol, meaning, unit, value) of each symbol in one metric's expression, by name."""
        out = []
        for s in sorted(self.metrics[metric].free_symbols, key=lambda s: s.name):
            meaning, unit = describe(s.name)
            out.append((s, meaning, unit, self.values[s]))
        return out


def describe(name: str) -> tuple:
    """(meaning, unit) of a symbol name such as ``'R_wan'`` or ``'T_pf_cloud'``."""
    if name in GLOSSARY:
        return GLOSSARY[name]
    patterns = [p for table in (_FIBRE, _SITE, _OTHER) for p in table.values() if "{n}" in p[0]]
    heads = [(p[0].split("{n}")[0], p) for p in patterns if name.startswith(p[0].split("{n}")[0])]
    if heads:
        head, (_, meaning, unit) = max(heads, key=lambda h: len(h[0]))    # e_tok_cloud before e_{n}
        return meaning.format(n=_SHOWN.get(name[len(head):], name[len(head):])), unit
    raise KeyError(f"unknown symbol {name!r}")


class _Symbols:
    """Symbols for tier quantities, with their numeric values; one symbol per name."""

    def __init__(self, keep=()):
        self.values: dict = {}
        self.keep = set(keep)

    def __call__(self, pattern: str, n: str, value):
        name = pattern.format(n=n)
        x = float(value)
        if x == 0.0 and name not in self.keep:
            return 0
        if not math.isfinite(x):
            return sp.oo if x > 0 else sp.nan
        s = sp.Symbol(name, nonnegative=True)
        old = self.values.setdefault(s, x)
        if old != x and not math.isclose(old, x, rel_tol=1e-12, abs_tol=0.0):
            raise ValueError(f"symbol {name} stands for two values, {old!r} and {x!r}")
        return s


def _symbolic_tier(tier, sym: _Symbols):
    if isinstance(tier, AccessLink):
        table, n = _ACCESS, ""
    elif isinstance(tier, FibreSegment):
        table, n = _FIBRE, tier.name
    elif isinstance(tier, ComputeSite):
        table, n = _SITE, tier.site
    else:
        raise TypeError(f"no symbols for tier {type(tier).__name__}")
    changes = {}
    for f in dataclasses.fields(tier):
        value = getattr(tier, f.name)
        if isinstance(value, Bits):
            changes[f.name] = Bits(**{b: sym(_BITS[b][0], "", getattr(value, b)) for b in _BITS})
        elif f.name in table:
            changes[f.name] = sym(table[f.name][0], n, value)
    return dataclasses.replace(tier, **changes)


def _branch_site(branch: Branch) -> str:
    return next((t.site for t in branch.tiers if isinstance(t, ComputeSite)), "path")


def _expressions(paradigm: str, routes: list, extra_tokens: float, sym: _Symbols) -> dict:
    n = sym(_OTHER["n"][0], "", extra_tokens)
    out = {m: sp.Integer(0) for m in METRICS}
    shares = sp.Integer(0)
    for i, branch in enumerate(routes):
        site = _branch_site(branch)
        if float(branch.weight) == 1.0:
            w = 1
        elif i == len(routes) - 1:
            w = 1 - shares            # the shares of the branches sum to one
        else:
            w = sym(_OTHER["w"][0], site, branch.weight)
            shares += w
        if w == 0:
            continue
        wait = sym(_OTHER["W"][0], site, branch.wait.mean)
        path = Branch(branch.weight, tuple(_symbolic_tier(t, sym) for t in branch.tiers),
                      branch.wait).compose(maximum=sp.Max)
        first = sum((path.once[k] for k in FIRST_TOKEN_COMPONENTS if k != "queue"), sp.Integer(0))
        fixed = sum((path.once[k] for k in COMPONENTS if k != "queue"), sp.Integer(0))
        out["ttft_s"] += w * (first + wait)
        out["e2e_s"] += w * (fixed + wait + n * path.token_time)
        out["energy_per_request_j"] += w * (sum(path.energy_once.values()) + n * sum(path.energy_per_token.values()))
        out["co2e_per_request_g"] += w * (path.co2e_once + n * path.co2e_per_token)
    return {m: sp.nsimplify(e, rational=False) if e.has(sp.Float) else e for m, e in out.items()}


def paradigm_expressions(scenario, keep=()) -> dict:
    """Mean TTFT, E2E, energy and CO2e of each paradigm as expressions in the tiers' quantities.

    Parameters
    ----------
    scenario : Scenario or str
        A scenario, a built-in name or a YAML path.
    keep : iterable of str, optional
        Symbol names kept even where their value is 0 (a quantity about to
        be varied).

    Returns
    -------
    dict
        paradigm → :class:`PathExpressions`.

    Raises
    ------
    ValueError
        When the scenario mixes edge-cloud strategies (a sweep); one
        scenario has one.
    """
    from ..arrays import ScenarioArrays
    from ..paradigms import Context, paradigm_paths, resolve
    ctx = Context(ScenarioArrays(resolve(scenario)))
    paths = paradigm_paths(ctx)
    out = {}
    for p, path in paths.items():
        if not path.routes:
            raise ValueError(f"paradigm {p}: no single strategy to state symbolically")
        sym = _Symbols(keep)
        metrics = _expressions(p, path.routes, float(ctx.extra_tokens), sym)
        out[p] = PathExpressions(p, metrics, sym.values)
    return out
