"""Overflow traffic and the MAP/M/c queue (genai_edge.overflow).

The reference for the queue is an exact continuous-time Markov chain of the
whole loss network (every site's busy count and the cloud's queue length),
solved here with scipy.sparse and none of the module's code: n sites of c_e
servers, Poisson arrivals at each, a request that finds its site full joins
the cloud's FCFS queue of c_c servers. Its mean cloud wait is exact up to
the truncation of the queue, whose stationary mass at the cut is checked to
be negligible. A second chain lumps exchangeable sites (state: how many
sites have k busy slots, and the cloud's queue length) so that the five-site
network the edge-cloud overflow strategy is checked on in
``tests/test_overflow_ciw.py`` is solved exactly too (126 x 201 states, a
banded linear solve).
"""
import itertools
import math

import numpy as np
import pytest
from contract import five_site_overflow

from genai_edge import overflow, queueing

sparse = pytest.importorskip("scipy.sparse")
from scipy.sparse.linalg import spsolve  # noqa: E402


def _loss_network_cloud_wait(lam_e, mu_e, c_e, n, mu_c, c_c, max_queue):
    """Exact mean wait of overflowing requests at the cloud, and the mass at the cut."""
    edge = list(itertools.product(range(c_e + 1), repeat=n))
    index = {s: i for i, s in enumerate(edge)}
    levels = max_queue + 1
    rows, cols, vals = [], [], []
    for e, s in enumerate(edge):
        full = sum(k == c_e for k in s)
        for q in range(levels):
            here = e * levels + q
            for j, k in enumerate(s):
                for dk, rate in ((1, lam_e * (k < c_e)), (-1, k * mu_e)):
                    if rate:
                        t = list(s)
                        t[j] += dk
                        rows.append(here), cols.append(index[tuple(t)] * levels + q), vals.append(rate)
            if full and q < max_queue:
                rows.append(here), cols.append(here + 1), vals.append(full * lam_e)
            if q:
                rows.append(here), cols.append(here - 1), vals.append(min(q, c_c) * mu_c)
    size = len(edge) * levels
    gen = sparse.csr_matrix((vals, (rows, cols)), shape=(size, size))
    gen = gen - sparse.diags(np.asarray(gen.sum(axis=1)).ravel())
    # pi Q = 0 with the first equation replaced by sum(pi) = 1
    a = sparse.vstack([np.ones((1, size)), gen.T.tocsr()[1:]]).tocsc()
    rhs = np.zeros(size)
    rhs[0] = 1.0
    pi = spsolve(a, rhs).reshape(len(edge), levels)
    waiting = np.maximum(np.arange(levels) - c_c, 0)
    lam_c = n * lam_e * queueing.erlang_b(lam_e / mu_e, c_e)
    return float((pi * waiting).sum() / lam_c), float(pi[:, -1].sum())


# (lam_e, mu_e, c_e, n, mu_c, c_c), queue cut: blocking 5-20 %, cloud 0.3-3 x slower than the edge
NETWORKS = [
    ((2.0, 1.0, 4, 2, 1 / 0.44, 1), 100),     # chatbot's hold-time ratio (cloud 0.44 x the edge)
    ((1.0, 1.0, 3, 3, 1 / 0.44, 1), 60),
    ((1.97, 1.0, 4, 2, 1 / 0.3, 1), 100),     # cloud much faster than the edge: hardest for a fit
    ((2.95, 1.0, 4, 2, 1.0, 2), 150),
    ((2.95, 1.0, 4, 2, 1 / 3.0, 4), 400),     # heavy cloud load (rho 0.88)
]


@pytest.fixture(scope="module", params=NETWORKS, ids=lambda p: f"ce{p[0][2]}-n{p[0][3]}-cc{p[0][5]}")
def network(request):
    params, max_queue = request.param
    exact, cut_mass = _loss_network_cloud_wait(*params, max_queue=max_queue)
    assert cut_mass < 1e-12
    return params, exact


def _model(params, order):
    lam_e, mu_e, c_e, n, mu_c, c_c = params
    terms = overflow.overflow_interval(lam_e, mu_e, c_e).reduced(order)
    return overflow.map_queue_wait(overflow.superpose(terms, n), mu_c, c_c)


def test_full_interval_law_reproduces_the_exact_chain(network):
    """No reduction (c_e + 1 terms): interval law + superposition + QBD are exact."""
    params, exact = network
    assert _model(params, order=params[2] + 1).mean == pytest.approx(exact, rel=1e-6)


