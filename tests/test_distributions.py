"""Closed-form laws of a path's random parts against Monte Carlo samples (numpy's generator, not our code)."""
from __future__ import annotations

import numpy as np
import pytest

from genai_edge import distributions as D

N = 400_000


def _sample_answer(rng, shift, probs, means, n):
    pick = rng.random(n) < probs[0]
    second = rng.exponential(means[1], n) if probs.shape[-1] > 1 else 0.0
    y = shift + np.where(pick, rng.exponential(means[0], n), second)
    return np.where(probs.sum() > 0, y, shift)


@pytest.mark.parametrize("cv", [0.0, 0.5, 0.77, 1.0, 1.6])
def test_answer_length_law_matches_mean_and_spread(cv):
    shift, probs, means = D.answer_length_law(250, cv)
    n_tokens = 1 + _sample_answer(np.random.default_rng(1), shift, probs, means, N)
    assert n_tokens.mean() == pytest.approx(250, rel=0.01)
    assert n_tokens.std() / n_tokens.mean() == pytest.approx(cv, abs=0.01 + 0.02 * cv)


@pytest.mark.parametrize("cv", [0.0, 0.77, 1.6])
def test_joint_cdf_and_quantile_against_samples(cv):
    rng = np.random.default_rng(2)
    shift, probs, means = D.answer_length_law(250, cv)
    tau = 0.02
    answer = D.AnswerTime(np.asarray(shift * tau), probs, 1.0 / (means * tau))
    wait = D.Wait.single(0.4, 2.0)
    w = np.where(rng.random(N) < 0.4, rng.exponential(0.5, N), 0.0)
    x = _sample_answer(rng, shift, probs, means, N) * tau
    for u, v in [(0.3, 4.0), (np.inf, 5.0), (0.5, np.inf), (np.inf, 8.0), (1.0, 6.0),
                 (-0.1, np.inf), (-0.1, 6.0), (0.0, np.inf)]:
        p = np.mean((w <= u) & (w + x <= v))
        se = np.sqrt(p * (1 - p) / N) + 1e-9
        assert float(D.joint_cdf(wait, answer, u, v)) == pytest.approx(p, abs=5 * se)
    q = float(D.mixture_quantile([(1.0, 0.1, wait, answer)], 0.99, False))
    assert np.mean(0.1 + w + x > q) == pytest.approx(0.01, abs=5 * np.sqrt(0.01 * 0.99 / N))


def test_no_probability_below_a_paths_fixed_delay():
    """A path without queueing: its time to first token is its fixed delay, so P(TTFT > t) = 1 below it."""
    answer = D.AnswerTime(np.asarray(0.5), np.array([1.0]), np.array([4.0]))
    for wait in (D.Wait.single(0.0, 1.0), D.Wait.single(0.3, 2.0)):
        assert float(D.joint_cdf(wait, answer, -1e-9, np.inf)) == 0.0
        assert float(D.joint_cdf(wait, answer, -1e-9, 10.0)) == 0.0


def test_mixture_quantile_of_two_paths_against_samples():
    rng = np.random.default_rng(3)
    shift, probs, means = D.answer_length_law(250, 1.2)
    tau = 0.02
    answer = D.AnswerTime(np.asarray(shift * tau), probs, 1.0 / (means * tau))
    paths = [(0.6, np.array([0.05, 0.2]), D.Wait.single(0.3, 5.0), answer),
             (0.4, np.array([0.1, 0.08]), D.Wait.single(0.05, 1.0), answer)]
    for first_token in (True, False):
        q = D.mixture_quantile(paths, 0.99, first_token)
        for k in range(2):
            pick = rng.random(N) < 0.6
            wa = np.where(rng.random(N) < 0.3, rng.exponential(0.2, N), 0.0)
            wb = np.where(rng.random(N) < 0.05, rng.exponential(1.0, N), 0.0)
            t = np.where(pick, paths[0][1][k] + wa, paths[1][1][k] + wb)
            if not first_token:
                t = t + _sample_answer(rng, shift, probs, means, N) * tau
            assert np.mean(t > q[k]) == pytest.approx(0.01, abs=5 * np.sqrt(0.01 * 0.99 / N))


def test_unstable_paths_give_infinite_quantiles_unless_lighter_than_the_tail():
    answer = D.AnswerTime(np.asarray(1.0), np.array([[1.0]]), np.array([[1.0]]))
    unstable = D.Wait(np.array([1.0]), np.array([0.0]))
    ok = D.Wait.single(0.1, 3.0)
    assert np.isinf(D.mixture_quantile([(0.5, 0.0, unstable, answer), (0.5, 0.0, ok, answer)], 0.99, True))
    light = D.mixture_quantile([(0.005, 0.0, unstable, answer), (0.995, 0.0, ok, answer)], 0.99, True)
    assert np.isfinite(light)
    # P(T > t) = 0.005 + 0.995 * 0.1 exp(-3 t) = 0.01  =>  t = ln(0.0995 / 0.005) / 3
    assert float(light) == pytest.approx(np.log(0.0995 / 0.005) / 3, rel=1e-9)
