"""Published LLM inference measurements vs the compute model.

``data/validation.csv`` holds every shipped measurement with its source URL
and the quoted cell. Rows with ``calibration == 1`` are the stated subset
that ``tools/calibrate.py`` fits the efficiency factors on; the others are
held out and never enter any fit. The calibration also cross-validates
(leave one source out): each calibration row is predicted by a fit that saw
no row of its source, and ``data/cross_validation.csv`` ships those
predictions. The cross-validated error — over held-out rows and
cross-validated calibration rows together — is the model's honest accuracy.

``data/diffusion_validation.csv`` does the same for image generation (time
per image with its steps and resolution): the diffusion factors are fitted
on every covered row, and each row's cross-validated prediction comes from
a fit without its source's table for that device. Its video rows
(``video_s``: time per clip) never enter any fit: :func:`video_table`
predicts them out of sample, their transformer denoisers timed at the LLM
calibration's compute efficiency.
"""
from __future__ import annotations

import functools
import math
import warnings

import numpy as np

from . import catalog, compute

__all__ = ["QUANTITIES", "cases", "quantity_value", "predict", "validation_table", "summary",
           "held_out_log_spread", "DIFFUSION_QUANTITIES", "diffusion_cases", "diffusion_predict",
           "fit_diffusion", "diffusion_free_parameters", "diffusion_table", "diffusion_summary",
           "VIDEO_QUANTITIES", "video_cases", "video_predict", "video_table", "video_summary",
           "video_energy_predict", "video_energy_table", "video_energy_summary",
           "energy_cases", "energy_predict", "fit_power", "energy_table", "energy_summary", "device_energy_table"]

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


# ------------------------------------------------------- image generation
DIFFUSION_QUANTITIES = {
    "image_s": "time of one pipeline call, all its images [s]",
    "steps_per_s": "denoising steps per second for the whole batch [s^-1]",
    "unet_eval_s": "one U-Net evaluation without guidance [s]",
}
"""Measured quantities of ``data/diffusion_validation.csv``."""
DIFFUSION_MIN_ROWS = 3
"""A runtime family gets its own step overhead only with this many rows."""
DIFFUSION_SHARED = ("compute_efficiency", "vector_work")
"""Fitted once for every runtime family: the U-Net's arithmetic is the same."""
VIDEO_QUANTITIES = {
    "video_s": "time of one pipeline call for one clip, all its frames [s]",
    "video_j": "accelerator (GPU) energy of one clip, batch 1 [J]",
}
"""Measured quantities of the video rows of ``data/diffusion_validation.csv`` (never fitted)."""


def diffusion_cases() -> list[dict]:
    """The image-generation rows, parsed, each with ``covered`` and ``why_not``.

    A row is covered when its model, hardware, precision and runtime are in
    the catalog, its resolution is the catalog model's (512x512) and it is a
    measurement rather than an upper bound ("under 15 seconds").
    """
    out = []
    for r in catalog.read_csv("diffusion_validation.csv"):
        if r["quantity"] in VIDEO_QUANTITIES:
            continue            # video rows: held out, see video_cases
        if r["quantity"] not in DIFFUSION_QUANTITIES:
            raise ValueError(f"diffusion_validation.csv: row {r['case_id']}: key 'quantity' is "
                             f"{r['quantity']!r}; allowed: {', '.join([*DIFFUSION_QUANTITIES, *VIDEO_QUANTITIES])}")
        why = []
        if r["model"] not in catalog.diffusion_model_ids():
            why.append(f"model {r['model']} not in the catalog")
        elif (int(r["width"]), int(r["height"])) != (512, 512):
            why.append(f"{r['width']}x{r['height']} (catalog work is for 512x512)")
        out.append(_diffusion_case(r, why))
    return out


