"""Published LLM inference measurements vs the compute model.

``data/validation.csv`` holds every shipped measurement with its source URL
and the quoted cell. Rows with ``calibration == 1`` are the stated subset
that ``tools/calibrate.py`` fits the efficiency factors on; the others are
held out and never enter any fit. The calibration also cross-validates
(leave one source out): each calibration row is predicted by a fit that saw
no row of its source, and ``data/cross_validation.csv`` ships those
predictions. The cross-validated error — over held-out rows and
cross-validated calibration rows together — is the model's honest accuracy.
"""
from __future__ import annotations

import functools
import warnings

import numpy as np

from . import catalog, compute

__all__ = ["QUANTITIES", "cases", "quantity_value", "predict", "validation_table", "summary",
           "held_out_log_spread"]

QUANTITIES = {
    "prefill_s": "prefill pass time [s]",
    "ttft_s": "time to first token (compute) [s]",
    "prefill_tokens_per_s": "prompt tokens processed per second, batch·prompt/prefill [token s^-1]",
    "tpot_s": "time per output token of one sequence [s]",
    "decode_tokens_per_s": "output tokens per second over the batch, batch/TPOT [token s^-1]",
    "throughput_tokens_per_s": ("output tokens per second of a static batch, prefill included: "
                                "batch·output/(prefill + (output − 1)·TPOT) [token s^-1]"),
    "throughput_tokens_per_gpu_s": "throughput_tokens_per_s divided by the number of GPUs [token s^-1]",
}
"""Measured quantities the validation rows may hold."""
PREFILL_QUANTITIES = ("prefill_s", "ttft_s", "prefill_tokens_per_s")
"""Quantities governed by the prefill pass; the others by decode."""

REGIME_BINS = {
    "prompt": ([0, 256, 1024, 4096, np.inf], ["<256", "256-1023", "1024-4095", ">=4096"]),
    "batch": ([1, 2, 16, 128, np.inf], ["1", "2-15", "16-127", ">=128"]),
    "devices": ([1, 2, 4, 8, np.inf], ["1", "2-3", "4-7", "8"]),
}


def _int(text, default):
    return int(float(text)) if text not in ("", None) else default


def cases() -> list[dict]:
    """The LLM inference validation rows, with numeric fields parsed."""
    out = []
    for r in catalog.read_csv("validation.csv"):
        if r["quantity"] not in QUANTITIES:
            raise ValueError(f"validation.csv: row {r['case_id']}: key 'quantity' is {r['quantity']!r}; "
                             f"allowed: {', '.join(QUANTITIES)}")
        out.append(dict(
            r, devices=int(r["devices"]), batch=int(r["batch"]),
            prompt_tokens=_int(r["prompt_tokens"], 1), output_tokens=_int(r["output_tokens"], 1),
            context_tokens=float(r["context_tokens"]) if r["context_tokens"] else None,
            kv_precision=r["kv_precision"] or "fp16",
            measured=float(r["measured"]), calibration=r["calibration"] == "1"))
    return out


def quantity_value(quantity, prefill_s, tpot_s, batch, prompt_tokens, output_tokens, devices=1):
    """A measured quantity from the model's prefill time and TPOT (see :data:`QUANTITIES`)."""
    throughput = lambda: batch * output_tokens / (prefill_s + (output_tokens - 1) * tpot_s)  # noqa: E731
    values = {
        "prefill_s": lambda: prefill_s, "ttft_s": lambda: prefill_s,
        "prefill_tokens_per_s": lambda: batch * prompt_tokens / prefill_s,
        "tpot_s": lambda: tpot_s, "decode_tokens_per_s": lambda: batch / tpot_s,
        "throughput_tokens_per_s": throughput,
        "throughput_tokens_per_gpu_s": lambda: throughput() / devices,
    }
    return values[quantity]()


