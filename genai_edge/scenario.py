"""Scenarios: who uses which GenAI service over which network, served where.

A :class:`Scenario` groups a :class:`Workload`, a :class:`NetworkPaths`, three
compute :class:`Site` definitions (``cloud``, ``mec``, ``device``) and an
:class:`EdgeCloud` strategy. Scenario files are YAML with the same nesting;
keys carry their unit in the name (``distance_km``, ``rate_per_user_per_h``)
and :mod:`genai_edge.paradigms` converts them to SI where it uses them.
Every field documents its unit, allowed range and the source of its default
(or says it is an assumption).

Errors name the file, the key and what is allowed; misspelled keys get a
did-you-mean. Built-in scenarios ship in ``genai_edge/scenarios/``.
"""
from __future__ import annotations

import dataclasses
import difflib
import functools
import math
import numbers
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from . import catalog, network

__all__ = ["Scenario", "Workload", "NetworkPaths", "Site", "EdgeCloud", "ScenarioError",
           "load", "builtin_names", "builtin_path", "describe_fields"]


class ScenarioError(ValueError):
    """A scenario file or override is invalid; the message names file and key."""


# Reliability defaults and their sources.
GPU_MTBF_H = 16384 * 54 * 24 / 419
GPU_MTBF_SOURCE = ("Llama 3 405B pre-training (Grattafiori et al. 2024, arXiv:2407.21783, §3.3.4): 419 unexpected "
                   "interruptions in 54 days on 16,384 H100s, i.e. 50,700 GPU-hours per interruption "
                   "(data/failure_events.csv)")
REPLICA_MTTR_H = 1.0
REPLICA_MTTR_SOURCE = ("ASSUMPTION: an interrupted replica is restarted or rescheduled on a spare within an hour; "
                       "a node repaired in place takes longer (GPU system processor errors need a reboot, in one "
                       "case 23 h: Cui et al. 2025, arXiv:2503.11901)")
CLOUD_SITE_AVAILABILITY = 0.99982
MEC_SITE_AVAILABILITY = 0.99741
SITE_AVAILABILITY_SOURCE = ("Uptime Institute tier availabilities (Turner, Seader and Brill, 'Tier classifications "
                            "define site infrastructure performance', Uptime Institute white paper, 2006; "
                            "data/service_availability.csv): Tier III 99.982 % (the cloud default), Tier II "
                            "99.741 % (the MEC default: ASSUMPTION that MEC sites are built to Tier II); the device "
                            "default 1 (ASSUMPTION: the user's device is up when the user asks)")
ACCESS_AVAILABILITY_SOURCE = ("3GPP TS 22.261, Service requirements for the 5G system, Table 7.2.2-1 "
                              "(https://www.3gpp.org/DynaReport/22261.htm): 99.9 %, the lowest communication service "
                              "availability it requires of 5G (ASSUMPTION: a public access network meets it)")
FIBRE_CUTS = 4.39 / 1.609344
FIBRE_CUTS_SOURCE = ("4.39 cuts per 1000 sheath-miles per year = 2.73 per 1000 km (J. Zhang and B. Mukherjee, "
                     "'A review of fault management in WDM mesh networks', IEEE Network 18(2), 2004)")
FIBRE_REPAIR_H = 12.0
FIBRE_REPAIR_SOURCE = "12 h, the planning value of W. D. Grover, Mesh-Based Survivable Networks, Prentice Hall, 2004"
#: MLPerf Inference's latency bounds (its LoadGen configuration).
MLPERF_CONF = "https://github.com/mlcommons/inference/blob/master/loadgen/mlperf.conf"


# Why each upper bound: generous, but physical; it keeps every evaluation finite and bounded.
_TOKENS_LIMIT = "no published model reads a longer context (Llama 4 Scout's window is 10M tokens)"
_BYTES_LIMIT = "10 GB, more than any one transfer a latency target applies to"
_USERS_LIMIT = "more people than live on Earth (8.2 billion in 2025, UN World Population Prospects 2024)"
_RATE_LIMIT = "10 requests per second from each user, an automated client"
_STEPS_LIMIT = ("the 1,000 steps of the DDPM noise schedule (Ho et al. 2020, arXiv:2006.11239), more than any "
                "sampler takes")
_DAY_LIMIT = "a day; a longer target is no latency target"
_EARTH_LIMIT = "half the Earth's equator (40,075 km): no two places are farther apart"
_TTL_LIMIT = "the IP time-to-live field (8 bits, RFC 791): no packet crosses more routers"
_HOP_LIMIT = "ASSUMPTION: a router that holds a packet longer than a second has dropped it"
_DEVICES_LIMIT = ("ASSUMPTION: generous; tensor parallelism spans one scale-up domain, 72 GPUs in an NVIDIA "
                  "GB200 NVL72")
