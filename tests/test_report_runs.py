"""Report runs that stay consistent: the folder lock, Ctrl-C / SIGTERM, I/O errors.

Each test runs real processes: ``python -m genai_edge report`` with real
kernels on copies of the fixture notebooks, or a small script calling
`run_reports` with the fake scenarios (tests/fixtures/fake_scenarios.py)
and a stand-in kernel, so that two runs can overlap within a second.
"""
from __future__ import annotations

import errno
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from genai_edge import files, report
from genai_edge.report import command, pipeline, workers

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
ROOT = HERE.parent

# A report run with the fake scenarios of SCENARIOS and a stand-in kernel that
# takes DELAY seconds per notebook (the executed notebook is the input plus the
# resolved scenario printed), in this process: argv = OUT SCENARIOS DELAY FAKE NOTEBOOKS.
RUN = r"""
import importlib.util, sys, time
import nbformat
from nbformat.v4 import new_output
spec = importlib.util.spec_from_file_location("fake", sys.argv[4])
fake = importlib.util.module_from_spec(spec); sys.modules["fake"] = fake
spec.loader.exec_module(fake)
from genai_edge import report
from genai_edge.report import execute

def stand_in(task, yaml_path, output):
    time.sleep(float(sys.argv[3]))
    nb = nbformat.read(task.notebook, as_version=4)
    nb.cells[2].outputs = [new_output("stream", name="stdout", text=open(yaml_path).read())]
    nbformat.write(nb, output)
    return nb

execute._execute_notebook = stand_in
report.pipeline.package_digest = lambda: "PACKAGE"      # the package may change meanwhile
summary = report.run_reports(None, sys.argv[1], notebooks=[sys.argv[5]], jobs=1,
                             source=fake.make_source(sys.argv[2]), processes=False)
sys.exit(summary.exit_code)
"""