def test_three_term_fit_is_within_half_a_percent(network):
    """The reduction paradigms uses (3 terms) costs < 0.5 % of the mean wait here."""
    params, exact = network
    assert _model(params, order=3).mean == pytest.approx(exact, rel=0.005)


def test_poisson_and_two_term_fits_are_measurably_worse(network):
    """Why not simpler: Erlang C misses by > 30 %; Kuczura's IPP (2 terms) is low."""
    params, exact = network
    lam_e, mu_e, c_e, n, mu_c, c_c = params
    lam_c = n * lam_e * queueing.erlang_b(lam_e / mu_e, c_e)
    assert queueing.mmc_mean_wait(lam_c, mu_c, c_c) < 0.7 * exact
    assert _model(params, order=2).mean < exact


@pytest.mark.parametrize("lam, mu, c", [(1.41667, 1 / 9.5556, 16), (0.5, 1.0, 1), (30.0, 1.0, 32), (0.05, 1.0, 4)])
def test_interval_mean_is_one_over_the_overflow_rate(lam, mu, c):
    """Exact to rounding: the relative error grows as ~1e-16 / B (1.4e-9 at B = 1.5e-7)."""
    interval = overflow.overflow_interval(lam, mu, c)
    assert interval.mean == pytest.approx(1 / (lam * queueing.erlang_b(lam / mu, c)), rel=1e-8)
    assert (interval.weights > 0).all() and interval.weights.sum() == pytest.approx(1.0)
    assert interval.order <= c + 1


def _one_minus_laplace_exact(lam, mu, c, s):
    """1 - E[exp(-s X)] of the interval from the first-step equations of the busy count
    (banded solve, no eigenvalues): psi_k = 1 - phi_k satisfies
    (s + lam + k mu) psi_k = s + lam psi_{k+1} + k mu psi_{k-1} (k < c; psi_{c+1} := 0 at k = c)."""
    from scipy.linalg import solve_banded
    k = np.arange(c + 1.0)
    ab = np.zeros((3, c + 1))
    ab[0, 1:] = -lam
    ab[1] = s + lam + k * mu
    ab[2, :-1] = -k[1:] * mu
    return float(solve_banded((1, 1), ab, np.full(c + 1, s))[c])


@pytest.mark.parametrize("c", [2_000, 20_000])
@pytest.mark.parametrize("load", [0.9, 1.0, 10.0])       # offered load / servers
def test_interval_law_of_large_sites_against_the_first_step_equations(c, load):
    """Mean 1/(lam B) and the Laplace transform at three scales, for 2,000 and 20,000 slots."""
    lam, mu = load * c, 1.0
    interval = overflow.overflow_interval(lam, mu, c)
    b = queueing.erlang_b(lam / mu, c)
    assert interval.mean == pytest.approx(1 / (lam * b), rel=1e-10)
    assert (interval.weights > 0).all() and (interval.rates > 0).all()
    for s in (mu, 0.1 * lam, 10 * lam):
        got = float(np.sum(interval.weights * s / (interval.rates + s)))
        assert got == pytest.approx(_one_minus_laplace_exact(lam, mu, c, s), rel=1e-8), s
    if load == 1.0:     # near capacity: 3 terms with distinct rates
        assert interval.reduced(3).order == 3


@pytest.mark.parametrize("lam, c", [(1e-6, 2), (1e-6, 4), (12e-6, 12)])
def test_interval_law_at_very_low_load(lam, c):
    """B down to 1e-68: the slowest rate (~lam B) is far below the eigensolver's resolution."""
    interval = overflow.overflow_interval(lam, 1.0, c)
    b = queueing.erlang_b(lam, c)
    assert interval.mean == pytest.approx(1 / (lam * b), rel=1e-10)
    for s in (1e-3, 1.0):
        got = float(np.sum(interval.weights * s / (interval.rates + s)))
        assert got == pytest.approx(_one_minus_laplace_exact(lam, 1.0, c, s), rel=1e-8)


@pytest.mark.parametrize("lam, c", [(2e-3, 2_000), (1e-6, 2_000), (0.02, 20_000), (1e-6, 20_000)])
def test_interval_that_cannot_be_represented_is_a_one_line_error(lam, c):
    """Load 1e-6 per slot on 2,000 or 20,000 slots: B underflows, the site never overflows in practice."""
    with pytest.raises(ValueError, match=rf"servers={c}.*allowed: arrival_rate x Erlang B > 1e-300") as err:
        overflow.overflow_interval(lam, 1.0, c)
    assert "\n" not in str(err.value)