_REPLICAS_LIMIT = "a million, more accelerators than any published cluster holds"
_SITES_LIMIT = "ASSUMPTION: generous; a site per few hundred users of a country-scale deployment"
_BATCH_LIMIT = "ASSUMPTION: generous; the published serving measurements reach batch 1,024 (data/validation.csv)"
_MTBF_LIMIT = "over 100,000 years, a unit that does not fail"


def _f(default, unit, doc, *, low=None, high=None, choices=None, integer=False, source="", limit=""):
    """A scenario field with unit, allowed range or choices, and source; ``limit`` says why ``high``."""
    if limit:
        doc = f"{doc} At most {high:,g}: {limit}."
    return field(default=default, metadata=dict(
        unit=unit, doc=doc, low=low, high=high, choices=choices, integer=integer, source=source))


KINDS = ("llm", "diffusion", "video")
#: Kinds served by the diffusion pipeline: one image or clip per request, no token stream.
MEDIA_KINDS = ("diffusion", "video")


@dataclass(frozen=True)
class Workload:
    """What users ask for and how often."""
    kind: str = _f("llm", "-", "Service type: 'llm' (chat), 'diffusion' (text-to-image) or 'video' "
                   "(text-to-video: a video diffusion model of the diffusion catalog, one clip per request).",
                   choices=KINDS,
                   source="ASSUMPTION: a chat service, the case of the built-in chatbot scenario (text_to_image "
                          "sets 'diffusion', video_generation 'video')")
    prompt_tokens: int = _f(500, "token", "Prompt length per request.", low=1,
                            high=10_000_000, limit=_TOKENS_LIMIT, integer=True,
                            source="ASSUMPTION: 500, a chat turn with some history; MLPerf Inference's Llama 2 70B "
                                   "benchmark draws its prompts from OpenOrca "
                                   "(https://github.com/mlcommons/inference/tree/master/language/llama2-70b)")
    output_tokens: int = _f(250, "token", "Generated tokens per request (1 for diffusion).", low=1,
                            high=10_000_000, limit=_TOKENS_LIMIT,
                            integer=True,
                            source="ASSUMPTION: 250, between the mean answer of the Azure LLM inference trace 2023, "
                                   "conversation (211 tokens; Patel et al., arXiv:2311.18677) and the mean reference "
                                   "answer of MLPerf Inference Llama 2 70B (about 294 tokens, its TOKENS_PER_SAMPLE "
                                   "accuracy target)")
    payload_bytes: float = _f(0.0, "byte", "Extra uplink payload per request (e.g. an image).", low=0,
                              high=1e10, limit=_BYTES_LIMIT,
                              source="ASSUMPTION: 0, a text-only prompt (rural_lte sends a phone photo)")
    sensitive_share: float = _f(1.0, "-", "Share of the request's uplink that is the user's own data (prompt, "
                                "attachments, conversation context); scales bytes_off_device and bytes_to_cloud.",
                                low=0, high=1,
                                source="ASSUMPTION: 1, every uplink byte counts as the user's data (a system "
                                       "prompt or a template the operator adds would lower it)")
    retrieved_tokens: int = _f(0, "token", "Context tokens a retrieval step adds to the prompt at the serving "
                               "site (retrieval-augmented generation); 0: no retrieval.", low=0, high=10_000_000,
                               limit=_TOKENS_LIMIT, integer=True,
                               source="ASSUMPTION: 0, no retrieval (rag_news_assistant retrieves 5 chunks of 256 "
                                      "tokens)")
    index_vectors: float = _f(1e6, "-", "Chunks (vectors) in the retrieval index searched per request.", low=1,
                              high=1e12, limit="ASSUMPTION: a trillion chunks, beyond the largest published indexes "
                                                "(RETRO's 2 trillion tokens are 0.03 trillion 64-token chunks)",
                              source="ASSUMPTION: a million chunks, a news archive of a few years")
    adapter_refresh_days: float = _f(0.0, "day", "Days between refreshes of each user's personal adapter, "
                                     "fine-tuned where the paradigm runs its model; 0: no personalization.",
                                     low=0, high=3650, limit="ASSUMPTION: ten years, longer than a device "
                                                             "or an account usually lives",
                                     source="ASSUMPTION: 0, no personal adapters (personal_assistant refreshes "
                                            "them weekly)")
    adapter_tokens: float = _f(100_000.0, "token", "Tokens of the user's own data an adapter refresh trains on.",
                               low=1, high=1e9, limit="ASSUMPTION: a billion tokens, more text than one "
                                                      "person writes in a lifetime",
                               source="ASSUMPTION: 1e5, a few weeks of one user's messages and notes")
    adapter_method: str = _f("lora", "-", "How the adapter is trained: 'lora' (frozen base, low-rank "
                             "adapters) or 'full' fine-tuning.", choices=("lora", "full"),
                             source="ASSUMPTION: LoRA, the usual way to personalise a shared base model "
                                    "(Hu et al. 2021, arXiv:2106.09685)")
    response_bytes: float = _f(0.0, "byte", "Extra downlink payload per request (e.g. a generated image).", low=0,
                               high=1e10, limit=_BYTES_LIMIT,
                               source="ASSUMPTION: 0, a text answer, already counted per streamed token "
                                      "(text_to_image sends the generated image)")
    users: float = _f(10000, "-", "Active users served by the scenario.", low=1, high=1e10, limit=_USERS_LIMIT,
                      source="ASSUMPTION: a city-scale deployment")
    rate_per_user_per_h: float = _f(6.0, "request h^-1", "Requests per active user per hour.", low=0,
                                    high=36_000, limit=_RATE_LIMIT,
                                    source="ASSUMPTION: one request every 10 minutes")
    diffusion_steps: int = _f(25, "-", "Denoising steps (diffusion only).", low=1,
                                 high=1000, limit=_STEPS_LIMIT, integer=True,
                              source="ASSUMPTION: 25, within the 20 to 50 denoising steps of the published "
                                     "time-per-image measurements in data/diffusion_validation.csv")
    output_tokens_cv: float = _f(
        0.77, "-", "Spread of the answer length: standard deviation / mean of the output tokens "
        "(0 = every answer has exactly output_tokens).", low=0, high=10,
        source="Azure LLM inference trace 2023, conversation (Patel et al., Splitwise, ISCA 2024, "
               "arXiv:2311.18677): output tokens mean 211, std 163 over 19,366 requests, computed "
               "from AzurePublicDataset data/AzureLLMInferenceTrace_conv.csv")
    ttft_slo_s: float = _f(2.0, "s", "Target time to first token, met by a request or not (0 = no target).",
                           low=0,
                           high=86_400, limit=_DAY_LIMIT, source="MLPerf Inference Llama 2 70B server p99 TTFT 2 s "
                                         f"(llama2-70b.Server.ttft_latency = 2000 ms, {MLPERF_CONF}); "
                                         "interactive: 0.45 s")
    tpot_slo_s: float = _f(0.2, "s", "Target time per output token after the first (0 = no target).", low=0,
                           high=86_400, limit=_DAY_LIMIT,
                           source="MLPerf Inference Llama 2 70B server p99 TPOT 200 ms "
                                  f"(llama2-70b.Server.tpot_latency = 200 ms, {MLPERF_CONF}); interactive: 40 ms")
    e2e_slo_s: float = _f(0.0, "s", "Target end-to-end time of a request, e.g. for an image (0 = no target).",
                          low=0,
                          high=86_400, limit=_DAY_LIMIT,
                          source=f"0: MLPerf Inference's LLM benchmarks bound TTFT and TPOT only "
                                        f"({MLPERF_CONF}); for an image, its SDXL server p99 bound is 20 s")
    slo_attainment_target: float = _f(
        0.99, "-", "Share of requests that must meet every latency target; goodput is the most users "
        "served at this attainment.", low=0.5, high=0.999999,
        source="MLPerf Inference latency bounds are 99th percentiles (mlperf.conf: "
               "target_latency_percentile = 99); goodput as in DistServe (Zhong et al., OSDI 2024)")


