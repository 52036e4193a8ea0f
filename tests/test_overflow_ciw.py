"""Ciw loss-network simulation of the ``edge_cloud`` *overflow* strategy.

The closed form (``paradigms._overflow_queue``, :mod:`genai_edge.overflow`):

* each of ``mec.sites`` MEC sites is an M/M/c/c loss system (c_e =
  mec.replicas x mec.batch slots, holding time ``hold_e``) offered Poisson
  traffic at lambda_e = lambda / sites; a request finds every slot busy with
  the Erlang B probability B = B(lambda_e hold_e, c_e) and goes to the cloud;
* the cloud (c_c slots, holding time ``hold_c``) queues the merged overflow of
  all sites, modelled as a Markovian arrival process built from each site's
  exact overflow-interval law reduced to 3 exponential terms;
* the ``queue`` entry of the breakdown is the mean over *all* requests,
  B x W_cloud: requests served at their MEC site never wait.

This file checks that against a discrete-event simulation in Ciw that uses
none of our queueing code: N edge nodes with c_e servers and
``queue_capacities`` 0, Poisson arrivals at each, exponential service; a
request that finds its edge node full is sent to a cloud node (c_c servers,
unlimited queue, exponential service) instead of being lost.

Construction. Ciw's ``ArrivalNode.release_individual`` (ciw 3.x) is where an
external arrival that finds its target node full is recorded as a
rejection. :class:`OverflowArrivalNode` overrides it: when the target is a
full edge node the individual goes through the normal ``decide_baulk`` ->
``send_individual`` -> ``Node.accept`` path, but into the cloud node. The
routing matrix is all zeros, so every request leaves after one service.
Parameters (arrival rate per site, slots, holding times) are read from
``evaluate(scn)['edge_cloud'].sites``, i.e. the closed form's own inputs.

Regime and precision. Overflow waits come in long correlated bursts, so the
simulated mean converges slowly: in the chatbot-sized case of 10 sites x 16
slots its standard error was still 8.6 % after 1.35 million requests. This
file uses a smaller deployment with the same edge/cloud holding-time ratio
(0.49): 5 MEC sites of one L4 replica x 4 slots, one cloud replica of 4
slots, B ~ 28 %, cloud utilisation 0.65. Here the closed form is exact to
0.01 % (the 3-term interval law gives the same mean wait as the full 5-term
one, which reproduces the exact Markov chain in ``tests/test_overflow.py``),
so any difference is simulation noise. One replication of ~510,000 requests
has a standard deviation of ~2.7 % with a long tail (16 Ciw replications:
from -6.3 % to +3.3 % of the closed form), so a single run cannot carry a
5 % check. Hence 6 replications (3.1 million requests, two processes at a
time), with the standard error recomputed from the replications and
asserted below 1.5 % so that the 5 % check can fail. Result with the seeds
below: simulated 0.601 s +- 0.82 % against the closed form's 0.605 s
(+0.73 %; 16 replications give +0.26 % +- 0.69 %); blocking -0.03 % from
Erlang B; the Poisson treatment of the overflow (Erlang C) misses the same
simulation by -55 %, also asserted.
"""
import math
import re
import statistics

import pytest

ciw = pytest.importorskip("ciw")

from genai_edge import paradigms, queueing  # noqa: E402
from genai_edge.scenario import load  # noqa: E402

pytestmark = pytest.mark.slow

OVERRIDES = {
    "edge_cloud.strategy": "overflow",
    "workload.users": 1400,
    "workload.rate_per_user_per_h": 6,
    "mec.sites": 5,
    "mec.replicas": 1,
    "mec.batch": 4,
    "cloud.sites": 1,
    "cloud.replicas": 1,
    "cloud.batch": 4,
}

