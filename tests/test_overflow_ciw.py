"""Ciw loss-network simulation of the ``edge_cloud`` *overflow* strategy.

The closed form in ``paradigms._edge_cloud`` (strategy ``overflow``):

* each of ``mec.sites`` MEC sites is an M/M/c/c loss system (c_e =
  mec.replicas * mec.batch slots, holding time ``hold_e``) offered Poisson
  traffic at lambda_e = lambda / sites, so a request finds every slot busy with
  the Erlang B probability B = B(lambda_e * hold_e, c_e) (A. K. Erlang, 1917;
  insensitive to the holding-time distribution; see ``queueing.erlang_b``);
* the blocked requests of all sites are merged and treated as Poisson at rate
  lambda_c = B * lambda ("close to Poisson by the Palm-Khintchine theorem"), so the
  cloud (c_c = cloud.replicas * cloud.batch slots, holding time ``hold_c``) is
  an M/M/c queue with Erlang C mean wait W_c = C(A_c, c_c) / (c_c mu_c - lambda_c);
* the mean queueing delay over all requests (the ``queue`` entry of the
  breakdown) is B * W_c: requests served at the MEC site never wait.

This file checks that model with a discrete-event simulation in Ciw that
uses none of our queueing code: N edge nodes with c_e servers and
``queue_capacities`` 0, Poisson arrivals at each, exponential service; a
request that finds its edge node full is sent to a cloud node (c_c
servers, unlimited queue, exponential service) instead of being lost.

Construction. Ciw's ``ArrivalNode.release_individual`` (ciw 3.x) is where an
external arrival that finds its target node full is recorded as a
rejection. :class:`OverflowArrivalNode` overrides it: when the target is a
full edge node the individual goes through the normal ``decide_baulk`` ->
``send_individual`` -> ``Node.accept`` path, but into the cloud node. The
routing matrix is all zeros, so every request leaves after one service
(edge or cloud). A second, separate Ciw run (the control) feeds the same
cloud node (c_c servers, ``hold_c``) with a Poisson stream at the closed
form's lambda_c: the Palm-Khintchine idealisation made literal. If the control
matches Erlang C but the overflow-fed cloud does not, the difference is the
arrival process, not the simulator or the harness.

Parameters (arrival rate per site, servers, holding times) are read from
``evaluate(scn)['edge_cloud'].sites`` (``SiteStatus.arrival_rate``,
``servers``, ``service_time``), i.e. from ``paradigms._service``, so the
simulation uses exactly the closed form's inputs.

Tolerance: 5 % relative. Both runs discard a 2,000 s warm-up (the network
starts empty; that is > 200 edge and > 400 cloud holding times) and do not
count arrivals in the last 1,000 s, so every counted request has completed
(checked). The overflow run (32,000 s) counts ~410,000 requests, ~41,000 of
them blocked; the blocking fraction is a ratio of counts whose correlation
lasts a few ``hold_e``, so it is known to about +-1 % (1 sigma). The control
(300,000 s, ~425,000 arrivals) estimates the M/M/c mean wait, the noisier
quantity (waits inside a cloud busy period are positively correlated), to
about +-1 %. 5 % is several sigma for both: with the fixed seed and seeds
1-4 the blocking errors were -1.5 %..+0.3 % and the control's wait errors
+0.3 %..+2.5 %. Runtime ~40 s on one core.

Finding (strict xfail below). The merged overflow is *not* close to Poisson:
each site's overflow is a peaked renewal process (Riordan's formula
Z = 1 - m + A/(c + 1 + m - A), m = A*B [Wilkinson 1956], gives Z = 2.43 for
the MEC site here), and superposing a fixed, small number of such streams
(10 sites, each a tenth of the cloud's load) keeps that burstiness: the
Palm-Khintchine theorem (Palm 1943; Khintchine 1960) needs many streams,
each *negligible* in the merged flow. The overflow-fed cloud waits ~4.3x
the Erlang-C value (long independent runs: 3.47 s vs 0.81 s), so the
overflow strategy's ``queue`` entry is underestimated by the same factor.
The check stays a strict xfail, so an XPASS flags when it can be removed.
Note: with bursty input the mean-delay estimate of this 32,000 s run has
~10 % standard error, so a 5 % check of (2) after a fix needs a much longer
run than Ciw allows in this time budget.
"""
import re

import pytest

ciw = pytest.importorskip("ciw")

from genai_edge import paradigms, queueing  # noqa: E402
from genai_edge.scenario import load  # noqa: E402

pytestmark = pytest.mark.slow