@dataclass(frozen=True)
class NetworkPaths:
    """Access network and the transport distances to each site."""
    access: str = _f("5g", "-", "Access network id from data/networks.csv.",
                     source="ASSUMPTION: 5G, the access of the built-in chatbot scenario; each preset's rates and "
                            "latency cite their sources in data/networks.csv (5G: ITU-R M.2410-0, 2017; Ookla "
                            "medians, 2021 and 2023)")
    mec_distance_km: float = _f(20.0, "km", "Fibre distance device's base station → MEC site.", low=0,
                                high=20_040, limit=_EARTH_LIMIT,
                                source="ASSUMPTION: MEC at a metro aggregation point")
    mec_hops: int = _f(2, "-", "Routers between the base station and the MEC site.", low=0,
                       high=255, limit=_TTL_LIMIT, integer=True,
                       source="ASSUMPTION: 2, the base station's aggregation router and the MEC site's gateway")
    cloud_distance_km: float = _f(1500.0, "km", "Great-circle distance to the cloud region.", low=0,
                                  high=20_040, limit=_EARTH_LIMIT,
                                  source="ASSUMPTION: 1,500 km, a cloud region in a neighbouring country or state "
                                         "(about 11 ms one way in fibre at route factor 1.5)")
    cloud_hops: int = _f(12, "-", "Routers on the path to the cloud region.", low=0,
                         high=255, limit=_TTL_LIMIT, integer=True,
                         source="ASSUMPTION: typical traceroute length to a cloud region")
    route_factor: float = _f(network.DEFAULT_ROUTE_FACTOR, "-", "Fibre route length / great-circle distance.",
                             low=1.0, high=5.0,
                             source="ASSUMPTION: 1.5, between the two factors of Bozkurt et al., 'Dissecting latency "
                                    "in the Internet's fiber infrastructure', 2018 (arXiv:1811.10737): shortest paths "
                                    "through US long-haul conduits are 1.3x the line of sight in the median, measured "
                                    "Internet latencies 2.1x")
    per_hop_delay_s: float = _f(50e-6, "s", "Processing and queueing per router.", low=0, high=1.0, limit=_HOP_LIMIT,
                                source="ASSUMPTION: tens of microseconds per core-router hop")
    grid_kg_per_kwh: float = _f(0.445, "kg CO2e kWh^-1", "Carbon intensity of the networks' electricity "
                                "(access, metro, wide area).", low=0, high=2,
                                source="IEA Electricity 2025: world average 445 gCO2/kWh in 2024 "
                                       "(ASSUMPTION: the networks' location is not known)")
    access_availability: float = _f(0.999, "-", "Availability of the access network as the user sees it.",
                                    low=0, high=1, source=ACCESS_AVAILABILITY_SOURCE)
    fibre_cuts_per_1000km_year: float = _f(FIBRE_CUTS, "(1000 km)^-1 year^-1", "Cuts of one fibre path per "
                                           "1000 km of route and year.", low=0, high=100, source=FIBRE_CUTS_SOURCE)
    fibre_repair_h: float = _f(FIBRE_REPAIR_H, "h", "Mean time to repair a fibre cut.", low=0, high=1000,
                               source=FIBRE_REPAIR_SOURCE)
    fibre_paths: int = _f(2, "-", "Disjoint fibre paths in parallel on each route (metro and wide area).",
                          low=1, high=8, integer=True,
                          source="ASSUMPTION: metro rings and carrier backbones are built with one protection path")


