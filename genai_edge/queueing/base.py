r"""Argument checks, utilisation and the wait-distribution type shared by every queue family."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _validate as v

__all__ = ["utilization", "QueueWait"]


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