def _diffusion_case(r: dict, why: list) -> dict:
    """A diffusion_validation.csv row typed, with the catalog checks shared by images and video added to ``why``."""
    for kind, ids in (("hardware", catalog.hardware_ids()), ("precision", catalog.precision_ids()),
                      ("runtime", catalog.runtime_ids())):
        if r[kind] not in ids:
            why.append(f"{kind} {r[kind]} not in the catalog")
    if r["upper_bound"] == "1":
        why.append("an upper bound, not a measurement")
    return dict(r, devices=int(r["devices"]), batch=int(r["batch"]), steps=int(r["steps"]),
                guidance=r["guidance"] == "yes", measured=float(r["measured"]), covered=not why,
                why_not="; ".join(why))


def diffusion_predict(case: dict, factors: compute.DiffusionFactors | None = None) -> float:
    """The model's value of ``case['quantity']`` for one covered image-generation row."""
    def t(steps):
        return float(compute.diffusion_estimate(
            case["model"], case["hardware"], case["precision"], case["runtime"], case["devices"],
            steps, case["batch"], guidance=case["guidance"], factors=factors))
    if case["quantity"] == "image_s":
        return t(case["steps"])
    step = t(1) - t(0)          # one denoising step, decoder excluded
    return 1.0 / step if case["quantity"] == "steps_per_s" else step


def _diffusion_log_error(case, factors):
    ratio = diffusion_predict(case, factors) / case["measured"]
    return -math.log(ratio) if case["quantity"] == "steps_per_s" else math.log(ratio)


def diffusion_fold(case) -> str:
    """Cross-validation fold: one source's table for one device."""
    return f"{case['source'].split('#')[0]} | {case['hardware']}"


def _diffusion_groups(fit_cases) -> tuple[dict, list]:
    """Each row's overhead group (its runtime family, or ``default``) and the families with their own."""
    family = {c["case_id"]: compute.resolve_runtime(c["runtime"]).family for c in fit_cases}
    values = list(family.values())
    own = sorted(f for f in set(values) if values.count(f) >= DIFFUSION_MIN_ROWS and f != "default")
    return {c: f if f in own else "default" for c, f in family.items()}, own


def diffusion_free_parameters(fit_cases) -> int:
    """Parameters :func:`fit_diffusion` fits on these rows."""
    group, own = _diffusion_groups(fit_cases)
    return len(DIFFUSION_SHARED) + len(own) + int("default" in group.values())


def fit_diffusion(fit_cases) -> dict:
    """Fit the diffusion factors on covered rows: least squares on log(predicted/measured).

    Shared by every family: the matrix efficiency η and the non-matrix work
    w. Per runtime family with at least :data:`DIFFUSION_MIN_ROWS` rows: the
    step overhead; the other rows share the ``default`` family's overhead
    (which, with no such rows, is the mean of the families' overheads).

    Returns
    -------
    dict
        Runtime family -> :class:`~genai_edge.compute.DiffusionFactors`.
    """
    from scipy.optimize import least_squares

    group, own = _diffusion_groups(fit_cases)
    names = [*own, "default"]

    def factors(x):
        overheads = dict(zip(names, x[2:]))
        if "default" not in group.values():
            overheads["default"] = float(np.mean([overheads[f] for f in own]))
        return {f: compute.DiffusionFactors(
            runtime_family=f, compute_efficiency=x[0], vector_work=x[1], step_overhead=overheads[f],
            fitted_on=" ".join(sorted(c for c, g in group.items() if g == f)) or "-",
            source="tools/calibrate.py on diffusion_validation.csv covered rows") for f in names}

    def residuals(x):
        table = factors(x)
        return [_diffusion_log_error(c, table[group[c["case_id"]]]) for c in fit_cases]

    n = len(names)
    bounds = ([1e-3, 0.0] + [0.0] * n, [1.0, 10.0] + [1.0] * n)
    sol = least_squares(residuals, [0.5, 0.1] + [0.01] * n, bounds=bounds, x_scale=[0.1, 0.1] + [0.01] * n)
    return factors(sol.x)


def _factors_for(table, runtime):
    return table.get(compute.resolve_runtime(runtime).family) or table["default"]


