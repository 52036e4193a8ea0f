"""Standard figures with one seaborn theme and units on every axis.

Imported only by notebooks (seaborn and matplotlib load here, not at
``import genai_edge``). Functions take library results and return the
matplotlib Axes; they compute nothing themselves.
"""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from . import paradigms

PALETTE = dict(zip(paradigms.PARADIGMS, sns.color_palette("colorblind", 4)))


def set_theme() -> None:
    """The project's one theme (call once per notebook)."""
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    plt.rcParams.update({"figure.dpi": 110, "figure.figsize": (7.5, 4.2)})


def breakdown_bars(results: dict, ax=None):
    """Stacked mean end-to-end latency per paradigm, by component [s]."""
    ax = ax or plt.subplots()[1]
    frame = pd.DataFrame({p: r.breakdown for p, r in results.items()}).T[list(paradigms.COMPONENTS)]
    finite = frame.replace(np.inf, np.nan)
    finite.plot.barh(stacked=True, ax=ax, colormap="tab20c", width=0.7)
    for i, (p, r) in enumerate(results.items()):
        label = "unstable (∞)" if not np.isfinite(r.e2e_s) else f"{r.e2e_s:.2f} s"
        ax.text(np.nan_to_num(finite.loc[p].sum()), i, " " + label, va="center", fontsize=9)
    ax.set_xlabel("mean end-to-end latency [s]")
    ax.set_ylabel("paradigm")
    ax.legend(title="component", bbox_to_anchor=(1.02, 1), loc="upper left")
    return ax


def latency_ccdf(results: dict, which: str = "ttft", ax=None):
    """P(latency > t) per paradigm on a log axis, with the p99 marked."""
    ax = ax or plt.subplots()[1]
    p99 = [getattr(r, f"{which}_p99_s") for r in results.values()]
    finite = [x for x in p99 if np.isfinite(x)] or [1.0]
    t = np.linspace(0, 1.3 * max(finite), 600)
    for name, r in results.items():
        ax.plot(t, r.survival(t, which), label=name, color=PALETTE[name])
        if np.isfinite(getattr(r, f"{which}_p99_s")):
            ax.axvline(getattr(r, f"{which}_p99_s"), color=PALETTE[name], ls=":", lw=1)
    ax.set_yscale("log")
    ax.set_ylim(1e-4, 1.5)
    ax.axhline(0.01, color="grey", lw=0.8)
    ax.set_xlabel(f"{which.upper()} [s]")
    ax.set_ylabel("P(latency > t) [-]")
    ax.legend(title="paradigm (dotted: p99)")
    return ax