# chatbot, overflow strategy, with the sites shrunk so that blocking and the
# cloud's queue matter: 10 MEC sites of 2 replicas x 8 slots (c_e = 16) at
# 8,500 users x 6 req/h (lambda = 14.2 s^-1, lambda_e = 1.42 s^-1, offered A_e ~ 13.5 Erlang
# -> B ~ 10 %), one cloud replica of 8 slots (c_c = 8, rho_c = 0.76).
OVERRIDES = {
    "edge_cloud.strategy": "overflow",
    "workload.users": 8500,
    "workload.rate_per_user_per_h": 6,
    "mec.sites": 10,
    "mec.replicas": 2,
    "mec.batch": 8,
    "cloud.sites": 1,
    "cloud.replicas": 1,
    "cloud.batch": 8,
}

SEED = 20240611
HORIZON_S = 32_000.0             # overflow network: ~410,000 counted requests
CONTROL_HORIZON_S = 300_000.0    # Poisson-fed cloud alone: ~425,000 counted requests
WARMUP_S = 2_000.0      # discard the transient from an empty network (> 400 hold_c)
COOLDOWN_S = 1_000.0    # arrivals after horizon - COOLDOWN_S are not counted
RTOL = 0.05


class OverflowArrivalNode(ciw.ArrivalNode):
    """Arrival node that redirects a request finding its edge node full to the cloud.

    Ciw 3.x records an external arrival to a full node as a rejection in
    ``ArrivalNode.release_individual``; here that case sends the individual
    to the cloud node instead (node ``cloud_node`` in Ciw's 1-based
    numbering, set on the subclass before the simulation is built).
    """

    edge_nodes: frozenset = frozenset()
    cloud_node: int = 0

    def release_individual(self, next_node, next_individual):
        if (next_node.id_number in self.edge_nodes
                and next_node.number_of_individuals >= next_node.node_capacity):
            cloud = self.simulation.transitive_nodes[self.cloud_node - 1]
            self.decide_baulk(cloud, next_individual)
        else:
            super().release_individual(next_node, next_individual)


def _simulate(n_sites, lam_e, c_e, hold_e, c_c, hold_c, seed):
    """Run the loss network; return counts and waits over the counting window."""
    n = n_sites
    cloud = n + 1
    Exp = ciw.dists.Exponential
    network = ciw.create_network(
        arrival_distributions=[Exp(lam_e)] * n + [None],
        service_distributions=[Exp(1.0 / hold_e)] * n + [Exp(1.0 / hold_c)],
        number_of_servers=[c_e] * n + [c_c],
        queue_capacities=[0] * n + [float("inf")],
        routing=[[0.0] * (n + 1) for _ in range(n + 1)],
    )
    arrival_cls = type("Arrival", (OverflowArrivalNode,),
                       {"edge_nodes": frozenset(range(1, n + 1)), "cloud_node": cloud})
    ciw.seed(seed)
    sim = ciw.Simulation(network, arrival_node_class=arrival_cls)
    sim.simulate_until_max_time(HORIZON_S)

    lo, hi = WARMUP_S, HORIZON_S - COOLDOWN_S
    recs = [r for r in sim.get_all_records(only=["service"]) if lo <= r.arrival_date < hi]
    edge = [r for r in recs if r.node <= n]
    over = [r for r in recs if r.node == cloud]
    return dict(
        rejections=len(sim.get_all_records(only=["rejection"])),
        edge_max_wait=max(r.waiting_time for r in edge),
        requests=len(edge) + len(over),
        blocked=len(over),
        # mean queueing delay over ALL requests: edge requests wait 0
        mean_delay=sum(r.waiting_time for r in over) / (len(edge) + len(over)),
        cloud_wait=sum(r.waiting_time for r in over) / len(over),
        # every counted request has left the network (none still queued)
        unfinished=sum(1 for ind in sim.nodes[cloud].all_individuals if lo <= ind.arrival_date < hi),
    )


def _simulate_poisson_cloud(lam_c, c_c, hold_c, seed):
    """Control: the cloud node alone, fed by a Poisson stream at lambda_c (M/M/c in Ciw)."""
    Exp = ciw.dists.Exponential
    network = ciw.create_network(arrival_distributions=[Exp(lam_c)],
                                 service_distributions=[Exp(1.0 / hold_c)],
                                 number_of_servers=[c_c])
    ciw.seed(seed)
    sim = ciw.Simulation(network)
    sim.simulate_until_max_time(CONTROL_HORIZON_S)
    lo, hi = WARMUP_S, CONTROL_HORIZON_S - COOLDOWN_S
    waits = [r.waiting_time for r in sim.get_all_records(only=["service"]) if lo <= r.arrival_date < hi]
    return sum(waits) / len(waits)