def diffusion_table():
    """Every image-generation row with its shipped and cross-validated predictions.

    Covered rows get ``predicted`` (the shipped factors), ``cv_predicted``
    (a fit on every covered row outside this row's fold: another source or
    another device) and both errors, time-based: predicted time / measured
    time − 1 (a rate is inverted first). Rows not covered keep NaN and say
    why in ``why_not``.
    """
    import pandas as pd

    all_cases = diffusion_cases()
    covered = [c for c in all_cases if c["covered"]]
    rows = []
    for c in all_cases:
        row = dict(case_id=c["case_id"], model=c["model"], hardware=c["hardware"], runtime=c["runtime"],
                   precision=c["precision"], batch=c["batch"], steps=c["steps"],
                   resolution=f"{c['width']}x{c['height']}", quantity=c["quantity"], measured=c["measured"],
                   unit=c["unit"], covered=c["covered"], why_not=c["why_not"], fold=diffusion_fold(c),
                   predicted=np.nan, error=np.nan, cv_predicted=np.nan, cv_error=np.nan, source=c["source"])
        if c["covered"]:
            hw = catalog.hardware(c["hardware"])
            row.update(device_group=compute.device_group(hw.device_class),
                       runtime_family=compute.resolve_runtime(c["runtime"]).family)
            p = diffusion_predict(c, compute.diffusion_factors(c["runtime"]))
            fold = diffusion_fold(c)
            cv_fit = fit_diffusion([o for o in covered if diffusion_fold(o) != fold])
            cvp = diffusion_predict(c, _factors_for(cv_fit, c["runtime"]))
            row.update(predicted=p, cv_predicted=cvp,
                       error=math.expm1(_diffusion_log_error(c, compute.diffusion_factors(c["runtime"]))),
                       cv_error=math.expm1(_diffusion_log_error(c, _factors_for(cv_fit, c["runtime"]))))
        rows.append(row)
    return pd.DataFrame(rows)


def diffusion_summary(table=None) -> dict:
    """Covered and total rows, in-fit and cross-validated median |error| of the time per image."""
    t = diffusion_table() if table is None else table
    cov = t[t.covered]
    return dict(rows=int(len(t)), covered_rows=int(len(cov)),
                free_parameters=diffusion_free_parameters([c for c in diffusion_cases() if c["covered"]]),
                in_fit_median_abs_error=float(cov.error.abs().median()),
                cv_median_abs_error=float(cov.cv_error.abs().median()))


# ------------------------------------------------------- video generation
def video_cases() -> list[dict]:
    """The video-generation rows, parsed, each with ``covered`` and ``why_not``.

    A row is covered when its model, hardware, precision and runtime are in
    the catalog, its resolution is the one the catalog model's work is for
    (named in the model's name, e.g. ``720x480``) and it is a measurement,
    not an upper bound. No row enters any fit.
    """
    out = []
    for r in catalog.read_csv("diffusion_validation.csv"):
        if r["quantity"] not in VIDEO_QUANTITIES:
            continue
        why = []
        if r["model"] not in catalog.diffusion_model_ids():
            why.append(f"model {r['model']} not in the catalog")
        elif f"{r['width']}x{r['height']}" not in catalog.diffusion_model(r["model"]).name:
            why.append(f"{r['width']}x{r['height']} (catalog work is for {catalog.diffusion_model(r['model']).name})")
        if r["quantity"] == "video_j" and r["batch"] != "1":
            why.append("energy rows are compared at batch 1 only")
        out.append(_diffusion_case(r, why))
    return out


def video_predict(case: dict, factors: compute.DiffusionFactors | None = None) -> float:
    """The model's time for one video-generation row's pipeline call (all its clips). [s]"""
    return float(compute.diffusion_estimate(
        case["model"], case["hardware"], case["precision"], case["runtime"], case["devices"],
        case["steps"], case["batch"], guidance=case["guidance"], factors=factors))


def video_energy_predict(case: dict) -> float:
    """The model's accelerator energy for one clip of a batch-1 video row (:func:`power.diffusion_energy`). [J]"""
    from . import power
    return float(power.diffusion_energy(case["model"], case["hardware"], case["precision"], case["runtime"],
                                        case["devices"], case["steps"]))


