"""Answer quality and data exposure of each paradigm, over the mixture of its paths.

Quality. The model that answers a request differs by paradigm: the cloud
model, the MEC model, the device model, or for edge-cloud a mixture by
branch weight (routing: p·L(MEC) + (1 − p)·L(cloud); overflow: weighted by
the blocked share; speculative: the cloud target's loss, since speculative
decoding samples exactly the target's distribution [1]_). Its proxy is the
pre-training loss L(N, D) = E + A/N^α + B/D^β of a Chinchilla-form fit [2]_
(:func:`genai_edge.scaling.loss`, default fit ``besiroglu2024`` [3]_) at the
model's published parameters N and pre-training tokens D
(``training_tokens`` in ``data/models.csv``). It is NaN where a model
publishes no token count and for diffusion workloads, which the fit does not
describe. The fits were made on dense models: for a mixture of experts N is
its total parameter count, and a distilled or pruned model reads as one
trained from scratch on its tokens: the loss ranks models roughly, and
compares them under one fit only.

Data exposure. Per request, the uplink carries U = prompt tokens × bytes
per token + payload + request overhead (what the access link carries up,
:class:`genai_edge.paths.Bits`). ``bytes_off_device`` is U times the share of requests whose path
has an access link (0 on the device); ``bytes_to_cloud`` is U times the
share whose path crosses a cloud site, plus what the MEC sends the cloud
per output token (speculative: (N − 1)/τ verifications of k draft tokens).
Both scale with ``workload.sensitive_share``, the share of the uplink that
is the user's own data.

Personalization. Every ``workload.adapter_refresh_days`` each user's adapter
is fine-tuned (LoRA or full, :mod:`genai_edge.finetune`) on
``workload.adapter_tokens`` of the user's data at each site that serves the
user — on the phone itself for on-device, at the MEC site, in the cloud, or
both for edge-cloud — and its energy is shared by the user's requests in
between: rate per user × 24 h × days of them.

References
----------
.. [1] Y. Leviathan, M. Kalman and Y. Matias, "Fast inference from
   transformers via speculative decoding," ICML 2023. arXiv:2211.17192
.. [2] J. Hoffmann et al., "Training compute-optimal large language models,"
   NeurIPS 2022. arXiv:2203.15556 (Eq. 2)
.. [3] T. Besiroglu, E. Erdil, M. Barnett, J. You, "Chinchilla scaling: a
   replication attempt," 2024. arXiv:2404.10102
"""
from __future__ import annotations

import functools
import math

import numpy as np

from . import catalog, scaling
from .distributions import extra_tokens

__all__ = ["model_loss", "site_loss", "quality_loss", "bytes_off_device", "bytes_to_cloud", "adapter_refresh",
           "personalization_energy", "adapter_job_time", "index_staleness"]


@functools.lru_cache(maxsize=1024)
def model_loss(model_id: str, fit: str = scaling.DEFAULT_FIT) -> float:
    """Pre-training loss of a catalog LLM at its published parameters and tokens.

    Parameters
    ----------
    model_id : str
        Model id from ``data/models.csv``.
    fit : str
        A loss fit of :data:`genai_edge.scaling.FITS`.

    Returns
    -------
    float
        L(N, D) [nat/token]; NaN where the catalog has no training tokens
        for the model or the id is not an LLM of the catalog (a diffusion model).

    References
    ----------
    .. [1] Hoffmann et al. 2022, Eq. 2. arXiv:2203.15556
    """
    try:
        m = catalog.model(model_id)
    except KeyError:
        return math.nan
    if not (math.isfinite(m.training_tokens) and m.training_tokens > 0):
        return math.nan
    return float(scaling.loss(m.params, m.training_tokens, fit))


def site_loss(arrays, site: str, fit: str = scaling.DEFAULT_FIT):
    """Loss of the model that ``site`` runs, at each point of a sweep.

    Parameters
    ----------
    arrays : ScenarioArrays
        The points.
    site : str
        'cloud', 'mec' or 'device'.
    fit : str
        A loss fit of :data:`genai_edge.scaling.FITS`.

    Returns
    -------
    ndarray
        [nat/token]; NaN for diffusion workloads and models without published tokens.
    """
    codes, levels = arrays.cat(f"{site}.model")
    if arrays.kind != "llm":
        return np.full(np.shape(codes), np.nan)
    return np.asarray([model_loss(m, fit) for m in levels])[codes]


def _mixture(paths, value):
    """Σ w·value(branch) over the branches with weight > 0 (weights normalised)."""
    out = 0.0
    for w, b in zip(paths._weights(), paths.branches):
        with np.errstate(invalid="ignore"):
            out = out + np.where(w > 0, w * value(b), 0.0)
    return out


def quality_loss(paths, ctx):
    """Mean pre-training loss of the model that answers, over the paradigm's paths. [nat/token]"""
    return _mixture(paths, lambda b: np.asarray(b.answer_loss, dtype=float))