def test_interval_with_too_many_busy_counts_is_a_one_line_error():
    with pytest.raises(ValueError, match=r"servers=10000000 .*allowed: at most 12,000"):
        overflow.overflow_interval(1e7, 1.0, 10**7)
    assert overflow.overflow_interval(1e14, 1.0, 10**13).mean > 0     # 10x the load: ~40 counts


@pytest.mark.parametrize("lam, mu, c", [(1.41667, 1 / 9.5556, 16), (0.5, 1.0, 1), (3.0, 1.0, 4), (30.0, 1.0, 32),
                                        (1900.0, 1.0, 2000), (2000.0, 1.0, 2000), (19000.0, 1.0, 20000)])
def test_interval_law_gives_riordans_peakedness(lam, mu, c):
    """Overflow offered to infinite servers of rate mu has variance/mean
    Z = 1 - m + A/(c + 1 + m - A), m = A B (Riordan, in Wilkinson 1956); for a
    renewal stream, GI/M/inf gives E[N(N-1)] = m phi(mu)/(1 - phi(mu)) (Takacs
    1962), so Z = 1 - m + phi(mu)/(1 - phi(mu)), phi the Laplace transform of
    the interval."""
    a = lam / mu
    m = a * queueing.erlang_b(a, c)
    phi = float(overflow.overflow_interval(lam, mu, c).laplace(mu))
    assert 1 - m + phi / (1 - phi) == pytest.approx(1 - m + a / (c + 1 + m - a), rel=1e-9)


def test_reduction_keeps_2k_minus_1_moments():
    interval = overflow.overflow_interval(1.41667, 1 / 9.5556, 16)
    for k in (1, 2, 3, 4):
        red = interval.reduced(k)
        assert red.order == k and (red.weights > 0).all() and (red.rates > 0).all()
        for j in range(1, 2 * k):
            assert red.moment(j) == pytest.approx(interval.moment(j), rel=1e-8)
        if k in (2, 3):   # and not more: the next moment differs
            assert red.moment(2 * k) != pytest.approx(interval.moment(2 * k), rel=1e-6)
    assert interval.reduced(40) is interval


def test_two_term_fit_is_kuczuras_ipp():
    """Kuczura (1973): an IPP (on-rate L, on->off w, off->on g) has H2 intervals with
    L = p r1 + (1-p) r2, g = r1 r2 / L, w = (r1 - L)(L - r2)/L; its interval moments,
    computed from the IPP as a phase-type law, equal the overflow's first three."""
    interval = overflow.overflow_interval(1.41667, 1 / 9.5556, 16)
    (p, q), (r1, r2) = interval.reduced(2).weights, interval.reduced(2).rates
    rate = p * r1 + q * r2
    on_off, off_on = (r1 - rate) * (rate - r2) / rate, r1 * r2 / rate
    t = np.array([[-(rate + on_off), on_off], [off_on, -off_on]])
    inv = np.linalg.inv(-t)
    for k in (1, 2, 3):
        mk = math.factorial(k) * (np.linalg.matrix_power(inv, k) @ np.ones(2))[0]
        assert mk == pytest.approx(interval.moment(k), rel=1e-9)


def test_superposed_exponential_streams_are_poisson_and_give_erlang_c():
    """One-term intervals: n Poisson streams, so MAP/M/c must be M/M/c exactly."""
    stream = overflow.Hyperexponential(np.array([1.0]), np.array([0.5]))
    arrivals = overflow.superpose(stream, 4, share=0.75)         # 4 x 0.5 x 0.75 = 1.5 /s
    assert arrivals.rate == pytest.approx(1.5)
    wait = overflow.map_queue_wait(arrivals, 1.0, 2)
    ref = queueing.mmc_wait(1.5, 1.0, 2)
    assert wait.mean == pytest.approx(ref.mean, rel=1e-10)
    assert wait.prob_wait == pytest.approx(ref.prob_wait, rel=1e-10)
    t = np.linspace(0, 10, 11)
    np.testing.assert_allclose(wait.sf(t), ref.sf(t), rtol=1e-8)


