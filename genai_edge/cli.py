"""The ``genai-edge`` command (also ``python -m genai_edge``).

Sub-commands: ``estimate`` (one model on one piece of hardware, compute
only), ``compare`` (a scenario across the four paradigms), ``validate``
(published measurements vs the model), ``crossover`` (the value of a
scenario key at which two paradigms tie on a metric, with its closed-form
expression where one exists), ``catalog`` (hardware, models,
diffusion models, precisions, runtimes, access networks and scenarios with
their sources), ``scenario`` (``keys``: every scenario key with unit,
default, allowed values and source; ``show``: a built-in scenario's file)
and ``scaling``
(compute-optimal sizing, growth trends of notable models, edge feasibility
horizon) and ``energy`` (inference energy at a boundary; training energy
and carbon).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import textwrap
import warnings

from . import catalog

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr, exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())} (see {self.prog} --help)\n")


def _quoted(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:37]) + "..."


def _whole(minimum: int, maximum: int):
    """A flag's whole number in [minimum, maximum]."""
    def parse(text: str) -> int:
        allowed = f"allowed: a whole number in [{minimum:,}, {maximum:,}]"
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"got {_quoted(text)}; {allowed}") from None
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"{_quoted(text)} is out of range; {allowed}")
        return value
    return parse


def _number(low: float, high: float, *, low_open: bool = False):
    """A flag's finite number in [low, high] (or (low, high])."""
    def parse(text: str) -> float:
        allowed = f"allowed: a number in {'(' if low_open else '['}{low:g}, {high:g}]"
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"got {_quoted(text)}; {allowed}") from None
        if not (low < value if low_open else low <= value) or not value <= high:  # NaN fails too
            raise argparse.ArgumentTypeError(f"{_quoted(text)} is out of range; {allowed}")
        return value + 0.0
    return parse


def _field_high(key: str):
    """The upper bound of a scenario key, shared by the flags that mean the same quantity."""
    from .scenario import describe_fields
    return next(r["high"] for r in describe_fields() if r["key"] == key)


def _print_json(obj) -> None:
    print(json.dumps(obj, indent=2, allow_nan=False, default=str))


def _json_ready(obj):
    """JSON has no NaN or infinity: NaN (a quantity not defined there) becomes
    null, unbounded values (unstable queues) the string 'inf'."""
    if isinstance(obj, dict):
        return {k: _json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_ready(v) for v in obj]
    if isinstance(obj, float) and obj != obj:
        return None
    if isinstance(obj, float) and obj in (float("inf"), float("-inf")):
        return "inf" if obj > 0 else "-inf"
    return obj


def _version() -> str:
    """The installed distribution's version, or the package's own where it is not installed."""
    from importlib import metadata

    try:
        return metadata.version("genai_edge")
    except metadata.PackageNotFoundError:
        from . import __version__
        return __version__


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def _table(columns, rows, below=()) -> str:
    """A text table: a header line, one line per row (numeric columns right-aligned); each of the
    ``below`` columns is printed under its row, after its name, wrapped to the terminal's width
    (a word longer than the line, such as a URL, is kept whole)."""
    width = shutil.get_terminal_size((80, 24)).columns
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(x[i]) for x in cells]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(r.get(c), (int, float)) or r.get(c) is None for r in rows)
               and any(isinstance(r.get(c), (int, float)) for r in rows) for c in columns]

    def line(values):
        return "  ".join(f"{v:>{w}s}" if num else f"{v:<{w}s}"
                         for v, w, num in zip(values, widths, numeric)).rstrip()

    out = [line(columns)]
    for r, values in zip(rows, cells):
        out.append(line(values))
        for c in below:
            text = _cell(r.get(c)) or "-"
            out.append(textwrap.fill(text, width=max(width, 40), initial_indent=f"    {c}: ",
                                     subsequent_indent=" " * (6 + len(c)), break_long_words=False,
                                     break_on_hyphens=False))
    return "\n".join(out)


