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


FORMULA_POINTS = 200


def formula_grid(f, seed: int):
    """FORMULA_POINTS random points of a Formula's domain (log-uniform, uniform or whole), cut to its constraint."""
    rng = np.random.default_rng(seed)
    cols = []
    for sym in f.args:
        low, high, scale = f.domain[sym]
        if scale == "log":
            cols.append(np.exp(rng.uniform(np.log(low), np.log(high), FORMULA_POINTS)))
        elif scale == "lin":
            cols.append(rng.uniform(low, high, FORMULA_POINTS))
        elif scale == "int":
            cols.append(rng.integers(low, high, FORMULA_POINTS, endpoint=True).astype(float))
        else:
            raise AssertionError(f"{f.name}: unknown scale {scale!r}")
    if f.constraint is not None:
        keep = np.asarray(f.constraint(*cols), dtype=bool)
        cols = [col[keep] for col in cols]
    return cols


def formula_values(f, grid):
    """A Formula's lambdified expression on a grid; a sum up to a symbolic bound point by point, bounds whole."""
    import sympy as sp
    fn = f.lambdify()
    if f.rhs.has(sp.Sum):
        whole = [f.domain[sym][2] == "int" for sym in f.args]
        return np.array([float(fn(*(int(x) if w else float(x) for x, w in zip(point, whole))))
                         for point in zip(*grid)])
    with np.errstate(all="ignore"):
        got = np.asarray(fn(*grid), dtype=complex if f.rhs.has(sp.LambertW) else float)
    if np.iscomplexobj(got):
        assert np.all(got.imag == 0), f"{f.name}: complex values"
        got = got.real
    return np.broadcast_to(got, grid[0].shape)