SEED = 20240611
REPLICATIONS = 6
HORIZON_S = 222_000.0   # per replication: ~510,000 counted requests at 2.3 requests/s
WARMUP_S = 2_000.0      # discard the transient from an empty network (> 200 hold_e)
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
    """One replication of the loss network; counts and waits over the counting window."""
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
    over = [r for r in recs if r.node == cloud]
    return dict(
        rejections=len(sim.get_all_records(only=["rejection"])),
        edge_max_wait=max(r.waiting_time for r in recs if r.node != cloud),
        requests=len(recs),
        blocked=len(over),
        total_wait=sum(r.waiting_time for r in over),
        # every counted request has left the network (none still queued)
        unfinished=sum(1 for ind in sim.nodes[cloud].all_individuals if lo <= ind.arrival_date < hi),
    )


@pytest.fixture(scope="module")
def model():
    scn = load("chatbot").replace(**OVERRIDES)
    res = paradigms.evaluate(scn)["edge_cloud"]
    mec, cloud = res.sites
    assert (mec.site, cloud.site) == ("mec", "cloud")
    return scn, res, mec, cloud


@pytest.fixture(scope="module")
def replications(model):
    """The replications, two processes at a time (each seeds Ciw itself: same numbers as serial)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    scn, _, mec, cloud = model
    args = [(scn.mec.sites, mec.arrival_rate, mec.servers, mec.service_time, cloud.servers,
             cloud.service_time, SEED + i) for i in range(REPLICATIONS)]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        return list(pool.map(_simulate, *zip(*args)))


@pytest.fixture(scope="module")
def simulated(replications):
    """Pooled estimates and the standard error of the mean delay from the replications."""
    per_run = [r["total_wait"] / r["requests"] for r in replications]
    requests = sum(r["requests"] for r in replications)
    delay = sum(r["total_wait"] for r in replications) / requests
    return dict(
        requests=requests,
        blocked=sum(r["blocked"] for r in replications) / requests,
        delay=delay,
        delay_rse=statistics.stdev(per_run) / math.sqrt(len(per_run)) / delay,
    )


def test_scenario_is_in_the_intended_regime(model):
    scn, res, mec, cloud = model
    assert cloud.service_time < mec.service_time   # overflow goes to the faster 70B-on-H100 cloud
    assert 0.2 <= cloud.arrival_rate / scn.arrival_rate <= 0.4
    assert 0.5 <= cloud.utilization <= 0.8
    assert res.breakdown["queue"] > 0.1
    assert "MAP (3-term intervals)" in res.notes


def test_breakdown_queue_is_blocking_times_the_map_wait(model):
    """paradigms uses exactly B(lambda_e hold_e, c_e) and the MAP/M/c wait of the merged overflow."""
    from genai_edge import overflow
    scn, res, mec, cloud = model
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


def test_simulation_is_a_loss_network(replications, simulated):
    assert all(r["rejections"] == 0 for r in replications)     # redirected, not lost
    assert all(r["edge_max_wait"] == 0.0 for r in replications)  # no queue at the edge
    assert all(r["unfinished"] == 0 for r in replications)     # the cool-down leaves none behind
    assert simulated["requests"] > 2_900_000


def test_simulated_blocking_matches_erlang_b(model, simulated):
    """The fraction of requests that find all c_e slots of their site busy."""
    scn, _, mec, cloud = model
    assert simulated["blocked"] == pytest.approx(cloud.arrival_rate / scn.arrival_rate, rel=RTOL)


def test_simulated_mean_queueing_delay_matches_breakdown(model, simulated):
    """Mean queueing delay over all requests = breakdown['queue'], within 5 %."""
    _, res, _, _ = model
    assert simulated["delay_rse"] < 0.015     # the check can tell 5 % apart
    assert simulated["delay"] == pytest.approx(res.breakdown["queue"], rel=RTOL)


def test_poisson_treatment_of_the_overflow_misses_the_simulation(model, simulated):
    """The earlier closed form (overflow as Poisson, Erlang C) is far off: the check discriminates."""
    scn, _, _, cloud = model
    blocked = cloud.arrival_rate / scn.arrival_rate
    poisson = blocked * queueing.mmc_mean_wait(cloud.arrival_rate, 1 / cloud.service_time, cloud.servers)
    assert poisson < 0.7 * simulated["delay"]
