"""Every docstring example of the package runs and prints what it says."""
import doctest
import importlib
import pkgutil

import pytest

import genai_edge

MODULES = sorted(m.name for m in pkgutil.walk_packages(genai_edge.__path__, "genai_edge.")
                 if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_examples_exist():
    finder = doctest.DocTestFinder()
    examples = sum(len(t.examples) for n in MODULES for t in finder.find(importlib.import_module(n)))
    assert examples >= 25