@dataclass(frozen=True)
class Site:
    """A compute site: what model runs on which accelerators, how many."""
    model: str = _f("llama-3.1-8b", "-", "Model id (catalog).",
                    source="ASSUMPTION: open-weight models sized to each site: the cloud Llama 3.1 70B, MEC sites "
                           "Llama 3.1 8B (Llama 3 herd, arXiv:2407.21783), the device Gemma 2B (Gemma Team 2024, "
                           "arXiv:2403.08295)")
    hardware: str = _f("l4-24gb", "-", "Accelerator id (catalog).",
                       source="ASSUMPTION: the cloud on H100 SXM5 80 GB, MEC sites on the 72 W L4 24 GB (NVIDIA L4 "
                              "datasheet, https://www.nvidia.com/en-us/data-center/l4/), the device a Snapdragon 8 "
                              "Gen 3 phone; specs and sources in data/hardware.csv")
    devices: int = _f(1, "-", "Accelerators per replica (tensor parallel).", low=1,
                      high=1024, limit=_DEVICES_LIMIT, integer=True,
                      source="ASSUMPTION: 1; the cloud 2, as Llama 3.1 70B's FP8 weights (about 70 GB) leave one "
                             "80 GB H100 too little room for the KV cache")
    replicas: int = _f(1, "-", "Model replicas at the site.", low=1,
                       high=1_000_000, limit=_REPLICAS_LIMIT, integer=True,
                       source="ASSUMPTION: 1, the smallest deployment; the default cloud has 8 and each default MEC "
                              "site 2, for the default 10,000 users")
    sites: int = _f(1, "-", "Identical sites sharing the users (e.g. MEC sites).", low=1,
                    high=100_000, limit=_SITES_LIMIT, integer=True,
                    source="ASSUMPTION: 1; the default MEC has 10 sites across the city")
    precision: str = _f("fp16", "-", "Weight precision id (catalog).",
                        source="ASSUMPTION: fp16, unquantized weights; the default cloud and MEC sites use FP8 (the "
                               "H100 and L4 have FP8 tensor cores: NVIDIA datasheets in data/hardware.csv), the "
                               "device 4-bit q4_0 (llama.cpp)")
    runtime: str = _f("default", "-", "Inference runtime id (catalog).",
                      source="ASSUMPTION: 'default', the device group's calibrated efficiency factors; the default "
                             "cloud and MEC sites run TensorRT-LLM, the device llama.cpp (data/runtimes.csv)")
    kv_precision: str = _f("fp16", "-", "KV-cache number format id (catalog precisions: fp16, fp8, int8); "
                           "FP8 KV is the default of TensorRT-LLM FP8 deployments.",
                           source="16-bit KV cache, the default of vLLM (--kv-cache-dtype auto: the model's dtype, "
                                  "https://docs.vllm.ai/en/v0.5.3/models/engine_args.html) and llama.cpp "
                                  "(--cache-type-k and -v f16, "
                                  "https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md)")
    batch: int = _f(8, "-", "Sequences decoded together per replica (continuous batching slots).",
                    low=1, high=4096, limit=_BATCH_LIMIT, integer=True,
                    source="ASSUMPTION: 8, a small continuous batch that keeps the time per token near its batch-1 "
                           "value; the default cloud 16, the device 1 (one user)")
    compute_scale: float = _f(1.0, "-", "Multiplier on the calibrated compute times (prefill, per-token "
                              "decode); give it a distribution in a sweep for calibration uncertainty.",
                              low=0.01, high=100, source="ASSUMPTION: 1, the calibrated roofline")
    pue: float = _f(1.58, "-", "Power usage effectiveness of the site: facility energy / IT energy (not used "
                    "on the device).", low=1.0, high=3.0,
                    source="Uptime Institute Global Data Center Survey 2023: industry average 1.58 (ASSUMPTION "
                           "for MEC sites, which have no published figure); the cloud default is Google's fleet "
                           "1.09 (Elsworth et al. 2025, arXiv:2508.15734)")
    grid_kg_per_kwh: float = _f(0.445, "kg CO2e kWh^-1", "Carbon intensity of the site's electricity "
                                "(location-based; give a market-based figure to use that method).", low=0, high=2,
                                source="IEA Electricity 2025: world average 445 gCO2/kWh in 2024 (ASSUMPTION: "
                                       "location not known); regions in data/grid_intensity.csv")
    idle_energy: str = _f("amortized", "-", "Idle power of the site's accelerators between requests: "
                          "'amortized' charges it to the requests served (idle power x (1 - utilization) / "
                          "request rate), 'busy' counts busy time only. Not used on the device.",
                          choices=("amortized", "busy"),
                          source="ASSUMPTION: 'amortized': a site's accelerators stay powered for the load they are "
                                 "provisioned for, so the requests served pay for the idle time")
    index_refresh_h: float = _f(24.0, "h", "Hours between refreshes of the site's retrieval index (used when "
                                "workload.retrieved_tokens > 0): what it knows is on average half this old.",
                                low=0, high=87_660, limit="ten years; an index older than that is an archive",
                                source="ASSUMPTION: 24 h, a nightly rebuild (rag_news_assistant refreshes the cloud "
                                       "index every 15 minutes, MEC sites hourly, phones daily)")
    site_availability: float = _f(MEC_SITE_AVAILABILITY, "-", "Availability of what takes the whole site down "
                                  "at once: power, cooling, its network, an attack (on the device: the device "
                                  "itself).", low=0, high=1, source=SITE_AVAILABILITY_SOURCE)
    gpu_mtbf_h: float = _f(GPU_MTBF_H, "h", "Mean time between interruptions per accelerator; a replica of d "
                           "accelerators is interrupted d times as often (not used on the device).", low=1,
                           high=1e9, limit=_MTBF_LIMIT,
                           source=GPU_MTBF_SOURCE)
    replica_mttr_h: float = _f(REPLICA_MTTR_H, "h", "Mean time until an interrupted replica serves again (not "
                               "used on the device).", low=0, high=10000, source=REPLICA_MTTR_SOURCE)
    diffusion_steps: int = _f(0, "-", "Denoising steps of this site's diffusion model (diffusion only; 0 = "
                              "workload.diffusion_steps). A distilled model takes fewer steps than the one it was "
                              "distilled from.", low=0, high=1000, limit=_STEPS_LIMIT, integer=True,
                              source="ASSUMPTION: 0, every site runs the scenario's workload.diffusion_steps; "
                                     "text_to_image runs the phone's SD-Turbo in 1 step, as its model card "
                                     "recommends (1 to 4 steps, https://huggingface.co/stabilityai/sd-turbo)")


