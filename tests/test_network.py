"""Tests for genai_edge.network: shapes, edges, argument errors, published values, properties."""
from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from contract import assert_each_argument_accepts_arrays, assert_scalar_in_float_out
from hypothesis import given, settings
from hypothesis import strategies as st

from genai_edge import network as net
from genai_edge import units as u

CSV_PATH = Path(net.__file__).resolve().parent / "data" / "networks.csv"


# --------------------------------------------------------------------------
# call table: (function, valid scalar kwargs) for shape/type tests
# --------------------------------------------------------------------------
VALID = {
    net.propagation_delay: dict(distance=1e6, route_factor=1.5, speed=2e8),
    net.serialization_delay: dict(size=8e3, rate=1e6),
    net.shannon_rate: dict(bandwidth=20e6, snr=100.0),
    net.db_to_linear: dict(db=20.0),
    net.processing_delay: dict(hops=10, per_hop_delay=1e-4),
    net.one_way_delay: dict(size=8e3, rate=1e6, distance=1e6, route_factor=1.5, hops=10,
                            per_hop_delay=1e-4),
    net.round_trip_time: dict(distance=1e6, route_factor=1.5, hops=10, per_hop_delay=1e-4),
    net.uplink_time: dict(prompt_tokens=500, rate=20e6, bytes_per_token=4, payload_bytes=1e5,
                          overhead_bytes=1000),
    net.token_stream_interval: dict(rate=100e6, bytes_per_token_message=200),
    net.stream_time: dict(output_tokens=500, rate=100e6, bytes_per_token_message=200),
}
IDS = [f.__name__ for f in VALID]


@pytest.mark.parametrize("func", VALID, ids=IDS)
def test_scalar_in_python_float_out(func):
    assert assert_scalar_in_float_out(func, VALID[func]) >= 0


@pytest.mark.parametrize("func", VALID, ids=IDS)
def test_each_argument_accepts_arrays_elementwise(func):
    assert_each_argument_accepts_arrays(func, VALID[func])


@pytest.mark.parametrize("func", [f for f in VALID if len(VALID[f]) >= 2],
                         ids=[f.__name__ for f in VALID if len(VALID[f]) >= 2])
def test_broadcasting_column_times_row(func):
    kwargs = VALID[func]
    first, second = list(kwargs)[:2]
    col = np.array([[kwargs[first]], [kwargs[first] * 2]])
    row = np.array([kwargs[second], kwargs[second] * 3, kwargs[second] * 5])
    out = func(**{**kwargs, first: col, second: row})
    assert out.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            expected = func(**{**kwargs, first: col[i, 0], second: row[j]})
            assert out[i, j] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("func", [f for f in VALID if len(VALID[f]) >= 2],
                         ids=[f.__name__ for f in VALID if len(VALID[f]) >= 2])
def test_incompatible_shapes_raise_valueerror(func):
    kwargs = VALID[func]
    first, second = list(kwargs)[:2]
    with pytest.raises(ValueError, match="broadcast"):
        func(**{**kwargs, first: np.full(2, kwargs[first]), second: np.full(3, kwargs[second])})


# --------------------------------------------------------------------------
# bad arguments -> ValueError naming the argument
# --------------------------------------------------------------------------
BAD = [
    (net.propagation_delay, "distance", -1.0),
    (net.propagation_delay, "distance", float("nan")),
    (net.propagation_delay, "distance", "far"),
    (net.propagation_delay, "route_factor", 0.9),
    (net.propagation_delay, "route_factor", float("inf")),
    (net.propagation_delay, "speed", 0.0),
    (net.propagation_delay, "speed", 3.1e8),
    (net.propagation_delay, "speed", float("inf")),
    (net.serialization_delay, "size", -1.0),
    (net.serialization_delay, "size", float("inf")),
    (net.serialization_delay, "rate", -1.0),
    (net.serialization_delay, "rate", None),
    (net.shannon_rate, "bandwidth", -1.0),
    (net.shannon_rate, "snr", -0.5),
    (net.shannon_rate, "snr", float("inf")),
    (net.db_to_linear, "db", float("nan")),
    (net.db_to_linear, "db", "20 dB"),
    (net.processing_delay, "hops", 2.5),
    (net.processing_delay, "hops", -1),
    (net.processing_delay, "per_hop_delay", -1e-3),
    (net.one_way_delay, "size", -8.0),
    (net.one_way_delay, "rate", -1.0),
    (net.one_way_delay, "distance", -1.0),
    (net.one_way_delay, "route_factor", 0.5),
    (net.one_way_delay, "hops", 1.5),
    (net.one_way_delay, "per_hop_delay", -1.0),
    (net.round_trip_time, "distance", float("nan")),
    (net.round_trip_time, "route_factor", 0.0),
    (net.round_trip_time, "hops", -2),
    (net.round_trip_time, "per_hop_delay", float("inf")),
    (net.uplink_time, "prompt_tokens", -1),
    (net.uplink_time, "prompt_tokens", float("inf")),
    (net.uplink_time, "rate", -1.0),
    (net.uplink_time, "bytes_per_token", -4.0),
    (net.uplink_time, "payload_bytes", -1.0),
    (net.uplink_time, "overhead_bytes", float("nan")),
    (net.token_stream_interval, "rate", -1.0),
    (net.token_stream_interval, "bytes_per_token_message", -200.0),
    (net.stream_time, "output_tokens", -1.0),
    (net.stream_time, "rate", float("nan")),
    (net.stream_time, "bytes_per_token_message", float("inf")),
]