def video_table():
    """Every video-generation row against the diffusion model, out of sample.

    ``predicted`` is :func:`~genai_edge.compute.diffusion_estimate` with its
    default factors: a video model's denoiser is a diffusion transformer,
    timed at the compute efficiency the LLM calibration fits on measured
    prefill times of the row's device group
    (:func:`~genai_edge.compute.transformer_denoiser_factors`). No video row
    enters any fit, so every ``error`` (predicted / measured − 1) is out of
    sample. ``peak_bound_s`` is the clip's denoiser and decoder work at
    100 % of the matrix peak, and ``achieved_fraction`` = ``peak_bound_s`` /
    ``measured``, the share of the peak the published run reached
    (independent of any fitted factor).

    Notes
    -----
    The U-Net factors fitted on the image rows would not transfer: they
    charge each matrix FLOP about 0.29 FLOP-equivalents of non-matrix work
    at the fp32 vector peak, which suits a U-Net at 4,096 latent tokens
    (convolutions, GroupNorm, element-wise steps) but not a transformer
    over 17,000 to 119,000 tokens, whose non-matrix work grows as tokens·d
    while its matrix work grows as tokens·d² and tokens²·d. With them every
    clip is predicted long, about twice the measured time. The published
    runs on A100, H100 and RTX 4090 reach 28 to 73 % of the matrix peak,
    close to the share LLM prefill passes reach on the same device groups;
    those on the B200 reach 16 to 19 %, so they take about twice the
    predicted time.
    """
    import pandas as pd

    rows = []
    for c in (c for c in video_cases() if c["quantity"] == "video_s"):
        row = dict(case_id=c["case_id"], model=c["model"], hardware=c["hardware"], runtime=c["runtime"],
                   precision=c["precision"], devices=c["devices"], batch=c["batch"], steps=c["steps"],
                   guidance=c["guidance"], resolution=f"{c['width']}x{c['height']}", quantity=c["quantity"],
                   measured=c["measured"], unit=c["unit"], covered=c["covered"], why_not=c["why_not"],
                   predicted=np.nan, error=np.nan, peak_bound_s=np.nan, achieved_fraction=np.nan,
                   source=c["source"])
        if c["covered"]:
            p = video_predict(c)
            bound = video_predict(c, compute.DiffusionFactors("peak", 1.0, 0.0, 0.0, "-", "100 % of the matrix peak"))
            row.update(predicted=p, error=p / c["measured"] - 1.0, peak_bound_s=bound,
                       achieved_fraction=bound / c["measured"])
        rows.append(row)
    return pd.DataFrame(rows)


def _out_of_sample_summary(t) -> tuple:
    """(covered rows, their counts and median and largest |error|) of a table no fit has seen."""
    cov = t[t.covered]
    return cov, dict(rows=int(len(t)), covered_rows=int(len(cov)), free_parameters=0,
                     median_abs_error=float(cov.error.abs().median()), max_abs_error=float(cov.error.abs().max()))


def video_summary(table=None) -> dict:
    """Covered and total video rows, median and largest |error|, median achieved fraction of the peak."""
    cov, s = _out_of_sample_summary(video_table() if table is None else table)
    return dict(s, median_achieved_fraction=float(cov.achieved_fraction.median()))


def video_energy_table():
    """Every published GPU energy per clip against the power law, out of sample.

    ``predicted`` is :func:`~genai_edge.power.diffusion_energy` at the
    accelerator boundary: a diffusion transformer's full-load power times
    the clip's predicted time, nothing fitted. Where the same source gives
    the clip's time, the error splits into ``time_error`` and
    ``power_error`` ((1 + error) = (1 + time_error)(1 + power_error)).
    """
    import pandas as pd

    cases = video_cases()
    times = {(c["model"], c["hardware"], c["source"]): c for c in cases if c["quantity"] == "video_s"}
    rows = []
    for c in (c for c in cases if c["quantity"] == "video_j"):
        row = dict(case_id=c["case_id"], model=c["model"], hardware=c["hardware"], runtime=c["runtime"],
                   precision=c["precision"], steps=c["steps"], resolution=f"{c['width']}x{c['height']}",
                   measured=c["measured"], unit=c["unit"], covered=c["covered"], why_not=c["why_not"],
                   predicted=np.nan, error=np.nan, measured_power_w=np.nan, predicted_power_w=np.nan,
                   time_error=np.nan, power_error=np.nan, source=c["source"])
        if c["covered"]:
            e = video_energy_predict(c)
            t = video_predict(c)
            row.update(predicted=e, error=e / c["measured"] - 1.0, predicted_power_w=e / t)
            paired = times.get((c["model"], c["hardware"], c["source"]))
            if paired is not None:
                p_meas = c["measured"] / paired["measured"]
                row.update(measured_power_w=p_meas, time_error=t / paired["measured"] - 1.0,
                           power_error=(e / t) / p_meas - 1.0)
        rows.append(row)
    return pd.DataFrame(rows)


