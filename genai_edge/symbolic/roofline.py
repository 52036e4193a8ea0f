r"""The roofline and the work of a transformer pass as sympy expressions, and the ridge-point batch.

States the building blocks of :mod:`genai_edge.compute` once:
:func:`~genai_edge.compute.roofline_time`, the FLOPs of prefill and decode,
the weight and KV-cache footprint, and derives the batch at which a decode
step turns compute-bound (:func:`derive_ridge_batch`), the closed form of
:func:`~genai_edge.compute.decode_ridge_batch`.

References
----------
.. [1] S. Williams, A. Waterman and D. Patterson, "Roofline: an insightful
   visual performance model for multicore architectures," *Commun. ACM*,
   vol. 52, no. 4, pp. 65-76, 2009, doi:10.1145/1498765.1498785.
.. [2] J. Kaplan et al., "Scaling laws for neural language models," 2020,
   Sec. 2.1, arXiv:2001.08361.
.. [3] J. Ainslie et al., "GQA: training generalized multi-query
   transformer models from multi-head checkpoints," EMNLP 2023,
   arXiv:2305.13245.
"""
from __future__ import annotations

import numpy as np
import sympy as sp

from .. import compute
from .base import Formula, fraction, positive, register, whole

__all__ = ["derive_ridge_batch", "ridge_denominator"]

_WILLIAMS = ("S. Williams, A. Waterman and D. Patterson, Roofline: an insightful visual performance model "
             "for multicore architectures, Commun. ACM 52(4), 65-76, 2009, doi:10.1145/1498765.1498785")
_KAPLAN = "J. Kaplan et al., Scaling laws for neural language models, 2020, Sec. 2.1, arXiv:2001.08361"
_AINSLIE = "J. Ainslie et al., GQA, EMNLP 2023, arXiv:2305.13245"

# roofline
F = sp.Symbol("F", nonnegative=True)        # FLOPs [FLOP]
Q = sp.Symbol("Q", nonnegative=True)        # bytes moved [byte]
P = sp.Symbol("P", positive=True)           # peak throughput [FLOP s^-1]
BW = sp.Symbol("BW", positive=True)         # memory bandwidth [byte s^-1]
eta_F = sp.Symbol("eta_F", positive=True)   # achieved fraction of P [-]
eta_W = sp.Symbol("eta_W", positive=True)   # achieved fraction of BW [-]
# transformer shape and work
N = sp.Symbol("N", positive=True)             # parameters in the per-token matrix products [-]
N_head = sp.Symbol("N_head", positive=True)   # LM-head parameters [-]
n_L = sp.Symbol("L", integer=True, positive=True)       # layers [-]
d_attn = sp.Symbol("d_attn", integer=True, positive=True)  # query heads x head dim [-]
h_kv = sp.Symbol("h_kv", integer=True, positive=True)   # key/value heads [-]
d_head = sp.Symbol("d_head", integer=True, positive=True)  # head dimension [-]
s = sp.Symbol("s", integer=True, nonnegative=True)      # prompt tokens [token]
n_ctx = sp.Symbol("n_ctx", integer=True, nonnegative=True)  # context tokens [token]
b = sp.Symbol("b", positive=True)             # batch [-]
bits = sp.Symbol("bits", positive=True)       # bits per weight or cached element [bit]
# ridge point
W_b = sp.Symbol("W_b", nonnegative=True)      # weight bytes per step [byte]
K = sp.Symbol("K", nonnegative=True)          # KV bytes per sequence per step [byte]
f = sp.Symbol("f", nonnegative=True)          # FLOPs per sequence per step [FLOP]

t = sp.Symbol("t", positive=True)
F_out = sp.Symbol("F_pass", nonnegative=True)
M_out = sp.Symbol("M", nonnegative=True)
b_star = sp.Symbol("b^*", positive=True)

#: The ridge-point denominator f·BW·η_W − K·P·η_F: the batch turns compute-bound only where it is positive.
ridge_denominator = f * BW * eta_W - K * P * eta_F


def derive_ridge_batch() -> sp.Expr:
    r"""Batch :math:`b^*` at which the compute and memory terms of a decode step are equal.

    Returns
    -------
    sympy.Expr
        :math:`b^* = W_b P \eta_F / (f\,BW\,\eta_W - K P \eta_F)`, meaningful
        where :data:`ridge_denominator` is positive; elsewhere every batch
        is memory-bound.

    Notes
    -----
    One step of batch :math:`b` does :math:`b f` FLOPs and moves the weights
    once plus each sequence's KV cache, :math:`W_b + b K` bytes; the step is
    compute-bound once :math:`b f/(P\eta_F) \ge (W_b + bK)/(BW\,\eta_W)`
    (Williams et al. 2009). The equality is linear in :math:`b`.
    """
    batch = sp.Symbol("b_batch", positive=True)
    root, = sp.solve(sp.Eq(batch * f / (P * eta_F), (W_b + batch * K) / (BW * eta_W)), batch)
    return root


