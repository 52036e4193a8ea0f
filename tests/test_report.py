"""Tests for genai_edge.report: the papermill → HTML pipeline and its index.

Fast tests replace the kernel run (``report._execute_notebook``) by a stand-in
that returns the notebook unexecuted; the ``slow`` tests run real kernels on
the fixture notebooks (tests/fixtures/notebooks) with a fake scenario source
(tests/fixtures/fake_scenarios.py), so they do not depend on the real
scenarios or models.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from genai_edge import files, report, scenario
from genai_edge.report import command, execute, pipeline

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _load_fake():
    spec = importlib.util.spec_from_file_location("genai_edge_test_fake_scenarios",
                                                  FIXTURES / "fake_scenarios.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


fake = _load_fake()


# ----------------------------------------------------------------- helpers
class _Lines:
    """Collects ``echo(line, err=...)`` output."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.err: list[str] = []

    def __call__(self, line: str, err: bool = False) -> None:
        (self.err if err else self.out).append(line)

    @property
    def text(self) -> str:
        return "\n".join(self.out + self.err)


def _scenario_dir(tmp_path: Path) -> Path:
    target = tmp_path / "scenarios"
    shutil.copytree(FIXTURES / "scenarios", target)
    return target


def _set_yaml(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


class _Links(HTMLParser):
    """hrefs and img srcs of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.imgs: list[str] = []
        self.alts: list[str | None] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
        if tag == "img":
            self.imgs.append(a.get("src", ""))
            self.alts.append(a.get("alt"))
        if tag in ("script", "link", "iframe") and (a.get("src") or a.get("href")):
            self.scripts.append(a.get("src") or a.get("href"))


def _links(page: str) -> _Links:
    parser = _Links()
    parser.feed(page)
    return parser


def _assert_self_contained(page: str) -> None:
    links = _links(page)
    assert links.scripts == [], f"external resources: {links.scripts}"
    assert not re.search(r"<script[^>]+src=", page)
    assert all(src.startswith("data:") for src in links.imgs), links.imgs


def _fake_execute(task, yaml_path, output):
    """Stand-in for the kernel run: the notebook unexecuted, or papermill's error."""
    import nbformat
    import yaml
    from nbformat.v4 import new_output
    from papermill.exceptions import PapermillExecutionError

    nb = nbformat.read(task.notebook, as_version=4)
    cfg = yaml.safe_load(yaml_path.read_text())
    if cfg.get("fail"):             # as papermill leaves it: the error on the failing cell
        cell = next(c for c in nb.cells if 'cfg.get("fail")' in c.source)
        cell.execution_count = 3
        cell.outputs = [new_output("error", ename="RuntimeError", evalue="requested failure",
                                   traceback=[])]
        nbformat.write(nb, output)
        raise PapermillExecutionError(nb.cells.index(cell), 3, cell.source,
                                      "RuntimeError", "requested failure", [])
    nbformat.write(nb, output)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.outputs = [new_output("stream", name="stdout", text=f"ran {cfg['name']}\n")]
    return nb


@pytest.fixture
def no_kernel(monkeypatch):
    """Fail loudly if a kernel would be started."""
    def boom(*args, **kwargs):
        raise AssertionError("a kernel was started")
    monkeypatch.setattr(execute, "_execute_notebook", boom)


@pytest.fixture
def fake_kernel(monkeypatch):
    monkeypatch.setattr(execute, "_execute_notebook", _fake_execute)


# -------------------------------------------------------------- atomic I/O
def test_atomic_write_creates_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "sub" / "page.html"
    report.atomic_write(target, "first")
    assert target.read_text() == "first"
    report.atomic_write(target, b"second \xe2\x98\x85")
    assert target.read_text(encoding="utf-8") == "second ★"
    assert sorted(p.name for p in target.parent.iterdir()) == ["page.html"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_atomic_write_failure_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "page.html"
    target.write_text("good")

    def broken_replace(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        report.atomic_write(target, "half")
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


# ------------------------------------------------------------------ stamps
def test_report_key_depends_on_every_input():
    base = dict(scenario_yaml="a: 1\n", overrides={"x": "1"}, notebook_digest="n", package="p")
    key = report.report_key(**base)
    assert key == report.report_key(**base)
    for change in ({"scenario_yaml": "a: 2\n"}, {"overrides": {"x": "2"}},
                   {"notebook_digest": "m"}, {"package": "q"}):
        assert report.report_key(**{**base, **change}) != key, change
    assert report.report_key(**base, kernel_name="other") != key


def test_package_digest_covers_data_and_ignores_caches(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "data").mkdir(parents=True)
    (pkg / "mod.py").write_text("x = 1\n")
    (pkg / "data" / "table.csv").write_text("a,b\n1,2\n")
    digest = report.package_digest(pkg)
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"junk")
    (pkg / ".hidden").write_text("x")
    assert report.package_digest(pkg) == digest
    (pkg / "data" / "table.csv").write_text("a,b\n1,3\n")
    assert report.package_digest(pkg) != digest


# --------------------------------------------------------------- notebooks
def _write_nb(path: Path, tags=("parameters",), metadata=None, heading="# My title") -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    nb = new_notebook(metadata=metadata or {}, cells=[
        new_markdown_cell(heading),
        new_code_cell('scenario = "x"\noverrides = {}', metadata={"tags": list(tags)})])
    nbformat.write(nb, path)
    return path


def test_find_notebooks_conventions(tmp_path):
    _write_nb(tmp_path / "b.ipynb")
    _write_nb(tmp_path / "a.ipynb", heading="text\n# Alpha heading")
    _write_nb(tmp_path / "_draft.ipynb")
    _write_nb(tmp_path / "explorer.ipynb", metadata={"genai_edge": {"report": False}})
    _write_nb(tmp_path / "noparams.ipynb", tags=())
    found = report.find_notebooks([tmp_path])
    assert [nb.stem for nb in found] == ["a", "b", "noparams"]
    assert found[0].title == "Alpha heading" and found[1].title == "My title"
    assert [nb.has_parameters for nb in found] == [True, True, False]
    # named explicitly, an excluded notebook runs
    assert [nb.stem for nb in report.find_notebooks([tmp_path / "explorer.ipynb"])] == ["explorer"]
    with pytest.raises(ValueError, match="not found"):
        report.find_notebooks([tmp_path / "missing.ipynb"])
    other = tmp_path / "other"
    other.mkdir()
    _write_nb(other / "a.ipynb")
    with pytest.raises(ValueError, match="same report: a"):
        report.find_notebooks([tmp_path, other])


def test_shipped_notebook_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                       # not found as a path here
    (nb,) = report.find_notebooks(["comparison"])
    assert nb.path == report.default_notebook_dir() / "comparison.ipynb"
    with pytest.raises(ValueError, match=r"shipped notebook \(.*comparison.*latency"):
        report.find_notebooks(["comparisn"])


def test_notebook_without_parameters_cell_fails_without_kernel(tmp_path, no_kernel):
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    _write_nb(nbdir / "noparams.ipynb", tags=())
    lines = _Lines()
    summary = report.run_reports(["alpha"], tmp_path / "out", notebooks=[nbdir], jobs=1,
                                 source=fake.make_source(), echo=lines)
    assert summary.exit_code == 1
    assert "no cell tagged 'parameters'" in summary.failed[0].error
    assert "alpha/noparams ... FAILED" in lines.text


# ------------------------------------------------------------------- index
def test_winners_ties_nan_inf_and_direction():
    nan, inf = float("nan"), float("inf")
    assert report.winners({"a": 2.0, "b": 1.0, "c": 1.0}) == {"b", "c"}
    assert report.winners({"a": 0.0, "b": 0.0}) == set()        # all tie: no winner
    assert report.winners({"a": 5.0}) == {"a"}
    assert report.winners({"a": 0.90, "b": 0.999}, higher_is_better=True) == {"b"}
    # within 1 % of the best is a tie: no star on noise
    assert report.winners({"a": 1.0, "b": 1.005, "c": 2.0}) == {"a", "b"}
    assert report.winners({"a": 1.0, "b": 1.02, "c": 2.0}) == {"a"}
    assert report.winners({"a": nan, "b": 3.0}) == {"b"}
    assert report.winners({"a": inf, "b": 3.0}) == {"b"}
    assert report.winners({"a": inf, "b": inf}) == set()
    assert report.winners({"a": nan}) == set()
    assert report.winners({}) == set()


def test_build_index_marks_winners_units_and_links(tmp_path):
    rows = fake.make_source().compare(fake.make_source().load("alpha"))
    col = report._Column("alpha", "alpha", report._tidy_rows(rows))
    (tmp_path / "alpha").mkdir()
    (tmp_path / "alpha" / "tiny.html").write_text("<html></html>")
    page = report.build_index(tmp_path, [col], [("tiny", "Fixture report")])
    _assert_self_contained(page)
    assert 'id="summary"' in page and 'id="reports"' in page
    assert "TTFT [ms]" in page and "Energy [J]" in page and "Availability [%]" in page
    assert "E2E p99" not in page          # metrics that compare() does not return are left out
    # MEC wins TTFT in alpha (45 ms); edge_cloud wins availability (higher is better)
    assert re.search(r"<strong>45\.0</strong> <span class=\"star\">★</span>", page)
    assert re.search(r"<strong>99\.995</strong> <span class=\"star\">★</span>", page)
    assert 'href="alpha/tiny.html"' in page


def test_index_units_fall_back_to_what_compare_says():
    rows = [{"paradigm": "cloud", "metric": "ttft_s", "value": 2.0, "unit": "min"},
            {"paradigm": "mec", "metric": "ttft_s", "value": 1.0, "unit": "min"}]
    page = report.build_index(Path("."), [report._Column("x", "x", rows)], [])
    assert "TTFT [min]" in page and "<strong>1.00</strong>" in page


def test_strip_external_resources():
    page = ('<head><script src="https://cdn.example/require.js"></script>'
            '<link rel="stylesheet" href="//cdn.example/x.css">'
            '<script>var ok = 1;</script><img src="data:image/png;base64,AA=="></head>')
    cleaned, removed = report.strip_external_resources(page)
    assert removed == 2
    assert "cdn.example" not in cleaned and "var ok = 1" in cleaned and "data:image" in cleaned


def test_latex_to_mathml():
    assert report.latex_to_mathml(r"$\displaystyle \frac{d}{v}$").startswith("<math")
    assert 'display="inline"' in report.latex_to_mathml("x^2", display=False)


def test_kernel_runs_this_interpreter():
    assert Path(report.check_kernel("python3")).parent == Path(sys.executable).parent


# -------------------------------------------------------- pipeline (fast)
def test_pipeline_with_stand_in_kernel(tmp_path, fake_kernel):
    out = tmp_path / "out"
    lines = _Lines()
    summary = report.run_reports(None, out, notebooks=[FIXTURES / "notebooks"], jobs=1,
                                 source=fake.make_source(), echo=lines)
    assert summary.exit_code == 0, lines.text
    assert [r.label for r in summary.results] == [
        "alpha/table", "alpha/tiny", "beta/table", "beta/tiny"]
    assert re.search(r"^\[1/4\] alpha/table \.\.\. ok \d+\.\d s$", lines.out[0])
    for r in summary.results:
        page = r.html.read_text()
        assert f"ran {r.scenario}" in page
        _assert_self_contained(page)
        assert "SOURCE_MARKER" not in page
        assert json.loads((out / r.scenario / f"{r.notebook}.stamp").read_text())["key"]
    assert (out / "index.html").is_file()
    assert not list(out.rglob("*.tmp")) and not list(out.rglob(".*.running.ipynb"))


@pytest.fixture
def kernel_calls(monkeypatch):
    """Records every kernel start (the stand-in runs instead of a kernel)."""
    calls = []

    def record(task, yaml_path, output):
        calls.append(task.label)
        return _fake_execute(task, yaml_path, output)
    monkeypatch.setattr(execute, "_execute_notebook", record)
    return calls


@pytest.mark.parametrize("text, message", [
    ("name: gamma\nlatency: 3\n", r"gamma\.yaml: unknown key 'latency' \(allowed: name, "),
    ("name: gamma\nmetrics: {cloud: {ttft_s: fast}}\n",
     r"gamma\.yaml: evaluating the scenario failed: could not convert string to float: 'fast'"),
    ("name: index.html\n", r"gamma\.yaml: key 'name': 'index\.html' is not allowed as a "
                           r"scenario name \(.*\[A-Za-z0-9\]\[A-Za-z0-9_-\]\{0,63\}\)"),
    ("name: ../x\n", r"gamma\.yaml: key 'name': '\.\./x' is not allowed"),
])
def test_bad_scenario_is_rejected_before_any_kernel(tmp_path, kernel_calls, text, message):
    scenarios = _scenario_dir(tmp_path)
    (scenarios / "gamma.yaml").write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        report.run_reports(None, tmp_path / "out", notebooks=[FIXTURES / "notebooks"], jobs=1,
                           source=fake.make_source(scenarios), echo=_Lines())
    assert "\n" not in str(info.value)
    assert kernel_calls == [] and not (tmp_path / "out").exists()


def test_bad_override_is_rejected_naming_file_and_key(tmp_path, kernel_calls):
    with pytest.raises(ValueError, match=r"alpha\.yaml \(--set latency\): unknown key 'latency'"):
        report.run_reports(["alpha", "beta"], tmp_path / "out", overrides={"latency": "3"},
                           notebooks=[FIXTURES / "notebooks"], jobs=1,
                           source=fake.make_source(), echo=_Lines())
    assert kernel_calls == []


def test_failure_keeps_previous_report_then_recovers(tmp_path, fake_kernel):
    scenarios = _scenario_dir(tmp_path)
    out = tmp_path / "out"
    kw = dict(notebooks=[FIXTURES / "notebooks" / "tiny.ipynb"], jobs=1,
              source=fake.make_source(scenarios))
    assert report.run_reports(None, out, echo=_Lines(), **kw).exit_code == 0
    good = (out / "beta" / "tiny.html").read_bytes()
    stamp = (out / "beta" / "tiny.stamp").read_bytes()

    _set_yaml(scenarios / "beta.yaml", "fail: false", "fail: true")
    lines = _Lines()
    summary = report.run_reports(None, out, echo=lines, **kw)
    assert summary.exit_code == 1
    assert (out / "beta" / "tiny.html").read_bytes() == good
    assert (out / "beta" / "tiny.stamp").read_bytes() == stamp
    assert (out / "beta" / "tiny.failed.ipynb").is_file()
    err = "\n".join(lines.err)
    # the fixture's failing cell is the 4th of its 8 cells
    assert "scenario 'beta', notebook 'tiny': cell 4 of 8 (In [3]) `if cfg.get(\"fail\"):`" in err
    assert "RuntimeError: requested failure" in err
    assert "previous good report kept" in err
    assert "FAILED — previous report kept" in (out / "index.html").read_text()

    _set_yaml(scenarios / "beta.yaml", "fail: true", "fail: false")
    summary = report.run_reports(None, out, echo=_Lines(), **kw)
    assert summary.exit_code == 0
    # back to the inputs of the good report: up to date, the stale failure is dropped
    assert [r.status for r in summary.results] == ["skipped", "skipped"]
    assert not (out / "beta" / "tiny.failed.ipynb").exists()
    assert (out / "beta" / "tiny.html").read_bytes() == good

    _set_yaml(scenarios / "beta.yaml", "fail: false", "fail: true")
    assert report.run_reports(None, out, echo=_Lines(), **kw).exit_code == 1
    _set_yaml(scenarios / "beta.yaml", "fail: true", "fail: false\ndescription: fixed")
    summary = report.run_reports(None, out, echo=_Lines(), **kw)
    assert [r.status for r in summary.results] == ["skipped", "ok"]
    assert not (out / "beta" / "tiny.failed.ipynb").exists()


def test_changes_trigger_rebuild_and_force(tmp_path, fake_kernel):
    scenarios = _scenario_dir(tmp_path)
    out = tmp_path / "out"
    kw = dict(notebooks=[FIXTURES / "notebooks" / "tiny.ipynb"], jobs=1,
              source=fake.make_source(scenarios), echo=_Lines())
    report.run_reports(["alpha"], out, **kw)
    statuses = lambda s: [r.status for r in s.results]  # noqa: E731
    assert statuses(report.run_reports(["alpha"], out, **kw)) == ["skipped"]
    assert statuses(report.run_reports(["alpha"], out, force=True, **kw)) == ["ok"]
    assert statuses(report.run_reports(["alpha"], out, overrides={"description": "x"},
                                       **kw)) == ["ok"]
    _set_yaml(scenarios / "alpha.yaml", "ttft_s: 0.210", "ttft_s: 0.250")
    assert statuses(report.run_reports(["alpha"], out, **kw)) == ["ok"]
    (out / "alpha" / "tiny.html").unlink()
    assert statuses(report.run_reports(["alpha"], out, **kw)) == ["ok"]


def test_index_keeps_scenarios_of_earlier_runs(tmp_path, fake_kernel):
    out = tmp_path / "out"
    kw = dict(notebooks=[FIXTURES / "notebooks" / "tiny.ipynb"], jobs=1,
              source=fake.make_source(), echo=_Lines())
    report.run_reports(["alpha"], out, **kw)
    report.run_reports(["beta"], out, overrides={"description": "changed"}, **kw)
    index = (out / "index.html").read_text()
    assert "beta [description=changed]" in index and ">alpha</th>" in index
    assert 'href="alpha/tiny.html"' in index
    assert 'href="beta--description%3Dchanged/tiny.html"' in index


def test_no_notebooks_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no notebooks"):
        report.run_reports(["alpha"], tmp_path / "out", notebooks=[tmp_path / "empty"],
                           source=fake.make_source())


# --------------------------------------------------------------------- CLI
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="genai-edge")
    report.add_report_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def test_cli_arguments(monkeypatch):
    args = _parser().parse_args(["report", "--all", "--out", "d", "--jobs", "3", "--force"])
    assert (args.all, args.out, args.jobs, args.force) == (True, Path("d"), 3, True)
    assert args.func is report.report_command
    args = _parser().parse_args(["report", "--scenario", "x.yaml", "--set", "a.b=1",
                                 "--set", "c=d=e", "-j", "1"])
    assert args.scenario == ["x.yaml"] and dict(args.overrides) == {"a.b": "1", "c": "d=e"}
    for bad in (["report"], ["report", "--all", "--scenario", "x"],
                ["report", "--all", "--set", "novalue"], ["report", "--all", "--jobs", "0"]):
        with pytest.raises(SystemExit):
            _parser().parse_args(bad)
    monkeypatch.setenv("JOBS", "3")
    assert report._default_jobs() == 3
    monkeypatch.setenv("JOBS", "many")
    with pytest.raises(ValueError, match="JOBS"):
        report._default_jobs()


def test_cli_command_runs_pipeline(tmp_path, monkeypatch, fake_kernel, capsys):
    monkeypatch.setattr(pipeline, "default_source", fake.make_source)
    # the stand-in kernel lives in this process: no worker processes here
    monkeypatch.setattr(command, "run_reports",
                        lambda *a, **k: report.run_reports(*a, **{**k, "processes": False}))
    out = tmp_path / "out"
    args = _parser().parse_args(["report", "--scenario", "beta", "--set", "fail=true",
                                 "--out", str(out), "--jobs", "1", "--notebook",
                                 str(FIXTURES / "notebooks" / "tiny.ipynb")])
    assert args.func(args) == 1
    captured = capsys.readouterr()
    assert "[1/1] beta--fail=true/tiny ... FAILED" in captured.out
    assert "scenario 'beta--fail=true', notebook 'tiny'" in captured.err
    args = _parser().parse_args(["report", "--all", "--out", str(out), "--jobs", "1",
                                 "--notebook", str(FIXTURES / "notebooks" / "tiny.ipynb")])
    assert args.func(args) == 0


# ------------------------------------------------- end to end (real kernels)
@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Both fixture scenarios × both fixture notebooks, run by real kernels, 2 jobs."""
    out = tmp_path_factory.mktemp("reports") / "out"
    lines = _Lines()
    start = time.monotonic()
    summary = report.run_reports(None, out, notebooks=[FIXTURES / "notebooks"], jobs=2,
                                 source=fake.make_source(), echo=lines)
    assert summary.exit_code == 0, lines.text
    return out, summary, time.monotonic() - start


@pytest.mark.slow
def test_end_to_end_reports(built):
    out, summary, _seconds = built
    assert sorted(r.label for r in summary.results) == [
        "alpha/table", "alpha/tiny", "beta/table", "beta/tiny"]
    for r in summary.results:
        assert r.status == "ok" and r.html == out / r.scenario / f"{r.notebook}.html"
        page = r.html.read_text(encoding="utf-8")
        _assert_self_contained(page)
        assert f"scenario: {r.scenario}" in page
        # no code: neither the source nor input areas nor prompts
        assert "SOURCE_MARKER" not in page and "import yaml" not in page
        assert not re.search(r'class="[^"]*\b(jp-InputPrompt|jp-OutputPrompt|'
                             r'jp-CodeMirrorEditor|cm-editor|highlight)\b', page)
        code_cells = re.findall(r'<div class="jp-Cell jp-CodeCell[^"]*"', page)
        assert code_cells and all("jp-mod-noInput" in c for c in code_cells)
        assert not re.search(r"(In|Out)(&nbsp;|\s)?\[\d+\]", page)
        # the kernel ran this environment's interpreter
        assert f"kernel prefix: {sys.prefix}" in page
    tiny = (out / "alpha" / "tiny.html").read_text(encoding="utf-8")
    imgs = _links(tiny).imgs
    assert imgs and all(src.startswith("data:image/png;base64,") for src in imgs)
    # the fixture's figure has no alt of its own: the heading above it gives one
    assert _links(tiny).alts == ["Figure: Fixture report"] * len(imgs)
    assert "HIDDEN_CELL_MARKER" not in tiny                     # remove_cell tag
    assert tiny.count("<math") == 3 and "$$" not in tiny        # MathML, no MathJax
    assert "Resolved scenario" in tiny and 'href="../index.html"' in tiny


@pytest.mark.slow
def test_end_to_end_index_links_resolve(built):
    out, _summary, _seconds = built
    index = out / "index.html"
    page = index.read_text(encoding="utf-8")
    _assert_self_contained(page)
    hrefs = [h for h in _links(page).hrefs if not urlparse(h).scheme]
    assert len(hrefs) == 4
    for href in hrefs:
        assert (index.parent / unquote(href)).is_file(), href
    for name in ("alpha", "beta"):
        back = _links((out / name / "tiny.html").read_text()).hrefs
        assert (out / name / unquote(back[0])).resolve() == index.resolve()


@pytest.mark.slow
def test_second_run_skips_without_kernel(built, no_kernel):
    out, _summary, cold = built
    lines = _Lines()
    start = time.monotonic()
    summary = report.run_reports(None, out, notebooks=[FIXTURES / "notebooks"], jobs=2,
                                 source=fake.make_source(), echo=lines)
    warm = time.monotonic() - start
    assert summary.exit_code == 0
    assert [r.status for r in summary.results] == ["skipped"] * 4
    assert all(line.endswith("skipped (up to date)") for line in lines.out[:4])
    assert warm < 2.0, f"warm run took {warm:.2f} s (cold {cold:.1f} s)"


@pytest.mark.slow
def test_second_run_imports_nothing_heavy(built):
    """In a fresh interpreter: no papermill, nbconvert or jupyter_client on a warm run."""
    out, _summary, _seconds = built
    code = f"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location("fake", {str(FIXTURES / "fake_scenarios.py")!r})
fake = importlib.util.module_from_spec(spec); sys.modules["fake"] = fake
spec.loader.exec_module(fake)
from genai_edge import report
s = report.run_reports(None, {str(out)!r}, notebooks=[{str(FIXTURES / "notebooks")!r}],
                       jobs=2, source=fake.make_source(), echo=lambda *a, **k: None)
heavy = sorted(m for m in ("papermill", "nbconvert", "jupyter_client", "nbclient")
               if m in sys.modules)
print(s.count("skipped"), heavy)
"""
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["4", "[]"]
    assert time.monotonic() - start < 5.0


@pytest.mark.slow
def test_real_failure_names_cell_and_keeps_executed_notebook(built, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(built[0], out)
    good = (out / "beta" / "tiny.html").read_bytes()
    scenarios = _scenario_dir(tmp_path)
    _set_yaml(scenarios / "beta.yaml", "fail: false", "fail: true")
    lines = _Lines()
    summary = report.run_reports(None, out, notebooks=[FIXTURES / "notebooks"], jobs=2,
                                 source=fake.make_source(scenarios), echo=lines)
    assert summary.exit_code == 1
    by_label = {r.label: r for r in summary.results}
    assert by_label["alpha/tiny"].status == "skipped"
    assert by_label["beta/table"].status == "ok"          # the scenario changed, table is fine
    assert by_label["beta/tiny"].status == "failed"
    assert (out / "beta" / "tiny.html").read_bytes() == good
    failed_nb = json.loads((out / "beta" / "tiny.failed.ipynb").read_text())
    assert "requested failure" in json.dumps(failed_nb)
    err = "\n".join(lines.err)
    # the 4th of the notebook's 8 cells, whatever papermill adds around it
    assert re.search(r"scenario 'beta', notebook 'tiny': cell 4 of 8 \(In \[\d+\]\) "
                     r"`if cfg.get\(\"fail\"\):`: RuntimeError: requested failure", err)


def test_scenario_independent_notebook_builds_once(tmp_path, monkeypatch):
    calls = []

    def execute(task, yaml_path, output):
        import nbformat
        from nbformat.v4 import new_output
        calls.append(task.scenario)
        nb = nbformat.read(task.notebook, as_version=4)
        nb.cells[1].outputs = [new_output("stream", name="stdout", text="ran once\n")]
        nbformat.write(nb, output)
        return nb

    monkeypatch.setattr(report.execute, "_execute_notebook", execute)
    nbdir = tmp_path / "nbs"
    nbdir.mkdir()
    shutil.copy(FIXTURES / "notebooks" / "tiny.ipynb", nbdir)
    _write_nb(nbdir / "trends.ipynb", tags=(), heading="# Trends", metadata={
        "genai_edge": {"per_scenario": False, "attribution": "CREDIT_MARKER data, CC BY 4.0"}})
    out = tmp_path / "out"
    kw = dict(notebooks=[nbdir], jobs=1, source=fake.make_source())
    summary = report.run_reports(None, out, echo=_Lines(), **kw)
    assert summary.exit_code == 0
    assert sorted(r.label for r in summary.results) == ["alpha/tiny", "beta/tiny", "trends"]
    assert calls.count("") == 1
    page = (out / "trends.html").read_text()
    assert "ran once" in page and "CREDIT_MARKER" in page and "Resolved scenario" not in page
    assert _links(page).hrefs[0] == "index.html"
    index = (out / "index.html").read_text()
    assert "Independent of the scenario" in index and 'href="trends.html"' in index
    again = report.run_reports(None, out, echo=_Lines(), **kw)
    assert [r.status for r in again.results if r.label == "trends"] == ["skipped"]
    _write_nb(nbdir / "index.ipynb", tags=(), metadata={"genai_edge": {"per_scenario": False}})
    with pytest.raises(ValueError, match="would replace the index"):
        report.find_notebooks([nbdir])


@pytest.mark.slow
def test_latency_notebook_runs_for_every_builtin_scenario(tmp_path):
    """The real latency notebook on every built-in scenario: sweeps stay inside each model's limits."""
    notebook = Path(__file__).resolve().parents[1] / "genai_edge" / "notebooks" / "latency.ipynb"
    summary = report.run_reports(None, tmp_path / "out", notebooks=[notebook], jobs=1, echo=lambda *a, **k: None)
    failed = {r.scenario: r.error for r in summary.results if r.status != "ok"}
    assert summary.exit_code == 0 and not failed, failed
    assert len(summary.results) == len(scenario.builtin_names())


# ------------------------------------------------ stamps describe their page
def test_page_from_other_inputs_is_never_up_to_date(tmp_path, fake_kernel):
    out = tmp_path / "out"
    kw = dict(notebooks=[FIXTURES / "notebooks" / "tiny.ipynb"], jobs=1,
              source=fake.make_source(), echo=_Lines())
    report.run_reports(None, out, **kw)
    alpha, beta = out / "alpha", out / "beta"
    assert report.describes(alpha / "tiny.stamp", alpha / "tiny.html")
    assert not report.describes(alpha / "tiny.stamp", beta / "tiny.html")
    # beta's page where alpha's should be, alpha's stamp left beside it
    shutil.copy(beta / "tiny.html", alpha / "tiny.html")
    summary = report.run_reports(None, out, **kw)
    assert [r.status for r in summary.results] == ["ok", "skipped"]
    assert "ran alpha" in (alpha / "tiny.html").read_text()
    # a stamp copied from another report
    shutil.copy(beta / "tiny.stamp", alpha / "tiny.stamp")
    summary = report.run_reports(None, out, **kw)
    assert [r.status for r in summary.results] == ["ok", "skipped"]
    for folder in (alpha, beta):
        assert report.describes(folder / "tiny.stamp", folder / "tiny.html")


# -------------------------------------------------------------- variants
def test_set_variant_gets_its_own_folder(tmp_path, fake_kernel):
    out = tmp_path / "out"
    kw = dict(notebooks=[FIXTURES / "notebooks" / "tiny.ipynb"], jobs=1,
              source=fake.make_source(), echo=_Lines())
    report.run_reports(["alpha"], out, **kw)
    base = {p.name: p.read_bytes() for p in (out / "alpha").iterdir()}
    summary = report.run_reports(["alpha"], out, overrides={"description": "changed"}, **kw)
    assert summary.results[0].html == out / "alpha--description=changed" / "tiny.html"
    assert "description: changed" in summary.results[0].html.read_text()
    assert {p.name: p.read_bytes() for p in (out / "alpha").iterdir()} == base
    # unsafe characters: replaced, and a hash keeps the variants apart
    one = report.run_reports(["alpha"], out, overrides={"description": "a/b c"}, **kw)
    two = report.run_reports(["alpha"], out, overrides={"description": "a_b_c"}, **kw)
    one_dir, two_dir = one.results[0].html.parent, two.results[0].html.parent
    assert re.fullmatch(r"alpha--description=a_b_c--[0-9a-f]{10}", one_dir.name)
    assert two_dir.name == "alpha--description=a_b_c" and one_dir.parent == out
    assert report.variant_folder("chatbot", {"cloud.batch": "8"}) == "chatbot--cloud.batch=8"
    assert len(report.variant_folder("x", {"k": "v" * 500})) <= 150


# --------------------------------------------------------- failing cells
def test_failing_cell_is_named_by_position_and_first_line():
    from papermill.exceptions import PapermillExecutionError

    def code(source, count, outputs=(), tags=()):
        return {"cell_type": "code", "source": source, "execution_count": count,
                "outputs": list(outputs), "metadata": {"tags": list(tags)}}
    error = {"output_type": "error", "ename": "ZeroDivisionError",
             "evalue": "division by zero", "traceback": []}
    nb = {"cells": [
        {"cell_type": "markdown", "source": "An Exception was encountered",
         "metadata": {"tags": ["papermill-error-cell-tag"]}},
        code("import numpy as np", 1),
        code('scenario = "x"', 2, tags=["parameters"]),
        code('scenario = "y"', 3, tags=["injected-parameters"]),
        {"cell_type": "markdown", "source": "# Results", "metadata": {}},
        code("\n# the part that fails\nx = 1 / 0\n", 4, [error]),
        code("print(x)", None),
    ]}
    # papermill's own index counts its added cells (5 here); the notebook has 5 cells
    exc = PapermillExecutionError(5, 4, "x = 1 / 0", "ZeroDivisionError", "division by zero", [])
    assert report.describe_error(exc, nb) == (
        "cell 4 of 5 (In [4]) `# the part that fails`: ZeroDivisionError: division by zero")
    # without the executed notebook: papermill's index, 1-based
    assert report.describe_error(exc).startswith("cell 6 (In [4]) `x = 1 / 0`")
    timed_out = code("while True: pass", 5)
    timed_out["metadata"]["papermill"] = {"exception": True}
    nb["cells"][5] = code("x = 1", 4)
    nb["cells"].insert(6, timed_out)
    assert report.describe_error(TimeoutError("Cell execution timed out"), nb) == (
        "cell 5 of 6 (In [5]) `while True: pass`: TimeoutError: Cell execution timed out")


# --------------------------------------------------------------- alt text
def _png_output(alt=None):
    meta = {"image/png": {"alt": alt}} if alt is not None else {}
    return {"output_type": "display_data", "metadata": meta,
            "data": {"image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNg"
                                  "YGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==", "text/plain": "<Figure>"}}


def test_every_image_gets_alt_text():
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    nb = new_notebook(cells=[
        new_code_cell("plot()", outputs=[_png_output()]),
        new_markdown_cell("# Latency\n\nSome text.\n\n## TTFT by paradigm ##"),
        new_code_cell("plot()", outputs=[_png_output(), _png_output('TTFT "p99" bars')]),
        new_markdown_cell("No heading here."),
        new_code_cell("plot()", outputs=[_png_output("")]),
    ])
    nbformat.validate(nb)
    page = report.notebook_to_html(nb, title="My report")
    assert _links(page).alts == ["Figure: My report", "Figure: TTFT by paradigm",
                                 'TTFT "p99" bars', "Figure: TTFT by paradigm"]
    assert all(src.startswith("data:image/png;base64,") for src in _links(page).imgs)