# ----------------------------------------------------------------- estimate
def _estimate(args) -> int:
    from . import compute

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", compute.MemoryWarning)
        warnings.simplefilter("always", compute.UnknownRuntimeWarning)
        est = compute.estimate(
            args.model, args.hardware, args.precision, args.runtime, devices=args.devices,
            batch=args.batch, prompt_tokens=args.prompt_tokens, output_tokens=args.output_tokens,
            context_tokens=args.context_tokens, kv_precision=args.kv_precision)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    result = est.to_dict()
    if args.json:
        _print_json(result)
        return 0
    print(f"{est.model} on {est.devices} x {est.hardware} ({est.precision}, runtime {est.runtime}, "
          f"batch {est.batch})")
    print(f"  prefill / TTFT      {est.prefill_s * 1e3:10.2f} ms  ({est.prefill_bound}-bound)")
    print(f"  time per out token  {est.tpot_s * 1e3:10.2f} ms  ({est.bound}-bound)")
    print(f"  decode rate         {est.decode_tokens_per_s:10.1f} token/s")
    print(f"  end to end          {est.e2e_s * 1e3:10.2f} ms")
    print(f"  weights             {est.weights_bytes / 1e9:10.2f} GB")
    print(f"  KV cache            {est.kv_cache_bytes / 1e9:10.2f} GB")
    print(f"  fits in memory      {'yes' if est.fits_in_memory else 'NO'} "
          f"({est.memory_required_bytes / 1e9:.1f} of {est.memory_capacity_bytes / 1e9:.0f} GB)")
    return 0


# ------------------------------------------------------------------ compare
def _parse_sets(pairs) -> dict:
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set expects key=value (e.g. network.cloud_distance_km=3000), got {_quoted(pair)}")
        if key.strip() in out:
            raise ValueError(f"--set {key.strip()} is given twice; allowed: each key once")
        out[key.strip()] = value.strip()
    return out


def _compare(args) -> int:
    from . import metrics, paradigms, scenario

    scn = scenario.load(args.scenario, _parse_sets(args.set))
    results = paradigms.evaluate(scn)
    if args.json:
        _print_json({"scenario": scn.to_dict(),
                     "metrics": {m.name: {"unit": m.unit, "label": m.label, "direction": m.direction,
                                          "family": m.family} for m in metrics.registry()},
                     "paradigms": {k: _json_ready(v.to_dict()) for k, v in results.items()}})
        return 0
    print(f"{scn.name}: {scn.description}")
    shown = metrics.headline()
    cells = [f"{m.label} [{m.shown_unit}]" for m in shown]
    widths = [max(len(c), 9) for c in cells]
    print(f"{'paradigm':11s} " + " ".join(f"{c:>{w}s}" for c, w in zip(cells, widths)) + "  sites")
    for name, r in results.items():
        sites = ", ".join(f"{s.site} {s.utilization:.0%}{'' if s.stable else ' UNSTABLE'}" for s in r.sites)
        values = [_shown(r.metrics[m.name], m) for m in shown]
        print(f"{paradigms.PARADIGM_LABELS[name]:11s} " + " ".join(f"{v:>{w}s}" for v, w in zip(values, widths))
              + f"  {sites}")
    return 0


def _crossover(args) -> int:
    from . import scenario
    from .paradigms import PARADIGM_LABELS
    from .symbolic.crossover import crossover

    scn = scenario.load(args.scenario, _parse_sets(args.set))
    low, high = args.range if args.range else (None, None)
    result = crossover(scn, args.metric, args.vary, tuple(args.between), low, high)
    if args.json:
        _print_json(_json_ready(result.to_dict()))
        return 0
    a, b = (PARADIGM_LABELS[p] for p in result.between)
    print(f"{scn.name}: {a} vs {b} on {result.metric} along {result.key} "
          f"[{result.low:g}, {result.high:g}] {result.unit} ({result.method})")
    if result.value is None:
        print(f"no crossover: {result.reason}")
    else:
        below, above = (PARADIGM_LABELS.get(p, "neither") for p in (result.winner_below, result.winner_above))
        print(f"crossover at {result.value:,.6g} {result.unit} (this scenario: {result.current:,.6g}); "
              f"better below: {below}, above: {above}")
        if result.others:
            print("further crossovers: " + ", ".join(f"{x:,.6g}" for x in result.others))
    print(f"expression: {result.expression}")
    for name, value in result.symbols.items():
        print(f"  {name} = {value:.6g}")
    return 0


def _shown(value: float, metric) -> str:
    if value != value:
        return "-"
    if value in (float("inf"), float("-inf")):
        return "inf"
    x = value * metric.scale
    if metric.digits is not None:
        return f"{x:,.{metric.digits}f}"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


