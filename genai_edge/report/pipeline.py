"""`run_reports`: every scenario × notebook into an output folder, and its index.

The process that calls `run_reports` is the only writer of the output
folder: it holds the folder's lock (``OUT/.report.lock``) for the whole run,
and puts every page, stamp and failed notebook in place itself, atomically
and with Ctrl-C / SIGTERM held back for the few milliseconds that takes.
Notebooks run in worker processes (or in this process, see ``processes``)
that write only to a scratch folder outside ``OUT``.
"""
from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..files import TEMP_SUFFIX, atomic_write
from .execute import ReportResult, _Task, describe_error, run_task
from .index import (
    SUMMARY_FILE,
    _Column,
    _index_columns,
    _index_global_notebooks,
    _index_notebooks,
    _tidy_rows,
    _write_if_changed,
    build_index,
)
from .notebooks import INDEX_FILE, PARAMETERS_TAG, Notebook, default_notebook_dir, find_notebooks
from .stamps import KERNEL_NAME, package_digest, report_key, up_to_date, write_report
from .workers import run_in_workers

LOCK_FILE = ".report.lock"
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}"   # scenario names: one safe path component
_NAME_RE = re.compile(NAME_PATTERN)
_VARIANT_UNSAFE = re.compile(r"[^A-Za-z0-9_.=+-]+")
_VARIANT_MAX = 150                                 # characters of a --set variant's folder name

Echo = Callable[..., None]


class Terminated(BaseException):
    """SIGTERM, raised where the run is (like KeyboardInterrupt for SIGINT)."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__(signum)
        self.signum = signum


# ------------------------------------------------------------------ inputs
@dataclasses.dataclass(frozen=True)
class ScenarioSource:
    """Where scenarios come from.

    Parameters
    ----------
    builtin_names : callable
        ``() -> list[str]``: the scenarios of ``--all``.
    load : callable
        ``(name_or_path, overrides) -> scenario``; the scenario has ``.name``
        and ``.to_yaml()``. A ``ValueError``'s message is shown as it is.
    compare : callable
        ``(scenario) -> table`` with columns ``paradigm, metric, value, unit``
        (a pandas DataFrame or an iterable of mappings), for the index.
    """

    builtin_names: Callable[[], list[str]]
    load: Callable[[str, dict[str, str] | None], Any]
    compare: Callable[[Any], Any]


def default_source() -> ScenarioSource:
    """The package's own scenarios (`genai_edge.scenario`, `genai_edge.paradigms`)."""

    def builtin_names() -> list[str]:
        from .. import scenario
        return list(scenario.builtin_names())

    def load(name: str, overrides: dict[str, str] | None):
        from .. import scenario
        return scenario.load(name, overrides)

    def compare(scn):
        from .. import paradigms
        return paradigms.compare(scn)

    return ScenarioSource(builtin_names, load, compare)


@dataclasses.dataclass
class _Scenario:
    """A scenario as resolved in this process."""

    arg: str
    name: str                   # the report folder: the scenario's name, plus any overrides
    yaml: str
    rows: list[dict]
    label: str


def variant_folder(name: str, overrides: Mapping[str, str]) -> str:
    """The report folder of ``name`` with ``--set`` overrides: ``name--key=value--...``.

    Characters other than letters, digits and ``_.=+-`` become ``_``; when
    that changed anything, or the name is too long, a short hash of the
    overrides keeps distinct variants apart.
    """
    if not overrides:
        return name
    raw = "".join(f"--{k}={v}" for k, v in sorted(overrides.items()))
    safe = _VARIANT_UNSAFE.sub("_", raw)
    if safe != raw or len(name) + len(safe) > _VARIANT_MAX:
        digest = hashlib.sha256(raw.encode()).hexdigest()[:10]
        safe = safe[: _VARIANT_MAX - len(name) - 12] + "--" + digest
    return name + safe


def check_name(name: str, where: str) -> str:
    """``name`` if it is a safe scenario name, else a ValueError naming ``where``."""
    if not _NAME_RE.fullmatch(name):
        raise ValueError(f"{where}: key 'name': {name!r} is not allowed as a scenario name "
                         f"(1 to 64 letters, digits, '_' or '-', starting with a letter or "
                         f"digit: {NAME_PATTERN})")
    return name