def video_energy_summary(table=None) -> dict:
    """Covered and total video energy rows, median and largest |error|, median time and power errors."""
    cov, s = _out_of_sample_summary(video_energy_table() if table is None else table)
    return dict(s, median_error=float(cov.error.median()), median_time_error=float(cov.time_error.median()),
                median_power_error=float(cov.power_error.median()))


# ----------------------------------------------------------------- energy
ENERGY_BATCH_BAND = (8, 512)
"""Batch range over which the energy law's accuracy is stated."""


def energy_cases() -> list[dict]:
    """Rows of ``data/energy_validation.csv`` (measured GPU energy per output token), parsed.

    A row is covered when its model, hardware and precision are in the
    catalog; the decode batch is the measured mean batch, rounded.
    """
    out = []
    ids = (catalog.model_ids(), catalog.hardware_ids(), catalog.precision_ids())
    for r in catalog.read_csv("energy_validation.csv"):
        why = [f"{kind} {r[kind]} not in the catalog" for kind, known in zip(("model", "hardware", "precision"), ids)
               if r[kind] not in known]
        out.append(dict(r, devices=int(r["devices"]), batch=max(1, round(float(r["batch"]))),
                        prompt_tokens=int(r["prompt_tokens"]), output_tokens=float(r["output_tokens"]),
                        measured=float(r["energy_per_output_token_j"]), covered=not why, why_not="; ".join(why)))
    return out


