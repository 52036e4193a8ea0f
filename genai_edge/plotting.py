"""Standard figures: one theme, one style per paradigm, units on every axis, alt text.

Imported only by notebooks (seaborn and matplotlib load here, not at
``import genai_edge``). Functions take library results and return the
matplotlib Axes; they compute nothing themselves.

Every paradigm has one :class:`Style` (:data:`STYLES`): a colour of the
Okabe–Ito palette, a line style, a marker and a drawing order, so that
lines drawn on top of each other stay apart for every reader. Legends sit
outside the data area. Each function describes what it drew
(:func:`set_alt`); :func:`alt_text` turns that and the axes' labels into
alternative text, which :func:`set_theme` attaches to every PNG a notebook
shows, as ``metadata["image/png"]["alt"]`` of the output.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from . import paradigms
from .paths import COMPONENTS

#: Okabe & Ito, "Color Universal Design (CUD): how to make figures and presentations that are
#: friendly to colorblind people" (2008), https://jfly.uni-koeln.de/color/ — eight colours told
#: apart under protanopia, deuteranopia and tritanopia (Wong, Nature Methods 8, 441 (2011)).
OKABE_ITO = {"orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7", "black": "#000000"}


@dataclass(frozen=True)
class Style:
    """How one paradigm is drawn in every figure."""
    color: str
    linestyle: str
    marker: str
    linewidth: float      # [pt]
    zorder: float         # thinner lines are drawn over thicker ones
    label: str

    def line(self, index: int) -> dict:
        """Keyword arguments of ``Axes.plot``: markers every 12 % of the line, offset per paradigm."""
        return dict(color=self.color, ls=self.linestyle, lw=self.linewidth, marker=self.marker, ms=5.5,
                    markevery=(0.03 * index, 0.12), zorder=self.zorder, label=self.label)


# Blue, vermillion, sky blue and reddish purple: the four Okabe–Ito colours furthest apart (CIELAB
# ΔE ≥ 20 with normal vision and simulated protan-, deuter- and tritanopia) that all stand out on
# white (yellow does not); edge–cloud is the lighter blue of cloud.
_LOOKS = (("blue", "-", "o", 2.8), ("vermillion", "--", "s", 2.3),
          ("sky_blue", "-.", "^", 2.0), ("reddish_purple", ":", "D", 2.0))
if len(paradigms.PARADIGMS) > len(_LOOKS):
    raise RuntimeError(f"plotting styles {len(_LOOKS)} paradigms, the registry has {len(paradigms.PARADIGMS)}")
STYLES = {p: Style(OKABE_ITO[c], ls, m, lw, 2.0 + i, paradigms.PARADIGM_LABELS[p])
          for i, (p, (c, ls, m, lw)) in enumerate(zip(paradigms.PARADIGMS, _LOOKS))}
PALETTE = {p: s.color for p, s in STYLES.items()}

# Latency components drawn in milliseconds on their own axis (network), the rest in seconds.
_NETWORK = ("access", "transport")
_COMPONENT_COLORS = dict(zip(COMPONENTS, [OKABE_ITO[c] for c in ("sky_blue", "blue", "yellow", "bluish_green",
                                                                   "orange", "vermillion", "reddish_purple")]))

# Colour cycle of other figures: the paradigm colours first, yellow (faint on white) last.
_CYCLE = [OKABE_ITO[c] for c in ("blue", "vermillion", "bluish_green", "orange", "reddish_purple", "sky_blue",
                                 "black", "yellow")]

ALT_ATTRIBUTE = "genai_edge_alt"


def set_alt(artist, text: str) -> None:
    """Say what an Axes (or a whole Figure) shows, for :func:`alt_text`."""
    setattr(artist, ALT_ATTRIBUTE, text)


def _axis_text(axis, name: str) -> str:
    label = axis.get_label_text()
    if not label:
        return ""
    log = axis.get_scale() == "log" and "log scale" not in label
    return f"{name}: {label}" + (" (log scale)" if log else "")


def alt_text(fig) -> str:
    """Alternative text of a figure: what each panel shows, its axes with units and scale, its legend.

    Panels without a description from :func:`set_alt` are described by
    their title, axis labels and legend alone.
    """
    parts = []
    suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    for text in (getattr(fig, ALT_ATTRIBUTE, ""), suptitle):
        if text:
            parts.append(text.rstrip(".") + ".")
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    for i, ax in enumerate(axes):
        head = f"Panel {i + 1} of {len(axes)}: " if len(axes) > 1 else ""
        what = getattr(ax, ALT_ATTRIBUTE, "") or ax.get_title() or "Chart"
        bits = [b for b in (_axis_text(ax.xaxis, "x axis"), _axis_text(ax.yaxis, "y axis")) if b]
        legend = ax.get_legend()
        if legend is not None:
            entries = [t.get_text() for t in legend.get_texts() if t.get_text()]
            title = legend.get_title().get_text()
            bits.append(f"legend{f' ({title})' if title else ''}: " + ", ".join(entries))
        parts.append(head + what.rstrip(".") + (". " + "; ".join(bits) if bits else "") + ".")
    for legend in getattr(fig, "legends", []):
        parts.append("Legend: " + ", ".join(t.get_text() for t in legend.get_texts()) + ".")
    return " ".join(" ".join(parts).split())


def _png_with_alt(inner, fig):
    out = inner(fig)
    if out is None:
        return None
    data, meta = out if isinstance(out, tuple) else (out, {})
    alt = alt_text(fig)
    return (data, {**(meta or {}), "alt": alt}) if alt else (data, meta)


def _attach_alt_to_png() -> None:
    """In IPython, wrap the PNG formatter of Figures so that its output carries ``alt`` metadata."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return
    import matplotlib
    if "inline" in matplotlib.get_backend(auto_select=False):
        # the inline backend selects its figure formats once, when first imported: let it do that
        # now, so that it cannot replace the formatter set below later
        import matplotlib_inline.backend_inline  # noqa: F401
    formatter = shell.display_formatter.formatters["image/png"]
    try:
        inner = formatter.lookup_by_type(Figure)
    except KeyError:
        from IPython.core.pylabtools import print_figure
        inner = partial(print_figure, fmt="png", base64=True, bbox_inches="tight")
    if getattr(inner, "func", None) is _png_with_alt:
        return
    formatter.for_type(Figure, partial(_png_with_alt, inner))


