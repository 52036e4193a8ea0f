r"""Network latency as sympy expressions: propagation, serialization, processing, uplink, streaming.

Each closed form of :mod:`genai_edge.network` is stated once here and
registered as a :class:`~genai_edge.symbolic.base.Formula`. Where the numpy
function takes a quantity as an argument (route factor, signal speed, bytes
per token) the expression has a symbol for it; where the function fixes it
(the fibre speed in :func:`~genai_edge.network.one_way_delay` and
:func:`~genai_edge.network.round_trip_time`) the expression carries the
exact number :math:`c_0 / n_g` from :mod:`genai_edge.units`.

References
----------
.. [1] J. F. Kurose and K. W. Ross, *Computer Networking: A Top-Down
   Approach*, 8th ed. Hoboken, NJ, USA: Pearson, 2021, Sec. 1.4.
.. [2] C. E. Shannon, "A mathematical theory of communication," *Bell Syst.
   Tech. J.*, vol. 27, no. 3, pp. 379-423, 1948,
   doi:10.1002/j.1538-7305.1948.tb01338.x.
"""
from __future__ import annotations

import sympy as sp

from .. import network as net
from .. import units
from .base import Formula, fraction, positive, register, whole

__all__ = ["SPEED_IN_FIBRE", "BITS_PER_BYTE"]

#: Signal speed in silica fibre, c0 / n_g, exact in the values of :mod:`genai_edge.units`. [m s^-1]
SPEED_IN_FIBRE = sp.Integer(int(units.speed_of_light)) / sp.Rational(str(units.fibre_refractive_index))
#: Bits per byte (sizes given in bytes are converted to bits on the wire). [bit]
BITS_PER_BYTE = sp.Integer(int(units.byte))

_KUROSE = ("J. F. Kurose and K. W. Ross, Computer Networking: A Top-Down Approach, 8th ed., "
           "Pearson, 2021, Sec. 1.4")
_FIBRE = "Corning SMF-28 Ultra product information sheet PI1424 (group index 1.4676 at 1310 nm)"
_SSE = "WHATWG HTML Living Standard, Sec. 9.2 Server-sent events"

# symbols shared by the formulas below
d = sp.Symbol("d", positive=True)                 # great-circle distance [m]
k_route = sp.Symbol("k_route", positive=True)     # route factor [-]
v = sp.Symbol("v", positive=True)                 # signal speed [m s^-1]
L = sp.Symbol("L", positive=True)                 # message size [bit]
R = sp.Symbol("R", positive=True)                 # data rate [bit s^-1]
h = sp.Symbol("h", integer=True, nonnegative=True)  # hops [-]
t_hop = sp.Symbol("t_hop", positive=True)         # per-hop delay [s]
B = sp.Symbol("B", positive=True)                 # bandwidth [Hz]
snr = sp.Symbol("SNR", positive=True)             # linear signal-to-noise ratio [-]
x_db = sp.Symbol("x_dB", real=True)               # power ratio [dB]
N_tok = sp.Symbol("N_tok", positive=True)         # tokens [-]
b_tok = sp.Symbol("b_tok", positive=True)         # bytes per prompt token [byte]
b_pay = sp.Symbol("b_payload", positive=True)     # payload [byte]
b_over = sp.Symbol("b_overhead", positive=True)   # protocol overhead [byte]
b_chunk = sp.Symbol("b_chunk", positive=True)     # bytes per streamed token [byte]

_t = {name: sp.Symbol(name, positive=True) for name in
      ("t_prop", "t_ser", "t_proc", "t", "RTT", "t_up", "Delta_t_net", "t_stream")}
C_cap = sp.Symbol("C", positive=True)
x_lin = sp.Symbol("x", positive=True)

# domains: a route of 1 m to 20,000 km, links from 1 kbit/s to 1 Tbit/s
_DISTANCE = positive(1.0, 2e7)
_ROUTE = fraction(1.0, 3.0)
_SPEED = fraction(1e8, units.speed_of_light)
_SIZE = positive(1.0, 1e12)
_RATE = positive(1e3, 1e12)
_HOPS = whole(0, 64)
_HOP_DELAY = positive(1e-7, 1e-1)

_prop = d * k_route / v
_proc = h * t_hop
_ser = L / R

register(Formula(
    name="propagation_delay", lhs=_t["t_prop"], rhs=_prop, args=(d, k_route, v),
    numeric=net.propagation_delay,
    domain={d: _DISTANCE, k_route: _ROUTE, v: _SPEED},
    units={_t["t_prop"]: "s", d: "m", k_route: "-", v: "m s^-1"},
    source=f"{_KUROSE}; {_FIBRE}",
    note="Route length is the great-circle distance times the route factor (default 1.5); "
         "the signal travels at v, by default c0/1.467 in silica fibre."))

register(Formula(
    name="serialization_delay", lhs=_t["t_ser"], rhs=_ser, args=(L, R),
    numeric=net.serialization_delay,
    domain={L: _SIZE, R: _RATE},
    units={_t["t_ser"]: "s", L: "bit", R: "bit s^-1"},
    source=_KUROSE,
    note="All L bits leave at the link rate R; an empty message takes no time at any rate."))