# ----------------------------------------------------------------- validate
def _validate(args) -> int:
    from . import validation

    table = validation.validation_table()
    summary = validation.summary(table)
    images = validation.diffusion_table()
    image_summary = validation.diffusion_summary(images)
    clips = validation.video_table()
    clip_summary = validation.video_summary(clips)
    clip_energy = validation.video_energy_table()
    clip_energy_summary = validation.video_energy_summary(clip_energy)
    if args.json:
        _print_json({"cases": table.to_dict(orient="records"), "summary": summary,
                     "by_device_group": validation.breakdown("device_group", table).to_dict(orient="records"),
                     "by_runtime_family": validation.breakdown("runtime_family", table).to_dict(orient="records"),
                     "image_cases": _json_ready(images.to_dict(orient="records")),
                     "image_summary": image_summary,
                     "video": {"cases": _json_ready(clips.to_dict(orient="records")),
                               "summary": _json_ready(clip_summary),
                               "energy_cases": _json_ready(clip_energy.to_dict(orient="records")),
                               "energy_summary": _json_ready(clip_energy_summary)}})
        return 0
    cols = ["case_id", "quantity", "model", "hardware", "devices", "batch", "precision", "runtime",
            "measured", "predicted", "error", "cv_error", "in_fit"]
    view = table[cols].copy()
    for col in ("error", "cv_error"):
        view[col] = (100 * view[col]).map("{:+.1f} %".format)
    print(view.to_string(index=False))
    print()
    for key, value in summary.items():
        if key.endswith("error") and value is not None:
            print(f"{key:48s} {100 * value:6.1f} %")
    print()
    print(f"image generation: {image_summary['covered_rows']} of {image_summary['rows']} rows covered, "
          f"cross-validated median |error| {100 * image_summary['cv_median_abs_error']:.1f} % "
          f"(in fit {100 * image_summary['in_fit_median_abs_error']:.1f} %)")
    print()
    cols = ["case_id", "model", "hardware", "precision", "resolution", "steps", "measured", "predicted", "error",
            "achieved_fraction"]
    view = clips.loc[clips.covered, cols].copy()
    view["error"] = (100 * view["error"]).map("{:+.1f} %".format)
    view["achieved_fraction"] = (100 * view["achieved_fraction"]).map("{:.1f} %".format)
    view = view.round({"measured": 2, "predicted": 2}).rename(columns={"measured": "measured_s",
                                                                       "predicted": "predicted_s"})
    print(view.to_string(index=False))
    print()
    print(f"video generation: {clip_summary['covered_rows']} of {clip_summary['rows']} rows covered, "
          f"out of sample: median |error| {100 * clip_summary['median_abs_error']:.1f} % "
          f"(largest {100 * clip_summary['max_abs_error']:.1f} %), "
          f"median {100 * clip_summary['median_achieved_fraction']:.1f} % of the matrix peak reached")
    print()
    cols = ["case_id", "model", "hardware", "measured", "predicted", "error", "measured_power_w",
            "predicted_power_w", "time_error", "power_error"]
    view = clip_energy.loc[clip_energy.covered, cols].copy()
    for col in ("error", "time_error", "power_error"):
        view[col] = (100 * view[col]).map("{:+.1f} %".format)
    view = view.round({"measured": 0, "predicted": 0, "measured_power_w": 0, "predicted_power_w": 0}).rename(
        columns={"measured": "measured_j", "predicted": "predicted_j"})
    print(view.to_string(index=False))
    print()
    print(f"video energy: {clip_energy_summary['covered_rows']} of {clip_energy_summary['rows']} rows covered, "
          f"out of sample: median error {100 * clip_energy_summary['median_error']:+.1f} % "
          f"(time {100 * clip_energy_summary['median_time_error']:+.1f} %, "
          f"power {100 * clip_energy_summary['median_power_error']:+.1f} %)")
    return 0


# ------------------------------------------------------------------ catalog
def _catalog(args) -> int:
    if args.kind != "all" and args.kind not in catalog.LISTINGS:
        raise ValueError(f"unknown catalog section {args.kind!r}; allowed: all, {', '.join(catalog.LISTINGS)}")
    kinds = list(catalog.LISTINGS) if args.kind == "all" else [args.kind]
    out = {k: catalog.listing(k) for k in kinds}
    if args.json:
        _print_json(_json_ready(out))
        return 0
    for k in kinds:
        *columns, last = catalog.LISTINGS[k][1]
        print(f"# {k} ({len(out[k])})")
        print(_table(columns, out[k], below=(last,)))
        print()
    return 0