def set_theme() -> None:
    """The project's one theme (call once per notebook); notebook PNGs get alt text."""
    sns.set_theme(context="notebook", style="whitegrid", palette=_CYCLE)
    plt.rcParams.update({"figure.dpi": 110, "figure.figsize": (7.5, 4.2), "figure.constrained_layout.use": True})
    _attach_alt_to_png()


def _new_axes(figsize=None):
    return plt.subplots(figsize=figsize, layout="constrained")[1]


def _legend_outside(ax, **kwargs):
    """A legend to the right of the axes, outside the data area."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kwargs)


def _paradigm_order(names) -> list:
    return [p for p in paradigms.PARADIGMS if p in set(names)]


def breakdown_bars(results: dict, axes=None):
    """Mean end-to-end latency per paradigm by component, the network on its own axis.

    Access and transport take milliseconds where decoding takes seconds, so
    they are stacked on a left axis in ms and the serving components (queue,
    prefill, decode, streaming) on a right axis in s; the right bars carry the
    end-to-end total.

    Parameters
    ----------
    results : dict
        Paradigm name → :class:`genai_edge.paradigms.ParadigmResult`.
    axes : pair of Axes, optional
        Network axes, then serving axes, sharing y (default: a new figure).
    """
    if axes is None:
        _, axes = plt.subplots(1, 2, sharey=True, width_ratios=(1, 2.2), figsize=(10, 3.8), layout="constrained")
    net_ax, serve_ax = axes
    order = _paradigm_order(results)
    frame = pd.DataFrame({p: results[p].breakdown for p in order}).T[list(COMPONENTS)].replace(np.inf, np.nan)
    frame.index = [STYLES[p].label for p in order]
    serving = [c for c in COMPONENTS if c not in _NETWORK]
    (frame[list(_NETWORK)] * 1e3).plot.barh(stacked=True, ax=net_ax, width=0.7, legend=False,
                                             color=[_COMPONENT_COLORS[c] for c in _NETWORK])
    frame[serving].plot.barh(stacked=True, ax=serve_ax, width=0.7, legend=False,
                             color=[_COMPONENT_COLORS[c] for c in serving])
    for i, p in enumerate(order):
        r = results[p]
        net_ax.text(np.nan_to_num(frame.iloc[i][list(_NETWORK)].sum()) * 1e3, i,
                    f" {1e3 * frame.iloc[i][list(_NETWORK)].sum():.3g} ms", va="center", fontsize=8)
        label = "unstable (∞)" if not np.isfinite(r.e2e_s) else f"total {r.e2e_s:.3g} s"
        serve_ax.text(np.nan_to_num(frame.iloc[i][serving].sum()), i, " " + label, va="center", fontsize=8)
    tops = (1e3 * frame[list(_NETWORK)].sum(axis=1).max(), frame[serving].sum(axis=1).max())
    for ax, top in zip((net_ax, serve_ax), tops):
        ax.set_xlim(0, 1.45 * (top if np.isfinite(top) and top > 0 else 1.0))
    net_ax.invert_yaxis()
    net_ax.set_xlabel("network: access + transport [ms]")
    serve_ax.set_xlabel("serving: queue + prefill + decode + streaming [s]")
    net_ax.set_ylabel("paradigm")
    handles = net_ax.get_legend_handles_labels()[0] + serve_ax.get_legend_handles_labels()[0]
    _legend_outside(serve_ax, handles=handles, labels=list(_NETWORK) + serving, title="component")
    set_alt(net_ax, "Horizontal stacked bars: mean network latency (access, transport) per paradigm, "
                    "in milliseconds, on its own axis because it is small next to decoding; "
                    + "; ".join(f"{lab} {1e3 * v:.3g} ms" for lab, v in frame[list(_NETWORK)].sum(axis=1).items()))
    set_alt(serve_ax, "Horizontal stacked bars: mean serving latency (queue, prefill, decode, streaming) per "
                      "paradigm in seconds, labelled with the end-to-end total; "
                      + "; ".join(f"{STYLES[p].label} {results[p].e2e_s:.3g} s" for p in order))
    return axes


def latency_ccdf(results: dict, which: str = "ttft", ax=None):
    """P(latency > t) per paradigm on a log axis, the p99 marked where each curve crosses 1 %."""
    ax = ax or _new_axes()
    order = _paradigm_order(results)
    p99 = {p: getattr(results[p], f"{which}_p99_s") for p in order}
    finite = [x for x in p99.values() if np.isfinite(x)] or [1.0]
    t = np.linspace(0, 1.3 * max(finite), 600)
    for i, p in enumerate(order):
        style = STYLES[p]
        ax.plot(t, results[p].survival(t, which), **style.line(i))
        if np.isfinite(p99[p]):
            ax.plot([p99[p]], [0.01], marker=style.marker, ms=9, mfc="white", mec=style.color, mew=2,
                    ls="none", zorder=10)
    ax.set_yscale("log")
    ax.set_ylim(1e-4, 1.5)
    ax.axhline(0.01, color="grey", lw=0.8)
    ax.set_xlabel(f"{which.upper()} [s]")
    ax.set_ylabel("P(latency > t) [-]")
    _legend_outside(ax, title="paradigm\n(open marker: p99)")
    set_alt(ax, f"Line chart: probability that the {which.upper()} exceeds t, per paradigm, on a log "
                "probability axis, with each paradigm's p99 marked on the 1 % line; p99: "
                + "; ".join(f"{STYLES[p].label} {v:.3g} s" if np.isfinite(v) else f"{STYLES[p].label} unbounded"
                            for p, v in p99.items()))
    return ax


def sweep_lines(frame: pd.DataFrame, x: str, metric: str, xlabel: str, ylabel: str, ax=None, scale=1.0):
    """A metric of every paradigm against a swept key (table from :func:`genai_edge.sweep.sweep`).

    Unbounded values (unstable queues) leave gaps. With a ``percentile``
    column (uncertain keys) the median is drawn with the outer band shaded.
    """
    ax = ax or _new_axes()
    data = frame.replace([np.inf, -np.inf], np.nan)
    groups = dict(list(data.groupby("paradigm", observed=True)))
    banded = False
    for i, p in enumerate(_paradigm_order(groups)):
        group, style = groups[p], STYLES[p]
        if "percentile" in group:
            wide = group.pivot_table(index=x, columns="percentile", values=metric)
            levels = sorted(wide.columns)
            ax.plot(wide.index, wide[levels[len(levels) // 2]] * scale, **style.line(i))
            ax.fill_between(wide.index, wide[levels[0]] * scale, wide[levels[-1]] * scale, color=style.color,
                            alpha=0.15, lw=0, zorder=1)
            banded = True
        else:
            g = group.sort_values(x)
            ax.plot(g[x], g[metric] * scale, **style.line(i))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _legend_outside(ax, title="paradigm")
    set_alt(ax, f"Line chart: {ylabel} of each paradigm against {xlabel}"
                + (", median line with the outer percentile band shaded" if banded else "")
                + "; gaps where a paradigm's queue is unstable")
    return ax


def winner_map(frame: pd.DataFrame, x: str, y: str, metric: str, higher_is_better: bool = False, ax=None,
               xlabel: str | None = None, ylabel: str | None = None):
    """Which paradigm is best on ``metric`` at every (x, y) of a 2-D sweep (blank: none is finite)."""
    from . import metrics
    ax = ax or _new_axes()
    values = frame.replace([np.inf, -np.inf], np.nan).pivot_table(index=[y, x], columns="paradigm",
                                                                  values=metric, observed=True)
    values = values[_paradigm_order(values.columns)]
    best = (values.idxmax(axis=1) if higher_is_better else values.idxmin(axis=1)).where(values.notna().any(axis=1))
    order = list(values.columns)
    codes = best.map({p: i for i, p in enumerate(order)}).unstack(x)
    cmap = plt.matplotlib.colors.ListedColormap([PALETTE[p] for p in order])
    xs, ys = codes.columns.to_numpy(), codes.index.to_numpy()
    categorical = not (np.issubdtype(np.asarray(xs).dtype, np.number)
                       and np.issubdtype(np.asarray(ys).dtype, np.number))
    if categorical:
        ax.imshow(codes.to_numpy(dtype=float), cmap=cmap, vmin=-0.5, vmax=len(order) - 0.5, aspect="auto",
                  origin="lower", interpolation="nearest")
        ax.set_xticks(range(len(xs)), [str(v) for v in xs], rotation=45, ha="right")
        ax.set_yticks(range(len(ys)), [str(v) for v in ys])
    else:
        ax.pcolormesh(xs, ys, codes.to_numpy(dtype=float), cmap=cmap, vmin=-0.5, vmax=len(order) - 0.5,
                      shading="nearest")
    handles = [plt.matplotlib.patches.Patch(color=PALETTE[p], label=STYLES[p].label) for p in order]
    label = metrics.get(metric).label
    _legend_outside(ax, handles=handles, title=f"best {label}")
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or y)
    ax.grid(False)
    share = best.value_counts(normalize=True)
    set_alt(ax, f"Map: the paradigm with the best {label} at every combination of {xlabel or x} and "
                f"{ylabel or y}, one colour per paradigm, blank where none is finite; share of the map: "
                + ", ".join(f"{STYLES[p].label} {share.get(p, 0.0):.0%}" for p in order))
    return ax


def parity(table: pd.DataFrame):
    """Predicted vs measured per regime: shipped-fit and cross-validated predictions marked apart.

    Quantities in seconds and in tokens per second share an axis (both log);
    the band is ±12 %.
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 5.4), layout="constrained")
    for ax, regime in zip(axes, ("prefill", "decode")):
        t = table[table.regime == regime]
        ax.scatter(t.measured, t.predicted, facecolors="none", edgecolors=OKABE_ITO["blue"], s=45,
                   label="shipped fit")
        ax.scatter(t.measured, t.cv_predicted, marker="x", color=OKABE_ITO["vermillion"], s=35,
                   label="cross-validated (fit without the row's source)")
        lo = min(t.measured.min(), t.predicted.min(), t.cv_predicted.min()) * 0.7
        hi = max(t.measured.max(), t.predicted.max(), t.cv_predicted.max()) * 1.4
        ax.plot([lo, hi], [lo, hi], color="grey", lw=1, label="predicted = measured")
        ax.fill_between([lo, hi], [lo / 1.12, hi / 1.12], [lo * 1.12, hi * 1.12], color="grey", alpha=0.15,
                        label="±12 %")
        ax.set(xscale="log", yscale="log", xlim=(lo, hi), ylim=(lo, hi), title=f"{regime} ({len(t)} rows)",
               xlabel="measured [s or token/s]", ylabel="predicted [s or token/s]")
        set_alt(ax, f"Scatter on log-log axes: predicted against measured {regime} for {len(t)} rows, shipped "
                    "fit as circles and cross-validated predictions as crosses, with the diagonal and a ±12 % band")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=4, fontsize=9)
    return axes