@dataclass(frozen=True)
class EdgeCloud:
    """How the edge and the cloud share the work in the ``edge_cloud`` paradigm."""
    strategy: str = _f("routing", "-", "'routing', 'overflow' or 'speculative'.",
                       choices=("routing", "overflow", "speculative"),
                       source="ASSUMPTION: 'routing', simple queries to the edge model and the rest to the cloud, as "
                              "LLM routers do (RouteLLM, Ong et al. 2024, arXiv:2406.18665)")
    edge_fraction: float = _f(0.6, "-", "Routing: share of requests simple enough for the edge model.",
                              low=0, high=1,
                              source="ASSUMPTION: 0.6; RouteLLM's routers cut cost by over 2x without losing "
                                     "response quality by sending queries to the weaker model (Ong et al. 2024, "
                                     "arXiv:2406.18665)")
    draft_tokens: int = _f(4, "-", "Speculative: tokens the edge draft proposes per verification.",
                           low=1, high=64, integer=True,
                           source="ASSUMPTION: 4, within the 3 to 7 draft tokens of Leviathan et al., 'Fast inference "
                                  "from transformers via speculative decoding', ICML 2023 (arXiv:2211.17192)")
    acceptance_rate: float = _f(0.7, "-", "Speculative: probability a draft token is accepted.",
                                low=0, high=0.999,
                                source="ASSUMPTION: 0.7, within the acceptance rates of 0.5 to 0.9 that Leviathan "
                                       "et al. measure (ICML 2023, arXiv:2211.17192)")


def _cloud_default():
    return Site(model="llama-3.1-70b", hardware="h100-sxm5-80gb", devices=2, replicas=8,
                precision="fp8", runtime="tensorrt-llm", batch=16, pue=1.09,
                site_availability=CLOUD_SITE_AVAILABILITY)


