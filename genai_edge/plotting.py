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


def sweep_lines(frame: pd.DataFrame, x: str, metric: str, xlabel: str, ylabel: str, ax=None):
    """A metric of every paradigm against a swept scenario key (tidy frame from :func:`sweep`)."""
    ax = ax or plt.subplots()[1]
    data = frame[frame.metric == metric].replace(np.inf, np.nan)
    sns.lineplot(data=data, x=x, y="value", hue="paradigm", palette=PALETTE, ax=ax, marker="o")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return ax


def parity(table: pd.DataFrame, ax=None):
    """Predicted vs measured (validation table), calibration rows apart from held-out rows."""
    ax = ax or plt.subplots(figsize=(5.5, 5))[1]
    t = table.assign(subset=np.where(table.calibration, "calibration", "held out"))
    sns.scatterplot(data=t, x="measured", y="predicted", hue="quantity", style="subset", s=70, ax=ax)
    lo, hi = t[["measured", "predicted"]].min().min() * 0.7, t[["measured", "predicted"]].max().max() * 1.4
    ax.plot([lo, hi], [lo, hi], color="grey", lw=1)
    ax.fill_between([lo, hi], [lo * 0.85, hi * 0.85], [lo * 1.15, hi * 1.15], color="grey", alpha=0.15,
                    label="±15 %")
    ax.set(xscale="log", yscale="log", xlim=(lo, hi), ylim=(lo, hi),
           xlabel="measured [s or token/s]", ylabel="predicted [s or token/s]")
    ax.legend(fontsize=8, bbox_to_anchor=(1.02, 1), loc="upper left")
    return ax
