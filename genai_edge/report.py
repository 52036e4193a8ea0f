"""Run the notebooks for scenarios into self-contained HTML reports.

For every scenario × notebook the pipeline

1. resolves the scenario (built-in name or YAML file, plus ``key=value``
   overrides) and writes the resolved YAML to a temporary file,
2. executes the notebook with papermill, injecting ``scenario`` (the path of
   that YAML file) and ``overrides`` (``{}``: they are already applied),
3. converts the executed notebook to one self-contained HTML file without
   code (figures embedded as ``data:`` URIs, math as MathML, no script or
   style fetched from the network), and
4. writes ``OUT/<scenario>/<notebook-stem>.html`` atomically, with a stamp
   ``<notebook-stem>.stamp`` beside it.

``OUT/index.html`` then puts the scenarios side by side: each headline metric
per paradigm, the winner per metric marked ★, and links to every report.

A report whose stamp matches the current inputs (resolved scenario YAML,
overrides, notebook bytes, every file of the ``genai_edge`` package) is
skipped without starting a kernel. A failing notebook never replaces the
previous good report: its executed notebook is kept as
``<notebook-stem>.failed.ipynb`` and the run exits non-zero at the end.

Notebook conventions
--------------------
* a cell tagged ``parameters`` assigning ``scenario`` and ``overrides``;
* cell tags ``remove_cell`` (drop the cell and its output from the report)
  and ``remove_output`` (drop the output);
* notebook metadata ``{"genai_edge": {"report": false}}`` keeps a notebook
  (e.g. an interactive ipywidgets explorer) out of the reports;
* notebook metadata ``{"genai_edge": {"per_scenario": false}}`` marks a
  notebook that does not depend on the scenario (e.g. model growth): it is
  built once, to ``OUT/<notebook-stem>.html``, without parameters, and
  listed on the index under its own heading; ``genai_edge.attribution``
  (text) goes into the report's footer.

Heavy packages (papermill, nbconvert) load only when a report is built; a
run where everything is up to date imports neither and starts no kernel.
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import html
import json
import logging
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .paradigms import PARADIGM_LABELS, PARADIGMS as PARADIGM_ORDER

__all__ = [
    "ScenarioSource", "index_metrics", "Notebook", "ReportResult", "RunSummary",
    "run_reports", "add_report_parser", "report_command", "default_source",
    "default_notebook_dir", "find_notebooks", "read_notebook", "package_digest", "report_key",
    "atomic_write", "notebook_to_html", "build_index", "winners",
]

PACKAGE_DIR = Path(__file__).resolve().parent
STAMP_SCHEMA = 1                 # bump to invalidate every stamp
KERNEL_NAME = "python3"
PARAMETERS_TAG = "parameters"
REMOVE_CELL_TAGS = frozenset({"remove_cell"})
REMOVE_OUTPUT_TAGS = frozenset({"remove_output"})
SUMMARY_FILE = "summary.json"
INDEX_FILE = "index.html"

Echo = Callable[..., None]


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
        and ``.to_yaml()``. Any exception is a per-scenario failure (a
        ``ValueError``'s message is shown as it is).
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
        from . import scenario
        return list(scenario.builtin_names())

    def load(name: str, overrides: dict[str, str] | None):
        from . import scenario
        return scenario.load(name, overrides)

    def compare(scn):
        from . import paradigms
        return paradigms.compare(scn)

    return ScenarioSource(builtin_names, load, compare)


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
    sorted, except names starting with ``_`` or ``.``). Notebooks whose
    metadata says ``genai_edge.report: false`` are left out, unless named
    explicitly. Default: `default_notebook_dir`.
    """
    paths = [default_notebook_dir()] if paths is None else [Path(p) for p in paths]
    found: list[Notebook] = []
    for p in paths:
        if p.is_dir():
            files = sorted(f for f in p.glob("*.ipynb") if not f.name.startswith(("_", ".")))
            found += [nb for nb in map(read_notebook, files) if nb.in_reports]
        elif p.is_file():
            found.append(read_notebook(p))
        else:
            raise ValueError(f"notebook {str(p)!r} not found")
    stems = [nb.stem for nb in found]
    dupes = sorted({s for s in stems if stems.count(s) > 1})
    if dupes:
        raise ValueError(f"two notebooks would write the same report: {', '.join(dupes)}")
    clash = [nb.path.name for nb in found if not nb.per_scenario and nb.stem == Path(INDEX_FILE).stem]
    if clash:
        raise ValueError(f"notebook {clash[0]}: a scenario-independent report named "
                         f"{INDEX_FILE} would replace the index; rename the notebook")
    return found