def predict(case: dict, factors: compute.EfficiencyFactors | None = None) -> float:
    """The model's value of ``case['quantity']`` for one validation case."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", compute.MemoryWarning)
        est = compute.estimate(
            case["model"], case["hardware"], case["precision"], case["runtime"],
            devices=case["devices"], batch=case["batch"], prompt_tokens=case["prompt_tokens"],
            output_tokens=case["output_tokens"], context_tokens=case["context_tokens"],
            kv_precision=case["kv_precision"], factors=factors)
    return float(quantity_value(case["quantity"], est.prefill_s, est.tpot_s, case["batch"],
                                case["prompt_tokens"], case["output_tokens"], case["devices"]))


@functools.cache
def _cross_validated() -> dict:
    return {r["case_id"]: r for r in catalog.read_csv("cross_validation.csv")}


def _bin(values, regime):
    edges, labels = REGIME_BINS[regime]
    return [labels[int(np.searchsorted(edges, x, side="right")) - 1] for x in values]


def validation_table():
    """Every validation case with its in-fit and cross-validated predictions.

    Returns
    -------
    pandas.DataFrame
        One row per case: case_id, quantity, regime ('prefill' or
        'decode'), model, hardware, device_class, device_group, devices,
        batch, prompt_tokens, precision, runtime, runtime_family, measured,
        predicted (shipped factors), error (predicted/measured − 1), in_fit
        (the shipped fit used the row), cv_predicted (a fit that saw no row
        of this row's source; the shipped prediction for held-out rows),
        cv_error, fold, unit, source, and the prompt/batch/devices bins.
    """
    import pandas as pd

    cv = _cross_validated()
    rows = []
    for c in cases():
        hw = catalog.hardware(c["hardware"])
        p = predict(c)
        cv_row = cv.get(c["case_id"])
        if cv_row is None:
            raise ValueError(f"cross_validation.csv: no row for case {c['case_id']!r}; "
                             "run `python tools/calibrate.py` after editing validation.csv")
        cvp = float(cv_row["cv_predicted"]) if c["calibration"] else p
        rows.append(dict(
            case_id=c["case_id"], quantity=c["quantity"],
            regime="prefill" if c["quantity"] in PREFILL_QUANTITIES else "decode",
            model=c["model"], hardware=c["hardware"], device_class=hw.device_class,
            device_group=compute.device_group(hw.device_class), devices=c["devices"], batch=c["batch"],
            prompt_tokens=c["prompt_tokens"], precision=c["precision"], runtime=c["runtime"],
            runtime_family=compute.resolve_runtime(c["runtime"]).family,
            measured=c["measured"], predicted=p, error=p / c["measured"] - 1.0,
            in_fit=c["calibration"], cv_predicted=cvp, cv_error=cvp / c["measured"] - 1.0,
            fold=cv_row["fold"], unit=c["unit"], source=c["source"]))
    t = pd.DataFrame(rows)
    for regime in REGIME_BINS:
        t[f"{regime}_bin"] = _bin(t["prompt_tokens" if regime == "prompt" else regime], regime)
    return t


def summary(table=None) -> dict:
    """Median |error| per regime: cross-validated (the headline), in fit, held out, edge devices.

    Keys ``<regime>_cv_median_abs_error`` use every row's cross-validated
    prediction; ``<regime>_edge_cv_median_abs_error`` the rows on edge
    devices (Jetson, Apple and phone SoCs, consumer GPUs).
    """
    t = validation_table() if table is None else table
    edge = t.device_group.isin(["edge_soc", "laptop_desktop_soc", "phone_soc", "consumer_gpu"])
    out = {}
    for regime in ("prefill", "decode"):
        mask = t.regime == regime
        for subset, sel, col in (("cv", mask, "cv_error"), ("edge_cv", mask & edge, "cv_error"),
                                 ("in_fit", mask & t.in_fit, "error"),
                                 ("held_out", mask & ~t.in_fit, "error")):
            err = np.abs(t[col][sel])
            out[f"{regime}_{subset}_median_abs_error"] = float(err.median()) if len(err) else None
            out[f"{regime}_{subset}_rows"] = int(sel.sum())
    return out


def breakdown(by, table=None):
    """Cross-validated median |error| and row count per value of ``by`` and regime.

    ``by`` is a column of :func:`validation_table` (``device_group``,
    ``runtime_family``, ``prompt_bin``, ``batch_bin``, ``devices_bin`` ...).
    """
    t = validation_table() if table is None else table
    t = t.assign(abs_cv_error=t.cv_error.abs())
    return (t.groupby([by, "regime"]).abs_cv_error.agg(["median", "count"])
            .rename(columns={"median": "cv_median_abs_error", "count": "rows"}).reset_index())


def held_out_log_spread(table=None) -> float:
    """Spread of the model's out-of-sample error: std of ln(cv_predicted/measured).

    The sigma of a lognormal compute-time factor that stands for the
    calibration's out-of-sample uncertainty (use it with
    ``sweep.Uncertain('lognormal', 1.0, sigma)`` on ``<site>.compute_scale``). [-]
    """
    t = validation_table() if table is None else table
    return float(np.std(np.log1p(t.cv_error.to_numpy()), ddof=1))
