"""Catalogs shipped in ``genai_edge/data``: hardware, models, precisions, runtimes.

:func:`listing` serves ``genai-edge catalog``: every section (those above,
diffusion models, access networks, built-in scenarios) as rows with numbers
as numbers.

Each CSV row carries a ``source`` (and a ``status``: P primary, S secondary,
D derived, U unverified, A assumption). Loaders convert the human units of the
CSV files (GB, GB/s, TFLOPS) into SI and return frozen dataclasses. Unknown ids
raise :class:`CatalogKeyError` (a ``KeyError``) listing the closest matches.
"""
from __future__ import annotations

import csv
import difflib
import functools
import math
from dataclasses import dataclass, fields
from importlib import resources

from . import units as u

__all__ = [
    "Accelerator", "LLM", "DiffusionModel", "Precision", "Runtime", "CatalogKeyError",
    "hardware", "model", "diffusion_model", "precision", "runtime",
    "hardware_ids", "model_ids", "diffusion_model_ids", "precision_ids", "runtime_ids", "read_csv",
    "LISTINGS", "listing",
]


class CatalogKeyError(KeyError):
    """Unknown catalog id; the message lists close matches and all ids."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


@functools.cache
def read_csv(name: str) -> tuple[dict, ...]:
    """Rows of ``genai_edge/data/<name>`` as dicts of strings (cached)."""
    text = resources.files("genai_edge").joinpath("data", name).read_text(encoding="utf-8")
    return tuple(csv.DictReader(text.splitlines()))


def _lookup(kind: str, table: dict, key: str):
    key_norm = str(key).strip().lower()
    if key_norm in table:
        return table[key_norm]
    close = [k for k in sorted(table) if key_norm and key_norm in k][:4]
    close += [k for k in difflib.get_close_matches(key_norm, list(table), n=4, cutoff=0.5) if k not in close]
    hint = f" Did you mean: {', '.join(close)}?" if close else ""
    raise CatalogKeyError(
        f"unknown {kind} {key!r}.{hint} Available {kind} ids: {', '.join(sorted(table))}")


def _num(text: str) -> float:
    return float(text) if text not in ("", None) else math.nan


# --------------------------------------------------------------------- hardware
@dataclass(frozen=True)
class Accelerator:
    """One accelerator (GPU or SoC); all fields SI.

    Peak throughputs are dense (no sparsity) [FLOP s^-1]; NaN where the device
    has no such unit. ``interconnect_bandwidth`` is per direction between two
    devices of a tensor-parallel group [byte s^-1].
    """
    id: str
    name: str
    device_class: str
    memory: float                 # [byte]
    memory_bandwidth: float       # [byte s^-1]
    peak_fp32: float              # [FLOP s^-1]
    peak_bf16: float              # [FLOP s^-1]
    peak_fp8: float               # [FLOP s^-1]
    peak_int8: float              # [op s^-1]
    peak_npu: float               # int8 peak of the neural processing unit [op s^-1]
    power_idle: float             # [W]
    power_max: float              # [W]
    interconnect_bandwidth: float  # [byte s^-1]
    interconnect: str
    status: str
    source: str
    notes: str

    def peak(self, column: str) -> float:
        """Peak for a precision's compute column, falling back to bf16 [FLOP s^-1]."""
        value = {"fp32_tflops": self.peak_fp32, "bf16_tflops": self.peak_bf16,
                 "fp8_tflops": self.peak_fp8, "int8_tops": self.peak_int8}[column]
        return self.peak_bf16 if math.isnan(value) else value


@functools.cache
def _hardware_table() -> dict:
    table = {}
    for r in read_csv("hardware.csv"):
        table[r["id"]] = Accelerator(
            id=r["id"], name=r["name"], device_class=r["device_class"],
            memory=_num(r["memory_gb"]) * u.GB,
            memory_bandwidth=_num(r["memory_bandwidth_gbs"]) * u.GBps,
            peak_fp32=_num(r["fp32_tflops"]) * u.TFLOPS,
            peak_bf16=_num(r["bf16_tflops"]) * u.TFLOPS,
            peak_fp8=_num(r["fp8_tflops"]) * u.TFLOPS,
            peak_int8=_num(r["int8_tops"]) * u.TFLOPS,
            peak_npu=_num(r["npu_int8_tops"]) * u.TFLOPS,
            power_idle=_num(r["power_idle_w"]), power_max=_num(r["power_max_w"]),
            interconnect_bandwidth=_num(r["interconnect_gbs"]) * u.GBps,
            interconnect=r["interconnect"], status=r["status"], source=r["source"],
            notes=r["notes"])
    return table


