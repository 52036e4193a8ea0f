"""Scaling laws against their papers' published numbers, and compute-optimal sizing."""
import json

import numpy as np
import pytest
from contract import run_cli

from genai_edge import scaling

CHINCHILLA_C = 5.76e23   # Chinchilla's training budget, Hoffmann et al. 2022 Table 3 [FLOP]


def test_besiroglu_fit_reproduces_the_published_chinchilla_allocation():
    # Besiroglu et al. 2024 (arXiv:2404.10102): the refit implies N_opt ~ 72.2e9
    # and D_opt ~ 1.33e12 at Chinchilla's budget (about 20 tokens per parameter).
    opt = scaling.compute_optimal(CHINCHILLA_C, "besiroglu2024")
    assert opt.n_params == pytest.approx(72.2e9, rel=0.02)
    assert opt.n_tokens == pytest.approx(1.33e12, rel=0.02)
    assert 6 * opt.n_params * opt.n_tokens == pytest.approx(CHINCHILLA_C, rel=1e-9)


def test_rounded_hoffmann_constants_do_not_give_twenty_tokens_per_parameter():
    # Besiroglu et al. 2024 Section 3: Hoffmann's rounded Eq. 10 constants imply
    # ~93 tokens per parameter at 5.76e23 FLOP, inconsistent with the paper's ~20.
    opt = scaling.compute_optimal(CHINCHILLA_C, "hoffmann2022")
    assert opt.tokens_per_param == pytest.approx(93, rel=0.03)
    assert "93 tokens per parameter" in scaling.get_fit("hoffmann2022").source


def test_kaplan_loss_of_a_billion_parameters():
    # Kaplan et al. 2020 Eq. 1.1: L(N) = (8.8e13 / N)^0.076 -> 2.376 at N = 1e9.
    assert scaling.kaplan_loss_params(1e9) == pytest.approx(2.376, rel=1e-3)


def test_kaplan_joint_law_tends_to_the_single_variable_laws():
    n = np.array([1e8, 1e9, 1e10])
    assert np.allclose(scaling.kaplan_loss(n, 1e30), scaling.kaplan_loss_params(n), rtol=1e-6)
    assert scaling.kaplan_loss(1e30, 1e10) == pytest.approx(scaling.kaplan_loss_data(1e10), rel=1e-6)
    assert scaling.kaplan_loss_compute(1e21) > scaling.kaplan_loss_compute(1e23)


def test_chinchilla_loss_is_e_plus_the_two_terms():
    f = scaling.get_fit("hoffmann2022")
    assert scaling.loss(70e9, 1.4e12, f) == pytest.approx(
        1.69 + 406.4 / 70e9 ** 0.34 + 410.7 / 1.4e12 ** 0.28, rel=1e-12)


def test_optimum_is_the_minimum_of_loss_along_the_budget():
    # Independent brute force: scan N at fixed C = 6·N·D.
    for name in ("hoffmann2022", "besiroglu2024"):
        n = np.logspace(9, 12, 20001)
        losses = scaling.loss(n, CHINCHILLA_C / (6 * n), name)
        opt = scaling.compute_optimal(CHINCHILLA_C, name)
        assert opt.n_params == pytest.approx(n[np.argmin(losses)], rel=1e-3)
        assert opt.loss == pytest.approx(losses.min(), abs=1e-9)


def test_budget_for_a_loss_inverts_the_optimum():
    c = np.logspace(20, 27, 8)
    for name in ("hoffmann2022", "besiroglu2024"):
        reached = scaling.compute_optimal(c, name).loss
        assert np.allclose(scaling.compute_for_loss(reached, name), c, rtol=1e-9)
    assert scaling.compute_for_loss(1.5, "hoffmann2022") == np.inf   # below E = 1.69


def test_llama3_tokens_law_as_printed():
    # Llama 3 (arXiv:2407.21783) Sec. 3.2.1: D*(C) = 0.29 C^0.53 tokens.
    opt = scaling.compute_optimal(3.8e25, "llama3")
    assert opt.n_tokens == pytest.approx(0.29 * 3.8e25 ** 0.53, rel=1e-12)
    assert np.isnan(opt.loss)
    assert scaling.optimal_tokens_for_params(opt.n_params, "llama3") == pytest.approx(opt.n_tokens, rel=1e-9)