def sweep_lines(frame: pd.DataFrame, x: str, metric: str, xlabel: str, ylabel: str, ax=None, scale=1.0):
    """A metric of every paradigm against a swept key (table from :func:`genai_edge.sweep.sweep`).

    Unbounded values (unstable queues) leave gaps. With a ``percentile``
    column (uncertain keys) the median is drawn with the outer band shaded.
    """
    ax = ax or plt.subplots()[1]
    data = frame.replace([np.inf, -np.inf], np.nan)
    for name, group in data.groupby("paradigm", observed=True):
        color = PALETTE[name]
        if "percentile" in group:
            wide = group.pivot_table(index=x, columns="percentile", values=metric)
            levels = sorted(wide.columns)
            mid = levels[len(levels) // 2]
            ax.plot(wide.index, wide[mid] * scale, color=color, label=name)
            ax.fill_between(wide.index, wide[levels[0]] * scale, wide[levels[-1]] * scale, color=color, alpha=0.2)
        else:
            g = group.sort_values(x)
            ax.plot(g[x], g[metric] * scale, color=color, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(title="paradigm")
    return ax


def winner_map(frame: pd.DataFrame, x: str, y: str, metric: str, higher_is_better: bool = False, ax=None,
               xlabel: str | None = None, ylabel: str | None = None):
    """Which paradigm is best on ``metric`` at every (x, y) of a 2-D sweep (blank: none is finite)."""
    ax = ax or plt.subplots()[1]
    values = frame.replace([np.inf, -np.inf], np.nan).pivot_table(index=[y, x], columns="paradigm",
                                                                  values=metric, observed=True)
    values = values[[p for p in paradigms.PARADIGMS if p in values.columns]]
    best = (values.idxmax(axis=1) if higher_is_better else values.idxmin(axis=1)).where(values.notna().any(axis=1))
    order = list(values.columns)
    codes = best.map({p: i for i, p in enumerate(order)}).unstack(x)
    cmap = plt.matplotlib.colors.ListedColormap([PALETTE[p] for p in order])
    xs, ys = codes.columns.to_numpy(), codes.index.to_numpy()
    categorical = not np.issubdtype(np.asarray(xs).dtype, np.number) or not np.issubdtype(np.asarray(ys).dtype, np.number)
    if categorical:
        ax.imshow(codes.to_numpy(dtype=float), cmap=cmap, vmin=-0.5, vmax=len(order) - 0.5, aspect="auto",
                  origin="lower", interpolation="nearest")
        ax.set_xticks(range(len(xs)), [str(v) for v in xs], rotation=45, ha="right")
        ax.set_yticks(range(len(ys)), [str(v) for v in ys])
    else:
        ax.pcolormesh(xs, ys, codes.to_numpy(dtype=float), cmap=cmap, vmin=-0.5, vmax=len(order) - 0.5,
                      shading="nearest")
    handles = [plt.matplotlib.patches.Patch(color=PALETTE[p], label=paradigms.PARADIGM_LABELS[p]) for p in order]
    from . import metrics
    ax.legend(handles=handles, title=f"best {metrics.get(metric).label}", bbox_to_anchor=(1.02, 1), loc="upper left")
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel(ylabel or y)
    ax.grid(False)
    return ax


def parity(table: pd.DataFrame):
    """Predicted vs measured per regime: shipped-fit and cross-validated predictions marked apart.

    Quantities in seconds and in tokens per second share an axis (both log);
    the band is ±12 %.
    """
    fig, axes = plt.subplots(1, 2, figsize=(11, 5))
    for ax, regime in zip(axes, ("prefill", "decode")):
        t = table[table.regime == regime]
        ax.scatter(t.measured, t.predicted, facecolors="none", edgecolors="C0", s=45,
                   label="shipped fit (row in the fit)" if t.in_fit.any() else "shipped fit")
        ax.scatter(t.measured, t.cv_predicted, marker="x", color="C3", s=35,
                   label="cross-validated (fit without the row's source)")
        lo = min(t.measured.min(), t.predicted.min(), t.cv_predicted.min()) * 0.7
        hi = max(t.measured.max(), t.predicted.max(), t.cv_predicted.max()) * 1.4
        ax.plot([lo, hi], [lo, hi], color="grey", lw=1)
        ax.fill_between([lo, hi], [lo / 1.12, hi / 1.12], [lo * 1.12, hi * 1.12], color="grey", alpha=0.15,
                        label="±12 %")
        ax.set(xscale="log", yscale="log", xlim=(lo, hi), ylim=(lo, hi), title=f"{regime} ({len(t)} rows)",
               xlabel="measured [s or token/s]", ylabel="predicted [s or token/s]")
        ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
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
    ax = ax or plt.subplots()[1]
    d = data.assign(domain=_primary_domain(data["domain"]))
    sns.scatterplot(data=d, x="year", y=column, hue="domain", s=18, alpha=0.7, lw=0, ax=ax)
    _band(ax, trend, trend.first_year, until or trend.last_year, "black",
          f"trend: {trend.factor_per_year:.2f}x per year")
    ax.set(yscale="log", xlabel="publication date [yr]", ylabel=ylabel)
    ax.legend(fontsize=8, bbox_to_anchor=(1.02, 1), loc="upper left")
    return ax


def backtest(bt, train: pd.DataFrame, column: str, ylabel: str, ax=None):
    """A back-test: training models grey, later models inside (blue) or outside (red) the band."""
    ax = ax or plt.subplots()[1]
    ax.scatter(train["year"], train[column], s=10, color="0.6", label=f"fitted (≤ {bt.freeze_year})")
    test = bt.test
    ax.scatter(test.year[test.inside], test.value[test.inside], s=12, color="tab:blue",
               label="later, inside the interval")
    ax.scatter(test.year[~test.inside], test.value[~test.inside], s=12, color="tab:red",
               label="later, outside")
    _band(ax, bt.trend, bt.trend.first_year, float(test.year.max()), "black",
          f"frozen trend: {bt.trend.factor_per_year:.2f}x per year")
    ax.axvline(bt.freeze_year + 1, color="grey", ls=":", lw=1)
    ax.set(yscale="log", xlabel="publication date [yr]", ylabel=ylabel,
           title=f"coverage {bt.coverage:.0%} of {bt.n_test} later models")
    ax.legend(fontsize=8, bbox_to_anchor=(1.02, 1), loc="upper left")
    return ax


def feasibility_horizon(table: pd.DataFrame, trend, ax=None, until: float = 2030):
    """Largest model per device (horizontal lines) against the frontier trend and its band."""
    ax = ax or plt.subplots(figsize=(8, 4.6))[1]
    _band(ax, trend, trend.first_year, until, "black",
          f"frontier trend: {trend.factor_per_year:.2f}x per year")
    colors = sns.color_palette("colorblind", len(table))
    for c, (_, row) in zip(colors, table.iterrows()):
        ax.axhline(row.largest_params, color=c, lw=1.2, ls="--",
                   label=f"{row.hardware} ({row.precision})")
        ax.plot([row.horizon_year], [row.largest_params], "o", color=c)
    ax.set(yscale="log", xlabel="year [yr]", ylabel="parameters [-]", xlim=(trend.first_year, until))
    ax.legend(fontsize=7, bbox_to_anchor=(1.02, 1), loc="upper left")
    return ax


def energy_bars(results: dict, ax=None):
    """Stacked mean energy per request per paradigm, by component, on a log axis [J]."""
    from .paths import ENERGY_COMPONENTS
    ax = ax or plt.subplots()[1]
    frame = pd.DataFrame({p: {k: r.metrics[f"energy_{k}_j"] for k in ENERGY_COMPONENTS}
                          for p, r in results.items()}).T
    frame.plot.barh(stacked=True, ax=ax, colormap="tab20c", width=0.7)
    for i, (p, r) in enumerate(results.items()):
        ax.text(np.nan_to_num(frame.loc[p].sum()), i, f" {r.energy_per_request_j:,.3g} J", va="center", fontsize=9)
    ax.set_xlabel("mean energy per request [J]")
    ax.set_ylabel("paradigm")
    ax.legend(title="component", bbox_to_anchor=(1.02, 1), loc="upper left")
    return ax


def energy_vs_batch(batch, predicted, measured: pd.DataFrame, label: str, ax=None):
    """Energy per output token against batch: the law's curve and measured points [J token^-1]."""
    ax = ax or plt.subplots()[1]
    ax.plot(batch, predicted, color="C0", label=f"{label}: model")
    ax.scatter(measured.batch, measured.measured, color="C1", zorder=3, label=f"{label}: measured (ML.ENERGY)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("concurrent sequences (batch) [-]")
    ax.set_ylabel("GPU energy per output token [J]")
    ax.legend()
    return ax


def pareto(frame: pd.DataFrame, x: str = "e2e_s", y: str = "energy_per_request_j", ax=None):
    """Every swept point of every paradigm on latency × energy, the non-dominated front drawn over them."""
    from .sweep import pareto_mask
    ax = ax or plt.subplots()[1]
    finite = frame[np.isfinite(frame[x]) & np.isfinite(frame[y])]
    for name, part in finite.groupby("paradigm", sort=False):
        ax.scatter(part[x], part[y], s=8, alpha=0.35, color=PALETTE[name], label=name)
    front = finite[pareto_mask(finite[x], finite[y])].sort_values(x)
    ax.step(front[x], front[y], where="post", color="black", lw=1.2, label="Pareto front")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("mean end-to-end latency [s]")
    ax.set_ylabel("mean energy per request [J]")
    ax.legend(title="paradigm", bbox_to_anchor=(1.02, 1), loc="upper left")
    return ax, front


def downtime_bars(results: dict, ax=None):
    """Expected downtime per month and requests missing the SLO per paradigm, outages counted [min month^-1]."""
    from .reliability import MONTH
    ax = ax or plt.subplots()[1]
    month_min = MONTH / 60.0
    frame = pd.DataFrame({p: {"not served (downtime)": r.downtime_min_per_month,
                              "served but too slow": max(0.0, r.availability - r.slo_attainment) * month_min}
                          for p, r in results.items()}).T
    frame.plot.barh(stacked=True, ax=ax, color=["C3", "C1"], width=0.7)
    for i, (p, r) in enumerate(results.items()):
        ax.text(frame.loc[p].sum(), i, f" {100 * r.availability:.3f} % available", va="center", fontsize=9)
    ax.set_xlabel("minutes per month of requests lost or too slow [min]")
    ax.set_ylabel("paradigm")
    ax.legend(bbox_to_anchor=(1.02, 1), loc="upper left")
    return ax


def outage_crossover(q, mega, distributed, q_star, label: str, ax=None):
    """Unavailability of one mega-site and of distributed sites against the site outage probability [-]."""
    ax = ax or plt.subplots()[1]
    ax.plot(q, 1 - np.asarray(mega), label="one mega-site")
    ax.plot(q, 1 - np.asarray(distributed), label=label)
    if np.isfinite(q_star):
        ax.axvline(q_star, color="grey", ls=":", label=f"crossover q* = {q_star:.3g}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("probability that a site is down from a common cause, q [-]")
    ax.set_ylabel("unavailability of the service [-]")
    ax.legend()
    return ax


def goodput_curve(interval, goodput, marks: dict, ax=None):
    """Goodput of a synchronous job against the compute time between checkpoints, with named intervals marked."""
    ax = ax or plt.subplots()[1]
    ax.plot(np.asarray(interval) / 60.0, np.asarray(goodput) * 100.0, color="C0")
    for i, (name, (x, g)) in enumerate(marks.items()):
        ax.scatter([x / 60.0], [g * 100.0], color=f"C{i + 1}", zorder=3, label=f"{name}: {x / 60:.1f} min, {g:.2%}")
    ax.set_xscale("log")
    ax.set_xlabel("compute time between checkpoints [min]")
    ax.set_ylabel("goodput (useful share of wall time) [%]")
    ax.legend()
    return ax