def _run_script(out: Path, scenarios: Path, delay: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", RUN, str(out), str(scenarios), str(delay),
         str(FIXTURES / "fake_scenarios.py"), str(FIXTURES / "notebooks")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def _scenarios(tmp_path: Path, name: str, ttft: str) -> Path:
    folder = tmp_path / name
    shutil.copytree(FIXTURES / "scenarios", folder)
    alpha = folder / "alpha.yaml"
    text = alpha.read_text()
    assert "ttft_s: 0.210" in text
    alpha.write_text(text.replace("ttft_s: 0.210", f"ttft_s: {ttft}"))
    return folder


def _pages(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*.html") if p.name != report.INDEX_FILE)


def _assert_consistent(out: Path) -> None:
    """Every report's stamp describes the HTML beside it; nothing half-written is left."""
    for page in _pages(out):
        stamp = page.with_suffix(".stamp")
        assert report.describes(stamp, page), f"{stamp} does not describe {page}"
    leftovers = [p for p in out.rglob("*") if p.name.endswith(files.TEMP_SUFFIX)
                 or ".running." in p.name]
    assert leftovers == []


def _readline(proc: subprocess.Popen, deadline: float) -> str:
    """The next stdout line of ``proc``, or "" at EOF; fails past ``deadline``."""
    while True:
        left = deadline - time.monotonic()
        assert left > 0, "timed out waiting for the report run"
        ready, _, _ = select.select([proc.stdout], [], [], left)
        if ready:
            return proc.stdout.readline()


def _wait_for(proc: subprocess.Popen, pattern: str, seconds: float) -> list[str]:
    """stdout lines up to and including the first matching ``pattern``."""
    deadline, lines = time.monotonic() + seconds, []
    while True:
        line = _readline(proc, deadline)
        assert line, f"report run ended before {pattern!r}: {lines} {proc.stderr.read()}"
        lines.append(line.rstrip("\n"))
        if re.search(pattern, line):
            return lines


# -------------------------------------------------------------------- lock
def test_second_run_waits_for_the_lock(tmp_path):
    out = tmp_path / "out"
    with report.output_lock(out, echo=lambda *a, **k: None):
        proc = _run_script(out, FIXTURES / "scenarios", 0.0)
        lines = _wait_for(proc, "waiting for", 30)
        assert lines[-1] == (f"waiting for the report run (pid {os.getpid()}) writing to "
                             f"{out} to finish ...")
        time.sleep(0.5)
        assert proc.poll() is None and _pages(out) == []        # nothing written meanwhile
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert len(_pages(out)) == 4
    _assert_consistent(out)


def test_two_concurrent_runs_leave_every_page_consistent(tmp_path):
    """Two runs into one folder with other inputs for alpha: each page matches its stamp."""
    out = tmp_path / "out"
    first = _run_script(out, _scenarios(tmp_path, "first", "0.210"), 0.3)
    second = _run_script(out, _scenarios(tmp_path, "second", "0.250"), 0.3)
    done = [p.communicate(timeout=90) for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], done
    assert sum("waiting for the report run" in stdout for stdout, _ in done) == 1
    _assert_consistent(out)
    # the later run rebuilt alpha from its own inputs: the page shows them, the stamp says so
    later = "0.250" if "waiting" in done[1][0] else "0.210"
    sys.path.insert(0, str(FIXTURES))
    try:
        import fake_scenarios
    finally:
        sys.path.remove(str(FIXTURES))
    scenarios = tmp_path / ("second" if later == "0.250" else "first")
    scn = fake_scenarios.make_source(scenarios).load("alpha")
    for page in (out / "alpha").glob("*.html"):
        assert f"ttft_s: {float(later)}" in page.read_text()
        nb = report.read_notebook(FIXTURES / "notebooks" / f"{page.stem}.ipynb")
        key = report.report_key(scn.to_yaml(), {}, nb.digest, "PACKAGE")
        assert json.loads(page.with_suffix(".stamp").read_text())["key"] == key


# ------------------------------------------------------- signals (real CLI)
def _notebooks(tmp_path: Path) -> Path:
    """a_tiny (a few seconds) and b_slow (sleeps 120 s after loading the scenario)."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    shutil.copy(FIXTURES / "notebooks" / "tiny.ipynb", folder / "a_tiny.ipynb")
    nb = json.loads((FIXTURES / "notebooks" / "table.ipynb").read_text())
    nb["cells"].append({"cell_type": "code", "execution_count": None, "metadata": {},
                        "outputs": [], "source": "import time\ntime.sleep(120)"})
    (folder / "b_slow.ipynb").write_text(json.dumps(nb))
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("signum, jobs, code", [(signal.SIGINT, 2, 130),
                                                (signal.SIGTERM, 1, 143)])
def test_signal_stops_every_worker_and_kernel(tmp_path, signum, jobs, code):
    out, scratch = tmp_path / "out", tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "genai_edge", "report", "--scenario", "chatbot", "--scenario",
         "enterprise", "--notebook", str(_notebooks(tmp_path)), "--out", str(out),
         "--jobs", str(jobs)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT, env={**os.environ, "TMPDIR": str(scratch)})
    try:
        lines = _wait_for(proc, r"^\[1/4\] chatbot/a_tiny \.\.\. ok", 120)
        if jobs == 1:                          # the slow notebook's kernel is up
            time.sleep(2.0)
        below = workers.descendants(proc.pid)
        assert len(below) >= jobs + 1, below   # the workers and at least one kernel
        start = time.monotonic()
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=15)
        took = time.monotonic() - start
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, stderr
    assert took < 8.0, f"took {took:.1f} s to stop"
    name = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
    assert stderr.strip().splitlines()[-1].startswith("genai-edge report: ")
    assert name in stderr.strip().splitlines()[-1]
    assert "[2/4]" not in stdout, lines + stdout.splitlines()      # nothing built after it
    deadline = time.monotonic() + 5
    while any(map(workers._alive, below)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [p for p in below if workers._alive(p)] == []
    assert _pages(out) == [out / "chatbot" / "a_tiny.html"]
    assert not list(out.rglob("*.failed.ipynb"))
    _assert_consistent(out)
    assert list(scratch.iterdir()) == []      # the scratch folder and kernel files are gone



def test_killed_run_leaves_no_worker_or_kernel_behind(tmp_path):
    """SIGKILL gives the run no chance to clean up: its workers notice and stop their kernels."""
    out, scratch = tmp_path / "out", tmp_path / "tmp"
    scratch.mkdir()
    proc = subprocess.Popen(
        [sys.executable, "-m", "genai_edge", "report", "--scenario", "chatbot", "--scenario",
         "enterprise", "--notebook", str(_notebooks(tmp_path)), "--out", str(out), "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=ROOT, env={**os.environ, "TMPDIR": str(scratch)})
    try:
        _wait_for(proc, r"^\[1/4\] chatbot/a_tiny \.\.\. ok", 120)
        below = workers.descendants(proc.pid)
        assert len(below) >= 3, below          # two workers and at least one kernel
        proc.kill()
        proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 8
    while any(map(workers._alive, below)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [p for p in below if workers._alive(p)] == []
    assert _pages(out) == [out / "chatbot" / "a_tiny.html"]
    _assert_consistent(out)

# -------------------------------------------------------- the output folder
def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "genai_edge", "report", "--scenario", "chatbot",
                           "--notebook", str(FIXTURES / "notebooks" / "tiny.ipynb"), *args],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)


def test_out_is_a_file(tmp_path):
    (tmp_path / "taken").write_text("x")
    done = _cli(tmp_path, "--out", "taken")
    assert done.returncode == 2
    assert done.stderr == "genai-edge report: error: cannot write taken: Not a directory\n"
    assert (tmp_path / "taken").read_text() == "x"
    done = _cli(tmp_path, "--out", "taken/reports")
    assert (done.returncode, done.stderr) == (
        2, "genai-edge report: error: cannot write taken/reports: Not a directory\n")


def _read_only(folder: Path) -> None:
    """Make ``folder`` and everything in it unwritable, even for root (chattr +i)."""
    if os.geteuid() != 0:
        for p in [folder, *folder.rglob("*")]:
            p.chmod(p.stat().st_mode & ~0o222)
        return
    if shutil.which("chattr") is None or subprocess.run(
            ["chattr", "-R", "+i", str(folder)], capture_output=True).returncode != 0:
        pytest.skip("running as root without chattr +i: cannot make a read-only folder")


def _writable(folder: Path) -> None:
    if os.geteuid() != 0:
        for p in [folder, *folder.rglob("*")]:
            p.chmod(p.stat().st_mode | 0o200)
    else:
        subprocess.run(["chattr", "-R", "-i", str(folder)], check=False)


def test_read_only_out_keeps_the_reports(tmp_path):
    out = tmp_path / "out"
    (out / "chatbot").mkdir(parents=True)
    (out / "chatbot" / "tiny.html").write_text("good page")
    (out / "chatbot" / "tiny.stamp").write_text("{}")
    (out / pipeline.LOCK_FILE).write_text("")
    _read_only(out)
    try:
        done = _cli(tmp_path, "--out", "out")
    finally:
        _writable(out)
    assert done.returncode == 2
    assert re.fullmatch(r"genai-edge report: error: cannot write out/\.report\.lock: "
                        r"(Permission denied|Operation not permitted)\n", done.stderr)
    assert (out / "chatbot" / "tiny.html").read_text() == "good page"
    assert sorted(p.name for p in (out / "chatbot").iterdir()) == ["tiny.html", "tiny.stamp"]


def test_disk_full_keeps_the_previous_report(tmp_path, monkeypatch, capsys):
    sys.path.insert(0, str(FIXTURES))
    try:
        import fake_scenarios
    finally:
        sys.path.remove(str(FIXTURES))
    import test_report as helpers

    monkeypatch.setattr(report.execute, "_execute_notebook", helpers._fake_execute)
    monkeypatch.setattr(pipeline, "default_source", fake_scenarios.make_source)
    monkeypatch.setattr(command, "run_reports",
                        lambda *a, **k: report.run_reports(*a, **{**k, "processes": False}))
    out = tmp_path / "out"
    argv = ["report", "--scenario", "alpha", "--out", str(out), "--notebook",
            str(FIXTURES / "notebooks" / "tiny.ipynb")]
    args = helpers._parser().parse_args(argv)
    assert args.func(args) == 0
    good = {p: p.read_bytes() for p in (out / "alpha").iterdir()}

    real_fsync = files.os.fsync

    def full(fd):
        if ".tiny.html." in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)
    monkeypatch.setattr(files.os, "fsync", full)
    capsys.readouterr()
    args = helpers._parser().parse_args(argv + ["--force"])
    assert args.func(args) == 2
    err = capsys.readouterr().err
    assert err == (f"genai-edge report: error: cannot write {out / 'alpha' / 'tiny.html'}: "
                   "No space left on device\n")
    assert {p: p.read_bytes() for p in (out / "alpha").iterdir()} == good
