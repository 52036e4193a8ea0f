r"""Queueing delay: closed forms for M/M/1, M/M/c, M/G/1, M/D/1 and G/G/c.

Small, pure, vectorised functions. Every function takes scalars or numpy
arrays (broadcast together) in SI units and returns a Python float for scalar
input, an ndarray otherwise. Bad arguments (negative or NaN rates, a
non-integer number of servers, a quantile outside (0, 1)) raise
``ValueError`` naming the argument; rates, times and loads must also be
finite. A utilisation :math:`\rho \ge 1` is *not* an error: the queue has no
steady state, and mean waits and wait/response quantiles are returned as
``inf`` (Erlang C returns 1, the M/D/1 wait distribution function 0).

All queues are first-come first-served with an infinite waiting room.

Functions
---------
===============================  ===================================================
:func:`utilization`              :math:`\rho = \lambda / (c\mu)`
:func:`mm1_mean_wait`            M/M/1 mean wait in queue
:func:`mm1_mean_response`        M/M/1 mean response (sojourn) time
:func:`mm1_wait_quantile`        M/M/1 wait quantile (exact)
:func:`mm1_response_quantile`    M/M/1 response-time quantile (exact)
:func:`erlang_b`                 Erlang B blocking probability (M/M/c/c)
:func:`erlang_c`                 Erlang C probability of waiting (M/M/c)
:func:`mmc_mean_wait`            M/M/c mean wait in queue
:func:`mmc_mean_response`        M/M/c mean response time
:func:`mmc_wait_quantile`        M/M/c wait quantile (exact)
:func:`mmc_response_quantile`    M/M/c response-time quantile (exact)
:func:`mg1_mean_wait`            M/G/1 mean wait, Pollaczek-Khinchine (exact)
:func:`md1_mean_wait`            M/D/1 mean wait (exact)
:func:`md1_wait_cdf`             M/D/1 wait distribution function (exact)
:func:`md1_wait_quantile`        M/D/1 wait quantile (exact)
:func:`md1_response_quantile`    M/D/1 response-time quantile (exact)
:func:`kingman_mean_wait`        G/G/1 mean wait, Kingman's approximation
:func:`allen_cunneen_mean_wait`  G/G/c mean wait, Allen-Cunneen approximation
:func:`gg_wait_quantile`         G/G/c wait quantile, exponential-tail approximation
:func:`batch_service_rate`       token throughput of a batched decoder
:func:`mmc_wait`                 M/M/c wait distribution as a :class:`QueueWait`
===============================  ===================================================

Glossary (used consistently by every function):

===============  ===================================================  ===========
name             meaning                                              unit
===============  ===================================================  ===========
arrival_rate     mean arrival rate :math:`\lambda` (Poisson unless    [s^-1]
                 the function takes ``scv_arrival``)
service_rate     service rate of *one* server, :math:`\mu = 1/E[S]`   [s^-1]
servers          number of identical parallel servers :math:`c`       [-]
mean_service     mean service time :math:`E[S] = 1/\mu`               [s]
service_time     constant (deterministic) service time :math:`D`      [s]
scv_arrival      squared coefficient of variation of the              [-]
                 inter-arrival time, :math:`c_a^2` (1 for Poisson)
scv_service      squared coefficient of variation of the service      [-]
                 time, :math:`c_s^2` (1 exponential, 0 constant)
offered_load     offered traffic :math:`A = \lambda/\mu` (Erlang)     [-]
q                probability level of a quantile, 0 < q < 1           [-]
t                time at which a distribution function is evaluated   [s]
prob_wait        probability that an arrival has to wait,             [-]
                 :math:`P_w = P(W_q > 0)`
mean_wait        mean wait in queue :math:`E[W_q]`                    [s]
===============  ===================================================  ===========

"Wait" is the time in queue before service starts (:math:`W_q`); "response"
is wait plus service (:math:`T = W_q + S`, the sojourn time).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from . import _validate as v

__all__ = [
    "utilization",
    "mm1_mean_wait",
    "mm1_mean_response",
    "mm1_wait_quantile",
    "mm1_response_quantile",
    "erlang_b",
    "erlang_c",
    "mmc_mean_wait",
    "mmc_mean_response",
    "mmc_wait_quantile",
    "mmc_response_quantile",
    "mg1_mean_wait",
    "md1_mean_wait",
    "md1_wait_cdf",
    "md1_wait_quantile",
    "md1_response_quantile",
    "kingman_mean_wait",
    "allen_cunneen_mean_wait",
    "mgc_wait",
    "gg_wait_quantile",
    "batch_service_rate",
    "QueueWait",
    "mmc_wait",
]

#: :func:`md1_wait_cdf` uses the exact finite sum (cost grows with the square
#: of ``t / service_time``) for t/D below min(_MD1_EXACT_STEPS - 1, 40/gap)
#: and the dominant-pole exponential tail beyond; see its Notes.
_MD1_EXACT_STEPS = 100


# --------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------
def _rate(value, name: str) -> np.ndarray:
    """Non-negative finite rate (an arrival rate of 0 is an idle queue)."""
    return v.nonnegative(value, name, allow_inf=False)


def _pos(value, name: str) -> np.ndarray:
    """Strictly positive finite rate or time."""
    return v.positive(value, name, allow_inf=False)


def _scv(value, name: str) -> np.ndarray:
    return v.nonnegative(value, name, allow_inf=False)


def _servers(value, name: str = "servers", minimum: int = 1) -> np.ndarray:
    return v.integer(value, name, minimum=minimum)


def _prob_level(value) -> np.ndarray:
    return v.fraction(value, "q", low_open=True, high_open=True)


def _out(result):
    return v.scalar_or_array(result)


# --------------------------------------------------------------------------
# utilisation
# --------------------------------------------------------------------------
def utilization(arrival_rate, service_rate, servers=1):
    r"""Server utilisation (traffic intensity) of a c-server queue.

    Parameters
    ----------
    arrival_rate : float or array_like
        Mean arrival rate :math:`\lambda`, >= 0. [s^-1]
    service_rate : float or array_like
        Service rate of one server :math:`\mu`, > 0. [s^-1]
    servers : int or array_like, default 1
        Number of identical servers :math:`c`, whole number >= 1. [-]

    Returns
    -------
    rho : float or ndarray
        Utilisation :math:`\rho`; the queue is stable only for
        :math:`\rho < 1`. [-]

    Notes
    -----
    .. math:: \rho = \frac{\lambda}{c\,\mu}

    References
    ----------
    .. [1] D. Gross, J. F. Shortle, J. M. Thompson and C. M. Harris,
       *Fundamentals of Queueing Theory*, 4th ed. Hoboken, NJ, USA: Wiley,
       2008, ISBN 978-0-471-79127-0.

    Examples
    --------
    >>> utilization(7.0, 1.0, servers=10)
    0.7
    """
    lam = _rate(arrival_rate, "arrival_rate")
    mu = _pos(service_rate, "service_rate")
    c = _servers(servers)
    lam, mu, c = v.broadcast(("arrival_rate", lam), ("service_rate", mu), ("servers", c))
    return _out(_rho(lam, mu, c))


def _rho(lam, mu, c):
    with np.errstate(over="ignore", under="ignore"):
        return lam / mu / c


# --------------------------------------------------------------------------
# M/M/1
# --------------------------------------------------------------------------
def mm1_mean_wait(arrival_rate, service_rate):
    r"""Mean wait in queue of the M/M/1 queue.

    Parameters
    ----------
    arrival_rate : float or array_like
        Poisson arrival rate :math:`\lambda`, >= 0. [s^-1]
    service_rate : float or array_like
        Exponential service rate :math:`\mu`, > 0. [s^-1]

    Returns
    -------
    wq : float or ndarray
        Mean time in queue :math:`E[W_q]`; ``inf`` when
        :math:`\rho = \lambda/\mu \ge 1`. [s]

    Notes
    -----
    .. math:: E[W_q] = \frac{\rho}{\mu - \lambda}

    References
    ----------
    .. [1] L. Kleinrock, *Queueing Systems, Volume 1: Theory*. New York, NY,
       USA: Wiley, 1975, ISBN 978-0-471-49110-1, Sec. 3.2.

    Examples
    --------
    >>> round(mm1_mean_wait(0.5, 1.0), 12)
    1.0
    """
    lam, mu = _mm1_args(arrival_rate, service_rate)
    rho = _rho(lam, mu, 1.0)
    with np.errstate(all="ignore"):
        w = np.where(rho < 1, rho / (mu - lam), np.inf)
    return _out(w)


def mm1_mean_response(arrival_rate, service_rate):
    r"""Mean response (sojourn) time of the M/M/1 queue.

    Parameters
    ----------
    arrival_rate : float or array_like
        Poisson arrival rate :math:`\lambda`, >= 0. [s^-1]
    service_rate : float or array_like
        Exponential service rate :math:`\mu`, > 0. [s^-1]

    Returns
    -------
    t : float or ndarray
        Mean time in system :math:`E[T] = E[W_q] + 1/\mu`; ``inf`` when
        :math:`\rho \ge 1`. [s]

    Notes
    -----
    .. math:: E[T] = \frac{1}{\mu - \lambda}

    References
    ----------
    .. [1] L. Kleinrock, *Queueing Systems, Volume 1: Theory*. New York, NY,
       USA: Wiley, 1975, ISBN 978-0-471-49110-1, Sec. 3.2.

    Examples
    --------
    >>> mm1_mean_response(0.5, 1.0)
    2.0
    """
    lam, mu = _mm1_args(arrival_rate, service_rate)
    with np.errstate(all="ignore"):
        t = np.where(lam < mu, 1.0 / (mu - lam), np.inf)
    return _out(t)


def mm1_wait_quantile(arrival_rate, service_rate, q):
    r"""Quantile of the M/M/1 wait in queue (exact).

    Parameters
    ----------
    arrival_rate : float or array_like
        Poisson arrival rate :math:`\lambda`, >= 0. [s^-1]
    service_rate : float or array_like
        Exponential service rate :math:`\mu`, > 0. [s^-1]
    q : float or array_like
        Probability level, 0 < q < 1 (e.g. 0.95 for the 95th percentile). [-]

    Returns
    -------
    t_q : float or ndarray
        Smallest :math:`t` with :math:`P(W_q \le t) \ge q`. It is 0 when
        :math:`q \le 1-\rho` (that many arrivals do not wait at all) and
        ``inf`` when :math:`\rho \ge 1`. [s]

    Notes
    -----
    The wait has an atom :math:`1-\rho` at zero and an exponential tail:

    .. math::

        P(W_q > t) = \rho\, e^{-(\mu-\lambda) t}
        \quad\Rightarrow\quad
        t_q = \frac{\ln\!\big(\rho / (1-q)\big)}{\mu - \lambda}
        \text{ for } q > 1-\rho .

    References
    ----------
    .. [1] L. Kleinrock, *Queueing Systems, Volume 1: Theory*. New York, NY,
       USA: Wiley, 1975, ISBN 978-0-471-49110-1, Sec. 3.2.

    Examples
    --------
    >>> round(mm1_wait_quantile(0.5, 1.0, 0.95), 6)
    4.60517
    """
    lam, mu = _mm1_args(arrival_rate, service_rate)
    qq = _prob_level(q)
    lam, mu, qq = v.broadcast(("arrival_rate", lam), ("service_rate", mu), ("q", qq))
    rho = _rho(lam, mu, 1.0)
    with np.errstate(all="ignore"):
        t = np.log(rho) - np.log1p(-qq)
        t = np.where(rho > 1.0 - qq, t / (mu - lam), 0.0)
        t = np.where(rho < 1, t, np.inf)
    return _out(t)


def mm1_response_quantile(arrival_rate, service_rate, q):
    r"""Quantile of the M/M/1 response (sojourn) time (exact).

    Parameters
    ----------
    arrival_rate : float or array_like
        Poisson arrival rate :math:`\lambda`, >= 0. [s^-1]
    service_rate : float or array_like
        Exponential service rate :math:`\mu`, > 0. [s^-1]
    q : float or array_like
        Probability level, 0 < q < 1. [-]

    Returns
    -------
    t_q : float or ndarray
        :math:`t` with :math:`P(T \le t) = q`; ``inf`` when
        :math:`\rho \ge 1`. [s]

    Notes
    -----
    Under FCFS the M/M/1 sojourn time is exponential with rate
    :math:`\mu - \lambda`:

    .. math:: P(T > t) = e^{-(\mu-\lambda) t}, \qquad
              t_q = \frac{-\ln(1-q)}{\mu - \lambda}

    References
    ----------
    .. [1] L. Kleinrock, *Queueing Systems, Volume 1: Theory*. New York, NY,
       USA: Wiley, 1975, ISBN 978-0-471-49110-1, Sec. 3.2.

    Examples
    --------
    >>> round(mm1_response_quantile(0.5, 1.0, 0.95), 6)
    5.991465
    """
    lam, mu = _mm1_args(arrival_rate, service_rate)
    qq = _prob_level(q)
    lam, mu, qq = v.broadcast(("arrival_rate", lam), ("service_rate", mu), ("q", qq))
    with np.errstate(all="ignore"):
        t = np.where(lam < mu, -np.log1p(-qq) / (mu - lam), np.inf)
    return _out(t)


def _mm1_args(arrival_rate, service_rate):
    lam = _rate(arrival_rate, "arrival_rate")
    mu = _pos(service_rate, "service_rate")
    return v.broadcast(("arrival_rate", lam), ("service_rate", mu))


# --------------------------------------------------------------------------
# Erlang B and C
# --------------------------------------------------------------------------
def erlang_b(offered_load, servers):
    r"""Erlang B formula: blocking probability of the M/M/c/c loss system.

    Parameters
    ----------
    offered_load : float or array_like
        Offered traffic :math:`A = \lambda/\mu`, >= 0 and finite. [-]
    servers : int or array_like
        Number of servers (trunks) :math:`c`, whole number >= 0. [-]

    Returns
    -------
    b : float or ndarray
        Probability that an arrival finds all :math:`c` servers busy and is
        lost, :math:`B(A, c)`. Insensitive to the service-time distribution
        (holds for M/G/c/c). [-]

    Notes
    -----
    .. math::

        B(A, c) = \frac{A^c / c!}{\sum_{k=0}^{c} A^k / k!}

    is evaluated with the numerically stable recursion [1]_

    .. math::

        B(A, 0) = 1, \qquad
        B(A, k) = \frac{A\, B(A, k-1)}{k + A\, B(A, k-1)},

    which never overflows (:math:`0 \le B \le 1`). It is vectorised by
    iterating to the largest ``servers`` with a mask; the cost is
    :math:`O(\max c)` array operations, so thousands of servers take
    milliseconds. The loop stops early once every still-active value has
    underflowed to 0.

    References
    ----------
    .. [1] D. L. Jagerman, "Some properties of the Erlang loss function,"
       *Bell Syst. Tech. J.*, vol. 53, no. 3, pp. 525-551, 1974,
       doi:10.1002/j.1538-7305.1974.tb02756.x.

    Examples
    --------
    >>> round(erlang_b(10.0, 10), 4)
    0.2146
    """
    a = v.nonnegative(offered_load, "offered_load", allow_inf=False)
    c = _servers(servers, minimum=0)
    a, c = v.broadcast(("offered_load", a), ("servers", c))
    return _out(_erlang_b(a, c))


def _erlang_b(a: np.ndarray, c: np.ndarray) -> np.ndarray:
    b = np.ones(np.shape(a))
    if b.size == 0:
        return b
    cmax = int(np.max(c))
    with np.errstate(under="ignore"):
        for k in range(1, cmax + 1):
            active = c >= k
            ab = a * b
            b = np.where(active, ab / (k + ab), b)
            if not np.any(b[active]):
                break  # every remaining recursion stays at 0
    return b


def erlang_c(offered_load, servers):
    r"""Erlang C formula: probability that an arrival waits in M/M/c.

    Parameters
    ----------
    offered_load : float or array_like
        Offered traffic :math:`A = \lambda/\mu`, >= 0 and finite. [-]
    servers : int or array_like
        Number of servers :math:`c`, whole number >= 1. [-]

    Returns
    -------
    p_wait : float or ndarray
        :math:`C(A, c) = P(W_q > 0)`; 1 when :math:`\rho = A/c \ge 1`
        (every arrival eventually waits). [-]

    Notes
    -----
    Computed from the Erlang B value :math:`B = B(A, c)` (see
    :func:`erlang_b`), which keeps it finite and accurate for thousands of
    servers; the cost is bounded for any :math:`c` (the recursion up to 64
    servers, the Poisson pmf/cdf ratio :math:`B = P(N{=}c)/P(N{\le}c)`,
    :math:`N \sim \mathrm{Poisson}(A)`, above):

    .. math::

        C(A, c) = \frac{B}{1 - \rho\,(1 - B)}, \qquad \rho = A / c .

    It equals the textbook form
    :math:`\frac{A^c}{c!}\frac{c}{c-A}\big/\big(\sum_{k<c} \frac{A^k}{k!}
    + \frac{A^c}{c!}\frac{c}{c-A}\big)` [1]_.

    References
    ----------
    .. [1] D. Gross, J. F. Shortle, J. M. Thompson and C. M. Harris,
       *Fundamentals of Queueing Theory*, 4th ed. Hoboken, NJ, USA: Wiley,
       2008, ISBN 978-0-471-79127-0, Sec. 2.3.

    Examples
    --------
    >>> round(erlang_c(2.0, 3), 6)  # = 4/9
    0.444444
    """
    a = v.nonnegative(offered_load, "offered_load", allow_inf=False)
    c = _servers(servers)
    a, c = v.broadcast(("offered_load", a), ("servers", c))
    return _out(_erlang_c(a, c))


#: Erlang C uses the Erlang B recursion up to this many servers and the
#: incomplete-gamma form above, so its cost is bounded for any ``servers``.
_RECURSION_MAX_SERVERS = 64


def _erlang_b_stable(a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Erlang B for a < c with bounded work: recursion to 64 servers, Poisson pmf/cdf above.

    B(A, c) = P(N = c)/P(N <= c) for N ~ Poisson(A) [1]_; for A < c the
    cdf is at least about 1/2, so neither term underflows harmfully.

    References
    ----------
    .. [1] D. L. Jagerman, "Some properties of the Erlang loss function,"
       Bell Syst. Tech. J. 53(3), 1974. doi:10.1002/j.1538-7305.1974.tb02756.x
    """
    a, c = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(c, dtype=float))
    small = c <= _RECURSION_MAX_SERVERS
    b = _erlang_b(np.where(small, a, 0.0), np.where(small, c, 0.0))
    if np.all(small):
        return b
    from scipy import special  # lazy: keeps `import genai_edge` light

    big_a, big_c = np.where(small, 1.0, a), np.where(small, 1.0, c)
    with np.errstate(divide="ignore", under="ignore"):
        log_pmf = special.xlogy(big_c, big_a) - big_a - special.gammaln(big_c + 1.0)
        big = np.exp(log_pmf - np.log(special.pdtr(big_c, big_a)))
    return np.where(small, b, big)