@pytest.mark.parametrize("func,arg,value", BAD,
                         ids=[f"{f.__name__}-{a}-{val!r}" for f, a, val in BAD])
def test_bad_argument_raises_valueerror_naming_it(func, arg, value):
    with pytest.raises(ValueError, match=arg):
        func(**{**VALID[func], arg: value})


def test_bad_value_inside_array_is_reported():
    with pytest.raises(ValueError, match="distance must be >= 0"):
        net.propagation_delay(np.array([1.0, -2.0, 3.0]))


def test_route_factor_message_says_what_is_allowed():
    with pytest.raises(ValueError, match=r"route_factor must be >= 1"):
        net.propagation_delay(1e3, route_factor=0.8)


# --------------------------------------------------------------------------
# edge cases
# --------------------------------------------------------------------------
def test_zero_rate_gives_inf():
    assert net.serialization_delay(1.0, 0.0) == math.inf
    assert net.one_way_delay(1.0, 0.0, 1e3) == math.inf
    assert net.uplink_time(10, 0.0) == math.inf
    assert net.token_stream_interval(0.0) == math.inf
    assert net.stream_time(10, 0.0) == math.inf


def test_zero_size_takes_no_time_even_at_zero_rate():
    assert net.serialization_delay(0.0, 0.0) == 0.0
    assert net.stream_time(0, 0.0) == 0.0
    assert net.uplink_time(0, 0.0, overhead_bytes=0) == 0.0


def test_zero_rate_mixed_array():
    out = net.serialization_delay(np.array([0.0, 8.0, 8.0]), np.array([0.0, 0.0, 8.0]))
    np.testing.assert_array_equal(out, [0.0, np.inf, 1.0])


def test_negative_zero_rate_is_zero_rate():
    assert net.serialization_delay(8.0, -0.0) == math.inf
    assert not math.copysign(1.0, net.propagation_delay(-0.0)) < 0


def test_infinite_rate_is_instantaneous():
    assert net.serialization_delay(1e9, math.inf) == 0.0


def test_zero_distance_gives_zero_delay():
    assert net.propagation_delay(0.0) == 0.0
    assert net.round_trip_time(0.0) == 0.0
    assert net.one_way_delay(0.0, 1e6, 0.0) == 0.0


def test_infinite_distance_gives_inf():
    assert net.propagation_delay(math.inf) == math.inf


def test_zero_hops_or_zero_delay():
    assert net.processing_delay(0, 1.0) == 0.0
    assert net.processing_delay(5, 0.0) == 0.0


def test_shannon_edges():
    assert net.shannon_rate(0.0, 1e3) == 0.0
    assert net.shannon_rate(1e6, 0.0) == 0.0
    # SNR = 1 (0 dB): exactly one bit per second per hertz
    assert net.shannon_rate(1e6, 1.0) == pytest.approx(1e6, rel=1e-15)


def test_db_to_linear_values():
    np.testing.assert_allclose(net.db_to_linear([0.0, 10.0, 20.0, -10.0, 3.0]),
                               [1.0, 10.0, 100.0, 0.1, 1.9952623149688795], rtol=1e-14)
    assert net.db_to_linear(-math.inf) == 0.0
    assert net.db_to_linear(1e6) == math.inf


