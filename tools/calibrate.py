"""Fit the compute model's efficiency factors on the calibration subset.

Reproducible procedure (re-run by ``tests/test_calibration.py``):

1. Take the rows of ``genai_edge/data/validation.csv`` with ``calibration == 1``.
2. For each device group (``gpu``, ``soc``) fit the ``default`` factors on all
   its calibration rows pooled.
3. For each (runtime family, device group) with calibration rows, fit that
   family's factors on its own rows.

Each fit minimises, with scipy's bounded least squares, the squared log
errors log(predicted/measured) plus a weak prior (weight 0.1) that pulls
parameters the rows cannot identify towards generic values (η_F 0.6,
η_W 0.7, no overheads, 10 µs all-reduce step — ASSUMPTIONS, weak by
design). Family fits do not borrow from the pooled default, so one family's
rows never shift another family's factors. The
result is written to ``genai_edge/data/calibration.csv``.

Usage: ``python tools/calibrate.py [--check]`` (``--check`` compares, to 1e-4 relative, with
the shipped file instead of writing it).
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import least_squares

from genai_edge import catalog, compute, validation

OUT = Path(__file__).resolve().parents[1] / "genai_edge" / "data" / "calibration.csv"
PRIOR_WEIGHT = 0.1
GENERIC = np.array([0.6, 0.7, 0.0, 0.0, 10e-6])     # η_F, η_W, t_prefill, t_decode, α
LOWER = np.array([0.05, 0.05, 0.0, 0.0, 0.0])
UPPER = np.array([1.0, 1.0, 2e-3, 2e-3, 100e-6])
SCALE = np.array([1.0, 1.0, 1e-4, 1e-4, 1e-5])       # prior residual scale per parameter
FIELDS = ["runtime_family", "device_group", "compute_efficiency", "bandwidth_efficiency",
          "prefill_layer_overhead_s", "decode_layer_overhead_s", "allreduce_step_latency_s",
          "fitted_on", "source"]


def _factors(x, family="fit", group="fit"):
    return compute.EfficiencyFactors(family, group, *map(float, x), fitted_on="", source="")


def _residuals(x, rows, prior):
    f = _factors(x)
    errs = [np.log(validation.predict(r, f) / r["measured"]) for r in rows]
    return np.concatenate([errs, PRIOR_WEIGHT * (x - prior) / SCALE])


def fit(rows, prior):
    result = least_squares(_residuals, x0=np.clip(prior, LOWER + 1e-9, UPPER - 1e-9),
                           bounds=(LOWER, UPPER), args=(rows, prior), x_scale=SCALE,
                           xtol=1e-12, ftol=1e-12, gtol=1e-12)
    return result.x


def calibrate() -> list[dict]:
    rows = [r for r in validation.cases() if r["calibration"]]
    for r in rows:
        r["family"] = catalog.runtime(r["runtime"]).family
        r["group"] = compute.device_group(catalog.hardware(r["hardware"]).device_class)
    out = []
    for group in sorted(set(compute.DEVICE_GROUPS.values())):
        pooled = [r for r in rows if r["group"] == group]
        out.append(_row("default", group, fit(pooled, GENERIC), pooled))
        for family in sorted({r["family"] for r in pooled}):
            own = [r for r in pooled if r["family"] == family]
            out.append(_row(family, group, fit(own, GENERIC), own))
    return out


def _row(family, group, x, rows):
    return dict(zip(FIELDS, [family, group, *(f"{v:.6g}" for v in x),
                             " ".join(r["case_id"] for r in rows),
                             "tools/calibrate.py on validation.csv calibration rows"]))


def render(table: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\n")
    w.writeheader()
    w.writerows(table)
    return buf.getvalue()


def _same(shipped: str, fresh: str) -> bool:
    """Same rows and labels, and parameters equal to 1e-4 relative (or 1e-9 of their scale).

    A parameter pinned at its bound of 0 comes out as ~1e-29 with digits that
    depend on the BLAS build; the tolerance keeps the check about the fit.
    """
    a, b = (list(csv.DictReader(io.StringIO(t))) for t in (shipped, fresh))
    if len(a) != len(b):
        return False
    params = FIELDS[2:7]
    for ra, rb in zip(a, b):
        if any(ra[k] != rb[k] for k in FIELDS if k not in params):
            return False
        x, y = (np.array([float(r[k]) for k in params]) for r in (ra, rb))
        if np.any(np.abs(x - y) > 1e-4 * np.maximum(np.abs(x), np.abs(y)) + 1e-9 * SCALE):
            return False
    return True


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the shipped file")
    args = ap.parse_args(argv)
    text = render(calibrate())
    if args.check:
        same = _same(OUT.read_text(), text)
        print("calibration.csv is up to date" if same else "calibration.csv differs from a fresh fit")
        return 0 if same else 1
    OUT.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