def _mec_default():
    return Site(model="llama-3.1-8b", hardware="l4-24gb", devices=1, replicas=2, sites=10,
                precision="fp8", runtime="tensorrt-llm", batch=8)


def _device_default():
    return Site(model="gemma-2b", hardware="snapdragon-8-gen-3", precision="q4_0",
                runtime="llama.cpp", batch=1, site_availability=1.0)


@dataclass(frozen=True)
class Scenario:
    """One comparison case. Build with :func:`load` or directly in Python."""
    name: str = "custom"
    description: str = ""
    workload: Workload = field(default_factory=Workload)
    network: NetworkPaths = field(default_factory=NetworkPaths)
    cloud: Site = field(default_factory=_cloud_default)
    mec: Site = field(default_factory=_mec_default)
    device: Site = field(default_factory=_device_default)
    edge_cloud: EdgeCloud = field(default_factory=EdgeCloud)
    source: str = "<python>"

    @property
    def arrival_rate(self) -> float:
        """Requests per second from all users [s^-1]."""
        return self.workload.users * self.workload.rate_per_user_per_h / 3600.0

    def replace(self, **overrides) -> "Scenario":
        """Copy with dotted-key overrides, e.g. ``{'cloud.replicas': 4}``."""
        return _apply(self, overrides, self.source)

    def to_dict(self) -> dict:
        """Nested dict in file units (the YAML form)."""
        out = {"name": self.name, "description": self.description}
        for section in _SECTIONS:
            out[section] = dataclasses.asdict(getattr(self, section))
        return out

    def to_yaml(self) -> str:
        import yaml
        return yaml.safe_dump(self.to_dict(), sort_keys=False)


_SECTIONS = {"workload": Workload, "network": NetworkPaths, "cloud": Site, "mec": Site,
             "device": Site, "edge_cloud": EdgeCloud}
def _any_model(model_id):
    """An LLM or a diffusion model id (the workload kind is checked in paradigms)."""
    try:
        return catalog.model(model_id)
    except KeyError:
        try:
            return catalog.diffusion_model(model_id)
        except KeyError:
            pass
        raise


_CATALOG_LOOKUPS = {"model": _any_model, "hardware": catalog.hardware,
                    "precision": catalog.precision, "kv_precision": catalog.precision,
                    "runtime": catalog.runtime,
                    "access": network.access_network}


#: Keys whose value is a catalog id, and the ``genai-edge catalog`` sections that list the ids.
CATALOG_SECTIONS = {"model": ("models", "diffusion-models"), "hardware": ("hardware",),
                    "precision": ("precisions",), "kv_precision": ("precisions",),
                    "runtime": ("runtimes",), "access": ("networks",)}


def _allowed_text(md: dict, name: str) -> str:
    if md["choices"]:
        return ", ".join(md["choices"])
    if name in CATALOG_SECTIONS:
        return "an id from `genai-edge catalog " + "` or `".join(CATALOG_SECTIONS[name]) + "`"
    low, high = md["low"], md["high"]
    kind = "whole number" if md["integer"] else "number"
    if low is not None and high is not None:
        return f"{kind} in [{low:g}, {high:g}]"
    if low is not None:
        return f"{kind} >= {low:g}"
    return kind if high is None else f"{kind} <= {high:g}"


def describe_fields() -> list[dict]:
    """Every scenario key with unit, default, allowed values and source (for docs).

    Returns
    -------
    list of dict
        One dict per key (``section.name``) with ``unit``, ``default`` (the default scenario's
        value), ``allowed`` (in words), ``low`` and ``high`` (the range's bounds, None where there
        is none), ``choices`` (a list, or None), ``integer``, ``doc`` and ``source``.
    """
    rows = []
    defaults = Scenario()
    for section in _SECTIONS:
        obj = getattr(defaults, section)
        for f in dataclasses.fields(obj):
            md = f.metadata
            rows.append(dict(key=f"{section}.{f.name}", unit=md["unit"], default=getattr(obj, f.name),
                             allowed=_allowed_text(md, f.name), low=md["low"], high=md["high"],
                             choices=list(md["choices"]) if md["choices"] else None,
                             integer=md["integer"], doc=md["doc"], source=md["source"]))
    return rows


# ----------------------------------------------------------------- loading
def _suggest(key, options) -> str:
    close = difflib.get_close_matches(key, list(options), n=3, cutoff=0.6)
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def _shown(raw, limit: int = 40) -> str:
    """``repr(raw)``, shortened: a 400-digit number or a long list stays readable on one line."""
    text = repr(raw)
    return text if len(text) <= limit else f"{text[:limit - 3]}..."


def _bound(x) -> str:
    if isinstance(x, int) or (float(x).is_integer() and 1e6 <= abs(x) < 1e16):
        return f"{int(x):,}"
    return repr(float(x))