def _resolve(source: ScenarioSource, arg: str, overrides: dict[str, str]) -> _Scenario:
    """Load, validate and evaluate one scenario; a ValueError (one line) if any step fails."""
    try:
        scn = source.load(arg, dict(overrides) or None)
        name, text = str(scn.name), scn.to_yaml()
    except Exception as exc:  # noqa: BLE001 - every loader error becomes one line
        raise ValueError(describe_error(exc) if isinstance(exc, ValueError)
                         else f"{arg}: {describe_error(exc)}") from None
    where = str(getattr(scn, "path", None) or arg)         # the file, where the loader says
    check_name(name, where)
    try:
        rows = _tidy_rows(source.compare(scn))
    except Exception as exc:  # noqa: BLE001
        raise ValueError(f"{where}: evaluating the scenario failed: {describe_error(exc)}") from None
    label = name + "".join(f" [{k}={v}]" for k, v in sorted(overrides.items()))
    return _Scenario(arg, variant_folder(name, overrides), text, rows, label)


def _check_unique(resolved: list[_Scenario]) -> None:
    names = [s.name for s in resolved]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError("two scenarios would write to the same folder: " + ", ".join(
            f"{n} ({', '.join(s.arg for s in resolved if s.name == n)})" for n in dupes))


# ----------------------------------------------------------------- results
@dataclasses.dataclass
class RunSummary:
    """All results of one `run_reports` call."""

    results: list[ReportResult]
    index: Path | None
    seconds: float

    @property
    def failed(self) -> list[ReportResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)


def _default_jobs() -> int:
    env = os.environ.get("JOBS", "").strip()
    if env:
        try:
            jobs = int(env)
        except ValueError:
            raise ValueError(f"environment variable JOBS must be a whole number, "
                             f"got {env!r}") from None
        if jobs < 1:
            raise ValueError(f"environment variable JOBS must be >= 1, got {jobs}")
        return jobs
    return os.cpu_count() or 1


def _echo(line: str, err: bool = False) -> None:
    print(line, file=sys.stderr if err else sys.stdout, flush=True)


class _Progress:
    """Numbered progress lines: ``[3/25] chatbot/comparison ... ok 4.1 s``."""

    def __init__(self, total: int, echo: Echo) -> None:
        self.total, self.done, self.echo = total, 0, echo

    def __call__(self, r: ReportResult) -> None:
        self.done += 1
        width = len(str(self.total))
        head = f"[{self.done:>{width}}/{self.total}] {r.label} ..."
        if r.status == "ok":
            self.echo(f"{head} ok {r.seconds:.1f} s")
        elif r.status == "skipped":
            self.echo(f"{head} skipped (up to date)")
        else:
            took = f" {r.seconds:.1f} s" if r.seconds else ""
            self.echo(f"{head} FAILED{took}: {r.error}")
        for w in r.warnings:
            self.echo(f"    warning: {w}")


def _print_failures(summary: RunSummary, echo: Echo) -> None:
    failed = summary.failed
    if not failed:
        return
    echo(f"FAILED: {len(failed)} of {len(summary.results)} report(s):", err=True)
    for r in failed:
        echo(f"  scenario {r.scenario!r}, notebook {r.notebook!r}: {r.error}", err=True)
        if r.failed_notebook:
            echo(f"    executed notebook kept: {r.failed_notebook}", err=True)
        if r.html:
            echo(f"    previous good report kept: {r.html}", err=True)


# ------------------------------------------------------------ the folder
@contextlib.contextmanager
def output_lock(out: Path, echo: Echo = _echo):
    """Hold ``out``'s lock; a second run waits (saying so) until the first is done.

    The lock is an ``fcntl.flock`` on ``out/.report.lock``: the system
    releases it when its holder ends, however it ends.
    """
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(out))
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            echo(f"waiting for the report run {f'(pid {holder}) ' if holder else ''}"
                 f"writing to {out} to finish ...")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def _remove_leftovers(out: Path) -> None:
    """Temporary files of an earlier run that was killed outright (under the lock: none are live)."""
    for pattern in (f".*{TEMP_SUFFIX}", f"*/.*{TEMP_SUFFIX}"):
        for f in out.glob(pattern):
            with contextlib.suppress(OSError):
                f.unlink()


