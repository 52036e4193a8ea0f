"""genai_edge: where to run generative-AI services, and what it costs.

Closed-form, numpy-vectorized models of latency, energy, carbon and
availability for cloud, multi-access edge (MEC), edge-cloud and on-device
deployment. Importing the package is light: sympy, seaborn, matplotlib and
papermill load only when their features are used.
"""
from . import (  # noqa: F401
    catalog,
    compute,
    network,
    queueing,
    units,
    validation,  # noqa: F401
)
from .paradigms import compare, evaluate  # noqa: F401
from .scenario import Scenario, ScenarioError  # noqa: F401
from .scenario import load as load_scenario  # noqa: F401
from .sweep import Uncertain, sweep  # noqa: F401

__version__ = "0.1.0"


def __getattr__(name):
    """``genai_edge.symbolic`` loads sympy on first use only."""
    if name == "symbolic":
        import importlib
        return importlib.import_module(".symbolic", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