def _primary_domain(domain: pd.Series, keep: int = 6) -> pd.Series:
    first = domain.str.split(",").str[0].str.strip()
    common = first.value_counts().index[:keep]
    return first.where(first.isin(common), "other")


def _band(ax, trend, x0: float, x1: float, color: str, label: str):
    x = np.linspace(x0, x1, 200)
    lo, hi = trend.prediction_interval(x)
    ax.fill_between(x, lo, hi, color=color, alpha=0.15, lw=0,
                    label=f"{trend.level:.0%} prediction interval")
    clo, chi = trend.confidence_interval(x)
    ax.fill_between(x, clo, chi, color=color, alpha=0.35, lw=0)
    ax.plot(x, trend.predict(x), color=color, lw=1.8, label=label)


def growth_trend(trend, data: pd.DataFrame, column: str, ylabel: str, ax=None, until: float | None = None):
    """Models (coloured by their first domain) and a fitted trend on a log axis.

    Dark band: the trend line's confidence interval; light band: the
    prediction interval for one new model.
    """
    ax = ax or _new_axes()
    d = data.assign(domain=_primary_domain(data["domain"]))
    sns.scatterplot(data=d, x="year", y=column, hue="domain", style="domain", s=18, alpha=0.7, lw=0, ax=ax,
                    palette=[c for k, c in OKABE_ITO.items() if k != "black"][:d.domain.nunique()])
    _band(ax, trend, trend.first_year, until or trend.last_year, "black",
          f"trend: {trend.factor_per_year:.2f}x per year")
    ax.set(yscale="log", xlabel="publication date [yr]", ylabel=ylabel)
    _legend_outside(ax, fontsize=8)
    set_alt(ax, f"Scatter of {len(d)} notable models, {ylabel} against publication year on a log axis, by domain, "
                f"with the fitted trend of {trend.factor_per_year:.2f}x per year and its intervals")
    return ax


