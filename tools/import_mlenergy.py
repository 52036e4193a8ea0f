"""Write ``genai_edge/data/energy_validation.csv`` from an ML.ENERGY Leaderboard checkout.

Usage: ``python tools/import_mlenergy.py PATH_TO_LEADERBOARD_GIT_DIR [COMMIT]``

Reads ``public/data/models/*__{lm-arena-chat,gpqa}.json`` of the leaderboard
repository (github.com/ml-energy/leaderboard, v3 data: vLLM, steady-state GPU
energy from NVML) and writes one row per measured configuration whose model
is in the catalog. The rows are GPU energy only (the accelerator boundary).
Run once by hand; the CSV is committed with its source on every row.
"""
from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "genai_edge" / "data" / "energy_validation.csv"
MODELS = {   # Hugging Face id -> catalog id
    "meta-llama/Llama-3.1-8B-Instruct": "llama-3.1-8b", "meta-llama/Llama-3.1-70B-Instruct": "llama-3.1-70b",
    "meta-llama/Llama-3.3-70B-Instruct": "llama-3.3-70b", "meta-llama/Llama-3.1-405B-Instruct": "llama-3.1-405b",
    "meta-llama/Llama-3.1-405B-Instruct-FP8": "llama-3.1-405b",
    "Qwen/Qwen3-8B": "qwen3-8b", "Qwen/Qwen3-14B": "qwen3-14b", "Qwen/Qwen3-32B": "qwen3-32b",
    "Qwen/Qwen3-30B-A3B-Instruct-2507": "qwen3-30b-a3b", "Qwen/Qwen3-30B-A3B-Thinking-2507": "qwen3-30b-a3b",
    "google/gemma-3-27b-it": "gemma-3-27b", "google/gemma-3-12b-it": "gemma-3-12b",
    "openai/gpt-oss-20b": "gpt-oss-20b", "openai/gpt-oss-120b": "gpt-oss-120b",
    "meta-llama/Llama-4-Scout-17B-16E-Instruct": "llama-4-scout",
    "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8": "llama-4-maverick",
    "deepseek-ai/DeepSeek-V3.1": "deepseek-v3",
}
HARDWARE = {"H100": "h100-sxm5-80gb", "B200": "b200-180gb"}
PRECISION = {"bfloat16": "bf16", "fp8": "fp8", "mxfp4": "mxfp4"}
# ASSUMPTION: the leaderboard files give output lengths, not prompt lengths. Chat turns
# from Chatbot Arena are taken as 512 prompt tokens and GPQA questions as 256; at ~350
# output tokens per response the prefill is a small share of the energy either way.
PROMPT_TOKENS = {"lm-arena-chat": 512, "gpqa": 256}
COLUMNS = ["case_id", "model", "hardware", "devices", "replicas", "precision", "runtime", "task",
           "max_num_seqs", "batch", "prompt_tokens", "output_tokens", "energy_per_output_token_j",
           "power_w", "median_itl_s", "output_tokens_per_s", "status", "source"]


def main(repo: str, commit: str = "HEAD") -> None:
    git = ["git", "-C", repo]
    sha = subprocess.run([*git, "rev-parse", commit], check=True, capture_output=True, text=True).stdout.strip()
    files = subprocess.run([*git, "ls-tree", "-r", "--name-only", sha, "public/data/models"], check=True,
                           capture_output=True, text=True).stdout.split()
    rows = []
    for name in sorted(files):
        task = name.rsplit("__", 1)[-1].removesuffix(".json")
        if task not in PROMPT_TOKENS:
            continue
        d = json.loads(subprocess.run([*git, "show", f"{sha}:{name}"], check=True, capture_output=True,
                                      text=True).stdout)
        if d["model_id"] not in MODELS:
            continue
        for c in sorted(d["configurations"], key=lambda c: (c["gpu_model"], c["num_gpus"], c["max_num_seqs"])):
            replicas = c["parallelization"]["data_parallel"]
            rows.append({
                "model": MODELS[d["model_id"]], "hardware": HARDWARE[c["gpu_model"]],
                "devices": c["num_gpus"] // replicas, "replicas": replicas,
                "precision": PRECISION[d["weight_precision"]], "runtime": "vllm-v1", "task": task,
                "max_num_seqs": c["max_num_seqs"], "batch": f"{c['avg_batch_size'] / replicas:.2f}",
                "prompt_tokens": PROMPT_TOKENS[task], "output_tokens": f"{c['avg_output_len']:.1f}",
                "energy_per_output_token_j": f"{c['energy_per_token_joules']:.5g}",
                "power_w": f"{c['avg_power_watts']:.1f}", "median_itl_s": f"{c['median_itl_ms'] / 1e3:.5g}",
                "output_tokens_per_s": f"{c['output_throughput_tokens_per_sec']:.1f}", "status": "P",
                "source": (f"ML.ENERGY Leaderboard v3 data, {d['model_id']}, task {task}, {c['gpu_model']} x "
                           f"{c['num_gpus']}, max_num_seqs {c['max_num_seqs']}: https://github.com/ml-energy/"
                           f"leaderboard/blob/{sha}/{name}")})
    for i, row in enumerate(rows, 1):
        row["case_id"] = f"me{i:03d}"
    with open(DATA, "w", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} rows -> {DATA}")


if __name__ == "__main__":
    main(*sys.argv[1:])
