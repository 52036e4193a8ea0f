"""The built wheel alone, installed into a fresh virtual environment, builds a report.

The wheel is installed without dependencies; the fresh environment reaches the
project environment's third-party packages through a plain path entry (a
``.pth`` line, whose own ``.pth`` files are not processed) and its Jupyter data files (nbconvert's
templates) through ``JUPYTER_PATH``, so the source tree and its editable
install stay invisible and no network is needed.
"""
import ast
import importlib.metadata
import json
import os
import re
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


def _imports(source: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_every_imported_distribution_is_declared():
    """What the package and its notebooks import is a requirement of the package, its report or scale extra."""
    modules = set()
    for path in (ROOT / "genai_edge").rglob("*.py"):
        modules |= _imports(path.read_text(encoding="utf-8"))
    for path in (ROOT / "genai_edge" / "notebooks").glob("*.ipynb"):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                lines = "".join(cell["source"]).splitlines()
                modules |= _imports("\n".join(ln for ln in lines if not ln.lstrip().startswith(("%", "!"))))
    third_party = {m for m in modules if m not in sys.stdlib_module_names and m != "genai_edge"}
    assert {"numpy", "papermill", "seaborn"} <= third_party
    declared = set()
    for req in importlib.metadata.requires("genai_edge"):
        name, _, marker = req.partition(";")
        if not marker or any(f'extra == "{x}"' in marker for x in ("report", "scale")):
            declared.add(re.split(r"[<>=!~\[ ]", name.strip(), maxsplit=1)[0].lower().replace("_", "-"))
    distributions = importlib.metadata.packages_distributions()
    missing = {m: distributions.get(m) for m in third_party
               if not {d.lower().replace("_", "-") for d in distributions.get(m, [m])} & declared}
    assert missing == {}
