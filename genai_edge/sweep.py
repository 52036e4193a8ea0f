"""Sweeps: every paradigm over many design points at once, as one tidy table.

``sweep(scenario, axes)`` evaluates the four paradigms at every point of a
grid (or of zipped axes) in vectorized passes over blocks of points — no
Python loop per point — and returns a pandas DataFrame with one row per
point × paradigm, a column per swept key, every registry metric, and the
``stable`` and ``fits_in_memory`` flags (points that do not fit or whose
queues are unstable are flagged, never dropped). :func:`evaluate` is the
one-point case of the same code.

Compute estimates are made once per distinct (model, hardware, precision,
runtime, devices, batch); in a grid each quantity is computed on the axes it
depends on and broadcast. ``backend="dask"`` splits the grid into blocks on
a ``dask.distributed`` cluster and writes a partitioned parquet dataset.

Any numeric key may be :class:`Uncertain`: it is sampled ``samples`` times
(a shared sample axis, independent draws per key) and the table gives
percentile bands instead of single values.
"""
from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import metrics as metrics_mod
from .arrays import ScenarioArrays
from .files import atomic_path
from .paradigms import PARADIGMS, Context, paradigm_paths, resolve

__all__ = ["sweep", "Uncertain", "pareto_mask"]

DEFAULT_BLOCK_POINTS = 250_000
MAX_FRAME_POINTS = 20_000_000     # an in-memory table larger than this needs backend='dask'


@dataclass(frozen=True)
class Uncertain:
    """A numeric key given as a distribution.

    kinds and parameters: ``normal(mean, sd)``, ``lognormal(median, sigma)``
    (sigma of the log), ``uniform(low, high)``, ``triangular(low, mode, high)``.
    """
    kind: str
    params: tuple

    _KINDS = {"normal": ("mean", "sd"), "lognormal": ("median", "sigma"), "uniform": ("low", "high"),
              "triangular": ("low", "mode", "high")}

    def __init__(self, kind: str, *params, **named):
        if kind not in self._KINDS:
            raise ValueError(f"Uncertain kind must be one of {', '.join(self._KINDS)}, got {kind!r}")
        names = self._KINDS[kind]
        values = list(params) + [named.pop(n) for n in names[len(params):] if n in named]
        if named or len(values) != len(names):
            raise ValueError(f"Uncertain('{kind}') takes {', '.join(names)}")
        values = [float(x) for x in values]
        if not all(math.isfinite(x) for x in values):
            raise ValueError(f"Uncertain('{kind}') parameters must be finite, got {values}")
        if kind in ("normal", "lognormal") and values[1] < 0:
            raise ValueError(f"Uncertain('{kind}'): {names[1]} must be >= 0")
        if kind == "uniform" and not values[0] <= values[1]:
            raise ValueError("Uncertain('uniform'): low must be <= high")
        if kind == "triangular" and not values[0] <= values[1] <= values[2]:
            raise ValueError("Uncertain('triangular'): low <= mode <= high required")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "params", tuple(values))

    def sample(self, n: int, rng) -> np.ndarray:
        p = self.params
        if self.kind == "normal":
            return rng.normal(p[0], p[1], n)
        if self.kind == "lognormal":
            return p[0] * np.exp(rng.normal(0.0, p[1], n))
        if self.kind == "uniform":
            return rng.uniform(p[0], p[1], n)
        return rng.triangular(p[0], p[1], p[2], n) if p[0] < p[2] else np.full(n, p[0])


# ------------------------------------------------------------------ kernel
def evaluate_arrays(arrays: ScenarioArrays, selected=None) -> dict:
    """paradigm → {metric: array, 'stable': bool array, 'fits_in_memory': bool array} over the points."""
    ctx = Context(arrays)
    paths = paradigm_paths(ctx)
    values = metrics_mod.compute_all(ctx, paths, selected)
    for p in PARADIGMS:
        values[p]["stable"] = paths[p].stable
        values[p]["fits_in_memory"] = paths[p].fits
    return values


