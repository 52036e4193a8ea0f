"""A scenario with arrays in place of values: the points of a sweep.

:class:`ScenarioArrays` holds, for every dotted scenario key, either the
base scenario's value or an array over the points. In a *grid* every swept
key has its own array axis (shape 1 on the others), so a quantity that
depends on two of four keys is computed on a 2-D slice and broadcast only
where it meets the others; in *zip* mode all swept keys share one axis.
Categorical keys (model, hardware, precision, runtime, access network,
strategy) are integer codes into a tuple of ids, checked against the
catalogs here, once, at the boundary.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import scenario as scenario_mod
from .scenario import Scenario, ScenarioError

__all__ = ["ScenarioArrays", "sweep_keys"]

#: Keys a sweep cannot vary: they change which model family is valid.
FIXED_KEYS = ("workload.kind",)
MAX_POINTS = 10_000_000_000  # a bound on any sweep's size, whatever the backend


def sweep_keys() -> dict:
    """Every dotted key with its dataclass field."""
    out = {}
    base = Scenario()
    for section in scenario_mod._SECTIONS:
        for f in dataclasses.fields(getattr(base, section)):
            out[f"{section}.{f.name}"] = f
    return out


def _is_text(f) -> bool:
    return f.type in ("str", str)


class ScenarioArrays:
    """Values of a scenario over the points of a sweep.

    Parameters
    ----------
    scenario : Scenario
        Values of every key that is not swept.
    numeric : dict
        Dotted key → float array broadcastable to ``shape`` (file units).
    categorical : dict
        Dotted key → (int codes broadcastable to ``shape``, tuple of ids).
    shape : tuple
        Shape of the point array.
    """

    def __init__(self, scenario: Scenario, numeric=None, categorical=None, shape=()):
        self.scenario = scenario
        self.numeric = dict(numeric or {})
        self.categorical = dict(categorical or {})
        self.shape = tuple(shape)
        self.uncertain = ()      # keys drawn from distributions (the last axis)

    def _base(self, key):
        section, name = key.split(".")
        return getattr(getattr(self.scenario, section), name)

    def num(self, key: str):
        """Numeric key as a float array (or a 0-d array) [file unit]."""
        if key in self.numeric:
            return self.numeric[key]
        return np.asarray(float(self._base(key)))

    def cat(self, key: str):
        """Categorical key as (codes, ids)."""
        if key in self.categorical:
            return self.categorical[key]
        return np.zeros((), dtype=np.intp), (self._base(key),)

    @property
    def kind(self) -> str:
        return self.scenario.workload.kind

    @property
    def swept(self) -> tuple:
        return tuple(self.numeric) + tuple(self.categorical)

    # ------------------------------------------------------------- building
    @classmethod
    def build(cls, scenario: Scenario, axes: dict, mode: str = "grid") -> "ScenarioArrays":
        """Check ``axes`` (dotted key → values) and lay them out as a grid or zipped."""
        if mode not in ("grid", "zip"):
            raise ValueError(f"mode must be 'grid' or 'zip', got {mode!r}")
        if not isinstance(axes, dict):
            raise ValueError(f"axes must be a dict of dotted scenario keys to values, got {type(axes).__name__}")
        keys = sweep_keys()
        checked = {}
        for key, values in axes.items():
            checked[key] = check_axis(scenario, keys, key, values)
        lengths = {k: len(v) for k, v in checked.items()}
        if mode == "zip" and len(set(lengths.values())) > 1:
            raise ValueError("in mode 'zip' every axis must have the same length, got "
                             + ", ".join(f"{k}: {n}" for k, n in lengths.items()))
        total = math.prod(lengths.values()) if mode == "grid" else next(iter(lengths.values()), 1)
        if total > MAX_POINTS:
            raise ValueError(f"the sweep has {total:.3g} points; at most {MAX_POINTS:.0e} are allowed")
        shape = tuple(lengths.values()) if mode == "grid" else ((total,) if checked else ())
        numeric, categorical = {}, {}
        for i, (key, values) in enumerate(checked.items()):
            layout = [1] * len(shape)
            if layout:
                layout[i if mode == "grid" else 0] = -1
            if _is_text(keys[key]):
                levels, codes = np.unique(np.asarray(values, dtype=object).astype(str), return_inverse=True)
                categorical[key] = (codes.reshape(layout), tuple(levels.tolist()))
            else:
                numeric[key] = np.asarray(values, dtype=float).reshape(layout)
        return cls(scenario, numeric, categorical, shape)

    def block(self, axis: int, start: int, stop: int) -> "ScenarioArrays":
        """The points whose index along ``axis`` is in [start, stop)."""
        def take(a):
            if a.ndim == 0 or a.shape[axis] == 1:
                return a
            return a[(slice(None),) * axis + (slice(start, stop),)]
        numeric = {k: take(a) for k, a in self.numeric.items()}
        categorical = {k: (take(c), lv) for k, (c, lv) in self.categorical.items()}
        shape = list(self.shape)
        shape[axis] = stop - start
        out = ScenarioArrays(self.scenario, numeric, categorical, shape)
        out.uncertain = self.uncertain
        return out


def check_axis(scn: Scenario, keys: dict, key: str, values):
    """One axis's values, checked like a scenario file's (type, range, catalog ids)."""
    if key in FIXED_KEYS:
        raise ValueError(f"axis '{key}' cannot be swept: run one sweep per workload kind")
    if key not in keys:
        raise ValueError(f"unknown axis '{key}'.{scenario_mod._suggest(str(key), keys)} "
                         "Axes are dotted scenario keys such as 'network.cloud_distance_km'")
    f = keys[key]
    if isinstance(values, (str, bytes)) or np.ndim(values) == 0:
        values = [values]
    if _is_text(f):
        values = list(values)
        for value in dict.fromkeys(values):
            scenario_mod._coerce(f"axis '{key}'", f, value)
        return values
    try:
        arr = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise ValueError(f"axis '{key}': expected numbers [{f.metadata['unit']}]") from None
    if arr.size == 0:
        raise ValueError(f"axis '{key}' has no values")
    md = f.metadata
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"axis '{key}': values must be finite numbers [{md['unit']}]")
    bad = np.zeros(arr.shape, dtype=bool)
    if md["low"] is not None:
        bad |= arr < md["low"]
    if md["high"] is not None:
        bad |= arr > md["high"]
    if bad.any():
        rng = f"[{md['low'] if md['low'] is not None else '-inf'}, {md['high'] if md['high'] is not None else 'inf'}]"
        raise ValueError(f"axis '{key}': {arr[bad][0]} is out of range; allowed {rng} [{md['unit']}]")
    if md["integer"] and np.any(arr != np.round(arr)):
        raise ValueError(f"axis '{key}': values must be whole numbers, got {arr[arr != np.round(arr)][0]}")
    return arr


def check_kind(arrays: ScenarioArrays) -> None:
    """Model ids must match the workload kind (LLM, or a diffusion model for images and video)."""
    from . import catalog
    kind = arrays.kind
    lookup = catalog.diffusion_model if kind in scenario_mod.MEDIA_KINDS else catalog.model
    for site in ("cloud", "mec", "device"):
        for model_id in arrays.cat(f"{site}.model")[1]:
            try:
                found = lookup(model_id)
            except KeyError as exc:
                raise ScenarioError(f"{arrays.scenario.source}: key '{site}.model' (workload.kind {kind!r}): "
                                    f"{exc.args[0]}") from None
            media = "video" if kind == "video" else "image"
            if kind in scenario_mod.MEDIA_KINDS and found.media != media:
                allowed = ", ".join(catalog.diffusion_model_ids(media))
                raise ScenarioError(f"{arrays.scenario.source}: key '{site}.model' (workload.kind {kind!r}): "
                                    f"{model_id} generates {found.media}s; allowed: {allowed}")