@functools.cache
def _energy_work(case_id: str) -> tuple:
    """(prefill estimate at batch 1, decode estimate at the row's batch, output tokens) of one row."""
    c = next(c for c in energy_cases() if c["case_id"] == case_id)
    m = catalog.model(c["model"])
    out = int(min(round(c["output_tokens"]), m.max_context - c["prompt_tokens"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", compute.MemoryWarning)
        dec = compute.estimate(m, c["hardware"], c["precision"], c["runtime"], c["devices"], c["batch"],
                               c["prompt_tokens"], out)
        pre = compute.estimate(m, c["hardware"], c["precision"], c["runtime"], c["devices"], 1,
                               c["prompt_tokens"], out, warn=False)
    return pre, dec, out


def energy_predict(case: dict, factors=None) -> float:
    """Predicted GPU energy per output token of one covered row: (prefill + N decode shares)/N. [J]"""
    from . import power
    pre, dec, out = _energy_work(case["case_id"])
    prefill_j, token_j, _, _ = power.pass_energies(case["hardware"], pre, dec, case["devices"], case["batch"],
                                                   factors)
    return float((prefill_j + out * token_j) / out)


def energy_fold(case) -> str:
    """Cross-validation fold of an energy row: its model (every GPU, batch and task of it)."""
    return case["model"]


def fit_power(fit_cases, device_group="datacenter_gpu"):
    """Fit k_0, k_W, k_F of :mod:`genai_edge.power` on covered rows: least squares on log(predicted/measured)."""
    from scipy.optimize import least_squares

    from .power import PowerFactors

    def factors(x):
        return PowerFactors(device_group, float(x[0]), float(x[1]), float(x[2]),
                            fitted_on=f"{len(fit_cases)} rows of energy_validation.csv",
                            source="genai_edge.validation.fit_power on ML.ENERGY Leaderboard v3 rows")

    def residuals(x):
        f = factors(x)
        return [math.log(energy_predict(c, f) / c["measured"]) for c in fit_cases]

    sol = least_squares(residuals, [0.3, 1.0, 1.0], bounds=([0.0, 0.0, 0.0], [1.0, 5.0, 5.0]))
    return factors(sol.x)


def energy_table():
    """Every energy row with the shipped and cross-validated predictions and their errors.

    ``cv_predicted`` comes from a fit on every covered row of the other
    models (leave one model out: its GPUs, batches and tasks all unseen).
    """
    import pandas as pd

    from . import power
    all_cases = energy_cases()
    covered = [c for c in all_cases if c["covered"]]
    folds = {}
    for c in covered:
        folds.setdefault(energy_fold(c), None)
    for fold in folds:
        folds[fold] = fit_power([o for o in covered if energy_fold(o) != fold])
    rows = []
    for c in all_cases:
        row = dict(case_id=c["case_id"], model=c["model"], hardware=c["hardware"], devices=c["devices"],
                   precision=c["precision"], task=c["task"], batch=c["batch"], measured=c["measured"],
                   covered=c["covered"], why_not=c["why_not"], predicted=np.nan, error=np.nan,
                   cv_predicted=np.nan, cv_error=np.nan, measured_power_w=float(c["power_w"]),
                   predicted_tpot_s=np.nan, measured_itl_s=float(c["median_itl_s"]), source=c["source"])
        if c["covered"]:
            p = energy_predict(c, power.power_factors(catalog.hardware(c["hardware"]).device_class))
            cvp = energy_predict(c, folds[energy_fold(c)])
            row.update(predicted=p, error=p / c["measured"] - 1, cv_predicted=cvp, cv_error=cvp / c["measured"] - 1,
                       predicted_tpot_s=float(_energy_work(c["case_id"])[1].tpot_s))
        rows.append(row)
    return pd.DataFrame(rows)


def energy_summary(table=None) -> dict:
    """Rows, and in-fit and cross-validated median |error| over the batch band and over all batches."""
    t = energy_table() if table is None else table
    cov = t[t.covered]
    band = cov[(cov.batch >= ENERGY_BATCH_BAND[0]) & (cov.batch <= ENERGY_BATCH_BAND[1])]
    return dict(rows=int(len(t)), covered_rows=int(len(cov)), band_rows=int(len(band)), free_parameters=3,
                models=int(cov.model.nunique()),
                in_fit_median_abs_error=float(band.error.abs().median()),
                cv_median_abs_error=float(band.cv_error.abs().median()),
                cv_median_abs_error_all_batches=float(cov.cv_error.abs().median()),
                cv_median_error=float(band.cv_error.median()))


def device_energy_table():
    """Published on-device decode energy per token vs the power law (batch 1), with the time it rests on.

    The rows (``data/device_energy_validation.csv``) never enter a fit: the
    power constants of these device classes are the ``default`` group's
    (the datacenter fit, transferred). A runtime not in the catalog (MNN)
    gets the device group's default compute factors. ``time_error`` is the
    predicted time per token against the measured one: energy = power ×
    time, so the two errors show whether power or time is off.
    """
    import pandas as pd

    from . import power
    rows = []
    for r in catalog.read_csv("device_energy_validation.csv"):
        s, out = int(r["prompt_tokens"]), int(r["output_tokens"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            e = power.inference_energy(r["model"], r["hardware"], r["precision"], r["runtime"], 1, 1, s, out)
        measured = float(r["decode_energy_per_token_j"])
        measured_tpot = 1.0 / float(r["decode_tokens_per_s"])
        rows.append(dict(case_id=r["case_id"], hardware=r["hardware"], model=r["model"], precision=r["precision"],
                         runtime=r["runtime"], measured=measured, predicted=e.energy_per_output_token_j,
                         error=e.energy_per_output_token_j / measured - 1,
                         measured_power_w=measured / measured_tpot, predicted_power_w=e.decode_power_w,
                         time_error=e.estimate.tpot_s / measured_tpot - 1, boundary=r["boundary"],
                         notes=r["notes"], source=r["source"]))
    return pd.DataFrame(rows)