def test_defaults_are_the_documented_assumptions():
    assert net.DEFAULT_ROUTE_FACTOR == 1.5
    assert net.DEFAULT_BYTES_PER_TOKEN == 4.0
    assert 300 <= net.DEFAULT_REQUEST_OVERHEAD_BYTES <= 1000
    assert 100 <= net.DEFAULT_STREAM_CHUNK_BYTES <= 260
    assert net.propagation_delay(1e6) == pytest.approx(1.5 * 1e6 / u.speed_in_fibre)


# --------------------------------------------------------------------------
# composition identities
# --------------------------------------------------------------------------
def test_one_way_delay_is_sum_of_parts():
    args = dict(size=1.2e6, rate=50e6, distance=800e3, route_factor=1.7, hops=12,
                per_hop_delay=50e-6)
    expected = (net.propagation_delay(800e3, 1.7) + net.serialization_delay(1.2e6, 50e6)
                + net.processing_delay(12, 50e-6))
    assert net.one_way_delay(**args) == pytest.approx(expected, rel=1e-15)


def test_rtt_is_twice_zero_size_one_way():
    ow = net.one_way_delay(0.0, 1e6, 2500e3, 1.3, 7, 1e-4)
    assert net.round_trip_time(2500e3, 1.3, 7, 1e-4) == pytest.approx(2 * ow, rel=1e-15)


def test_uplink_time_formula():
    # 1,000 tokens * 4 B + 50 kB image + 1 kB overhead = 55,000 B = 440,000 bit at 10 Mbit/s
    t = net.uplink_time(1000, 10 * u.Mbps, bytes_per_token=4, payload_bytes=50e3,
                        overhead_bytes=1000)
    assert t == pytest.approx(0.044, rel=1e-12)
    # default: 4 B/token and 1 kB overhead
    assert net.uplink_time(1000, 8e3) == pytest.approx((4000 + 1000) * 8 / 8e3)


def test_stream_time_is_tokens_times_interval():
    interval = net.token_stream_interval(20 * u.Mbps)
    assert interval == pytest.approx(200 * 8 / 20e6)
    assert net.stream_time(750, 20 * u.Mbps) == pytest.approx(750 * interval, rel=1e-12)


def test_stream_pacing_is_negligible_against_tpot_on_lte():
    # MLPerf Inference interactive TPOT 30-40 ms (mlcommons/inference, loadgen/mlperf.conf); the network pacing on a
    # 13 Mbit/s LTE downlink is ~0.1 ms, two orders of magnitude below.
    lte = net.access_network("lte")
    assert net.token_stream_interval(lte.downlink_rate) < 30e-3 / 100


# --------------------------------------------------------------------------
# published values
# --------------------------------------------------------------------------
def test_fibre_about_4_9_us_per_km():
    # Standard optics: c/1.467 -> ~4.9 us per km one way. Exact value 4.893 us;
    # 1 % tolerance covers the rounding of "4.9" and group-index spread
    # (1.4676-1.4682 across 1310-1550 nm).
    per_km = net.propagation_delay(1 * u.km, route_factor=1)
    assert per_km / u.us == pytest.approx(4.9, rel=0.01)
    assert per_km == pytest.approx(u.km / (u.speed_of_light / 1.467), rel=1e-12)


def test_london_new_york_pure_fibre_floor():
    # London-New York great circle ~5,570 km. Straight fibre: RTT = 2 d / v
    # = 54.5 ms, the "~55 ms" pure-fibre floor. Tolerance 2 %: great-circle
    # distance quoted to 3 significant figures (+-0.1 %) and group index
    # 1.467 vs 1.468 (+-0.1 %); 2 % leaves room for the "~55" rounding.
    rtt = net.round_trip_time(5570 * u.km, route_factor=1)
    assert rtt / u.ms == pytest.approx(55.0, rel=0.02)


def test_london_new_york_with_realistic_route_factor():
    # London-New York RTT: ~70 ms fibre floor along real cable routes, ~80 ms
    # measured (ASSUMPTION: commonly quoted figures, e.g. public ping tables).
    # A route factor of 1.3-1.45 (real transatlantic cable path,
    # below the 1.5-2 planning range because the Atlantic route is direct)
    # puts the model in the 70-80 ms band; the 1.5 default gives ~82 ms,
    # just above the measured value, as a conservative planning number.
    for k in (1.3, 1.4, 1.45):
        rtt = net.round_trip_time(5570 * u.km, route_factor=k)
        assert 70 * u.ms <= rtt <= 80 * u.ms, (k, rtt)
    assert net.round_trip_time(5570 * u.km) / u.ms == pytest.approx(81.8, abs=0.5)