# ------------------------------------------------------------------ stamps
def package_digest(root: str | os.PathLike = PACKAGE_DIR) -> str:
    """sha256 over every file of the package (code and data), by relative path.

    Caches (``__pycache__``, ``*.pyc``) and hidden files are ignored.
    """
    root = Path(root)
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        rel = f.relative_to(root)
        if (not f.is_file() or "__pycache__" in rel.parts or f.suffix == ".pyc"
                or any(part.startswith(".") for part in rel.parts)):
            continue
        data = f.read_bytes()
        h.update(f"{rel.as_posix()}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


def report_key(scenario_yaml: str, overrides: Mapping[str, str] | None, notebook_digest: str,
               package: str, kernel_name: str = KERNEL_NAME) -> str:
    """The stamp of one report: a hash of everything its HTML depends on."""
    parts = {
        "schema": STAMP_SCHEMA,
        "scenario_yaml": scenario_yaml,
        "overrides": dict(sorted((overrides or {}).items())),
        "notebook": notebook_digest,
        "package": package,
        "kernel": kernel_name,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _up_to_date(html_path: Path, stamp_path: Path, key: str) -> bool:
    return html_path.is_file() and _read_json(stamp_path).get("key") == key


# ------------------------------------------------------------ atomic files
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` atomically.

    The data goes to a temporary file in the same folder, is flushed to disk
    and then renamed over ``path`` (``os.replace``), so readers see the old
    file or the new one, never a half-written one. On error the temporary
    file is removed and ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode(encoding) if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


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


@dataclasses.dataclass
class RunSummary:
    """All results of one `run_reports` call."""

    results: list[ReportResult]
    index: Path | None
    seconds: float
    scenario_errors: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def failed(self) -> list[ReportResult]:
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.scenario_errors

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)


# ------------------------------------------------------------------- tasks
@dataclasses.dataclass(frozen=True)
class _Task:
    """One notebook run: everything a worker process needs (JSON-serialisable)."""

    scenario: str
    scenario_yaml: str
    notebook: Path
    out_dir: Path
    key: str
    kernel_name: str
    timeout: float | None
    title: str
    attribution: str = ""

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


def _safe_dirname(name: str) -> str:
    """A scenario name as one path component."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "scenario"


def _shorten(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe_error(exc: BaseException) -> str:
    """Where and why a notebook failed, on one line."""
    if all(hasattr(exc, a) for a in ("cell_index", "ename", "evalue")):   # PapermillExecutionError
        first = next((ln.strip() for ln in str(getattr(exc, "source", "")).splitlines()
                      if ln.strip()), "")
        where = f"cell {exc.cell_index}"
        if getattr(exc, "exec_count", None) is not None:
            where += f" (In [{exc.exec_count}])"
        if first:
            where += f" `{_shorten(first, 80)}`"
        return f"{where}: {exc.ename}: {_shorten(exc.evalue)}"
    if isinstance(exc, ValueError):
        return _shorten(str(exc))
    return f"{type(exc).__name__}: {_shorten(str(exc))}"


class _CollectWarnings(logging.Handler):
    """Keep papermill's warnings (e.g. unknown parameters) for the progress line."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(_shorten(record.getMessage(), 200))


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


def _run_task(task: _Task) -> ReportResult:
    """Build one report (runs in a worker process). Never raises."""
    start = time.monotonic()
    running = task.out_dir / f".{task.notebook.stem}.running.ipynb"
    collector = _CollectWarnings()
    pm_log = logging.getLogger("papermill")
    pm_log.addHandler(collector)
    propagate, pm_log.propagate = pm_log.propagate, False
    try:
        task.out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="genai-edge-report-") as tmp:
            yaml_path = Path(tmp) / f"{task.scenario}.yaml"
            yaml_path.write_text(task.scenario_yaml, encoding="utf-8")
            nb = _execute_notebook(task, yaml_path, running)
        built = datetime.now(timezone.utc)
        page = notebook_to_html(nb, title=f"{task.title} — {task.scenario}" if task.per_scenario
                                else task.title,
                                header=_report_header(task, built),
                                footer=_report_footer(task))
        atomic_write(task.html, page)
        seconds = time.monotonic() - start
        atomic_write(task.stamp, json.dumps({
            "key": task.key, "scenario": task.scenario, "notebook": task.notebook.name,
            "built": built.isoformat(timespec="seconds"), "seconds": round(seconds, 2),
        }, indent=1) + "\n")
        task.failed.unlink(missing_ok=True)
        return ReportResult(task.scenario, task.notebook.stem, "ok", task.html, seconds,
                            warnings=tuple(collector.messages))
    except Exception as exc:  # noqa: BLE001 - every failure is reported, none stops the run
        kept = None
        if running.exists():
            os.replace(running, task.failed)
            kept = task.failed
        return ReportResult(task.scenario, task.notebook.stem, "failed",
                            task.html if task.html.exists() else None,
                            time.monotonic() - start, _describe_error(exc), kept,
                            tuple(collector.messages))
    finally:
        pm_log.removeHandler(collector)
        pm_log.propagate = propagate
        running.unlink(missing_ok=True)


# -------------------------------------------------------------------- HTML
_TEMPLATE_NAME = "genai_edge_report.html.j2"
_TEMPLATE = r"""{%- extends 'index.html.j2' -%}
{#- lab template without anything fetched from the network -#}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style type="text/css">
.ge-nav, .ge-foot { font: 14px/1.5 system-ui, sans-serif; padding: 8px 20px; color: #444; }
.ge-nav { border-bottom: 1px solid #ddd; margin-bottom: 8px; }
.ge-foot { border-top: 1px solid #ddd; margin-top: 24px; }
.ge-foot pre { background: #f6f6f6; padding: 8px; overflow-x: auto; font-size: 12px; }
math[display="block"] { margin: 0.5em 0; }
</style>
{%- endblock extra_css -%}
{%- block body_header -%}
{{ super() }}
{{ resources.genai_edge_header }}
{%- endblock body_header -%}
{%- block body_footer -%}
{{ resources.genai_edge_footer }}
{{ super() }}
{%- endblock body_footer -%}
{% block data_latex -%}
<div class="jp-RenderedLatex jp-OutputArea-output {{ extra_class }}" data-mime-type="text/latex">
{{ output.data['text/latex'] | latex_to_mathml }}
</div>
{%- endblock data_latex %}
"""

_EXTERNAL = re.compile(
    r"""<(script|link|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//[^>]*>(?:\s*</\1>)?""",
    re.IGNORECASE)


def strip_external_resources(page: str) -> tuple[str, int]:
    """Remove ``<script>``/``<link>``/``<iframe>`` elements loading from the network.

    Returns the page and how many elements were removed. The report
    template loads nothing itself; this guards against notebook outputs
    that do (e.g. a plotting library's CDN script).
    """
    return _EXTERNAL.subn("", page)


def latex_to_mathml(tex: str, display: bool = True) -> str:
    """LaTeX (``$…$``, ``$$…$$`` or bare) as MathML, which browsers render offline.

    Falls back to the escaped TeX source when it cannot be converted.
    """
    body = tex.strip()
    for left, right in (("$$", "$$"), ("\\[", "\\]"), ("$", "$"), ("\\(", "\\)")):
        if body.startswith(left) and body.endswith(right) and len(body) > len(left) + len(right):
            body = body[len(left):-len(right)].strip()
            break
    try:
        from latex2mathml.converter import convert
        return convert(body, display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - unknown macro etc.: show the source instead
        return f'<code class="ge-tex">{html.escape(tex)}</code>'


def _exporter():
    """An nbconvert HTMLExporter for reports: no inputs, prompts or network."""
    from jinja2 import DictLoader, pass_context
    from nbconvert import HTMLExporter
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
    from traitlets.config import Config

    class MathMLRenderer(IPythonRenderer):
        """Markdown math as MathML instead of MathJax source."""

        def block_math(self, body: str) -> str:
            return latex_to_mathml(body, display=True)

        def latex_environment(self, name: str, body: str) -> str:
            return latex_to_mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)

        def inline_math(self, body: str) -> str:
            return latex_to_mathml(body, display=False)

    class ReportExporter(HTMLExporter):
        @pass_context
        def markdown2html(self, context, source):
            cell = context.get("cell", {})
            renderer = MathMLRenderer(
                escape=False, attachments=cell.get("attachments", {}),
                embed_images=self.embed_images,
                path=context.get("resources", {}).get("metadata", {}).get("path", ""),
                anchor_link_text=self.anchor_link_text,
                exclude_anchor_links=self.exclude_anchor_links)
            return MarkdownWithMath(renderer=renderer).render(source)

    config = Config()
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = set(REMOVE_CELL_TAGS)
    config.TagRemovePreprocessor.remove_all_outputs_tags = set(REMOVE_OUTPUT_TAGS)
    quiet = logging.getLogger("genai_edge.report.nbconvert")
    quiet.setLevel(logging.ERROR)          # "Alternative text is missing on N image(s)"
    exporter = ReportExporter(
        config=config, log=quiet, template_name="lab", template_file=_TEMPLATE_NAME,
        extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
        embed_images=True, exclude_anchor_links=True)
    exporter.register_filter("latex_to_mathml", latex_to_mathml)
    return exporter


def notebook_to_html(nb, title: str = "report", header: str = "", footer: str = "") -> str:
    """An executed notebook as one self-contained HTML page without code.

    ``header`` and ``footer`` are HTML snippets placed around the cells.
    """
    import nbformat

    if not isinstance(nb, nbformat.NotebookNode):
        nb = nbformat.from_dict(nb)
    resources = {"metadata": {"name": title},
                 "genai_edge_header": header, "genai_edge_footer": footer}
    page, _ = _exporter().from_notebook_node(nb, resources=resources)
    page, _removed = strip_external_resources(page)
    return page


def _version() -> str:
    from . import __version__
    return __version__


def _report_header(task: _Task, built: datetime) -> str:
    e = html.escape
    where = (f'<a href="../{INDEX_FILE}">← all reports</a> · scenario <b>{e(task.scenario)}</b>'
             if task.per_scenario else f'<a href="{INDEX_FILE}">← all reports</a>')
    return (f'<nav class="ge-nav">{where} · {e(task.title)} · '
            f"built {e(built.strftime('%Y-%m-%d %H:%M UTC'))}</nav>")


def _report_footer(task: _Task) -> str:
    e = html.escape
    scenario = (f'<details><summary>Resolved scenario <code>{e(task.scenario)}</code></summary>'
                f"<pre>{e(task.scenario_yaml)}</pre></details>" if task.per_scenario else "")
    credit = f"<p>{e(task.attribution)}</p>" if task.attribution else ""
    return (f'<footer class="ge-foot">{scenario}{credit}genai_edge {e(_version())} · '
            f"notebook <code>{e(task.notebook.name)}</code></footer>")


# ------------------------------------------------------------------- index
def index_metrics() -> tuple:
    """The registry's headline metrics (:mod:`genai_edge.metrics`), in registry order."""
    from . import metrics
    return metrics.headline()


def winners(values: Mapping[str, float], higher_is_better: bool = False,
            rel_tol: float = 0.01) -> set[str]:
    """Keys whose value is best; values within ``rel_tol`` (1 %) of the best tie and all win,
    unless every key ties (nothing to choose).

    NaN never wins; an infinite best (all values infinite) has no winner.
    """
    finite = {k: v for k, v in values.items() if v is not None and not math.isnan(v)}
    if not finite:
        return set()
    best = max(finite.values()) if higher_is_better else min(finite.values())
    if math.isinf(best):
        return set()
    won = {k for k, v in finite.items() if math.isclose(v, best, rel_tol=rel_tol, abs_tol=0.0)}
    return set() if len(won) == len(values) > 1 else won


def _fmt_number(value: float, digits: int | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if digits is not None:
        return f"{value:,.{digits}f}"
    mag = abs(value)
    if mag >= 100 or mag == 0:
        return f"{value:,.0f}"
    if mag >= 10:
        return f"{value:.1f}"
    if mag >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _tidy_rows(table) -> list[dict]:
    """``compare``'s table as plain records ``{paradigm, metric, value, unit}``."""
    records = table.to_dict("records") if hasattr(table, "to_dict") else list(table)
    rows = []
    for r in records:
        try:
            rows.append({"paradigm": str(r["paradigm"]), "metric": str(r["metric"]),
                         "value": float(r["value"]), "unit": str(r.get("unit", ""))})
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"compare() returned a row without paradigm/metric/value: "
                             f"{r!r} ({exc})") from None
    return rows


@dataclasses.dataclass
class _Column:
    """One scenario of the index."""

    name: str                                  # folder name
    label: str
    rows: list[dict] | None
    error: str | None = None                   # this run's scenario-level failure


_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f;
  margin: 0; padding: 24px; background: #fafafa; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
p.lead { color: #555; margin: 0 0 12px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; background: #fff; box-shadow: 0 0 0 1px #ddd; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eee; text-align: right;
  white-space: nowrap; font-variant-numeric: tabular-nums; }
th { background: #f2f2f2; font-weight: 600; }
th.metric, th.paradigm, td.paradigm { text-align: left; }
tbody.metric-group tr:first-child th, tbody.metric-group tr:first-child td {
  border-top: 2px solid #ccc; }
td.win { background: #e8f5e9; } td.win strong { color: #1b5e20; }
.star { color: #e6a700; }
td.na { color: #999; }
th.scenario-bad, td.bad { background: #fdecea; color: #8a1c12; }
table.reports td, table.reports th { text-align: left; }
.status { font-size: 12px; color: #666; } .status.failed { color: #b3261e; font-weight: 600; }
ul.problems li { margin-bottom: 6px; } code { font-size: 12px; }
footer { margin-top: 32px; color: #777; font-size: 12px; }
"""


def _metric_header(metric, unit: str) -> str:
    arrow = "higher is better" if metric.higher_is_better else "lower is better"
    return (f'<th class="metric" scope="rowgroup" title="{html.escape(arrow)}">'
            f"{html.escape(metric.label)} [{html.escape(unit)}]</th>")


def _summary_table(columns: list[_Column], metrics: Sequence) -> str:
    """Metrics × paradigms down, scenarios across; the best per metric and scenario ★."""
    data: dict[str, dict[tuple[str, str], dict]] = {
        c.name: {(r["metric"], r["paradigm"]): r for r in c.rows or []} for c in columns}
    present = {m for c in data.values() for (m, _p) in c}
    shown = [m for m in metrics if m.name in present]
    paradigms = [p for p in PARADIGM_ORDER if any(p == q for c in data.values() for (_m, q) in c)]
    paradigms += sorted({q for c in data.values() for (_m, q) in c} - set(paradigms))
    e = html.escape
    head = "".join(
        f'<th scope="col" class="{"scenario-bad" if c.rows is None else ""}">'
        f'{e(c.label)}{" ⚠" if c.error else ""}</th>' for c in columns)
    out = ['<table id="summary" class="summary"><thead><tr><th class="metric">Metric [unit]</th>'
           f'<th class="paradigm">Paradigm</th>{head}</tr></thead>']
    for m in shown:
        units = {r["unit"] for c in data.values() for (mm, _p), r in c.items() if mm == m.name}
        base_ok = units <= {m.unit}
        unit, scale = (m.shown_unit, m.scale) if base_ok else (" / ".join(sorted(units)) or "-", 1.0)
        best = {c.name: winners({p: r["value"] for (mm, p), r in data[c.name].items()
                                 if mm == m.name}, m.higher_is_better) for c in columns}
        out.append('<tbody class="metric-group">')
        for i, p in enumerate(paradigms):
            cells = [_metric_header(m, unit).replace("<th ", f'<th rowspan="{len(paradigms)}" ', 1)
                     if i == 0 else ""]
            cells.append(f'<td class="paradigm">{e(PARADIGM_LABELS.get(p, p))}</td>')
            for c in columns:
                r = data[c.name].get((m.name, p))
                if r is None:
                    cells.append('<td class="na">—</td>')
                    continue
                text = _fmt_number(r["value"] * scale, m.digits)
                if p in best[c.name]:
                    cells.append(f'<td class="win" title="best {e(m.label)} for {e(c.label)}">'
                                 f'<strong>{text}</strong> <span class="star">★</span></td>')
                else:
                    cells.append(f"<td>{text}</td>")
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</tbody>")
    if not shown:
        out.append(f'<tbody><tr><td colspan="{2 + len(columns)}" class="na">'
                   "no metrics available</td></tr></tbody>")
    out.append("</table>")
    return "".join(out)


def _report_cell(out: Path, scenario: str, stem: str,
                 result: ReportResult | None) -> str:
    """One cell of the reports table: link, status, build time."""
    e = html.escape
    page = out / scenario / f"{stem}.html"
    failed = out / scenario / f"{stem}.failed.ipynb"
    folder = f"{_url(scenario)}/" if scenario else ""
    href = f"{folder}{_url(stem)}.html"
    parts = []
    if page.is_file():
        built = _read_json(out / scenario / f"{stem}.stamp").get("built", "")
        when = f' title="built {e(built.replace("T", " ")[:16])} UTC"' if built else ""
        parts.append(f'<a href="{e(href)}"{when}>report</a>')
    if result is not None and result.status == "failed":
        note = "FAILED — previous report kept" if page.is_file() else "FAILED"
        parts.append(f'<span class="status failed" title="{e(result.error or "")}">{note}</span>')
    elif result is None and failed.is_file():
        parts.append('<span class="status failed">last run failed</span>')
    if failed.is_file():
        parts.append(f'<a href="{e(folder + _url(failed.name))}">'
                     "failed notebook</a>")
    if not parts:
        return '<td class="na">—</td>'
    return f'<td class="{"bad" if result is not None and result.status == "failed" else ""}">' \
           + " ".join(parts) + "</td>"


def _global_reports(out: Path, notebooks: Sequence[tuple[str, str]],
                    results: Mapping[tuple[str, str], ReportResult]) -> str:
    """List of the scenario-independent reports (``OUT/<stem>.html``)."""
    if not notebooks:
        return ""
    e = html.escape
    items = []
    for stem, title in notebooks:
        cell = _report_cell(out, "", stem, results.get(("", stem)))
        items.append(f'<tr><th scope="row" class="paradigm">{e(title)}</th>{cell}</tr>')
    return ('<h2>Independent of the scenario</h2><table class="reports"><tbody>'
            + "".join(items) + "</tbody></table>")


def _url(part: str) -> str:
    from urllib.parse import quote
    return quote(part)


def _reports_table(out: Path, columns: list[_Column], notebooks: list[tuple[str, str]],
                   results: Mapping[tuple[str, str], ReportResult]) -> str:
    e = html.escape
    head = "".join(f'<th scope="col">{e(c.label)}</th>' for c in columns)
    rows = []
    for stem, title in notebooks:
        cells = "".join(_report_cell(out, c.name, stem, results.get((c.name, stem)))
                        for c in columns)
        rows.append(f'<tr><th scope="row" class="paradigm">{e(title)}</th>{cells}</tr>')
    return (f'<table id="reports" class="reports"><thead><tr><th class="paradigm">Notebook</th>'
            f'{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _problems(columns: list[_Column], failed: list[ReportResult]) -> str:
    e = html.escape
    scenario_errors = {c.name: c.error for c in columns if c.error}
    items = [f"<li>scenario <b>{e(c.label)}</b>: {e(c.error)}</li>" for c in columns if c.error]
    items += [f"<li>{'scenario <b>' + e(r.scenario) + '</b>, ' if r.scenario else ''}"
              f"notebook <b>{e(r.notebook)}</b>: <code>{e(r.error or '')}</code></li>" for r in failed
              if r.error != scenario_errors.get(r.scenario)]
    if not items:
        return ""
    return f'<h2>Problems in the latest run</h2><ul class="problems">{"".join(items)}</ul>'


def build_index(out: str | os.PathLike, columns: Sequence[_Column],
                notebooks: Sequence[tuple[str, str]], results: Sequence[ReportResult] = (),
                metrics: Sequence | None = None,
                global_notebooks: Sequence[tuple[str, str]] = ()) -> str:
    """The index page (HTML text): summary table, reports tables, problems."""
    out = Path(out)
    metrics = index_metrics() if metrics is None else metrics
    by_key = {(r.scenario, r.notebook): r for r in results}
    failed = [r for r in results if r.status == "failed" and r.error]
    legend = ("★ marks the best paradigm per metric and scenario; lower is better except "
              + ", ".join(m.label.lower() for m in metrics if m.higher_is_better) + ".")
    return "".join([
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>genai_edge reports</title>", f"<style>{_CSS}</style></head><body>",
        "<h1>genai_edge — paradigm comparison reports</h1>",
        f'<p class="lead">{len(columns)} scenario(s) side by side. {html.escape(legend)}</p>',
        '<div class="scroll">', _summary_table(list(columns), metrics), "</div>",
        "<h2>Reports</h2>", '<div class="scroll">',
        _reports_table(out, list(columns), list(notebooks), by_key), "</div>",
        _global_reports(out, list(global_notebooks), by_key),
        _problems(list(columns), failed),
        f"<footer>genai_edge {html.escape(_version())} · self-contained page, "
        "no network needed.</footer></body></html>\n",
    ])


def _index_columns(out: Path, run_columns: list[_Column]) -> list[_Column]:
    """This run's scenarios, then earlier ones still in ``out`` (from their summary.json)."""
    seen = {c.name for c in run_columns}
    columns = list(run_columns)
    for summary in sorted(out.glob(f"*/{SUMMARY_FILE}")):
        name = summary.parent.name
        if name in seen:
            continue
        data = _read_json(summary)
        columns.append(_Column(name, data.get("label", name), data.get("rows")))
    return columns


def _index_notebooks(out: Path, columns: list[_Column],
                     notebooks: Sequence[Notebook]) -> list[tuple[str, str]]:
    """This run's notebooks, then reports of other notebooks found in ``out``."""
    listed = [(nb.stem, nb.title) for nb in notebooks]
    known = {s for s, _ in listed}
    extra = sorted({p.stem for c in columns for p in (out / c.name).glob("*.html")} - known)
    return listed + [(s, s) for s in extra]


def _index_global_notebooks(out: Path, notebooks: Sequence[Notebook]) -> list[tuple[str, str]]:
    """This run's scenario-independent notebooks, then their other reports in ``out``."""
    listed = [(nb.stem, nb.title) for nb in notebooks]
    known = {s for s, _ in listed} | {Path(INDEX_FILE).stem}
    extra = sorted({p.stem for p in out.glob("*.html")} - known)
    return listed + [(s, s) for s in extra]


def _write_if_changed(path: Path, text: str) -> None:
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    atomic_write(path, text)


# -------------------------------------------------------------------- run
@dataclasses.dataclass
class _Scenario:
    """A scenario as resolved in the parent process."""

    arg: str
    name: str
    yaml: str | None = None
    rows: list[dict] | None = None
    error: str | None = None
    label: str = ""


def _resolve(source: ScenarioSource, arg: str, overrides: dict[str, str]) -> _Scenario:
    """Load one scenario and its summary table; failures become ``error``."""
    fallback = _safe_dirname(Path(arg).stem if arg.endswith((".yaml", ".yml")) else arg)
    label = fallback + "".join(f" [{k}={v}]" for k, v in sorted(overrides.items()))
    try:
        scn = source.load(arg, dict(overrides) or None)
        name = _safe_dirname(str(scn.name))
        text = scn.to_yaml()
    except Exception as exc:  # noqa: BLE001 - a scenario that does not load is reported
        return _Scenario(arg, fallback, error=f"scenario did not load: {_describe_error(exc)}",
                         label=label)
    label = name + "".join(f" [{k}={v}]" for k, v in sorted(overrides.items()))
    resolved = _Scenario(arg, name, text, label=label)
    try:
        resolved.rows = _tidy_rows(source.compare(scn))
    except Exception as exc:  # noqa: BLE001
        resolved.error = f"summary table (compare) failed: {_describe_error(exc)}"
    return resolved


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


class _Worker:
    """A long-lived worker process building reports one at a time.

    Tasks and results travel as JSON lines over the worker's stdin and its
    original stdout; the worker sends everything else it (or a kernel)
    prints to stderr. Unlike ``multiprocessing`` this never re-imports the
    caller's ``__main__`` and never forks a process with threads.
    """

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None

    def _start(self) -> None:
        env = dict(os.environ)
        # the worker imports the same genai_edge as this process
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PACKAGE_DIR.parent), env.get("PYTHONPATH", "")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from genai_edge.report import _serve; _serve()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8", env=env)

    def run(self, task: _Task) -> ReportResult:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        assert self.proc is not None and self.proc.stdin and self.proc.stdout
        try:
            self.proc.stdin.write(json.dumps(task.to_json()) + "\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except OSError:
            line = ""
        if line:
            return ReportResult.from_json(json.loads(line))
        code = self.proc.wait()
        self.proc = None
        return ReportResult(task.scenario, task.notebook.stem, "failed",
                            task.html if task.html.exists() else None,
                            error=f"worker process died (exit code {code})")

    def close(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()          # type: ignore[union-attr]
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


def _serve() -> None:
    """Worker main loop: one JSON task per stdin line, one JSON result per line back."""
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)                  # stray prints (kernels, libraries) go to stderr
    for line in sys.stdin:
        if line.strip():
            result = _run_task(_Task.from_json(json.loads(line)))
            protocol.write(json.dumps(result.to_json()) + "\n")
            protocol.flush()


def _execute(tasks: list[_Task], jobs: int, progress: _Progress) -> list[ReportResult]:
    """Run the tasks, ``jobs`` at a time in worker processes (inline for one job)."""
    if jobs == 1 or len(tasks) <= 1:
        results = []
        for t in tasks:
            results.append(_run_task(t))
            progress(results[-1])
        return results

    import queue
    from concurrent.futures import ThreadPoolExecutor, as_completed

    workers = [_Worker() for _ in range(min(jobs, len(tasks)))]
    idle: queue.Queue[_Worker] = queue.Queue()
    for w in workers:
        idle.put(w)

    def run(task: _Task) -> ReportResult:
        worker = idle.get()
        try:
            return worker.run(task)
        finally:
            idle.put(worker)

    results = []
    try:
        with ThreadPoolExecutor(max_workers=len(workers)) as pool:
            for fut in as_completed([pool.submit(run, t) for t in tasks]):
                results.append(fut.result())
                progress(results[-1])
    finally:
        for w in workers:
            w.close()
    return results


def _print_failures(summary: RunSummary, echo: Echo) -> None:
    failed = summary.failed
    if not failed and not summary.scenario_errors:
        return
    echo(f"FAILED: {len(failed)} of {len(summary.results)} report(s), "
         f"{len(summary.scenario_errors)} scenario problem(s):", err=True)
    for r in failed:
        if r.error == summary.scenario_errors.get(r.scenario):
            continue                         # reported once per scenario below
        echo(f"  scenario {r.scenario!r}, notebook {r.notebook!r}: {r.error}", err=True)
        if r.failed_notebook:
            echo(f"    executed notebook kept: {r.failed_notebook}", err=True)
        if r.html:
            echo(f"    previous good report kept: {r.html}", err=True)
    for name, msg in summary.scenario_errors.items():
        echo(f"  scenario {name!r}: {msg}", err=True)


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
) -> RunSummary:
    """Run every scenario × notebook into ``out`` and write ``out/index.html``.

    Parameters
    ----------
    scenarios : iterable of str, optional
        Built-in names or YAML paths; default every built-in scenario of
        ``source``.
    out : path
        Output folder; reports go to ``out/<scenario>/<notebook-stem>.html``.
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

    Returns
    -------
    RunSummary
        ``exit_code`` is 1 when any scenario or notebook failed.
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
    progress = _Progress(len(resolved) * len(nbs) + len(global_nbs), echo)
    results: list[ReportResult] = []
    tasks: list[_Task] = []
    for nb in global_nbs:
        r, task = _plan(None, nb, out, {}, package, kernel_name, timeout, force)
        if r is not None:
            results.append(r)
            progress(r)
        else:
            tasks.append(task)
    for scn in resolved:
        out_dir = out / scn.name
        for nb in nbs:
            r, task = _plan(scn, nb, out_dir, overrides, package, kernel_name, timeout, force)
            if r is not None:
                results.append(r)
                progress(r)
            else:
                tasks.append(task)
        if scn.rows is not None:
            atomic_write(out_dir / SUMMARY_FILE, json.dumps(
                {"label": scn.label, "scenario": scn.arg, "overrides": overrides,
                 "rows": scn.rows}, indent=1) + "\n")
    results += _execute(tasks, jobs, progress)

    run_columns = [_Column(s.name, s.label, s.rows, s.error) for s in resolved]
    for c in run_columns:            # keep the numbers of an earlier good run visible
        if c.rows is None:
            c.rows = _read_json(out / c.name / SUMMARY_FILE).get("rows")
    columns = _index_columns(out, run_columns)
    page = build_index(out, columns, _index_notebooks(out, columns, nbs), results, metrics,
                       _index_global_notebooks(out, global_nbs))
    index = out / INDEX_FILE
    _write_if_changed(index, page)

    order = {(s.name, nb.stem): i for i, (s, nb) in
             enumerate((s, nb) for s in resolved for nb in nbs)}
    results.sort(key=lambda r: order.get((r.scenario, r.notebook), -1))
    summary = RunSummary(results, index, time.monotonic() - start,
                         {s.name: s.error for s in resolved if s.error})
    _print_failures(summary, echo)
    echo(f"reports: {summary.count('ok')} built, {summary.count('skipped')} up to date, "
         f"{summary.count('failed')} failed in {summary.seconds:.1f} s -> {index}")
    return summary


def _check_unique(resolved: list[_Scenario]) -> None:
    names = [s.name for s in resolved]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError("two scenarios would write to the same folder: " + ", ".join(
            f"{n} ({', '.join(s.arg for s in resolved if s.name == n)})" for n in dupes))


def _plan(scn: _Scenario | None, nb: Notebook, out_dir: Path, overrides: dict[str, str],
          package: str, kernel_name: str, timeout: float | None,
          force: bool) -> tuple[ReportResult | None, _Task | None]:
    """A finished result (skipped / cannot run) or a task to execute.

    ``scn`` is None for a scenario-independent notebook (built into ``out_dir``).
    """
    html_path = out_dir / f"{nb.stem}.html"
    existing = html_path if html_path.exists() else None
    if scn is None:
        key = report_key("", {}, nb.digest, package, kernel_name)
        if not force and _up_to_date(html_path, out_dir / f"{nb.stem}.stamp", key):
            (out_dir / f"{nb.stem}.failed.ipynb").unlink(missing_ok=True)
            return ReportResult("", nb.stem, "skipped", html_path), None
        return None, _Task("", "", nb.path.resolve(), out_dir.resolve(), key, kernel_name,
                           timeout, nb.title, nb.attribution)
    if scn.yaml is None:
        return ReportResult(scn.name, nb.stem, "failed", existing, error=scn.error), None
    if not nb.has_parameters:
        return ReportResult(scn.name, nb.stem, "failed", existing, error=(
            f"notebook {nb.path.name} has no cell tagged {PARAMETERS_TAG!r}, so the "
            "scenario would be ignored")), None
    key = report_key(scn.yaml, overrides, nb.digest, package, kernel_name)
    if not force and _up_to_date(html_path, out_dir / f"{nb.stem}.stamp", key):
        # a failure with other inputs than the current ones is history
        (out_dir / f"{nb.stem}.failed.ipynb").unlink(missing_ok=True)
        return ReportResult(scn.name, nb.stem, "skipped", html_path), None
    return None, _Task(scn.name, scn.yaml, nb.path.resolve(), out_dir.resolve(), key,
                       kernel_name, timeout, nb.title, nb.attribution)


# --------------------------------------------------------------------- CLI
def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.strip(), value


def _jobs_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {value}")
    return value


def add_report_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``genai-edge report`` on an ``add_subparsers()`` object."""
    p = subparsers.add_parser(
        "report", help="run the notebooks for scenarios into self-contained HTML reports",
        description="Run every notebook for the scenarios with papermill into "
                    "OUT/<scenario>/<notebook>.html and OUT/index.html. Up-to-date reports "
                    "are skipped; a failing notebook keeps the previous report.")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--all", action="store_true", help="every built-in scenario")
    which.add_argument("--scenario", action="append", metavar="NAME_OR_FILE",
                       help="a built-in scenario name or a YAML file (repeatable)")
    p.add_argument("--set", action="append", default=[], type=_key_value, metavar="KEY=VALUE",
                   dest="overrides", help="override a scenario field (repeatable)")
    p.add_argument("--out", default="reports", type=Path, metavar="DIR",
                   help="output folder (default: reports)")
    p.add_argument("--jobs", "-j", type=_jobs_arg, default=None, metavar="N",
                   help="notebooks run in parallel (default: $JOBS, else the number of CPUs)")
    p.add_argument("--force", action="store_true", help="rebuild even up-to-date reports")
    p.add_argument("--notebook", action="append", metavar="PATH",
                   help="only this notebook or folder (repeatable; default: notebooks/)")
    p.add_argument("--timeout", type=float, default=600.0, metavar="SECONDS",
                   help="per-cell execution timeout (default 600)")
    p.set_defaults(func=report_command)
    return p


def report_command(args: argparse.Namespace) -> int:
    """Handler of ``genai-edge report``: 0 if every report is good, else 1."""
    summary = run_reports(
        None if args.all else args.scenario, args.out, overrides=dict(args.overrides),
        notebooks=args.notebook, jobs=args.jobs, force=args.force, timeout=args.timeout)
    return summary.exit_code
