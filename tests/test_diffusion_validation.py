"""Image generation: the diffusion model against published time-per-image rows.

The rows are in ``data/diffusion_validation.csv``; each covered row is
predicted by the shipped fit and by a fit without its source's table for
that device (cross-validated). The bar here, 30 %, is looser than the LLM
bars: pipelines differ in what they time (text encoder, VAE, host code) and
the rows come from seven benchmark tables of different software versions.
"""
import math

import numpy as np
import pytest

from genai_edge import catalog, compute, paradigms, validation
from genai_edge.scenario import load


@pytest.fixture(scope="module")
def table():
    return validation.diffusion_table()


def test_covered_rows_span_datacenter_consumer_apple_and_phones(table):
    cov = table[table.covered]
    assert len(cov) >= 15
    assert set(cov.device_group) >= {"datacenter_gpu", "consumer_gpu", "laptop_desktop_soc", "phone_soc"}
    assert set(cov.quantity) == set(validation.DIFFUSION_QUANTITIES)


def test_uncovered_rows_say_why(table):
    rest = table[~table.covered]
    assert (rest.why_not.str.len() > 0).all()
    assert rest.predicted.isna().all()
    # "under 15 seconds" is not a measurement
    assert "upper bound" in rest.set_index("case_id").loc["d23", "why_not"]


def test_fit_has_fewer_free_parameters_than_rows_and_no_family_fitted_on_few_rows():
    cases = [c for c in validation.diffusion_cases() if c["covered"]]
    n = validation.diffusion_free_parameters(cases)
    assert n < len(cases) / 3
    for f in ("diffusers", "tensorrt", "default"):
        fitted_on = compute.diffusion_factors(f).fitted_on.split()
        assert len(fitted_on) >= validation.DIFFUSION_MIN_ROWS, f
    # coreml and qnn have fewer rows: they share the default step overhead
    assert compute.diffusion_factors("coreml") == compute.diffusion_factors("default")
    assert compute.diffusion_factors("qnn") == compute.diffusion_factors("default")


def test_cross_validated_error_is_within_the_bar(table):
    s = validation.diffusion_summary(table)
    assert s["cv_median_abs_error"] <= 0.30
    cov = table[table.covered]
    # every cross-validated prediction comes from a different fit than the shipped one
    assert (np.abs(cov.cv_predicted / cov.predicted - 1) > 1e-6).all()
    assert s["cv_median_abs_error"] >= s["in_fit_median_abs_error"]


def test_diffusion_time_is_the_stated_formula():
    # 50 steps of 2 x 677.4 GFLOP, a 2.48 TFLOP decoder, 312 TFLOP/s at 50 %,
    # 19.5 TFLOP/s vector units with 0.3 FLOP-equivalents each, 10 ms per step
    f_step, f_dec = 2 * 677.4e9, 2.48e12
    g = lambda f: f / (312e12 * 0.5) + 0.3 * f / 19.5e12  # noqa: E731
    expected = 50 * (g(f_step) + 0.010) + g(f_dec)
    got = compute.diffusion_time(50, f_step, f_dec, 312e12, 0.5, 19.5e12, 0.3, 0.010)
    assert got == pytest.approx(expected, rel=1e-12)
    both = compute.diffusion_time(np.array([25, 50]), f_step, f_dec, 312e12, 0.5, 19.5e12, 0.3, 0.010)
    assert both[1] - both[0] == pytest.approx(25 * (g(f_step) + 0.010), rel=1e-12)
    with pytest.raises(ValueError, match="step_overhead"):
        compute.diffusion_time(50, f_step, f_dec, 312e12, step_overhead=-1.0)


def test_guidance_doubles_the_matrix_work_of_a_step():
    f = compute.DiffusionFactors("x", 0.5, 0.0, 0.0, "", "")
    one = lambda g: (compute.diffusion_estimate("sd-1.5", "a100-sxm4-80gb", "fp16", "default", 1, 1,  # noqa: E731
                                                guidance=g, factors=f)
                     - compute.diffusion_estimate("sd-1.5", "a100-sxm4-80gb", "fp16", "default", 1, 0,
                                                  guidance=g, factors=f))
    assert one(True) == pytest.approx(2 * one(False), rel=1e-12)
    assert one(False) == pytest.approx(2 * 338.7e9 / (312e12 * 0.5), rel=1e-12)


def test_npu_runtime_uses_the_npu_peak():
    f = compute.DiffusionFactors("x", 1.0, 0.0, 0.0, "", "")
    hw = catalog.hardware("snapdragon-8-gen-3")
    t = compute.diffusion_estimate("sd-1.5", hw.id, "int8", "qnn", 1, 1, guidance=False, factors=f) \
        - compute.diffusion_estimate("sd-1.5", hw.id, "int8", "qnn", 1, 0, guidance=False, factors=f)
    assert t == pytest.approx(2 * 338.7e9 / hw.peak_npu, rel=1e-12)


def test_text_to_image_service_time_is_the_calibrated_diffusion_estimate():
    scn = load("text_to_image")
    res = paradigms.evaluate(scn)
    mec = next(s for s in res["mec"].sites if s.site == "mec")
    t = compute.diffusion_estimate(scn.mec.model, scn.mec.hardware, scn.mec.precision, scn.mec.runtime,
                                   scn.mec.devices, scn.workload.diffusion_steps)
    assert math.isclose(mec.service_time, float(t), rel_tol=1e-12)