def test_shannon_20_mhz_at_20_db():
    # Shannon 1948: 20 MHz at 20 dB SNR -> 20e6 * log2(101) = 133.2 Mbit/s.
    # Pure arithmetic; 0.2 % covers the rounding of the quoted "133".
    c = net.shannon_rate(20e6, net.db_to_linear(20.0))
    assert c / u.Mbps == pytest.approx(133.0, rel=0.002)
    assert c == pytest.approx(20e6 * math.log2(101), rel=1e-12)


def test_lte_uplink_of_a_long_prompt():
    # 2,000-token English prompt on the LTE median uplink (6 Mbit/s, Huang et
    # al. 2012): (8,000 + 1,000) B * 8 / 6e6 = 12 ms.
    lte = net.access_network("lte")
    assert net.uplink_time(2000, lte.uplink_rate) == pytest.approx(0.012, rel=1e-12)


# --------------------------------------------------------------------------
# access-network presets
# --------------------------------------------------------------------------
def _csv_rows():
    with CSV_PATH.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_csv_columns():
    with CSV_PATH.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert header == ["id", "description", "downlink_bps", "uplink_bps", "one_way_latency_s",
                      "status", "source"]


@pytest.mark.parametrize("row", _csv_rows(), ids=lambda r: r["id"])
def test_every_csv_row_has_status_and_source(row):
    assert row["status"].strip() in {"P", "S", "D", "U", "A"}
    assert row["source"].strip()
    assert row["description"].strip()
    if row["status"].strip() == "A":
        assert "ASSUMPTION" in row["source"]
    for col in ("downlink_bps", "uplink_bps", "one_way_latency_s"):
        assert math.isfinite(float(row[col])) and float(row[col]) > 0


def test_csv_ids_unique_and_required_present():
    ids = [r["id"] for r in _csv_rows()]
    assert len(ids) == len(set(ids))
    assert {"5g", "5g-urllc", "lte", "wifi", "fixed"} <= set(ids)
    assert net.access_network_names() == tuple(ids)


@pytest.mark.parametrize("name,down,up,latency", [
    ("5g", 203e6, 21e6, 4e-3),        # Ookla medians; ITU-R M.2410 eMBB 4 ms
    ("5g-urllc", 100e6, 50e6, 1e-3),  # ITU-R M.2410 URLLC 1 ms, 100/50 Mbit/s
    ("lte", 13e6, 6e6, 5e-3),         # Huang et al. 2012; 3GPP TR 25.913 < 5 ms
])
def test_published_presets(name, down, up, latency):
    n = net.access_network(name)
    assert n.downlink_rate == pytest.approx(down)
    assert n.uplink_rate == pytest.approx(up)
    assert n.one_way_latency == pytest.approx(latency)
    assert n.status in {"P", "S"}


def test_fixed_and_wifi_presets():
    fixed, wifi = net.access_network("fixed"), net.access_network("wifi")
    # Ookla US Q3 2021 fixed-broadband median RTT 15 ms -> 7.5 ms one way
    assert fixed.one_way_latency == pytest.approx(15e-3 / 2)
    assert fixed.downlink_rate > fixed.uplink_rate
    assert wifi.one_way_latency > fixed.one_way_latency
    assert wifi.status == "A"


def test_access_network_is_frozen_si_dataclass():
    n = net.access_network("5g")
    assert isinstance(n, net.AccessNetwork)
    assert n.name == "5g" and "M.2410" in n.source
    assert all(type(x) is float for x in (n.downlink_rate, n.uplink_rate, n.one_way_latency))
    with pytest.raises(AttributeError):
        n.uplink_rate = 1.0  # type: ignore[misc]


def test_access_network_case_insensitive_and_cached():
    assert net.access_network(" 5G ") is net.access_network("5g")


def test_unknown_access_network_lists_close_matches_and_all_ids():
    with pytest.raises(KeyError) as info:
        net.access_network("5g-urlc")
    msg = str(info.value)
    assert "'5g-urllc'" in msg.split("available")[0]
    for name in ("5g", "5g-urllc", "lte", "wifi", "fixed"):
        assert name in msg


