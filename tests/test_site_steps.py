"""Per-site diffusion steps: a distilled on-device model runs its own step count."""
import numpy as np
import pytest

import genai_edge as ge
from genai_edge import compute, paradigms, scenario


def _e2e(scn):
    return {k: r.metrics["e2e_s"] for k, r in paradigms.evaluate(scn).items()}


def test_on_device_uses_the_devices_own_steps():
    scn = scenario.load("text_to_image")
    d = scn.device
    assert (d.model, d.diffusion_steps, scn.workload.diffusion_steps) == ("sd-turbo", 1, 25)
    one = _e2e(scn)
    shared = _e2e(scn.replace(**{"device.diffusion_steps": 0}))   # 0: the workload's 25 steps
    # expected from the compute time alone: a fixed part plus one U-Net pass per step
    t1, t2 = (compute.diffusion_estimate(d.model, d.hardware, d.precision, d.runtime, d.devices, s) for s in (1, 2))
    per_step = t2 - t1
    assert per_step > 0
    assert one["on_device"] == pytest.approx(t1 * d.compute_scale, rel=1e-9)
    assert shared["on_device"] - one["on_device"] == pytest.approx(24 * per_step * d.compute_scale, rel=1e-9)
    assert one["on_device"] < shared["on_device"] / 5
    for k in ("cloud", "mec", "edge_cloud"):       # the servers keep the workload's steps
        assert one[k] == pytest.approx(shared[k], rel=1e-12)


def test_site_steps_sweep_like_any_key():
    grid = ge.sweep("text_to_image", {"device.diffusion_steps": [1, 4]})
    dev = grid[grid.paradigm == "on_device"].sort_values("device.diffusion_steps")
    scn = scenario.load("text_to_image")
    d = scn.device
    t = [compute.diffusion_estimate(d.model, d.hardware, d.precision, d.runtime, 1, s) for s in (1, 4)]
    assert np.allclose(dev.e2e_s.to_numpy(), t, rtol=1e-9)


def test_site_steps_range():
    with pytest.raises(scenario.ScenarioError, match=r"device.diffusion_steps.*allowed \[0, 1,000\]"):
        scenario.load("text_to_image", {"device.diffusion_steps": 1001})
