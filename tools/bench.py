"""Rerunnable benchmark (`make bench`): throughput of the array-first comparison.

Prints one JSON object and a markdown table:

- ``full_comparison_points_per_s``: all four paradigms (routing strategy),
  every registry metric, on a 1e6-point grid over cloud distance × users ×
  cloud model × cloud hardware (125 × 100 × 10 × 8), one core; the median of
  three sweeps in one process after a full-size warm-up sweep (steady state:
  compiled kernels, catalogs and the allocator's pages are in place);
- ``first_sweep_points_per_s``: the same grid, the first full-size sweep of a
  fresh process (includes first-touch page faults of its ~600 MB output,
  which vary several-fold between runs on a virtual machine);
- ``vectorized_over_loop_ratio``: per-point cost of a scalar loop of
  ``evaluate`` over 2,000 points sampled from that grid, over the per-point
  cost of the vectorized sweep, measured interleaved (A B A B ...), a ratio
  per pair, min and median;
- ``overflow_points_per_s``: the overflow strategy's sweep (MAP/M/c queue
  solved once per distinct configuration) on a 20 × 100 grid;
- ``peak_rss_mb`` of the 1e6 sweep (a separate process), ``import_s``;
- ``dask_points_per_s`` and ``dask_peak_rss_mb`` (all processes of the
  LocalCluster together, sampled) of a 2e7-point sweep written to parquet;
- ``reports_cold_s`` and ``reports_warm_s``: ``genai-edge report --all``
  into an empty folder, then again.

``--quick`` shrinks every size (used by the test suite to check the script runs).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")        # one core
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402

MODELS = ["llama-3.1-8b", "llama-3.1-70b", "qwen2.5-7b", "llama-2-7b", "mistral-7b", "llama-3-8b",
          "gemma-2b", "phi-3-mini", "llama-2-13b", "mixtral-8x7b"]
# every catalog accelerator with a device interconnect (the cloud replica is 2-way tensor parallel)
HARDWARE = ["h100-sxm5-80gb", "a100-sxm4-80gb", "l4-24gb", "h200-sxm-141gb", "l40s-48gb",
            "a100-sxm4-40gb", "h100-pcie-80gb", "rtx4090-24gb"]


def grid_axes(n_distance: int, n_users: int, n_models: int = 10, n_hardware: int = 8) -> dict:
    return {"network.cloud_distance_km": np.linspace(0, 5000, n_distance),
            "workload.users": np.linspace(1000, 30000, n_users),
            "cloud.model": MODELS[:n_models], "cloud.hardware": HARDWARE[:n_hardware]}


def _sweep_child(n_distance: int, n_users: int) -> None:
    """Run in a fresh process: time the first and three steady-state sweeps, print seconds and peak RSS."""
    import resource

    from genai_edge import sweep
    axes = grid_axes(n_distance, n_users)
    sweep("chatbot", {k: v[:2] for k, v in axes.items()})          # warm catalogs and imports
    seconds = []
    for _ in range(4):
        start = time.perf_counter()
        table = sweep("chatbot", axes, block_points=1_000_000)
        seconds.append(time.perf_counter() - start)
        rows = len(table)
        del table
    print(json.dumps({"first_seconds": seconds[0], "seconds": statistics.median(seconds[1:]), "rows": rows,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def _child(*args) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *map(str, args)], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _interleaved_ratio(pairs: int, n_loop: int, n_distance: int, n_users: int) -> list:
    from genai_edge import paradigms, scenario, sweep
    base = scenario.load("chatbot")
    axes = grid_axes(n_distance, n_users)
    rng = np.random.default_rng(7)
    points = [{k: (v[rng.integers(len(v))].item() if hasattr(v, "dtype") else v[rng.integers(len(v))])
               for k, v in axes.items()} for _ in range(n_loop)]
    n_grid = n_distance * n_users * 80
    ratios = []
    for _ in range(pairs):
        start = time.perf_counter()
        sweep(base, axes, block_points=1_000_000)
        per_point_vec = (time.perf_counter() - start) / n_grid
        start = time.perf_counter()
        for p in points:
            paradigms.evaluate(base.replace(**p), check_memory=False)
        per_point_loop = (time.perf_counter() - start) / n_loop
        ratios.append(per_point_loop / per_point_vec)
    return ratios


def _overflow(n_distance: int, n_users: int) -> float:
    from genai_edge import sweep
    axes = {"network.cloud_distance_km": np.linspace(0, 5000, n_distance),
            "workload.users": np.linspace(1000, 15000, n_users), "edge_cloud.strategy": ["overflow"]}
    start = time.perf_counter()
    sweep("chatbot", axes)
    return n_distance * n_users / (time.perf_counter() - start)


def _import_s(repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import genai_edge"], check=True)
        times.append(time.perf_counter() - start)
    base = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        base.append(time.perf_counter() - start)
    return statistics.median(times) - statistics.median(base)


def _tree_rss_mb(pid: int) -> float:
    import psutil
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 2**20


def _dask(n_distance: int, n_users: int, workers: int) -> dict:
    from genai_edge import sweep
    axes = grid_axes(n_distance, n_users)
    points = n_distance * n_users * 80
    peak = [0.0]
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            peak[0] = max(peak[0], _tree_rss_mb(os.getpid()))
            time.sleep(0.2)

    with tempfile.TemporaryDirectory() as tmp:
        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        start = time.perf_counter()
        sweep("chatbot", axes, backend="dask", out=os.path.join(tmp, "grid"), n_workers=workers,
              block_points=250_000, progress=False)
        seconds = time.perf_counter() - start
        stop.set()
        thread.join()
    return {"dask_points": points, "dask_points_per_s": points / seconds, "dask_peak_rss_mb": peak[0],
            "dask_workers": workers}


def _reports() -> dict:
    exe = os.path.join(os.path.dirname(sys.executable), "genai-edge")
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "reports")
        times = []
        for _ in range(2):
            start = time.perf_counter()
            subprocess.run([exe, "report", "--all", "--out", out, "--jobs", "2"], check=True,
                           capture_output=True)
            times.append(time.perf_counter() - start)
    return {"reports_cold_s": times[0], "reports_warm_s": times[1]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    parser.add_argument("--no-dask", action="store_true", help="skip the 2e7-point dask sweep")
    parser.add_argument("--no-reports", action="store_true", help="skip the make reports timing")
    parser.add_argument("--child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _sweep_child(*args.child)
        return
    nd, nu = (10, 10) if args.quick else (125, 100)
    one = _child(nd, nu)
    result = {"grid_points": nd * nu * 80, "full_comparison_points_per_s": nd * nu * 80 / one["seconds"],
              "first_sweep_points_per_s": nd * nu * 80 / one["first_seconds"],
              "peak_rss_mb": one["peak_rss_mb"]}
    ratios = _interleaved_ratio(1 if args.quick else 3, 20 if args.quick else 2000, nd, nu)
    result.update(vectorized_over_loop_ratio_min=min(ratios), vectorized_over_loop_ratio=statistics.median(ratios),
                  vectorized_over_loop_pairs=len(ratios))
    result["overflow_points_per_s"] = _overflow(5 if args.quick else 20, 10 if args.quick else 100)
    result["import_s"] = _import_s(2 if args.quick else 5)
    if not args.no_dask:
        result.update(_dask(10, 10, 1) if args.quick else _dask(250, 1000, os.cpu_count() or 1))
    if not args.no_reports and not args.quick:
        result.update(_reports())
    print(json.dumps(result))
    print()
    print("| metric | value |")
    print("|---|---|")
    for key, value in result.items():
        print(f"| {key} | {value:,.4g} |" if isinstance(value, float) else f"| {key} | {value} |")


if __name__ == "__main__":
    main()