# ----------------------------------------------------------------- scenario
def _scenario_keys(args) -> int:
    from . import scenario

    rows = scenario.describe_fields()
    if args.json:
        _print_json(_json_ready(rows))
        return 0
    print(_table(["key", "unit", "default"], rows, below=("doc", "allowed", "source")))
    return 0


def _scenario_show(args) -> int:
    from . import scenario

    print(scenario.builtin_path(args.name).read_text(encoding="utf-8"), end="")
    return 0


def _add_scenario_parser(sub) -> None:
    s = sub.add_parser("scenario", help="scenario keys with units, ranges and sources; built-in scenario files")
    ss = s.add_subparsers(dest="scenario_command", required=True)
    k = ss.add_parser("keys", help="every scenario key with unit, default, allowed values and source")
    k.add_argument("--json", action="store_true",
                   help="one JSON list; numbers stay numbers, a range's missing bound (no limit) is null")
    k.set_defaults(func=_scenario_keys)
    w = ss.add_parser("show", help="print a built-in scenario's YAML file (comments kept) to start from")
    w.add_argument("name", help="built-in scenario name, e.g. chatbot (see `genai-edge catalog scenarios`)")
    w.set_defaults(func=_scenario_show)


# ------------------------------------------------------------------ scaling
def _constants(text: str):
    from . import scaling

    parts = text.split(",")
    if len(parts) != 5:
        raise ValueError(f"--constants expects E,A,B,alpha,beta (five numbers), got {text!r}")
    try:
        e, a, b, alpha, beta = map(float, parts)
    except ValueError:
        raise ValueError(f"--constants expects E,A,B,alpha,beta (five numbers), got {text!r}") from None
    return scaling.LossFit("user", e, a, b, alpha, beta)


def _scaling_optimal(args) -> int:
    from . import scaling

    fit = _constants(args.constants) if args.constants else args.fit
    result = scaling.compute_optimal(args.compute, fit).to_dict()
    if args.json:
        _print_json(_json_ready(result))
        return 0
    print(f"compute-optimal model for C = {args.compute:.3g} FLOP ({result['fit']} fit)")
    print(f"  parameters        {result['n_params']:.4g}")
    print(f"  training tokens   {result['n_tokens']:.4g}")
    print(f"  tokens/parameter  {result['tokens_per_param']:.1f}")
    loss = result["loss"]
    print(f"  loss              {loss:.4f} nat/token" if loss == loss else "  loss              - (tokens law only)")
    return 0


def _scaling_growth(args) -> int:
    from . import growth

    trend = growth.growth_trend(args.quantity, domain=args.domain, since=args.since,
                                until=args.until, top_per_year=args.top_per_year,
                                open_weights=args.open_weights)
    result = trend.summary()
    result.update(domain=args.domain, since=args.since, source=growth.ATTRIBUTION)
    if args.json:
        _print_json(_json_ready(result))
        return 0
    lo, hi = result["factor_per_year_ci90"]
    print(f"{args.quantity} of notable models{' (' + args.domain + ')' if args.domain else ''}"
          f"{' since ' + format(args.since, 'g') if args.since is not None else ''}: n = {result['n']}")
    print(f"  growth        {result['factor_per_year']:.2f}x per year (90 % CI {lo:.2f}-{hi:.2f})")
    print(f"  doubling      {result['doubling_months']:.1f} months")
    print(f"  {growth.ATTRIBUTION}")
    return 0


def _scaling_horizon(args) -> int:
    from . import feasibility

    h = feasibility.horizon(args.hardware, args.precision, args.context_tokens,
                            memory_fraction=args.memory_fraction,
                            open_weights=args.open_weights).to_dict()
    if args.json:
        _print_json(_json_ready(h))
        return 0
    lo, hi = h["horizon_year_ci90"]
    print(f"{h['hardware']} at {h['precision']}, {h['context_tokens']:.0f}-token context, "
          f"{h['memory_fraction']:.0%} of memory usable")
    print(f"  largest model that fits   {h['largest_params'] / 1e9:.1f} B parameters")
    print(f"  frontier passes it in     {h['horizon_year']:.1f} (90 % interval {lo:.1f}-{hi:.1f})")
    print(f"  frontier at {h['at_year']:.1f}        {h['frontier_params'] / 1e9:.0f} B parameters "
          f"({h['size_ratio']:.0f}x larger; loss gap {h['loss_gap']:.3f} nat/token, {h['fit']})")
    return 0