@pytest.fixture(scope="module")
def model():
    scn = load("chatbot").replace(**OVERRIDES)
    res = paradigms.evaluate(scn)["edge_cloud"]
    mec, cloud = res.sites
    assert (mec.site, cloud.site) == ("mec", "cloud")
    return scn, res, mec, cloud


@pytest.fixture(scope="module")
def closed(model):
    scn, res, mec, cloud = model
    blocked = queueing.erlang_b(mec.arrival_rate * mec.service_time, mec.servers)
    w_cloud = queueing.mmc_mean_wait(cloud.arrival_rate, 1.0 / cloud.service_time, cloud.servers)
    return dict(blocked=blocked, w_cloud=w_cloud, queue=res.breakdown["queue"])


@pytest.fixture(scope="module")
def simulated(model):
    scn, _, mec, cloud = model
    return _simulate(scn.mec.sites, mec.arrival_rate, mec.servers, mec.service_time,
                     cloud.servers, cloud.service_time, SEED)


@pytest.fixture(scope="module")
def poisson_cloud_wait(model):
    _, _, _, cloud = model
    return _simulate_poisson_cloud(cloud.arrival_rate, cloud.servers, cloud.service_time, SEED)


def test_scenario_is_in_the_intended_regime(model, closed):
    scn, _, mec, cloud = model
    assert scn.mec.sites == 10 and scn.cloud.sites == 1
    assert 0.05 <= closed["blocked"] <= 0.20
    assert 0.5 <= cloud.utilization <= 0.8
    assert closed["queue"] > 1e-3       # the cloud wait is not negligible


def test_overflow_fraction_is_erlang_b_of_one_mec_site(model):
    """(3) paradigms uses exactly B(lambda_e * hold_e, c_e), lambda_e = lambda / mec.sites."""
    scn, res, mec, cloud = model
    svc = paradigms._service(scn, scn.mec, "llm")
    lam_e = scn.arrival_rate / scn.mec.sites
    assert (mec.arrival_rate, mec.servers, mec.service_time) == (
        lam_e, scn.mec.replicas * scn.mec.batch, svc.hold)
    b = float(queueing.erlang_b(lam_e * svc.hold, svc.servers))
    # the overflow rate seen by the cloud and the carried MEC load use b exactly
    assert cloud.arrival_rate == b * scn.arrival_rate / scn.cloud.sites
    assert mec.utilization == lam_e * (1 - b) * svc.hold / svc.servers
    note = re.search(r"overflow: ([0-9.]+)% of requests overflow", res.notes)
    assert note and note.group(1) == f"{100 * b:.2f}"
    # and the queue entry is B * W_cloud (M/M/c wait of the cloud at lambda_c = B*lambda)
    cl_svc = paradigms._service(scn, scn.cloud, "llm")
    w_c = queueing.mmc_mean_wait(b * scn.arrival_rate, 1.0 / cl_svc.hold, cl_svc.servers)
    assert res.breakdown["queue"] == pytest.approx(b * w_c, rel=1e-12)


def test_simulation_is_a_loss_network(simulated):
    assert simulated["rejections"] == 0          # blocked requests are redirected, not lost
    assert simulated["edge_max_wait"] == 0.0     # queue capacity 0 at the edge
    assert simulated["unfinished"] == 0          # the cool-down leaves no counted request behind
    assert simulated["requests"] > 400_000


def test_simulated_blocking_matches_erlang_b(simulated, closed):
    """(1) Erlang B: fraction of requests that find all c_e slots of their site busy."""
    frac = simulated["blocked"] / simulated["requests"]
    assert frac == pytest.approx(closed["blocked"], rel=RTOL)


def test_poisson_fed_cloud_matches_erlang_c(poisson_cloud_wait, closed):
    """Control: the cloud fed by a Poisson stream at lambda_c = B*lambda is the M/M/c of the closed form."""
    assert poisson_cloud_wait == pytest.approx(closed["w_cloud"], rel=RTOL)


@pytest.mark.xfail(strict=True, reason=(
    "paradigms overflow strategy treats the merged overflow of 10 MEC sites as Poisson "
    "(Palm-Khintchine); the overflow of an M/M/c/c site is peaked (Riordan Z = 2.43) and 10 "
    "streams do not smooth it, so the simulated cloud wait is ~4x Erlang C"))
def test_simulated_mean_queueing_delay_matches_breakdown(simulated, closed):
    """(2) mean queueing delay over all requests = B * W_cloud = breakdown['queue']."""
    assert simulated["mean_delay"] == pytest.approx(closed["queue"], rel=RTOL)
