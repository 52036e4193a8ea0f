"""Published LLM inference measurements vs the compute model.

``data/validation.csv`` holds every shipped measurement (copied with its
source from ``shared/reference/validation_public.csv``). Rows with
``calibration == 1`` are the stated subset that ``tools/calibrate.py`` fits the
efficiency factors on; the others are held out and report honest accuracy.
"""
from __future__ import annotations

import warnings

import numpy as np

from . import catalog, compute

__all__ = ["cases", "predict", "validation_table", "summary"]

QUANTITIES = ("prefill_s", "ttft_s", "tpot_s", "decode_tokens_per_s")
PREFILL_QUANTITIES = ("prefill_s", "ttft_s")


def cases() -> list[dict]:
    """The LLM inference validation rows, with numeric fields parsed."""
    out = []
    for r in catalog.read_csv("validation.csv"):
        if r["quantity"] not in QUANTITIES:
            continue
        out.append(dict(
            r, devices=int(r["devices"]), batch=int(r["batch"]),
            prompt_tokens=int(r["prompt_tokens"] or 1),
            context_tokens=float(r["context_tokens"]) if r["context_tokens"] else None,
            measured=float(r["measured"]), calibration=r["calibration"] == "1"))
    return out


def predict(case: dict, factors: compute.EfficiencyFactors | None = None) -> float:
    """The model's value of ``case['quantity']`` for one validation case."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", compute.MemoryWarning)
        est = compute.estimate(
            case["model"], case["hardware"], case["precision"], case["runtime"],
            devices=case["devices"], batch=case["batch"], prompt_tokens=case["prompt_tokens"],
            output_tokens=1, context_tokens=case["context_tokens"], factors=factors)
    return float(getattr(est, case["quantity"]))


def validation_table():
    """Every validation case with prediction and signed relative error.

    Returns
    -------
    pandas.DataFrame
        Columns: case_id, quantity, model, hardware, devices, precision,
        runtime, measured, predicted, unit, error (predicted/measured − 1),
        calibration (True if the fit used the row), source.
    """
    import pandas as pd

    rows = []
    for c in cases():
        p = predict(c)
        rows.append(dict(
            case_id=c["case_id"], quantity=c["quantity"], model=c["model"],
            hardware=c["hardware"], devices=c["devices"], precision=c["precision"],
            runtime=c["runtime"], measured=c["measured"], predicted=p, unit=c["unit"],
            error=p / c["measured"] - 1.0, calibration=c["calibration"], source=c["source"]))
    return pd.DataFrame(rows)


def summary(table=None) -> dict:
    """Median |error| for prefill/TTFT and decode rows: all, calibration, held out."""
    t = validation_table() if table is None else table
    out = {}
    for family, mask in (("prefill_ttft", t.quantity.isin(PREFILL_QUANTITIES)),
                         ("decode", ~t.quantity.isin(PREFILL_QUANTITIES))):
        for subset, sel in (("all", mask), ("calibration", mask & t.calibration),
                            ("held_out", mask & ~t.calibration)):
            err = np.abs(t.error[sel])
            out[f"{family}_{subset}_median_abs_error"] = float(err.median()) if len(err) else None
            out[f"{family}_{subset}_rows"] = int(sel.sum())
    return out


def held_out_log_spread(table=None) -> float:
    """Spread of the model's error on rows the calibration never saw: std of ln(predicted/measured).

    The sigma of a lognormal compute-time factor that stands for the
    calibration's out-of-sample uncertainty (use it with
    ``sweep.Uncertain('lognormal', 1.0, sigma)`` on ``<site>.compute_scale``). [-]
    """
    t = validation_table() if table is None else table
    held = t[~t.calibration]
    return float(np.std(np.log1p(held.error.to_numpy()), ddof=1))
