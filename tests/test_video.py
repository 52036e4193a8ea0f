"""Video generation: diffusion transformers against published times per clip.

The video rows of ``data/diffusion_validation.csv`` (quantity ``video_s``)
are predicted with their transformer denoisers timed at the compute
efficiency of the LLM calibration: they are out of sample, and no constant
is fitted to them. The tests check that the rows are held out of every fit,
that the catalog's work per evaluation is the architecture's, that the
published times do not beat the hardware's peak, and the accuracy reached.
"""
import math

import numpy as np
import pytest

from genai_edge import catalog, compute, paradigms, power, validation
from genai_edge.scenario import load

VIDEO_MODELS = ("cogvideox-2b", "cogvideox-5b", "wan2.1-t2v-1.3b", "hunyuanvideo")


@pytest.fixture(scope="module")
def table():
    return validation.video_table()


def _tokens(frames, height, width, t_stride=4, s_stride=8, patch=2):
    """Latent tokens of a clip: causal 3D VAE (first frame kept) then a spatial patch."""
    return ((frames - 1) // t_stride + 1) * (height // s_stride // patch) * (width // s_stride // patch)


def _joint_dit_macs(layers, d, video_tokens, text_tokens):
    """MMDiT-style block: 12 d^2 weights per token, full attention over text+video."""
    t = video_tokens + text_tokens
    return 12 * d * d * layers * t + 2 * layers * t * t * d


# Architecture numbers: CogVideoX SAT configs (sat/configs/cogvideox_{2b,5b}.yaml), Wan2.1
# wan/configs/wan_t2v_1_3B.py, HunyuanVideo hyvideo/modules/models.py (URLs in each catalog row).
def _cogvideox_2b():
    return _joint_dit_macs(30, 1920, _tokens(49, 480, 720), 226)


def _cogvideox_5b():
    return _joint_dit_macs(42, 3072, _tokens(49, 480, 720), 226)


def _hunyuanvideo():
    return _joint_dit_macs(20 + 40, 3072, _tokens(129, 720, 1280), 256)


def _wan_1_3b():
    layers, d, ffn, text = 30, 1536, 8960, 512
    tv = _tokens(81, 480, 832)
    linear = layers * tv * (6 * d * d + 2 * d * ffn) + layers * text * 2 * d * d
    attention = 2 * layers * tv * tv * d + 2 * layers * tv * text * d
    return linear + attention


def test_latent_token_counts_match_the_published_sequence_lengths():
    # CogVideoX: 13 latent frames of 30x45 patches; Wan2.1 480P: seq_len 32760; HunyuanVideo 720p: 33x45x80
    assert _tokens(49, 480, 720) == 13 * 30 * 45 == 17550
    assert _tokens(81, 480, 832) == 32760
    assert _tokens(129, 720, 1280) == 118800


@pytest.mark.parametrize("model_id, macs", [
    ("cogvideox-2b", _cogvideox_2b), ("cogvideox-5b", _cogvideox_5b),
    ("wan2.1-t2v-1.3b", _wan_1_3b), ("hunyuanvideo", _hunyuanvideo)])
def test_work_per_evaluation_is_the_architecture_count(model_id, macs):
    dm = catalog.diffusion_model(model_id)
    # the catalog stores whole GMACs: rounding is below 1e-5 relative
    assert dm.flops_per_eval == pytest.approx(2 * macs(), rel=1e-5)


def test_guidance_distilled_model_runs_one_evaluation_per_step():
    assert catalog.diffusion_model("hunyuanvideo").evals_per_step == 1
    for m in ("cogvideox-2b", "cogvideox-5b", "wan2.1-t2v-1.3b"):
        assert catalog.diffusion_model(m).evals_per_step == 2
    row = next(c for c in validation.video_cases() if c["model"] == "hunyuanvideo")
    assert row["guidance"] is False


def test_video_rows_are_loaded_with_their_sources():
    rows = validation.video_cases()
    assert len(rows) >= 6
    assert {r["model"] for r in rows} == set(VIDEO_MODELS)
    assert len({r["hardware"] for r in rows}) >= 3
    for r in rows:
        assert (r["quantity"], r["unit"]) in {("video_s", "s"), ("video_j", "J")}, r["case_id"]
        assert r["source"].startswith("https://github.com/") and r["quote"].strip(), r["case_id"]
        assert r["covered"], (r["case_id"], r["why_not"])
        # the resolution of the measurement is the one the catalog's work is for
        assert f"{r['width']}x{r['height']}" in catalog.diffusion_model(r["model"]).name


def test_video_rows_are_held_out_of_the_image_fit():
    video_ids = {r["case_id"] for r in validation.video_cases()}
    image = validation.diffusion_cases()
    assert not video_ids & {c["case_id"] for c in image}
    assert {c["quantity"] for c in image} <= set(validation.DIFFUSION_QUANTITIES)
    for row in catalog.read_csv("diffusion_calibration.csv"):
        assert not video_ids & set(row["fitted_on"].split())


def test_refit_with_the_video_rows_present_gives_the_shipped_calibration():
    fit = validation.fit_diffusion([c for c in validation.diffusion_cases() if c["covered"]])
    for row in catalog.read_csv("diffusion_calibration.csv"):
        f = fit[row["runtime_family"]]
        # the file keeps six significant digits
        assert f.compute_efficiency == pytest.approx(float(row["compute_efficiency"]), rel=1e-5)
        assert f.vector_work == pytest.approx(float(row["vector_work"]), rel=1e-5)
        assert f.step_overhead == pytest.approx(float(row["step_overhead_s"]), rel=1e-5, abs=1e-12)
        assert f.fitted_on == row["fitted_on"]


def test_predicted_vs_measured_errors_are_finite_and_listed(table, capsys):
    assert table.covered.all()
    assert np.isfinite(table.predicted).all() and np.isfinite(table.error).all()
    np.testing.assert_allclose(table.error, table.predicted / table.measured - 1, rtol=1e-12)
    s = validation.video_summary(table)
    assert s["rows"] == s["covered_rows"] == len(table)
    assert s["free_parameters"] == 0
    assert s["median_abs_error"] == pytest.approx(float(np.median(np.abs(table.error))), rel=1e-12)
    with capsys.disabled():
        print()
        print(table[["case_id", "model", "hardware", "measured", "predicted", "error",
                     "achieved_fraction"]].to_string(index=False))


def test_published_times_do_not_beat_the_matrix_peak(table):
    # the clip's denoiser and decoder work at 100 % of the tensor-core peak is a floor
    assert ((table.achieved_fraction > 0) & (table.achieved_fraction < 1)).all()
    # CogVideoX-5B on an H100: 50 steps x 2 evaluations x 166,088 GMAC + a 160,207 GMAC decoder, 989 TFLOP/s
    row = table.set_index("case_id").loc["v04"]
    floor = (50 * 2 * 2 * 166088e9 + 2 * 160207e9) / 989e12
    assert row.peak_bound_s == pytest.approx(floor, rel=1e-5)


def test_prediction_is_the_llm_calibrated_transformer_formula():
    # HunyuanVideo on an H100 (one evaluation per step, bf16 peak 989 TFLOP/s): the denoiser and the
    # decoder at the LLM prefill efficiency of data-centre GPUs, no vector work, plus the diffusers step overhead
    llm = {(r["runtime_family"], r["device_group"]): r for r in catalog.read_csv("calibration.csv")}
    eta = float(llm[("default", "datacenter_gpu")]["compute_efficiency"])
    images = {r["runtime_family"]: r for r in catalog.read_csv("diffusion_calibration.csv")}
    t_o = float(images["diffusers"]["step_overhead_s"])
    expected = 50 * (2 * 6034184e9 / (989e12 * eta) + t_o) + 2 * 1124719e9 / (989e12 * eta)
    case = next(c for c in validation.video_cases() if c["case_id"] == "v06")
    assert validation.video_predict(case) == pytest.approx(expected, rel=1e-6)


def test_unet_models_keep_the_image_fit():
    rt = "diffusers-pytorch"
    own = compute.diffusion_estimate("sd-1.5", "a100-sxm4-80gb", "fp16", rt, steps=50)
    fitted = compute.diffusion_estimate("sd-1.5", "a100-sxm4-80gb", "fp16", rt, steps=50,
                                        factors=compute.diffusion_factors(rt))
    assert own == fitted
    assert catalog.diffusion_model("sd-1.5").denoiser == "unet"
    assert {catalog.diffusion_model(m).denoiser for m in VIDEO_MODELS} == {"transformer"}


def test_out_of_sample_clip_times_are_within_a_quarter_at_the_median(table):
    # no video row enters a fit, so this is the accuracy a new clip can expect
    assert table.error.abs().median() <= 0.25


@pytest.fixture(scope="module")
def energy():
    return validation.video_energy_table()


def test_video_energy_rows_split_into_time_and_power(energy):
    assert len(energy) >= 6 and energy.covered.all()
    np.testing.assert_allclose(energy.error, energy.predicted / energy.measured - 1, rtol=1e-12)
    np.testing.assert_allclose(1 + energy.error, (1 + energy.time_error) * (1 + energy.power_error), rtol=1e-9)
    # ML.ENERGY's own average power of CogVideoX-2B on one H100 (the row's quote): energy / latency
    row = energy.set_index("case_id").loc["me02"]
    assert row.measured_power_w == pytest.approx(665.0776, rel=1e-5)


def test_video_energy_draws_full_load_power(energy):
    # a diffusion transformer draws the accelerator's full-load power while it denoises:
    # H100 700 W, B200 1000 W (power_max_w in hardware.csv), so energy = power_max x predicted time
    power_max = {"h100-sxm5-80gb": 700.0, "b200-180gb": 1000.0}
    for row in energy.itertuples():
        assert row.predicted_power_w == pytest.approx(power_max[row.hardware], rel=1e-12), row.case_id
        case = next(c for c in validation.video_cases() if c["case_id"] == row.case_id)
        assert row.predicted == pytest.approx(power_max[row.hardware] * validation.video_predict(case), rel=1e-12)


def test_unet_images_keep_the_power_law():
    # an SD 1.5 image on an A100: the power law at the U-Net's compute share, below full load
    hw = catalog.hardware("a100-sxm4-80gb")
    e = power.diffusion_energy("sd-1.5", "a100-sxm4-80gb", "fp16", "diffusers-pytorch", 1, 50)
    t = compute.diffusion_estimate("sd-1.5", "a100-sxm4-80gb", "fp16", "diffusers-pytorch", 1, 50)
    assert hw.power_idle * t < e < hw.power_max * t


def test_video_scenario_loads_and_every_paradigm_evaluates():
    scn = load("video_generation")
    assert scn.workload.kind == "video"
    res = paradigms.evaluate(scn)
    assert set(res) == {"cloud", "mec", "edge_cloud", "on_device"}
    for name, r in res.items():
        assert math.isfinite(r.metrics["e2e_s"]) and r.metrics["e2e_s"] > 0, name
        assert math.isfinite(r.metrics["energy_per_request_j"]), name
    cloud = next(s for s in res["cloud"].sites if s.site == "cloud")
    t = compute.diffusion_estimate(scn.cloud.model, scn.cloud.hardware, scn.cloud.precision, scn.cloud.runtime,
                                   scn.cloud.devices, scn.workload.diffusion_steps)
    assert math.isclose(cloud.service_time, float(t), rel_tol=1e-12)
    # the downloaded clip is the catalog's clip of the cloud and MEC models
    assert scn.workload.response_bytes == catalog.diffusion_model(scn.cloud.model).image_bytes
    assert scn.workload.response_bytes == catalog.diffusion_model(scn.mec.model).image_bytes


def test_video_and_image_kinds_take_their_own_models():
    from genai_edge.scenario import ScenarioError
    assert set(catalog.diffusion_model_ids("video")) == {"cogvideox-2b", "cogvideox-5b", "wan2.1-t2v-1.3b",
                                                         "hunyuanvideo"}
    assert "sd-1.5" in catalog.diffusion_model_ids("image")
    with pytest.raises(ScenarioError, match="sd-1.5 generates images; allowed: cogvideox-2b"):
        paradigms.evaluate(load("video_generation").replace(**{"cloud.model": "sd-1.5"}))
    with pytest.raises(ScenarioError, match="cogvideox-2b generates videos; allowed: sd-1.4"):
        paradigms.evaluate(load("text_to_image").replace(**{"mec.model": "cogvideox-2b"}))