@contextlib.contextmanager
def _signals_held():
    """Ctrl-C and SIGTERM wait until the block is done (only in the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    old = {s: signal.signal(s, lambda signum, _frame: caught.append(signum)) for s in held}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        if caught:
            signal.raise_signal(caught[0])


def _commit(task: _Task, r: ReportResult) -> ReportResult:
    """Put a worker's page and stamp (or its failed notebook) into the output folder."""
    with _signals_held():
        if r.status == "ok" and r.html is not None:
            write_report(task.html, task.stamp, r.html.read_bytes(), {
                "key": task.key, "scenario": task.scenario, "label": task.label,
                "notebook": task.notebook.name, "built": r.built, "seconds": round(r.seconds, 2)})
            task.failed.unlink(missing_ok=True)
            return dataclasses.replace(r, html=task.html, failed_notebook=None)
        kept = None
        if r.failed_notebook is not None and r.failed_notebook.is_file():
            atomic_write(task.failed, r.failed_notebook.read_bytes())
            kept = task.failed
        return dataclasses.replace(r, html=task.html if task.html.exists() else None,
                                   failed_notebook=kept)


def _plan(scn: _Scenario | None, nb: Notebook, out_dir: Path, overrides: dict[str, str],
          package: str, kernel_name: str, timeout: float | None,
          force: bool) -> tuple[ReportResult | None, _Task | None]:
    """A finished result (skipped / cannot run) or a task to execute.

    ``scn`` is None for a scenario-independent notebook (built into ``out_dir``).
    """
    html_path = out_dir / f"{nb.stem}.html"
    stamp_path = out_dir / f"{nb.stem}.stamp"
    if scn is not None and not nb.has_parameters:
        return ReportResult(scn.name, nb.stem, "failed",
                            html_path if html_path.exists() else None, error=(
                                f"notebook {nb.path.name} has no cell tagged {PARAMETERS_TAG!r}, "
                                "so the scenario would be ignored")), None
    yaml, overrides = ("", {}) if scn is None else (scn.yaml, overrides)
    key = report_key(yaml, overrides, nb.digest, package, kernel_name)
    name = "" if scn is None else scn.name
    if not force and up_to_date(html_path, stamp_path, key):
        # a failure with other inputs than the current ones is history
        (out_dir / f"{nb.stem}.failed.ipynb").unlink(missing_ok=True)
        return ReportResult(name, nb.stem, "skipped", html_path), None
    return None, _Task(name, yaml, nb.path.resolve(), out_dir.resolve(), key, kernel_name,
                       timeout, nb.title, nb.attribution, "" if scn is None else scn.label)