def _add_scaling_parser(sub) -> None:
    from . import growth

    s = sub.add_parser("scaling", help="scaling laws, model growth trends and edge feasibility")
    ss = s.add_subparsers(dest="scaling_command", required=True)
    o = ss.add_parser("optimal", help="compute-optimal parameters and tokens for a training budget")
    o.add_argument("--compute", type=_number(0, 1e35, low_open=True), required=True, help="training compute [FLOP]")
    o.add_argument("--fit", default="besiroglu2024",
                   help="hoffmann2022, besiroglu2024 (default) or llama3")
    o.add_argument("--constants", metavar="E,A,B,ALPHA,BETA",
                   help="user-supplied L(N, D) = E + A/N^alpha + B/D^beta (overrides --fit)")
    o.add_argument("--json", action="store_true")
    o.set_defaults(func=_scaling_optimal)

    g = ss.add_parser("growth", help="growth per year of notable models (Epoch AI data)")
    g.add_argument("--quantity", default="compute", choices=list(growth.QUANTITIES))
    g.add_argument("--domain", default=None, help="e.g. Language, Vision (default all)")
    g.add_argument("--since", type=_number(1900, 2200), default=2010, help="first year (default 2010)")
    g.add_argument("--until", type=_number(1900, 2200), default=None, help="end year, exclusive (default none)")
    g.add_argument("--top-per-year", type=_whole(1, 1_000_000), default=None,
                   help="fit only the n largest models of each year (frontier)")
    g.add_argument("--open-weights", action="store_true", help="models with published weights only")
    g.add_argument("--json", action="store_true")
    g.set_defaults(func=_scaling_growth)

    h = ss.add_parser("horizon", help="largest model a device holds and when the frontier outgrows it")
    h.add_argument("--hardware", required=True, help="device id, e.g. jetson-agx-orin-64gb")
    h.add_argument("--precision", default="w4a16", help="weight precision (default w4a16)")
    h.add_argument("--context-tokens", type=_whole(0, int(_field_high("workload.prompt_tokens"))),
                   default=4096, help="KV length (default 4096)")
    h.add_argument("--memory-fraction", type=_number(0, 1, low_open=True), default=None,
                   help="usable share of memory (default per device class)")
    h.add_argument("--open-weights", action="store_true",
                   help="frontier of models with published weights only")
    h.add_argument("--json", action="store_true")
    h.set_defaults(func=_scaling_horizon)


def _add_serving_args(p) -> None:
    """The model, hardware and batch arguments that ``estimate`` and ``energy inference`` share."""
    p.add_argument("--model", required=True, help="model id, e.g. llama-3.1-8b (see `catalog models`)")
    p.add_argument("--hardware", required=True, help="accelerator id, e.g. h100-sxm5-80gb")
    p.add_argument("--devices", type=_whole(1, int(_field_high("cloud.devices"))),
                   default=1, help="tensor-parallel devices (default 1)")
    p.add_argument("--precision", default="fp16", help="weight precision (default fp16)")
    p.add_argument("--runtime", default="default",
                   help="inference runtime (default: the device group's default factors; an unknown id "
                        "gets them too, with a warning)")
    p.add_argument("--kv-precision", default="fp16", help="KV-cache format: fp16 (default), fp8, int8")
    p.add_argument("--batch", type=_whole(1, int(_field_high("cloud.batch"))),
                   default=1, help="concurrent sequences (default 1)")
    p.add_argument("--prompt-tokens", type=_whole(0, int(_field_high("workload.prompt_tokens"))),
                   default=512, help="prompt length (default 512)")
    p.add_argument("--output-tokens", type=_whole(1, int(_field_high("workload.prompt_tokens"))),
                   default=128, help="generated tokens (default 128)")