def test_unknown_access_network_without_close_match():
    with pytest.raises(KeyError, match="available: "):
        net.access_network("carrier-pigeon")


def test_access_network_name_must_be_string():
    with pytest.raises(ValueError, match="name"):
        net.access_network(5)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------
# Zero or a millimetre up to Earth's circumference: tinier distances make the
# round-trip time subnormal, where float rounding, not the model, is tested.
dist = st.one_of(st.just(0.0), st.floats(min_value=1e-3, max_value=4e7))
rf_st = st.floats(min_value=1.0, max_value=5.0, allow_nan=False)
hops_st = st.integers(min_value=0, max_value=64)
phd_st = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
# Sizes and rates bounded so that the step under test stays well above the
# floating-point resolution of the total delay (<= ~1e6 s).
size_st = st.floats(min_value=0.0, max_value=1e9, allow_nan=False)   # up to 125 MB
rate_st = st.floats(min_value=1e3, max_value=1e9, allow_nan=False)   # 1 kbit/s .. 1 Gbit/s


def _distinct(a, b):
    return tuple(sorted((a, b)))


@settings(max_examples=200, deadline=None)
@given(d=dist, step=st.floats(min_value=1.0, max_value=4e7), size=size_st, rate=rate_st,
       k=rf_st, h=hops_st, t=phd_st)
def test_one_way_delay_strictly_increases_with_distance(d, step, size, rate, k, h, t):
    # a 1 m step adds >= 4.9 ns (route_factor >= 1), ~40 ulp of a 1e6 s total
    assert net.one_way_delay(size, rate, d + step, k, h, t) > net.one_way_delay(size, rate, d, k,
                                                                                h, t)


@settings(max_examples=200, deadline=None)
@given(s=size_st, step=st.floats(min_value=1.0, max_value=1e9), rate=rate_st, d=dist, k=rf_st,
       h=hops_st, t=phd_st)
def test_one_way_delay_strictly_increases_with_size(s, step, rate, d, k, h, t):
    # one extra bit at <= 1 Gbit/s adds >= 1 ns
    assert net.one_way_delay(s + step, rate, d, k, h, t) > net.one_way_delay(s, rate, d, k, h, t)


@settings(max_examples=200, deadline=None)
@given(r=rate_st, factor=st.floats(min_value=1.001, max_value=1e3),
       size=st.floats(min_value=1.0, max_value=1e9), d=dist, k=rf_st, h=hops_st, t=phd_st)
def test_one_way_delay_decreases_with_rate(r, factor, size, d, k, h, t):
    slow = net.one_way_delay(size, r, d, k, h, t)
    fast = net.one_way_delay(size, r * factor, d, k, h, t)
    assert fast <= slow
    # strictly, once the rate-independent terms are removed
    assert net.one_way_delay(size, r * factor, 0.0) < net.one_way_delay(size, r, 0.0)


@settings(max_examples=200, deadline=None)
@given(d=dist, k=rf_st, h=hops_st, t=phd_st)
def test_rtt_nonnegative_and_at_least_fibre_floor(d, k, h, t):
    rtt = net.round_trip_time(d, k, h, t)
    assert rtt >= 2 * d / u.speed_in_fibre * (1 - 1e-12)


@settings(max_examples=100, deadline=None)
@given(b=st.floats(min_value=0, max_value=1e12), s1=st.floats(min_value=0, max_value=1e9),
       s2=st.floats(min_value=0, max_value=1e9))
def test_shannon_monotone_in_snr(b, s1, s2):
    lo, hi = _distinct(s1, s2)
    assert net.shannon_rate(b, hi) >= net.shannon_rate(b, lo)


finite = st.floats(allow_nan=False, allow_infinity=False)
any_value = st.one_of(finite, st.integers(min_value=-10**6, max_value=10**6))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
@pytest.mark.parametrize("func", VALID, ids=IDS)
def test_only_valueerror_on_any_finite_input(func, data):
    kwargs = {name: data.draw(any_value, label=name) for name in VALID[func]}
    try:
        out = func(**kwargs)
    except ValueError:
        return
    assert not np.any(np.isnan(out))
    assert not np.any(np.signbit(out))  # >= 0, and no -0.0 or -inf
