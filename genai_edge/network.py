"""Network latency: propagation, serialization, processing, prompt upload and token streaming.

Small, pure, vectorised closed forms. Every function takes scalars or numpy
arrays (broadcast together) in SI units and returns a Python float for scalar
input, an ndarray otherwise. Bad arguments raise ``ValueError`` naming the
argument; values that are valid but make a quantity unbounded (a zero rate)
return ``inf``.

Glossary (used consistently by every function):

=================  ============================================  ===============
name               meaning                                       unit
=================  ============================================  ===============
distance           great-circle (straight-line) distance         [m]
route_factor       route length / great-circle distance          [-]
speed              signal speed in the medium                    [m s^-1]
size               amount of data to send                        [bit]
rate               link data rate (throughput)                   [bit s^-1]
hops               number of routers/switches on the path        [-]
per_hop_delay      processing (+ mean queueing) delay per hop    [s]
=================  ============================================  ===============

Access-network presets (5G, LTE, Wi-Fi, fixed broadband) live in
``genai_edge/data/networks.csv`` and are read lazily by :func:`access_network`.
"""
from __future__ import annotations

import csv
import difflib
import functools
import importlib.resources
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _validate as v
from . import units

__all__ = [
    "DEFAULT_ROUTE_FACTOR",
    "DEFAULT_BYTES_PER_TOKEN",
    "DEFAULT_REQUEST_OVERHEAD_BYTES",
    "DEFAULT_STREAM_CHUNK_BYTES",
    "propagation_delay",
    "serialization_delay",
    "shannon_rate",
    "db_to_linear",
    "processing_delay",
    "one_way_delay",
    "round_trip_time",
    "uplink_time",
    "token_stream_interval",
    "stream_time",
    "AccessNetwork",
    "access_network",
    "access_network_names",
]

#: ASSUMPTION: fibre routes are 1.5x the great-circle distance. Real routes
#: are longer than the great circle; 1.5-2x is a common planning factor
#: (Bozkurt et al. 2018, arXiv:1811.10737: median conduit paths 1.3x line of
#: sight, measured latencies 2.1x). 1.5 is the low end of that range, so the
#: default does not overstate distance penalties. Make it a parameter in
#: any study where it matters.
DEFAULT_ROUTE_FACTOR = 1.5

#: ASSUMPTION: 4 bytes of UTF-8 per prompt token. OpenAI's tokenizer guidance
#: gives "1 token ~= 4 chars in English" for its BPE tokenizers, and English
#: text is ~1 byte per character in UTF-8. Non-English text and code use more
#: bytes per token (several bytes per character, more tokens per word).
DEFAULT_BYTES_PER_TOKEN = 4.0

#: ASSUMPTION: 1,000 bytes of per-request protocol overhead (HTTP request line
#: and headers incl. an authorization token, JSON envelope with model name and
#: sampling parameters, HTTP/2 and TLS record framing). Such overheads are a
#: few hundred bytes to ~1 kB; the upper end is used so uplink time is not
#: understated. Connection set-up round trips (TCP/TLS handshakes) are *not*
#: bytes and are not included: a persistent connection is assumed.
DEFAULT_REQUEST_OVERHEAD_BYTES = 1000.0

#: ASSUMPTION: 200 bytes on the wire per streamed output token. Streaming APIs
#: send one server-sent-event (SSE) ``data: {...}\n\n`` JSON chunk per token;
#: an OpenAI-style ``chat.completion.chunk`` carrying one short token counts
#: roughly 150-260 bytes depending on optional fields (id, model,
#: system_fingerprint, logprobs), before HTTP/2 (9-byte frame header) and TLS
#: record framing. 200 bytes is a round mid value.
DEFAULT_STREAM_CHUNK_BYTES = 200.0


# --------------------------------------------------------------------------
# argument checks not covered by _validate
# --------------------------------------------------------------------------
def _at_least(value, name: str, minimum: float, why: str = "") -> np.ndarray:
    arr = v.as_float(value, name)
    bad = arr < minimum
    if bad.any():
        raise ValueError(f"{name} must be >= {minimum:g}{why}, got {v.show(arr[bad])}")
    return arr