def test_superposition_rate_and_share():
    interval = overflow.overflow_interval(1.41667, 1 / 9.5556, 16).reduced(3)
    for n, share in ((1, 1.0), (10, 1.0), (10, 0.25), (40, 0.5)):
        arrivals = overflow.superpose(interval, n, share=share)
        assert arrivals.rate == pytest.approx(n * share / interval.mean, rel=1e-9)
        assert arrivals.phases <= math.comb(n + 2, 2)
        assert overflow.superpose(interval, n, share=share, max_phases=arrivals.phases - 1) is None
        np.testing.assert_allclose((arrivals.d0 + arrivals.d1).sum(axis=1), 0, atol=1e-12)


def test_wait_distribution_is_consistent_with_its_mean():
    """sf(0) = P(wait), the integral of sf is the mean, sf decreases to 0."""
    interval = overflow.overflow_interval(1.41667, 1 / 9.5556, 16).reduced(3)
    wait = overflow.map_queue_wait(overflow.superpose(interval, 10), 1 / 4.2335, 8)
    assert wait.sf(0.0) == pytest.approx(wait.prob_wait, rel=1e-9)
    assert wait.sf(-1.0) == 1.0
    t = np.linspace(0, 60 / wait.decays.min(), 400_001)
    s = wait.sf(t)
    assert np.all(np.diff(s) <= 1e-15) and s[-1] < 1e-20
    assert np.trapezoid(s, t) == pytest.approx(wait.mean, rel=1e-6)


def test_unstable_and_idle_queues():
    interval = overflow.overflow_interval(1.0, 0.1, 4)
    arrivals = overflow.superpose(interval, 10)
    unstable = overflow.map_queue_wait(arrivals, 1.0, 1)
    assert unstable.mean == math.inf and unstable.prob_wait == 1.0 and unstable.sf(5.0) == 1.0
    idle = overflow.map_queue_wait(overflow.MAP(np.zeros((1, 1)), np.zeros((1, 1))), 1.0, 1)
    assert idle.mean == 0.0 and idle.sf(0.0) == 0.0


@pytest.mark.parametrize("call, name", [
    (lambda: overflow.overflow_interval(-1.0, 1.0, 2), "arrival_rate"),
    (lambda: overflow.overflow_interval(1.0, 0.0, 2), "service_rate"),
    (lambda: overflow.overflow_interval(1.0, 1.0, 2.5), "servers"),
    (lambda: overflow.overflow_interval([1.0, 2.0], 1.0, 2), "arrival_rate"),
    (lambda: overflow.overflow_interval(1.0, 1.0, 4).reduced(0), "order"),
    (lambda: overflow.superpose(overflow.overflow_interval(1.0, 1.0, 4), 0), "sources"),
    (lambda: overflow.superpose(overflow.overflow_interval(1.0, 1.0, 4), 2, share=0.0), "share"),
    (lambda: overflow.map_queue_wait(overflow.superpose(overflow.overflow_interval(1.0, 1.0, 4), 2), 1.0, 0),
     "servers"),
])
def test_bad_arguments_name_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize("w, r, mu, c", [
    ([0.2, 0.3, 0.5], [0.4, 1.5, 6.0], 1.0, 3),
    # met in a sweep: here R is numerically defective and has no eigenvector basis
    ([0.3009377219602839, 0.39376435142171035, 0.30529792661800575],
     [9.032437977295153, 10.631493852065377, 12.533496392457977], 0.11928193857687984, 128),
])
def test_renewal_arrivals_give_the_gi_m_c_single_exponential_wait(w, r, mu, c):
    """One hyperexponential stream is a renewal process, so the queue is GI/M/c: the wait
    beyond zero is one exponential with decay cμ(1 − σ), σ = A*(cμ(1 − σ)) (Kleinrock
    1975, vol. 1, §6.4), even though the MAP's rate matrix has a repeated zero eigenvalue."""
    w, r = np.array(w), np.array(r)
    arrivals = overflow.MAP(-np.diag(r), np.outer(r, w))      # leave phase i at r_i, restart in j w.p. w_j
    wait = overflow.map_queue_wait(arrivals, mu, c)
    sigma = 0.5
    for _ in range(5000):
        sigma = float(np.sum(w * r / (r + c * mu * (1 - sigma))))
    decay = c * mu * (1 - sigma)
    assert wait.mean == pytest.approx(wait.prob_wait / decay, rel=1e-8)
    t = np.linspace(0.0, 5.0 / decay, 41)
    np.testing.assert_allclose(wait.sf(t), wait.prob_wait * np.exp(-decay * t), rtol=1e-8)


