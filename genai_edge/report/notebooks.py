"""The notebooks of the reports: found and read from disk as plain JSON (no kernel)."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterable
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]      # the genai_edge package
PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"                   # papermill's cell with the parameters
INDEX_FILE = "index.html"


@dataclasses.dataclass(frozen=True)
class Notebook:
    """A notebook to run, as read from disk (no kernel involved)."""

    path: Path
    title: str
    digest: str                  # sha256 of the file bytes
    has_parameters: bool         # a cell tagged ``parameters`` exists
    in_reports: bool = True      # metadata ``genai_edge.report`` is not false
    per_scenario: bool = True    # metadata ``genai_edge.per_scenario`` is not false
    attribution: str = ""        # metadata ``genai_edge.attribution``

    @property
    def stem(self) -> str:
        return self.path.stem


def default_notebook_dir() -> Path:
    """The report notebooks shipped inside the package."""
    return PACKAGE_DIR / "notebooks"


def read_notebook(path: str | os.PathLike) -> Notebook:
    """Read a notebook's title, digest and conventions (plain JSON, fast)."""
    path = Path(path)
    data = path.read_bytes()
    try:
        nb = json.loads(data)
    except ValueError as exc:
        raise ValueError(f"{path}: not a notebook (invalid JSON: {exc})") from None
    cells = nb.get("cells", [])
    tags = (set(c.get("metadata", {}).get("tags", [])) for c in cells)
    has_parameters = any(PARAMETERS_TAG in t for t in tags)
    meta = nb.get("metadata", {}).get("genai_edge", {})
    return Notebook(path, _notebook_title(nb, path), hashlib.sha256(data).hexdigest(),
                    has_parameters, meta.get("report", True) is not False,
                    meta.get("per_scenario", True) is not False, str(meta.get("attribution", "")))


def _notebook_title(nb: dict, path: Path) -> str:
    """``metadata.title``, else the first Markdown ``# heading``, else the stem."""
    title = nb.get("metadata", {}).get("title")
    if title:
        return str(title)
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        for line in source.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return path.stem


def find_notebooks(paths: Iterable[str | os.PathLike] | None = None) -> list[Notebook]:
    """The notebooks to report on.

    ``paths`` may name notebooks or folders (every ``*.ipynb`` in them,
    sorted, except names starting with ``_`` or ``.``), or a shipped
    notebook by its name (``comparison``). Notebooks whose
    metadata says ``genai_edge.report: false`` are left out, unless named
    explicitly. Default: `default_notebook_dir`.
    """
    paths = [default_notebook_dir()] if paths is None else [Path(p) for p in paths]
    found: list[Notebook] = []
    shipped = default_notebook_dir()
    for p in paths:
        if not p.exists() and p.name == str(p) and (shipped / f"{p.name}.ipynb").is_file():
            p = shipped / f"{p.name}.ipynb"
        if p.is_dir():
            files = sorted(f for f in p.glob("*.ipynb") if not f.name.startswith(("_", ".")))
            found += [nb for nb in map(read_notebook, files) if nb.in_reports]
        elif p.is_file():
            found.append(read_notebook(p))
        else:
            names = ", ".join(sorted(f.stem for f in shipped.glob("*.ipynb")))
            raise ValueError(f"notebook {str(p)!r} not found; allowed: a notebook file, a folder of them, "
                             f"or a shipped notebook ({names})")
    stems = [nb.stem for nb in found]
    dupes = sorted({s for s in stems if stems.count(s) > 1})
    if dupes:
        raise ValueError(f"two notebooks would write the same report: {', '.join(dupes)}")
    clash = [nb.path.name for nb in found if not nb.per_scenario and nb.stem == Path(INDEX_FILE).stem]
    if clash:
        raise ValueError(f"notebook {clash[0]}: a scenario-independent report named "
                         f"{INDEX_FILE} would replace the index; rename the notebook")
    return found
