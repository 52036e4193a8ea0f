r"""Two-moment approximations: Kingman (G/G/1), Allen-Cunneen (G/G/c), M/G/c wait, exponential-tail quantile."""
from __future__ import annotations

import numpy as np

from .. import _validate as v
from .base import QueueWait, _out, _pos, _prob_level, _rate, _scv, _servers
from .erlang import _erlang_c
from .markovian import _mmc_args
from .mg1 import _pk

__all__ = ["kingman_mean_wait", "allen_cunneen_mean_wait", "mgc_wait", "gg_wait_quantile"]


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