# ------------------------------------------------------------------- energy
def _energy_inference(args) -> int:
    from . import energy, power

    hw = catalog.hardware(args.hardware)
    server = hw.device_class in energy.SERVER_CLASSES
    boundary = args.boundary or ("facility" if server else "device")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        e = power.inference_energy(args.model, hw, args.precision, args.runtime, args.devices, args.batch,
                                   args.prompt_tokens, args.output_tokens, args.kv_precision)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    scale = energy.boundary_energy(1.0, boundary, hw.device_class, args.pue)
    out = {"model": e.estimate.model, "hardware": hw.id, "devices": args.devices, "precision": args.precision,
           "runtime": args.runtime, "batch": args.batch, "prompt_tokens": args.prompt_tokens,
           "output_tokens": args.output_tokens, "boundary": boundary,
           "energy_per_output_token_j": e.energy_per_output_token_j * scale,
           "energy_per_prompt_token_j": e.energy_per_prompt_token_j * scale,
           "energy_per_request_j": e.energy_per_request_j * scale,
           "power_w": e.decode_power_w * scale, "accelerator_power_w": e.decode_power_w,
           "prefill_power_w": e.prefill_power_w * scale, "idle_power_w": e.idle_power_w,
           "tpot_s": e.estimate.tpot_s, "prefill_s": e.estimate.prefill_s,
           "fits_in_memory": e.estimate.fits_in_memory}
    if not server:
        out["battery_share_per_request"] = energy.battery_share(out["energy_per_request_j"])
    if args.json:
        _print_json(_json_ready(out))
        return 0
    print(f"{out['model']} on {args.devices} x {hw.id} ({args.precision}, runtime {args.runtime}, batch "
          f"{args.batch}), {boundary} boundary")
    print(f"  per output token   {out['energy_per_output_token_j']:10.4g} J")
    print(f"  per prompt token   {out['energy_per_prompt_token_j']:10.4g} J")
    print(f"  per request        {out['energy_per_request_j']:10.4g} J  "
          f"({args.prompt_tokens} prompt + {args.output_tokens} output tokens)")
    print(f"  power (decode)     {out['power_w']:10.4g} W  (accelerators {e.decode_power_w:.4g} W, "
          f"idle {e.idle_power_w:.4g} W)")
    if not server:
        print(f"  battery per request {out['battery_share_per_request']:9.3%} of a {energy.BATTERY_WH} Wh phone")
    return 0


def _energy_training(args) -> int:
    from . import energy

    hw = catalog.hardware(args.hardware)
    power_w = hw.power_max if args.power_w is None else args.power_w
    if (args.gpu_hours is None) == (args.flops is None):
        raise ValueError("give either --gpu-hours, or --flops with --mfu")
    if args.gpu_hours is not None:
        joules, hours = energy.training_energy_j(args.gpu_hours, power_w, args.pue), args.gpu_hours
    else:
        if args.mfu is None:
            raise ValueError("--flops needs --mfu (model FLOP utilization in (0, 1])")
        peak = hw.peak(catalog.precision(args.precision).compute_peak)
        joules = energy.training_flops_energy_j(args.flops, peak, args.mfu, power_w, args.pue)
        hours = args.flops / (args.mfu * peak) / 3600.0
    grid = energy.grid_intensity(args.grid_kg_per_kwh)
    out = {"hardware": hw.id, "gpu_hours": hours, "power_w": power_w, "pue": args.pue,
           "grid_kg_per_kwh": grid, "energy_mwh": joules / energy.J_PER_KWH / 1e3,
           "tco2e": energy.co2e_g(joules, grid) / 1e6}
    if args.json:
        _print_json(_json_ready(out))
        return 0
    print(f"{hours:,.0f} GPU-hours on {hw.id} at {power_w:g} W, PUE {args.pue:g}: "
          f"{out['energy_mwh']:,.1f} MWh, {out['tco2e']:,.1f} tCO2e at {grid:g} kg/kWh")
    return 0


def _add_energy_parser(sub) -> None:
    from . import energy

    s = sub.add_parser("energy", help="inference energy per token and request; training energy and carbon")
    ss = s.add_subparsers(dest="energy_command", required=True)
    i = ss.add_parser("inference", help="energy of serving one model on one piece of hardware")
    _add_serving_args(i)
    i.add_argument("--boundary", choices=energy.BOUNDARIES, default=None,
                   help="gpu, server, facility (server hardware; default facility) or device (on-device "
                        "hardware: the whole device; its default)")
    i.add_argument("--pue", type=float, default=None,
                   help=f"facility PUE (default {energy.PUE_CLOUD} datacenter GPUs, {energy.PUE_EDGE} edge servers)")
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=_energy_inference)

    t = ss.add_parser("training", help="training energy and carbon from GPU-hours or from FLOP")
    t.add_argument("--hardware", required=True, help="accelerator id, e.g. a100-sxm4-80gb")
    t.add_argument("--gpu-hours", type=_number(0, 1e12, low_open=True), default=None, help="accelerator-hours [h]")
    t.add_argument("--flops", type=_number(0, 1e35, low_open=True),
                   default=None, help="training compute, about 6 N D [FLOP]")
    t.add_argument("--mfu", type=_number(0, 1, low_open=True),
                   default=None, help="model FLOP utilization with --flops, in (0, 1]")
    t.add_argument("--precision", default="bf16", help="training precision for the peak (default bf16)")
    t.add_argument("--power-w", type=float, default=None, help="power per accelerator (default its TDP) [W]")
    t.add_argument("--pue", type=float, default=1.0, help="facility PUE (default 1.0: IT energy only)")
    t.add_argument("--grid-kg-per-kwh", default="world",
                   help="grid intensity in kg CO2e/kWh, or a region id (default world; see data/grid_intensity.csv)")
    t.add_argument("--json", action="store_true")
    t.set_defaults(func=_energy_training)


