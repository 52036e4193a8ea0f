"""Published 5-shot MMLU accuracies in the model catalog: range, spot values, sources, scaling within a family."""
import math
import re

import pytest

from genai_edge import catalog

# Developer-published 5-shot MMLU accuracies [-], copied from the publications (not from the catalog).
PUBLISHED = {
    "llama-7b": 0.351,         # Touvron et al. 2023 (arXiv:2302.13971), LLaMA 7B base: 35.1
    "llama-65b": 0.634,        # same paper, LLaMA 65B base: 63.4
    "llama-2-70b": 0.689,      # Llama 2 paper (arXiv:2307.09288) Table 3, 70B base: 68.9
    "llama-3.1-8b": 0.667,     # Llama 3.1 model card, base pretrained models, MMLU 5-shot: 66.7
    "llama-3.1-405b": 0.852,   # same card: 85.2
    "mixtral-8x7b": 0.706,     # Jiang et al. 2024 (arXiv:2401.04088), MMLU 5-shot: 70.6 %
    "llama-4-maverick": 0.855,  # Llama 4 model card, pretrained models, MMLU 5-shot: 85.5
    "deepseek-v3": 0.871,      # DeepSeek-V3 report (arXiv:2412.19437), DeepSeek-V3-Base MMLU 5-shot: 87.1
}


def _models():
    return [catalog.model(r["id"]) for r in catalog.read_csv("models.csv")]


def test_every_entered_score_is_an_accuracy():
    scores = [m.mmlu for m in _models() if math.isfinite(m.mmlu)]
    assert len(scores) >= len(PUBLISHED)
    assert all(0.0 <= s <= 1.0 for s in scores)
    # better than guessing among four choices, below the 89.8 % human-expert estimate of Hendrycks et al. 2021
    assert all(0.25 < s < 0.898 for s in scores)


@pytest.mark.parametrize("model_id, score", PUBLISHED.items())
def test_spot_values_equal_the_published_numbers(model_id, score):
    assert catalog.model(model_id).mmlu == pytest.approx(score, abs=1e-9)


def test_unpublished_scores_are_nan():
    assert math.isnan(catalog.model("gpt-13b").mmlu)      # a benchmark architecture, never trained or scored
    m = catalog.model("llama-7b")
    kwargs = {f: getattr(m, f) for f in m.__dataclass_fields__ if f != "mmlu"}
    assert math.isnan(catalog.LLM(**kwargs).mmlu)         # a model built without a score has none


def test_each_score_is_cited_in_its_source_with_base_or_instruct():
    for row in catalog.read_csv("models.csv"):
        m = catalog.model(row["id"])
        if math.isfinite(m.mmlu):
            match = re.search(r"MMLU 5-shot (\d\.\d{3}): ([^;]*)", row["source"])
            assert match, row["id"]
            assert float(match.group(1)) == m.mmlu, row["id"]
            assert re.search(r"\b(base|pretrained|instruction-tuned|Instruct)\b", match.group(2)), row["id"]
        else:
            assert "MMLU 5-shot: not entered" in row["source"], row["id"]


@pytest.mark.parametrize("smaller, larger", [
    ("llama-7b", "llama-13b"), ("llama-13b", "llama-65b"),
    ("llama-2-7b", "llama-2-13b"), ("llama-2-13b", "llama-2-70b"),
    ("llama-3-8b", "llama-3-70b"),
    ("llama-3.1-8b", "llama-3.1-70b"), ("llama-3.1-70b", "llama-3.1-405b"),
    ("llama-3.2-1b", "llama-3.2-3b"),
    ("llama-4-scout", "llama-4-maverick"),
    ("mistral-7b", "mixtral-8x7b"),
])
def test_larger_models_of_one_family_score_higher(smaller, larger):
    small, large = catalog.model(smaller), catalog.model(larger)
    assert small.params < large.params
    assert small.mmlu < large.mmlu