def _at_most(arr: np.ndarray, name: str, maximum: float, why: str = "") -> np.ndarray:
    bad = arr > maximum
    if bad.any():
        raise ValueError(f"{name} must be <= {maximum:g}{why}, got {v.show(arr[bad])}")
    return arr


def _out(result) -> float | np.ndarray:
    """Python float for 0-d results, ndarray otherwise; -0.0 normalised to 0.0."""
    return v.scalar_or_array(np.asarray(result, dtype=float) + 0.0)


# --------------------------------------------------------------------------
# elementary delays
# --------------------------------------------------------------------------
def propagation_delay(distance, route_factor=DEFAULT_ROUTE_FACTOR, speed=units.speed_in_fibre):
    r"""One-way propagation delay of a signal over a fibre route.

    Parameters
    ----------
    distance : float or array_like
        Great-circle distance between the end points, >= 0 (``inf`` allowed). [m]
    route_factor : float or array_like, default 1.5
        Route length divided by great-circle distance, >= 1. The default 1.5
        is an ASSUMPTION (common planning factor 1.5-2). Pass 1 if
        ``distance`` is already the route length. [-]
    speed : float or array_like, default ``units.speed_in_fibre``
        Signal speed in the medium, > 0, finite and not above the speed of
        light in vacuum. Default c/1.467 ~ 2.04e8 (silica fibre). [m s^-1]

    Returns
    -------
    float or numpy.ndarray
        One-way propagation delay. [s]

    Notes
    -----
    .. math:: t_{prop} = \frac{d \, k_{route}}{v}, \qquad v = c / n_g

    with group index :math:`n_g \approx 1.467` for standard single-mode
    fibre [1]_, i.e. about 4.9 µs per km of route one way.

    References
    ----------
    .. [1] Corning Inc., "Corning SMF-28 Ultra optical fiber," product
       information sheet PI1424, effective group index of refraction
       1.4676 at 1310 nm and 1.4682 at 1550 nm.

    Examples
    --------
    >>> from genai_edge import units as u
    >>> round(propagation_delay(1000 * u.km, route_factor=1) / u.ms, 2)
    4.89
    """
    d = v.nonnegative(distance, "distance")
    k = _at_least(route_factor, "route_factor", 1.0,
                  " (a route is never shorter than the great-circle distance)")
    if np.isinf(k).any():
        raise ValueError("route_factor must be finite")
    s = v.positive(speed, "speed", allow_inf=False)
    _at_most(s, "speed", units.speed_of_light, " (the speed of light in vacuum)")
    v.broadcast(("distance", d), ("route_factor", k), ("speed", s))
    with np.errstate(over="ignore"):
        return _out(d * k / s)


def serialization_delay(size, rate):
    r"""Time to put ``size`` bits onto a link of data rate ``rate``.

    Also called transmission delay.

    Parameters
    ----------
    size : float or array_like
        Amount of data, >= 0 and finite. [bit]
    rate : float or array_like
        Link data rate, >= 0 (``inf`` allowed: an ideal link). [bit s^-1]

    Returns
    -------
    float or numpy.ndarray
        Serialization delay; ``inf`` where ``rate == 0`` and ``size > 0``;
        0 where ``size == 0`` (nothing to send), whatever the rate. [s]

    Notes
    -----
    .. math:: t_{ser} = \frac{L}{R}

    for a message of :math:`L` bits on a link of :math:`R` bit/s [1]_.

    References
    ----------
    .. [1] J. F. Kurose and K. W. Ross, *Computer Networking: A Top-Down
       Approach*, 8th ed. Hoboken, NJ, USA: Pearson, 2021, Sec. 1.4.
    """
    L = v.nonnegative(size, "size", allow_inf=False)
    R = v.nonnegative(rate, "rate") + 0.0  # -0.0 -> +0.0 so 1/R is +inf, not -inf
    v.broadcast(("size", L), ("rate", R))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t = np.where(L == 0, 0.0, L / R)
    return _out(t)


