"""Rerunnable benchmark (`make bench`): cost of evaluating the built-in scenarios.

Every timing is reported as a ratio to a baseline measured in the same run
(one ``evaluate`` of the chatbot scenario with the routing strategy, whose
queues are M/M/c), so the numbers compare across machines. Absolute
medians are printed too, for reference only.

Cases: each built-in scenario; the chatbot under each edge-cloud strategy
(the overflow strategy solves a MAP/M/c queue instead of Erlang C); the
overflow MAP queue alone at growing numbers of MEC sites; a 20-point sweep.
"""
from __future__ import annotations

import argparse
import statistics
import time

from genai_edge import overflow, paradigms, scenario


def _median_time(fn, repeat: int) -> float:
    fn()  # warm caches (catalog CSVs, imports)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed repetitions per case (median kept)")
    args = parser.parse_args(argv)

    chatbot = scenario.load("chatbot")
    base = _median_time(lambda: paradigms.evaluate(chatbot), args.repeat)
    cases = {f"evaluate {name}": (lambda s=scenario.load(name): paradigms.evaluate(s))
             for name in scenario.builtin_names()}
    for strategy in ("overflow", "speculative"):
        scn = chatbot.replace(**{"edge_cloud.strategy": strategy})
        cases[f"evaluate chatbot, {strategy}"] = lambda s=scn: paradigms.evaluate(s)
    interval = overflow.overflow_interval(1.0, 0.1, 16).reduced(3)
    for sites in (5, 10, 20, 30):
        arrivals = overflow.superpose(interval, sites)
        cases[f"MAP/M/c queue, {sites} sites, {arrivals.phases} phases, 128 slots"] = (
            lambda a=arrivals: overflow.map_queue_wait(a, 1.0, 128))
    cases["sweep chatbot over 20 user counts"] = lambda: paradigms.sweep(
        chatbot, "workload.users", range(10_000, 210_000, 10_000))

    print(f"baseline: evaluate chatbot (routing) median {base * 1e3:.2f} ms over {args.repeat} runs")
    print(f"{'case':<55} {'ratio':>8} {'median':>10}")
    for label, fn in cases.items():
        t = _median_time(fn, args.repeat)
        print(f"{label:<55} {t / base:>8.2f} {t * 1e3:>8.2f} ms")


if __name__ == "__main__":
    main()
