"""The built wheel alone, installed into a fresh virtual environment, builds a report.

The wheel is installed without dependencies; the fresh environment reaches the
project environment's third-party packages through a plain path entry (a
``.pth`` line, whose own ``.pth`` files are not processed) and its Jupyter data files (nbconvert's
templates) through ``JUPYTER_PATH``, so the source tree and its editable
install stay invisible and no network is needed.
"""
import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=300, **kw)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
          "--quiet", "-w", str(dist)], cwd=dist)
    (path,) = dist.glob("genai_edge-*.whl")
    return path


def test_wheel_ships_notebooks_data_scenarios_and_licence(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(n).name for n in names}
    for notebook in (ROOT / "genai_edge" / "notebooks").glob("*.ipynb"):
        assert f"genai_edge/notebooks/{notebook.name}" in names
    for scenario in (ROOT / "genai_edge" / "scenarios").glob("*.yaml"):
        assert f"genai_edge/scenarios/{scenario.name}" in names
    for data in (ROOT / "genai_edge" / "data").glob("*.csv"):
        assert f"genai_edge/data/{data.name}" in names
    assert "LICENSE" in shipped


def test_fresh_venv_builds_a_report(wheel, tmp_path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    py = venv / "bin" / "python"
    site = Path(_run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
                .stdout.strip())
    (site / "project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--quiet",
          str(wheel)])
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["JUPYTER_PATH"] = str(Path(sysconfig.get_paths()["data"]) / "share" / "jupyter")
    where = json.loads(_run([str(py), "-c", "import json, genai_edge; "
                             "print(json.dumps([genai_edge.__file__]))"], cwd=work, env=env).stdout)
    assert Path(where[0]).is_relative_to(venv), where
    out = work / "reports"
    done = _run([str(venv / "bin" / "genai-edge"), "report", "--scenario", "chatbot",
                 "--notebook", "comparison", "--out", str(out), "--jobs", "1"], cwd=work, env=env)
    html = out / "chatbot" / "comparison.html"
    assert html.is_file(), done.stdout + done.stderr
    page = html.read_text(encoding="utf-8")
    assert "chatbot" in page and "<img" in page
    assert (out / "index.html").is_file()
