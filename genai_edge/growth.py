"""Growth of notable AI models: log-linear trends with intervals, break tests, back-tests.

The data are Epoch AI's "Notable AI Models" database [1]_ (976 models,
1950–2025), shipped as ``data/epoch_notable_models.csv`` under CC BY 4.0:
Epoch AI, "Data on Notable AI Models", https://epoch.ai/data/notable-ai-models
(accessed 2025). Cite it with any number derived from it.

A trend is an ordinary least-squares line of log10(quantity) against the
publication date in decimal years. It reports the growth factor per year and
the doubling time with the confidence interval of the slope (Student t,
n − 2 degrees of freedom), and the prediction interval for one new model,
ŷ ± t·s·sqrt(1 + 1/n + (x − x̄)²/Sxx) — the interval a planner needs, which is
much wider than the slope's. `backtest` freezes a fit at the end of a year,
predicts the later models and reports how many fall inside that interval;
`break_test` compares two periods with a Chow F test [2]_.

References
----------
.. [1] Epoch AI, "Data on Notable AI Models," 2024-2025 (CC BY 4.0).
   https://epoch.ai/data/notable-ai-models
.. [2] G. C. Chow, "Tests of equality between sets of coefficients in two
   linear regressions," Econometrica 28(3), 591-605, 1960.
.. [3] J. Sevilla et al., "Compute trends across three eras of machine
   learning," IJCNN 2022. arXiv:2202.05924
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pandas as pd

from . import _validate as v

__all__ = [
    "ATTRIBUTION", "QUANTITIES", "notable_models", "domains", "trend_data",
    "Trend", "fit_trend", "growth_trend", "BreakTest", "break_test", "Backtest", "backtest",
]

ATTRIBUTION = ("Model data: Epoch AI, \"Data on Notable AI Models\" "
               "(https://epoch.ai/data/notable-ai-models), CC BY 4.0.")

QUANTITIES = {
    "compute": ("training_compute_flop", "training compute [FLOP]"),
    "parameters": ("parameters", "parameters [-]"),
    "data": ("dataset_size", "training dataset size [tokens or examples]"),
}
"""Quantities a trend can be fitted to: name -> (column, label with unit)."""

_COLUMNS = {   # Epoch column -> typed column
    "Model": "model", "Organization": "organization", "Publication date": "date",
    "Domain": "domain", "Task": "task", "Parameters": "parameters",
    "Training compute (FLOP)": "training_compute_flop",
    "Training dataset size (gradients)": "dataset_size", "Confidence": "confidence",
    "Link": "link", "Training hardware": "hardware", "Hardware quantity": "hardware_quantity",
    "Training time (hours)": "training_time_h", "Training power draw (W)": "power_draw_w",
    "Hardware utilization (MFU)": "mfu", "Frontier model": "frontier",
    "Model accessibility": "accessibility",
}
_NUMERIC = ("parameters", "training_compute_flop", "dataset_size", "hardware_quantity",
            "training_time_h", "power_draw_w", "mfu")


def _decimal_year(dates: pd.Series) -> np.ndarray:
    year = dates.dt.year.to_numpy(float)
    days = np.where(dates.dt.is_leap_year, 366.0, 365.0)
    return year + (dates.dt.day_of_year.to_numpy(float) - 1.0) / days


@functools.cache
def _table() -> pd.DataFrame:
    with resources.files("genai_edge").joinpath("data", "epoch_notable_models.csv").open(
            encoding="utf-8") as fh:
        raw = pd.read_csv(fh, dtype=str, keep_default_na=False)
    df = raw.rename(columns=_COLUMNS)[list(_COLUMNS.values())].copy()
    invalid = {}
    for col in _NUMERIC:
        text = df[col].str.strip()
        num = pd.to_numeric(text, errors="coerce")
        bad = (text != "") & ~(num > 0)           # present but not a positive number
        invalid[col] = int(bad.sum())
        df[col] = num.where(num > 0)
    df["date"] = pd.to_datetime(df["date"], errors="coerce", format="%Y-%m-%d")
    invalid["date"] = int(df["date"].isna().sum())
    df = df[df["date"].notna()].reset_index(drop=True)
    df.insert(3, "year", _decimal_year(df["date"]))
    df["frontier"] = df["frontier"].str.strip().str.lower() == "true"
    df.attrs["invalid"] = invalid
    return df


def notable_models(require: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """Epoch AI's notable models as a typed table.

    Parameters
    ----------
    require : sequence of str
        Columns that must be present; rows missing any of them are dropped
        and counted in ``attrs["dropped"]`` (column -> rows dropped).

    Returns
    -------
    pandas.DataFrame
        One row per model: ``model``, ``organization``, ``date``
        (datetime64), ``year`` (decimal) [yr], ``domain`` (comma-separated),
        ``task``, ``parameters`` [-], ``training_compute_flop`` [FLOP],
        ``dataset_size`` [tokens for language models, else examples],
        ``confidence``, ``link``, ``hardware``, ``hardware_quantity`` [-],
        ``training_time_h`` [h], ``power_draw_w`` [W], ``mfu`` [-],
        ``frontier`` (bool, Epoch's flag), ``accessibility``. Missing or
        non-positive numbers are NaN. ``attrs["source"]`` is the attribution.

    References
    ----------
    .. [1] Epoch AI, "Data on Notable AI Models" (CC BY 4.0).
       https://epoch.ai/data/notable-ai-models
    """
    df = _table()
    unknown = sorted(set(require) - set(df.columns))
    if unknown:
        raise ValueError(f"require: unknown column(s) {', '.join(unknown)}; "
                         f"allowed: {', '.join(df.columns)}")
    dropped = {}
    keep = np.ones(len(df), bool)
    for col in require:
        missing = df[col].isna().to_numpy() & keep
        dropped[col] = int(missing.sum())
        keep &= ~missing
    out = df[keep].reset_index(drop=True)
    out.attrs = {"source": ATTRIBUTION, "dropped": dropped, "invalid": dict(df.attrs["invalid"])}
    return out


def domains() -> list[str]:
    """Domains named in the data (a model may have several)."""
    return sorted({d.strip() for s in _table()["domain"] for d in s.split(",") if d.strip()})


def _quantity(quantity: str) -> str:
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity must be one of {', '.join(QUANTITIES)}, got {quantity!r}")
    return QUANTITIES[quantity][0]


def trend_data(quantity: str = "compute", domain: str | None = None, since: float | None = 2010,
               until: float | None = None, *, top_per_year: int | None = None,
               epoch_frontier: bool = False, open_weights: bool = False) -> pd.DataFrame:
    """The models a trend is fitted to (see `growth_trend` for the arguments).

    ``attrs["dropped"]`` counts the models of the domain and period left out
    for a missing value of the quantity.
    """
    col = _quantity(quantity)
    df = notable_models()
    if domain is not None:
        names = {d.lower(): d for d in domains()}
        key = str(domain).strip().lower()
        if key not in names:
            raise ValueError(f"domain must be one of {', '.join(names.values())}, got {domain!r}")
        df = df[df["domain"].map(lambda s: key in {d.strip().lower() for d in s.split(",")})]
    if since is not None:
        df = df[df["year"] >= v.scalar(since, v.as_float, "since")]
    if until is not None:
        df = df[df["year"] < v.scalar(until, v.as_float, "until")]
    if epoch_frontier:
        df = df[df["frontier"]]
    if open_weights:
        df = df[df["accessibility"].str.startswith("Open weights")]
    missing = int(df[col].isna().sum())
    df = df[df[col].notna()]
    if top_per_year is not None:
        n = int(v.scalar(top_per_year, v.integer, "top_per_year", minimum=1))
        df = (df.sort_values(col, ascending=False, kind="stable")
                .groupby(df["date"].dt.year, sort=False).head(n))
    df = df.sort_values("date", kind="stable").reset_index(drop=True)
    df.attrs = {"source": ATTRIBUTION, "dropped": {col: missing}}
    return df


def _t(level: float, dof: float) -> float:
    from scipy import stats
    return float(stats.t.ppf(0.5 + level / 2.0, dof))


@dataclass(frozen=True)
class Trend:
    """A log-linear trend log10(y) = intercept + slope·year, with its uncertainty."""

    quantity: str
    n: int
    slope: float                 # [dex/yr]
    intercept: float             # [dex]
    residual_std: float          # s [dex]
    x_mean: float                # [yr]
    sxx: float                   # Σ(x − x̄)² [yr²]
    level: float = 0.9
    first_year: float = math.nan
    last_year: float = math.nan
    dropped: int = 0             # models left out for a missing value
    label: str = ""

    @property
    def _tq(self) -> float:
        return _t(self.level, self.n - 2)

    @property
    def slope_ci(self) -> tuple[float, float]:
        """Confidence interval of the slope at ``level`` [dex/yr]."""
        half = self._tq * self.residual_std / math.sqrt(self.sxx)
        return (self.slope - half, self.slope + half)

    @property
    def factor_per_year(self) -> float:
        """Growth factor per year, 10^slope [-]."""
        return 10.0 ** self.slope

    @property
    def factor_per_year_ci(self) -> tuple[float, float]:
        lo, hi = self.slope_ci
        return (10.0 ** lo, 10.0 ** hi)

    @property
    def doubling_months(self) -> float:
        """Doubling time, 12·log10(2)/slope (inf for no growth) [month]."""
        return _doubling(self.slope)

    @property
    def doubling_months_ci(self) -> tuple[float, float]:
        lo, hi = self.slope_ci
        return (_doubling(hi), _doubling(lo))

    def predict(self, year):
        """Trend value (geometric mean of a new model) at ``year`` [unit of the quantity]."""
        x = v.as_float(year, "year")
        return v.scalar_or_array(10.0 ** (self.intercept + self.slope * x))

    def _half(self, x, new_model: bool):
        var = 1.0 / self.n + (x - self.x_mean) ** 2 / self.sxx + (1.0 if new_model else 0.0)
        return self._tq * self.residual_std * np.sqrt(var)

    def prediction_interval(self, year) -> tuple:
        """Interval at ``level`` for the value of one new model at ``year``."""
        x = v.as_float(year, "year")
        mid, half = self.intercept + self.slope * x, self._half(x, True)
        return (v.scalar_or_array(10.0 ** (mid - half)), v.scalar_or_array(10.0 ** (mid + half)))

    def confidence_interval(self, year) -> tuple:
        """Interval at ``level`` for the trend line itself at ``year``."""
        x = v.as_float(year, "year")
        mid, half = self.intercept + self.slope * x, self._half(x, False)
        return (v.scalar_or_array(10.0 ** (mid - half)), v.scalar_or_array(10.0 ** (mid + half)))

    def year_reaching(self, value) -> tuple[float, float, float]:
        """Year the trend reaches ``value``, and the interval of years in which a
        new model of that size falls inside the prediction interval.

        Returns ``(year, earliest, latest)`` [yr]; NaN where the slope is not
        positive, and an unbounded side is ±inf when the slope's interval
        reaches zero (the data cannot bound the date).
        """
        y0 = math.log10(v.scalar(value, v.positive, "value", allow_inf=False))
        if not self.slope > 0:
            return (math.nan, math.nan, math.nan)
        year = (y0 - self.intercept) / self.slope
        q = (self._tq * self.residual_std) ** 2
        a = self.slope ** 2 - q / self.sxx
        if a <= 0:
            return (year, -math.inf, math.inf)
        delta = y0 - (self.intercept + self.slope * self.x_mean)
        disc = (self.slope * delta) ** 2 - a * (delta ** 2 - q * (1.0 + 1.0 / self.n))
        root = math.sqrt(max(disc, 0.0))
        u1, u2 = (self.slope * delta - root) / a, (self.slope * delta + root) / a
        return (year, self.x_mean + u1, self.x_mean + u2)

    def summary(self) -> dict:
        """The headline numbers as plain floats (JSON-ready)."""
        lo, hi = self.factor_per_year_ci
        dlo, dhi = self.doubling_months_ci
        return {"quantity": self.quantity, "n": self.n, "level": self.level,
                "factor_per_year": self.factor_per_year, "factor_per_year_ci90"
                if self.level == 0.9 else "factor_per_year_ci": [lo, hi],
                "doubling_months": self.doubling_months, "doubling_months_ci": [dlo, dhi],
                "first_year": self.first_year, "last_year": self.last_year,
                "dropped_missing": self.dropped, "residual_std_dex": self.residual_std}


def _doubling(slope: float) -> float:
    return 12.0 * math.log10(2.0) / slope if slope > 0 else math.inf


def fit_trend(years, values, quantity: str = "", level: float = 0.9, dropped: int = 0,
              label: str = "") -> Trend:
    """Least-squares trend of log10(values) on years.

    Parameters
    ----------
    years : array_like
        Decimal years, at least 3 distinct. [yr]
    values : array_like
        Positive values (FLOP, parameters, tokens ...). [any]
    quantity : str
        Name carried into the result.
    level : float, default 0.9
        Level of the confidence and prediction intervals, in (0, 1). [-]

    Returns
    -------
    Trend
    """
    x = v.as_float(years, "years").ravel()
    y = v.positive(values, "values", allow_inf=False).ravel()
    level = v.scalar(level, v.fraction, "level", low_open=True, high_open=True)
    if x.shape != y.shape:
        raise ValueError(f"years and values must have the same length, got {x.size} and {y.size}")
    if x.size < 3 or np.unique(x).size < 2:
        raise ValueError(f"a trend needs at least 3 models on 2 dates, got {x.size}")
    ly = np.log10(y)
    xm = x.mean()
    sxx = float(((x - xm) ** 2).sum())
    slope = float(((x - xm) * (ly - ly.mean())).sum() / sxx)
    intercept = float(ly.mean() - slope * xm)
    resid = ly - intercept - slope * x
    s = float(math.sqrt((resid ** 2).sum() / (x.size - 2)))
    return Trend(quantity, int(x.size), slope, intercept, s, float(xm), sxx, level,
                 float(x.min()), float(x.max()), dropped, label)


def growth_trend(quantity: str = "compute", domain: str | None = None, since: float | None = 2010,
                 until: float | None = None, *, top_per_year: int | None = None,
                 epoch_frontier: bool = False, open_weights: bool = False,
                 residual_above: float | None = None, level: float = 0.9) -> Trend:
    """Growth trend of notable models' training compute, parameters or data.

    Parameters
    ----------
    quantity : {'compute', 'parameters', 'data'}
        What to fit (see `QUANTITIES`).
    domain : str, optional
        Keep models listing this domain (`domains`), e.g. ``Language``.
    since, until : float, optional
        Keep models published in [since, until) (decimal years; default since 2010). [yr]
    top_per_year : int, optional
        Frontier subset: the n largest models of each calendar year.
    epoch_frontier : bool
        Frontier subset: Epoch AI's "frontier model" flag.
    open_weights : bool
        Keep models whose weights are published (any licence), the ones an
        edge deployment can run.
    residual_above : float, optional
        Frontier subset: models at least this far above the trend of all
        selected models (after the other filters). [dex]
    level : float, default 0.9
        Interval level. [-]

    Returns
    -------
    Trend
        ``dropped`` counts the models left out for a missing value.

    References
    ----------
    .. [1] Sevilla et al. 2022 (frontier by residual from trend). arXiv:2202.05924
    """
    df = trend_data(quantity, domain, since, until, top_per_year=top_per_year,
                    epoch_frontier=epoch_frontier, open_weights=open_weights)
    col = _quantity(quantity)
    label = _label(quantity, domain, since, until, top_per_year, epoch_frontier, residual_above)
    if open_weights:
        label += ", open weights"
    if residual_above is not None:
        cut = v.scalar(residual_above, v.as_float, "residual_above")
        base = fit_trend(df["year"], df[col], quantity, level)
        resid = np.log10(df[col].to_numpy()) - (base.intercept + base.slope * df["year"].to_numpy())
        df = df[resid >= cut]
    return fit_trend(df["year"], df[col], quantity, level, df.attrs["dropped"][col], label)


def _label(quantity, domain, since, until, top, flag, resid) -> str:
    parts = [quantity, f"{domain} models" if domain else "all notable models"]
    if since is not None or until is not None:
        parts.append(f"{'' if since is None else f'{since:g}'}–{'' if until is None else f'{until:g}'}")
    if top:
        parts.append(f"top {top} per year")
    if flag:
        parts.append("Epoch frontier flag")
    if resid is not None:
        parts.append(f"≥ {resid:g} dex above trend")
    return ", ".join(parts)


@dataclass(frozen=True)
class BreakTest:
    """Chow test for a change of trend at ``split``."""

    split: float
    before: Trend
    after: Trend
    f_statistic: float
    p_value: float


def break_test(quantity: str = "compute", split: float = 2010, domain: str | None = None,
               since: float | None = 1950, until: float | None = None, *,
               top_per_year: int | None = None, epoch_frontier: bool = False,
               level: float = 0.9) -> BreakTest:
    """Do the models before and after ``split`` follow one trend? (Chow F test)

    Parameters
    ----------
    split : float
        First year of the second period. [yr]
    quantity, domain, since, until, top_per_year, epoch_frontier, level
        As in `growth_trend`, over the whole span.

    Returns
    -------
    BreakTest
        Both trends, F with (2, n − 4) degrees of freedom and its p-value
        (small: the slopes or levels differ).

    References
    ----------
    .. [1] Chow 1960, Econometrica 28(3).
    """
    from scipy import stats
    split = v.scalar(split, v.as_float, "split")
    df = trend_data(quantity, domain, since, until, top_per_year=top_per_year,
                    epoch_frontier=epoch_frontier)
    col = _quantity(quantity)
    x, y = df["year"].to_numpy(), df[col].to_numpy()
    first = x < split
    parts = [fit_trend(x[m], y[m], quantity, level) for m in (first, ~first)]
    pooled = fit_trend(x, y, quantity, level)

    def ssr(t: Trend) -> float:
        return t.residual_std ** 2 * (t.n - 2)

    k, n = 2, x.size
    within = ssr(parts[0]) + ssr(parts[1])
    f_stat = ((ssr(pooled) - within) / k) / (within / (n - 2 * k))
    return BreakTest(split, parts[0], parts[1], float(f_stat),
                     float(stats.f.sf(f_stat, k, n - 2 * k)))


@dataclass(frozen=True)
class Backtest:
    """A trend frozen at the end of ``freeze_year`` and the later models it predicts."""

    freeze_year: int
    trend: Trend
    test: pd.DataFrame = field(repr=False)   # year, value, lower, upper, inside, quantity
    coverage: float = math.nan                # share of test models inside the PI
    n_test: int = 0
    n_above: int = 0
    n_below: int = 0

    def by_year(self) -> pd.DataFrame:
        """Coverage and counts per calendar year of the test period."""
        g = self.test.groupby(np.floor(self.test["year"]).astype(int))
        return pd.DataFrame({"n": g.size(), "coverage": g["inside"].mean(),
                             "above": g["above"].sum(), "below": g["below"].sum()})


def backtest(quantity: str = "compute", freeze_year: int = 2020, domain: str | None = None,
             since: float | None = 2010, until: float | None = None, *,
             top_per_year: int | None = None, epoch_frontier: bool = False,
             level: float = 0.9) -> Backtest:
    """Fit on models up to the end of ``freeze_year``; score the prediction
    interval on every later model.

    Parameters
    ----------
    freeze_year : int
        Last calendar year of the training period. [yr]
    quantity, domain, since, until, top_per_year, epoch_frontier, level
        As in `growth_trend`; ``until`` bounds the test period.

    Returns
    -------
    Backtest
        ``coverage`` is the share of later models inside the ``level``
        prediction interval (a calibrated trend gives ≈ ``level``).
    """
    freeze = int(v.scalar(freeze_year, v.integer, "freeze_year", minimum=1))
    df = trend_data(quantity, domain, since, until, top_per_year=top_per_year,
                    epoch_frontier=epoch_frontier)
    col = _quantity(quantity)
    train = df[df["year"] < freeze + 1]
    test = df[df["year"] >= freeze + 1]
    if test.empty:
        raise ValueError(f"freeze_year {freeze}: no models after it to test on")
    trend = fit_trend(train["year"], train[col], quantity, level,
                      label=_label(quantity, domain, since, freeze + 1, top_per_year,
                                   epoch_frontier, None))
    lo, hi = trend.prediction_interval(test["year"].to_numpy())
    value = test[col].to_numpy()
    out = pd.DataFrame({"model": test["model"].to_numpy(), "year": test["year"].to_numpy(),
                        "value": value, "lower": lo, "upper": hi})
    out["above"] = value > hi
    out["below"] = value < lo
    out["inside"] = ~(out["above"] | out["below"])
    return Backtest(freeze, trend, out, float(out["inside"].mean()), len(out),
                    int(out["above"].sum()), int(out["below"].sum()))