register(Formula(
    name="processing_delay", lhs=_t["t_proc"], rhs=_proc, args=(h, t_hop),
    numeric=net.processing_delay,
    domain={h: _HOPS, t_hop: _HOP_DELAY},
    units={_t["t_proc"]: "s", h: "-", t_hop: "s"},
    source=_KUROSE,
    note="Every one of the h routers adds the same processing (and mean queueing) delay."))

register(Formula(
    name="one_way_delay", lhs=_t["t"],
    rhs=_prop.subs(v, SPEED_IN_FIBRE) + _ser + _proc,
    args=(L, R, d, k_route, h, t_hop),
    numeric=net.one_way_delay,
    domain={L: _SIZE, R: _RATE, d: _DISTANCE, k_route: _ROUTE, h: _HOPS, t_hop: _HOP_DELAY},
    units={_t["t"]: "s", L: "bit", R: "bit s^-1", d: "m", k_route: "-", h: "-", t_hop: "s"},
    source=_KUROSE,
    note="Propagation in fibre at c0/1.467 plus one serialization at the bottleneck rate plus "
         "processing at every hop; no store-and-forward and no queueing."))

register(Formula(
    name="round_trip_time", lhs=_t["RTT"],
    rhs=2 * (_prop.subs(v, SPEED_IN_FIBRE) + _proc),
    args=(d, k_route, h, t_hop),
    numeric=net.round_trip_time,
    domain={d: _DISTANCE, k_route: _ROUTE, h: _HOPS, t_hop: _HOP_DELAY},
    units={_t["RTT"]: "s", d: "m", k_route: "-", h: "-", t_hop: "s"},
    source=_KUROSE,
    note="A ping-sized packet (serialization neglected) over a symmetric fibre path, there and back."))

register(Formula(
    name="shannon_rate", lhs=C_cap, rhs=B * sp.log(1 + snr, 2), args=(B, snr),
    numeric=net.shannon_rate,
    domain={B: positive(1e3, 1e10), snr: positive(1e-3, 1e6)},
    units={C_cap: "bit s^-1", B: "Hz", snr: "-"},
    source="C. E. Shannon, Bell Syst. Tech. J. 27(3), 379-423, 1948, doi:10.1002/j.1538-7305.1948.tb01338.x",
    note="Capacity of a band-limited channel with additive white Gaussian noise, SNR as a linear ratio."))

register(Formula(
    name="db_to_linear", lhs=x_lin, rhs=10 ** (x_db / 10), args=(x_db,),
    numeric=net.db_to_linear,
    domain={x_db: fraction(-100.0, 100.0)},
    units={x_lin: "-", x_db: "dB"},
    source="ITU-R Recommendation V.574-5, Use of the decibel and the neper in telecommunications, 2015",
    note="A power ratio in decibels is ten times its base-10 logarithm."))

register(Formula(
    name="uplink_time", lhs=_t["t_up"],
    rhs=BITS_PER_BYTE * (N_tok * b_tok + b_pay + b_over) / R,
    args=(N_tok, R, b_tok, b_pay, b_over),
    numeric=net.uplink_time,
    domain={N_tok: positive(1.0, 1e6), R: _RATE, b_tok: fraction(1.0, 16.0),
            b_pay: positive(1.0, 1e8), b_over: positive(1.0, 1e4)},
    units={_t["t_up"]: "s", N_tok: "-", R: "bit s^-1", b_tok: "byte", b_pay: "byte", b_over: "byte"},
    source=f"{_KUROSE}; OpenAI Help Center, What are tokens and how to count them? (1 token ~ 4 chars)",
    note="The request (prompt text, payload and protocol overhead, in bytes) is serialized once at the "
         "uplink rate; defaults 4 bytes per token and 1,000 bytes of overhead; propagation not included."))

register(Formula(
    name="token_stream_interval", lhs=_t["Delta_t_net"], rhs=BITS_PER_BYTE * b_chunk / R,
    args=(R, b_chunk),
    numeric=net.token_stream_interval,
    domain={R: _RATE, b_chunk: positive(1.0, 1e4)},
    units={_t["Delta_t_net"]: "s", R: "bit s^-1", b_chunk: "byte"},
    source=_SSE,
    note="One server-sent-event chunk per streamed token (default 200 bytes), serialized at the downlink rate."))

register(Formula(
    name="stream_time", lhs=_t["t_stream"], rhs=N_tok * BITS_PER_BYTE * b_chunk / R,
    args=(N_tok, R, b_chunk),
    numeric=net.stream_time,
    domain={N_tok: positive(1.0, 1e6), R: _RATE, b_chunk: positive(1.0, 1e4)},
    units={_t["t_stream"]: "s", N_tok: "-", R: "bit s^-1", b_chunk: "byte"},
    source=_SSE,
    note="N_tok chunks, one per token, serialized back to back at the downlink rate; network lower bound only."))
