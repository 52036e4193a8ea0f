"""Run the notebooks for scenarios into self-contained HTML reports.

For every scenario × notebook the pipeline

1. loads, validates and evaluates the scenario (built-in name or YAML file,
   plus ``key=value`` overrides); a scenario that fails any of these stops
   the run with one line before any kernel starts,
2. executes the notebook with papermill in a worker process, injecting
   ``scenario`` (the path of the resolved YAML) and ``overrides`` (``{}``:
   they are already applied),
3. converts the executed notebook to one self-contained HTML file without
   code (figures embedded as ``data:`` URIs with alt text, math as MathML,
   no script or style fetched from the network), and
4. writes ``OUT/<scenario>/<notebook-stem>.html`` atomically, with a stamp
   ``<notebook-stem>.stamp`` beside it. With overrides the folder is
   ``OUT/<scenario>--<key>=<value>``, so a variant never replaces the
   scenario's own reports.

``OUT/index.html`` then puts the scenarios side by side: each headline metric
per paradigm, the winner per metric marked ★, and links to every report.

A report whose stamp matches the current inputs (resolved scenario YAML,
overrides, notebook bytes, every file of the ``genai_edge`` package) and
the HTML beside it is skipped without starting a kernel. A failing notebook
never replaces the previous good report: its executed notebook is kept as
``<notebook-stem>.failed.ipynb`` and the run exits non-zero at the end.

One run at a time writes to an output folder (a second waits for the lock
``OUT/.report.lock``). Ctrl-C or SIGTERM stops every worker and kernel and
leaves only complete files; an output folder that cannot be written ends the
run with one line naming the path, keeping the reports already there.

Notebook conventions
--------------------
* a cell tagged ``parameters`` assigning ``scenario`` and ``overrides``;
* cell tags ``remove_cell`` (drop the cell and its output from the report)
  and ``remove_output`` (drop the output);
* an image's alt text is ``output.metadata["image/png"]["alt"]``, else
  ``Figure: <the nearest Markdown heading above it>``;
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

from ..files import atomic_write
from .command import add_report_parser, report_command
from .execute import ReportResult, check_kernel, describe_error, failing_cell
from .html import add_alt_text, latex_to_mathml, notebook_to_html, strip_external_resources
from .index import SUMMARY_FILE, build_index, index_metrics, winners
from .index import _Column as _Column  # used by the tests
from .index import _tidy_rows as _tidy_rows  # used by the tests
from .notebooks import INDEX_FILE, Notebook, default_notebook_dir, find_notebooks, read_notebook
from .pipeline import (
    LOCK_FILE,
    NAME_PATTERN,
    RunSummary,
    ScenarioSource,
    Terminated,
    check_name,
    default_source,
    output_lock,
    run_reports,
    variant_folder,
)
from .pipeline import _default_jobs as _default_jobs  # used by the tests
from .stamps import KERNEL_NAME, STAMP_SCHEMA, describes, package_digest, report_key, up_to_date

__all__ = [
    "ScenarioSource", "index_metrics", "Notebook", "ReportResult", "RunSummary",
    "run_reports", "add_report_parser", "report_command", "default_source",
    "default_notebook_dir", "find_notebooks", "read_notebook", "package_digest", "report_key",
    "atomic_write", "notebook_to_html", "build_index", "winners", "add_alt_text",
    "check_kernel", "describe_error", "failing_cell", "latex_to_mathml",
    "strip_external_resources", "describes", "up_to_date", "output_lock", "check_name",
    "variant_folder", "Terminated", "INDEX_FILE", "SUMMARY_FILE", "LOCK_FILE", "NAME_PATTERN",
    "KERNEL_NAME", "STAMP_SCHEMA",
]