def _blocks(shape: tuple, block_points: int):
    """Sub-grids of at most ``block_points`` points: [(axis, start, stop) per fixed axis...]."""
    if not shape or math.prod(shape) <= block_points:
        yield []
        return
    j = len(shape)
    while j > 0 and math.prod(shape[j - 1:]) <= block_points:
        j -= 1
    inner = math.prod(shape[j:])                 # points below axis j - 1
    step = max(1, block_points // inner)
    outer = [range(n) for n in shape[:j - 1]]
    for index in np.ndindex(*[len(r) for r in outer]) if outer else [()]:
        fixed = [(axis, i, i + 1) for axis, i in enumerate(index)]
        for start in range(0, shape[j - 1], step):
            yield fixed + [(j - 1, start, min(start + step, shape[j - 1]))]


def _take(arrays: ScenarioArrays, spec) -> ScenarioArrays:
    for axis, start, stop in spec:
        arrays = arrays.block(axis, start, stop)
    return arrays


def _frame(arrays: ScenarioArrays, values: dict, names: list, sample_axis: int | None, percentiles):
    """Tidy rows for one block: point-major, one row per point × paradigm."""
    import pandas as pd

    shape = arrays.shape
    n_par = len(PARADIGMS)
    point_shape = shape if sample_axis is None else shape[:sample_axis] + shape[sample_axis + 1:]
    n = math.prod(point_shape)
    levels = [None] if sample_axis is None else list(percentiles)
    cols = {}

    def axis_column(a):
        a = np.broadcast_to(a, shape)
        if sample_axis is not None:
            a = np.take(a, 0, axis=sample_axis)
        return np.repeat(a.reshape(-1), n_par * len(levels))

    for key in arrays.swept:
        if key in arrays.uncertain:
            continue
        if key in arrays.categorical:
            codes, ids = arrays.categorical[key]
            cols[key] = pd.Categorical.from_codes(axis_column(codes), categories=list(ids))
        else:
            cols[key] = axis_column(arrays.numeric[key])
    cols["paradigm"] = pd.Categorical.from_codes(np.tile(np.repeat(np.arange(n_par), len(levels)), n),
                                                 categories=list(PARADIGMS))
    if sample_axis is not None:
        cols["percentile"] = np.tile(np.asarray(levels, dtype=float), n * n_par)
    # every metric in one float block laid out as pandas stores it (column-major), then the rest
    block = np.empty((len(names), n, n_par, len(levels)))
    for j, name in enumerate(names):
        for k, p in enumerate(PARADIGMS):
            column = block[j, :, k, 0].reshape(shape) if sample_axis is None else None
            if column is not None and np.shares_memory(column, block):
                column[...] = values[p][name]       # broadcast straight into the strided column
            else:
                block[j, :, k, :] = _reduce(values[p][name], shape, sample_axis, levels, n)
    frame = pd.DataFrame(block.reshape(len(names), -1).T, columns=names, copy=False)
    for i, (key, col) in enumerate(cols.items()):
        frame.insert(i, key, col)
    for name in ("stable", "fits_in_memory"):
        flags = np.stack([_reduce(values[p][name], shape, sample_axis, None, n) for p in PARADIGMS], axis=1)
        frame[name] = np.repeat(flags.reshape(-1) > 0.5, len(levels))
    return frame


def _reduce(value, shape, sample_axis, levels, n):
    """A metric over the block's points: (points, levels) after percentiles over the sample axis."""
    v = np.broadcast_to(np.asarray(value, dtype=float), shape)
    if sample_axis is None:
        return v.reshape(n, 1) if levels is not None else v.reshape(n)
    if levels is None:                         # flags: true only if true for every draw
        return v.min(axis=sample_axis).reshape(n)
    with np.errstate(invalid="ignore"):
        return np.moveaxis(np.percentile(v, levels, axis=sample_axis), 0, -1).reshape(n, len(levels))


# ------------------------------------------------------------------ public
def sweep(scenario, axes: dict, mode: str = "grid", *, metrics=None, samples: int = 200,
          percentiles=(5.0, 50.0, 95.0), seed: int = 0, backend: str = "numpy",
          block_points: int | None = None, out=None, address: str | None = None,
          n_workers: int | None = None, progress: bool | None = None):
    """All four paradigms over many points: a tidy table, one row per point × paradigm.

    Parameters
    ----------
    scenario : Scenario or str
        The base scenario, a built-in name or a YAML path; keys not in
        ``axes`` keep its values.
    axes : dict
        Dotted scenario key → values in the file's unit, e.g.
        ``{'network.cloud_distance_km': np.linspace(0, 5000, 200),
        'cloud.model': ['llama-3.1-8b', 'llama-3.1-70b']}``; a numeric key
        may be an :class:`Uncertain` distribution.
    mode : {'grid', 'zip'}
        Every combination of the axes, or the i-th values together.
    metrics : list of str, optional
        Registry metrics to compute (default: all); ``stable`` and
        ``fits_in_memory`` are always there.
    samples : int
        Draws of the :class:`Uncertain` keys (1 to 100,000). [-]
    percentiles : sequence of float
        Bands reported over the draws, in [0, 100]. [%]
    seed : int
        Random seed of the draws.
    backend : {'numpy', 'dask'}
        In-process blocks, or blocks on a ``dask.distributed`` cluster
        (a LocalCluster unless ``address`` is given) written to ``out``.
    block_points : int, optional
        Points per block (default 250,000).
    out : str or path, optional
        Parquet dataset folder to write (one file per block); required for
        ``'dask'``. With ``'numpy'`` the table is also returned.
    address : str, optional
        Scheduler address of an existing dask cluster.
    n_workers : int, optional
        Workers of the LocalCluster (default: the machine's cores).
    progress : bool, optional
        Progress bar (tqdm; default: shown when a sweep has several blocks
        and runs longer than 2 s).

    Returns
    -------
    pandas.DataFrame or pathlib.Path
        The table (numpy backend), or the parquet folder (dask backend).
    """
    scn = resolve(scenario)
    if backend not in ("numpy", "dask"):
        raise ValueError(f"backend must be 'numpy' or 'dask', got {backend!r}")
    names = list(metrics or metrics_mod.names())
    for name in names:
        metrics_mod.get(name)
    if not (isinstance(samples, int) and 1 <= samples <= 100_000):
        raise ValueError(f"samples must be a whole number in [1, 100000], got {samples!r}")
    percentiles = [float(p) for p in percentiles]
    if not percentiles or not all(0.0 <= p <= 100.0 for p in percentiles):
        raise ValueError(f"percentiles must be values in [0, 100], got {percentiles}")
    block_points = int(block_points or DEFAULT_BLOCK_POINTS)
    if block_points < 1:
        raise ValueError("block_points must be >= 1")
    arrays = _build(scn, axes, mode, samples, seed)
    sample_axis = len(arrays.shape) - 1 if arrays.uncertain else None
    if sample_axis is not None and block_points < arrays.shape[-1]:
        block_points = arrays.shape[-1]
    specs = list(_blocks(arrays.shape, block_points))
    if backend == "dask":
        if out is None:
            raise ValueError("backend 'dask' writes a parquet dataset: give out='folder'")
        return _dask(scn, axes, mode, samples, seed, names, specs, sample_axis, percentiles, Path(out),
                     address, n_workers, progress)
    if math.prod(arrays.shape) > MAX_FRAME_POINTS:
        raise ValueError(f"{math.prod(arrays.shape):.3g} points is too many for an in-memory table "
                         f"(at most {MAX_FRAME_POINTS:.0e}); use backend='dask' with out='folder'")
    frames = []
    for spec in _progress(specs, progress):
        block = _take(arrays, spec)
        frames.append(_frame(block, evaluate_arrays(block, names), names, sample_axis, percentiles))
    import pandas as pd
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    if out is not None:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        _write_part(frame, folder / "part-00000.parquet")
    return frame


def _build(scn, axes, mode, samples, seed) -> ScenarioArrays:
    plain = {k: v for k, v in axes.items() if not isinstance(v, Uncertain)} if isinstance(axes, dict) else axes
    arrays = ScenarioArrays.build(scn, plain, mode)
    uncertain = {k: v for k, v in axes.items() if isinstance(v, Uncertain)}
    if uncertain:
        from .arrays import check_axis, sweep_keys
        keys = sweep_keys()
        rng = np.random.default_rng(seed)
        shape = arrays.shape + (samples,)
        layout = (1,) * len(arrays.shape) + (samples,)
        arrays.numeric = {k: a.reshape(a.shape + (1,)) if a.ndim else a for k, a in arrays.numeric.items()}
        arrays.categorical = {k: (c.reshape(c.shape + (1,)) if c.ndim else c, lv)
                              for k, (c, lv) in arrays.categorical.items()}
        for key, dist in uncertain.items():
            if key in plain:
                raise ValueError(f"axis '{key}' is given both as values and as a distribution")
            draws = dist.sample(samples, rng)
            if keys.get(key) is not None and keys[key].type in ("str", str):
                raise ValueError(f"axis '{key}' is categorical and cannot be a distribution")
            arrays.numeric[key] = check_axis(scn, keys, key, draws).reshape(layout)
        arrays.shape = shape
    arrays.uncertain = tuple(uncertain)
    return arrays


def _bar(total: int, progress):
    from tqdm.auto import tqdm
    return tqdm(total=total, desc="sweep", unit="block", delay=0 if progress else 2.0)


def _progress(items, progress):
    """The blocks, with a progress bar when there are several (shown after 2 s unless asked for)."""
    if progress is False or (progress is None and len(items) < 2):
        return items
    return _with_bar(items, progress)


def _with_bar(items, progress):
    bar = _bar(len(items), progress)
    for item in items:
        yield item
        bar.update()
    bar.close()


def _write_part(frame, path: Path) -> int:
    """Write one partition atomically (a temporary file renamed into place)."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)
    return len(frame)


def _dask_block(scn, axes, mode, samples, seed, names, spec, sample_axis, percentiles, path) -> int:
    arrays = _take(_build(scn, axes, mode, samples, seed), spec)
    frame = _frame(arrays, evaluate_arrays(arrays, names), names, sample_axis, percentiles)
    return _write_part(frame, Path(path))


def _dask(scn, axes, mode, samples, seed, names, specs, sample_axis, percentiles, folder: Path,
          address, n_workers, progress):
    from dask.distributed import Client, LocalCluster, as_completed

    tmp_folder = folder.with_name(folder.name + ".partial")
    if tmp_folder.exists():
        shutil.rmtree(tmp_folder)
    tmp_folder.mkdir(parents=True)
    cluster = None
    if address is None:
        cluster = LocalCluster(n_workers=n_workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, dashboard_address=":0")
    client = Client(address or cluster)
    try:
        if progress is not False:
            print(f"dask dashboard: {client.dashboard_link}")
        futures = [client.submit(_dask_block, scn, axes, mode, samples, seed, names, spec, sample_axis,
                                 percentiles, str(tmp_folder / f"part-{i:05d}.parquet"), pure=False)
                   for i, spec in enumerate(specs)]
        bar = None if progress is False else _bar(len(futures), progress)
        for fut in as_completed(futures):
            fut.result()
            if bar is not None:
                bar.update()
        if bar is not None:
            bar.close()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    if folder.exists():          # the previous dataset stays until the new one is complete
        shutil.rmtree(folder)
    os.replace(tmp_folder, folder)
    return folder


def pareto_mask(x, y):
    """True where no other point is at least as low on both ``x`` and ``y`` and lower on one.

    Sorts by x (then y) and keeps the running minimum of y: O(n log n).
    NaN points are never on the front.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = ~(np.isnan(x) | np.isnan(y))
    order = np.lexsort((y, x))
    order = order[ok[order]]
    mask = np.zeros(x.shape, dtype=bool)
    best = np.inf
    for i in order:
        if y[i] < best:
            mask[i] = True
            best = y[i]
    return mask
