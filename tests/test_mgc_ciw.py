"""Ciw simulation of the M/G/c wait model ``queueing.mgc_wait`` in an LLM-serving regime.

The model (:func:`genai_edge.queueing.mgc_wait`): a site is a c-server FIFO
queue with Poisson arrivals (c = batch slots); a slot holds a request for
S = P + T*Y (P prefill, T time per output token, Y = N - 1 with N the number
of output tokens). The wait W is 0 with probability 1 - C and otherwise
exponential: P(W > t) = C exp(-theta t), C = Erlang C(lambda E[S], c),
theta = 2 (c/E[S] - lambda)/(1 + cs2), so that E[W] is the Allen-Cunneen
mean C/(c/E[S] - lambda) (1 + cs2)/2 (Whitt 1993,
doi:10.1111/j.1937-5956.1993.tb00094.x). Its p-quantile is
ln(C/(1-p))/theta. The model's p99 of the response W + S is the root of
(1 - C) F_S(t) + C int_0^t theta e^{-theta w} F_S(t - w) dw = 0.99, integrated
numerically here (numpy trapezoid, 200,001 points) with F_S written out from
the law of Y below, not taken from the library.

Law of Y (mean m = n_mean - 1, cv_y = cv n_mean/m), checked against
``distributions.answer_length_law``: cv_y <= 1 shifted exponential
m(1 - cv_y) + Exp(mean m cv_y); cv_y > 1 balanced-means two-phase
hyperexponential, p1 = (1 + sqrt((cv_y^2 - 1)/(cv_y^2 + 1)))/2, means m/(2 p_j).
Ciw samples it through :class:`LLMService`, a ``ciw.dists.Distribution``
subclass (``sample`` uses ``random``, which ``ciw.seed`` seeds).

Regime (the stated values; nothing was adjusted): a "cloud site", c = 32,
P = 0.05 s, T = 0.017 s, n_mean = 250, cv(N) = 0.6 (cv_y = 0.602, shifted
exponential), rho = 0.90: E[S] = 4.283 s, cs2 = 0.354, C = 0.458. It is the
regime where Allen-Cunneen is furthest from exact among those tried; a
nearly exponential one (c = 8, cs2 ~ 1, rho = 0.85) agreed to -0.1 % +- 0.2 %
over 96 replications and is not repeated here, M/M/c being checked exactly
in ``tests/test_queueing.py``.

Precision. 6 independent replications of 7,500 s, each starting empty;
arrivals in the first 500 s (about 10 M/M/c relaxation times) and in the
last 1 % of the horizon are not counted, and every counted request has
left. Plain replication means of the wait converge slowly (relative SE
8.2 % here), so the mean wait is estimated with a control variate
(Lavenberg and Welch 1981, doi:10.1287/mnsc.27.3.322): the same arrival
and service times, fed by Lindley's recursion through one server c times
as fast (an M/G/1 queue whose mean wait lambda E[S^2]/(2 c^2 (1 - rho)) is
exact, Pollaczek-Khinchine), correlate 0.989 with the Ciw waits. The
estimate and its standard error are the intercept of the OLS regression of
the replication means on the control's error; the SE is asserted <= 1.5 %
so that the 5 % bar can fail, and the estimate must agree with the plain
mean within 3 of its SEs. Quantiles: mean of the per-replication empirical
quantiles, SE across replications.

Measured with the seeds below (about 8 s on one core), simulation +- SE
vs model (relative error), 279,845 requests: P(wait) 0.449 vs 0.458
(-2.1 %); mean wait 0.428 s +- 1.4 % vs 0.415 s (+3.1 %); p99 wait 3.66 s
+- 10 % vs 3.47 s (+5.5 %); p99 response 14.04 s +- 0.9 % vs 14.05 s
(-0.1 %).

Off-line, with more seeds (128 replications, 4.3 M requests) the mean-wait
error is +2.8 % +- 0.3 %: Allen-Cunneen underestimates the M/G/32 wait for
cs2 = 0.35, inside the 5 % bar but not by a wide margin (batches of 16 of
5,500 s runs ranged from +1.3 % to +5.3 %). Erlang C overstates P(wait) by
about 2-3 %, so the conditional wait is longer than the model's.

Bars: mean wait within 5 %, response p99 within 10 %; the wait p99 and
P(wait) are printed, not asserted (``pytest -s`` shows them).
"""
import math
import random
import time

import numpy as np
import pytest

ciw = pytest.importorskip("ciw")

from genai_edge import distributions, queueing  # noqa: E402

pytestmark = pytest.mark.slow

REPLICATIONS = 6
COOLDOWN_FRACTION = 0.01  # arrivals in the last 1 % are not counted (all counted ones finish)
MEAN_RTOL = 0.05
P99_RTOL = 0.10
MAX_MEAN_SE = 0.015