def _erlang_c(a: np.ndarray, c: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore", invalid="ignore"):
        rho = a / c
    stable = rho < 1
    b = _erlang_b_stable(np.where(stable, a, 0.0), c)
    with np.errstate(all="ignore"):
        pw = b / (1.0 - rho * (1.0 - b))
    return np.where(stable, pw, 1.0)


# --------------------------------------------------------------------------
# M/M/c
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueWait:
    r"""Wait in queue W of a FCFS queue, as P(W > t) = Σ_m weights[m]·exp(−decays[m]·t).

    Attributes
    ----------
    arrival_rate : float
        Mean arrival rate. [s^-1]
    utilization : float
        λ/(cμ). [-]
    prob_wait : float
        P(W > 0), over arrivals. [-]
    mean : float
        E[W]; inf when utilization >= 1. [s]
    weights, decays : ndarray
        Terms of the survival function (decays in s^-1); empty when unstable.
    """
    arrival_rate: float
    utilization: float
    prob_wait: float
    mean: float
    weights: np.ndarray
    decays: np.ndarray

    def sf(self, t):
        """P(W > t), vectorised; 1 for t < 0 and for an unstable queue.

        Parameters
        ----------
        t : array_like
            Time. [s]
        """
        t = np.asarray(t, dtype=float)
        if not np.isfinite(self.mean):
            return np.where(t < 0, 1.0, float(self.prob_wait > 0))
        terms = self.weights * np.exp(-self.decays * np.maximum(t, 0.0)[..., None])
        return np.where(t < 0, 1.0, np.clip(terms.sum(axis=-1), 0.0, 1.0))


def _mmc_args(arrival_rate, service_rate, servers, q=None):
    lam = _rate(arrival_rate, "arrival_rate")
    mu = _pos(service_rate, "service_rate")
    c = _servers(servers)
    named = [("arrival_rate", lam), ("service_rate", mu), ("servers", c)]
    if q is not None:
        named.append(("q", _prob_level(q)))
    arrays = v.broadcast(*named)
    lam, mu, c = arrays[:3]
    with np.errstate(all="ignore"):
        theta = c * mu - lam  # decay rate of the conditional wait
        stable = (_rho(lam, mu, c) < 1) & (theta > 0)  # agree even after rounding
        a = np.where(stable, lam / mu, 0.0)
    pw = np.where(stable, _erlang_c(a, c), 1.0)
    return (lam, mu, c, stable, pw, theta, *arrays[3:])


def mmc_mean_wait(arrival_rate, service_rate, servers):
    r"""Mean wait in queue of the M/M/c queue.

    Parameters
    ----------
    arrival_rate : float or array_like
        Poisson arrival rate :math:`\lambda`, >= 0. [s^-1]
    service_rate : float or array_like
        Exponential service rate of one server :math:`\mu`, > 0. [s^-1]
    servers : int or array_like
        Number of servers :math:`c`, whole number >= 1. [-]

    Returns
    -------
    wq : float or ndarray
        :math:`E[W_q]`; ``inf`` when :math:`\rho = \lambda/(c\mu) \ge 1`. [s]

    Notes
    -----
    .. math:: E[W_q] = \frac{C(A, c)}{c\mu - \lambda}, \qquad A = \lambda/\mu

    with :math:`C` the Erlang C probability (:func:`erlang_c`).

    References
    ----------
    .. [1] D. Gross, J. F. Shortle, J. M. Thompson and C. M. Harris,
       *Fundamentals of Queueing Theory*, 4th ed. Hoboken, NJ, USA: Wiley,
       2008, ISBN 978-0-471-79127-0, Sec. 2.3.

    Examples
    --------
    >>> round(mmc_mean_wait(2.0, 1.0, 3), 6)  # C = 4/9, c*mu - lambda = 1
    0.444444
    """
    _, _, _, stable, pw, theta, *_ = _mmc_args(arrival_rate, service_rate, servers)
    with np.errstate(all="ignore"):
        w = np.where(stable, pw / theta, np.inf)
    return _out(w)



def mmc_wait(arrival_rate, service_rate, servers) -> QueueWait:
    r"""Wait distribution of the M/M/c queue: P(W > t) = C·exp(−(cμ − λ)t) (exact).

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate :math:`\lambda`, >= 0. [s^-1]
    service_rate : float
        Exponential service rate of one server :math:`\mu`, > 0. [s^-1]
    servers : int
        Number of servers :math:`c`, whole number >= 1. [-]

    Returns
    -------
    QueueWait
        One exponential term; mean ``inf`` and P(wait) 1 when :math:`\rho \ge 1`.

    References
    ----------
    .. [1] D. Gross, J. F. Shortle, J. M. Thompson and C. M. Harris,
       *Fundamentals of Queueing Theory*, 4th ed. Hoboken, NJ, USA: Wiley,
       2008, ISBN 978-0-471-79127-0, Sec. 2.3.
    """
    lam, mu, c, stable, pw, theta = (float(x) for x in _mmc_args(
        v.scalar(arrival_rate, v.nonnegative, "arrival_rate", allow_inf=False),
        v.scalar(service_rate, v.positive, "service_rate", allow_inf=False),
        v.scalar(servers, v.integer, "servers", minimum=1)))
    rho = lam / (c * mu)
    if lam == 0:
        return QueueWait(0.0, 0.0, 0.0, 0.0, np.zeros(0), np.zeros(0))
    if not stable:
        return QueueWait(lam, rho, 1.0, np.inf, np.zeros(0), np.zeros(0))
    return QueueWait(lam, rho, pw, pw / theta, np.array([pw]), np.array([theta]))


def mmc_mean_response(arrival_rate, service_rate, servers):
    r"""Mean response (sojourn) time of the M/M/c queue.

    Parameters
    ----------
    arrival_rate : float or array_like
        Poisson arrival rate :math:`\lambda`, >= 0. [s^-1]
    service_rate : float or array_like
        Exponential service rate of one server :math:`\mu`, > 0. [s^-1]
    servers : int or array_like
        Number of servers :math:`c`, whole number >= 1. [-]

    Returns
    -------
    t : float or ndarray
        :math:`E[T] = E[W_q] + 1/\mu`; ``inf`` when :math:`\rho \ge 1`. [s]

    Notes
    -----
    .. math:: E[T] = \frac{C(A, c)}{c\mu - \lambda} + \frac{1}{\mu}

    References
    ----------
    .. [1] D. Gross, J. F. Shortle, J. M. Thompson and C. M. Harris,
       *Fundamentals of Queueing Theory*, 4th ed. Hoboken, NJ, USA: Wiley,
       2008, ISBN 978-0-471-79127-0, Sec. 2.3.

    Examples
    --------
    >>> round(mmc_mean_response(2.0, 1.0, 3), 6)
    1.444444
    """
    _, mu, _, stable, pw, theta, *_ = _mmc_args(arrival_rate, service_rate, servers)
    with np.errstate(all="ignore"):
        t = np.where(stable, pw / theta + 1.0 / mu, np.inf)
    return _out(t)


def mmc_wait_quantile(arrival_rate, service_rate, servers, q):
    r"""Quantile of the M/M/c wait in queue (exact).

    Parameters
    ----------
    arrival_rate : float or array_like
        Poisson arrival rate :math:`\lambda`, >= 0. [s^-1]
    service_rate : float or array_like
        Exponential service rate of one server :math:`\mu`, > 0. [s^-1]
    servers : int or array_like
        Number of servers :math:`c`, whole number >= 1. [-]
    q : float or array_like
        Probability level, 0 < q < 1. [-]

    Returns
    -------
    t_q : float or ndarray
        Smallest :math:`t` with :math:`P(W_q \le t) \ge q`: 0 when
        :math:`q \le 1 - C`, ``inf`` when :math:`\rho \ge 1`. [s]

    Notes
    -----
    With :math:`C = C(\lambda/\mu, c)` and :math:`\theta = c\mu - \lambda`,

    .. math::

        P(W_q > t) = C\, e^{-\theta t}
        \quad\Rightarrow\quad
        t_q = \frac{\ln\!\big(C/(1-q)\big)}{\theta}
        \text{ for } q > 1 - C .

    References
    ----------
    .. [1] D. Gross, J. F. Shortle, J. M. Thompson and C. M. Harris,
       *Fundamentals of Queueing Theory*, 4th ed. Hoboken, NJ, USA: Wiley,
       2008, ISBN 978-0-471-79127-0, Sec. 2.3.

    Examples
    --------
    >>> round(mmc_wait_quantile(2.0, 1.0, 3, 0.95), 6)  # ln((4/9)/0.05)
    2.184802
    """
    _, _, _, stable, pw, theta, qq = _mmc_args(arrival_rate, service_rate, servers, q)
    return _out(_mmc_wait_q(stable, pw, theta, qq))


def _mmc_wait_q(stable, pw, theta, qq):
    with np.errstate(all="ignore"):
        t = (np.log(pw) - np.log1p(-qq)) / theta
        t = np.where(pw > 1.0 - qq, t, 0.0)
        return np.where(stable, t, np.inf)


def _mmc_response_sf(t, mu, theta, pw):
    """P(T > t) for M/M/c: (1-C) e^{-mu t} + C P(Exp(theta) + Exp(mu) > t).

    The hypo-exponential survival function is written with a = min, b = max
    of the two rates as exp(-a t) (1 + a t h((b-a) t)), h(x) = (1-e^{-x})/x,
    which has no cancellation and the right limit at theta = mu.
    """
    a = np.minimum(mu, theta)
    b = np.maximum(mu, theta)
    x = (b - a) * t
    with np.errstate(all="ignore"):
        h = np.where(x > 0, -np.expm1(-x) / x, 1.0)
        hypo = np.exp(-a * t) * (1.0 + a * t * h)
        return (1.0 - pw) * np.exp(-mu * t) + pw * hypo


def mmc_response_quantile(arrival_rate, service_rate, servers, q):
    r"""Quantile of the M/M/c response (sojourn) time (exact).

    Parameters
    ----------
    arrival_rate : float or array_like
        Poisson arrival rate :math:`\lambda`, >= 0. [s^-1]
    service_rate : float or array_like
        Exponential service rate of one server :math:`\mu`, > 0. [s^-1]
    servers : int or array_like
        Number of servers :math:`c`, whole number >= 1. [-]
    q : float or array_like
        Probability level, 0 < q < 1. [-]

    Returns
    -------
    t_q : float or ndarray
        :math:`t` with :math:`P(T \le t) = q`, relative accuracy ~1e-12;
        ``inf`` when :math:`\rho \ge 1`. [s]

    Notes
    -----
    :math:`T = W_q + S` with :math:`S \sim \mathrm{Exp}(\mu)` independent of
    :math:`W_q`, which is 0 with probability :math:`1-C` and
    :math:`\mathrm{Exp}(\theta)`, :math:`\theta = c\mu-\lambda`, otherwise.
    Hence [1]_

    .. math::

        P(T > t) = (1-C)\,e^{-\mu t}
          + C\,\frac{\theta e^{-\mu t} - \mu e^{-\theta t}}{\theta - \mu},

    with the limit :math:`C (1 + \mu t) e^{-\mu t}` of the second term at
    :math:`\theta = \mu` (evaluated without cancellation near it). The
    quantile is found by vectorised bisection (geometric midpoints) between
    :math:`\max\{-\ln(1-q)/\mu,\ t_q(W_q)\}` and the union bound
    :math:`\ln(2C/(1-q))^+/\theta + \ln(2/(1-q))/\mu`. For :math:`c = 1` it
    reduces to :func:`mm1_response_quantile`.

    References
    ----------
    .. [1] D. Gross, J. F. Shortle, J. M. Thompson and C. M. Harris,
       *Fundamentals of Queueing Theory*, 4th ed. Hoboken, NJ, USA: Wiley,
       2008, ISBN 978-0-471-79127-0, Sec. 2.3.

    Examples
    --------
    >>> round(mmc_response_quantile(0.5, 1.0, 1, 0.95), 6)  # = M/M/1
    5.991465
    """
    _, mu, _, stable, pw, theta, qq = _mmc_args(arrival_rate, service_rate, servers, q)
    out = np.full(np.shape(mu), np.inf)
    if not np.any(stable):
        return _out(out)
    mu_s, th_s, pw_s, q_s = (np.asarray(x)[stable] for x in (mu, theta, pw, qq))
    p = 1.0 - q_s  # target survival probability
    tiny = np.finfo(float).tiny
    with np.errstate(all="ignore"):
        lo = np.maximum(-np.log1p(-q_s) / mu_s,
                        _mmc_wait_q(True, pw_s, th_s, q_s))
        lo = np.maximum(lo, tiny)
        hi = (np.maximum(np.log(2.0 * pw_s / p), 0.0) / th_s
              + np.log(2.0 / p) / mu_s)
        for _ in range(200):
            if np.all(hi - lo <= 1e-13 * hi):
                break
            mid = np.exp(0.5 * (np.log(lo) + np.log(hi)))
            above = _mmc_response_sf(mid, mu_s, th_s, pw_s) > p
            lo = np.where(above, mid, lo)
            hi = np.where(above, hi, mid)
        out[stable] = 0.5 * (lo + hi)
    return _out(out)


# --------------------------------------------------------------------------
# M/G/1 and M/D/1
# --------------------------------------------------------------------------
def mg1_mean_wait(arrival_rate, mean_service, scv_service):
    r"""Mean wait in queue of the M/G/1 queue (Pollaczek-Khinchine).

    Parameters
    ----------
    arrival_rate : float or array_like
        Poisson arrival rate :math:`\lambda`, >= 0. [s^-1]
    mean_service : float or array_like
        Mean service time :math:`E[S]`, > 0. [s]
    scv_service : float or array_like
        Squared coefficient of variation of the service time
        :math:`c_s^2 = \mathrm{Var}[S]/E[S]^2`, >= 0 (0 constant,
        1 exponential). [-]

    Returns
    -------
    wq : float or ndarray
        :math:`E[W_q]`; ``inf`` when :math:`\rho = \lambda E[S] \ge 1`. [s]

    Notes
    -----
    Exact for any service-time distribution with finite variance [1]_:

    .. math::

        E[W_q] = \frac{\lambda E[S^2]}{2(1-\rho)}
               = \frac{\rho}{1-\rho}\,\frac{1 + c_s^2}{2}\,E[S].

    References
    ----------
    .. [1] L. Kleinrock, *Queueing Systems, Volume 1: Theory*. New York, NY,
       USA: Wiley, 1975, ISBN 978-0-471-49110-1, Ch. 5.

    Examples
    --------
    >>> round(mg1_mean_wait(0.5, 1.0, 1.0), 12)  # = M/M/1
    1.0
    """
    lam = _rate(arrival_rate, "arrival_rate")
    es = _pos(mean_service, "mean_service")
    cs2 = _scv(scv_service, "scv_service")
    lam, es, cs2 = v.broadcast(("arrival_rate", lam), ("mean_service", es),
                              ("scv_service", cs2))
    return _out(_pk(lam, es, 1.0, cs2))


def _pk(lam, es, ca2, cs2):
    """rho/(1-rho) * (ca2+cs2)/2 * E[S] (P-K for ca2 = 1, Kingman otherwise)."""
    with np.errstate(all="ignore"):
        rho = lam * es
        w = rho / (1.0 - rho) * (0.5 * ca2 + 0.5 * cs2) * es
        return np.where(rho < 1, w, np.inf)


def md1_mean_wait(arrival_rate, service_time):
    r"""Mean wait in queue of the M/D/1 queue.

    Parameters
    ----------
    arrival_rate : float or array_like
        Poisson arrival rate :math:`\lambda`, >= 0. [s^-1]
    service_time : float or array_like
        Constant service time :math:`D`, > 0. [s]

    Returns
    -------
    wq : float or ndarray
        :math:`E[W_q]`; ``inf`` when :math:`\rho = \lambda D \ge 1`. [s]

    Notes
    -----
    Pollaczek-Khinchine with :math:`c_s^2 = 0` [1]_ (half the M/M/1 wait):

    .. math:: E[W_q] = \frac{\rho\, D}{2(1-\rho)}

    References
    ----------
    .. [1] L. Kleinrock, *Queueing Systems, Volume 1: Theory*. New York, NY,
       USA: Wiley, 1975, ISBN 978-0-471-49110-1, Ch. 5.

    Examples
    --------
    >>> round(md1_mean_wait(0.5, 1.0), 12)
    0.5
    """
    lam, d = _md1_args(arrival_rate, service_time)
    return _out(_pk(lam, d, 1.0, 0.0))


def _md1_args(arrival_rate, service_time, *extra):
    lam = _rate(arrival_rate, "arrival_rate")
    d = _pos(service_time, "service_time")
    return v.broadcast(("arrival_rate", lam), ("service_time", d), *extra)


@functools.lru_cache(maxsize=8)
def _log_factorials(n: int) -> np.ndarray:
    out = np.array([math.lgamma(k + 1.0) for k in range(n)])
    out.flags.writeable = False
    return out


def _poisson_pmf(mean: np.ndarray, n: int) -> np.ndarray:
    """Poisson pmf P(A = j), j = 0..n-1, for each mean (shape (..., n))."""
    j = np.arange(n, dtype=float)
    m = mean[..., None]
    lgam = _log_factorials(n)
    with np.errstate(all="ignore"):
        logp = j * np.log(np.where(m > 0, m, 1.0)) - m - lgam
        p = np.exp(logp)
    return np.where(m > 0, p, (j == 0).astype(float))


def _md1_queue_length(rho: np.ndarray, n: int) -> np.ndarray:
    """Stationary P(N = j), j = 0..n-1, of the M/D/1 number in system.

    Level-crossing form of the embedded-Markov-chain equations [Tijms 2003]:
    pi_{j+1} a_0 = pi_0 abar_{j+1} + sum_{i=1}^{j} pi_i abar_{j+2-i},
    with a_k = P(Pois(rho) = k), abar_k = P(Pois(rho) >= k). Every term is
    non-negative, so there is no cancellation (unlike the alternating
    closed form).
    """
    extra = 64  # Poisson tail beyond index n is < rho^64/64! relative: negligible
    a = _poisson_pmf(rho, n + extra)
    abar = np.cumsum(a[..., ::-1], axis=-1)[..., ::-1]  # abar[k] = P(A >= k)
    pi = np.zeros(rho.shape + (n,))
    pi[..., 0] = 1.0 - rho
    a0 = a[..., 0]
    for j in range(n - 1):
        s = pi[..., 0] * abar[..., j + 1]
        if j >= 1:
            # sum_{i=1}^{j} pi_i abar_{j+2-i}; abar indices j+1 .. 2 (descending)
            s = s + np.einsum("...i,...i->...", pi[..., 1:j + 1], abar[..., j + 1:1:-1])
        pi[..., j + 1] = s / a0
    return pi


def _md1_tail_root(rho: np.ndarray) -> np.ndarray:
    r"""Decay rate x = s* D > 0 of the M/D/1 wait tail: e^x = 1 + x/rho.

    Newton's method from a point right of the root on a convex increasing
    function, so it converges monotonically. For rho < 1/2 the function is
    h(x) = x - ln(1 + x/rho). For rho >= 1/2 (root x < 1.26) it is
    phi(x) = (e^x - 1 - x)/x = (1 - rho)/rho, with phi summed as a series
    for small x; 1 - rho is exact there, so x keeps full relative accuracy
    as rho -> 1 (x ~ 2(1 - rho)).
    """
    rho = np.asarray(rho, dtype=float)
    x = np.empty(rho.shape)
    low = rho < 0.5
    with np.errstate(all="ignore"):
        if np.any(low):
            r = rho[low]
            y = np.minimum(2.0 * (1.0 - r) / r, 2.0 * np.log(1.0 / r) + 2.0)
            for _ in range(200):
                log1p = np.where(y > r, np.log(y + r) - np.log(r), np.log1p(y / r))
                step = (y - log1p) / (1.0 - 1.0 / (r + y))
                y_new = np.maximum(y - step, 0.5 * y)
                done = np.all(np.abs(y_new - y) <= 4e-16 * y)
                y = y_new
                if done:
                    break
            x[low] = y
        if np.any(~low):
            r = rho[~low]
            target = (1.0 - r) / r
            y = np.minimum(2.0 * target, 2.0)  # phi(y) >= y/2 and phi(2) > 1
            k = np.arange(2, 30, dtype=float)
            inv_fact = np.array([1.0 / math.factorial(int(i)) for i in k])
            for _ in range(200):
                small = y < 0.5
                yp = np.where(small, y, 0.0)[..., None] ** (k - 2)
                phi_s = np.sum(yp * np.where(small, y, 0.0)[..., None] * inv_fact, axis=-1)
                dphi_s = np.sum((k - 1) * yp * inv_fact, axis=-1)
                ey = np.exp(y)
                phi = np.where(small, phi_s, (np.expm1(y) - y) / y)
                dphi = np.where(small, dphi_s, ((y - 1.0) * ey + 1.0) / (y * y))
                y_new = np.maximum(y - (phi - target) / dphi, 0.5 * y)
                done = np.all(np.abs(y_new - y) <= 4e-16 * y)
                y = y_new
                if done:
                    break
            x[~low] = y
    return x


def _md1_pole_gap(rho: np.ndarray, xs: np.ndarray) -> np.ndarray:
    r"""Distance between the dominant and the next poles of the M/D/1 wait LST.

    The poles are the roots of z - rho + rho e^{-z} = 0 (z = s D), i.e.
    z = rho + W_k(-rho e^{-rho}) on the branches k of Lambert's W: k = 0
    gives 0, k = -1 gives -x*, k = +-1 the next pair. Returns
    Re(-z_1) - x* (> 0; ``xs`` = x*), found by Halley's method from the branch
    asymptote W_k(a) ~ L - ln L, L = ln a + 2 pi i k.
    """
    a = (-rho * np.exp(-rho)).astype(complex)
    L = np.log(a) + 2j * np.pi
    w = L - np.log(L)
    with np.errstate(all="ignore"):
        for _ in range(50):
            ew = np.exp(w)
            f = w * ew - a
            w_new = w - f / (ew * (w + 1) - (w + 2) * f / (2 * w + 2))
            w_new = np.where(np.isfinite(w_new), w_new, w)
            done = np.all(np.abs(w_new - w) <= 1e-14 * np.abs(w))
            w = w_new
            if done:
                break
    return -(rho + w.real) - xs


class _MD1:
    """Per-rho quantities of the M/D/1 wait distribution (0 < rho < 1, 1-D).

    Times are in units of the service time D.
    """

    def __init__(self, rho: np.ndarray):
        self.rho = rho
        self.xs = _md1_tail_root(rho)  # tail decay rate s* D
        with np.errstate(all="ignore"):
            self.kappa = np.clip((1.0 - rho) / (self.xs - (1.0 - rho)), 0.0, 1.0)
            # from x_tail on, the dominant-pole tail is exact to ~e^{-40}
            # relative, and it resolves tail probabilities the finite sum
            # cannot (< 1e-15)
            self.x_tail = np.minimum(40.0 / _md1_pole_gap(rho, self.xs),
                                     _MD1_EXACT_STEPS - 1.0)
        self._pi = np.zeros(rho.shape + (0,))

    def queue_length(self, n: int) -> np.ndarray:
        if self._pi.shape[-1] < n:
            self._pi = _md1_queue_length(self.rho, n)
        return self._pi[..., :n]

    def cdf(self, x: np.ndarray, sel=slice(None)) -> np.ndarray:
        """P(W_q <= x D) for the elements ``sel`` (x has their shape)."""
        rho, xs, kappa, x_tail = (a[sel] for a in (self.rho, self.xs, self.kappa, self.x_tail))
        f = np.zeros(x.shape)
        neg = x < 0
        k = np.floor(np.where(neg | ~np.isfinite(x), 0.0, x))
        exact = ~neg & np.isfinite(x) & (x < x_tail)
        far = ~neg & ~exact
        if np.any(far):
            with np.errstate(all="ignore"):
                tail = kappa[far] * np.exp(-xs[far] * x[far])
            f[far] = np.where(np.isinf(x[far]), 1.0, np.clip(1.0 - tail, 0.0, 1.0))
        if np.any(exact):
            xe, re, ke = x[exact], rho[exact], k[exact].astype(int)
            n = int(ke.max()) + 2  # need pi_0 .. pi_{k+1}
            p = self.queue_length(n)[sel][exact]
            m = re * (1.0 - (xe - ke))  # mean arrivals in the last D - u
            cdf_a = np.minimum(np.cumsum(_poisson_pmf(m, n), axis=-1), 1.0)
            j = np.arange(n)
            idx = ke[:, None] + 1 - j[None, :]  # k+1-n for n >= 1 ...
            idx[:, 0] = ke  # ... and k for n = 0
            valid = idx >= 0
            terms = p * np.take_along_axis(cdf_a, np.clip(idx, 0, n - 1), axis=-1)
            f[exact] = np.minimum(np.sum(np.where(valid, terms, 0.0), axis=-1), 1.0)
        return f


def md1_wait_cdf(arrival_rate, service_time, t):
    r"""Distribution function of the M/D/1 wait in queue (exact).

    Parameters
    ----------
    arrival_rate : float or array_like
        Poisson arrival rate :math:`\lambda`, >= 0. [s^-1]
    service_time : float or array_like
        Constant service time :math:`D`, > 0. [s]
    t : float or array_like
        Time at which to evaluate :math:`P(W_q \le t)`; any real number
        (negative gives 0, ``inf`` gives 1). [s]

    Returns
    -------
    f : float or ndarray
        :math:`P(W_q \le t)`; it is :math:`1-\rho` at :math:`t = 0` (atom)
        and 0 everywhere when :math:`\rho = \lambda D \ge 1` (no steady
        state; all waits are infinite). [-]

    Notes
    -----
    Erlang's (1909) and Crommelin's (1932) closed form, with
    :math:`\rho = \lambda D` and :math:`k = \lfloor t/D \rfloor`, is [1]_ [2]_

    .. math::

        P(W_q \le t) = (1-\rho) \sum_{j=0}^{k}
            \frac{[\lambda(jD - t)]^j}{j!}\, e^{-\lambda(jD - t)} .

    Its terms alternate in sign and grow like :math:`e^{\lambda t}`, so in
    floating point it loses all digits beyond :math:`t/D \approx 10`-20.
    This function evaluates the same quantity with non-negative terms only.
    Write :math:`t = kD + u`, :math:`0 \le u < D`; a FIFO sample-path
    argument over the window :math:`(a - (D-u), a]` before the arrival
    epoch :math:`a` gives

    .. math::

        P(W_q \le t) = \pi_0\, P(A \le k)
            + \sum_{n=1}^{k+1} \pi_n\, P(A \le k + 1 - n),

    where :math:`A \sim \mathrm{Poisson}(\lambda (D-u))` and :math:`\pi_n`
    is the stationary M/D/1 number-in-system distribution, computed by the
    level-crossing (positive-term) recursion of the embedded Markov chain
    [3]_. Both forms agree to ~1e-14 where the alternating sum can be
    evaluated in high precision (checked in the tests).

    Range, accuracy and cost: the sum is used for :math:`t < t^* =
    \min(99,\ 40/g)\,D`, where :math:`g > 0` is the gap between the real
    parts of the dominant pole :math:`-s^*D` and the next pole pair of the
    Pollaczek-Khinchine transform (:math:`g \approx 2.1` as :math:`\rho \to
    1`, so :math:`t^* \approx 19D` in heavy traffic; :math:`t^* = 99D` for
    :math:`\rho < 0.01`). Its cost is :math:`O((t/D)^2)` per element and its
    absolute accuracy ~1e-15. From :math:`t^*` on, the dominant-pole tail

    .. math::

        P(W_q > t) = \kappa\, e^{-s^* t}, \qquad e^{s^* D} = 1 +
        \frac{s^*}{\lambda}, \qquad \kappa = \frac{1-\rho}{s^* D - (1-\rho)}

    is used. The neglected poles contribute a relative :math:`e^{-g t/D}
    \le e^{-40}` there, so the tail probability is exact to ~1e-14
    *relative* (checked against the high-precision sum in the tests) and
    the function has no range limit; :math:`s^*` is solved in a form that
    keeps full relative accuracy as :math:`\rho \to 1`.

    References
    ----------
    .. [1] G. J. Franx, "A simple solution for the M/D/c waiting time
       distribution," *Oper. Res. Lett.*, vol. 29, no. 5, pp. 221-229, 2001,
       doi:10.1016/S0167-6377(01)00108-0.
    .. [2] C. D. Crommelin, "Delay probability formulae when the holding
       times are constant," *P.O. Elect. Eng. J.*, vol. 25, pp. 41-50, 1932.
    .. [3] H. C. Tijms, *A First Course in Stochastic Models*. Chichester,
       U.K.: Wiley, 2003, ISBN 978-0-471-49880-3.

    Examples
    --------
    >>> round(md1_wait_cdf(0.5, 1.0, 0.0), 12)
    0.5
    """
    lam, d, tt = _md1_args(arrival_rate, service_time, ("t", v.as_float(t, "t")))
    rho = lam * d
    shape = rho.shape
    rho, d, tt = rho.ravel(), d.ravel(), tt.ravel()
    f = np.zeros(rho.shape)
    idle = rho == 0
    f[idle] = (tt[idle] >= 0).astype(float)
    stable = (rho < 1) & ~idle
    if np.any(stable):
        f[stable] = _MD1(rho[stable]).cdf(tt[stable] / d[stable])
    return _out(f.reshape(shape))


def md1_wait_quantile(arrival_rate, service_time, q):
    r"""Quantile of the M/D/1 wait in queue (exact).

    Parameters
    ----------
    arrival_rate : float or array_like
        Poisson arrival rate :math:`\lambda`, >= 0. [s^-1]
    service_time : float or array_like
        Constant service time :math:`D`, > 0. [s]
    q : float or array_like
        Probability level, 0 < q < 1. [-]

    Returns
    -------
    t_q : float or ndarray
        Smallest :math:`t` with :math:`P(W_q \le t) \ge q`: 0 when
        :math:`q \le 1-\rho`, ``inf`` when :math:`\rho = \lambda D \ge 1`.
        [s]

    Notes
    -----
    Where the quantile lies in the exponential tail of
    :func:`md1_wait_cdf` (:math:`t \ge t^*`, see there) it is closed form,

    .. math:: t_q = \frac{\ln\!\big(\kappa/(1-q)\big)}{s^*},
              \qquad e^{s^* D} = 1 + \frac{s^*}{\lambda},

    the dominant-pole (Cramer-Lundberg) asymptote [1]_ [2]_; otherwise the
    exact finite sum is inverted by vectorised bisection on
    :math:`[0, t^*]`, with the queue-length probabilities computed once per
    call. Cost is small for any :math:`\rho < 1` and ``q``. Accuracy: the
    tail probability at the returned :math:`t` matches :math:`1-q` to
    ~1e-14 relative in the closed-form region and to ~1e-15 absolute in the
    bisection region, i.e. ~1e-9 relative for :math:`1-q \ge 10^{-6}`
    (the quantile itself is then accurate to ~1e-10 relative or better).

    References
    ----------
    .. [1] S. Asmussen, *Applied Probability and Queues*, 2nd ed. New York,
       NY, USA: Springer, 2003, ISBN 978-0-387-00211-8, Ch. XIII.
    .. [2] G. J. Franx, "A simple solution for the M/D/c waiting time
       distribution," *Oper. Res. Lett.*, vol. 29, no. 5, pp. 221-229, 2001,
       doi:10.1016/S0167-6377(01)00108-0.

    Examples
    --------
    >>> md1_wait_quantile(0.5, 1.0, 0.25)  # inside the atom at 0
    0.0
    """
    lam, d, qq = _md1_args(arrival_rate, service_time, ("q", _prob_level(q)))
    return _out(_md1_wait_q(lam, d, qq))


def _md1_wait_q(lam, d, qq):
    rho = lam * d
    shape = rho.shape
    rho, d, qq = rho.ravel(), d.ravel(), qq.ravel()
    out = np.where(rho < 1, 0.0, np.inf)
    todo = (rho < 1) & (qq > 1.0 - rho)
    if not np.any(todo):
        return out.reshape(shape)
    md1 = _MD1(rho[todo])
    qs = qq[todo]
    with np.errstate(all="ignore"):
        # closed form where the quantile lies in the exponential tail
        x = (np.log(md1.kappa) - np.log1p(-qs)) / md1.xs
    body = ~(x >= md1.x_tail)
    if np.any(body):
        # bisection of the exact finite sum on [0, x_tail]
        qb = qs[body]
        lo = np.zeros(qb.shape)
        hi = md1.x_tail[body].copy()
        md1.queue_length(int(np.floor(hi.max())) + 2)
        for _ in range(200):
            if np.all(hi - lo <= 1e-14 * hi):
                break
            mid = 0.5 * (lo + hi)
            below = md1.cdf(mid, body) < qb
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        x[body] = 0.5 * (lo + hi)
    out[todo] = x * d[todo]
    return out.reshape(shape)


def md1_response_quantile(arrival_rate, service_time, q):
    r"""Quantile of the M/D/1 response (sojourn) time (exact).

    Parameters
    ----------
    arrival_rate : float or array_like
        Poisson arrival rate :math:`\lambda`, >= 0. [s^-1]
    service_time : float or array_like
        Constant service time :math:`D`, > 0. [s]
    q : float or array_like
        Probability level, 0 < q < 1. [-]

    Returns
    -------
    t_q : float or ndarray
        :math:`t_q(W_q) + D`; ``inf`` when :math:`\rho \ge 1`. [s]

    Notes
    -----
    The service time is constant, so :math:`T = W_q + D` and the quantiles
    shift by :math:`D` (see :func:`md1_wait_quantile`, [1]_).

    References
    ----------
    .. [1] G. J. Franx, "A simple solution for the M/D/c waiting time
       distribution," *Oper. Res. Lett.*, vol. 29, no. 5, pp. 221-229, 2001,
       doi:10.1016/S0167-6377(01)00108-0.

    Examples
    --------
    >>> md1_response_quantile(0.5, 1.0, 0.25)
    1.0
    """
    lam, d, qq = _md1_args(arrival_rate, service_time, ("q", _prob_level(q)))
    return _out(_md1_wait_q(lam, d, qq) + d)


# --------------------------------------------------------------------------
# G/G approximations
# --------------------------------------------------------------------------
def kingman_mean_wait(arrival_rate, mean_service, scv_arrival, scv_service):
    r"""Mean wait in queue of the G/G/1 queue, Kingman's approximation.

    Parameters
    ----------
    arrival_rate : float or array_like
        Mean arrival rate :math:`\lambda = 1/E[\text{inter-arrival}]`,
        >= 0. [s^-1]
    mean_service : float or array_like
        Mean service time :math:`E[S]`, > 0. [s]
    scv_arrival : float or array_like
        Squared coefficient of variation of the inter-arrival time
        :math:`c_a^2`, >= 0 (1 for Poisson). [-]
    scv_service : float or array_like
        Squared coefficient of variation of the service time :math:`c_s^2`,
        >= 0. [-]

    Returns
    -------
    wq : float or ndarray
        Approximate :math:`E[W_q]`; ``inf`` when :math:`\rho = \lambda E[S]
        \ge 1`. [s]

    Notes
    -----
    .. math::

        E[W_q] \approx \frac{\rho}{1-\rho}\,\frac{c_a^2 + c_s^2}{2}\,E[S]

    It is exact for M/G/1 (:math:`c_a^2 = 1`, Pollaczek-Khinchine) and is
    the heavy-traffic limit (:math:`\rho \to 1`) of GI/G/1 [1]_; at light
    load with non-Poisson arrivals it is only indicative.

    References
    ----------
    .. [1] J. F. C. Kingman, "The single server queue in heavy traffic,"
       *Math. Proc. Cambridge Philos. Soc.*, vol. 57, no. 4, pp. 902-904,
       1961, doi:10.1017/S0305004100036094.

    Examples
    --------
    >>> round(kingman_mean_wait(0.5, 1.0, 1.0, 1.0), 12)  # = M/M/1
    1.0
    """
    lam = _rate(arrival_rate, "arrival_rate")
    es = _pos(mean_service, "mean_service")
    ca2 = _scv(scv_arrival, "scv_arrival")
    cs2 = _scv(scv_service, "scv_service")
    lam, es, ca2, cs2 = v.broadcast(("arrival_rate", lam), ("mean_service", es),
                                   ("scv_arrival", ca2), ("scv_service", cs2))
    return _out(_pk(lam, es, ca2, cs2))


def allen_cunneen_mean_wait(arrival_rate, mean_service, servers, scv_arrival, scv_service):
    r"""Mean wait in queue of the G/G/c queue, Allen-Cunneen approximation.

    Parameters
    ----------
    arrival_rate : float or array_like
        Mean arrival rate :math:`\lambda`, >= 0. [s^-1]
    mean_service : float or array_like
        Mean service time of one server :math:`E[S] = 1/\mu`, > 0. [s]
    servers : int or array_like
        Number of servers :math:`c`, whole number >= 1. [-]
    scv_arrival : float or array_like
        Squared coefficient of variation of the inter-arrival time
        :math:`c_a^2`, >= 0. [-]
    scv_service : float or array_like
        Squared coefficient of variation of the service time :math:`c_s^2`,
        >= 0. [-]

    Returns
    -------
    wq : float or ndarray
        Approximate :math:`E[W_q]`; ``inf`` when
        :math:`\rho = \lambda E[S]/c \ge 1`. [s]

    Notes
    -----
    Scales the exact M/M/c wait by the variability factor [1]_ [2]_:

    .. math::

        E[W_q] \approx E[W_q^{M/M/c}]\;\frac{c_a^2 + c_s^2}{2}
             = \frac{C(\lambda E[S], c)}{c/E[S] - \lambda}\,
               \frac{c_a^2 + c_s^2}{2} .

    Exact for M/M/c (:math:`c_a^2 = c_s^2 = 1`) and for M/G/1; it reduces to
    :func:`kingman_mean_wait` for :math:`c = 1`. Its accuracy for other
    cases is discussed in [2]_.

    References
    ----------
    .. [1] A. O. Allen, *Probability, Statistics, and Queueing Theory with
       Computer Science Applications*, 2nd ed. Boston, MA, USA: Academic
       Press, 1990, ISBN 978-0-12-051051-1.
    .. [2] W. Whitt, "Approximations for the GI/G/m queue," *Prod. Oper.
       Manag.*, vol. 2, no. 2, pp. 114-161, 1993,
       doi:10.1111/j.1937-5956.1993.tb00094.x.

    Examples
    --------
    >>> round(allen_cunneen_mean_wait(2.0, 1.0, 3, 1.0, 0.0), 6)  # M/D/3 approx.
    0.222222
    """
    lam = _rate(arrival_rate, "arrival_rate")
    es = _pos(mean_service, "mean_service")
    c = _servers(servers)
    ca2 = _scv(scv_arrival, "scv_arrival")
    cs2 = _scv(scv_service, "scv_service")
    lam, es, c, ca2, cs2 = v.broadcast(("arrival_rate", lam), ("mean_service", es),
                                      ("servers", c), ("scv_arrival", ca2),
                                      ("scv_service", cs2))
    with np.errstate(all="ignore"):
        mu = 1.0 / es
    _, _, _, stable, pw, theta, *_ = _mmc_args(lam, mu, c)
    with np.errstate(all="ignore"):
        w = np.where(stable, pw / theta * (0.5 * ca2 + 0.5 * cs2), np.inf)
    return _out(w)


def mgc_wait(arrival_rate, mean_service, servers, scv_service) -> QueueWait:
    r"""Wait distribution of the M/G/c queue: Erlang C probability, Allen-Cunneen mean, exponential tail.

    An **approximation** (exact for exponential service, :math:`c_s^2 = 1`).

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate :math:`\lambda`, >= 0. [s^-1]
    mean_service : float
        Mean service time of one server :math:`E[S]`, > 0. [s]
    servers : int
        Number of servers :math:`c`, whole number >= 1. [-]
    scv_service : float
        Squared coefficient of variation of the service time, >= 0. [-]

    Returns
    -------
    QueueWait
        One exponential term :math:`P(W > t) = C\,e^{-\theta t}` with
        :math:`C = C(\lambda E[S], c)` and
        :math:`\theta = 2(c/E[S] - \lambda)/(1 + c_s^2)`; mean ``inf``
        when :math:`\rho \ge 1`.

    Notes
    -----
    The probability of waiting is taken from M/M/c and the mean from the
    Allen-Cunneen two-moment formula (:func:`allen_cunneen_mean_wait`, with
    Poisson arrivals :math:`c_a^2 = 1`); the conditional wait is exponential
    with that mean, the heavy-traffic form of the tail [1]_ [2]_.

    References
    ----------
    .. [1] W. Whitt, "Approximations for the GI/G/m queue," *Prod. Oper.
       Manag.*, vol. 2, no. 2, pp. 114-161, 1993,
       doi:10.1111/j.1937-5956.1993.tb00094.x.
    .. [2] J. Abate, G. L. Choudhury and W. Whitt, "Exponential
       approximations for tail probabilities in queues, I: Waiting times,"
       *Oper. Res.*, vol. 43, no. 5, pp. 885-901, 1995,
       doi:10.1287/opre.43.5.885.
    """
    lam = v.scalar(arrival_rate, v.nonnegative, "arrival_rate", allow_inf=False)
    es = v.scalar(mean_service, v.positive, "mean_service", allow_inf=False)
    c = v.scalar(servers, v.integer, "servers", minimum=1)
    cs2 = v.scalar(scv_service, v.nonnegative, "scv_service", allow_inf=False)
    pw, theta = (float(x) for x in _mgc_tail(np.asarray(lam), np.asarray(es), np.asarray(c),
                                            np.asarray(cs2)))
    rho = lam * es / c
    if lam == 0:
        return QueueWait(0.0, 0.0, 0.0, 0.0, np.zeros(0), np.zeros(0))
    if theta == 0:
        return QueueWait(lam, rho, 1.0, np.inf, np.zeros(0), np.zeros(0))
    return QueueWait(lam, rho, pw, pw / theta, np.array([pw]), np.array([theta]))


def _mgc_tail(lam, es, c, cs2):
    """Unchecked array kernel of :func:`mgc_wait`: (P(wait), decay rate); decay 0 when unstable.

    Arrays broadcast; ``lam`` [s^-1], ``es`` [s], ``c`` [-], ``cs2`` [-].
    """
    with np.errstate(all="ignore"):
        a = lam * es
        theta = (c / es - lam) * 2.0 / (1.0 + cs2)
        stable = (a < c) & (theta > 0)
    pw = np.where(stable, _erlang_c(np.where(stable, a, 0.0), c), 1.0)
    return pw, np.where(stable, theta, 0.0)


def gg_wait_quantile(prob_wait, mean_wait, q):
    r"""Quantile of a G/G/c wait from its mean and P(wait), exponential tail.

    An **approximation**: the wait is taken to be 0 with probability
    :math:`1-P_w` and exponential otherwise, with the mean matched.

    Parameters
    ----------
    prob_wait : float or array_like
        Probability that an arrival waits, :math:`P_w = P(W_q > 0)`, in
        [0, 1] (e.g. :func:`erlang_c`, or :math:`\rho` for a single server).
        [-]
    mean_wait : float or array_like
        Mean wait in queue :math:`E[W_q]`, >= 0; ``inf`` allowed (e.g. from
        :func:`allen_cunneen_mean_wait` when :math:`\rho \ge 1`). [s]
    q : float or array_like
        Probability level, 0 < q < 1. [-]

    Returns
    -------
    t_q : float or ndarray
        Approximate smallest :math:`t` with :math:`P(W_q \le t) \ge q`: 0
        when :math:`q \le 1 - P_w`; ``inf`` when ``mean_wait`` is ``inf``
        and :math:`q > 1 - P_w`. [s]

    Notes
    -----
    .. math::

        P(W_q > t) \approx P_w \exp\!\Big(-\frac{P_w\, t}{E[W_q]}\Big)
        \quad\Rightarrow\quad
        t_q = \frac{E[W_q]}{P_w} \ln\frac{P_w}{1-q}
        \text{ for } q > 1 - P_w .

    **Exact** for M/M/c (:math:`P_w` = Erlang C, :math:`E[W_q] = P_w /
    (c\mu - \lambda)`) and hence M/M/1; elsewhere it is the standard
    two-moment engineering approximation [1]_, asymptotically correct in
    heavy traffic [2]_. It overstates the tail for low-variability
    service (e.g. M/D/1) and understates it for heavy-tailed service.

    References
    ----------
    .. [1] W. Whitt, "Approximations for the GI/G/m queue," *Prod. Oper.
       Manag.*, vol. 2, no. 2, pp. 114-161, 1993,
       doi:10.1111/j.1937-5956.1993.tb00094.x.
    .. [2] J. Abate, G. L. Choudhury and W. Whitt, "Exponential
       approximations for tail probabilities in queues, I: Waiting times,"
       *Oper. Res.*, vol. 43, no. 5, pp. 885-901, 1995,
       doi:10.1287/opre.43.5.885.

    Examples
    --------
    >>> round(gg_wait_quantile(0.5, 1.0, 0.95), 6)  # = mm1_wait_quantile(0.5, 1, 0.95)
    4.60517
    """
    pw = v.fraction(prob_wait, "prob_wait")
    w = v.nonnegative(mean_wait, "mean_wait")
    qq = _prob_level(q)
    pw, w, qq = v.broadcast(("prob_wait", pw), ("mean_wait", w), ("q", qq))
    with np.errstate(all="ignore"):
        t = w / pw * (np.log(pw) - np.log1p(-qq))
        t = np.where(pw > 1.0 - qq, t, 0.0)
    return _out(t)


# --------------------------------------------------------------------------
# batching
# --------------------------------------------------------------------------
def batch_service_rate(batch, time_per_step):
    r"""Token throughput of a decoder that advances a batch one token per step.

    Parameters
    ----------
    batch : int or array_like
        Number of sequences decoded together :math:`B`, whole number >= 1. [-]
    time_per_step : float or array_like
        Time of one decode step at that batch size, i.e. the time per output
        token (TPOT) seen by each sequence, :math:`\mathrm{TPOT}(B)`, > 0. [s]

    Returns
    -------
    rate : float or ndarray
        Aggregate output-token throughput :math:`B/\mathrm{TPOT}(B)`.
        [token s^-1]

    Notes
    -----
    In iteration-level (continuous) batching every running sequence emits
    one token per forward step [1]_, so

    .. math:: r(B) = \frac{B}{\mathrm{TPOT}(B)} .

    Divide by the mean number of output tokens per request to get a
    request service rate :math:`\mu` [s^-1] for the queueing functions in
    this module. TPOT grows with :math:`B` (memory-bandwidth bound at small
    :math:`B`, compute bound at large :math:`B`); pass the TPOT measured or
    modelled *at* that batch size.

    References
    ----------
    .. [1] W. Kwon et al., "Efficient memory management for large language
       model serving with PagedAttention," in *Proc. 29th ACM Symp.
       Operating Systems Principles (SOSP)*, 2023, pp. 611-626,
       doi:10.1145/3600006.3613165.

    Examples
    --------
    >>> batch_service_rate(8, 0.02)
    400.0
    """
    b = v.integer(batch, "batch", minimum=1)
    tpot = _pos(time_per_step, "time_per_step")
    b, tpot = v.broadcast(("batch", b), ("time_per_step", tpot))
    with np.errstate(over="ignore"):
        return _out(b / tpot)