def _lumped_loss_network(lam_e, mu_e, c_e, n, mu_c, c_c, max_queue):
    """Exact chain of n exchangeable M/M/c_e/c_e sites overflowing into an M/M/c_c FCFS queue.

    State: (h_0..h_{c_e}) sites with k busy slots, and q requests at the cloud;
    q-major order makes the generator banded (half-width = number of h).
    Returns (blocking, P(an overflow finds q at the cloud) for q = 0..max_queue,
    stationary mass at the cut).
    """
    from scipy.linalg import solve_banded
    hists = [h for h in itertools.product(range(n + 1), repeat=c_e + 1) if sum(h) == n]
    index = {h: i for i, h in enumerate(hists)}
    m, levels = len(hists), max_queue + 1
    rows, cols, vals = [], [], []
    for e, h in enumerate(hists):
        moves = []
        for k in range(c_e + 1):
            for dk, rate in ((1, h[k] * lam_e * (k < c_e)), (-1, h[k] * k * mu_e)):
                if rate:
                    t = list(h)
                    t[k] -= 1
                    t[k + dk] += 1
                    moves.append((index[tuple(t)], rate))
        for q in range(levels):
            here = q * m + e
            for f, rate in moves:
                rows.append(here), cols.append(q * m + f), vals.append(rate)
            if h[c_e] and q < max_queue:
                rows.append(here), cols.append(here + m), vals.append(h[c_e] * lam_e)
            if q:
                rows.append(here), cols.append(here - m), vals.append(min(q, c_c) * mu_c)
    r, c, v = np.array(rows), np.array(cols), np.array(vals)
    size = m * levels
    ab = np.zeros((2 * m + 1, size))        # banded Q^T: ab[m + i - j, j] = Q[j, i]
    np.add.at(ab, (m + c - r, r), v)
    ab[m] -= np.bincount(r, weights=v, minlength=size)
    # pi Q = 0 with pi_0 = 1: drop balance equation 0 and unknown 0, normalise after
    rhs = np.zeros(size - 1)
    rhs[:m] = -ab[m + np.arange(1, m + 1), 0]
    pi = np.concatenate(([1.0], solve_banded((m, m), ab[:, 1:], rhs)))
    pi = (pi / pi.sum()).reshape(levels, m)
    full = np.array([h[c_e] for h in hists], dtype=float)
    seen = pi @ full
    return float(pi.sum(axis=0) @ full) / n, seen / seen.sum(), float(pi[-1].sum())


def _seen_mean_wait_and_sf(seen, mu_c, c_c, t):
    """From the queue an overflow finds: mean wait and P(W > t) (c_c + i ahead: Erlang(i + 1, c_c mu_c))."""
    from scipy.special import pdtr
    ahead = np.arange(seen.size) - c_c          # waits for ahead + 1 departures when >= 0
    mean = float(np.sum(seen * np.maximum(ahead + 1, 0))) / (c_c * mu_c)
    i = ahead[ahead >= 0]
    sf = [float(np.sum(seen[ahead >= 0] * pdtr(i, c_c * mu_c * x))) for x in t]
    return mean, np.array(sf)


def test_lumped_chain_equals_the_product_chain():
    params = (1.0, 1.0, 3, 3, 1 / 0.44, 1)
    exact, _ = _loss_network_cloud_wait(*params, max_queue=60)
    blocking, seen, cut = _lumped_loss_network(*params, max_queue=60)
    assert cut < 1e-12
    assert _seen_mean_wait_and_sf(seen, params[4], params[5], [])[0] == pytest.approx(exact, rel=1e-9)


@pytest.fixture(scope="module")
def five_sites():
    """paradigms' result for the scenario, and the exact chain of its loss network."""
    scn, res, mec, cloud = five_site_overflow()
    params = (mec.arrival_rate, 1 / mec.service_time, int(mec.servers), scn.mec.sites,
              1 / cloud.service_time, int(cloud.servers))
    chain = _lumped_loss_network(*params, max_queue=200)
    return scn, res, mec, cloud, params, chain


def test_five_site_scenario_is_in_the_intended_regime(five_sites):
    scn, res, mec, cloud, params, (blocking, seen, cut) = five_sites
    assert cut < 1e-15                                 # the cut at 200 requests is negligible
    assert cloud.service_time < mec.service_time       # overflow goes to the faster cloud
    assert 0.2 <= cloud.arrival_rate / scn.arrival_rate <= 0.4
    assert 0.5 <= cloud.utilization <= 0.8
    assert res.breakdown["queue"] > 0.1
    assert "MAP (3-term intervals)" in res.notes