REGIMES = {
    # name: c, P [s], T [s], n_mean, cv of N, rho, horizon and warm-up per replication [s], seed.
    # Warm-up: ~10 relaxation times 1/(c mu (1 - sqrt(rho))^2) of the M/M/c queue (A 195 s, B 51 s).
    "B-cloud": dict(c=32, P=0.05, T=0.017, n_mean=250, cv=0.6, rho=0.90,
                    horizon=7_500.0, warmup=500.0, seed=3210),
}


class LLMService(ciw.dists.Distribution):
    """S = P + T*Y, Y shifted exponential (cv_y <= 1) or balanced two-phase hyperexponential."""

    def __init__(self, prefill, per_token, n_mean, cv):
        m = n_mean - 1.0
        cvy = cv * n_mean / m
        self.prefill, self.per_token = prefill, per_token
        if cvy <= 1.0:
            self.shift, self.probs, self.means = m * (1.0 - cvy), (1.0, 0.0), (m * cvy, 1.0)
        else:
            p1 = 0.5 * (1.0 + math.sqrt((cvy ** 2 - 1.0) / (cvy ** 2 + 1.0)))
            self.shift, self.probs, self.means = 0.0, (p1, 1.0 - p1), (m / (2 * p1), m / (2 * (1 - p1)))

    def sample(self, t=None, ind=None):
        mean = self.means[0] if random.random() < self.probs[0] else self.means[1]
        return self.prefill + self.per_token * (self.shift + random.expovariate(1.0 / mean))

    def cdf(self, s):
        """F_S(s), vectorised."""
        x = (np.asarray(s, dtype=float) - self.prefill) / self.per_token - self.shift
        xx = np.maximum(x, 0.0)
        sf = self.probs[0] * np.exp(-xx / self.means[0]) + self.probs[1] * np.exp(-xx / self.means[1])
        return np.where(x > 0, 1.0 - sf, 0.0)

    @property
    def mean(self):
        ey = sum(p * b for p, b in zip(self.probs, self.means))
        return self.prefill + self.per_token * (self.shift + ey)

    @property
    def variance(self):
        ey2 = sum(p * 2 * b * b for p, b in zip(self.probs, self.means))   # of Y - shift
        ey = sum(p * b for p, b in zip(self.probs, self.means))
        return self.per_token ** 2 * (ey2 - ey ** 2)


def _model(reg):
    law = LLMService(reg["P"], reg["T"], reg["n_mean"], reg["cv"])
    es = reg["P"] + reg["T"] * (reg["n_mean"] - 1)
    cs2 = (reg["T"] * reg["n_mean"] * reg["cv"]) ** 2 / es ** 2   # T^2 (m cv_y)^2 / E[S]^2
    lam = reg["rho"] * reg["c"] / es
    wait = queueing.mgc_wait(lam, es, reg["c"], cs2)
    pw, theta = wait.prob_wait, float(wait.decays[0])
    wait_p99 = math.log(pw / 0.01) / theta

    def response_cdf(t):
        w = np.linspace(0.0, t, 200_001)
        f = theta * np.exp(-theta * w) * law.cdf(t - w)
        conv = 0.5 * (f[1:] + f[:-1]).sum() * (w[1] - w[0])   # trapezoid rule
        return (1.0 - pw) * float(law.cdf(t)) + pw * conv

    lo, hi = 0.0, 10.0 * (es + wait_p99)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if response_cdf(mid) < 0.99 else (lo, mid)
    return dict(law=law, es=es, cs2=cs2, lam=lam, prob_wait=pw, mean=wait.mean,
                wait_p99=wait_p99, response_p99=0.5 * (lo + hi))


def _replication(reg, model, seed):
    c, horizon = reg["c"], reg["horizon"]
    network = ciw.create_network(arrival_distributions=[ciw.dists.Exponential(model["lam"])],
                                 service_distributions=[model["law"]], number_of_servers=[c])
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(horizon)
    lo, hi = reg["warmup"], (1.0 - COOLDOWN_FRACTION) * horizon
    rec = np.array([(r.arrival_date, r.waiting_time, r.service_time) for r in sim.get_all_records()])
    rec = rec[np.argsort(rec[:, 0], kind="stable")]
    arrival, wait, service = rec.T
    unfinished = [i.arrival_date for i in sim.nodes[1].all_individuals if i.arrival_date < hi]
    # control: the same inputs through one server c times as fast (Lindley, empty start)
    step = np.concatenate(([0.0], service[:-1] / c - np.diff(arrival)))
    walk = np.cumsum(step)
    pooled = walk - np.minimum.accumulate(np.minimum(walk, 0.0))
    keep = (arrival >= lo) & (arrival < hi)
    w, s = wait[keep], service[keep]
    return dict(requests=int(keep.sum()), unfinished=len(unfinished),
                mean=w.mean(), control=pooled[keep].mean(),
                prob_wait=float((w > 0).mean()), wait_p99=np.quantile(w, 0.99),
                response_p99=np.quantile(w + s, 0.99), service_mean=s.mean(), service_m2=(s * s).mean())


