"""Equations for people: LaTeX in a notebook, MathML in the offline HTML report.

:class:`Equation` shows itself as LaTeX in JupyterLab (``text/latex``);
the report's HTML exporter turns that output into MathML, so the page
needs no MathJax or network. :func:`mathml` gives the MathML directly.
"""
from __future__ import annotations

import sympy as sp

__all__ = ["latex", "mathml", "Equation"]


def _tex_name(name: str) -> str:
    """``T_pf_cloud`` → ``T_{pf,cloud}`` (sympy would run the subscripts together)."""
    head, *subs = name.split("_")
    return f"{head}_{{{','.join(subs)}}}"


def latex(expr) -> str:
    """LaTeX of a sympy expression, an equation, a :class:`~genai_edge.symbolic.base.Formula` or a string.

    Symbols with two or more subscripts (``T_pf_cloud``) get them comma-separated.
    """
    if isinstance(expr, str):
        return expr
    if hasattr(expr, "latex"):
        return expr.latex()
    names = {s: _tex_name(s.name) for s in getattr(expr, "free_symbols", ()) if s.name.count("_") >= 2}
    return sp.latex(expr, symbol_names=names)


def mathml(expr, display: bool = True) -> str:
    """MathML (``<math>…</math>``) of ``expr``, which browsers render offline.

    Falls back to the LaTeX source in a ``<code>`` element when a macro
    has no MathML form.
    """
    from ..report.html import latex_to_mathml
    return latex_to_mathml(latex(expr), display=display)


class Equation:
    """An equation with a legend of its symbols, shown as Markdown math (MathML in the report).

    Parameters
    ----------
    lhs : str or sympy object
        Left-hand side (LaTeX text or an expression).
    rhs : sympy object or str
        Right-hand side.
    legend : iterable of (symbol, meaning, unit, value), optional
        Shown under the equation, one line per symbol; ``value`` in SI
        units or None.
    """

    def __init__(self, lhs, rhs, legend=()):
        self.lhs, self.rhs, self.legend = lhs, rhs, list(legend)

    def latex(self) -> str:
        return f"{latex(self.lhs)} = {latex(self.rhs)}"

    def _legend_lines(self) -> list:
        lines = []
        for s, meaning, unit, value in self.legend:
            shown = "" if unit in ("1", "-") else f" {unit}"
            v = "" if value is None else f" = {value:.4g}{shown}"
            lines.append(f"- ${latex(s)}$: {meaning}{v}")
        return lines

    def _repr_markdown_(self) -> str:
        return "\n".join([f"$${self.latex()}$$", "", *self._legend_lines()])

    def __repr__(self) -> str:
        return f"Equation({self.latex()!r})"
