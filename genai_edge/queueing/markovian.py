r"""Markovian queues: M/M/1 and M/M/c means, quantiles and wait distribution (exact)."""
from __future__ import annotations

import numpy as np

from .. import _validate as v
from .base import QueueWait, _out, _pos, _prob_level, _rate, _rho, _servers
from .erlang import _erlang_c

__all__ = ["mm1_mean_wait", "mm1_mean_response", "mm1_wait_quantile", "mm1_response_quantile",
           "mmc_mean_wait", "mmc_mean_response", "mmc_wait_quantile", "mmc_response_quantile",
           "mmc_wait"]


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