def _range_text(md: dict) -> str:
    low, high = md["low"], md["high"]
    lo = _bound(low) if low is not None else "-inf"
    return f"[{lo}, {_bound(high) if high is not None else 'inf'}] [{md['unit']}]"


def _text(where: str, raw) -> str:
    if not isinstance(raw, str):
        raise ScenarioError(f"{where}: expected text, got {type(raw).__name__} {_shown(raw)}")
    return raw


def _coerce(where: str, f: dataclasses.Field, raw):
    md = f.metadata
    if f.type in ("str", str):
        raw = _text(where, raw)
        value = raw.strip()
        if md["choices"] and value not in md["choices"]:
            raise ScenarioError(f"{where}: {value!r} is not allowed; allowed values: "
                                f"{', '.join(md['choices'])}.{_suggest(value, md['choices'])}")
        lookup = _CATALOG_LOOKUPS.get(f.name)
        if lookup:
            try:
                lookup(value)
            except KeyError as exc:
                raise ScenarioError(f"{where}: {exc.args[0]}") from None
        return value
    allowed = f"allowed {_range_text(md)}{', a whole number' if md['integer'] else ''}"
    if isinstance(raw, bool) or not isinstance(raw, (numbers.Real, str)):
        raise ScenarioError(f"{where}: expected a number, got {type(raw).__name__} {_shown(raw)}; {allowed}")
    try:
        value = float(raw)
    except OverflowError:
        raise ScenarioError(f"{where}: {_shown(raw)} is out of range; {allowed}") from None
    except ValueError:
        raise ScenarioError(f"{where}: expected a number, got {_shown(raw)}; {allowed}") from None
    if math.isnan(value) or math.isinf(value):
        raise ScenarioError(f"{where}: must be a finite number, got {_shown(raw)}; {allowed}")
    value += 0.0  # -0.0 reads as 0
    if md["integer"]:
        if value != int(value):
            raise ScenarioError(f"{where}: must be a whole number, got {_shown(raw)}; {allowed}")
        value = int(value)
    low, high = md["low"], md["high"]
    if (low is not None and value < low) or (high is not None and value > high):
        raise ScenarioError(f"{where}: {_shown(raw)} is out of range; {allowed}")
    return value


#: Keys that were renamed, with what to write instead.
_RENAMED = {
    "workload.latency_slo_s": "use 'workload.ttft_slo_s' for the time-to-first-token target "
                              "(and 'workload.tpot_slo_s', 'workload.e2e_slo_s' for the others)",
}


def _section(source: str, name: str, cls, base, data) -> object:
    if data is None:
        return base
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: key '{name}' must be a mapping of keys to values, got {_shown(data)}; "
                            f"allowed keys: {', '.join(f.name for f in dataclasses.fields(cls))}")
    fields_ = {f.name: f for f in dataclasses.fields(cls)}
    values = {}
    for key, raw in data.items():
        if f"{name}.{key}" in _RENAMED:
            raise ScenarioError(f"{source}: key '{name}.{key}' is no longer read: {_RENAMED[f'{name}.{key}']}")
        if key not in fields_:
            raise ScenarioError(f"{source}: unknown key '{name}.{key}'.{_suggest(str(key), fields_)} "
                                f"Allowed keys in '{name}': {', '.join(fields_)}")
        values[key] = _coerce(f"{source}: key '{name}.{key}'", fields_[key], raw)
    return dataclasses.replace(base, **values)


def from_dict(data: dict, source: str = "<dict>", base: Scenario | None = None) -> Scenario:
    """Build a scenario from a nested dict (YAML form), on top of ``base``."""
    base = base or Scenario()
    allowed = ["name", "description", *_SECTIONS]
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: a scenario must be a mapping of keys to values at the top level, got "
                            f"{type(data).__name__} {_shown(data)}; allowed keys: {', '.join(allowed)}")
    for key in data:
        if key not in allowed:
            raise ScenarioError(f"{source}: unknown key '{key}'.{_suggest(str(key), allowed)} "
                                f"Allowed top-level keys: {', '.join(allowed)}")
    sections = {s: _section(source, s, cls, getattr(base, s), data.get(s)) for s, cls in _SECTIONS.items()}
    name = _text(f"{source}: key 'name'", data.get("name", base.name if base.name != "custom"
                                                      else Path(source).stem))
    description = _text(f"{source}: key 'description'", data.get("description", base.description))
    return Scenario(name=name, description=description, source=source, **sections)