def shannon_rate(bandwidth, snr):
    r"""Shannon capacity of an AWGN channel.

    Parameters
    ----------
    bandwidth : float or array_like
        Channel bandwidth, >= 0 and finite. [Hz]
    snr : float or array_like
        Signal-to-noise power ratio as a *linear* ratio, >= 0 and finite
        (convert from dB with :func:`db_to_linear`). [-]

    Returns
    -------
    float or numpy.ndarray
        Channel capacity, the upper bound on the error-free data rate. [bit s^-1]

    Notes
    -----
    .. math:: C = B \log_2(1 + \mathrm{SNR})

    [1]_. Practical links reach a fraction of :math:`C` (coding, control
    overhead, MIMO layers change the prefactor).

    References
    ----------
    .. [1] C. E. Shannon, "A mathematical theory of communication," *Bell
       Syst. Tech. J.*, vol. 27, no. 3, pp. 379-423, Jul. 1948.

    Examples
    --------
    >>> round(shannon_rate(20e6, db_to_linear(20)) / 1e6, 1)
    133.2
    """
    B = v.nonnegative(bandwidth, "bandwidth", allow_inf=False)
    snr_ = v.nonnegative(snr, "snr", allow_inf=False)
    v.broadcast(("bandwidth", B), ("snr", snr_))
    with np.errstate(over="ignore"):
        return _out(B * np.log2(1.0 + snr_))


def db_to_linear(db):
    r"""Convert a power ratio from decibels to a linear ratio.

    Parameters
    ----------
    db : float or array_like
        Power ratio in decibels, any real number (``-inf`` gives 0). [dB]

    Returns
    -------
    float or numpy.ndarray
        Linear power ratio; overflows to ``inf`` above ~3,080 dB. [-]

    Notes
    -----
    .. math:: x = 10^{x_{dB}/10}

    the decibel as ten times the base-10 logarithm of a power ratio [1]_.

    References
    ----------
    .. [1] ITU-R, "Use of the decibel and the neper in telecommunications,"
       Recommendation ITU-R V.574-5, Geneva, Switzerland, 2015.
    """
    x = v.as_float(db, "db")
    with np.errstate(over="ignore"):
        return _out(np.power(10.0, x / 10.0))


def processing_delay(hops, per_hop_delay):
    r"""Total nodal processing delay over a path of ``hops`` routers.

    Parameters
    ----------
    hops : int or array_like
        Number of routers/switches on the path, a whole number >= 0. [-]
    per_hop_delay : float or array_like
        Processing (and, if wanted, mean queueing) delay per hop, >= 0 and
        finite. [s]

    Returns
    -------
    float or numpy.ndarray
        Total processing delay. [s]

    Notes
    -----
    .. math:: t_{proc} = h \, t_{hop}

    the nodal processing term of the per-hop delay decomposition [1]_.

    References
    ----------
    .. [1] J. F. Kurose and K. W. Ross, *Computer Networking: A Top-Down
       Approach*, 8th ed. Hoboken, NJ, USA: Pearson, 2021, Sec. 1.4.
    """
    h = v.integer(hops, "hops", minimum=0)
    t = v.nonnegative(per_hop_delay, "per_hop_delay", allow_inf=False)
    v.broadcast(("hops", h), ("per_hop_delay", t))
    with np.errstate(over="ignore"):
        return _out(h * t)


def one_way_delay(size, rate, distance, route_factor=DEFAULT_ROUTE_FACTOR, hops=0,
                  per_hop_delay=0.0):
    r"""One-way delay of a message: propagation + serialization + processing.

    Parameters
    ----------
    size : float or array_like
        Message size, >= 0 and finite. [bit]
    rate : float or array_like
        Bottleneck data rate, >= 0. [bit s^-1]
    distance : float or array_like
        Great-circle distance, >= 0. [m]
    route_factor : float or array_like, default 1.5
        Route length / great-circle distance, >= 1 (ASSUMPTION default). [-]
    hops : int or array_like, default 0
        Routers on the path, whole number >= 0. [-]
    per_hop_delay : float or array_like, default 0
        Processing delay per hop, >= 0. [s]

    Returns
    -------
    float or numpy.ndarray
        One-way delay; ``inf`` where ``rate == 0`` and ``size > 0``. [s]

    Notes
    -----
    .. math:: t = \frac{d \, k_{route}}{v} + \frac{L}{R} + h \, t_{hop}

    Store-and-forward at every hop and queueing are not modelled: the
    message is serialized once at the bottleneck rate [1]_.

    References
    ----------
    .. [1] J. F. Kurose and K. W. Ross, *Computer Networking: A Top-Down
       Approach*, 8th ed. Hoboken, NJ, USA: Pearson, 2021, Sec. 1.4.
    """
    t_prop = np.asarray(propagation_delay(distance, route_factor))
    t_ser = np.asarray(serialization_delay(size, rate))
    t_proc = np.asarray(processing_delay(hops, per_hop_delay))
    v.broadcast(("size", size), ("rate", rate), ("distance", distance), ("route_factor", route_factor),
                ("hops", hops), ("per_hop_delay", per_hop_delay))
    with np.errstate(over="ignore"):
        return _out(t_prop + t_ser + t_proc)