def hardware(hardware_id: str) -> Accelerator:
    """Look up an accelerator by id (e.g. ``'h100-sxm5-80gb'``)."""
    if isinstance(hardware_id, Accelerator):
        return hardware_id
    return _lookup("hardware", _hardware_table(), hardware_id)


def hardware_ids() -> list[str]:
    return sorted(_hardware_table())


# ----------------------------------------------------------------------- models
@dataclass(frozen=True)
class LLM:
    """Decoder-only transformer architecture (from the model's config).

    ``training_tokens`` is the pre-training token count the model's card or
    paper publishes (NaN where none does); the row's ``source`` cites it.
    ``mmlu`` is the 5-shot MMLU accuracy [1]_ its developer publishes in the
    model card or technical report (NaN where none is entered); the row's
    ``source`` cites it and says whether the base or the instruction-tuned
    model was scored.

    References
    ----------
    .. [1] D. Hendrycks et al., "Measuring Massive Multitask Language
       Understanding," ICLR 2021. https://arxiv.org/abs/2009.03300
    """
    id: str
    name: str
    params: float            # published total parameter count [-]
    n_layers: int
    d_model: int
    n_heads: int
    n_kv_heads: int
    head_dim: int
    d_ff: int
    gated_ffn: bool          # SwiGLU/GeGLU: three FFN matrices instead of two
    vocab: int
    tied_embeddings: bool
    n_experts: int           # MoE experts per layer (1 for dense models)
    n_active_experts: int    # experts used per token
    max_context: int         # [token]
    status: str
    source: str
    training_tokens: float = math.nan   # published pre-training tokens; NaN where unpublished [token]
    mmlu: float = math.nan              # developer-published 5-shot MMLU accuracy; NaN where none [-]

    @property
    def attention_params_per_layer(self) -> float:
        q_and_o = 2 * self.d_model * self.n_heads * self.head_dim
        k_and_v = 2 * self.d_model * self.n_kv_heads * self.head_dim
        return q_and_o + k_and_v

    @property
    def expert_params(self) -> float:
        """Parameters of one FFN (one expert) in one layer [-]."""
        return (3 if self.gated_ffn else 2) * self.d_model * self.d_ff

    @property
    def embedding_params(self) -> float:
        return self.vocab * self.d_model * (1 if self.tied_embeddings else 2)

    @property
    def params_from_architecture(self) -> float:
        """Total parameters counted from the architecture (norms ignored) [-]."""
        per_layer = self.attention_params_per_layer + self.n_experts * self.expert_params
        return self.n_layers * per_layer + self.embedding_params

    @property
    def matmul_params_per_token(self) -> float:
        """Parameters in matrix products for one token: active layers + LM head [-].

        The input embedding is a table lookup, not a matrix product.
        """
        per_layer = self.attention_params_per_layer + self.n_active_experts * self.expert_params
        return self.n_layers * per_layer + self.vocab * self.d_model

    @property
    def active_params(self) -> float:
        """Parameters touched per token, embeddings included (MoE: active experts) [-]."""
        per_layer = self.attention_params_per_layer + self.n_active_experts * self.expert_params
        return self.n_layers * per_layer + self.embedding_params


@functools.cache
def _model_table() -> dict:
    table = {}
    ints = ("n_layers", "d_model", "n_heads", "n_kv_heads", "head_dim", "d_ff", "vocab",
            "n_experts", "n_active_experts", "max_context")
    for r in read_csv("models.csv"):
        kwargs = {f.name: r[f.name] for f in fields(LLM)}
        kwargs.update({k: int(r[k]) for k in ints})
        kwargs.update(params=float(r["params"]), gated_ffn=r["gated_ffn"] == "1",
                      tied_embeddings=r["tied_embeddings"] == "1", training_tokens=_num(r["training_tokens"]),
                      mmlu=_num(r["mmlu"]))
        entry = LLM(**kwargs)
        table[entry.id] = entry
        for alias in filter(None, r["aliases"].split(";")):
            table[alias.strip()] = entry
    return table


