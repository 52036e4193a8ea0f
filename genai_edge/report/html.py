"""Executed notebooks as self-contained HTML pages: no code, no network, alt text on figures."""
from __future__ import annotations

import html
import logging
import re
from datetime import datetime

from .notebooks import INDEX_FILE

REMOVE_CELL_TAGS = frozenset({"remove_cell"})
REMOVE_OUTPUT_TAGS = frozenset({"remove_output"})
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")

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
math[display="block"] { margin: 0.5em 0; max-width: 100%; overflow-x: auto; }
.jp-RenderedMarkdown, .jp-RenderedLatex { max-width: 100%; overflow-x: auto; }
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
{%- macro ge_img(output, mime, extra_class) -%}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img alt="{{ output.metadata[mime]['alt'] | escape_html }}" src="data:{{ mime }};base64,
{{- (output.data[mime] | text_base64) if mime == 'image/svg+xml' else output.data[mime] | escape_html }}"
{%- set width = output | get_metadata('width', mime) -%}
{%- if width is not none %} width={{ width | escape_html }}{% endif -%}
{%- set height = output | get_metadata('height', mime) -%}
{%- if height is not none %} height={{ height | escape_html }}{% endif -%}
>
</div>
{%- endmacro -%}
{% block data_png scoped %}{{ ge_img(output, 'image/png', extra_class) }}{% endblock data_png %}
{% block data_jpg scoped %}{{ ge_img(output, 'image/jpeg', extra_class) }}{% endblock data_jpg %}
{% block data_svg scoped %}{{ ge_img(output, 'image/svg+xml', extra_class) }}{% endblock data_svg %}
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
    quiet.setLevel(logging.ERROR)
    exporter = ReportExporter(
        config=config, log=quiet, template_name="lab", template_file=_TEMPLATE_NAME,
        extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})],
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True,
        embed_images=True, exclude_anchor_links=True)
    exporter.register_filter("latex_to_mathml", latex_to_mathml)
    return exporter


def _heading(cell) -> str | None:
    """The text of the last Markdown heading in a cell, if any."""
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    found = None
    for line in source.splitlines():
        m = re.match(r"\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m and m.group(1):
            found = m.group(1)
    return found


def add_alt_text(nb, fallback: str = "Figure") -> None:
    """Give every image output an alt text, in place.

    An image keeps ``output.metadata[<mime>]["alt"]`` when it has one (the
    plotting helpers put it there); else it gets ``"Figure: <heading>"``
    from the nearest Markdown heading above it, else ``fallback``.
    """
    heading = None
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            heading = _heading(cell) or heading
            continue
        for output in cell.get("outputs", []):
            for mime in IMAGE_TYPES:
                if mime not in output.get("data", {}):
                    continue
                meta = output.setdefault("metadata", {}).setdefault(mime, {})
                if not isinstance(meta, dict):                # e.g. a bare flag
                    meta = output["metadata"][mime] = {}
                if not str(meta.get("alt", "")).strip():
                    meta["alt"] = f"Figure: {heading}" if heading else fallback


def notebook_to_html(nb, title: str = "report", header: str = "", footer: str = "") -> str:
    """An executed notebook as one self-contained HTML page without code.

    ``header`` and ``footer`` are HTML snippets placed around the cells.
    Every image has an alt text (`add_alt_text`).
    """
    import nbformat

    nb = nbformat.from_dict(nb) if not isinstance(nb, nbformat.NotebookNode) else nb
    add_alt_text(nb, fallback=f"Figure: {title}")
    resources = {"metadata": {"name": title},
                 "genai_edge_header": header, "genai_edge_footer": footer}
    page, _ = _exporter().from_notebook_node(nb, resources=resources)
    page, _removed = strip_external_resources(page)
    return page


def version() -> str:
    """This package's version."""
    from .. import __version__
    return __version__


def report_header(task, built: datetime) -> str:
    """The navigation bar of a report (``task``: an `execute._Task`)."""
    e = html.escape
    where = (f'<a href="../{INDEX_FILE}">← all reports</a> · scenario <b>{e(task.label or task.scenario)}</b>'
             if task.per_scenario else f'<a href="{INDEX_FILE}">← all reports</a>')
    return (f'<nav class="ge-nav">{where} · {e(task.title)} · '
            f"built {e(built.strftime('%Y-%m-%d %H:%M UTC'))}</nav>")


def report_footer(task) -> str:
    """The footer of a report: the resolved scenario, credits, version."""
    e = html.escape
    scenario = (f'<details><summary>Resolved scenario <code>{e(task.label or task.scenario)}</code></summary>'
                f"<pre>{e(task.scenario_yaml)}</pre></details>" if task.per_scenario else "")
    credit = f"<p>{e(task.attribution)}</p>" if task.attribution else ""
    return (f'<footer class="ge-foot">{scenario}{credit}genai_edge {e(version())} · '
            f"notebook <code>{e(task.notebook.name)}</code></footer>")
