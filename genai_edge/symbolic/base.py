"""A closed form stated once: its sympy expression, the numpy function it states, its domain.

Every :class:`Formula` names the library function that computes the same
quantity, the order in which that function takes the formula's symbols, and
a domain to sample; the tests lambdify each formula over a random grid of
that domain and compare it with the numpy function.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import sympy as sp

__all__ = ["Formula", "register", "formula", "formulas", "pointwise", "positive", "fraction", "whole"]


@dataclass(frozen=True)
class Formula:
    """``lhs = rhs``, the numpy function that computes it, and where both are defined.

    Attributes
    ----------
    name : str
        Registry key, e.g. ``'mm1_mean_response'``.
    lhs : sympy.Symbol
        The quantity, e.g. ``T``.
    rhs : sympy.Expr
        Its closed form in the symbols of ``args``.
    args : tuple of sympy.Symbol
        The symbols in the order of ``numeric``'s positional arguments.
    numeric : callable
        The library's numpy function of the same quantity.
    domain : dict
        symbol → (low, high, scale), scale ``'log'``, ``'lin'`` or ``'int'``:
        where the test samples both.
    units : dict
        symbol (``lhs`` included) → SI unit.
    rtol : float
        Relative agreement expected with ``numeric`` (1e-9 where both are exact).
    source : str
        Where the closed form is published.
    note : str
        What the formula assumes, in words.
    """
    name: str
    lhs: sp.Symbol
    rhs: sp.Expr
    args: tuple
    numeric: Callable
    domain: dict
    units: dict = field(default_factory=dict)
    rtol: float = 1e-9
    source: str = ""
    note: str = ""
    constraint: Callable | None = None   # (*grid) -> mask of sampled points where both are defined

    @property
    def equation(self) -> sp.Eq:
        return sp.Eq(self.lhs, self.rhs, evaluate=False)

    def lambdify(self) -> Callable:
        """The expression as a numpy function of ``args``."""
        return sp.lambdify(self.args, self.rhs, modules=["numpy", "scipy"])

    def latex(self) -> str:
        """``lhs = rhs`` as LaTeX."""
        return sp.latex(self.equation)

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"


_REGISTRY: dict[str, Formula] = {}


def register(f: Formula) -> Formula:
    if f.name in _REGISTRY:
        raise ValueError(f"formula {f.name!r} is already registered")
    _REGISTRY[f.name] = f
    return f


_MODULES = ("network", "roofline", "energy", "reliability", "scaling", "queueing")


def formula(name: str) -> Formula:
    """The registered formula ``name``; ``KeyError`` lists the names.

    Modules load in turn until the name is found (some derive their results
    at import, which takes a fraction of a second).
    """
    import importlib
    for module in _MODULES:
        if name in _REGISTRY:
            break
        importlib.import_module(f"{__package__}.{module}")
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown formula {name!r}; registered: {', '.join(sorted(_REGISTRY))}") from None


def formulas() -> tuple[Formula, ...]:
    """Every registered formula."""
    import importlib
    for module in _MODULES:
        importlib.import_module(f"{__package__}.{module}")
    return tuple(_REGISTRY.values())


def pointwise(fn):
    """``fn`` of scalars applied point by point to broadcast arrays (for library calls that take dataclasses).

    The numpy side of a formula whose library function takes a parameter
    set (a loss fit, an accelerator) holding scalars.
    """
    import numpy as np

    def apply(*arrays):
        cols = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in arrays))
        values = [fn(*(float(x) for x in point)) for point in zip(*(c.ravel() for c in cols))]
        return np.array(values).reshape(cols[0].shape)
    return apply


# Domains for the tests' random grids: (low, high, scale).
def positive(low=1e-6, high=1e6):
    return (low, high, "log")


def fraction(low=0.0, high=1.0):
    return (low, high, "lin")


def whole(low=1, high=64):
    return (low, high, "int")