# -------------------------------------------------------------- reliability
def _reliability_job(args) -> int:
    from . import reliability as rel

    if args.checkpoint_write_s <= 0:
        raise ValueError(f"--checkpoint-write-s must be > 0 [s], got {args.checkpoint_write_s:g}")
    m = rel.job_mtbf(args.gpus, args.gpu_mtbf_h * rel.HOUR)
    w, r, d = args.checkpoint_write_s, args.restart_s, args.detection_s
    tau = rel.optimal_interval(w, m)
    out = {"gpus": args.gpus, "gpu_mtbf_h": args.gpu_mtbf_h, "checkpoint_write_s": w, "restart_s": r,
           "detection_s": d, "job_mttf_h": m / rel.HOUR, "optimal_interval_s": tau,
           "young_interval_s": rel.young_interval(w, m), "daly_interval_s": rel.daly_interval(w, m),
           "availability_optimal_period_s": rel.availability_optimal_interval(w, m, r + d),
           "goodput": rel.goodput(tau, w, m, r, d)}
    if args.json:
        _print_json(_json_ready(out))
        return 0
    print(f"{args.gpus:g} GPUs at {args.gpu_mtbf_h:,.0f} h each: the job is interrupted every "
          f"{out['job_mttf_h']:.2f} h; checkpoint every {tau / 60:.1f} min of compute (Young "
          f"{out['young_interval_s'] / 60:.1f} min) for a goodput of {out['goodput']:.1%}")
    return 0


def _reliability_fit(args) -> int:
    from . import reliability as rel

    fit = rel.failure_rate(args.failures, args.units, args.hours * rel.HOUR, args.level)
    lo, hi = fit.mtbf_interval
    tag = f"ci{100 * args.level:g}"
    out = {"failures": args.failures, "units": args.units, "hours": args.hours, "level": args.level,
           "rate_per_unit_h": fit.rate * rel.HOUR, "mtbf_per_unit_h": fit.mtbf / rel.HOUR,
           tag: [fit.low * rel.HOUR, fit.high * rel.HOUR], f"mtbf_{tag}_h": [lo / rel.HOUR, hi / rel.HOUR]}
    if args.json:
        _print_json(_json_ready(out))
        return 0
    print(f"{args.failures:g} failures over {args.units:g} units x {args.hours:g} h: "
          f"{out['rate_per_unit_h']:.3g} per unit-hour ({100 * args.level:g} % interval "
          f"{out[tag][0]:.3g}-{out[tag][1]:.3g}); MTBF per unit {out['mtbf_per_unit_h']:,.0f} h "
          f"({out[f'mtbf_{tag}_h'][0]:,.0f}-{out[f'mtbf_{tag}_h'][1]:,.0f} h)")
    return 0


def _add_reliability_parser(sub) -> None:
    from .scenario import GPU_MTBF_H

    s = sub.add_parser("reliability", help="failure rates with intervals; checkpointing of large jobs")
    ss = s.add_subparsers(dest="reliability_command", required=True)
    j = ss.add_parser("job", help="interruptions, optimal checkpoint interval and goodput of a synchronous job")
    j.add_argument("--gpus", type=_whole(1, 10_000_000), required=True, help="accelerators in the job")
    j.add_argument("--gpu-mtbf-h", type=float, default=GPU_MTBF_H,
                   help=f"hours between interruptions per accelerator (default {GPU_MTBF_H:,.0f}: Llama 3 405B, "
                        "419 unexpected interruptions in 54 days on 16,384 H100s) [h]")
    j.add_argument("--checkpoint-write-s", type=float, default=300.0,
                   help="time to write one checkpoint (default 300; ASSUMPTION) [s]")
    j.add_argument("--restart-s", type=float, default=300.0,
                   help="time to restart from a checkpoint (default 300; ASSUMPTION) [s]")
    j.add_argument("--detection-s", type=float, default=0.0, help="time to detect an interruption [s]")
    j.add_argument("--json", action="store_true")
    j.set_defaults(func=_reliability_job)
    f = ss.add_parser("fit", help="failure rate per unit and its exact Poisson interval from a count")
    f.add_argument("--failures", type=_whole(0, 10**12), required=True, help="failures counted")
    f.add_argument("--units", type=float,
                   required=True, help="units observed (GPUs, servers)")
    f.add_argument("--hours", type=float, required=True, help="observation time [h]")
    f.add_argument("--level", type=float,
                   default=0.9, help="two-sided confidence (default 0.9)")
    f.add_argument("--json", action="store_true")
    f.set_defaults(func=_reliability_fit)


