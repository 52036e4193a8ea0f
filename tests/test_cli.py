"""The genai-edge command: estimate, validate, catalog; exit codes and messages."""
import json
import subprocess
import sys

import pytest
from contract import run_cli

from genai_edge import cli

ESTIMATE_KEYS = ["prefill_s", "ttft_s", "tpot_s", "decode_tokens_per_s", "weights_bytes",
                 "kv_cache_bytes", "fits_in_memory", "bound"]


def test_estimate_json_has_design_keys(capsys):
    code, out, _ = run_cli(capsys, "estimate", "--model", "llama-2-7b", "--hardware", "a100-sxm4-80gb",
                       "--precision", "fp16", "--prompt-tokens", "2048", "--output-tokens", "1", "--json")
    assert code == 0
    data = json.loads(out)
    for key in ESTIMATE_KEYS:
        assert key in data
    assert data["fits_in_memory"] is True and data["bound"] in ("compute", "memory")


def test_estimate_text_output(capsys):
    code, out, _ = run_cli(capsys, "estimate", "--model", "gemma-2b", "--hardware", "snapdragon-8-gen-3",
                       "--precision", "q4_0", "--runtime", "llama.cpp")
    assert code == 0 and "token/s" in out and "fits in memory" in out


@pytest.mark.parametrize("flag, value", [("--model", "llama-2-7"), ("--hardware", "a100-80gb")])
def test_unknown_ids_exit_nonzero_with_close_matches(capsys, flag, value):
    args = {"--model": "llama-2-7b", "--hardware": "a100-sxm4-80gb", flag: value}
    code, _, err = run_cli(capsys, "estimate", *[x for kv in args.items() for x in kv])
    assert code != 0
    assert "Did you mean" in err and value in err


def test_negative_tokens_error_names_the_flag(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["estimate", "--model", "llama-2-7b", "--hardware", "a100-sxm4-80gb",
                  "--prompt-tokens", "-5"])
    assert exc.value.code != 0
    assert "--prompt-tokens" in capsys.readouterr().err


def test_model_that_does_not_fit_reports_false_and_warns(capsys):
    code, out, err = run_cli(capsys, "estimate", "--model", "llama-3.1-405b", "--hardware", "l4-24gb", "--json")
    assert code == 0
    assert json.loads(out)["fits_in_memory"] is False
    assert "warning" in err and "short by" in err


def test_validate_json_covers_all_rows(capsys):
    code, out, _ = run_cli(capsys, "validate", "--json")
    data = json.loads(out)
    assert code == 0 and len(data["cases"]) >= 64
    for case in data["cases"]:
        assert {"measured", "predicted", "error", "in_fit", "cv_predicted", "cv_error", "fold"} <= set(case)
        assert case["error"] == pytest.approx(case["predicted"] / case["measured"] - 1)
        assert case["cv_error"] == pytest.approx(case["cv_predicted"] / case["measured"] - 1)
    assert {"decode_cv_median_abs_error", "prefill_edge_cv_median_abs_error"} <= set(data["summary"])
    assert {r["device_group"] for r in data["by_device_group"]} >= {"datacenter_gpu", "edge_soc"}


def test_estimate_unknown_runtime_warns_with_the_default_factors(capsys):
    code, out, err = run_cli(capsys, "estimate", "--model", "llama-3.1-8b", "--hardware", "h100-sxm5-80gb",
                             "--runtime", "some-new-runtime", "--json")
    assert code == 0 and json.loads(out)["factors"]["runtime_family"] == "default"
    assert "warning" in err and "some-new-runtime" in err and "bandwidth efficiency" in err


def test_estimate_prompt_beyond_the_context_window_fails_naming_both_numbers(capsys):
    code, out, err = run_cli(capsys, "estimate", "--model", "llama-3-8b", "--hardware", "h100-sxm5-80gb",
                             "--prompt-tokens", "10000")
    assert code != 0 and out == ""
    assert "10127" in err and "8192" in err and len(err.strip().splitlines()) == 1


def test_estimate_kv_precision_flag(capsys):
    runs = [json.loads(run_cli(capsys, "estimate", "--model", "llama-3.1-8b", "--hardware", "h100-sxm5-80gb",
                               "--precision", "fp8", "--kv-precision", kv, "--json")[1]) for kv in ("fp16", "fp8")]
    assert runs[1]["kv_cache_bytes"] == pytest.approx(runs[0]["kv_cache_bytes"] / 2)
    assert runs[1]["kv_precision"] == "fp8"


def test_catalog_lists_sources(capsys):
    code, out, _ = run_cli(capsys, "catalog", "hardware", "--json")
    rows = json.loads(out)["hardware"]
    assert code == 0 and all(r["source"] for r in rows)
    assert {"h100-sxm5-80gb", "snapdragon-8-gen-3"} <= {r["id"] for r in rows}


def test_console_script_and_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "genai_edge", "catalog", "precisions"],
                         capture_output=True, text=True)
    assert out.returncode == 0 and "q4_k_m" in out.stdout


def test_import_is_light():
    code = ("import sys, genai_edge; heavy = [m for m in ('sympy', 'seaborn', 'matplotlib', "
            "'papermill', 'scipy') if m in sys.modules]; print(heavy); sys.exit(bool(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