def _apply(scn: Scenario, overrides: dict, source: str) -> Scenario:
    nested: dict = {}
    for dotted, value in (overrides or {}).items():
        parts = str(dotted).split(".")
        if len(parts) == 1 and parts[0] in ("name", "description"):
            nested[parts[0]] = value
            continue
        if len(parts) != 2:
            keys = ["name", "description"] + [f"{s}.{f.name}" for s, c in _SECTIONS.items()
                                              for f in dataclasses.fields(c)]
            close = [k for k in keys if difflib.get_close_matches(parts[-1], [k.split(".")[-1]], cutoff=0.8)]
            hint = f" Did you mean {', '.join(repr(k) for k in close[:3])}?" if close else ""
            raise ScenarioError(f"{source}: override '{dotted}' must look like section.key "
                                f"(sections: {', '.join(_SECTIONS)}).{hint}")
        nested.setdefault(parts[0], {})[parts[1]] = _parse_text(value)
    if not nested:
        return scn
    return from_dict(nested, f"{source} (override)", base=scn)


def _parse_text(value):
    """Values from ``--set key=value`` arrive as text: read numbers as numbers."""
    if not isinstance(value, str):
        return value
    try:
        return float(value) if any(c in value for c in ".eE") else int(value)
    except ValueError:
        return value


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with the package."""
    folder = resources.files("genai_edge").joinpath("scenarios")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def builtin_path(name: str) -> Path:
    """Path of a built-in scenario file."""
    names = builtin_names()
    if name not in names:
        raise ScenarioError(f"unknown scenario '{name}'.{_suggest(name, names)} "
                            f"Built-in scenarios: {', '.join(names)}")
    return Path(str(resources.files("genai_edge").joinpath("scenarios", f"{name}.yaml")))


def load(name_or_path, overrides: dict | None = None) -> Scenario:
    """Load a built-in scenario by name or a YAML file by path, then apply overrides.

    Parameters
    ----------
    name_or_path : str or pathlib.Path
        ``'chatbot'`` or ``'my_case.yaml'``.
    overrides : dict, optional
        Dotted keys to values, e.g. ``{'network.cloud_distance_km': 3000}``.

    Raises
    ------
    ScenarioError
        Naming the file, the key and the allowed values (or close matches).
    """
    text_name = str(name_or_path)
    path = Path(text_name)
    if not (path.suffix in (".yaml", ".yml") or os.path.lexists(path)):
        path = builtin_path(text_name)
    scn = from_dict(read_yaml(path), str(path))
    return _apply(scn, overrides or {}, str(path))


#: Largest scenario file read [byte]; a scenario is a few kB.
MAX_FILE_BYTES = 1 << 20
#: Deepest nesting of YAML collections read; a scenario nests 2 deep.
MAX_DEPTH = 8


def read_yaml(path) -> object:
    """The YAML document in ``path``, read safely: a regular UTF-8 file of at most
    :data:`MAX_FILE_BYTES`, nesting at most :data:`MAX_DEPTH` deep, no aliases
    (``*name``; they can expand a small file into gigabytes), no duplicate keys.

    Raises
    ------
    ScenarioError
        One line naming the file and what is wrong (with line and column for YAML errors).
    """
    import stat

    import yaml

    try:
        # O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such scenario file; allowed: a built-in name "
                            f"({', '.join(builtin_names())}) or a YAML file") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot be read: {exc.strerror}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "not a regular file"
        raise ScenarioError(f"{path}: is {what}; allowed: a regular YAML file")
    with os.fdopen(fd, "rb") as fh:
        try:
            raw = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise ScenarioError(f"{path}: cannot be read: {exc.strerror}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(f"{path}: larger than {MAX_FILE_BYTES:,} bytes; allowed: a scenario file of at most 1 MiB")
    if raw.startswith(b"\xef\xbb\xbf"):
        raise ScenarioError(f"{path}: starts with a byte-order mark; allowed: UTF-8 text without one")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: not UTF-8 text (byte {raw[exc.start]:#04x} at offset {exc.start}); "
                            "allowed: a UTF-8 YAML file") from None
    if "\x00" in text:
        raise ScenarioError(f"{path}: contains a NUL character; allowed: a UTF-8 YAML text file")
    try:
        data = yaml.load(text, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = " ".join(str(exc.problem or exc.context or "invalid").split())
        raise ScenarioError(f"{path}: not valid YAML{where}: {problem}") from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise ScenarioError(f"{path}: not valid YAML: {' '.join(str(exc).split())[:200]}") from None
    if data is None:
        raise ScenarioError(f"{path}: is empty; allowed: a mapping of keys to values, e.g. 'workload: {{users: "
                            "5000}'")
    return data


@functools.cache
def _loader():
    """A SafeLoader that refuses aliases, nesting deeper than MAX_DEPTH and duplicate keys."""
    import yaml

    class Loader(yaml.SafeLoader):
        _depth = 0

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in scenario files",
                                                  mark)
            if self._depth >= MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels",
                                                  self.peek_event().start_mark)
            self._depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

        def construct_mapping(self, node, deep=False):
            seen = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if isinstance(key, (list, dict)) or key in seen:
                    problem = "a key must be text" if isinstance(key, (list, dict)) else f"duplicate key {key!r}"
                    raise yaml.constructor.ConstructorError(None, None, problem, key_node.start_mark)
                seen.add(key)
            return super().construct_mapping(node, deep)

    return Loader