def test_breakdown_queue_is_blocking_times_the_map_wait(five_sites):
    """paradigms uses exactly B(lambda_e hold_e, c_e) and the MAP/M/c wait of the merged overflow."""
    import re
    scn, res, mec, cloud, params, _ = five_sites
    lam_e = scn.arrival_rate / scn.mec.sites
    b = float(queueing.erlang_b(lam_e * mec.service_time, mec.servers))
    assert cloud.arrival_rate == pytest.approx(b * scn.arrival_rate, rel=1e-12)
    assert mec.utilization == pytest.approx(lam_e * (1 - b) * mec.service_time / mec.servers, rel=1e-12)
    note = re.search(r"overflow: ([0-9.]+)% of requests overflow", res.notes)
    assert note and note.group(1) == f"{100 * b:.2f}"
    terms = overflow.overflow_interval(lam_e, 1 / mec.service_time, mec.servers).reduced(3)
    wait = overflow.map_queue_wait(overflow.superpose(terms, scn.mec.sites), 1 / cloud.service_time,
                                   cloud.servers)
    assert res.breakdown["queue"] == pytest.approx(b * wait.mean, rel=1e-12)


def test_five_site_blocking_is_erlang_b_exactly(five_sites):
    """Exact: the share of requests that find their site full (PASTA) is Erlang B."""
    scn, res, mec, cloud, params, (blocking, seen, cut) = five_sites
    assert cloud.arrival_rate / scn.arrival_rate == pytest.approx(blocking, rel=1e-10)


def test_five_site_full_interval_law_reproduces_the_exact_chain(five_sites):
    """Exact: with the full c_e + 1-term interval law, the MAP queue's P(wait), mean wait and
    wait distribution equal the chain's (measured: 4e-15 relative on the mean, 4e-13 on P(W > t))."""
    scn, res, mec, cloud, (lam_e, mu_e, c_e, n, mu_c, c_c), (blocking, seen, cut) = five_sites
    wait = overflow.map_queue_wait(overflow.superpose(overflow.overflow_interval(lam_e, mu_e, c_e), n), mu_c, c_c)
    t = np.array([0.5, 2.0, 5.0, 10.0, 30.0]) / (c_c * mu_c - wait.arrival_rate)
    mean, sf = _seen_mean_wait_and_sf(seen, mu_c, c_c, t)
    assert wait.mean == pytest.approx(mean, rel=1e-9)
    assert wait.prob_wait == pytest.approx(seen[c_c:].sum(), rel=1e-9)
    np.testing.assert_allclose(wait.sf(t), sf, rtol=1e-8)


def test_five_site_closed_form_error_is_quantified(five_sites):
    """An approximation: paradigms reduces each interval law to 3 terms. Against the exact chain
    its mean queueing delay (over all requests) is -0.008 %, P(wait) -0.010 %, and the wait's
    survival function within 0.010 % up to 30 mean conditional waits (asserted at 0.05 % / 0.05 % /
    0.5 %); the 2-term (Kuczura IPP) fit is -0.9 % / -0.6 % / 2.9 %, the Poisson treatment (Erlang C)
    55 % low."""
    scn, res, mec, cloud, (lam_e, mu_e, c_e, n, mu_c, c_c), (blocking, seen, cut) = five_sites
    wait = overflow.map_queue_wait(overflow.superpose(overflow.overflow_interval(lam_e, mu_e, c_e).reduced(3), n),
                                   mu_c, c_c)
    t = np.array([0.5, 2.0, 5.0, 10.0, 30.0]) / (c_c * mu_c - wait.arrival_rate)
    mean, sf = _seen_mean_wait_and_sf(seen, mu_c, c_c, t)
    assert res.breakdown["queue"] == pytest.approx(blocking * mean, rel=5e-4)
    assert res.breakdown["queue"] != pytest.approx(blocking * mean, rel=1e-6)      # not exact
    assert wait.prob_wait == pytest.approx(seen[c_c:].sum(), rel=5e-4)
    np.testing.assert_allclose(wait.sf(t), sf, rtol=5e-3)
    poisson = queueing.mmc_mean_wait(cloud.arrival_rate, mu_c, c_c)
    assert poisson < 0.5 * mean
