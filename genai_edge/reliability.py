"""Reliability and availability: the algebra, failure rates with intervals, checkpointing, sites.

Four things are kept apart because published figures differ 10-30x with
what is counted: *hardware failures* (a GPU or HBM replaced), *job
interruptions* (a synchronous training job stops; Llama 3's table), *node
failures* and *service outages* (what a user of an endpoint sees). Every
rate here says which one it is (``data/failure_events.csv``).

- Algebra: A = MTBF/(MTBF + MTTR); series ΠA_i; parallel 1 − Π(1 − A_i);
  k-out-of-n as a binomial tail summed in log space over a bounded window
  around its largest term (finite and accurate for n = 10,000 and beyond).
- Rates: events over an exposure (units x time) with the exact Poisson
  (chi-square, Garwood) interval.
- Synchronous jobs: N units of rate r stop at rate N·r. Checkpoint
  intervals: Young's first-order sqrt(2·δ·M), Daly's higher-order one, the
  exact optimum of the goodput below (a Lambert W closed form), and the
  availability-optimal interval of Saxena et al.; the expected goodput
  (useful work / wall time) with checkpoint writes, restarts and failure
  detection.
- Sites: a site-wide common-cause outage (power, network, attack) on top of
  independent unit failures; one mega-site against the same units spread
  over n sites, and the outage probability at which the two are equal.

Times are in seconds; availabilities and probabilities in [0, 1].

References
----------
.. [1] A. Grattafiori et al., "The Llama 3 herd of models," 2024, §3.3.4 and
   Table 5. arXiv:2407.21783
.. [2] J. W. Young, "A first order approximation to the optimum checkpoint
   interval," Commun. ACM 17(9), 1974.
.. [3] J. T. Daly, "A higher order estimate of the optimum checkpoint
   interval for restart dumps," Future Gener. Comput. Syst. 22(3), 2006.
.. [4] F. Garwood, "Fiducial limits for the Poisson distribution,"
   Biometrika 28, 1936 (the exact chi-square interval).
.. [5] Saxena et al., 2024. arXiv:2410.18124 (availability-optimal
   checkpoint interval).
.. [6] M. Rausand and A. Høyland, *System Reliability Theory*, 2nd ed.,
   Wiley, 2004 (series, parallel and k-out-of-n structures).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from scipy import special

from . import _validate as v

__all__ = ["HOUR", "MONTH", "YEAR", "availability", "series", "parallel", "k_of_n", "k_of_n_unavailability",
           "downtime_per_month", "downtime_per_year", "FailureRate", "failure_rate", "failure_events",
           "service_availability",
           "job_failure_rate", "job_mtbf", "young_interval", "daly_interval", "optimal_interval",
           "availability_optimal_interval", "goodput", "site_availability", "mega_site_availability",
           "distributed_availability", "outage_crossover", "replica_states"]

HOUR = 3600.0
MONTH = 365.2425 / 12 * 86400.0   # mean Gregorian month [s]
YEAR = 365.2425 * 86400.0         # [s]
_MAX_UNITS = 10_000_000           # bound on n in k-of-n (bounded work per call)


# ----------------------------------------------------------------- algebra
def availability(mtbf, mttr):
    """Steady-state availability of a unit that fails and is repaired.

    Parameters
    ----------
    mtbf : array_like
        Mean time between failures, > 0 (inf: never fails). [s]
    mttr : array_like
        Mean time to repair, >= 0. [s]

    Returns
    -------
    float or ndarray
        MTBF / (MTBF + MTTR). [-]

    References
    ----------
    .. [1] Rausand and Høyland 2004, §5.
    """
    m = v.positive(mtbf, "mtbf")
    r = v.nonnegative(mttr, "mttr", allow_inf=False)
    with np.errstate(invalid="ignore"):
        out = np.where(np.isinf(m), 1.0, m / (m + r))
    return v.scalar_or_array(out)


def series(*availabilities):
    """All parts are needed: the product of their availabilities. [-]"""
    parts = [v.fraction(a, f"availabilities[{i}]") for i, a in enumerate(availabilities)]
    return v.scalar_or_array(functools.reduce(np.multiply, parts, np.asarray(1.0)))


def parallel(*availabilities):
    """Any one part suffices: 1 − Π(1 − A_i). [-]"""
    parts = [v.fraction(a, f"availabilities[{i}]") for i, a in enumerate(availabilities)]
    return v.scalar_or_array(1.0 - functools.reduce(np.multiply, [1.0 - p for p in parts], np.asarray(1.0)))


def _check_k_of_n(a, k, n):
    a = v.fraction(a, "availability")
    n = v.integer(n, "n", minimum=1)
    k = v.integer(k, "k", minimum=0)
    if (n > _MAX_UNITS).any():
        raise ValueError(f"n must be <= {_MAX_UNITS:,}, got {v.show(n[n > _MAX_UNITS])}")
    a, k, n = v.broadcast(("availability", a), ("k", k), ("n", n))
    if (k > n).any():
        raise ValueError(f"k must be <= n (units needed <= units present), got k={v.show(k[k > n])}, "
                         f"n={v.show(n[k > n])}")
    return a, k, n


def k_of_n(availability, k, n):
    """Probability that at least ``k`` of ``n`` independent, identical units are up.

    The binomial tail P(X >= k), X ~ Bin(n, A), summed in log space over
    the smaller tail within 40 standard deviations (plus 60 terms) of its
    largest term: at most ~2,100 terms for n = 10,000, accurate to double
    precision, never a loop to n.

    Parameters
    ----------
    availability : array_like
        Availability of one unit, in [0, 1]. [-]
    k : array_like
        Units needed, a whole number in [0, n]. [-]
    n : array_like
        Units present, a whole number in [1, 10,000,000]. [-]

    Returns
    -------
    float or ndarray
        Σ_{i=k..n} C(n, i) A^i (1 − A)^(n−i). [-]

    References
    ----------
    .. [1] Rausand and Høyland 2004, §6.
    """
    up, _ = _binomial_tails(*_check_k_of_n(availability, k, n))
    return v.scalar_or_array(up)


def k_of_n_unavailability(availability, k, n):
    """1 − :func:`k_of_n`, computed directly (no cancellation when it is tiny). [-]"""
    _, down = _binomial_tails(*_check_k_of_n(availability, k, n))
    return v.scalar_or_array(down)


def _binomial_tails(a, k, n):
    """(P(X >= k), P(X < k)) for X ~ Bin(n, a), arrays of one shape, unchecked."""
    a, k, n = (np.asarray(x, dtype=float) for x in np.broadcast_arrays(a, k, n))
    shape = a.shape
    a, k, n = a.reshape(-1), k.reshape(-1), n.reshape(-1)
    upper = k > n * a                       # k beyond the mean: sum the upper tail, else the lower one
    sd = np.sqrt(n * a * (1.0 - a))
    width = np.ceil(40.0 * sd + 60.0)
    start = np.where(upper, k, np.maximum(0.0, k - 1.0 - width))
    stop = np.where(upper, np.minimum(n, k + width), k - 1.0)      # inclusive; stop < start: empty
    tail = np.zeros(a.size)
    span = np.maximum(stop - start + 1.0, 0.0)
    chunk = max(1, int(4_000_000 // max(1.0, float(span.max(initial=1.0)))))
    for lo in range(0, a.size, chunk):
        sl = slice(lo, lo + chunk)
        m = int(span[sl].max(initial=0.0))
        if m == 0:
            continue
        i = start[sl, None] + np.arange(m)[None, :]
        valid = i <= stop[sl, None]
        nn, aa = n[sl, None], a[sl, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            log_pmf = (special.gammaln(nn + 1.0) - special.gammaln(i + 1.0) - special.gammaln(nn - i + 1.0)
                       + special.xlogy(i, aa) + special.xlog1py(nn - i, -aa))
        log_pmf = np.where(valid, log_pmf, -np.inf)
        tail[sl] = np.exp(special.logsumexp(log_pmf, axis=1))
    tail = np.clip(tail, 0.0, 1.0)
    up = np.where(upper, tail, 1.0 - tail)
    down = np.where(upper, 1.0 - tail, tail)
    return up.reshape(shape), down.reshape(shape)


def downtime_per_month(availability):
    """Expected downtime in a mean month (30.44 days): (1 − A) x month. [s]"""
    return v.scalar_or_array((1.0 - v.fraction(availability, "availability")) * MONTH)


def downtime_per_year(availability):
    """Expected downtime in a mean year (365.24 days): (1 − A) x year. [s]"""
    return v.scalar_or_array((1.0 - v.fraction(availability, "availability")) * YEAR)


# ------------------------------------------------------------ failure rates
@dataclass(frozen=True)
class FailureRate:
    """Events over an exposure: the rate per unit and its exact Poisson interval."""
    events: object           # [-]
    exposure: object         # unit-seconds [s]
    rate: object             # per unit [s^-1]
    low: object              # lower end of the interval [s^-1]
    high: object             # upper end [s^-1]
    level: float             # two-sided confidence [-]

    @property
    def mtbf(self):
        """Mean time between events of one unit, 1/rate (inf when no events). [s]"""
        with np.errstate(divide="ignore"):
            return 1.0 / np.asarray(self.rate)

    @property
    def mtbf_interval(self):
        """(low, high) of the MTBF: the rate interval inverted. [s]"""
        with np.errstate(divide="ignore"):
            return 1.0 / np.asarray(self.high), 1.0 / np.asarray(self.low)

    def over(self, units):
        """The same rate for ``units`` units failing independently, e.g. a job on N GPUs. [s^-1]"""
        n = v.positive(units, "units")
        return FailureRate(self.events, np.asarray(self.exposure) / n, np.asarray(self.rate) * n,
                           np.asarray(self.low) * n, np.asarray(self.high) * n, self.level)


def failure_rate(events, units, duration, level: float = 0.9) -> FailureRate:
    """Failure rate per unit from ``events`` seen on ``units`` units over ``duration``.

    The interval is exact for a Poisson count (Garwood): low =
    χ²(α/2; 2k)/(2T), high = χ²(1 − α/2; 2k + 2)/(2T), with T the exposure
    units x duration; low is 0 when no event was seen.

    Parameters
    ----------
    events : array_like
        Events counted, a whole number >= 0. [-]
    units : array_like
        Units observed (GPUs, servers, jobs), > 0. [-]
    duration : array_like
        Observation time, > 0. [s]
    level : float
        Two-sided confidence, in (0, 1). [-]

    Returns
    -------
    FailureRate

    References
    ----------
    .. [1] Garwood 1936.
    """
    k = v.integer(events, "events", minimum=0)
    n = v.positive(units, "units", allow_inf=False)
    t = v.positive(duration, "duration", allow_inf=False)
    level = v.scalar(level, v.fraction, "level", low_open=True, high_open=True)
    k, n, t = v.broadcast(("events", k), ("units", n), ("duration", t))
    exposure = n * t
    alpha = 1.0 - level
    low = np.where(k > 0, special.gammaincinv(np.maximum(k, 1.0), alpha / 2.0), 0.0) / exposure
    high = special.gammaincinv(k + 1.0, 1.0 - alpha / 2.0) / exposure
    sv = v.scalar_or_array
    return FailureRate(sv(k), sv(exposure), sv(k / exposure), sv(low), sv(high), level)


@functools.lru_cache(maxsize=1)
def _events_frame():
    import pandas as pd

    from .catalog import read_csv
    df = pd.DataFrame(list(read_csv("failure_events.csv")))
    for col in ("events", "units", "duration_h"):
        df[col] = df[col].astype(float)
    return df


def failure_events(level: float = 0.9):
    """The shipped failure counts with per-unit rates, MTBFs and their intervals.

    Each row keeps its ``quantity`` (``job_interruption``,
    ``hardware_failure``, ``service_outage`` ...): rates of different
    quantities are not interchangeable.

    Returns
    -------
    pandas.DataFrame
        The rows of ``data/failure_events.csv`` plus ``rate_per_unit_h``,
        ``rate_low_per_unit_h``, ``rate_high_per_unit_h``, ``mtbf_per_unit_h``,
        ``mtbf_low_h``, ``mtbf_high_h`` (hours, at ``level``).
    """
    df = _events_frame().copy()
    fit = failure_rate(df["events"].to_numpy(), df["units"].to_numpy(), df["duration_h"].to_numpy() * HOUR, level)
    df["rate_per_unit_h"] = np.asarray(fit.rate) * HOUR
    df["rate_low_per_unit_h"] = np.asarray(fit.low) * HOUR
    df["rate_high_per_unit_h"] = np.asarray(fit.high) * HOUR
    df["mtbf_per_unit_h"] = np.asarray(fit.mtbf) / HOUR
    lo, hi = fit.mtbf_interval
    df["mtbf_low_h"], df["mtbf_high_h"] = np.asarray(lo) / HOUR, np.asarray(hi) / HOUR
    return df


def service_availability():
    """Published availabilities that are not failure counts: SLA commitments, site designs, requirements.

    Returns
    -------
    pandas.DataFrame
        ``data/service_availability.csv``: id, quantity (``service_commitment``,
        ``site_design``, ``requirement``), scope, availability, reference, plus
        ``downtime_min_per_month``.
    """
    import pandas as pd

    from .catalog import read_csv
    df = pd.DataFrame(list(read_csv("service_availability.csv")))
    df["availability"] = df["availability"].astype(float)
    df["downtime_min_per_month"] = (1.0 - df["availability"]) * MONTH / 60.0
    return df


# ------------------------------------------------------- synchronous jobs
def job_failure_rate(units, unit_rate):
    """A synchronous job stops when any of its units fails: N·r. [s^-1]"""
    n = v.positive(units, "units", allow_inf=False)
    r = v.nonnegative(unit_rate, "unit_rate")
    return v.scalar_or_array(n * r)


def job_mtbf(units, unit_mtbf):
    """Mean time between interruptions of a job on ``units`` units: M / N. [s]"""
    n = v.positive(units, "units", allow_inf=False)
    m = v.positive(unit_mtbf, "unit_mtbf")
    return v.scalar_or_array(m / n)


def _check_ckpt(write, mtbf):
    return v.nonnegative(write, "write", allow_inf=False), v.positive(mtbf, "mtbf", allow_inf=False)


def young_interval(write, mtbf):
    """Young's first-order optimum compute time between checkpoints, sqrt(2·δ·M).

    Parameters
    ----------
    write : array_like
        Time δ to write one checkpoint, >= 0. [s]
    mtbf : array_like
        Mean time between interruptions of the job, > 0. [s]

    Returns
    -------
    float or ndarray
        [s]

    References
    ----------
    .. [1] Young 1974.
    """
    d, m = _check_ckpt(write, mtbf)
    return v.scalar_or_array(np.sqrt(2.0 * d * m))


def daly_interval(write, mtbf):
    """Daly's higher-order optimum compute time between checkpoints.

    sqrt(2δM)·[1 + (1/3)·sqrt(δ/(2M)) + (1/9)·δ/(2M)] − δ for δ < 2M, else M.
    Parameters as :func:`young_interval`. [s]

    References
    ----------
    .. [1] Daly 2006, Eq. (37).
    """
    d, m = _check_ckpt(write, mtbf)
    x = d / (2.0 * m)
    tau = np.where(d < 2.0 * m, np.sqrt(2.0 * d * m) * (1.0 + np.sqrt(x) / 3.0 + x / 9.0) - d, m)
    return v.scalar_or_array(tau)


def optimal_interval(write, mtbf):
    """The compute time between checkpoints that maximises :func:`goodput`, exactly.

    Setting d(goodput)/dτ = 0 in Daly's exact model gives
    e^{(τ+δ)/M}·(1 − τ/M) = 1, whose root is τ = M·(1 + W₀(−e^{−1−δ/M}))
    (W₀ the principal Lambert W). It does not depend on the restart time,
    which scales the wall time by e^{R/M} whatever τ is. Tends to Young's
    sqrt(2δM) when δ ≪ M. Parameters as :func:`young_interval`. [s]

    Near δ = 0 the argument sits at W₀'s branch point −1/e, where the
    library routine loses all digits; there 1 + W₀ comes from the branch
    point series in p = sqrt(2(1 − e^{−δ/M})) [2]_ (relative error < 1e-11
    for δ/M < 1e-4), and δ = 0 gives 0.

    References
    ----------
    .. [1] Daly 2006, Eq. (13) (the exact wall-time model maximised here).
    .. [2] R. M. Corless et al., "On the Lambert W function," Adv. Comput.
       Math. 5, 329-359 (1996), Eq. (4.22). doi:10.1007/BF02124750
    """
    d, m = _check_ckpt(write, mtbf)
    x = d / m
    p = np.sqrt(-2.0 * np.expm1(-x))
    series = p * (1.0 + p * (-1 / 3 + p * (11 / 72 + p * (-43 / 540 + p * (769 / 17280 - p * 221 / 8505)))))
    exact = 1.0 + special.lambertw(-np.exp(-1.0 - x), 0).real
    return v.scalar_or_array(m * np.where(x < 1e-4, series, exact))


def availability_optimal_interval(write, mtbf, restart=0.0):
    """Saxena et al.'s availability-optimal checkpoint period T_c = T_s + sqrt(2(T_f + T_r)T_s + T_s²).

    Parameters
    ----------
    write : array_like
        Checkpoint save time T_s, >= 0. [s]
    mtbf : array_like
        Mean time to failure of the job T_f, > 0. [s]
    restart : array_like
        Time to recover after a failure T_r, >= 0. [s]

    Returns
    -------
    float or ndarray
        The period between checkpoint starts, save included. [s]

    References
    ----------
    .. [1] Saxena et al. 2024. arXiv:2410.18124
    """
    d, m = _check_ckpt(write, mtbf)
    r = v.nonnegative(restart, "restart", allow_inf=False)
    return v.scalar_or_array(d + np.sqrt(2.0 * (m + r) * d + d * d))


def goodput(interval, write, mtbf, restart=0.0, detection=0.0):
    """Expected share of wall time spent on useful work (effective training time ratio).

    Daly's exact model with exponential interruptions: each segment of τ
    compute and δ checkpoint write is repeated until it finishes without an
    interruption; every interruption costs the work since the last
    checkpoint plus a restart R (detection latency + restart, itself
    interruptible). Expected wall time per segment M·e^{R/M}(e^{(τ+δ)/M} − 1).

    Parameters
    ----------
    interval : array_like
        Compute time τ between checkpoints, > 0. [s]
    write : array_like
        Checkpoint write time δ, >= 0. [s]
    mtbf : array_like
        Mean time between interruptions of the job M, > 0. [s]
    restart : array_like
        Time to restart from the last checkpoint (reload, re-initialise), >= 0. [s]
    detection : array_like
        Time from an interruption to its detection, >= 0. [s]

    Returns
    -------
    float or ndarray
        τ / (M·e^{R/M}(e^{(τ+δ)/M} − 1)), in (0, 1). [-]

    References
    ----------
    .. [1] Daly 2006, Eq. (13).
    """
    tau = v.positive(interval, "interval", allow_inf=False)
    d, m = _check_ckpt(write, mtbf)
    r = v.nonnegative(restart, "restart", allow_inf=False) + v.nonnegative(detection, "detection", allow_inf=False)
    with np.errstate(over="ignore"):
        wall = m * np.exp(r / m) * np.expm1((tau + d) / m)
    return v.scalar_or_array(tau / wall)


# ------------------------------------------------------------------ sites
def site_availability(unit_availability, needed, units, common_cause=1.0):
    """A site is up when its common-cause parts (power, network) are up and >= ``needed`` units are.

    Parameters
    ----------
    unit_availability : array_like
        Availability of one unit (replica, server), in [0, 1]. [-]
    needed : array_like
        Units the load needs, whole, in [0, units]. [-]
    units : array_like
        Units at the site, whole, >= 1. [-]
    common_cause : array_like
        Availability of what takes the whole site down, in [0, 1]. [-]

    Returns
    -------
    float or ndarray
        common_cause x :func:`k_of_n`. [-]
    """
    c = v.fraction(common_cause, "common_cause")
    up, _ = _binomial_tails(*_check_k_of_n(unit_availability, needed, units))
    return v.scalar_or_array(c * up)


def mega_site_availability(unit_availability, units, needed, outage_probability):
    """All units at one site: (1 − q) x P(>= needed of units up). [-]

    Parameters as :func:`distributed_availability`.
    """
    q = v.fraction(outage_probability, "outage_probability")
    return site_availability(unit_availability, needed, units, 1.0 - q)


def distributed_availability(unit_availability, units, needed, sites, outage_probability):
    """The same units spread evenly over ``sites`` sites, each of which fails on its own.

    Load moves to any site that is up, so the service is up when the up
    units at the up sites number at least ``needed``:
    Σ_j C(s, j)(1 − q)^j q^(s−j) · P(>= needed of j·units/s up). In a
    design that needs k of its s sites (needed = k·units/s with no spare
    units) this is the classic k-of-s structure.

    Parameters
    ----------
    unit_availability : float
        Availability of one unit, in [0, 1]. [-]
    units : int
        Units in all, >= 1, divisible by ``sites``. [-]
    needed : int
        Units the load needs, in [0, units]. [-]
    sites : int
        Sites, in [1, 10,000]. [-]
    outage_probability : array_like
        Probability q that one site is down from a common cause (each site
        independently), in [0, 1]. [-]

    Returns
    -------
    float or ndarray
        [-]
    """
    a = v.scalar(unit_availability, v.fraction, "unit_availability")
    n = v.scalar(units, v.integer, "units", minimum=1)
    k = v.scalar(needed, v.integer, "needed", minimum=0)
    s = v.scalar(sites, v.integer, "sites", minimum=1)
    q = v.fraction(outage_probability, "outage_probability")
    if k > n:
        raise ValueError(f"needed must be <= units, got needed={k:g}, units={n:g}")
    if s > 10_000:
        raise ValueError(f"sites must be <= 10,000, got {s:g}")
    if n % s:
        raise ValueError(f"units must be divisible by sites (equal sites), got units={n:g}, sites={s:g}")
    j = np.arange(int(s) + 1.0)
    ok = j * n / s >= k
    per_j = np.zeros(j.size)
    if ok.any():
        per_j[ok] = _binomial_tails(np.full(ok.sum(), a), np.full(ok.sum(), k), j[ok] * n / s)[0]
    sites_up = _site_pmf(q, s)                          # q.shape + (s + 1,)
    return v.scalar_or_array((sites_up * per_j).sum(-1))


def _site_pmf(q, s):
    """P(j of s sites up), j = 0..s, each up with probability 1 − q. Shape q.shape + (s + 1,)."""
    q = np.asarray(q, dtype=float)[..., None]
    j = np.arange(int(s) + 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log = (special.gammaln(s + 1.0) - special.gammaln(j + 1.0) - special.gammaln(s - j + 1.0)
               + special.xlog1py(j, -q) + special.xlogy(s - j, q))
    return np.exp(log)


def outage_crossover(unit_availability, units, needed, sites):
    """Site outage probability q* at which one mega-site and ``sites`` distributed sites are equally available.

    Both face the same probability q of a common-cause outage per site.
    Below q* the design with the smaller unavailability at small q wins
    (distributed, when one site can be lost); above it the other. nan when
    the two do not cross in (0, 1). Parameters as :func:`distributed_availability`.

    Returns
    -------
    float
        q*, found by bisection on the sign change over a log-spaced scan. [-]
    """
    qs = np.concatenate([np.logspace(-9, -1, 161), np.linspace(0.1, 0.999, 181)[1:]])
    diff = (distributed_availability(unit_availability, units, needed, sites, qs)
            - mega_site_availability(unit_availability, units, needed, qs))
    sign = np.sign(diff)
    change = np.flatnonzero((sign[:-1] * sign[1:]) < 0)
    if not change.size:
        return float("nan")
    lo, hi = qs[change[0]], qs[change[0] + 1]

    def f(q):
        return float(distributed_availability(unit_availability, units, needed, sites, q)
                     - mega_site_availability(unit_availability, units, needed, q))
    f_lo = f(lo)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        f_mid = f(mid)
        if np.sign(f_mid) == np.sign(f_lo):
            lo, f_lo = mid, f_mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


# ------------------------------------------------ replicas serving a load
def replica_states(replica_availability, replicas, needed, common_cause):
    """A site's capacity states for a serving paradigm, arrays over points (unchecked).

    Returns (p_full, p_degraded, j_degraded): the probability that the site
    is up with all replicas, up with fewer but >= ``needed`` (k of n), and
    the replicas in that degraded state's representative case: n minus the
    expected number down given at least one is, rounded up, at least
    ``needed``. The site is down (overloaded or out) otherwise.
    """
    a, n, k, c = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in
                                       (replica_availability, replicas, needed, common_cause)))
    kk = np.minimum(k, n)
    up, _ = _binomial_tails(a, kk, n)
    up = np.where(k > n, 0.0, up)
    full = a ** n
    degraded = np.maximum(up - full, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        down_given = np.where(full < 1.0, n * (1.0 - a) / (1.0 - full), 1.0)
    j = np.maximum(kk, n - np.maximum(1.0, np.ceil(down_given - 1e-9)))
    return c * np.where(k > n, 0.0, full), c * degraded, j