def backtest(bt, train: pd.DataFrame, column: str, ylabel: str, ax=None):
    """A back-test: training models grey, later models inside (blue) or outside (vermillion) the band."""
    ax = ax or _new_axes()
    ax.scatter(train["year"], train[column], s=10, color="0.6", label=f"fitted (≤ {bt.freeze_year})")
    test = bt.test
    ax.scatter(test.year[test.inside], test.value[test.inside], s=12, color=OKABE_ITO["blue"],
               label="later, inside the interval")
    ax.scatter(test.year[~test.inside], test.value[~test.inside], s=16, marker="x", color=OKABE_ITO["vermillion"],
               label="later, outside")
    _band(ax, bt.trend, bt.trend.first_year, float(test.year.max()), "black",
          f"frozen trend: {bt.trend.factor_per_year:.2f}x per year")
    ax.axvline(bt.freeze_year + 1, color="grey", ls=":", lw=1)
    ax.set(yscale="log", xlabel="publication date [yr]", ylabel=ylabel,
           title=f"coverage {bt.coverage:.0%} of {bt.n_test} later models")
    _legend_outside(ax, fontsize=8)
    set_alt(ax, f"Back-test scatter: {ylabel} against publication year on a log axis; the trend frozen at "
                f"{bt.freeze_year} covers {bt.coverage:.0%} of {bt.n_test} later models")
    return ax