def _mean_se(x):
    x = np.asarray(x, dtype=float)
    return x.mean(), x.std(ddof=1) / math.sqrt(x.size)


@pytest.fixture(scope="module", params=list(REGIMES))
def regime(request):
    reg = REGIMES[request.param]
    model = _model(reg)
    start = time.perf_counter()
    reps = [_replication(reg, model, reg["seed"] + i) for i in range(REPLICATIONS)]
    elapsed = time.perf_counter() - start
    y = np.array([r["mean"] for r in reps])
    x = np.array([r["control"] for r in reps])
    law = model["law"]
    es2 = law.variance + law.mean ** 2
    x_exact = model["lam"] * es2 / reg["c"] ** 2 / (2.0 * (1.0 - reg["rho"]))   # Pollaczek-Khinchine
    design = np.column_stack([np.ones_like(x), x - x_exact])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    cov = resid @ resid / (y.size - 2) * np.linalg.inv(design.T @ design)
    sim = dict(
        requests=sum(r["requests"] for r in reps), unfinished=sum(r["unfinished"] for r in reps),
        raw_mean=_mean_se(y), mean=(coef[0], math.sqrt(cov[0, 0])), corr=np.corrcoef(x, y)[0, 1],
        prob_wait=_mean_se([r["prob_wait"] for r in reps]),
        wait_p99=_mean_se([r["wait_p99"] for r in reps]),
        response_p99=_mean_se([r["response_p99"] for r in reps]),
        service_mean=np.mean([r["service_mean"] for r in reps]),
        service_m2=np.mean([r["service_m2"] for r in reps]), es2=es2, seconds=elapsed)

    def fmt(key, unit=""):
        (v, se), ref = sim[key], model[key]
        return (f"{key} {v:.4g}{unit} +- {100 * se / v:.2f} % vs model {ref:.4g} "
                f"({100 * (v / ref - 1):+.2f} %)")
    print(f"\n{request.param}: {sim['requests']} requests, {elapsed:.1f} s; "
          + "; ".join([fmt("prob_wait"), fmt("mean", " s"), fmt("wait_p99", " s"), fmt("response_p99", " s")])
          + f"; raw mean {sim['raw_mean'][0]:.4g} s +- {100 * sim['raw_mean'][1] / sim['raw_mean'][0]:.2f} %"
          + f", control corr {sim['corr']:.3f}")
    return request.param, reg, model, sim


def test_service_law_matches_library_answer_length_law():
    for reg in REGIMES.values():
        law = LLMService(reg["P"], reg["T"], reg["n_mean"], reg["cv"])
        shift, probs, means = distributions.answer_length_law(reg["n_mean"], reg["cv"])
        assert law.shift == pytest.approx(float(shift), rel=1e-12, abs=1e-12)
        assert law.probs[0] == pytest.approx(float(probs[0]), rel=1e-12)
        assert law.means[0] == pytest.approx(float(means[0]), rel=1e-12)
        if law.probs[1] > 0:
            assert law.means[1] == pytest.approx(float(means[1]), rel=1e-12)
        es = reg["P"] + reg["T"] * (reg["n_mean"] - 1)
        assert law.mean == pytest.approx(es, rel=1e-12)
        assert law.variance == pytest.approx((reg["T"] * reg["n_mean"] * reg["cv"]) ** 2, rel=1e-12)


def test_simulation_is_the_intended_queue(regime):
    name, reg, model, sim = regime
    assert sim["unfinished"] == 0                       # every counted request was served
    assert sim["requests"] > 0.9 * REPLICATIONS * model["lam"] * (
        (1 - COOLDOWN_FRACTION) * reg["horizon"] - reg["warmup"])
    assert sim["service_mean"] == pytest.approx(model["es"], rel=0.01)
    assert sim["service_m2"] == pytest.approx(sim["es2"], rel=0.03)
    assert model["prob_wait"] >= 0.1                      # the wait is substantial
    assert sim["prob_wait"][0] >= 0.1
    # the control-variate estimate agrees with the plain replication mean
    assert abs(sim["mean"][0] - sim["raw_mean"][0]) <= 3 * sim["raw_mean"][1]


def test_mean_wait_matches_allen_cunneen_within_5_percent(regime):
    name, reg, model, sim = regime
    est, se = sim["mean"]
    assert se <= MAX_MEAN_SE * est, name                   # precise enough for the 5 % bar
    assert est == pytest.approx(model["mean"], rel=MEAN_RTOL), name


def test_response_p99_matches_model_within_10_percent(regime):
    name, reg, model, sim = regime
    est, se = sim["response_p99"]
    assert se <= 0.03 * est, name
    assert est == pytest.approx(model["response_p99"], rel=P99_RTOL), name