_RATE_F = positive(1e9, 1e16)
_RATE_W = positive(1e9, 1e13)
_ETA = fraction(0.05, 1.0)
_PARAMS = positive(1e6, 1e12)
_LAYERS = whole(1, 128)
_DIM = whole(64, 16384)
_TOKENS = whole(0, 32768)
_BATCH = whole(1, 512)

register(Formula(
    name="roofline_time", lhs=t, rhs=sp.Max(F / (P * eta_F), Q / (BW * eta_W)),
    args=(F, Q, P, BW, eta_F, eta_W), numeric=compute.roofline_time,
    domain={F: positive(1.0, 1e18), Q: positive(1.0, 1e13), P: _RATE_F, BW: _RATE_W, eta_F: _ETA, eta_W: _ETA},
    units={t: "s", F: "FLOP", Q: "byte", P: "FLOP s^-1", BW: "byte s^-1", eta_F: "-", eta_W: "-"},
    source=_WILLIAMS,
    note="Compute and memory traffic overlap perfectly: the slower of the two sets the time."))

register(Formula(
    name="prefill_flops", lhs=F_out,
    rhs=b * (2 * N * s + sp.Piecewise((2 * N_head, s > 0), (0, True))
             + 2 * n_L * d_attn * (s ** 2 + 2 * s * n_ctx)),
    args=(N, N_head, n_L, d_attn, s, n_ctx, b), numeric=compute.prefill_flops,
    domain={N: _PARAMS, N_head: positive(1e6, 1e10), n_L: _LAYERS, d_attn: _DIM, s: _TOKENS, n_ctx: _TOKENS,
            b: _BATCH},
    units={F_out: "FLOP", N: "-", N_head: "-", n_L: "-", d_attn: "-", s: "token", n_ctx: "token", b: "-"},
    source=_KAPLAN,
    note="Two FLOPs per parameter per prompt token, the LM head once for the last prompt token (none for an "
         "empty prompt), causal attention over the context and the prompt so far (the s/2 term dropped)."))

register(Formula(
    name="decode_flops", lhs=F_out, rhs=b * (2 * N + 4 * n_L * d_attn * n_ctx),
    args=(N, n_L, d_attn, n_ctx, b), numeric=compute.decode_flops,
    domain={N: _PARAMS, n_L: _LAYERS, d_attn: _DIM, n_ctx: _TOKENS, b: _BATCH},
    units={F_out: "FLOP", N: "-", n_L: "-", d_attn: "-", n_ctx: "token", b: "-"},
    source=_KAPLAN,
    note="One new token per sequence: two FLOPs per matrix-product parameter (LM head included) plus "
         "QK^T and AV over n_ctx cached tokens in every layer."))

register(Formula(
    name="weights_bytes", lhs=M_out, rhs=N * bits / 8, args=(N, bits), numeric=compute.weights_bytes,
    domain={N: _PARAMS, bits: fraction(1.0, 32.0)},
    units={M_out: "byte", N: "-", bits: "bit"},
    source="S. Williams et al. 2009 (bytes moved per pass); storage per weight including block scales",
    note="Every stored parameter takes the same number of bits, block scales included."))

register(Formula(
    name="kv_cache_bytes", lhs=M_out, rhs=2 * n_L * h_kv * d_head * n_ctx * b * bits / 8,
    args=(n_L, h_kv, d_head, n_ctx, b, bits), numeric=compute.kv_cache_bytes,
    domain={n_L: _LAYERS, h_kv: whole(1, 128), d_head: whole(32, 256), n_ctx: _TOKENS, b: _BATCH,
            bits: whole(4, 32)},
    units={M_out: "byte", n_L: "-", h_kv: "-", d_head: "-", n_ctx: "token", b: "-", bits: "bit"},
    source=_AINSLIE,
    note="A key and a value vector per layer, key/value head and cached token (grouped-query attention: "
         "h_kv heads), for each sequence of the batch."))


def _ridge_defined(w_, k_, f_, p_, bw_, ef_, ew_):
    with np.errstate(all="ignore"):
        return f_ * bw_ * ew_ - k_ * p_ * ef_ > 0


register(Formula(
    name="decode_ridge_batch", lhs=b_star,
    rhs=sp.Piecewise((derive_ridge_batch(), ridge_denominator > 0), (sp.oo, True)),
    args=(W_b, K, f, P, BW, eta_F, eta_W), numeric=compute.decode_ridge_batch,
    domain={W_b: positive(1e6, 1e12), K: positive(1e3, 1e10), f: positive(1e8, 1e13), P: _RATE_F, BW: _RATE_W,
            eta_F: _ETA, eta_W: _ETA},
    units={b_star: "-", W_b: "byte", K: "byte", f: "FLOP", P: "FLOP s^-1", BW: "byte s^-1", eta_F: "-",
           eta_W: "-"},
    source=_WILLIAMS, constraint=_ridge_defined,
    note="A decode step of batch b reads the weights once and each sequence's KV cache; it turns compute-bound "
         "where b f/(P eta_F) reaches (W_b + b K)/(BW eta_W); no crossover (inf) where the arithmetic intensity "
         "f/K of one sequence does not exceed the machine balance P eta_F/(BW eta_W)."))
