"""Fit the compute model's efficiency factors and cross-validate them.

Reproducible procedure (re-run by ``tests/test_validation.py``):

1. The fit uses the rows of ``genai_edge/data/validation.csv`` with
   ``calibration == 1`` (the stated subset); the others are held out.
2. Factors are shared, not fitted per (runtime, device) cell:

   - per device group g (datacenter GPUs, consumer GPUs, Jetson-class SoCs,
     laptop/desktop SoCs, phone SoCs): a bandwidth efficiency η_W,g and a
     compute efficiency η_F,g;
   - per runtime family r: multipliers exp(μ_W,r), exp(μ_F,r) on those, and
     a per-layer decode overhead t_dec,r;
   - global: the per-layer prefill overhead, the latency of one all-reduce,
     the overlap exponent p of the roofline and the efficiency of
     mixture-of-experts GEMMs relative to dense ones (informed by MoE rows
     that are prefill or batch ≥ 32) and the per-sequence decode overhead
     (informed by decode rows at batch ≥ 8; see ``compute.pass_time``).

   η = min(1, η_g·exp(μ_r)). A parameter is free only when at least
   ``MIN_ROWS`` calibration rows inform it (rows of its group or family in
   the right regime — decode rows for η_W and t_dec, prefill rows for η_F,
   tensor-parallel rows for the all-reduce latency); otherwise it stays at
   its generic value (a runtime family without rows uses the group's
   factors). Every free parameter has a weak prior (weight ``PRIOR_WEIGHT``)
   towards generic values — η_W 0.7, η_F 0.5, multipliers 1, overheads 0,
   all-reduce 10 µs, p 4, expert efficiency 1, per-sequence overhead 0: ASSUMPTIONS, weak by design.
3. Scipy's bounded least squares minimises the squared log errors
   ln(predicted/measured) plus the prior terms.
4. Cross-validation, leave one table out: for every (source, device) pair
   among the calibration rows, refit without those rows and predict them.
   ``--folds source`` leaves whole sources out instead (stricter: a runtime
   family seen in one source only is then predicted with generic factors)
   and prints its medians without writing anything.

Writes ``genai_edge/data/calibration.csv`` (the factors of every runtime
family on every device group) and ``genai_edge/data/cross_validation.csv``
(per row: fold, whether it was in the fit, the cross-validated prediction).

Image generation: ``validation.fit_diffusion`` on every covered row of
``diffusion_validation.csv`` (matrix efficiency and non-matrix work shared,
a step overhead per runtime family with at least 3 rows) writes
``genai_edge/data/diffusion_calibration.csv``; its cross-validation runs in
``validation.diffusion_table``.

Power: ``validation.fit_power`` on every covered row of
``energy_validation.csv`` (three constants of the power law, shared by all
datacenter GPUs) writes ``genai_edge/data/power_calibration.csv``; its
cross-validation (leave one model out) runs in ``validation.energy_table``.

Usage: ``python tools/calibrate.py [--check]`` (``--check`` compares, to 1e-4
relative, with the shipped files instead of writing them).
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from scipy.optimize import least_squares

from genai_edge import catalog, compute, validation

DATA = Path(__file__).resolve().parents[1] / "genai_edge" / "data"
MIN_ROWS = 3
PRIOR_WEIGHT = 0.1
GROUPS = sorted(set(compute.DEVICE_GROUPS.values()))
FIELDS = ["runtime_family", "device_group", "compute_efficiency", "bandwidth_efficiency",
          "prefill_layer_overhead_s", "decode_layer_overhead_s", "decode_sequence_overhead_s", "allreduce_latency_s",
          "overlap_exponent", "expert_efficiency", "fitted_on", "source"]
CV_FIELDS = ["case_id", "fold", "in_fit", "cv_predicted"]
POWER_FIELDS = ["device_group", "static", "bandwidth", "compute", "fitted_on", "source"]
DIFFUSION_FIELDS = ["runtime_family", "compute_efficiency", "vector_work", "step_overhead_s", "fitted_on",
                    "source"]


@dataclass(frozen=True)
class Param:
    name: str
    generic: float   # prior centre and value when not free
    lower: float
    upper: float
    scale: float     # prior residual scale


def _param_space(rows):
    """All parameters, and the calibration rows that inform each."""
    families = sorted({r["family"] for r in rows} - {"default"})
    space = [Param("overlap_exponent", 4.0, 1.0, 20.0, 2.0),
             Param("prefill_layer_overhead", 0.0, 0.0, 2e-3, 1e-4),
             Param("allreduce_latency", 10e-6, 0.0, 200e-6, 1e-5),
             Param("decode_layer_overhead[default]", 0.0, 0.0, 2e-3, 1e-4),
             Param("decode_sequence_overhead", 0.0, 0.0, 1e-4, 1e-6),
             Param("expert_efficiency", 1.0, 0.05, 1.0, 0.3)]
    support = {"overlap_exponent": rows, "prefill_layer_overhead": [r for r in rows if r["regime"] == "prefill"],
               "allreduce_latency": [r for r in rows if r["devices"] > 1],
               "decode_layer_overhead[default]": [r for r in rows if r["regime"] == "decode"],
               "decode_sequence_overhead": [r for r in rows if r["regime"] == "decode" and r["batch"] >= 8],
               "expert_efficiency": [r for r in rows if r["moe"] and (r["regime"] == "prefill" or r["batch"] >= 32)]}
    for g in GROUPS:
        space += [Param(f"eta_w[{g}]", 0.7, 0.05, 1.0, 0.3), Param(f"eta_f[{g}]", 0.5, 0.02, 1.0, 0.3)]
        support[f"eta_w[{g}]"] = [r for r in rows if r["group"] == g and r["regime"] == "decode"]
        support[f"eta_f[{g}]"] = [r for r in rows if r["group"] == g and r["regime"] == "prefill"]
    for f in families:
        space += [Param(f"mu_w[{f}]", 0.0, -1.5, 1.5, 0.3), Param(f"mu_f[{f}]", 0.0, -1.5, 1.5, 0.3),
                  Param(f"decode_layer_overhead[{f}]", 0.0, 0.0, 2e-3, 1e-4)]
        support[f"mu_w[{f}]"] = support[f"decode_layer_overhead[{f}]"] = [
            r for r in rows if r["family"] == f and r["regime"] == "decode"]
        support[f"mu_f[{f}]"] = [r for r in rows if r["family"] == f and r["regime"] == "prefill"]
    return space, support


def free_parameters(rows=None) -> dict:
    """Free parameter name → number of calibration rows that inform it."""
    rows = _prepared(validation.cases() if rows is None else rows, only_calibration=True)
    space, support = _param_space(rows)
    return {p.name: len(support[p.name]) for p in space if len(support[p.name]) >= MIN_ROWS}


def _prepared(cases, only_calibration=False):
    out = []
    for c in cases:
        if only_calibration and not c["calibration"]:
            continue
        hw = catalog.hardware(c["hardware"])
        r = dict(c, family=compute.resolve_runtime(c["runtime"]).family,
                 group=compute.device_group(hw.device_class), moe=catalog.model(c["model"]).n_experts > 1,
                 regime="prefill" if c["quantity"] in validation.PREFILL_QUANTITIES else "decode")
        out.append(r)
    return out


class Problem:
    """Calibration rows with their pass work precomputed, so a fit is pure numpy."""

    def __init__(self, rows):
        self.rows = rows
        work = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", compute.MemoryWarning)
            for r in rows:
                ctx = (r["prompt_tokens"] + r["output_tokens"] / 2.0
                       if r["context_tokens"] is None else r["context_tokens"])
                work.append(compute.pass_work(r["model"], r["hardware"], r["precision"], r["runtime"],
                                              r["devices"], r["batch"], r["prompt_tokens"], ctx,
                                              r["kv_precision"]))
        self.prefill = _stack([w[0] for w in work])
        self.decode = _stack([w[1] for w in work])
        self.measured = np.array([r["measured"] for r in rows])
        self.batch, self.prompt, self.output, self.devices = (
            np.array([float(r[k]) for r in rows]) for k in ("batch", "prompt_tokens", "output_tokens", "devices"))
        quantities = np.array([r["quantity"] for r in rows])
        self.by_quantity = {q: np.flatnonzero(quantities == q) for q in set(quantities)}

    def predict(self, values: dict):
        """Predicted quantity of every row for parameter values ``values`` (name → value)."""
        rows = self.rows

        def per_row(template, fallback=None):
            return np.array([values.get(template.format(**r), values.get(fallback, 0.0)) for r in rows])

        eta_w = np.minimum(1.0, per_row("eta_w[{group}]") * np.exp(per_row("mu_w[{family}]")))
        eta_f = np.minimum(1.0, per_row("eta_f[{group}]") * np.exp(per_row("mu_f[{family}]")))
        t_dec = per_row("decode_layer_overhead[{family}]", "decode_layer_overhead[default]")
        f = SimpleNamespace(compute_efficiency=eta_f, bandwidth_efficiency=eta_w,
                            allreduce_latency=values["allreduce_latency"],
                            overlap_exponent=values["overlap_exponent"],
                            expert_efficiency=values["expert_efficiency"])
        prefill = compute.pass_time(self.prefill, f, values["prefill_layer_overhead"])
        tpot = compute.pass_time(self.decode, f, t_dec, values["decode_sequence_overhead"])
        out = np.empty(len(rows))
        for quantity, idx in self.by_quantity.items():
            out[idx] = validation.quantity_value(quantity, prefill[idx], tpot[idx], self.batch[idx],
                                                 self.prompt[idx], self.output[idx], self.devices[idx])
        return out


def _stack(works):
    return compute.PassWork(**{k: np.array([float(getattr(w, k)) for w in works])
                               for k in compute.PassWork.__dataclass_fields__})


def fit(fit_rows, space, support):
    """Parameter values (name → value) fitted on ``fit_rows``."""
    problem = Problem(fit_rows)
    free = [p for p in space if len([r for r in support[p.name] if r in fit_rows]) >= MIN_ROWS]
    fixed = {p.name: p.generic for p in space}
    lower = np.array([p.lower for p in free])
    upper = np.array([p.upper for p in free])
    prior = np.array([p.generic for p in free])
    scale = np.array([p.scale for p in free])

    def residuals(x):
        values = dict(fixed, **dict(zip((p.name for p in free), x)))
        err = np.log(problem.predict(values) / problem.measured)
        return np.concatenate([err, PRIOR_WEIGHT * (x - prior) / scale])

    x0 = np.clip(prior, lower + 1e-9 * scale, upper - 1e-9 * scale)
    result = least_squares(residuals, x0=x0, bounds=(lower, upper), x_scale=scale,
                           xtol=1e-12, ftol=1e-12, gtol=1e-12)
    return dict(fixed, **dict(zip((p.name for p in free), result.x))), [p.name for p in free]


def factors_table(values, free, rows) -> list[dict]:
    """Resolved factors of ``default`` and of every runtime family with free parameters, per device group."""
    families = ["default"] + sorted({k.split("[")[1][:-1] for k in free if "[" in k
                                     and not k.startswith(("eta_", "decode_layer_overhead[default]"))})
    out = []
    for f in families:
        for g in GROUPS:
            used = [r["case_id"] for r in rows if r["group"] == g or (f != "default" and r["family"] == f)]
            eta_f = min(1.0, values[f"eta_f[{g}]"] * np.exp(values.get(f"mu_f[{f}]", 0.0)))
            eta_w = min(1.0, values[f"eta_w[{g}]"] * np.exp(values.get(f"mu_w[{f}]", 0.0)))
            t_dec = values.get(f"decode_layer_overhead[{f}]", values["decode_layer_overhead[default]"])
            out.append(dict(zip(FIELDS, [
                f, g, f"{eta_f:.6g}", f"{eta_w:.6g}", f"{values['prefill_layer_overhead']:.6g}",
                f"{t_dec:.6g}", f"{values['decode_sequence_overhead']:.6g}", f"{values['allreduce_latency']:.6g}",
                f"{values['overlap_exponent']:.6g}",
                f"{values['expert_efficiency']:.6g}", " ".join(used),
                "tools/calibrate.py on validation.csv calibration rows"])))
    return out


def source_key(row) -> str:
    """The publication a row comes from: its URL without the fragment; for GitHub, the repository.

    Every version and file of one repository is one source, so no fold
    trains on a sibling table of the rows it predicts.
    """
    url = row["source"].split()[0].split("#")[0]
    if url.startswith("https://github.com/"):
        return "/".join(url.split("/")[:5])
    return url


def fold_key(row, folds="table") -> str:
    """The cross-validation group of a row.

    ``table`` (the shipped default): one source's rows on one hardware — a
    fold predicts a device the fit never saw for that source, from the
    source's other devices and every other source. ``source``: all rows of
    one source — a fold predicts a publication (often a whole runtime
    family) the fit never saw.
    """
    return source_key(row) if folds == "source" else f"{source_key(row)} on {row['hardware']}"


def calibrate(folds="table"):
    """Shipped fit and cross-validated predictions: ``(factors rows, cv rows, values)``."""
    rows = _prepared(validation.cases())
    fit_rows = [r for r in rows if r["calibration"]]
    space, support = _param_space(fit_rows)
    values, free = fit(fit_rows, space, support)
    full = Problem(rows).predict(values)
    cv = {}
    groups = sorted({fold_key(r, folds) for r in fit_rows})
    for k, group in enumerate(groups):
        train = [r for r in fit_rows if fold_key(r, folds) != group]
        test = [r for r in fit_rows if fold_key(r, folds) == group]
        fold_values, _ = fit(train, space, support)
        for r, p in zip(test, Problem(test).predict(fold_values)):
            cv[r["case_id"]] = (f"fold-{k + 1}", "1", p)
    cv_rows = []
    for r, p in zip(rows, full):
        fold, in_fit, pred = cv.get(r["case_id"], ("held-out", "0", p))
        cv_rows.append(dict(case_id=r["case_id"], fold=fold, in_fit=in_fit, cv_predicted=f"{pred:.6g}"))
    return factors_table(values, free, fit_rows), cv_rows, values


def diffusion_factors_table() -> list[dict]:
    """The diffusion fit on every covered image-generation row, one row per runtime family."""
    fit = validation.fit_diffusion([c for c in validation.diffusion_cases() if c["covered"]])
    return [dict(runtime_family=f.runtime_family, compute_efficiency=f"{f.compute_efficiency:.6g}",
                 vector_work=f"{f.vector_work:.6g}", step_overhead_s=f"{f.step_overhead:.6g}",
                 fitted_on=f.fitted_on, source=f.source) for f in fit.values()]


def power_factors_table() -> list[dict]:
    """The power law fitted on every covered energy row (datacenter GPUs); ``default`` for the other groups."""
    fit = validation.fit_power([c for c in validation.energy_cases() if c["covered"]])
    row = dict(static=f"{fit.static:.6g}", bandwidth=f"{fit.bandwidth:.6g}", compute=f"{fit.compute:.6g}")
    return [dict(device_group="datacenter_gpu", **row, fitted_on=fit.fitted_on, source=fit.source),
            dict(device_group="default", **row, fitted_on="-",
                 source="ASSUMPTION: the datacenter-GPU fit, transferred to devices without measured energy rows "
                        "(P_idle and P_max stay each device's own)")]


def render(table: list[dict], fields) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    w.writeheader()
    w.writerows(table)
    return buf.getvalue()


def _same(shipped: str, fresh: str) -> bool:
    """Same rows and labels, and numbers equal to 1e-4 relative (or 1e-12 absolute)."""
    a, b = (list(csv.DictReader(io.StringIO(t))) for t in (shipped, fresh))
    if len(a) != len(b):
        return False
    for ra, rb in zip(a, b):
        if ra.keys() != rb.keys():
            return False
        for k in ra:
            try:
                x, y = float(ra[k]), float(rb[k])
            except ValueError:
                if ra[k] != rb[k]:
                    return False
                continue
            if abs(x - y) > 1e-4 * max(abs(x), abs(y)) + 1e-12:
                return False
    return True


def print_cv_medians(cv_rows):
    """Cross-validated median |error| per regime, all rows and edge devices."""
    cases = {c["case_id"]: c for c in validation.cases()}
    edge = {"edge_soc", "laptop_desktop_soc", "phone_soc", "consumer_gpu"}
    errors = {}
    for r in cv_rows:
        c = cases[r["case_id"]]
        regime = "prefill" if c["quantity"] in validation.PREFILL_QUANTITIES else "decode"
        err = abs(float(r["cv_predicted"]) / c["measured"] - 1.0)
        errors.setdefault((regime, "all"), []).append(err)
        if compute.device_group(catalog.hardware(c["hardware"]).device_class) in edge:
            errors.setdefault((regime, "edge"), []).append(err)
    for (regime, subset), errs in sorted(errors.items()):
        print(f"{regime:8s} {subset:5s} median |error| {np.median(errs):6.1%} over {len(errs)} rows")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the shipped files")
    ap.add_argument("--folds", choices=["table", "source"], default="table",
                    help="cross-validation groups; 'source' only prints its medians (nothing is written)")
    args = ap.parse_args(argv)
    table, cv_rows, values = calibrate(args.folds)
    if args.folds != "table":
        print_cv_medians(cv_rows)
        return 0
    outputs = {"calibration.csv": render(table, FIELDS), "cross_validation.csv": render(cv_rows, CV_FIELDS),
               "diffusion_calibration.csv": render(diffusion_factors_table(), DIFFUSION_FIELDS),
               "power_calibration.csv": render(power_factors_table(), POWER_FIELDS)}
    if args.check:
        stale = [name for name, text in outputs.items()
                 if not (DATA / name).exists() or not _same((DATA / name).read_text(), text)]
        print(f"{', '.join(stale)} differ from a fresh fit" if stale else "calibration files are up to date")
        return 1 if stale else 0
    for name, text in outputs.items():
        (DATA / name).write_text(text)
    for k, x in sorted(values.items()):
        print(f"{k:40s} {x:.6g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