# --------------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="genai-edge", description=(
        "Where to run generative-AI services: closed-form latency models for "
        "cloud, MEC, edge-cloud and on-device deployment."))
    p.add_argument("--version", action="version", version=f"genai-edge {_version()}")
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("estimate", help="compute-only latency of one model on one piece of hardware")
    _add_serving_args(e)
    e.add_argument("--context-tokens", type=_whole(0, int(_field_high("workload.prompt_tokens"))), default=None,
                   help="KV length at which TPOT is evaluated (default prompt + output/2)")
    e.add_argument("--json", action="store_true", help="print one JSON object")
    e.set_defaults(func=_estimate)

    cmp_ = sub.add_parser("compare", help="compare cloud, MEC, edge-cloud and on-device for a scenario")
    cmp_.add_argument("--scenario", required=True, help="built-in name (e.g. chatbot) or a YAML file")
    cmp_.add_argument("--set", action="append", metavar="KEY=VALUE",
                      help="override a scenario key, e.g. --set network.cloud_distance_km=3000 (repeatable)")
    cmp_.add_argument("--json", action="store_true")
    cmp_.set_defaults(func=_compare)

    x = sub.add_parser("crossover", help="the value of a scenario key at which two paradigms tie on a metric, "
                                         "with its expression")
    x.add_argument("--scenario", required=True, help="built-in name (e.g. chatbot) or a YAML file")
    x.add_argument("--metric", default="ttft", help="ttft (default), e2e, tpot, p99, ttft_p99, e2e_p99, energy, "
                                                     "co2e, slo, availability or any metric name of compare --json")
    x.add_argument("--vary", required=True, metavar="KEY", help="a numeric scenario key, e.g. "
                                                                  "network.cloud_distance_km (see scenario keys)")
    x.add_argument("--between", nargs=2, required=True, metavar="PARADIGM",
                   choices=("cloud", "mec", "edge_cloud", "on_device"), help="two of cloud, mec, edge_cloud, on_device")
    x.add_argument("--range", nargs=2, type=_number(-1e300, 1e300), metavar=("LOW", "HIGH"),
                   help="range searched, in the key's unit (default: the key's allowed range)")
    x.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a scenario key (repeatable)")
    x.add_argument("--json", action="store_true", help="one JSON object: value (null when none), expression, "
                                                         "winner_below, winner_above, reason, ...")
    x.set_defaults(func=_crossover)

    from .report import add_report_parser
    add_report_parser(sub)

    v = sub.add_parser("validate", help="published measurements vs the model, with errors")
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=_validate)

    c = sub.add_parser("catalog", help="list hardware, models, diffusion models, precisions, runtimes, access "
                                       "networks and built-in scenarios with sources")
    c.add_argument("kind", nargs="?", default="all", help=f"all (default), {', '.join(catalog.LISTINGS)}")
    c.add_argument("--json", action="store_true",
                   help="one JSON object of sections; numbers stay numbers, an empty cell is null")
    c.set_defaults(func=_catalog)
    _add_scenario_parser(sub)

    _add_scaling_parser(sub)
    _add_energy_parser(sub)
    _add_reliability_parser(sub)
    return p


def main(argv=None) -> int:
    """Run the command line; every failure is one line on stderr.

    Exit status: 0 done, 2 bad input, 1 a file could not be read or written,
    130 interrupted (Ctrl-C), 141 output pipe closed early (as after SIGPIPE).
    """
    command = "genai-edge"
    try:
        args = build_parser().parse_args(argv)  # usage errors: one line, SystemExit(2)
        command = f"genai-edge {args.command}"
        return args.func(args)
    except (KeyError, ValueError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"{command}: error: {' '.join(str(msg).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader left (e.g. `| head`): send what is still buffered nowhere, exit quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 141
    except OSError as exc:
        print(f"{command}: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
