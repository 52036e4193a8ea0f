"""The closed forms as sympy expressions: stated once, derived, rendered, and solved for crossovers.

Importing ``genai_edge`` does not import sympy; this sub-package does.

- :mod:`~genai_edge.symbolic.base`: :class:`Formula` (an expression with
  the numpy function it states) and the registry, :func:`formulas`;
- :mod:`~genai_edge.symbolic.network`, :mod:`~genai_edge.symbolic.queueing`,
  :mod:`~genai_edge.symbolic.roofline`, :mod:`~genai_edge.symbolic.energy`,
  :mod:`~genai_edge.symbolic.reliability`, :mod:`~genai_edge.symbolic.scaling`:
  the closed forms of each concern and their derivations (M/M/1 sojourn,
  ridge-point batch, Young's interval, the Chinchilla optimum);
- :mod:`~genai_edge.symbolic.paradigms`: each paradigm's mean TTFT, E2E
  and energy per request, composed from the core's own tiers;
- :mod:`~genai_edge.symbolic.crossover`: the value of a scenario key at
  which two paradigms tie on a metric, in closed form where it exists;
- :mod:`~genai_edge.symbolic.render`: LaTeX for notebooks, MathML for the
  offline HTML report.
"""
from .base import Formula, formula, formulas  # noqa: F401
from .crossover import Crossover, crossover  # noqa: F401
from .paradigms import PathExpressions, paradigm_expressions  # noqa: F401
from .render import Equation, latex, mathml  # noqa: F401
