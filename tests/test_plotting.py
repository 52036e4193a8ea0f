"""Figures: one distinguishable style per paradigm, legends off the data, split breakdown, alt text."""
from __future__ import annotations

import inspect
import itertools

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import genai_edge as ge  # noqa: E402
from genai_edge import feasibility, growth, paradigms, plotting  # noqa: E402

# Machado, Oliveira & Fernandes, "A physiologically-based model for simulation of color vision
# deficiency", IEEE TVCG 15(6) 2009, table 1 at severity 1.0 (linear RGB).
CVD = {"normal": np.eye(3),
       "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                               [-0.003882, -0.048116, 1.051998]]),
       "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                                 [-0.011820, 0.042940, 0.968881]]),
       "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                               [0.004733, 0.691367, 0.303900]])}


def _linear_rgb(color):
    c = np.asarray(matplotlib.colors.to_rgb(color))
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear):
    """CIELAB (D65) of a linear sRGB triple."""
    srgb_to_xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = srgb_to_xyz @ np.clip(linear, 0, 1)
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _delta_e(a, b, vision="normal"):
    m = CVD[vision]
    return float(np.linalg.norm(_lab(m @ _linear_rgb(a)) - _lab(m @ _linear_rgb(b))))


def test_delta_e_reference_values():
    assert _delta_e("white", "black") == pytest.approx(100.0, abs=0.1)
    assert _lab(_linear_rgb("#FF0000")) == pytest.approx([53.24, 80.09, 67.20], abs=0.1)   # sRGB red
    # the classic red/green confusion collapses under deuteranopia
    assert _delta_e("#D62728", "#2CA02C", "deuteranopia") < 0.5 * _delta_e("#D62728", "#2CA02C")


def test_one_style_per_registry_paradigm():
    assert list(plotting.STYLES) == list(paradigms.PARADIGMS)
    styles = plotting.STYLES.values()
    for attribute in ("color", "linestyle", "marker", "zorder", "label"):
        values = [getattr(s, attribute) for s in styles]
        assert len(set(values)) == len(values), attribute
    assert {s.color for s in styles} <= set(plotting.OKABE_ITO.values())
    assert [s.label for s in styles] == [paradigms.PARADIGM_LABELS[p] for p in paradigms.PARADIGMS]
    # a line drawn later is no wider than one it may cover
    ordered = sorted(styles, key=lambda s: s.zorder)
    assert all(a.linewidth >= b.linewidth for a, b in zip(ordered, ordered[1:]))


@pytest.mark.parametrize("vision", list(CVD))
def test_paradigm_colours_apart_for_colour_blind_readers(vision):
    colors = [s.color for s in plotting.STYLES.values()]
    for a, b in itertools.combinations(colors, 2):
        assert _delta_e(a, b, vision) >= 20.0, (a, b, vision)
    for c in colors:
        assert _delta_e(c, "white", vision) >= 30.0, (c, vision)


# ------------------------------------------------------------------ one figure per public function
@pytest.fixture(scope="module")
def results():
    return ge.evaluate(ge.load_scenario("chatbot"))


def _sweep_frame(same: bool = False, percentile: bool = False):
    x = np.linspace(0.0, 1000.0, 50)
    rows = []
    for i, p in enumerate(paradigms.PARADIGMS):
        y = 1.0 + (0.0 if same else i) + x / 1000.0
        for q in ((5, 50, 95) if percentile else (None,)):
            rows.append(pd.DataFrame({"paradigm": p, "x": x, "ttft_s": y * (1 + (q or 50) / 500),
                                      **({"percentile": q} if percentile else {})}))
    return pd.concat(rows, ignore_index=True)


def _grid_frame():
    x, y = np.meshgrid(np.linspace(0, 10, 12), np.linspace(0, 5, 10))
    rows = [pd.DataFrame({"paradigm": p, "x": x.ravel(), "y": y.ravel(),
                          "ttft_s": np.abs(x.ravel() - 3 * i) + np.abs(y.ravel() - i)})
            for i, p in enumerate(paradigms.PARADIGMS)]
    return pd.concat(rows, ignore_index=True)


def _pareto_frame():
    rng = np.random.default_rng(3)
    return pd.concat([pd.DataFrame({"paradigm": p, "e2e_s": rng.lognormal(i * 0.3, 0.4, 40),
                                    "energy_per_request_j": rng.lognormal(5 - i * 0.3, 0.4, 40)})
                      for i, p in enumerate(paradigms.PARADIGMS)], ignore_index=True)


