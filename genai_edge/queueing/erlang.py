r"""Erlang B (M/M/c/c blocking) and Erlang C (M/M/c probability of waiting)."""
from __future__ import annotations

import numpy as np

from .. import _validate as v
from .base import _out, _servers

__all__ = ["erlang_b", "erlang_c"]


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