def feasibility_horizon(table: pd.DataFrame, trend, ax=None, until: float = 2030):
    """Largest model per device (horizontal lines) against the frontier trend and its band."""
    ax = ax or _new_axes(figsize=(8, 4.6))
    _band(ax, trend, trend.first_year, until, "black",
          f"frontier trend: {trend.factor_per_year:.2f}x per year")
    colors = [c for k, c in OKABE_ITO.items() if k != "black"]
    markers = "osD^vP*X"
    for i, (_, row) in enumerate(table.iterrows()):
        c, m = colors[i % len(colors)], markers[i % len(markers)]
        ax.axhline(row.largest_params, color=c, lw=1.2, ls=("--", "-.", ":")[i % 3],
                   label=f"{row.hardware} ({row.precision})")
        ax.plot([row.horizon_year], [row.largest_params], marker=m, color=c, ls="none")
    ax.set(yscale="log", xlabel="year [yr]", ylabel="parameters [-]", xlim=(trend.first_year, until))
    _legend_outside(ax, fontsize=7)
    set_alt(ax, "Largest model that fits each device (horizontal lines) against the frontier model trend on a "
                "log parameter axis, the year the frontier passes each device marked; "
                + "; ".join(f"{r.hardware} {r.largest_params:.3g} parameters, {r.horizon_year:.1f}"
                            for _, r in table.iterrows()))
    return ax