def model(model_id: str) -> LLM:
    """Look up a model by id (e.g. ``'llama-3.1-8b'``); aliases resolve (``llama-70b``)."""
    if isinstance(model_id, LLM):
        return model_id
    return _lookup("model", _model_table(), model_id)


def model_ids() -> list[str]:
    return sorted({m.id for m in _model_table().values()})


@dataclass(frozen=True)
class DiffusionModel:
    """Latent diffusion model of images or video clips: work per denoising step and per image or clip."""
    id: str
    name: str
    unet_params: float         # [-]
    flops_per_eval: float      # one U-Net evaluation [FLOP]
    evals_per_step: int        # 2 with classifier-free guidance [-]
    vae_decoder_flops: float   # one image [FLOP]
    image_bytes: float         # encoded image or clip sent to the user [byte]
    status: str
    source: str
    media: str = "image"       # 'image' or 'video' (the workload kind that may use it)
    denoiser: str = "unet"     # 'unet' or 'transformer' (how compute.diffusion_estimate times it)


@functools.cache
def _diffusion_table() -> dict:
    return {r["id"]: DiffusionModel(
        id=r["id"], name=r["name"], unet_params=float(r["unet_params"]),
        flops_per_eval=2e9 * float(r["unet_gmacs_per_eval"]),  # 1 MAC = 2 FLOP
        evals_per_step=int(r["evals_per_step"]), vae_decoder_flops=2e9 * float(r["vae_decoder_gmacs"]),
        image_bytes=float(r["image_bytes"]), status=r["status"], source=r["source"], media=r["media"],
        denoiser=r["denoiser"])
        for r in read_csv("diffusion_models.csv")}


def diffusion_model(model_id: str) -> DiffusionModel:
    """Look up a diffusion model of images (``sd-1.5``, ``sd-turbo``) or video clips (``cogvideox-5b``)."""
    if isinstance(model_id, DiffusionModel):
        return model_id
    return _lookup("diffusion model", _diffusion_table(), model_id)


def diffusion_model_ids(media: str | None = None) -> list[str]:
    """Ids of the diffusion models, of one ``media`` ('image' or 'video') if given."""
    if media not in (None, "image", "video"):
        raise ValueError(f"media: {media!r}; allowed: 'image', 'video' or None")
    return sorted(k for k, m in _diffusion_table().items() if media is None or m.media == media)


# ------------------------------------------------------------------- precisions
@dataclass(frozen=True)
class Precision:
    """Number format of weights and the compute unit it runs on."""
    id: str
    bits_per_weight: float   # including block scales [bit]
    compute_peak: str        # hardware column giving its peak throughput
    activation_bits: float   # [bit]
    status: str
    source: str


@functools.cache
def _precision_table() -> dict:
    return {r["id"]: Precision(id=r["id"], bits_per_weight=float(r["bits_per_weight"]),
                               compute_peak=r["compute_peak"],
                               activation_bits=float(r["activation_bits"]),
                               status=r["status"], source=r["source"])
            for r in read_csv("precisions.csv")}


def precision(precision_id: str) -> Precision:
    """Look up a precision (``fp16``, ``fp8``, ``q4_0`` ...)."""
    if isinstance(precision_id, Precision):
        return precision_id
    return _lookup("precision", _precision_table(), precision_id)


def precision_ids() -> list[str]:
    return list(_precision_table())