def test_optimal_tokens_for_params_matches_compute_optimal():
    opt = scaling.compute_optimal(np.array([1e21, 1e24]), "besiroglu2024")
    assert np.allclose(scaling.optimal_tokens_for_params(opt.n_params), opt.n_tokens, rtol=1e-9)


def test_inference_aware_optimum_without_inference_is_chinchilla():
    target = scaling.compute_optimal(CHINCHILLA_C).loss
    ia = scaling.inference_aware_optimal(target, 0.0)
    assert ia.n_params == pytest.approx(72.2e9, rel=0.02)
    assert ia.training_flops == pytest.approx(CHINCHILLA_C, rel=1e-9)


def test_inference_aware_optimum_matches_a_brute_force_search():
    # Sardana et al. 2024: minimise 6ND + 2N·T subject to L(N, D) = target.
    f = scaling.get_fit("besiroglu2024")
    target, t_inf = 2.0, 1e13
    n = np.logspace(9.5, 12, 200001)
    r = target - f.E - f.A / n ** f.alpha
    ok = r > 0
    d = (f.B / r[ok]) ** (1 / f.beta)
    total = 6 * n[ok] * d + 2 * n[ok] * t_inf
    ia = scaling.inference_aware_optimal(target, t_inf)
    assert ia.n_params == pytest.approx(n[ok][np.argmin(total)], rel=2e-3)
    assert ia.total_flops == pytest.approx(total.min(), rel=1e-6)
    assert scaling.loss(ia.n_params, ia.n_tokens) == pytest.approx(target, abs=1e-9)
    more = scaling.inference_aware_optimal(target, np.array([1e12, 1e13, 1e14]))
    assert np.all(np.diff(more.n_params) < 0) and np.all(np.diff(more.n_tokens) > 0)


def test_flop_counts():
    assert scaling.training_flops(7e9, 2e12) == 6 * 7e9 * 2e12
    assert scaling.inference_flops_per_token(7e9) == 2 * 7e9
    assert scaling.inference_flops_per_token(7e9, 32, 4096, 4096) > 2 * 7e9


@pytest.mark.parametrize("call, names", [
    (lambda: scaling.compute_optimal(-1.0), "compute"),
    (lambda: scaling.loss(0.0, 1e12), "n_params"),
    (lambda: scaling.loss(-5e9, 1e12), "n_params"),
    (lambda: scaling.compute_optimal(1e24, "gpt4"), "hoffmann2022, besiroglu2024, llama3"),
    (lambda: scaling.compute_for_loss(2.0, "llama3"), "hoffmann2022, besiroglu2024"),
    (lambda: scaling.LossFit("x", 1.0, -1.0, 1.0, 0.3, 0.3), "A"),
])
def test_bad_arguments_raise_naming_them(call, names):
    with pytest.raises(ValueError, match=names):
        call()


def test_cli_optimal_json(capsys):
    code, out, _ = run_cli(capsys, "scaling", "optimal", "--compute", "5.76e23", "--fit",
                       "besiroglu2024", "--json")
    d = json.loads(out)
    assert code == 0 and d["n_params"] == pytest.approx(72.2e9, rel=0.02)
    assert {"n_params", "n_tokens", "tokens_per_param", "loss"} <= set(d)


def test_cli_optimal_user_constants_and_tokens_law(capsys):
    code, out, _ = run_cli(capsys, "scaling", "optimal", "--compute", "5.76e23", "--constants",
                       "1.69,406.4,410.7,0.34,0.28", "--json")
    assert code == 0 and json.loads(out)["tokens_per_param"] == pytest.approx(93, rel=0.03)
    code, out, _ = run_cli(capsys, "scaling", "optimal", "--compute", "1e24", "--fit", "llama3", "--json")
    assert code == 0 and json.loads(out)["loss"] is None


@pytest.mark.parametrize("argv, text", [
    (["--compute", "-1"], "--compute: '-1' is out of range; allowed: a number in (0, 1e+35]"),
    (["--compute", "1e24", "--fit", "nope"], "hoffmann2022, besiroglu2024, llama3"),
    (["--compute", "1e24", "--constants", "1,2"], "E,A,B,alpha,beta"),
])
def test_cli_optimal_errors_are_one_line(capsys, argv, text):
    code, out, err = run_cli(capsys, "scaling", "optimal", *argv)
    assert code == 2 and text in err and err.count("\n") == 1 and "Traceback" not in err