def round_trip_time(distance, route_factor=DEFAULT_ROUTE_FACTOR, hops=0, per_hop_delay=0.0):
    r"""Round-trip time of a negligible-size packet (a ping) over a fibre route.

    Parameters
    ----------
    distance : float or array_like
        Great-circle distance, >= 0. [m]
    route_factor : float or array_like, default 1.5
        Route length / great-circle distance, >= 1 (ASSUMPTION default). [-]
    hops : int or array_like, default 0
        Routers on the one-way path, whole number >= 0. [-]
    per_hop_delay : float or array_like, default 0
        Processing delay per hop, >= 0. [s]

    Returns
    -------
    float or numpy.ndarray
        Round-trip time. [s]

    Notes
    -----
    .. math:: RTT = 2 \left( \frac{d \, k_{route}}{v} + h \, t_{hop} \right)

    Serialization of a ping-sized packet is neglected; the return path is
    assumed symmetric [1]_.

    References
    ----------
    .. [1] J. F. Kurose and K. W. Ross, *Computer Networking: A Top-Down
       Approach*, 8th ed. Hoboken, NJ, USA: Pearson, 2021, Sec. 1.4.

    Examples
    --------
    London-New York, 5,570 km great circle, straight fibre:

    >>> from genai_edge import units as u
    >>> round(round_trip_time(5570 * u.km, route_factor=1) / u.ms, 1)
    54.5
    """
    t_prop = np.asarray(propagation_delay(distance, route_factor))
    t_proc = np.asarray(processing_delay(hops, per_hop_delay))
    v.broadcast(("distance", distance), ("route_factor", route_factor), ("hops", hops),
                ("per_hop_delay", per_hop_delay))
    with np.errstate(over="ignore"):
        return _out(2.0 * (t_prop + t_proc))


# --------------------------------------------------------------------------
# generative-AI request/response traffic
# --------------------------------------------------------------------------
def uplink_time(prompt_tokens, rate, bytes_per_token=DEFAULT_BYTES_PER_TOKEN, payload_bytes=0.0,
                overhead_bytes=DEFAULT_REQUEST_OVERHEAD_BYTES):
    r"""Time to serialize a prompt request (text tokens + optional payload) on the uplink.

    Parameters
    ----------
    prompt_tokens : float or array_like
        Number of prompt text tokens, >= 0 and finite (fractional values are
        allowed for averages). [-]
    rate : float or array_like
        Uplink data rate, >= 0. [bit s^-1]
    bytes_per_token : float or array_like, default 4
        Encoded text bytes per token, >= 0 and finite. ASSUMPTION: English
        text, ~4 characters per token for BPE tokenizers [1]_, ~1 byte per
        character in UTF-8. [byte]
    payload_bytes : float or array_like, default 0
        Extra payload as sent, e.g. a base64-encoded image (base64 adds
        one third to the raw size), >= 0 and finite. [byte]
    overhead_bytes : float or array_like, default 1000
        Per-request protocol overhead, >= 0 and finite. ASSUMPTION: HTTP/TLS
        headers, auth token and JSON envelope, a few hundred bytes to ~1 kB;
        the upper end is the default. [byte]

    Returns
    -------
    float or numpy.ndarray
        Serialization time of the request; ``inf`` where ``rate == 0``
        (the overhead makes every request non-empty unless it is set to 0). [s]

    Notes
    -----
    .. math:: t_{up} = \frac{8 \, (N_{tok} \, b_{tok} + b_{payload} + b_{overhead})}{R_{up}}

    Propagation and connection set-up round trips are not included: add
    :func:`one_way_delay` terms (with ``size=0``) for those.

    References
    ----------
    .. [1] OpenAI, "What are tokens and how to count them?," OpenAI Help
       Center. [Online]. Available: https://help.openai.com/en/articles/4936856
       ("1 token ~= 4 chars in English").
    """
    n = v.nonnegative(prompt_tokens, "prompt_tokens", allow_inf=False)
    b = v.nonnegative(bytes_per_token, "bytes_per_token", allow_inf=False)
    p = v.nonnegative(payload_bytes, "payload_bytes", allow_inf=False)
    o = v.nonnegative(overhead_bytes, "overhead_bytes", allow_inf=False)
    R = v.nonnegative(rate, "rate")
    v.broadcast(("prompt_tokens", n), ("rate", R), ("bytes_per_token", b), ("payload_bytes", p),
                ("overhead_bytes", o))
    with np.errstate(over="ignore"):
        size_bits = (n * b + p + o) * units.byte
    if np.isinf(size_bits).any():
        raise ValueError("prompt_tokens * bytes_per_token + payload_bytes + overhead_bytes "
                         "overflows; use a finite request size")
    return serialization_delay(size_bits, R)


