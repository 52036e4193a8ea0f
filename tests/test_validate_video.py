"""`genai-edge validate`: the video-generation rows and their summary, in text and JSON."""
import contextlib
import csv
import io
import json
import statistics
from pathlib import Path

import pytest

from genai_edge import cli

DATA = Path(__file__).resolve().parents[1] / "genai_edge" / "data"


def _rows(quantity):
    with open(DATA / "diffusion_validation.csv", encoding="utf-8", newline="") as fh:
        return {r["case_id"]: r for r in csv.DictReader(fh) if r["quantity"] == quantity}


def _video_rows():
    """The published time-per-clip rows, read straight from the data file."""
    return _rows("video_s")


def _energy_rows():
    """The published GPU energy-per-clip rows, read straight from the data file."""
    return _rows("video_j")


@pytest.fixture(scope="module")
def runs():
    """One text and one JSON run of the command (each takes a few seconds): mode -> (exit code, stdout)."""
    outputs = {}
    for mode, extra in (("text", []), ("json", ["--json"])):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            code = cli.main(["validate", *extra])
        outputs[mode] = (code, buf.getvalue())
    return outputs


def test_json_has_a_video_section_with_every_published_clip(runs):
    code, out = runs["json"]
    data = json.loads(out)
    assert code == 0
    # the sections printed before stay as they were
    assert {"cases", "summary", "by_device_group", "by_runtime_family", "image_cases", "image_summary"} < set(data)
    video = data["video"]
    published = _video_rows()
    assert len(published) >= 6
    assert {c["case_id"] for c in video["cases"]} == set(published)
    for case in video["cases"]:
        row = published[case["case_id"]]
        assert case["measured"] == float(row["measured"]) and case["model"] == row["model"]
        if case["covered"]:
            assert case["error"] == pytest.approx(case["predicted"] / case["measured"] - 1, rel=1e-12)
            assert case["achieved_fraction"] == pytest.approx(case["peak_bound_s"] / case["measured"], rel=1e-12)
            assert 0 < case["achieved_fraction"] <= 1       # no run beats the matrix peak
        else:
            assert case["predicted"] is None and case["why_not"]


def test_json_video_summary_agrees_with_its_rows(runs):
    video = json.loads(runs["json"][1])["video"]
    scored = [c for c in video["cases"] if c["covered"]]
    s = video["summary"]
    assert s["rows"] == len(video["cases"]) and s["covered_rows"] == len(scored) >= 6
    assert s["free_parameters"] == 0                        # no video row enters any fit
    assert s["median_abs_error"] == pytest.approx(statistics.median(abs(c["error"]) for c in scored), rel=1e-12)
    assert s["max_abs_error"] == pytest.approx(max(abs(c["error"]) for c in scored), rel=1e-12)
    assert s["median_achieved_fraction"] == pytest.approx(
        statistics.median(c["achieved_fraction"] for c in scored), rel=1e-12)


def test_text_prints_the_video_rows_and_summary_after_the_image_line(runs):
    code, out = runs["text"]
    lines = out.splitlines()
    video = json.loads(runs["json"][1])["video"]
    s = video["summary"]
    assert code == 0
    image_at = next(i for i, ln in enumerate(lines) if ln.startswith("image generation: "))
    at = next(i for i, ln in enumerate(lines) if ln.startswith("video generation: "))
    assert lines[at] == (f"video generation: {s['covered_rows']} of {s['rows']} rows covered, out of sample: "
                         f"median |error| {100 * s['median_abs_error']:.1f} % "
                         f"(largest {100 * s['max_abs_error']:.1f} %), "
                         f"median {100 * s['median_achieved_fraction']:.1f} % of the matrix peak reached")
    block = lines[image_at + 1:at]
    header = next(ln for ln in block if ln.split()[:1] == ["case_id"])
    assert header.split() == ["case_id", "model", "hardware", "precision", "resolution", "steps",
                              "measured_s", "predicted_s", "error", "achieved_fraction"]
    by_id = {ln.split()[0]: ln.split() for ln in block if ln.split()[:1] and ln.split()[0] in _video_rows()}
    for case in (c for c in video["cases"] if c["covered"]):
        cells = by_id[case["case_id"]]
        assert float(cells[6]) == pytest.approx(case["measured"], abs=0.005)
        assert float(cells[7]) == pytest.approx(case["predicted"], abs=0.005)
        assert cells[8] == f"{100 * case['error']:+.1f}"


def test_text_and_json_show_the_video_energy_rows(runs):
    video = json.loads(runs["json"][1])["video"]
    s = video["energy_summary"]
    published = _energy_rows()
    assert {c["case_id"] for c in video["energy_cases"]} == set(_energy_rows())
    for case in video["energy_cases"]:
        assert case["measured"] == float(published[case["case_id"]]["measured"]) and case["unit"] == "J"
    scored = [c for c in video["energy_cases"] if c["covered"]]
    assert s["covered_rows"] == len(scored) >= 6 and s["free_parameters"] == 0
    assert s["median_error"] == pytest.approx(statistics.median(c["error"] for c in scored), rel=1e-12)
    lines = runs["text"][1].splitlines()
    assert lines[-1] == (f"video energy: {s['covered_rows']} of {s['rows']} rows covered, out of sample: "
                         f"median error {100 * s['median_error']:+.1f} % "
                         f"(time {100 * s['median_time_error']:+.1f} %, power {100 * s['median_power_error']:+.1f} %)")