def bytes_off_device(paths, ctx):
    """User data leaving the device per request: uplink × share of paths off the device × sensitive share. [byte]"""
    share = ctx.arrays.num("workload.sensitive_share")
    return share * _mixture(paths, lambda b: np.asarray(b.bytes_off_device, dtype=float))


def bytes_to_cloud(paths, ctx):
    """User data reaching a cloud region per request, draft tokens included, × sensitive share. [byte]"""
    share = ctx.arrays.num("workload.sensitive_share")
    extra = extra_tokens(paths.answer_law)
    return share * _mixture(paths, lambda b: np.asarray(b.bytes_to_cloud, dtype=float)
                            + np.asarray(b.bytes_to_cloud_per_token, dtype=float) * extra)


def adapter_refresh(ctx, site: str):
    """One user's adapter refresh at ``site``: (energy [J], time [s]) at each point, NaN for media workloads.

    LoRA or full fine-tuning (:func:`genai_edge.finetune.finetune_flops`) of
    the site's model on ``workload.adapter_tokens`` tokens, timed on one
    replica's accelerators at the site's precision
    (:func:`genai_edge.finetune.finetune_time`), its energy at the facility
    boundary with the site's PUE on servers and as the whole device on a
    device (:func:`genai_edge.finetune.finetune_energy_j`).
    """
    return ctx.once(("adapter_refresh", site), lambda: _adapter_refresh(ctx, site))


def _adapter_refresh(ctx, site: str):
    from . import energy, finetune
    a = ctx.arrays
    keys = ("model", "hardware", "precision")
    cats = [a.cat(f"{site}.{k}") for k in keys] + [a.cat("workload.adapter_method")]
    pue = a.num(f"{site}.pue") if site != "device" else np.asarray(1.0)
    *codes, tokens, devices, pue = np.broadcast_arrays(*(c for c, _ in cats), a.num("workload.adapter_tokens"),
                                                        a.num(f"{site}.devices"), pue)
    shape = tokens.shape
    e_out, t_out = np.full(shape, np.nan), np.full(shape, np.nan)
    if a.kind != "llm":
        return e_out, t_out
    combos = np.unique(np.stack([c.reshape(-1) for c in codes], axis=-1), axis=0)
    for combo in combos:
        sel = np.all(np.stack([c == k for c, k in zip(codes, combo)]), axis=0)
        model, hw_id, prec, method = (cats[i][1][k] for i, k in enumerate(combo))
        hw = catalog.hardware(hw_id)
        flops = finetune.finetune_flops(catalog.model(model).params, tokens[sel], method)
        t_out[sel] = finetune.finetune_time(flops, hw_id, prec, devices[sel])
        if hw.device_class in energy.SERVER_CLASSES:
            e_out[sel] = finetune.finetune_energy_j(flops, hw_id, prec, devices[sel], boundary="facility",
                                                    pue=pue[sel])
        else:
            e_out[sel] = finetune.finetune_energy_j(flops, hw_id, prec, devices[sel], boundary="device")
    return e_out, t_out


def _refreshes_per_request(ctx):
    """Adapter refreshes per request of one user: 1 / (requests per user between refreshes); 0 without any. [-]"""
    days = ctx.arrays.num("workload.adapter_refresh_days")
    requests = ctx.arrays.num("workload.rate_per_user_per_h") * 24.0 * days
    with np.errstate(divide="ignore"):
        return np.where(days > 0, 1.0 / requests, 0.0)


def personalization_energy(paths, ctx):
    """Fine-tuning energy per request: each site serving the user refreshes its adapter, shared by the
    user's requests between refreshes (0 without personalization). [J]"""
    share = _refreshes_per_request(ctx)
    out = 0.0
    for s in paths.sites:
        used = np.asarray(s.arrival_rate) > 0
        e, _ = adapter_refresh(ctx, s.site)
        with np.errstate(invalid="ignore"):
            out = out + np.where(used & (share > 0), e * share, 0.0)
    return out


def adapter_job_time(paths, ctx):
    """Time of one user's adapter refresh on the paradigm's slowest serving site (NaN without personalization). [s]"""
    days = ctx.arrays.num("workload.adapter_refresh_days")
    out = np.nan
    for s in paths.sites:
        _, t = adapter_refresh(ctx, s.site)
        out = np.fmax(out, np.where(np.asarray(s.arrival_rate) > 0, t, np.nan))
    return np.where(days > 0, out, np.nan)


def index_staleness(paths, ctx):
    """Mean age of the retrieval index a request reads, over the paradigm's paths (NaN without retrieval). [s]

    An index rebuilt every T is, for requests arriving at random times, on
    average T/2 old (the mean of the sawtooth age of a periodically
    refreshed copy) [4]_.

    References
    ----------
    .. [4] S. Kaul, R. Yates and M. Gruteser, "Real-time status: how often
       should one update?," IEEE INFOCOM 2012. doi:10.1109/INFCOM.2012.6195689
    """
    return _mixture(paths, lambda b: np.asarray(b.index_age, dtype=float))