def _validation_table():
    rng = np.random.default_rng(1)
    n = 12
    measured = rng.lognormal(0, 1, n)
    return pd.DataFrame({"regime": ["prefill", "decode"] * (n // 2), "measured": measured,
                         "predicted": measured * rng.lognormal(0, 0.1, n),
                         "cv_predicted": measured * rng.lognormal(0, 0.2, n), "in_fit": True})


BUILDERS = {
    "breakdown_bars": lambda r: plotting.breakdown_bars(r),
    "latency_ccdf": lambda r: plotting.latency_ccdf(r, "e2e"),
    "sweep_lines": lambda r: plotting.sweep_lines(_sweep_frame(percentile=True), "x", "ttft_s",
                                                  "distance [km]", "mean TTFT [s]"),
    "winner_map": lambda r: plotting.winner_map(_grid_frame(), "x", "y", "ttft_s", xlabel="distance [km]",
                                                ylabel="users [-]"),
    "parity": lambda r: plotting.parity(_validation_table()),
    "growth_trend": lambda r: plotting.growth_trend(growth.growth_trend("compute", since=2010),
                                                    growth.trend_data("compute", since=2010),
                                                    "training_compute_flop", "training compute [FLOP]"),
    "backtest": lambda r: plotting.backtest(growth.backtest("compute", freeze_year=2020),
                                            growth.trend_data("compute", since=2010, until=2021),
                                            "training_compute_flop", "training compute [FLOP]"),
    "feasibility_horizon": lambda r: plotting.feasibility_horizon(
        feasibility.feasibility_table(precisions=("w4a16",)), feasibility.frontier_trend()),
    "energy_bars": lambda r: plotting.energy_bars(r),
    "energy_vs_batch": lambda r: plotting.energy_vs_batch(
        np.geomspace(1, 256, 20), 0.5 / np.geomspace(1, 256, 20) ** 0.7,
        pd.DataFrame({"batch": [1, 16, 256], "measured": [0.5, 0.07, 0.01]}), "a model"),
    "pareto": lambda r: plotting.pareto(_pareto_frame())[0],
    "downtime_bars": lambda r: plotting.downtime_bars(r),
    "outage_crossover": lambda r: plotting.outage_crossover(np.logspace(-6, -0.3, 50), 1 - np.logspace(-6, -0.3, 50),
                                                            1 - np.logspace(-8, -0.1, 50), 1e-2, "4 sites"),
    "goodput_curve": lambda r: plotting.goodput_curve(np.geomspace(60, 6 * 3600, 50), np.linspace(0.8, 0.95, 50),
                                                      {"optimum": (1800.0, 0.95), "Young": (1700.0, 0.94)}),
}
NOT_DRAWING = {"set_theme", "set_alt", "alt_text"}
# categorical axes: no unit
CATEGORICAL = {"paradigm"}


def _figure(out):
    first = out[0] if isinstance(out, (tuple, list, np.ndarray)) else out
    fig = first.figure
    fig.canvas.draw()
    return fig


def test_every_public_plotting_function_is_checked():
    public = {n for n, f in inspect.getmembers(plotting, inspect.isfunction)
              if not n.startswith("_") and f.__module__ == plotting.__name__}
    assert public - NOT_DRAWING == set(BUILDERS)


@pytest.fixture(params=sorted(BUILDERS))
def figure(request, results):
    fig = _figure(BUILDERS[request.param](results))
    yield request.param, fig
    plt.close(fig)


def _overlap_px(a, b) -> float:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(w, 0.0) * max(h, 0.0)


def test_legends_outside_every_data_area(figure):
    name, fig = figure
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + list(fig.legends)
    assert legends, name
    renderer = fig.canvas.get_renderer()
    for legend, ax in itertools.product(legends, fig.axes):
        assert _overlap_px(legend.get_window_extent(renderer), ax.get_window_extent(renderer)) < 1.0, name


def test_units_on_every_axis_label(figure):
    name, fig = figure
    for ax in fig.axes:
        labels = [ax.get_xlabel(), ax.get_ylabel()]
        assert ax.get_xlabel(), name
        for label in filter(None, labels):
            assert label in CATEGORICAL or ("[" in label and label.index("[") < label.index("]")), (name, label)


def test_alt_text_on_every_panel(figure):
    name, fig = figure
    for ax in fig.axes:
        assert getattr(ax, plotting.ALT_ATTRIBUTE, "").strip(), name
    alt = plotting.alt_text(fig)
    for ax in fig.axes:
        assert getattr(ax, plotting.ALT_ATTRIBUTE).rstrip(".") in alt
        assert ax.get_xlabel() in alt


def _paradigm_lines(ax):
    labels = {s.label: p for p, s in plotting.STYLES.items()}
    return {labels[line.get_label()]: line for line in ax.get_lines() if line.get_label() in labels}


@pytest.mark.parametrize("name", ["latency_ccdf", "sweep_lines"])
def test_lines_distinct_colour_and_linestyle_per_paradigm(results, name):
    ax = BUILDERS[name](results)
    lines = _paradigm_lines(ax)
    assert set(lines) == set(paradigms.PARADIGMS)
    looks = {(matplotlib.colors.to_hex(line.get_color()), line.get_linestyle()) for line in lines.values()}
    assert len(looks) == len(lines)
    for p, line in lines.items():
        assert matplotlib.colors.same_color(line.get_color(), plotting.STYLES[p].color)
    plt.close(ax.figure)


def test_scatter_and_map_use_the_paradigm_colours(results):
    ax = BUILDERS["pareto"](results)
    by_label = {c.get_label(): c for c in ax.collections}
    markers = set()
    for s in plotting.STYLES.values():
        assert matplotlib.colors.same_color(by_label[s.label].get_facecolor()[0][:3], s.color)
        markers.add(by_label[s.label].get_paths()[0].vertices.tobytes())
    assert len(markers) == len(plotting.STYLES)
    ax = BUILDERS["winner_map"](results)
    patches = {t.get_text(): h for t, h in zip(ax.get_legend().get_texts(), ax.get_legend().legend_handles)}
    for s in plotting.STYLES.values():
        assert matplotlib.colors.same_color(patches[s.label].get_facecolor(), s.color)
    plt.close("all")


def test_identical_lines_all_stay_visible():
    """Four paradigms with the same values: every colour still shows in the rendered image."""
    ax = plotting.sweep_lines(_sweep_frame(same=True), "x", "ttft_s", "distance [km]", "mean TTFT [s]")
    fig = ax.figure
    fig.canvas.draw()
    pixels = np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(float) / 255
    inside = ax.get_window_extent()
    h = pixels.shape[0]
    area = pixels[int(h - inside.y1) + 2:int(h - inside.y0) - 2, int(inside.x0) + 2:int(inside.x1) - 2]
    for p, s in plotting.STYLES.items():
        close = np.linalg.norm(area - np.asarray(matplotlib.colors.to_rgb(s.color)), axis=-1) < 0.06
        assert close.sum() >= 100, (p, int(close.sum()))
    plt.close(fig)


def test_breakdown_gives_network_time_its_own_axis(results):
    net_ax, serve_ax = plotting.breakdown_bars(results)
    fig = net_ax.figure
    fig.canvas.draw()
    assert "[ms]" in net_ax.get_xlabel() and "[s]" in serve_ax.get_xlabel()
    width = net_ax.get_window_extent().width
    network_ms = {p: 1e3 * (r.breakdown["access"] + r.breakdown["transport"]) for p, r in results.items()}
    bars = [b for b in net_ax.patches if b.get_width() > 0]
    total_px = {}
    for bar in bars:
        row = round(bar.get_y() + bar.get_height() / 2)
        total_px[row] = total_px.get(row, 0.0) + bar.get_window_extent().width
    # every paradigm with a network part: at least a tenth of the axis wide (a linear axis up to
    # the multi-second end-to-end latency would give it well under 1 %)
    assert sum(v > 0 for v in network_ms.values()) == len(total_px)
    assert min(total_px.values()) >= 0.1 * width
    # the serving axis stacks the remaining components to the end-to-end latency
    serving = {}
    for bar in serve_ax.patches:
        row = round(bar.get_y() + bar.get_height() / 2)
        serving[row] = serving.get(row, 0.0) + bar.get_width()
    order = [p for p in paradigms.PARADIGMS if p in results]
    for i, p in enumerate(order):
        expected = results[p].e2e_s - network_ms[p] / 1e3
        assert serving[i] == pytest.approx(expected, rel=1e-9)
    plt.close(fig)


def test_energy_components_on_a_log_axis(results):
    ax = plotting.energy_bars(results)
    assert ax.get_xscale() == "log"
    plt.close(ax.figure)


def test_alt_text_describes_unannotated_figures():
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4])
    ax.set(xlabel="time [s]", ylabel="load [-]", xscale="log")
    alt = plotting.alt_text(fig)
    assert "time [s] (log scale)" in alt and "load [-]" in alt
    plt.close(fig)


def test_alt_text_reaches_notebook_png_metadata(tmp_path):
    """The inline backend's PNG outputs carry ``metadata['image/png']['alt']``."""
    pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    from nbformat.v4 import new_code_cell, new_notebook
    nb = new_notebook(cells=[
        new_code_cell("import genai_edge as ge\nfrom genai_edge import plotting\nplotting.set_theme()\n"
                      "results = ge.evaluate(ge.load_scenario('chatbot'))"),
        new_code_cell("plotting.latency_ccdf(results);"),
        new_code_cell("import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.plot([1, 2])\n"
                      "ax.set_xlabel('time [s]')\nplt.show()"),
    ])
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) == 2
    alts = [o["metadata"]["image/png"]["alt"] for o in images]
    assert "probability that the E2E exceeds t" in alts[0] or "TTFT exceeds t" in alts[0]
    assert "x axis: time [s]" in alts[1]