# --------------------------------------------------------------------- runtimes
@dataclass(frozen=True)
class Runtime:
    """An inference runtime and the family whose efficiency factors it uses.

    ``accelerator`` is the unit it runs on (``gpu``, or ``npu`` for
    runtimes that offload to a neural processing unit, whose peak is the
    hardware's ``npu_int8_tops``); ``quantized_prefill`` is ``native``
    (weight-only quantized weights feed the prompt GEMMs directly) or
    ``dequantize`` (each prompt micro-batch first expands them to fp16 in
    memory, then runs an fp16 GEMM — llama.cpp's CUDA back end for batches
    above 32 tokens until mid-2024, ggml-cuda ``ggml_cuda_mul_mat``). ``attention`` is
    ``fused`` (flash-attention style: the score matrix never leaves the chip) or ``unfused`` (scores are written to and
    read back from memory in fp32, as in llama.cpp without ``-fa``).
    """
    id: str
    family: str
    accelerator: str
    quantized_prefill: str
    attention: str
    description: str
    source: str
    known: bool = True       # False for ids resolved to the default family


@functools.cache
def _runtime_table() -> dict:
    return {r["id"]: Runtime(**r) for r in read_csv("runtimes.csv")}


def runtime(runtime_id: str) -> Runtime:
    """Look up a runtime (``tensorrt-llm``, ``llama.cpp`` ...)."""
    if isinstance(runtime_id, Runtime):
        return runtime_id
    return _lookup("runtime", _runtime_table(), runtime_id)


def runtime_ids() -> list[str]:
    return list(_runtime_table())


# ---------------------------------------------------------------------- listing
#: What ``genai-edge catalog`` lists: section -> (CSV file in ``genai_edge/data``, or None for the built-in
#: scenarios; the columns its text table shows, the last one printed in full under each row).
LISTINGS = {
    "hardware": ("hardware.csv", ("id", "device_class", "memory_gb", "memory_bandwidth_gbs", "bf16_tflops",
                                  "power_max_w", "status", "source")),
    "models": ("models.csv", ("id", "params", "n_layers", "d_model", "n_kv_heads", "max_context",
                              "training_tokens", "mmlu", "status", "source")),
    "diffusion-models": ("diffusion_models.csv", ("id", "media", "denoiser", "unet_params", "unet_gmacs_per_eval",
                                                  "evals_per_step", "image_bytes", "status", "source")),
    "precisions": ("precisions.csv", ("id", "bits_per_weight", "compute_peak", "activation_bits", "status",
                                      "source")),
    "runtimes": ("runtimes.csv", ("id", "family", "accelerator", "source")),
    "networks": ("networks.csv", ("id", "downlink_bps", "uplink_bps", "one_way_latency_s", "status", "source")),
    "scenarios": (None, ("id", "kind", "description")),
}


def _number(text: str):
    """A CSV cell as int or float if it reads as a finite number, else None."""
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value):
        return None
    return int(text) if text.lstrip("+-").isdigit() else value


def _typed(rows) -> list[dict]:
    """CSV rows with every column whose cells all read as numbers converted to numbers (empty: None)."""
    rows = [dict(r) for r in rows]
    for col in (rows[0] if rows else {}):
        cells = [r[col].strip() for r in rows]
        numbers = [_number(c) for c in cells]
        if any(c for c in cells) and all(n is not None or not c for n, c in zip(numbers, cells)):
            for r, n in zip(rows, numbers):
                r[col] = n
    return rows


def listing(section: str) -> list[dict]:
    """Rows of one catalog section, numbers as numbers.

    Parameters
    ----------
    section : str
        One of :data:`LISTINGS`: ``hardware``, ``models``, ``diffusion-models``, ``precisions``,
        ``runtimes``, ``networks`` (access networks) or ``scenarios`` (built-in scenarios).

    Returns
    -------
    list of dict
        One dict per row with every column of the CSV file (units in the column names); a numeric
        column's empty cells are None. Scenarios give ``id``, ``kind`` and ``description``.

    Raises
    ------
    ValueError
        If ``section`` is not one of :data:`LISTINGS`.
    """
    if section not in LISTINGS:
        raise ValueError(f"unknown catalog section {section!r}; allowed: {', '.join(LISTINGS)}")
    name = LISTINGS[section][0]
    if name is not None:
        return _typed(read_csv(name))
    from . import scenario

    scenarios = [scenario.load(n) for n in scenario.builtin_names()]
    return [{"id": s.name, "kind": s.workload.kind, "description": s.description} for s in scenarios]