def token_stream_interval(rate, bytes_per_token_message=DEFAULT_STREAM_CHUNK_BYTES):
    r"""Network pacing of a streamed response: time to send one token's chunk.

    Parameters
    ----------
    rate : float or array_like
        Downlink data rate, >= 0. [bit s^-1]
    bytes_per_token_message : float or array_like, default 200
        Bytes on the wire per streamed token (one server-sent-event JSON
        chunk per token), >= 0 and finite. ASSUMPTION: ~100-200+ bytes of
        JSON plus SSE/HTTP framing [1]_; 200 is the default. [byte]

    Returns
    -------
    float or numpy.ndarray
        Minimum interval between consecutive tokens imposed by the link;
        ``inf`` where ``rate == 0``. [s]

    Notes
    -----
    .. math:: \Delta t_{net} = \frac{8 \, b_{chunk}}{R_{down}}

    The user sees tokens every :math:`\max(\Delta t_{net}, TPOT)` where TPOT
    is the server's time per output token; at any broadband rate the network
    term is microseconds, far below TPOT.

    References
    ----------
    .. [1] WHATWG, "Server-sent events," in *HTML Living Standard*, Sec. 9.2.
       [Online]. Available: https://html.spec.whatwg.org/multipage/server-sent-events.html
    """
    R = v.nonnegative(rate, "rate")
    b = v.nonnegative(bytes_per_token_message, "bytes_per_token_message", allow_inf=False)
    v.broadcast(("rate", R), ("bytes_per_token_message", b))
    with np.errstate(over="ignore"):
        size_bits = b * units.byte
    if np.isinf(size_bits).any():
        raise ValueError("bytes_per_token_message overflows when converted to bits; "
                         "use a finite chunk size")
    return serialization_delay(size_bits, R)


def stream_time(output_tokens, rate, bytes_per_token_message=DEFAULT_STREAM_CHUNK_BYTES):
    r"""Network time to stream ``output_tokens`` tokens, one chunk per token.

    Parameters
    ----------
    output_tokens : float or array_like
        Number of streamed output tokens, >= 0 and finite. [-]
    rate : float or array_like
        Downlink data rate, >= 0. [bit s^-1]
    bytes_per_token_message : float or array_like, default 200
        Bytes on the wire per streamed token (ASSUMPTION, see
        :func:`token_stream_interval`). [byte]

    Returns
    -------
    float or numpy.ndarray
        Serialization time of the whole stream; ``inf`` where ``rate == 0``
        and ``output_tokens > 0``. [s]

    Notes
    -----
    .. math:: t_{stream} = N_{out} \, \frac{8 \, b_{chunk}}{R_{down}}

    This is the network lower bound only: the stream cannot finish before
    :math:`N_{out} \cdot TPOT` of generation, nor before one one-way delay
    after the first token. Add propagation separately [1]_.

    References
    ----------
    .. [1] WHATWG, "Server-sent events," in *HTML Living Standard*, Sec. 9.2.
       [Online]. Available: https://html.spec.whatwg.org/multipage/server-sent-events.html
    """
    n = v.nonnegative(output_tokens, "output_tokens", allow_inf=False)
    R = v.nonnegative(rate, "rate")
    b = v.nonnegative(bytes_per_token_message, "bytes_per_token_message", allow_inf=False)
    v.broadcast(("output_tokens", n), ("rate", R), ("bytes_per_token_message", b))
    with np.errstate(over="ignore"):
        size_bits = n * b * units.byte
    if np.isinf(size_bits).any():
        raise ValueError("output_tokens * bytes_per_token_message overflows; "
                         "use a finite stream size")
    return serialization_delay(size_bits, R)