# -------------------------------------------------------------------- run
def run_reports(
    scenarios: Iterable[str] | None = None,
    out: str | os.PathLike = "reports",
    *,
    overrides: Mapping[str, str] | None = None,
    notebooks: Iterable[str | os.PathLike] | None = None,
    jobs: int | None = None,
    force: bool = False,
    source: ScenarioSource | None = None,
    kernel_name: str = KERNEL_NAME,
    timeout: float | None = 600.0,
    metrics: Sequence | None = None,
    echo: Echo = _echo,
    processes: bool | None = None,
) -> RunSummary:
    """Run every scenario × notebook into ``out`` and write ``out/index.html``.

    Parameters
    ----------
    scenarios : iterable of str, optional
        Built-in names or YAML paths; default every built-in scenario of
        ``source``.
    out : path
        Output folder; reports go to ``out/<scenario>/<notebook-stem>.html``
        (``out/<scenario>--<key>=<value>/`` with ``overrides``).
    overrides : mapping, optional
        ``key -> value`` overrides applied to every scenario (``--set``).
    notebooks : iterable of paths, optional
        Notebooks or folders of notebooks; default `default_notebook_dir`.
    jobs : int, optional
        Notebooks run in parallel (worker processes); default ``$JOBS`` or
        the number of CPUs.
    force : bool
        Rebuild reports even when their stamp is up to date.
    source : ScenarioSource, optional
        Where scenarios come from; default `default_source` (the package's).
    kernel_name : str
        Jupyter kernel; must run this interpreter (see `check_kernel`).
    timeout : float or None
        Per-cell execution timeout [s].
    metrics : sequence of metrics.Metric, optional
        Headline metrics of the index, in order (those present are shown).
    echo : callable
        ``echo(line, err=False)`` receives the progress and failure lines.
    processes : bool, optional
        Run the notebooks in worker processes, which Ctrl-C and SIGTERM stop
        with their kernels; default: when ``jobs > 1`` (the command line
        always does). Otherwise they run one at a time in this process.

    Returns
    -------
    RunSummary
        ``exit_code`` is 1 when any notebook failed.

    Raises
    ------
    ValueError
        A scenario that does not load, validate or evaluate, or has a name
        that is not a safe folder name (nothing is run); no notebooks.
    OSError
        The output folder cannot be written; the reports already there stay.
    KeyboardInterrupt, Terminated
        Ctrl-C or SIGTERM: every worker and kernel is stopped first.
    """
    start = time.monotonic()
    source = source or default_source()
    out = Path(out)
    overrides = dict(overrides or {})
    jobs = _default_jobs() if jobs is None else int(jobs)
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    found = find_notebooks(notebooks)
    nbs = [nb for nb in found if nb.per_scenario]
    global_nbs = [nb for nb in found if not nb.per_scenario]
    if not found:
        where = ", ".join(map(str, notebooks)) if notebooks is not None else default_notebook_dir()
        raise ValueError(f"no notebooks to run in {where}")
    args = list(source.builtin_names() if scenarios is None else scenarios)
    if not args:
        raise ValueError("no scenarios to run")
    resolved = [_resolve(source, a, overrides) for a in args]
    _check_unique(resolved)
    package = package_digest()

    with output_lock(out, echo), contextlib.ExitStack() as stack:
        _remove_leftovers(out)
        progress = _Progress(len(resolved) * len(nbs) + len(global_nbs), echo)
        results: list[ReportResult] = []
        tasks: list[_Task] = []
        plans = [(None, nb, out) for nb in global_nbs]
        plans += [(scn, nb, out / scn.name) for scn in resolved for nb in nbs]
        for scn, nb, out_dir in plans:
            r, task = _plan(scn, nb, out_dir, overrides, package, kernel_name, timeout, force)
            if r is not None:
                results.append(r)
                progress(r)
            else:
                tasks.append(task)
        for scn in resolved:
            atomic_write(out / scn.name / SUMMARY_FILE, json.dumps(
                {"label": scn.label, "scenario": scn.arg, "overrides": overrides,
                 "rows": scn.rows}, indent=1) + "\n")

        scratch = Path(tempfile.mkdtemp(prefix="genai-edge-report-"))
        stack.callback(shutil.rmtree, scratch, ignore_errors=True)
        tasks = [dataclasses.replace(t, scratch=str(scratch)) for t in tasks]

        def done(task: _Task, r: ReportResult) -> None:
            results.append(_commit(task, r))
            progress(results[-1])

        if processes or (processes is None and jobs > 1):
            run_in_workers(tasks, jobs, scratch, done)
        else:
            for t in tasks:
                done(t, run_task(t))

        run_columns = [_Column(s.name, s.label, s.rows) for s in resolved]
        columns = _index_columns(out, run_columns)
        page = build_index(out, columns, _index_notebooks(out, columns, nbs), results, metrics,
                           _index_global_notebooks(out, global_nbs))
        index = out / INDEX_FILE
        _write_if_changed(index, page)

    order = {(s.name, nb.stem): i for i, (s, nb) in
             enumerate((s, nb) for s in resolved for nb in nbs)}
    results.sort(key=lambda r: order.get((r.scenario, r.notebook), -1))
    summary = RunSummary(results, index, time.monotonic() - start)
    _print_failures(summary, echo)
    echo(f"reports: {summary.count('ok')} built, {summary.count('skipped')} up to date, "
         f"{summary.count('failed')} failed in {summary.seconds:.1f} s -> {index}")
    return summary
