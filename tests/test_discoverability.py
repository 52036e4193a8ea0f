"""What a user can look up from the command line: --version, scenario keys, scenario show, catalog."""
import csv
import dataclasses
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from contract import run_cli

from genai_edge import scenario

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "genai_edge" / "data"
SECTIONS = ["hardware", "models", "diffusion-models", "precisions", "runtimes", "networks", "scenarios"]
CSV_OF = {"hardware": "hardware.csv", "models": "models.csv", "diffusion-models": "diffusion_models.csv",
          "precisions": "precisions.csv", "runtimes": "runtimes.csv", "networks": "networks.csv"}
FIELD_CLASSES = [scenario.Workload, scenario.NetworkPaths, scenario.Site, scenario.EdgeCloud]


def _rows(name):
    with open(DATA / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _fits(lines, width):
    """Every line fits, or overflows only by one unbreakable word (a URL)."""
    return [ln for ln in lines if len(ln) > width and len(ln.strip().split(" ")) > 1
            and len(ln.rsplit(" ", 1)[0]) >= width]


def test_version_matches_the_project_metadata():
    want = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    out = subprocess.run([sys.executable, "-m", "genai_edge", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == f"genai-edge {want}"


# ------------------------------------------------------------- scenario keys
def test_keys_text_lists_every_key_with_headers_and_fits_80_columns(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    code, out, err = run_cli(capsys, "scenario", "keys")
    lines = out.splitlines()
    assert code == 0 and not err
    assert lines[0].split() == ["key", "unit", "default"]
    starts = {ln.split()[0] for ln in lines[1:] if ln and not ln.startswith(" ")}
    keys = {r["key"] for r in scenario.describe_fields()}
    assert starts == keys and len(keys) == 89   # 19 workload + 12 network + 3 x 18 site + 4 edge_cloud
    assert sum(ln.lstrip().startswith("source: ") for ln in lines) == len(keys)
    assert not _fits(lines, 80)


def test_keys_json_keeps_numbers_as_numbers(capsys):
    code, out, _ = run_cli(capsys, "scenario", "keys", "--json")
    rows = {r["key"]: r for r in json.loads(out)}
    assert code == 0 and set(rows) == {r["key"] for r in scenario.describe_fields()}
    for cls, section in [(scenario.Workload, "workload"), (scenario.NetworkPaths, "network"),
                         (scenario.Site, "mec"), (scenario.EdgeCloud, "edge_cloud")]:
        for f in dataclasses.fields(cls):
            row = rows[f"{section}.{f.name}"]
            if f.type in ("int", "float"):
                assert type(row["default"]) in (int, float), row
                assert row["low"] is None or type(row["low"]) in (int, float)
                assert row["high"] is None or type(row["high"]) in (int, float)
                assert row["choices"] is None
            else:
                assert isinstance(row["default"], str) and row["low"] is None and row["high"] is None
    # bounds that follow from what the keys mean
    assert rows["network.access_availability"]["low"] == 0 and rows["network.access_availability"]["high"] == 1
    assert rows["network.route_factor"]["low"] == 1          # a route is never shorter than the great circle
    assert rows["workload.users"]["high"] == 1e10             # a number, not a string
    assert set(rows["workload.kind"]["choices"]) == {"llm", "diffusion", "video"}
    assert rows["cloud.replicas"]["integer"] is True and isinstance(rows["cloud.replicas"]["default"], int)


# ------------------------------------------------------------- scenario show
def test_show_prints_the_builtin_file_with_comments_and_round_trips(capsys, tmp_path):
    code, out, _ = run_cli(capsys, "scenario", "show", "chatbot")
    assert code == 0
    assert out == scenario.builtin_path("chatbot").read_text(encoding="utf-8")
    assert any(ln.lstrip().startswith("#") for ln in out.splitlines())
    copy = tmp_path / "my_case.yaml"
    copy.write_text(out, encoding="utf-8")
    mine, builtin = scenario.load(copy).to_dict(), scenario.load("chatbot").to_dict()
    assert mine == builtin
    assert scenario.from_dict(yaml.safe_load(out), "<text>").to_dict() == builtin


@pytest.mark.parametrize("argv, allowed", [
    (("scenario", "show", "chatbott"), ["chatbot", "rural_lte", "text_to_image"]),
    (("catalog", "hardwar"), ["all", "hardware", "networks", "scenarios"]),
])
def test_unknown_names_give_one_line_errors_naming_what_is_allowed(capsys, argv, allowed):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2 and not out
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert argv[-1] in err and all(a in err for a in allowed)


# ------------------------------------------------------------------ catalog
def test_catalog_text_lists_every_section_with_headers_and_every_id(capsys):
    code, out, _ = run_cli(capsys, "catalog")
    assert code == 0
    blocks = dict(re.findall(r"^# (\S+) \(\d+\)\n(.*?)(?=^# |\Z)", out, flags=re.S | re.M))
    assert list(blocks) == SECTIONS
    for section, block in blocks.items():
        header = block.splitlines()[0].split()
        assert header[0] == "id"
        ids = {ln.split()[0] for ln in block.splitlines()[1:] if ln and not ln.startswith(" ")}
        if section == "scenarios":
            want = {p.stem for p in (ROOT / "genai_edge" / "scenarios").glob("*.yaml")}
        else:
            want = {r["id"] for r in _rows(CSV_OF[section])}
            assert set(header) <= set(_rows(CSV_OF[section])[0])   # headers are the file's columns
        assert ids == want, section


def test_catalog_json_numbers_are_numbers(capsys):
    code, out, _ = run_cli(capsys, "catalog", "--json")
    data = json.loads(out)
    assert code == 0 and list(data) == SECTIONS
    for section, name in CSV_OF.items():
        rows = _rows(name)
        assert [r["id"] for r in data[section]] == [r["id"] for r in rows]
        for col in rows[0]:
            cells = [r[col] for r in rows]
            try:
                want = [float(c) if c else None for c in cells]
            except ValueError:
                assert all(isinstance(r[col], str) for r in data[section]), (section, col)
                continue
            got = [r[col] for r in data[section]]
            assert all(g is None or type(g) in (int, float) for g in got), (section, col)
            assert [g is None for g in got] == [w is None for w in want], (section, col)
            assert [g for g in got if g is not None] == pytest.approx([w for w in want if w is not None])
    h100 = next(r for r in data["hardware"] if r["id"] == "h100-sxm5-80gb")
    assert h100["memory_gb"] == 80 and h100["memory_bandwidth_gbs"] == 3350   # H100 SXM datasheet
    assert {r["id"] for r in data["scenarios"]} >= {"chatbot", "text_to_image"}
    assert all(r["description"] for r in data["scenarios"])


def test_catalog_one_section(capsys):
    code, out, _ = run_cli(capsys, "catalog", "diffusion-models", "--json")
    assert code == 0 and list(json.loads(out)) == ["diffusion-models"]


# ------------------------------------------------------------------ sources
CITES = re.compile(r"https?://|\bdoi:|\b10\.\d{4,}/|arXiv:\d{4}\.\d{4,5}|\b(19|20)\d\d\b")


@pytest.mark.parametrize("cls", FIELD_CLASSES, ids=lambda c: c.__name__)
def test_every_field_cites_a_source_or_says_assumption(cls):
    bad = [f.name for f in dataclasses.fields(cls)
           if not (f.metadata["source"].startswith("ASSUMPTION: ") or CITES.search(f.metadata["source"]))]
    assert not bad


def test_source_check_rejects_uncited_text():
    for text in ["", "ASSUMPTION", "the seed article", "FACTS.md: a planning factor", "mlperf.conf"]:
        assert not (text.startswith("ASSUMPTION: ") or CITES.search(text))


def test_keys_that_take_catalog_ids_name_catalog_sections():
    from genai_edge import catalog
    assert set(scenario.CATALOG_SECTIONS) == set(scenario._CATALOG_LOOKUPS)
    assert {s for secs in scenario.CATALOG_SECTIONS.values() for s in secs} <= set(catalog.LISTINGS)