def energy_bars(results: dict, ax=None):
    """Mean energy per request per paradigm by component, on a log axis [J].

    Components span orders of magnitude (the network's joule next to
    hundreds for the accelerators), so each is a marker on a log axis and
    the total a bar; components that are zero are left out.
    """
    from .paths import ENERGY_COMPONENTS
    ax = ax or _new_axes(figsize=(8.5, 4.2))
    order = _paradigm_order(results)
    frame = pd.DataFrame({p: {k: results[p].metrics[f"energy_{k}_j"] for k in ENERGY_COMPONENTS}
                          for p in order}).T
    totals = np.array([results[p].energy_per_request_j for p in order], dtype=float)
    positive = frame.to_numpy()[frame.to_numpy() > 0]
    floor = 10 ** np.floor(np.log10(positive.min() / 2)) if positive.size else 1e-3
    rows = np.arange(len(order))
    ax.barh(rows, totals - floor, left=floor, height=0.7, color="0.88", edgecolor="0.5", label="total", zorder=1)
    colors = [c for k, c in OKABE_ITO.items() if k != "yellow"]
    markers = "osD^vP*X"
    for j, k in enumerate(ENERGY_COMPONENTS):
        v = frame[k].to_numpy(dtype=float)
        keep = v > 0
        ax.plot(v[keep], rows[keep] + (j - (len(ENERGY_COMPONENTS) - 1) / 2) * 0.09, marker=markers[j], ls="none",
                ms=7, color=colors[j], label=k.replace("_it", " IT").replace("_", " "), zorder=3)
    for i, total in enumerate(totals):
        ax.text(total, i, f" {total:,.3g} J", va="center", fontsize=9)
    ax.set_xscale("log")
    ax.set_xlim(floor, totals.max() * 6)
    ax.set_yticks(rows, [STYLES[p].label for p in order])
    ax.invert_yaxis()
    ax.set_xlabel("mean energy per request, per component and in total [J] (log scale)")
    ax.set_ylabel("paradigm")
    _legend_outside(ax, title="component")
    set_alt(ax, "Energy per request per paradigm: grey bars are the totals, markers the components, on a log "
                "axis in joules; totals: " + "; ".join(f"{STYLES[p].label} {t:,.3g} J" for p, t in zip(order, totals)))
    return ax