# --------------------------------------------------------------------------
# access-network presets
# --------------------------------------------------------------------------
_STATUSES = {"P", "S", "D", "U", "A"}


@dataclass(frozen=True)
class AccessNetwork:
    """An access-network preset from ``data/networks.csv`` (SI units).

    Attributes
    ----------
    name : str
        Preset id, e.g. ``"5g"``.
    description : str
        What the row represents and what its latency means.
    downlink_rate : float
        Downlink data rate. [bit s^-1]
    uplink_rate : float
        Uplink data rate. [bit s^-1]
    one_way_latency : float
        One-way latency of the access segment. [s]
    status : str
        Evidence status: P primary source, S secondary copy, D derived,
        U unverified, A assumption.
    source : str
        Where the numbers come from.
    """

    name: str
    description: str
    downlink_rate: float
    uplink_rate: float
    one_way_latency: float
    status: str
    source: str


def _networks_csv_text() -> str:
    try:
        resource = importlib.resources.files("genai_edge") / "data" / "networks.csv"
        return resource.read_text(encoding="utf-8")
    except (NotADirectoryError, TypeError, ModuleNotFoundError, FileNotFoundError):
        # importlib.resources cannot resolve a namespace package (no
        # __init__.py) that also carries a setuptools editable path hook;
        # fall back to the file next to this module.
        return (Path(__file__).resolve().parent / "data" / "networks.csv").read_text(
            encoding="utf-8")


@functools.lru_cache(maxsize=1)
def _load_networks() -> dict[str, AccessNetwork]:
    table: dict[str, AccessNetwork] = {}
    for i, row in enumerate(csv.DictReader(io.StringIO(_networks_csv_text())), start=2):
        where = f"networks.csv line {i}"
        name = row["id"].strip().lower()
        status = row["status"].strip()
        source = row["source"].strip()
        if status not in _STATUSES:
            raise ValueError(f"{where}: status must be one of {sorted(_STATUSES)}, got {status!r}")
        if not source:
            raise ValueError(f"{where}: source must not be empty")
        values = [float(row[k]) for k in ("downlink_bps", "uplink_bps", "one_way_latency_s")]
        if any(not np.isfinite(x) or x < 0 for x in values):
            raise ValueError(f"{where}: rates and latency must be finite and >= 0")
        table[name] = AccessNetwork(name, row["description"].strip(), *values, status, source)
    return table


def access_network_names() -> tuple[str, ...]:
    """Return the ids of all access-network presets, in file order."""
    return tuple(_load_networks())


def access_network(name: str) -> AccessNetwork:
    """Return an access-network preset by id (case-insensitive).

    Parameters
    ----------
    name : str
        Preset id: one of :func:`access_network_names`, e.g. ``"5g"``,
        ``"5g-urllc"``, ``"lte"``, ``"wifi"``, ``"fixed"``.

    Returns
    -------
    AccessNetwork
        Rates in [bit s^-1], one-way latency in [s], with status and source.

    Raises
    ------
    KeyError
        If ``name`` is not a preset id; the message lists close matches and
        all available ids.
    ValueError
        If ``name`` is not a string.

    Notes
    -----
    The cellular rows' latencies are radio-only user-plane *requirements*
    (ITU-R M.2410, 3GPP TR 25.913), lower bounds that measured latencies
    exceed; the fixed and Wi-Fi rows are half measured round trips. See
    each row's ``description`` and ``source``.
    """
    if not isinstance(name, str):
        raise ValueError(f"name must be a string naming an access network, got {name!r}")
    table = _load_networks()
    key = name.strip().lower()
    if key in table:
        return table[key]
    close = difflib.get_close_matches(key, table, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(map(repr, close))}? " if close else ""
    raise KeyError(f"unknown access network {name!r}; {hint}available: {', '.join(table)}")
