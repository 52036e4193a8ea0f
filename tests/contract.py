"""Checks shared by the tests: call tables of the vectorised model modules, the CLI."""
import math

import numpy as np

#: chatbot served edge-cloud with overflow on a loss network small enough for
#: an exact Markov chain and a short simulation: five MEC sites of 4 slots
#: overflowing to one cloud site of 4 slots.
FIVE_SITE_OVERFLOW = {
    "edge_cloud.strategy": "overflow",
    "workload.users": 1400,
    "workload.rate_per_user_per_h": 6,
    "mec.sites": 5,
    "mec.replicas": 1,
    "mec.batch": 4,
    "cloud.sites": 1,
    "cloud.replicas": 1,
    "cloud.batch": 4,
}


def five_site_overflow():
    """(scenario, edge-cloud result, MEC site, cloud site) of :data:`FIVE_SITE_OVERFLOW`."""
    from genai_edge import paradigms
    from genai_edge.scenario import load
    scn = load("chatbot").replace(**FIVE_SITE_OVERFLOW)
    res = paradigms.evaluate(scn)["edge_cloud"]
    mec, cloud = res.sites
    assert (mec.site, cloud.site) == ("mec", "cloud")
    return scn, res, mec, cloud


def assert_scalar_in_float_out(func, kwargs) -> float:
    """Scalar arguments give a finite Python float; returns it."""
    out = func(**kwargs)
    assert type(out) is float and math.isfinite(out)
    return out


def assert_each_argument_accepts_arrays(func, kwargs) -> None:
    """Each argument given as a length-3 array gives a length-3 array of the scalar result."""
    scalar = func(**kwargs)
    for name, value in kwargs.items():
        arr = func(**{**kwargs, name: np.array([value, value, value])})
        assert isinstance(arr, np.ndarray) and arr.shape == (3,)
        np.testing.assert_allclose(arr, scalar, rtol=1e-12)


def run_cli(capsys, *argv):
    """``genai-edge argv``: (exit code, stdout, stderr); usage errors exit through argparse."""
    from genai_edge import cli
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err