def energy_vs_batch(batch, predicted, measured: pd.DataFrame, label: str, ax=None):
    """Energy per output token against batch: the law's curve and measured points [J token^-1]."""
    ax = ax or _new_axes()
    ax.plot(batch, predicted, color=OKABE_ITO["blue"], label="model")
    ax.scatter(measured.batch, measured.measured, color=OKABE_ITO["vermillion"], marker="s", zorder=3,
               label="measured (ML.ENERGY)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("concurrent sequences (batch) [-]")
    ax.set_ylabel("GPU energy per output token [J]")
    ax.set_title(label, fontsize=9)
    _legend_outside(ax, fontsize=8)
    set_alt(ax, f"Log-log chart for {label}: GPU energy per output token against batch, the power law's "
                f"curve and {len(measured)} measured points from ML.ENERGY")
    return ax


def pareto(frame: pd.DataFrame, x: str = "e2e_s", y: str = "energy_per_request_j", ax=None):
    """Every swept point of every paradigm on latency × energy, the non-dominated front drawn over them."""
    from .sweep import pareto_mask
    ax = ax or _new_axes()
    finite = frame[np.isfinite(frame[x]) & np.isfinite(frame[y])]
    groups = dict(list(finite.groupby("paradigm", sort=False, observed=True)))
    for p in _paradigm_order(groups):
        style = STYLES[p]
        ax.scatter(groups[p][x], groups[p][y], s=14, alpha=0.45, color=style.color, marker=style.marker,
                   label=style.label, zorder=style.zorder, lw=0)
    front = finite[pareto_mask(finite[x], finite[y])].sort_values(x)
    ax.step(front[x], front[y], where="post", color="black", lw=1.2, label="Pareto front", zorder=9)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("mean end-to-end latency [s]")
    ax.set_ylabel("mean energy per request [J]")
    legend = _legend_outside(ax, title="paradigm")
    for handle in legend.legend_handles:
        handle.set_alpha(1.0)
    set_alt(ax, f"Scatter on log-log axes of {len(finite)} swept points: mean energy per request against mean "
                f"end-to-end latency, one colour and marker per paradigm, the Pareto front of {len(front)} points "
                "drawn as a black step line")
    return ax, front


def downtime_bars(results: dict, ax=None):
    """Expected downtime per month and requests missing the SLO per paradigm, outages counted [min month^-1]."""
    from .reliability import MONTH
    ax = ax or _new_axes()
    month_min = MONTH / 60.0
    order = _paradigm_order(results)
    frame = pd.DataFrame({STYLES[p].label: {"not served (downtime)": results[p].downtime_min_per_month,
                                            "served but too slow": max(0.0, results[p].availability
                                                                       - results[p].slo_attainment) * month_min}
                          for p in order}).T
    frame.plot.barh(stacked=True, ax=ax, color=[OKABE_ITO["vermillion"], OKABE_ITO["sky_blue"]], width=0.7)
    for i, p in enumerate(order):
        ax.text(frame.iloc[i].sum(), i, f" {100 * results[p].availability:.3f} % available", va="center", fontsize=9)
    ax.set_xlim(0, 1.6 * max(frame.sum(axis=1).max(), 1e-9))
    ax.invert_yaxis()
    ax.set_xlabel("requests lost or too slow, as minutes per month [min/month]")
    ax.set_ylabel("paradigm")
    _legend_outside(ax)
    set_alt(ax, "Horizontal stacked bars per paradigm: minutes per month not served (downtime) and served but "
                "too slow, labelled with the availability; " + "; ".join(
                    f"{STYLES[p].label} {results[p].downtime_min_per_month:.3g} min/month down" for p in order))
    return ax


def outage_crossover(q, mega, distributed, q_star, label: str, ax=None):
    """Unavailability of one mega-site and of distributed sites against the site outage probability [-]."""
    ax = ax or _new_axes()
    ax.plot(q, 1 - np.asarray(mega), color=OKABE_ITO["blue"], lw=2.6, label="one mega-site")
    ax.plot(q, 1 - np.asarray(distributed), color=OKABE_ITO["vermillion"], ls="--", lw=2, label=label)
    if np.isfinite(q_star):
        ax.axvline(q_star, color="grey", ls=":", label=f"crossover q* = {q_star:.3g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("probability that a site is down from a common cause, q [-]")
    ax.set_ylabel("unavailability of the service [-]")
    _legend_outside(ax)
    set_alt(ax, f"Log-log chart: unavailability of one mega-site and of {label} against the probability q that a "
                "site is down from a common cause"
                + (f", crossing at q* = {q_star:.3g}" if np.isfinite(q_star) else ""))
    return ax


def goodput_curve(interval, goodput, marks: dict, ax=None):
    """Goodput of a synchronous job against the compute time between checkpoints, with named intervals marked."""
    ax = ax or _new_axes()
    ax.plot(np.asarray(interval) / 60.0, np.asarray(goodput) * 100.0, color="0.3", lw=1.8)
    colors = [c for k, c in OKABE_ITO.items() if k not in ("black", "yellow")]
    markers = "osD^vP"
    for i, (name, (x, g)) in enumerate(marks.items()):
        ax.scatter([x / 60.0], [g * 100.0], color=colors[i % len(colors)], marker=markers[i % len(markers)], s=45,
                   zorder=3, label=f"{name}: {x / 60:.1f} min, {g:.2%}")
    ax.set_xscale("log")
    ax.set_xlabel("compute time between checkpoints [min]")
    ax.set_ylabel("goodput (useful share of wall time) [%]")
    _legend_outside(ax, fontsize=8)
    set_alt(ax, "Line chart: goodput of a synchronous training job in percent against the compute time between "
                "checkpoints on a log axis in minutes, with " + ", ".join(marks) + " marked")
    return ax
