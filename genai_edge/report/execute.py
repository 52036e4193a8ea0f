"""One report: run its notebook with papermill and convert it to HTML (in a worker).

`run_task` writes nothing into the output folder: the page and, on failure,
the executed notebook go to the task's scratch folder, and the process that
owns the output folder puts them in place (`genai_edge.report.pipeline`).
"""
from __future__ import annotations

import dataclasses
import logging
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from .notebooks import INJECTED_TAG
from .stamps import KERNEL_NAME

ERROR_CELL_TAG = "papermill-error-cell-tag"           # papermill's "An Exception was ..." cells


# ----------------------------------------------------------------- results
@dataclasses.dataclass
class ReportResult:
    """What happened to one scenario × notebook."""

    scenario: str
    notebook: str                     # notebook stem
    status: str                       # "ok", "skipped" or "failed"
    html: Path | None = None
    seconds: float = 0.0
    error: str | None = None          # where and why it failed
    failed_notebook: Path | None = None
    warnings: tuple[str, ...] = ()
    built: str | None = None          # when the page was built (ISO 8601, UTC)

    @property
    def label(self) -> str:
        return f"{self.scenario}/{self.notebook}" if self.scenario else self.notebook

    def to_json(self) -> dict:
        d = dataclasses.asdict(self)
        d.update(html=_opt_str(self.html), failed_notebook=_opt_str(self.failed_notebook),
                 warnings=list(self.warnings))
        return d

    @classmethod
    def from_json(cls, d: dict) -> "ReportResult":
        return cls(**{**d, "html": _opt_path(d["html"]),
                      "failed_notebook": _opt_path(d["failed_notebook"]),
                      "warnings": tuple(d["warnings"])})


def _opt_str(p: Path | None) -> str | None:
    return None if p is None else str(p)


def _opt_path(s: str | None) -> Path | None:
    return None if s is None else Path(s)


# ------------------------------------------------------------------- tasks
@dataclasses.dataclass(frozen=True)
class _Task:
    """One notebook run: everything a worker process needs (JSON-serialisable)."""

    scenario: str                     # folder name; "" for a scenario-independent notebook
    scenario_yaml: str
    notebook: Path
    out_dir: Path
    key: str
    kernel_name: str
    timeout: float | None
    title: str
    attribution: str = ""
    label: str = ""                   # the scenario as shown (name and overrides)
    scratch: str = ""                 # where the worker writes its files

    @property
    def per_scenario(self) -> bool:
        return bool(self.scenario)

    def to_json(self) -> dict:
        return {**dataclasses.asdict(self), "notebook": str(self.notebook),
                "out_dir": str(self.out_dir)}

    @classmethod
    def from_json(cls, d: dict) -> "_Task":
        return cls(**{**d, "notebook": Path(d["notebook"]), "out_dir": Path(d["out_dir"])})

    @property
    def html(self) -> Path:
        return self.out_dir / f"{self.notebook.stem}.html"

    @property
    def stamp(self) -> Path:
        return self.out_dir / f"{self.notebook.stem}.stamp"

    @property
    def failed(self) -> Path:
        return self.out_dir / f"{self.notebook.stem}.failed.ipynb"


# ------------------------------------------------------------------ errors
def _shorten(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def failing_cell(nb) -> tuple[int, int, dict] | None:
    """``(position, count, cell)`` of the first failed code cell of an executed notebook.

    Positions count the cells of the notebook as written (1-based), not the
    cells papermill adds (injected parameters, error banners).
    """
    cells = [c for c in nb.get("cells", [])
             if not {INJECTED_TAG, ERROR_CELL_TAG} & set(c.get("metadata", {}).get("tags", []))]
    for i, cell in enumerate(cells, 1):
        if cell.get("cell_type") != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"
                  and not (o.get("ename") == "SystemExit" and o.get("evalue") in ("", "0"))]
        if errors or cell.get("metadata", {}).get("papermill", {}).get("exception"):
            return i, len(cells), cell
    return None


def describe_error(exc: BaseException, nb=None) -> str:
    """Where and why a notebook failed, on one line.

    ``nb`` is the executed notebook (a dict); with it the failing cell is
    named by its position and its first line.
    """
    ename = getattr(exc, "ename", None) or type(exc).__name__
    evalue = getattr(exc, "evalue", None)
    evalue = str(exc) if evalue is None else evalue
    found = failing_cell(nb) if nb is not None else None
    if found is not None:
        position, count, cell = found
        where = f"cell {position} of {count}"
        if cell.get("execution_count") is not None:
            where += f" (In [{cell['execution_count']}])"
        first = next((ln.strip() for ln in _source(cell).splitlines() if ln.strip()), "")
    elif hasattr(exc, "cell_index"):               # PapermillExecutionError, no notebook
        where = f"cell {exc.cell_index + 1}"
        if getattr(exc, "exec_count", None) is not None:
            where += f" (In [{exc.exec_count}])"
        first = next((ln.strip() for ln in str(getattr(exc, "source", "")).splitlines()
                      if ln.strip()), "")
    else:
        return _shorten(str(exc)) if isinstance(exc, ValueError) else f"{ename}: {_shorten(evalue)}"
    if first:
        where += f" `{_shorten(first, 80)}`"
    return f"{where}: {ename}: {_shorten(evalue)}"


