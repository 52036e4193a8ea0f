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

Modules
-------
=========================  ===============================================
:mod:`.base`               argument checks, :func:`utilization`, :class:`QueueWait`
:mod:`.erlang`             Erlang B and C, bounded cost for any server count
:mod:`.markovian`          M/M/1 and M/M/c (exact)
:mod:`.mg1`                M/G/1 and M/D/1 (exact)
:mod:`.approximations`     Kingman, Allen-Cunneen, M/G/c, exponential-tail quantile
:mod:`.batching`           throughput of a batched decoder
=========================  ===============================================
"""
from __future__ import annotations

from .approximations import _mgc_tail, allen_cunneen_mean_wait, gg_wait_quantile, kingman_mean_wait, mgc_wait  # noqa: F401
from .base import QueueWait, utilization
from .batching import batch_service_rate
from .erlang import erlang_b, erlang_c
from .markovian import (
    mm1_mean_response,
    mm1_mean_wait,
    mm1_response_quantile,
    mm1_wait_quantile,
    mmc_mean_response,
    mmc_mean_wait,
    mmc_response_quantile,
    mmc_wait,
    mmc_wait_quantile,
)
from .mg1 import md1_mean_wait, md1_response_quantile, md1_wait_cdf, md1_wait_quantile, mg1_mean_wait

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
