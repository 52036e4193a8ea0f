r"""Throughput of a batched decoder."""
from __future__ import annotations

import numpy as np

from .. import _validate as v
from .base import _out, _pos

__all__ = ["batch_service_rate"]


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