class _CollectWarnings(logging.Handler):
    """Keep papermill's warnings (e.g. unknown parameters) for the progress line."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(_shorten(record.getMessage(), 200))


# ------------------------------------------------------------------ kernel
def check_kernel(kernel_name: str = KERNEL_NAME) -> str:
    """The interpreter the kernel will run; error unless it is this one.

    Jupyter replaces a kernelspec ``argv[0]`` of ``python``/``python3`` by
    ``sys.executable``; any other interpreter (e.g. a user-wide kernelspec
    of the same name shadowing the venv's) would run the notebooks against
    another installation of ``genai_edge``.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
    except NoSuchKernel:
        raise RuntimeError(f"no Jupyter kernel named {kernel_name!r}; install one with "
                           f"`{sys.executable} -m ipykernel install --sys-prefix`") from None
    exe = spec.argv[0] if spec.argv else ""
    pythons = {"python", f"python{sys.version_info[0]}", "python%d.%d" % sys.version_info[:2]}
    if exe in pythons:
        return sys.executable
    if Path(exe).parent == Path(sys.executable).parent:
        return exe
    raise RuntimeError(
        f"kernel {kernel_name!r} ({spec.resource_dir}) runs {exe}, not this environment's "
        f"{sys.executable}; remove that kernelspec or reinstall it with "
        f"`{sys.executable} -m ipykernel install --sys-prefix`")


def _execute_notebook(task: _Task, yaml_path: Path, output: Path):
    """Run the notebook with papermill; the executed notebook is written to ``output``."""
    import papermill

    check_kernel(task.kernel_name)
    return papermill.execute_notebook(
        str(task.notebook), str(output),
        parameters={"scenario": str(yaml_path), "overrides": {}} if task.per_scenario else {},
        kernel_name=task.kernel_name, cwd=str(task.notebook.parent),
        progress_bar=False, log_output=False, start_timeout=120,
        execution_timeout=task.timeout,
        # the kernel's own log ("running over TCP without encryption", "KeyboardInterrupt
        # caught" at shutdown) is noise here; cell errors come back as exceptions
        extra_arguments=["--IPKernelApp.log_level=CRITICAL"])


def _read_executed(path: Path) -> dict | None:
    import json
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def run_task(task: _Task) -> ReportResult:
    """Build one report into the task's scratch folder. Never raises an ``Exception``.

    ``ok``: ``html`` is the page in the scratch folder; ``failed``:
    ``failed_notebook`` is the executed notebook there, when there is one.
    """
    from .html import notebook_to_html, report_footer, report_header

    start = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix=f"{task.scenario or '_'}-{task.notebook.stem}-",
                                    dir=task.scratch or None))
    executed = scratch / f"{task.notebook.stem}.ipynb"
    collector = _CollectWarnings()
    pm_log = logging.getLogger("papermill")
    pm_log.addHandler(collector)
    propagate, pm_log.propagate = pm_log.propagate, False
    try:
        yaml_path = scratch / f"{task.scenario or 'scenario'}.yaml"
        yaml_path.write_text(task.scenario_yaml, encoding="utf-8")
        nb = _execute_notebook(task, yaml_path, executed)
        built = datetime.now(timezone.utc)
        page = notebook_to_html(nb, title=f"{task.title} — {task.label or task.scenario}"
                                if task.per_scenario else task.title,
                                header=report_header(task, built), footer=report_footer(task))
        page_path = scratch / f"{task.notebook.stem}.html"
        page_path.write_text(page, encoding="utf-8")
        return ReportResult(task.scenario, task.notebook.stem, "ok", page_path,
                            time.monotonic() - start, warnings=tuple(collector.messages),
                            built=built.isoformat(timespec="seconds"))
    except Exception as exc:  # noqa: BLE001 - every failure is reported, none stops the run
        ran = executed.is_file()
        return ReportResult(task.scenario, task.notebook.stem, "failed", None,
                            time.monotonic() - start,
                            describe_error(exc, _read_executed(executed) if ran else None),
                            executed if ran else None, tuple(collector.messages))
    finally:
        pm_log.removeHandler(collector)
        pm_log.propagate = propagate
