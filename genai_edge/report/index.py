"""The index page: every scenario's headline metrics side by side, and links to its reports."""
from __future__ import annotations

import dataclasses
import html
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..files import atomic_write
from ..paradigms import PARADIGM_LABELS
from ..paradigms import PARADIGMS as PARADIGM_ORDER
from .execute import ReportResult
from .html import version
from .notebooks import INDEX_FILE, Notebook
from .stamps import read_json

SUMMARY_FILE = "summary.json"


def index_metrics() -> tuple:
    """The registry's headline metrics (:mod:`genai_edge.metrics`), in registry order."""
    from .. import metrics
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
        f'{e(c.label)}</th>' for c in columns)
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
        built = read_json(out / scenario / f"{stem}.stamp").get("built", "")
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


def _problems(failed: list[ReportResult]) -> str:
    e = html.escape
    items = [f"<li>{'scenario <b>' + e(r.scenario) + '</b>, ' if r.scenario else ''}"
             f"notebook <b>{e(r.notebook)}</b>: <code>{e(r.error or '')}</code></li>"
             for r in failed]
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
        _problems(failed),
        f"<footer>genai_edge {html.escape(version())} · self-contained page, "
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
        data = read_json(summary)
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
